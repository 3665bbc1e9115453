//! Security groups, the VPC's default group, and their rules, one resource per rule. fgc
//! takes every rule a group starts with away (the default group's and a new group's "all
//! out"), so each group holds only the rules of the state; a refresh reports any other as
//! `unmanaged_rules` (a rule added by hand), and the update revokes exactly those.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, SecurityGroupRule, SecurityGroupRuleRequest, SecurityGroupRuleUpdate,
    Tag, UserIdGroupPair,
};
use fg_deploy::{CloudError, Created, Deployed, Resolved, State};
use serde_json::{Value, json};

use super::{by_tag, ours, returned, tag_spec, tags_all};
use crate::changes::Changes;
use crate::errors::{gone, unsupported};
use crate::values::{Seen, created, int, s};
use crate::{Aws, error};

const RULE_KINDS: &[&str] = &["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"];
const RULE_FIELDS: &[&str] =
    &["cidr_ipv4", "description", "from_port", "ip_protocol", "referenced_security_group_id", "to_port"];

fn rule_created(id: &str, group: &str) -> Created {
    created(id, &[("security_group_rule_id", id), ("security_group_id", group)])
}

pub(super) async fn adopt(aws: &Aws, r: &Resolved) -> Result<Option<Created>, CloudError> {
    match r.kind.as_str() {
        "aws_security_group" => {
            let out = aws
                .ec2
                .describe_security_groups()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
            Ok(out.security_groups().iter().find(|g| ours(aws, &r.id, g.tags())).and_then(|g| {
                let id = g.group_id()?;
                Some(created(id, &[("arn", g.security_group_arn().unwrap_or_default())]))
            }))
        }
        "aws_default_security_group" => {
            // Taken over once tagged, which is the last step of taking it over.
            let id = default_group(aws, s(r, "vpc_id")).await?;
            let out = aws
                .ec2
                .describe_security_groups()
                .group_ids(&id)
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
            let tagged =
                out.security_groups().iter().any(|g| g.group_id() == Some(id.as_str()) && ours(aws, &r.id, g.tags()));
            Ok(tagged.then(|| created(&id, &[])))
        }
        k if RULE_KINDS.contains(&k) => {
            let out = aws
                .ec2
                .describe_security_group_rules()
                .set_filters(Some(by_tag(aws, &r.id)))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroupRules", e))?;
            let group = s(r, "security_group_id");
            let found = out.security_group_rules().iter().find(|x| ours(aws, &r.id, x.tags()));
            Ok(found.and_then(|x| x.security_group_rule_id()).map(|id| rule_created(id, group)))
        }
        other => Err(unsupported(other)),
    }
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

pub(super) async fn create(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    match r.kind.as_str() {
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
            let id = returned(out.group_id(), "ec2:CreateSecurityGroup")?;
            // As Terraform does: no rule but the ones declared, not even "all out".
            strip_rules(aws, &id).await?;
            Ok(created(&id, &[("arn", out.security_group_arn().unwrap_or_default())]))
        }
        k if RULE_KINDS.contains(&k) => authorize(aws, r).await,
        other => Err(unsupported(other)),
    }
}

/// Removes every rule of a security group.
async fn strip_rules(aws: &Aws, group: &str) -> Result<(), CloudError> {
    let rules = rules_of(aws, group).await?;
    let ids = |egress: bool| -> Vec<String> {
        rules
            .iter()
            .filter(|x| x.is_egress() == Some(egress))
            .filter_map(|x| x.security_group_rule_id().map(str::to_string))
            .collect()
    };
    revoke(aws, group, ids(true), true).await?;
    revoke(aws, group, ids(false), false).await
}

async fn rules_of(aws: &Aws, group: &str) -> Result<Vec<SecurityGroupRule>, CloudError> {
    let mut rules = Vec::new();
    let mut token = None;
    loop {
        let out = aws
            .ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group).build())
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| error("ec2:DescribeSecurityGroupRules", e))?;
        rules.extend(out.security_group_rules().iter().cloned());
        token = out.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(rules);
        }
    }
}

/// Revokes rules by id. One already gone fails the whole call, so then each goes alone,
/// and what is gone counts as revoked.
async fn revoke(aws: &Aws, group: &str, ids: Vec<String>, egress: bool) -> Result<(), CloudError> {
    if ids.is_empty() {
        return Ok(());
    }
    let once = |ids: Vec<String>| async move {
        if egress {
            let call = aws.ec2.revoke_security_group_egress().group_id(group).set_security_group_rule_ids(Some(ids));
            call.send().await.map(drop).map_err(|e| error("ec2:RevokeSecurityGroupEgress", e))
        } else {
            let call = aws.ec2.revoke_security_group_ingress().group_id(group).set_security_group_rule_ids(Some(ids));
            call.send().await.map(drop).map_err(|e| error("ec2:RevokeSecurityGroupIngress", e))
        }
    };
    match once(ids.clone()).await {
        Err(e) if e.message.contains("NotFound") && ids.len() > 1 => {
            for id in ids {
                crate::errors::deleted(once(vec![id]).await, &["NotFound"])?;
            }
            Ok(())
        }
        other => crate::errors::deleted(other, &["NotFound"]),
    }
}

/// The permission a rule resource grants.
fn permission(r: &Resolved) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(s(r, "ip_protocol"));
    if let (Some(from), Some(to)) = (int(r, "from_port"), int(r, "to_port")) {
        p = p.from_port(from as i32).to_port(to as i32);
    }
    let description = r.str("description").map(str::to_string);
    if let Some(cidr) = r.str("cidr_ipv4") {
        p = p.ip_ranges(IpRange::builder().cidr_ip(cidr).set_description(description.clone()).build());
    }
    if let Some(group) = r.str("referenced_security_group_id") {
        p = p.user_id_group_pairs(UserIdGroupPair::builder().group_id(group).set_description(description).build());
    }
    p.build()
}

async fn authorize(aws: &Aws, r: &Resolved) -> Result<Created, CloudError> {
    let group = s(r, "security_group_id");
    let tags = tag_spec(aws, r, ResourceType::SecurityGroupRule);
    let rules: Vec<SecurityGroupRule> = if r.kind == "aws_vpc_security_group_ingress_rule" {
        let call = aws.ec2.authorize_security_group_ingress().group_id(group).ip_permissions(permission(r));
        let out =
            call.tag_specifications(tags).send().await.map_err(|e| error("ec2:AuthorizeSecurityGroupIngress", e))?;
        out.security_group_rules().to_vec()
    } else {
        let call = aws.ec2.authorize_security_group_egress().group_id(group).ip_permissions(permission(r));
        let out =
            call.tag_specifications(tags).send().await.map_err(|e| error("ec2:AuthorizeSecurityGroupEgress", e))?;
        out.security_group_rules().to_vec()
    };
    // Without an id in the answer, a placeholder: the next refresh finds it gone and the
    // apply after adopts the rule by its tag.
    let id = rules
        .first()
        .and_then(|x| x.security_group_rule_id())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{group}|{}", r.id));
    Ok(rule_created(&id, group))
}

pub(super) async fn update(aws: &Aws, r: &Resolved, have: &Deployed, ch: &mut Changes<'_>) -> Result<(), CloudError> {
    let id = have.physical.as_str();
    if let Some(c) = ch.get("unmanaged_rules") {
        // What refresh saw on the group beyond the state's rules; the source never wants any.
        let listed = c.live.as_ref().and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let ids = |egress: bool| -> Vec<String> {
            listed
                .iter()
                .filter(|x| x.get("egress").and_then(Value::as_bool) == Some(egress))
                .filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        };
        revoke(aws, id, ids(false), false).await?;
        revoke(aws, id, ids(true), true).await?;
        ch.done(&["unmanaged_rules"]);
    }
    if RULE_KINDS.contains(&r.kind.as_str()) && ch.any(RULE_FIELDS) {
        let rule = SecurityGroupRuleRequest::builder()
            .ip_protocol(s(r, "ip_protocol"))
            .set_from_port(int(r, "from_port").map(|p| p as i32))
            .set_to_port(int(r, "to_port").map(|p| p as i32))
            .set_cidr_ipv4(r.str("cidr_ipv4").map(str::to_string))
            .set_referenced_group_id(r.str("referenced_security_group_id").map(str::to_string))
            .set_description(r.str("description").map(str::to_string))
            .build();
        let change = SecurityGroupRuleUpdate::builder().security_group_rule_id(id).security_group_rule(rule).build();
        aws.ec2
            .modify_security_group_rules()
            .group_id(s(r, "security_group_id"))
            .security_group_rules(change)
            .send()
            .await
            .map_err(|e| error("ec2:ModifySecurityGroupRules", e))?;
        ch.done(RULE_FIELDS);
    }
    Ok(())
}

pub(super) async fn delete(aws: &Aws, have: &Deployed) -> Result<(), CloudError> {
    let p = have.physical.as_str();
    let group = have.outputs.get("security_group_id").cloned();
    match have.kind.as_str() {
        // It goes with its VPC.
        "aws_default_security_group" => Ok(()),
        "aws_security_group" => aws
            .ec2
            .delete_security_group()
            .group_id(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:DeleteSecurityGroup", e)),
        "aws_vpc_security_group_ingress_rule" => aws
            .ec2
            .revoke_security_group_ingress()
            .set_group_id(group)
            .security_group_rule_ids(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:RevokeSecurityGroupIngress", e)),
        "aws_vpc_security_group_egress_rule" => aws
            .ec2
            .revoke_security_group_egress()
            .set_group_id(group)
            .security_group_rule_ids(p)
            .send()
            .await
            .map(drop)
            .map_err(|e| error("ec2:RevokeSecurityGroupEgress", e)),
        other => Err(unsupported(other)),
    }
}

pub(super) async fn read(aws: &Aws, have: &Deployed, state: &State) -> Result<Option<Seen>, CloudError> {
    let p = have.physical.as_str();
    let mut seen = Seen::new();
    if RULE_KINDS.contains(&have.kind.as_str()) {
        let out = aws
            .ec2
            .describe_security_group_rules()
            .security_group_rule_ids(p)
            .send()
            .await
            .map_err(|e| error("ec2:DescribeSecurityGroupRules", e));
        let Some(out) = gone(out.map(Some), &["NotFound"])? else { return Ok(None) };
        let Some(rule) = out.security_group_rules().first() else { return Ok(None) };
        seen.opt("security_group_id", rule.group_id());
        seen.opt("ip_protocol", rule.ip_protocol());
        // "All traffic" has no ports; AWS reports -1 for both, the IR leaves them out.
        if rule.ip_protocol() != Some("-1") {
            seen.opt("from_port", rule.from_port());
            seen.opt("to_port", rule.to_port());
        }
        seen.opt("cidr_ipv4", rule.cidr_ipv4());
        seen.opt("referenced_security_group_id", rule.referenced_group_info().and_then(|g| g.group_id()));
        seen.opt("description", rule.description());
        seen.put("tags_all", tags_all(rule.tags()));
        return Ok(Some(seen));
    }
    let out = aws
        .ec2
        .describe_security_groups()
        .group_ids(p)
        .send()
        .await
        .map_err(|e| error("ec2:DescribeSecurityGroups", e));
    let Some(out) = gone(out.map(Some), &["NotFound"])? else { return Ok(None) };
    let Some(group) = out.security_groups().first() else { return Ok(None) };
    match have.kind.as_str() {
        "aws_security_group" => {
            seen.opt("name", group.group_name());
            seen.opt("description", group.description());
            seen.opt("vpc_id", group.vpc_id());
        }
        "aws_default_security_group" => {
            seen.opt("vpc_id", group.vpc_id());
        }
        other => return Err(unsupported(other)),
    }
    seen.put("tags_all", tags_all(group.tags()));
    let unmanaged = unmanaged(&rules_of(aws, p).await?, state);
    if !unmanaged.is_empty() {
        seen.put("unmanaged_rules", unmanaged);
    }
    Ok(Some(seen))
}

/// The rules of a group that no rule resource of the state records, as the plan shows
/// them. The default group has no rule resources: every rule on it is unmanaged.
fn unmanaged(rules: &[SecurityGroupRule], state: &State) -> Vec<Value> {
    let recorded: BTreeSet<&str> = state
        .resources
        .values()
        .filter(|d| RULE_KINDS.contains(&d.kind.as_str()))
        .map(|d| d.physical.as_str())
        .collect();
    rules
        .iter()
        .filter(|x| x.security_group_rule_id().is_some_and(|id| !recorded.contains(id)))
        .map(|x| {
            let mut o = json!({
                "id": x.security_group_rule_id(),
                "egress": x.is_egress().unwrap_or(false),
                "protocol": x.ip_protocol(),
                "from_port": x.from_port(),
                "to_port": x.to_port(),
            });
            let source = [
                ("cidr_ipv4", x.cidr_ipv4()),
                ("cidr_ipv6", x.cidr_ipv6()),
                ("prefix_list_id", x.prefix_list_id()),
                ("referenced_security_group_id", x.referenced_group_info().and_then(|g| g.group_id())),
                ("description", x.description()),
            ];
            for (k, v) in source {
                if let Some(v) = v {
                    o[k] = json!(v);
                }
            }
            o
        })
        .collect()
}
