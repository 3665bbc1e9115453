//! The ways in and the images: ECR repositories with their lifecycle policies, and API
//! Gateway HTTP APIs with their CORS settings, VPC links, JWT authorizers, integrations,
//! routes and stages.

use std::collections::HashMap;

use fg_deploy::{CloudError, Created, Deployed, Resolved};
use serde_json::Value;

use crate::{Aws, boolean, created, error, field, int, s, strings, text};

pub const KINDS: &[&str] = &[
    "aws_ecr_repository",
    "aws_ecr_lifecycle_policy",
    "aws_apigatewayv2_api",
    "aws_apigatewayv2_vpc_link",
    "aws_apigatewayv2_authorizer",
    "aws_apigatewayv2_integration",
    "aws_apigatewayv2_route",
    "aws_apigatewayv2_stage",
];

/// What AWS cannot change in place.
pub fn immutable(kind: &str, attr: &str) -> bool {
    match kind {
        "aws_ecr_repository" => ["name", "encryption_configuration"].contains(&attr),
        "aws_ecr_lifecycle_policy" => attr == "repository",
        "aws_apigatewayv2_api" => attr == "protocol_type",
        "aws_apigatewayv2_vpc_link" => ["subnet_ids", "security_group_ids"].contains(&attr),
        "aws_apigatewayv2_integration" | "aws_apigatewayv2_route" => attr == "api_id",
        "aws_apigatewayv2_authorizer" => ["api_id", "authorizer_type"].contains(&attr),
        "aws_apigatewayv2_stage" => ["api_id", "name"].contains(&attr),
        _ => true,
    }
}

fn tag_map(aws: &Aws, r: &Resolved) -> HashMap<String, String> {
    aws.tags(r).into_iter().collect()
}

fn has_fgc_id(tags: Option<&HashMap<String, String>>, id: &str) -> bool {
    tags.and_then(|t| t.get("fgc:id")).is_some_and(|v| v == id)
}

fn repo_created(repo: &aws_sdk_ecr::types::Repository) -> Created {
    let name = repo.repository_name().unwrap_or_default();
    created(
        name,
        &[
            ("name", name),
            ("arn", repo.repository_arn().unwrap_or_default()),
            ("repository_url", repo.repository_uri().unwrap_or_default()),
            ("registry_id", repo.registry_id().unwrap_or_default()),
        ],
    )
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

pub async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_ecr_repository" => {
            let out = aws.ecr.describe_repositories().repository_names(s(r, "name")).send().await;
            match out {
                Ok(o) => Ok(o.repositories().first().map(repo_created)),
                Err(e) => {
                    let e = error("ecr:DescribeRepositories", e);
                    if e.message.contains("NotFound") { Ok(None) } else { Err(e) }
                }
            }
        }
        "aws_ecr_lifecycle_policy" => {
            let repo = s(r, "repository");
            let found = aws.ecr.get_lifecycle_policy().repository_name(repo).send().await.is_ok();
            Ok(found.then(|| created(repo, &[("repository", repo)])))
        }
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
            let api = s(r, "api_id");
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
            let api = s(r, "api_id");
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
            let (api, name) = (s(r, "api_id"), s(r, "name"));
            if aws.apigw.get_stage().api_id(api).stage_name(name).send().await.is_err() {
                return Ok(None);
            }
            let url = invoke_url(&api_endpoint(aws, api).await?, name);
            Ok(Some(created(name, &[("id", name), ("api_id", api), ("invoke_url", &url)])))
        }
        _ => Ok(None),
    }
}

pub async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    aws.mutate();
    put(aws, r, None).await
}

pub async fn update(aws: &Aws, r: &Resolved, have: &Deployed, _changed: &[&str]) -> Result<Created, CloudError> {
    aws.mutate();
    put(aws, r, Some(have)).await
}

async fn put(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_ecr_repository" => repository(aws, r, have).await,
        "aws_ecr_lifecycle_policy" => {
            let repo = s(r, "repository");
            aws.ecr
                .put_lifecycle_policy()
                .repository_name(repo)
                .lifecycle_policy_text(s(r, "policy"))
                .send()
                .await
                .map_err(|e| error("ecr:PutLifecyclePolicy", e))?;
            Ok(created(repo, &[("repository", repo)]))
        }
        "aws_apigatewayv2_api" => {
            let cors = r.get("cors_configuration").map(cors);
            if let Some(have) = have {
                let had_cors = crate::recorded(have, "cors_configuration").is_some();
                aws.apigw
                    .update_api()
                    .api_id(&have.physical)
                    .name(s(r, "name"))
                    .set_description(r.str("description").map(str::to_string))
                    .set_cors_configuration(cors.clone())
                    .send()
                    .await
                    .map_err(|e| error("apigateway:PATCH", e))?;
                // An update without CORS settings keeps the old ones.
                if cors.is_none() && had_cors {
                    aws.apigw
                        .delete_cors_configuration()
                        .api_id(&have.physical)
                        .send()
                        .await
                        .map_err(|e| error("apigateway:DELETE", e))?;
                }
                return Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() });
            }
            let out = aws
                .apigw
                .create_api()
                .name(s(r, "name"))
                .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::from(s(r, "protocol_type")))
                .set_description(r.str("description").map(str::to_string))
                .set_cors_configuration(cors)
                .set_tags(Some(tag_map(aws, r)))
                .send()
                .await
                .map_err(|e| error("apigateway:POST", e))?;
            Ok(api_created(out.api_id().unwrap_or_default(), out.api_endpoint().unwrap_or_default()))
        }
        "aws_apigatewayv2_authorizer" => authorizer(aws, r, have).await,
        "aws_apigatewayv2_vpc_link" => {
            if let Some(have) = have {
                aws.apigw
                    .update_vpc_link()
                    .vpc_link_id(&have.physical)
                    .name(s(r, "name"))
                    .send()
                    .await
                    .map_err(|e| error("apigateway:PATCH", e))?;
                return Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() });
            }
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
        "aws_apigatewayv2_integration" => integration(aws, r, have).await,
        "aws_apigatewayv2_route" => {
            use aws_sdk_apigatewayv2::types::AuthorizationType;
            let api = s(r, "api_id");
            let auth = r.str("authorization_type").map(AuthorizationType::from);
            let id = if let Some(have) = have {
                aws.apigw
                    .update_route()
                    .api_id(api)
                    .route_id(&have.physical)
                    .route_key(s(r, "route_key"))
                    .set_authorization_type(auth)
                    .set_authorizer_id(r.str("authorizer_id").map(str::to_string))
                    .set_target(r.str("target").map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| error("apigateway:PATCH", e))?;
                have.physical.clone()
            } else {
                let out = aws
                    .apigw
                    .create_route()
                    .api_id(api)
                    .route_key(s(r, "route_key"))
                    .set_authorization_type(auth)
                    .set_authorizer_id(r.str("authorizer_id").map(str::to_string))
                    .set_target(r.str("target").map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| error("apigateway:POST", e))?;
                out.route_id().unwrap_or_default().to_string()
            };
            Ok(created(&id, &[("id", &id), ("api_id", api)]))
        }
        "aws_apigatewayv2_stage" => stage(aws, r, have).await,
        other => Err(crate::unsupported(other)),
    }
}

async fn repository(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability};
    let name = s(r, "name");
    let scan = r
        .get("image_scanning_configuration")
        .and_then(|c| field(c, "scan_on_push"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mutability = ImageTagMutability::from(r.str("image_tag_mutability").unwrap_or("MUTABLE"));
    if let Some(have) = have {
        aws.ecr
            .put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(mutability)
            .send()
            .await
            .map_err(|e| error("ecr:PutImageTagMutability", e))?;
        aws.ecr
            .put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(scan).build())
            .send()
            .await
            .map_err(|e| error("ecr:PutImageScanningConfiguration", e))?;
        return Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() });
    }
    let encryption = r.get("encryption_configuration").map(|c| {
        aws_sdk_ecr::types::EncryptionConfiguration::builder()
            .encryption_type(aws_sdk_ecr::types::EncryptionType::from(
                text(c, "encryption_type").unwrap_or_else(|| "AES256".into()).as_str(),
            ))
            .set_kms_key(text(c, "kms_key"))
            .build()
    });
    let encryption = encryption.transpose().map_err(|e| CloudError::new(format!("invalid encryption: {e}")))?;
    let tags: Vec<aws_sdk_ecr::types::Tag> = aws
        .tags(r)
        .into_iter()
        .filter_map(|(k, v)| aws_sdk_ecr::types::Tag::builder().key(k).value(v).build().ok())
        .collect();
    let out = aws
        .ecr
        .create_repository()
        .repository_name(name)
        .image_tag_mutability(mutability)
        .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(scan).build())
        .set_encryption_configuration(encryption)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| error("ecr:CreateRepository", e))?;
    out.repository().map(repo_created).ok_or_else(|| CloudError::new("ECR returned no repository"))
}

/// The strings of the list at `key` of a block.
fn string_list(block: &Value, key: &str) -> Option<Vec<String>> {
    let items = field(block, key)?.as_array()?;
    Some(items.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
}

/// The API's CORS settings from the `cors_configuration` block.
fn cors(c: &Value) -> aws_sdk_apigatewayv2::types::Cors {
    let list = |k: &str| string_list(c, k);
    aws_sdk_apigatewayv2::types::Cors::builder()
        .set_allow_origins(list("allow_origins"))
        .set_allow_methods(list("allow_methods"))
        .set_allow_headers(list("allow_headers"))
        .set_expose_headers(list("expose_headers"))
        .set_allow_credentials(field(c, "allow_credentials").and_then(Value::as_bool))
        .set_max_age(field(c, "max_age").and_then(Value::as_i64).map(|n| n as i32))
        .build()
}

async fn authorizer(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    use aws_sdk_apigatewayv2::types::{AuthorizerType, JwtConfiguration};
    let api = s(r, "api_id");
    let jwt = r.get("jwt_configuration").map(|j| {
        JwtConfiguration::builder().set_issuer(text(j, "issuer")).set_audience(string_list(j, "audience")).build()
    });
    let id = if let Some(have) = have {
        aws.apigw
            .update_authorizer()
            .api_id(api)
            .authorizer_id(&have.physical)
            .name(s(r, "name"))
            .set_identity_source(Some(strings(r, "identity_sources")))
            .set_jwt_configuration(jwt)
            .send()
            .await
            .map_err(|e| error("apigateway:PATCH", e))?;
        have.physical.clone()
    } else {
        let out = aws
            .apigw
            .create_authorizer()
            .api_id(api)
            .name(s(r, "name"))
            .authorizer_type(AuthorizerType::from(s(r, "authorizer_type")))
            .set_identity_source(Some(strings(r, "identity_sources")))
            .set_jwt_configuration(jwt)
            .send()
            .await
            .map_err(|e| error("apigateway:POST", e))?;
        out.authorizer_id().unwrap_or_default().to_string()
    };
    Ok(created(&id, &[("id", &id), ("api_id", api)]))
}

async fn integration(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    use aws_sdk_apigatewayv2::types::{ConnectionType, IntegrationType};
    let api = s(r, "api_id");
    let timeout = int(r, "timeout_milliseconds").map(|n| n as i32);
    let id = if let Some(have) = have {
        aws.apigw
            .update_integration()
            .api_id(api)
            .integration_id(&have.physical)
            .set_description(r.str("description").map(str::to_string))
            .set_integration_method(r.str("integration_method").map(str::to_string))
            .set_integration_uri(r.str("integration_uri").map(str::to_string))
            .set_connection_id(r.str("connection_id").map(str::to_string))
            .set_payload_format_version(r.str("payload_format_version").map(str::to_string))
            .set_timeout_in_millis(timeout)
            .send()
            .await
            .map_err(|e| error("apigateway:PATCH", e))?;
        have.physical.clone()
    } else {
        let out = aws
            .apigw
            .create_integration()
            .api_id(api)
            .set_description(r.str("description").map(str::to_string))
            .integration_type(IntegrationType::from(s(r, "integration_type")))
            .set_integration_method(r.str("integration_method").map(str::to_string))
            .set_integration_uri(r.str("integration_uri").map(str::to_string))
            .set_connection_type(r.str("connection_type").map(ConnectionType::from))
            .set_connection_id(r.str("connection_id").map(str::to_string))
            .set_payload_format_version(r.str("payload_format_version").map(str::to_string))
            .set_timeout_in_millis(timeout)
            .send()
            .await
            .map_err(|e| error("apigateway:POST", e))?;
        out.integration_id().unwrap_or_default().to_string()
    };
    Ok(created(&id, &[("id", &id), ("api_id", api)]))
}

async fn stage(aws: &Aws, r: &Resolved, have: Option<&Deployed>) -> Result<Created, CloudError> {
    use aws_sdk_apigatewayv2::types::{AccessLogSettings, RouteSettings};
    let (api, name) = (s(r, "api_id"), s(r, "name"));
    let settings = r.get("default_route_settings").map(|d| {
        RouteSettings::builder()
            .set_throttling_rate_limit(field(d, "throttling_rate_limit").and_then(Value::as_f64))
            .set_throttling_burst_limit(field(d, "throttling_burst_limit").and_then(Value::as_i64).map(|n| n as i32))
            .set_detailed_metrics_enabled(field(d, "detailed_metrics_enabled").and_then(Value::as_bool))
            .build()
    });
    let logs = r.get("access_log_settings").map(|l| {
        AccessLogSettings::builder()
            .set_destination_arn(text(l, "destination_arn"))
            .set_format(text(l, "format"))
            .build()
    });
    if have.is_some() {
        aws.apigw
            .update_stage()
            .api_id(api)
            .stage_name(name)
            .set_auto_deploy(boolean(r, "auto_deploy"))
            .set_default_route_settings(settings)
            .set_access_log_settings(logs)
            .send()
            .await
            .map_err(|e| error("apigateway:PATCH", e))?;
    } else {
        aws.apigw
            .create_stage()
            .api_id(api)
            .stage_name(name)
            .set_auto_deploy(boolean(r, "auto_deploy"))
            .set_default_route_settings(settings)
            .set_access_log_settings(logs)
            .set_tags(Some(tag_map(aws, r)))
            .send()
            .await
            .map_err(|e| error("apigateway:POST", e))?;
    }
    let url = invoke_url(&api_endpoint(aws, api).await?, name);
    Ok(created(name, &[("id", name), ("api_id", api), ("invoke_url", &url)]))
}

pub async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    aws.mutate();
    let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
    let result = match have.kind.as_str() {
        "aws_ecr_repository" => {
            let force = crate::recorded(have, "force_delete").and_then(|v| v.as_bool()).unwrap_or(false);
            aws.ecr
                .delete_repository()
                .repository_name(&have.physical)
                .force(force)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ecr:DeleteRepository", e))
        }
        "aws_ecr_lifecycle_policy" => aws
            .ecr
            .delete_lifecycle_policy()
            .repository_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ecr:DeleteLifecyclePolicy", e)),
        "aws_apigatewayv2_api" => aws
            .apigw
            .delete_api()
            .api_id(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("apigateway:DELETE", e)),
        "aws_apigatewayv2_vpc_link" => aws
            .apigw
            .delete_vpc_link()
            .vpc_link_id(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("apigateway:DELETE", e)),
        "aws_apigatewayv2_integration" => aws
            .apigw
            .delete_integration()
            .api_id(out("api_id"))
            .integration_id(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("apigateway:DELETE", e)),
        "aws_apigatewayv2_authorizer" => aws
            .apigw
            .delete_authorizer()
            .api_id(out("api_id"))
            .authorizer_id(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("apigateway:DELETE", e)),
        "aws_apigatewayv2_route" => aws
            .apigw
            .delete_route()
            .api_id(out("api_id"))
            .route_id(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("apigateway:DELETE", e)),
        "aws_apigatewayv2_stage" => aws
            .apigw
            .delete_stage()
            .api_id(out("api_id"))
            .stage_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("apigateway:DELETE", e)),
        other => Err(crate::unsupported(other)),
    };
    crate::deleted(result, &["NotFound", "does not exist"])
}
