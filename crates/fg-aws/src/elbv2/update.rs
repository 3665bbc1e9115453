//! Changing a load balancer, target group, listener or rule in place: each changed
//! attribute with the call that carries it, and the tags.

use aws_sdk_elasticloadbalancingv2::types::{Certificate, Matcher, ProtocolEnum, Tag};
use fg_deploy::{CloudError, Created, Deployed, Resolved};
use serde_json::Value;

use super::{action, condition, lb_attributes, tg_attributes};
use crate::changes::Changes;
use crate::values::{field, int, s, same, strings, text};
use crate::{Aws, error};

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    let arn = have.physical.as_str();
    match r.kind.as_str() {
        "aws_lb" => {
            if ch.any(&["security_groups"]) {
                aws.elb
                    .set_security_groups()
                    .load_balancer_arn(arn)
                    .set_security_groups(Some(strings(r, "security_groups")))
                    .send()
                    .await
                    .map_err(|e| error("elasticloadbalancing:SetSecurityGroups", e))?;
                ch.done(&["security_groups"]);
            }
            if ch.any(&["subnets"]) {
                aws.elb
                    .set_subnets()
                    .load_balancer_arn(arn)
                    .set_subnets(Some(strings(r, "subnets")))
                    .send()
                    .await
                    .map_err(|e| error("elasticloadbalancing:SetSubnets", e))?;
                ch.done(&["subnets"]);
            }
            const ATTRS: &[&str] = &["idle_timeout", "drop_invalid_header_fields", "enable_deletion_protection"];
            if ch.any(ATTRS) {
                lb_attributes(aws, r, arn).await?;
                ch.done(ATTRS);
            }
        }
        "aws_lb_target_group" => {
            if ch.any(&["health_check"]) {
                let hc = r.get("health_check").cloned().unwrap_or_default();
                let num = |k: &str| field(&hc, k).and_then(Value::as_i64).map(|n| n as i32);
                aws.elb
                    .modify_target_group()
                    .target_group_arn(arn)
                    .set_health_check_enabled(field(&hc, "enabled").and_then(Value::as_bool))
                    .set_health_check_path(text(&hc, "path"))
                    .set_health_check_protocol(text(&hc, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
                    .set_health_check_port(text(&hc, "port"))
                    .set_health_check_interval_seconds(num("interval"))
                    .set_health_check_timeout_seconds(num("timeout"))
                    .set_healthy_threshold_count(num("healthy_threshold"))
                    .set_unhealthy_threshold_count(num("unhealthy_threshold"))
                    .set_matcher(text(&hc, "matcher").map(|m| Matcher::builder().http_code(m).build()))
                    .send()
                    .await
                    .map_err(|e| error("elasticloadbalancing:ModifyTargetGroup", e))?;
                ch.done(&["health_check"]);
            }
            if ch.any(&["deregistration_delay"]) {
                tg_attributes(aws, r, arn).await?;
                ch.done(&["deregistration_delay"]);
            }
        }
        "aws_lb_listener" => {
            const FIELDS: &[&str] = &["port", "protocol", "ssl_policy", "certificate_arn", "default_action"];
            if ch.any(FIELDS) {
                let certificate = r.str("certificate_arn").map(|c| Certificate::builder().certificate_arn(c).build());
                aws.elb
                    .modify_listener()
                    .listener_arn(arn)
                    .port(int(r, "port").unwrap_or(80) as i32)
                    .protocol(ProtocolEnum::from(s(r, "protocol")))
                    .set_ssl_policy(r.str("ssl_policy").map(str::to_string))
                    .set_certificates(certificate.map(|c| vec![c]))
                    .set_default_actions(Some(r.all("default_action").map(action).collect()))
                    .send()
                    .await
                    .map_err(|e| error("elasticloadbalancing:ModifyListener", e))?;
                ch.done(FIELDS);
            }
        }
        "aws_lb_listener_rule" => {
            if ch.any(&["priority"]) {
                aws.elb
                    .set_rule_priorities()
                    .rule_priorities(
                        aws_sdk_elasticloadbalancingv2::types::RulePriorityPair::builder()
                            .rule_arn(arn)
                            .priority(int(r, "priority").unwrap_or(1) as i32)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| error("elasticloadbalancing:SetRulePriorities", e))?;
                ch.done(&["priority"]);
            }
            if ch.any(&["action", "condition"]) {
                aws.elb
                    .modify_rule()
                    .rule_arn(arn)
                    .set_actions(Some(r.all("action").map(action).collect()))
                    .set_conditions(Some(r.all("condition").map(condition).collect()))
                    .send()
                    .await
                    .map_err(|e| error("elasticloadbalancing:ModifyRule", e))?;
                ch.done(&["action", "condition"]);
            }
        }
        _ => {}
    }
    if let Some((set, removed)) = ch.tags(r) {
        if !removed.is_empty() {
            aws.elb
                .remove_tags()
                .resource_arns(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:RemoveTags", e))?;
        }
        let tags = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        aws.elb
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:AddTags", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}
