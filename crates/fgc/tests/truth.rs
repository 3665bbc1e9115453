//! `fgc apply` tells the truth, checked against moto's server through boto3 (never through
//! fgc's own state): every example and case, applied, is read back attribute by attribute
//! and equals its IR; single-field edits across every kind reach AWS; the app's tags reach
//! every resource and a removed tag goes; changes made by hand are shown as drift and
//! undone; what the source names outside the stack is checked before anything changes;
//! a replaced task definition is registered before the service moves and deregistered
//! after; an answer that is not AWS's is shown as its status and an excerpt.
//!
//! `readback.py` (beside this file) does the reading; it lists the attributes moto 5.2.5
//! does not return (its `MOTO_GAPS`), and skips only those, only when moto's answer lacks
//! them.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A stack copied into a test folder, with its state file beside it.
struct Stack {
    dir: PathBuf,
    file: PathBuf,
    state: PathBuf,
    env: Option<&'static str>,
    region: String,
    url: String,
}

impl Stack {
    fn new(name: &str, source: &str, env: Option<&'static str>, moto: &Moto) -> Stack {
        let dir = temp_dir(name);
        let file = dir.join("stack.fg");
        std::fs::write(&file, source).expect("write stack");
        let region = region_of(&file);
        Stack { state: dir.join("state.json"), dir, file, env, region, url: moto.url() }
    }

    fn run(&self, command: &str, extra: &[&str]) -> std::process::Output {
        let (file, st) = (self.file.to_string_lossy().to_string(), self.state.to_string_lossy().to_string());
        let mut args = vec![command, &file, "--state", &st];
        if let Some(e) = self.env {
            args.extend(["--env", e]);
        }
        if command == "apply" {
            args.extend(["--auto-approve", "--no-wait"]);
        }
        args.extend(extra);
        fgc(&args, &self.url, &self.dir)
    }

    fn edit(&self, from: &str, to: &str) {
        let source = std::fs::read_to_string(&self.file).expect("read stack");
        assert!(source.contains(from), "`{from}` is not in {}", self.file.display());
        std::fs::write(&self.file, source.replacen(from, to, 1)).expect("edit stack");
    }

    fn readback(&self) -> Vec<String> {
        problems(&readback(&self.url, &self.region, &self.file, self.env, &self.state))
    }
}

fn source(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("read stack")
}

/// moto refuses a maintenance window touching the backup window (AWS accepts it): the seed's
/// windows are shifted half an hour here.
fn for_moto(source: String) -> String {
    source.replace("sun:02:00-sun:04:00", "sun:02:00-sun:03:30")
}

/// `everything.fg` with what it names outside the stack created in the emulator, and its
/// certificate ARN replaced by the one moto made.
fn everything(moto: &Moto, name: &str, env: &'static str) -> Stack {
    let arn = seed_outside(&moto.url(), "eu-central-1");
    let text = source("tests/terraform/cases/everything.fg")
        .replace("arn:aws:acm:eu-central-1:123456789012:certificate/abc", &arn);
    Stack::new(name, &text, Some(env), moto)
}

/// Every example and case in every environment: applied, read back equal to its IR, and
/// planned again with nothing to change and no drift (the refresh agrees with AWS).
#[test]
fn every_stack_round_trips_through_aws() {
    let mut failures = Vec::new();
    let mut stacks: Vec<(String, String, Option<&'static str>)> = Vec::new();
    for name in
        ["two-services-path-routing", "messages-with-mysql", "spot-autoscaled-service", "private-backend-blue-green"]
    {
        stacks.push((name.into(), for_moto(source(&format!("examples/{name}.fg"))), None));
    }
    for env in ["staging", "production"] {
        stacks.push(("step-scaled-ha-app".into(), source("examples/step-scaled-ha-app.fg"), Some(env)));
    }
    stacks.push(("public-tasks-no-nat".into(), source("tests/terraform/cases/public-tasks-no-nat.fg"), None));
    // moto has no CreateDeploymentConfig (it answers 500): the case's canary and linear
    // shifts use fgc's own configurations, so here they shift all at once (a predefined
    // configuration); everything else of the case is kept.
    let canary = source("tests/terraform/cases/canary-api.fg")
        .replace("    shift           = canary\n    shift_percent   = 20%\n    shift_interval  = 2m\n", "")
        .replace("    shift                    = linear\n", "");
    for env in ["staging", "prod"] {
        stacks.push(("canary-api".into(), canary.clone(), Some(env)));
    }
    for (name, source_text, env) in stacks {
        let moto = Moto::start();
        let label = format!("{name} ({})", env.unwrap_or("default"));
        let stack = Stack::new(&format!("rt-{name}-{}", env.unwrap_or("default")), &source_text, env, &moto);
        if name == "canary-api" {
            boto(
                &moto.url(),
                &stack.region,
                r#"client("cloudwatch").put_metric_alarm(AlarmName="ledger-p99-latency", MetricName="Latency", Namespace="Ledger", Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold"); print("null")"#,
                &[],
            );
        }
        let o = stack.run("apply", &[]);
        if o.status.code() != Some(2) {
            failures.push(format!("{label}: apply failed:\n{}", text(&o)));
            continue;
        }
        let p = stack.readback();
        if !p.is_empty() {
            failures.push(format!("{label}: AWS differs from the IR after apply:\n  {}", p.join("\n  ")));
        }
        let o = stack.run("plan", &[]);
        if o.status.code() != Some(0) {
            failures
                .push(format!("{label}: a plan right after apply is not empty (a refresh disagrees):\n{}", text(&o)));
        }
        let o = stack.run("plan", &["--drift"]);
        if o.status.code() != Some(0) || !text(&o).contains("No drift") {
            failures.push(format!("{label}: drift right after apply:\n{}", text(&o)));
        }
    }
    for (name, env) in [("dev-everything", "dev"), ("prod-everything", "prod")] {
        let moto = Moto::start();
        let stack = everything(&moto, name, env);
        let o = stack.run("apply", &[]);
        if o.status.code() != Some(2) {
            failures.push(format!("{name}: apply failed:\n{}", text(&o)));
            continue;
        }
        let p = stack.readback();
        if !p.is_empty() {
            failures.push(format!("{name}: AWS differs from the IR after apply:\n  {}", p.join("\n  ")));
        }
        let o = stack.run("plan", &[]);
        if o.status.code() != Some(0) {
            failures.push(format!("{name}: a plan right after apply is not empty:\n{}", text(&o)));
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Single-field edits across every kind the examples use, each applied and read back
/// from AWS, then planned again with nothing left to do. Each edit must make calls (it
/// reached AWS) and leave AWS equal to the new IR.
#[test]
fn single_field_edits_reach_aws() {
    let mut failures = Vec::new();
    let mut done = 0;
    let mut check = |stack: &Stack, what: &str, from: &str, to: &str| {
        stack.edit(from, to);
        let o = stack.run("apply", &[]);
        if o.status.code() != Some(2) || calls(&o) == 0 {
            failures.push(format!("{what}: apply exit {:?}, {} calls:\n{}", o.status.code(), calls(&o), text(&o)));
            return;
        }
        let p = stack.readback();
        if !p.is_empty() {
            failures.push(format!("{what}: AWS differs from the IR:\n  {}", p.join("\n  ")));
        }
        let o = stack.run("plan", &[]);
        if o.status.code() != Some(0) {
            failures.push(format!("{what}: not converged:\n{}", text(&o)));
        }
        done += 1;
    };

    let moto = Moto::start();
    let s = everything(&moto, "edits-everything", "dev");
    let o = s.run("apply", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    check(
        &s,
        "cluster setting",
        "environments = [dev, prod]",
        "environments = [dev, prod]\n  container_insights = false",
    );
    check(&s, "balancer idle timeout", "idle_timeout = 120s", "idle_timeout = 60s");
    check(
        &s,
        "target group health check",
        "health { path = \"/healthz\", matcher = \"200,204\" }",
        "health { path = \"/ready\", matcher = \"200\" }",
    );
    check(
        &s,
        "listener default",
        "respond(404, \"{\\\"error\\\":\\\"not found\\\"}\"",
        "respond(503, \"{\\\"error\\\":\\\"not found\\\"}\"",
    );
    check(&s, "listener rule condition", "route \"/api/*\" host", "route \"/v2/*\" host");
    check(&s, "listener rule priority", "-> api priority 5", "-> api priority 7");
    check(&s, "task size", "memory = 1GiB\n  port   = 3000", "memory = 2GiB\n  port   = 3000");
    check(&s, "environment", "RUST_LOG = \"info\"", "RUST_LOG = \"debug\"");
    check(&s, "secret", "ssm(\"/shop/signing-key\")", "ssm(\"/shop/signing-key-2\")");
    check(&s, "log retention", "log_retention = 90d", "log_retention = 30d");
    check(
        &s,
        "deployment settings",
        "  capacity = { on_demand = 1, spot = 3, base = 1 }\n",
        "  capacity = { on_demand = 1, spot = 3, base = 1 }\n  deployment { min_healthy = 50%, max = 150% }\n",
    );
    check(
        &s,
        "capacity provider strategy",
        "capacity = { on_demand = 1, spot = 3, base = 1 }",
        "capacity = { on_demand = 1, spot = 2, base = 1 }",
    );
    check(&s, "health check grace period", "grace     = 60s", "grace     = 90s");
    check(&s, "scaling bounds", "max               = 10", "max               = 12");
    check(&s, "target tracking policy", "target cpu 60%", "target cpu 50%");
    check(&s, "step policy", "step cpu >= 85% for 3 x 60s => +3", "step cpu >= 85% for 3 x 60s => +4");
    check(&s, "alarm threshold", "step cpu <= 20% for 10 x 60s => -1", "step cpu <= 25% for 10 x 60s => -1");
    check(&s, "scheduled action", "cron = \"0 22 ? * * *\"", "cron = \"0 23 ? * * *\"");
    check(
        &s,
        "command",
        "command = [\"serve\", \"--port\", \"8080\"]",
        "command = [\"serve\", \"--port\", \"8080\", \"--verbose\"]",
    );
    check(&s, "read-only root", "readonly_root = true", "readonly_root = false");
    check(&s, "sidecar image", "aws-otel-collector:v0.40.0", "aws-otel-collector:v0.41.0");
    check(&s, "RDS backup retention", "backup_retention   = 14d", "backup_retention   = 7d");
    check(&s, "RDS instance class", "class              = \"db.t4g.small\"", "class              = \"db.t4g.medium\"");
    check(&s, "RDS storage", "storage            = 50GiB", "storage            = 60GiB");
    check(
        &s,
        "RDS maintenance window",
        "maintenance_window = \"sun:03:30-sun:04:30\"",
        "maintenance_window = \"sun:05:00-sun:06:00\"",
    );
    check(&s, "VPC endpoints", "endpoints = [s3, secretsmanager, ssm]", "endpoints = [s3, secretsmanager, ssm, logs]");
    check(&s, "flow logs off", "flow_logs = true", "flow_logs = false");

    let moto = Moto::start();
    let s = Stack::new("edits-seed002", &source("examples/two-services-path-routing.fg"), None, &moto);
    assert_eq!(s.run("apply", &[]).status.code(), Some(2));
    // The app's tags reach every resource, and a removed one goes. (Here, because moto has
    // no tagging of scalable targets or API stages, which the other stacks have.)
    let region = "region = \"us-east-1\"";
    check(
        &s,
        "app tags added",
        region,
        "region = \"us-east-1\"\n  tags   = { team = \"payments\", \"cost-center\" = \"42\" }",
    );
    check(&s, "app tag changed", "team = \"payments\"", "team = \"blue\"");
    check(&s, "app tag removed", ", \"cost-center\" = \"42\" }", " }");
    check(&s, "desired count", "count  = 2", "count  = 3");
    check(&s, "image (a new revision)", "phamtrongnghia1105/user-svc\"", "phamtrongnghia1105/user-svc:2\"");
    check(&s, "health check interval", "interval  = 10s", "interval  = 15s");

    let moto = Moto::start();
    let s = Stack::new("edits-seed004", &source("examples/private-backend-blue-green.fg"), None, &moto);
    assert_eq!(s.run("apply", &[]).status.code(), Some(2));
    check(&s, "ECR lifecycle", "keep = 10", "keep = 20");
    check(&s, "API route", "route \"/dev/{proxy+}\" -> backend", "route \"GET /dev/{proxy+}\" -> backend");
    check(&s, "scaling step bound", "max = max_scaled_task_count", "max = 6");
    // Edits moto 5.2.5 cannot represent, so not run here (fgc sends them; readback.py and
    // the module's own tests say why):
    // - `scan_on_push = false`: the SDK leaves a false boolean out, which ECR reads as
    //   false, while moto ignores the empty configuration (ecr/models.py, 196-200);
    // - `rate_limit` on an API: moto has no UpdateStage (apigatewayv2/urls.py);
    // - `rollback_alarms` of a blue/green service: moto has no UpdateDeploymentGroup
    //   (codedeploy/responses.py), and answers its alarm configuration as `{}`.

    assert!(failures.is_empty(), "{} of the edits failed:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(done >= 30, "only {done} edits ran");
}

/// Changes made by hand through boto3 (a desired count, a rule added to a security group,
/// a listener's default, a tag, a log group deleted) are shown apart as drift by `fgc plan`
/// and `fgc plan --drift`, and `fgc apply` restores all of them.
#[test]
fn drift_made_by_hand_is_seen_and_undone() {
    let moto = Moto::start();
    let s = Stack::new("drift", &source("examples/two-services-path-routing.fg"), None, &moto);
    assert_eq!(s.run("apply", &[]).status.code(), Some(2));
    let st = state(&s.state);
    let physical = |id: &str| st["resources"][id]["physical"].as_str().unwrap_or_default().to_string();
    let cluster =
        st["resources"]["service.user-svc/service"]["outputs"]["cluster"].as_str().unwrap_or_default().to_string();
    const EDIT: &str = r#"
cluster, service, group, listener, logs, vpc = sys.argv[3:9]
client("ecs").update_service(cluster=cluster, service=service, desiredCount=5)
client("ec2").authorize_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
client("elbv2").modify_listener(ListenerArn=listener, DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"}}])
client("logs").delete_log_group(logGroupName=logs)
client("ec2").create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "renamed-by-hand"}, {"Key": "owner", "Value": "someone"}])
print("null")
"#;
    let args = [
        cluster.as_str(),
        &physical("service.user-svc/service"),
        &physical("balancer.alb/sg"),
        &physical("balancer.alb/listener/80"),
        &physical("service.product-svc/logs"),
        &physical("network.main/vpc"),
    ];
    boto(&s.url, &s.region, EDIT, &args);

    let o = s.run("plan", &["--drift", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("drift JSON");
    let drifted: Vec<&String> = report["drift"].as_object().map(|d| d.keys().collect()).unwrap_or_default();
    for id in [
        "service.user-svc/service",
        "balancer.alb/sg",
        "balancer.alb/listener/80",
        "service.product-svc/logs",
        "network.main/vpc",
    ] {
        assert!(drifted.iter().any(|d| *d == id), "`{id}` not reported as drift: {report:#}");
    }
    assert_eq!(report["drift"]["service.product-svc/logs"]["gone"], true, "{report:#}");

    let o = s.run("plan", &[]);
    let plan = text(&o);
    assert_eq!(o.status.code(), Some(2), "{plan}");
    assert!(plan.contains("~ desired_count = 5 -> 2 # changed outside fgc"), "{plan}");
    assert!(plan.contains("unmanaged_rules") && plan.contains("# changed outside fgc"), "{plan}");
    assert!(plan.contains("# service.product-svc/logs will be created again (deleted outside fgc)"), "{plan}");
    assert!(plan.contains("default_action") && plan.contains("\"503\""), "{plan}");
    assert!(plan.contains("tags_all") || plan.contains("renamed-by-hand"), "{plan}");

    let o = s.run("apply", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let p = s.readback();
    assert!(p.is_empty(), "AWS differs from the IR after undoing the drift:\n  {}", p.join("\n  "));
    let extra = boto(
        &s.url,
        &s.region,
        r#"rules = client("ec2").describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sys.argv[3]]}])["SecurityGroupRules"]
print(json.dumps([r.get("FromPort") for r in rules if not r["IsEgress"]]))"#,
        &[&physical("balancer.alb/sg")],
    );
    assert!(
        !extra.as_array().is_some_and(|ports| ports.contains(&serde_json::json!(22))),
        "the rule added by hand stayed: {extra}"
    );
    let o = s.run("plan", &["--drift"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(s.run("plan", &[]).status.code(), Some(0));

    // `--refresh=false` plans against the state alone: drift made now is not seen.
    boto(
        &s.url,
        &s.region,
        r#"client("ecs").update_service(cluster=sys.argv[3], service=sys.argv[4], desiredCount=7); print("null")"#,
        &[&cluster, &physical("service.user-svc/service")],
    );
    assert_eq!(s.run("plan", &["--refresh=false"]).status.code(), Some(0));
    assert_eq!(s.run("plan", &[]).status.code(), Some(2));
}

/// A changed image registers the new revision, moves the service to it, and only then
/// deregisters the old one: the service never points at a deregistered revision.
#[test]
fn a_new_revision_exists_before_the_old_one_goes() {
    let moto = Moto::start();
    let s = Stack::new("cbd", &source("examples/two-services-path-routing.fg"), None, &moto);
    assert_eq!(s.run("apply", &[]).status.code(), Some(2));
    let old =
        state(&s.state)["resources"]["service.user-svc/task"]["physical"].as_str().unwrap_or_default().to_string();
    s.edit("phamtrongnghia1105/user-svc\"", "phamtrongnghia1105/user-svc:2\"");
    let o = s.run("apply", &[]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("+/- aws_ecs_task_definition \"service.user-svc/task\""), "{out}");
    let at = |needle: &str| out.find(needle).unwrap_or_else(|| panic!("`{needle}` not in:\n{out}"));
    let registered = at("done    service.user-svc/task\n");
    let moved = at("done    service.user-svc/service\n");
    let deregistered = at(&format!("done    service.user-svc/task ({old})"));
    assert!(registered < moved && moved < deregistered, "{out}");
    let st = state(&s.state);
    assert!(st["deposed"].as_array().is_none_or(|d| d.is_empty()), "{st:#}");
    let new = st["resources"]["service.user-svc/task"]["physical"].as_str().unwrap_or_default().to_string();
    let live = boto(
        &s.url,
        &s.region,
        r#"ecs = client("ecs")
svc = ecs.describe_services(cluster=sys.argv[3], services=[sys.argv[4]])["services"][0]["taskDefinition"]
print(json.dumps({"service": svc, "old": ecs.describe_task_definition(taskDefinition=sys.argv[5])["taskDefinition"]["status"]}))"#,
        &[
            st["resources"]["service.user-svc/service"]["outputs"]["cluster"].as_str().unwrap_or_default(),
            st["resources"]["service.user-svc/service"]["physical"].as_str().unwrap_or_default(),
            &old,
        ],
    );
    assert_eq!(live["service"], serde_json::json!(new), "{live}");
    assert_eq!(live["old"], "INACTIVE", "{live}");
}

/// What the source names outside the stack and AWS lacks is refused before the first
/// change, as diagnostics at the `.fg` spans (golden: `tests/preflight/*.diag`), and
/// nothing is created.
#[test]
fn preflight_refuses_before_anything_changes() {
    let mut failures = Vec::new();
    let moto = Moto::start();
    // Nothing seeded: the certificate, the parameter, the secret and the image are missing.
    let missing = Stack::new("preflight-missing", &source("tests/terraform/cases/everything.fg"), Some("dev"), &moto);
    // Seeded, but the secret lacks its key, and the certificate is another region's.
    let moto2 = Moto::start();
    let arn = seed_outside(&moto2.url(), "eu-central-1");
    boto(
        &moto2.url(),
        "eu-central-1",
        r#"client("secretsmanager").put_secret_value(SecretId="shop/stripe", SecretString=json.dumps({"other": "x"})); print("null")"#,
        &[],
    );
    let elsewhere = arn.replace("eu-central-1", "us-west-2");
    let text_wrong = source("tests/terraform/cases/everything.fg")
        .replace("arn:aws:acm:eu-central-1:123456789012:certificate/abc", &elsewhere);
    let wrong = Stack::new("preflight-wrong", &text_wrong, Some("dev"), &moto2);
    // A blue/green rollback that names an alarm that does not exist.
    let moto3 = Moto::start();
    let canary = source("tests/terraform/cases/canary-api.fg");
    let alarm = Stack::new("preflight-alarm", &canary, Some("staging"), &moto3);
    for (name, s) in [("everything-missing", &missing), ("everything-wrong", &wrong), ("canary-api-alarm", &alarm)] {
        for command in ["plan", "apply"] {
            let extra: &[&str] = if command == "plan" { &["--format", "json"] } else { &[] };
            let o = s.run(command, extra);
            if o.status.code() != Some(1) {
                failures.push(format!("{name}: `fgc {command}` was not refused:\n{}", text(&o)));
                continue;
            }
            if command == "apply" {
                if !text(&o).contains("nothing changed") {
                    failures.push(format!("{name}: apply's refusal does not say nothing changed:\n{}", text(&o)));
                }
                continue;
            }
            let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
            let lines: Vec<String> = out["diagnostics"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|d| {
                    format!(
                        "{} {} {}:{}:{} {}",
                        d["code"].as_str().unwrap_or(""),
                        d["severity"].as_str().unwrap_or(""),
                        Path::new(d["span"]["file"].as_str().unwrap_or(""))
                            .file_name()
                            .map(|f| f.to_string_lossy())
                            .unwrap_or_default(),
                        d["span"]["line"],
                        d["span"]["column"],
                        d["message"].as_str().unwrap_or("").replace(&elsewhere, "<certificate>")
                    )
                })
                .collect();
            let golden = root().join(format!("tests/preflight/{name}.diag"));
            if let Some(f) = fg_tests_golden(&golden, &(lines.join("\n") + "\n")) {
                failures.push(f);
            }
        }
        let st = s.state.exists().then(|| state(&s.state));
        if st.as_ref().is_some_and(|st| st["resources"].as_object().is_some_and(|r| !r.is_empty())) {
            failures.push(format!("{name}: the state records resources after a refusal"));
        }
        let vpcs = boto(
            &s.url,
            &s.region,
            r#"print(json.dumps(len(client("ec2").describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["fgc:id"]}])["Vpcs"])))"#,
            &[],
        );
        if vpcs != serde_json::json!(0) {
            failures.push(format!("{name}: {vpcs} VPCs were created before the refusal"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A golden file: equal, or written when missing or with FGC_UPDATE=1.
fn fg_tests_golden(path: &Path, actual: &str) -> Option<String> {
    let updating = std::env::var_os("FGC_UPDATE").is_some_and(|v| !v.is_empty() && v != "0");
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => None,
        Ok(_) | Err(_) if updating || !path.exists() => {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            std::fs::write(path, actual).expect("write golden file");
            None
        }
        Ok(expected) => Some(format!(
            "{} differs (FGC_UPDATE=1 regenerates):\n--- expected\n{expected}--- actual\n{actual}",
            path.display()
        )),
        Err(e) => Some(format!("{}: {e}", path.display())),
    }
}

/// An answer that is not AWS's (an HTML page from a proxy) is shown as the call, its HTTP
/// status and a short excerpt, not as the SDK's debug dump of the response.
#[test]
fn an_unexpected_answer_is_short_and_readable() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let _ = c.read(&mut buf);
            let body = "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this proxy.</p><hr><address>nginx</address></body></html>";
            let _ = write!(
                c,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = temp_dir("unexpected");
    let file = root().join("examples/two-services-path-routing.fg");
    let o = fgc(
        &["plan", &file.to_string_lossy(), "--state", &dir.join("s.json").to_string_lossy()],
        &format!("http://127.0.0.1:{port}"),
        &dir,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "HTTP 404, not an AWS answer: 404 Not Found Not Found The requested URL was not found on this proxy."
        ),
        "{out}"
    );
    assert!(!out.contains("ResponseError") && !out.contains("SdkBody") && out.len() < 600, "{out}");
}

/// The Terraform backend carries the app's tags too (the provider's `default_tags`):
/// changing them changes the output.
#[test]
fn app_tags_change_the_terraform_output() {
    let dir = temp_dir("tf-tags");
    let file = dir.join("stack.fg");
    let text = source("examples/two-services-path-routing.fg");
    let build = |source: &str| {
        std::fs::write(&file, source).expect("write");
        let out = dir.join("out");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_fgc"))
            .args(["build", &file.to_string_lossy(), "-o", &out.to_string_lossy()])
            .output()
            .expect("fgc build");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("versions.tf")).expect("versions.tf")
    };
    let before = build(&text);
    let after =
        build(&text.replace("region = \"us-east-1\"", "region = \"us-east-1\"\n  tags   = { team = \"blue\" }"));
    assert!(!before.contains("team") && after.contains("team") && after.contains("\"blue\""), "{after}");
}
