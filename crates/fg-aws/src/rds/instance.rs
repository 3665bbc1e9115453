//! A DB instance: created, modified in place with only what changed, read back as it will
//! be once pending changes apply, and deleted (waiting for the end).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance, Tag};
use fg_deploy::{CloudError, Created, Deployed, Observed, Resolved};
use serde_json::{Value, json};

use crate::changes::Changes;
use crate::errors::{deleted, gone};
use crate::values::{Seen, boolean, created, int, recorded, s, same, strings, tag_object};
use crate::{Aws, error};

/// What RDS has for a setting the source leaves out: sent when the source stops setting
/// it, and not drift when read. Settings missing here (a window, the engine version, the
/// port) are chosen by RDS when unset and cannot be unset: a source that stops setting
/// them leaves RDS's value alone.
fn default_of(name: &str) -> Option<Value> {
    Some(match name {
        "multi_az"
        | "publicly_accessible"
        | "iam_database_authentication_enabled"
        | "copy_tags_to_snapshot"
        | "deletion_protection" => json!(false),
        "auto_minor_version_upgrade" => json!(true),
        "backup_retention_period" => json!(1),
        // Off: no enhanced monitoring; no storage autoscaling (RDS then reports no maximum).
        "monitoring_interval" | "max_allocated_storage" => json!(0),
        "enabled_cloudwatch_logs_exports" => json!([]),
        _ => return None,
    })
}

/// The instance's outputs: what other resources refer to. A port being changed is already
/// the one to connect to once the change applies (right away: fgc applies immediately);
/// what the answer lacks (an endpoint while modifying) keeps its recorded value.
fn db_created(db: &DbInstance, before: &BTreeMap<String, String>) -> Created {
    let id = db.db_instance_identifier().unwrap_or_default();
    let endpoint = db.endpoint();
    let port = db.pending_modified_values().and_then(|p| p.port()).or(endpoint.and_then(|e| e.port()));
    let port = port.map(|p| p.to_string());
    let secret = db.master_user_secret().and_then(|s| s.secret_arn());
    let mut c = created(id, &[("identifier", id)]);
    for (k, v) in [
        ("arn", db.db_instance_arn()),
        ("address", endpoint.and_then(|e| e.address())),
        ("port", port.as_deref()),
        ("db_name", db.db_name()),
        ("username", db.master_username()),
        ("master_user_secret[0].secret_arn", secret),
    ] {
        let v = v.or(before.get(k).map(String::as_str)).unwrap_or_default();
        c.outputs.insert(k.into(), v.into());
    }
    c
}

/// An instance a run that crashed before recording it made, by its identifier.
pub(super) async fn adopt(aws: &Aws, id: &str) -> Result<Option<Created>, CloudError> {
    match describe(aws, id).await? {
        Some(db) => Ok(Some(db_created(&addressed(aws, id, db).await?, &BTreeMap::new()))),
        None => Ok(None),
    }
}

/// The instance once it has an address: RDS gives a new one its endpoint only after a few
/// minutes, and what refers to the address (a service's environment) needs the real one,
/// not an empty string.
async fn addressed(aws: &Aws, id: &str, mut db: DbInstance) -> Result<DbInstance, CloudError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45 * 60);
    while db.endpoint().and_then(|e| e.address()).is_none() {
        if tokio::time::Instant::now() > deadline {
            return Err(CloudError::new(format!("DB instance `{id}` has no endpoint after 45 minutes")));
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
        db = describe(aws, id).await?.ok_or_else(|| CloudError::new(format!("DB instance `{id}` vanished")))?;
    }
    Ok(db)
}

async fn describe(aws: &Aws, id: &str) -> Result<Option<DbInstance>, CloudError> {
    let out = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(|e| error("rds:DescribeDBInstances", e))
        .map(Some);
    Ok(gone(out, &["DBInstanceNotFound"])?.and_then(|o| o.db_instances().first().cloned()))
}

pub(super) async fn create(aws: &Aws, r: &Resolved, tags: Vec<Tag>) -> Result<Created, CloudError> {
    let i32_of = |k: &str| int(r, k).map(|n| n as i32);
    let text_of = |k: &str| r.str(k).map(str::to_string);
    let out = aws
        .rds
        .create_db_instance()
        .db_instance_identifier(s(r, "identifier"))
        .engine(s(r, "engine"))
        .set_engine_version(text_of("engine_version"))
        .db_instance_class(s(r, "instance_class"))
        .set_allocated_storage(i32_of("allocated_storage"))
        .set_max_allocated_storage(i32_of("max_allocated_storage"))
        .set_storage_type(text_of("storage_type"))
        .set_storage_encrypted(boolean(r, "storage_encrypted"))
        .set_db_name(text_of("db_name"))
        .set_master_username(text_of("username"))
        .set_manage_master_user_password(boolean(r, "manage_master_user_password"))
        .set_port(i32_of("port"))
        .set_multi_az(boolean(r, "multi_az"))
        .set_db_subnet_group_name(text_of("db_subnet_group_name"))
        .set_vpc_security_group_ids(Some(strings(r, "vpc_security_group_ids")))
        .set_publicly_accessible(boolean(r, "publicly_accessible"))
        .set_enable_iam_database_authentication(boolean(r, "iam_database_authentication_enabled"))
        .set_enable_cloudwatch_logs_exports(Some(strings(r, "enabled_cloudwatch_logs_exports")))
        .set_backup_retention_period(i32_of("backup_retention_period"))
        .set_preferred_backup_window(text_of("backup_window"))
        .set_preferred_maintenance_window(text_of("maintenance_window"))
        .set_auto_minor_version_upgrade(boolean(r, "auto_minor_version_upgrade"))
        .set_copy_tags_to_snapshot(boolean(r, "copy_tags_to_snapshot"))
        .set_deletion_protection(boolean(r, "deletion_protection"))
        .set_monitoring_interval(i32_of("monitoring_interval"))
        .set_monitoring_role_arn(text_of("monitoring_role_arn"))
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| error("rds:CreateDBInstance", e))?;
    let db = out.db_instance.ok_or_else(|| CloudError::new("CreateDBInstance returned no instance"))?;
    Ok(db_created(&addressed(aws, s(r, "identifier"), db).await?, &BTreeMap::new()))
}

/// Strings of a list, from the IR's form (`{"type": "list", "value": [{"type": "str", …}]}`)
/// or plain JSON.
fn names(v: Option<&Value>) -> Vec<String> {
    let items = match v {
        Some(Value::Object(o)) => o.get("value").and_then(Value::as_array),
        Some(Value::Array(a)) => Some(a),
        _ => None,
    };
    let text = |x: &Value| x.as_str().or_else(|| x.get("value").and_then(Value::as_str)).map(str::to_string);
    items.map(|a| a.iter().filter_map(text).collect()).unwrap_or_default()
}

/// The attributes ModifyDBInstance carries.
pub(super) const MODIFIED: &[&str] = &[
    "engine_version",
    "instance_class",
    "allocated_storage",
    "max_allocated_storage",
    "storage_type",
    "manage_master_user_password",
    "port",
    "multi_az",
    "db_subnet_group_name",
    "vpc_security_group_ids",
    "publicly_accessible",
    "iam_database_authentication_enabled",
    "enabled_cloudwatch_logs_exports",
    "backup_retention_period",
    "backup_window",
    "maintenance_window",
    "auto_minor_version_upgrade",
    "copy_tags_to_snapshot",
    "deletion_protection",
    "monitoring_interval",
    "monitoring_role_arn",
];

/// One ModifyDBInstance with what changed, applied now rather than in the maintenance
/// window. What the source stopped setting is sent as RDS's default where it has one;
/// what RDS cannot unset (a window, a version) is left as RDS has it.
pub(super) async fn modify(aws: &Aws, r: &Resolved, have: &Deployed, ch: &Changes<'_>) -> Result<Created, CloudError> {
    let changed = |k: &str| ch.any(&[k]);
    let num = |k: &str| int(r, k).or_else(|| default_of(k).and_then(|d| d.as_i64())).map(|n| n as i32);
    let flag = |k: &str| boolean(r, k).or_else(|| default_of(k).and_then(|d| d.as_bool()));
    let text = |k: &str| r.str(k).map(str::to_string);
    let mut call = aws.rds.modify_db_instance().db_instance_identifier(&have.physical).apply_immediately(true);
    if changed("engine_version") {
        // The source names the version it wants: a major upgrade is what it asks for.
        call = call.set_engine_version(text("engine_version")).allow_major_version_upgrade(true);
    }
    if changed("instance_class") {
        call = call.set_db_instance_class(text("instance_class"));
    }
    if changed("allocated_storage") {
        call = call.set_allocated_storage(num("allocated_storage"));
    }
    if changed("max_allocated_storage") {
        call = call.set_max_allocated_storage(num("max_allocated_storage"));
    }
    if changed("storage_type") {
        call = call.set_storage_type(text("storage_type"));
    }
    if changed("manage_master_user_password") {
        // Turning it off needs a password fgc does not have: RDS refuses, and says so.
        call = call.set_manage_master_user_password(boolean(r, "manage_master_user_password"));
    }
    if changed("port") {
        call = call.set_db_port_number(num("port"));
    }
    if changed("multi_az") {
        call = call.set_multi_az(flag("multi_az"));
    }
    if changed("db_subnet_group_name") {
        call = call.set_db_subnet_group_name(text("db_subnet_group_name"));
    }
    if changed("vpc_security_group_ids") {
        let groups = strings(r, "vpc_security_group_ids");
        call = call.set_vpc_security_group_ids((!groups.is_empty()).then_some(groups));
    }
    if changed("publicly_accessible") {
        call = call.set_publicly_accessible(flag("publicly_accessible"));
    }
    if changed("iam_database_authentication_enabled") {
        call = call.set_enable_iam_database_authentication(flag("iam_database_authentication_enabled"));
    }
    if let Some(c) = ch.get("enabled_cloudwatch_logs_exports") {
        // RDS takes the difference: what to turn on and off from what the instance exports
        // now (as read when it drifted, else as applied).
        let want = strings(r, "enabled_cloudwatch_logs_exports");
        let now = names(c.live.as_ref().or(c.before.as_ref()));
        let enable: Vec<String> = want.iter().filter(|l| !now.contains(l)).cloned().collect();
        let disable: Vec<String> = now.iter().filter(|l| !want.contains(l)).cloned().collect();
        call = call.cloudwatch_logs_export_configuration(
            CloudwatchLogsExportConfiguration::builder()
                .set_enable_log_types(Some(enable))
                .set_disable_log_types(Some(disable))
                .build(),
        );
    }
    if changed("backup_retention_period") {
        call = call.set_backup_retention_period(num("backup_retention_period"));
    }
    if changed("backup_window") {
        call = call.set_preferred_backup_window(text("backup_window"));
    }
    if changed("maintenance_window") {
        call = call.set_preferred_maintenance_window(text("maintenance_window"));
    }
    if changed("auto_minor_version_upgrade") {
        call = call.set_auto_minor_version_upgrade(flag("auto_minor_version_upgrade"));
    }
    if changed("copy_tags_to_snapshot") {
        call = call.set_copy_tags_to_snapshot(flag("copy_tags_to_snapshot"));
    }
    if changed("deletion_protection") {
        call = call.set_deletion_protection(flag("deletion_protection"));
    }
    // RDS checks the interval and the role together: both go when either changed.
    if ch.any(&["monitoring_interval", "monitoring_role_arn"]) {
        call = call
            .set_monitoring_interval(num("monitoring_interval"))
            .set_monitoring_role_arn(text("monitoring_role_arn"));
    }
    let out = call.send().await.map_err(|e| error("rds:ModifyDBInstance", e))?;
    Ok(out.db_instance().map_or_else(|| same(have), |db| db_created(db, &have.outputs)))
}

/// Deletes the instance, with its final snapshot unless the source skips it, and waits
/// until it is gone.
pub(super) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let id = have.physical.as_str();
    let snapshot = recorded(have, "final_snapshot_identifier").and_then(Value::as_str).unwrap_or_default();
    // A final snapshot needs a name: without one there is nothing to take.
    let skip = recorded(have, "skip_final_snapshot").and_then(Value::as_bool) == Some(true) || snapshot.is_empty();
    // `fgc destroy` is the explicit request deletion protection waits for.
    let _ = aws
        .rds
        .modify_db_instance()
        .db_instance_identifier(id)
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await;
    let out = aws
        .rds
        .delete_db_instance()
        .db_instance_identifier(id)
        .skip_final_snapshot(skip)
        .set_final_db_snapshot_identifier((!skip).then(|| snapshot.to_string()))
        .send()
        .await
        .map(drop)
        .map_err(|e| error("rds:DeleteDBInstance", e));
    deleted(out, &["DBInstanceNotFound", "already being deleted"])?;
    wait_gone(aws, id).await
}

/// Deletion takes minutes, and until it ends the instance holds its subnet group, its
/// security groups and its identifier: what goes next (or the replacement) waits for it.
async fn wait_gone(aws: &Aws, id: &str) -> Result<(), CloudError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45 * 60);
    while describe(aws, id).await?.is_some() {
        if tokio::time::Instant::now() > deadline {
            return Err(CloudError::new(format!("DB instance `{id}` is still being deleted after 45 minutes")));
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    Ok(())
}

/// An attribute as read, unless it is RDS's own choice for something the source does not
/// set (see [`default_of`]).
fn managed(recorded: &Resolved, name: &str, v: Option<Value>) -> Option<Value> {
    match (recorded.get(name), default_of(name)) {
        (Some(_), _) => v,
        (None, Some(d)) => v.filter(|v| *v != d),
        (None, None) => None,
    }
}

/// An instance as the IR writes it, each setting as it will be in force: a change RDS has
/// accepted but not applied yet (`PendingModifiedValues`) is read as made.
pub(super) async fn read(aws: &Aws, have: &Deployed, rec: &Resolved) -> Result<Option<Observed>, CloudError> {
    let Some(db) = describe(aws, &have.physical).await? else { return Ok(None) };
    // Deleted outside fgc: it will not come back.
    if db.db_instance_status() == Some("deleting") {
        return Ok(None);
    }
    let mut seen = Seen::new();
    observe(&mut seen, &db, rec);
    Ok(seen.done())
}

fn observe(seen: &mut Seen, db: &DbInstance, rec: &Resolved) {
    let pending = db.pending_modified_values();
    let mut put = |name: &str, v: Option<Value>| {
        seen.opt(name, managed(rec, name, v));
    };
    let text = |v: Option<&str>| v.map(|x| json!(x));
    put("identifier", text(db.db_instance_identifier()));
    put("engine", text(db.engine()));
    put("db_name", text(db.db_name()));
    put("username", text(db.master_username()));
    put("storage_encrypted", db.storage_encrypted().map(Value::from));
    // A version the source names by its prefix (`5.7`) is the release RDS picked for it
    // (`5.7.44`), which minor upgrades keep moving.
    let version = pending.and_then(|p| p.engine_version()).or(db.engine_version());
    let wanted = rec.str("engine_version").filter(|w| version.is_some_and(|v| v.starts_with(&format!("{w}."))));
    put("engine_version", text(wanted.or(version)));
    put("instance_class", text(pending.and_then(|p| p.db_instance_class()).or(db.db_instance_class())));
    let storage = pending.and_then(|p| p.allocated_storage()).or(db.allocated_storage());
    let max = db.max_allocated_storage().unwrap_or(0);
    // With storage autoscaling RDS grows the storage itself, up to the maximum: more than
    // the source asked for is RDS's doing, not drift.
    let grown = max > 0 && storage > int(rec, "allocated_storage").map(|n| n as i32);
    if !grown {
        put("allocated_storage", storage.map(Value::from));
    }
    put("max_allocated_storage", Some(json!(max)));
    put("storage_type", text(pending.and_then(|p| p.storage_type()).or(db.storage_type())));
    put("manage_master_user_password", Some(json!(db.master_user_secret().is_some())));
    let port = pending.and_then(|p| p.port()).or(db.endpoint().and_then(|e| e.port()));
    put("port", port.map(Value::from));
    put("multi_az", pending.and_then(|p| p.multi_az()).or(db.multi_az()).map(Value::from));
    let group = pending.and_then(|p| p.db_subnet_group_name());
    put("db_subnet_group_name", text(group.or(db.db_subnet_group().and_then(|g| g.db_subnet_group_name()))));
    let groups: Vec<&str> = db
        .vpc_security_groups()
        .iter()
        .filter(|g| g.status() != Some("removing"))
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    put("vpc_security_group_ids", Some(json!(groups)));
    put("publicly_accessible", db.publicly_accessible().map(Value::from));
    let iam = pending.and_then(|p| p.iam_database_authentication_enabled());
    put("iam_database_authentication_enabled", iam.or(db.iam_database_authentication_enabled()).map(Value::from));
    let mut logs = db.enabled_cloudwatch_logs_exports().to_vec();
    if let Some(x) = pending.and_then(|p| p.pending_cloudwatch_logs_exports()) {
        logs.retain(|l| !x.log_types_to_disable().contains(l));
        logs.extend(x.log_types_to_enable().iter().filter(|l| !logs.contains(l)).cloned().collect::<Vec<_>>());
    }
    put("enabled_cloudwatch_logs_exports", Some(json!(logs)));
    let retention = pending.and_then(|p| p.backup_retention_period()).or(db.backup_retention_period());
    put("backup_retention_period", retention.map(Value::from));
    put("backup_window", text(db.preferred_backup_window()));
    // RDS writes the window's days in lower case.
    let window = db.preferred_maintenance_window();
    let as_written = rec.str("maintenance_window").filter(|w| window.is_some_and(|x| x.eq_ignore_ascii_case(w)));
    put("maintenance_window", text(as_written.or(window)));
    put("auto_minor_version_upgrade", db.auto_minor_version_upgrade().map(Value::from));
    put("copy_tags_to_snapshot", db.copy_tags_to_snapshot().map(Value::from));
    put("deletion_protection", db.deletion_protection().map(Value::from));
    put("monitoring_interval", db.monitoring_interval().map(Value::from));
    put("monitoring_role_arn", text(db.monitoring_role_arn()));
    let tags = db.tag_list().iter().filter_map(|t| Some((t.key()?, t.value()?)));
    seen.put("tags_all", tag_object(tags));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(attrs: Value) -> Resolved {
        let attrs = attrs.as_object().map(|o| o.clone().into_iter().collect()).unwrap_or_default();
        Resolved { id: "db".into(), kind: "aws_db_instance".into(), attrs }
    }

    #[test]
    fn log_types_are_read_from_the_ir_form_and_plain_json() {
        let ir =
            json!({"type": "list", "value": [{"type": "str", "value": "audit"}, {"type": "str", "value": "error"}]});
        assert_eq!(names(Some(&ir)), ["audit", "error"]);
        assert_eq!(names(Some(&json!(["general"]))), ["general"]);
        assert!(names(None).is_empty());
    }

    #[test]
    fn a_default_is_drift_only_when_the_source_sets_the_setting() {
        let rec = recorded(json!({"multi_az": true, "backup_window": "04:00-06:00"}));
        // Set by the source: compared, whatever RDS has.
        assert_eq!(managed(&rec, "multi_az", Some(json!(false))), Some(json!(false)));
        assert_eq!(managed(&rec, "backup_window", Some(json!("01:00-02:00"))), Some(json!("01:00-02:00")));
        // Not set: RDS's default is not drift, another value is (fgc sends the default).
        assert_eq!(managed(&rec, "deletion_protection", Some(json!(false))), None);
        assert_eq!(managed(&rec, "deletion_protection", Some(json!(true))), Some(json!(true)));
        // Not set, and chosen by RDS: not compared.
        assert_eq!(managed(&rec, "maintenance_window", Some(json!("wed:06:38-wed:07:08"))), None);
    }

    #[test]
    fn an_instance_is_read_as_it_will_be_once_pending_changes_apply() {
        let db = DbInstance::builder()
            .engine_version("5.7.44")
            .db_instance_class("db.t3.micro")
            .preferred_maintenance_window("sun:02:00-sun:03:30")
            .pending_modified_values(
                aws_sdk_rds::types::PendingModifiedValues::builder().db_instance_class("db.t3.small").build(),
            )
            .build();
        let rec = recorded(json!({
            "engine_version": "5.7",
            "instance_class": "db.t3.micro",
            "maintenance_window": "Sun:02:00-Sun:03:30",
        }));
        let mut seen = Seen::new();
        observe(&mut seen, &db, &rec);
        let got: serde_json::Map<String, Value> = seen.0.into_iter().collect();
        assert_eq!(got["engine_version"], json!("5.7"));
        assert_eq!(got["instance_class"], json!("db.t3.small"));
        assert_eq!(got["maintenance_window"], json!("Sun:02:00-Sun:03:30"));
    }
}
