//! The format-independent diagram: what is drawn, not where.

use fg_check::model::{Action, Metric, Model, Nat, Protocol, Shift, SubnetKind, Zones};
use fg_ir::{Concern, Ir};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Internet,
    Balancer,
    Service,
    Database,
    /// A NAT gateway or VPC endpoints: drawn for context, without edges.
    Gateway,
    /// An IR resource.
    Resource(Concern),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// Internet traffic to a public balancer.
    Traffic,
    /// A listener route or default forward to a service.
    Route,
    /// A service's access to a database.
    Access,
    /// An IR dependency: the edge goes from the resource depended on to the one using it.
    Depends,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// A stable key: `service.api`, or the IR id at the resources level.
    pub key: String,
    pub kind: NodeKind,
    /// The first line is the title.
    pub lines: Vec<String>,
    /// The innermost group holding it.
    pub group: Option<usize>,
    /// The column (architecture level): 0 internet, 1 balancers, 2 services, 3 databases.
    pub col: usize,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: Option<String>,
    pub kind: EdgeKind,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub parent: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Diagram {
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub groups: Vec<Group>,
}

impl Diagram {
    fn node(&mut self, key: String, kind: NodeKind, lines: Vec<String>, group: Option<usize>, col: usize) -> usize {
        self.nodes.push(Node { key, kind, lines, group, col });
        self.nodes.len() - 1
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.key == key)
    }

    /// Group indices whose parent is `parent`, in order.
    pub fn children(&self, parent: Option<usize>) -> Vec<usize> {
        (0..self.groups.len()).filter(|&g| self.groups[g].parent == parent).collect()
    }
}

/// `256` → `0.25 vCPU`.
fn vcpu(units: u32) -> String {
    let v = f64::from(units) / 1024.0;
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} vCPU")
}

/// `1024` → `1 GiB`, `512` → `512 MiB`.
fn memory(mib: u32) -> String {
    if mib.is_multiple_of(1024) { format!("{} GiB", mib / 1024) } else { format!("{mib} MiB") }
}

fn protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "HTTP",
        Protocol::Https => "HTTPS",
    }
}

fn metric(m: Metric) -> &'static str {
    match m {
        Metric::Cpu => "cpu",
        Metric::Memory => "memory",
        Metric::Requests => "requests",
    }
}

pub fn architecture(m: &Model) -> Diagram {
    let mut d = Diagram {
        title: format!("{} ({}) · {} · architecture", m.app.name, m.app.env, m.app.region),
        ..Diagram::default()
    };
    // Networks, each with a public and a private tier.
    let mut tiers: Vec<(String, usize, usize)> = Vec::new(); // (network, public, private)
    for n in &m.networks {
        let net = d.groups.len();
        d.groups.push(Group {
            key: format!("network.{}", n.name),
            label: format!("network {} · VPC {}", n.name, n.cidr),
            parent: None,
        });
        let zones: Vec<String> = match &n.zones {
            Zones::Names(v) => v.clone(),
            Zones::Count(c) => (1..=*c).map(|k| format!("zone {k}")).collect(),
        };
        let tier_label = |what: &str, cidrs: &[fg_syntax::lit::Cidr]| {
            let per: Vec<String> = zones
                .iter()
                .enumerate()
                .map(|(k, z)| match cidrs.get(k) {
                    Some(c) => format!("{z} {c}"),
                    None => z.clone(),
                })
                .collect();
            format!("{what} subnets · {}", per.join(" · "))
        };
        let public = d.groups.len();
        d.groups.push(Group {
            key: format!("network.{}/public", n.name),
            label: tier_label("public", &n.public_subnets),
            parent: Some(net),
        });
        let private = d.groups.len();
        d.groups.push(Group {
            key: format!("network.{}/private", n.name),
            label: tier_label("private", &n.private_subnets),
            parent: Some(net),
        });
        tiers.push((n.name.clone(), public, private));
    }
    let tier_of = |network: &str, private: bool| {
        tiers.iter().find(|t| t.0 == network).or(tiers.first()).map(|t| if private { t.2 } else { t.1 })
    };

    let public_balancers = m.balancers.iter().any(|b| !b.internal);
    let internet = public_balancers
        .then(|| d.node("internet".to_string(), NodeKind::Internet, vec!["Internet".to_string()], None, 0));

    for b in &m.balancers {
        let mut lines = vec![
            format!("balancer {}", b.name),
            format!("ALB · {}", if b.internal { "internal" } else { "internet-facing" }),
        ];
        for l in &b.listeners {
            let default = match &l.default {
                Action::Forward(s) => format!("→ {s}"),
                Action::Respond { status, .. } => format!("default {status}"),
                Action::Redirect { status, .. } => format!("default redirect {status}"),
            };
            let redirect = if l.redirect_http { " (+ :80 redirect)" } else { "" };
            lines.push(format!("{} :{}{redirect} · {default}", protocol(l.protocol), l.port));
        }
        let node =
            d.node(format!("balancer.{}", b.name), NodeKind::Balancer, lines, tier_of(&b.network, b.internal), 1);
        if let Some(i) = internet
            && !b.internal
        {
            let ports: Vec<String> = b
                .listeners
                .iter()
                .flat_map(|l| {
                    let main = format!("{} :{}", protocol(l.protocol), l.port);
                    if l.redirect_http { vec!["HTTP :80".to_string(), main] } else { vec![main] }
                })
                .collect();
            d.edges.push(Edge { from: i, to: node, label: Some(ports.join(", ")), kind: EdgeKind::Traffic });
        }
    }

    for s in &m.services {
        let mut size = format!("{} · {}", vcpu(s.cpu), memory(s.memory_mib));
        if let Some(p) = s.port {
            size.push_str(&format!(" · :{p}"));
        }
        let mut count = format!("count {}", s.count);
        if let Some(sc) = &s.scale {
            count.push_str(&format!(" · scales {}–{}", sc.min, sc.max));
            let mut on: Vec<&str> = sc.targets.iter().map(|t| metric(t.metric)).collect();
            on.extend(sc.alarms.iter().map(|a| metric(a.metric)));
            on.dedup();
            if !on.is_empty() {
                count.push_str(&format!(" on {}", on.join(", ")));
            }
        }
        let mut lines = vec![format!("service {}", s.name), size, count];
        if s.capacity.spot > 0 {
            lines.push(if s.capacity.on_demand == 0 {
                "capacity: Fargate Spot".to_string()
            } else {
                format!("capacity: Spot {} : on-demand {}", s.capacity.spot, s.capacity.on_demand)
            });
        }
        if s.deployment.blue_green {
            lines.push(match s.deployment.shift {
                Shift::AllAtOnce => "blue/green deployment".to_string(),
                Shift::Canary { percent, minutes } => format!("blue/green · canary {percent}% then {minutes}m"),
                Shift::Linear { percent, minutes } => format!("blue/green · {percent}% every {minutes}m"),
            });
        }
        let group = tier_of(&s.network, s.subnets == SubnetKind::Private);
        d.node(format!("service.{}", s.name), NodeKind::Service, lines, group, 2);
    }

    for db in &m.databases {
        let mut lines =
            vec![format!("database {}", db.name), format!("{} {} · {}", db.engine.as_str(), db.version, db.class)];
        lines.push(format!("{} GiB{}", db.storage_gib, if db.multi_az { " · multi-AZ" } else { "" }));
        d.node(format!("database.{}", db.name), NodeKind::Database, lines, tier_of(&db.network, true), 3);
    }

    // APIs sit outside the network, between the internet and the balancer they reach
    // through a VPC link.
    for api in &m.apis {
        let stage = if api.stage == "$default" { "/".to_string() } else { format!("/{}", api.stage) };
        let lines = vec![format!("api {}", api.name), format!("HTTP API · stage {stage}"), "VPC link".to_string()];
        let node = d.node(format!("api.{}", api.name), NodeKind::Balancer, lines, None, 0);
        if let Some(i) = internet {
            d.edges.push(Edge { from: i, to: node, label: Some("HTTPS :443".into()), kind: EdgeKind::Traffic });
        }
        if let Some(to) = d.find(&format!("balancer.{}", api.balancer)) {
            let keys: Vec<&str> = api.routes.iter().map(|r| r.key.as_str()).collect();
            d.edges.push(Edge { from: node, to, label: Some(keys.join(" ")), kind: EdgeKind::Route });
        }
    }
    for repo in &m.repositories {
        let mut what = format!("ECR · keeps {}", repo.keep);
        if repo.scan_on_push {
            what.push_str(" · scanned");
        }
        d.node(
            format!("repository.{}", repo.name),
            NodeKind::Gateway,
            vec![format!("repository {}", repo.name), what],
            None,
            3,
        );
    }

    // NAT gateways and endpoints go last in their tiers, below what carries traffic.
    for n in &m.networks {
        let Some(public) = tier_of(&n.name, false) else { continue };
        match n.nat {
            Nat::None => {}
            Nat::Single | Nat::PerZone => {
                let how = if n.nat == Nat::Single { "single" } else { "one per zone" };
                d.node(
                    format!("network.{}/nat", n.name),
                    NodeKind::Gateway,
                    vec!["NAT gateway".to_string(), how.to_string()],
                    Some(public),
                    1,
                );
            }
        }
    }

    for n in &m.networks {
        if !n.endpoints.is_empty() {
            let names: Vec<String> = n.endpoints.iter().map(|e| format!("{e:?}").to_lowercase()).collect();
            d.node(
                format!("network.{}/endpoints", n.name),
                NodeKind::Gateway,
                vec!["VPC endpoints".to_string(), names.join(", ")],
                tier_of(&n.name, true),
                3,
            );
        }
    }

    // Routes: one edge per route, and one for a default forward.
    for b in &m.balancers {
        let Some(from) = d.find(&format!("balancer.{}", b.name)) else { continue };
        let several = b.listeners.len() > 1;
        for l in &b.listeners {
            let prefix = if several { format!(":{} ", l.port) } else { String::new() };
            for r in &l.routes {
                let Some(to) = d.find(&format!("service.{}", r.service)) else { continue };
                let mut what: Vec<String> = r.hosts.clone();
                what.extend(r.paths.iter().cloned());
                d.edges.push(Edge {
                    from,
                    to,
                    label: Some(format!("{prefix}{}", what.join(" "))),
                    kind: EdgeKind::Route,
                });
            }
            if let Some(s) = l.default_service()
                && let Some(to) = d.find(&format!("service.{s}"))
            {
                d.edges.push(Edge { from, to, label: Some(format!("{prefix}default")), kind: EdgeKind::Route });
            }
        }
    }

    // Database access: the declared access list and any service reading the database.
    for db in &m.databases {
        let Some(to) = d.find(&format!("database.{}", db.name)) else { continue };
        for s in &m.services {
            if db.access.contains(&s.name) || s.databases_used().contains(&db.name.as_str()) {
                let Some(from) = d.find(&format!("service.{}", s.name)) else { continue };
                d.edges.push(Edge { from, to, label: Some(format!(":{}", db.port)), kind: EdgeKind::Access });
            }
        }
    }
    d
}

pub fn resources(ir: &Ir) -> Diagram {
    let mut d = Diagram {
        title: format!("{} ({}) · {} · {} resources", ir.app, ir.env, ir.region, ir.resources.len()),
        ..Diagram::default()
    };
    for r in &ir.resources {
        let kind = if r.data { format!("data.{}", r.kind) } else { r.kind.clone() };
        d.node(r.id.clone(), NodeKind::Resource(r.concern), vec![kind, r.id.clone()], None, 0);
    }
    for (to, r) in ir.resources.iter().enumerate() {
        for dep in &r.depends_on {
            if let Some(from) = ir.resources.iter().position(|x| &x.id == dep)
                && from != to
            {
                d.edges.push(Edge { from, to, label: None, kind: EdgeKind::Depends });
            }
        }
    }
    d
}
