//! `fgc plan`, `fgc apply` and `fgc destroy` without the command line: state, plan,
//! confirmation (asked of the caller), data sources, execution.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use fg_deploy::{Data, Desired, Event, Outcome, Plan, State, StateFile};

use crate::{Aws, Target};

/// One run's settings.
#[derive(Debug, Clone)]
pub struct Run {
    pub target: Target,
    /// The state file of this stack and environment.
    pub state: PathBuf,
    /// Calls in flight at most.
    pub parallel: usize,
    /// How long to wait for changed services to become stable; `None` does not wait.
    pub wait: Option<std::time::Duration>,
    /// How often to ask AWS while waiting.
    pub poll: std::time::Duration,
}

/// Where the state of a stack lives by default: `.fgc/state/<app>-<env>.json` beside the
/// entry file.
pub fn default_state_path(entry: &Path, app: &str, env: &str) -> PathBuf {
    let dir = entry.parent().unwrap_or(Path::new("."));
    dir.join(".fgc").join("state").join(format!("{app}-{env}.json"))
}

/// What an apply or destroy did.
#[derive(Debug)]
pub struct Report {
    pub plan: Plan,
    /// `None` when the plan was empty or not confirmed.
    pub outcome: Option<Outcome>,
    /// Mutating AWS calls made.
    pub calls: usize,
    /// How waiting for the changed services ended, when it ran.
    pub wait: Option<Result<(), fg_deploy::CloudError>>,
}

/// The plan for the IR against the recorded state (without locking it), and the images
/// released with `fgc deploy` that it keeps (service, image).
pub fn plan(ir: &fg_ir::Ir, state_path: &Path) -> Result<(Plan, Vec<(String, String)>), String> {
    let state = fg_deploy::state::read(state_path).map_err(|e| e.to_string())?.unwrap_or_default();
    let mut want = fg_deploy::desired(ir);
    let stale = crate::release::with_releases(&mut want, &state);
    let kept = state
        .releases
        .iter()
        .filter(|(decl, _)| !stale.contains(decl))
        .map(|(decl, r)| (decl.strip_prefix("service.").unwrap_or(decl).to_string(), r.image.clone()))
        .collect();
    Ok((fg_deploy::plan(&ir.app, &ir.env, &want, &state, &crate::immutable), kept))
}

/// Plans, asks `confirm`, and applies. `destroy` plans the removal of everything.
pub async fn apply(
    ir: &fg_ir::Ir,
    run: &Run,
    destroy: bool,
    confirm: &(dyn Fn(&Plan) -> bool + Send + Sync),
    events: &(dyn Fn(Event) + Send + Sync),
    progress: &(dyn Fn(crate::ecs::Progress) + Send + Sync),
) -> Result<Report, String> {
    let (file, mut state) =
        StateFile::open(&run.state, || State::new(&ir.app, &ir.env, &ir.region)).map_err(|e| e.to_string())?;
    let mut want: Vec<Desired> = if destroy { Vec::new() } else { fg_deploy::desired(ir) };
    // Images released with `fgc deploy` stay until the source names a new one.
    for stale in crate::release::with_releases(&mut want, &state) {
        state.releases.remove(&stale);
    }
    let plan = fg_deploy::plan(&ir.app, &ir.env, &want, &state, &crate::immutable);
    if plan.is_empty() || !confirm(&plan) {
        return Ok(Report { plan, outcome: None, calls: 0, wait: None });
    }
    let aws = Arc::new(Aws::connect(&run.target, ir.tags.clone().into_iter().collect()).await);
    let mut data = Data::new();
    if !destroy {
        for r in ir.resources.iter().filter(|r| r.data) {
            data.insert(r.id.clone(), aws.read_data(&r.kind).await.map_err(|e| e.message)?);
        }
    }
    let families: Vec<String> = state
        .resources
        .values()
        .filter(|r| r.kind == "aws_ecs_task_definition")
        .filter_map(|r| r.outputs.get("family").cloned())
        .collect();
    let (after, outcome) =
        fg_deploy::apply(aws.clone(), &plan, &want, &data, state, &file, run.parallel.max(1), events).await;
    // Revisions left behind by releases go with the stack.
    if destroy && matches!(outcome, Outcome::Done { .. }) {
        for family in &families {
            if let Err(e) = crate::ecs::deregister_family(&aws, family).await {
                events(Event::Failed { id: format!("task definition family {family}"), error: e });
            }
        }
    }
    // The services this apply created or changed, once everything went through.
    let services: Vec<(String, String)> = plan
        .changes
        .iter()
        .filter(|c| c.kind == "aws_ecs_service" && !matches!(c.action, fg_deploy::Action::Delete))
        .filter_map(|c| after.resources.get(&c.id))
        .map(|d| {
            (d.outputs.get("cluster").cloned().unwrap_or_default(), d.outputs.get("name").cloned().unwrap_or_default())
        })
        .collect();
    let mut wait = match (run.wait, &outcome) {
        (Some(limit), Outcome::Done { .. }) if !destroy && !services.is_empty() => {
            Some(crate::ecs::wait_stable(&aws, &services, run.poll, limit, progress).await)
        }
        _ => None,
    };
    // A blue/green service takes a new task definition through CodeDeploy: the service
    // itself is not updated (its task definition is managed elsewhere).
    if matches!(outcome, Outcome::Done { .. }) && !destroy && !matches!(wait, Some(Err(_))) {
        for c in plan
            .changes
            .iter()
            .filter(|c| c.kind == "aws_ecs_task_definition" && matches!(c.action, fg_deploy::Action::Replace { .. }))
        {
            let Some(decl) = c.id.strip_suffix("/task") else { continue };
            let (Some(group), Some(svc), Some(task)) = (
                after.resources.get(&format!("{decl}/deployment-group")),
                after.resources.get(&format!("{decl}/service")),
                after.resources.get(&c.id),
            ) else {
                continue;
            };
            let name = decl.strip_prefix("service.").unwrap_or(decl);
            let out = |d: &fg_deploy::Deployed, k: &str| d.outputs.get(k).cloned().unwrap_or_default();
            let step = |s: crate::release::Step| match s {
                crate::release::Step::DeploymentCreated { id } => progress(crate::ecs::Progress::Event {
                    service: out(svc, "name"),
                    message: format!("CodeDeploy deployment {id} started (blue/green)"),
                }),
                crate::release::Step::DeploymentStatus { status, detail } => progress(crate::ecs::Progress::Event {
                    service: out(svc, "name"),
                    message: format!("CodeDeploy: {status} {detail}").trim_end().to_string(),
                }),
                crate::release::Step::Ecs(p) => progress(p),
                _ => {}
            };
            let result = crate::release::rollout(
                &aws,
                run,
                (&out(group, "app_name"), &out(group, "deployment_group_name")),
                (&out(svc, "cluster"), &svc.physical),
                name,
                &task.physical,
                &step,
            )
            .await;
            if result.is_err() {
                wait = Some(result);
                break;
            }
            if run.wait.is_some() {
                wait.get_or_insert(Ok(()));
            }
        }
    }
    let calls = aws.calls.load(Ordering::Relaxed);
    Ok(Report { plan, outcome: Some(outcome), calls, wait })
}

/// Rebuilds a lost (or partial) state from what AWS has: every resource of the IR is
/// looked for by its `fgc:id` tag (or its name), in dependency order so that references
/// resolve, and recorded when found. Returns (found, looked for).
pub async fn recover(ir: &fg_ir::Ir, run: &Run) -> Result<(usize, usize), String> {
    use fg_deploy::Cloud as _;
    let (file, mut state) =
        StateFile::open(&run.state, || State::new(&ir.app, &ir.env, &ir.region)).map_err(|e| e.to_string())?;
    let aws = Aws::connect(&run.target, ir.tags.clone().into_iter().collect()).await;
    let mut data = Data::new();
    for r in ir.resources.iter().filter(|r| r.data) {
        data.insert(r.id.clone(), aws.read_data(&r.kind).await.map_err(|e| e.message)?);
    }
    let want = fg_deploy::desired(ir);
    let order = fg_deploy::graph::order(want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice())));
    let by_id: std::collections::BTreeMap<&str, &Desired> = want.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut found = 0;
    for id in &order {
        let Some(d) = by_id.get(id.as_str()) else { continue };
        if state.resources.contains_key(id) {
            found += 1;
            continue;
        }
        let resolved = fg_deploy::exec::resolve(d, &state, &data);
        if let Some(c) = aws.adopt(&resolved).await.map_err(|e| e.message)? {
            state.resources.insert(
                id.clone(),
                fg_deploy::Deployed {
                    kind: d.kind.clone(),
                    physical: c.physical,
                    attrs: d.attrs.clone(),
                    outputs: c.outputs,
                    depends_on: d.depends_on.clone(),
                },
            );
            file.save(&mut state).map_err(|e| e.to_string())?;
            found += 1;
        }
    }
    Ok((found, want.len()))
}
