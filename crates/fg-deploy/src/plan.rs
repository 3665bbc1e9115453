//! Plans: what to create, update, replace and delete to take the deployed state (and, after
//! a refresh, what the cloud has) to the IR, attribute by attribute.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::contract::Contracts;
use crate::refresh::Refresh;
use crate::state::State;

/// A resource as the IR wants it, in the JSON form the state records.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub id: String,
    pub kind: String,
    /// `[[name, value], …]` as `fgc build --emit ir` prints `attrs`.
    pub attrs: Value,
    pub depends_on: Vec<String>,
    pub managed_elsewhere: Vec<String>,
}

/// The resources of an IR that fgc creates (data sources are read, not planned). A
/// resource with `tags` also gets `tags_all`: the stack's tags with its own on top, what
/// the cloud carries (Terraform's provider `default_tags` gives the same), so that a change
/// of the app's tags is a change of every tagged resource.
pub fn desired(ir: &fg_ir::Ir) -> Vec<Desired> {
    ir.resources
        .iter()
        .filter(|r| !r.data)
        .map(|r| {
            let mut attrs = r.attrs.clone();
            if let Some(fg_ir::Val::Map(own)) = r.attr("tags") {
                let mut all: BTreeMap<String, fg_ir::Val> =
                    ir.tags.iter().map(|(k, v)| (k.clone(), fg_ir::Val::str(v))).collect();
                all.extend(own.iter().cloned());
                attrs.push(("tags_all".into(), fg_ir::Val::Map(all.into_iter().collect())));
            }
            Desired {
                id: r.id.clone(),
                kind: r.kind.clone(),
                attrs: serde_json::to_value(&attrs).unwrap_or_default(),
                depends_on: r.depends_on.iter().filter(|d| ir.get(d).is_some_and(|x| !x.data)).cloned().collect(),
                managed_elsewhere: r.managed_elsewhere.clone(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Create,
    Update {
        changes: Vec<AttrChange>,
    },
    /// A new resource for the old: an attribute the cloud cannot change in place changed.
    /// `create_first`: the new one exists before the old one goes.
    Replace {
        changes: Vec<AttrChange>,
        create_first: bool,
    },
    Delete,
}

/// Where a change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The source changed.
    Source,
    /// The cloud changed outside fgc (drift); the source did not.
    Outside,
    /// Both changed.
    Both,
}

/// One attribute's change; `before`/`after` are absent when the attribute is. `before` is
/// what fgc applied last; `live`, when the attribute drifted, what the cloud has now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrChange {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// This change alone makes the resource be replaced.
    pub forces_replacement: bool,
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: String,
    pub kind: String,
    #[serde(flatten)]
    pub action: Action,
    /// A create of a resource the state records but the cloud no longer has.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted_outside: bool,
    /// A delete of an old half left by a create-first replacement (`physical` names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
}

impl Change {
    fn new(id: &str, kind: &str, action: Action) -> Change {
        Change { id: id.into(), kind: kind.into(), action, deleted_outside: false, deposed: None }
    }
}

/// The changes, creates and updates in dependency order, then deletes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub app: String,
    pub env: String,
    pub changes: Vec<Change>,
    pub unchanged: usize,
    /// Whether the cloud was read before planning (`--refresh=false` plans against the
    /// state alone).
    pub refreshed: bool,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Counts of (create, update, replace, delete).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |f: fn(&Action) -> bool| self.changes.iter().filter(|c| f(&c.action)).count();
        (
            n(|a| matches!(a, Action::Create)),
            n(|a| matches!(a, Action::Update { .. })),
            n(|a| matches!(a, Action::Replace { .. })),
            n(|a| matches!(a, Action::Delete)),
        )
    }

    /// Changes that undo something done outside fgc.
    pub fn drifted(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| {
                c.deleted_outside
                    || match &c.action {
                        Action::Update { changes } | Action::Replace { changes, .. } => {
                            changes.iter().any(|a| a.origin != Origin::Source)
                        }
                        _ => false,
                    }
            })
            .count()
    }
}

/// Compares the IR with the state, and with what a refresh read (drift), if one ran. The
/// contracts say which attributes the cloud cannot change in place, and which kinds are
/// replaced create-first.
pub fn plan(
    app: &str,
    env: &str,
    want: &[Desired],
    state: &State,
    refresh: Option<&Refresh>,
    contracts: &dyn Contracts,
) -> Plan {
    let mut changes: BTreeMap<&str, Change> = BTreeMap::new();
    let mut unchanged = 0;
    let drift = |id: &str| refresh.and_then(|r| r.drift.get(id));
    let replace = |kind: &str, changes| Action::Replace { changes, create_first: contracts.create_first(kind) };
    for d in want {
        let Some(have) = state.resources.get(&d.id) else {
            changes.insert(&d.id, Change::new(&d.id, &d.kind, Action::Create));
            continue;
        };
        if drift(&d.id).is_some_and(|x| x.gone) {
            let mut c = Change::new(&d.id, &d.kind, Action::Create);
            c.deleted_outside = true;
            changes.insert(&d.id, c);
            continue;
        }
        let mut attr_changes = diff(&have.attrs, &d.attrs, &d.managed_elsewhere, |a| contracts.immutable(&d.kind, a));
        for x in drift(&d.id).map(|x| x.attrs.as_slice()).unwrap_or_default() {
            match attr_changes.iter_mut().find(|c| c.name == x.name) {
                Some(c) => {
                    c.origin = Origin::Both;
                    c.live = x.live.clone();
                }
                None => attr_changes.push(AttrChange {
                    name: x.name.clone(),
                    before: x.applied.clone(),
                    after: value_of(&d.attrs, &x.name),
                    forces_replacement: contracts.immutable(&d.kind, &x.name),
                    origin: Origin::Outside,
                    live: x.live.clone(),
                }),
            }
        }
        attr_changes.sort_by(|a, b| a.name.cmp(&b.name));
        let action = if have.kind != d.kind || attr_changes.iter().any(|c| c.forces_replacement) {
            Some(replace(&d.kind, attr_changes))
        } else if !attr_changes.is_empty() {
            Some(Action::Update { changes: attr_changes })
        } else {
            None
        };
        match action {
            Some(action) => {
                changes.insert(&d.id, Change::new(&d.id, &d.kind, action));
            }
            None => unchanged += 1,
        }
    }
    // A replaced (or recreated) resource gets a new id: whatever refers to it through an
    // attribute that cannot change in place is replaced too, the rest updated (known after
    // apply).
    loop {
        let replaced: BTreeSet<String> = changes
            .values()
            .filter(|c| {
                matches!(c.action, Action::Replace { .. })
                    || c.deleted_outside
                    // A new half whose old half was put aside by an interrupted apply.
                    || (matches!(c.action, Action::Create) && state.deposed.iter().any(|o| o.id == c.id))
            })
            .map(|c| c.id.clone())
            .collect();
        let mut grew = false;
        for d in want {
            if changes.get(d.id.as_str()).is_some_and(|c| !matches!(c.action, Action::Update { .. })) {
                continue;
            }
            // An attribute managed elsewhere (a blue/green service's task definition) is
            // not changed by fgc, so a new id behind it changes nothing here.
            let referring: Vec<AttrChange> = refs_by_attr(&d.attrs)
                .into_iter()
                .filter(|(name, _)| !d.managed_elsewhere.contains(name))
                .filter(|(_, ids)| ids.iter().any(|i| replaced.contains(i)))
                .map(|(name, _)| AttrChange {
                    forces_replacement: contracts.immutable(&d.kind, &name),
                    name,
                    before: None,
                    after: Some(Value::String("(known after apply)".into())),
                    origin: Origin::Source,
                    live: None,
                })
                .collect();
            if referring.is_empty() {
                continue;
            }
            let mut all = match changes.remove(d.id.as_str()) {
                Some(Change { action: Action::Update { changes }, .. }) => changes,
                _ => {
                    unchanged -= 1;
                    Vec::new()
                }
            };
            let forced = referring.iter().any(|c| c.forces_replacement);
            all.extend(referring.into_iter().filter(|r| !all.iter().any(|c| c.name == r.name)).collect::<Vec<_>>());
            let action = if forced || all.iter().any(|c| c.forces_replacement) {
                grew = true;
                replace(&d.kind, all)
            } else {
                Action::Update { changes: all }
            };
            changes.insert(&d.id, Change::new(&d.id, &d.kind, action));
        }
        if !grew {
            break;
        }
    }
    let order = crate::graph::order(want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice())));
    let mut out: Vec<Change> = order.iter().filter_map(|id| changes.remove(id.as_str())).collect();
    let wanted: BTreeSet<&str> = want.iter().map(|d| d.id.as_str()).collect();
    let gone: Vec<(&str, &[String])> = state
        .resources
        .iter()
        .filter(|(id, _)| !wanted.contains(id.as_str()))
        .map(|(id, r)| (id.as_str(), r.depends_on.as_slice()))
        .collect();
    let mut deletes = crate::graph::order(gone.iter().copied());
    deletes.reverse();
    out.extend(deletes.into_iter().map(|id| Change::new(&id, &state.resources[&id].kind, Action::Delete)));
    for old in &state.deposed {
        let mut c = Change::new(&old.id, &old.resource.kind, Action::Delete);
        c.deposed = Some(old.resource.physical.clone());
        out.push(c);
    }
    Plan { app: app.into(), env: env.into(), changes: out, unchanged, refreshed: refresh.is_some() }
}

/// The value of an attribute in `[[name, value], …]` (a list when repeated).
fn value_of(attrs: &Value, name: &str) -> Option<Value> {
    let found: Vec<Value> = attrs
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|p| p.get(0).and_then(Value::as_str) == Some(name))
        .filter_map(|p| p.get(1).cloned())
        .collect();
    match found.len() {
        0 => None,
        1 => found.into_iter().next(),
        _ => Some(Value::Array(found)),
    }
}

/// Attribute changes between two `[[name, value], …]` lists. Repeated names (blocks)
/// compare as a group. References compare by what they name.
fn diff(before: &Value, after: &Value, ignore: &[String], immutable: impl Fn(&str) -> bool) -> Vec<AttrChange> {
    let group = |v: &Value| {
        let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for pair in v.as_array().map(Vec::as_slice).unwrap_or_default() {
            if let (Some(k), Some(val)) = (pair.get(0).and_then(Value::as_str), pair.get(1)) {
                m.entry(k.to_string()).or_default().push(val.clone());
            }
        }
        m
    };
    let (b, a) = (group(before), group(after));
    let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let one = |v: Option<&Vec<Value>>| match v.map(Vec::as_slice) {
        None | Some([]) => None,
        Some([x]) => Some(x.clone()),
        Some(xs) => Some(Value::Array(xs.to_vec())),
    };
    names
        .into_iter()
        .filter(|n| !ignore.contains(n) && b.get(*n) != a.get(*n))
        .map(|n| AttrChange {
            name: n.clone(),
            before: one(b.get(n)),
            after: one(a.get(n)),
            forces_replacement: immutable(n),
            origin: Origin::Source,
            live: None,
        })
        .collect()
}

/// The resource ids each attribute refers to.
fn refs_by_attr(attrs: &Value) -> Vec<(String, Vec<String>)> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if o.get("type").and_then(Value::as_str) == Some("ref")
                    && let Some(id) = o.get("value").and_then(|r| r.get("id")).and_then(Value::as_str)
                {
                    out.push(id.to_string());
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(xs) => xs.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for pair in attrs.as_array().map(Vec::as_slice).unwrap_or_default() {
        if let (Some(k), Some(v)) = (pair.get(0).and_then(Value::as_str), pair.get(1)) {
            let mut ids = Vec::new();
            walk(v, &mut ids);
            if !ids.is_empty() {
                out.push((k.to_string(), ids));
            }
        }
    }
    out
}
