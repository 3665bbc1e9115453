//! `fgc deploy`: an image-only release of one service, apart from infrastructure changes.
//!
//! It reads the task definition the service runs, registers a revision that differs only
//! in the main container's image, and rolls it out: with `UpdateService` for rolling
//! services, with a CodeDeploy deployment for blue/green ones. It waits for the outcome,
//! streams what happens, and rolls back (or reports the rollback ECS or CodeDeploy made)
//! with the reason when the new tasks fail. It touches nothing else.
//!
//! The state records the release, so that the next `fgc apply` keeps the released image
//! for as long as the source still names the image it named at the release.

use fg_deploy::{CloudError, Desired, Release, State, StateFile};
use serde_json::{Value, json};

use crate::ecs::Progress;
use crate::settings::Run;
use crate::{Aws, error};

/// What a release reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The running task definition and its image.
    Current { task_definition: String, image: String },
    /// A revision with the new image was registered.
    Registered { task_definition: String },
    /// The service was told to run it (rolling).
    Updated,
    /// A CodeDeploy deployment started.
    DeploymentCreated { id: String },
    /// The CodeDeploy deployment changed status (`InProgress`, `Ready`, …), with the
    /// lifecycle events that completed so far.
    DeploymentStatus { status: String, detail: String },
    /// Tasks and events of the service.
    Ecs(Progress),
    /// fgc is rolling back itself (the service did not stabilise in time).
    RollingBack { reason: String },
}

/// How a release ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Released {
    /// The service already runs this image: nothing was done.
    Unchanged { image: String },
    /// The new revision runs (or was handed over without waiting).
    Done { task_definition: String, waited: bool, calls: usize },
}

/// Releases `image` to the service declared `service` in the stack.
pub async fn release(
    ir: &fg_ir::Ir,
    run: &Run,
    service: &str,
    image: &str,
    on: &(dyn Fn(Step) + Send + Sync),
) -> Result<Released, CloudError> {
    let task_id = format!("service.{service}/task");
    let service_id = format!("service.{service}/service");
    if ir.get(&service_id).is_none() {
        let mut names: Vec<&str> = ir
            .resources
            .iter()
            .filter(|r| r.kind == "aws_ecs_service")
            .filter_map(|r| r.id.strip_prefix("service.")?.strip_suffix("/service"))
            .collect();
        names.sort_unstable();
        return Err(CloudError {
            message: format!("the stack has no service `{service}`"),
            help: Some(if names.is_empty() {
                "declare a `service` first".into()
            } else {
                format!("its services are {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
            }),
        });
    }
    let (file, mut state) = StateFile::open(&run.state, || State::new(&ir.app, &ir.env, &ir.region))
        .map_err(|e| CloudError::new(e.to_string()))?;
    let (Some(svc), Some(task)) = (state.resources.get(&service_id), state.resources.get(&task_id)) else {
        return Err(CloudError {
            message: format!("service `{service}` is not deployed in `{}` ({})", ir.app, ir.env),
            help: Some("run `fgc apply` first: `fgc deploy` releases images to services that exist".into()),
        });
    };
    let (cluster, arn) = (svc.outputs.get("cluster").cloned().unwrap_or_default(), svc.physical.clone());
    let group = state.resources.get(&format!("service.{service}/deployment-group")).map(|g| {
        (
            g.outputs.get("app_name").cloned().unwrap_or_default(),
            g.outputs.get("deployment_group_name").cloned().unwrap_or_default(),
        )
    });
    let fallback = task.physical.clone();
    let aws = Aws::connect(&run.target, ir.tags.clone().into_iter().collect()).await;

    // What runs now: the service's task definition (a previous release may have moved it
    // past the one `fgc apply` registered).
    let described = aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services(&arn)
        .send()
        .await
        .map_err(|e| error("ecs:DescribeServices", e))?;
    let live = described.services().first().and_then(|s| s.task_definition()).map(str::to_string);
    // A blue/green service names its new task definition only once CodeDeploy finished;
    // a release handed over without waiting is the newer one meanwhile.
    let revision = |arn: &str| arn.rsplit(':').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
    let current = match live {
        Some(live) if group.is_none() || revision(&live) >= revision(&fallback) => live,
        _ => fallback,
    };
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(&current)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|e| error("ecs:DescribeTaskDefinition", e))?;
    let Some(def) = td.task_definition() else {
        return Err(CloudError::new(format!("ECS returned no task definition for `{current}`")));
    };
    let Some(main) = def.container_definitions().iter().find(|c| c.name() == Some(service)) else {
        return Err(CloudError::new(format!("the task definition `{current}` has no container `{service}`")));
    };
    let running = main.image().unwrap_or_default().to_string();
    on(Step::Current { task_definition: current.clone(), image: running.clone() });
    if running == image {
        return Ok(Released::Unchanged { image: running });
    }

    // The same task definition with one image changed.
    let containers: Vec<_> = def
        .container_definitions()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if c.name() == Some(service) {
                c.image = Some(image.to_string());
            }
            c
        })
        .collect();
    aws.mutate();
    let registered = aws
        .ecs
        .register_task_definition()
        .family(def.family().unwrap_or_default())
        .set_task_role_arn(def.task_role_arn().map(str::to_string))
        .set_execution_role_arn(def.execution_role_arn().map(str::to_string))
        .set_network_mode(def.network_mode().cloned())
        .set_container_definitions(Some(containers))
        .set_volumes(Some(def.volumes().to_vec()))
        .set_placement_constraints(Some(def.placement_constraints().to_vec()))
        .set_requires_compatibilities(Some(def.requires_compatibilities().to_vec()))
        .set_cpu(def.cpu().map(str::to_string))
        .set_memory(def.memory().map(str::to_string))
        .set_pid_mode(def.pid_mode().cloned())
        .set_ipc_mode(def.ipc_mode().cloned())
        .set_proxy_configuration(def.proxy_configuration().cloned())
        .set_ephemeral_storage(def.ephemeral_storage().cloned())
        .set_runtime_platform(def.runtime_platform().cloned())
        .set_tags((!td.tags().is_empty()).then(|| td.tags().to_vec()))
        .send()
        .await
        .map_err(|e| error("ecs:RegisterTaskDefinition", e))?;
    let new = registered.task_definition();
    let new_arn = new.and_then(|t| t.task_definition_arn()).unwrap_or_default().to_string();
    let new_revision = new.map(|t| t.revision()).unwrap_or_default().to_string();
    on(Step::Registered { task_definition: new_arn.clone() });

    let port = main.port_mappings().first().and_then(|p| p.container_port());
    match &group {
        Some((app, group)) => {
            blue_green(&aws, run, (app, group), (&cluster, &arn), service, port, &new_arn, on).await?
        }
        None => rolling(&aws, run, (&cluster, &arn), &current, &new_arn, on).await?,
    }
    // Record the release: the task definition it registered, and the image the source
    // named, so that `fgc apply` keeps the released image until the source changes it.
    let source = ir.get(&task_id).and_then(|r| {
        let attrs = serde_json::to_value(&r.attrs).ok()?;
        image_slot(&attrs, service).cloned()
    });
    if let Some(deployed) = state.resources.get_mut(&task_id) {
        deployed.physical = new_arn.clone();
        deployed.outputs.insert("arn".into(), new_arn.clone());
        deployed.outputs.insert("id".into(), new_arn.clone());
        deployed.outputs.insert("revision".into(), new_revision);
        if let Some(slot) = image_slot_mut(&mut deployed.attrs, service) {
            *slot = json!({"type": "str", "value": image});
        }
    }
    state.releases.insert(
        format!("service.{service}"),
        Release { image: image.to_string(), source: source.unwrap_or(Value::Null), task_definition: new_arn.clone() },
    );
    file.save(&mut state).map_err(|e| CloudError::new(e.to_string()))?;
    let calls = aws.calls.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Released::Done { task_definition: new_arn, waited: run.wait.is_some(), calls })
}

async fn rolling(
    aws: &Aws,
    run: &Run,
    (cluster, service): (&str, &str),
    old: &str,
    new: &str,
    on: &(dyn Fn(Step) + Send + Sync),
) -> Result<(), CloudError> {
    aws.mutate();
    aws.ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(new)
        .send()
        .await
        .map_err(|e| error("ecs:UpdateService", e))?;
    on(Step::Updated);
    let Some(limit) = run.wait else { return Ok(()) };
    let progress = |p: Progress| on(Step::Ecs(p));
    let services = [(cluster.to_string(), service.to_string())];
    let Err(failed) = crate::ecs::wait_stable(aws, &services, run.poll, limit, &progress).await else {
        return Ok(());
    };
    let why = stopped_reasons(aws, cluster, new).await;
    if failed.message.contains("rolled back") {
        return Err(with_reasons(failed, &why));
    }
    // Not stable in time and not rolled back by ECS (no circuit breaker): back to the
    // task definition that ran before.
    on(Step::RollingBack { reason: failed.message.clone() });
    aws.mutate();
    aws.ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(old)
        .send()
        .await
        .map_err(|e| error("ecs:UpdateService", e))?;
    Err(with_reasons(
        CloudError {
            message: format!("{}; fgc rolled the service back to `{old}`", failed.message),
            help: failed.help,
        },
        &why,
    ))
}

/// Rolls a blue/green service out to a task definition `fgc apply` registered: a
/// CodeDeploy deployment, awaited like a release's.
pub async fn rollout(
    aws: &Aws,
    run: &Run,
    group: (&str, &str),
    service: (&str, &str),
    container: &str,
    task_definition: &str,
    on: &(dyn Fn(Step) + Send + Sync),
) -> Result<(), CloudError> {
    let td = aws
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .map_err(|e| error("ecs:DescribeTaskDefinition", e))?;
    let port = td
        .task_definition()
        .and_then(|d| d.container_definitions().iter().find(|c| c.name() == Some(container)))
        .and_then(|c| c.port_mappings().first())
        .and_then(|p| p.container_port());
    blue_green(aws, run, group, service, container, port, task_definition, on).await
}

#[allow(clippy::too_many_arguments)]
async fn blue_green(
    aws: &Aws,
    run: &Run,
    (app, group): (&str, &str),
    (cluster, service_arn): (&str, &str),
    container: &str,
    port: Option<i32>,
    new: &str,
    on: &(dyn Fn(Step) + Send + Sync),
) -> Result<(), CloudError> {
    use aws_sdk_codedeploy::types::{AppSpecContent, DeploymentStatus, RevisionLocation, RevisionLocationType};
    let mut target = json!({"TaskDefinition": new});
    if let Some(port) = port {
        target["LoadBalancerInfo"] = json!({"ContainerName": container, "ContainerPort": port});
    }
    let appspec = json!({
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": target}}]
    });
    let revision = RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(AppSpecContent::builder().content(appspec.to_string()).build())
        .build();
    aws.mutate();
    let created = aws
        .codedeploy
        .create_deployment()
        .application_name(app)
        .deployment_group_name(group)
        .revision(revision)
        .description(format!("fgc deploy: {container} → {new}"))
        .send()
        .await
        .map_err(|e| error("codedeploy:CreateDeployment", e))?;
    let id = created.deployment_id().unwrap_or_default().to_string();
    on(Step::DeploymentCreated { id: id.clone() });
    let Some(limit) = run.wait else { return Ok(()) };
    let start = tokio::time::Instant::now();
    let mut last = String::new();
    let mut seen = std::collections::HashSet::new();
    let mut first = true;
    loop {
        let got = aws
            .codedeploy
            .get_deployment()
            .deployment_id(&id)
            .send()
            .await
            .map_err(|e| error("codedeploy:GetDeployment", e))?;
        let info = got.deployment_info();
        let status = info.and_then(|i| i.status()).cloned();
        let name = status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default();
        let detail =
            info.map(|i| i.deployment_status_messages().join("; ")).filter(|d| !d.is_empty()).unwrap_or_default();
        let key = format!("{name}|{detail}");
        if key != last {
            on(Step::DeploymentStatus { status: name.clone(), detail });
            last = key;
        }
        // The service's events tell what the tasks do meanwhile.
        if let Ok(out) = aws.ecs.describe_services().cluster(cluster).services(service_arn).send().await
            && let Some(svc) = out.services().first()
        {
            for e in svc.events().iter().rev() {
                if seen.insert(e.id().unwrap_or_default().to_string()) && !first {
                    on(Step::Ecs(Progress::Event {
                        service: svc.service_name().unwrap_or_default().into(),
                        message: e.message().unwrap_or_default().into(),
                    }));
                }
            }
        }
        first = false;
        match status {
            Some(DeploymentStatus::Succeeded) => return Ok(()),
            Some(DeploymentStatus::Failed) | Some(DeploymentStatus::Stopped) => {
                let why = info
                    .and_then(|i| i.error_information())
                    .map(|e| {
                        format!(
                            "{}{}",
                            e.code().map(|c| format!("{}: ", c.as_str())).unwrap_or_default(),
                            e.message().unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "no reason given".into());
                let rollback = info.and_then(|i| i.rollback_info()).and_then(|r| {
                    r.rollback_message()
                        .map(str::to_string)
                        .or(r.rollback_deployment_id().map(|d| format!("rollback deployment {d}")))
                });
                let stopped = stopped_reasons(aws, cluster, new).await;
                return Err(with_reasons(
                    CloudError {
                        message: format!(
                            "the blue/green deployment {id} {}: {why}{}",
                            name.to_lowercase(),
                            rollback.map(|r| format!("; {r}")).unwrap_or_default()
                        ),
                        help: Some(
                            "traffic stayed on (or went back to) the previous tasks; the reasons below say why the new ones failed"
                                .into(),
                        ),
                    },
                    &stopped,
                ));
            }
            _ => {}
        }
        if start.elapsed() >= limit {
            on(Step::RollingBack { reason: format!("not done after {}s", limit.as_secs()) });
            aws.mutate();
            aws.codedeploy
                .stop_deployment()
                .deployment_id(&id)
                .auto_rollback_enabled(true)
                .send()
                .await
                .map_err(|e| error("codedeploy:StopDeployment", e))?;
            return Err(CloudError {
                message: format!(
                    "the blue/green deployment {id} did not finish within {}s; fgc stopped it and CodeDeploy rolls back",
                    limit.as_secs()
                ),
                help: Some("raise `--wait-timeout`, or look at the deployment in the CodeDeploy console".into()),
            });
        }
        tokio::time::sleep(run.poll).await;
    }
}

/// Why tasks of a task definition stopped: the task's reason and each container's.
async fn stopped_reasons(aws: &Aws, cluster: &str, task_definition: &str) -> Vec<String> {
    let Ok(list) =
        aws.ecs.list_tasks().cluster(cluster).desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped).send().await
    else {
        return Vec::new();
    };
    if list.task_arns().is_empty() {
        return Vec::new();
    }
    let Ok(tasks) = aws.ecs.describe_tasks().cluster(cluster).set_tasks(Some(list.task_arns().to_vec())).send().await
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for t in tasks.tasks().iter().filter(|t| t.task_definition_arn() == Some(task_definition)) {
        let mut line = t.stopped_reason().unwrap_or("stopped").to_string();
        for c in t.containers() {
            if let Some(r) = c.reason() {
                line.push_str(&format!("; container {}: {r}", c.name().unwrap_or_default()));
            } else if let Some(code) = c.exit_code().filter(|c| *c != 0) {
                line.push_str(&format!("; container {} exited with {code}", c.name().unwrap_or_default()));
            }
        }
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

fn with_reasons(mut e: CloudError, reasons: &[String]) -> CloudError {
    if !reasons.is_empty() {
        e.message.push_str("\nstopped tasks:");
        for r in reasons.iter().take(5) {
            e.message.push_str(&format!("\n  - {r}"));
        }
    }
    e
}

/// The image of container `name` in a task definition's attributes, in the IR's JSON form
/// (`[[attr, value], …]`, `container_definitions` a JSON value holding a list of maps).
pub fn image_slot<'a>(attrs: &'a Value, name: &str) -> Option<&'a Value> {
    let defs = attrs.as_array()?.iter().find(|p| p.get(0).and_then(Value::as_str) == Some("container_definitions"))?;
    let containers = defs.get(1)?.get("value")?.get("value")?.as_array()?;
    containers.iter().find_map(|c| {
        let fields = c.get("value")?.as_array()?;
        let field =
            |k: &str| fields.iter().find(|f| f.get(0).and_then(Value::as_str) == Some(k)).and_then(|f| f.get(1));
        (field("name")?.get("value")?.as_str()? == name).then(|| field("image")).flatten()
    })
}

fn image_slot_mut<'a>(attrs: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    let defs =
        attrs.as_array_mut()?.iter_mut().find(|p| p.get(0).and_then(Value::as_str) == Some("container_definitions"))?;
    let containers = defs.get_mut(1)?.get_mut("value")?.get_mut("value")?.as_array_mut()?;
    let container = containers.iter_mut().find(|c| {
        c.get("value").and_then(Value::as_array).is_some_and(|fields| {
            fields.iter().any(|f| {
                f.get(0).and_then(Value::as_str) == Some("name")
                    && f.get(1).and_then(|v| v.get("value")).and_then(Value::as_str) == Some(name)
            })
        })
    })?;
    let fields = container.get_mut("value")?.as_array_mut()?;
    fields.iter_mut().find(|f| f.get(0).and_then(Value::as_str) == Some("image"))?.get_mut(1)
}

/// Puts released images in place of the source's, for services whose source still names
/// the image it named at the release. Returns the releases that no longer apply (the
/// source names another image now), which `fgc apply` forgets.
pub fn with_releases(want: &mut [Desired], state: &State) -> Vec<String> {
    let mut stale = Vec::new();
    for (decl, release) in &state.releases {
        let Some(name) = decl.strip_prefix("service.") else { continue };
        let task = format!("{decl}/task");
        let Some(d) = want.iter_mut().find(|d| d.id == task) else {
            stale.push(decl.clone());
            continue;
        };
        match image_slot_mut(&mut d.attrs, name) {
            Some(slot) if *slot == release.source => *slot = json!({"type": "str", "value": release.image}),
            _ => stale.push(decl.clone()),
        }
    }
    stale
}
