//! IAM, log groups, the KMS key, Application Auto Scaling and alarms against moto's server:
//! what each module creates reads back equal to the IR's values (as refresh compares
//! them), a change made by hand reads as drift of exactly that attribute, an update with
//! that change converges it, and what is deleted reads as gone (and deletes again).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fg_deploy::{AttrChange, Created, Deployed, Observed, Origin, Resolved, State};
use serde_json::{Value, json};

use crate::changes::Changes;
use crate::{Aws, Target, autoscaling, cloudwatch, iam, kms, logs};

/// moto's server on a free 127.0.0.1 port, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port");
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto (pip install 'moto[server]==5.2.5')");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on 127.0.0.1:{port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, port }
    }

    async fn aws(&self) -> Aws {
        let target = Target {
            region: "eu-central-1".into(),
            profile: None,
            endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
            credentials: Some(("testing".into(), "testing".into())),
        };
        let tags = [("fgc:app".to_string(), "t".to_string()), ("fgc:env".into(), "test".into())];
        Aws::connect(&target, tags.into()).await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A resource as the executor resolves it; `tags_all` as the plan adds it.
fn resolved(kind: &str, id: &str, attrs: Value) -> Resolved {
    let mut attrs: Vec<(String, Value)> = attrs.as_object().expect("attrs").clone().into_iter().collect();
    if let Some(tags) = attrs.iter().find(|(k, _)| k == "tags").map(|(_, v)| v.clone()) {
        let mut all = json!({"fgc:app": "t", "fgc:env": "test", "fgc:id": id});
        all.as_object_mut().expect("map").extend(tags.as_object().expect("tags").clone());
        attrs.push(("tags_all".into(), all));
    }
    Resolved { id: id.into(), kind: kind.into(), attrs }
}

/// A plain value in the IR's tagged form, as the state records it.
fn tagged(v: &Value) -> Value {
    match v {
        Value::String(_) => json!({"type": "str", "value": v}),
        Value::Bool(_) => json!({"type": "bool", "value": v}),
        Value::Number(n) if n.is_i64() => json!({"type": "int", "value": v}),
        Value::Number(_) => json!({"type": "num", "value": v}),
        Value::Array(a) => json!({"type": "list", "value": a.iter().map(tagged).collect::<Vec<_>>()}),
        Value::Object(o) => {
            json!({"type": "map", "value": o.iter().map(|(k, x)| json!([k, tagged(x)])).collect::<Vec<_>>()})
        }
        Value::Null => Value::Null,
    }
}

fn deployed(r: &Resolved, c: &Created) -> Deployed {
    Deployed {
        kind: r.kind.clone(),
        physical: c.physical.clone(),
        attrs: Value::Array(r.attrs.iter().map(|(k, v)| json!([k, tagged(v)])).collect()),
        outputs: c.outputs.clone(),
        depends_on: Vec::new(),
    }
}

/// The attributes a read reports differently from `r`, as refresh compares them, and
/// those of `expected` it does not report at all (`-name`).
fn drifted(r: &Resolved, seen: &Observed, expected: &[&str]) -> Vec<String> {
    let mut grouped: Vec<(String, Value)> = Vec::new();
    for (k, v) in seen {
        match grouped.iter_mut().find(|(n, _)| n == k) {
            Some((_, Value::Array(a))) => a.push(v.clone()),
            Some((_, x)) => *x = Value::Array(vec![x.clone(), v.clone()]),
            None => grouped.push((k.clone(), v.clone())),
        }
    }
    let mut out: Vec<String> =
        grouped.iter().filter(|(k, v)| !fg_deploy::refresh::same(r.get(k), Some(v))).map(|(k, _)| k.clone()).collect();
    out.extend(expected.iter().filter(|e| !seen.iter().any(|(k, _)| k == *e)).map(|e| format!("-{e}")));
    out.sort();
    out
}

/// The changes an apply would carry for drift of `names`: AWS's value back to `r`'s.
fn drift_changes(r: &Resolved, seen: &Observed, names: &[&str]) -> Vec<AttrChange> {
    names
        .iter()
        .map(|n| AttrChange {
            name: n.to_string(),
            before: r.get(n).cloned(),
            after: r.get(n).cloned(),
            forces_replacement: false,
            origin: Origin::Outside,
            live: seen.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()),
        })
        .collect()
}

macro_rules! check {
    ($module:ident, $aws:expr, $r:expr, $have:expr, $expected:expr, $drift:expr) => {{
        let state = State::new("t", "test", "eu-central-1");
        let seen = $module::read($aws, $have, $r, &state).await.expect("read").expect("exists");
        assert_eq!(drifted($r, &seen, $expected), $drift, "{seen:?}");
        seen
    }};
}

macro_rules! converge {
    ($module:ident, $aws:expr, $r:expr, $have:expr, $expected:expr, $names:expr) => {{
        let seen =
            check!($module, $aws, $r, $have, $expected, $names.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let list = drift_changes($r, &seen, &$names);
        let mut ch = Changes::new(&list);
        let c = $module::update($aws, $r, $have, &mut ch).await.expect("update");
        assert!(ch.left().is_empty(), "left {:?}", ch.left());
        let have = Deployed { physical: c.physical, outputs: c.outputs, ..$have.clone() };
        check!($module, $aws, $r, &have, $expected, Vec::<String>::new());
    }};
}

async fn gone_after_delete<F, R>(delete: F, read: R)
where
    F: AsyncFn() -> Result<(), fg_deploy::CloudError>,
    R: AsyncFn() -> Result<Option<Observed>, fg_deploy::CloudError>,
{
    delete().await.expect("delete");
    assert_eq!(read().await.expect("read after delete"), None);
    delete().await.expect("a delete of what is gone succeeds");
}

#[tokio::test]
async fn roles_policies_and_attachments_read_back_drift_and_converge() {
    let moto = Moto::start();
    let aws = &moto.aws().await;
    let trust = |service: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
            "Action": "sts:AssumeRole"}]})
        .to_string()
    };
    let role = &resolved(
        "aws_iam_role",
        "svc/role",
        json!({"name": "t-role", "description": "Runs t", "assume_role_policy": trust("ecs-tasks.amazonaws.com"),
            "tags": {"Name": "t-role"}}),
    );
    let c = iam::create(aws, role).await.expect("create role");
    assert_eq!(c.outputs.get("id").map(String::as_str), Some("t-role"));
    let have = &deployed(role, &c);
    let expected = ["name", "assume_role_policy", "description", "tags_all"];
    check!(iam, aws, role, have, &expected, Vec::<String>::new());
    assert_eq!(iam::adopt(aws, role).await.expect("adopt").map(|a| a.physical), Some(c.physical.clone()));

    aws.iam
        .update_assume_role_policy()
        .role_name("t-role")
        .policy_document(trust("ec2.amazonaws.com"))
        .send()
        .await
        .expect("hand");
    aws.iam.update_role().role_name("t-role").description("by hand").send().await.expect("hand");
    let extra = aws_sdk_iam::types::Tag::builder().key("by-hand").value("x").build().expect("tag");
    aws.iam.tag_role().role_name("t-role").tags(extra).send().await.expect("hand");
    converge!(iam, aws, role, have, &expected, ["assume_role_policy", "description", "tags_all"]);
    // A description cleared by hand is drift too.
    aws.iam.update_role().role_name("t-role").description("").send().await.expect("hand");
    converge!(iam, aws, role, have, &expected, ["description"]);

    let doc = |action: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [action], "Resource": ["*"]}]})
            .to_string()
    };
    let policy = &resolved(
        "aws_iam_role_policy",
        "svc/policy",
        json!({"name": "task", "role": "t-role", "policy": doc("s3:GetObject")}),
    );
    let pc = iam::create(aws, policy).await.expect("create policy");
    let phave = &deployed(policy, &pc);
    check!(iam, aws, policy, phave, &["name", "role", "policy"], Vec::<String>::new());
    aws.iam
        .put_role_policy()
        .role_name("t-role")
        .policy_name("task")
        .policy_document(doc("s3:*"))
        .send()
        .await
        .expect("hand");
    converge!(iam, aws, policy, phave, &["policy"], ["policy"]);

    let managed = aws
        .iam
        .create_policy()
        .policy_name("t-managed")
        .policy_document(doc("logs:*"))
        .send()
        .await
        .expect("managed policy");
    let arn = managed.policy().and_then(|p| p.arn()).expect("arn").to_string();
    let attachment =
        &resolved("aws_iam_role_policy_attachment", "svc/attach", json!({"role": "t-role", "policy_arn": arn}));
    let ac = iam::create(aws, attachment).await.expect("attach");
    let ahave = &deployed(attachment, &ac);
    check!(iam, aws, attachment, ahave, &["role", "policy_arn"], Vec::<String>::new());
    assert!(iam::adopt(aws, attachment).await.expect("adopt").is_some());

    let state = State::new("t", "test", "eu-central-1");
    for (r, h) in [(attachment, ahave), (policy, phave), (role, have)] {
        gone_after_delete(async || iam::delete(aws, h).await, async || iam::read(aws, h, r, &state).await).await;
    }
}

#[tokio::test]
async fn log_groups_and_the_key_read_back_drift_and_converge() {
    let moto = Moto::start();
    let aws = &moto.aws().await;
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]});
    let key = &resolved(
        "aws_kms_key",
        "app/logs-key",
        json!({"description": "Encrypts logs", "enable_key_rotation": true, "deletion_window_in_days": 7,
            "policy": policy.to_string(), "tags": {"Name": "t-logs"}}),
    );
    let kc = kms::create(aws, key).await.expect("create key");
    let khave = &deployed(key, &kc);
    let expected = ["description", "policy", "enable_key_rotation", "tags_all"];
    check!(kms, aws, key, khave, &expected, Vec::<String>::new());
    assert_eq!(kms::adopt(aws, key).await.expect("adopt").map(|a| a.physical), Some(kc.physical.clone()));
    let id = kc.physical.as_str();
    aws.kms.disable_key_rotation().key_id(id).send().await.expect("hand");
    aws.kms.update_key_description().key_id(id).description("by hand").send().await.expect("hand");
    let mut other = policy.clone();
    other["Statement"][0]["Sid"] = json!("ByHand");
    aws.kms.put_key_policy().key_id(id).policy_name("default").policy(other.to_string()).send().await.expect("hand");
    converge!(kms, aws, key, khave, &expected, ["description", "enable_key_rotation", "policy"]);

    let arn = kc.outputs.get("arn").cloned().unwrap_or_default();
    let group = &resolved(
        "aws_cloudwatch_log_group",
        "svc/logs",
        json!({"name": "/ecs/t/web", "retention_in_days": 365, "kms_key_id": arn, "tags": {"Name": "/ecs/t/web"}}),
    );
    // A group whose name the other's starts with is not it.
    aws.logs.create_log_group().log_group_name("/ecs/t/web2").send().await.expect("neighbour");
    let gc = logs::create(aws, group).await.expect("create group");
    assert!(gc.outputs.get("arn").is_some_and(|a| a.ends_with(":log-group:/ecs/t/web")), "{:?}", gc.outputs);
    let ghave = &deployed(group, &gc);
    let expected = ["name", "retention_in_days", "kms_key_id", "tags_all"];
    check!(logs, aws, group, ghave, &expected, Vec::<String>::new());
    assert_eq!(logs::adopt(aws, group).await.expect("adopt"), Some(gc.clone()));
    aws.logs.put_retention_policy().log_group_name("/ecs/t/web").retention_in_days(30).send().await.expect("hand");
    let group_arn = gc.outputs.get("arn").cloned().unwrap_or_default();
    aws.logs.tag_resource().resource_arn(&group_arn).tags("by-hand", "x").send().await.expect("hand");
    converge!(logs, aws, group, ghave, &expected, ["retention_in_days", "tags_all"]);
    // Kept forever by hand: drift of the retention, which comes back.
    aws.logs.delete_retention_policy().log_group_name("/ecs/t/web").send().await.expect("hand");
    converge!(logs, aws, group, ghave, &expected, ["retention_in_days"]);

    let state = State::new("t", "test", "eu-central-1");
    gone_after_delete(async || logs::delete(aws, ghave).await, async || logs::read(aws, ghave, group, &state).await)
        .await;
    gone_after_delete(async || kms::delete(aws, khave).await, async || kms::read(aws, khave, key, &state).await).await;
    // The deletion waits the window the source gives.
    let meta = aws.kms.describe_key().key_id(id).send().await.expect("describe");
    let when = meta.key_metadata().and_then(|m| m.deletion_date()).map(|d| d.secs()).unwrap_or_default();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    assert!((6 * 86400..8 * 86400).contains(&(when - now)), "deletion in {}s", when - now);
}

#[tokio::test]
async fn scaling_and_alarms_read_back_drift_and_converge() {
    let moto = Moto::start();
    let aws = &moto.aws().await;
    // moto registers a target of an ECS service only when the service exists.
    aws.ecs.create_cluster().cluster_name("c").send().await.expect("cluster");
    let container = aws_sdk_ecs::types::ContainerDefinition::builder().name("web").image("nginx").memory(128).build();
    aws.ecs.register_task_definition().family("web").container_definitions(container).send().await.expect("td");
    aws.ecs
        .create_service()
        .cluster("c")
        .service_name("web")
        .task_definition("web")
        .desired_count(1)
        .send()
        .await
        .expect("svc");

    let on = |more: Value| {
        let mut o = json!({"service_namespace": "ecs", "scalable_dimension": "ecs:service:DesiredCount",
            "resource_id": "service/c/web"});
        o.as_object_mut().expect("map").extend(more.as_object().expect("map").clone());
        o
    };
    let target = &resolved(
        "aws_appautoscaling_target",
        "svc/target",
        on(json!({"min_capacity": 1, "max_capacity": 4, "tags": {"Name": "web"}})),
    );
    let started = Instant::now();
    let tc = autoscaling::create(aws, target).await.expect("register");
    assert!(tc.outputs.get("arn").is_some_and(|a| a.contains(":scalable-target/")), "{:?}", tc.outputs);
    let thave = &deployed(target, &tc);
    // moto has no tags API for targets: `tags_all` is not read there.
    let expected = ["service_namespace", "scalable_dimension", "resource_id", "min_capacity", "max_capacity"];
    check!(autoscaling, aws, target, thave, &expected, Vec::<String>::new());
    eprintln!("a target read took {:?}", started.elapsed());
    aws.scaling
        .register_scalable_target()
        .service_namespace("ecs".into())
        .scalable_dimension("ecs:service:DesiredCount".into())
        .resource_id("service/c/web")
        .min_capacity(2)
        .send()
        .await
        .expect("hand");
    converge!(autoscaling, aws, target, thave, &expected, ["min_capacity"]);

    let tracking = &resolved(
        "aws_appautoscaling_policy",
        "svc/cpu",
        on(json!({"name": "web-cpu", "policy_type": "TargetTrackingScaling",
            "target_tracking_scaling_policy_configuration": {"target_value": 60, "scale_in_cooldown": 60,
                "scale_out_cooldown": 60,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}})),
    );
    let steps = &resolved(
        "aws_appautoscaling_policy",
        "svc/step-out",
        on(json!({"name": "web-out", "policy_type": "StepScaling",
            "step_scaling_policy_configuration": {"adjustment_type": "ChangeInCapacity", "cooldown": 60,
                "metric_aggregation_type": "Average", "step_adjustment": [
                    {"metric_interval_lower_bound": "0", "metric_interval_upper_bound": "15", "scaling_adjustment": 1},
                    {"metric_interval_lower_bound": "15", "scaling_adjustment": 3}]}})),
    );
    let step = &resolved(
        "aws_appautoscaling_policy",
        "svc/step-in",
        on(json!({"name": "web-in", "policy_type": "StepScaling",
            "step_scaling_policy_configuration": {"adjustment_type": "ChangeInCapacity", "cooldown": 300,
                "metric_aggregation_type": "Average",
                "step_adjustment": {"metric_interval_upper_bound": "0", "scaling_adjustment": -1}}})),
    );
    let mut policies = Vec::new();
    for p in [tracking, steps, step] {
        let c = autoscaling::create(aws, p).await.expect("put policy");
        let have = deployed(p, &c);
        let config = if p.get("policy_type") == Some(&json!("StepScaling")) {
            "step_scaling_policy_configuration"
        } else {
            "target_tracking_scaling_policy_configuration"
        };
        check!(autoscaling, aws, p, &have, &["name", "policy_type", "resource_id", config], Vec::<String>::new());
        assert_eq!(autoscaling::adopt(aws, p).await.expect("adopt").map(|a| a.physical), Some(c.physical.clone()));
        policies.push((p, have));
    }
    let config = cpu_tracking(80.0);
    aws.scaling
        .put_scaling_policy()
        .policy_name("web-cpu")
        .service_namespace("ecs".into())
        .scalable_dimension("ecs:service:DesiredCount".into())
        .resource_id("service/c/web")
        .policy_type("TargetTrackingScaling".into())
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .expect("hand");
    converge!(
        autoscaling,
        aws,
        tracking,
        &policies[0].1,
        &["target_tracking_scaling_policy_configuration"],
        ["target_tracking_scaling_policy_configuration"]
    );

    let action = &resolved(
        "aws_appautoscaling_scheduled_action",
        "svc/nightly",
        on(json!({"name": "web-nightly", "schedule": "cron(0 22 ? * * *)", "timezone": "Europe/Berlin",
            "scalable_target_action": {"max_capacity": 2}})),
    );
    let ac = autoscaling::create(aws, action).await.expect("put action");
    let ahave = &deployed(action, &ac);
    let expected = ["name", "schedule", "timezone", "scalable_target_action", "resource_id"];
    check!(autoscaling, aws, action, ahave, &expected, Vec::<String>::new());
    aws.scaling
        .put_scheduled_action()
        .scheduled_action_name("web-nightly")
        .service_namespace("ecs".into())
        .scalable_dimension("ecs:service:DesiredCount".into())
        .resource_id("service/c/web")
        .schedule("cron(0 23 ? * * *)")
        .timezone("UTC")
        .send()
        .await
        .expect("hand");
    converge!(autoscaling, aws, action, ahave, &expected, ["schedule", "timezone"]);

    let alarm = &resolved(
        "aws_cloudwatch_metric_alarm",
        "svc/alarm",
        json!({"alarm_name": "web-cpu-high", "alarm_description": "Scale out", "namespace": "AWS/ECS",
            "metric_name": "CPUUtilization", "statistic": "Average", "comparison_operator": "GreaterThanOrEqualToThreshold",
            "threshold": 70, "period": 60, "evaluation_periods": 3, "treat_missing_data": "notBreaching",
            "dimensions": {"ClusterName": "c", "ServiceName": "web"},
            "alarm_actions": [policies[1].1.physical.clone()], "tags": {"Name": "web-cpu-high"}}),
    );
    let cc = cloudwatch::create(aws, alarm).await.expect("put alarm");
    assert!(cc.outputs.get("arn").is_some_and(|a| a.ends_with(":alarm:web-cpu-high")), "{:?}", cc.outputs);
    let chave = &deployed(alarm, &cc);
    let expected = [
        "alarm_name",
        "alarm_description",
        "namespace",
        "metric_name",
        "statistic",
        "comparison_operator",
        "threshold",
        "period",
        "evaluation_periods",
        "treat_missing_data",
        "dimensions",
        "alarm_actions",
        "tags_all",
    ];
    check!(cloudwatch, aws, alarm, chave, &expected, Vec::<String>::new());
    let by_hand = alarm_by_hand(aws).await;
    assert!(by_hand.is_ok(), "{by_hand:?}");
    let arn = cc.outputs.get("arn").cloned().unwrap_or_default();
    let extra = aws_sdk_cloudwatch::types::Tag::builder().key("by-hand").value("x").build();
    aws.cloudwatch.tag_resource().resource_arn(&arn).tags(extra).send().await.expect("hand");
    converge!(cloudwatch, aws, alarm, chave, &expected, ["alarm_description", "tags_all", "threshold"]);

    let state = State::new("t", "test", "eu-central-1");
    gone_after_delete(
        async || cloudwatch::delete(aws, chave).await,
        async || cloudwatch::read(aws, chave, alarm, &state).await,
    )
    .await;
    gone_after_delete(
        async || autoscaling::delete(aws, ahave).await,
        async || autoscaling::read(aws, ahave, action, &state).await,
    )
    .await;
    for (p, have) in &policies {
        gone_after_delete(
            async || autoscaling::delete(aws, have).await,
            async || autoscaling::read(aws, have, p, &state).await,
        )
        .await;
    }
    gone_after_delete(
        async || autoscaling::delete(aws, thave).await,
        async || autoscaling::read(aws, thave, target, &state).await,
    )
    .await;
}

/// The alarm edited in the console: a higher threshold, no description.
async fn alarm_by_hand(aws: &Aws) -> Result<(), String> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
    let dim = |k: &str, v: &str| Dimension::builder().name(k).value(v).build();
    let out = aws.cloudwatch.describe_alarms().alarm_names("web-cpu-high").send().await.map_err(|e| e.to_string())?;
    let actions = out.metric_alarms().first().map(|a| a.alarm_actions().to_vec()).unwrap_or_default();
    aws.cloudwatch
        .put_metric_alarm()
        .alarm_name("web-cpu-high")
        .namespace("AWS/ECS")
        .metric_name("CPUUtilization")
        .statistic(Statistic::Average)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .threshold(90.0)
        .period(60)
        .evaluation_periods(3)
        .treat_missing_data("notBreaching")
        .dimensions(dim("ClusterName", "c"))
        .dimensions(dim("ServiceName", "web"))
        .set_alarm_actions(Some(actions))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn cpu_tracking(target: f64) -> aws_sdk_applicationautoscaling::types::TargetTrackingScalingPolicyConfiguration {
    use aws_sdk_applicationautoscaling::types::{MetricType, PredefinedMetricSpecification};
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
        .build()
        .expect("metric");
    aws_sdk_applicationautoscaling::types::TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(target)
        .scale_in_cooldown(60)
        .scale_out_cooldown(60)
        .predefined_metric_specification(metric)
        .build()
        .expect("config")
}
