//! Application Auto Scaling: scalable targets (an ECS service's desired count between a
//! minimum and a maximum), their target tracking and step scaling policies, and scheduled
//! actions.
//!
//! Targets, policies and actions are "put" APIs: the call that creates one also updates it.
//! Each is named by its target (namespace, dimension, resource id), which a replacement may
//! keep (a service replaced under its name), so the old one always goes first. Not here:
//! the alarms that trigger step policies (`cloudwatch`), suspended states, custom metrics.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, MetricAggregationType, MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalableTargetAction, ServiceNamespace, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingScalingPolicyConfiguration,
};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};
use serde_json::{Value, json};

use crate::changes::Changes;
use crate::errors::{deleted, not_aws, unsupported};
use crate::values::{Seen, created, field, int, number, s, same, tag_object, text};
use crate::{Aws, error};

const REGISTER: Handling = Handling::Update("application-autoscaling:RegisterScalableTarget");
const POLICY: Handling = Handling::Update("application-autoscaling:PutScalingPolicy");
const ACTION: Handling = Handling::Update("application-autoscaling:PutScheduledAction");
const TAGS: Handling = Handling::Update("application-autoscaling:TagResource, application-autoscaling:UntagResource");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_appautoscaling_target",
        replace: Order::DeleteFirst("a target is unique per resource and dimension, which a replacement may keep"),
        attrs: &[
            ("service_namespace", Handling::Replace),
            ("scalable_dimension", Handling::Replace),
            ("resource_id", Handling::Replace),
            ("min_capacity", REGISTER),
            ("max_capacity", REGISTER),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_appautoscaling_policy",
        replace: Order::DeleteFirst("a policy's name is unique in its target, which a replacement may keep"),
        attrs: &[
            ("name", Handling::Replace),
            ("service_namespace", Handling::Replace),
            ("scalable_dimension", Handling::Replace),
            ("resource_id", Handling::Replace),
            ("policy_type", POLICY),
            ("step_scaling_policy_configuration", POLICY),
            ("target_tracking_scaling_policy_configuration", POLICY),
        ],
    },
    KindSpec {
        kind: "aws_appautoscaling_scheduled_action",
        replace: Order::DeleteFirst("an action's name is unique in its target, which a replacement may keep"),
        attrs: &[
            ("name", Handling::Replace),
            ("service_namespace", Handling::Replace),
            ("scalable_dimension", Handling::Replace),
            ("resource_id", Handling::Replace),
            ("schedule", ACTION),
            ("timezone", ACTION),
            ("scalable_target_action", ACTION),
        ],
    },
];

const POLICY_ATTRS: &[&str] =
    &["policy_type", "step_scaling_policy_configuration", "target_tracking_scaling_policy_configuration"];
const ACTION_ATTRS: &[&str] = &["schedule", "timezone", "scalable_target_action"];
const NOT_FOUND: &[&str] = &["ObjectNotFoundException", "No scalable target found", "No scaling policy found"];

/// The scalable target a resource is on: namespace, dimension, resource id.
struct Target {
    ns: String,
    dim: String,
    id: String,
}

impl Target {
    fn of(r: &Resolved) -> Target {
        Target {
            ns: s(r, "service_namespace").into(),
            dim: s(r, "scalable_dimension").into(),
            id: s(r, "resource_id").into(),
        }
    }

    /// From the outputs; states written before they held the namespace and dimension
    /// fall back to what was applied (`recorded`), else to ECS's, the only target fgc made.
    fn recorded(have: &Deployed, recorded: Option<&Resolved>) -> Target {
        let pick = |k: &str, default: &str| {
            let out = have.outputs.get(k).filter(|v| !v.is_empty()).cloned();
            out.or_else(|| recorded.and_then(|r| r.str(k)).map(str::to_string)).unwrap_or_else(|| default.into())
        };
        Target {
            ns: pick("service_namespace", "ecs"),
            dim: pick("scalable_dimension", "ecs:service:DesiredCount"),
            id: pick("resource_id", ""),
        }
    }

    fn ns(&self) -> ServiceNamespace {
        ServiceNamespace::from(self.ns.as_str())
    }

    fn dim(&self) -> ScalableDimension {
        ScalableDimension::from(self.dim.as_str())
    }

    fn created(&self, physical: &str, more: &[(&str, &str)]) -> Created {
        let mut outputs =
            vec![("resource_id", self.id.as_str()), ("service_namespace", &self.ns), ("scalable_dimension", &self.dim)];
        outputs.extend_from_slice(more);
        created(physical, &outputs)
    }
}

fn action_physical(t: &Target, name: &str) -> String {
    format!("{}|{name}", t.id)
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    let t = Target::of(r);
    let name = s(r, "name");
    match r.kind.as_str() {
        "aws_appautoscaling_target" => Ok(find_target(aws, &t)
            .await?
            .map(|x| t.created(&t.id, &[("arn", x.scalable_target_arn().unwrap_or_default())]))),
        "aws_appautoscaling_policy" => Ok(find_policy(aws, &t, name)
            .await?
            .map(|p| t.created(p.policy_arn(), &[("arn", p.policy_arn()), ("name", name)]))),
        "aws_appautoscaling_scheduled_action" => {
            Ok(find_action(aws, &t, name).await?.map(|_| t.created(&action_physical(&t, name), &[("name", name)])))
        }
        other => Err(unsupported(other)),
    }
}

async fn find_target(
    aws: &Aws,
    t: &Target,
) -> Result<Option<aws_sdk_applicationautoscaling::types::ScalableTarget>, CloudError> {
    let out = aws
        .scaling
        .describe_scalable_targets()
        .service_namespace(t.ns())
        .scalable_dimension(t.dim())
        .resource_ids(&t.id)
        .send()
        .await
        .map_err(|e| error("application-autoscaling:DescribeScalableTargets", e))?;
    Ok(out.scalable_targets().iter().find(|x| x.resource_id() == t.id && x.scalable_dimension() == &t.dim()).cloned())
}

/// Filtered here too: an emulator may ignore `PolicyNames`.
async fn find_policy(
    aws: &Aws,
    t: &Target,
    name: &str,
) -> Result<Option<aws_sdk_applicationautoscaling::types::ScalingPolicy>, CloudError> {
    let out = aws
        .scaling
        .describe_scaling_policies()
        .service_namespace(t.ns())
        .scalable_dimension(t.dim())
        .resource_id(&t.id)
        .policy_names(name)
        .send()
        .await
        .map_err(|e| error("application-autoscaling:DescribeScalingPolicies", e))?;
    Ok(out.scaling_policies().iter().find(|p| p.policy_name() == name && p.resource_id() == t.id).cloned())
}

async fn find_action(
    aws: &Aws,
    t: &Target,
    name: &str,
) -> Result<Option<aws_sdk_applicationautoscaling::types::ScheduledAction>, CloudError> {
    let out = aws
        .scaling
        .describe_scheduled_actions()
        .service_namespace(t.ns())
        .scalable_dimension(t.dim())
        .resource_id(&t.id)
        .scheduled_action_names(name)
        .send()
        .await
        .map_err(|e| error("application-autoscaling:DescribeScheduledActions", e))?;
    Ok(out.scheduled_actions().iter().find(|a| a.scheduled_action_name() == name && a.resource_id() == t.id).cloned())
}

/// Registers the target (or changes its capacities); tags only count when it is new.
async fn register(
    aws: &Aws,
    r: &Resolved,
    tags: Option<HashMap<String, String>>,
) -> Result<Option<String>, CloudError> {
    let t = Target::of(r);
    let out = aws
        .scaling
        .register_scalable_target()
        .service_namespace(t.ns())
        .scalable_dimension(t.dim())
        .resource_id(&t.id)
        .set_min_capacity(int(r, "min_capacity").map(|n| n as i32))
        .set_max_capacity(int(r, "max_capacity").map(|n| n as i32))
        .set_tags(tags)
        .send()
        .await
        .map_err(|e| error("application-autoscaling:RegisterScalableTarget", e))?;
    Ok(out.scalable_target_arn().map(str::to_string))
}

fn invalid(what: &str) -> impl Fn(aws_sdk_applicationautoscaling::error::BuildError) -> CloudError + '_ {
    move |e| CloudError::new(format!("invalid {what}: {e}"))
}

/// One block, or a list of repeated ones.
fn blocks(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

/// Creates or replaces the policy; its ARN.
async fn put_policy(aws: &Aws, r: &Resolved) -> Result<String, CloudError> {
    let t = Target::of(r);
    let mut call = aws
        .scaling
        .put_scaling_policy()
        .policy_name(s(r, "name"))
        .service_namespace(t.ns())
        .scalable_dimension(t.dim())
        .resource_id(&t.id)
        .set_policy_type(r.str("policy_type").map(PolicyType::from));
    if let Some(c) = r.get("target_tracking_scaling_policy_configuration") {
        let metric = field(c, "predefined_metric_specification")
            .map(|m| {
                PredefinedMetricSpecification::builder()
                    .set_predefined_metric_type(text(m, "predefined_metric_type").map(|x| MetricType::from(x.as_str())))
                    .set_resource_label(text(m, "resource_label"))
                    .build()
            })
            .transpose()
            .map_err(invalid("predefined metric"))?;
        let config = TargetTrackingScalingPolicyConfiguration::builder()
            .set_target_value(number(c, "target_value"))
            .set_scale_in_cooldown(number(c, "scale_in_cooldown").map(|n| n as i32))
            .set_scale_out_cooldown(number(c, "scale_out_cooldown").map(|n| n as i32))
            .set_disable_scale_in(field(c, "disable_scale_in").and_then(Value::as_bool))
            .set_predefined_metric_specification(metric)
            .build()
            .map_err(invalid("target tracking configuration"))?;
        call = call.target_tracking_scaling_policy_configuration(config);
    }
    if let Some(c) = r.get("step_scaling_policy_configuration") {
        let steps = blocks(field(c, "step_adjustment"))
            .into_iter()
            .map(|a| {
                StepAdjustment::builder()
                    .set_metric_interval_lower_bound(number(a, "metric_interval_lower_bound"))
                    .set_metric_interval_upper_bound(number(a, "metric_interval_upper_bound"))
                    .set_scaling_adjustment(number(a, "scaling_adjustment").map(|n| n as i32))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid("step adjustment"))?;
        let config = StepScalingPolicyConfiguration::builder()
            .set_adjustment_type(text(c, "adjustment_type").map(|x| AdjustmentType::from(x.as_str())))
            .set_cooldown(number(c, "cooldown").map(|n| n as i32))
            .set_metric_aggregation_type(
                text(c, "metric_aggregation_type").map(|x| MetricAggregationType::from(x.as_str())),
            )
            .set_min_adjustment_magnitude(number(c, "min_adjustment_magnitude").map(|n| n as i32))
            .set_step_adjustments(Some(steps))
            .build();
        call = call.step_scaling_policy_configuration(config);
    }
    let out = call.send().await.map_err(|e| error("application-autoscaling:PutScalingPolicy", e))?;
    Ok(out.policy_arn().to_string())
}

/// Creates or changes the action. An unset field of an existing action keeps its value,
/// so a time zone removed from the source is sent as AWS's default.
async fn put_action(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    let t = Target::of(r);
    let action = r.get("scalable_target_action").map(|a| {
        ScalableTargetAction::builder()
            .set_min_capacity(number(a, "min_capacity").map(|n| n as i32))
            .set_max_capacity(number(a, "max_capacity").map(|n| n as i32))
            .build()
    });
    aws.scaling
        .put_scheduled_action()
        .scheduled_action_name(s(r, "name"))
        .service_namespace(t.ns())
        .scalable_dimension(t.dim())
        .resource_id(&t.id)
        .schedule(s(r, "schedule"))
        .timezone(r.str("timezone").unwrap_or("UTC"))
        .set_scalable_target_action(action)
        .send()
        .await
        .map_err(|e| error("application-autoscaling:PutScheduledAction", e))?;
    Ok(())
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    let t = Target::of(r);
    let name = s(r, "name");
    match r.kind.as_str() {
        "aws_appautoscaling_target" => {
            let arn = register(aws, r, Some(aws.tags(r).into_iter().collect())).await?;
            Ok(t.created(&t.id, &[("arn", arn.as_deref().unwrap_or_default())]))
        }
        "aws_appautoscaling_policy" => {
            let arn = put_policy(aws, r).await?;
            Ok(t.created(&arn, &[("arn", &arn), ("name", name)]))
        }
        "aws_appautoscaling_scheduled_action" => {
            put_action(aws, r).await?;
            Ok(t.created(&action_physical(&t, name), &[("name", name)]))
        }
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    let t = Target::of(r);
    match r.kind.as_str() {
        "aws_appautoscaling_target" => {
            if ch.any(&["min_capacity", "max_capacity"]) {
                register(aws, r, None).await?;
                ch.done(&["min_capacity", "max_capacity"]);
            }
            if let Some((set, removed)) = ch.tags(r) {
                let arn = match have.outputs.get("arn").filter(|a| !a.is_empty()) {
                    Some(a) => a.clone(),
                    None => find_target(aws, &t)
                        .await?
                        .and_then(|x| x.scalable_target_arn().map(str::to_string))
                        .ok_or_else(|| {
                            CloudError::new(format!(
                                "Application Auto Scaling gave no ARN for the target `{}` to tag",
                                t.id
                            ))
                        })?,
                };
                if !removed.is_empty() {
                    aws.scaling
                        .untag_resource()
                        .resource_arn(&arn)
                        .set_tag_keys(Some(removed))
                        .send()
                        .await
                        .map_err(|e| error("application-autoscaling:UntagResource", e))?;
                }
                aws.scaling
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .map_err(|e| error("application-autoscaling:TagResource", e))?;
                ch.done(&["tags", "tags_all"]);
            }
            Ok(same(have))
        }
        "aws_appautoscaling_policy" => {
            if !ch.any(POLICY_ATTRS) {
                return Ok(same(have));
            }
            // AWS keeps the ARN of a policy put again; an emulator may not.
            let arn = put_policy(aws, r).await?;
            ch.done(POLICY_ATTRS);
            Ok(t.created(&arn, &[("arn", &arn), ("name", s(r, "name"))]))
        }
        "aws_appautoscaling_scheduled_action" => {
            if ch.any(ACTION_ATTRS) {
                put_action(aws, r).await?;
                ch.done(ACTION_ATTRS);
            }
            Ok(same(have))
        }
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let t = Target::recorded(have, None);
    let name = have.outputs.get("name").map(String::as_str).unwrap_or_default();
    let result = match have.kind.as_str() {
        "aws_appautoscaling_target" => aws
            .scaling
            .deregister_scalable_target()
            .service_namespace(t.ns())
            .scalable_dimension(t.dim())
            .resource_id(&t.id)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("application-autoscaling:DeregisterScalableTarget", e)),
        "aws_appautoscaling_policy" => {
            // States written before the resource id was an output: the policy says it.
            let t = match t.id.is_empty() {
                false => t,
                true => match policy_by_name(aws, &t, name).await? {
                    Some(t) => t,
                    None => return Ok(()),
                },
            };
            aws.scaling
                .delete_scaling_policy()
                .policy_name(name)
                .service_namespace(t.ns())
                .scalable_dimension(t.dim())
                .resource_id(&t.id)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("application-autoscaling:DeleteScalingPolicy", e))
        }
        "aws_appautoscaling_scheduled_action" => aws
            .scaling
            .delete_scheduled_action()
            .scheduled_action_name(name)
            .service_namespace(t.ns())
            .scalable_dimension(t.dim())
            .resource_id(&t.id)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("application-autoscaling:DeleteScheduledAction", e)),
        other => Err(unsupported(other)),
    };
    deleted(result, NOT_FOUND)
}

/// The target of the policy of this name in the namespace, for states that lack it.
async fn policy_by_name(aws: &Aws, t: &Target, name: &str) -> Result<Option<Target>, CloudError> {
    let out = aws
        .scaling
        .describe_scaling_policies()
        .service_namespace(t.ns())
        .policy_names(name)
        .send()
        .await
        .map_err(|e| error("application-autoscaling:DescribeScalingPolicies", e))?;
    let found = out.scaling_policies().iter().find(|p| p.policy_name() == name);
    Ok(found.map(|p| Target {
        ns: t.ns.clone(),
        dim: p.scalable_dimension().as_str().into(),
        id: p.resource_id().into(),
    }))
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    recorded: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    let t = Target::recorded(have, Some(recorded));
    let name = have.outputs.get("name").map(String::as_str).unwrap_or_default();
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_appautoscaling_target" => {
            let Some(x) = find_target(aws, &t).await? else { return Ok(None) };
            seen.put("service_namespace", x.service_namespace().as_str());
            seen.put("scalable_dimension", x.scalable_dimension().as_str());
            seen.put("resource_id", x.resource_id());
            seen.put("min_capacity", x.min_capacity());
            seen.put("max_capacity", x.max_capacity());
            if let Some(arn) = x.scalable_target_arn() {
                seen.opt("tags_all", target_tags(aws, arn).await?);
            }
        }
        "aws_appautoscaling_policy" => {
            let Some(p) = find_policy(aws, &t, name).await? else { return Ok(None) };
            seen.put("name", p.policy_name());
            seen.put("service_namespace", p.service_namespace().as_str());
            seen.put("scalable_dimension", p.scalable_dimension().as_str());
            seen.put("resource_id", p.resource_id());
            seen.put("policy_type", p.policy_type().as_str());
            seen.opt("step_scaling_policy_configuration", p.step_scaling_policy_configuration().map(step_json));
            seen.opt(
                "target_tracking_scaling_policy_configuration",
                p.target_tracking_scaling_policy_configuration().map(tracking_json),
            );
        }
        "aws_appautoscaling_scheduled_action" => {
            let Some(a) = find_action(aws, &t, name).await? else { return Ok(None) };
            seen.put("name", a.scheduled_action_name());
            seen.put("service_namespace", a.service_namespace().as_str());
            seen.opt("scalable_dimension", a.scalable_dimension().map(|d| d.as_str()));
            seen.put("resource_id", a.resource_id());
            seen.put("schedule", a.schedule());
            // AWS reports UTC where no time zone was set.
            seen.opt("timezone", a.timezone().filter(|z| *z != "UTC" || recorded.get("timezone").is_some()));
            if let Some(x) = a.scalable_target_action() {
                seen.put(
                    "scalable_target_action",
                    json!({"min_capacity": x.min_capacity(), "max_capacity": x.max_capacity()}),
                );
            }
        }
        other => return Err(unsupported(other)),
    }
    Ok(seen.done())
}

/// The target's tags, or `None` when the endpoint does not implement ListTagsForResource
/// (an emulator answers with a 5xx page, not an AWS error): not compared, rather than
/// reported as none.
async fn target_tags(aws: &Aws, arn: &str) -> Result<Option<Value>, CloudError> {
    match aws.scaling.list_tags_for_resource().resource_arn(arn).send().await {
        Ok(out) => {
            let tags = out.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()));
            Ok(Some(tag_object(tags)))
        }
        Err(e) if not_aws(&e) => Ok(None),
        Err(e) => Err(error("application-autoscaling:ListTagsForResource", e)),
    }
}

fn tracking_json(c: &TargetTrackingScalingPolicyConfiguration) -> Value {
    let mut o = json!({"target_value": c.target_value()});
    if let Some(n) = c.scale_in_cooldown() {
        o["scale_in_cooldown"] = json!(n);
    }
    if let Some(n) = c.scale_out_cooldown() {
        o["scale_out_cooldown"] = json!(n);
    }
    // Scale-in is allowed unless disabled: false and unset are the same.
    if c.disable_scale_in() == Some(true) {
        o["disable_scale_in"] = json!(true);
    }
    if let Some(m) = c.predefined_metric_specification() {
        let mut spec = json!({"predefined_metric_type": m.predefined_metric_type().as_str()});
        if let Some(label) = m.resource_label() {
            spec["resource_label"] = json!(label);
        }
        o["predefined_metric_specification"] = spec;
    }
    o
}

fn step_json(c: &StepScalingPolicyConfiguration) -> Value {
    let mut o = json!({});
    if let Some(x) = c.adjustment_type() {
        o["adjustment_type"] = json!(x.as_str());
    }
    if let Some(n) = c.cooldown() {
        o["cooldown"] = json!(n);
    }
    if let Some(x) = c.metric_aggregation_type() {
        o["metric_aggregation_type"] = json!(x.as_str());
    }
    if let Some(n) = c.min_adjustment_magnitude() {
        o["min_adjustment_magnitude"] = json!(n);
    }
    let mut steps: Vec<Value> = c
        .step_adjustments()
        .iter()
        .map(|a| {
            let mut step = json!({"scaling_adjustment": a.scaling_adjustment()});
            if let Some(b) = a.metric_interval_lower_bound() {
                step["metric_interval_lower_bound"] = json!(bound(b));
            }
            if let Some(b) = a.metric_interval_upper_bound() {
                step["metric_interval_upper_bound"] = json!(bound(b));
            }
            step
        })
        .collect();
    // Repeated blocks: one is the block itself.
    o["step_adjustment"] = if steps.len() == 1 { steps.remove(0) } else { Value::Array(steps) };
    o
}

/// A step bound as the IR writes it: text, without a fraction when whole (`15`, `12.5`).
fn bound(x: f64) -> String {
    if x.fract() == 0.0 { format!("{}", x as i64) } else { x.to_string() }
}
