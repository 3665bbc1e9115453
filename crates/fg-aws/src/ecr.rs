//! ECR: image repositories and their lifecycle policies.
//!
//! It does not push, pull or delete images (a repository still holding images is deleted
//! only with `force_delete`), and it manages no repository or registry policy.

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Repository, Tag,
};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};
use serde_json::{Value, json};

use crate::changes::Changes;
use crate::errors::{deleted, gone, unsupported};
use crate::values::{Seen, created, field, recorded, s, same, tag_object, text};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("ecr:TagResource, ecr:UntagResource");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_ecr_repository",
        replace: Order::DeleteFirst("a repository's name is unique in its registry"),
        attrs: &[
            ("name", Handling::Replace),
            ("encryption_configuration", Handling::Replace),
            ("image_tag_mutability", Handling::Update("ecr:PutImageTagMutability")),
            ("image_scanning_configuration", Handling::Update("ecr:PutImageScanningConfiguration")),
            ("force_delete", Handling::Elsewhere("used when fgc deletes the repository")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    // A policy belongs to its repository: another repository's policy can exist beside it.
    KindSpec {
        kind: "aws_ecr_lifecycle_policy",
        replace: Order::CreateFirst,
        attrs: &[("repository", Handling::Replace), ("policy", Handling::Update("ecr:PutLifecyclePolicy"))],
    },
];

fn repo_created(repo: &Repository) -> Created {
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

async fn repository(aws: &Aws, name: &str) -> Result<Option<Repository>, CloudError> {
    let out = aws
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .map_err(|e| error("ecr:DescribeRepositories", e))
        .map(Some);
    Ok(gone(out, &["RepositoryNotFound"])?.and_then(|o| o.repositories().first().cloned()))
}

async fn policy(aws: &Aws, repo: &str) -> Result<Option<String>, CloudError> {
    let out = aws
        .ecr
        .get_lifecycle_policy()
        .repository_name(repo)
        .send()
        .await
        .map_err(|e| error("ecr:GetLifecyclePolicy", e))
        .map(Some);
    let out = gone(out, &["LifecyclePolicyNotFound", "RepositoryNotFound"])?;
    Ok(out.and_then(|o| o.lifecycle_policy_text().map(str::to_string)))
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_ecr_repository" => Ok(repository(aws, s(r, "name")).await?.as_ref().map(repo_created)),
        "aws_ecr_lifecycle_policy" => {
            let repo = s(r, "repository");
            Ok(policy(aws, repo).await?.map(|_| created(repo, &[("repository", repo)])))
        }
        other => Err(unsupported(other)),
    }
}

fn scanning(r: &Resolved) -> ImageScanningConfiguration {
    let scan = r.get("image_scanning_configuration").and_then(|c| field(c, "scan_on_push")).and_then(Value::as_bool);
    ImageScanningConfiguration::builder().scan_on_push(scan.unwrap_or(false)).build()
}

fn mutability(r: &Resolved) -> ImageTagMutability {
    ImageTagMutability::from(r.str("image_tag_mutability").unwrap_or("MUTABLE"))
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_ecr_repository" => {
            let encryption = r
                .get("encryption_configuration")
                .map(|c| {
                    EncryptionConfiguration::builder()
                        .encryption_type(EncryptionType::from(
                            text(c, "encryption_type").unwrap_or_else(|| "AES256".into()).as_str(),
                        ))
                        .set_kms_key(text(c, "kms_key"))
                        .build()
                })
                .transpose()
                .map_err(|e| CloudError::new(format!("invalid encryption configuration: {e}")))?;
            let tags: Vec<Tag> =
                aws.tags(r).into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
            let out = aws
                .ecr
                .create_repository()
                .repository_name(s(r, "name"))
                .image_tag_mutability(mutability(r))
                .image_scanning_configuration(scanning(r))
                .set_encryption_configuration(encryption)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| error("ecr:CreateRepository", e))?;
            out.repository().map(repo_created).ok_or_else(|| CloudError::new("CreateRepository returned no repository"))
        }
        "aws_ecr_lifecycle_policy" => {
            put_policy(aws, r).await?;
            let repo = s(r, "repository");
            Ok(created(repo, &[("repository", repo)]))
        }
        other => Err(unsupported(other)),
    }
}

async fn put_policy(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    aws.ecr
        .put_lifecycle_policy()
        .repository_name(s(r, "repository"))
        .lifecycle_policy_text(s(r, "policy"))
        .send()
        .await
        .map_err(|e| error("ecr:PutLifecyclePolicy", e))?;
    Ok(())
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_ecr_repository" => {
            let name = have.physical.as_str();
            if ch.any(&["image_tag_mutability"]) {
                aws.ecr
                    .put_image_tag_mutability()
                    .repository_name(name)
                    .image_tag_mutability(mutability(r))
                    .send()
                    .await
                    .map_err(|e| error("ecr:PutImageTagMutability", e))?;
                ch.done(&["image_tag_mutability"]);
            }
            if ch.any(&["image_scanning_configuration"]) {
                aws.ecr
                    .put_image_scanning_configuration()
                    .repository_name(name)
                    .image_scanning_configuration(scanning(r))
                    .send()
                    .await
                    .map_err(|e| error("ecr:PutImageScanningConfiguration", e))?;
                ch.done(&["image_scanning_configuration"]);
            }
            if let Some((set, removed)) = ch.tags(r) {
                let arn = match have.outputs.get("arn").filter(|a| !a.is_empty()) {
                    Some(a) => a.clone(),
                    None => repository(aws, name).await?.and_then(|x| x.repository_arn).unwrap_or_default(),
                };
                retag(aws, &arn, set, removed).await?;
                ch.done(&["tags", "tags_all"]);
            }
        }
        "aws_ecr_lifecycle_policy" if ch.any(&["policy"]) => {
            put_policy(aws, r).await?;
            ch.done(&["policy"]);
        }
        _ => {}
    }
    Ok(same(have))
}

async fn retag(aws: &Aws, arn: &str, set: Vec<(String, String)>, removed: Vec<String>) -> Result<(), CloudError> {
    if !removed.is_empty() {
        aws.ecr
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| error("ecr:UntagResource", e))?;
    }
    let tags = set.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
    aws.ecr
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| error("ecr:TagResource", e))?;
    Ok(())
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let result = match have.kind.as_str() {
        "aws_ecr_repository" => {
            let force = recorded(have, "force_delete").and_then(Value::as_bool).unwrap_or(false);
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
        other => Err(unsupported(other)),
    };
    deleted(result, &["RepositoryNotFound", "LifecyclePolicyNotFound"])
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    rec: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_ecr_repository" => {
            let Some(repo) = repository(aws, &have.physical).await? else { return Ok(None) };
            seen.opt("name", repo.repository_name());
            // MUTABLE, no scan on push and AES256 are what ECR gives a repository whose
            // source does not say: not drift then.
            let mutable = repo.image_tag_mutability().map(|m| m.as_str());
            seen.opt(
                "image_tag_mutability",
                mutable.filter(|m| *m != "MUTABLE" || rec.get("image_tag_mutability").is_some()),
            );
            let scan = repo.image_scanning_configuration().map(|c| c.scan_on_push());
            if scan == Some(true) || rec.get("image_scanning_configuration").is_some() {
                seen.opt("image_scanning_configuration", scan.map(|x| json!({"scan_on_push": x})));
            }
            if let Some(c) = repo.encryption_configuration() {
                let kind = c.encryption_type().as_str();
                if kind != "AES256" || rec.get("encryption_configuration").is_some() {
                    let mut e = json!({"encryption_type": kind});
                    // Without a key named, KMS encryption uses the account's `aws/ecr` key.
                    let named = rec.get("encryption_configuration").and_then(|x| field(x, "kms_key")).is_some();
                    if let Some(k) = c.kms_key().filter(|_| named) {
                        e["kms_key"] = json!(k);
                    }
                    seen.put("encryption_configuration", e);
                }
            }
            if let Some(arn) = repo.repository_arn() {
                let out = aws
                    .ecr
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .map_err(|e| error("ecr:ListTagsForResource", e))?;
                seen.put("tags_all", tag_object(out.tags().iter().map(|t| (t.key(), t.value()))));
            }
        }
        "aws_ecr_lifecycle_policy" => {
            let Some(text) = policy(aws, &have.physical).await? else { return Ok(None) };
            seen.put("repository", have.physical.as_str());
            seen.put("policy", text);
        }
        other => return Err(unsupported(other)),
    }
    Ok(seen.done())
}
