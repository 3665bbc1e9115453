//! KMS: the customer managed key that encrypts the stack's logs.
//!
//! A key has no name, so a replacement creates the new key first; the old one is scheduled
//! for deletion (after `deletion_window_in_days`), never deleted at once. A key pending
//! deletion counts as gone: nothing can use it, and only a person cancels that. Not here:
//! aliases, grants, multi-Region replicas, enabling or disabling a key.

use aws_sdk_kms::types::{KeyState, Tag};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};

use crate::changes::Changes;
use crate::errors::{deleted, gone, unsupported};
use crate::values::{Seen, boolean, created, recorded, same, tag_object};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("kms:TagResource, kms:UntagResource");

pub(crate) const KINDS: &[KindSpec] = &[KindSpec {
    kind: "aws_kms_key",
    replace: Order::CreateFirst,
    attrs: &[
        ("description", Handling::Update("kms:UpdateKeyDescription")),
        ("policy", Handling::Update("kms:PutKeyPolicy")),
        ("enable_key_rotation", Handling::Update("kms:EnableKeyRotation, kms:DisableKeyRotation")),
        (
            "deletion_window_in_days",
            Handling::Elsewhere("the waiting period fgc asks for when it schedules the key's deletion"),
        ),
        ("tags", TAGS),
        ("tags_all", TAGS),
    ],
}];

const NOT_FOUND: &[&str] = &["NotFoundException"];

fn key_created(id: &str, arn: &str) -> Created {
    created(id, &[("key_id", id), ("arn", arn)])
}

fn tags(set: Vec<(String, String)>) -> Vec<Tag> {
    set.into_iter().filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok()).collect()
}

/// A key's tags, every page.
async fn tags_of(aws: &Aws, id: &str) -> Result<Vec<(String, String)>, CloudError> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let page = aws
            .kms
            .list_resource_tags()
            .key_id(id)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| error("kms:ListResourceTags", e))?;
        all.extend(page.tags().iter().map(|t| (t.tag_key().to_string(), t.tag_value().to_string())));
        marker = page.next_marker().filter(|_| page.truncated()).map(str::to_string);
        if marker.is_none() {
            return Ok(all);
        }
    }
}

/// The enabled key this stack tagged with the resource's `fgc:id`: a key has no name to
/// find it by, so every key's tags are read (only when the state lost track of one).
pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    if r.kind != "aws_kms_key" {
        return Err(unsupported(&r.kind));
    }
    let mut marker = None;
    loop {
        let page = aws.kms.list_keys().set_marker(marker).send().await.map_err(|e| error("kms:ListKeys", e))?;
        for id in page.keys().iter().filter_map(|k| k.key_id()) {
            // AWS managed keys refuse to list their tags: not ours.
            let Ok(tags) = tags_of(aws, id).await else { continue };
            let tagged = |key: &str, value: &str| tags.iter().any(|(k, v)| k == key && v == value);
            let stack = aws.stack_tags.iter().all(|(k, v)| !k.starts_with("fgc:") || tagged(k, v));
            if !(tagged("fgc:id", &r.id) && stack) {
                continue;
            }
            let out = aws.kms.describe_key().key_id(id).send().await.map_err(|e| error("kms:DescribeKey", e))?;
            if let Some(m) = out.key_metadata().filter(|m| m.key_state() == Some(&KeyState::Enabled)) {
                return Ok(Some(key_created(id, m.arn().unwrap_or_default())));
            }
        }
        marker = page.next_marker().filter(|_| page.truncated()).map(str::to_string);
        if marker.is_none() {
            return Ok(None);
        }
    }
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    if r.kind != "aws_kms_key" {
        return Err(unsupported(&r.kind));
    }
    let out = aws
        .kms
        .create_key()
        .set_description(r.str("description").map(str::to_string))
        .set_policy(r.str("policy").map(str::to_string))
        .set_tags(Some(tags(aws.tags(r))))
        .send()
        .await
        .map_err(|e| error("kms:CreateKey", e))?;
    let meta = out.key_metadata().ok_or_else(|| CloudError::new("CreateKey returned no key"))?;
    let id = meta.key_id().to_string();
    if boolean(r, "enable_key_rotation") == Some(true) {
        rotation(aws, &id, true).await?;
    }
    Ok(key_created(&id, meta.arn().unwrap_or_default()))
}

async fn rotation(aws: &Aws, id: &str, on: bool) -> Result<(), CloudError> {
    if on {
        aws.kms.enable_key_rotation().key_id(id).send().await.map_err(|e| error("kms:EnableKeyRotation", e))?;
    } else {
        aws.kms.disable_key_rotation().key_id(id).send().await.map_err(|e| error("kms:DisableKeyRotation", e))?;
    }
    Ok(())
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    if r.kind != "aws_kms_key" {
        return Err(unsupported(&r.kind));
    }
    let id = have.physical.as_str();
    if ch.any(&["description"]) {
        aws.kms
            .update_key_description()
            .key_id(id)
            .description(r.str("description").unwrap_or_default())
            .send()
            .await
            .map_err(|e| error("kms:UpdateKeyDescription", e))?;
        ch.done(&["description"]);
    }
    if ch.any(&["policy"]) {
        let Some(policy) = r.str("policy") else {
            return Err(CloudError {
                message: "a KMS key always has a key policy: fgc cannot remove it".into(),
                help: Some("keep a `policy` on the key, or write the default policy out".into()),
            });
        };
        aws.kms
            .put_key_policy()
            .key_id(id)
            .policy_name("default")
            .policy(policy)
            .send()
            .await
            .map_err(|e| error("kms:PutKeyPolicy", e))?;
        ch.done(&["policy"]);
    }
    if ch.any(&["enable_key_rotation"]) {
        rotation(aws, id, boolean(r, "enable_key_rotation") == Some(true)).await?;
        ch.done(&["enable_key_rotation"]);
    }
    if let Some((set, removed)) = ch.tags(r) {
        if !removed.is_empty() {
            aws.kms
                .untag_resource()
                .key_id(id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("kms:UntagResource", e))?;
        }
        aws.kms
            .tag_resource()
            .key_id(id)
            .set_tags(Some(tags(set)))
            .send()
            .await
            .map_err(|e| error("kms:TagResource", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    if have.kind != "aws_kms_key" {
        return Err(unsupported(&have.kind));
    }
    let days = recorded(have, "deletion_window_in_days").and_then(|v| v.as_i64()).unwrap_or(30);
    let result = aws
        .kms
        .schedule_key_deletion()
        .key_id(&have.physical)
        .pending_window_in_days(days as i32)
        .send()
        .await
        .map(drop)
        .map_err(|e| error("kms:ScheduleKeyDeletion", e));
    deleted(result, &[NOT_FOUND, &["pending deletion"]].concat())
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    recorded: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    if have.kind != "aws_kms_key" {
        return Err(unsupported(&have.kind));
    }
    let id = have.physical.as_str();
    let out = aws.kms.describe_key().key_id(id).send().await.map_err(|e| error("kms:DescribeKey", e));
    let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
    let Some(meta) = out.key_metadata() else { return Ok(None) };
    if matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
        return Ok(None);
    }
    let mut seen = Seen::new();
    // KMS reports an empty description when none was set.
    seen.or_null(recorded, "description", meta.description().filter(|d| !d.is_empty()));
    // A key created without a policy has KMS's default one, which the source does not write.
    if recorded.get("policy").is_some() {
        let policy = aws
            .kms
            .get_key_policy()
            .key_id(id)
            .policy_name("default")
            .send()
            .await
            .map_err(|e| error("kms:GetKeyPolicy", e))?;
        seen.opt("policy", policy.policy());
    }
    let rotating = aws
        .kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .map_err(|e| error("kms:GetKeyRotationStatus", e))?
        .key_rotation_enabled();
    // Rotation is off unless asked for: off and unset are the same.
    if rotating || recorded.get("enable_key_rotation").is_some() {
        seen.put("enable_key_rotation", rotating);
    }
    let tags = tags_of(aws, id).await?;
    seen.put("tags_all", tag_object(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    Ok(seen.done())
}
