//! Elastic Load Balancing v2: application load balancers, target groups, listeners and
//! their rules.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, HostHeaderConditionConfig, LoadBalancerAttribute,
    LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher, PathPatternConditionConfig, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum, RuleCondition, Tag, TargetGroupAttribute, TargetTypeEnum,
};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Order, Resolved};
use serde_json::Value;

use crate::errors::{deleted, unsupported};
use crate::values::{boolean, created, field, int, s, strings, text};
use crate::{Aws, error};

mod read;
mod update;

pub(crate) use read::read;
pub(crate) use update::update;

const TAGS: Handling = Handling::Update("elasticloadbalancing:AddTags, elasticloadbalancing:RemoveTags");
const LB_ATTRS: Handling = Handling::Update("elasticloadbalancing:ModifyLoadBalancerAttributes");
const LISTENER: Handling = Handling::Update("elasticloadbalancing:ModifyListener");
const RULE: Handling = Handling::Update("elasticloadbalancing:ModifyRule");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_lb",
        replace: Order::DeleteFirst("a load balancer's name is unique in its region"),
        attrs: &[
            ("name", Handling::Replace),
            ("internal", Handling::Replace),
            ("load_balancer_type", Handling::Replace),
            ("security_groups", Handling::Update("elasticloadbalancing:SetSecurityGroups")),
            ("subnets", Handling::Update("elasticloadbalancing:SetSubnets")),
            ("idle_timeout", LB_ATTRS),
            ("drop_invalid_header_fields", LB_ATTRS),
            ("enable_deletion_protection", LB_ATTRS),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_lb_target_group",
        replace: Order::DeleteFirst("a target group's name is unique in its region"),
        attrs: &[
            ("name", Handling::Replace),
            ("port", Handling::Replace),
            ("protocol", Handling::Replace),
            ("target_type", Handling::Replace),
            ("vpc_id", Handling::Replace),
            ("health_check", Handling::Update("elasticloadbalancing:ModifyTargetGroup")),
            ("deregistration_delay", Handling::Update("elasticloadbalancing:ModifyTargetGroupAttributes")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_lb_listener",
        replace: Order::DeleteFirst("a port takes one listener"),
        attrs: &[
            ("load_balancer_arn", Handling::Replace),
            ("port", LISTENER),
            ("protocol", LISTENER),
            ("ssl_policy", LISTENER),
            ("certificate_arn", LISTENER),
            ("default_action", LISTENER),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_lb_listener_rule",
        replace: Order::DeleteFirst("a priority takes one rule"),
        attrs: &[
            ("listener_arn", Handling::Replace),
            ("priority", Handling::Update("elasticloadbalancing:SetRulePriorities")),
            ("action", RULE),
            ("condition", RULE),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
];

fn tags(aws: &Aws, r: &Resolved) -> Vec<Tag> {
    aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The ARN's resource part that CloudWatch dimensions use: `app/name/id`.
fn suffix(arn: &str) -> String {
    arn.split_once(":loadbalancer/")
        .map(|(_, s)| s.to_string())
        .or_else(|| arn.split_once(':').map(|_| arn.rsplit(':').next().unwrap_or_default().to_string()))
        .unwrap_or_default()
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    let not_found = |e: &CloudError| e.message.contains("NotFound");
    match r.kind.as_str() {
        "aws_lb" => {
            let out = aws
                .elb
                .describe_load_balancers()
                .names(s(r, "name"))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeLoadBalancers", e));
            match out {
                Ok(o) => Ok(o.load_balancers().first().map(lb_created)),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        }
        "aws_lb_target_group" => {
            let out = aws
                .elb
                .describe_target_groups()
                .names(s(r, "name"))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeTargetGroups", e));
            match out {
                Ok(o) => Ok(o
                    .target_groups()
                    .first()
                    .and_then(|t| t.target_group_arn())
                    .map(|arn| tg_created(arn, s(r, "name")))),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        }
        "aws_lb_listener" => {
            let out = aws
                .elb
                .describe_listeners()
                .load_balancer_arn(s(r, "load_balancer_arn"))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeListeners", e))?;
            let port = int(r, "port").unwrap_or_default() as i32;
            Ok(out
                .listeners()
                .iter()
                .find(|l| l.port() == Some(port))
                .and_then(|l| l.listener_arn())
                .map(|a| created(a, &[("arn", a)])))
        }
        "aws_lb_listener_rule" => {
            let out = aws
                .elb
                .describe_rules()
                .listener_arn(s(r, "listener_arn"))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeRules", e))?;
            let priority = int(r, "priority").unwrap_or_default().to_string();
            Ok(out
                .rules()
                .iter()
                .find(|x| x.priority() == Some(priority.as_str()))
                .and_then(|x| x.rule_arn())
                .map(|a| created(a, &[("arn", a)])))
        }
        other => Err(unsupported(other)),
    }
}

fn lb_created(lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer) -> Created {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    created(
        arn,
        &[
            ("arn", arn),
            ("arn_suffix", &suffix(arn)),
            ("dns_name", lb.dns_name().unwrap_or_default()),
            ("zone_id", lb.canonical_hosted_zone_id().unwrap_or_default()),
        ],
    )
}

fn tg_created(arn: &str, name: &str) -> Created {
    let arn_suffix = arn.rsplit(':').next().unwrap_or_default().to_string();
    created(arn, &[("arn", arn), ("arn_suffix", &arn_suffix), ("name", name)])
}

/// A listener or rule action from its block.
fn action(v: &Value) -> Action {
    let kind = text(v, "type").unwrap_or_default();
    let mut a = Action::builder().r#type(ActionTypeEnum::from(kind.as_str()));
    match kind.as_str() {
        "forward" => a = a.target_group_arn(text(v, "target_group_arn").unwrap_or_default()),
        "fixed-response" => {
            let f = field(v, "fixed_response").cloned().unwrap_or_default();
            a = a.fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(text(&f, "status_code").unwrap_or_else(|| "404".into()))
                    .set_content_type(text(&f, "content_type"))
                    .set_message_body(text(&f, "message_body"))
                    .build(),
            );
        }
        "redirect" => {
            let f = field(v, "redirect").cloned().unwrap_or_default();
            a = a.redirect_config(
                RedirectActionConfig::builder()
                    .status_code(RedirectActionStatusCodeEnum::from(
                        text(&f, "status_code").unwrap_or_default().as_str(),
                    ))
                    .set_port(text(&f, "port"))
                    .set_protocol(text(&f, "protocol"))
                    .set_host(text(&f, "host"))
                    .set_path(text(&f, "path"))
                    .set_query(text(&f, "query"))
                    .build(),
            );
        }
        _ => {}
    }
    a.build()
}

fn values(v: &Value, block: &str) -> Option<Vec<String>> {
    let b = field(v, block)?;
    Some(field(b, "values")?.as_array()?.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
}

fn condition(v: &Value) -> RuleCondition {
    let mut c = RuleCondition::builder();
    if let Some(paths) = values(v, "path_pattern") {
        c = c
            .field("path-pattern")
            .path_pattern_config(PathPatternConditionConfig::builder().set_values(Some(paths)).build());
    }
    if let Some(hosts) = values(v, "host_header") {
        c = c
            .field("host-header")
            .host_header_config(HostHeaderConditionConfig::builder().set_values(Some(hosts)).build());
    }
    c.build()
}

async fn lb_attributes(aws: &Aws, r: &Resolved, arn: &str) -> Result<(), CloudError> {
    let mut attrs = Vec::new();
    let mut put = |k: &str, v: String| attrs.push(LoadBalancerAttribute::builder().key(k).value(v).build());
    if let Some(t) = int(r, "idle_timeout") {
        put("idle_timeout.timeout_seconds", t.to_string());
    }
    if let Some(b) = boolean(r, "drop_invalid_header_fields") {
        put("routing.http.drop_invalid_header_fields.enabled", b.to_string());
    }
    if let Some(b) = boolean(r, "enable_deletion_protection") {
        put("deletion_protection.enabled", b.to_string());
    }
    if attrs.is_empty() {
        return Ok(());
    }
    aws.elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attrs))
        .send()
        .await
        .map_err(|e| error("elasticloadbalancing:ModifyLoadBalancerAttributes", e))?;
    Ok(())
}

async fn tg_attributes(aws: &Aws, r: &Resolved, arn: &str) -> Result<(), CloudError> {
    let Some(delay) = r.get("deregistration_delay").and_then(|v| text(&serde_json::json!({ "v": v }), "v")) else {
        return Ok(());
    };
    aws.elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(TargetGroupAttribute::builder().key("deregistration_delay.timeout_seconds").value(delay).build())
        .send()
        .await
        .map_err(|e| error("elasticloadbalancing:ModifyTargetGroupAttributes", e))?;
    Ok(())
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_lb" => {
            let internal = boolean(r, "internal").unwrap_or(false);
            let out = aws
                .elb
                .create_load_balancer()
                .name(s(r, "name"))
                .r#type(LoadBalancerTypeEnum::Application)
                .scheme(if internal {
                    LoadBalancerSchemeEnum::Internal
                } else {
                    LoadBalancerSchemeEnum::InternetFacing
                })
                .set_subnets(Some(strings(r, "subnets")))
                .set_security_groups(Some(strings(r, "security_groups")))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:CreateLoadBalancer", e))?;
            let lb = out
                .load_balancers()
                .first()
                .ok_or_else(|| CloudError::new("CreateLoadBalancer returned no load balancer"))?;
            let c = lb_created(lb);
            lb_attributes(aws, r, &c.physical).await?;
            Ok(c)
        }
        "aws_lb_target_group" => {
            let hc = r.get("health_check").cloned().unwrap_or_default();
            let num = |k: &str| field(&hc, k).and_then(Value::as_i64).map(|n| n as i32);
            let out = aws
                .elb
                .create_target_group()
                .name(s(r, "name"))
                .protocol(ProtocolEnum::from(s(r, "protocol")))
                .port(int(r, "port").unwrap_or(80) as i32)
                .vpc_id(s(r, "vpc_id"))
                .target_type(TargetTypeEnum::from(s(r, "target_type")))
                .health_check_enabled(field(&hc, "enabled").and_then(Value::as_bool).unwrap_or(true))
                .set_health_check_path(text(&hc, "path"))
                .set_health_check_protocol(text(&hc, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
                .set_health_check_port(text(&hc, "port"))
                .set_health_check_interval_seconds(num("interval"))
                .set_health_check_timeout_seconds(num("timeout"))
                .set_healthy_threshold_count(num("healthy_threshold"))
                .set_unhealthy_threshold_count(num("unhealthy_threshold"))
                .set_matcher(text(&hc, "matcher").map(|m| Matcher::builder().http_code(m).build()))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:CreateTargetGroup", e))?;
            let arn = out.target_groups().first().and_then(|t| t.target_group_arn()).unwrap_or_default().to_string();
            tg_attributes(aws, r, &arn).await?;
            Ok(tg_created(&arn, s(r, "name")))
        }
        "aws_lb_listener" => {
            let certificate = r.str("certificate_arn").map(|c| Certificate::builder().certificate_arn(c).build());
            let out = aws
                .elb
                .create_listener()
                .load_balancer_arn(s(r, "load_balancer_arn"))
                .port(int(r, "port").unwrap_or(80) as i32)
                .protocol(ProtocolEnum::from(s(r, "protocol")))
                .set_ssl_policy(r.str("ssl_policy").map(str::to_string))
                .set_certificates(certificate.map(|c| vec![c]))
                .set_default_actions(Some(r.all("default_action").map(action).collect()))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:CreateListener", e))?;
            let arn = out.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default();
            Ok(created(arn, &[("arn", arn)]))
        }
        "aws_lb_listener_rule" => {
            let out = aws
                .elb
                .create_rule()
                .listener_arn(s(r, "listener_arn"))
                .priority(int(r, "priority").unwrap_or(1) as i32)
                .set_actions(Some(r.all("action").map(action).collect()))
                .set_conditions(Some(r.all("condition").map(condition).collect()))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:CreateRule", e))?;
            let arn = out.rules().first().and_then(|x| x.rule_arn()).unwrap_or_default();
            Ok(created(arn, &[("arn", arn)]))
        }
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let arn = have.physical.as_str();
    let result = match have.kind.as_str() {
        "aws_lb" => {
            // `fgc destroy` is the explicit request deletion protection waits for.
            let _ = aws
                .elb
                .modify_load_balancer_attributes()
                .load_balancer_arn(arn)
                .attributes(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value("false").build())
                .send()
                .await;
            aws.elb
                .delete_load_balancer()
                .load_balancer_arn(arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("elasticloadbalancing:DeleteLoadBalancer", e))
        }
        "aws_lb_target_group" => aws
            .elb
            .delete_target_group()
            .target_group_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("elasticloadbalancing:DeleteTargetGroup", e)),
        "aws_lb_listener" => aws
            .elb
            .delete_listener()
            .listener_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("elasticloadbalancing:DeleteListener", e)),
        "aws_lb_listener_rule" => aws
            .elb
            .delete_rule()
            .rule_arn(arn)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("elasticloadbalancing:DeleteRule", e)),
        other => Err(unsupported(other)),
    };
    deleted(result, &["NotFound"])
}
