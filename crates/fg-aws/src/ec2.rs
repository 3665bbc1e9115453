//! The network: VPC, subnets, gateways, routes, addresses, security groups and their
//! rules, flow logs.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, IpPermission, IpRange, LogDestinationType, ResourceType,
    SecurityGroupRuleRequest, Tag, TagSpecification, TrafficType, UserIdGroupPair,
};
use fg_deploy::{CloudError, Created, Deployed, Resolved};

use crate::{Aws, created, error, int, s};

pub const KINDS: &[&str] = &[
    "aws_vpc",
    "aws_default_security_group",
    "aws_internet_gateway",
    "aws_subnet",
    "aws_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_eip",
    "aws_nat_gateway",
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_flow_log",
    "aws_vpc_endpoint",
];

fn tag_spec(aws: &Aws, r: &Resolved, kind: ResourceType) -> TagSpecification {
    let tags = aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
    TagSpecification::builder().resource_type(kind).set_tags(Some(tags.collect())).build()
}

impl Aws {
    /// Finds what this stack (app and environment) created for the resource `id`: ids
    /// repeat across stacks (`network.vpc/vpc`), the stack's tags tell them apart.
    fn by_tag(&self, id: &str) -> Vec<Filter> {
        let mut filters = vec![Filter::builder().name("tag:fgc:id").values(id).build()];
        for key in ["fgc:app", "fgc:env"] {
            if let Some(v) = self.stack_tags.get(key) {
                filters.push(Filter::builder().name(format!("tag:{key}")).values(v).build());
            }
        }
        filters
    }
}

pub async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    let one = |id: Option<&str>| id.map(|i| created(i, &[]));
    Ok(match r.kind.as_str() {
        "aws_vpc" => {
            let out = aws
                .ec2
                .describe_vpcs()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVpcs", e))?;
            one(out.vpcs().first().and_then(|v| v.vpc_id()))
        }
        "aws_subnet" => {
            let out = aws
                .ec2
                .describe_subnets()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSubnets", e))?;
            one(out.subnets().first().and_then(|v| v.subnet_id()))
        }
        "aws_internet_gateway" => {
            let out = aws
                .ec2
                .describe_internet_gateways()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeInternetGateways", e))?;
            one(out.internet_gateways().first().and_then(|v| v.internet_gateway_id()))
        }
        "aws_route_table" => {
            let out = aws
                .ec2
                .describe_route_tables()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            one(out.route_tables().first().and_then(|v| v.route_table_id()))
        }
        "aws_eip" => {
            let out = aws
                .ec2
                .describe_addresses()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeAddresses", e))?;
            out.addresses().first().and_then(|a| {
                let id = a.allocation_id()?;
                Some(created(id, &[("public_ip", a.public_ip().unwrap_or_default())]))
            })
        }
        "aws_nat_gateway" => {
            let out = aws
                .ec2
                .describe_nat_gateways()
                .set_filter(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeNatGateways", e))?;
            let live = out.nat_gateways().iter().find(|n| {
                !matches!(
                    n.state(),
                    Some(aws_sdk_ec2::types::NatGatewayState::Deleted | aws_sdk_ec2::types::NatGatewayState::Deleting)
                )
            });
            one(live.and_then(|n| n.nat_gateway_id()))
        }
        "aws_security_group" => {
            let out = aws
                .ec2
                .describe_security_groups()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
            out.security_groups().first().and_then(|g| g.group_id()).map(|id| created(id, &[("arn", id)]))
        }
        "aws_flow_log" => {
            let out = aws
                .ec2
                .describe_flow_logs()
                .set_filter(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeFlowLogs", e))?;
            one(out.flow_logs().first().and_then(|f| f.flow_log_id()))
        }
        "aws_route" => {
            let table = s(r, "route_table_id");
            let out = aws
                .ec2
                .describe_route_tables()
                .route_table_ids(table)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            let dest = s(r, "destination_cidr_block");
            let exists =
                out.route_tables().iter().flat_map(|t| t.routes()).any(|x| x.destination_cidr_block() == Some(dest));
            exists.then(|| created(&format!("{table}|{dest}"), &[]))
        }
        "aws_route_table_association" => {
            let out = aws
                .ec2
                .describe_route_tables()
                .route_table_ids(s(r, "route_table_id"))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            let subnet = s(r, "subnet_id");
            let found =
                out.route_tables().iter().flat_map(|t| t.associations()).find(|a| a.subnet_id() == Some(subnet));
            one(found.and_then(|a| a.route_table_association_id()))
        }
        "aws_default_security_group" => {
            // Taken over once tagged, which is the last step of taking it over.
            let id = default_group(aws, s(r, "vpc_id")).await?;
            let out = aws
                .ec2
                .describe_security_groups()
                .group_ids(&id)
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
            (!out.security_groups().is_empty()).then(|| created(&id, &[]))
        }
        "aws_vpc_endpoint" => {
            let out = aws
                .ec2
                .describe_vpc_endpoints()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVpcEndpoints", e))?;
            let live = out.vpc_endpoints().iter().find(|v| {
                !matches!(v.state(), Some(aws_sdk_ec2::types::State::Deleted | aws_sdk_ec2::types::State::Deleting))
            });
            one(live.and_then(|v| v.vpc_endpoint_id()))
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            let out = aws
                .ec2
                .describe_security_group_rules()
                .set_filters(Some(aws.by_tag(&r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroupRules", e))?;
            let group = s(r, "security_group_id");
            out.security_group_rules()
                .first()
                .and_then(|x| x.security_group_rule_id())
                .map(|id| created(id, &[("security_group_rule_id", id), ("security_group_id", group)]))
        }
        _ => None,
    })
}

async fn default_group(aws: &Aws, vpc: &str) -> Result<String, CloudError> {
    let out = aws
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(Filter::builder().name("group-name").values("default").build())
        .send()
        .await
        .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
    out.security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(str::to_string)
        .ok_or_else(|| CloudError::new(format!("the VPC `{vpc}` has no default security group")))
}

pub async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    aws.mutate();
    match r.kind.as_str() {
        "aws_vpc" => {
            let out = aws
                .ec2
                .create_vpc()
                .cidr_block(s(r, "cidr_block"))
                .tag_specifications(tag_spec(aws, r, ResourceType::Vpc))
                .send()
                .await
                .map_err(|e| error("ec2:CreateVpc", e))?;
            let id = out.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_string();
            vpc_attributes(aws, r, &id).await?;
            Ok(created(&id, &[("cidr_block", s(r, "cidr_block"))]))
        }
        "aws_default_security_group" => {
            // The VPC's own group: fgc takes every rule away and tags it.
            let id = default_group(aws, s(r, "vpc_id")).await?;
            strip_rules(aws, &id).await?;
            let tags = aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
            aws.ec2
                .create_tags()
                .resources(&id)
                .set_tags(Some(tags.collect()))
                .send()
                .await
                .map_err(|e| error("ec2:CreateTags", e))?;
            Ok(created(&id, &[]))
        }
        "aws_internet_gateway" => {
            let out = aws
                .ec2
                .create_internet_gateway()
                .tag_specifications(tag_spec(aws, r, ResourceType::InternetGateway))
                .send()
                .await
                .map_err(|e| error("ec2:CreateInternetGateway", e))?;
            let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
            aws.ec2
                .attach_internet_gateway()
                .internet_gateway_id(&id)
                .vpc_id(s(r, "vpc_id"))
                .send()
                .await
                .map_err(|e| error("ec2:AttachInternetGateway", e))?;
            Ok(created(&id, &[]))
        }
        "aws_subnet" => {
            let out = aws
                .ec2
                .create_subnet()
                .vpc_id(s(r, "vpc_id"))
                .cidr_block(s(r, "cidr_block"))
                .availability_zone(s(r, "availability_zone"))
                .tag_specifications(tag_spec(aws, r, ResourceType::Subnet))
                .send()
                .await
                .map_err(|e| error("ec2:CreateSubnet", e))?;
            let id = out.subnet().and_then(|x| x.subnet_id()).unwrap_or_default().to_string();
            if r.get("map_public_ip_on_launch").and_then(|v| v.as_bool()) == Some(true) {
                aws.ec2
                    .modify_subnet_attribute()
                    .subnet_id(&id)
                    .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
                    .send()
                    .await
                    .map_err(|e| error("ec2:ModifySubnetAttribute", e))?;
            }
            Ok(created(&id, &[]))
        }
        "aws_route_table" => {
            let out = aws
                .ec2
                .create_route_table()
                .vpc_id(s(r, "vpc_id"))
                .tag_specifications(tag_spec(aws, r, ResourceType::RouteTable))
                .send()
                .await
                .map_err(|e| error("ec2:CreateRouteTable", e))?;
            Ok(created(out.route_table().and_then(|t| t.route_table_id()).unwrap_or_default(), &[]))
        }
        "aws_route" => {
            let table = s(r, "route_table_id");
            let dest = s(r, "destination_cidr_block");
            let mut call = aws.ec2.create_route().route_table_id(table).destination_cidr_block(dest);
            if let Some(g) = r.str("gateway_id") {
                call = call.gateway_id(g);
            }
            if let Some(n) = r.str("nat_gateway_id") {
                call = call.nat_gateway_id(n);
            }
            call.send().await.map_err(|e| error("ec2:CreateRoute", e))?;
            Ok(created(&format!("{table}|{dest}"), &[]))
        }
        "aws_route_table_association" => {
            let out = aws
                .ec2
                .associate_route_table()
                .route_table_id(s(r, "route_table_id"))
                .subnet_id(s(r, "subnet_id"))
                .send()
                .await
                .map_err(|e| error("ec2:AssociateRouteTable", e))?;
            Ok(created(out.association_id().unwrap_or_default(), &[]))
        }
        "aws_eip" => {
            let out = aws
                .ec2
                .allocate_address()
                .domain(DomainType::Vpc)
                .tag_specifications(tag_spec(aws, r, ResourceType::ElasticIp))
                .send()
                .await
                .map_err(|e| error("ec2:AllocateAddress", e))?;
            Ok(created(out.allocation_id().unwrap_or_default(), &[("public_ip", out.public_ip().unwrap_or_default())]))
        }
        "aws_nat_gateway" => {
            let out = aws
                .ec2
                .create_nat_gateway()
                .subnet_id(s(r, "subnet_id"))
                .allocation_id(s(r, "allocation_id"))
                .tag_specifications(tag_spec(aws, r, ResourceType::Natgateway))
                .send()
                .await
                .map_err(|e| error("ec2:CreateNatGateway", e))?;
            Ok(created(out.nat_gateway().and_then(|n| n.nat_gateway_id()).unwrap_or_default(), &[]))
        }
        "aws_security_group" => {
            let out = aws
                .ec2
                .create_security_group()
                .group_name(s(r, "name"))
                .description(s(r, "description"))
                .vpc_id(s(r, "vpc_id"))
                .tag_specifications(tag_spec(aws, r, ResourceType::SecurityGroup))
                .send()
                .await
                .map_err(|e| error("ec2:CreateSecurityGroup", e))?;
            let id = out.group_id().unwrap_or_default().to_string();
            // As Terraform does: no rule but the ones declared, not even "all out".
            strip_rules(aws, &id).await?;
            Ok(created(&id, &[("arn", out.security_group_arn().unwrap_or_default())]))
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => rule(aws, r).await,
        "aws_vpc_endpoint" => {
            let out = aws
                .ec2
                .create_vpc_endpoint()
                .vpc_id(s(r, "vpc_id"))
                .service_name(s(r, "service_name"))
                .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::from(s(r, "vpc_endpoint_type")))
                .set_subnet_ids(Some(crate::strings(r, "subnet_ids")).filter(|v| !v.is_empty()))
                .set_security_group_ids(Some(crate::strings(r, "security_group_ids")).filter(|v| !v.is_empty()))
                .set_route_table_ids(Some(crate::strings(r, "route_table_ids")).filter(|v| !v.is_empty()))
                .set_private_dns_enabled(crate::boolean(r, "private_dns_enabled"))
                .tag_specifications(tag_spec(aws, r, ResourceType::VpcEndpoint))
                .send()
                .await
                .map_err(|e| error("ec2:CreateVpcEndpoint", e))?;
            Ok(created(out.vpc_endpoint().and_then(|v| v.vpc_endpoint_id()).unwrap_or_default(), &[]))
        }
        "aws_flow_log" => {
            let out = aws
                .ec2
                .create_flow_logs()
                .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
                .resource_ids(s(r, "vpc_id"))
                .traffic_type(TrafficType::from(s(r, "traffic_type")))
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_destination(s(r, "log_destination"))
                .deliver_logs_permission_arn(s(r, "iam_role_arn"))
                .tag_specifications(tag_spec(aws, r, ResourceType::VpcFlowLog))
                .send()
                .await
                .map_err(|e| error("ec2:CreateFlowLogs", e))?;
            Ok(created(out.flow_log_ids().first().map(String::as_str).unwrap_or_default(), &[]))
        }
        other => Err(crate::unsupported(other)),
    }
}

async fn vpc_attributes(aws: &Aws, r: &Resolved, id: &str) -> Result<(), CloudError> {
    // EC2 takes one attribute per call.
    for (attr, support) in [("enable_dns_support", true), ("enable_dns_hostnames", false)] {
        let Some(on) = crate::boolean(r, attr) else { continue };
        let value = AttributeBooleanValue::builder().value(on).build();
        let call = aws.ec2.modify_vpc_attribute().vpc_id(id);
        let call = if support { call.enable_dns_support(value) } else { call.enable_dns_hostnames(value) };
        call.send().await.map_err(|e| error("ec2:ModifyVpcAttribute", e))?;
    }
    Ok(())
}

/// Removes every rule of a security group.
async fn strip_rules(aws: &Aws, id: &str) -> Result<(), CloudError> {
    let out = aws
        .ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(id).build())
        .send()
        .await
        .map_err(|e| error("ec2:DescribeSecurityGroupRules", e))?;
    let (egress, ingress): (Vec<_>, Vec<_>) =
        out.security_group_rules().iter().partition(|x| x.is_egress() == Some(true));
    let ids = |rules: Vec<&aws_sdk_ec2::types::SecurityGroupRule>| -> Vec<String> {
        rules.iter().filter_map(|x| x.security_group_rule_id().map(str::to_string)).collect()
    };
    let (egress, ingress) = (ids(egress), ids(ingress));
    if !egress.is_empty() {
        aws.ec2
            .revoke_security_group_egress()
            .group_id(id)
            .set_security_group_rule_ids(Some(egress))
            .send()
            .await
            .map_err(|e| error("ec2:RevokeSecurityGroupEgress", e))?;
    }
    if !ingress.is_empty() {
        aws.ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .set_security_group_rule_ids(Some(ingress))
            .send()
            .await
            .map_err(|e| error("ec2:RevokeSecurityGroupIngress", e))?;
    }
    Ok(())
}

/// The permission a rule resource grants.
fn permission(r: &Resolved) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(s(r, "ip_protocol"));
    if let (Some(from), Some(to)) = (int(r, "from_port"), int(r, "to_port")) {
        p = p.from_port(from as i32).to_port(to as i32);
    }
    let description = r.str("description");
    if let Some(cidr) = r.str("cidr_ipv4") {
        p = p.ip_ranges(IpRange::builder().cidr_ip(cidr).set_description(description.map(str::to_string)).build());
    }
    if let Some(group) = r.str("referenced_security_group_id") {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder().group_id(group).set_description(description.map(str::to_string)).build(),
        );
    }
    p.build()
}

async fn rule(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    let group = s(r, "security_group_id");
    let kind = ResourceType::SecurityGroupRule;
    let ids: Vec<String> = if r.kind == "aws_vpc_security_group_ingress_rule" {
        let out = aws
            .ec2
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(permission(r))
            .tag_specifications(tag_spec(aws, r, kind))
            .send()
            .await
            .map_err(|e| error("ec2:AuthorizeSecurityGroupIngress", e))?;
        out.security_group_rules().iter().filter_map(|x| x.security_group_rule_id().map(str::to_string)).collect()
    } else {
        let out = aws
            .ec2
            .authorize_security_group_egress()
            .group_id(group)
            .ip_permissions(permission(r))
            .tag_specifications(tag_spec(aws, r, kind))
            .send()
            .await
            .map_err(|e| error("ec2:AuthorizeSecurityGroupEgress", e))?;
        out.security_group_rules().iter().filter_map(|x| x.security_group_rule_id().map(str::to_string)).collect()
    };
    let id = ids.first().cloned().unwrap_or_else(|| format!("{group}|{}", r.id));
    Ok(created(&id, &[("security_group_rule_id", &id), ("security_group_id", group)]))
}

pub async fn update(aws: &Aws, r: &Resolved, have: &Deployed, changed: &[&str]) -> Result<Created, CloudError> {
    aws.mutate();
    if changed.contains(&"tags") {
        let tags = aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
        aws.ec2
            .create_tags()
            .resources(&have.physical)
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .map_err(|e| error("ec2:CreateTags", e))?;
    }
    match r.kind.as_str() {
        "aws_vpc" => vpc_attributes(aws, r, &have.physical).await?,
        "aws_subnet" if changed.contains(&"map_public_ip_on_launch") => {
            let on = crate::boolean(r, "map_public_ip_on_launch").unwrap_or(false);
            aws.ec2
                .modify_subnet_attribute()
                .subnet_id(&have.physical)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
                .send()
                .await
                .map_err(|e| error("ec2:ModifySubnetAttribute", e))?;
        }
        "aws_route" => {
            let (table, dest) = have.physical.split_once('|').unwrap_or_default();
            let mut call = aws.ec2.replace_route().route_table_id(table).destination_cidr_block(dest);
            if let Some(g) = r.str("gateway_id") {
                call = call.gateway_id(g);
            }
            if let Some(n) = r.str("nat_gateway_id") {
                call = call.nat_gateway_id(n);
            }
            call.send().await.map_err(|e| error("ec2:ReplaceRoute", e))?;
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            let rule = SecurityGroupRuleRequest::builder()
                .ip_protocol(s(r, "ip_protocol"))
                .set_from_port(int(r, "from_port").map(|p| p as i32))
                .set_to_port(int(r, "to_port").map(|p| p as i32))
                .set_cidr_ipv4(r.str("cidr_ipv4").map(str::to_string))
                .set_referenced_group_id(r.str("referenced_security_group_id").map(str::to_string))
                .set_description(r.str("description").map(str::to_string))
                .build();
            aws.ec2
                .modify_security_group_rules()
                .group_id(s(r, "security_group_id"))
                .security_group_rules(
                    aws_sdk_ec2::types::SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(&have.physical)
                        .security_group_rule(rule)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| error("ec2:ModifySecurityGroupRules", e))?;
        }
        _ => {}
    }
    Ok(Created { physical: have.physical.clone(), outputs: have.outputs.clone() })
}

/// Deletes, retrying while AWS still sees something in the way: a NAT gateway's address
/// stays mapped, and a load balancer's network interfaces stay in its subnets and groups,
/// for a while after their own deletion returns.
pub async fn delete(aws: &Aws, id: &str, have: &Deployed) -> Result<(), CloudError> {
    let mut pause = std::time::Duration::from_secs(2);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        match delete_once(aws, id, have).await {
            Err(e) if in_use(&e) && tokio::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(30));
            }
            other => return other,
        }
    }
}

fn in_use(e: &CloudError) -> bool {
    ["DependencyViolation", "InvalidIPAddress.InUse", "AuthFailure.AddressInUse", "has a dependent object"]
        .iter()
        .any(|m| e.message.contains(m))
}

/// Waits until a NAT gateway is gone: its address cannot be released before.
async fn nat_gone(aws: &Aws, id: &str) -> Result<(), CloudError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let out = aws
            .ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(|e| error("ec2:DescribeNatGateways", e))?;
        let gone = out
            .nat_gateways()
            .iter()
            .all(|n| matches!(n.state(), Some(aws_sdk_ec2::types::NatGatewayState::Deleted) | None));
        if gone || tokio::time::Instant::now() > deadline {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

async fn delete_once(aws: &Aws, _id: &str, have: &Deployed) -> Result<(), CloudError> {
    aws.mutate();
    let p = have.physical.as_str();
    let result = match have.kind.as_str() {
        "aws_vpc" => aws.ec2.delete_vpc().vpc_id(p).send().await.map(drop).map_err(|e| error("ec2:DeleteVpc", e)),
        // It goes with its VPC.
        "aws_default_security_group" => Ok(()),
        "aws_internet_gateway" => {
            let igw = aws
                .ec2
                .describe_internet_gateways()
                .internet_gateway_ids(p)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeInternetGateways", e))?;
            for a in igw.internet_gateways().iter().flat_map(|g| g.attachments()) {
                if let Some(vpc) = a.vpc_id() {
                    aws.ec2
                        .detach_internet_gateway()
                        .internet_gateway_id(p)
                        .vpc_id(vpc)
                        .send()
                        .await
                        .map_err(|e| error("ec2:DetachInternetGateway", e))?;
                }
            }
            aws.ec2
                .delete_internet_gateway()
                .internet_gateway_id(p)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ec2:DeleteInternetGateway", e))
        }
        "aws_subnet" => {
            aws.ec2.delete_subnet().subnet_id(p).send().await.map(drop).map_err(|e| error("ec2:DeleteSubnet", e))
        }
        "aws_route_table" => {
            // Associations first, or EC2 refuses.
            let rt = aws
                .ec2
                .describe_route_tables()
                .route_table_ids(p)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            for a in rt.route_tables().iter().flat_map(|t| t.associations()) {
                if let (Some(id), Some(false)) = (a.route_table_association_id(), a.main()) {
                    aws.ec2
                        .disassociate_route_table()
                        .association_id(id)
                        .send()
                        .await
                        .map_err(|e| error("ec2:DisassociateRouteTable", e))?;
                }
            }
            aws.ec2
                .delete_route_table()
                .route_table_id(p)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ec2:DeleteRouteTable", e))
        }
        "aws_route" => {
            let (table, dest) = p.split_once('|').unwrap_or_default();
            aws.ec2
                .delete_route()
                .route_table_id(table)
                .destination_cidr_block(dest)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ec2:DeleteRoute", e))
        }
        "aws_route_table_association" => aws
            .ec2
            .disassociate_route_table()
            .association_id(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:DisassociateRouteTable", e)),
        "aws_eip" => aws
            .ec2
            .release_address()
            .allocation_id(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:ReleaseAddress", e)),
        "aws_nat_gateway" => {
            aws.ec2
                .delete_nat_gateway()
                .nat_gateway_id(p)
                .send()
                .await
                .map_err(|e| error("ec2:DeleteNatGateway", e))?;
            nat_gone(aws, p).await
        }
        "aws_security_group" => aws
            .ec2
            .delete_security_group()
            .group_id(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:DeleteSecurityGroup", e)),
        "aws_vpc_security_group_ingress_rule" => {
            let group = have.attrs_str("security_group_id");
            aws.ec2
                .revoke_security_group_ingress()
                .set_group_id(group)
                .security_group_rule_ids(p)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ec2:RevokeSecurityGroupIngress", e))
        }
        "aws_vpc_security_group_egress_rule" => {
            let group = have.attrs_str("security_group_id");
            aws.ec2
                .revoke_security_group_egress()
                .set_group_id(group)
                .security_group_rule_ids(p)
                .send()
                .await
                .map(drop)
                .map_err(|e| error("ec2:RevokeSecurityGroupEgress", e))
        }
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
        other => Err(crate::unsupported(other)),
    };
    crate::deleted(result, &["NotFound", "does not exist"])
}

/// Reads a recorded output of a deployed resource's dependencies: the group of a rule.
trait AttrsStr {
    fn attrs_str(&self, name: &str) -> Option<String>;
}

impl AttrsStr for Deployed {
    fn attrs_str(&self, name: &str) -> Option<String> {
        self.outputs.get(name).cloned()
    }
}
