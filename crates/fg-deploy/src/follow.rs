//! Follow-ups: an update can change what a resource gives others (a database's port, a
//! scaling policy's ARN on some clouds). What refers to it, and was not part of the plan,
//! then holds a stale value; a follow-up plan carries the new one to it, in the same apply.
//! Replacements are planned ahead (their ids are new by definition); this covers what only
//! the cloud's answer tells.

use std::collections::BTreeSet;

use crate::contract::Contracts;
use crate::exec::{Data, resolve_attrs};
use crate::plan::{Action, AttrChange, Change, Desired, Origin, Plan};
use crate::refresh::group;
use crate::state::State;

/// The changes that carry outputs changed between `before` and `after` to the resources of
/// `want` that refer to them: those that existed before and that `plan` (the plan just
/// applied) did not touch, since what it touched was resolved when it ran.
pub fn follow_up(
    want: &[Desired],
    plan: &Plan,
    before: &State,
    after: &State,
    data: &Data,
    contracts: &dyn Contracts,
) -> Plan {
    let touched: BTreeSet<&str> = plan.changes.iter().map(|c| c.id.as_str()).collect();
    let mut changes = Vec::new();
    let untouched = want
        .iter()
        .filter(|d| before.resources.contains_key(&d.id) && after.resources.contains_key(&d.id))
        .filter(|d| !touched.contains(d.id.as_str()));
    for d in untouched {
        let old = group(resolve_attrs(&d.attrs, before, data));
        let new = group(resolve_attrs(&d.attrs, after, data));
        let moved: Vec<AttrChange> = new
            .iter()
            .filter(|(name, v)| !d.managed_elsewhere.contains(name) && old.get(*name) != Some(v))
            .map(|(name, v)| AttrChange {
                name: name.clone(),
                before: old.get(name).cloned(),
                after: Some(v.clone()),
                forces_replacement: contracts.immutable(&d.kind, name),
                origin: Origin::Source,
                live: None,
            })
            .collect();
        if moved.is_empty() {
            continue;
        }
        let action = if moved.iter().any(|c| c.forces_replacement) {
            Action::Replace { changes: moved, create_first: contracts.create_first(&d.kind) }
        } else {
            Action::Update { changes: moved }
        };
        changes.push(Change { id: d.id.clone(), kind: d.kind.clone(), action, deleted_outside: false, deposed: None });
    }
    let order = crate::graph::order(want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice())));
    changes.sort_by_key(|c| order.iter().position(|id| *id == c.id));
    Plan { app: plan.app.clone(), env: plan.env.clone(), changes, unchanged: 0, refreshed: false }
}
