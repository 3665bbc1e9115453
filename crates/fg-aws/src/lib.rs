//! The AWS SDK cloud for fg-deploy: one module per AWS service, each declaring the kinds it
//! manages in one table (how each attribute changes: which call updates it, or that it
//! replaces the resource) beside the calls that create, update, read back, delete and
//! adopt them.
//!
//! [`Aws`] implements `fg_deploy::Cloud` through the AWS SDK for Rust (EC2, ELBv2, ECS, IAM,
//! CloudWatch Logs and alarms, KMS, Application Auto Scaling, CodeDeploy, RDS, STS, ECR,
//! API Gateway v2), tags everything it creates with the stack's tags and its `fgc:id`, reads
//! every resource back for drift, checks what the source names outside the stack before
//! the first change (`preflight`), and turns AWS errors into messages with help (the
//! missing permission on AccessDenied, what exists on a name conflict). Throttling and 5xx
//! answers are retried by the SDK's standard retry strategy with backoff, with more
//! attempts than its default.
//!
//! It does not plan, order or record anything (fg-deploy does), and it reads no files.
//! Credentials come from the default chain (`--profile`, environment, SSO, instance
//! roles); `--endpoint-url` points every client at an emulator.

mod apigateway;
mod autoscaling;
mod changes;
mod cloud;
mod cloudwatch;
mod codedeploy;
#[cfg(test)]
mod contract_tests;
mod ec2;
mod ecr;
pub mod ecs;
mod elbv2;
mod errors;
mod iam;
#[cfg(test)]
mod iam_tests;
mod kms;
mod logs;
pub mod preflight;
mod rds;
pub mod release;
#[cfg(test)]
mod release_tests;
pub mod run;
pub mod settings;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use fg_deploy::{CloudError, Resolved};

pub use cloud::{Contract, contract, kinds};
pub use settings::{Run, Target, default_state_path};

pub(crate) use errors::error;

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
    pub(crate) acm: aws_sdk_acm::Client,
    pub(crate) ssm: aws_sdk_ssm::Client,
    pub(crate) secrets: aws_sdk_secretsmanager::Client,
    pub(crate) region: String,
    /// `fgc:app`, `fgc:env` and the app's tags.
    pub(crate) stack_tags: BTreeMap<String, String>,
    /// Mutating calls made, for "a second apply makes none" and the benchmark.
    pub calls: AtomicUsize,
    /// Reads made by refresh.
    pub reads: AtomicUsize,
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
        // Every client with the same settings, plus the rule that an HTML 500 is final.
        macro_rules! client {
            ($sdk:ident) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&conf).retry_classifier(errors::PageIsNotAws).build(),
                )
            };
        }
        Aws {
            ec2: client!(aws_sdk_ec2),
            ecs: client!(aws_sdk_ecs),
            elb: client!(aws_sdk_elasticloadbalancingv2),
            iam: client!(aws_sdk_iam),
            logs: client!(aws_sdk_cloudwatchlogs),
            kms: client!(aws_sdk_kms),
            sts: client!(aws_sdk_sts),
            rds: client!(aws_sdk_rds),
            scaling: client!(aws_sdk_applicationautoscaling),
            cloudwatch: client!(aws_sdk_cloudwatch),
            codedeploy: client!(aws_sdk_codedeploy),
            ecr: client!(aws_sdk_ecr),
            apigw: client!(aws_sdk_apigatewayv2),
            acm: client!(aws_sdk_acm),
            ssm: client!(aws_sdk_ssm),
            secrets: client!(aws_sdk_secretsmanager),
            region: target.region.clone(),
            stack_tags,
            calls: AtomicUsize::new(0),
            reads: AtomicUsize::new(0),
        }
    }

    /// Counts one mutating call.
    pub(crate) fn mutate(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// The tags of a resource: `tags_all` as the plan gives it (the stack's tags with the
    /// resource's own on top), else the stack's, its own and its `fgc:id`.
    pub(crate) fn tags(&self, r: &Resolved) -> Vec<(String, String)> {
        let mut tags = changes::wanted_tags(r);
        if r.get("tags_all").is_none() {
            for (k, v) in &self.stack_tags {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
            tags.insert("fgc:id".into(), r.id.clone());
        }
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

    /// Every data source of the IR, read.
    pub async fn read_all_data(&self, ir: &fg_ir::Ir) -> Result<fg_deploy::Data, CloudError> {
        let mut data = fg_deploy::Data::new();
        for r in ir.resources.iter().filter(|r| r.data) {
            data.insert(r.id.clone(), self.read_data(&r.kind).await?);
        }
        Ok(data)
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
