//! Lowering: from the checked [`Model`] to the [`Ir`].

use std::collections::BTreeMap;

use fg_check::model::*;
use fg_diag::{SourceMap, Span};

use crate::ir::*;

/// Lowers a checked model. Deterministic: the same model gives the same IR, byte for byte
/// once serialised.
pub fn lower(m: &Model, sources: &SourceMap) -> Ir {
    // Who routes to each service, computed once: per-service scans are quadratic.
    let mut routes: BTreeMap<&str, Vec<(&Balancer, &Listener)>> = BTreeMap::new();
    for b in &m.balancers {
        for l in &b.listeners {
            let mut targets: Vec<&str> =
                l.routes.iter().map(|r| r.service.as_str()).chain(l.default_service()).collect();
            targets.sort_unstable();
            targets.dedup();
            for t in targets {
                routes.entry(t).or_default().push((b, l));
            }
        }
    }
    let services = m.services.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut l = Lower {
        m,
        sources,
        out: Vec::new(),
        decl: String::new(),
        span: Span::default(),
        data_ids: Default::default(),
        routes,
        services,
    };
    l.app();
    for n in &m.networks {
        l.network(n);
    }
    for b in &m.balancers {
        l.balancer(b);
    }
    for s in &m.services {
        l.service(s);
    }
    for d in &m.databases {
        l.database(d);
    }
    for repo in &m.repositories {
        l.repository(repo);
    }
    for api in &m.apis {
        l.api(api);
    }
    let outputs = l.outputs();
    let mut resources = l.out;
    for r in &mut resources {
        let mut refs = Vec::new();
        for (_, v) in &r.attrs {
            v.refs(&mut refs);
        }
        let mut deps: Vec<String> = refs.into_iter().map(str::to_string).chain(r.after.iter().cloned()).collect();
        deps.sort();
        deps.dedup();
        deps.retain(|d| d != &r.id);
        r.depends_on = deps;
    }
    let mut tags: BTreeMap<String, String> = m.app.tags.iter().cloned().collect();
    tags.insert("fgc:app".into(), m.app.name.clone());
    tags.insert("fgc:env".into(), m.app.env.clone());
    Ir {
        version: IR_VERSION,
        app: m.app.name.clone(),
        env: m.app.env.clone(),
        region: m.app.region.clone(),
        tags,
        resources,
        outputs,
    }
}

// Short constructors: attribute lists read like the resources they describe.
fn s(x: impl Into<String>) -> Val {
    Val::Str(x.into())
}
fn i(x: impl Into<i64>) -> Val {
    Val::Int(x.into())
}
fn b(x: bool) -> Val {
    Val::Bool(x)
}
fn r(id: impl Into<String>, attr: &str) -> Val {
    Val::reference(id, attr)
}
fn list(xs: impl IntoIterator<Item = Val>) -> Val {
    Val::List(xs.into_iter().collect())
}
fn strs<S: AsRef<str>>(xs: impl IntoIterator<Item = S>) -> Val {
    Val::List(xs.into_iter().map(|x| s(x.as_ref())).collect())
}
fn map(kv: Vec<(&str, Val)>) -> Val {
    Val::Map(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
fn block(kv: Vec<(&str, Val)>) -> Val {
    Val::Block(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
fn json(v: Val) -> Val {
    Val::Json(Box::new(v))
}
fn tmpl(parts: Vec<Part>) -> Val {
    Val::Template(parts)
}
fn text(t: &str) -> Part {
    Part::Text(t.to_string())
}
fn pref(id: impl Into<String>, attr: &str) -> Part {
    Part::Ref { id: id.into(), attr: attr.to_string() }
}
fn attrs(kv: Vec<(&str, Val)>) -> Vec<(String, Val)> {
    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Resource kinds that accept `tags`.
const TAGGABLE: &[&str] = &[
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_eip",
    "aws_kms_key",
    "aws_nat_gateway",
    "aws_route_table",
    "aws_security_group",
    "aws_default_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_endpoint",
    "aws_flow_log",
    "aws_lb",
    "aws_lb_target_group",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_ecs_cluster",
    "aws_ecs_task_definition",
    "aws_ecs_service",
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_appautoscaling_target",
    "aws_cloudwatch_metric_alarm",
    "aws_db_subnet_group",
    "aws_db_instance",
    "aws_codedeploy_app",
    "aws_codedeploy_deployment_group",
    "aws_ecr_repository",
    "aws_apigatewayv2_api",
    "aws_apigatewayv2_vpc_link",
    "aws_apigatewayv2_stage",
];

struct Lower<'a> {
    m: &'a Model,
    sources: &'a SourceMap,
    out: Vec<Resource>,
    /// The declaration being lowered (`service.api`) and its span.
    decl: String,
    span: Span,
    /// Data sources already added (they are shared).
    data_ids: std::collections::HashSet<String>,
    /// Service → the balancer listeners that send it traffic.
    routes: BTreeMap<&'a str, Vec<(&'a Balancer, &'a Listener)>>,
    services: std::collections::HashMap<&'a str, &'a Service>,
}

impl<'a> Lower<'a> {
    fn at(&mut self, decl: String, span: Span) {
        self.decl = decl;
        self.span = span;
    }

    fn source(&self) -> Source {
        if self.span == Span::default() && self.sources.is_empty() {
            return Source { decl: self.decl.clone(), ..Source::default() };
        }
        let f = self.sources.get(self.span.file);
        let lc = f.line_col(self.span.start as usize);
        Source {
            file: f.path.clone(),
            line: lc.line,
            column: lc.col,
            start: self.span.start,
            end: self.span.end,
            decl: self.decl.clone(),
        }
    }

    /// Adds a resource; taggable kinds get a `Name` (when given) and their `fgc:id`.
    fn add(
        &mut self,
        id: String,
        kind: &str,
        concern: Concern,
        name: Option<&str>,
        mut a: Vec<(String, Val)>,
    ) -> String {
        if TAGGABLE.contains(&kind) {
            let mut tags = Vec::new();
            if let Some(n) = name {
                tags.push(("Name".to_string(), s(n)));
            }
            tags.push(("fgc:id".to_string(), s(id.clone())));
            a.push(("tags".into(), Val::Map(tags)));
        }
        self.push(id.clone(), kind, false, concern, a);
        id
    }

    /// Adds a data source once; stacks share them.
    fn data(&mut self, id: &str, kind: &str, concern: Concern, a: Vec<(String, Val)>) {
        if self.data_ids.insert(id.to_string()) {
            self.push(id.to_string(), kind, true, concern, a);
        }
    }

    fn push(&mut self, id: String, kind: &str, data: bool, concern: Concern, attrs: Vec<(String, Val)>) {
        let source = self.source();
        self.out.push(Resource {
            id,
            kind: kind.to_string(),
            data,
            concern,
            attrs,
            depends_on: Vec::new(),
            after: Vec::new(),
            managed_elsewhere: Vec::new(),
            source,
        });
    }

    fn last(&mut self) -> &mut Resource {
        let n = self.out.len() - 1;
        &mut self.out[n]
    }

    fn prefix(&self) -> String {
        self.m.app.prefix().replace('_', "-")
    }

    /// `arn:aws:<service>:<region>:<account>:` for ARNs fgc has to build.
    fn arn_prefix(&mut self, service: &str) -> Vec<Part> {
        self.data("app/partition", "aws_partition", Concern::Main, Vec::new());
        self.data("app/account", "aws_caller_identity", Concern::Main, Vec::new());
        vec![
            text("arn:"),
            pref("app/partition", "partition"),
            text(&format!(":{service}:{}:", self.m.app.region)),
            pref("app/account", "account_id"),
            text(":"),
        ]
    }

    /// An IAM role that an AWS service assumes.
    fn role(&mut self, id: String, name: &str, description: String, service: &str) -> String {
        self.add(
            id,
            "aws_iam_role",
            Concern::Iam,
            Some(name),
            attrs(vec![
                ("name", s(name)),
                ("description", s(description)),
                ("assume_role_policy", assume_role(service)),
            ]),
        )
    }

    /// Attaches an AWS-managed policy to a role.
    fn attach_managed(&mut self, id: String, role: &str, policy_arn: &str) {
        self.add(
            id,
            "aws_iam_role_policy_attachment",
            Concern::Iam,
            None,
            attrs(vec![("role", r(role, "name")), ("policy_arn", s(policy_arn))]),
        );
    }

    // ------------------------------------------------------------------ app

    fn app(&mut self) {
        let prefix = self.prefix();
        self.at("app".into(), self.m.app.span);
        let insights = if self.m.app.container_insights { "enabled" } else { "disabled" };
        self.add(
            "app/cluster".into(),
            "aws_ecs_cluster",
            Concern::Main,
            Some(&prefix),
            attrs(vec![
                ("name", s(&prefix)),
                ("setting", block(vec![("name", s("containerInsights")), ("value", s(insights))])),
            ]),
        );
        self.logs_key();
        self.add(
            "app/capacity-providers".into(),
            "aws_ecs_cluster_capacity_providers",
            Concern::Main,
            None,
            attrs(vec![
                ("cluster_name", r("app/cluster", "name")),
                ("capacity_providers", strs(["FARGATE", "FARGATE_SPOT"])),
                (
                    "default_capacity_provider_strategy",
                    block(vec![("capacity_provider", s("FARGATE")), ("weight", i(1))]),
                ),
            ]),
        );
    }

    /// One KMS key per stack encrypts every log group, rotated yearly. Its policy names
    /// its actions: the account administers and uses it, CloudWatch Logs uses it for this
    /// stack's region.
    fn logs_key(&mut self) {
        let prefix = self.prefix();
        let region = self.m.app.region.clone();
        self.data("app/partition", "aws_partition", Concern::Main, Vec::new());
        self.data("app/account", "aws_caller_identity", Concern::Main, Vec::new());
        let root = tmpl(vec![
            text("arn:"),
            pref("app/partition", "partition"),
            text(":iam::"),
            pref("app/account", "account_id"),
            text(":root"),
        ]);
        let admin = map(vec![
            ("Sid", s("AccountAdministers")),
            ("Effect", s("Allow")),
            ("Principal", map(vec![("AWS", root)])),
            ("Action", strs(KMS_ADMIN_ACTIONS)),
            ("Resource", s("*")),
        ]);
        let log_arn = tmpl(vec![
            text("arn:"),
            pref("app/partition", "partition"),
            text(&format!(":logs:{region}:")),
            pref("app/account", "account_id"),
            text(":log-group:*"),
        ]);
        let logs = map(vec![
            ("Sid", s("CloudWatchLogsEncrypts")),
            ("Effect", s("Allow")),
            ("Principal", map(vec![("Service", s(format!("logs.{region}.amazonaws.com")))])),
            (
                "Action",
                strs([
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ]),
            ),
            ("Resource", s("*")),
            ("Condition", map(vec![("ArnLike", map(vec![("kms:EncryptionContext:aws:logs:arn", log_arn)]))])),
        ]);
        self.add(
            "app/logs-key".into(),
            "aws_kms_key",
            Concern::Main,
            Some(&format!("{prefix}-logs")),
            attrs(vec![
                ("description", s(format!("Encrypts the CloudWatch logs of {prefix}"))),
                ("enable_key_rotation", b(true)),
                ("deletion_window_in_days", i(30)),
                ("policy", json(map(vec![("Version", s("2012-10-17")), ("Statement", list([admin, logs]))]))),
            ]),
        );
    }

    // ------------------------------------------------------------------ network

    fn net_id(n: &str, what: &str) -> String {
        format!("network.{n}/{what}")
    }

    fn network(&mut self, n: &Network) {
        self.at(format!("network.{}", n.name), n.span);
        let name = self.m.app.aws_name(&n.name);
        let vpc = self.add(
            Self::net_id(&n.name, "vpc"),
            "aws_vpc",
            Concern::Network,
            Some(&name),
            attrs(vec![
                ("cidr_block", s(n.cidr.to_string())),
                ("enable_dns_support", b(true)),
                ("enable_dns_hostnames", b(true)),
            ]),
        );
        // The default security group admits nothing: every group fgc uses is explicit.
        self.add(
            Self::net_id(&n.name, "default-sg"),
            "aws_default_security_group",
            Concern::Network,
            Some(&format!("{name}-default")),
            attrs(vec![("vpc_id", r(&vpc, "id"))]),
        );
        let igw = self.add(
            Self::net_id(&n.name, "igw"),
            "aws_internet_gateway",
            Concern::Network,
            Some(&name),
            attrs(vec![("vpc_id", r(&vpc, "id"))]),
        );
        let zones: Vec<Val> = match &n.zones {
            Zones::Names(names) => names.iter().map(s).collect(),
            Zones::Count(c) => {
                // An allowlist of zone names keeps the set closed when AWS adds zones.
                let region = self.m.app.region.clone();
                let names = ["a", "b", "c", "d", "e", "f"].map(|z| format!("{region}{z}"));
                self.data(
                    "app/azs",
                    "aws_availability_zones",
                    Concern::Network,
                    attrs(vec![
                        ("state", s("available")),
                        ("filter", block(vec![("name", s("zone-name")), ("values", strs(names))])),
                    ]),
                );
                (0..*c).map(|k| r("app/azs", &format!("names[{k}]"))).collect()
            }
        };
        let mut public = Vec::new();
        let mut private = Vec::new();
        for (tier, cidrs, out) in
            [("public", &n.public_subnets, &mut public), ("private", &n.private_subnets, &mut private)]
        {
            for (k, cidr) in cidrs.iter().enumerate() {
                let az = zones.get(k).cloned().unwrap_or(s(""));
                let id = self.add(
                    Self::net_id(&n.name, &format!("subnet/{tier}/{k}")),
                    "aws_subnet",
                    Concern::Network,
                    Some(&format!("{name}-{tier}-{k}")),
                    attrs(vec![
                        ("vpc_id", r(&vpc, "id")),
                        ("cidr_block", s(cidr.to_string())),
                        ("availability_zone", az),
                        ("map_public_ip_on_launch", b(false)),
                    ]),
                );
                out.push(id);
            }
        }
        let public_rt = self.add(
            Self::net_id(&n.name, "route-table/public"),
            "aws_route_table",
            Concern::Network,
            Some(&format!("{name}-public")),
            attrs(vec![("vpc_id", r(&vpc, "id"))]),
        );
        self.add(
            Self::net_id(&n.name, "route/public-internet"),
            "aws_route",
            Concern::Network,
            None,
            attrs(vec![
                ("route_table_id", r(&public_rt, "id")),
                ("destination_cidr_block", s("0.0.0.0/0")),
                ("gateway_id", r(&igw, "id")),
            ]),
        );
        for (k, sub) in public.iter().enumerate() {
            self.add(
                Self::net_id(&n.name, &format!("route-table-association/public/{k}")),
                "aws_route_table_association",
                Concern::Network,
                None,
                attrs(vec![("subnet_id", r(sub, "id")), ("route_table_id", r(&public_rt, "id"))]),
            );
        }
        // NAT gateways: none, one in the first zone, or one per zone.
        let nat_count = match n.nat {
            Nat::None => 0,
            Nat::Single => 1.min(public.len()),
            Nat::PerZone => public.len(),
        };
        let mut nats = Vec::new();
        for (k, public_subnet) in public.iter().take(nat_count).enumerate() {
            let eip = self.add(
                Self::net_id(&n.name, &format!("eip/{k}")),
                "aws_eip",
                Concern::Network,
                Some(&format!("{name}-nat-{k}")),
                attrs(vec![("domain", s("vpc"))]),
            );
            let nat = self.add(
                Self::net_id(&n.name, &format!("nat/{k}")),
                "aws_nat_gateway",
                Concern::Network,
                Some(&format!("{name}-{k}")),
                attrs(vec![("allocation_id", r(&eip, "id")), ("subnet_id", r(public_subnet, "id"))]),
            );
            // The gateway needs the internet gateway attached before it can route.
            self.last().after.push(igw.clone());
            nats.push(nat);
        }
        let tables = if n.nat == Nat::PerZone { private.len() } else { 1.min(private.len()) };
        let mut private_rts = Vec::new();
        for k in 0..tables {
            let suffix = if n.nat == Nat::PerZone { format!("private-{k}") } else { "private".to_string() };
            let id = if n.nat == Nat::PerZone {
                Self::net_id(&n.name, &format!("route-table/private/{k}"))
            } else {
                Self::net_id(&n.name, "route-table/private")
            };
            let rt = self.add(
                id,
                "aws_route_table",
                Concern::Network,
                Some(&format!("{name}-{suffix}")),
                attrs(vec![("vpc_id", r(&vpc, "id"))]),
            );
            if let Some(nat) = nats.get(k).or(nats.first()) {
                self.add(
                    Self::net_id(&n.name, &format!("route/private-nat/{k}")),
                    "aws_route",
                    Concern::Network,
                    None,
                    attrs(vec![
                        ("route_table_id", r(&rt, "id")),
                        ("destination_cidr_block", s("0.0.0.0/0")),
                        ("nat_gateway_id", r(nat, "id")),
                    ]),
                );
            }
            private_rts.push(rt);
        }
        for (k, sub) in private.iter().enumerate() {
            let rt = private_rts.get(k).or(private_rts.first()).cloned().unwrap_or_default();
            self.add(
                Self::net_id(&n.name, &format!("route-table-association/private/{k}")),
                "aws_route_table_association",
                Concern::Network,
                None,
                attrs(vec![("subnet_id", r(sub, "id")), ("route_table_id", r(&rt, "id"))]),
            );
        }
        self.endpoints(n, &name, &vpc, &private, &private_rts);
        if let Some(days) = n.flow_logs {
            self.flow_logs(n, &name, &vpc, days);
        }
    }

    fn endpoints(&mut self, n: &Network, name: &str, vpc: &str, private: &[String], rts: &[String]) {
        if n.endpoints.is_empty() {
            return;
        }
        let region = self.m.app.region.clone();
        let interface: Vec<(&str, &str)> = n
            .endpoints
            .iter()
            .flat_map(|e| match e {
                Endpoint::Ecr => vec![("ecr-api", "ecr.api"), ("ecr-dkr", "ecr.dkr")],
                Endpoint::Logs => vec![("logs", "logs")],
                Endpoint::SecretsManager => vec![("secretsmanager", "secretsmanager")],
                Endpoint::Ssm => vec![("ssm", "ssm")],
                Endpoint::S3 => vec![],
            })
            .collect();
        if !interface.is_empty() {
            let sg = self.add(
                Self::net_id(&n.name, "endpoint-sg"),
                "aws_security_group",
                Concern::Network,
                Some(&format!("{name}-endpoints")),
                attrs(vec![
                    ("name", s(format!("{name}-endpoints"))),
                    ("description", s("HTTPS from inside the VPC to the VPC interface endpoints")),
                    ("vpc_id", r(vpc, "id")),
                ]),
            );
            self.add(
                Self::net_id(&n.name, "endpoint-sg/ingress/https"),
                "aws_vpc_security_group_ingress_rule",
                Concern::Network,
                None,
                attrs(vec![
                    ("security_group_id", r(&sg, "id")),
                    ("description", s("HTTPS from the VPC")),
                    ("ip_protocol", s("tcp")),
                    ("from_port", i(443)),
                    ("to_port", i(443)),
                    ("cidr_ipv4", s(n.cidr.to_string())),
                ]),
            );
            for (key, service) in interface {
                self.add(
                    Self::net_id(&n.name, &format!("endpoint/{key}")),
                    "aws_vpc_endpoint",
                    Concern::Network,
                    Some(&format!("{name}-{key}")),
                    attrs(vec![
                        ("vpc_id", r(vpc, "id")),
                        ("service_name", s(format!("com.amazonaws.{region}.{service}"))),
                        ("vpc_endpoint_type", s("Interface")),
                        ("subnet_ids", list(private.iter().map(|p| r(p, "id")))),
                        ("security_group_ids", list([r(&sg, "id")])),
                        ("private_dns_enabled", b(true)),
                    ]),
                );
            }
        }
        if n.endpoints.contains(&Endpoint::S3) {
            self.add(
                Self::net_id(&n.name, "endpoint/s3"),
                "aws_vpc_endpoint",
                Concern::Network,
                Some(&format!("{name}-s3")),
                attrs(vec![
                    ("vpc_id", r(vpc, "id")),
                    ("service_name", s(format!("com.amazonaws.{region}.s3"))),
                    ("vpc_endpoint_type", s("Gateway")),
                    ("route_table_ids", list(rts.iter().map(|t| r(t, "id")))),
                ]),
            );
        }
    }

    fn flow_logs(&mut self, n: &Network, name: &str, vpc: &str, days: u32) {
        let group = self.add(
            Self::net_id(&n.name, "flow-log-group"),
            "aws_cloudwatch_log_group",
            Concern::Network,
            Some(&format!("{name}-flow-logs")),
            attrs(vec![
                ("name", s(format!("/vpc/{name}/flow-logs"))),
                ("retention_in_days", i(days)),
                ("kms_key_id", r("app/logs-key", "arn")),
            ]),
        );
        let role = self.role(
            Self::net_id(&n.name, "flow-log-role"),
            &format!("{name}-flow-logs"),
            format!("VPC flow logs of {name}"),
            "vpc-flow-logs.amazonaws.com",
        );
        self.add(
            Self::net_id(&n.name, "flow-log-policy"),
            "aws_iam_role_policy",
            Concern::Iam,
            None,
            attrs(vec![
                ("name", s("write-flow-logs")),
                ("role", r(&role, "id")),
                (
                    "policy",
                    policy(vec![statement(
                        &["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        vec![tmpl(vec![pref(&group, "arn"), text(":*")])],
                    )]),
                ),
            ]),
        );
        self.add(
            Self::net_id(&n.name, "flow-log"),
            "aws_flow_log",
            Concern::Network,
            Some(name),
            attrs(vec![
                ("vpc_id", r(vpc, "id")),
                ("traffic_type", s("ALL")),
                ("log_destination", r(&group, "arn")),
                ("iam_role_arn", r(&role, "arn")),
            ]),
        );
    }

    // ------------------------------------------------------------------ balancer

    fn balancer(&mut self, bal: &Balancer) {
        self.at(format!("balancer.{}", bal.name), bal.span);
        let Some(net) = self.m.network(&bal.network) else { return };
        let vpc = Self::net_id(&net.name, "vpc");
        let id = |what: &str| format!("balancer.{}/{what}", bal.name);
        let sg = self.add(
            id("sg"),
            "aws_security_group",
            Concern::Balancer,
            Some(&format!("{}-lb", bal.aws_name)),
            attrs(vec![
                ("name", s(format!("{}-lb", bal.aws_name))),
                ("description", s(format!("Load balancer {}: listener ports in, service ports out", bal.aws_name))),
                ("vpc_id", r(&vpc, "id")),
            ]),
        );
        let mut ports: Vec<u16> = bal.listeners.iter().map(|l| l.port).collect();
        if bal.listeners.iter().any(|l| l.protocol == Protocol::Https && l.redirect_http && l.port != 80) {
            ports.push(80);
        }
        ports.sort_unstable();
        ports.dedup();
        let (source_key, source) =
            if bal.internal { ("cidr_ipv4", s(net.cidr.to_string())) } else { ("cidr_ipv4", s("0.0.0.0/0")) };
        for p in &ports {
            let from = if bal.internal { "the VPC" } else { "the internet" };
            self.add(
                id(&format!("sg/ingress/{p}")),
                "aws_vpc_security_group_ingress_rule",
                Concern::Balancer,
                None,
                attrs(vec![
                    ("security_group_id", r(&sg, "id")),
                    ("description", s(format!("Port {p} from {from}"))),
                    ("ip_protocol", s("tcp")),
                    ("from_port", i(*p)),
                    ("to_port", i(*p)),
                    (source_key, source.clone()),
                ]),
            );
        }
        // Egress only to the services it routes to, on their ports.
        let mut names: Vec<&str> = bal
            .listeners
            .iter()
            .flat_map(|l| l.routes.iter().map(|r| r.service.as_str()).chain(l.default_service()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let targets: Vec<&Service> = names.iter().filter_map(|n| self.services.get(n).copied()).collect();
        for t in &targets {
            let Some(port) = t.port else { continue };
            self.add(
                id(&format!("sg/egress/{}", t.name)),
                "aws_vpc_security_group_egress_rule",
                Concern::Balancer,
                None,
                attrs(vec![
                    ("security_group_id", r(&sg, "id")),
                    ("description", s(format!("To service {} on port {port}", t.name))),
                    ("ip_protocol", s("tcp")),
                    ("from_port", i(port)),
                    ("to_port", i(port)),
                    ("referenced_security_group_id", r(format!("service.{}/sg", t.name), "id")),
                ]),
            );
        }
        let subnets: Vec<Val> = (0..if bal.internal { net.private_subnets.len() } else { net.public_subnets.len() })
            .map(|k| {
                let tier = if bal.internal { "private" } else { "public" };
                r(Self::net_id(&net.name, &format!("subnet/{tier}/{k}")), "id")
            })
            .collect();
        let alb = self.add(
            id("alb"),
            "aws_lb",
            Concern::Balancer,
            Some(&bal.aws_name),
            attrs(vec![
                ("name", s(&bal.aws_name)),
                ("internal", b(bal.internal)),
                ("load_balancer_type", s("application")),
                ("security_groups", list([r(&sg, "id")])),
                ("subnets", Val::List(subnets)),
                ("idle_timeout", i(bal.idle_timeout_s)),
                ("drop_invalid_header_fields", b(bal.drop_invalid_headers)),
                ("enable_deletion_protection", b(bal.deletion_protection)),
            ]),
        );
        let mut listener_ids = Vec::new();
        for l in &bal.listeners {
            let https = l.protocol == Protocol::Https;
            let mut a = attrs(vec![
                ("load_balancer_arn", r(&alb, "arn")),
                ("port", i(l.port)),
                ("protocol", s(if https { "HTTPS" } else { "HTTP" })),
            ]);
            if https {
                a.push(("ssl_policy".into(), s(l.tls_policy.clone().unwrap_or_default())));
                a.push(("certificate_arn".into(), s(l.certificate.clone().unwrap_or_default())));
            }
            a.push(("default_action".into(), self.action(&l.default)));
            let lid = self.add(
                id(&format!("listener/{}", l.port)),
                "aws_lb_listener",
                Concern::Balancer,
                Some(&format!("{}-{}", bal.aws_name, l.port)),
                a,
            );
            if l.default_service().and_then(|s| self.services.get(s)).is_some_and(|s| s.deployment.blue_green) {
                self.last().managed_elsewhere.push("default_action".into());
            }
            listener_ids.push((l, lid.clone()));
            for route in &l.routes {
                let mut conds = Vec::new();
                if !route.paths.is_empty() {
                    conds.push((
                        "condition",
                        block(vec![("path_pattern", block(vec![("values", strs(&route.paths))]))]),
                    ));
                }
                if !route.hosts.is_empty() {
                    conds
                        .push(("condition", block(vec![("host_header", block(vec![("values", strs(&route.hosts))]))])));
                }
                let mut a = attrs(vec![
                    ("listener_arn", r(&lid, "arn")),
                    ("priority", i(route.priority)),
                    ("action", self.action(&Action::Forward(route.service.clone()))),
                ]);
                a.extend(attrs(conds));
                self.add(
                    id(&format!("listener/{}/rule/{}", l.port, route.priority)),
                    "aws_lb_listener_rule",
                    Concern::Balancer,
                    Some(&format!("{}-{}-{}", bal.aws_name, l.port, route.service)),
                    a,
                );
                // CodeDeploy moves the rule between the blue and green target groups.
                if self.services.get(route.service.as_str()).is_some_and(|s| s.deployment.blue_green) {
                    self.last().managed_elsewhere.push("action".into());
                }
            }
            if https && l.redirect_http && l.port != 80 {
                let redirect = block(vec![
                    ("type", s("redirect")),
                    (
                        "redirect",
                        block(vec![
                            ("port", s(l.port.to_string())),
                            ("protocol", s("HTTPS")),
                            ("status_code", s("HTTP_301")),
                        ]),
                    ),
                ]);
                self.add(
                    id("listener/80"),
                    "aws_lb_listener",
                    Concern::Balancer,
                    Some(&format!("{}-80", bal.aws_name)),
                    attrs(vec![
                        ("load_balancer_arn", r(&alb, "arn")),
                        ("port", i(80)),
                        ("protocol", s("HTTP")),
                        ("default_action", redirect),
                    ]),
                );
            }
        }
    }

    /// The target group a balancer forwards to for a service (the blue one for blue/green).
    fn target_group(service: &str, blue_green: bool) -> String {
        if blue_green { format!("service.{service}/tg/blue") } else { format!("service.{service}/tg") }
    }

    fn action(&self, a: &Action) -> Val {
        match a {
            Action::Forward(svc) => {
                let bg = self.services.get(svc.as_str()).is_some_and(|s| s.deployment.blue_green);
                block(vec![("type", s("forward")), ("target_group_arn", r(Self::target_group(svc, bg), "arn"))])
            }
            Action::Respond { status, body, content_type } => block(vec![
                ("type", s("fixed-response")),
                (
                    "fixed_response",
                    block(vec![
                        ("content_type", s(content_type)),
                        ("message_body", s(body)),
                        ("status_code", s(status.to_string())),
                    ]),
                ),
            ]),
            Action::Redirect { url, status } => {
                let (protocol, rest) = url.split_once("://").unwrap_or(("HTTPS", url.as_str()));
                let (host_port, path) =
                    rest.split_once('/').map_or((rest, "/#{path}".to_string()), |(h, p)| (h, format!("/{p}")));
                let (host, port) = host_port.split_once(':').unwrap_or((host_port, "#{port}"));
                block(vec![
                    ("type", s("redirect")),
                    (
                        "redirect",
                        block(vec![
                            ("host", s(host)),
                            ("path", s(path)),
                            ("port", s(port)),
                            ("protocol", s(protocol.to_ascii_uppercase())),
                            ("status_code", s(format!("HTTP_{status}"))),
                        ]),
                    ),
                ])
            }
        }
    }

    // ------------------------------------------------------------------ service

    fn service(&mut self, svc: &Service) {
        self.at(format!("service.{}", svc.name), svc.span);
        let Some(net) = self.m.network(&svc.network) else { return };
        let id = |what: &str| format!("service.{}/{what}", svc.name);
        let vpc = Self::net_id(&net.name, "vpc");
        let routes: Vec<(&Balancer, &Listener)> = self.routes.get(svc.name.as_str()).cloned().unwrap_or_default();
        let mut balancers: Vec<&Balancer> = routes.iter().map(|(b, _)| *b).collect();
        balancers.dedup_by(|a, b| a.name == b.name);

        // Security group: in from the balancers on the port; out to HTTPS and the databases.
        let sg = self.add(
            id("sg"),
            "aws_security_group",
            Concern::Services,
            Some(&format!("{}-tasks", svc.aws_name)),
            attrs(vec![
                ("name", s(format!("{}-tasks", svc.aws_name))),
                ("description", s(format!("Tasks of {}: in from its load balancer only", svc.aws_name))),
                ("vpc_id", r(&vpc, "id")),
            ]),
        );
        if let Some(port) = svc.port {
            for bal in &balancers {
                self.add(
                    id(&format!("sg/ingress/{}", bal.name)),
                    "aws_vpc_security_group_ingress_rule",
                    Concern::Services,
                    None,
                    attrs(vec![
                        ("security_group_id", r(&sg, "id")),
                        ("description", s(format!("Port {port} from load balancer {}", bal.name))),
                        ("ip_protocol", s("tcp")),
                        ("from_port", i(port)),
                        ("to_port", i(port)),
                        ("referenced_security_group_id", r(format!("balancer.{}/sg", bal.name), "id")),
                    ]),
                );
            }
        }
        self.add(
            id("sg/egress/https"),
            "aws_vpc_security_group_egress_rule",
            Concern::Services,
            None,
            attrs(vec![
                ("security_group_id", r(&sg, "id")),
                ("description", s("HTTPS out: images, logs, secrets and AWS APIs")),
                ("ip_protocol", s("tcp")),
                ("from_port", i(443)),
                ("to_port", i(443)),
                ("cidr_ipv4", s("0.0.0.0/0")),
            ]),
        );
        let mut dbs: Vec<&Database> =
            self.m.databases.iter().filter(|d| d.access.iter().any(|a| a == &svc.name)).collect();
        dbs.sort_by(|a, b| a.name.cmp(&b.name));
        for db in &dbs {
            self.add(
                id(&format!("sg/egress/{}", db.name)),
                "aws_vpc_security_group_egress_rule",
                Concern::Services,
                None,
                attrs(vec![
                    ("security_group_id", r(&sg, "id")),
                    ("description", s(format!("To database {} on port {}", db.name, db.port))),
                    ("ip_protocol", s("tcp")),
                    ("from_port", i(db.port)),
                    ("to_port", i(db.port)),
                    ("referenced_security_group_id", r(format!("database.{}/sg", db.name), "id")),
                ]),
            );
        }

        // Logs, roles.
        let log_group_name = format!("/ecs/{}/{}", self.prefix(), svc.name);
        let logs = self.add(
            id("logs"),
            "aws_cloudwatch_log_group",
            Concern::Services,
            Some(&log_group_name),
            attrs(vec![
                ("name", s(&log_group_name)),
                ("retention_in_days", i(svc.log_retention_days)),
                ("kms_key_id", r("app/logs-key", "arn")),
            ]),
        );
        let exec_role = self.role(
            id("execution-role"),
            &format!("{}-execution", svc.aws_name),
            format!("ECS pulls the image, writes logs and reads secrets for {}", svc.aws_name),
            "ecs-tasks.amazonaws.com",
        );
        let statements = self.execution_statements(svc, &logs);
        self.add(
            id("execution-policy"),
            "aws_iam_role_policy",
            Concern::Iam,
            None,
            attrs(vec![("name", s("execution")), ("role", r(&exec_role, "id")), ("policy", policy(statements))]),
        );
        let task_role = if svc.permissions.is_empty() {
            None
        } else {
            let role = self.role(
                id("task-role"),
                &format!("{}-task", svc.aws_name),
                format!("Permissions of the application in {}", svc.aws_name),
                "ecs-tasks.amazonaws.com",
            );
            let stmts = svc
                .permissions
                .iter()
                .map(|p| {
                    let mut st = statement(
                        &p.actions.iter().map(String::as_str).collect::<Vec<_>>(),
                        p.resources.iter().map(s).collect(),
                    );
                    if let Val::Map(kv) = &mut st {
                        kv.insert(0, ("Sid".into(), s(sid(&p.sid))));
                    }
                    st
                })
                .collect();
            self.add(
                id("task-policy"),
                "aws_iam_role_policy",
                Concern::Iam,
                None,
                attrs(vec![("name", s("task")), ("role", r(&role, "id")), ("policy", policy(stmts))]),
            );
            Some(role)
        };

        // Task definition.
        let containers = self.containers(svc, &logs);
        let mut task = attrs(vec![
            ("family", s(&svc.aws_name)),
            ("cpu", s(svc.cpu.to_string())),
            ("memory", s(svc.memory_mib.to_string())),
            ("network_mode", s("awsvpc")),
            ("requires_compatibilities", strs(["FARGATE"])),
            ("execution_role_arn", r(&exec_role, "arn")),
        ]);
        if let Some(role) = &task_role {
            task.push(("task_role_arn".into(), r(role, "arn")));
        }
        task.push((
            "runtime_platform".into(),
            block(vec![("operating_system_family", s("LINUX")), ("cpu_architecture", s("X86_64"))]),
        ));
        task.push(("container_definitions".into(), json(containers)));
        let task = self.add(id("task"), "aws_ecs_task_definition", Concern::Services, Some(&svc.aws_name), task);

        // Target groups.
        let tgs: Vec<String> = if routes.is_empty() {
            Vec::new()
        } else {
            let names = fg_check_tg_names(&svc.aws_name, svc.deployment.blue_green);
            let dereg = balancers.first().map_or(30, |b| b.deregistration_delay_s);
            let keys: Vec<&str> = if svc.deployment.blue_green { vec!["tg/blue", "tg/green"] } else { vec!["tg"] };
            keys.iter()
                .zip(names)
                .map(|(key, name)| {
                    let mut a = attrs(vec![
                        ("name", s(&name)),
                        ("port", i(svc.port.unwrap_or(80))),
                        ("protocol", s("HTTP")),
                        ("target_type", s("ip")),
                        ("vpc_id", r(&vpc, "id")),
                        ("deregistration_delay", s(dereg.to_string())),
                    ]);
                    let default_health = HealthCheck {
                        path: "/".into(),
                        interval_s: 30,
                        timeout_s: 5,
                        healthy: 3,
                        unhealthy: 3,
                        matcher: "200-399".into(),
                        grace_s: 30,
                    };
                    {
                        let h = svc.health.as_ref().unwrap_or(&default_health);
                        a.push((
                            "health_check".into(),
                            block(vec![
                                ("enabled", b(true)),
                                ("path", s(&h.path)),
                                ("protocol", s("HTTP")),
                                ("port", s("traffic-port")),
                                ("matcher", s(&h.matcher)),
                                ("interval", i(h.interval_s)),
                                ("timeout", i(h.timeout_s)),
                                ("healthy_threshold", i(h.healthy)),
                                ("unhealthy_threshold", i(h.unhealthy)),
                            ]),
                        ));
                    }
                    self.add(id(key), "aws_lb_target_group", Concern::Balancer, Some(&name), a)
                })
                .collect()
        };

        // The service.
        let mut a = attrs(vec![
            ("name", s(&svc.aws_name)),
            ("cluster", r("app/cluster", "id")),
            ("task_definition", r(&task, "arn")),
            ("desired_count", i(svc.count)),
        ]);
        let cap = svc.capacity;
        for (provider, weight, base) in [("FARGATE", cap.on_demand, cap.base), ("FARGATE_SPOT", cap.spot, 0)] {
            if weight > 0 || (base > 0 && provider == "FARGATE") {
                let mut kv = vec![("capacity_provider", s(provider)), ("weight", i(weight))];
                if base > 0 {
                    kv.push(("base", i(base)));
                }
                a.push(("capacity_provider_strategy".into(), block(kv)));
            }
        }
        let tier = if svc.subnets == SubnetKind::Public { "public" } else { "private" };
        let count = if tier == "public" { net.public_subnets.len() } else { net.private_subnets.len() };
        a.push((
            "network_configuration".into(),
            block(vec![
                ("subnets", list((0..count).map(|k| r(Self::net_id(&net.name, &format!("subnet/{tier}/{k}")), "id")))),
                ("security_groups", list([r(&sg, "id")])),
                ("assign_public_ip", b(svc.public_ip)),
            ]),
        ));
        if let (Some(tg), Some(port)) = (tgs.first(), svc.port) {
            a.push((
                "load_balancer".into(),
                block(vec![
                    ("target_group_arn", r(tg, "arn")),
                    ("container_name", s(&svc.name)),
                    ("container_port", i(port)),
                ]),
            ));
            let grace = svc.health.as_ref().map_or(30, |h| h.grace_s);
            a.push(("health_check_grace_period_seconds".into(), i(grace)));
        }
        if svc.deployment.blue_green {
            a.push(("deployment_controller".into(), block(vec![("type", s("CODE_DEPLOY"))])));
        } else {
            a.push((
                "deployment_circuit_breaker".into(),
                block(vec![("enable", b(svc.deployment.circuit_breaker)), ("rollback", b(svc.deployment.rollback))]),
            ));
        }
        a.push(("deployment_minimum_healthy_percent".into(), i(svc.deployment.min_healthy_percent)));
        a.push(("deployment_maximum_percent".into(), i(svc.deployment.max_percent)));
        a.push(("enable_ecs_managed_tags".into(), b(true)));
        a.push(("propagate_tags".into(), s("SERVICE")));
        let service = self.add(id("service"), "aws_ecs_service", Concern::Services, Some(&svc.aws_name), a);
        {
            // Listeners must forward to the target group before the service registers.
            let listeners: Vec<String> = routes
                .iter()
                .map(|(bal, l)| format!("balancer.{}/listener/{}", bal.name, l.port))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let last = self.last();
            last.after.extend(listeners);
            last.after.push("app/capacity-providers".into());
            if svc.scale.is_some() {
                last.managed_elsewhere.push("desired_count".into());
            }
            if svc.deployment.blue_green {
                last.managed_elsewhere.push("task_definition".into());
                last.managed_elsewhere.push("load_balancer".into());
            }
        }
        if svc.deployment.blue_green && tgs.len() == 2 {
            self.code_deploy(svc, &service, &tgs, &routes);
        }
        if let Some(scale) = &svc.scale {
            self.scaling(svc, scale, &service, tgs.first().map(String::as_str), &balancers);
        }
    }

    fn execution_statements(&mut self, svc: &Service, logs: &str) -> Vec<Val> {
        let mut out = vec![statement(
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![tmpl(vec![pref(logs, "arn"), text(":*")])],
        )];
        // Private ECR images: the token (an account-wide call) and the repository.
        // Repositories of this stack are referred to as `${repo.url}`.
        let (repos, own) = self.m.pulls_from(svc);
        if !repos.is_empty() || !own.is_empty() {
            out.push(statement(&["ecr:GetAuthorizationToken"], vec![s("*")]));
            let prefix = self.arn_prefix("ecr");
            let arns = repos
                .iter()
                .map(|repo| {
                    let mut p = prefix.clone();
                    p.push(text(&format!("repository/{repo}")));
                    tmpl(p)
                })
                .chain(own.iter().map(|name| r(format!("repository.{name}/repo"), "arn")))
                .collect();
            out.push(statement(
                &["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                arns,
            ));
        }
        let secrets = svc.secrets.iter().chain(svc.sidecars.iter().flat_map(|s| s.secrets.iter()));
        let mut ssm: Vec<Val> = Vec::new();
        let mut sm: Vec<Val> = Vec::new();
        for (_, secret) in secrets {
            match secret {
                Secret::Ssm(p) => {
                    let arn = self.ssm_arn(p);
                    if !ssm.contains(&arn) {
                        ssm.push(arn);
                    }
                }
                Secret::SecretsManager { id, .. } => {
                    let arn = self.secret_arn(id, true);
                    if !sm.contains(&arn) {
                        sm.push(arn);
                    }
                }
                Secret::Database(db) => {
                    let arn = r(format!("database.{db}/instance"), "master_user_secret[0].secret_arn");
                    if !sm.contains(&arn) {
                        sm.push(arn);
                    }
                }
            }
        }
        if !ssm.is_empty() {
            out.push(statement(&["ssm:GetParameters"], ssm));
        }
        if !sm.is_empty() {
            out.push(statement(&["secretsmanager:GetSecretValue"], sm));
        }
        out
    }

    fn ssm_arn(&mut self, p: &str) -> Val {
        if p.starts_with("arn:") {
            return s(p);
        }
        let mut parts = self.arn_prefix("ssm");
        parts.push(text(&format!("parameter/{}", p.trim_start_matches('/'))));
        tmpl(parts)
    }

    /// A Secrets Manager ARN for a name; `for_iam` adds the wildcard for the random suffix
    /// AWS appends to secret ARNs.
    fn secret_arn(&mut self, id: &str, for_iam: bool) -> Val {
        if id.starts_with("arn:") {
            return s(id);
        }
        let mut parts = self.arn_prefix("secretsmanager");
        parts.push(text(&format!("secret:{id}{}", if for_iam { "-*" } else { "" })));
        tmpl(parts)
    }

    fn containers(&mut self, svc: &Service, logs: &str) -> Val {
        let log_config = |prefix: &str, region: &str| {
            map(vec![
                ("logDriver", s("awslogs")),
                (
                    "options",
                    map(vec![
                        ("awslogs-group", r(logs, "name")),
                        ("awslogs-region", s(region)),
                        ("awslogs-stream-prefix", s(prefix)),
                    ]),
                ),
            ])
        };
        let region = self.m.app.region.clone();
        let mut main = vec![("name", s(&svc.name)), ("image", text_val(&svc.image)), ("essential", b(true))];
        if let Some(p) = svc.port {
            main.push(("portMappings", list([map(vec![("containerPort", i(p)), ("protocol", s("tcp"))])])));
        }
        if let Some(c) = &svc.command {
            main.push(("command", strs(c)));
        }
        if let Some(e) = &svc.entrypoint {
            main.push(("entryPoint", strs(e)));
        }
        main.push(("environment", env_list(&svc.environment)));
        let secrets = self.secret_list(&svc.secrets);
        main.push(("secrets", secrets));
        if let Some(h) = &svc.container_health {
            main.push(("healthCheck", container_health(h)));
        }
        if !svc.depends_on.is_empty() {
            main.push(("dependsOn", depends(&svc.depends_on)));
        }
        main.push(("readonlyRootFilesystem", b(svc.readonly_root)));
        main.push(("logConfiguration", log_config(&svc.name, &region)));
        let mut out = vec![map(main)];
        for sc in &svc.sidecars {
            let mut c = vec![("name", s(&sc.name)), ("image", text_val(&sc.image)), ("essential", b(sc.essential))];
            if sc.cpu > 0 {
                c.push(("cpu", i(sc.cpu)));
            }
            if let Some(m) = sc.memory_mib {
                c.push(("memory", i(m)));
            }
            if let Some(p) = sc.port {
                c.push(("portMappings", list([map(vec![("containerPort", i(p)), ("protocol", s("tcp"))])])));
            }
            if let Some(cmd) = &sc.command {
                c.push(("command", strs(cmd)));
            }
            c.push(("environment", env_list(&sc.environment)));
            let secrets = self.secret_list(&sc.secrets);
            c.push(("secrets", secrets));
            if let Some(h) = &sc.container_health {
                c.push(("healthCheck", container_health(h)));
            }
            if !sc.depends_on.is_empty() {
                c.push(("dependsOn", depends(&sc.depends_on)));
            }
            c.push(("logConfiguration", log_config(&sc.name, &region)));
            out.push(map(c));
        }
        Val::List(out)
    }

    fn secret_list(&mut self, secrets: &[(String, Secret)]) -> Val {
        let mut sorted: Vec<&(String, Secret)> = secrets.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let items = sorted
            .into_iter()
            .map(|(name, secret)| {
                let from = match secret {
                    Secret::Ssm(p) => self.ssm_arn(p),
                    Secret::SecretsManager { id, key } => match key {
                        None => self.secret_arn(id, false),
                        Some(k) => {
                            let base = self.secret_arn(id, false);
                            let mut parts = match base {
                                Val::Template(p) => p,
                                Val::Str(x) => vec![text(&x)],
                                _ => Vec::new(),
                            };
                            parts.push(text(&format!(":{k}::")));
                            tmpl(parts)
                        }
                    },
                    Secret::Database(db) => tmpl(vec![
                        pref(format!("database.{db}/instance"), "master_user_secret[0].secret_arn"),
                        text(":password::"),
                    ]),
                };
                map(vec![("name", s(name)), ("valueFrom", from)])
            })
            .collect();
        Val::List(items)
    }

    fn code_deploy(&mut self, svc: &Service, service: &str, tgs: &[String], routes: &[(&Balancer, &Listener)]) {
        let id = |what: &str| format!("service.{}/{what}", svc.name);
        let app = self.add(
            id("codedeploy-app"),
            "aws_codedeploy_app",
            Concern::Services,
            Some(&svc.aws_name),
            attrs(vec![("name", s(&svc.aws_name)), ("compute_platform", s("ECS"))]),
        );
        let role = self.role(
            id("codedeploy-role"),
            &format!("{}-codedeploy", svc.aws_name),
            format!("CodeDeploy shifts traffic for {}", svc.aws_name),
            "codedeploy.amazonaws.com",
        );
        self.attach_managed(id("codedeploy-policy"), &role, "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS");
        let mut listeners: Vec<String> =
            routes.iter().map(|(bal, l)| format!("balancer.{}/listener/{}", bal.name, l.port)).collect();
        listeners.sort();
        listeners.dedup();
        let mut balancers: Vec<&Balancer> = routes.iter().map(|(b, _)| *b).collect();
        balancers.sort_by(|a, b| a.name.cmp(&b.name));
        balancers.dedup_by(|a, b| a.name == b.name);
        let mut test_listeners = Vec::new();
        if let Some(port) = svc.deployment.test_port {
            for bal in &balancers {
                test_listeners.push(self.test_listener(svc, bal, port, &tgs[0]));
            }
        }
        let mut alarms: Vec<Val> = svc.deployment.alarms.iter().map(s).collect();
        if let Some(bal) = balancers.first() {
            for kind in &svc.deployment.rollback_alarms {
                for (tg, color) in tgs.iter().zip(["blue", "green"]) {
                    let name = self.rollback_alarm(svc, bal, *kind, tg, color);
                    alarms.push(r(name, "alarm_name"));
                }
            }
        }
        let config = self.deployment_config(svc);
        let wait = (svc.deployment.bake_time_s / 60).max(5);
        let mut events = vec!["DEPLOYMENT_FAILURE"];
        if !alarms.is_empty() {
            events.push("DEPLOYMENT_STOP_ON_ALARM");
        }
        let mut pair = vec![
            ("prod_traffic_route", block(vec![("listener_arns", list(listeners.iter().map(|l| r(l, "arn"))))])),
            ("target_group", block(vec![("name", r(&tgs[0], "name"))])),
            ("target_group", block(vec![("name", r(&tgs[1], "name"))])),
        ];
        if !test_listeners.is_empty() {
            pair.push((
                "test_traffic_route",
                block(vec![("listener_arns", list(test_listeners.iter().map(|l| r(l, "arn"))))]),
            ));
        }
        let mut group = attrs(vec![
            ("app_name", r(&app, "name")),
            ("deployment_group_name", s(&svc.aws_name)),
            ("deployment_config_name", config),
            ("service_role_arn", r(&role, "arn")),
            (
                "auto_rollback_configuration",
                block(vec![("enabled", b(svc.deployment.rollback)), ("events", strs(events))]),
            ),
        ]);
        if !alarms.is_empty() {
            group
                .push(("alarm_configuration".into(), block(vec![("alarms", Val::List(alarms)), ("enabled", b(true))])));
        }
        group.extend(attrs(vec![
            (
                "blue_green_deployment_config",
                block(vec![
                    ("deployment_ready_option", block(vec![("action_on_timeout", s("CONTINUE_DEPLOYMENT"))])),
                    (
                        "terminate_blue_instances_on_deployment_success",
                        block(vec![("action", s("TERMINATE")), ("termination_wait_time_in_minutes", i(wait))]),
                    ),
                ]),
            ),
            (
                "deployment_style",
                block(vec![("deployment_option", s("WITH_TRAFFIC_CONTROL")), ("deployment_type", s("BLUE_GREEN"))]),
            ),
            (
                "ecs_service",
                block(vec![("cluster_name", r("app/cluster", "name")), ("service_name", r(service, "name"))]),
            ),
            ("load_balancer_info", block(vec![("target_group_pair_info", block(pair))])),
        ]));
        self.add(
            id("deployment-group"),
            "aws_codedeploy_deployment_group",
            Concern::Services,
            Some(&svc.aws_name),
            group,
        );
    }

    /// The CodeDeploy configuration of a service's traffic shift: one of AWS's predefined
    /// configurations when it matches, else one of the stack's own.
    fn deployment_config(&mut self, svc: &Service) -> Val {
        let (kind, percent, minutes) = match svc.deployment.shift {
            Shift::AllAtOnce => return s("CodeDeployDefault.ECSAllAtOnce"),
            Shift::Canary { percent, minutes } => ("Canary", percent, minutes),
            Shift::Linear { percent, minutes } => ("Linear", percent, minutes),
        };
        let predefined = match (kind, percent, minutes) {
            ("Linear", 10, 1) => Some("CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
            ("Linear", 10, 3) => Some("CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
            ("Canary", 10, 5) => Some("CodeDeployDefault.ECSCanary10Percent5Minutes"),
            ("Canary", 10, 15) => Some("CodeDeployDefault.ECSCanary10Percent15Minutes"),
            _ => None,
        };
        if let Some(name) = predefined {
            return s(name);
        }
        let name = format!("{}-{}-{percent}pct-{minutes}m", svc.aws_name, kind.to_lowercase());
        let (routing, body) = if kind == "Canary" {
            ("TimeBasedCanary", "time_based_canary")
        } else {
            ("TimeBasedLinear", "time_based_linear")
        };
        let config = self.add(
            format!("service.{}/deployment-config", svc.name),
            "aws_codedeploy_deployment_config",
            Concern::Services,
            None,
            attrs(vec![
                ("deployment_config_name", s(&name)),
                ("compute_platform", s("ECS")),
                (
                    "traffic_routing_config",
                    block(vec![
                        ("type", s(routing)),
                        (body, block(vec![("interval", i(minutes)), ("percentage", i(percent))])),
                    ]),
                ),
            ]),
        );
        r(config, "deployment_config_name")
    }

    /// A listener that reaches a blue/green service's new tasks before production traffic
    /// does, open to the VPC only.
    fn test_listener(&mut self, svc: &Service, bal: &Balancer, port: u16, blue: &str) -> String {
        let id = |what: &str| format!("balancer.{}/{what}", bal.name);
        let cidr = self.m.network(&bal.network).map(|n| n.cidr.to_string()).unwrap_or_default();
        self.add(
            id(&format!("sg/ingress/{port}")),
            "aws_vpc_security_group_ingress_rule",
            Concern::Balancer,
            None,
            attrs(vec![
                ("security_group_id", r(id("sg"), "id")),
                ("description", s(format!("Test port {port} of {} from the VPC", svc.name))),
                ("ip_protocol", s("tcp")),
                ("from_port", i(port)),
                ("to_port", i(port)),
                ("cidr_ipv4", s(cidr)),
            ]),
        );
        let listener = self.add(
            id(&format!("listener/{port}")),
            "aws_lb_listener",
            Concern::Balancer,
            Some(&format!("{}-{port}", bal.aws_name)),
            attrs(vec![
                ("load_balancer_arn", r(id("alb"), "arn")),
                ("port", i(port)),
                ("protocol", s("HTTP")),
                ("default_action", block(vec![("type", s("forward")), ("target_group_arn", r(blue, "arn"))])),
            ]),
        );
        // CodeDeploy points it at the replacement target group during each deployment.
        self.last().managed_elsewhere.push("default_action".into());
        listener
    }

    /// An alarm on one of a blue/green service's target groups that stops a deployment.
    fn rollback_alarm(&mut self, svc: &Service, bal: &Balancer, kind: RollbackAlarm, tg: &str, color: &str) -> String {
        let name = format!("{}-{}-{color}", svc.aws_name, kind.name());
        let d = &svc.deployment;
        let (metric, statistic, threshold, periods, description) = match kind {
            RollbackAlarm::Http5xx => (
                "HTTPCode_Target_5XX_Count",
                "Sum",
                d.rollback_5xx,
                1,
                format!("Stop a deployment of {} whose {color} tasks answer 5xx", svc.name),
            ),
            RollbackAlarm::Unhealthy => (
                "UnHealthyHostCount",
                "Maximum",
                1,
                d.rollback_unhealthy_minutes,
                format!("Stop a deployment of {} whose {color} tasks fail health checks", svc.name),
            ),
        };
        self.add(
            format!("service.{}/alarm/{}-{color}", svc.name, kind.name()),
            "aws_cloudwatch_metric_alarm",
            Concern::Services,
            Some(&name),
            attrs(vec![
                ("alarm_name", s(&name)),
                ("alarm_description", s(description)),
                ("namespace", s("AWS/ApplicationELB")),
                ("metric_name", s(metric)),
                ("statistic", s(statistic)),
                ("comparison_operator", s("GreaterThanOrEqualToThreshold")),
                ("threshold", i(threshold)),
                ("period", i(60)),
                ("evaluation_periods", i(periods)),
                ("treat_missing_data", s("notBreaching")),
                (
                    "dimensions",
                    map(vec![
                        ("LoadBalancer", tmpl(vec![pref(format!("balancer.{}/alb", bal.name), "arn_suffix")])),
                        ("TargetGroup", tmpl(vec![pref(tg, "arn_suffix")])),
                    ]),
                ),
            ]),
        )
    }

    // ------------------------------------------------------------------ repository

    fn repository(&mut self, repo: &Repository) {
        self.at(format!("repository.{}", repo.name), repo.span);
        let id = |what: &str| format!("repository.{}/{what}", repo.name);
        let ecr = self.add(
            id("repo"),
            "aws_ecr_repository",
            Concern::Services,
            Some(&repo.aws_name),
            attrs(vec![
                ("name", s(&repo.aws_name)),
                ("image_tag_mutability", s(if repo.immutable { "IMMUTABLE" } else { "MUTABLE" })),
                ("force_delete", b(repo.force_delete)),
                ("image_scanning_configuration", block(vec![("scan_on_push", b(repo.scan_on_push))])),
                (
                    "encryption_configuration",
                    block(vec![("encryption_type", s("KMS")), ("kms_key", r("app/logs-key", "arn"))]),
                ),
            ]),
        );
        let rule = map(vec![
            ("rulePriority", i(1)),
            ("description", s(format!("Keep the last {} images", repo.keep))),
            (
                "selection",
                map(vec![
                    ("tagStatus", s("any")),
                    ("countType", s("imageCountMoreThan")),
                    ("countNumber", i(repo.keep)),
                ]),
            ),
            ("action", map(vec![("type", s("expire"))])),
        ]);
        self.add(
            id("lifecycle"),
            "aws_ecr_lifecycle_policy",
            Concern::Services,
            None,
            attrs(vec![("repository", r(&ecr, "name")), ("policy", json(map(vec![("rules", list([rule]))])))]),
        );
    }

    // ------------------------------------------------------------------ api

    fn api(&mut self, api: &Api) {
        self.at(format!("api.{}", api.name), api.span);
        let Some(net) = self.m.network(&api.network) else { return };
        let Some(bal) = self.m.balancers.iter().find(|b| b.name == api.balancer) else { return };
        let id = |what: &str| format!("api.{}/{what}", api.name);
        let mut ports: Vec<u16> = api.routes.iter().map(|r| r.port).collect();
        ports.sort_unstable();
        ports.dedup();
        let sg = self.add(
            id("sg"),
            "aws_security_group",
            Concern::Balancer,
            Some(&format!("{}-vpc-link", api.aws_name)),
            attrs(vec![
                ("name", s(format!("{}-vpc-link", api.aws_name))),
                ("description", s(format!("VPC link of API {}: out to balancer {} only", api.aws_name, bal.aws_name))),
                ("vpc_id", r(Self::net_id(&net.name, "vpc"), "id")),
            ]),
        );
        for p in &ports {
            self.add(
                id(&format!("sg/egress/{p}")),
                "aws_vpc_security_group_egress_rule",
                Concern::Balancer,
                None,
                attrs(vec![
                    ("security_group_id", r(&sg, "id")),
                    ("description", s(format!("To balancer {} on port {p}", bal.name))),
                    ("ip_protocol", s("tcp")),
                    ("from_port", i(*p)),
                    ("to_port", i(*p)),
                    ("referenced_security_group_id", r(format!("balancer.{}/sg", bal.name), "id")),
                ]),
            );
        }
        let link = self.add(
            id("vpc-link"),
            "aws_apigatewayv2_vpc_link",
            Concern::Balancer,
            Some(&api.aws_name),
            attrs(vec![
                ("name", s(&api.aws_name)),
                ("security_group_ids", list([r(&sg, "id")])),
                (
                    "subnet_ids",
                    list(
                        (0..net.private_subnets.len())
                            .map(|k| r(Self::net_id(&net.name, &format!("subnet/private/{k}")), "id")),
                    ),
                ),
            ]),
        );
        let mut gw_attrs = attrs(vec![
            ("name", s(&api.aws_name)),
            ("protocol_type", s("HTTP")),
            ("description", s(format!("HTTP API of {} through balancer {}", self.prefix(), bal.aws_name))),
        ]);
        if let Some(c) = &api.cors {
            let strings = |v: &[String]| list(v.iter().map(s));
            let mut cors = vec![("allow_origins", strings(&c.origins)), ("allow_methods", strings(&c.methods))];
            if !c.headers.is_empty() {
                cors.push(("allow_headers", strings(&c.headers)));
            }
            if !c.expose_headers.is_empty() {
                cors.push(("expose_headers", strings(&c.expose_headers)));
            }
            cors.push(("allow_credentials", b(c.credentials)));
            cors.push(("max_age", i(c.max_age_s)));
            gw_attrs.push(("cors_configuration".into(), block(cors)));
        }
        let gw = self.add(id("api"), "aws_apigatewayv2_api", Concern::Balancer, Some(&api.aws_name), gw_attrs);
        let authorizer = api.jwt.as_ref().map(|j| {
            self.add(
                id("authorizer"),
                "aws_apigatewayv2_authorizer",
                Concern::Balancer,
                None,
                attrs(vec![
                    ("api_id", r(&gw, "id")),
                    ("name", s(format!("{}-jwt", api.aws_name))),
                    ("authorizer_type", s("JWT")),
                    ("identity_sources", list([s(format!("$request.header.{}", j.header))])),
                    (
                        "jwt_configuration",
                        block(vec![("audience", list(j.audience.iter().map(s))), ("issuer", s(&j.issuer))]),
                    ),
                ]),
            )
        });
        let mut integrations = BTreeMap::new();
        for p in &ports {
            let integration = self.add(
                id(&format!("integration/{p}")),
                "aws_apigatewayv2_integration",
                Concern::Balancer,
                None,
                attrs(vec![
                    ("api_id", r(&gw, "id")),
                    ("description", s(format!("Balancer {} port {p} through the VPC link", bal.name))),
                    ("integration_type", s("HTTP_PROXY")),
                    ("integration_method", s("ANY")),
                    ("integration_uri", r(format!("balancer.{}/listener/{p}", bal.name), "arn")),
                    ("connection_type", s("VPC_LINK")),
                    ("connection_id", r(&link, "id")),
                    ("payload_format_version", s("1.0")),
                    ("timeout_milliseconds", i(30_000)),
                ]),
            );
            integrations.insert(*p, integration);
        }
        // Route ids from their keys; `GET /a-b` and `GET /a/b` read alike, so a repeat
        // gets a number.
        let mut taken = std::collections::HashSet::new();
        for route in &api.routes {
            let integration = integrations[&route.port].clone();
            let base = slug(&route.key);
            let key = (1..)
                .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
                .find(|k| taken.insert(k.clone()));
            let mut route_attrs = attrs(vec![("api_id", r(&gw, "id")), ("route_key", s(&route.key))]);
            match &authorizer {
                Some(authorizer) => {
                    route_attrs.push(("authorization_type".into(), s("JWT")));
                    route_attrs.push(("authorizer_id".into(), r(authorizer, "id")));
                }
                None => {
                    route_attrs.push(("authorization_type".into(), s(if api.iam_auth { "AWS_IAM" } else { "NONE" })))
                }
            }
            route_attrs.push(("target".into(), tmpl(vec![text("integrations/"), pref(&integration, "id")])));
            self.add(
                id(&format!("route/{}", key.unwrap_or(base))),
                "aws_apigatewayv2_route",
                Concern::Balancer,
                None,
                route_attrs,
            );
        }
        let mut stage = attrs(vec![
            ("api_id", r(&gw, "id")),
            ("name", s(&api.stage)),
            ("auto_deploy", b(true)),
            (
                "default_route_settings",
                block(vec![
                    ("throttling_rate_limit", i(api.rate_limit)),
                    ("throttling_burst_limit", i(api.burst_limit)),
                    ("detailed_metrics_enabled", b(true)),
                ]),
            ),
        ]);
        if let Some(days) = api.access_logs {
            let logs = self.add(
                id("logs"),
                "aws_cloudwatch_log_group",
                Concern::Balancer,
                Some(&format!("{}-access", api.aws_name)),
                attrs(vec![
                    ("name", s(format!("/apigateway/{}", api.aws_name))),
                    ("retention_in_days", i(days)),
                    ("kms_key_id", r("app/logs-key", "arn")),
                ]),
            );
            let format = map(vec![
                ("requestId", s("$context.requestId")),
                ("ip", s("$context.identity.sourceIp")),
                ("requestTime", s("$context.requestTime")),
                ("httpMethod", s("$context.httpMethod")),
                ("routeKey", s("$context.routeKey")),
                ("status", s("$context.status")),
                ("protocol", s("$context.protocol")),
                ("responseLength", s("$context.responseLength")),
                ("integrationLatency", s("$context.integrationLatency")),
                ("integrationError", s("$context.integrationErrorMessage")),
            ]);
            stage.push((
                "access_log_settings".into(),
                block(vec![("destination_arn", r(&logs, "arn")), ("format", json(format))]),
            ));
        }
        self.add(id("stage"), "aws_apigatewayv2_stage", Concern::Balancer, Some(&api.aws_name), stage);
    }

    // ------------------------------------------------------------------ scaling

    fn scaling(&mut self, svc: &Service, scale: &Scaling, service: &str, tg: Option<&str>, balancers: &[&Balancer]) {
        let id = |what: &str| format!("service.{}/{what}", svc.name);
        let target = self.add(
            id("scaling-target"),
            "aws_appautoscaling_target",
            Concern::Scaling,
            Some(&svc.aws_name),
            attrs(vec![
                ("service_namespace", s("ecs")),
                ("scalable_dimension", s("ecs:service:DesiredCount")),
                (
                    "resource_id",
                    tmpl(vec![text("service/"), pref("app/cluster", "name"), text("/"), pref(service, "name")]),
                ),
                ("min_capacity", i(scale.min)),
                ("max_capacity", i(scale.max)),
            ]),
        );
        let on_target = |extra: Vec<(&str, Val)>| {
            let mut a = attrs(vec![
                ("service_namespace", r(&target, "service_namespace")),
                ("scalable_dimension", r(&target, "scalable_dimension")),
                ("resource_id", r(&target, "resource_id")),
            ]);
            a.extend(attrs(extra));
            a
        };
        for t in &scale.targets {
            let (metric, key) = match t.metric {
                Metric::Cpu => ("ECSServiceAverageCPUUtilization", "cpu"),
                Metric::Memory => ("ECSServiceAverageMemoryUtilization", "memory"),
                Metric::Requests => ("ALBRequestCountPerTarget", "requests"),
            };
            let mut spec = vec![("predefined_metric_type", s(metric))];
            if t.metric == Metric::Requests
                && let (Some(tg), Some(bal)) = (tg, balancers.first())
            {
                spec.push((
                    "resource_label",
                    tmpl(vec![
                        pref(format!("balancer.{}/alb", bal.name), "arn_suffix"),
                        text("/"),
                        pref(tg, "arn_suffix"),
                    ]),
                ));
            }
            let name = format!("{}-target-{key}", svc.aws_name);
            self.add(
                id(&format!("scaling/target-{key}")),
                "aws_appautoscaling_policy",
                Concern::Scaling,
                None,
                on_target(vec![
                    ("name", s(name)),
                    ("policy_type", s("TargetTrackingScaling")),
                    (
                        "target_tracking_scaling_policy_configuration",
                        block(vec![
                            ("target_value", num(t.value)),
                            ("scale_in_cooldown", i(scale.scale_in_cooldown_s)),
                            ("scale_out_cooldown", i(scale.scale_out_cooldown_s)),
                            ("predefined_metric_specification", block(spec)),
                        ]),
                    ),
                ]),
            );
        }
        for alarm in &scale.alarms {
            let (metric_key, metric_name) = match alarm.metric {
                Metric::Memory => ("memory", "MemoryUtilization"),
                _ => ("cpu", "CPUUtilization"),
            };
            let dir = if alarm.scale_out { "out" } else { "in" };
            let cooldown = if alarm.scale_out { scale.scale_out_cooldown_s } else { scale.scale_in_cooldown_s };
            let mut step_config = vec![
                ("adjustment_type", s(if alarm.percent { "PercentChangeInCapacity" } else { "ChangeInCapacity" })),
                ("cooldown", i(cooldown)),
                ("metric_aggregation_type", s("Average")),
            ];
            for st in &alarm.steps {
                let mut kv = Vec::new();
                if let Some(lo) = st.lower {
                    kv.push(("metric_interval_lower_bound", s(fmt_bound(lo))));
                }
                if let Some(hi) = st.upper {
                    kv.push(("metric_interval_upper_bound", s(fmt_bound(hi))));
                }
                kv.push(("scaling_adjustment", i(st.adjustment)));
                step_config.push(("step_adjustment", block(kv)));
            }
            let policy = self.add(
                id(&format!("scaling/step-{metric_key}-{dir}")),
                "aws_appautoscaling_policy",
                Concern::Scaling,
                None,
                on_target(vec![
                    ("name", s(format!("{}-{metric_key}-scale-{dir}", svc.aws_name))),
                    ("policy_type", s("StepScaling")),
                    ("step_scaling_policy_configuration", block(step_config)),
                ]),
            );
            let comparison = match alarm.comparison {
                ">=" => "GreaterThanOrEqualToThreshold",
                ">" => "GreaterThanThreshold",
                "<=" => "LessThanOrEqualToThreshold",
                _ => "LessThanThreshold",
            };
            let name = format!("{}-{metric_key}-{}", svc.aws_name, if alarm.scale_out { "high" } else { "low" });
            self.add(
                id(&format!("alarm/{metric_key}-{}", if alarm.scale_out { "high" } else { "low" })),
                "aws_cloudwatch_metric_alarm",
                Concern::Scaling,
                Some(&name),
                attrs(vec![
                    ("alarm_name", s(&name)),
                    (
                        "alarm_description",
                        s(format!(
                            "Scale {} {dir} when average {metric_key} is {} {}% for {} x {}s",
                            svc.name,
                            alarm.comparison,
                            fmt_bound(alarm.threshold),
                            alarm.evaluations,
                            alarm.period_s
                        )),
                    ),
                    ("namespace", s("AWS/ECS")),
                    ("metric_name", s(metric_name)),
                    ("statistic", s("Average")),
                    ("comparison_operator", s(comparison)),
                    ("threshold", num(alarm.threshold)),
                    ("period", i(alarm.period_s)),
                    ("evaluation_periods", i(alarm.evaluations)),
                    (
                        "dimensions",
                        map(vec![("ClusterName", r("app/cluster", "name")), ("ServiceName", r(service, "name"))]),
                    ),
                    ("alarm_actions", list([r(&policy, "arn")])),
                ]),
            );
        }
        for sched in &scale.schedules {
            let mut action = Vec::new();
            if let Some(min) = sched.min {
                action.push(("min_capacity", i(min)));
            }
            if let Some(max) = sched.max {
                action.push(("max_capacity", i(max)));
            }
            self.add(
                id(&format!("schedule/{}", sched.name)),
                "aws_appautoscaling_scheduled_action",
                Concern::Scaling,
                None,
                attrs(vec![
                    ("name", s(format!("{}-{}", svc.aws_name, sched.name.replace('_', "-")))),
                    ("service_namespace", r(&target, "service_namespace")),
                    ("resource_id", r(&target, "resource_id")),
                    ("scalable_dimension", r(&target, "scalable_dimension")),
                    ("schedule", s(&sched.expression)),
                    ("timezone", s(&sched.timezone)),
                    ("scalable_target_action", block(action)),
                ]),
            );
        }
    }

    // ------------------------------------------------------------------ database

    fn database(&mut self, db: &Database) {
        self.at(format!("database.{}", db.name), db.span);
        let Some(net) = self.m.network(&db.network) else { return };
        let id = |what: &str| format!("database.{}/{what}", db.name);
        let vpc = Self::net_id(&net.name, "vpc");
        let sg = self.add(
            id("sg"),
            "aws_security_group",
            Concern::Database,
            Some(&format!("{}-db", db.aws_name)),
            attrs(vec![
                ("name", s(format!("{}-db", db.aws_name))),
                ("description", s(format!("Database {}: in from the services granted access only", db.aws_name))),
                ("vpc_id", r(&vpc, "id")),
            ]),
        );
        let mut access = db.access.clone();
        access.sort();
        for svc in &access {
            self.add(
                id(&format!("sg/ingress/{svc}")),
                "aws_vpc_security_group_ingress_rule",
                Concern::Database,
                None,
                attrs(vec![
                    ("security_group_id", r(&sg, "id")),
                    ("description", s(format!("Port {} from service {svc}", db.port))),
                    ("ip_protocol", s("tcp")),
                    ("from_port", i(db.port)),
                    ("to_port", i(db.port)),
                    ("referenced_security_group_id", r(format!("service.{svc}/sg"), "id")),
                ]),
            );
        }
        let subnets = self.add(
            id("subnet-group"),
            "aws_db_subnet_group",
            Concern::Database,
            Some(&db.aws_name),
            attrs(vec![
                ("name", s(&db.aws_name)),
                ("description", s(format!("Private subnets of database {}", db.aws_name))),
                (
                    "subnet_ids",
                    list(
                        (0..net.private_subnets.len())
                            .map(|k| r(Self::net_id(&net.name, &format!("subnet/private/{k}")), "id")),
                    ),
                ),
            ]),
        );
        let logs: &[&str] = match db.engine {
            Engine::Postgres => &["postgresql", "upgrade"],
            Engine::Mysql => &["audit", "error", "general", "slowquery"],
        };
        let mut a = attrs(vec![
            ("identifier", s(&db.aws_name)),
            ("engine", s(db.engine.as_str())),
            ("engine_version", s(&db.version)),
            ("instance_class", s(&db.class)),
            ("allocated_storage", i(db.storage_gib)),
        ]);
        if let Some(max) = db.max_storage_gib {
            a.push(("max_allocated_storage".into(), i(max)));
        }
        a.extend(attrs(vec![("storage_type", s("gp3")), ("storage_encrypted", b(db.encrypted))]));
        if let Some(name) = &db.db_name {
            a.push(("db_name".into(), s(name)));
        }
        a.extend(attrs(vec![
            ("username", s(&db.username)),
            ("manage_master_user_password", b(true)),
            ("port", i(db.port)),
            ("multi_az", b(db.multi_az)),
            ("db_subnet_group_name", r(&subnets, "name")),
            ("vpc_security_group_ids", list([r(&sg, "id")])),
            ("publicly_accessible", b(false)),
            ("iam_database_authentication_enabled", b(true)),
            ("enabled_cloudwatch_logs_exports", strs(logs)),
            ("backup_retention_period", i(db.backup_retention_days)),
        ]));
        if let Some(w) = &db.backup_window {
            a.push(("backup_window".into(), s(w)));
        }
        if let Some(w) = &db.maintenance_window {
            a.push(("maintenance_window".into(), s(w)));
        }
        a.extend(attrs(vec![
            ("auto_minor_version_upgrade", b(true)),
            ("copy_tags_to_snapshot", b(true)),
            ("deletion_protection", b(db.deletion_protection)),
            ("skip_final_snapshot", b(!db.final_snapshot)),
        ]));
        if db.final_snapshot {
            a.push(("final_snapshot_identifier".into(), s(format!("{}-final", db.aws_name))));
        }
        if db.performance_insights {
            a.push(("performance_insights_enabled".into(), b(true)));
            a.push(("performance_insights_retention_period".into(), i(7)));
        }
        if db.enhanced_monitoring {
            let role = self.role(
                id("monitoring-role"),
                &format!("{}-monitoring", db.aws_name),
                format!("RDS Enhanced Monitoring of {}", db.aws_name),
                "monitoring.rds.amazonaws.com",
            );
            self.attach_managed(
                id("monitoring-policy"),
                &role,
                "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            );
            a.push(("monitoring_interval".into(), i(60)));
            a.push(("monitoring_role_arn".into(), r(&role, "arn")));
        }
        self.add(id("instance"), "aws_db_instance", Concern::Database, Some(&db.aws_name), a);
    }

    // ------------------------------------------------------------------ outputs

    fn outputs(&self) -> Vec<Output> {
        let mut out = Vec::new();
        for bal in &self.m.balancers {
            let alb = format!("balancer.{}/alb", bal.name);
            let key = bal.name.replace('-', "_");
            out.push(Output {
                name: format!("{key}_dns_name"),
                description: format!("DNS name of load balancer {}", bal.name),
                value: r(&alb, "dns_name"),
            });
            let https = bal.listeners.iter().any(|l| l.protocol == Protocol::Https);
            out.push(Output {
                name: format!("{key}_url"),
                description: format!("URL of load balancer {}", bal.name),
                value: tmpl(vec![text(if https { "https://" } else { "http://" }), pref(&alb, "dns_name")]),
            });
        }
        for svc in &self.m.services {
            out.push(Output {
                name: format!("{}_service", svc.name.replace('-', "_")),
                description: format!("ECS service name of {}", svc.name),
                value: r(format!("service.{}/service", svc.name), "name"),
            });
        }
        for repo in &self.m.repositories {
            out.push(Output {
                name: format!("{}_url", repo.name.replace('-', "_")),
                description: format!("URI of image repository {}", repo.name),
                value: r(format!("repository.{}/repo", repo.name), "repository_url"),
            });
        }
        for api in &self.m.apis {
            out.push(Output {
                name: format!("{}_url", api.name.replace('-', "_")),
                description: format!("Invoke URL of API {}", api.name),
                value: r(format!("api.{}/stage", api.name), "invoke_url"),
            });
        }
        for db in &self.m.databases {
            let key = db.name.replace('-', "_");
            out.push(Output {
                name: format!("{key}_address"),
                description: format!("Host name of database {}", db.name),
                value: r(format!("database.{}/instance", db.name), "address"),
            });
            out.push(Output {
                name: format!("{key}_password_secret"),
                description: format!("ARN of the Secrets Manager secret holding the password of database {}", db.name),
                value: r(format!("database.{}/instance", db.name), "master_user_secret[0].secret_arn"),
            });
        }
        out.push(Output {
            name: "cluster".into(),
            description: "ECS cluster name".into(),
            value: r("app/cluster", "name"),
        });
        out
    }
}

/// What the account may do with the logs key: every KMS key operation, named.
const KMS_ADMIN_ACTIONS: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

fn fg_check_tg_names(aws_name: &str, blue_green: bool) -> Vec<String> {
    fg_check::target_group_names(aws_name, blue_green)
}

fn num(x: f64) -> Val {
    if x.fract() == 0.0 && x.abs() < 1e15 { Val::Int(x as i64) } else { Val::Num(x) }
}

fn fmt_bound(x: f64) -> String {
    if x.fract() == 0.0 { format!("{}", x as i64) } else { format!("{x}") }
}

fn text_val(t: &Text) -> Val {
    match t.as_plain() {
        Some(p) => s(p),
        None => tmpl(
            t.0.iter()
                .map(|p| match p {
                    TextPart::Lit(x) => text(x),
                    TextPart::Attr { kind, name, attr } => attr_ref(kind, name, attr),
                })
                .collect(),
        ),
    }
}

/// The IR attribute behind a `.fg` attribute reference (`db.address`).
fn attr_ref(kind: &str, name: &str, attr: &str) -> Part {
    match (kind, attr) {
        ("database", "name") => pref(format!("database.{name}/instance"), "db_name"),
        ("database", a) => pref(format!("database.{name}/instance"), a),
        ("balancer", "url") => pref(format!("balancer.{name}/alb"), "dns_name"),
        ("repository", "url") => pref(format!("repository.{name}/repo"), "repository_url"),
        ("repository", a) => pref(format!("repository.{name}/repo"), a),
        ("api", "url") => pref(format!("api.{name}/stage"), "invoke_url"),
        ("api", a) => pref(format!("api.{name}/api"), a),
        ("balancer", a) => pref(format!("balancer.{name}/alb"), a),
        ("network", "cidr_block") => pref(format!("network.{name}/vpc"), "cidr_block"),
        ("network", _) => pref(format!("network.{name}/vpc"), "id"),
        ("service", _) => pref(format!("service.{name}/service"), "name"),
        _ => text(""),
    }
}

fn env_list(env: &[(String, Text)]) -> Val {
    let mut sorted: Vec<&(String, Text)> = env.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    Val::List(sorted.into_iter().map(|(k, v)| map(vec![("name", s(k)), ("value", text_val(v))])).collect())
}

fn container_health(h: &ContainerHealth) -> Val {
    map(vec![
        ("command", strs(&h.command)),
        ("interval", i(h.interval_s)),
        ("timeout", i(h.timeout_s)),
        ("retries", i(h.retries)),
        ("startPeriod", i(h.start_period_s)),
    ])
}

fn depends(deps: &[(String, String)]) -> Val {
    Val::List(deps.iter().map(|(c, cond)| map(vec![("containerName", s(c)), ("condition", s(cond))])).collect())
}

/// The repository of a private ECR image URI, if it is one.
/// A resource id segment from free text: `ANY /dev/{proxy+}` → `any-dev-proxy`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An IAM policy document statement.
fn statement(actions: &[&str], resources: Vec<Val>) -> Val {
    map(vec![("Effect", s("Allow")), ("Action", strs(actions)), ("Resource", Val::List(resources))])
}

fn policy(statements: Vec<Val>) -> Val {
    json(map(vec![("Version", s("2012-10-17")), ("Statement", Val::List(statements))]))
}

fn assume_role(service: &str) -> Val {
    json(map(vec![
        ("Version", s("2012-10-17")),
        (
            "Statement",
            list([map(vec![
                ("Effect", s("Allow")),
                ("Principal", map(vec![("Service", s(service))])),
                ("Action", s("sts:AssumeRole")),
            ])]),
        ),
    ]))
}

/// An IAM statement id: letters and digits only.
fn sid(name: &str) -> String {
    name.split(['_', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}
