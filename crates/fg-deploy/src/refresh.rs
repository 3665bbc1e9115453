//! Refresh: every resource the state records, read back from the cloud (in parallel,
//! bounded), and compared with what was applied. What differs changed outside fgc (drift):
//! a desired count set by hand, a rule added to a security group, a listener's default
//! edited, a resource deleted. The plan shows drift apart from the source's changes, and
//! an apply converges both.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::exec::{Cloud, CloudError, Data, Resolved, resolve_attrs};
use crate::plan::Desired;
use crate::state::State;

/// A resource's attributes as the cloud has them now: plain JSON, shaped like
/// [`Resolved`]'s, for the attributes its reader can see (repeated names are repeated
/// blocks).
pub type Observed = Vec<(String, Value)>;

/// What changed outside fgc on one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// Deleted outside fgc.
    pub gone: bool,
    /// The attributes that differ from what was applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<Drifted>,
}

/// One attribute that differs: what fgc applied, what the cloud has (plain JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drifted {
    pub name: String,
    pub applied: Option<Value>,
    pub live: Option<Value>,
}

/// A refresh's result.
#[derive(Debug, Clone, Default)]
pub struct Refresh {
    /// The resources that drifted, by id.
    pub drift: BTreeMap<String, Drift>,
    /// What was read, by id (`None`: gone).
    pub live: BTreeMap<String, Option<Observed>>,
}

impl Refresh {
    pub fn drifted(&self) -> usize {
        self.drift.len()
    }
}

/// Reads every resource of the state, at most `parallel` at a time. Attributes `want`
/// leaves to something else (a scaled service's desired count) are not drift. Fails with
/// every read that failed: a plan on a partial picture would not tell the truth.
pub async fn refresh<C: Cloud>(
    cloud: Arc<C>,
    state: &State,
    data: &Data,
    want: &[Desired],
    parallel: usize,
) -> Result<Refresh, Vec<(String, CloudError)>> {
    let state = Arc::new(state.clone());
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut reads: JoinSet<(String, Result<Option<Observed>, CloudError>)> = JoinSet::new();
    for (id, have) in &state.resources {
        let recorded =
            Resolved { id: id.clone(), kind: have.kind.clone(), attrs: resolve_attrs(&have.attrs, &state, data) };
        let (cloud, state, sem, id, have) = (cloud.clone(), state.clone(), sem.clone(), id.clone(), have.clone());
        reads.spawn(async move {
            let _permit = sem.acquire().await;
            let out = cloud.read(&have, &recorded, &state).await;
            (id, out)
        });
    }
    let mut live = BTreeMap::new();
    let mut failures = Vec::new();
    while let Some(done) = reads.join_next().await {
        match done {
            Ok((id, Ok(observed))) => {
                live.insert(id, observed);
            }
            Ok((id, Err(e))) => failures.push((id, e)),
            Err(e) => failures.push(("(read)".into(), CloudError::new(format!("a read stopped: {e}")))),
        }
    }
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(failures);
    }
    let ignored: BTreeMap<&str, &[String]> =
        want.iter().map(|d| (d.id.as_str(), d.managed_elsewhere.as_slice())).collect();
    let mut drift = BTreeMap::new();
    for (id, observed) in &live {
        let Some(have) = state.resources.get(id) else { continue };
        let Some(observed) = observed else {
            drift.insert(id.clone(), Drift { gone: true, attrs: Vec::new() });
            continue;
        };
        let recorded = group(resolve_attrs(&have.attrs, &state, data));
        let skip = ignored.get(id.as_str()).copied().unwrap_or_default();
        let attrs: Vec<Drifted> = group(observed.clone())
            .into_iter()
            .filter(|(name, _)| !skip.contains(name))
            .filter(|(name, v)| !same(recorded.get(name), Some(v)))
            .map(|(name, v)| Drifted { applied: recorded.get(&name).cloned(), live: Some(v), name })
            .collect();
        if !attrs.is_empty() {
            drift.insert(id.clone(), Drift { gone: false, attrs });
        }
    }
    Ok(Refresh { drift, live })
}

/// Attributes by name; a repeated name (blocks) becomes a list.
pub(crate) fn group(attrs: Vec<(String, Value)>) -> BTreeMap<String, Value> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in attrs {
        m.entry(k).or_default().push(v);
    }
    m.into_iter().map(|(k, mut v)| (k, if v.len() == 1 { v.remove(0) } else { Value::Array(v) })).collect()
}

/// Whether what was applied and what the cloud has are the same, the way AWS treats
/// them: absent, null and empty alike; numbers and their text alike; JSON documents
/// compared parsed; lists as multisets (AWS keeps no order of subnets, groups, rules).
pub fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(x)) => x.is_empty(),
        Some(Value::Object(x)) => x.is_empty(),
        _ => false,
    };
    match (a, b) {
        _ if empty(a) && empty(b) => true,
        (Some(x), Some(y)) => same_value(x, y),
        _ => false,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if x == y => true,
        (Value::String(x), Value::String(y)) => match (document(x), document(y)) {
            (Some(p), Some(q)) => same_value(&p, &q),
            _ => false,
        },
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            s.parse::<f64>().ok() == n.as_f64()
        }
        (Value::Bool(x), Value::String(s)) | (Value::String(s), Value::Bool(x)) => s == &x.to_string(),
        (Value::Array(x), Value::Array(y)) => {
            let mut used = vec![false; y.len()];
            x.len() == y.len()
                && x.iter().all(|i| {
                    let hit = y.iter().enumerate().find(|(j, o)| !used[*j] && same_value(i, o));
                    hit.map(|(j, _)| used[j] = true).is_some()
                })
        }
        (Value::Object(x), Value::Object(y)) => x.keys().chain(y.keys()).all(|k| same(x.get(k), y.get(k))),
        // One block against a list of one.
        (Value::Array(x), y) | (y, Value::Array(x)) if x.len() == 1 => same_value(&x[0], y),
        _ => a == b,
    }
}

/// A string holding a JSON object or list (a policy, container definitions).
fn document(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str(s).ok()
}

/// The drift alone, for `fgc plan --drift` (scheduled CI): AWS against the state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub app: String,
    pub env: String,
    /// Resources read.
    pub checked: usize,
    pub drift: BTreeMap<String, Drift>,
}

pub fn report(state: &State, refresh: &Refresh) -> DriftReport {
    DriftReport {
        app: state.app.clone(),
        env: state.env.clone(),
        checked: refresh.live.len(),
        drift: refresh.drift.clone(),
    }
}

/// The drift as text.
pub fn render_report(r: &DriftReport) -> String {
    if r.drift.is_empty() {
        return format!("No drift: AWS matches the state of `{}` ({}), {} resources read.\n", r.app, r.env, r.checked);
    }
    let mut s = format!("`{}` ({}) changed outside fgc:\n\n", r.app, r.env);
    for (id, d) in &r.drift {
        if d.gone {
            s.push_str(&format!("  # {id} was deleted outside fgc\n"));
            continue;
        }
        s.push_str(&format!("  # {id}\n"));
        for a in &d.attrs {
            let show = |v: &Option<Value>| v.as_ref().map_or("(none)".to_string(), crate::render::brief);
            s.push_str(&format!("      ~ {}: applied {}, now {}\n", a.name, show(&a.applied), show(&a.live)));
        }
    }
    s.push_str(&format!(
        "\n{} of {} resources drifted; `fgc apply` restores what the source says.\n",
        r.drift.len(),
        r.checked
    ));
    s
}
