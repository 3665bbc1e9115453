//! Reading clusters, capacity providers, task definitions and services back, in the IR's
//! shape.

use aws_sdk_ecs::types::{
    AssignPublicIp, CapacityProviderStrategyItem, ClusterField, ServiceField, Tag, TaskDefinitionField,
    TaskDefinitionStatus,
};
use fg_deploy::{CloudError, Deployed, Observed, Resolved, State};
use serde_json::{Value, json};

use crate::errors::{gone, unsupported};
use crate::values::{Seen, tag_object};
use crate::{Aws, error};

fn tag_map(tags: &[Tag]) -> Value {
    tag_object(tags.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

pub(crate) async fn read(aws: &Aws, have: &Deployed, _: &Resolved, _: &State) -> Result<Option<Observed>, CloudError> {
    let p = have.physical.as_str();
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_ecs_cluster" => {
            let out = aws
                .ecs
                .describe_clusters()
                .clusters(p)
                .include(ClusterField::Settings)
                .include(ClusterField::Tags)
                .send()
                .await
                .map_err(|e| error("ecs:DescribeClusters", e))?;
            let Some(c) = out.clusters().iter().find(|c| c.status() == Some("ACTIVE")) else { return Ok(None) };
            seen.opt("name", c.cluster_name());
            for x in c.settings() {
                let name = x.name().map(|n| n.as_str());
                seen.put("setting", json!({"name": name, "value": x.value()}));
            }
            seen.put("tags_all", tag_map(c.tags()));
        }
        "aws_ecs_cluster_capacity_providers" => {
            let out =
                aws.ecs.describe_clusters().clusters(p).send().await.map_err(|e| error("ecs:DescribeClusters", e))?;
            let Some(c) = out.clusters().iter().find(|c| c.status() == Some("ACTIVE")) else { return Ok(None) };
            seen.put("capacity_providers", c.capacity_providers().to_vec());
            for x in c.default_capacity_provider_strategy() {
                seen.put("default_capacity_provider_strategy", strategy_json(x));
            }
        }
        // A revision cannot change; whether it is still active, and its tags, can.
        "aws_ecs_task_definition" => {
            let out = aws
                .ecs
                .describe_task_definition()
                .task_definition(p)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .map_err(|e| error("ecs:DescribeTaskDefinition", e));
            let out = match gone(out.map(Some), &["ClientException", "Unable to describe"])? {
                Some(o) => o,
                None => return Ok(None),
            };
            if out.task_definition().and_then(|t| t.status()) != Some(&TaskDefinitionStatus::Active) {
                return Ok(None);
            }
            seen.put("tags_all", tag_map(out.tags()));
        }
        "aws_ecs_service" => {
            let cluster = have.outputs.get("cluster").cloned().unwrap_or_default();
            let out = aws
                .ecs
                .describe_services()
                .cluster(&cluster)
                .services(p)
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|e| error("ecs:DescribeServices", e));
            let out = match gone(out.map(Some), &["ClusterNotFound"])? {
                Some(o) => o,
                None => return Ok(None),
            };
            let Some(x) = out.services().iter().find(|x| x.status() != Some("INACTIVE")) else { return Ok(None) };
            service_json(&mut seen, x);
        }
        other => return Err(unsupported(other)),
    }
    Ok(seen.done())
}

fn strategy_json(x: &CapacityProviderStrategyItem) -> Value {
    let mut o = json!({"capacity_provider": x.capacity_provider(), "weight": x.weight()});
    // ECS reports a base of 0 where none was set.
    if x.base() > 0 {
        o["base"] = json!(x.base());
    }
    o
}

/// A service as the IR writes it. Fields moto does not keep (the deployment configuration,
/// the grace period, the capacity provider strategy) are left out when absent rather than
/// read as defaults.
fn service_json(seen: &mut Seen, x: &aws_sdk_ecs::types::Service) {
    seen.opt("name", x.service_name());
    seen.opt("cluster", x.cluster_arn());
    seen.opt("task_definition", x.task_definition());
    seen.put("desired_count", x.desired_count());
    for c in x.capacity_provider_strategy() {
        seen.put("capacity_provider_strategy", strategy_json(c));
    }
    if let Some(v) = x.network_configuration().and_then(|n| n.awsvpc_configuration()) {
        let public = v.assign_public_ip() == Some(&AssignPublicIp::Enabled);
        seen.put(
            "network_configuration",
            json!({"subnets": v.subnets(), "security_groups": v.security_groups(), "assign_public_ip": public}),
        );
    }
    for l in x.load_balancers() {
        seen.put(
            "load_balancer",
            json!({"target_group_arn": l.target_group_arn(), "container_name": l.container_name(), "container_port": l.container_port()}),
        );
    }
    seen.opt("health_check_grace_period_seconds", x.health_check_grace_period_seconds().filter(|n| *n > 0));
    if let Some(d) = x.deployment_configuration() {
        if let Some(b) = d.deployment_circuit_breaker() {
            seen.put("deployment_circuit_breaker", json!({"enable": b.enable(), "rollback": b.rollback()}));
        }
        seen.opt("deployment_minimum_healthy_percent", d.minimum_healthy_percent());
        seen.opt("deployment_maximum_percent", d.maximum_percent());
    }
    // Rolling (`ECS`) is what a service without a controller gets.
    if let Some(c) = x.deployment_controller().filter(|c| c.r#type().as_str() != "ECS") {
        seen.put("deployment_controller", json!({"type": c.r#type().as_str()}));
    }
    if x.enable_ecs_managed_tags() {
        seen.put("enable_ecs_managed_tags", true);
    }
    seen.opt("propagate_tags", x.propagate_tags().map(|p| p.as_str()).filter(|p| *p != "NONE"));
    seen.put("tags_all", tag_map(x.tags()));
}
