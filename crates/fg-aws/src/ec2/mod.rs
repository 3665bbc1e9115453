//! EC2: the network. The VPC with its subnets, gateways and addresses (`network`), route
//! tables, routes and associations (`routes`), security groups and their rules
//! (`groups`), endpoints and flow logs (`endpoints`).
//!
//! Each kind's table says how a change reaches AWS; the readers report what AWS has, shaped
//! like the IR, and on security groups the rules nobody declared (`unmanaged_rules`), which
//! an update revokes. It does not manage what the IR never emits (network ACLs, peering,
//! IPv6) and does not look at resources outside the stack's state.

mod endpoints;
mod groups;
mod network;
mod routes;
#[cfg(test)]
mod tests;

use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use fg_deploy::{CloudError, Created, Deployed, Handling, KindSpec, Observed, Order, Resolved, State};
use serde_json::Value;

use crate::changes::Changes;
use crate::errors::unsupported;
use crate::values::{same, tag_object};
use crate::{Aws, error};

const TAGS: Handling = Handling::Update("ec2:CreateTags, ec2:DeleteTags");
const RULE: Handling = Handling::Update("ec2:ModifySecurityGroupRules");
const ROUTE: Handling = Handling::Update("ec2:ReplaceRoute");
const ENDPOINT: Handling = Handling::Update("ec2:ModifyVpcEndpoint");
/// Rules on a group that no rule resource of the state records: reported by refresh only.
const UNMANAGED: Handling = Handling::Update("ec2:RevokeSecurityGroupIngress, ec2:RevokeSecurityGroupEgress");

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "aws_vpc",
        replace: Order::CreateFirst,
        attrs: &[
            ("cidr_block", Handling::Replace),
            ("enable_dns_hostnames", Handling::Update("ec2:ModifyVpcAttribute")),
            ("enable_dns_support", Handling::Update("ec2:ModifyVpcAttribute")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    // Every VPC comes with one; "creating" it takes the new VPC's over.
    KindSpec {
        kind: "aws_default_security_group",
        replace: Order::CreateFirst,
        attrs: &[("vpc_id", Handling::Replace), ("unmanaged_rules", UNMANAGED), ("tags", TAGS), ("tags_all", TAGS)],
    },
    KindSpec {
        kind: "aws_internet_gateway",
        replace: Order::CreateFirst,
        attrs: &[("vpc_id", Handling::Replace), ("tags", TAGS), ("tags_all", TAGS)],
    },
    KindSpec {
        kind: "aws_subnet",
        replace: Order::DeleteFirst("a CIDR block takes one subnet in its VPC"),
        attrs: &[
            ("availability_zone", Handling::Replace),
            ("cidr_block", Handling::Replace),
            ("vpc_id", Handling::Replace),
            ("map_public_ip_on_launch", Handling::Update("ec2:ModifySubnetAttribute")),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_route_table",
        replace: Order::CreateFirst,
        attrs: &[("vpc_id", Handling::Replace), ("tags", TAGS), ("tags_all", TAGS)],
    },
    // A new table or destination never collides with the old route: traffic moves over
    // before the old one goes.
    KindSpec {
        kind: "aws_route",
        replace: Order::CreateFirst,
        attrs: &[
            ("destination_cidr_block", Handling::Replace),
            ("route_table_id", Handling::Replace),
            ("gateway_id", ROUTE),
            ("nat_gateway_id", ROUTE),
        ],
    },
    KindSpec {
        kind: "aws_route_table_association",
        replace: Order::DeleteFirst("a subnet has one route table association"),
        attrs: &[("route_table_id", Handling::Replace), ("subnet_id", Handling::Replace)],
    },
    KindSpec {
        kind: "aws_eip",
        replace: Order::CreateFirst,
        attrs: &[("domain", Handling::Replace), ("tags", TAGS), ("tags_all", TAGS)],
    },
    KindSpec {
        kind: "aws_nat_gateway",
        replace: Order::DeleteFirst("an Elastic IP serves one NAT gateway at a time"),
        attrs: &[
            ("allocation_id", Handling::Replace),
            ("subnet_id", Handling::Replace),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_security_group",
        replace: Order::DeleteFirst("a group's name is unique in its VPC"),
        attrs: &[
            ("description", Handling::Replace),
            ("name", Handling::Replace),
            ("vpc_id", Handling::Replace),
            ("unmanaged_rules", UNMANAGED),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    // Only a new group replaces a rule, and a rule in another group never duplicates it.
    KindSpec {
        kind: "aws_vpc_security_group_ingress_rule",
        replace: Order::CreateFirst,
        attrs: &[
            ("security_group_id", Handling::Replace),
            ("cidr_ipv4", RULE),
            ("description", RULE),
            ("from_port", RULE),
            ("ip_protocol", RULE),
            ("referenced_security_group_id", RULE),
            ("to_port", RULE),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_vpc_security_group_egress_rule",
        replace: Order::CreateFirst,
        attrs: &[
            ("security_group_id", Handling::Replace),
            ("cidr_ipv4", RULE),
            ("description", RULE),
            ("from_port", RULE),
            ("ip_protocol", RULE),
            ("referenced_security_group_id", RULE),
            ("to_port", RULE),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_flow_log",
        replace: Order::DeleteFirst("a VPC takes one flow log per destination and traffic type"),
        attrs: &[
            ("iam_role_arn", Handling::Replace),
            ("log_destination", Handling::Replace),
            ("traffic_type", Handling::Replace),
            ("vpc_id", Handling::Replace),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
    KindSpec {
        kind: "aws_vpc_endpoint",
        replace: Order::DeleteFirst("a service's private DNS name and its routes take one endpoint per VPC"),
        attrs: &[
            ("service_name", Handling::Replace),
            ("vpc_endpoint_type", Handling::Replace),
            ("vpc_id", Handling::Replace),
            ("subnet_ids", ENDPOINT),
            ("security_group_ids", ENDPOINT),
            ("route_table_ids", ENDPOINT),
            ("private_dns_enabled", ENDPOINT),
            ("tags", TAGS),
            ("tags_all", TAGS),
        ],
    },
];

/// The submodule that manages a kind.
#[derive(Clone, Copy)]
enum Part {
    Network,
    Routes,
    Groups,
    Endpoints,
}

fn part(kind: &str) -> Result<Part, CloudError> {
    Ok(match kind {
        "aws_vpc" | "aws_subnet" | "aws_internet_gateway" | "aws_eip" | "aws_nat_gateway" => Part::Network,
        "aws_route_table" | "aws_route" | "aws_route_table_association" => Part::Routes,
        "aws_security_group"
        | "aws_default_security_group"
        | "aws_vpc_security_group_ingress_rule"
        | "aws_vpc_security_group_egress_rule" => Part::Groups,
        "aws_vpc_endpoint" | "aws_flow_log" => Part::Endpoints,
        other => return Err(unsupported(other)),
    })
}

/// The tags a create attaches: the resource's whole set.
fn tag_spec(aws: &Aws, r: &Resolved, kind: ResourceType) -> TagSpecification {
    let tags = aws.tags(r).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
    TagSpecification::builder().resource_type(kind).set_tags(Some(tags.collect())).build()
}

/// Finds what this stack (app and environment) created for the resource `id`: ids repeat
/// across stacks (`network.vpc/vpc`), the stack's tags tell them apart.
fn by_tag(aws: &Aws, id: &str) -> Vec<Filter> {
    let mut filters = vec![Filter::builder().name("tag:fgc:id").values(id).build()];
    for key in ["fgc:app", "fgc:env"] {
        if let Some(v) = aws.stack_tags.get(key) {
            filters.push(Filter::builder().name(format!("tag:{key}")).values(v).build());
        }
    }
    filters
}

/// Whether a resource found by [`by_tag`] carries those tags: some EC2 filters (and
/// emulators) ignore tag filters they do not know, and an adoption must never take another
/// resource's place.
fn ours(aws: &Aws, id: &str, tags: &[Tag]) -> bool {
    let has = |k: &str, v: &str| tags.iter().any(|t| t.key() == Some(k) && t.value() == Some(v));
    has("fgc:id", id) && ["fgc:app", "fgc:env"].iter().all(|k| aws.stack_tags.get(*k).is_none_or(|v| has(k, v)))
}

/// The id a create returned; an answer without one is an error, not an empty id in the state.
fn returned(id: Option<&str>, call: &str) -> Result<String, CloudError> {
    id.filter(|i| !i.is_empty())
        .map(str::to_string)
        .ok_or_else(|| CloudError::new(format!("`{call}` answered without the new resource's id")))
}

/// The live tags of a described resource, as `tags_all`.
fn tags_all(tags: &[Tag]) -> Value {
    tag_object(tags.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

pub(crate) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match part(&r.kind)? {
        Part::Network => network::adopt(aws, r).await,
        Part::Routes => routes::adopt(aws, r).await,
        Part::Groups => groups::adopt(aws, r).await,
        Part::Endpoints => endpoints::adopt(aws, r).await,
    }
}

pub(crate) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match part(&r.kind)? {
        Part::Network => network::create(aws, r).await,
        Part::Routes => routes::create(aws, r).await,
        Part::Groups => groups::create(aws, r).await,
        Part::Endpoints => endpoints::create(aws, r).await,
    }
}

pub(crate) async fn update(
    aws: &Aws,
    r: &Resolved,
    have: &Deployed,
    ch: &mut Changes<'_>,
) -> Result<Created, CloudError> {
    match part(&r.kind)? {
        Part::Network => network::update(aws, r, have, ch).await?,
        Part::Routes => routes::update(aws, r, have, ch).await?,
        Part::Groups => groups::update(aws, r, have, ch).await?,
        Part::Endpoints => endpoints::update(aws, r, have, ch).await?,
    }
    if let Some((set, removed)) = ch.tags(r) {
        let id = have.physical.as_str();
        if !removed.is_empty() {
            let keys = removed.into_iter().map(|k| Tag::builder().key(k).build()).collect();
            aws.ec2
                .delete_tags()
                .resources(id)
                .set_tags(Some(keys))
                .send()
                .await
                .map_err(|e| error("ec2:DeleteTags", e))?;
        }
        let tags = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        aws.ec2
            .create_tags()
            .resources(id)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| error("ec2:CreateTags", e))?;
        ch.done(&["tags", "tags_all"]);
    }
    Ok(same(have))
}

/// Deletes, retrying while AWS still sees something in the way: a NAT gateway's address
/// stays mapped, and a load balancer's network interfaces stay in its subnets and groups,
/// for a while after their own deletion returns. Already gone counts as deleted.
pub(crate) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let mut pause = Duration::from_secs(2);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    loop {
        let result = match part(&have.kind)? {
            Part::Network => network::delete(aws, have).await,
            Part::Routes => routes::delete(aws, have).await,
            Part::Groups => groups::delete(aws, have).await,
            Part::Endpoints => endpoints::delete(aws, have).await,
        };
        match crate::errors::deleted(result, &["NotFound", "does not exist"]) {
            Err(e) if in_use(&e) && tokio::time::Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
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

pub(crate) async fn read(
    aws: &Aws,
    have: &Deployed,
    _recorded: &Resolved,
    state: &State,
) -> Result<Option<Observed>, CloudError> {
    let seen = match part(&have.kind)? {
        Part::Network => network::read(aws, have).await?,
        Part::Routes => routes::read(aws, have).await?,
        Part::Groups => groups::read(aws, have, state).await?,
        Part::Endpoints => endpoints::read(aws, have).await?,
    };
    Ok(seen.and_then(|mut s| s.done()))
}
