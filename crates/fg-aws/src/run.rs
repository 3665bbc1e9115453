//! `fgc plan`, `fgc apply` and `fgc destroy` without the command line: state, refresh
//! (what AWS has now), plan, preflight (what the plan sends that names something outside
//! the stack), confirmation (asked of the caller), execution, the wait for services, and
//! the blue/green rollout of a new revision through CodeDeploy.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use fg_deploy::refresh::DriftReport;
use fg_deploy::{Data, Deposed, Desired, Event, Outcome, Plan, Refresh, Settings, State, StateFile};

use crate::preflight::{self, Failure};
use crate::settings::Run;
use crate::{Aws, Contract};

/// Why a run stopped before changing anything.
#[derive(Debug)]
pub enum Stop {
    /// The state could not be read or locked, or AWS could not be read.
    Error(String),
    /// What the source names outside the stack is missing or unusable.
    Preflight(Vec<Failure>),
}

impl From<String> for Stop {
    fn from(e: String) -> Stop {
        Stop::Error(e)
    }
}

/// A plan, with what went into it.
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Images released with `fgc deploy` that the plan keeps (service, image).
    pub kept: Vec<(String, String)>,
    /// Resources read back from AWS (0 with `--refresh=false`).
    pub reads: usize,
}

/// What an apply or destroy did.
#[derive(Debug)]
pub struct Report {
    pub plan: Plan,
    /// `None` when the plan was empty or not confirmed.
    pub outcome: Option<Outcome>,
    /// Mutating AWS calls made.
    pub calls: usize,
    /// Resources read back before planning.
    pub reads: usize,
    /// How waiting for the changed services ended, when it ran.
    pub wait: Option<Result<(), fg_deploy::CloudError>>,
}

/// What the IR wants, with the images released by `fgc deploy` that still stand, and the
/// images kept that way (service, image).
fn wanted(ir: &fg_ir::Ir, state: &mut State, destroy: bool) -> (Vec<Desired>, Vec<(String, String)>) {
    let mut want = if destroy { Vec::new() } else { fg_deploy::desired(ir) };
    let stale = crate::release::with_releases(&mut want, state);
    for decl in &stale {
        state.releases.remove(decl);
    }
    let kept = state
        .releases
        .iter()
        .map(|(decl, r)| (decl.strip_prefix("service.").unwrap_or(decl).to_string(), r.image.clone()))
        .collect();
    (want, kept)
}

/// Connects, reads the data sources, and reads back every recorded resource (unless
/// `run.refresh` is off).
async fn prepare(
    ir: &fg_ir::Ir,
    run: &Run,
    state: &State,
    want: &[Desired],
) -> Result<(Arc<Aws>, Data, Option<Refresh>), Stop> {
    let aws = Arc::new(Aws::connect(&run.target, ir.tags.clone().into_iter().collect()).await);
    let data = aws.read_all_data(ir).await.map_err(|e| Stop::Error(e.message))?;
    let refresh = if run.refresh && !(state.resources.is_empty() && state.deposed.is_empty()) {
        let r = fg_deploy::refresh(aws.clone(), state, &data, want, run.parallel.max(1)).await;
        Some(r.map_err(|failures| {
            let lines: Vec<String> = failures.iter().map(|(id, e)| format!("  {id}: {}", e.message)).collect();
            Stop::Error(format!(
                "cannot read {} resource(s) back from AWS (`--refresh=false` plans against the state alone):\n{}",
                failures.len(),
                lines.join("\n")
            ))
        })?)
    } else {
        None
    };
    Ok((aws, data, refresh))
}

/// The plan, once what it sends that names something outside the stack was looked up.
async fn planned(
    aws: &Aws,
    ir: &fg_ir::Ir,
    want: &[Desired],
    state: &State,
    data: &Data,
    refresh: Option<&Refresh>,
) -> Result<Plan, Stop> {
    let plan = fg_deploy::plan(&ir.app, &ir.env, want, state, refresh, &Contract);
    let changing: std::collections::BTreeSet<&str> =
        plan.changes.iter().filter(|c| !matches!(c.action, fg_deploy::Action::Delete)).map(|c| c.id.as_str()).collect();
    let failures = preflight::check(aws, ir, want, &changing, state, data).await;
    if failures.is_empty() { Ok(plan) } else { Err(Stop::Preflight(failures)) }
}

/// The plan for the IR against the recorded state (without locking it) and what AWS has.
pub async fn plan(ir: &fg_ir::Ir, run: &Run) -> Result<Planned, Stop> {
    let mut state = fg_deploy::state::read(&run.state).map_err(|e| e.to_string())?.unwrap_or_default();
    let (want, kept) = wanted(ir, &mut state, false);
    let (aws, data, refresh) = prepare(ir, run, &state, &want).await?;
    let plan = planned(&aws, ir, &want, &state, &data, refresh.as_ref()).await?;
    Ok(Planned { plan, kept, reads: aws.reads.load(Ordering::Relaxed) })
}

/// What changed outside fgc: AWS against the state, whatever the source says now.
pub async fn drift(ir: &fg_ir::Ir, run: &Run) -> Result<DriftReport, Stop> {
    let state = fg_deploy::state::read(&run.state).map_err(|e| e.to_string())?.unwrap_or_default();
    let want = fg_deploy::desired(ir);
    let run = Run { refresh: true, ..run.clone() };
    let (_, _, refresh) = prepare(ir, &run, &state, &want).await?;
    Ok(fg_deploy::refresh::report(&state, &refresh.unwrap_or_default()))
}

/// Plans, asks `confirm`, and applies. `destroy` plans the removal of everything.
pub async fn apply(
    ir: &fg_ir::Ir,
    run: &Run,
    destroy: bool,
    confirm: &(dyn Fn(&Plan) -> bool + Send + Sync),
    events: &(dyn Fn(Event) + Send + Sync),
    progress: &(dyn Fn(crate::ecs::Progress) + Send + Sync),
) -> Result<Report, Stop> {
    let (file, mut state) =
        StateFile::open(&run.state, || State::new(&ir.app, &ir.env, &ir.region)).map_err(|e| e.to_string())?;
    let (want, _) = wanted(ir, &mut state, destroy);
    let (aws, data, refresh) = prepare(ir, run, &state, &want).await?;
    let reads = aws.reads.load(Ordering::Relaxed);
    let plan = planned(&aws, ir, &want, &state, &data, refresh.as_ref()).await?;
    if plan.is_empty() || !confirm(&plan) {
        return Ok(Report { plan, outcome: None, calls: 0, reads, wait: None });
    }
    let families: Vec<String> = state
        .resources
        .values()
        .filter(|r| r.kind == "aws_ecs_task_definition")
        .filter_map(|r| r.outputs.get("family").cloned())
        .collect();
    // A blue/green service runs its old revision until CodeDeploy switches over, so that
    // revision stays registered until the rollout below succeeds.
    let blue_green: Vec<String> = state
        .resources
        .keys()
        .filter_map(|id| id.strip_suffix("/deployment-group"))
        .map(|decl| format!("{decl}/task"))
        .collect();
    let keep = |old: &Deposed| blue_green.contains(&old.id);
    let settings = Settings { parallel: run.parallel.max(1), events, keep_deposed: &keep };
    let before = state.clone();
    let (after, outcome) = fg_deploy::apply(aws.clone(), &plan, &want, &data, state, &file, &settings).await;
    let (after, outcome) = follow_ups(&aws, &want, &plan, before, after, outcome, &data, &file, &settings).await;
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
    let mut after = after;
    if matches!(outcome, Outcome::Done { .. }) && !destroy && !matches!(wait, Some(Err(_))) {
        let rolled = blue_green_rollouts(&aws, run, &plan, &after, progress).await;
        match rolled {
            Err(e) => wait = Some(Err(e)),
            Ok(any) => {
                if any && run.wait.is_some() {
                    wait.get_or_insert(Ok(()));
                }
                // The old revisions may go now that CodeDeploy runs the new ones.
                if !after.deposed.is_empty() {
                    // A failure is reported by its event; the revision stays recorded as
                    // deposed, and the next apply deletes it.
                    let (s, _) =
                        fg_deploy::exec::finish_replacements(aws.clone(), after, &file, &|_| false, events).await;
                    after = s;
                }
            }
        }
    }
    drop(after);
    let calls = aws.calls.load(Ordering::Relaxed);
    Ok(Report { plan, outcome: Some(outcome), calls, reads, wait })
}

/// Carries outputs an update changed to what refers to them and was not planned (see
/// `fg_deploy::follow`), a few rounds at most: each round can move outputs of its own.
#[allow(clippy::too_many_arguments)]
async fn follow_ups(
    aws: &Arc<Aws>,
    want: &[Desired],
    plan: &Plan,
    mut before: State,
    mut after: State,
    mut outcome: Outcome,
    data: &Data,
    file: &StateFile,
    settings: &Settings<'_>,
) -> (State, Outcome) {
    let mut last = plan.clone();
    for _ in 0..4 {
        let Outcome::Done { changed } = outcome else { break };
        let next = fg_deploy::follow_up(want, &last, &before, &after, data, &Contract);
        if next.is_empty() {
            return (after, Outcome::Done { changed });
        }
        before = after.clone();
        let (state, o) = fg_deploy::apply(aws.clone(), &next, want, data, after, file, settings).await;
        after = state;
        outcome = match o {
            Outcome::Done { changed: more } => Outcome::Done { changed: changed + more },
            Outcome::Failed { changed: more, failures } => Outcome::Failed { changed: changed + more, failures },
            other => other,
        };
        last = next;
    }
    (after, outcome)
}

/// A blue/green service takes a new task definition through CodeDeploy: the service
/// itself is not updated (its task definition is managed elsewhere). Returns whether any
/// rollout ran.
async fn blue_green_rollouts(
    aws: &Aws,
    run: &Run,
    plan: &Plan,
    after: &State,
    progress: &(dyn Fn(crate::ecs::Progress) + Send + Sync),
) -> Result<bool, fg_deploy::CloudError> {
    let mut any = false;
    let replaced = plan.changes.iter().filter(|c| {
        c.kind == "aws_ecs_task_definition"
            && c.deposed.is_none()
            && matches!(c.action, fg_deploy::Action::Replace { .. })
    });
    for c in replaced {
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
        crate::release::rollout(
            aws,
            run,
            (&out(group, "app_name"), &out(group, "deployment_group_name")),
            (&out(svc, "cluster"), &svc.physical),
            name,
            &task.physical,
            &step,
        )
        .await?;
        any = true;
    }
    Ok(any)
}

/// Rebuilds a lost (or partial) state from what AWS has: every resource of the IR is
/// looked for by its `fgc:id` tag (or its name), in dependency order so that references
/// resolve, and recorded when found. Returns (found, looked for).
pub async fn recover(ir: &fg_ir::Ir, run: &Run) -> Result<(usize, usize), String> {
    use fg_deploy::Cloud as _;
    let (file, mut state) =
        StateFile::open(&run.state, || State::new(&ir.app, &ir.env, &ir.region)).map_err(|e| e.to_string())?;
    let aws = Aws::connect(&run.target, ir.tags.clone().into_iter().collect()).await;
    let data = aws.read_all_data(ir).await.map_err(|e| e.message)?;
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
