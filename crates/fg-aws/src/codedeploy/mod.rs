//! CodeDeploy for ECS blue/green services: applications, deployment groups and custom
//! deployment configs (canary, linear).
//!
//! It does not start or stop deployments (the release does), and it manages no EC2 or
//! Lambda deployment settings.

mod group;

use aws_sdk_codedeploy::types::{ComputePlatform, Tag, TimeBasedCanary, TimeBasedLinear, TrafficRoutingConfig};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};
use serde_json::{Value, json};

use crate::changes::Changes;
use crate::errors::{deleted, gone, unsupported};
use crate::values::{Seen, created, field, number, s, same, tag_object, text};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("codedeploy:TagResource, codedeploy:UntagResource");
const GROUP: Handling = Handling::Update("codedeploy:UpdateDeploymentGroup");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_codedeploy_app",
        replace: Order::DeleteFirst("an application's name is unique in its region"),
        attrs: &[
            ("name", Handling::Replace),
            ("compute_platform", Handling::Replace),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_codedeploy_deployment_group",
        replace: Order::DeleteFirst("an ECS service belongs to one deployment group"),
        attrs: &[
            ("app_name", Handling::Replace),
            ("deployment_group_name", Handling::Replace),
            ("alarm_configuration", GROUP),
            ("auto_rollback_configuration", GROUP),
            ("blue_green_deployment_config", GROUP),
            ("deployment_config_name", GROUP),
            ("deployment_style", GROUP),
            ("ecs_service", GROUP),
            ("load_balancer_info", GROUP),
            ("service_role_arn", GROUP),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    // A config cannot change; its name encodes its settings, so a new one has a new name:
    // the group moves to it, and the old one is deleted once nothing uses it.
    KindSpec {
        kind: "aws_codedeploy_deployment_config",
        replace: Order::CreateFirst,
        attrs: &[
            ("compute_platform", Handling::Replace),
            ("deployment_config_name", Handling::Replace),
            ("traffic_routing_config", Handling::Replace),
        ],
    },
];

/// The error codes by which CodeDeploy says something does not exist.
const MISSING: &[&str] = &["DoesNotExist"];

/// A group's state id: its application and name.
fn group_id(app: &str, group: &str) -> String {
    format!("{app}|{group}")
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_codedeploy_app" => {
            let name = s(r, "name");
            Ok(application(aws, name).await?.map(|_| created(name, &[("name", name)])))
        }
        "aws_codedeploy_deployment_config" => {
            let name = s(r, "deployment_config_name");
            Ok(config(aws, name).await?.map(|_| created(name, &[("deployment_config_name", name)])))
        }
        "aws_codedeploy_deployment_group" => {
            let (app, name) = (s(r, "app_name"), s(r, "deployment_group_name"));
            let found = group::get(aws, app, name).await?;
            Ok(found.map(|_| created(&group_id(app, name), &[("app_name", app), ("deployment_group_name", name)])))
        }
        other => Err(unsupported(other)),
    }
}

async fn application(aws: &Aws, name: &str) -> Result<Option<aws_sdk_codedeploy::types::ApplicationInfo>, CloudError> {
    let out = aws
        .codedeploy
        .get_application()
        .application_name(name)
        .send()
        .await
        .map_err(|e| error("codedeploy:GetApplication", e))
        .map(Some);
    Ok(gone(out, MISSING)?.and_then(|o| o.application().cloned()))
}

async fn config(aws: &Aws, name: &str) -> Result<Option<aws_sdk_codedeploy::types::DeploymentConfigInfo>, CloudError> {
    let out = aws
        .codedeploy
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
        .map_err(|e| error("codedeploy:GetDeploymentConfig", e))
        .map(Some);
    Ok(gone(out, MISSING)?.and_then(|o| o.deployment_config_info().cloned()))
}

fn tags(aws: &Aws, r: &Resolved) -> Vec<Tag> {
    aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn routing(t: &Value) -> TrafficRoutingConfig {
    let step = |k: &str| field(t, k).map(|b| (number(b, "interval"), number(b, "percentage")));
    let mut c = TrafficRoutingConfig::builder().set_type(text(t, "type").map(|x| x.as_str().into()));
    if let Some((interval, percentage)) = step("time_based_canary") {
        c = c.time_based_canary(
            TimeBasedCanary::builder()
                .set_canary_interval(interval.map(|n| n as i32))
                .set_canary_percentage(percentage.map(|n| n as i32))
                .build(),
        );
    }
    if let Some((interval, percentage)) = step("time_based_linear") {
        c = c.time_based_linear(
            TimeBasedLinear::builder()
                .set_linear_interval(interval.map(|n| n as i32))
                .set_linear_percentage(percentage.map(|n| n as i32))
                .build(),
        );
    }
    c.build()
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_codedeploy_app" => {
            let name = s(r, "name");
            let out = aws
                .codedeploy
                .create_application()
                .application_name(name)
                .compute_platform(ComputePlatform::from(s(r, "compute_platform")))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map(drop)
                .map_err(|e| error("codedeploy:CreateApplication", e));
            // Made by a run that crashed before recording it: the name is this stack's.
            match out {
                Err(e) if !e.message.contains("AlreadyExists") => return Err(e),
                _ => {}
            }
            Ok(created(name, &[("name", name)]))
        }
        "aws_codedeploy_deployment_group" => {
            group::create(aws, r, tags(aws, r)).await?;
            let (app, name) = (s(r, "app_name"), s(r, "deployment_group_name"));
            Ok(created(&group_id(app, name), &[("app_name", app), ("deployment_group_name", name)]))
        }
        "aws_codedeploy_deployment_config" => {
            let name = s(r, "deployment_config_name");
            aws.codedeploy
                .create_deployment_config()
                .deployment_config_name(name)
                .compute_platform(ComputePlatform::from(s(r, "compute_platform")))
                .set_traffic_routing_config(r.get("traffic_routing_config").map(routing))
                .send()
                .await
                .map_err(|e| error("codedeploy:CreateDeploymentConfig", e))?;
            Ok(created(name, &[("deployment_config_name", name)]))
        }
        other => Err(unsupported(other)),
    }
}

/// The ARN CodeDeploy tags by: GetApplication and GetDeploymentGroup do not return it.
async fn arn(aws: &Aws, have: &Deployed) -> Result<String, CloudError> {
    let who = aws.sts.get_caller_identity().send().await.map_err(|e| error("sts:GetCallerIdentity", e))?;
    let account = who.account().unwrap_or_default();
    let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
    let resource = match have.kind.as_str() {
        "aws_codedeploy_app" => format!("application:{}", have.physical),
        _ => format!("deploymentgroup:{}/{}", out("app_name"), out("deployment_group_name")),
    };
    Ok(format!("arn:{}:codedeploy:{}:{account}:{resource}", crate::partition(&aws.region), aws.region))
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    if r.kind == "aws_codedeploy_deployment_group" && ch.any(group::FIELDS) {
        group::update(aws, r, have, ch).await?;
        ch.done(group::FIELDS);
    }
    if let Some((set, removed)) = ch.tags(r) {
        let arn = arn(aws, have).await?;
        if !removed.is_empty() {
            aws.codedeploy
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("codedeploy:UntagResource", e))?;
        }
        let tags = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        aws.codedeploy
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| error("codedeploy:TagResource", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
    let result = match have.kind.as_str() {
        "aws_codedeploy_app" => aws
            .codedeploy
            .delete_application()
            .application_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("codedeploy:DeleteApplication", e)),
        "aws_codedeploy_deployment_group" => aws
            .codedeploy
            .delete_deployment_group()
            .application_name(out("app_name"))
            .deployment_group_name(out("deployment_group_name"))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("codedeploy:DeleteDeploymentGroup", e)),
        "aws_codedeploy_deployment_config" => aws
            .codedeploy
            .delete_deployment_config()
            .deployment_config_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("codedeploy:DeleteDeploymentConfig", e)),
        other => Err(unsupported(other)),
    };
    deleted(result, MISSING)
}

async fn tags_of(aws: &Aws, have: &Deployed) -> Result<Value, CloudError> {
    let out = aws
        .codedeploy
        .list_tags_for_resource()
        .resource_arn(arn(aws, have).await?)
        .send()
        .await
        .map_err(|e| error("codedeploy:ListTagsForResource", e))?;
    Ok(tag_object(out.tags().iter().filter_map(|t| Some((t.key()?, t.value()?)))))
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    rec: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_codedeploy_app" => {
            let Some(app) = application(aws, &have.physical).await? else { return Ok(None) };
            seen.opt("name", app.application_name());
            seen.opt("compute_platform", app.compute_platform().map(|p| p.as_str()));
            seen.put("tags_all", tags_of(aws, have).await?);
        }
        "aws_codedeploy_deployment_group" => {
            let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
            let Some(g) = group::get(aws, &out("app_name"), &out("deployment_group_name")).await? else {
                return Ok(None);
            };
            group::observe(&mut seen, &g, rec);
            seen.put("tags_all", tags_of(aws, have).await?);
        }
        "aws_codedeploy_deployment_config" => {
            let Some(c) = config(aws, &have.physical).await? else { return Ok(None) };
            seen.opt("deployment_config_name", c.deployment_config_name());
            seen.opt("compute_platform", c.compute_platform().map(|p| p.as_str()));
            if let Some(t) = c.traffic_routing_config() {
                let mut v = json!({"type": t.r#type().map(|x| x.as_str())});
                if let Some(c) = t.time_based_canary() {
                    v["time_based_canary"] =
                        json!({"interval": c.canary_interval(), "percentage": c.canary_percentage()});
                }
                if let Some(l) = t.time_based_linear() {
                    v["time_based_linear"] =
                        json!({"interval": l.linear_interval(), "percentage": l.linear_percentage()});
                }
                seen.put("traffic_routing_config", v);
            }
        }
        other => return Err(unsupported(other)),
    }
    Ok(seen.done())
}
