//! ECS: the cluster, its capacity providers, task definitions and services.

mod containers;
mod read;
mod rollout;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterSetting, ClusterSettingName,
    Compatibility, CpuArchitecture, DeploymentCircuitBreaker, DeploymentConfiguration, LoadBalancer,
    NetworkConfiguration, NetworkMode, OsFamily, PropagateTags, RuntimePlatform, Tag, TaskDefinitionField,
    TaskDefinitionStatus,
};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Order, Resolved};
use serde_json::Value;

use crate::changes::Changes;
use crate::errors::{deleted, unsupported};
use crate::values::{boolean, created, field, int, s, same, strings};
use crate::{Aws, error};

pub(crate) use read::read;
pub use rollout::{Progress, deregister_family, wait_stable};

const TAGS: Handling = Handling::Update("ecs:TagResource, ecs:UntagResource");
const SERVICE: Handling = Handling::Update("ecs:UpdateService");
const CAPACITY: Handling = Handling::Update("ecs:PutClusterCapacityProviders");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_ecs_cluster",
        replace: Order::DeleteFirst("a cluster's name is unique in its region"),
        attrs: &[
            ("name", Handling::Replace),
            ("setting", Handling::Update("ecs:UpdateCluster")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_ecs_cluster_capacity_providers",
        replace: Order::DeleteFirst("a cluster has one set of capacity providers"),
        attrs: &[
            ("cluster_name", Handling::Replace),
            ("capacity_providers", CAPACITY),
            ("default_capacity_provider_strategy", CAPACITY),
        ],
    },
    // A revision cannot change: a new one is registered, the service moves to it, and only
    // then is the old one deregistered.
    KindSpec {
        kind: "aws_ecs_task_definition",
        replace: Order::CreateFirst,
        attrs: &[
            ("family", Handling::Replace),
            ("cpu", Handling::Replace),
            ("memory", Handling::Replace),
            ("network_mode", Handling::Replace),
            ("requires_compatibilities", Handling::Replace),
            ("execution_role_arn", Handling::Replace),
            ("task_role_arn", Handling::Replace),
            ("runtime_platform", Handling::Replace),
            ("container_definitions", Handling::Replace),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_ecs_service",
        replace: Order::DeleteFirst("a service's name is unique in its cluster"),
        attrs: &[
            ("name", Handling::Replace),
            ("cluster", Handling::Replace),
            ("deployment_controller", Handling::Replace),
            ("task_definition", SERVICE),
            ("desired_count", SERVICE),
            ("capacity_provider_strategy", SERVICE),
            ("network_configuration", SERVICE),
            ("load_balancer", SERVICE),
            ("health_check_grace_period_seconds", SERVICE),
            ("deployment_circuit_breaker", SERVICE),
            ("deployment_minimum_healthy_percent", SERVICE),
            ("deployment_maximum_percent", SERVICE),
            ("enable_ecs_managed_tags", SERVICE),
            ("propagate_tags", SERVICE),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
];

fn tags(aws: &Aws, r: &Resolved) -> Vec<Tag> {
    aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn text(v: &Value, k: &str) -> Option<String> {
    field(v, k).and_then(Value::as_str).map(str::to_string)
}

fn num(v: &Value, k: &str) -> Option<i32> {
    field(v, k).and_then(Value::as_i64).map(|n| n as i32)
}

fn strategy(v: &Value) -> Result<CapacityProviderStrategyItem, CloudError> {
    CapacityProviderStrategyItem::builder()
        .capacity_provider(text(v, "capacity_provider").unwrap_or_default())
        .set_weight(num(v, "weight"))
        .set_base(num(v, "base"))
        .build()
        .map_err(|e| CloudError::new(format!("invalid capacity provider strategy: {e}")))
}

fn cluster_created(arn: &str, name: &str) -> Created {
    created(arn, &[("arn", arn), ("name", name)])
}

fn service_created(arn: &str, r: &Resolved) -> Created {
    created(arn, &[("arn", arn), ("name", s(r, "name")), ("cluster", s(r, "cluster"))])
}

fn revision_created(td: &aws_sdk_ecs::types::TaskDefinition, family: &str) -> Created {
    let arn = td.task_definition_arn().unwrap_or_default();
    created(arn, &[("arn", arn), ("revision", &td.revision().to_string()), ("family", family)])
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_ecs_cluster" => {
            let out = aws
                .ecs
                .describe_clusters()
                .clusters(s(r, "name"))
                .send()
                .await
                .map_err(|e| error("ecs:DescribeClusters", e))?;
            let found = out.clusters().iter().find(|c| c.status() == Some("ACTIVE")).and_then(|c| c.cluster_arn());
            Ok(found.map(|arn| cluster_created(arn, s(r, "name"))))
        }
        "aws_ecs_service" => {
            let out = aws
                .ecs
                .describe_services()
                .cluster(s(r, "cluster"))
                .services(s(r, "name"))
                .send()
                .await
                .map_err(|e| error("ecs:DescribeServices", e))?;
            let found = out.services().iter().find(|x| x.status() != Some("INACTIVE")).and_then(|x| x.service_arn());
            Ok(found.map(|arn| service_created(arn, r)))
        }
        "aws_ecs_task_definition" => {
            // The family's latest revision, if it is the one this stack registered.
            let out = aws
                .ecs
                .describe_task_definition()
                .task_definition(s(r, "family"))
                .include(TaskDefinitionField::Tags)
                .send()
                .await;
            let Ok(out) = out else { return Ok(None) };
            let ours = out.tags().iter().any(|t| t.key() == Some("fgc:id") && t.value() == Some(r.id.as_str()));
            // A deregistered revision (the old half of a replacement) is not adopted.
            let active = |td: &&aws_sdk_ecs::types::TaskDefinition| td.status() == Some(&TaskDefinitionStatus::Active);
            Ok(out.task_definition().filter(|_| ours).filter(active).map(|td| revision_created(td, s(r, "family"))))
        }
        "aws_ecs_cluster_capacity_providers" => {
            let name = s(r, "cluster_name");
            let out = aws
                .ecs
                .describe_clusters()
                .clusters(name)
                .send()
                .await
                .map_err(|e| error("ecs:DescribeClusters", e))?;
            let set = out.clusters().iter().any(|c| c.status() == Some("ACTIVE") && !c.capacity_providers().is_empty());
            Ok(set.then(|| created(name, &[])))
        }
        _ => Ok(None),
    }
}

async fn register(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    let defs: Value = serde_json::from_str(s(r, "container_definitions"))
        .map_err(|e| CloudError::new(format!("container definitions are not JSON: {e}")))?;
    let containers = defs
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(containers::container)
        .collect::<Result<Vec<_>, _>>()?;
    let platform = r.get("runtime_platform").map(|p| {
        RuntimePlatform::builder()
            .set_operating_system_family(text(p, "operating_system_family").map(|x| OsFamily::from(x.as_str())))
            .set_cpu_architecture(text(p, "cpu_architecture").map(|x| CpuArchitecture::from(x.as_str())))
            .build()
    });
    let out = aws
        .ecs
        .register_task_definition()
        .family(s(r, "family"))
        .cpu(s(r, "cpu"))
        .memory(s(r, "memory"))
        .network_mode(NetworkMode::from(s(r, "network_mode")))
        .set_requires_compatibilities(Some(
            strings(r, "requires_compatibilities").iter().map(|c| Compatibility::from(c.as_str())).collect(),
        ))
        .set_execution_role_arn(r.str("execution_role_arn").map(str::to_string))
        .set_task_role_arn(r.str("task_role_arn").map(str::to_string))
        .set_runtime_platform(platform)
        .set_container_definitions(Some(containers))
        .set_tags(Some(tags(aws, r)))
        .send()
        .await
        .map_err(|e| error("ecs:RegisterTaskDefinition", e))?;
    let td = out.task_definition().ok_or_else(|| CloudError::new("RegisterTaskDefinition returned no revision"))?;
    Ok(revision_created(td, s(r, "family")))
}

fn network(r: &Resolved) -> Option<NetworkConfiguration> {
    let n = r.get("network_configuration")?;
    let list = |k: &str| crate::values::string_list(n, k);
    let public = field(n, "assign_public_ip").and_then(Value::as_bool).unwrap_or(false);
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(list("subnets"))
        .set_security_groups(list("security_groups"))
        .assign_public_ip(if public { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled })
        .build()
        .ok()?;
    Some(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

fn deployment(r: &Resolved) -> DeploymentConfiguration {
    let breaker = r.get("deployment_circuit_breaker").map(|b| {
        DeploymentCircuitBreaker::builder()
            .enable(field(b, "enable").and_then(Value::as_bool).unwrap_or(false))
            .rollback(field(b, "rollback").and_then(Value::as_bool).unwrap_or(false))
            .build()
    });
    DeploymentConfiguration::builder()
        .set_deployment_circuit_breaker(breaker)
        .set_minimum_healthy_percent(int(r, "deployment_minimum_healthy_percent").map(|n| n as i32))
        .set_maximum_percent(int(r, "deployment_maximum_percent").map(|n| n as i32))
        .build()
}

fn balancers(r: &Resolved) -> Vec<LoadBalancer> {
    r.all("load_balancer")
        .map(|l| {
            LoadBalancer::builder()
                .set_target_group_arn(text(l, "target_group_arn"))
                .set_container_name(text(l, "container_name"))
                .set_container_port(num(l, "container_port"))
                .build()
        })
        .collect()
}

fn settings(r: &Resolved) -> Vec<ClusterSetting> {
    r.all("setting")
        .filter_map(|v| {
            Some(
                ClusterSetting::builder()
                    .name(ClusterSettingName::from(text(v, "name")?.as_str()))
                    .value(text(v, "value")?)
                    .build(),
            )
        })
        .collect()
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_ecs_cluster" => {
            let out = aws
                .ecs
                .create_cluster()
                .cluster_name(s(r, "name"))
                .set_settings(Some(settings(r)))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("ecs:CreateCluster", e))?;
            let arn = out.cluster().and_then(|c| c.cluster_arn()).unwrap_or_default();
            Ok(cluster_created(arn, s(r, "name")))
        }
        "aws_ecs_cluster_capacity_providers" => {
            put_capacity(aws, r).await?;
            Ok(created(s(r, "cluster_name"), &[]))
        }
        "aws_ecs_task_definition" => register(aws, r).await,
        "aws_ecs_service" => {
            let strategies = r.all("capacity_provider_strategy").map(strategy).collect::<Result<Vec<_>, _>>()?;
            let out = aws
                .ecs
                .create_service()
                .service_name(s(r, "name"))
                .cluster(s(r, "cluster"))
                .task_definition(s(r, "task_definition"))
                .desired_count(int(r, "desired_count").unwrap_or(1) as i32)
                .set_capacity_provider_strategy((!strategies.is_empty()).then_some(strategies))
                .set_network_configuration(network(r))
                .set_load_balancers(Some(balancers(r)))
                .set_health_check_grace_period_seconds(int(r, "health_check_grace_period_seconds").map(|n| n as i32))
                .deployment_configuration(deployment(r))
                .set_deployment_controller(r.get("deployment_controller").and_then(|d| {
                    aws_sdk_ecs::types::DeploymentController::builder()
                        .r#type(aws_sdk_ecs::types::DeploymentControllerType::from(text(d, "type")?.as_str()))
                        .build()
                        .ok()
                }))
                .set_enable_ecs_managed_tags(boolean(r, "enable_ecs_managed_tags"))
                .set_propagate_tags(r.str("propagate_tags").map(PropagateTags::from))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("ecs:CreateService", e))?;
            let arn = out.service().and_then(|x| x.service_arn()).unwrap_or_default();
            Ok(service_created(arn, r))
        }
        other => Err(unsupported(other)),
    }
}

async fn put_capacity(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    let strategies = r.all("default_capacity_provider_strategy").map(strategy).collect::<Result<Vec<_>, _>>()?;
    aws.ecs
        .put_cluster_capacity_providers()
        .cluster(s(r, "cluster_name"))
        .set_capacity_providers(Some(strings(r, "capacity_providers")))
        .set_default_capacity_provider_strategy(Some(strategies))
        .send()
        .await
        .map_err(|e| error("ecs:PutClusterCapacityProviders", e))?;
    Ok(())
}

/// What `UpdateService` carries, each sent only when it changed: a blue/green service
/// refuses a task definition, network or balancer change outside CodeDeploy.
const SERVICE_FIELDS: &[&str] = &[
    "task_definition",
    "desired_count",
    "capacity_provider_strategy",
    "network_configuration",
    "load_balancer",
    "health_check_grace_period_seconds",
    "deployment_circuit_breaker",
    "deployment_minimum_healthy_percent",
    "deployment_maximum_percent",
    "enable_ecs_managed_tags",
    "propagate_tags",
];

async fn update_service(aws: &Aws, r: &Resolved, ch: &Changes<'_>) -> Result<(), CloudError> {
    let mut call = aws.ecs.update_service().cluster(s(r, "cluster")).service(s(r, "name"));
    if ch.any(&["task_definition"]) {
        call = call.task_definition(s(r, "task_definition"));
    }
    if ch.any(&["desired_count"]) {
        call = call.desired_count(int(r, "desired_count").unwrap_or(1) as i32);
    }
    if ch.any(&["capacity_provider_strategy"]) {
        let strategies = r.all("capacity_provider_strategy").map(strategy).collect::<Result<Vec<_>, _>>()?;
        // ECS takes a new strategy only with a new deployment.
        call = call.set_capacity_provider_strategy(Some(strategies)).force_new_deployment(true);
    }
    if ch.any(&["network_configuration"]) {
        call = call.set_network_configuration(network(r));
    }
    if ch.any(&["load_balancer"]) {
        call = call.set_load_balancers(Some(balancers(r)));
    }
    if ch.any(&["health_check_grace_period_seconds"]) {
        call = call.health_check_grace_period_seconds(int(r, "health_check_grace_period_seconds").unwrap_or(0) as i32);
    }
    if ch.any(&["deployment_circuit_breaker", "deployment_minimum_healthy_percent", "deployment_maximum_percent"]) {
        call = call.deployment_configuration(deployment(r));
    }
    if ch.any(&["enable_ecs_managed_tags"]) {
        call = call.enable_ecs_managed_tags(boolean(r, "enable_ecs_managed_tags").unwrap_or(false));
    }
    if ch.any(&["propagate_tags"]) {
        call = call.propagate_tags(PropagateTags::from(r.str("propagate_tags").unwrap_or("NONE")));
    }
    call.send().await.map_err(|e| error("ecs:UpdateService", e))?;
    Ok(())
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_ecs_cluster" if ch.any(&["setting"]) => {
            aws.ecs
                .update_cluster()
                .cluster(s(r, "name"))
                .set_settings(Some(settings(r)))
                .send()
                .await
                .map_err(|e| error("ecs:UpdateCluster", e))?;
            ch.done(&["setting"]);
        }
        "aws_ecs_cluster_capacity_providers" => {
            put_capacity(aws, r).await?;
            ch.done(&["capacity_providers", "default_capacity_provider_strategy"]);
        }
        "aws_ecs_service" if ch.any(SERVICE_FIELDS) => {
            update_service(aws, r, ch).await?;
            ch.done(SERVICE_FIELDS);
        }
        _ => {}
    }
    if let Some((set, removed)) = ch.tags(r) {
        retag(aws, &have.physical, set, removed).await?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

async fn retag(aws: &Aws, arn: &str, set: Vec<(String, String)>, removed: Vec<String>) -> Result<(), CloudError> {
    if !removed.is_empty() {
        aws.ecs
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| error("ecs:UntagResource", e))?;
    }
    let tags = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    aws.ecs
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| error("ecs:TagResource", e))?;
    Ok(())
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let p = have.physical.as_str();
    let result = match have.kind.as_str() {
        "aws_ecs_cluster" => {
            aws.ecs.delete_cluster().cluster(p).send().await.map(drop).map_err(|e| error("ecs:DeleteCluster", e))
        }
        "aws_ecs_cluster_capacity_providers" => aws
            .ecs
            .put_cluster_capacity_providers()
            .cluster(p)
            .set_capacity_providers(Some(Vec::new()))
            .set_default_capacity_provider_strategy(Some(Vec::new()))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ecs:PutClusterCapacityProviders", e)),
        "aws_ecs_task_definition" => aws
            .ecs
            .deregister_task_definition()
            .task_definition(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ecs:DeregisterTaskDefinition", e)),
        "aws_ecs_service" => {
            let cluster = have.outputs.get("cluster").cloned().unwrap_or_default();
            // Down to zero, and wait for the tasks to drain from the load balancer, so
            // that what the service used (target groups, subnets) can go next.
            let _ = aws.ecs.update_service().cluster(&cluster).service(p).desired_count(0).send().await;
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(300);
            loop {
                let out = aws.ecs.describe_services().cluster(&cluster).services(p).send().await;
                let running = out.ok().and_then(|o| o.services().first().map(|s| s.running_count())).unwrap_or(0);
                if running == 0 || tokio::time::Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
            aws.ecs
                .delete_service()
                .cluster(&cluster)
                .service(p)
                .force(true)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ecs:DeleteService", e))
        }
        other => Err(unsupported(other)),
    };
    deleted(result, &["NotFound", "not found"])
}
