//! CloudWatch Logs: log groups, with their retention and the KMS key that encrypts them.
//!
//! A log group's `arn` output is the ARN without the `:*` that DescribeLogGroups appends
//! (policies add it themselves). Replacing a log group deletes its logs, so everything but
//! its name changes in place. Not here: streams, metric and subscription filters.

use aws_sdk_cloudwatchlogs::types::LogGroup;
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};

use crate::changes::Changes;
use crate::errors::{deleted, unsupported};
use crate::values::{Seen, created, int, s, same, tag_object};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("logs:TagResource, logs:UntagResource");

pub(crate) const KINDS: &[KindSpec] = &[KindSpec {
    kind: "aws_cloudwatch_log_group",
    replace: Order::DeleteFirst("a log group's name is unique in its region"),
    attrs: &[
        ("name", Handling::Replace),
        ("retention_in_days", Handling::Update("logs:PutRetentionPolicy, logs:DeleteRetentionPolicy")),
        ("kms_key_id", Handling::Update("logs:AssociateKmsKey, logs:DisassociateKmsKey")),
        ("tags", TAGS),
        ("tags_all", TAGS),
    ],
}];

fn log_created(name: &str, g: &LogGroup) -> Created {
    created(name, &[("name", name), ("arn", &arn_of(g))])
}

/// The ARN tags and policies take: without the `:*` of `arn`.
fn arn_of(g: &LogGroup) -> String {
    g.log_group_arn().or(g.arn()).unwrap_or_default().trim_end_matches(":*").to_string()
}

/// The log group of exactly this name (DescribeLogGroups matches by prefix).
async fn find(aws: &Aws, name: &str) -> Result<Option<LogGroup>, CloudError> {
    let mut token = None;
    loop {
        let page = aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| error("logs:DescribeLogGroups", e))?;
        if let Some(g) = page.log_groups().iter().find(|g| g.log_group_name() == Some(name)) {
            return Ok(Some(g.clone()));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(None);
        }
    }
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_cloudwatch_log_group" => Ok(find(aws, s(r, "name")).await?.map(|g| log_created(s(r, "name"), &g))),
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    if r.kind != "aws_cloudwatch_log_group" {
        return Err(unsupported(&r.kind));
    }
    let name = s(r, "name");
    aws.logs
        .create_log_group()
        .log_group_name(name)
        .set_kms_key_id(r.str("kms_key_id").map(str::to_string))
        .set_tags(Some(aws.tags(r).into_iter().collect()))
        .send()
        .await
        .map_err(|e| error("logs:CreateLogGroup", e))?;
    if int(r, "retention_in_days").is_some() {
        retention(aws, r).await?;
    }
    let g = find(aws, name)
        .await?
        .ok_or_else(|| CloudError::new(format!("log group `{name}` is gone after its creation")))?;
    Ok(log_created(name, &g))
}

/// The retention as the source says: a number of days, or none (kept forever).
async fn retention(aws: &Aws, r: &Resolved) -> Result<(), CloudError> {
    let name = s(r, "name");
    match int(r, "retention_in_days") {
        Some(days) => aws
            .logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days as i32)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("logs:PutRetentionPolicy", e)),
        None => aws
            .logs
            .delete_retention_policy()
            .log_group_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("logs:DeleteRetentionPolicy", e)),
    }
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    if r.kind != "aws_cloudwatch_log_group" {
        return Err(unsupported(&r.kind));
    }
    let name = s(r, "name");
    if ch.any(&["retention_in_days"]) {
        retention(aws, r).await?;
        ch.done(&["retention_in_days"]);
    }
    if ch.any(&["kms_key_id"]) {
        // New events are encrypted with the new key; what was written stays readable.
        match r.str("kms_key_id") {
            Some(key) => aws
                .logs
                .associate_kms_key()
                .log_group_name(name)
                .kms_key_id(key)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("logs:AssociateKmsKey", e))?,
            None => aws
                .logs
                .disassociate_kms_key()
                .log_group_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("logs:DisassociateKmsKey", e))?,
        }
        ch.done(&["kms_key_id"]);
    }
    if let Some((set, removed)) = ch.tags(r) {
        let arn = match have.outputs.get("arn").filter(|a| !a.is_empty()) {
            Some(a) => a.clone(),
            None => find(aws, name).await?.map(|g| arn_of(&g)).unwrap_or_default(),
        };
        if !removed.is_empty() {
            aws.logs
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("logs:UntagResource", e))?;
        }
        aws.logs
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| error("logs:TagResource", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    if have.kind != "aws_cloudwatch_log_group" {
        return Err(unsupported(&have.kind));
    }
    let result = aws
        .logs
        .delete_log_group()
        .log_group_name(&have.physical)
        .send()
        .await
        .map(drop)
        .map_err(|e| error("logs:DeleteLogGroup", e));
    deleted(result, &["ResourceNotFoundException"])
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    recorded: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    if have.kind != "aws_cloudwatch_log_group" {
        return Err(unsupported(&have.kind));
    }
    let Some(g) = find(aws, &have.physical).await? else { return Ok(None) };
    let mut seen = Seen::new();
    seen.opt("name", g.log_group_name());
    // Absent when the logs are kept forever, as when the source sets no retention.
    seen.or_null(recorded, "retention_in_days", g.retention_in_days());
    seen.or_null(recorded, "kms_key_id", g.kms_key_id());
    let tags = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn_of(&g))
        .send()
        .await
        .map_err(|e| error("logs:ListTagsForResource", e))?;
    let tags = tags.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()));
    seen.put("tags_all", tag_object(tags));
    Ok(seen.done())
}
