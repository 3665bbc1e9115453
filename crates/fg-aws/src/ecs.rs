//! ECS: the cluster, its capacity providers, task definitions and services.

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterSetting, ClusterSettingName,
    Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency, CpuArchitecture,
    DeploymentCircuitBreaker, DeploymentConfiguration, HealthCheck, KeyValuePair, LoadBalancer, LogConfiguration,
    LogDriver, NetworkConfiguration, NetworkMode, OsFamily, PortMapping, PropagateTags, RuntimePlatform, Secret, Tag,
    TransportProtocol,
};
use fg_deploy::{CloudError, Created, Deployed, Resolved};
use serde_json::Value;

use crate::{Aws, boolean, created, error, field, int, s};

pub const KINDS: &[&str] =
    &["aws_ecs_cluster", "aws_ecs_cluster_capacity_providers", "aws_ecs_task_definition", "aws_ecs_service"];

fn tags(aws: &Aws, r: &Resolved) -> Vec<Tag> {
    aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn text(v: &Value, k: &str) -> Option<String> {
    field(v, k).and_then(Value::as_str).map(str::to_string)
}

fn num(v: &Value, k: &str) -> Option<i32> {
    field(v, k).and_then(Value::as_i64).map(|n| n as i32)
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    field(v, k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn strategy(v: &Value) -> Result<CapacityProviderStrategyItem, CloudError> {
    CapacityProviderStrategyItem::builder()
        .capacity_provider(text(v, "capacity_provider").unwrap_or_default())
        .set_weight(num(v, "weight"))
        .set_base(num(v, "base"))
        .build()
        .map_err(|e| CloudError::new(format!("invalid capacity provider strategy: {e}")))
}

pub async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_ecs_cluster" => {
            let out = aws
                .ecs
                .describe_clusters()
                .clusters(s(r, "name"))
                .send()
                .await
                .map_err(|e| error("ecs:DescribeClusters", e))?;
            Ok(out
                .clusters()
                .iter()
                .find(|c| c.status() == Some("ACTIVE"))
                .and_then(|c| c.cluster_arn())
                .map(|arn| created(arn, &[("arn", arn), ("name", s(r, "name"))])))
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
            Ok(out
                .services()
                .iter()
                .find(|x| x.status() != Some("INACTIVE"))
                .and_then(|x| x.service_arn())
                .map(|arn| created(arn, &[("arn", arn), ("name", s(r, "name")), ("cluster", s(r, "cluster"))])))
        }
        "aws_ecs_task_definition" => {
            // The family's latest revision, if it is the one this stack registered.
            let out = aws
                .ecs
                .describe_task_definition()
                .task_definition(s(r, "family"))
                .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
                .send()
                .await;
            let Ok(out) = out else { return Ok(None) };
            let ours = out.tags().iter().any(|t| t.key() == Some("fgc:id") && t.value() == Some(r.id.as_str()));
            // A deregistered revision (the old half of a replacement) is not adopted.
            let active = |td: &&aws_sdk_ecs::types::TaskDefinition| {
                td.status() == Some(&aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            };
            Ok(out.task_definition().filter(|_| ours).filter(active).and_then(|td| {
                let arn = td.task_definition_arn()?;
                Some(created(
                    arn,
                    &[("arn", arn), ("revision", &td.revision().to_string()), ("family", s(r, "family"))],
                ))
            }))
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

fn container(v: &Value) -> Result<ContainerDefinition, CloudError> {
    let pairs = |k: &str| -> Vec<KeyValuePair> {
        list(v, k)
            .iter()
            .map(|p| KeyValuePair::builder().set_name(text(p, "name")).set_value(text(p, "value")).build())
            .collect()
    };
    let secrets = list(v, "secrets")
        .iter()
        .map(|p| {
            Secret::builder()
                .name(text(p, "name").unwrap_or_default())
                .value_from(text(p, "valueFrom").unwrap_or_default())
                .build()
                .map_err(|e| CloudError::new(format!("invalid secret: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ports = list(v, "portMappings")
        .iter()
        .map(|p| {
            PortMapping::builder()
                .set_container_port(num(p, "containerPort"))
                .set_protocol(text(p, "protocol").map(|x| TransportProtocol::from(x.as_str())))
                .build()
        })
        .collect();
    let strings = |k: &str| -> Option<Vec<String>> {
        field(v, k).and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
    };
    let logs = field(v, "logConfiguration").map(|l| {
        let options = field(l, "options")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string())).collect());
        LogConfiguration::builder()
            .log_driver(LogDriver::from(text(l, "logDriver").unwrap_or_default().as_str()))
            .set_options(options)
            .build()
    });
    let logs = logs.transpose().map_err(|e| CloudError::new(format!("invalid log configuration: {e}")))?;
    let health = field(v, "healthCheck").map(|h| {
        HealthCheck::builder()
            .set_command(
                field(h, "command")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
            )
            .set_interval(num(h, "interval"))
            .set_timeout(num(h, "timeout"))
            .set_retries(num(h, "retries"))
            .set_start_period(num(h, "startPeriod"))
            .build()
    });
    let health = health.transpose().map_err(|e| CloudError::new(format!("invalid health check: {e}")))?;
    let depends = list(v, "dependsOn")
        .iter()
        .map(|d| {
            ContainerDependency::builder()
                .container_name(text(d, "containerName").unwrap_or_default())
                .condition(ContainerCondition::from(text(d, "condition").unwrap_or_default().as_str()))
                .build()
                .map_err(|e| CloudError::new(format!("invalid container dependency: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ContainerDefinition::builder()
        .set_name(text(v, "name"))
        .set_image(text(v, "image"))
        .set_essential(field(v, "essential").and_then(Value::as_bool))
        .set_cpu(num(v, "cpu"))
        .set_memory(num(v, "memory"))
        .set_port_mappings(Some(ports))
        .set_environment(Some(pairs("environment")))
        .set_secrets(Some(secrets))
        .set_readonly_root_filesystem(field(v, "readonlyRootFilesystem").and_then(Value::as_bool))
        .set_log_configuration(logs)
        .set_health_check(health)
        .set_depends_on((!depends.is_empty()).then_some(depends))
        .set_command(strings("command"))
        .set_entry_point(strings("entryPoint"))
        .build())
}

async fn register(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    let defs: Value = serde_json::from_str(s(r, "container_definitions"))
        .map_err(|e| CloudError::new(format!("container definitions are not JSON: {e}")))?;
    let containers =
        defs.as_array().map(Vec::as_slice).unwrap_or_default().iter().map(container).collect::<Result<Vec<_>, _>>()?;
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
            crate::strings(r, "requires_compatibilities").iter().map(|c| Compatibility::from(c.as_str())).collect(),
        ))
        .set_execution_role_arn(r.str("execution_role_arn").map(str::to_string))
        .set_task_role_arn(r.str("task_role_arn").map(str::to_string))
        .set_runtime_platform(platform)
        .set_container_definitions(Some(containers))
        .set_tags(Some(tags(aws, r)))
        .send()
        .await
        .map_err(|e| error("ecs:RegisterTaskDefinition", e))?;
    let td = out.task_definition();
    let arn = td.and_then(|t| t.task_definition_arn()).unwrap_or_default();
    let revision = td.map(|t| t.revision()).unwrap_or_default().to_string();
    Ok(created(arn, &[("arn", arn), ("revision", &revision), ("family", s(r, "family"))]))
}

fn network(r: &Resolved) -> Option<NetworkConfiguration> {
    let n = r.get("network_configuration")?;
    let strings = |k: &str| -> Option<Vec<String>> {
        field(n, k).and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
    };
    let public = field(n, "assign_public_ip").and_then(Value::as_bool).unwrap_or(false);
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(strings("subnets"))
        .set_security_groups(strings("security_groups"))
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

pub async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    aws.mutate();
    match r.kind.as_str() {
        "aws_ecs_cluster" => {
            let settings = r
                .all("setting")
                .filter_map(|v| {
                    Some(
                        ClusterSetting::builder()
                            .name(ClusterSettingName::from(text(v, "name")?.as_str()))
                            .value(text(v, "value")?)
                            .build(),
                    )
                })
                .collect();
            let out = aws
                .ecs
                .create_cluster()
                .cluster_name(s(r, "name"))
                .set_settings(Some(settings))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("ecs:CreateCluster", e))?;
            let arn = out.cluster().and_then(|c| c.cluster_arn()).unwrap_or_default();
            Ok(created(arn, &[("arn", arn), ("name", s(r, "name"))]))
        }
        "aws_ecs_cluster_capacity_providers" => {
            put_capacity(aws, r).await?;
            Ok(created(s(r, "cluster_name"), &[]))
        }
        "aws_ecs_task_definition" => register(aws, r).await,
        "aws_ecs_service" => {
            let strategies = r.all("capacity_provider_strategy").map(strategy).collect::<Result<Vec<_>, _>>()?;
            let balancers = r
                .all("load_balancer")
                .map(|l| {
                    LoadBalancer::builder()
                        .set_target_group_arn(text(l, "target_group_arn"))
                        .set_container_name(text(l, "container_name"))
                        .set_container_port(num(l, "container_port"))
                        .build()
                })
                .collect();
            let out = aws
                .ecs
                .create_service()
                .service_name(s(r, "name"))
                .cluster(s(r, "cluster"))
                .task_definition(s(r, "task_definition"))
                .desired_count(int(r, "desired_count").unwrap_or(1) as i32)
                .set_capacity_provider_strategy((!strategies.is_empty()).then_some(strategies))
                .set_network_configuration(network(r))
                .set_load_balancers(Some(balancers))
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
            Ok(created(arn, &[("arn", arn), ("name", s(r, "name")), ("cluster", s(r, "cluster"))]))
        }
        other => Err(crate::unsupported(other)),
    }
}

async fn put_capacity(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    let strategies = r.all("default_capacity_provider_strategy").map(strategy).collect::<Result<Vec<_>, _>>()?;
    aws.ecs
        .put_cluster_capacity_providers()
        .cluster(s(r, "cluster_name"))
        .set_capacity_providers(Some(crate::strings(r, "capacity_providers")))
        .set_default_capacity_provider_strategy(Some(strategies))
        .send()
        .await
        .map_err(|e| error("ecs:PutClusterCapacityProviders", e))?;
    Ok(())
}

pub async fn update(aws: &Aws, r: &Resolved, have: &Deployed, changed: &[&str]) -> Result<Created, CloudError> {
    aws.mutate();
    match r.kind.as_str() {
        "aws_ecs_cluster_capacity_providers" => put_capacity(aws, r).await?,
        "aws_ecs_service" => {
            let strategies = r.all("capacity_provider_strategy").map(strategy).collect::<Result<Vec<_>, _>>()?;
            let mut call = aws
                .ecs
                .update_service()
                .cluster(s(r, "cluster"))
                .service(s(r, "name"))
                .set_health_check_grace_period_seconds(int(r, "health_check_grace_period_seconds").map(|n| n as i32))
                .deployment_configuration(deployment(r));
            // Only what changed: a blue/green service refuses a task definition or network
            // change outside CodeDeploy.
            if changed.contains(&"task_definition") {
                call = call.task_definition(s(r, "task_definition"));
            }
            if changed.contains(&"network_configuration") {
                call = call.set_network_configuration(network(r));
            }
            if changed.contains(&"desired_count") {
                call = call.desired_count(int(r, "desired_count").unwrap_or(1) as i32);
            }
            if changed.contains(&"capacity_provider_strategy") {
                call = call.set_capacity_provider_strategy(Some(strategies));
            }
            call.send().await.map_err(|e| error("ecs:UpdateService", e))?;
        }
        _ => {}
    }
    if changed.contains(&"tags") && have.physical.starts_with("arn:") {
        aws.ecs
            .tag_resource()
            .resource_arn(&have.physical)
            .set_tags(Some(tags(aws, r)))
            .send()
            .await
            .map_err(|e| error("ecs:TagResource", e))?;
    }
    Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() })
}

pub async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    aws.mutate();
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
        other => Err(crate::unsupported(other)),
    };
    crate::deleted(result, &["NotFound", "not found"])
}

/// Deregisters every active revision of a task definition family: releases made with
/// `fgc deploy` leave the revisions before them registered, and a destroyed stack keeps
/// none. Returns how many it deregistered.
pub async fn deregister_family(aws: &Aws, family: &str) -> Result<usize, CloudError> {
    let mut arns = Vec::new();
    let mut next = None;
    loop {
        let out = aws
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| error("ecs:ListTaskDefinitions", e))?;
        // A prefix also matches longer families (`shop-api` and `shop-api-worker`).
        arns.extend(
            out.task_definition_arns()
                .iter()
                .filter(|a| a.rsplit_once('/').and_then(|(_, r)| r.rsplit_once(':')).is_some_and(|(f, _)| f == family))
                .cloned(),
        );
        next = out.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    for arn in &arns {
        aws.mutate();
        aws.ecs
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|e| error("ecs:DeregisterTaskDefinition", e))?;
    }
    Ok(arns.len())
}

/// What waiting for a service reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// `running` of `desired` tasks run the new task definition.
    Tasks { service: String, running: i32, desired: i32 },
    /// A new ECS event of the service.
    Event { service: String, message: String },
}

/// Waits until every service has one deployment, completed, with all its tasks running;
/// stops at once when a deployment fails (the circuit breaker rolled it back). Polls every
/// `every`; gives up after `limit`.
pub async fn wait_stable(
    aws: &Aws,
    services: &[(String, String)],
    every: std::time::Duration,
    limit: std::time::Duration,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(), CloudError> {
    let start = tokio::time::Instant::now();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut first = true;
    let mut pending: Vec<(String, String)> = services.to_vec();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (cluster, name) in &pending {
            let out = aws
                .ecs
                .describe_services()
                .cluster(cluster)
                .services(name)
                .send()
                .await
                .map_err(|e| error("ecs:DescribeServices", e))?;
            let Some(svc) = out.services().first() else { continue };
            // Events arrive newest first; the ones from before this wait are not news.
            for e in svc.events().iter().rev() {
                let id = e.id().unwrap_or_default().to_string();
                if seen.insert(id) && !first {
                    progress(Progress::Event {
                        service: name.clone(),
                        message: e.message().unwrap_or_default().into(),
                    });
                }
            }
            let primary = svc.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
            let (running, desired) = (svc.running_count(), svc.desired_count());
            progress(Progress::Tasks { service: name.clone(), running, desired });
            if let Some(d) = primary
                && d.rollout_state() == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Failed)
            {
                return Err(CloudError {
                    message: format!(
                        "the deployment of `{name}` failed and was rolled back: {}",
                        d.rollout_state_reason().unwrap_or("its tasks did not become healthy")
                    ),
                    help: Some(
                        "the service's events above say why its tasks stopped; fix the image or its health check"
                            .into(),
                    ),
                });
            }
            let done = svc.deployments().len() == 1 && running == desired;
            if !done {
                still.push((cluster.clone(), name.clone()));
            }
        }
        first = false;
        pending = still;
        if pending.is_empty() {
            break;
        }
        if start.elapsed() >= limit {
            let names: Vec<&str> = pending.iter().map(|(_, n)| n.as_str()).collect();
            return Err(CloudError {
                message: format!("services not stable after {}s: {}", limit.as_secs(), names.join(", ")),
                help: Some("`fgc apply --no-wait` skips the wait; the services keep deploying either way".into()),
            });
        }
        tokio::time::sleep(every).await;
    }
    Ok(())
}
