//! `fgc deploy` against a fake ECS and CodeDeploy on 127.0.0.1 that answers by operation
//! and records every call: the happy paths, the rollbacks and their reasons, the no-op,
//! and what the state keeps for the next `fgc apply`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fg_deploy::{Deployed, State};
use serde_json::{Value, json};

use crate::release::{Released, Step, release, with_releases};
use crate::settings::Run;
use crate::{Target, release::image_slot};

type Answer = dyn Fn(&str, &Value, usize) -> Value + Send + Sync;
/// Every call the fake received: its operation and body.
type Log = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake AWS: `answer(operation, body, nth call of that operation)`. Returns the
/// endpoint and the log of `(operation, body)`.
fn fake(answer: Box<Answer>) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let log: Log = Arc::default();
    let answer: Arc<Answer> = Arc::from(answer);
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (log, answer) = (seen.clone(), answer.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut stream = stream;
                loop {
                    let (mut len, mut op) = (0, String::new());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        if lower.starts_with("x-amz-target:") {
                            op = line.trim().rsplit('.').next().unwrap_or_default().to_string();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let nth = {
                        let mut l = log.lock().unwrap_or_else(|e| e.into_inner());
                        let nth = l.iter().filter(|(o, _)| *o == op).count();
                        l.push((op.clone(), body.clone()));
                        nth
                    };
                    let text = answer(&op, &body, nth).to_string();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{text}",
                        text.len()
                    );
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), log)
}

const OLD: &str = "ghcr.io/acme/api:1.0.0";
const NEW: &str = "ghcr.io/acme/api:1.1.0";
const TD1: &str = "arn:aws:ecs:eu-west-1:1:task-definition/shop-api:1";
const TD2: &str = "arn:aws:ecs:eu-west-1:1:task-definition/shop-api:2";
const SVC: &str = "arn:aws:ecs:eu-west-1:1:service/shop/shop-api";

fn source(strategy: &str) -> String {
    format!(
        r#"app "shop" {{
  region = "eu-west-1"
}}
network main {{}}
balancer web {{
  listener http {{
    route "/*" -> api
  }}
}}
service api {{
  image = "{OLD}"
  port  = 8080
  count = 2
  deployment {{ strategy = {strategy} }}
}}
"#
    )
}

fn ir(strategy: &str) -> fg_ir::Ir {
    let host = fg_check::MemoryHost::new().with("stack.fg", &source(strategy));
    let a = fg_check::analyze(&host, "stack.fg", &fg_check::Options::default());
    assert!(!a.has_errors(), "{:?}", a.diagnostics);
    fg_ir::lower(&a.model, &a.sources)
}

/// A state as `fgc apply` leaves it: the service, its task definition and, for blue/green,
/// the deployment group.
fn state(ir: &fg_ir::Ir, blue_green: bool) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fgc-release-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("state.json");
    let mut s = State::new(&ir.app, &ir.env, &ir.region);
    let attrs = |id: &str| serde_json::to_value(&ir.get(id).expect("in the IR").attrs).expect("attrs");
    let outputs = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    s.resources.insert(
        "service.api/service".into(),
        Deployed {
            kind: "aws_ecs_service".into(),
            physical: SVC.into(),
            attrs: attrs("service.api/service"),
            outputs: outputs(&[("cluster", "shop"), ("name", "shop-api"), ("arn", SVC)]),
            depends_on: Vec::new(),
        },
    );
    s.resources.insert(
        "service.api/task".into(),
        Deployed {
            kind: "aws_ecs_task_definition".into(),
            physical: TD1.into(),
            attrs: attrs("service.api/task"),
            outputs: outputs(&[("arn", TD1), ("revision", "1"), ("family", "shop-api")]),
            depends_on: Vec::new(),
        },
    );
    if blue_green {
        s.resources.insert(
            "service.api/deployment-group".into(),
            Deployed {
                kind: "aws_codedeploy_deployment_group".into(),
                physical: "shop-api|shop-api".into(),
                attrs: attrs("service.api/deployment-group"),
                outputs: outputs(&[("app_name", "shop-api"), ("deployment_group_name", "shop-api")]),
                depends_on: Vec::new(),
            },
        );
    }
    std::fs::write(&path, serde_json::to_string(&s).expect("json")).expect("write state");
    path
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn run(endpoint: String, state: std::path::PathBuf) -> Run {
    Run {
        target: Target {
            region: "eu-west-1".into(),
            profile: None,
            endpoint: Some(endpoint),
            credentials: Some(("testing".into(), "testing".into())),
        },
        state,
        parallel: 1,
        wait: Some(Duration::from_secs(10)),
        poll: Duration::from_millis(10),
        refresh: true,
    }
}

fn task_definition(arn: &str, image: &str) -> Value {
    json!({"taskDefinition": {
        "taskDefinitionArn": arn, "family": "shop-api", "revision": arn.rsplit(':').next().unwrap_or("1").parse::<i64>().unwrap_or(1),
        "containerDefinitions": [
            {"name": "api", "image": image, "essential": true, "portMappings": [{"containerPort": 8080, "protocol": "tcp"}]},
            {"name": "envoy", "image": "envoyproxy/envoy:v1.31", "essential": false}
        ],
        "cpu": "256", "memory": "512", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "arn:aws:iam::1:role/shop-api-execution", "status": "ACTIVE"
    }, "tags": [{"key": "fgc:id", "value": "service.api/task"}]})
}

fn service(task: &str, deployments: Value, running: i32, events: &[&str]) -> Value {
    let events: Vec<Value> = events
        .iter()
        .map(|e| json!({"id": e, "message": format!("(service shop-api) {e}"), "createdAt": 1.0}))
        .collect();
    json!({"services": [{
        "serviceName": "shop-api", "serviceArn": SVC, "status": "ACTIVE", "taskDefinition": task,
        "desiredCount": 2, "runningCount": running, "pendingCount": 0, "deployments": deployments, "events": events
    }], "failures": []})
}

fn ops(log: &Log) -> Vec<String> {
    log.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(o, _)| o.clone()).collect()
}

fn body_of(log: &Log, op: &str) -> Value {
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(o, _)| o == op)
        .map(|(_, b)| b.clone())
        .unwrap_or_default()
}

fn steps() -> (Arc<Mutex<Vec<Step>>>, impl Fn(Step) + Send + Sync) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (seen, move |p| s.lock().unwrap_or_else(|e| e.into_inner()).push(p))
}

fn read_state(path: &std::path::Path) -> State {
    serde_json::from_str(&std::fs::read_to_string(path).expect("state")).expect("state JSON")
}

#[tokio::test]
async fn a_rolling_release_changes_only_the_image_and_waits_for_stability() {
    let ir = ir("rolling");
    let (endpoint, log) = fake(Box::new(|op, _, n| match op {
        "DescribeServices" if n == 0 => {
            service(TD1, json!([{"id": "d1", "status": "PRIMARY", "rolloutState": "COMPLETED"}]), 2, &["old"])
        }
        "DescribeServices" if n == 1 => service(
            TD2,
            json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"id": "d1", "status": "ACTIVE"}]),
            1,
            &["started 1 task", "old"],
        ),
        "DescribeServices" => service(
            TD2,
            json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "COMPLETED"}]),
            2,
            &["reached a steady state", "started 1 task", "old"],
        ),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        "RegisterTaskDefinition" => task_definition(TD2, NEW),
        "UpdateService" => json!({"service": {"serviceArn": SVC}}),
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, false);
    let (seen, on) = steps();
    let out = release(&ir, &run(endpoint, path.clone()), "api", NEW, &on).await;
    assert_eq!(out, Ok(Released::Done { task_definition: TD2.into(), waited: true, calls: 2 }));
    let calls = ops(&log);
    assert_eq!(
        calls.iter().filter(|o| !o.starts_with("Describe")).collect::<Vec<_>>(),
        ["RegisterTaskDefinition", "UpdateService"],
        "only the task definition and the service change: {calls:?}"
    );
    // The revision is the old one with one image changed: sidecars, sizes, roles kept.
    let reg = body_of(&log, "RegisterTaskDefinition");
    assert_eq!(reg["family"], "shop-api");
    assert_eq!(reg["cpu"], "256");
    assert_eq!(reg["executionRoleArn"], "arn:aws:iam::1:role/shop-api-execution");
    assert_eq!(reg["containerDefinitions"][0]["image"], NEW);
    assert_eq!(reg["containerDefinitions"][1]["image"], "envoyproxy/envoy:v1.31");
    assert_eq!(reg["tags"][0]["key"], "fgc:id");
    assert_eq!(body_of(&log, "UpdateService")["taskDefinition"], TD2);
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(seen.contains(&Step::Registered { task_definition: TD2.into() }), "{seen:?}");
    assert!(
        seen.iter().any(
            |s| matches!(s, Step::Ecs(crate::ecs::Progress::Event { message, .. }) if message.contains("steady state"))
        ),
        "{seen:?}"
    );
    // The state now names the new revision and remembers the release.
    let after = read_state(&path);
    assert_eq!(after.resources["service.api/task"].physical, TD2);
    let release = &after.releases["service.api"];
    assert_eq!(release.image, NEW);
    assert_eq!(release.source, json!({"type": "str", "value": OLD}));
    assert_eq!(
        image_slot(&after.resources["service.api/task"].attrs, "api"),
        Some(&json!({"type": "str", "value": NEW}))
    );
}

#[tokio::test]
async fn the_same_image_again_changes_nothing() {
    let ir = ir("rolling");
    let (endpoint, log) = fake(Box::new(|op, _, _| match op {
        "DescribeServices" => service(TD1, json!([{"id": "d1", "status": "PRIMARY"}]), 2, &[]),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, false);
    let before = std::fs::read_to_string(&path).expect("state");
    let (_, on) = steps();
    let out = release(&ir, &run(endpoint, path.clone()), "api", OLD, &on).await;
    assert_eq!(out, Ok(Released::Unchanged { image: OLD.into() }));
    assert_eq!(ops(&log), ["DescribeServices", "DescribeTaskDefinition"]);
    assert_eq!(std::fs::read_to_string(&path).expect("state"), before, "the state is not rewritten");
}

#[tokio::test]
async fn a_rollback_by_the_circuit_breaker_is_reported_with_the_stopped_tasks_reasons() {
    let ir = ir("rolling");
    let (endpoint, _) = fake(Box::new(|op, _, n| match op {
        "DescribeServices" if n == 0 => service(TD1, json!([{"id": "d1", "status": "PRIMARY"}]), 2, &[]),
        "DescribeServices" => service(
            TD1,
            json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "FAILED",
                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."}, {"id": "d1", "status": "ACTIVE"}]),
            2,
            &["rolling back"],
        ),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        "RegisterTaskDefinition" => task_definition(TD2, NEW),
        "UpdateService" => json!({"service": {"serviceArn": SVC}}),
        "ListTasks" => {
            json!({"taskArns": ["arn:aws:ecs:eu-west-1:1:task/shop/1", "arn:aws:ecs:eu-west-1:1:task/shop/0"]})
        }
        "DescribeTasks" => json!({"tasks": [
            {"taskArn": "arn:aws:ecs:eu-west-1:1:task/shop/1", "taskDefinitionArn": TD2,
             "stoppedReason": "Essential container in task exited",
             "containers": [{"name": "api", "exitCode": 1, "reason": "CannotPullContainerError: ghcr.io/acme/api:1.1.0 not found"}]},
            {"taskArn": "arn:aws:ecs:eu-west-1:1:task/shop/0", "taskDefinitionArn": TD1, "stoppedReason": "Scaling activity"}
        ], "failures": []}),
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, false);
    let (_, on) = steps();
    let out = release(&ir, &run(endpoint, path.clone()), "api", NEW, &on).await;
    let err = out.expect_err("the release failed");
    assert!(err.message.contains("rolled back"), "{}", err.message);
    assert!(err.message.contains("circuit breaker"), "{}", err.message);
    assert!(err.message.contains("CannotPullContainerError"), "the stopped task's reason is reported: {}", err.message);
    assert!(!err.message.contains("Scaling activity"), "tasks of other revisions are not: {}", err.message);
    let after = read_state(&path);
    assert_eq!(after.resources["service.api/task"].physical, TD1, "a failed release is not recorded");
    assert!(after.releases.is_empty());
}

#[tokio::test]
async fn a_service_that_never_stabilises_is_rolled_back_by_fgc() {
    let ir = ir("rolling");
    let (endpoint, log) = fake(Box::new(|op, _, n| match op {
        "DescribeServices" if n == 0 => service(TD1, json!([{"id": "d1", "status": "PRIMARY"}]), 2, &[]),
        "DescribeServices" => service(
            TD2,
            json!([{"id": "d2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"id": "d1", "status": "ACTIVE"}]),
            1,
            &[],
        ),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        "RegisterTaskDefinition" => task_definition(TD2, NEW),
        "UpdateService" => json!({"service": {"serviceArn": SVC}}),
        "ListTasks" => json!({"taskArns": []}),
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, false);
    let (seen, on) = steps();
    let mut r = run(endpoint, path);
    r.wait = Some(Duration::from_millis(100));
    let err = release(&ir, &r, "api", NEW, &on).await.expect_err("not stable");
    assert!(err.message.contains("rolled the service back"), "{}", err.message);
    let updates: Vec<Value> = log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(o, _)| o == "UpdateService")
        .map(|(_, b)| b["taskDefinition"].clone())
        .collect();
    assert_eq!(updates, [json!(TD2), json!(TD1)], "to the new revision, then back");
    assert!(seen.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|s| matches!(s, Step::RollingBack { .. })));
}

#[tokio::test]
async fn a_blue_green_release_goes_through_codedeploy() {
    let ir = ir("blue_green");
    let (endpoint, log) = fake(Box::new(|op, _, n| match op {
        "DescribeServices" => service(TD1, json!([{"id": "d1", "status": "PRIMARY"}]), 2, &[]),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        "RegisterTaskDefinition" => task_definition(TD2, NEW),
        "CreateDeployment" => json!({"deploymentId": "d-ABC"}),
        "GetDeployment" => {
            let status = ["Created", "InProgress", "InProgress", "Succeeded"][n.min(3)];
            json!({"deploymentInfo": {"deploymentId": "d-ABC", "status": status}})
        }
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, true);
    let (seen, on) = steps();
    let out = release(&ir, &run(endpoint, path.clone()), "api", NEW, &on).await;
    assert_eq!(out, Ok(Released::Done { task_definition: TD2.into(), waited: true, calls: 2 }));
    assert!(!ops(&log).contains(&"UpdateService".to_string()), "CodeDeploy moves the service, not fgc");
    let create = body_of(&log, "CreateDeployment");
    assert_eq!(create["applicationName"], "shop-api");
    assert_eq!(create["deploymentGroupName"], "shop-api");
    let appspec: Value =
        serde_json::from_str(create["revision"]["appSpecContent"]["content"].as_str().expect("appspec")).expect("JSON");
    let target = &appspec["Resources"][0]["TargetService"]["Properties"];
    assert_eq!(target["TaskDefinition"], TD2);
    assert_eq!(target["LoadBalancerInfo"], json!({"ContainerName": "api", "ContainerPort": 8080}));
    let statuses: Vec<String> = seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(|s| match s {
            Step::DeploymentStatus { status, .. } => Some(status.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, ["Created", "InProgress", "Succeeded"], "each status once, in order");
    assert_eq!(read_state(&path).resources["service.api/task"].physical, TD2);
}

#[tokio::test]
async fn a_failed_blue_green_release_reports_codedeploys_reason_and_rollback() {
    let ir = ir("blue_green");
    let (endpoint, _) = fake(Box::new(|op, _, n| match op {
        "DescribeServices" => service(TD1, json!([{"id": "d1", "status": "PRIMARY"}]), 2, &[]),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        "RegisterTaskDefinition" => task_definition(TD2, NEW),
        "CreateDeployment" => json!({"deploymentId": "d-ABC"}),
        "GetDeployment" if n == 0 => json!({"deploymentInfo": {"deploymentId": "d-ABC", "status": "InProgress"}}),
        "GetDeployment" => json!({"deploymentInfo": {"deploymentId": "d-ABC", "status": "Failed",
            "errorInformation": {"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated: shop-api-http-5xx-green"},
            "rollbackInfo": {"rollbackDeploymentId": "d-XYZ", "rollbackMessage": "Rolled back by d-XYZ"}}}),
        "ListTasks" => json!({"taskArns": []}),
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, true);
    let (_, on) = steps();
    let err = release(&ir, &run(endpoint, path.clone()), "api", NEW, &on).await.expect_err("failed");
    assert!(err.message.contains("ALARM_ACTIVE"), "{}", err.message);
    assert!(err.message.contains("shop-api-http-5xx-green"), "{}", err.message);
    assert!(err.message.contains("Rolled back by d-XYZ"), "{}", err.message);
    assert_eq!(read_state(&path).resources["service.api/task"].physical, TD1);
}

#[tokio::test]
async fn a_service_that_is_not_deployed_or_not_declared_is_explained() {
    let ir = ir("rolling");
    let (endpoint, log) = fake(Box::new(|op, _, _| panic!("no call expected, got {op}")));
    let dir = std::env::temp_dir().join(format!("fgc-release-empty-{}-{}", std::process::id(), rand_suffix()));
    let (_, on) = steps();
    let err =
        release(&ir, &run(endpoint.clone(), dir.join("state.json")), "api", NEW, &on).await.expect_err("no state");
    assert!(err.message.contains("not deployed"), "{}", err.message);
    let err =
        release(&ir, &run(endpoint, dir.join("state.json")), "apii", NEW, &on).await.expect_err("no such service");
    assert_eq!(err.message, "the stack has no service `apii`");
    assert_eq!(err.help.as_deref(), Some("its services are `api`"));
    assert!(ops(&log).is_empty());
}

#[test]
fn apply_keeps_a_released_image_until_the_source_names_another() {
    let ir = ir("rolling");
    let mut s = State::new(&ir.app, &ir.env, &ir.region);
    s.releases.insert(
        "service.api".into(),
        fg_deploy::Release {
            image: NEW.into(),
            source: json!({"type": "str", "value": OLD}),
            task_definition: TD2.into(),
        },
    );
    let mut want = fg_deploy::desired(&ir);
    assert!(with_releases(&mut want, &s).is_empty());
    let task = want.iter().find(|d| d.id == "service.api/task").expect("task");
    assert_eq!(image_slot(&task.attrs, "api"), Some(&json!({"type": "str", "value": NEW})));
    // The source moved on: its image wins and the release is stale.
    s.releases.get_mut("service.api").expect("release").source =
        json!({"type": "str", "value": "ghcr.io/acme/api:0.9.0"});
    let mut want = fg_deploy::desired(&ir);
    assert_eq!(with_releases(&mut want, &s), ["service.api"]);
    let task = want.iter().find(|d| d.id == "service.api/task").expect("task");
    assert_eq!(image_slot(&task.attrs, "api"), Some(&json!({"type": "str", "value": OLD})));
}

#[tokio::test]
async fn a_blue_green_release_past_its_time_is_stopped_and_rolled_back() {
    let ir = ir("blue_green");
    let (endpoint, log) = fake(Box::new(|op, _, _| match op {
        "DescribeServices" => service(TD1, json!([{"id": "d1", "status": "PRIMARY"}]), 2, &[]),
        "DescribeTaskDefinition" => task_definition(TD1, OLD),
        "RegisterTaskDefinition" => task_definition(TD2, NEW),
        "CreateDeployment" => json!({"deploymentId": "d-ABC"}),
        "GetDeployment" => json!({"deploymentInfo": {"deploymentId": "d-ABC", "status": "InProgress"}}),
        "StopDeployment" => json!({"status": "Pending", "statusMessage": "stopping"}),
        other => panic!("unexpected call {other}"),
    }));
    let path = state(&ir, true);
    let (_, on) = steps();
    let mut r = run(endpoint, path.clone());
    r.wait = Some(Duration::from_millis(100));
    let err = release(&ir, &r, "api", NEW, &on).await.expect_err("timed out");
    assert!(err.message.contains("fgc stopped it"), "{}", err.message);
    let stop = body_of(&log, "StopDeployment");
    assert_eq!(stop, json!({"deploymentId": "d-ABC", "autoRollbackEnabled": true}));
    assert_eq!(read_state(&path).resources["service.api/task"].physical, TD1);
}
