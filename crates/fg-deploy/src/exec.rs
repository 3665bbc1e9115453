//! The executor: runs a plan along the dependency graph with bounded parallelism, writing
//! the state after every resource, so that a crash at any point loses at most the call in
//! flight, which the next apply adopts by the resource's `fgc:id` tag.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::task::JoinSet;

use crate::plan::{Action, AttrChange, Desired, Plan};
use crate::state::{Deployed, State, StateError, StateFile};

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

/// What an apply needs from a cloud: the AWS SDK backend, or a test's fake.
pub trait Cloud: Send + Sync + 'static {
    /// Finds a resource created earlier but not recorded (a crash between the call and
    /// the state write), by its `fgc:id` tag or its natural key.
    fn adopt(&self, r: &Resolved) -> impl Future<Output = Result<Option<Created>, CloudError>> + Send;
    fn create(&self, r: &Resolved) -> impl Future<Output = Result<Created, CloudError>> + Send;
    fn update(
        &self,
        r: &Resolved,
        have: &Deployed,
        changes: &[AttrChange],
    ) -> impl Future<Output = Result<Created, CloudError>> + Send;
    /// Deletes; a resource already gone is success.
    fn delete(&self, id: &str, have: &Deployed) -> impl Future<Output = Result<(), CloudError>> + Send;
    /// Whether an attribute can only change by replacing the resource.
    fn immutable(&self, kind: &str, attr: &str) -> bool;
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

/// Runs a plan. At most `parallel` calls are in flight; a resource starts when everything
/// it depends on is done (creates and updates), or when everything that depends on it is
/// gone (deletes, which run first, together with the old halves of replacements). A
/// removed resource that something staying still uses as recorded (an authorizer its
/// routes stop naming) is deleted last, once those are updated: AWS refuses to delete what
/// is still in use.
#[allow(clippy::too_many_arguments)]
pub async fn apply<C: Cloud>(
    cloud: Arc<C>,
    plan: &Plan,
    want: &[Desired],
    data: &Data,
    state: State,
    file: &StateFile,
    parallel: usize,
    events: &(dyn Fn(Event) + Send + Sync),
) -> (State, Outcome) {
    let state = Arc::new(Mutex::new(state));
    let mut changed = 0;
    let mut failures = Vec::new();

    // Phase 1: deletes, dependents first; those still in use by what stays wait for phase 3.
    let deletes: BTreeSet<String> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace { .. }))
        .map(|c| c.id.clone())
        .collect();
    let late = {
        let s = lock(&state);
        let removed: BTreeSet<&String> =
            plan.changes.iter().filter(|c| matches!(c.action, Action::Delete)).map(|c| &c.id).collect();
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
    let run = Runner { cloud: cloud.clone(), state: state.clone(), file, parallel };
    let r = run.delete(&early, events).await;
    match settle(r, &mut changed, &mut failures) {
        Some(e) => return (snapshot(&state), Outcome::State(e)),
        None if !failures.is_empty() => return (snapshot(&state), Outcome::Failed { changed, failures }),
        None => {}
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
    let want: Arc<BTreeMap<String, (Desired, Vec<AttrChange>)>> = Arc::new(
        todo.values()
            .filter_map(|c| {
                let changes = match &c.action {
                    Action::Update { changes } => changes.clone(),
                    _ => Vec::new(),
                };
                by_id.get(c.id.as_str()).map(|d| (c.id.clone(), ((*d).clone(), changes)))
            })
            .collect(),
    );
    let r = run
        .walk(blockers, events, move |cloud, state, id| {
            let (want, data) = (want.clone(), data.clone());
            async move {
                let Some((d, changes)) = want.get(&id) else { return Ok(None) };
                let resolved = resolve(d, &lock(&state), &data);
                let have = lock(&state).resources.get(&id).cloned();
                let created = match have {
                    Some(have) => cloud.update(&resolved, &have, changes).await?,
                    None => match cloud.adopt(&resolved).await? {
                        Some(found) => found,
                        None => cloud.create(&resolved).await?,
                    },
                };
                Ok(Some(Deployed {
                    kind: d.kind.clone(),
                    physical: created.physical,
                    attrs: d.attrs.clone(),
                    outputs: created.outputs,
                    depends_on: d.depends_on.clone(),
                }))
            }
        })
        .await;
    match settle(r, &mut changed, &mut failures) {
        Some(e) => return (snapshot(&state), Outcome::State(e)),
        None if !failures.is_empty() => return (snapshot(&state), Outcome::Failed { changed, failures }),
        None => {}
    }

    // Phase 3: what was still in use until phase 2, dependents first.
    let r = run.delete(&late, events).await;
    match settle(r, &mut changed, &mut failures) {
        Some(e) => (snapshot(&state), Outcome::State(e)),
        None if !failures.is_empty() => (snapshot(&state), Outcome::Failed { changed, failures }),
        None => (snapshot(&state), Outcome::Done { changed }),
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn snapshot(state: &Mutex<State>) -> State {
    lock(state).clone()
}

/// A walk's result: per resource, what to record (`Some` = deployed, `None` = gone), or
/// its failure; `Err` when the state could not be saved.
type WalkResult = Result<(usize, Vec<(String, CloudError)>), StateError>;

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

struct Runner<'a, C> {
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
                Some(have) => cloud.delete(&id, &have).await.map(|()| None),
                None => Ok(None),
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
        Fut: Future<Output = Result<Option<Deployed>, CloudError>> + Send + 'static,
    {
        let mut running: JoinSet<(String, Result<Option<Deployed>, CloudError>)> = JoinSet::new();
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
            let Ok((id, result)) = done else { continue };
            match result {
                Ok(record) => {
                    {
                        let mut s = lock(&self.state);
                        match record {
                            Some(d) => s.resources.insert(id.clone(), d),
                            None => s.resources.remove(&id),
                        };
                        // Recorded before anything else starts: a crash from here on
                        // loses nothing this call did.
                        self.file.save(&mut s)?;
                    }
                    changed += 1;
                    events(Event::Finished { id: id.clone(), verb: "" });
                    for b in blockers.values_mut() {
                        b.remove(&id);
                    }
                }
                Err(error) => {
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
    let attrs = d
        .attrs
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|pair| Some((pair.get(0)?.as_str()?.to_string(), plain(pair.get(1)?, state, data))))
        .collect();
    Resolved { id: d.id.clone(), kind: d.kind.clone(), attrs }
}

fn plain(v: &Value, state: &State, data: &Data) -> Value {
    let output = |r: &Value| {
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
        let attr = r.get("attr").and_then(Value::as_str).unwrap_or_default();
        let found = state.resources.get(id).map(|d| &d.outputs).or_else(|| data.get(id));
        found.and_then(|o| o.get(attr)).cloned().unwrap_or_default()
    };
    let pairs = |x: &Value| {
        let items = x.as_array().map(Vec::as_slice).unwrap_or_default();
        Value::Object(
            items
                .iter()
                .filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), plain(p.get(1)?, state, data))))
                .collect(),
        )
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
