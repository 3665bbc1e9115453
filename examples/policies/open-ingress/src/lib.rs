//! No security group admits the whole internet (`0.0.0.0/0`, `::/0`) unless it is a load
//! balancer's: tasks and databases are reached through the balancer, never directly.

use fg_policy_sdk::*;

struct OpenIngress;

const ANYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];

impl Policy for OpenIngress {
    fn metadata() -> Metadata {
        Metadata::new("open-ingress", env!("CARGO_PKG_VERSION"))
            .rule("open-ingress", "only load balancers accept traffic from anywhere")
    }

    fn evaluate(ir: &Ir, _config: &Config) -> Result<Vec<Finding>, String> {
        // The security groups that load balancers wear.
        let balancer_groups: Vec<&str> = ir
            .resources_of("aws_lb")
            .flat_map(|lb| lb.attr("security_groups").map(Val::as_list).unwrap_or_default())
            .filter_map(Val::as_ref_id)
            .collect();
        let open = |cidr: Option<&str>| cidr.is_some_and(|c| ANYWHERE.contains(&c));
        let mut findings = Vec::new();
        for rule in ir.resources_of("aws_vpc_security_group_ingress_rule") {
            let group = rule.attr("security_group_id").and_then(Val::as_ref_id).unwrap_or_default();
            let attr = if open(rule.str("cidr_ipv4")) { "cidr_ipv4" } else { "cidr_ipv6" };
            if (open(rule.str("cidr_ipv4")) || open(rule.str("cidr_ipv6"))) && !balancer_groups.contains(&group) {
                let port = rule.int("from_port").map_or("every port".to_string(), |p| format!("port {p}"));
                findings.push(
                    Finding::error(
                        "open-ingress",
                        format!("`{group}` admits the internet on {port}, and is not a load balancer's"),
                    )
                    .on(rule)
                    .attribute(attr)
                    .help("put the service behind a balancer, or name the networks that may connect"),
                );
            }
        }
        // Inline rules, for groups written that way.
        for sg in ir.resources_of("aws_security_group") {
            for (i, ingress) in sg.blocks("ingress").enumerate() {
                let cidrs = ingress.get("cidr_blocks").map(Val::as_list).unwrap_or_default();
                if cidrs.iter().any(|c| open(c.as_str())) && !balancer_groups.contains(&sg.id.as_str()) {
                    findings.push(
                        Finding::error(
                            "open-ingress",
                            format!("`{}` admits the internet, and is not a load balancer's", sg.id),
                        )
                        .on(sg)
                        .attribute(format!("ingress.{i}.cidr_blocks")),
                    );
                }
            }
        }
        Ok(findings)
    }
}

export_policy!(OpenIngress);
