//! Dependency order over resource ids.

use std::collections::{BTreeMap, BTreeSet};

/// The ids in an order where each comes after what it depends on (dependencies outside
/// the set are ignored), ties broken by id so the order is deterministic. A cycle, which
/// the lowering never produces, is broken at the smallest id rather than looping.
pub fn order<'a>(nodes: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Vec<String> {
    let nodes: BTreeMap<&str, &[String]> = nodes.into_iter().collect();
    let mut pending: BTreeMap<&str, BTreeSet<&str>> = nodes
        .iter()
        .map(|(id, deps)| (*id, deps.iter().map(String::as_str).filter(|d| nodes.contains_key(d) && d != id).collect()))
        .collect();
    let mut out = Vec::with_capacity(nodes.len());
    while !pending.is_empty() {
        let ready: Vec<&str> = pending.iter().filter(|(_, deps)| deps.is_empty()).map(|(id, _)| *id).collect();
        let ready = if ready.is_empty() { pending.keys().take(1).copied().collect() } else { ready };
        for id in &ready {
            pending.remove(id);
        }
        for deps in pending.values_mut() {
            for id in &ready {
                deps.remove(id);
            }
        }
        out.extend(ready.into_iter().map(str::to_string));
    }
    out
}

/// Levels: each resource one more than the deepest thing it depends on; the critical path
/// of an apply is the number of levels.
pub fn depth<'a>(nodes: impl IntoIterator<Item = (&'a str, &'a [String])> + Clone) -> usize {
    let deps: BTreeMap<&str, &[String]> = nodes.clone().into_iter().collect();
    let mut level: BTreeMap<String, usize> = BTreeMap::new();
    for id in order(nodes) {
        let l = deps
            .get(id.as_str())
            .map(|ds| ds.iter().filter_map(|d| level.get(d)).max().map_or(1, |m| m + 1))
            .unwrap_or(1);
        level.insert(id, l);
    }
    level.values().copied().max().unwrap_or(0)
}
