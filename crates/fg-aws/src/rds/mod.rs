//! RDS: DB subnet groups and DB instances. An instance changes in place wherever RDS
//! allows it (ModifyDBInstance, applied immediately, with only what changed), since a
//! replacement loses the data; it is replaced only for what RDS cannot modify (engine,
//! identifier, database name, master user, encryption at rest).
//!
//! It does not manage parameter or option groups, read replicas or snapshots other than
//! the final one a delete takes.

mod instance;

use aws_sdk_rds::types::Tag;
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};

use crate::changes::Changes;
use crate::errors::{deleted, gone, unsupported};
use crate::values::{Seen, created, s, same, strings, tag_object};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("rds:AddTagsToResource, rds:RemoveTagsFromResource");
const MODIFY: Handling = Handling::Update("rds:ModifyDBInstance");
const SUBNETS: Handling = Handling::Update("rds:ModifyDBSubnetGroup");
const ON_DELETE: Handling = Handling::Elsewhere("used when fgc deletes the instance");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_db_subnet_group",
        replace: Order::DeleteFirst("a subnet group's name is unique in its region"),
        attrs: &[
            ("name", Handling::Replace),
            ("description", SUBNETS),
            ("subnet_ids", SUBNETS),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_db_instance",
        replace: Order::DeleteFirst("an instance identifier is unique in its region"),
        attrs: &[
            ("identifier", Handling::Replace),
            ("engine", Handling::Replace),
            ("db_name", Handling::Replace),
            ("username", Handling::Replace),
            ("storage_encrypted", Handling::Replace),
            ("skip_final_snapshot", ON_DELETE),
            ("final_snapshot_identifier", ON_DELETE),
            ("engine_version", MODIFY),
            ("instance_class", MODIFY),
            ("allocated_storage", MODIFY),
            ("max_allocated_storage", MODIFY),
            ("storage_type", MODIFY),
            ("manage_master_user_password", MODIFY),
            ("port", MODIFY),
            ("multi_az", MODIFY),
            // Moving to another subnet group (even in another VPC) is a modification with an
            // outage, not a new database: the data stays.
            ("db_subnet_group_name", MODIFY),
            ("vpc_security_group_ids", MODIFY),
            ("publicly_accessible", MODIFY),
            ("iam_database_authentication_enabled", MODIFY),
            ("enabled_cloudwatch_logs_exports", MODIFY),
            ("backup_retention_period", MODIFY),
            ("backup_window", MODIFY),
            ("maintenance_window", MODIFY),
            ("auto_minor_version_upgrade", MODIFY),
            ("copy_tags_to_snapshot", MODIFY),
            ("deletion_protection", MODIFY),
            ("monitoring_interval", MODIFY),
            ("monitoring_role_arn", MODIFY),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
];

fn tags(aws: &Aws, r: &Resolved) -> Vec<Tag> {
    aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_db_instance" => instance::adopt(aws, s(r, "identifier")).await,
        "aws_db_subnet_group" => {
            let name = s(r, "name");
            let found = subnet_group(aws, name).await?;
            Ok(found.map(|g| created(name, &[("name", name), ("arn", g.db_subnet_group_arn().unwrap_or_default())])))
        }
        other => Err(unsupported(other)),
    }
}

async fn subnet_group(aws: &Aws, name: &str) -> Result<Option<aws_sdk_rds::types::DbSubnetGroup>, CloudError> {
    let out = aws
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
        .map_err(|e| error("rds:DescribeDBSubnetGroups", e))
        .map(Some);
    Ok(gone(out, &["DBSubnetGroupNotFound"])?.and_then(|o| o.db_subnet_groups().first().cloned()))
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_db_subnet_group" => {
            let out = aws
                .rds
                .create_db_subnet_group()
                .db_subnet_group_name(s(r, "name"))
                .db_subnet_group_description(s(r, "description"))
                .set_subnet_ids(Some(strings(r, "subnet_ids")))
                .set_tags(Some(tags(aws, r)))
                .send()
                .await
                .map_err(|e| error("rds:CreateDBSubnetGroup", e))?;
            let arn = out.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default();
            Ok(created(s(r, "name"), &[("name", s(r, "name")), ("arn", arn)]))
        }
        "aws_db_instance" => instance::create(aws, r, tags(aws, r)).await,
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    let mut result = same(have);
    let arn = match r.kind.as_str() {
        "aws_db_subnet_group" => {
            if ch.any(&["description", "subnet_ids"]) {
                // The subnets are required even when only the description changed.
                let mut call = aws
                    .rds
                    .modify_db_subnet_group()
                    .db_subnet_group_name(&have.physical)
                    .set_subnet_ids(Some(strings(r, "subnet_ids")));
                if ch.any(&["description"]) {
                    call = call.db_subnet_group_description(s(r, "description"));
                }
                call.send().await.map_err(|e| error("rds:ModifyDBSubnetGroup", e))?;
                ch.done(&["description", "subnet_ids"]);
            }
            match have.outputs.get("arn").filter(|a| !a.is_empty()) {
                Some(arn) => arn.clone(),
                None => subnet_group(aws, &have.physical)
                    .await?
                    .and_then(|g| g.db_subnet_group_arn().map(str::to_string))
                    .unwrap_or_default(),
            }
        }
        "aws_db_instance" => {
            if ch.any(instance::MODIFIED) {
                result = instance::modify(aws, r, have, ch).await?;
                ch.done(instance::MODIFIED);
            }
            have.outputs.get("arn").cloned().unwrap_or_default()
        }
        other => return Err(unsupported(other)),
    };
    if let Some((set, removed)) = ch.tags(r) {
        if !removed.is_empty() {
            aws.rds
                .remove_tags_from_resource()
                .resource_name(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|e| error("rds:RemoveTagsFromResource", e))?;
        }
        let tags = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        aws.rds
            .add_tags_to_resource()
            .resource_name(&arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| error("rds:AddTagsToResource", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(result)
}

pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    match have.kind.as_str() {
        "aws_db_subnet_group" => {
            let out = aws
                .rds
                .delete_db_subnet_group()
                .db_subnet_group_name(&have.physical)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("rds:DeleteDBSubnetGroup", e));
            deleted(out, &["DBSubnetGroupNotFound"])
        }
        "aws_db_instance" => instance::delete(aws, have).await,
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    rec: &Resolved,
    _: &State,
) -> Result<Option<Observed>, CloudError> {
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_db_subnet_group" => {
            let Some(g) = subnet_group(aws, &have.physical).await? else { return Ok(None) };
            seen.opt("name", g.db_subnet_group_name());
            seen.opt("description", g.db_subnet_group_description());
            let subnets: Vec<&str> = g.subnets().iter().filter_map(|x| x.subnet_identifier()).collect();
            seen.put("subnet_ids", subnets);
            if let Some(arn) = g.db_subnet_group_arn() {
                let out = aws
                    .rds
                    .list_tags_for_resource()
                    .resource_name(arn)
                    .send()
                    .await
                    .map_err(|e| error("rds:ListTagsForResource", e))?;
                seen.put("tags_all", tag_object(out.tag_list().iter().filter_map(|t| Some((t.key()?, t.value()?)))));
            }
        }
        "aws_db_instance" => return instance::read(aws, have, rec).await,
        other => return Err(unsupported(other)),
    }
    Ok(seen.done())
}
