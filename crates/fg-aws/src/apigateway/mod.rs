//! API Gateway v2 (HTTP APIs): APIs with their CORS settings, VPC links, JWT authorizers,
//! integrations, routes and stages. Changes go in place (the PATCH of each), except
//! what API Gateway fixes at creation (an API's protocol, a VPC link's network, an
//! authorizer's type, which API a child belongs to).
//!
//! It does not manage REST APIs (v1), WebSocket route responses, custom domain names or
//! deployments (stages deploy automatically).

mod read;
mod update;

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::{
    AccessLogSettings, AuthorizationType, AuthorizerType, ConnectionType, Cors, IntegrationType, JwtConfiguration,
    ProtocolType, RouteSettings,
};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Order, Resolved};
use serde_json::Value;

use crate::errors::{deleted, gone, unsupported};
use crate::values::{created, field, int, s, string_list, strings, text};
use crate::{Aws, error};

pub(crate) use read::read;
pub(crate) use update::update;

/// TagResource and UntagResource are, to IAM, a POST and a DELETE on `/tags/ARN`.
const TAGS: Handling = Handling::Update("apigateway:POST, apigateway:DELETE");
const PATCH: Handling = Handling::Update("apigateway:PATCH");

pub(crate) const KINDS: &[KindSpec] = &[
    // Names need not be unique: a new API can stand beside the old one until its children
    // have moved.
    KindSpec {
        kind: "aws_apigatewayv2_api",
        replace: Order::CreateFirst,
        attrs: &[
            ("protocol_type", Handling::Replace),
            ("name", PATCH),
            ("description", PATCH),
            // Removing CORS is a DELETE of the API's CORS settings.
            ("cors_configuration", Handling::Update("apigateway:PATCH, apigateway:DELETE")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_apigatewayv2_vpc_link",
        replace: Order::CreateFirst,
        attrs: &[
            ("subnet_ids", Handling::Replace),
            ("security_group_ids", Handling::Replace),
            ("name", PATCH),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_apigatewayv2_authorizer",
        replace: Order::CreateFirst,
        attrs: &[
            ("api_id", Handling::Replace),
            ("authorizer_type", Handling::Replace),
            ("name", PATCH),
            ("identity_sources", PATCH),
            ("jwt_configuration", PATCH),
        ],
    },
    KindSpec {
        kind: "aws_apigatewayv2_integration",
        replace: Order::CreateFirst,
        attrs: &[
            ("api_id", Handling::Replace),
            ("connection_id", PATCH),
            ("connection_type", PATCH),
            ("description", PATCH),
            ("integration_method", PATCH),
            ("integration_type", PATCH),
            ("integration_uri", PATCH),
            ("payload_format_version", PATCH),
            ("timeout_milliseconds", PATCH),
        ],
    },
    KindSpec {
        kind: "aws_apigatewayv2_route",
        replace: Order::DeleteFirst("a route key is unique in its API"),
        attrs: &[
            ("api_id", Handling::Replace),
            ("route_key", PATCH),
            ("authorization_type", PATCH),
            ("authorizer_id", PATCH),
            ("target", PATCH),
        ],
    },
    KindSpec {
        kind: "aws_apigatewayv2_stage",
        replace: Order::DeleteFirst("a stage name is unique in its API"),
        attrs: &[
            ("api_id", Handling::Replace),
            ("name", Handling::Replace),
            ("auto_deploy", PATCH),
            ("default_route_settings", PATCH),
            // Removing the access logs is a DELETE of the stage's log settings.
            ("access_log_settings", Handling::Update("apigateway:PATCH, apigateway:DELETE")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
];

/// How API Gateway says something does not exist.
const MISSING: &[&str] = &["NotFound"];

fn tag_map(aws: &Aws, r: &Resolved) -> HashMap<String, String> {
    aws.tags(r).into_iter().collect()
}

fn has_fgc_id(tags: Option<&HashMap<String, String>>, id: &str) -> bool {
    tags.and_then(|t| t.get("fgc:id")).is_some_and(|v| v == id)
}

fn api_created(id: &str, endpoint: &str) -> Created {
    created(id, &[("id", id), ("api_endpoint", endpoint)])
}

/// The stage's invoke URL, as Terraform reports it: the API endpoint, then the stage
/// name (nothing for `$default`), then `/`.
fn invoke_url(endpoint: &str, stage: &str) -> String {
    if stage == "$default" { format!("{endpoint}/") } else { format!("{endpoint}/{stage}") }
}

async fn api_endpoint(aws: &Aws, api_id: &str) -> Result<String, CloudError> {
    let api = aws.apigw.get_api().api_id(api_id).send().await.map_err(|e| error("apigateway:GET", e))?;
    Ok(api.api_endpoint().unwrap_or_default().to_string())
}

/// The ARN API Gateway tags by.
fn arn(aws: &Aws, have: &Deployed) -> String {
    let api = have.outputs.get("api_id").cloned().unwrap_or_default();
    let path = match have.kind.as_str() {
        "aws_apigatewayv2_vpc_link" => format!("/vpclinks/{}", have.physical),
        "aws_apigatewayv2_stage" => format!("/apis/{api}/stages/{}", have.physical),
        _ => format!("/apis/{}", have.physical),
    };
    format!("arn:{}:apigateway:{}::{path}", crate::partition(&aws.region), aws.region)
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    let api = s(r, "api_id");
    match r.kind.as_str() {
        "aws_apigatewayv2_api" => {
            let out = aws.apigw.get_apis().send().await.map_err(|e| error("apigateway:GET", e))?;
            Ok(out
                .items()
                .iter()
                .find(|a| has_fgc_id(a.tags(), &r.id))
                .map(|a| api_created(a.api_id().unwrap_or_default(), a.api_endpoint().unwrap_or_default())))
        }
        "aws_apigatewayv2_vpc_link" => {
            let out = aws.apigw.get_vpc_links().send().await.map_err(|e| error("apigateway:GET", e))?;
            Ok(out
                .items()
                .iter()
                .find(|l| has_fgc_id(l.tags(), &r.id))
                .and_then(|l| l.vpc_link_id())
                .map(|id| created(id, &[("id", id)])))
        }
        "aws_apigatewayv2_integration" => {
            let out = aws.apigw.get_integrations().api_id(api).send().await.map_err(|e| error("apigateway:GET", e))?;
            Ok(out
                .items()
                .iter()
                .find(|i| {
                    i.integration_uri() == r.str("integration_uri") && i.connection_id() == r.str("connection_id")
                })
                .and_then(|i| i.integration_id())
                .map(|id| created(id, &[("id", id), ("api_id", api)])))
        }
        "aws_apigatewayv2_route" => {
            let out = aws.apigw.get_routes().api_id(api).send().await.map_err(|e| error("apigateway:GET", e))?;
            Ok(out
                .items()
                .iter()
                .find(|x| x.route_key() == r.str("route_key"))
                .and_then(|x| x.route_id())
                .map(|id| created(id, &[("id", id), ("api_id", api)])))
        }
        // Authorizers carry no tags, and a name need not be unique: one left by a run that
        // crashed before recording it is not told apart from a user's, so a new one is
        // made. The leftover is unused (routes name the recorded one) and goes with its API.
        "aws_apigatewayv2_authorizer" => Ok(None),
        "aws_apigatewayv2_stage" => {
            let name = s(r, "name");
            let out = aws
                .apigw
                .get_stage()
                .api_id(api)
                .stage_name(name)
                .send()
                .await
                .map(Some)
                .map_err(|e| error("apigateway:GET", e));
            if gone(out, MISSING)?.is_none() {
                return Ok(None);
            }
            let url = invoke_url(&api_endpoint(aws, api).await?, name);
            Ok(Some(created(name, &[("id", name), ("api_id", api), ("invoke_url", &url)])))
        }
        other => Err(unsupported(other)),
    }
}

/// The API's CORS settings, every field given: an update replaces the whole of it, so a
/// field the source dropped goes too (no list, no credentials, no caching).
fn cors(c: &Value) -> Cors {
    let list = |k: &str| Some(string_list(c, k).unwrap_or_default());
    Cors::builder()
        .set_allow_origins(list("allow_origins"))
        .set_allow_methods(list("allow_methods"))
        .set_allow_headers(list("allow_headers"))
        .set_expose_headers(list("expose_headers"))
        .allow_credentials(field(c, "allow_credentials").and_then(Value::as_bool).unwrap_or(false))
        .max_age(field(c, "max_age").and_then(Value::as_i64).unwrap_or(0) as i32)
        .build()
}

fn jwt(r: &Resolved) -> Option<JwtConfiguration> {
    let j = r.get("jwt_configuration")?;
    Some(JwtConfiguration::builder().set_issuer(text(j, "issuer")).set_audience(string_list(j, "audience")).build())
}

/// The stage's defaults for every route. Throttling the source leaves out is API
/// Gateway's to choose (the account's limits, or what the stage had): not sent, not read.
fn route_settings(r: &Resolved) -> RouteSettings {
    let d = r.get("default_route_settings").cloned().unwrap_or_default();
    RouteSettings::builder()
        .set_throttling_rate_limit(field(&d, "throttling_rate_limit").and_then(Value::as_f64))
        .set_throttling_burst_limit(field(&d, "throttling_burst_limit").and_then(Value::as_i64).map(|n| n as i32))
        .detailed_metrics_enabled(field(&d, "detailed_metrics_enabled").and_then(Value::as_bool).unwrap_or(false))
        .build()
}

fn access_logs(r: &Resolved) -> Option<AccessLogSettings> {
    let l = r.get("access_log_settings")?;
    Some(
        AccessLogSettings::builder()
            .set_destination_arn(text(l, "destination_arn"))
            .set_format(text(l, "format"))
            .build(),
    )
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    let api = s(r, "api_id");
    let opt = |k: &str| r.str(k).map(str::to_string);
    match r.kind.as_str() {
        "aws_apigatewayv2_api" => {
            let out = aws
                .apigw
                .create_api()
                .name(s(r, "name"))
                .protocol_type(ProtocolType::from(s(r, "protocol_type")))
                .set_description(opt("description"))
                .set_cors_configuration(r.get("cors_configuration").map(cors))
                .set_tags(Some(tag_map(aws, r)))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            Ok(api_created(out.api_id().unwrap_or_default(), out.api_endpoint().unwrap_or_default()))
        }
        "aws_apigatewayv2_vpc_link" => {
            let out = aws
                .apigw
                .create_vpc_link()
                .name(s(r, "name"))
                .set_subnet_ids(Some(strings(r, "subnet_ids")))
                .set_security_group_ids(Some(strings(r, "security_group_ids")))
                .set_tags(Some(tag_map(aws, r)))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            let id = out.vpc_link_id().unwrap_or_default();
            Ok(created(id, &[("id", id)]))
        }
        "aws_apigatewayv2_authorizer" => {
            let out = aws
                .apigw
                .create_authorizer()
                .api_id(api)
                .name(s(r, "name"))
                .authorizer_type(AuthorizerType::from(s(r, "authorizer_type")))
                .set_identity_source(Some(strings(r, "identity_sources")))
                .set_jwt_configuration(jwt(r))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            let id = out.authorizer_id().unwrap_or_default();
            Ok(created(id, &[("id", id), ("api_id", api)]))
        }
        "aws_apigatewayv2_integration" => {
            let out = aws
                .apigw
                .create_integration()
                .api_id(api)
                .set_description(opt("description"))
                .integration_type(IntegrationType::from(s(r, "integration_type")))
                .set_integration_method(opt("integration_method"))
                .set_integration_uri(opt("integration_uri"))
                .set_connection_type(r.str("connection_type").map(ConnectionType::from))
                .set_connection_id(opt("connection_id"))
                .set_payload_format_version(opt("payload_format_version"))
                .set_timeout_in_millis(int(r, "timeout_milliseconds").map(|n| n as i32))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            let id = out.integration_id().unwrap_or_default();
            Ok(created(id, &[("id", id), ("api_id", api)]))
        }
        "aws_apigatewayv2_route" => {
            let out = aws
                .apigw
                .create_route()
                .api_id(api)
                .route_key(s(r, "route_key"))
                .set_authorization_type(r.str("authorization_type").map(AuthorizationType::from))
                .set_authorizer_id(opt("authorizer_id"))
                .set_target(opt("target"))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            let id = out.route_id().unwrap_or_default();
            Ok(created(id, &[("id", id), ("api_id", api)]))
        }
        "aws_apigatewayv2_stage" => {
            let name = s(r, "name");
            aws.apigw
                .create_stage()
                .api_id(api)
                .stage_name(name)
                .set_auto_deploy(r.get("auto_deploy").and_then(Value::as_bool))
                .set_default_route_settings(r.get("default_route_settings").map(|_| route_settings(r)))
                .set_access_log_settings(access_logs(r))
                .set_tags(Some(tag_map(aws, r)))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            let url = invoke_url(&api_endpoint(aws, api).await?, name);
            Ok(created(name, &[("id", name), ("api_id", api), ("invoke_url", &url)]))
        }
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let id = have.physical.as_str();
    let api = have.outputs.get("api_id").cloned().unwrap_or_default();
    let gone_ = |r: Result<(), CloudError>| deleted(r, MISSING);
    let del = "apigateway:DELETE";
    match have.kind.as_str() {
        "aws_apigatewayv2_api" => {
            gone_(aws.apigw.delete_api().api_id(id).send().await.map(drop).map_err(|e| error(del, e)))
        }
        "aws_apigatewayv2_vpc_link" => {
            gone_(aws.apigw.delete_vpc_link().vpc_link_id(id).send().await.map(drop).map_err(|e| error(del, e)))
        }
        "aws_apigatewayv2_integration" => gone_(
            aws.apigw
                .delete_integration()
                .api_id(api)
                .integration_id(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| error(del, e)),
        ),
        "aws_apigatewayv2_authorizer" => gone_(
            aws.apigw
                .delete_authorizer()
                .api_id(api)
                .authorizer_id(id)
                .send()
                .await
                .map(drop)
                .map_err(|e| error(del, e)),
        ),
        "aws_apigatewayv2_route" => {
            gone_(aws.apigw.delete_route().api_id(api).route_id(id).send().await.map(drop).map_err(|e| error(del, e)))
        }
        "aws_apigatewayv2_stage" => {
            gone_(aws.apigw.delete_stage().api_id(api).stage_name(id).send().await.map(drop).map_err(|e| error(del, e)))
        }
        other => Err(unsupported(other)),
    }
}
