//! The VPC and what gives it addresses and a way out: subnets, the internet gateway,
//! Elastic IPs and NAT gateways. Routes live in `routes`, security groups in `groups`.

use std::time::Duration;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, NatGateway, NatGatewayState, ResourceType, VpcAttributeName,
};
use fg_deploy::{CloudError, Created, Deployed, Resolved};

use super::{by_tag, ours, returned, tag_spec, tags_all};
use crate::changes::Changes;
use crate::errors::{gone, unsupported};
use crate::values::{Seen, boolean, created, s};
use crate::{Aws, error};

/// The two DNS flags of a VPC with AWS's defaults for a new one, which apply when the
/// source stops setting them.
const DNS: &[(&str, bool)] = &[("enable_dns_support", true), ("enable_dns_hostnames", false)];

pub(super) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    let one = |id: Option<&str>| id.map(|i| created(i, &[]));
    Ok(match r.kind.as_str() {
        "aws_vpc" => {
            let out = aws
                .ec2
                .describe_vpcs()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeVpcs", e))?;
            let Some(vpc) = out.vpcs().iter().find(|v| ours(aws, &r.id, v.tags())) else { return Ok(None) };
            let Some(id) = vpc.vpc_id() else { return Ok(None) };
            // The create may have stopped before the DNS flags, which endpoints need.
            vpc_attributes(aws, r, id, &["enable_dns_support", "enable_dns_hostnames"]).await?;
            Some(created(id, &[("cidr_block", vpc.cidr_block().unwrap_or(s(r, "cidr_block")))]))
        }
        "aws_subnet" => {
            let out = aws
                .ec2
                .describe_subnets()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSubnets", e))?;
            one(out.subnets().iter().find(|v| ours(aws, &r.id, v.tags())).and_then(|v| v.subnet_id()))
        }
        "aws_internet_gateway" => {
            let out = aws
                .ec2
                .describe_internet_gateways()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeInternetGateways", e))?;
            let Some(igw) = out.internet_gateways().iter().find(|g| ours(aws, &r.id, g.tags())) else {
                return Ok(None);
            };
            let Some(id) = igw.internet_gateway_id() else { return Ok(None) };
            // The create may have stopped between making the gateway and attaching it.
            if igw.attachments().is_empty() {
                attach(aws, id, s(r, "vpc_id")).await?;
            }
            Some(created(id, &[]))
        }
        "aws_eip" => {
            let out = aws
                .ec2
                .describe_addresses()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeAddresses", e))?;
            out.addresses().iter().find(|a| ours(aws, &r.id, a.tags())).and_then(|a| {
                let id = a.allocation_id()?;
                Some(created(id, &[("public_ip", a.public_ip().unwrap_or_default())]))
            })
        }
        "aws_nat_gateway" => {
            let out = aws
                .ec2
                .describe_nat_gateways()
                .set_filter(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeNatGateways", e))?;
            let found = out.nat_gateways().iter().find(|n| alive(n) && ours(aws, &r.id, n.tags()));
            one(found.and_then(|n| n.nat_gateway_id()))
        }
        other => return Err(unsupported(other)),
    })
}

/// A NAT gateway that is not on its way out (or failed, which AWS deletes by itself).
fn alive(n: &NatGateway) -> bool {
    !matches!(n.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed))
}

async fn attach(aws: &Aws, igw: &str, vpc: &str) -> Result<(), CloudError> {
    aws.ec2
        .attach_internet_gateway()
        .internet_gateway_id(igw)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| error("ec2:AttachInternetGateway", e))?;
    Ok(())
}

/// Sets the DNS flags among `names`; EC2 takes one attribute per call.
async fn vpc_attributes(aws: &Aws, r: &Resolved, id: &str, names: &[&str]) -> Result<(), CloudError> {
    for (name, default) in DNS.iter().filter(|(n, _)| names.contains(n)) {
        let value = AttributeBooleanValue::builder().value(boolean(r, name).unwrap_or(*default)).build();
        let call = aws.ec2.modify_vpc_attribute().vpc_id(id);
        let call = if *name == "enable_dns_support" {
            call.enable_dns_support(value)
        } else {
            call.enable_dns_hostnames(value)
        };
        call.send().await.map_err(|e| error("ec2:ModifyVpcAttribute", e))?;
    }
    Ok(())
}

async fn map_public_ip(aws: &Aws, id: &str, on: bool) -> Result<(), CloudError> {
    aws.ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map_err(|e| error("ec2:ModifySubnetAttribute", e))?;
    Ok(())
}

pub(super) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
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
            let id = returned(out.vpc().and_then(|v| v.vpc_id()), "ec2:CreateVpc")?;
            vpc_attributes(aws, r, &id, &["enable_dns_support", "enable_dns_hostnames"]).await?;
            Ok(created(&id, &[("cidr_block", s(r, "cidr_block"))]))
        }
        "aws_internet_gateway" => {
            let out = aws
                .ec2
                .create_internet_gateway()
                .tag_specifications(tag_spec(aws, r, ResourceType::InternetGateway))
                .send()
                .await
                .map_err(|e| error("ec2:CreateInternetGateway", e))?;
            let id =
                returned(out.internet_gateway().and_then(|g| g.internet_gateway_id()), "ec2:CreateInternetGateway")?;
            attach(aws, &id, s(r, "vpc_id")).await?;
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
            let id = returned(out.subnet().and_then(|x| x.subnet_id()), "ec2:CreateSubnet")?;
            // Off is what a new subnet has.
            if boolean(r, "map_public_ip_on_launch") == Some(true) {
                map_public_ip(aws, &id, true).await?;
            }
            Ok(created(&id, &[]))
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
            let id = returned(out.allocation_id(), "ec2:AllocateAddress")?;
            Ok(created(&id, &[("public_ip", out.public_ip().unwrap_or_default())]))
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
            let id = returned(out.nat_gateway().and_then(|n| n.nat_gateway_id()), "ec2:CreateNatGateway")?;
            Ok(created(&id, &[]))
        }
        other => Err(unsupported(other)),
    }
}

/// What changes in place; the rest of these kinds replaces, and tags are the caller's.
pub(super) async fn update(aws: &Aws, r: &Resolved, have: &Deployed, ch: &mut Changes<'_>) -> Result<(), CloudError> {
    let id = have.physical.as_str();
    match r.kind.as_str() {
        "aws_vpc" => {
            for (name, _) in DNS {
                if ch.any(&[name]) {
                    vpc_attributes(aws, r, id, &[name]).await?;
                    ch.done(&[name]);
                }
            }
        }
        "aws_subnet" if ch.any(&["map_public_ip_on_launch"]) => {
            map_public_ip(aws, id, boolean(r, "map_public_ip_on_launch").unwrap_or(false)).await?;
            ch.done(&["map_public_ip_on_launch"]);
        }
        _ => {}
    }
    Ok(())
}

pub(super) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let p = have.physical.as_str();
    match have.kind.as_str() {
        "aws_vpc" => aws.ec2.delete_vpc().vpc_id(p).send().await.map(drop).map_err(|e| error("ec2:DeleteVpc", e)),
        "aws_internet_gateway" => {
            let igw = aws
                .ec2
                .describe_internet_gateways()
                .internet_gateway_ids(p)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeInternetGateways", e))?;
            for vpc in igw.internet_gateways().iter().flat_map(|g| g.attachments()).filter_map(|a| a.vpc_id()) {
                aws.ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(p)
                    .vpc_id(vpc)
                    .send()
                    .await
                    .map_err(|e| error("ec2:DetachInternetGateway", e))?;
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
        other => Err(unsupported(other)),
    }
}

/// Waits until a NAT gateway is gone: its address cannot be released before.
async fn nat_gone(aws: &Aws, id: &str) -> Result<(), CloudError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    loop {
        let out = aws
            .ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(|e| error("ec2:DescribeNatGateways", e))?;
        let gone = out.nat_gateways().iter().all(|n| matches!(n.state(), Some(NatGatewayState::Deleted) | None));
        if gone || tokio::time::Instant::now() > deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

const NOT_FOUND: &[&str] = &["NotFound"];

pub(super) async fn read(aws: &Aws, have: &Deployed) -> Result<Option<Seen>, CloudError> {
    let id = have.physical.as_str();
    let mut seen = Seen::new();
    match have.kind.as_str() {
        "aws_vpc" => {
            let out = aws.ec2.describe_vpcs().vpc_ids(id).send().await.map_err(|e| error("ec2:DescribeVpcs", e));
            let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
            let Some(vpc) = out.vpcs().first() else { return Ok(None) };
            seen.opt("cidr_block", vpc.cidr_block());
            for (attr, name) in [
                (VpcAttributeName::EnableDnsSupport, "enable_dns_support"),
                (VpcAttributeName::EnableDnsHostnames, "enable_dns_hostnames"),
            ] {
                let out = aws
                    .ec2
                    .describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(attr)
                    .send()
                    .await
                    .map_err(|e| error("ec2:DescribeVpcAttribute", e))?;
                let flag =
                    if name == "enable_dns_support" { out.enable_dns_support() } else { out.enable_dns_hostnames() };
                seen.opt(name, flag.and_then(|f| f.value()));
            }
            seen.put("tags_all", tags_all(vpc.tags()));
        }
        "aws_subnet" => {
            let out =
                aws.ec2.describe_subnets().subnet_ids(id).send().await.map_err(|e| error("ec2:DescribeSubnets", e));
            let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
            let Some(subnet) = out.subnets().first() else { return Ok(None) };
            seen.opt("vpc_id", subnet.vpc_id());
            seen.opt("cidr_block", subnet.cidr_block());
            seen.opt("availability_zone", subnet.availability_zone());
            seen.opt("map_public_ip_on_launch", subnet.map_public_ip_on_launch());
            seen.put("tags_all", tags_all(subnet.tags()));
        }
        "aws_internet_gateway" => {
            let out = aws
                .ec2
                .describe_internet_gateways()
                .internet_gateway_ids(id)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeInternetGateways", e));
            let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
            let Some(igw) = out.internet_gateways().first() else { return Ok(None) };
            // Detached by hand: no VPC, which differs from the one applied.
            seen.put("vpc_id", igw.attachments().iter().find_map(|a| a.vpc_id()).unwrap_or_default());
            seen.put("tags_all", tags_all(igw.tags()));
        }
        "aws_eip" => {
            let out = aws
                .ec2
                .describe_addresses()
                .allocation_ids(id)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeAddresses", e));
            let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
            let Some(address) = out.addresses().first() else { return Ok(None) };
            seen.opt("domain", address.domain().map(|d| d.as_str()));
            seen.put("tags_all", tags_all(address.tags()));
        }
        "aws_nat_gateway" => {
            let out = aws
                .ec2
                .describe_nat_gateways()
                .nat_gateway_ids(id)
                .send()
                .await
                .map_err(|e| error("ec2:DescribeNatGateways", e));
            let Some(out) = gone(out.map(Some), NOT_FOUND)? else { return Ok(None) };
            let Some(nat) = out.nat_gateways().iter().find(|n| alive(n)) else { return Ok(None) };
            seen.opt("subnet_id", nat.subnet_id());
            let addresses = nat.nat_gateway_addresses();
            let primary = addresses.iter().find(|a| a.is_primary() == Some(true)).or(addresses.first());
            seen.opt("allocation_id", primary.and_then(|a| a.allocation_id()));
            seen.put("tags_all", tags_all(nat.tags()));
        }
        other => return Err(unsupported(other)),
    }
    Ok(Some(seen))
}
