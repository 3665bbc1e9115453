//! The AWS SDK cloud for fg-deploy: one handler per IR resource kind, on tokio.
//!
//! [`Aws`] implements `fg_deploy::Cloud`: it creates, updates, deletes and adopts
//! resources through the AWS SDK for Rust (EC2, ELBv2, ECS, IAM, CloudWatch Logs and
//! alarms, KMS, Application Auto Scaling, CodeDeploy, RDS, STS, ECR, API Gateway v2), tags everything it creates with the stack's tags and its `fgc:id`, and turns
//! AWS errors into messages with help (the missing permission on AccessDenied, what
//! exists on a name conflict). Throttling and 5xx answers are retried by the SDK's
//! standard retry strategy with backoff, with more attempts than its default.
//!
//! It does not plan, order or record anything (fg-deploy does), and it reads no files.
//! Credentials come from the default chain (`--profile`, environment, SSO, instance
//! roles); `--endpoint-url` points every client at an emulator.

mod ec2;
pub mod ecs;
mod elb;
mod gateway;
mod iam;
pub mod release;
#[cfg(test)]
mod release_tests;
pub mod run;
mod scaling;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use fg_deploy::{AttrChange, CloudError, Created, Deployed, Resolved};
use serde_json::Value;

/// Where and as whom to deploy.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: String,
    pub profile: Option<String>,
    /// An emulator's endpoint (`http://127.0.0.1:5000`); the real AWS when `None`.
    pub endpoint: Option<String>,
    /// An access key and secret to use instead of the default chain (tests).
    pub credentials: Option<(String, String)>,
}

/// The SDK clients of one region, and the tags every resource of the stack carries.
pub struct Aws {
    pub(crate) ec2: aws_sdk_ec2::Client,
    pub(crate) ecs: aws_sdk_ecs::Client,
    pub(crate) elb: aws_sdk_elasticloadbalancingv2::Client,
    pub(crate) iam: aws_sdk_iam::Client,
    pub(crate) logs: aws_sdk_cloudwatchlogs::Client,
    pub(crate) kms: aws_sdk_kms::Client,
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) rds: aws_sdk_rds::Client,
    pub(crate) scaling: aws_sdk_applicationautoscaling::Client,
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) codedeploy: aws_sdk_codedeploy::Client,
    pub(crate) ecr: aws_sdk_ecr::Client,
    pub(crate) apigw: aws_sdk_apigatewayv2::Client,
    pub(crate) region: String,
    /// `fgc:app`, `fgc:env` and the app's tags.
    pub(crate) stack_tags: BTreeMap<String, String>,
    /// Mutating calls made, for "a second apply makes none" and the benchmark.
    pub calls: AtomicUsize,
}

impl Aws {
    pub async fn connect(target: &Target, stack_tags: BTreeMap<String, String>) -> Aws {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(target.region.clone()))
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(8));
        if let Some(p) = &target.profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &target.endpoint {
            loader = loader.endpoint_url(e);
        }
        if let Some((key, secret)) = &target.credentials {
            loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(key, secret, None, None, "fgc"));
        }
        let conf = loader.load().await;
        Aws {
            ec2: aws_sdk_ec2::Client::new(&conf),
            ecs: aws_sdk_ecs::Client::new(&conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
            kms: aws_sdk_kms::Client::new(&conf),
            sts: aws_sdk_sts::Client::new(&conf),
            rds: aws_sdk_rds::Client::new(&conf),
            scaling: aws_sdk_applicationautoscaling::Client::new(&conf),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&conf),
            codedeploy: aws_sdk_codedeploy::Client::new(&conf),
            ecr: aws_sdk_ecr::Client::new(&conf),
            apigw: aws_sdk_apigatewayv2::Client::new(&conf),
            region: target.region.clone(),
            stack_tags,
            calls: AtomicUsize::new(0),
        }
    }

    /// Counts one mutating call.
    pub(crate) fn mutate(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// The tags of a resource: the stack's, then its own (`Name`, `fgc:id`).
    pub(crate) fn tags(&self, r: &Resolved) -> Vec<(String, String)> {
        let mut tags: BTreeMap<String, String> = self.stack_tags.clone();
        if let Some(Value::Object(own)) = r.get("tags") {
            for (k, v) in own {
                tags.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
        tags.insert("fgc:id".into(), r.id.clone());
        tags.into_iter().collect()
    }

    /// What data sources read: the partition, the account, the zones.
    pub async fn read_data(&self, kind: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let mut out = BTreeMap::new();
        match kind {
            "aws_partition" => {
                out.insert("partition".into(), partition(&self.region).into());
                out.insert("dns_suffix".into(), "amazonaws.com".into());
            }
            "aws_caller_identity" => {
                let who = self.sts.get_caller_identity().send().await.map_err(|e| error("sts:GetCallerIdentity", e))?;
                out.insert("account_id".into(), who.account().unwrap_or_default().into());
                out.insert("arn".into(), who.arn().unwrap_or_default().into());
            }
            "aws_availability_zones" => {
                let zones = self
                    .ec2
                    .describe_availability_zones()
                    .send()
                    .await
                    .map_err(|e| error("ec2:DescribeAvailabilityZones", e))?;
                let names: Vec<&str> = zones.availability_zones().iter().filter_map(|z| z.zone_name()).collect();
                out.insert("names".into(), serde_json::to_string(&names).unwrap_or_default());
                for (i, n) in names.iter().enumerate() {
                    out.insert(format!("names[{i}]"), n.to_string());
                }
            }
            other => return Err(CloudError::new(format!("fgc cannot read `{other}` through the AWS SDK yet"))),
        }
        Ok(out)
    }
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl fg_deploy::Cloud for Aws {
    async fn adopt(&self, r: &Resolved) -> Result<Option<Created>, CloudError> {
        match r.kind.as_str() {
            k if ec2::KINDS.contains(&k) => ec2::adopt(self, r).await,
            k if elb::KINDS.contains(&k) => elb::adopt(self, r).await,
            k if ecs::KINDS.contains(&k) => ecs::adopt(self, r).await,
            k if iam::KINDS.contains(&k) => iam::adopt(self, r).await,
            k if scaling::KINDS.contains(&k) => scaling::adopt(self, r).await,
            k if gateway::KINDS.contains(&k) => gateway::adopt(self, r).await,
            other => Err(unsupported(other)),
        }
    }

    async fn create(&self, r: &Resolved) -> Result<Created, CloudError> {
        match r.kind.as_str() {
            k if ec2::KINDS.contains(&k) => ec2::create(self, r).await,
            k if elb::KINDS.contains(&k) => elb::create(self, r).await,
            k if ecs::KINDS.contains(&k) => ecs::create(self, r).await,
            k if iam::KINDS.contains(&k) => iam::create(self, r).await,
            k if scaling::KINDS.contains(&k) => scaling::create(self, r).await,
            k if gateway::KINDS.contains(&k) => gateway::create(self, r).await,
            other => Err(unsupported(other)),
        }
    }

    async fn update(&self, r: &Resolved, have: &Deployed, changes: &[AttrChange]) -> Result<Created, CloudError> {
        let names: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
        match r.kind.as_str() {
            k if ec2::KINDS.contains(&k) => ec2::update(self, r, have, &names).await,
            k if elb::KINDS.contains(&k) => elb::update(self, r, have, &names).await,
            k if ecs::KINDS.contains(&k) => ecs::update(self, r, have, &names).await,
            k if iam::KINDS.contains(&k) => iam::update(self, r, have, &names).await,
            k if scaling::KINDS.contains(&k) => scaling::update(self, r, have, &names).await,
            k if gateway::KINDS.contains(&k) => gateway::update(self, r, have, &names).await,
            other => Err(unsupported(other)),
        }
    }

    async fn delete(&self, id: &str, have: &Deployed) -> Result<(), CloudError> {
        match have.kind.as_str() {
            k if ec2::KINDS.contains(&k) => ec2::delete(self, id, have).await,
            k if elb::KINDS.contains(&k) => elb::delete(self, have).await,
            k if ecs::KINDS.contains(&k) => ecs::delete(self, have).await,
            k if iam::KINDS.contains(&k) => iam::delete(self, have).await,
            k if scaling::KINDS.contains(&k) => scaling::delete(self, have).await,
            k if gateway::KINDS.contains(&k) => gateway::delete(self, have).await,
            other => Err(unsupported(other)),
        }
    }

    fn immutable(&self, kind: &str, attr: &str) -> bool {
        immutable(kind, attr)
    }
}

/// Attributes AWS cannot change in place (Terraform's ForceNew), per kind. Everything
/// else is updated; tags always are.
pub fn immutable(kind: &str, attr: &str) -> bool {
    if attr == "tags" {
        return false;
    }
    if gateway::KINDS.contains(&kind) {
        return gateway::immutable(kind, attr);
    }
    match kind {
        "aws_vpc" => attr == "cidr_block",
        "aws_subnet" => ["vpc_id", "cidr_block", "availability_zone"].contains(&attr),
        "aws_internet_gateway" | "aws_route_table" | "aws_default_security_group" => attr == "vpc_id",
        "aws_security_group" => ["name", "description", "vpc_id"].contains(&attr),
        "aws_nat_gateway" => ["allocation_id", "subnet_id"].contains(&attr),
        "aws_eip" => attr == "domain",
        "aws_lb" => ["name", "internal", "load_balancer_type"].contains(&attr),
        "aws_lb_target_group" => ["name", "port", "protocol", "target_type", "vpc_id"].contains(&attr),
        "aws_lb_listener" => attr == "load_balancer_arn",
        "aws_lb_listener_rule" => attr == "listener_arn",
        "aws_ecs_cluster" => attr == "name",
        "aws_ecs_service" => ["name", "cluster"].contains(&attr),
        "aws_iam_role" => attr == "name",
        "aws_iam_role_policy" => ["name", "role"].contains(&attr),
        "aws_cloudwatch_log_group" => ["name", "kms_key_id"].contains(&attr),
        "aws_kms_key" => false,
        "aws_vpc_endpoint" => ["vpc_id", "service_name", "vpc_endpoint_type"].contains(&attr),
        "aws_appautoscaling_target" => ["service_namespace", "scalable_dimension", "resource_id"].contains(&attr),
        "aws_appautoscaling_policy" | "aws_appautoscaling_scheduled_action" => {
            ["name", "service_namespace", "scalable_dimension", "resource_id"].contains(&attr)
        }
        "aws_cloudwatch_metric_alarm" => attr == "alarm_name",
        "aws_codedeploy_app" => ["name", "compute_platform"].contains(&attr),
        "aws_codedeploy_deployment_group" => ["app_name", "deployment_group_name"].contains(&attr),
        // Deployment configurations cannot be changed: a new one replaces the old.
        "aws_codedeploy_deployment_config" => true,
        "aws_db_subnet_group" => attr == "name",
        "aws_db_instance" => {
            ["identifier", "engine", "db_name", "username", "storage_encrypted", "db_subnet_group_name", "port"]
                .contains(&attr)
        }
        // Task definitions are immutable: a change is a new revision. Rules, routes,
        // associations and flow logs have nothing to update.
        "aws_ecs_task_definition"
        | "aws_route"
        | "aws_route_table_association"
        | "aws_vpc_security_group_ingress_rule"
        | "aws_vpc_security_group_egress_rule"
        | "aws_flow_log" => true,
        _ => true,
    }
}

/// A delete of a resource that is already gone succeeded: destroy stays idempotent after a
/// crash between the call and the state write, or a delete made outside fgc. `markers`
/// are the error texts by which the service says so; they differ per service.
pub(crate) fn deleted(result: Result<(), CloudError>, markers: &[&str]) -> Result<(), CloudError> {
    match result {
        Err(e) if markers.iter().any(|m| e.message.contains(m)) => Ok(()),
        other => other,
    }
}

fn unsupported(kind: &str) -> CloudError {
    CloudError {
        message: format!("the AWS SDK backend cannot manage `{kind}` yet"),
        help: Some("deploy this stack with `fgc build` and Terraform for now".into()),
    }
}

/// An AWS error as a message with help. `action` is the IAM action of the call.
pub(crate) fn error<E, R>(action: &str, e: aws_sdk_ec2::error::SdkError<E, R>) -> CloudError
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (code, message) = match e.as_service_error() {
        Some(s) => (s.code().unwrap_or_default().to_string(), s.message().unwrap_or_default().to_string()),
        None => (String::new(), aws_sdk_ec2::error::DisplayErrorContext(&e).to_string()),
    };
    let help = match code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthFailure" => {
            Some(format!("the credentials in use may not call `{action}`; grant it to the role or user fgc runs as"))
        }
        c if c.contains("Duplicate") || c.contains("AlreadyExists") || c == "ResourceInUseException" => Some(
            "something with this name exists that fgc's state does not record: delete or rename it, or run `fgc state recover` if fgc made it"
                .into(),
        ),
        "DependencyViolation" => Some("something outside this stack still uses it; remove that first".into()),
        "DeploymentLimitExceededException" | "DeploymentAlreadyStartedException" => Some(
            "a deployment of this service is still in progress: wait for it to end (or stop it in CodeDeploy) and release again"
                .into(),
        ),
        "RepositoryNotEmptyException" => Some(
            "the repository still holds images: delete them, or set `force_delete = true` and apply before destroying"
                .into(),
        ),
        _ => None,
    };
    let what = if code.is_empty() { message } else { format!("{code}: {message}") };
    CloudError { message: format!("`{action}` failed: {what}"), help }
}

/// The string at `name`, or an empty one.
pub(crate) fn s<'a>(r: &'a Resolved, name: &str) -> &'a str {
    r.str(name).unwrap_or_default()
}

pub(crate) fn int(r: &Resolved, name: &str) -> Option<i64> {
    r.get(name).and_then(Value::as_i64)
}

pub(crate) fn boolean(r: &Resolved, name: &str) -> Option<bool> {
    r.get(name).and_then(Value::as_bool)
}

/// A list of strings at `name`.
pub(crate) fn strings(r: &Resolved, name: &str) -> Vec<String> {
    r.get(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// An attribute as it was applied, from the state (`{"type": …, "value": …}` pairs).
pub(crate) fn recorded<'a>(have: &'a Deployed, name: &str) -> Option<&'a Value> {
    have.attrs
        .as_array()?
        .iter()
        .find(|p| p.get(0).and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get(1))
        .and_then(|v| v.get("value"))
}

/// A created resource with its outputs.
pub(crate) fn created(physical: &str, outputs: &[(&str, &str)]) -> Created {
    let mut o: BTreeMap<String, String> = outputs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    o.entry("id".into()).or_insert_with(|| physical.to_string());
    Created { physical: physical.to_string(), outputs: o }
}

/// A field of a JSON object as text: a string, or a number written out (the IR writes
/// some numeric API fields, such as a status code or a step bound, as strings).
pub(crate) fn text(v: &Value, name: &str) -> Option<String> {
    field(v, name).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Fields of a JSON object value.
pub(crate) fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| o.get(name))
}
