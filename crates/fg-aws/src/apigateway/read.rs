//! Readers: each resource as GetApi, GetVpcLink, GetAuthorizer, GetIntegration, GetRoute
//! and GetStage answer, in the IR's shape. API Gateway answers with its defaults filled in
//! (a 30 s timeout, the 1.0 payload, no authorization, metrics off): a default is left out
//! where the source does not set that field, so it is not drift; where the source sets a
//! field, what API Gateway has is compared, none included.

use std::collections::HashMap;

use fg_deploy::{CloudError, Deployed, Observed, Resolved, State};
use serde_json::{Map, Value, json};

use super::MISSING;
use crate::errors::{gone, unsupported};
use crate::values::{Seen, field, tag_object};
use crate::{Aws, error};

/// A default API Gateway picks itself (the account's throttling limits).
const ANY: Value = Value::Null;

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

/// A field as read (at `path`: an attribute, or a field of its block), unless it is API
/// Gateway's default and the source does not set it. `null` is a field the answer lacks:
/// nothing to compare.
fn keep(rec: &Resolved, path: &[&str], v: Value, default: &Value) -> Option<Value> {
    let (first, rest) = path.split_first()?;
    let set = rest.iter().try_fold(rec.get(first), |at, k| Some(at.and_then(|x| field(x, k)))).flatten().is_some();
    if v.is_null() || (!set && (default.is_null() || v == *default || blank(&v))) {
        return None;
    }
    Some(v)
}

/// Attributes as read, each with its default.
struct Fields<'a> {
    seen: Seen,
    rec: &'a Resolved,
}

impl Fields<'_> {
    fn put(&mut self, name: &str, v: Value, default: Value) {
        let v = keep(self.rec, &[name], v, &default);
        self.seen.opt(name, v);
    }

    /// A block: its fields, each with its default; nothing when none is left.
    fn block(&mut self, name: &str, fields: Vec<(&str, Value, Value)>) {
        let o: Map<String, Value> = fields
            .into_iter()
            .filter_map(|(k, v, default)| Some((k.to_string(), keep(self.rec, &[name, k], v, &default)?)))
            .collect();
        if !o.is_empty() {
            self.seen.put(name, Value::Object(o));
        }
    }

    fn tags(&mut self, t: Option<&HashMap<String, String>>) {
        self.seen.put("tags_all", tag_object(t.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()))));
    }
}

/// Text API Gateway leaves out when there is none: compared as empty.
fn text(v: Option<&str>) -> Value {
    json!(v.unwrap_or_default())
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    rec: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    let id = have.physical.as_str();
    let api = have.outputs.get("api_id").cloned().unwrap_or_default();
    let mut f = Fields { seen: Seen::new(), rec };
    let get = "apigateway:GET";
    match have.kind.as_str() {
        "aws_apigatewayv2_api" => {
            let out = aws.apigw.get_api().api_id(id).send().await.map(Some).map_err(|e| error(get, e));
            let Some(a) = gone(out, MISSING)? else { return Ok(None) };
            f.put("name", text(a.name()), json!(""));
            f.put("protocol_type", json!(a.protocol_type().map(|p| p.as_str())), json!(""));
            f.put("description", text(a.description()), json!(""));
            if let Some(c) = a.cors_configuration() {
                f.block(
                    "cors_configuration",
                    vec![
                        ("allow_origins", json!(c.allow_origins()), json!([])),
                        ("allow_methods", json!(c.allow_methods()), json!([])),
                        ("allow_headers", json!(c.allow_headers()), json!([])),
                        ("expose_headers", json!(c.expose_headers()), json!([])),
                        ("allow_credentials", json!(c.allow_credentials()), json!(false)),
                        ("max_age", json!(c.max_age()), json!(0)),
                    ],
                );
            }
            f.tags(a.tags());
        }
        "aws_apigatewayv2_vpc_link" => {
            let out = aws.apigw.get_vpc_link().vpc_link_id(id).send().await.map(Some).map_err(|e| error(get, e));
            let Some(l) = gone(out, MISSING)? else { return Ok(None) };
            f.put("name", text(l.name()), json!(""));
            f.put("subnet_ids", json!(l.subnet_ids()), json!([]));
            f.put("security_group_ids", json!(l.security_group_ids()), json!([]));
            f.tags(l.tags());
        }
        "aws_apigatewayv2_authorizer" => {
            let out = aws.apigw.get_authorizer().api_id(&api).authorizer_id(id).send().await;
            let Some(a) = gone(out.map(Some).map_err(|e| error(get, e)), MISSING)? else { return Ok(None) };
            f.put("name", text(a.name()), json!(""));
            f.put("authorizer_type", json!(a.authorizer_type().map(|t| t.as_str())), json!(""));
            f.put("identity_sources", json!(a.identity_source()), json!([]));
            if let Some(j) = a.jwt_configuration() {
                f.block(
                    "jwt_configuration",
                    vec![("audience", json!(j.audience()), json!([])), ("issuer", text(j.issuer()), json!(""))],
                );
            }
        }
        "aws_apigatewayv2_integration" => {
            let out = aws.apigw.get_integration().api_id(&api).integration_id(id).send().await;
            let Some(i) = gone(out.map(Some).map_err(|e| error(get, e)), MISSING)? else { return Ok(None) };
            f.put("connection_id", text(i.connection_id()), json!(""));
            f.put("connection_type", json!(i.connection_type().map(|c| c.as_str())), json!("INTERNET"));
            f.put("description", text(i.description()), json!(""));
            f.put("integration_method", text(i.integration_method()), json!(""));
            f.put("integration_type", json!(i.integration_type().map(|t| t.as_str())), json!(""));
            f.put("integration_uri", text(i.integration_uri()), json!(""));
            f.put("payload_format_version", json!(i.payload_format_version()), json!("1.0"));
            f.put("timeout_milliseconds", json!(i.timeout_in_millis()), json!(30_000));
        }
        "aws_apigatewayv2_route" => {
            let out = aws.apigw.get_route().api_id(&api).route_id(id).send().await;
            let Some(x) = gone(out.map(Some).map_err(|e| error(get, e)), MISSING)? else { return Ok(None) };
            f.put("route_key", text(x.route_key()), json!(""));
            f.put("authorization_type", json!(x.authorization_type().map(|t| t.as_str())), json!("NONE"));
            f.put("authorizer_id", text(x.authorizer_id()), json!(""));
            f.put("target", text(x.target()), json!(""));
        }
        "aws_apigatewayv2_stage" => {
            let out = aws.apigw.get_stage().api_id(&api).stage_name(id).send().await;
            let Some(st) = gone(out.map(Some).map_err(|e| error(get, e)), MISSING)? else { return Ok(None) };
            f.put("name", text(st.stage_name()), json!(""));
            f.put("auto_deploy", json!(st.auto_deploy()), json!(false));
            if let Some(d) = st.default_route_settings() {
                f.block(
                    "default_route_settings",
                    vec![
                        ("throttling_rate_limit", json!(d.throttling_rate_limit()), ANY),
                        ("throttling_burst_limit", json!(d.throttling_burst_limit()), ANY),
                        ("detailed_metrics_enabled", json!(d.detailed_metrics_enabled()), json!(false)),
                        ("data_trace_enabled", json!(d.data_trace_enabled()), json!(false)),
                        ("logging_level", json!(d.logging_level().map(|l| l.as_str())), json!("OFF")),
                    ],
                );
            }
            if let Some(l) = st.access_log_settings() {
                f.block(
                    "access_log_settings",
                    vec![
                        ("destination_arn", text(l.destination_arn()), json!("")),
                        ("format", text(l.format()), json!("")),
                    ],
                );
            }
            f.tags(st.tags());
        }
        other => return Err(unsupported(other)),
    }
    Ok(f.seen.done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_gateway_defaults_are_compared_only_where_the_source_sets_them() {
        let attrs = vec![
            ("timeout_milliseconds".to_string(), json!(30_000)),
            ("default_route_settings".to_string(), json!({"throttling_rate_limit": 200})),
        ];
        let rec = Resolved { id: "x".into(), kind: "aws_apigatewayv2_integration".into(), attrs };
        assert_eq!(keep(&rec, &["timeout_milliseconds"], json!(10_000), &json!(30_000)), Some(json!(10_000)));
        assert_eq!(keep(&rec, &["payload_format_version"], json!("1.0"), &json!("1.0")), None);
        assert_eq!(keep(&rec, &["payload_format_version"], json!("2.0"), &json!("1.0")), Some(json!("2.0")));
        // A text the source sets and API Gateway no longer has is compared as empty.
        let rec2 = Resolved { id: "x".into(), kind: "k".into(), attrs: vec![("description".into(), json!("d"))] };
        assert_eq!(keep(&rec2, &["description"], json!(""), &json!("")), Some(json!("")));
        // Fields of a block: throttling the source sets is compared, the rest is API
        // Gateway's to choose; a field the answer lacks is not compared.
        let path = |k| ["default_route_settings", k];
        assert_eq!(keep(&rec, &path("throttling_rate_limit"), json!(100.0), &ANY), Some(json!(100.0)));
        assert_eq!(keep(&rec, &path("throttling_burst_limit"), json!(5000), &ANY), None);
        assert_eq!(keep(&rec, &path("detailed_metrics_enabled"), Value::Null, &json!(false)), None);
    }
}
