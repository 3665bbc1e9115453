//! The executor: runs a plan along the dependency graph with bounded parallelism, writing
//! the state after every resource, so that a crash at any point loses at most the call in
//! flight, which the next apply adopts by the resource's `fgc:id` tag.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::task::JoinSet;

use crate::contract::Contracts;
use crate::plan::{Action, AttrChange, Desired, Plan};
use crate::refresh::Observed;
use crate::state::{Deployed, Deposed, State, StateError, StateFile};

/// A resource with every reference resolved to what the cloud returned for its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub id: String,
    pub kind: String,
    /// Attributes in order, values as plain JSON: references and templates are strings,
    /// blocks and maps objects, `json` values serialised to a string.
    pub attrs: Vec<(String, Value)>,
}

impl Resolved {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// Every value of a repeated attribute (blocks).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.attrs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v)
    }
}

/// What the cloud says about a resource it created or found.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub physical: String,
    pub outputs: BTreeMap<String, String>,
}

/// A failed cloud call, already explained.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudError {
    pub message: String,
    pub help: Option<String>,
}

impl CloudError {
    pub fn new(message: impl Into<String>) -> Self {
        CloudError { message: message.into(), help: None }
    }
}

/// An update that failed part way: the attributes it did apply (each confirmed by the
/// cloud) are recorded, the rest keep what was applied before.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub error: CloudError,
    pub applied: Vec<String>,
}

impl From<CloudError> for Partial {
    fn from(error: CloudError) -> Partial {
        Partial { error, applied: Vec::new() }
    }
}

/// What an apply needs from a cloud: the AWS SDK backend, or a test's fake.
pub trait Cloud: Contracts + Send + Sync + 'static {
    /// Finds a resource created earlier but not recorded (a crash between the call and
    /// the state write), by its `fgc:id` tag or its natural key.
    fn adopt(&self, r: &Resolved) -> impl Future<Output = Result<Option<Created>, CloudError>> + Send;
    fn create(&self, r: &Resolved) -> impl Future<Output = Result<Created, CloudError>> + Send;
    /// Applies `changes` (source changes and drift) in place; only called with
    /// attributes the contract covers.
    fn update(
        &self,
        r: &Resolved,
        have: &Deployed,
        changes: &[AttrChange],
    ) -> impl Future<Output = Result<Created, Partial>> + Send;
    /// Deletes; a resource already gone is success.
    fn delete(&self, id: &str, have: &Deployed) -> impl Future<Output = Result<(), CloudError>> + Send;
    /// What the cloud has now for a recorded resource (`None`: it is gone). `recorded` is
    /// what was applied, references resolved; `state` names the rest of the stack.
    fn read(
        &self,
        have: &Deployed,
        recorded: &Resolved,
        state: &State,
    ) -> impl Future<Output = Result<Option<Observed>, CloudError>> + Send;
}

/// Progress, for the CLI's display.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started { id: String, verb: &'static str },
    Finished { id: String, verb: &'static str },
    Failed { id: String, error: CloudError },
}

/// How an apply ended.
#[derive(Debug)]
pub enum Outcome {
    Done {
        changed: usize,
    },
    /// Some resources failed; the rest of what could run ran, and the state has it all.
    Failed {
        changed: usize,
        failures: Vec<(String, CloudError)>,
    },
    /// The state could not be written: stop at once, since nothing after it would be
    /// recorded.
    State(StateError),
}

/// How to run a plan.
pub struct Settings<'a> {
    /// Calls in flight at most.
    pub parallel: usize,
    pub events: &'a (dyn Fn(Event) + Send + Sync),
    /// Old halves of replacements to leave for later (a task definition revision a
    /// blue/green deployment still runs until CodeDeploy switches over).
    pub keep_deposed: &'a (dyn Fn(&Deposed) -> bool + Send + Sync),
}

/// Runs a plan. At most `parallel` calls are in flight; a resource starts when everything
/// it depends on is done (creates and updates), or when everything that depends on it is
/// gone (deletes, which run first, together with the old halves of delete-first
/// replacements). A removed resource that something staying still uses as recorded (an
/// authorizer its routes stop naming) is deleted last, once those are updated: AWS refuses
/// to delete what is still in use. Create-first replacements put the old half aside
/// (recorded as deposed), create the new one, let what refers to it move over, and delete
/// the old one at the very end.
pub async fn apply<C: Cloud>(
    cloud: Arc<C>,
    plan: &Plan,
    want: &[Desired],
    data: &Data,
    state: State,
    file: &StateFile,
    settings: &Settings<'_>,
) -> (State, Outcome) {
    let events = settings.events;
    let state = Arc::new(Mutex::new(state));
    let mut changed = 0;
    let mut failures = Vec::new();
    let create_first = |c: &&crate::plan::Change| {
        matches!(c.action, Action::Replace { create_first: true, .. }) && c.deposed.is_none()
    };

    // Phase 1: deletes, dependents first; those still in use by what stays wait for phase 3.
    let deletes: BTreeSet<String> = plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_none())
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace { create_first: false, .. }))
        .map(|c| c.id.clone())
        .collect();
    let late = {
        let s = lock(&state);
        let removed: BTreeSet<&String> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Delete) && c.deposed.is_none())
            .map(|c| &c.id)
            .collect();
        let staying = s.resources.iter().filter(|(id, _)| !deletes.contains(*id));
        let mut late: BTreeSet<String> =
            staying.flat_map(|(_, r)| r.depends_on.iter()).filter(|d| removed.contains(d)).cloned().collect();
        // What a late delete depends on goes after it.
        loop {
            let more: Vec<String> = late
                .iter()
                .filter_map(|id| s.resources.get(id))
                .flat_map(|r| r.depends_on.iter())
                .filter(|d| removed.contains(d) && !late.contains(*d))
                .cloned()
                .collect();
            if more.is_empty() {
                break late;
            }
            late.extend(more);
        }
    };
    let early: BTreeSet<String> = deletes.difference(&late).cloned().collect();
    let run = Runner { cloud: cloud.clone(), state: state.clone(), file, parallel: settings.parallel.max(1) };
    let r = run.delete(&early, events).await;
    match settle(r, &mut changed, &mut failures) {
        Some(e) => return (snapshot(&state), Outcome::State(e)),
        None if !failures.is_empty() => return (snapshot(&state), Outcome::Failed { changed, failures }),
        None => {}
    }

    // The old halves of create-first replacements step aside, recorded.
    {
        let mut s = lock(&state);
        for c in plan.changes.iter().filter(create_first) {
            if let Some(old) = s.resources.remove(&c.id) {
                s.deposed.push(Deposed { id: c.id.clone(), resource: old });
            }
        }
        if let Err(e) = file.save(&mut s) {
            drop(s);
            return (snapshot(&state), Outcome::State(e));
        }
    }

    // Phase 2: creates and updates, dependencies first.
    let todo: BTreeMap<&str, &crate::plan::Change> =
        plan.changes.iter().filter(|c| !matches!(c.action, Action::Delete)).map(|c| (c.id.as_str(), c)).collect();
    let by_id: BTreeMap<&str, &Desired> = want.iter().map(|d| (d.id.as_str(), d)).collect();
    let blockers: BTreeMap<String, BTreeSet<String>> = todo
        .keys()
        .map(|id| {
            let deps = by_id.get(id).map(|d| d.depends_on.as_slice()).unwrap_or_default();
            (id.to_string(), deps.iter().filter(|d| todo.contains_key(d.as_str())).cloned().collect())
        })
        .collect();
    let data = Arc::new(data.clone());
    let want: Arc<Todo> = Arc::new(
        todo.values()
            .filter_map(|c| {
                let changes = match &c.action {
                    Action::Update { changes } => Some(changes.clone()),
                    _ => None,
                };
                by_id.get(c.id.as_str()).map(|d| (c.id.clone(), ((*d).clone(), changes)))
            })
            .collect(),
    );
    let r = run
        .walk(blockers, events, move |cloud, state, id| {
            let (want, data) = (want.clone(), data.clone());
            async move {
                let Some((d, changes)) = want.get(&id) else { return Step::done(Record::Nothing) };
                let resolved = resolve(d, &lock(&state), &data);
                let (have, deposed): (Option<Deployed>, Vec<String>) = {
                    let s = lock(&state);
                    (s.resources.get(&id).cloned(), s.deposed.iter().map(|o| o.resource.physical.clone()).collect())
                };
                let deployed = |c: Created, attrs: Value| Deployed {
                    kind: d.kind.clone(),
                    physical: c.physical,
                    attrs,
                    outputs: c.outputs,
                    depends_on: d.depends_on.clone(),
                };
                match (changes, have) {
                    (Some(changes), Some(have)) => {
                        let uncovered =
                            crate::contract::uncovered(&*cloud, &d.kind, changes.iter().map(|c| c.name.as_str()));
                        if !uncovered.is_empty() {
                            return Step::failed(Record::Nothing, not_covered(&d.kind, &uncovered));
                        }
                        // Nothing to send: fgc itself (or another resource) applies these.
                        let spec = cloud.contract(&d.kind);
                        let elsewhere = |c: &AttrChange| {
                            matches!(
                                spec.and_then(|k| k.handling(&c.name)),
                                Some(crate::contract::Handling::Elsewhere(_))
                            )
                        };
                        if changes.iter().all(elsewhere) {
                            let c = Created { physical: have.physical.clone(), outputs: have.outputs.clone() };
                            return Step::done(Record::Put(deployed(c, d.attrs.clone())));
                        }
                        match cloud.update(&resolved, &have, changes).await {
                            Ok(c) => Step::done(Record::Put(deployed(c, d.attrs.clone()))),
                            Err(p) if p.applied.is_empty() => Step::failed(Record::Nothing, p.error),
                            Err(p) => {
                                let attrs = merge(&have.attrs, &d.attrs, &p.applied);
                                let c = Created { physical: have.physical.clone(), outputs: have.outputs.clone() };
                                Step::failed(Record::Put(deployed(c, attrs)), p.error)
                            }
                        }
                    }
                    // Creates, recreations of what was deleted outside, new halves.
                    _ => {
                        let found = match cloud.adopt(&resolved).await {
                            Ok(found) => found.filter(|f| !deposed.contains(&f.physical)),
                            Err(e) => return Step::failed(Record::Nothing, e),
                        };
                        let created = match found {
                            Some(f) => f,
                            None => match cloud.create(&resolved).await {
                                Ok(c) => c,
                                Err(e) => return Step::failed(Record::Nothing, e),
                            },
                        };
                        Step::done(Record::Put(deployed(created, d.attrs.clone())))
                    }
                }
            }
        })
        .await;
    match settle(r, &mut changed, &mut failures) {
        Some(e) => return (snapshot(&state), Outcome::State(e)),
        None if !failures.is_empty() => return (snapshot(&state), Outcome::Failed { changed, failures }),
        None => {}
    }

    // Phase 3: what was still in use until phase 2, dependents first; then the old halves.
    let r = run.delete(&late, events).await;
    if let Some(e) = settle(r, &mut changed, &mut failures) {
        return (snapshot(&state), Outcome::State(e));
    }
    if failures.is_empty() {
        let r = delete_deposed(&run, settings.keep_deposed, events).await;
        if let Some(e) = settle(r, &mut changed, &mut failures) {
            return (snapshot(&state), Outcome::State(e));
        }
    }
    let outcome = if failures.is_empty() { Outcome::Done { changed } } else { Outcome::Failed { changed, failures } };
    (snapshot(&state), outcome)
}

/// Deletes the deposed resources of a state (those `keep` does not hold back), one at a
/// time, recording each.
pub async fn delete_deposed<C: Cloud>(
    run: &Runner<'_, C>,
    keep: &(dyn Fn(&Deposed) -> bool + Send + Sync),
    events: &(dyn Fn(Event) + Send + Sync),
) -> WalkResult {
    let old: Vec<Deposed> = lock(&run.state).deposed.iter().filter(|o| !keep(o)).cloned().collect();
    let (mut changed, mut failures) = (0, Vec::new());
    for o in old {
        let label = format!("{} ({})", o.id, o.resource.physical);
        events(Event::Started { id: label.clone(), verb: "" });
        match run.cloud.delete(&o.id, &o.resource).await {
            Ok(()) => {
                let mut s = lock(&run.state);
                s.deposed.retain(|x| x != &o);
                run.file.save(&mut s)?;
                changed += 1;
                events(Event::Finished { id: label, verb: "" });
            }
            Err(error) => {
                events(Event::Failed { id: label.clone(), error: error.clone() });
                failures.push((label, error));
            }
        }
    }
    Ok((changed, failures))
}

/// Deletes the deposed resources a state holds, outside a plan (after a blue/green
/// deployment switched over to the new revision).
pub async fn finish_replacements<C: Cloud>(
    cloud: Arc<C>,
    state: State,
    file: &StateFile,
    keep: &(dyn Fn(&Deposed) -> bool + Send + Sync),
    events: &(dyn Fn(Event) + Send + Sync),
) -> (State, Outcome) {
    let state = Arc::new(Mutex::new(state));
    let run = Runner { cloud, state: state.clone(), file, parallel: 1 };
    let outcome = match delete_deposed(&run, keep, events).await {
        Ok((changed, f)) if f.is_empty() => Outcome::Done { changed },
        Ok((changed, failures)) => Outcome::Failed { changed, failures },
        Err(e) => Outcome::State(e),
    };
    (snapshot(&state), outcome)
}

fn not_covered(kind: &str, attrs: &[String]) -> CloudError {
    let list = attrs.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    CloudError {
        message: format!("fgc cannot change {list} of `{kind}` in place: no call applies it"),
        help: Some(
            "this is a defect of fgc's backend; nothing was changed. `fgc build` and Terraform can apply this change"
                .into(),
        ),
    }
}

/// Attributes after a partial update: `applied` ones as wanted, the others as they were.
fn merge(have: &Value, want: &Value, applied: &[String]) -> Value {
    let pairs = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let name = |p: &Value| p.get(0).and_then(Value::as_str).unwrap_or_default().to_string();
    let is_applied = |p: &Value| applied.contains(&name(p));
    let mut out: Vec<Value> = pairs(want).into_iter().filter(|p| is_applied(p)).collect();
    out.extend(pairs(have).into_iter().filter(|p| !is_applied(p)));
    Value::Array(out)
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn snapshot(state: &Mutex<State>) -> State {
    lock(state).clone()
}

/// Phase 2's work by id: the resource as wanted, and its changes when it is updated
/// (`None`: created, recreated or the new half of a replacement).
type Todo = BTreeMap<String, (Desired, Option<Vec<AttrChange>>)>;

/// What one resource's operation leaves in the state.
enum Record {
    Put(Deployed),
    Remove,
    Nothing,
}

/// A resource's operation: what to record, and its failure if it failed (a partial update
/// records what it applied and still fails).
struct Step {
    record: Record,
    error: Option<CloudError>,
}

impl Step {
    fn done(record: Record) -> Step {
        Step { record, error: None }
    }

    fn failed(record: Record, error: CloudError) -> Step {
        Step { record, error: Some(error) }
    }
}

/// A walk's result: how many resources changed, and the failures; `Err` when the state
/// could not be saved.
pub type WalkResult = Result<(usize, Vec<(String, CloudError)>), StateError>;

fn settle(r: WalkResult, changed: &mut usize, failures: &mut Vec<(String, CloudError)>) -> Option<StateError> {
    match r {
        Ok((n, f)) => {
            *changed += n;
            failures.extend(f);
            None
        }
        Err(e) => Some(e),
    }
}

/// Runs operations on resources along a graph, recording each result.
pub struct Runner<'a, C> {
    cloud: Arc<C>,
    state: Arc<Mutex<State>>,
    file: &'a StateFile,
    parallel: usize,
}

impl<C: Cloud> Runner<'_, C> {
    /// Deletes `ids`, each once nothing among them that depends on it (as recorded) is left.
    async fn delete(&self, ids: &BTreeSet<String>, events: &(dyn Fn(Event) + Send + Sync)) -> WalkResult {
        let blockers: BTreeMap<String, BTreeSet<String>> = {
            let s = lock(&self.state);
            ids.iter()
                .map(|id| {
                    let dependents = ids
                        .iter()
                        .filter(|other| s.resources.get(*other).is_some_and(|r| r.depends_on.contains(id)))
                        .cloned()
                        .collect();
                    (id.clone(), dependents)
                })
                .collect()
        };
        self.walk(blockers, events, |cloud, state, id| async move {
            let have = lock(&state).resources.get(&id).cloned();
            match have {
                Some(have) => match cloud.delete(&id, &have).await {
                    Ok(()) => Step::done(Record::Remove),
                    Err(e) => Step::failed(Record::Nothing, e),
                },
                None => Step::done(Record::Nothing),
            }
        })
        .await
    }

    /// Runs `op` for every key of `blockers` once the ids it lists are done, at most
    /// `parallel` at a time; records each result in the state and saves it. After a
    /// failure nothing new starts, and what runs finishes.
    async fn walk<F, Fut>(
        &self,
        mut blockers: BTreeMap<String, BTreeSet<String>>,
        events: &(dyn Fn(Event) + Send + Sync),
        op: F,
    ) -> WalkResult
    where
        F: Fn(Arc<C>, Arc<Mutex<State>>, String) -> Fut,
        Fut: Future<Output = Step> + Send + 'static,
    {
        let mut running: JoinSet<(String, Step)> = JoinSet::new();
        let mut changed = 0;
        let mut failures = Vec::new();
        loop {
            if failures.is_empty() {
                let ready: Vec<String> = blockers
                    .iter()
                    .filter(|(_, b)| b.is_empty())
                    .map(|(id, _)| id.clone())
                    .take(self.parallel.saturating_sub(running.len()))
                    .collect();
                for id in ready {
                    blockers.remove(&id);
                    events(Event::Started { id: id.clone(), verb: "" });
                    let fut = op(self.cloud.clone(), self.state.clone(), id.clone());
                    running.spawn(async move { (id, fut.await) });
                }
            }
            let Some(done) = running.join_next().await else { break };
            let Ok((id, step)) = done else { continue };
            let recorded = !matches!(step.record, Record::Nothing);
            {
                let mut s = lock(&self.state);
                match step.record {
                    Record::Put(d) => {
                        s.resources.insert(id.clone(), d);
                    }
                    Record::Remove => {
                        s.resources.remove(&id);
                    }
                    Record::Nothing => {}
                }
                // Recorded before anything else starts: a crash from here on loses
                // nothing this call did.
                if recorded {
                    self.file.save(&mut s)?;
                }
            }
            match step.error {
                None => {
                    changed += 1;
                    events(Event::Finished { id: id.clone(), verb: "" });
                    for b in blockers.values_mut() {
                        b.remove(&id);
                    }
                }
                Some(error) => {
                    events(Event::Failed { id: id.clone(), error: error.clone() });
                    failures.push((id, error));
                }
            }
        }
        Ok((changed, failures))
    }
}

/// What data sources read (the account, the partition, the zones), by id and attribute.
pub type Data = BTreeMap<String, BTreeMap<String, String>>;

/// The plain-JSON attributes of a resource, references resolved from the state (or the
/// data sources).
pub fn resolve(d: &Desired, state: &State, data: &Data) -> Resolved {
    Resolved { id: d.id.clone(), kind: d.kind.clone(), attrs: resolve_attrs(&d.attrs, state, data) }
}

/// `[[name, value], …]` as plain JSON, references resolved from the state (or the data
/// sources).
pub fn resolve_attrs(attrs: &Value, state: &State, data: &Data) -> Vec<(String, Value)> {
    attrs
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|pair| Some((pair.get(0)?.as_str()?.to_string(), plain(pair.get(1)?, state, data))))
        .collect()
}

fn plain(v: &Value, state: &State, data: &Data) -> Value {
    let output = |r: &Value| {
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
        let attr = r.get("attr").and_then(Value::as_str).unwrap_or_default();
        let found = state.resources.get(id).map(|d| &d.outputs).or_else(|| data.get(id));
        found.and_then(|o| o.get(attr)).cloned().unwrap_or_default()
    };
    // A name repeated inside a block (two `step_adjustment`s, two `target_group`s) is a
    // list of blocks, as the provider's schema has it: none of them may be lost.
    let pairs = |x: &Value| {
        let items = x.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut out = serde_json::Map::new();
        let mut repeated = BTreeSet::new();
        for (k, v) in
            items.iter().filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), plain(p.get(1)?, state, data))))
        {
            match out.get_mut(&k) {
                Some(Value::Array(list)) if repeated.contains(&k) => list.push(v),
                Some(first) => {
                    *first = Value::Array(vec![first.take(), v]);
                    repeated.insert(k);
                }
                None => {
                    out.insert(k, v);
                }
            }
        }
        Value::Object(out)
    };
    let (Some(kind), Some(x)) = (v.get("type").and_then(Value::as_str), v.get("value")) else {
        return Value::Null;
    };
    match kind {
        "str" | "int" | "num" | "bool" => x.clone(),
        "list" => Value::Array(
            x.as_array().map(Vec::as_slice).unwrap_or_default().iter().map(|i| plain(i, state, data)).collect(),
        ),
        "map" | "block" => pairs(x),
        "ref" => Value::String(output(x)),
        "template" => Value::String(
            x.as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|p| match p.get("type").and_then(Value::as_str) {
                    Some("ref") => output(p.get("value").unwrap_or(&Value::Null)),
                    _ => p.get("value").and_then(Value::as_str).unwrap_or_default().to_string(),
                })
                .collect(),
        ),
        "json" => Value::String(plain(x, state, data).to_string()),
        _ => Value::Null,
    }
}
