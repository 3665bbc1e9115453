//! `fgc plan`, `apply` and `destroy` against moto's server (an AWS API emulator) on a free
//! 127.0.0.1 port, through the real AWS SDK over HTTP: every example applied, re-applied
//! without a call, changed one field at a time, destroyed; applies killed at random points
//! and resumed; and an apply through a proxy that answers some calls with throttling
//! errors and 5xx. What fgc created is checked through another SDK (boto3, which moto
//! brings), not through fgc's own state.
//!
//! `tests/run` installs moto (`pip install 'moto[server]==5.2.5'`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;

/// For each example: apply creates every resource of the IR; a second apply makes no
/// call; changing one field makes only the calls it needs; destroy leaves nothing.
#[test]
fn every_example_applies_reapplies_changes_and_destroys() {
    let moto = Moto::start();
    let url = moto.url();
    let mut failures = Vec::new();
    // (example, the field to change, its new text, the calls the change needs)
    let cases = [
        ("two-services-path-routing", "phamtrongnghia1105/user-svc\"", "phamtrongnghia1105/user-svc:2\"", 3),
        ("messages-with-mysql", "count  = 2", "count  = 3", 1),
        ("spot-autoscaled-service", "scale { min = 2, max = 3,", "scale { min = 2, max = 5,", 1),
        (
            "step-scaled-ha-app",
            "count = env { staging = 2, production = 4 }",
            "count = env { staging = 3, production = 4 }",
            0,
        ),
        ("private-backend-blue-green", "max = max_scaled_task_count", "max = 6", 1),
    ];
    for (name, from, to, needed) in cases {
        let dir = temp_dir(name);
        let example = dir.join(format!("{name}.fg"));
        let mut source = std::fs::read_to_string(root().join(format!("examples/{name}.fg"))).expect("read example");
        // moto refuses a maintenance window that touches the backup window (04:00); the
        // seed's windows are kept in the example, shifted half an hour here.
        source = source.replace("sun:02:00-sun:04:00", "sun:02:00-sun:03:30");
        assert!(source.contains(from), "{name}: `{from}` not in the example");
        std::fs::write(&example, &source).expect("copy example");
        let file = example.to_string_lossy().to_string();
        let st = dir.join("state.json");
        let st_arg = st.to_string_lossy().to_string();
        let region = region_of(&example);

        let o = fgc(&["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
        if o.status.code() != Some(2) {
            failures.push(format!("{name}: first apply failed:\n{}", text(&o)));
            continue;
        }
        let ir = Command::new(env!("CARGO_BIN_EXE_fgc")).args(["build", &file, "--emit", "ir"]).output().expect("ir");
        let ir: serde_json::Value = serde_json::from_slice(&ir.stdout).expect("IR JSON");
        let wanted = ir["resources"].as_array().map_or(0, |r| r.iter().filter(|r| r["data"] == false).count());
        let recorded = state(&st);
        let ids = recorded["resources"].as_object().map_or(0, |r| r.len());
        if ids != wanted {
            failures.push(format!("{name}: state records {ids} resources, the IR has {wanted}"));
        }
        let live = existing(&url, &region, &recorded);
        if live.len() != ids {
            let missing: Vec<&String> = recorded["resources"]
                .as_object()
                .map(|r| r.keys().filter(|k| !live.contains(k)).collect())
                .unwrap_or_default();
            failures.push(format!("{name}: not found through the SDK after apply: {missing:?}"));
        }

        let o = fgc(&["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
        if o.status.code() != Some(0) || !text(&o).contains("No changes") {
            failures.push(format!("{name}: second apply was not a no-op:\n{}", text(&o)));
        }

        std::fs::write(&example, source.replace(from, to)).expect("change example");
        let o = fgc(&["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
        let expected_exit = if needed == 0 { 0 } else { 2 };
        if o.status.code() != Some(expected_exit) || calls(&o) != needed {
            failures.push(format!(
                "{name}: changing `{from}` made {} calls (exit {:?}), expected {needed}:\n{}",
                calls(&o),
                o.status.code(),
                text(&o)
            ));
        }

        let before = state(&st);
        let mut o = fgc(&["destroy", &file, "--auto-approve", "--state", &st_arg], &url, &dir);
        if name == "private-backend-blue-green" {
            // moto 5.2.5 implements neither DeleteDeploymentGroup nor DeleteApplication (it
            // answers 500). The one failure allowed: those two, removed from the state by
            // hand as a user would after deleting them in the console; the rest goes.
            let t = text(&o);
            let failed: Vec<&str> = t.lines().filter(|l| l.trim_start().starts_with("× ")).collect();
            if o.status.code() != Some(1) || failed.iter().any(|l| !l.contains("codedeploy:Delete")) {
                failures.push(format!("{name}: destroy failed beyond moto's CodeDeploy gap:\n{t}"));
                continue;
            }
            let mut s = state(&st);
            if let Some(r) = s["resources"].as_object_mut() {
                r.retain(|_, v| !v["kind"].as_str().unwrap_or_default().starts_with("aws_codedeploy"));
            }
            std::fs::write(&st, s.to_string()).expect("write state");
            o = fgc(&["destroy", &file, "--auto-approve", "--state", &st_arg], &url, &dir);
        }
        if o.status.code() != Some(2) {
            failures.push(format!("{name}: destroy failed:\n{}", text(&o)));
            continue;
        }
        if state(&st)["resources"].as_object().is_some_and(|r| !r.is_empty()) {
            failures.push(format!("{name}: the state still records resources after destroy"));
        }
        let mut left = existing(&url, &region, &before);
        left.retain(|id| !id.contains("codedeploy") && !id.ends_with("deployment-group"));
        if !left.is_empty() {
            failures.push(format!("{name}: left behind after destroy: {left:?}"));
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Applies killed (SIGKILL) at random points, each resumed by the next: the last one
/// converges with every resource once, recorded, and nothing duplicated.
#[test]
fn applies_killed_at_random_points_converge() {
    let moto = Moto::start();
    let url = moto.url();
    let dir = temp_dir("crash");
    let example = root().join("examples/two-services-path-routing.fg");
    let file = example.to_string_lossy().to_string();
    let st = dir.join("state.json");
    let st_arg = st.to_string_lossy().to_string();
    // A small deterministic generator: the points vary with the seed, the test does not.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed = 0;
    for _ in 0..4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(150 + seed % 1200);
        let mut child = fgc_command(
            &["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg, "--parallel", "4"],
            &url,
            &dir,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apply");
        std::thread::sleep(after);
        if child.try_wait().ok().flatten().is_none() {
            let _ = child.kill();
            killed += 1;
        }
        let _ = child.wait();
    }
    let o = fgc(&["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
    assert!(matches!(o.status.code(), Some(0 | 2)), "the resumed apply failed:\n{}", text(&o));
    let o = fgc(&["plan", &file, "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(0), "not converged:\n{}", text(&o));
    // No duplicates: one VPC, two target groups, two services of this stack.
    const COUNT: &str = r#"
import json, sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, elb = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)
vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:fgc:app", "Values": ["ecs-demo"]}])["Vpcs"]
subnets = ec2.describe_subnets(Filters=[{"Name": "tag:fgc:app", "Values": ["ecs-demo"]}])["Subnets"]
tgs = [t for t in elb.describe_target_groups()["TargetGroups"] if t["TargetGroupName"].startswith("ecs-demo")]
print(json.dumps([len(vpcs), len(subnets), len(tgs)]))
"#;
    let out = Command::new("python3").args(["-c", COUNT, &url]).output().expect("python3");
    let counts: Vec<usize> = serde_json::from_slice(&out.stdout).expect("counts");
    assert_eq!(counts, [1, 4, 2], "duplicates after {killed} kills (vpcs, subnets, target groups)");
    let recorded = state(&st);
    let live = existing(&url, "us-east-1", &recorded);
    assert_eq!(live.len(), recorded["resources"].as_object().map_or(0, |r| r.len()), "recorded resources missing");
}

/// A proxy between fgc and moto answering every fourth call with a throttling error and
/// every seventh with a 500 or 503: the SDK's retries carry the apply through.
#[test]
fn apply_survives_throttling_and_server_errors() {
    let moto = Moto::start();
    let proxy = FaultyProxy::start(moto.port);
    let dir = temp_dir("faults");
    let example = root().join("examples/two-services-path-routing.fg");
    let st = dir.join("state.json");
    let o = fgc(
        &["apply", &example.to_string_lossy(), "--auto-approve", "--no-wait", "--state", &st.to_string_lossy()],
        &proxy.url(),
        &dir,
    );
    assert_eq!(o.status.code(), Some(2), "apply through faults failed:\n{}", text(&o));
    let injected = proxy.faults.load(Ordering::SeqCst);
    assert!(injected >= 10, "only {injected} faults were injected");
    let recorded = state(&st);
    let live = existing(&moto.url(), "us-east-1", &recorded);
    assert_eq!(live.len(), recorded["resources"].as_object().map_or(0, |r| r.len()));
}

/// An HTTP/1.1 proxy on 127.0.0.1 that forwards to moto and injects faults.
struct FaultyProxy {
    port: u16,
    faults: Arc<AtomicUsize>,
}

impl FaultyProxy {
    fn start(upstream: u16) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let faults = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let f = faults.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (f, seen) = (f.clone(), seen.clone());
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, &seen, &f);
                });
            }
        });
        FaultyProxy { port, faults }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn serve(client: TcpStream, upstream: u16, seen: &AtomicUsize, faults: &AtomicUsize) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let end = line == "\r\n";
            head.push(line);
            if end {
                break;
            }
        }
        let len: usize = head
            .iter()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
            .unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let json = head.iter().any(|l| l.to_ascii_lowercase().contains("x-amz-json"));
        let fault = if n % 4 == 3 {
            Some((400, if json { throttle_json() } else { throttle_xml(&body) }))
        } else if n % 7 == 5 {
            Some((if n.is_multiple_of(2) { 500 } else { 503 }, String::new()))
        } else {
            None
        };
        if let Some((status, text)) = fault {
            faults.fetch_add(1, Ordering::SeqCst);
            let reason = match status {
                400 => "Bad Request",
                500 => "Internal Server Error",
                _ => "Service Unavailable",
            };
            let kind = if json { "application/x-amz-json-1.1" } else { "text/xml" };
            write!(
                client,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            )?;
            client.flush()?;
            continue;
        }
        // Forward on a fresh connection that closes after the answer.
        let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
        for line in &head {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("connection:") {
                continue;
            }
            if line == "\r\n" {
                up.write_all(b"Connection: close\r\n")?;
            }
            up.write_all(line.as_bytes())?;
        }
        up.write_all(&body)?;
        let mut answer = Vec::new();
        up.read_to_end(&mut answer)?;
        client.write_all(&answer)?;
        client.flush()?;
    }
}

fn throttle_json() -> String {
    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string()
}

/// EC2 wraps errors in `Response/Errors`; the other query APIs in `ErrorResponse`.
fn throttle_xml(body: &[u8]) -> String {
    if String::from_utf8_lossy(body).contains("Version=2016-11-15") {
        "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault</RequestID></Response>".into()
    } else {
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault</RequestId></ErrorResponse>".into()
    }
}

/// A lost state is rebuilt from the tags: every resource found, and the next plan is
/// empty (nothing would be created twice).
#[test]
fn a_lost_state_is_recovered_from_tags() {
    let moto = Moto::start();
    let url = moto.url();
    let dir = temp_dir("recover");
    let file = root().join("examples/step-scaled-ha-app.fg").to_string_lossy().to_string();
    let st = dir.join("state.json");
    let st_arg = st.to_string_lossy().to_string();
    let o = fgc(&["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let total = state(&st)["resources"].as_object().map_or(0, |r| r.len());
    std::fs::remove_file(&st).expect("lose the state");
    let o = fgc(&["state", "recover", &file, "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("recovered {total} of {total} resources")), "{}", text(&o));
    let o = fgc(&["plan", &file, "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(0), "a recovered state still plans changes:\n{}", text(&o));
}

/// `fgc deploy` on a rolling service (seed 003) and a blue/green one (seed 004): the same
/// image changes nothing; a new image registers one revision and hands it to the service
/// (rolling) or to CodeDeploy (blue/green) in two calls and touches nothing else; the
/// next plan keeps the released image.
#[test]
fn deploy_releases_an_image_and_nothing_else() {
    const CHECK: &str = r#"
import json, sys, boto3
endpoint, region, cluster, service, family, blue_green = sys.argv[1:7]
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
ecs, cd = boto3.client("ecs", **kw), boto3.client("codedeploy", **kw)
revisions = ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]
running = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
out = {"revisions": revisions, "running": running, "images": {}, "deployments": []}
for arn in revisions:
    td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    out["images"][arn] = [c["image"] for c in td["containerDefinitions"]]
if blue_green == "1":
    for d in cd.list_deployments(applicationName=service, deploymentGroupName=service)["deployments"]:
        info = cd.get_deployment(deploymentId=d)["deploymentInfo"]
        out["deployments"].append(json.loads(info["revision"]["appSpecContent"]["content"]))
print(json.dumps(out))
"#;
    let moto = Moto::start();
    let url = moto.url();
    let mut failures = Vec::new();
    for (name, svc, blue_green) in
        [("step-scaled-ha-app", "hello", false), ("private-backend-blue-green", "backend", true)]
    {
        let dir = temp_dir(&format!("deploy-{name}"));
        let example = root().join(format!("examples/{name}.fg"));
        let file = example.to_string_lossy().to_string();
        let st = dir.join("state.json");
        let st_arg = st.to_string_lossy().to_string();
        let region = region_of(&example);
        let o = fgc(&["apply", &file, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
        assert_eq!(o.status.code(), Some(2), "{name}: apply failed:\n{}", text(&o));
        let before = state(&st);
        let task = &before["resources"][format!("service.{svc}/task")];
        let cluster = before["resources"][format!("service.{svc}/service")]["outputs"]["cluster"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let aws_service =
            before["resources"][format!("service.{svc}/service")]["outputs"]["name"].as_str().unwrap_or("").to_string();
        let family = task["outputs"]["family"].as_str().unwrap_or("").to_string();
        let check = || -> serde_json::Value {
            let o = Command::new("python3")
                .args(["-c", CHECK, &url, &region, &cluster, &aws_service, &family, if blue_green { "1" } else { "0" }])
                .output()
                .expect("python3");
            assert!(o.status.success(), "boto3 check failed: {}", String::from_utf8_lossy(&o.stderr));
            serde_json::from_slice(&o.stdout).expect("check JSON")
        };
        let live = check();
        let current = live["images"][task["physical"].as_str().unwrap_or("")][0].as_str().unwrap_or("").to_string();
        assert!(!current.is_empty(), "{name}: no image found: {live}");

        // The image it runs: nothing to do, no revision, no deployment, the state as it was.
        let deploy = |image: &str| {
            fgc(&["deploy", &file, "--service", svc, "--image", image, "--no-wait", "--state", &st_arg], &url, &dir)
        };
        let o = deploy(&current);
        if o.status.code() != Some(0) || !text(&o).contains("Nothing to do") || text(&o).contains("registered") {
            failures.push(format!("{name}: deploying the running image was not a no-op:\n{}", text(&o)));
        }
        if check() != live || state(&st) != before {
            failures.push(format!("{name}: deploying the running image changed something"));
        }

        // An image the tasks could not pull (another ECR repository than the execution role
        // allows; for seed 004 also outside the region its endpoints reach) is refused before
        // any call.
        let elsewhere = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/elsewhere/api:1";
        let o = deploy(elsewhere);
        let refused = text(&o).contains("cannot pull") || text(&o).contains("may not pull");
        if o.status.code() != Some(1) || !refused {
            failures.push(format!("{name}: an image the tasks cannot pull was not refused:\n{}", text(&o)));
        }
        if check() != live || state(&st) != before {
            failures.push(format!("{name}: a refused release changed something"));
        }

        // A new tag of the same repository: one revision, handed over, nothing else.
        let new = format!("{}:release-2", current.rsplit_once(':').map_or(current.as_str(), |(r, _)| r));
        let o = deploy(&new);
        if o.status.code() != Some(2) || calls(&o) != 2 {
            failures.push(format!(
                "{name}: the release made {} calls (exit {:?}), expected 2:\n{}",
                calls(&o),
                o.status.code(),
                text(&o)
            ));
            continue;
        }
        let after = state(&st);
        let changed: Vec<&String> = before["resources"]
            .as_object()
            .map(|r| r.iter().filter(|(id, v)| after["resources"][id.as_str()] != **v).map(|(id, _)| id).collect())
            .unwrap_or_default();
        if changed != [&format!("service.{svc}/task")] {
            failures.push(format!(
                "{name}: the release changed {changed:?} in the state, expected only the task definition"
            ));
        }
        let live = check();
        let revisions: Vec<&str> =
            live["revisions"].as_array().map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        let newest = after["resources"][format!("service.{svc}/task")]["physical"].as_str().unwrap_or("");
        if revisions.len() != 2 || !revisions.contains(&newest) || live["images"][newest][0] != new.as_str() {
            failures.push(format!("{name}: expected a second revision running {new}: {live}"));
        }
        if blue_green {
            let deployments = live["deployments"].as_array().cloned().unwrap_or_default();
            let target = &deployments
                .first()
                .map(|d| d["Resources"][0]["TargetService"]["Properties"].clone())
                .unwrap_or_default();
            if deployments.len() != 1
                || target["TaskDefinition"] != newest
                || target["LoadBalancerInfo"]["ContainerName"] != svc
            {
                failures.push(format!("{name}: expected one CodeDeploy deployment of {newest}: {deployments:?}"));
            }
            if live["running"] == newest {
                failures.push(format!("{name}: fgc updated a blue/green service itself"));
            }
        } else if live["running"] != newest {
            failures.push(format!("{name}: the service does not run {newest}: {live}"));
        }

        // The next plan keeps the released image, and releasing it again is a no-op.
        let o = fgc(&["plan", &file, "--state", &st_arg], &url, &dir);
        if o.status.code() != Some(0)
            || !text(&o).contains("No changes")
            || !text(&o).contains(&format!("`{svc}` keeps {new}, released with `fgc deploy`"))
        {
            failures.push(format!("{name}: the plan after a release is not empty, or does not say why:\n{}", text(&o)));
        }
        let o = deploy(&new);
        if o.status.code() != Some(0) || !text(&o).contains("Nothing to do") {
            failures.push(format!("{name}: releasing the same image twice was not a no-op:\n{}", text(&o)));
        }

        // Destroy takes the revision before the release too. (moto cannot delete the
        // blue/green stack's CodeDeploy resources; the other test covers its destroy.)
        if !blue_green {
            let o = fgc(&["destroy", &file, "--auto-approve", "--state", &st_arg], &url, &dir);
            let left = Command::new("python3")
                .args([
                    "-c",
                    "import sys, boto3; print(len(boto3.client('ecs', endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id='t', aws_secret_access_key='t').list_task_definitions(familyPrefix=sys.argv[3], status='ACTIVE')['taskDefinitionArns']))",
                    &url,
                    &region,
                    &family,
                ])
                .output()
                .expect("python3");
            if o.status.code() != Some(2) || String::from_utf8_lossy(&left.stdout).trim() != "0" {
                failures.push(format!(
                    "{name}: after destroy, {} active revisions of `{family}` are left:\n{}",
                    String::from_utf8_lossy(&left.stdout).trim(),
                    text(&o)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

/// An API for browsers: a JWT authorizer on every route and CORS settings, created as the
/// source says; then both taken away again (the routes let go of the authorizer before it
/// is deleted), and the stack destroyed.
#[test]
fn an_api_with_tokens_and_cors_applies_changes_and_destroys() {
    const STACK: &str = r#"app "tokens" { region = "eu-west-1" }
network main { cidr = 10.9.0.0/16, nat = single }
balancer lb {
  scheme = internal
  listener http { route "/v1/*" -> api }
}
api public {
  balancer = lb
  stage    = "v1"
  auth     = jwt
  jwt {
    issuer   = "https://issuer.example.com/pool"
    audience = ["web", "mobile"]
  }
  cors {
    origins     = ["https://app.example.com"]
    methods     = ["GET", "POST"]
    headers     = ["authorization"]
    credentials = true
    max_age     = 10m
  }
  route "GET /v1/items" -> api
  route "POST /v1/items" -> api
}
service api {
  image = "ghcr.io/acme/api:1.0.0"
  port  = 8080
}
"#;
    const LOOK: &str = r#"
import json, sys, boto3
endpoint, state = sys.argv[1], json.load(open(sys.argv[2]))
apigw = boto3.client("apigatewayv2", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t")
api = state["resources"]["api.public/api"]["physical"]
out = {"cors": apigw.get_api(ApiId=api).get("CorsConfiguration"), "routes": {}, "authorizers": []}
for r in apigw.get_routes(ApiId=api)["Items"]:
    out["routes"][r["RouteKey"]] = [r.get("AuthorizationType"), r.get("AuthorizerId")]
auth = state["resources"].get("api.public/authorizer", {}).get("physical")
if auth:
    a = apigw.get_authorizer(ApiId=api, AuthorizerId=auth)
    out["authorizers"].append([a["AuthorizerId"], a["IdentitySource"], a["JwtConfiguration"]])
print(json.dumps(out))
"#;
    let moto = Moto::start();
    let url = moto.url();
    let dir = temp_dir("api-tokens");
    let file = dir.join("stack.fg");
    std::fs::write(&file, STACK).expect("write stack");
    let file_arg = file.to_string_lossy().to_string();
    let st = dir.join("state.json");
    let st_arg = st.to_string_lossy().to_string();
    let look = |st: &Path| -> serde_json::Value {
        let o = Command::new("python3").args(["-c", LOOK, &url, &st.to_string_lossy()]).output().expect("python3");
        assert!(o.status.success(), "boto3 look failed: {}", String::from_utf8_lossy(&o.stderr));
        let mut live: serde_json::Value = serde_json::from_slice(&o.stdout).expect("look JSON");
        // An empty list of headers is no headers, however API Gateway writes it.
        if let Some(cors) = live["cors"].as_object_mut() {
            cors.retain(|_, v| !v.as_array().is_some_and(|a| a.is_empty()));
        }
        live
    };

    let o = fgc(&["apply", &file_arg, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(2), "apply failed:\n{}", text(&o));
    let recorded = state(&st);
    let authorizer = recorded["resources"]["api.public/authorizer"]["physical"].as_str().unwrap_or("").to_string();
    assert!(!authorizer.is_empty(), "no authorizer recorded");
    let live = look(&st);
    assert_eq!(
        live["cors"],
        serde_json::json!({"AllowOrigins": ["https://app.example.com"], "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["authorization"], "AllowCredentials": true, "MaxAge": 600}),
        "{live}"
    );
    assert_eq!(
        live["authorizers"],
        serde_json::json!([[authorizer, ["$request.header.Authorization"],
            {"Audience": ["web", "mobile"], "Issuer": "https://issuer.example.com/pool"}]]),
        "{live}"
    );
    for key in ["GET /v1/items", "POST /v1/items"] {
        assert_eq!(live["routes"][key], serde_json::json!(["JWT", authorizer]), "{key}: {live}");
    }
    let o = fgc(&["apply", &file_arg, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(0), "second apply was not a no-op:\n{}", text(&o));

    // No tokens, no CORS: the API drops its CORS settings, the routes take no
    // authorization, and only then the authorizer goes.
    let mut in_block = false;
    let open: String = STACK
        .lines()
        .filter(|line| {
            let block = in_block || *line == "  jwt {" || *line == "  cors {";
            in_block = block && *line != "  }";
            !block && !line.starts_with("  auth")
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(!open.contains("jwt") && !open.contains("cors"), "{open}");
    std::fs::write(&file, &open).expect("change stack");
    let o = fgc(&["apply", &file_arg, "--auto-approve", "--no-wait", "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(2), "apply without tokens failed:\n{}", text(&o));
    let t = text(&o);
    let (route_done, auth_done) = (t.find("done    api.public/route/"), t.find("done    api.public/authorizer"));
    assert!(route_done.is_some() && auth_done.is_some() && route_done < auth_done, "order:\n{t}");
    let live = look(&st);
    assert!(live["cors"].is_null(), "CORS kept: {live}");
    assert!(state(&st)["resources"].get("api.public/authorizer").is_none(), "authorizer still recorded");
    for key in ["GET /v1/items", "POST /v1/items"] {
        assert_eq!(live["routes"][key][0], "NONE", "{key}: {live}");
    }
    let gone = existing(&url, "eu-west-1", &recorded);
    assert!(!gone.contains(&"api.public/authorizer".to_string()), "the authorizer is still there");

    let before = state(&st);
    let o = fgc(&["destroy", &file_arg, "--auto-approve", "--state", &st_arg], &url, &dir);
    assert_eq!(o.status.code(), Some(2), "destroy failed:\n{}", text(&o));
    let left = existing(&url, "eu-west-1", &before);
    assert!(left.is_empty(), "left behind after destroy: {left:?}");
}
