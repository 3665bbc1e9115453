//! Reading the plain JSON values of a resolved resource and building what a call returns.
//! A leaf: every service module uses it, it uses none of them.

use std::collections::BTreeMap;

use fg_deploy::{Created, Deployed, Resolved};
use serde_json::Value;

/// The string at `name`, or an empty one.
pub(crate) fn s<'a>(r: &'a Resolved, name: &str) -> &'a str {
    r.str(name).unwrap_or_default()
}

pub(crate) fn int(r: &Resolved, name: &str) -> Option<i64> {
    r.get(name).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

pub(crate) fn boolean(r: &Resolved, name: &str) -> Option<bool> {
    r.get(name).and_then(Value::as_bool)
}

/// A list of strings at `name`.
pub(crate) fn strings(r: &Resolved, name: &str) -> Vec<String> {
    r.get(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// An attribute as it was applied, from the state (`{"type": …, "value": …}` pairs).
pub(crate) fn recorded<'a>(have: &'a Deployed, name: &str) -> Option<&'a Value> {
    have.attrs
        .as_array()?
        .iter()
        .find(|p| p.get(0).and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get(1))
        .and_then(|v| v.get("value"))
}

/// A created resource with its outputs.
pub(crate) fn created(physical: &str, outputs: &[(&str, &str)]) -> Created {
    let mut o: BTreeMap<String, String> = outputs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    o.entry("id".into()).or_insert_with(|| physical.to_string());
    Created { physical: physical.to_string(), outputs: o }
}

/// What an update returns: the resource as it was, under the same id.
pub(crate) fn same(have: &Deployed) -> Created {
    Created { physical: have.physical.clone(), outputs: have.outputs.clone() }
}

/// A field of a JSON object as text: a string, or a number written out (the IR writes
/// some numeric API fields, such as a status code or a step bound, as strings).
pub(crate) fn text(v: &Value, name: &str) -> Option<String> {
    field(v, name).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A field of a JSON object as a number (or numeric text).
pub(crate) fn number(v: &Value, name: &str) -> Option<f64> {
    field(v, name).and_then(|x| x.as_f64().or_else(|| x.as_str().and_then(|s| s.parse().ok())))
}

/// A field of a JSON object as a list of strings.
pub(crate) fn string_list(v: &Value, name: &str) -> Option<Vec<String>> {
    let items = field(v, name)?.as_array()?;
    Some(items.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
}

/// Fields of a JSON object value.
pub(crate) fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object().and_then(|o| o.get(name))
}

/// Builds an observed resource: `(name, value)` pairs, leaving out what AWS does not have.
#[derive(Debug, Default)]
pub(crate) struct Seen(pub Vec<(String, Value)>);

impl Seen {
    pub(crate) fn new() -> Seen {
        Seen(Vec::new())
    }

    /// An attribute, when AWS has it.
    pub(crate) fn put(&mut self, name: &str, v: impl Into<Value>) -> &mut Self {
        let v = v.into();
        if !v.is_null() {
            self.0.push((name.to_string(), v));
        }
        self
    }

    /// An optional attribute.
    pub(crate) fn opt<T: Into<Value>>(&mut self, name: &str, v: Option<T>) -> &mut Self {
        if let Some(v) = v {
            self.put(name, v);
        }
        self
    }

    /// An attribute AWS may lack: when it does while fgc applied one, null, so that a
    /// removal made outside fgc shows as drift (an attribute left out is not compared).
    pub(crate) fn or_null<T: Into<Value>>(&mut self, recorded: &Resolved, name: &str, v: Option<T>) -> &mut Self {
        match v {
            Some(v) => self.put(name, v),
            None if recorded.get(name).is_some() => {
                self.0.push((name.to_string(), Value::Null));
                self
            }
            None => self,
        }
    }

    pub(crate) fn done(&mut self) -> Option<Vec<(String, Value)>> {
        Some(std::mem::take(&mut self.0))
    }
}

/// Tags as a JSON object.
pub(crate) fn tag_object<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Object(tags.into_iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect())
}
