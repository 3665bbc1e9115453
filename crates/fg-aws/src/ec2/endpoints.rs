//! VPC endpoints (interface and gateway) and VPC flow logs. An endpoint's subnets, groups,
//! route tables and private DNS change in place; a flow log cannot change at all.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType, VpcEndpoint, VpcEndpointType,
};
use fg_deploy::{CloudError, Created, Deployed, Resolved};

use super::{by_tag, ours, returned, tag_spec, tags_all};
use crate::changes::Changes;
use crate::errors::{gone, unsupported};
use crate::values::{Seen, boolean, created, s, strings};
use crate::{Aws, error};

/// An endpoint on its way out or gone. EC2 answers its states in lower case, which the
/// SDK's enum does not know, so they are compared as text.
fn ended(v: &VpcEndpoint) -> bool {
    v.state().is_some_and(|s| matches!(s.as_str().to_ascii_lowercase().as_str(), "deleted" | "deleting"))
}

/// The list attributes of an endpoint as AWS has them.
fn lists(v: &VpcEndpoint) -> [(&'static str, Vec<String>); 3] {
    let groups = v.groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
    [
        ("subnet_ids", v.subnet_ids().to_vec()),
        ("security_group_ids", groups),
        ("route_table_ids", v.route_table_ids().to_vec()),
    ]
}

pub(super) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_vpc_endpoint" => {
            let out = aws
                .ec2
                .describe_vpc_endpoints()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVpcEndpoints", e))?;
            let live = out.vpc_endpoints().iter().find(|v| !ended(v) && ours(aws, &r.id, v.tags()));
            Ok(live.and_then(|v| v.vpc_endpoint_id()).map(|id| created(id, &[])))
        }
        "aws_flow_log" => {
            let out = aws
                .ec2
                .describe_flow_logs()
                .set_filter(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeFlowLogs", e))?;
            let found = out.flow_logs().iter().find(|f| ours(aws, &r.id, f.tags()));
            Ok(found.and_then(|f| f.flow_log_id()).map(|id| created(id, &[])))
        }
        other => Err(unsupported(other)),
    }
}

/// A list attribute, or none when empty (AWS refuses an empty list on create).
fn nonempty(r: &Resolved, name: &str) -> Option<Vec<String>> {
    Some(strings(r, name)).filter(|v| !v.is_empty())
}

pub(super) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_vpc_endpoint" => {
            let out = aws
                .ec2
                .create_vpc_endpoint()
                .vpc_id(s(r, "vpc_id"))
                .service_name(s(r, "service_name"))
                .vpc_endpoint_type(VpcEndpointType::from(s(r, "vpc_endpoint_type")))
                .set_subnet_ids(nonempty(r, "subnet_ids"))
                .set_security_group_ids(nonempty(r, "security_group_ids"))
                .set_route_table_ids(nonempty(r, "route_table_ids"))
                .set_private_dns_enabled(boolean(r, "private_dns_enabled"))
                .tag_specifications(tag_spec(aws, r, ResourceType::VpcEndpoint))
                .send()
                .await
                .map_err(|e| error("ec2:CreateVpcEndpoint", e))?;
            let id = returned(out.vpc_endpoint().and_then(|v| v.vpc_endpoint_id()), "ec2:CreateVpcEndpoint")?;
            Ok(created(&id, &[]))
        }
        "aws_flow_log" => {
            let out = aws
                .ec2
                .create_flow_logs()
                .resource_type(FlowLogsResourceType::Vpc)
                .resource_ids(s(r, "vpc_id"))
                .traffic_type(TrafficType::from(s(r, "traffic_type")))
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_destination(s(r, "log_destination"))
                .deliver_logs_permission_arn(s(r, "iam_role_arn"))
                .tag_specifications(tag_spec(aws, r, ResourceType::VpcFlowLog))
                .send()
                .await
                .map_err(|e| error("ec2:CreateFlowLogs", e))?;
            if let Some(why) = out.unsuccessful().iter().find_map(|u| u.error()).and_then(|e| e.message()) {
                return Err(CloudError::new(format!("`ec2:CreateFlowLogs` failed: {why}")));
            }
            let id = returned(out.flow_log_ids().first().map(String::as_str), "ec2:CreateFlowLogs")?;
            Ok(created(&id, &[]))
        }
        other => Err(unsupported(other)),
    }
}

/// An endpoint's lists and private DNS, in one call: what is added and removed comes from
/// the endpoint as AWS has it now, so a subnet added by hand goes too.
pub(super) async fn update(aws: &Aws, r: &Resolved, have: &Deployed, ch: &mut Changes<'_>) -> Result<(), CloudError> {
    const FIELDS: &[&str] = &["subnet_ids", "security_group_ids", "route_table_ids", "private_dns_enabled"];
    if r.kind != "aws_vpc_endpoint" || !ch.any(FIELDS) {
        return Ok(());
    }
    let id = have.physical.as_str();
    let out = aws
        .ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .map_err(|e| error("ec2:DescribeVpcEndpoints", e))?;
    let Some(now) = out.vpc_endpoints().first() else {
        return Err(CloudError::new(format!("the VPC endpoint `{id}` is gone")));
    };
    let mut call = aws.ec2.modify_vpc_endpoint().vpc_endpoint_id(id);
    for (name, live) in lists(now) {
        if !ch.any(&[name]) {
            continue;
        }
        let want: BTreeSet<String> = strings(r, name).into_iter().collect();
        let have: BTreeSet<String> = live.into_iter().collect();
        let add = Some(want.difference(&have).cloned().collect::<Vec<_>>()).filter(|v| !v.is_empty());
        let remove = Some(have.difference(&want).cloned().collect::<Vec<_>>()).filter(|v| !v.is_empty());
        call = match name {
            "subnet_ids" => call.set_add_subnet_ids(add).set_remove_subnet_ids(remove),
            "security_group_ids" => call.set_add_security_group_ids(add).set_remove_security_group_ids(remove),
            _ => call.set_add_route_table_ids(add).set_remove_route_table_ids(remove),
        };
    }
    if ch.any(&["private_dns_enabled"]) {
        // Off is what an endpoint has when the source does not ask for private DNS.
        call = call.private_dns_enabled(boolean(r, "private_dns_enabled").unwrap_or(false));
    }
    call.send().await.map_err(|e| error("ec2:ModifyVpcEndpoint", e))?;
    ch.done(FIELDS);
    Ok(())
}

pub(super) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let p = have.physical.as_str();
    match have.kind.as_str() {
        "aws_vpc_endpoint" => aws
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:DeleteVpcEndpoints", e)),
        "aws_flow_log" => aws
            .ec2
            .delete_flow_logs()
            .flow_log_ids(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:DeleteFlowLogs", e)),
        other => Err(unsupported(other)),
    }
}

pub(super) async fn read(aws: &Aws, have: &Deployed) -> Result<Option<Seen>, CloudError> {
    let p = have.physical.as_str();
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_vpc_endpoint" => {
            let out = aws
                .ec2
                .describe_vpc_endpoints()
                .vpc_endpoint_ids(p)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVpcEndpoints", e));
            let Some(out) = gone(out.map(Some), &["NotFound"])? else { return Ok(None) };
            let Some(v) = out.vpc_endpoints().first().filter(|v| !ended(v)) else { return Ok(None) };
            seen.opt("vpc_id", v.vpc_id());
            seen.opt("service_name", v.service_name());
            let kind = v.vpc_endpoint_type().map(|t| t.as_str());
            seen.opt("vpc_endpoint_type", kind);
            for (name, list) in lists(v) {
                seen.put(name, list);
            }
            // A gateway endpoint has no private DNS: AWS reports false, the IR leaves it out.
            if kind.is_some_and(|k| !k.eq_ignore_ascii_case("gateway")) {
                seen.opt("private_dns_enabled", v.private_dns_enabled());
            }
            seen.put("tags_all", tags_all(v.tags()));
        }
        "aws_flow_log" => {
            let out =
                aws.ec2.describe_flow_logs().flow_log_ids(p).send().await.map_err(|e| error("ec2:DescribeFlowLogs", e));
            let Some(out) = gone(out.map(Some), &["NotFound"])? else { return Ok(None) };
            let Some(f) = out.flow_logs().first() else { return Ok(None) };
            seen.opt("vpc_id", f.resource_id());
            seen.opt("traffic_type", f.traffic_type().map(|t| t.as_str()));
            seen.opt("log_destination", f.log_destination());
            seen.opt("iam_role_arn", f.deliver_logs_permission_arn());
            seen.put("tags_all", tags_all(f.tags()));
        }
        other => return Err(unsupported(other)),
    }
    Ok(Some(seen))
}
