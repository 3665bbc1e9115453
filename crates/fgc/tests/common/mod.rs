//! What the end-to-end tests against moto share: moto's server on a free 127.0.0.1 port,
//! the fgc binary with emulator credentials, the state file, and boto3 checks of what fgc
//! created (never fgc's own view of it).

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fgc-aws-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// moto's server on 127.0.0.1, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto (tests/run installs it: pip install 'moto[server]==5.2.5')");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on 127.0.0.1:{port}; is moto[server] installed?");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// fgc with emulator credentials, never reaching for instance metadata or shared files.
pub fn fgc_command(args: &[&str], endpoint: &str, dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fgc"));
    c.args(args)
        .args(["--endpoint-url", endpoint])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("FGC_CACHE_DIR", dir.join("cache"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION");
    c
}

pub fn fgc(args: &[&str], endpoint: &str, dir: &Path) -> Output {
    fgc_command(args, endpoint, dir).output().expect("run fgc")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The AWS calls an apply reports having made.
pub fn calls(o: &Output) -> usize {
    let out = String::from_utf8_lossy(&o.stdout);
    out.split(" with ").nth(1).and_then(|t| t.split_whitespace().next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

pub fn state(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read state")).expect("state JSON")
}

/// Asks the emulator, through boto3, which of the state's resources exist. Returns the
/// ids of those that do.
pub fn existing(endpoint: &str, region: &str, state: &serde_json::Value) -> Vec<String> {
    const CHECK: &str = r#"
import json, sys, boto3
endpoint, region, state = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, elb, ecs = boto3.client("ec2", **kw), boto3.client("elbv2", **kw), boto3.client("ecs", **kw)
iam, logs, asg = boto3.client("iam", **kw), boto3.client("logs", **kw), boto3.client("application-autoscaling", **kw)
cw, rds, cd = boto3.client("cloudwatch", **kw), boto3.client("rds", **kw), boto3.client("codedeploy", **kw)
ecr, apigw = boto3.client("ecr", **kw), boto3.client("apigatewayv2", **kw)
def exists(kind, p, out):
    try:
        if kind == "aws_vpc": return bool(ec2.describe_vpcs(VpcIds=[p])["Vpcs"])
        if kind == "aws_subnet": return bool(ec2.describe_subnets(SubnetIds=[p])["Subnets"])
        if kind == "aws_internet_gateway": return bool(ec2.describe_internet_gateways(InternetGatewayIds=[p])["InternetGateways"])
        if kind == "aws_route_table": return bool(ec2.describe_route_tables(RouteTableIds=[p])["RouteTables"])
        if kind in ("aws_security_group", "aws_default_security_group"): return bool(ec2.describe_security_groups(GroupIds=[p])["SecurityGroups"])
        if kind == "aws_eip": return bool(ec2.describe_addresses(AllocationIds=[p])["Addresses"])
        if kind == "aws_nat_gateway": return any(n["State"] != "deleted" for n in ec2.describe_nat_gateways(NatGatewayIds=[p])["NatGateways"])
        if kind == "aws_vpc_endpoint": return any(v["State"].lower() != "deleted" for v in ec2.describe_vpc_endpoints(VpcEndpointIds=[p])["VpcEndpoints"])
        if kind == "aws_flow_log": return bool(ec2.describe_flow_logs(FlowLogIds=[p])["FlowLogs"])
        if kind == "aws_lb": return bool(elb.describe_load_balancers(LoadBalancerArns=[p])["LoadBalancers"])
        if kind == "aws_lb_target_group": return bool(elb.describe_target_groups(TargetGroupArns=[p])["TargetGroups"])
        if kind == "aws_lb_listener": return bool(elb.describe_listeners(ListenerArns=[p])["Listeners"])
        if kind == "aws_lb_listener_rule": return bool(elb.describe_rules(RuleArns=[p])["Rules"])
        if kind == "aws_ecs_cluster": return any(c["status"] == "ACTIVE" for c in ecs.describe_clusters(clusters=[p])["clusters"])
        if kind == "aws_ecs_service": return any(s["status"] != "INACTIVE" for s in ecs.describe_services(cluster=out["cluster"], services=[p])["services"])
        if kind == "aws_ecs_task_definition": return ecs.describe_task_definition(taskDefinition=p)["taskDefinition"]["status"] == "ACTIVE"
        if kind == "aws_iam_role": iam.get_role(RoleName=out["name"]); return True
        if kind == "aws_iam_role_policy": iam.get_role_policy(RoleName=out["role"], PolicyName=out["name"]); return True
        if kind == "aws_cloudwatch_log_group": return any(g["logGroupName"] == p for g in logs.describe_log_groups(logGroupNamePrefix=p)["logGroups"])
        if kind == "aws_appautoscaling_target": return bool(asg.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[p])["ScalableTargets"])
        if kind == "aws_appautoscaling_policy": return any(x["PolicyName"] == out["name"] for x in asg.describe_scaling_policies(ServiceNamespace="ecs", PolicyNames=[out["name"]])["ScalingPolicies"])
        if kind == "aws_cloudwatch_metric_alarm": return bool(cw.describe_alarms(AlarmNames=[p])["MetricAlarms"])
        if kind == "aws_db_instance": return bool(rds.describe_db_instances(DBInstanceIdentifier=p)["DBInstances"])
        if kind == "aws_db_subnet_group": return bool(rds.describe_db_subnet_groups(DBSubnetGroupName=p)["DBSubnetGroups"])
        if kind == "aws_codedeploy_app": cd.get_application(applicationName=p); return True
        if kind == "aws_codedeploy_deployment_group": cd.get_deployment_group(applicationName=out["app_name"], deploymentGroupName=out["deployment_group_name"]); return True
        if kind == "aws_ecr_repository": return bool(ecr.describe_repositories(repositoryNames=[p])["repositories"])
        if kind == "aws_ecr_lifecycle_policy": return bool(ecr.get_lifecycle_policy(repositoryName=p)["lifecyclePolicyText"])
        if kind == "aws_apigatewayv2_api": return apigw.get_api(ApiId=p)["ApiId"] == p
        if kind == "aws_apigatewayv2_vpc_link": return apigw.get_vpc_link(VpcLinkId=p)["VpcLinkId"] == p
        if kind == "aws_apigatewayv2_integration": return apigw.get_integration(ApiId=out["api_id"], IntegrationId=p)["IntegrationId"] == p
        if kind == "aws_apigatewayv2_route": return apigw.get_route(ApiId=out["api_id"], RouteId=p)["RouteId"] == p
        if kind == "aws_apigatewayv2_authorizer": return apigw.get_authorizer(ApiId=out["api_id"], AuthorizerId=p)["AuthorizerId"] == p
        if kind == "aws_apigatewayv2_stage": return apigw.get_stage(ApiId=out["api_id"], StageName=p)["StageName"] == p
        if kind == "aws_kms_key": return boto3.client("kms", **kw).describe_key(KeyId=p)["KeyMetadata"]["KeyState"] == "Enabled"
        if kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"): return bool(ec2.describe_security_group_rules(SecurityGroupRuleIds=[p])["SecurityGroupRules"])
        if kind == "aws_route_table_association": return bool(ec2.describe_route_tables(Filters=[{"Name": "association.route-table-association-id", "Values": [p]}])["RouteTables"])
        if kind == "aws_route":
            table, dest = p.split("|")
            return any(r.get("DestinationCidrBlock") == dest for t in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"] for r in t["Routes"])
        if kind == "aws_ecs_cluster_capacity_providers": return any(c["status"] == "ACTIVE" and c.get("capacityProviders") for c in ecs.describe_clusters(clusters=[p])["clusters"])
        if kind == "aws_iam_role_policy_attachment": return any(a["PolicyArn"] == out["policy_arn"] for a in iam.list_attached_role_policies(RoleName=out["role"])["AttachedPolicies"])
        if kind == "aws_appautoscaling_scheduled_action": return any(x["ScheduledActionName"] == out["name"] for x in asg.describe_scheduled_actions(ServiceNamespace="ecs", ScheduledActionNames=[out["name"]])["ScheduledActions"])
        raise Exception("no check for " + kind)
    except Exception:
        return False
res = state["resources"]
found = [i for i, r in res.items() if exists(r["kind"], r["physical"], r["outputs"])]
print(json.dumps(found))
"#;
    let file = std::env::temp_dir().join(format!("fgc-aws-state-{}-{}.json", std::process::id(), free_port()));
    std::fs::write(&file, state.to_string()).expect("write state copy");
    let out = Command::new("python3")
        .args(["-c", CHECK, endpoint, region, &file.to_string_lossy()])
        .output()
        .expect("python3");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "boto3 check failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("ids")
}

pub fn region_of(example: &Path) -> String {
    let text = std::fs::read_to_string(example).expect("read example");
    text.split("region").nth(1).and_then(|t| t.split('"').nth(1)).unwrap_or("us-east-1").to_string()
}

/// Runs a Python script with boto3 against the emulator; its standard output as JSON.
pub fn boto(endpoint: &str, region: &str, script: &str, args: &[&str]) -> serde_json::Value {
    const PRELUDE: &str = r#"
import json, sys, boto3
endpoint, region = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
def client(name): return boto3.client(name, **kw)
"#;
    let code = format!("{PRELUDE}\n{script}");
    let o = Command::new("python3").arg("-c").arg(&code).args([endpoint, region]).args(args).output().expect("python3");
    assert!(o.status.success(), "boto3 script failed:\n{}\n{}", String::from_utf8_lossy(&o.stderr), script);
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(out.trim()).unwrap_or(serde_json::Value::Null)
}

/// The IR of a stack in an environment, written beside it.
pub fn write_ir(file: &Path, env: Option<&str>, to: &Path) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fgc"));
    c.args(["build", &file.to_string_lossy(), "--emit", "ir"]);
    if let Some(e) = env {
        c.args(["--env", e]);
    }
    let o = c.output().expect("fgc build --emit ir");
    assert!(o.status.success(), "fgc build --emit ir failed: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(to, &o.stdout).expect("write IR");
}

/// What `readback.py` finds: every attribute of the IR read back through boto3 and
/// compared (`mismatches`, `missing`, `checked`, `unchecked`).
pub fn readback(endpoint: &str, region: &str, file: &Path, env: Option<&str>, state: &Path) -> serde_json::Value {
    let ir = state.with_extension("ir.json");
    write_ir(file, env, &ir);
    let script = root().join("crates/fgc/tests/readback.py");
    let o = Command::new("python3")
        .arg(&script)
        .args([endpoint, region, &ir.to_string_lossy(), &state.to_string_lossy()])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 readback.py");
    assert!(o.status.success(), "readback.py failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("readback JSON")
}

/// The problems a read-back found, one per line (empty when AWS has what the IR says).
pub fn problems(rb: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = rb["mismatches"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| {
                    format!(
                        "{} {}: want {} got {}",
                        x["id"].as_str().unwrap_or(""),
                        x["attr"].as_str().unwrap_or(""),
                        x["want"],
                        x["got"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for id in rb["missing"].as_array().map(Vec::as_slice).unwrap_or_default() {
        out.push(format!("{} is missing in AWS", id.as_str().unwrap_or("")));
    }
    out
}

/// What the source of `everything.fg` names outside the stack, created in the emulator:
/// the SSM parameter, the secret with its key, the image in ECR, and an issued (imported)
/// ACM certificate, whose ARN it returns (moto makes up the ARN).
pub fn seed_outside(endpoint: &str, region: &str) -> String {
    const SEED: &str = r#"
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
ssm = client("ssm")
for name in ["/shop/signing-key", "/shop/signing-key-2"]:
    ssm.put_parameter(Name=name, Value="s3cr3t", Type="SecureString", Overwrite=True)
sm = client("secretsmanager")
sm.create_secret(Name="shop/stripe", SecretString=json.dumps({"api_key": "sk_test"}))
ecr = client("ecr")
ecr.create_repository(repositoryName="shop/api")
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "a" * 64},
    "layers": []})
ecr.put_image(repositoryName="shop/api", imageManifest=manifest, imageTag="1.9.0")
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.example")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
    .not_valid_after(now + datetime.timedelta(days=30))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("shop.example")]), critical=False)
    .sign(key, hashes.SHA256()))
arn = client("acm").import_certificate(
    Certificate=cert.public_bytes(serialization.Encoding.PEM),
    PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
)["CertificateArn"]
print(json.dumps(arn))
"#;
    boto(endpoint, region, SEED, &[]).as_str().unwrap_or_default().to_string()
}
