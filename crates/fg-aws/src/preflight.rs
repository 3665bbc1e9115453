//! Preflight: before the first mutating call, what the source names outside the stack is
//! looked up in AWS, so that an apply does not stop halfway on something only AWS could
//! tell: an ACM certificate that does not exist, is not issued or lives in another region
//! than its balancer; an SSM parameter or Secrets Manager secret (and the JSON key named in
//! it) that is missing; an image tag missing from its ECR repository; a CloudWatch alarm a
//! blue/green rollback names that does not exist. The source alone cannot tell these.
//!
//! A failure names the resource and the literal the source wrote, so that the command line
//! can show it at its span. A check the credentials may not make is skipped, not failed:
//! the tasks' roles, not the deployer, read secrets at run time.

use fg_deploy::{Data, Desired, Resolved, State};
use serde_json::Value;

use crate::Aws;
use crate::values::field;

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    CertificateMissing,
    /// ACM's status: `PENDING_VALIDATION`, `EXPIRED`, `REVOKED`, …
    CertificateNotIssued(String),
    /// The certificate's region.
    CertificateRegion(String),
    ParameterMissing,
    SecretMissing,
    /// The JSON key the source names, missing from the secret's value.
    SecretKeyMissing(String),
    /// The repository or the tag is missing.
    ImageMissing,
    AlarmMissing,
}

/// One thing the source names that AWS does not have (or not usably).
#[derive(Debug, Clone)]
pub struct Failure {
    pub problem: Problem,
    /// The IR resource that names it.
    pub resource: String,
    /// The declaration it comes from.
    pub source: fg_ir::Source,
    /// The text as the source likely wrote it (an ARN, a parameter or secret name, an
    /// image, an alarm name), to point at.
    pub value: String,
    /// What AWS said.
    pub detail: String,
}

/// Checks the outside references of what the plan sends (`changing`: the ids it creates,
/// updates or replaces; what stays as it is was accepted before and is not sent again).
/// References to resources of the stack that do not exist yet are not checked (an image
/// of a repository this apply creates).
pub async fn check(
    aws: &Aws,
    ir: &fg_ir::Ir,
    want: &[Desired],
    changing: &std::collections::BTreeSet<&str>,
    state: &State,
    data: &Data,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    for d in want.iter().filter(|d| changing.contains(d.id.as_str())) {
        let Some(res) = ir.get(&d.id) else { continue };
        let r = fg_deploy::exec::resolve(d, state, data);
        let fail = |problem, value: &str, detail: String| Failure {
            problem,
            resource: d.id.clone(),
            source: res.source.clone(),
            value: value.to_string(),
            detail,
        };
        match d.kind.as_str() {
            "aws_lb_listener" => {
                if let Some(arn) = r.str("certificate_arn").filter(|a| a.contains(":acm:")) {
                    failures.extend(certificate(aws, arn).await.map(|(p, detail)| fail(p, arn, detail)));
                }
            }
            // Values that name resources not created yet resolve to nothing and are skipped.
            "aws_ecs_task_definition" => {
                // Containers sharing an image or a secret make one failure, not several.
                let mut seen = std::collections::BTreeSet::new();
                for (value, problem, detail) in containers(aws, &r, state).await {
                    if seen.insert((value.clone(), format!("{problem:?}"))) {
                        failures.push(fail(problem, &value, detail));
                    }
                }
            }
            "aws_codedeploy_deployment_group" => {
                for name in literal_alarms(d) {
                    if let Some(detail) = alarm(aws, &name).await {
                        failures.push(fail(Problem::AlarmMissing, &name, detail));
                    }
                }
            }
            _ => {}
        }
    }
    failures
}

async fn certificate(aws: &Aws, arn: &str) -> Option<(Problem, String)> {
    let region = arn.split(':').nth(3).unwrap_or_default();
    if region != aws.region {
        return Some((
            Problem::CertificateRegion(region.to_string()),
            format!("the certificate is in {region}; the balancer is in {}", aws.region),
        ));
    }
    match aws.acm.describe_certificate().certificate_arn(arn).send().await {
        Ok(out) => {
            let status = out.certificate().and_then(|c| c.status()).map(|s| s.as_str().to_string()).unwrap_or_default();
            (status != "ISSUED")
                .then_some((Problem::CertificateNotIssued(status.clone()), format!("its status is {status}")))
        }
        Err(e) => {
            let e = crate::error("acm:DescribeCertificate", e);
            missing(&e.message).then_some((Problem::CertificateMissing, e.message))
        }
    }
}

/// AWS said the thing does not exist (rather than that it may not be read).
fn missing(message: &str) -> bool {
    [
        "NotFound",
        "ResourceNotFoundException",
        "ParameterNotFound",
        "ImageNotFound",
        "RepositoryNotFound",
        "does not exist",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The secrets and images of a task definition's containers. What a resource of the stack
/// provides (the secret RDS keeps a database's password in) is the stack's own.
async fn containers(aws: &Aws, r: &Resolved, state: &State) -> Vec<(String, Problem, String)> {
    let own: std::collections::BTreeSet<&str> = state
        .resources
        .values()
        .flat_map(|d| d.outputs.values())
        .map(String::as_str)
        .filter(|v| v.starts_with("arn:"))
        .collect();
    let defs: Value = serde_json::from_str(r.str("container_definitions").unwrap_or("[]")).unwrap_or_default();
    let mut out = Vec::new();
    for c in defs.as_array().map(Vec::as_slice).unwrap_or_default() {
        for s in field(c, "secrets").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            let from = field(s, "valueFrom").and_then(Value::as_str).unwrap_or_default();
            if own.iter().any(|o| from.starts_with(o)) {
                continue;
            }
            if let Some(problem) = secret(aws, from).await {
                out.push(problem);
            }
        }
        if let Some(image) = field(c, "image").and_then(Value::as_str)
            && let Some(detail) = image_missing(aws, image).await
        {
            out.push((image.to_string(), Problem::ImageMissing, detail));
        }
    }
    out
}

/// Checks one `valueFrom`: an SSM parameter ARN, or a Secrets Manager ARN with an optional
/// `:key::` suffix. ARNs of the stack's own database secret resolve only once it exists.
async fn secret(aws: &Aws, from: &str) -> Option<(String, Problem, String)> {
    let mut parts = from.splitn(7, ':');
    let (service, rest) = (parts.nth(2)?, parts.nth(2)?);
    match service {
        "ssm" => {
            let name = rest.strip_prefix("parameter")?;
            // The ARN drops the leading slash of a hierarchical name; the source has it.
            let shown = if name.trim_start_matches('/').contains('/') {
                format!("/{}", name.trim_start_matches('/'))
            } else {
                name.trim_start_matches('/').to_string()
            };
            match aws.ssm.get_parameter().name(from).send().await {
                Ok(_) => None,
                Err(e) => {
                    let e = crate::error("ssm:GetParameter", e);
                    missing(&e.message).then_some((shown, Problem::ParameterMissing, e.message))
                }
            }
        }
        "secretsmanager" => {
            // `secret:NAME[-suffix][:KEY::]`: the secret by its (possibly partial) ARN,
            // which Secrets Manager resolves either way; a name with the random suffix
            // would not be found.
            let (prefix, tail) = from.split_once(":secret:")?;
            let mut fields = tail.split(':');
            let name = fields.next()?.to_string();
            let key = fields.next().filter(|k| !k.is_empty()).map(str::to_string);
            let id = format!("{prefix}:secret:{name}");
            match aws.secrets.describe_secret().secret_id(&id).send().await {
                Err(e) => {
                    let e = crate::error("secretsmanager:DescribeSecret", e);
                    return missing(&e.message).then_some((name, Problem::SecretMissing, e.message));
                }
                Ok(_) if key.is_none() => return None,
                Ok(_) => {}
            }
            let key = key?;
            // Reading the value may not be allowed to the deployer: then the key is not checked.
            let value = aws.secrets.get_secret_value().secret_id(&id).send().await.ok()?;
            let text = value.secret_string()?;
            let has = serde_json::from_str::<Value>(text).ok().is_some_and(|v| field(&v, &key).is_some());
            (!has).then(|| (key.clone(), Problem::SecretKeyMissing(key), format!("the value of `{name}` has no key")))
        }
        _ => None,
    }
}

/// An image in this region's ECR whose repository or tag is missing.
async fn image_missing(aws: &Aws, image: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    let ecr = labels.len() >= 6 && labels[1] == "dkr" && labels[2] == "ecr" && labels[3] == aws.region;
    if !ecr {
        return None;
    }
    let (repo, id) = match path.split_once('@') {
        Some((repo, digest)) => (repo, aws_sdk_ecr::types::ImageIdentifier::builder().image_digest(digest).build()),
        None => {
            let (repo, tag) = path.rsplit_once(':').unwrap_or((path, "latest"));
            (repo, aws_sdk_ecr::types::ImageIdentifier::builder().image_tag(tag).build())
        }
    };
    let out = aws.ecr.describe_images().registry_id(labels[0]).repository_name(repo).image_ids(id).send().await;
    match out {
        Ok(o) if !o.image_details().is_empty() => None,
        Ok(_) => Some("the repository has no such image".into()),
        Err(e) => {
            let e = crate::error("ecr:DescribeImages", e);
            missing(&e.message).then_some(e.message)
        }
    }
}

/// Alarm names a deployment group lists as text: the stack's own alarms are references.
fn literal_alarms(d: &Desired) -> Vec<String> {
    let attrs = d.attrs.as_array().map(Vec::as_slice).unwrap_or_default();
    let Some(config) = attrs.iter().find(|p| p.get(0).and_then(Value::as_str) == Some("alarm_configuration")) else {
        return Vec::new();
    };
    let pairs = config.get(1).and_then(|v| v.get("value")).and_then(Value::as_array).cloned().unwrap_or_default();
    let alarms = pairs.iter().find(|p| p.get(0).and_then(Value::as_str) == Some("alarms")).and_then(|p| p.get(1));
    let items = alarms.and_then(|a| a.get("value")).and_then(Value::as_array).cloned().unwrap_or_default();
    items
        .iter()
        .filter(|v| v.get("type").and_then(Value::as_str) == Some("str"))
        .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
        .collect()
}

async fn alarm(aws: &Aws, name: &str) -> Option<String> {
    let out = aws.cloudwatch.describe_alarms().alarm_names(name).send().await.ok()?;
    let found = out.metric_alarms().iter().any(|a| a.alarm_name() == Some(name))
        || out.composite_alarms().iter().any(|a| a.alarm_name() == Some(name));
    (!found).then(|| "CloudWatch has no alarm of that name in this region".into())
}
