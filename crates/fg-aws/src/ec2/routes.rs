//! Route tables, their routes and their subnet associations. A route has no id of its
//! own in EC2: fgc records it as `table|destination`.

use aws_sdk_ec2::types::{Filter, ResourceType};
use fg_deploy::{CloudError, Created, Deployed, Resolved};

use super::{by_tag, ours, returned, tag_spec, tags_all};
use crate::changes::Changes;
use crate::errors::{gone, unsupported};
use crate::values::{Seen, created, s};
use crate::{Aws, error};

/// A route's table and destination, from its recorded id.
fn route_key(physical: &str) -> (&str, &str) {
    physical.split_once('|').unwrap_or((physical, ""))
}

pub(super) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_route_table" => {
            let out = aws
                .ec2
                .describe_route_tables()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            let found = out.route_tables().iter().find(|t| ours(aws, &r.id, t.tags()));
            Ok(found.and_then(|t| t.route_table_id()).map(|id| created(id, &[])))
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
            Ok(exists.then(|| created(&format!("{table}|{dest}"), &[])))
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
            Ok(found.and_then(|a| a.route_table_association_id()).map(|id| created(id, &[])))
        }
        other => Err(unsupported(other)),
    }
}

pub(super) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
        "aws_route_table" => {
            let out = aws
                .ec2
                .create_route_table()
                .vpc_id(s(r, "vpc_id"))
                .tag_specifications(tag_spec(aws, r, ResourceType::RouteTable))
                .send()
                .await
                .map_err(|e| error("ec2:CreateRouteTable", e))?;
            let id = returned(out.route_table().and_then(|t| t.route_table_id()), "ec2:CreateRouteTable")?;
            Ok(created(&id, &[]))
        }
        "aws_route" => {
            let table = s(r, "route_table_id");
            let dest = s(r, "destination_cidr_block");
            aws.ec2
                .create_route()
                .route_table_id(table)
                .destination_cidr_block(dest)
                .set_gateway_id(r.str("gateway_id").map(str::to_string))
                .set_nat_gateway_id(r.str("nat_gateway_id").map(str::to_string))
                .send()
                .await
                .map_err(|e| error("ec2:CreateRoute", e))?;
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
            let id = returned(out.association_id(), "ec2:AssociateRouteTable")?;
            Ok(created(&id, &[]))
        }
        other => Err(unsupported(other)),
    }
}

/// A route's target changes in place; everything else here replaces.
pub(super) async fn update(aws: &Aws, r: &Resolved, have: &Deployed, ch: &mut Changes<'_>) -> Result<(), CloudError> {
    const TARGET: &[&str] = &["gateway_id", "nat_gateway_id"];
    if r.kind == "aws_route" && ch.any(TARGET) {
        let (table, dest) = route_key(&have.physical);
        aws.ec2
            .replace_route()
            .route_table_id(table)
            .destination_cidr_block(dest)
            .set_gateway_id(r.str("gateway_id").map(str::to_string))
            .set_nat_gateway_id(r.str("nat_gateway_id").map(str::to_string))
            .send()
            .await
            .map_err(|e| error("ec2:ReplaceRoute", e))?;
        ch.done(TARGET);
    }
    Ok(())
}

pub(super) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let p = have.physical.as_str();
    match have.kind.as_str() {
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
            let (table, dest) = route_key(p);
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
        other => Err(unsupported(other)),
    }
}

pub(super) async fn read(aws: &Aws, have: &Deployed) -> Result<Option<Seen>, CloudError> {
    let p = have.physical.as_str();
    let mut seen = Seen::new();
    let call = match have.kind.as_str() {
        "aws_route_table" => aws.ec2.describe_route_tables().route_table_ids(p),
        "aws_route" => aws.ec2.describe_route_tables().route_table_ids(route_key(p).0),
        // Looked up by its own id wherever it is: a subnet moved to another table by hand
        // has a new association, and this one is gone.
        "aws_route_table_association" => aws
            .ec2
            .describe_route_tables()
            .filters(Filter::builder().name("association.route-table-association-id").values(p).build()),
        other => return Err(unsupported(other)),
    };
    let out = call.send().await.map_err(|e| error("ec2:DescribeRouteTables", e));
    let Some(out) = gone(out.map(Some), &["NotFound"])? else { return Ok(None) };
    match have.kind.as_str() {
        "aws_route_table" => {
            let Some(table) = out.route_tables().first() else { return Ok(None) };
            seen.opt("vpc_id", table.vpc_id());
            seen.put("tags_all", tags_all(table.tags()));
        }
        "aws_route" => {
            let (table, dest) = route_key(p);
            let routes = out.route_tables().iter().flat_map(|t| t.routes());
            let Some(route) = routes.into_iter().find(|x| x.destination_cidr_block() == Some(dest)) else {
                return Ok(None);
            };
            seen.put("route_table_id", table);
            seen.put("destination_cidr_block", dest);
            seen.opt("gateway_id", route.gateway_id());
            seen.opt("nat_gateway_id", route.nat_gateway_id());
        }
        _ => {
            let associations = out.route_tables().iter().flat_map(|t| t.associations());
            let Some(a) = associations.into_iter().find(|a| a.route_table_association_id() == Some(p)) else {
                return Ok(None);
            };
            seen.opt("route_table_id", a.route_table_id());
            seen.opt("subnet_id", a.subnet_id());
        }
    }
    Ok(Some(seen))
}
