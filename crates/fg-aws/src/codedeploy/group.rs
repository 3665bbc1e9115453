//! A deployment group's settings: built from the IR for CreateDeploymentGroup and
//! UpdateDeploymentGroup (only what changed), and read back in the IR's shape.

use aws_sdk_codedeploy::types as cd;
use fg_deploy::{CloudError, Deployed, Resolved};
use serde_json::{Value, json};

use super::MISSING;
use crate::changes::Changes;
use crate::errors::gone;
use crate::values::{Seen, field, number, s, string_list, text};
use crate::{Aws, error};

/// What UpdateDeploymentGroup carries.
pub(super) const FIELDS: &[&str] = &[
    "alarm_configuration",
    "auto_rollback_configuration",
    "blue_green_deployment_config",
    "deployment_config_name",
    "deployment_style",
    "ecs_service",
    "load_balancer_info",
    "service_role_arn",
];

/// The config CodeDeploy gives an ECS group that names none (moto answers the EC2
/// default, `OneAtATime`).
const DEFAULT_CONFIG: &str = "CodeDeployDefault.ECSAllAtOnce";

pub(super) async fn get(aws: &Aws, app: &str, name: &str) -> Result<Option<cd::DeploymentGroupInfo>, CloudError> {
    let out = aws
        .codedeploy
        .get_deployment_group()
        .application_name(app)
        .deployment_group_name(name)
        .send()
        .await
        .map_err(|e| error("codedeploy:GetDeploymentGroup", e))
        .map(Some);
    Ok(gone(out, MISSING)?.and_then(|o| o.deployment_group_info().cloned()))
}

/// A block that may be given once or repeated (a list after resolution).
fn each(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(x) => vec![x],
        None => Vec::new(),
    }
}

/// Without alarms: what an update sends when the source drops them.
fn alarms(r: &Resolved) -> cd::AlarmConfiguration {
    let a = r.get("alarm_configuration");
    let names = a.and_then(|a| string_list(a, "alarms")).unwrap_or_default();
    cd::AlarmConfiguration::builder()
        .enabled(a.and_then(|a| field(a, "enabled")).and_then(Value::as_bool).unwrap_or(false))
        .set_alarms(Some(names.into_iter().map(|n| cd::Alarm::builder().name(n).build()).collect()))
        .build()
}

fn rollback(r: &Resolved) -> cd::AutoRollbackConfiguration {
    let a = r.get("auto_rollback_configuration");
    let events = a.and_then(|a| string_list(a, "events")).unwrap_or_default();
    cd::AutoRollbackConfiguration::builder()
        .enabled(a.and_then(|a| field(a, "enabled")).and_then(Value::as_bool).unwrap_or(false))
        .set_events(Some(events.iter().map(|e| cd::AutoRollbackEvent::from(e.as_str())).collect()))
        .build()
}

fn style(r: &Resolved) -> Option<cd::DeploymentStyle> {
    let d = r.get("deployment_style")?;
    Some(
        cd::DeploymentStyle::builder()
            .set_deployment_option(text(d, "deployment_option").map(|x| cd::DeploymentOption::from(x.as_str())))
            .set_deployment_type(text(d, "deployment_type").map(|x| cd::DeploymentType::from(x.as_str())))
            .build(),
    )
}

fn blue_green(r: &Resolved) -> Option<cd::BlueGreenDeploymentConfiguration> {
    let b = r.get("blue_green_deployment_config")?;
    let ready = field(b, "deployment_ready_option").map(|o| {
        cd::DeploymentReadyOption::builder()
            .set_action_on_timeout(text(o, "action_on_timeout").map(|x| cd::DeploymentReadyAction::from(x.as_str())))
            .set_wait_time_in_minutes(number(o, "wait_time_in_minutes").map(|n| n as i32))
            .build()
    });
    let terminate = field(b, "terminate_blue_instances_on_deployment_success").map(|t| {
        cd::BlueInstanceTerminationOption::builder()
            .set_action(text(t, "action").map(|x| cd::InstanceAction::from(x.as_str())))
            .set_termination_wait_time_in_minutes(number(t, "termination_wait_time_in_minutes").map(|n| n as i32))
            .build()
    });
    Some(
        cd::BlueGreenDeploymentConfiguration::builder()
            .set_deployment_ready_option(ready)
            .set_terminate_blue_instances_on_deployment_success(terminate)
            .build(),
    )
}

fn ecs(r: &Resolved) -> Vec<cd::EcsService> {
    each(r.get("ecs_service"))
        .into_iter()
        .map(|e| {
            cd::EcsService::builder()
                .set_cluster_name(text(e, "cluster_name"))
                .set_service_name(text(e, "service_name"))
                .build()
        })
        .collect()
}

/// The blue and green target groups and the listeners that move traffic between them.
fn balancers(r: &Resolved) -> cd::LoadBalancerInfo {
    let pairs = each(r.get("load_balancer_info").and_then(|l| field(l, "target_group_pair_info")));
    let route = |p: &Value, k: &str| {
        field(p, k).map(|t| cd::TrafficRoute::builder().set_listener_arns(string_list(t, "listener_arns")).build())
    };
    let pairs = pairs.into_iter().map(|p| {
        let groups = each(field(p, "target_group"));
        cd::TargetGroupPairInfo::builder()
            .set_target_groups(Some(
                groups.into_iter().map(|g| cd::TargetGroupInfo::builder().set_name(text(g, "name")).build()).collect(),
            ))
            .set_prod_traffic_route(route(p, "prod_traffic_route"))
            .set_test_traffic_route(route(p, "test_traffic_route"))
            .build()
    });
    cd::LoadBalancerInfo::builder().set_target_group_pair_info_list(Some(pairs.collect())).build()
}

pub(super) async fn create(aws: &Aws, r: &Resolved, tags: Vec<cd::Tag>) -> Result<(), CloudError> {
    aws.codedeploy
        .create_deployment_group()
        .application_name(s(r, "app_name"))
        .deployment_group_name(s(r, "deployment_group_name"))
        .set_deployment_config_name(r.str("deployment_config_name").map(str::to_string))
        .service_role_arn(s(r, "service_role_arn"))
        .set_alarm_configuration(r.get("alarm_configuration").map(|_| alarms(r)))
        .set_auto_rollback_configuration(r.get("auto_rollback_configuration").map(|_| rollback(r)))
        .set_deployment_style(style(r))
        .set_blue_green_deployment_configuration(blue_green(r))
        .set_ecs_services(Some(ecs(r)))
        .set_load_balancer_info(r.get("load_balancer_info").map(|_| balancers(r)))
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| error("codedeploy:CreateDeploymentGroup", e))?;
    Ok(())
}

/// One UpdateDeploymentGroup with what changed. Settings the source dropped are sent off
/// (no alarms, no rollback, no services or balancers); a style or blue/green settings
/// cannot be dropped from an ECS group, and CodeDeploy says so.
pub(super) async fn update(aws: &Aws, r: &Resolved, have: &Deployed, ch: &Changes<'_>) -> Result<(), CloudError> {
    let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
    let changed = |k: &str| ch.any(&[k]);
    let mut call = aws
        .codedeploy
        .update_deployment_group()
        .application_name(out("app_name"))
        .current_deployment_group_name(out("deployment_group_name"));
    if changed("alarm_configuration") {
        call = call.alarm_configuration(alarms(r));
    }
    if changed("auto_rollback_configuration") {
        call = call.auto_rollback_configuration(rollback(r));
    }
    if changed("blue_green_deployment_config") {
        call = call.blue_green_deployment_configuration(
            blue_green(r).unwrap_or_else(|| cd::BlueGreenDeploymentConfiguration::builder().build()),
        );
    }
    if changed("deployment_config_name") {
        call = call.deployment_config_name(r.str("deployment_config_name").unwrap_or(DEFAULT_CONFIG));
    }
    if changed("deployment_style") {
        call = call.deployment_style(style(r).unwrap_or_else(|| cd::DeploymentStyle::builder().build()));
    }
    if changed("ecs_service") {
        call = call.set_ecs_services(Some(ecs(r)));
    }
    if changed("load_balancer_info") {
        call = call.load_balancer_info(balancers(r));
    }
    if changed("service_role_arn") {
        call = call.set_service_role_arn(r.str("service_role_arn").map(str::to_string));
    }
    call.send().await.map_err(|e| error("codedeploy:UpdateDeploymentGroup", e))?;
    Ok(())
}

/// Whether `v` holds nothing: null, empty, or an object of such.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(blank),
        _ => false,
    }
}

/// An attribute as read, without the fields CodeDeploy fills in with its own default
/// (`defaults`: paths of keys within it, and the default) where the source (`applied`)
/// does not set them; nothing when that leaves it blank.
fn observed(mut v: Value, applied: Option<&Value>, defaults: &[(&[&str], Value)]) -> Option<Value> {
    for (path, default) in defaults {
        let Some((last, parents)) = path.split_last() else { continue };
        if path.iter().try_fold(applied, |at, k| Some(at.and_then(|x| field(x, k)))).flatten().is_some() {
            continue;
        }
        let mut at = Some(&mut v);
        for k in parents {
            at = at.and_then(|x| x.get_mut(*k));
        }
        if let Some(Value::Object(o)) = at
            && o.get(*last) == Some(default)
        {
            o.remove(*last);
        }
    }
    (!blank(&v)).then_some(v)
}

/// A group as the IR writes it. References (the role, the alarms, the services, the
/// target groups and listeners) are the names and ARNs the IR resolves them to.
pub(super) fn observe(seen: &mut Seen, g: &cd::DeploymentGroupInfo, rec: &Resolved) {
    seen.opt("app_name", g.application_name());
    seen.opt("deployment_group_name", g.deployment_group_name());
    let config = g.deployment_config_name();
    let defaulted = matches!(config, Some(DEFAULT_CONFIG | "CodeDeployDefault.OneAtATime"));
    seen.opt("deployment_config_name", config.filter(|_| !defaulted || rec.get("deployment_config_name").is_some()));
    seen.opt("service_role_arn", g.service_role_arn());
    // An answer with neither alarms nor `enabled` carries nothing to compare (moto keeps no
    // alarm settings and answers `{}`).
    if let Some(a) = g.alarm_configuration().filter(|a| a.alarms.is_some() || a.enabled()) {
        let names: Vec<&str> = a.alarms().iter().filter_map(|x| x.name()).collect();
        let v = json!({"alarms": names, "enabled": a.enabled(), "ignore_poll_alarm_failure": a.ignore_poll_alarm_failure()});
        let defaults: &[(&[&str], Value)] =
            &[(&["enabled"], json!(false)), (&["ignore_poll_alarm_failure"], json!(false))];
        seen.opt("alarm_configuration", observed(v, rec.get("alarm_configuration"), defaults));
    }
    if let Some(a) = g.auto_rollback_configuration() {
        let events: Vec<&str> = a.events().iter().map(|e| e.as_str()).collect();
        let v = json!({"enabled": a.enabled(), "events": events});
        seen.opt(
            "auto_rollback_configuration",
            observed(v, rec.get("auto_rollback_configuration"), &[(&["enabled"], json!(false))]),
        );
    }
    if let Some(b) = g.blue_green_deployment_configuration() {
        let mut v = json!({});
        if let Some(o) = b.deployment_ready_option() {
            v["deployment_ready_option"] = json!({
                "action_on_timeout": o.action_on_timeout().map(|x| x.as_str()),
                "wait_time_in_minutes": o.wait_time_in_minutes(),
            });
        }
        if let Some(t) = b.terminate_blue_instances_on_deployment_success() {
            v["terminate_blue_instances_on_deployment_success"] = json!({
                "action": t.action().map(|x| x.as_str()),
                "termination_wait_time_in_minutes": t.termination_wait_time_in_minutes(),
            });
        }
        if let Some(f) = b.green_fleet_provisioning_option() {
            v["green_fleet_provisioning_option"] = json!({"action": f.action().map(|x| x.as_str())});
        }
        let defaults: &[(&[&str], Value)] = &[
            (&["deployment_ready_option", "wait_time_in_minutes"], json!(0)),
            (&["terminate_blue_instances_on_deployment_success", "termination_wait_time_in_minutes"], json!(0)),
        ];
        seen.opt("blue_green_deployment_config", observed(v, rec.get("blue_green_deployment_config"), defaults));
    }
    if let Some(d) = g.deployment_style() {
        let v = json!({
            "deployment_option": d.deployment_option().map(|x| x.as_str()),
            "deployment_type": d.deployment_type().map(|x| x.as_str()),
        });
        seen.opt("deployment_style", observed(v, None, &[]));
    }
    for e in g.ecs_services() {
        seen.put("ecs_service", json!({"cluster_name": e.cluster_name(), "service_name": e.service_name()}));
    }
    if let Some(l) = g.load_balancer_info() {
        let route = |t: Option<&cd::TrafficRoute>| t.map(|t| json!({"listener_arns": t.listener_arns()}));
        let pairs: Vec<Value> = l
            .target_group_pair_info_list()
            .iter()
            .map(|p| {
                let groups: Vec<Value> = p.target_groups().iter().map(|t| json!({"name": t.name()})).collect();
                json!({
                    "target_group": groups,
                    "prod_traffic_route": route(p.prod_traffic_route()),
                    "test_traffic_route": route(p.test_traffic_route()),
                })
            })
            .collect();
        let v = match pairs.len() {
            0 => Value::Null,
            1 => json!({"target_group_pair_info": pairs[0]}),
            _ => json!({"target_group_pair_info": pairs}),
        };
        seen.opt("load_balancer_info", observed(v, None, &[]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codedeploy_defaults_go_unless_the_source_sets_them() {
        let defaults: &[(&[&str], Value)] = &[
            (&["deployment_ready_option", "wait_time_in_minutes"], json!(0)),
            (&["terminate_blue_instances_on_deployment_success", "termination_wait_time_in_minutes"], json!(0)),
        ];
        let read = json!({
            "deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": 0},
            "terminate_blue_instances_on_deployment_success": {"action": "TERMINATE", "termination_wait_time_in_minutes": 0},
        });
        let applied = json!({
            "deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT"},
            "terminate_blue_instances_on_deployment_success": {"action": "TERMINATE", "termination_wait_time_in_minutes": 0},
        });
        let want = json!({
            "deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT"},
            "terminate_blue_instances_on_deployment_success": {"action": "TERMINATE", "termination_wait_time_in_minutes": 0},
        });
        assert_eq!(observed(read, Some(&applied), defaults), Some(want));
        // Disabled and empty, where the source sets nothing: nothing to compare.
        let off = json!({"alarms": [], "enabled": false, "ignore_poll_alarm_failure": false});
        let alarm_defaults: &[(&[&str], Value)] =
            &[(&["enabled"], json!(false)), (&["ignore_poll_alarm_failure"], json!(false))];
        assert_eq!(observed(off.clone(), None, alarm_defaults), None);
        // Disabled by hand where the source enables it: drift.
        let applied = json!({"alarms": ["a"], "enabled": true});
        assert_eq!(observed(off, Some(&applied), alarm_defaults), Some(json!({"alarms": [], "enabled": false})));
    }
}
