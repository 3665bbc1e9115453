//! Plans: what to create, update, replace and delete to take the deployed state to the IR,
//! attribute by attribute, and their rendering (the way `terraform plan` prints them).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

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

/// The resources of an IR that fgc creates (data sources are read, not planned).
pub fn desired(ir: &fg_ir::Ir) -> Vec<Desired> {
    ir.resources
        .iter()
        .filter(|r| !r.data)
        .map(|r| Desired {
            id: r.id.clone(),
            kind: r.kind.clone(),
            attrs: serde_json::to_value(&r.attrs).unwrap_or_default(),
            depends_on: r.depends_on.iter().filter(|d| ir.get(d).is_some_and(|x| !x.data)).cloned().collect(),
            managed_elsewhere: r.managed_elsewhere.clone(),
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
    /// Delete and create again: an attribute the cloud cannot change in place changed.
    Replace {
        changes: Vec<AttrChange>,
    },
    Delete,
}

/// One attribute's change; `before`/`after` are absent when the attribute is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrChange {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// This change alone makes the resource be replaced.
    pub forces_replacement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: String,
    pub kind: String,
    #[serde(flatten)]
    pub action: Action,
}

/// The changes, creates and updates in dependency order, then deletes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub app: String,
    pub env: String,
    pub changes: Vec<Change>,
    pub unchanged: usize,
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
}

/// Compares the IR with the state. `immutable(kind, attribute)` says which attributes the
/// cloud cannot change in place.
pub fn plan(app: &str, env: &str, want: &[Desired], state: &State, immutable: &dyn Fn(&str, &str) -> bool) -> Plan {
    let mut changes: BTreeMap<&str, Change> = BTreeMap::new();
    let mut unchanged = 0;
    for d in want {
        let Some(have) = state.resources.get(&d.id) else {
            changes.insert(&d.id, Change { id: d.id.clone(), kind: d.kind.clone(), action: Action::Create });
            continue;
        };
        let attr_changes = diff(&have.attrs, &d.attrs, &d.managed_elsewhere, |a| immutable(&d.kind, a));
        let action = if have.kind != d.kind || attr_changes.iter().any(|c| c.forces_replacement) {
            Some(Action::Replace { changes: attr_changes })
        } else if !attr_changes.is_empty() {
            Some(Action::Update { changes: attr_changes })
        } else {
            None
        };
        match action {
            Some(action) => {
                changes.insert(&d.id, Change { id: d.id.clone(), kind: d.kind.clone(), action });
            }
            None => unchanged += 1,
        }
    }
    // A replaced resource gets a new id: whatever refers to it through an attribute that
    // cannot change in place is replaced too, the rest updated (known after apply).
    loop {
        let replaced: BTreeSet<String> =
            changes.values().filter(|c| matches!(c.action, Action::Replace { .. })).map(|c| c.id.clone()).collect();
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
                    forces_replacement: immutable(&d.kind, &name),
                    name,
                    before: None,
                    after: Some(Value::String("(known after apply)".into())),
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
                Action::Replace { changes: all }
            } else {
                Action::Update { changes: all }
            };
            changes.insert(&d.id, Change { id: d.id.clone(), kind: d.kind.clone(), action });
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
    out.extend(deletes.into_iter().map(|id| Change {
        kind: state.resources[&id].kind.clone(),
        id,
        action: Action::Delete,
    }));
    Plan { app: app.into(), env: env.into(), changes: out, unchanged }
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

/// The plan as text, the way `terraform plan` prints it.
pub fn render(plan: &Plan) -> String {
    let mut s = String::new();
    if plan.is_empty() {
        s.push_str(&format!("No changes: `{}` ({}) matches what is deployed.\n", plan.app, plan.env));
        return s;
    }
    s.push_str(&format!("fgc will change `{}` ({}):\n\n", plan.app, plan.env));
    for c in &plan.changes {
        let (sign, verb) = match &c.action {
            Action::Create => ("+", "created"),
            Action::Update { .. } => ("~", "updated in place"),
            Action::Replace { .. } => ("-/+", "replaced"),
            Action::Delete => ("-", "destroyed"),
        };
        s.push_str(&format!("  # {} will be {verb}\n  {sign} {} \"{}\"", c.id, c.kind, c.id));
        match &c.action {
            Action::Update { changes } | Action::Replace { changes } => {
                s.push_str(" {\n");
                for a in changes {
                    let show = |v: &Option<Value>| v.as_ref().map_or("(none)".to_string(), short);
                    let forces = if a.forces_replacement { " # forces replacement" } else { "" };
                    // A nested value (a task's container definitions) shows only the
                    // leaves that changed.
                    let leaves = match (&a.before, &a.after) {
                        (Some(b), Some(x)) => changed_leaves(&untag(b), &untag(x)),
                        _ => Vec::new(),
                    };
                    if leaves.is_empty() || leaves.len() > 12 {
                        s.push_str(&format!(
                            "      ~ {} = {} -> {}{forces}\n",
                            a.name,
                            show(&a.before),
                            show(&a.after)
                        ));
                    } else {
                        for (path, b, x) in leaves {
                            s.push_str(&format!("      ~ {}{path} = {b} -> {x}{forces}\n", a.name));
                        }
                    }
                }
                s.push_str("    }\n");
            }
            _ => s.push('\n'),
        }
        s.push('\n');
    }
    let (add, change, replace, destroy) = plan.counts();
    s.push_str(&format!(
        "Plan: {add} to add, {change} to change, {replace} to replace, {destroy} to destroy ({} unchanged).\n",
        plan.unchanged
    ));
    s
}

/// An IR value as plain JSON: tags dropped, blocks and maps as objects, references as
/// `<id.attr>`.
fn untag(v: &Value) -> Value {
    let pairs = |x: &Value| {
        Value::Object(
            x.as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), untag(p.get(1)?))))
                .collect(),
        )
    };
    match (v.get("type").and_then(Value::as_str), v.get("value")) {
        (Some("str" | "int" | "num" | "bool"), Some(x)) => x.clone(),
        (Some("list"), Some(x)) => {
            Value::Array(x.as_array().map(Vec::as_slice).unwrap_or_default().iter().map(untag).collect())
        }
        (Some("map" | "block"), Some(x)) => pairs(x),
        (Some("json"), Some(x)) => untag(x),
        (Some("ref" | "template"), Some(_)) => Value::String(short(v)),
        _ => v.clone(),
    }
}

/// The leaves that differ between two values: `(path, before, after)`.
fn changed_leaves(before: &Value, after: &Value) -> Vec<(String, String, String)> {
    fn walk(path: String, b: Option<&Value>, a: Option<&Value>, out: &mut Vec<(String, String, String)>) {
        match (b, a) {
            (Some(Value::Object(x)), Some(Value::Object(y))) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    walk(format!("{path}.{k}"), x.get(k), y.get(k), out);
                }
            }
            (Some(Value::Array(x)), Some(Value::Array(y))) => {
                for i in 0..x.len().max(y.len()) {
                    walk(format!("{path}[{i}]"), x.get(i), y.get(i), out);
                }
            }
            (b, a) if b != a => {
                let show = |v: Option<&Value>| v.map_or("(none)".to_string(), Value::to_string);
                out.push((path, show(b), show(a)));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if before.is_object() || before.is_array() {
        walk(String::new(), Some(before), Some(after), &mut out);
    }
    out
}

/// A value in one line: IR values unwrapped (`2`, `"nginx:1.27"`, `<ref vpc.id>`).
fn short(v: &Value) -> String {
    let inner = match (v.get("type").and_then(Value::as_str), v.get("value")) {
        (Some("ref"), Some(r)) => {
            return format!(
                "<{}.{}>",
                r.get("id").and_then(Value::as_str).unwrap_or("?"),
                r.get("attr").and_then(Value::as_str).unwrap_or("?")
            );
        }
        (Some("str" | "int" | "num" | "bool"), Some(x)) => x.clone(),
        // Text with references, as it reads in the source: `<repo.url>:v2`.
        (Some("template"), Some(Value::Array(parts))) => {
            let mut text = String::new();
            for p in parts {
                match (p.get("type").and_then(Value::as_str), p.get("value")) {
                    (Some("text"), Some(Value::String(t))) => text.push_str(t),
                    (Some("ref"), Some(r)) => text.push_str(&format!(
                        "<{}.{}>",
                        r.get("id").and_then(Value::as_str).unwrap_or("?"),
                        r.get("attr").and_then(Value::as_str).unwrap_or("?")
                    )),
                    _ => text.push('?'),
                }
            }
            return text;
        }
        _ => v.clone(),
    };
    let text = inner.to_string();
    if text.chars().count() > 80 { format!("{}…", text.chars().take(79).collect::<String>()) } else { text }
}
