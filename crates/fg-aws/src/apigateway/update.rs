//! Updates in place: one PATCH per resource carrying only what changed, and the tags.
//! A text the source dropped is sent empty, which API Gateway reads as none; a setting
//! with a default is sent as that default.

use aws_sdk_apigatewayv2::types::{AuthorizationType, ConnectionType, IntegrationType, RouteSettings};
use fg_deploy::{CloudError, Created, Deployed, Resolved};
use serde_json::Value;

use super::{MISSING, access_logs, arn, cors, jwt, route_settings};
use crate::changes::Changes;
use crate::errors::deleted;
use crate::values::{int, s, same, strings};
use crate::{Aws, error};

/// The fields each kind's PATCH carries.
const FIELDS: &[(&str, &[&str])] = &[
    ("aws_apigatewayv2_api", &["name", "description", "cors_configuration"]),
    ("aws_apigatewayv2_vpc_link", &["name"]),
    ("aws_apigatewayv2_authorizer", &["name", "identity_sources", "jwt_configuration"]),
    (
        "aws_apigatewayv2_integration",
        &[
            "connection_id",
            "connection_type",
            "description",
            "integration_method",
            "integration_type",
            "integration_uri",
            "payload_format_version",
            "timeout_milliseconds",
        ],
    ),
    ("aws_apigatewayv2_route", &["route_key", "authorization_type", "authorizer_id", "target"]),
    ("aws_apigatewayv2_stage", &["auto_deploy", "default_route_settings", "access_log_settings"]),
];

const PATCH: &str = "apigateway:PATCH";

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    let fields = FIELDS.iter().find(|(k, _)| *k == r.kind).map(|(_, f)| *f).unwrap_or_default();
    if ch.any(fields) {
        patch(aws, r, have, ch).await?;
        ch.done(fields);
    }
    if let Some((set, removed)) = ch.tags(r) {
        let arn = arn(aws, have);
        if !removed.is_empty() {
            aws.apigw
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("apigateway:DELETE", e))?;
        }
        aws.apigw
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| error("apigateway:POST", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

async fn patch(aws: &Aws, r: &Resolved, have: &Deployed, ch: &Changes<'_>) -> Result<(), CloudError> {
    let id = have.physical.as_str();
    let api = have.outputs.get("api_id").map(String::as_str).unwrap_or_else(|| s(r, "api_id"));
    let changed = |k: &str| ch.any(&[k]);
    // Text sent as it is now: empty when the source dropped it.
    let now = |k: &str| changed(k).then(|| r.str(k).unwrap_or_default().to_string());
    match r.kind.as_str() {
        "aws_apigatewayv2_api" => {
            let cors_now = r.get("cors_configuration");
            if changed("name") || changed("description") || (changed("cors_configuration") && cors_now.is_some()) {
                aws.apigw
                    .update_api()
                    .api_id(id)
                    .set_name(now("name"))
                    .set_description(now("description"))
                    .set_cors_configuration(cors_now.filter(|_| changed("cors_configuration")).map(cors))
                    .send()
                    .await
                    .map_err(|e| error(PATCH, e))?;
            }
            // An update without CORS settings keeps the old ones: removing them is a call.
            if changed("cors_configuration") && cors_now.is_none() {
                let out = aws.apigw.delete_cors_configuration().api_id(id).send().await;
                deleted(out.map(drop).map_err(|e| error("apigateway:DELETE", e)), MISSING)?;
            }
        }
        "aws_apigatewayv2_vpc_link" => {
            aws.apigw.update_vpc_link().vpc_link_id(id).name(s(r, "name")).send().await.map_err(|e| error(PATCH, e))?;
        }
        "aws_apigatewayv2_authorizer" => {
            aws.apigw
                .update_authorizer()
                .api_id(api)
                .authorizer_id(id)
                .set_name(now("name"))
                .set_identity_source(changed("identity_sources").then(|| strings(r, "identity_sources")))
                .set_jwt_configuration(jwt(r).filter(|_| changed("jwt_configuration")))
                .send()
                .await
                .map_err(|e| error(PATCH, e))?;
        }
        "aws_apigatewayv2_integration" => {
            // Without a value, API Gateway's defaults: a connection over the internet, 30
            // seconds, and the 1.0 payload of HTTP proxies.
            let connection = changed("connection_type").then(|| r.str("connection_type").unwrap_or("INTERNET"));
            let payload = changed("payload_format_version").then(|| r.str("payload_format_version").unwrap_or("1.0"));
            let timeout =
                changed("timeout_milliseconds").then(|| int(r, "timeout_milliseconds").unwrap_or(30_000) as i32);
            aws.apigw
                .update_integration()
                .api_id(api)
                .integration_id(id)
                .set_connection_id(now("connection_id"))
                .set_connection_type(connection.map(ConnectionType::from))
                .set_description(now("description"))
                .set_integration_method(now("integration_method"))
                .set_integration_type(
                    changed("integration_type").then(|| IntegrationType::from(s(r, "integration_type"))),
                )
                .set_integration_uri(now("integration_uri"))
                .set_payload_format_version(payload.map(str::to_string))
                .set_timeout_in_millis(timeout)
                .send()
                .await
                .map_err(|e| error(PATCH, e))?;
        }
        "aws_apigatewayv2_route" => {
            let auth = changed("authorization_type").then(|| r.str("authorization_type").unwrap_or("NONE"));
            aws.apigw
                .update_route()
                .api_id(api)
                .route_id(id)
                .set_route_key(now("route_key"))
                .set_authorization_type(auth.map(AuthorizationType::from))
                .set_authorizer_id(now("authorizer_id"))
                .set_target(now("target"))
                .send()
                .await
                .map_err(|e| error(PATCH, e))?;
        }
        "aws_apigatewayv2_stage" => stage(aws, r, api, id, ch).await?,
        _ => {}
    }
    Ok(())
}

async fn stage(aws: &Aws, r: &Resolved, api: &str, name: &str, ch: &Changes<'_>) -> Result<(), CloudError> {
    let changed = |k: &str| ch.any(&[k]);
    let logs = access_logs(r);
    if changed("auto_deploy") || changed("default_route_settings") || (changed("access_log_settings") && logs.is_some())
    {
        let settings = changed("default_route_settings").then(|| match r.get("default_route_settings") {
            Some(_) => route_settings(r),
            None => RouteSettings::builder().detailed_metrics_enabled(false).build(),
        });
        aws.apigw
            .update_stage()
            .api_id(api)
            .stage_name(name)
            .set_auto_deploy(
                changed("auto_deploy").then(|| r.get("auto_deploy").and_then(Value::as_bool).unwrap_or(false)),
            )
            .set_default_route_settings(settings)
            .set_access_log_settings(logs.filter(|_| changed("access_log_settings")))
            .send()
            .await
            .map_err(|e| error(PATCH, e))?;
    }
    if changed("access_log_settings") && r.get("access_log_settings").is_none() {
        let out = aws.apigw.delete_access_log_settings().api_id(api).stage_name(name).send().await;
        deleted(out.map(drop).map_err(|e| error("apigateway:DELETE", e)), MISSING)?;
    }
    Ok(())
}
