//! IAM roles and their policies, CloudWatch log groups, and the KMS key that encrypts them.

use fg_deploy::{CloudError, Created, Deployed, Resolved};

use crate::{Aws, created, error, int, s};

pub const KINDS: &[&str] = &[
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_cloudwatch_log_group",
    "aws_kms_key",
];

const NOT_FOUND: &[&str] = &["NoSuchEntity", "NotFound"];

fn not_found(e: &CloudError) -> bool {
    NOT_FOUND.iter().any(|m| e.message.contains(m))
}

fn role_created(name: &str, arn: &str) -> Created {
    // As in Terraform, a role's `id` is its name.
    created(arn, &[("id", name), ("name", name), ("arn", arn)])
}

pub async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_iam_role" => {
            match aws.iam.get_role().role_name(s(r, "name")).send().await.map_err(|e| error("iam:GetRole", e)) {
                Ok(out) => Ok(out.role().map(|role| role_created(role.role_name(), role.arn()))),
                Err(e) if not_found(&e) => Ok(None),
                Err(e) => Err(e),
            }
        }
        "aws_cloudwatch_log_group" => {
            let name = s(r, "name");
            let out = aws
                .logs
                .describe_log_groups()
                .log_group_name_prefix(name)
                .send()
                .await
                .map_err(|e| error("logs:DescribeLogGroups", e))?;
            Ok(out.log_groups().iter().find(|g| g.log_group_name() == Some(name)).map(|g| log_created(name, g.arn())))
        }
        "aws_kms_key" => {
            // One call per key: only done when the state lost track of one.
            let keys = aws.kms.list_keys().send().await.map_err(|e| error("kms:ListKeys", e))?;
            for k in keys.keys() {
                let Some(id) = k.key_id() else { continue };
                let Ok(tags) = aws.kms.list_resource_tags().key_id(id).send().await else { continue };
                let tagged =
                    |key: &str, value: &str| tags.tags().iter().any(|t| t.tag_key() == key && t.tag_value() == value);
                let stack = aws.stack_tags.iter().all(|(k, v)| !k.starts_with("fgc:") || tagged(k, v));
                if tagged("fgc:id", &r.id) && stack {
                    let meta =
                        aws.kms.describe_key().key_id(id).send().await.map_err(|e| error("kms:DescribeKey", e))?;
                    let Some(m) =
                        meta.key_metadata().filter(|m| m.key_state() == Some(&aws_sdk_kms::types::KeyState::Enabled))
                    else {
                        continue;
                    };
                    return Ok(Some(created(id, &[("key_id", id), ("arn", m.arn().unwrap_or_default())])));
                }
            }
            Ok(None)
        }
        "aws_iam_role_policy" => {
            let (role, name) = (s(r, "role"), s(r, "name"));
            let found = aws.iam.get_role_policy().role_name(role).policy_name(name).send().await.is_ok();
            Ok(found.then(|| created(&format!("{role}:{name}"), &[("role", role), ("name", name)])))
        }
        "aws_iam_role_policy_attachment" => {
            let (role, arn) = (s(r, "role"), s(r, "policy_arn"));
            let out = aws.iam.list_attached_role_policies().role_name(role).send().await;
            let found = out.is_ok_and(|o| o.attached_policies().iter().any(|p| p.policy_arn() == Some(arn)));
            Ok(found.then(|| created(&format!("{role}|{arn}"), &[("role", role), ("policy_arn", arn)])))
        }
        _ => Ok(None),
    }
}

fn log_created(name: &str, arn: Option<&str>) -> Created {
    let arn = arn.unwrap_or_default().trim_end_matches(":*").to_string();
    created(name, &[("name", name), ("arn", &arn)])
}

pub async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    aws.mutate();
    match r.kind.as_str() {
        "aws_iam_role" => {
            let tags = aws
                .tags(r)
                .into_iter()
                .filter_map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().ok());
            let out = aws
                .iam
                .create_role()
                .role_name(s(r, "name"))
                .assume_role_policy_document(s(r, "assume_role_policy"))
                .set_description(r.str("description").map(str::to_string))
                .set_tags(Some(tags.collect()))
                .send()
                .await
                .map_err(|e| error("iam:CreateRole", e))?;
            let role = out.role().ok_or_else(|| CloudError::new("CreateRole returned no role"))?;
            Ok(role_created(role.role_name(), role.arn()))
        }
        "aws_iam_role_policy" => {
            put_policy(aws, r).await?;
            Ok(created(
                &format!("{}:{}", s(r, "role"), s(r, "name")),
                &[("role", s(r, "role")), ("name", s(r, "name"))],
            ))
        }
        "aws_iam_role_policy_attachment" => {
            aws.iam
                .attach_role_policy()
                .role_name(s(r, "role"))
                .policy_arn(s(r, "policy_arn"))
                .send()
                .await
                .map_err(|e| error("iam:AttachRolePolicy", e))?;
            Ok(created(
                &format!("{}|{}", s(r, "role"), s(r, "policy_arn")),
                &[("role", s(r, "role")), ("policy_arn", s(r, "policy_arn"))],
            ))
        }
        "aws_cloudwatch_log_group" => {
            let name = s(r, "name");
            aws.logs
                .create_log_group()
                .log_group_name(name)
                .set_kms_key_id(r.str("kms_key_id").map(str::to_string))
                .set_tags(Some(aws.tags(r).into_iter().collect()))
                .send()
                .await
                .map_err(|e| error("logs:CreateLogGroup", e))?;
            retention(aws, r).await?;
            let out = aws
                .logs
                .describe_log_groups()
                .log_group_name_prefix(name)
                .send()
                .await
                .map_err(|e| error("logs:DescribeLogGroups", e))?;
            let arn = out.log_groups().iter().find(|g| g.log_group_name() == Some(name)).and_then(|g| g.arn());
            Ok(log_created(name, arn))
        }
        "aws_kms_key" => {
            let tags = aws
                .tags(r)
                .into_iter()
                .filter_map(|(k, v)| aws_sdk_kms::types::Tag::builder().tag_key(k).tag_value(v).build().ok());
            let out = aws
                .kms
                .create_key()
                .set_description(r.str("description").map(str::to_string))
                .set_policy(r.str("policy").map(str::to_string))
                .set_tags(Some(tags.collect()))
                .send()
                .await
                .map_err(|e| error("kms:CreateKey", e))?;
            let meta = out.key_metadata().ok_or_else(|| CloudError::new("CreateKey returned no key"))?;
            let id = meta.key_id().to_string();
            if crate::boolean(r, "enable_key_rotation") == Some(true) {
                aws.kms
                    .enable_key_rotation()
                    .key_id(&id)
                    .send()
                    .await
                    .map_err(|e| error("kms:EnableKeyRotation", e))?;
            }
            Ok(created(&id, &[("key_id", &id), ("arn", meta.arn().unwrap_or_default())]))
        }
        other => Err(crate::unsupported(other)),
    }
}

async fn put_policy(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    aws.iam
        .put_role_policy()
        .role_name(s(r, "role"))
        .policy_name(s(r, "name"))
        .policy_document(s(r, "policy"))
        .send()
        .await
        .map_err(|e| error("iam:PutRolePolicy", e))?;
    Ok(())
}

async fn retention(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    if let Some(days) = int(r, "retention_in_days") {
        aws.logs
            .put_retention_policy()
            .log_group_name(s(r, "name"))
            .retention_in_days(days as i32)
            .send()
            .await
            .map_err(|e| error("logs:PutRetentionPolicy", e))?;
    }
    Ok(())
}

pub async fn update(aws: &Aws, r: &Resolved, have: &Deployed, changed: &[&str]) -> Result<Created, CloudError> {
    aws.mutate();
    match r.kind.as_str() {
        "aws_iam_role" => {
            if changed.contains(&"assume_role_policy") {
                aws.iam
                    .update_assume_role_policy()
                    .role_name(s(r, "name"))
                    .policy_document(s(r, "assume_role_policy"))
                    .send()
                    .await
                    .map_err(|e| error("iam:UpdateAssumeRolePolicy", e))?;
            }
            if changed.contains(&"description") {
                aws.iam
                    .update_role()
                    .role_name(s(r, "name"))
                    .set_description(r.str("description").map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| error("iam:UpdateRole", e))?;
            }
        }
        "aws_iam_role_policy" => put_policy(aws, r).await?,
        "aws_cloudwatch_log_group" => retention(aws, r).await?,
        "aws_kms_key" => {
            if changed.contains(&"policy") {
                aws.kms
                    .put_key_policy()
                    .key_id(&have.physical)
                    .policy_name("default")
                    .policy(s(r, "policy"))
                    .send()
                    .await
                    .map_err(|e| error("kms:PutKeyPolicy", e))?;
            }
            if changed.contains(&"description") {
                aws.kms
                    .update_key_description()
                    .key_id(&have.physical)
                    .description(s(r, "description"))
                    .send()
                    .await
                    .map_err(|e| error("kms:UpdateKeyDescription", e))?;
            }
        }
        _ => {}
    }
    Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() })
}

pub async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    aws.mutate();
    let out = |k: &str| have.outputs.get(k).cloned().unwrap_or_default();
    let result = match have.kind.as_str() {
        "aws_iam_role" => {
            let name = out("name");
            // Inline and attached policies first, or IAM refuses.
            if let Ok(p) = aws.iam.list_role_policies().role_name(&name).send().await {
                for policy in p.policy_names() {
                    let _ = aws.iam.delete_role_policy().role_name(&name).policy_name(policy).send().await;
                }
            }
            if let Ok(p) = aws.iam.list_attached_role_policies().role_name(&name).send().await {
                for policy in p.attached_policies().iter().filter_map(|a| a.policy_arn()) {
                    let _ = aws.iam.detach_role_policy().role_name(&name).policy_arn(policy).send().await;
                }
            }
            aws.iam.delete_role().role_name(&name).send().await.map(drop).map_err(|e| error("iam:DeleteRole", e))
        }
        "aws_iam_role_policy" => aws
            .iam
            .delete_role_policy()
            .role_name(out("role"))
            .policy_name(out("name"))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("iam:DeleteRolePolicy", e)),
        "aws_iam_role_policy_attachment" => aws
            .iam
            .detach_role_policy()
            .role_name(out("role"))
            .policy_arn(out("policy_arn"))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("iam:DetachRolePolicy", e)),
        "aws_cloudwatch_log_group" => aws
            .logs
            .delete_log_group()
            .log_group_name(&have.physical)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("logs:DeleteLogGroup", e)),
        "aws_kms_key" => {
            let days = crate::field(&have.attrs, "deletion_window_in_days").and_then(|v| v.as_i64()).unwrap_or(30);
            aws.kms
                .schedule_key_deletion()
                .key_id(&have.physical)
                .pending_window_in_days(days as i32)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("kms:ScheduleKeyDeletion", e))
        }
        other => Err(crate::unsupported(other)),
    };
    crate::deleted(result, &[NOT_FOUND, &["pending deletion"]].concat())
}
