//! Plans as text, the way `terraform plan` prints them, with what changed outside fgc
//! told apart from what the source changed.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::plan::{Action, AttrChange, Origin, Plan};

/// The plan as text.
pub fn render(plan: &Plan) -> String {
    let mut s = String::new();
    if plan.is_empty() {
        let read = if plan.refreshed { ", and AWS matches the state" } else { " (AWS not read: --refresh=false)" };
        s.push_str(&format!("No changes: `{}` ({}) matches what is deployed{read}.\n", plan.app, plan.env));
        return s;
    }
    s.push_str(&format!("fgc will change `{}` ({}):\n\n", plan.app, plan.env));
    for c in &plan.changes {
        let (sign, verb) = match &c.action {
            Action::Create if c.deleted_outside => ("+", "created again (deleted outside fgc)"),
            Action::Create => ("+", "created"),
            Action::Update { .. } => ("~", "updated in place"),
            Action::Replace { create_first: true, .. } => ("+/-", "replaced (the new one first)"),
            Action::Replace { .. } => ("-/+", "replaced"),
            Action::Delete if c.deposed.is_some() => ("-", "destroyed (the old half of a replacement)"),
            Action::Delete => ("-", "destroyed"),
        };
        s.push_str(&format!("  # {} will be {verb}\n  {sign} {} \"{}\"", c.id, c.kind, c.id));
        if let Some(p) = &c.deposed {
            s.push_str(&format!(" ({p})"));
        }
        match &c.action {
            Action::Update { changes } | Action::Replace { changes, .. } => {
                s.push_str(" {\n");
                for a in changes {
                    attr_lines(&mut s, a);
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
    let drifted = plan.drifted();
    if drifted > 0 {
        s.push_str(&format!("{drifted} of these undo changes made outside fgc.\n"));
    }
    s
}

fn attr_lines(s: &mut String, a: &AttrChange) {
    let show = |v: &Option<Value>| v.as_ref().map_or("(none)".to_string(), brief);
    let forces = if a.forces_replacement { " # forces replacement" } else { "" };
    let (from, note) = match a.origin {
        Origin::Source => (&a.before, String::new()),
        Origin::Outside => (&a.live, " # changed outside fgc".to_string()),
        Origin::Both => (&a.live, format!(" # changed outside fgc; fgc applied {}", show(&a.before))),
    };
    // A nested value (a task's container definitions) shows only the leaves that changed.
    let leaves = match (from, &a.after) {
        (Some(b), Some(x)) => changed_leaves(&untag(b), &untag(x)),
        _ => Vec::new(),
    };
    if leaves.is_empty() || leaves.len() > 12 {
        s.push_str(&format!("      ~ {} = {} -> {}{forces}{note}\n", a.name, show(from), show(&a.after)));
    } else {
        for (path, b, x) in leaves {
            s.push_str(&format!("      ~ {}{path} = {b} -> {x}{forces}{note}\n", a.name));
        }
    }
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
        (Some("ref" | "template"), Some(_)) => Value::String(brief(v)),
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
pub fn brief(v: &Value) -> String {
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
        // Blocks, maps, lists and documents as the plain JSON they stand for.
        (Some("json" | "map" | "block" | "list"), Some(_)) => untag(v),
        _ => v.clone(),
    };
    let text = inner.to_string();
    if text.chars().count() > 80 { format!("{}…", text.chars().take(79).collect::<String>()) } else { text }
}
