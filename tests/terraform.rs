//! The Terraform backend end to end: golden `.tf` files, `terraform validate` and
//! `terraform fmt -check` against the real AWS provider, and each seed's resource
//! inventory.

use std::path::{Path, PathBuf};
use std::process::Command;

use fg_check::{Options, analyze};
use fg_ir::{Ir, Val};
use fg_tests::{DiskHost, files, golden, root};

/// Every stack the backend is tested on: the examples and the extra cases, each with the
/// folder its golden files live in.
fn inputs() -> Vec<(PathBuf, PathBuf)> {
    let base = root().join("tests/terraform");
    let mut out: Vec<(PathBuf, PathBuf)> = files(&root().join("examples"), "fg")
        .into_iter()
        .map(|p| {
            let name = p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            (p, base.join(name))
        })
        .collect();
    for p in files(&base.join("cases"), "fg") {
        let dir = p.with_extension("");
        out.push((p, dir));
    }
    out
}

fn build(path: &Path, env: Option<&str>) -> (Ir, Vec<fg_terraform::TfFile>) {
    let a = analyze(&DiskHost, &path.to_string_lossy(), &Options { env: env.map(str::to_string), all_envs: false });
    assert!(!a.has_errors(), "{}: {:#?}", path.display(), a.diagnostics);
    let ir = fg_ir::lower(&a.model, &a.sources);
    let tf = fg_terraform::emit(&ir);
    (ir, tf)
}

fn environments(path: &Path) -> Vec<String> {
    let a = analyze(&DiskHost, &path.to_string_lossy(), &Options::default());
    a.model.app.environments.clone()
}

#[test]
fn terraform_golden_files_and_determinism() {
    let mut failures = Vec::new();
    for (input, dir) in inputs() {
        let (_, first) = build(&input, None);
        let (_, second) = build(&input, None);
        if first != second {
            failures.push(format!("{}: two builds differ", input.display()));
        }
        std::fs::create_dir_all(&dir).expect("golden dir");
        for f in &first {
            failures.extend(golden(&dir.join(&f.name), &f.text));
        }
        for existing in files(&dir, "tf") {
            let name = existing.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if !first.iter().any(|f| f.name == name) {
                failures.push(format!("{}: stale golden file {name}", input.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The folder of a local filesystem mirror of the AWS provider.
fn provider_mirror() -> PathBuf {
    if let Some(dir) = std::env::var_os("TF_PROVIDER_MIRROR") {
        return PathBuf::from(dir);
    }
    let candidates = ["/opt/tf-plugins", "/usr/share/terraform/plugins", "/usr/local/share/terraform/plugins"];
    let home = std::env::var("HOME").unwrap_or_default();
    let home_dirs = [format!("{home}/.terraform.d/plugins"), format!("{home}/.local/share/terraform/plugins")];
    for c in candidates.iter().map(|s| s.to_string()).chain(home_dirs) {
        if Path::new(&c).join("registry.terraform.io/hashicorp/aws").is_dir() {
            return PathBuf::from(c);
        }
    }
    // A bounded search, as ../shared/tools/tf-validate does.
    let mut stack: Vec<(PathBuf, usize)> =
        vec![(PathBuf::from("/opt"), 0), (PathBuf::from("/usr"), 0), (PathBuf::from(&home), 0)];
    while let Some((d, depth)) = stack.pop() {
        if d.join("registry.terraform.io/hashicorp/aws").is_dir() {
            return d;
        }
        if depth < 4
            && let Ok(entries) = std::fs::read_dir(&d)
        {
            stack.extend(entries.flatten().filter(|e| e.path().is_dir()).map(|e| (e.path(), depth + 1)));
        }
    }
    panic!("no local mirror of the hashicorp/aws provider found; set TF_PROVIDER_MIRROR");
}

fn terraform(dir: &Path, args: &[&str], config: &Path) -> (bool, String) {
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .expect("terraform must be on PATH: the Terraform backend is tested with `terraform validate`");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Every example and case, in every environment, passes `terraform validate` against the
/// AWS provider and is formatted exactly as `terraform fmt` would format it.
#[test]
fn terraform_validate_and_fmt() {
    let mirror = provider_mirror();
    let work = std::env::temp_dir().join(format!("fgc-tf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let config = work.join("terraformrc");
    std::fs::write(
        &config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");
    // One initialised folder, reused for every stack: they all need the same provider.
    let dir = work.join("stack");
    std::fs::create_dir_all(&dir).expect("stack dir");
    let mut initialised = false;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (input, _) in inputs() {
        for env in environments(&input) {
            let (_, tf) = build(&input, Some(&env));
            for old in files(&dir, "tf") {
                std::fs::remove_file(old).expect("clean");
            }
            for f in &tf {
                std::fs::write(dir.join(&f.name), &f.text).expect("write tf");
            }
            if !initialised {
                let (ok, log) = terraform(&dir, &["init", "-backend=false", "-input=false", "-no-color"], &config);
                assert!(ok, "terraform init failed:\n{log}");
                initialised = true;
            }
            let (ok, log) = terraform(&dir, &["validate", "-no-color"], &config);
            if !ok {
                failures.push(format!("{} ({env}): terraform validate:\n{log}", input.display()));
            }
            let (ok, log) = terraform(&dir, &["fmt", "-check", "-diff", "-no-color"], &config);
            if !ok {
                failures.push(format!("{} ({env}): not formatted as terraform fmt would:\n{log}", input.display()));
            }
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(checked >= 6, "only {checked} stacks validated");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------- inventories

struct Inventory {
    ir: Ir,
}

impl Inventory {
    fn of(example: &str) -> Self {
        let (ir, _) = build(&root().join("examples").join(example), None);
        Inventory { ir }
    }

    fn all(&self, kind: &str) -> Vec<&fg_ir::Resource> {
        self.ir.resources.iter().filter(|r| r.kind == kind && !r.data).collect()
    }

    fn count(&self, kind: &str) -> usize {
        self.all(kind).len()
    }

    fn one(&self, id: &str) -> &fg_ir::Resource {
        self.ir.get(id).unwrap_or_else(|| panic!("no resource {id}"))
    }

    /// The attribute at a path of attribute and block names: `health_check.path`.
    fn at<'a>(&self, r: &'a fg_ir::Resource, path: &str) -> Vec<&'a Val> {
        let mut current: Vec<&Val> = Vec::new();
        let mut segments = path.split('.');
        let first = segments.next().unwrap_or("");
        current.extend(r.attrs.iter().filter(|(k, _)| k == first).map(|(_, v)| v));
        for seg in segments {
            current = current
                .into_iter()
                .flat_map(|v| match v {
                    Val::Block(kv) | Val::Map(kv) => kv.iter().filter(|(k, _)| k == seg).map(|(_, v)| v).collect(),
                    _ => Vec::new(),
                })
                .collect();
        }
        current
    }

    fn json(&self, r: &fg_ir::Resource, attr: &str) -> String {
        serde_json::to_string(r.attr(attr).unwrap_or(&Val::Bool(false))).unwrap_or_default()
    }
}

fn int(v: &Val) -> i64 {
    match v {
        Val::Int(i) => *i,
        _ => panic!("not an int: {v:?}"),
    }
}

fn string(v: &Val) -> &str {
    match v {
        Val::Str(s) => s,
        _ => panic!("not a string: {v:?}"),
    }
}

/// Seed 000: VPC, internet gateway and default route, public and private subnets per zone,
/// security groups chained load balancer → tasks → database, DB subnet group and instance,
/// task definition with environment and awslogs, target group with health check, cluster,
/// service attached to the load balancer, the load balancer and its listener, the execution
/// role and its policy, and the DNS name as an output.
#[test]
fn inventory_seed_000_messages_with_mysql() {
    let inv = Inventory::of("messages-with-mysql.fg");
    assert_eq!(inv.count("aws_vpc"), 1);
    assert_eq!(inv.count("aws_internet_gateway"), 1);
    let route = inv.one("network.vpc/route/public-internet");
    assert_eq!(string(inv.at(route, "destination_cidr_block")[0]), "0.0.0.0/0");
    assert_eq!(inv.count("aws_subnet"), 4);
    // The chain: balancer → tasks on 80, tasks → database on 3306.
    let tasks_in = inv.one("service.messages/sg/ingress/alb");
    assert_eq!(
        inv.json(tasks_in, "referenced_security_group_id"),
        r#"{"type":"ref","value":{"id":"balancer.alb/sg","attr":"id"}}"#
    );
    assert_eq!(int(inv.at(tasks_in, "from_port")[0]), 80);
    let db_in = inv.one("database.rds/sg/ingress/messages");
    assert_eq!(int(inv.at(db_in, "from_port")[0]), 3306);
    assert!(inv.json(db_in, "referenced_security_group_id").contains("service.messages/sg"));
    assert_eq!(inv.count("aws_security_group"), 3);
    assert_eq!(inv.count("aws_db_subnet_group"), 1);
    let db = inv.one("database.rds/instance");
    assert_eq!(string(inv.at(db, "engine")[0]), "mysql");
    assert_eq!(inv.at(db, "manage_master_user_password")[0], &Val::Bool(true));
    assert!(db.attr("password").is_none(), "no password in the output");
    let task = inv.one("service.messages/task");
    let containers = inv.json(task, "container_definitions");
    assert!(containers.contains("CONNECTION_STRING") && containers.contains("awslogs"), "{containers}");
    assert!(containers.contains("master_user_secret[0].secret_arn"), "password by reference: {containers}");
    let tg = inv.one("service.messages/tg");
    assert_eq!(string(inv.at(tg, "health_check.matcher")[0]), "200");
    assert_eq!(int(inv.at(tg, "health_check.interval")[0]), 120);
    assert_eq!(inv.count("aws_ecs_cluster"), 1);
    let svc = inv.one("service.messages/service");
    assert!(inv.json(svc, "load_balancer").contains("service.messages/tg"));
    assert_eq!(inv.count("aws_lb"), 1);
    assert_eq!(inv.count("aws_lb_listener"), 1);
    assert!(inv.ir.get("service.messages/execution-role").is_some());
    assert!(inv.ir.get("service.messages/execution-policy").is_some());
    assert!(inv.ir.outputs.iter().any(|o| o.name == "alb_dns_name"));
}

/// Seed 002: a NAT gateway, both services with their own target groups, path rules on one
/// shared listener, and a 404 fixed response as the default.
#[test]
fn inventory_seed_002_two_services() {
    let inv = Inventory::of("two-services-path-routing.fg");
    assert_eq!(inv.count("aws_nat_gateway"), 1);
    assert_eq!(inv.count("aws_lb_target_group"), 2);
    assert_eq!(inv.count("aws_lb_listener"), 1);
    let rules = inv.all("aws_lb_listener_rule");
    assert_eq!(rules.len(), 2);
    let paths: Vec<String> = rules.iter().map(|r| inv.json(r, "condition")).collect();
    assert!(paths[0].contains("/product-svc*") && paths[1].contains("/user-svc*"), "{paths:?}");
    for r in &rules {
        assert!(inv.json(r, "listener_arn").contains("balancer.alb/listener/80"));
    }
    let listener = inv.one("balancer.alb/listener/80");
    assert_eq!(string(inv.at(listener, "default_action.fixed_response.status_code")[0]), "404");
    assert_eq!(string(inv.at(listener, "default_action.fixed_response.message_body")[0]), "Not Found");
    let subnets: Vec<String> =
        inv.all("aws_subnet").iter().map(|s| string(inv.at(s, "cidr_block")[0]).to_string()).collect();
    assert_eq!(subnets, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]);
}

/// Seed 001: Fargate Spot, container insights, deployment percentages, the health-check
/// grace period, CPU target tracking at 70% between 2 and 3 tasks.
#[test]
fn inventory_seed_001_spot_autoscaling() {
    let inv = Inventory::of("spot-autoscaled-service.fg");
    let svc = inv.one("service.server/service");
    let strategy = inv.json(svc, "capacity_provider_strategy");
    assert!(strategy.contains("FARGATE_SPOT"), "{strategy}");
    let cluster = inv.one("app/cluster");
    assert_eq!(string(inv.at(cluster, "setting.value")[0]), "enabled");
    assert_eq!(int(inv.at(svc, "deployment_minimum_healthy_percent")[0]), 100);
    assert_eq!(int(inv.at(svc, "deployment_maximum_percent")[0]), 200);
    assert_eq!(int(inv.at(svc, "health_check_grace_period_seconds")[0]), 30);
    let target = inv.one("service.server/scaling-target");
    assert_eq!((int(inv.at(target, "min_capacity")[0]), int(inv.at(target, "max_capacity")[0])), (2, 3));
    let policy = inv.one("service.server/scaling/target-cpu");
    let cfg = "target_tracking_scaling_policy_configuration";
    assert_eq!(int(inv.at(policy, &format!("{cfg}.target_value"))[0]), 70);
    assert_eq!(
        string(inv.at(policy, &format!("{cfg}.predefined_metric_specification.predefined_metric_type"))[0]),
        "ECSServiceAverageCPUUtilization"
    );
    assert_eq!(int(inv.at(policy, &format!("{cfg}.scale_in_cooldown"))[0]), 10);
    let tg = inv.one("service.server/tg");
    assert_eq!(string(inv.at(tg, "deregistration_delay")[0]), "2");
}

/// Seed 003: two CloudWatch alarms (CPU ≥ 80% and ≤ 10% for 60 s) and two step policies.
#[test]
fn inventory_seed_003_step_scaling() {
    let inv = Inventory::of("step-scaled-ha-app.fg");
    let alarms = inv.all("aws_cloudwatch_metric_alarm");
    assert_eq!(alarms.len(), 2);
    let high = inv.one("service.hello/alarm/cpu-high");
    assert_eq!(string(inv.at(high, "comparison_operator")[0]), "GreaterThanOrEqualToThreshold");
    assert_eq!(int(inv.at(high, "threshold")[0]), 80);
    assert_eq!(int(inv.at(high, "period")[0]), 60);
    let low = inv.one("service.hello/alarm/cpu-low");
    assert_eq!(string(inv.at(low, "comparison_operator")[0]), "LessThanOrEqualToThreshold");
    assert_eq!(int(inv.at(low, "threshold")[0]), 10);
    let up = inv.one("service.hello/scaling/step-cpu-out");
    assert_eq!(int(inv.at(up, "step_scaling_policy_configuration.step_adjustment.scaling_adjustment")[0]), 1);
    let down = inv.one("service.hello/scaling/step-cpu-in");
    assert_eq!(int(inv.at(down, "step_scaling_policy_configuration.step_adjustment.scaling_adjustment")[0]), -1);
    assert!(inv.json(high, "alarm_actions").contains("scaling/step-cpu-out"));
    assert!(inv.json(low, "alarm_actions").contains("scaling/step-cpu-in"));
}

/// Seed 004: CPU scale-up and scale-down thresholds with a maximum task count, and a
/// blue/green deployment.
#[test]
fn inventory_seed_004_blue_green() {
    let inv = Inventory::of("private-backend-blue-green.fg");
    let high = inv.one("service.backend/alarm/cpu-high");
    assert_eq!(int(inv.at(high, "threshold")[0]), 75);
    let low = inv.one("service.backend/alarm/cpu-low");
    assert_eq!(int(inv.at(low, "threshold")[0]), 25);
    let target = inv.one("service.backend/scaling-target");
    assert_eq!(int(inv.at(target, "max_capacity")[0]), 4);
    let svc = inv.one("service.backend/service");
    assert_eq!(string(inv.at(svc, "deployment_controller.type")[0]), "CODE_DEPLOY");
    assert_eq!(inv.count("aws_lb_target_group"), 2);
    let group = inv.one("service.backend/deployment-group");
    assert_eq!(string(inv.at(group, "deployment_style.deployment_type")[0]), "BLUE_GREEN");
    assert_eq!(inv.count("aws_nat_gateway"), 0);
    assert!(inv.ir.get("network.vpc/endpoint/ecr-dkr").is_some());
    assert!(inv.ir.get("network.vpc/endpoint/s3").is_some());
    let lb = inv.one("balancer.api/alb");
    assert_eq!(inv.at(lb, "internal")[0], &Val::Bool(true));
}

/// Every `Action` list in a policy document, with its `Resource` list.
fn statements(v: &Val, out: &mut Vec<(Vec<String>, Vec<String>)>) {
    match v {
        Val::Map(kv) => {
            let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v);
            let strings = |v: Option<&Val>| -> Vec<String> {
                match v {
                    Some(Val::List(xs)) => xs
                        .iter()
                        .map(|x| match x {
                            Val::Str(s) => s.clone(),
                            other => format!("{other:?}"),
                        })
                        .collect(),
                    Some(Val::Str(s)) => vec![s.clone()],
                    _ => Vec::new(),
                }
            };
            if get("Action").is_some() {
                out.push((strings(get("Action")), strings(get("Resource"))));
            }
            kv.iter().for_each(|(_, v)| statements(v, out));
        }
        Val::List(xs) => xs.iter().for_each(|x| statements(x, out)),
        Val::Json(inner) => statements(inner, out),
        _ => {}
    }
}

/// Secure defaults hold in every stack: tasks without public addresses in private subnets,
/// no `*` actions and `*` resources only for the account-wide ECR token call, descriptions
/// on every security group and rule, log retention everywhere, invalid headers dropped, the
/// circuit breaker on for rolling services, no password anywhere.
#[test]
fn secure_defaults_everywhere() {
    let mut failures = Vec::new();
    for (input, _) in inputs() {
        let (ir, tf) = build(&input, None);
        let name = input.display();
        // A stack may turn the circuit breaker off on purpose; nothing else here is optional.
        let breaker_off = std::fs::read_to_string(&input).unwrap_or_default().contains("circuit_breaker = false");
        for r in &ir.resources {
            let inv = Inventory { ir: ir.clone() };
            match r.kind.as_str() {
                "aws_ecs_service" => {
                    let public_ip =
                        inv.at(r, "network_configuration.assign_public_ip").first() == Some(&&Val::Bool(true));
                    let private = inv.json(r, "network_configuration").contains("subnet/private");
                    if public_ip && private {
                        failures.push(format!("{name}: {} has a public IP in private subnets", r.id));
                    }
                    if r.attr("deployment_controller").is_none()
                        && !breaker_off
                        && inv.at(r, "deployment_circuit_breaker.enable").first() != Some(&&Val::Bool(true))
                    {
                        failures.push(format!("{name}: {} has no circuit breaker", r.id));
                    }
                }
                "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" | "aws_security_group"
                    if r.attr("description").is_none() =>
                {
                    failures.push(format!("{name}: {} has no description", r.id));
                }
                "aws_cloudwatch_log_group" if r.attr("retention_in_days").is_none() => {
                    failures.push(format!("{name}: {} keeps logs forever", r.id));
                }
                "aws_lb" if r.attr("drop_invalid_header_fields") != Some(&Val::Bool(true)) => {
                    failures.push(format!("{name}: {} keeps invalid headers", r.id));
                }
                _ => {}
            }
            let mut stmts = Vec::new();
            for (_, v) in &r.attrs {
                statements(v, &mut stmts);
            }
            for (actions, resources) in stmts {
                if actions.iter().any(|a| a == "*" || a.ends_with(":*")) {
                    failures.push(format!("{name}: {} allows {actions:?}", r.id));
                }
                // In a key policy `*` is the key itself.
                if resources.iter().any(|x| x == "*")
                    && actions != ["ecr:GetAuthorizationToken"]
                    && r.kind != "aws_kms_key"
                {
                    failures.push(format!("{name}: {} allows {actions:?} on `*`", r.id));
                }
            }
        }
        let all: String = tf.iter().map(|f| f.text.as_str()).collect();
        let sets_password = all.lines().any(|l| {
            let t = l.trim_start();
            t.starts_with("password ") || t.starts_with("password=") || t.starts_with("master_password")
        });
        if sets_password {
            failures.push(format!("{name}: the output sets a password"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs checkov over the Terraform of every example and case; every failing check must
/// be listed, with its reason, in tests/terraform/checkov-allowed.txt, and every listed
/// check must still fail somewhere.
#[test]
fn checkov_findings_are_all_explained() {
    let allowed_text =
        std::fs::read_to_string(root().join("tests/terraform/checkov-allowed.txt")).expect("allowed list");
    let allowed: Vec<&str> = allowed_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let work = std::env::temp_dir().join(format!("fgc-checkov-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (k, (input, _)) in inputs().into_iter().enumerate() {
        let (_, tf) = build(&input, None);
        let dir = work.join(k.to_string());
        std::fs::create_dir_all(&dir).expect("dir");
        for f in &tf {
            std::fs::write(dir.join(&f.name), &f.text).expect("write");
        }
        let checkov = std::env::var("CHECKOV").unwrap_or_else(|_| "checkov".into());
        let out = Command::new(checkov)
            .args([
                "-d",
                &dir.to_string_lossy(),
                "--framework",
                "terraform",
                "--quiet",
                "--compact",
                "-o",
                "json",
                "--skip-download",
            ])
            .output()
            .expect("checkov must be installed (tests/run installs it): the output's security posture is tested");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stderr)));
        let report = if json.is_array() { json[0].clone() } else { json };
        let failed = report["results"]["failed_checks"].as_array().cloned().unwrap_or_default();
        for f in failed {
            let id = f["check_id"].as_str().unwrap_or("").to_string();
            if !allowed.contains(&id.as_str()) {
                failures.push(format!(
                    "{}: {id} ({}) on {}",
                    input.display(),
                    f["check_name"].as_str().unwrap_or(""),
                    f["resource"].as_str().unwrap_or("")
                ));
            }
            seen.insert(id);
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    for id in &allowed {
        if !seen.contains(*id) {
            failures.push(format!("{id} is listed in checkov-allowed.txt but fails nowhere: remove it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
