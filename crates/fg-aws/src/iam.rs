//! IAM: roles, their inline policies and their managed policy attachments.
//!
//! A role's `id` output is its name (as in Terraform), which is what policies refer to. Not
//! here: the policies' own lifecycle (managed policies are AWS's or another stack's), a
//! role's path, session duration or permissions boundary (the IR sets none).

use aws_sdk_iam::types::Tag;
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};

use crate::changes::Changes;
use crate::errors::{deleted, gone, unsupported};
use crate::values::{Seen, created, s, same, tag_object};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("iam:TagRole, iam:UntagRole");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_iam_role",
        replace: Order::DeleteFirst("a role's name is unique in the account"),
        attrs: &[
            ("name", Handling::Replace),
            ("assume_role_policy", Handling::Update("iam:UpdateAssumeRolePolicy")),
            ("description", Handling::Update("iam:UpdateRole")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    // A replacement can keep both keys (the role was recreated under its name), and then
    // deleting the old half would delete the new one.
    KindSpec {
        kind: "aws_iam_role_policy",
        replace: Order::DeleteFirst("a policy name is unique in its role, and a recreated role keeps its name"),
        attrs: &[
            ("name", Handling::Replace),
            ("role", Handling::Replace),
            ("policy", Handling::Update("iam:PutRolePolicy")),
        ],
    },
    KindSpec {
        kind: "aws_iam_role_policy_attachment",
        replace: Order::DeleteFirst("a policy is attached to a role once, and a recreated role keeps its name"),
        attrs: &[("policy_arn", Handling::Replace), ("role", Handling::Replace)],
    },
];

const NOT_FOUND: &[&str] = &["NoSuchEntity"];

fn role_created(name: &str, arn: &str) -> Created {
    created(arn, &[("id", name), ("name", name), ("arn", arn)])
}

fn policy_created(role: &str, name: &str) -> Created {
    created(&format!("{role}:{name}"), &[("role", role), ("name", name)])
}

fn attachment_created(role: &str, arn: &str) -> Created {
    created(&format!("{role}|{arn}"), &[("role", role), ("policy_arn", arn)])
}

fn output<'a>(have: &'a Deployed, name: &str) -> &'a str {
    have.outputs.get(name).map(String::as_str).unwrap_or_default()
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_iam_role" => {
            let found = aws.iam.get_role().role_name(s(r, "name")).send().await.map_err(|e| error("iam:GetRole", e));
            let found = gone(found.map(Some), NOT_FOUND)?;
            Ok(found.and_then(|o| o.role().map(|role| role_created(role.role_name(), role.arn()))))
        }
        "aws_iam_role_policy" => {
            let (role, name) = (s(r, "role"), s(r, "name"));
            let found = aws.iam.get_role_policy().role_name(role).policy_name(name).send().await;
            let found = gone(found.map(Some).map_err(|e| error("iam:GetRolePolicy", e)), NOT_FOUND)?;
            Ok(found.map(|_| policy_created(role, name)))
        }
        "aws_iam_role_policy_attachment" => {
            let (role, arn) = (s(r, "role"), s(r, "policy_arn"));
            let attached = gone(attached(aws, role).await.map(Some), NOT_FOUND)?.unwrap_or_default();
            Ok(attached.iter().any(|a| a == arn).then(|| attachment_created(role, arn)))
        }
        other => Err(unsupported(other)),
    }
}

/// The managed policies attached to a role, by ARN.
async fn attached(aws: &Aws, role: &str) -> Result<Vec<String>, CloudError> {
    let mut arns = Vec::new();
    let mut marker = None;
    loop {
        let page = aws
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| error("iam:ListAttachedRolePolicies", e))?;
        arns.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)));
        marker = page.marker().filter(|_| page.is_truncated()).map(str::to_string);
        if marker.is_none() {
            return Ok(arns);
        }
    }
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_iam_role" => {
            let tags = aws.tags(r).into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok());
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
            Ok(policy_created(s(r, "role"), s(r, "name")))
        }
        "aws_iam_role_policy_attachment" => {
            aws.iam
                .attach_role_policy()
                .role_name(s(r, "role"))
                .policy_arn(s(r, "policy_arn"))
                .send()
                .await
                .map_err(|e| error("iam:AttachRolePolicy", e))?;
            Ok(attachment_created(s(r, "role"), s(r, "policy_arn")))
        }
        other => Err(unsupported(other)),
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

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_iam_role" => {
            let name = s(r, "name");
            if ch.any(&["assume_role_policy"]) {
                aws.iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(s(r, "assume_role_policy"))
                    .send()
                    .await
                    .map_err(|e| error("iam:UpdateAssumeRolePolicy", e))?;
                ch.done(&["assume_role_policy"]);
            }
            if ch.any(&["description"]) {
                // An omitted description leaves the old one: an empty one clears it.
                aws.iam
                    .update_role()
                    .role_name(name)
                    .description(r.str("description").unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| error("iam:UpdateRole", e))?;
                ch.done(&["description"]);
            }
            if let Some((set, removed)) = ch.tags(r) {
                if !removed.is_empty() {
                    aws.iam
                        .untag_role()
                        .role_name(name)
                        .set_tag_keys(Some(removed))
                        .send()
                        .await
                        .map_err(|e| error("iam:UntagRole", e))?;
                }
                let tags = set.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok());
                aws.iam
                    .tag_role()
                    .role_name(name)
                    .set_tags(Some(tags.collect()))
                    .send()
                    .await
                    .map_err(|e| error("iam:TagRole", e))?;
                ch.done(&["tags", "tags_all"]);
            }
        }
        "aws_iam_role_policy" => {
            if ch.any(&["policy"]) {
                put_policy(aws, r).await?;
                ch.done(&["policy"]);
            }
        }
        // Nothing of an attachment changes in place.
        "aws_iam_role_policy_attachment" => {}
        other => return Err(unsupported(other)),
    }
    Ok(same(have))
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let result = match have.kind.as_str() {
        "aws_iam_role" => {
            let name = output(have, "name");
            // Inline and attached policies first, or IAM refuses; what fails here shows in
            // DeleteRole's DeleteConflict.
            if let Ok(p) = aws.iam.list_role_policies().role_name(name).send().await {
                for policy in p.policy_names() {
                    let _ = aws.iam.delete_role_policy().role_name(name).policy_name(policy).send().await;
                }
            }
            if let Ok(arns) = attached(aws, name).await {
                for arn in arns {
                    let _ = aws.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await;
                }
            }
            aws.iam.delete_role().role_name(name).send().await.map(drop).map_err(|e| error("iam:DeleteRole", e))
        }
        "aws_iam_role_policy" => aws
            .iam
            .delete_role_policy()
            .role_name(output(have, "role"))
            .policy_name(output(have, "name"))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("iam:DeleteRolePolicy", e)),
        "aws_iam_role_policy_attachment" => aws
            .iam
            .detach_role_policy()
            .role_name(output(have, "role"))
            .policy_arn(output(have, "policy_arn"))
            .send()
            .await
            .map(drop)
            .map_err(|e| error("iam:DetachRolePolicy", e)),
        other => Err(unsupported(other)),
    };
    deleted(result, NOT_FOUND)
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    recorded: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_iam_role" => {
            let out =
                aws.iam.get_role().role_name(output(have, "name")).send().await.map_err(|e| error("iam:GetRole", e));
            let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
            let Some(role) = out.role() else { return Ok(None) };
            seen.put("name", role.role_name());
            seen.opt("assume_role_policy", role.assume_role_policy_document().map(decode));
            // IAM reports no description, or an empty one once cleared, when none is set.
            seen.or_null(recorded, "description", role.description().filter(|d| !d.is_empty()));
            seen.put("tags_all", tag_object(role.tags().iter().map(|t| (t.key(), t.value()))));
        }
        "aws_iam_role_policy" => {
            let (role, name) = (output(have, "role"), output(have, "name"));
            let out = aws.iam.get_role_policy().role_name(role).policy_name(name).send().await;
            let out = out.map(Some).map_err(|e| error("iam:GetRolePolicy", e));
            let Some(out) = gone(out, NOT_FOUND)? else { return Ok(None) };
            seen.put("name", out.policy_name());
            seen.put("role", out.role_name());
            seen.put("policy", decode(out.policy_document()));
        }
        "aws_iam_role_policy_attachment" => {
            let (role, arn) = (output(have, "role"), output(have, "policy_arn"));
            let Some(arns) = gone(attached(aws, role).await.map(Some), NOT_FOUND)? else { return Ok(None) };
            if !arns.iter().any(|a| a == arn) {
                return Ok(None);
            }
            seen.put("role", role);
            seen.put("policy_arn", arn);
        }
        other => return Err(unsupported(other)),
    }
    Ok(seen.done())
}

/// A policy document as IAM returns it: percent-encoded (RFC 3986, so `+` is itself).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn policy_documents_are_percent_decoded() {
        assert_eq!(decode("%7B%22Action%22%3A%20%22s3%3A%2A%22%7D"), r#"{"Action": "s3:*"}"#);
        assert_eq!(decode("a+b%2Bc%"), "a+b+c%");
        assert_eq!(decode("%E2%9C%93 %zz"), "✓ %zz");
    }
}
