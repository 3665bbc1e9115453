//! The attributes an update must carry, and which of them it did: each service module marks
//! an attribute applied once the call that carries it succeeded, and the update fails, by
//! name, for any it left. So a change can never reach the state without reaching AWS.

use std::collections::BTreeMap;

use fg_deploy::{AttrChange, Resolved};
use serde_json::Value;

/// The tags to set (key, value) and the keys to remove.
pub(crate) type TagChange = (Vec<(String, String)>, Vec<String>);

pub(crate) struct Changes<'a> {
    list: &'a [AttrChange],
    applied: Vec<String>,
}

impl<'a> Changes<'a> {
    pub(crate) fn new(list: &'a [AttrChange]) -> Changes<'a> {
        Changes { list, applied: Vec::new() }
    }

    /// Whether any of `names` changed.
    pub(crate) fn any(&self, names: &[&str]) -> bool {
        self.list.iter().any(|c| names.contains(&c.name.as_str()))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a AttrChange> {
        self.list.iter().find(|c| c.name == name)
    }

    /// Marks `names` applied (those of them that changed): called once the call carrying
    /// them succeeded.
    pub(crate) fn done(&mut self, names: &[&str]) {
        for c in self.list.iter().filter(|c| names.contains(&c.name.as_str())) {
            if !self.applied.contains(&c.name) {
                self.applied.push(c.name.clone());
            }
        }
    }

    pub(crate) fn applied(&self) -> Vec<String> {
        self.applied.clone()
    }

    /// The changed attributes no call applied.
    pub(crate) fn left(&self) -> Vec<String> {
        self.list.iter().filter(|c| !self.applied.contains(&c.name)).map(|c| c.name.clone()).collect()
    }

    /// The tags to set and the keys to remove when `tags` or `tags_all` changed: the
    /// resource's whole set (so what was edited outside comes back), and the keys it
    /// carries now (as AWS has them when they drifted, else as applied) that it should not.
    pub(crate) fn tags(&self, r: &Resolved) -> Option<TagChange> {
        if !self.any(&["tags", "tags_all"]) {
            return None;
        }
        let want = wanted_tags(r);
        let now = self.get("tags_all").map(|c| keys(c.live.as_ref().or(c.before.as_ref()))).unwrap_or_default();
        let removed = now.into_iter().filter(|k| !want.contains_key(k)).collect();
        Some((want.into_iter().collect(), removed))
    }
}

/// A resource's full tag set: `tags_all` when the plan gave it, else its own tags.
pub(crate) fn wanted_tags(r: &Resolved) -> BTreeMap<String, String> {
    let from = r.get("tags_all").or_else(|| r.get("tags"));
    from.and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default()
}

/// The keys of a tag map, as the IR writes it (`{"type": "map", "value": [[k, v], …]}`)
/// or as plain JSON (`{k: v}`).
fn keys(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(o)) if o.get("type").and_then(Value::as_str) == Some("map") => {
            let pairs = o.get("value").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            pairs.iter().filter_map(|p| p.get(0).and_then(Value::as_str).map(str::to_string)).collect()
        }
        Some(Value::Object(o)) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fg_deploy::Origin;
    use serde_json::json;

    fn change(name: &str, before: Value, live: Option<Value>) -> AttrChange {
        AttrChange {
            name: name.into(),
            before: Some(before),
            after: None,
            forces_replacement: false,
            origin: Origin::Source,
            live,
        }
    }

    #[test]
    fn removed_tags_are_the_ones_carried_now_and_not_wanted() {
        let r = Resolved {
            id: "x".into(),
            kind: "aws_vpc".into(),
            attrs: vec![("tags_all".into(), json!({"a": "1", "fgc:id": "x"}))],
        };
        let before = json!({"type": "map", "value": [["a", {"type": "str", "value": "0"}], ["team", {"type": "str", "value": "blue"}]]});
        let list = [change("tags_all", before.clone(), None)];
        let (set, removed) = Changes::new(&list).tags(&r).unwrap();
        assert_eq!(set, [("a".to_string(), "1".to_string()), ("fgc:id".into(), "x".into())]);
        assert_eq!(removed, ["team"]);
        // Drifted: a tag added by hand goes too.
        let list = [change("tags_all", before, Some(json!({"a": "0", "by-hand": "y", "fgc:id": "x"})))];
        assert_eq!(Changes::new(&list).tags(&r).unwrap().1, ["by-hand"]);
        let mut ch = Changes::new(&list);
        assert_eq!(ch.left(), ["tags_all"]);
        ch.done(&["tags", "tags_all"]);
        assert!(ch.left().is_empty());
        assert_eq!(ch.applied(), ["tags_all"]);
    }
}
