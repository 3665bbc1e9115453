//! Reading load balancers, target groups, listeners and rules back, in the IR's shape.

use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerSchemeEnum, ProtocolEnum};
use fg_deploy::{CloudError, Deployed, Observed, Resolved, State};
use serde_json::{Value, json};

use crate::errors::{gone, unsupported};
use crate::values::{Seen, tag_object};
use crate::{Aws, error};

async fn tags_of(aws: &Aws, arn: &str) -> Result<Value, CloudError> {
    let out = aws
        .elb
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .map_err(|e| error("elasticloadbalancing:DescribeTags", e))?;
    let tags = out.tag_descriptions().iter().flat_map(|d| d.tags()).filter_map(|t| Some((t.key()?, t.value()?)));
    Ok(tag_object(tags))
}

/// An action as the IR writes it: the defaults ELB fills into a redirect (`#{host}`,
/// `/#{path}`, `#{query}`) and the weighted form of a forward left out.
fn action_json(a: &aws_sdk_elasticloadbalancingv2::types::Action) -> Value {
    let kind = a.r#type().map(|t| t.as_str()).unwrap_or_default();
    let mut o = json!({"type": kind});
    match kind {
        "forward" => o["target_group_arn"] = json!(a.target_group_arn()),
        "fixed-response" => {
            if let Some(f) = a.fixed_response_config() {
                let mut x = json!({"status_code": f.status_code()});
                if let Some(t) = f.content_type() {
                    x["content_type"] = json!(t);
                }
                if let Some(b) = f.message_body() {
                    x["message_body"] = json!(b);
                }
                o["fixed_response"] = x;
            }
        }
        "redirect" => {
            if let Some(r) = a.redirect_config() {
                let mut x = json!({"status_code": r.status_code().map(|c| c.as_str())});
                for (k, v, default) in [
                    ("port", r.port(), "#{port}"),
                    ("protocol", r.protocol(), "#{protocol}"),
                    ("host", r.host(), "#{host}"),
                    ("path", r.path(), "/#{path}"),
                    ("query", r.query(), "#{query}"),
                ] {
                    if let Some(v) = v.filter(|v| *v != default) {
                        x[k] = json!(v);
                    }
                }
                o["redirect"] = x;
            }
        }
        _ => {}
    }
    o
}

fn condition_json(c: &aws_sdk_elasticloadbalancingv2::types::RuleCondition) -> Value {
    match c.field() {
        Some("path-pattern") => {
            let values = c.path_pattern_config().map(|p| p.values().to_vec()).unwrap_or_else(|| c.values().to_vec());
            json!({"path_pattern": {"values": values}})
        }
        Some("host-header") => {
            let values = c.host_header_config().map(|p| p.values().to_vec()).unwrap_or_else(|| c.values().to_vec());
            json!({"host_header": {"values": values}})
        }
        other => json!({"field": other, "values": c.values()}),
    }
}

pub(crate) async fn read(aws: &Aws, have: &Deployed, _: &Resolved, _: &State) -> Result<Option<Observed>, CloudError> {
    let arn = have.physical.as_str();
    let not_found = ["NotFound"];
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_lb" => {
            let out = aws
                .elb
                .describe_load_balancers()
                .load_balancer_arns(arn)
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeLoadBalancers", e))
                .map(Some);
            let Some(out) = gone(out, &not_found)? else { return Ok(None) };
            let Some(lb) = out.load_balancers().first() else { return Ok(None) };
            seen.opt("name", lb.load_balancer_name());
            seen.put("internal", lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal));
            seen.opt("load_balancer_type", lb.r#type().map(|t| t.as_str()));
            seen.put("security_groups", lb.security_groups().to_vec());
            let subnets: Vec<&str> = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).collect();
            seen.put("subnets", subnets);
            let attrs = aws
                .elb
                .describe_load_balancer_attributes()
                .load_balancer_arn(arn)
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeLoadBalancerAttributes", e))?;
            for a in attrs.attributes() {
                let (Some(k), Some(v)) = (a.key(), a.value()) else { continue };
                match k {
                    "idle_timeout.timeout_seconds" => seen.put("idle_timeout", v.parse::<i64>().ok()),
                    "routing.http.drop_invalid_header_fields.enabled" => {
                        seen.put("drop_invalid_header_fields", v == "true")
                    }
                    "deletion_protection.enabled" => seen.put("enable_deletion_protection", v == "true"),
                    _ => &mut seen,
                };
            }
        }
        "aws_lb_target_group" => {
            let out = aws
                .elb
                .describe_target_groups()
                .target_group_arns(arn)
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeTargetGroups", e))
                .map(Some);
            let Some(out) = gone(out, &not_found)? else { return Ok(None) };
            let Some(tg) = out.target_groups().first() else { return Ok(None) };
            seen.opt("name", tg.target_group_name());
            seen.opt("port", tg.port());
            seen.opt("protocol", tg.protocol().map(|p| p.as_str()));
            seen.opt("target_type", tg.target_type().map(|t| t.as_str()));
            seen.opt("vpc_id", tg.vpc_id());
            seen.put(
                "health_check",
                json!({
                    "enabled": tg.health_check_enabled(),
                    "path": tg.health_check_path(),
                    "protocol": tg.health_check_protocol().map(|p| p.as_str()),
                    "port": tg.health_check_port(),
                    "matcher": tg.matcher().and_then(|m| m.http_code()),
                    "interval": tg.health_check_interval_seconds(),
                    "timeout": tg.health_check_timeout_seconds(),
                    "healthy_threshold": tg.healthy_threshold_count(),
                    "unhealthy_threshold": tg.unhealthy_threshold_count(),
                }),
            );
            let attrs = aws
                .elb
                .describe_target_group_attributes()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeTargetGroupAttributes", e))?;
            let delay = attrs.attributes().iter().find(|a| a.key() == Some("deregistration_delay.timeout_seconds"));
            seen.opt("deregistration_delay", delay.and_then(|a| a.value()));
        }
        "aws_lb_listener" => {
            let out = aws
                .elb
                .describe_listeners()
                .listener_arns(arn)
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeListeners", e))
                .map(Some);
            let Some(out) = gone(out, &not_found)? else { return Ok(None) };
            let Some(l) = out.listeners().first() else { return Ok(None) };
            seen.opt("load_balancer_arn", l.load_balancer_arn());
            seen.opt("port", l.port());
            seen.opt("protocol", l.protocol().map(|p| p.as_str()));
            // A policy and a certificate belong to TLS listeners only (moto reports a
            // default policy on plain HTTP ones too).
            if matches!(l.protocol(), Some(ProtocolEnum::Https | ProtocolEnum::Tls)) {
                seen.opt("ssl_policy", l.ssl_policy());
                seen.opt("certificate_arn", l.certificates().first().and_then(|c| c.certificate_arn()));
            }
            for a in l.default_actions() {
                seen.put("default_action", action_json(a));
            }
        }
        "aws_lb_listener_rule" => {
            let out = aws
                .elb
                .describe_rules()
                .rule_arns(arn)
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:DescribeRules", e))
                .map(Some);
            let Some(out) = gone(out, &not_found)? else { return Ok(None) };
            let Some(rule) = out.rules().first() else { return Ok(None) };
            seen.opt("priority", rule.priority().and_then(|p| p.parse::<i64>().ok()));
            for a in rule.actions() {
                seen.put("action", action_json(a));
            }
            for c in rule.conditions() {
                seen.put("condition", condition_json(c));
            }
        }
        other => return Err(unsupported(other)),
    }
    seen.put("tags_all", tags_of(aws, arn).await?);
    Ok(seen.done())
}
