//! Following a rollout: waiting for services to become stable with their events and task
//! counts, and deregistering what releases left behind.

use fg_deploy::CloudError;

use crate::{Aws, error};

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
