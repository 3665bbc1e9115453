//! From checked records to the [`Model`], enforcing the rules AWS would enforce at deploy
//! time: the Fargate size table, name lengths, health-check ranges, CIDR containment,
//! listener priorities, scaling intervals, database access.

use std::collections::{BTreeMap, HashMap};

use fg_diag::{Diagnostic, Span, did_you_mean};
use fg_syntax::lit::Cidr;

use crate::aws;
use crate::diagnostics as d;
use crate::model::*;
use crate::value::{Origin, Part, Record, V, Value};

/// A checked declaration: its kind, name and spans, and its checked body.
#[derive(Debug, Clone)]
pub struct CheckedDecl {
    pub kind: String,
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub body: Record,
}

/// Read access to a checked record, with the defaults the schema filled in.
#[derive(Clone, Copy)]
struct R<'a> {
    rec: &'a Record,
    anchor: Span,
}

impl<'a> R<'a> {
    fn new(rec: &'a Record, anchor: Span) -> Self {
        R { rec, anchor }
    }

    fn v(&self, k: &str) -> Option<&'a Value> {
        self.rec.get(k).filter(|v| !matches!(v.kind, V::Error))
    }

    fn written(&self, k: &str) -> bool {
        self.rec.field(k).is_some_and(|f| f.origin != Origin::Default)
    }

    fn span(&self, k: &str) -> Span {
        match self.rec.field(k) {
            Some(f) if f.origin != Origin::Default => f.value.span,
            _ => self.anchor,
        }
    }

    fn key_span(&self, k: &str) -> Span {
        match self.rec.field(k) {
            Some(f) if f.origin != Origin::Default => f.key_span,
            _ => self.anchor,
        }
    }

    fn int(&self, k: &str) -> Option<i64> {
        self.v(k).and_then(Value::as_int)
    }

    fn bool(&self, k: &str) -> bool {
        self.v(k).and_then(Value::as_bool).unwrap_or(false)
    }

    fn str(&self, k: &str) -> Option<String> {
        self.v(k).and_then(|v| v.as_str()).map(str::to_string)
    }

    fn ms(&self, k: &str) -> Option<u64> {
        match self.v(k)?.kind {
            V::Duration(ms) => Some(ms),
            _ => None,
        }
    }

    fn bytes(&self, k: &str) -> Option<u64> {
        match self.v(k)?.kind {
            V::Size(b) => Some(b),
            _ => None,
        }
    }

    fn percent(&self, k: &str) -> Option<f64> {
        match self.v(k)?.kind {
            V::Percent(p) => Some(p),
            _ => None,
        }
    }

    fn list(&self, k: &str) -> &'a [Value] {
        self.v(k).map_or(&[], Value::as_list)
    }

    /// A nested record, anchored (for "missing field" and whole-block findings) at the
    /// key the user wrote, not the whole block.
    fn rec(&self, k: &str) -> Option<R<'a>> {
        let v = self.v(k)?;
        v.as_record().map(|r| R::new(r, self.key_span(k)))
    }

    /// True when the field was written but its value is invalid (already reported), so
    /// that checks depending on it stay quiet instead of cascading.
    fn invalid(&self, k: &str) -> bool {
        self.rec.get(k).is_some_and(|v| matches!(v.kind, V::Error))
    }

    fn strings(&self, k: &str) -> Vec<String> {
        self.list(k).iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
    }

    fn ref_name(&self, k: &str) -> Option<String> {
        match &self.v(k)?.kind {
            V::Ref(r) => Some(r.name.clone()),
            _ => None,
        }
    }

    fn texts(&self, k: &str) -> Vec<(String, Text)> {
        let Some(r) = self.v(k).and_then(Value::as_record) else {
            return Vec::new();
        };
        r.fields.iter().filter_map(|f| to_text(&f.value).map(|t| (f.key.clone(), t))).collect()
    }

    fn secrets(&self, k: &str) -> Vec<(String, Secret)> {
        let Some(r) = self.v(k).and_then(Value::as_record) else {
            return Vec::new();
        };
        r.fields
            .iter()
            .filter_map(|f| match &f.value.kind {
                V::Secret(s) => Some((f.key.clone(), s.clone())),
                _ => None,
            })
            .collect()
    }

    fn word(&self, k: &str) -> Option<&'a str> {
        match &self.v(k)?.kind {
            V::Word(w) => Some(w),
            _ => None,
        }
    }
}

fn to_text(v: &Value) -> Option<Text> {
    match &v.kind {
        V::Str(s) => Some(Text::plain(s.clone())),
        V::Template(parts) => Some(Text(
            parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => TextPart::Lit(t.clone()),
                    Part::Ref(r) => TextPart::Attr {
                        kind: r.kind.clone(),
                        name: r.name.clone(),
                        attr: r.attr.as_ref().map(|a| a.0.clone()).unwrap_or_default(),
                    },
                })
                .collect(),
        )),
        _ => None,
    }
}

pub struct Builder<'a> {
    pub diags: Vec<Diagnostic>,
    decls: &'a [CheckedDecl],
    spans: HashMap<&'a str, Span>,
    /// Service name → index in `Model::services`.
    service_index: HashMap<String, usize>,
    /// Services whose `port` was written but is invalid: routes to them are not reported
    /// again as routes to a service without a port.
    invalid_port: std::collections::HashSet<String>,
}

impl<'a> Builder<'a> {
    pub fn new(decls: &'a [CheckedDecl]) -> Self {
        let spans = decls.iter().map(|d| (d.name.as_str(), d.name_span)).collect();
        Builder { diags: Vec::new(), decls, spans, service_index: HashMap::new(), invalid_port: Default::default() }
    }

    pub fn build(&mut self, app: App) -> Model {
        let mut model = Model { app, ..Model::default() };
        let networks: Vec<&str> = self.of_kind("network").map(|d| d.name.as_str()).collect();
        for d in self.decls.iter().filter(|d| d.kind == "network") {
            let n = self.network(d);
            model.networks.push(n);
        }
        for d in self.decls.iter().filter(|d| d.kind == "service") {
            let network = self.network_of(d, &networks);
            let s = self.service(d, &model.app, network);
            model.services.push(s);
        }
        self.service_index = model.services.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
        for d in self.decls.iter().filter(|d| d.kind == "balancer") {
            let network = self.network_of(d, &networks);
            let b = self.balancer(d, &model, network);
            model.balancers.push(b);
        }
        for d in self.decls.iter().filter(|d| d.kind == "database") {
            let network = self.network_of(d, &networks);
            let db = self.database(d, &model.app, network);
            model.databases.push(db);
        }
        for d in self.decls.iter().filter(|d| d.kind == "repository") {
            let repo = self.repository(d, &model.app);
            model.repositories.push(repo);
        }
        for d in self.decls.iter().filter(|d| d.kind == "api") {
            let network = self.network_of(d, &networks);
            let api = self.api(d, &model, network);
            model.apis.push(api);
        }
        for d in self.decls.iter().filter(|d| d.kind == "policy") {
            let r = R::new(&d.body, d.name_span);
            let fuel = r.int("fuel").unwrap_or(500);
            if fuel < 1 {
                self.diags.push(d::policy_fuel(r.span("fuel"), fuel));
            }
            let memory = r.bytes("memory").unwrap_or(256 << 20);
            if !(1 << 20..=4 << 30).contains(&memory) {
                self.diags.push(d::policy_memory(r.span("memory"), memory));
            }
            model.policies.push(Policy {
                name: d.name.clone(),
                span: d.name_span,
                source: r.str("source").unwrap_or_default(),
                source_span: r.span("source"),
                deny: r.word("level") != Some("warn"),
                config: r.rec("config").map(|c| c.rec.clone()).unwrap_or_default(),
                fuel: fuel.max(1) as u64 * 1_000_000,
                memory: memory.clamp(1 << 20, 4 << 30),
            });
        }
        self.cross_checks(&model);
        model
    }

    fn of_kind(&self, kind: &'a str) -> impl Iterator<Item = &'a CheckedDecl> {
        self.decls.iter().filter(move |d| d.kind == kind)
    }

    fn network_of(&mut self, decl: &CheckedDecl, networks: &[&str]) -> String {
        let r = R::new(&decl.body, decl.name_span);
        if let Some(n) = r.ref_name("network") {
            return n;
        }
        match networks {
            [one] => (*one).to_string(),
            _ => {
                self.diags.push(d::ambiguous_network(decl.name_span, &decl.kind, networks));
                String::new()
            }
        }
    }

    // ------------------------------------------------------------------ network

    fn network(&mut self, decl: &CheckedDecl) -> Network {
        let r = R::new(&decl.body, decl.name_span);
        let cidr = match r.v("cidr").map(|v| &v.kind) {
            Some(V::Cidr(c)) => *c,
            _ => Cidr { addr: 10 << 24, prefix: 16 },
        };
        if !(16..=28).contains(&cidr.prefix) {
            self.diags.push(d::vpc_cidr(r.span("cidr"), &cidr.to_string(), "VPC"));
        }
        let zones = match r.v("zones").map(|v| &v.kind) {
            Some(V::Int(n)) => {
                if !(1..=6).contains(n) {
                    self.diags.push(d::out_of_range(r.span("zones"), "zones", &n.to_string(), "1", "6"));
                }
                Zones::Count((*n).clamp(1, 6) as u32)
            }
            Some(V::List(_)) => {
                let names = r.strings("zones");
                if names.is_empty() {
                    self.diags.push(d::out_of_range(r.span("zones"), "zones", "no zones", "1", "6"));
                }
                Zones::Names(names)
            }
            _ => Zones::Count(2),
        };
        let zone_count = match &zones {
            Zones::Count(n) => *n as usize,
            Zones::Names(v) => v.len().max(1),
        };
        let bits = r.int("subnet_bits").unwrap_or(8);
        let mut derived = false;
        let mut subnets = |key: &str, offset: usize, this: &mut Self| -> Vec<Cidr> {
            if r.written(key) {
                let list = r.list(key);
                if list.len() != zone_count {
                    this.diags.push(d::subnet_count(r.span(key), key, list.len(), zone_count));
                }
                let out: Vec<Cidr> = list
                    .iter()
                    .filter_map(|v| match v.kind {
                        V::Cidr(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                for (c, v) in out.iter().zip(list) {
                    if !cidr.contains(*c) {
                        this.diags.push(d::subnet_outside(v.span, &c.to_string(), &cidr.to_string(), r.span("cidr")));
                    } else if !(16..=28).contains(&c.prefix) {
                        this.diags.push(d::vpc_cidr(v.span, &c.to_string(), "subnet"));
                    }
                }
                out
            } else {
                derived = true;
                let fits = (0..=16).contains(&bits) && cidr.prefix as i64 + bits <= 28;
                if !fits || (1usize << bits.clamp(0, 16)) < 2 * zone_count {
                    let span = if r.written("subnet_bits") { r.span("subnet_bits") } else { r.span("cidr") };
                    this.diags.push(d::derived_subnets_do_not_fit(span, &cidr.to_string(), bits, zone_count));
                    return Vec::new();
                }
                (0..zone_count).filter_map(|i| cidr.subnet(bits as u8, (offset + i) as u32)).collect()
            }
        };
        let public = subnets("public_subnets", 0, self);
        let private = subnets("private_subnets", zone_count, self);
        // Overlaps, reported once per pair at the later subnet.
        let spans_of = |key: &str| -> Vec<Span> {
            if r.written(key) { r.list(key).iter().map(|v| v.span).collect() } else { vec![r.span(key); zone_count] }
        };
        let all: Vec<(Cidr, Span)> = public
            .iter()
            .copied()
            .zip(spans_of("public_subnets"))
            .chain(private.iter().copied().zip(spans_of("private_subnets")))
            .collect();
        for (i, (a, sa)) in all.iter().enumerate() {
            for (b, sb) in &all[..i] {
                if a.overlaps(*b) {
                    self.diags.push(d::subnet_overlap(*sa, *sb, &a.to_string(), &b.to_string()));
                }
            }
        }
        let nat = match r.word("nat") {
            Some("none") => Nat::None,
            Some("per_zone") => Nat::PerZone,
            _ => Nat::Single,
        };
        let mut endpoints: Vec<Endpoint> = r
            .list("endpoints")
            .iter()
            .filter_map(|v| match v.as_str()? {
                "ecr" => Some(Endpoint::Ecr),
                "logs" => Some(Endpoint::Logs),
                "s3" => Some(Endpoint::S3),
                "secretsmanager" => Some(Endpoint::SecretsManager),
                "ssm" => Some(Endpoint::Ssm),
                _ => None,
            })
            .collect();
        endpoints.sort();
        endpoints.dedup();
        let flow_logs = r.bool("flow_logs").then(|| self.retention_days(&r, "flow_log_retention"));
        Network {
            name: decl.name.clone(),
            span: decl.span,
            cidr,
            zones,
            public_subnets: public,
            private_subnets: private,
            derived_subnets: derived,
            nat,
            endpoints,
            flow_logs,
        }
    }

    fn retention_days(&mut self, r: &R, key: &str) -> u32 {
        let ms = r.ms(key).unwrap_or(30 * 86_400_000);
        let days = ms / 86_400_000;
        if !ms.is_multiple_of(86_400_000) || !aws::LOG_RETENTION_DAYS.contains(&(days as u32)) {
            let near = aws::LOG_RETENTION_DAYS
                .iter()
                .min_by_key(|&&d| (i64::from(d) - days as i64).abs())
                .copied()
                .unwrap_or(30);
            self.diags.push(d::log_retention(r.span(key), ms, near));
        }
        days as u32
    }

    /// Whole seconds of a duration field in `lo..=hi`, reporting otherwise.
    fn seconds(&mut self, r: &R, key: &str, range: (u64, u64), code: fg_diag::Code, what: &str) -> u32 {
        self.seconds_ok(r, key, range, code, what)
            .unwrap_or_else(|| (r.ms(key).unwrap_or(range.0 * 1000) / 1000) as u32)
    }

    /// As [`Builder::seconds`], but `None` when the value is invalid, so that checks
    /// relating it to other values stay quiet.
    fn seconds_ok(&mut self, r: &R, key: &str, range: (u64, u64), code: fg_diag::Code, what: &str) -> Option<u32> {
        if r.invalid(key) {
            return None;
        }
        let ms = r.ms(key).unwrap_or(range.0 * 1000);
        if !ms.is_multiple_of(1000) {
            self.diags.push(d::whole_seconds(r.span(key), what, ms));
            return None;
        }
        let s = ms / 1000;
        if s < range.0 || s > range.1 {
            self.diags.push(d::range_in(
                code,
                r.span(key),
                what,
                &format!("{s}s"),
                &format!("{}s", range.0),
                &format!("{}s", range.1),
            ));
            return None;
        }
        Some(s as u32)
    }

    // ------------------------------------------------------------------ service

    fn service(&mut self, decl: &CheckedDecl, app: &App, network: String) -> Service {
        let r = R::new(&decl.body, decl.name_span);
        let cpu = r.int("cpu").unwrap_or(256).clamp(0, u32::MAX as i64) as u32;
        let cpu_ok = aws::FARGATE_CPU.contains(&cpu);
        if !cpu_ok && r.v("cpu").is_some() {
            self.diags.push(d::fargate_cpu(r.span("cpu"), cpu));
        }
        let (memory_mib, memory_derived) = match r.bytes("memory") {
            Some(b) => {
                let mib = (b / (1 << 20)) as u32;
                if b % (1 << 20) != 0 {
                    self.diags.push(d::fargate_memory_granularity(r.span("memory"), b, cpu));
                } else if cpu_ok && !aws::fargate_memory(cpu).contains(&mib) {
                    self.diags.push(d::fargate_memory(r.span("memory"), cpu, mib, r.span("cpu"), r.written("cpu")));
                }
                (mib, false)
            }
            None => (aws::fargate_memory(cpu).first().copied().unwrap_or(512), true),
        };
        // With scaling and no written count, start at the scaling minimum.
        let scale_min = r.rec("scale").and_then(|s| s.int("min")).filter(|m| *m >= 0);
        let count = match scale_min {
            Some(min) if !r.written("count") => min.min(5000) as u32,
            _ => self.count(&r, "count"),
        };
        if r.invalid("port") {
            self.invalid_port.insert(decl.name.clone());
        }
        self.image_refs(&r);
        let port = r.int("port").map(|p| p as u16);
        let health = r.rec("health").map(|h| self.health(&h));
        let container_health = r.rec("container_health").map(|h| self.container_health(&h));
        let log_retention_days = self.retention_days(&r, "log_retention");
        let capacity = match r.v("capacity").map(|v| &v.kind) {
            Some(V::Word(w)) if w == "spot" => Capacity { on_demand: 0, spot: 1, base: 0 },
            Some(V::Record(_)) => {
                let c = r.rec("capacity").unwrap_or(r);
                let mix = Capacity {
                    on_demand: c.int("on_demand").unwrap_or(0).max(0) as u32,
                    spot: c.int("spot").unwrap_or(0).max(0) as u32,
                    base: c.int("base").unwrap_or(0).max(0) as u32,
                };
                if mix.on_demand == 0 && mix.spot == 0 {
                    self.diags.push(d::capacity_weights(c.anchor));
                }
                if mix.base > count {
                    self.diags.push(d::capacity_base(c.span("base"), mix.base, count));
                }
                mix
            }
            _ => Capacity { on_demand: 1, spot: 0, base: 0 },
        };
        let subnets = if r.word("subnets") == Some("public") { SubnetKind::Public } else { SubnetKind::Private };
        let public_ip = r.bool("public_ip");
        if public_ip && subnets == SubnetKind::Private {
            self.diags.push(d::public_ip_private(r.span("public_ip")));
        }
        let deployment = {
            let dr = r.rec("deployment").unwrap_or(r);
            let min = dr.percent("min_healthy").unwrap_or(100.0);
            let max = dr.percent("max").unwrap_or(200.0);
            if !(0.0..=100.0).contains(&min) || min.fract() != 0.0 {
                self.diags.push(d::deployment_percent(dr.span("min_healthy"), "min_healthy", min, "0%", "100%"));
            } else if !(100.0..=200.0).contains(&max) || max.fract() != 0.0 {
                self.diags.push(d::deployment_percent(dr.span("max"), "max", max, "100%", "200%"));
            } else if min == 100.0 && max == 100.0 {
                self.diags.push(d::deployment_stuck(dr.span("max")));
            }
            let blue_green = dr.word("strategy") == Some("blue_green");
            if !blue_green {
                for key in [
                    "shift",
                    "shift_percent",
                    "shift_interval",
                    "test_port",
                    "rollback_alarms",
                    "rollback_5xx",
                    "rollback_unhealthy_after",
                    "alarms",
                ] {
                    if dr.written(key) {
                        self.diags.push(d::blue_green_only(dr.key_span(key), key, dr.span("strategy")));
                    }
                }
            }
            Deployment {
                blue_green,
                min_healthy_percent: min as u32,
                max_percent: max as u32,
                circuit_breaker: dr.v("circuit_breaker").and_then(Value::as_bool).unwrap_or(true),
                rollback: dr.v("rollback").and_then(Value::as_bool).unwrap_or(true),
                bake_time_s: (dr.ms("bake_time").unwrap_or(0) / 1000) as u32,
                shift: if blue_green { self.shift(&dr) } else { Shift::AllAtOnce },
                test_port: dr.int("test_port").filter(|_| blue_green).map(|p| p as u16),
                rollback_alarms: {
                    let mut v: Vec<RollbackAlarm> = dr
                        .list("rollback_alarms")
                        .iter()
                        .filter_map(|v| match v.as_str()? {
                            "http_5xx" => Some(RollbackAlarm::Http5xx),
                            "unhealthy" => Some(RollbackAlarm::Unhealthy),
                            _ => None,
                        })
                        .collect();
                    v.sort();
                    v.dedup();
                    v
                },
                rollback_5xx: self.rollback_5xx(&dr, blue_green),
                rollback_unhealthy_minutes: self.rollback_unhealthy(&dr, blue_green),
                alarms: dr.strings("alarms"),
            }
        };
        // Each sidecar with its checked record (labels, spans); placeholders of blocks
        // written without a label were reported already and are skipped.
        let sidecar_recs: Vec<R> = r
            .list("sidecar")
            .iter()
            .filter_map(|v| {
                let rec = v.as_record()?;
                Some(R::new(rec, rec.label.as_ref().map_or(v.span, |l| l.1)))
            })
            .collect();
        let sidecars: Vec<Sidecar> = sidecar_recs.iter().map(|sr| self.sidecar(*sr)).collect();
        let mut names: HashMap<String, Span> = HashMap::from([(decl.name.clone(), decl.name_span)]);
        for (s, sr) in sidecars.iter().zip(&sidecar_recs) {
            if let Some(prev) = names.insert(s.name.clone(), sr.anchor) {
                self.diags.push(d::container_name(sr.anchor, &s.name, prev));
            }
        }
        let depends_on = self.depends(&r);
        let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
        graph.insert(decl.name.clone(), depends_on.iter().map(|(c, _)| c.clone()).collect());
        for s in &sidecars {
            graph.insert(s.name.clone(), s.depends_on.iter().map(|(c, _)| c.clone()).collect());
        }
        let known: Vec<&str> = names.keys().map(String::as_str).collect();
        let mut dependency_spans: Vec<(String, Span)> = Vec::new();
        let owners = std::iter::once((decl.name.as_str(), r))
            .chain(sidecars.iter().map(|s| s.name.as_str()).zip(sidecar_recs.iter().copied()));
        for (owner, cr) in owners {
            let Some(rec) = cr.v("depends_on").and_then(Value::as_record) else { continue };
            for f in &rec.fields {
                dependency_spans.push((owner.to_string(), f.key_span));
                if !names.contains_key(&f.key) {
                    let hint = did_you_mean(&f.key, known.iter().copied());
                    self.diags.push(d::unknown_reference(f.key_span, &f.key, "container", hint));
                }
            }
        }
        if let Some(cycle) = find_cycle(&graph) {
            let span = dependency_spans.iter().find(|(o, _)| *o == cycle[0]).map_or(decl.name_span, |x| x.1);
            self.diags.push(d::container_cycle(span, &cycle));
        }
        let sidecar_cpu: u32 = sidecars.iter().map(|s| s.cpu).sum();
        let sidecar_labels: Vec<Span> = sidecar_recs.iter().map(|sr| sr.anchor).collect();
        if cpu_ok && sidecar_cpu >= cpu {
            let (used, total) = (sidecar_cpu.to_string(), cpu.to_string());
            self.diags.push(d::sidecar_budget(r.span("cpu"), &sidecar_labels, "CPU", &used, &total));
        }
        let sidecar_mem: u32 = sidecars.iter().filter_map(|s| s.memory_mib).sum();
        if sidecar_mem >= memory_mib && sidecar_mem > 0 {
            let (used, total) = (aws::fmt_mib(sidecar_mem), aws::fmt_mib(memory_mib));
            self.diags.push(d::sidecar_budget(r.span("memory"), &sidecar_labels, "memory", &used, &total));
        }
        let permissions = r
            .list("allow")
            .iter()
            .filter_map(|v| {
                let p = R::new(v.as_record()?, v.span);
                let actions = p.strings("actions");
                for (a, av) in actions.iter().zip(p.list("actions")) {
                    if a == "*" || a.ends_with(":*") {
                        self.diags.push(d::wildcard_action(av.span, a));
                    }
                }
                Some(Permission { sid: p.str("name").unwrap_or_default(), actions, resources: p.strings("resources") })
            })
            .collect();
        let scale = r.rec("scale").map(|s| self.scaling(&s, count));
        Service {
            name: decl.name.clone(),
            span: decl.span,
            aws_name: app.aws_name(&decl.name),
            image: r.v("image").and_then(to_text).unwrap_or_default(),
            cpu,
            memory_mib,
            memory_derived,
            port,
            count,
            environment: self.environment(&r),
            secrets: r.secrets("secrets"),
            command: r.v("command").map(|_| r.strings("command")),
            entrypoint: r.v("entrypoint").map(|_| r.strings("entrypoint")),
            health,
            container_health,
            log_retention_days,
            capacity,
            public_ip,
            subnets,
            deployment,
            sidecars,
            scale,
            permissions,
            depends_on,
            readonly_root: r.bool("readonly_root"),
            network,
        }
    }

    /// The traffic shift of a blue/green deployment: percentages 1–99, whole minutes.
    fn shift(&mut self, dr: &R) -> Shift {
        let kind = dr.word("shift").unwrap_or("all_at_once");
        if kind == "all_at_once" {
            return Shift::AllAtOnce;
        }
        let percent = dr.percent("shift_percent").unwrap_or(10.0);
        if !(1.0..=99.0).contains(&percent) || percent.fract() != 0.0 {
            self.diags.push(d::shift_percent(dr.span("shift_percent"), percent));
        }
        let ms = dr.ms("shift_interval").unwrap_or(300_000);
        if !ms.is_multiple_of(60_000) || !(60_000..=2_880 * 60_000).contains(&ms) {
            self.diags.push(d::shift_interval(dr.span("shift_interval"), ms));
        }
        let (percent, minutes) = (percent.clamp(1.0, 99.0) as u32, (ms / 60_000).clamp(1, 2_880) as u32);
        if kind == "canary" { Shift::Canary { percent, minutes } } else { Shift::Linear { percent, minutes } }
    }

    fn rollback_alarm_listed(dr: &R, alarm: &str) -> bool {
        dr.list("rollback_alarms").iter().any(|v| v.as_str() == Some(alarm))
    }

    fn rollback_5xx(&mut self, dr: &R, blue_green: bool) -> u32 {
        let n = dr.int("rollback_5xx").unwrap_or(1);
        if blue_green && dr.written("rollback_5xx") && !Self::rollback_alarm_listed(dr, "http_5xx") {
            self.diags.push(d::rollback_setting_unused(dr.key_span("rollback_5xx"), "rollback_5xx", "http_5xx"));
        }
        if !(1..=100_000).contains(&n) {
            self.diags.push(d::out_of_range(dr.span("rollback_5xx"), "`rollback_5xx`", &n.to_string(), "1", "100000"));
        }
        n.clamp(1, 100_000) as u32
    }

    fn rollback_unhealthy(&mut self, dr: &R, blue_green: bool) -> u32 {
        let key = "rollback_unhealthy_after";
        if blue_green && dr.written(key) && !Self::rollback_alarm_listed(dr, "unhealthy") {
            self.diags.push(d::rollback_setting_unused(dr.key_span(key), key, "unhealthy"));
        }
        let ms = dr.ms(key).unwrap_or(120_000);
        if !ms.is_multiple_of(60_000) || !(60_000..=3_600_000).contains(&ms) {
            self.diags.push(d::rollback_unhealthy_after(dr.span(key), ms));
        }
        (ms / 60_000).clamp(1, 60) as u32
    }

    /// Images may refer to the stack's repositories (their `url`), and to nothing else
    /// known only at deploy time, and must be well-formed references; a repository's `url`
    /// stands in for its (valid) URI.
    fn image_refs(&mut self, r: &R) {
        let Some(image) = r.v("image").and_then(to_text) else { return };
        if let Some((kind, name, _)) = image.refs().find(|(kind, _, _)| *kind != "repository") {
            self.diags.push(d::image_reference(r.span("image"), kind, name));
            return;
        }
        if let Some((_, name, attr)) = image.refs().find(|(_, _, attr)| *attr != "url") {
            self.diags.push(d::image_repository_attr(r.span("image"), name, attr));
            return;
        }
        let (mut resolved, mut shown) = (String::new(), String::new());
        for part in &image.0 {
            match part {
                TextPart::Lit(s) => {
                    resolved.push_str(s);
                    shown.push_str(s);
                }
                TextPart::Attr { name, attr, .. } => {
                    resolved.push_str("000000000000.dkr.ecr.us-east-1.amazonaws.com/repository");
                    shown.push_str(&format!("${{{name}.{attr}}}"));
                }
            }
        }
        if let Err(e) = crate::image::parse(&resolved) {
            self.diags.push(d::image_invalid(r.span("image"), &shown, &e));
        }
    }

    fn count(&mut self, r: &R, key: &str) -> u32 {
        match r.int(key) {
            Some(n) if n < 0 => {
                self.diags.push(d::out_of_range(r.span(key), key, &n.to_string(), "0", "5000"));
                0
            }
            Some(n) if n > 5000 => {
                self.diags.push(d::out_of_range(r.span(key), key, &n.to_string(), "0", "5000"));
                5000
            }
            Some(n) => n as u32,
            None => 1,
        }
    }

    fn environment(&mut self, r: &R) -> Vec<(String, Text)> {
        let env = r.texts("environment");
        if let Some(rec) = r.v("environment").and_then(Value::as_record) {
            for f in &rec.fields {
                let upper = f.key.to_ascii_uppercase();
                let secretish = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "ACCESS_KEY"]
                    .iter()
                    .any(|s| upper.contains(s));
                if secretish && matches!(f.value.kind, V::Str(ref s) if !s.is_empty()) {
                    self.diags.push(d::plaintext_secret(f.value.span, &f.key));
                }
            }
        }
        env
    }

    fn depends(&mut self, r: &R) -> Vec<(String, String)> {
        let Some(rec) = r.v("depends_on").and_then(Value::as_record) else {
            return Vec::new();
        };
        rec.fields.iter().filter_map(|f| Some((f.key.clone(), f.value.as_str()?.to_ascii_uppercase()))).collect()
    }

    fn sidecar(&mut self, r: R) -> Sidecar {
        self.image_refs(&r);
        Sidecar {
            name: r.str("name").unwrap_or_default(),
            image: r.v("image").and_then(to_text).unwrap_or_default(),
            cpu: r.int("cpu").unwrap_or(0).max(0) as u32,
            memory_mib: r.bytes("memory").map(|b| (b / (1 << 20)) as u32),
            port: r.int("port").map(|p| p as u16),
            environment: self.environment(&r),
            secrets: r.secrets("secrets"),
            command: r.v("command").map(|_| r.strings("command")),
            essential: r.bool("essential"),
            container_health: r.rec("container_health").map(|h| self.container_health(&h)),
            depends_on: self.depends(&r),
        }
    }

    fn health(&mut self, h: &R) -> HealthCheck {
        let interval =
            self.seconds_ok(h, "interval", (5, 300), fg_diag::codes::HEALTH_INTERVAL, "health check interval");
        let timeout = self.seconds_ok(h, "timeout", (2, 120), fg_diag::codes::HEALTH_TIMEOUT, "health check timeout");
        let interval_s = interval.unwrap_or(30);
        let timeout_s = timeout.unwrap_or(5);
        if let (Some(timeout_s), Some(interval_s)) = (timeout, interval)
            && timeout_s >= interval_s
        {
            self.diags.push(d::timeout_not_below_interval(
                h.span("timeout"),
                timeout_s,
                interval_s,
                h.span("interval"),
            ));
        }
        let threshold = |key: &str, this: &mut Self| {
            let n = h.int(key).unwrap_or(3);
            if !(2..=10).contains(&n) {
                this.diags.push(d::range_in(
                    fg_diag::codes::HEALTH_THRESHOLD,
                    h.span(key),
                    &format!("`{key}` threshold"),
                    &n.to_string(),
                    "2",
                    "10",
                ));
            }
            n.clamp(2, 10) as u32
        };
        let healthy = threshold("healthy", self);
        let unhealthy = threshold("unhealthy", self);
        let matcher = h.str("matcher").unwrap_or_else(|| "200-399".into());
        if !matcher_valid(&matcher) {
            self.diags.push(d::matcher(h.span("matcher"), &matcher));
        }
        let path = h.str("path").unwrap_or_else(|| "/".into());
        if !path.starts_with('/') {
            self.diags.push(d::health_path(h.span("path"), &path));
        }
        let grace_s =
            self.seconds(h, "grace", (0, 2_147_483_647), fg_diag::codes::OUT_OF_RANGE, "health check grace period");
        HealthCheck { path, interval_s, timeout_s, healthy, unhealthy, matcher, grace_s }
    }

    fn container_health(&mut self, h: &R) -> ContainerHealth {
        let interval_s =
            self.seconds(h, "interval", (5, 300), fg_diag::codes::HEALTH_INTERVAL, "container health check interval");
        let timeout_s =
            self.seconds(h, "timeout", (2, 60), fg_diag::codes::HEALTH_TIMEOUT, "container health check timeout");
        let retries = h.int("retries").unwrap_or(3);
        if !(1..=10).contains(&retries) {
            self.diags.push(d::range_in(
                fg_diag::codes::HEALTH_THRESHOLD,
                h.span("retries"),
                "`retries`",
                &retries.to_string(),
                "1",
                "10",
            ));
        }
        let start_period_s = self.seconds(
            h,
            "start_period",
            (0, 300),
            fg_diag::codes::HEALTH_TIMEOUT,
            "container health check start period",
        );
        ContainerHealth {
            command: h.strings("command"),
            interval_s,
            timeout_s,
            retries: retries.clamp(1, 10) as u32,
            start_period_s,
        }
    }

    // ------------------------------------------------------------------ scaling

    fn scaling(&mut self, s: &R, count: u32) -> Scaling {
        let min = s.int("min").unwrap_or(1);
        let max = s.int("max").unwrap_or(min);
        if min < 0 || max < 0 || min > max {
            self.diags.push(d::scale_min_max(s.span("min"), s.span("max"), min, max));
        } else if (count as i64) < min || (count as i64) > max {
            self.diags.push(d::scale_count(s.anchor, count, min, max));
        }
        let cooldown = s.ms("cooldown").unwrap_or(60_000);
        let scale_in = s.ms("scale_in_cooldown").unwrap_or(cooldown);
        let scale_out = s.ms("scale_out_cooldown").unwrap_or(cooldown);
        let targets: Vec<Target> = s
            .list("targets")
            .iter()
            .filter_map(|v| {
                let t = R::new(v.as_record()?, v.span);
                let metric = metric(t.word("metric")?);
                let (value, is_percent) = match t.v("value")?.kind {
                    V::Percent(p) => (p, true),
                    V::Number { value, .. } => (value, false),
                    _ => return None,
                };
                let ok = match metric {
                    Metric::Requests => !is_percent && value >= 1.0,
                    _ => is_percent && (1.0..=100.0).contains(&value),
                };
                if !ok {
                    let wrong_unit = is_percent == (metric == Metric::Requests);
                    self.diags.push(d::target_value(t.span("value"), metric_name(metric), wrong_unit));
                }
                Some(Target { metric, value })
            })
            .collect();
        let mut seen: HashMap<Metric, Span> = HashMap::new();
        for (t, v) in targets.iter().zip(s.list("targets")) {
            if let Some(prev) = seen.insert(t.metric, v.span) {
                self.diags.push(d::duplicate_target(v.span, prev, metric_name(t.metric)));
            }
        }
        let alarms = self.step_alarms(s);
        let schedules = s
            .list("schedule")
            .iter()
            .filter_map(|v| {
                let rec = v.as_record()?;
                let sc = R::new(rec, rec.label.as_ref().map_or(v.span, |l| l.1));
                let name = sc.str("name").unwrap_or_default();
                let expression = match (sc.str("cron"), sc.ms("rate")) {
                    (Some(c), None) => {
                        let fields = c.split_whitespace().count();
                        if fields != 6 {
                            self.diags.push(d::schedule_cron(sc.span("cron"), &c, fields));
                        }
                        format!("cron({c})")
                    }
                    (None, Some(ms)) => {
                        let (n, unit) = rate(ms);
                        format!("rate({n} {unit})")
                    }
                    _ => {
                        self.diags.push(d::schedule_when(sc.anchor, &name));
                        String::new()
                    }
                };
                let smin = sc.int("min").map(|x| x.max(0) as u32);
                let smax = sc.int("max").map(|x| x.max(0) as u32);
                if smin.is_none() && smax.is_none() {
                    self.diags.push(d::schedule_bounds(sc.anchor, &name));
                }
                if let (Some(a), Some(b)) = (smin, smax)
                    && a > b
                {
                    self.diags.push(d::scale_min_max(sc.span("min"), sc.span("max"), a as i64, b as i64));
                }
                Some(Schedule {
                    name,
                    expression,
                    min: smin,
                    max: smax,
                    timezone: sc.str("timezone").unwrap_or_else(|| "UTC".into()),
                })
            })
            .collect::<Vec<_>>();
        if targets.is_empty() && alarms.is_empty() && schedules.is_empty() && s.list("steps").is_empty() {
            self.diags.push(d::no_policy(s.anchor));
        }
        Scaling {
            min: min.max(0) as u32,
            max: max.max(0) as u32,
            scale_in_cooldown_s: (scale_in / 1000) as u32,
            scale_out_cooldown_s: (scale_out / 1000) as u32,
            targets,
            alarms,
            schedules,
        }
    }

    /// Groups steps into alarms (one per metric and direction) and checks their intervals.
    fn step_alarms(&mut self, s: &R) -> Vec<StepAlarm> {
        struct Step {
            metric: Metric,
            cmp: &'static str,
            lo: f64,
            hi: Option<f64>,
            period: u32,
            evals: u32,
            adj: Adjustment,
            span: Span,
            adj_span: Span,
        }
        let mut steps = Vec::new();
        for v in s.list("steps") {
            let Some(rec) = v.as_record() else { continue };
            let st = R::new(rec, v.span);
            let Some(m) = st.word("metric").map(metric) else {
                continue;
            };
            if m == Metric::Requests {
                self.diags.push(d::step_metric(st.span("metric")));
                continue;
            }
            let cmp: &'static str = match st.str("comparison").as_deref() {
                Some(">=") => ">=",
                Some(">") => ">",
                Some("<=") => "<=",
                _ => "<",
            };
            let (Some(threshold), Some(V::Adjustment(adj))) =
                (st.percent("threshold"), st.v("adjustment").map(|a| &a.kind))
            else {
                continue;
            };
            let until = st.percent("until");
            let up = cmp.starts_with('>');
            if up != (adj.delta > 0) {
                self.diags.push(d::step_adjustment_direction(st.span("adjustment"), cmp, adj.delta));
            }
            if let Some(u) = until
                && ((up && u <= threshold) || (!up && u >= threshold))
            {
                self.diags.push(d::step_empty(st.span("until"), threshold, u));
                continue;
            }
            let period_ms = st.ms("period").unwrap_or(60_000);
            let period = (period_ms / 1000) as u32;
            if !period_ms.is_multiple_of(1000)
                || !(period == 10 || period == 30 || (period >= 60 && period.is_multiple_of(60)))
            {
                self.diags.push(d::alarm_period(st.span("period"), period_ms));
            }
            let evals = st.int("evaluations").unwrap_or(1);
            if !(1..=100).contains(&evals) {
                self.diags.push(d::out_of_range(
                    st.span("evaluations"),
                    "evaluation periods",
                    &evals.to_string(),
                    "1",
                    "100",
                ));
            }
            steps.push(Step {
                metric: m,
                cmp,
                lo: threshold,
                hi: until,
                period,
                evals: evals.clamp(1, 100) as u32,
                adj: *adj,
                span: v.span,
                adj_span: st.span("adjustment"),
            });
        }
        let mut alarms = Vec::new();
        for metric in [Metric::Cpu, Metric::Memory] {
            for up in [true, false] {
                let mut group: Vec<&Step> =
                    steps.iter().filter(|s| s.metric == metric && s.cmp.starts_with('>') == up).collect();
                if group.is_empty() {
                    continue;
                }
                // Scale-out steps ascend from the threshold; scale-in steps descend.
                group.sort_by(|a, b| if up { a.lo.total_cmp(&b.lo) } else { b.lo.total_cmp(&a.lo) });
                for w in group.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    match a.hi {
                        None => self.diags.push(d::step_overlap(b.span, a.span, a.lo, b.lo)),
                        Some(h) if (up && h > b.lo) || (!up && h < b.lo) => {
                            self.diags.push(d::step_overlap(b.span, a.span, a.lo, b.lo))
                        }
                        Some(h) if h != b.lo => self.diags.push(d::step_gap(b.span, a.span, h, b.lo)),
                        _ => {}
                    }
                }
                if group.iter().any(|s| s.adj.percent) && group.iter().any(|s| !s.adj.percent) {
                    self.diags.push(d::step_mixed_adjustments(group[1].adj_span));
                }
                let first = group[0];
                let threshold = first.lo;
                let steps = group
                    .iter()
                    .map(|s| {
                        let rel = |x: f64| x - threshold;
                        if up {
                            StepAdjustment { lower: Some(rel(s.lo)), upper: s.hi.map(rel), adjustment: s.adj.delta }
                        } else {
                            StepAdjustment { lower: s.hi.map(rel), upper: Some(rel(s.lo)), adjustment: s.adj.delta }
                        }
                    })
                    .collect();
                alarms.push(StepAlarm {
                    metric,
                    scale_out: up,
                    comparison: first.cmp,
                    threshold,
                    period_s: first.period,
                    evaluations: first.evals,
                    steps,
                    percent: first.adj.percent,
                    span: first.span,
                });
            }
        }
        alarms
    }

    // ------------------------------------------------------------------ balancer

    fn balancer(&mut self, decl: &CheckedDecl, model: &Model, network: String) -> Balancer {
        let r = R::new(&decl.body, decl.name_span);
        let aws_name = r.str("name").unwrap_or_else(|| model.app.aws_name(&decl.name));
        let name_span = if r.written("name") { r.span("name") } else { decl.name_span };
        if let Some(problem) = aws::elb_name_problem(&aws_name) {
            self.diags.push(d::elb_name(name_span, "load balancer", &aws_name, &problem, !r.written("name")));
        }
        let internal = r.word("scheme") == Some("internal");
        let mut listeners = Vec::new();
        let mut ports: HashMap<u16, Span> = HashMap::new();
        for v in r.list("listener") {
            let Some(rec) = v.as_record() else { continue };
            let l = R::new(rec, rec.label.as_ref().map_or(v.span, |x| x.1));
            let https = l.word("name") == Some("https");
            let port = l.int("port").map_or(if https { 443 } else { 80 }, |p| p as u16);
            let certificate = l.str("certificate");
            if https && certificate.is_none() {
                self.diags.push(d::https_without_certificate(l.anchor));
            }
            if !https {
                for key in ["certificate", "tls_policy", "redirect_http"] {
                    if l.written(key) {
                        self.diags.push(d::http_with_tls(l.key_span(key), key));
                    }
                }
            }
            let redirect_http = https && l.v("redirect_http").and_then(Value::as_bool).unwrap_or(true);
            let mut claim = |p: u16, span: Span, this: &mut Self| {
                if let Some(prev) = ports.insert(p, span) {
                    this.diags.push(d::duplicate_port(span, prev, p));
                }
            };
            if !l.invalid("port") {
                claim(port, if l.written("port") { l.span("port") } else { l.anchor }, self);
            }
            if redirect_http && port != 80 {
                claim(80, l.anchor, self);
            }
            let mut routes = Vec::new();
            let mut priorities: HashMap<u32, Span> = HashMap::new();
            for (i, rv) in l.list("routes").iter().enumerate() {
                let Some(rr) = rv.as_record().map(|x| R::new(x, rv.span)) else {
                    continue;
                };
                let Some(service) = rr.ref_name("service") else {
                    continue;
                };
                let priority = match rr.int("priority") {
                    Some(p) => {
                        if !(1..=50000).contains(&p) {
                            self.diags.push(d::priority_range(rr.span("priority"), p));
                        }
                        p.clamp(1, 50000) as u32
                    }
                    None => ((i + 1) * 10).min(50000) as u32,
                };
                let pspan = if rr.written("priority") { rr.span("priority") } else { rv.span };
                if let Some(prev) = priorities.insert(priority, pspan) {
                    self.diags.push(d::duplicate_priority(pspan, prev, priority));
                }
                let mut paths = rr.strings("paths");
                let hosts = rr.strings("hosts");
                if paths.is_empty() && hosts.is_empty() {
                    paths.push("/*".into());
                }
                self.check_route_target(&service, rr.span("service"), model, &network);
                routes.push(Route { paths, hosts, service, priority, span: rv.span });
            }
            let default = match l.v("default").map(|v| &v.kind) {
                Some(V::Action(a)) => {
                    if let Action::Forward(s) = a {
                        self.check_route_target(s, l.span("default"), model, &network);
                    }
                    a.clone()
                }
                _ => {
                    if l.list("routes").is_empty() && l.v("default").is_none() {
                        self.diags.push(d::listener_without_default(l.anchor));
                    }
                    Action::Respond { status: 404, body: "Not Found".into(), content_type: "text/plain".into() }
                }
            };
            listeners.push(Listener {
                protocol: if https { Protocol::Https } else { Protocol::Http },
                port,
                certificate,
                tls_policy: if https { l.str("tls_policy") } else { None },
                redirect_http,
                default,
                routes,
                span: v.span,
            });
        }
        // Blocks written without a label were reported and left placeholders here.
        if r.list("listener").is_empty() {
            self.diags.push(d::no_listener(decl.name_span));
        }
        let idle = self.seconds(&r, "idle_timeout", (1, 4000), fg_diag::codes::OUT_OF_RANGE, "idle timeout");
        let dereg =
            self.seconds(&r, "deregistration_delay", (0, 3600), fg_diag::codes::OUT_OF_RANGE, "deregistration delay");
        Balancer {
            name: decl.name.clone(),
            span: decl.span,
            aws_name,
            network,
            internal,
            listeners,
            idle_timeout_s: idle,
            deregistration_delay_s: dereg,
            drop_invalid_headers: r.v("drop_invalid_headers").and_then(Value::as_bool).unwrap_or(true),
            deletion_protection: r.v("deletion_protection").and_then(Value::as_bool).unwrap_or(true),
        }
    }

    fn check_route_target(&mut self, service: &str, span: Span, model: &Model, network: &str) {
        let Some(s) = self.service_index.get(service).map(|&i| &model.services[i]) else {
            return;
        };
        let decl = self.spans.get(service).copied().unwrap_or(s.span);
        if s.port.is_none() && !self.invalid_port.contains(service) {
            self.diags.push(d::route_without_port(span, service, decl));
        }
        if !network.is_empty() && !s.network.is_empty() && s.network != network {
            self.diags.push(d::cross_network(span, service, &s.network, network, decl));
        }
    }

    // ------------------------------------------------------------------ repository

    fn repository(&mut self, decl: &CheckedDecl, app: &App) -> Repository {
        let r = R::new(&decl.body, decl.name_span);
        let aws_name = r.str("name").unwrap_or_else(|| format!("{}/{}", app.prefix(), decl.name.replace('_', "-")));
        if let Some(problem) = aws::ecr_name_problem(&aws_name) {
            let span = if r.written("name") { r.span("name") } else { decl.name_span };
            self.diags.push(d::repository_name(span, &aws_name, &problem, !r.written("name")));
        }
        let keep = r.int("keep").unwrap_or(30);
        if !(1..=10_000).contains(&keep) {
            self.diags.push(d::repository_keep(r.span("keep"), keep));
        }
        Repository {
            name: decl.name.clone(),
            span: decl.name_span,
            aws_name,
            scan_on_push: r.v("scan_on_push").and_then(Value::as_bool).unwrap_or(true),
            keep: keep.clamp(1, 10_000) as u32,
            immutable: r.word("tags") != Some("mutable"),
            force_delete: r.bool("force_delete"),
        }
    }

    // ------------------------------------------------------------------ api

    fn api(&mut self, decl: &CheckedDecl, model: &Model, network: String) -> Api {
        let r = R::new(&decl.body, decl.name_span);
        let aws_name = model.app.aws_name(&decl.name);
        let balancer = r.ref_name("balancer").unwrap_or_default();
        let bal = model.balancers.iter().find(|b| b.name == balancer);
        if let Some(b) = bal {
            if !b.internal {
                let bspan = self.spans.get(b.name.as_str()).copied().unwrap_or(b.span);
                self.diags.push(d::api_public_balancer(r.span("balancer"), &b.name, bspan));
            }
            if !network.is_empty() && b.network != network {
                self.diags.push(d::api_network(r.span("balancer"), &b.name, &b.network, &network));
            }
        }
        let stage = r.str("stage").unwrap_or_else(|| "$default".into());
        if !aws::api_stage_valid(&stage) {
            self.diags.push(d::api_stage(r.span("stage"), &stage));
        }
        let mut routes = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for v in r.list("routes") {
            let Some(rec) = v.as_record() else { continue };
            let route = R::new(rec, v.span);
            for key in ["hosts", "priority"] {
                let used = match key {
                    "hosts" => !route.list("hosts").is_empty(),
                    _ => route.written("priority"),
                };
                if used {
                    self.diags.push(d::api_route_condition(route.span(key), key));
                }
            }
            let service = route.ref_name("service").unwrap_or_default();
            // The `http` listener of the API's balancer that routes to the service.
            let port = bal.and_then(|b| {
                b.listeners
                    .iter()
                    .filter(|l| l.protocol == Protocol::Http)
                    .find(|l| l.routes.iter().any(|x| x.service == service) || l.default_service() == Some(&service))
                    .map(|l| l.port)
            });
            if bal.is_some() && port.is_none() && self.service_index.contains_key(&service) {
                let bspan = self.spans.get(balancer.as_str()).copied().unwrap_or(decl.name_span);
                self.diags.push(d::api_unrouted(route.span("service"), &service, &balancer, bspan));
            }
            let paths = route.list("paths");
            if paths.is_empty() {
                self.diags.push(d::api_route_key(v.span, ""));
            }
            for p in paths {
                let Some(text) = p.as_str() else { continue };
                let key = match aws::api_route_key(text) {
                    Ok(k) => k,
                    Err(problem) => {
                        self.diags.push(d::api_route_key(p.span, &problem));
                        continue;
                    }
                };
                if let Some(prev) = seen.insert(key.clone(), p.span) {
                    self.diags.push(d::api_route_duplicate(p.span, &key, prev));
                    continue;
                }
                routes.push(ApiRoute { key, service: service.clone(), port: port.unwrap_or(80), span: p.span });
            }
        }
        if routes.is_empty() && r.list("routes").is_empty() {
            self.diags.push(d::api_without_routes(decl.name_span, &decl.name));
        }
        let limit = |this: &mut Self, key: &str, default: i64| {
            let n = r.int(key).unwrap_or(default);
            if !(0..=100_000).contains(&n) {
                this.diags.push(d::api_limit(r.span(key), key, n));
            }
            n.clamp(0, 100_000) as u32
        };
        let rate_limit = limit(self, "rate_limit", 1000);
        let burst_limit = limit(self, "burst_limit", 500);
        let access_logs = r.v("access_logs").and_then(Value::as_bool).unwrap_or(true);
        let retention = self.retention_days(&r, "log_retention");
        let auth = r.word("auth").unwrap_or("none");
        let jwt = match (auth, r.rec("jwt")) {
            ("jwt", Some(j)) => Some(self.api_jwt(&j)),
            ("jwt", None) => {
                self.diags.push(d::api_jwt_missing(r.span("auth")));
                None
            }
            (other, Some(_)) => {
                self.diags.push(d::api_jwt_unused(r.key_span("jwt"), other));
                None
            }
            (_, None) => None,
        };
        let cors = r.rec("cors").map(|c| self.api_cors(&c));
        Api {
            name: decl.name.clone(),
            span: decl.name_span,
            aws_name,
            balancer,
            network,
            stage,
            routes,
            iam_auth: r.word("auth") == Some("iam"),
            rate_limit,
            burst_limit,
            access_logs: access_logs.then_some(retention),
            jwt,
            cors,
        }
    }

    fn api_jwt(&mut self, j: &R) -> ApiJwt {
        let issuer = j.str("issuer").unwrap_or_default();
        let host = issuer.strip_prefix("https://").map(|rest| rest.split('/').next().unwrap_or_default());
        if j.written("issuer") && host.is_none_or(|h| h.is_empty() || h.contains(char::is_whitespace)) {
            self.diags.push(d::api_jwt_issuer(j.span("issuer"), &issuer));
        }
        let audience = j.strings("audience");
        if j.written("audience") && audience.iter().all(|a| a.trim().is_empty()) {
            self.diags.push(d::api_jwt_audience(j.span("audience")));
        }
        let header = j.str("header").unwrap_or_else(|| "Authorization".into());
        if header == "*" || !aws::header_name_valid(&header) {
            self.diags.push(d::api_jwt_header(j.span("header"), &header));
        }
        ApiJwt { issuer, audience: audience.into_iter().filter(|a| !a.trim().is_empty()).collect(), header }
    }

    fn api_cors(&mut self, c: &R) -> ApiCors {
        let mut origins = Vec::new();
        let mut wildcard = None;
        for v in c.list("origins") {
            let Some(o) = v.as_str() else { continue };
            match aws::cors_origin_problem(o) {
                Some(problem) => self.diags.push(d::api_cors_origin(v.span, o, problem)),
                None => {
                    if o == "*" {
                        wildcard = Some(v.span);
                    }
                    origins.push(o.to_string());
                }
            }
        }
        if c.written("origins") && c.list("origins").is_empty() {
            self.diags.push(d::api_cors_origins_empty(c.span("origins")));
        }
        let mut methods = Vec::new();
        for v in c.list("methods") {
            let Some(m) = v.as_str() else { continue };
            if m == "*" || aws::API_METHODS[1..].contains(&m) {
                methods.push(m.to_string());
            } else {
                self.diags.push(d::api_cors_method(v.span, m));
            }
        }
        if !c.written("methods") {
            methods.push("*".into());
        }
        let headers = |this: &mut Self, key: &str| {
            let mut out = Vec::new();
            for v in c.list(key) {
                let Some(h) = v.as_str() else { continue };
                if aws::header_name_valid(h) {
                    out.push(h.to_string());
                } else {
                    this.diags.push(d::api_cors_header(v.span, h));
                }
            }
            out
        };
        let (allow, expose) = (headers(self, "headers"), headers(self, "expose_headers"));
        let credentials = c.bool("credentials");
        if credentials && let Some(w) = wildcard {
            self.diags.push(d::api_cors_credentials(c.span("credentials"), w));
        }
        let ms = c.ms("max_age").unwrap_or(0);
        if !ms.is_multiple_of(1000) || ms > 86_400_000 {
            self.diags.push(d::api_cors_max_age(c.span("max_age"), ms));
        }
        let max_age_s = (ms.min(86_400_000) / 1000) as u32;
        ApiCors { origins, methods, headers: allow, expose_headers: expose, credentials, max_age_s }
    }

    // ------------------------------------------------------------------ database

    fn database(&mut self, decl: &CheckedDecl, app: &App, network: String) -> Database {
        let r = R::new(&decl.body, decl.name_span);
        let engine = if r.word("engine") == Some("mysql") { Engine::Mysql } else { Engine::Postgres };
        let version = match r.str("version") {
            Some(v) => {
                if !aws::engine_version_known(engine.as_str(), &v) {
                    self.diags.push(d::engine_version(r.span("version"), engine.as_str(), &v));
                }
                v
            }
            None => engine.default_version().to_string(),
        };
        let gib = |b: u64| (b / (1 << 30)) as u32;
        let storage = r.bytes("storage").unwrap_or(20 << 30);
        if !storage.is_multiple_of(1 << 30) || !(20u64 << 30..=64u64 << 40).contains(&storage) {
            self.diags.push(d::db_storage(r.span("storage"), storage));
        }
        let max_storage = r.bytes("max_storage");
        if let Some(m) = max_storage
            && (m <= storage || m > 64u64 << 40 || m % (1 << 30) != 0)
        {
            self.diags.push(d::db_max_storage(r.span("max_storage"), m, storage));
        }
        let retention_ms = r.ms("backup_retention").unwrap_or(7 * 86_400_000);
        let days = retention_ms / 86_400_000;
        if !retention_ms.is_multiple_of(86_400_000) || days > 35 {
            self.diags.push(d::backup_retention(r.span("backup_retention"), retention_ms));
        }
        let backup_window = r.str("backup_window");
        if let Some(w) = &backup_window
            && !window_valid(w, false)
        {
            self.diags.push(d::db_window(r.span("backup_window"), w, "hh:mm-hh:mm"));
        }
        let maintenance_window = r.str("maintenance_window");
        if let Some(w) = &maintenance_window
            && !window_valid(w, true)
        {
            self.diags.push(d::db_window(r.span("maintenance_window"), w, "ddd:hh:mm-ddd:hh:mm"));
        }
        let access: Vec<String> = r
            .list("access")
            .iter()
            .filter_map(|v| match &v.kind {
                V::Ref(x) => Some(x.name.clone()),
                _ => None,
            })
            .collect();
        if access.is_empty() && !r.list("access").iter().any(|v| matches!(v.kind, V::Error)) {
            self.diags.push(d::db_unreachable(decl.name_span, &decl.name));
        }
        if let Some(u) = r.str("username") {
            let ok = u.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && u.len() <= 16
                && !matches!(u.as_str(), "admin" | "root" | "postgres" | "rdsadmin");
            if !ok {
                self.diags.push(d::db_username(r.span("username"), &u));
            }
        }
        if let Some(n) = r.str("db_name")
            && !(n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && n.len() <= 63)
        {
            self.diags.push(d::db_name(r.span("db_name"), &n));
        }
        Database {
            name: decl.name.clone(),
            span: decl.span,
            aws_name: {
                let id = app.aws_name(&decl.name).to_ascii_lowercase();
                // RDS identifiers: 63 characters (the longest derived name adds `-monitoring`
                // for its role, 64 at most), no `--`.
                if id.len() > 53 || id.contains("--") {
                    self.diags.push(d::derived_name(decl.name_span, "RDS instance identifier", &id, 53));
                }
                id
            },
            engine,
            version,
            class: r.str("class").unwrap_or_else(|| "db.t4g.micro".into()),
            storage_gib: gib(storage),
            max_storage_gib: max_storage.map(gib),
            multi_az: r.bool("multi_az"),
            backup_retention_days: days as u32,
            backup_window,
            maintenance_window,
            deletion_protection: r.v("deletion_protection").and_then(Value::as_bool).unwrap_or(true),
            final_snapshot: r.v("final_snapshot").and_then(Value::as_bool).unwrap_or(true),
            access,
            db_name: r.str("db_name"),
            username: r.str("username").unwrap_or_else(|| "app".into()),
            port: r.int("port").map_or(engine.default_port(), |p| p as u16),
            encrypted: r.v("encrypted").and_then(Value::as_bool).unwrap_or(true),
            enhanced_monitoring: r.v("enhanced_monitoring").and_then(Value::as_bool).unwrap_or(true),
            performance_insights: r.bool("performance_insights"),
            network,
        }
    }

    // ------------------------------------------------------------------ whole stack

    fn cross_checks(&mut self, model: &Model) {
        // Which services receive traffic, computed once: per-service scans are quadratic.
        let mut routed_set: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for b in &model.balancers {
            for l in &b.listeners {
                routed_set.extend(l.routes.iter().map(|r| r.service.as_str()));
                routed_set.extend(l.default_service());
            }
        }
        let mut test_ports: HashMap<(&str, u16), Span> = HashMap::new();
        let bodies: HashMap<&str, &CheckedDecl> =
            self.decls.iter().filter(|d| d.kind == "service").map(|d| (d.name.as_str(), d)).collect();
        for s in &model.services {
            let routed = routed_set.contains(s.name.as_str());
            if routed {
                for tg in target_group_names(&s.aws_name, s.deployment.blue_green) {
                    if let Some(problem) = aws::elb_name_problem(&tg) {
                        let decl = self.spans.get(s.name.as_str()).copied().unwrap_or(s.span);
                        self.diags.push(d::target_group_name(decl, &tg, &problem));
                        break;
                    }
                }
            }
            let decl = self.spans.get(s.name.as_str()).copied().unwrap_or(s.span);
            // IAM role names take 64 characters; the longest fgc derives ends in `-codedeploy`.
            let role = format!("{}-{}", s.aws_name, if s.deployment.blue_green { "codedeploy" } else { "execution" });
            if role.len() > 64 {
                self.diags.push(d::derived_name(decl, "IAM role", &role, 64));
            }
            let sr = bodies.get(s.name.as_str()).copied();
            let r = sr.map(|d| R::new(&d.body, d.name_span));
            if s.health.is_some() && !routed {
                self.diags.push(d::unrouted_health(r.map_or(decl, |r| r.key_span("health")), &s.name));
            }
            if s.deployment.blue_green && !routed {
                let span = r.and_then(|r| r.rec("deployment")).map_or(decl, |d| d.span("strategy"));
                self.diags.push(d::blue_green_without_route(span, &s.name));
            }
            if let Some(port) = s.deployment.test_port {
                let span = r.and_then(|r| r.rec("deployment")).map_or(decl, |d| d.span("test_port"));
                let mut balancers: Vec<&Balancer> = model.routes_to(&s.name).map(|(b, _, _)| b).collect();
                balancers.extend(
                    model.balancers.iter().filter(|b| b.listeners.iter().any(|l| l.default_service() == Some(&s.name))),
                );
                balancers.sort_by(|a, b| a.name.cmp(&b.name));
                balancers.dedup_by(|a, b| a.name == b.name);
                for b in balancers {
                    let listener = b.listeners.iter().find(|l| {
                        l.port == port
                            || (port == 80 && l.protocol == Protocol::Https && l.redirect_http && l.port != 80)
                    });
                    if let Some(l) = listener {
                        self.diags.push(d::test_port_conflict(span, port, &b.name, l.span, "a listener on this port"));
                    } else if let Some(prev) = test_ports.get(&(b.name.as_str(), port)) {
                        self.diags.push(d::test_port_conflict(
                            span,
                            port,
                            &b.name,
                            *prev,
                            "another service's test port",
                        ));
                    } else {
                        test_ports.insert((b.name.as_str(), port), span);
                    }
                }
            }
            // `latest` from a repository whose tags are immutable can be pushed once only.
            if let [TextPart::Attr { kind, name, attr }, TextPart::Lit(tag)] = s.image.0.as_slice()
                && kind == "repository"
                && attr == "url"
                && tag == ":latest"
                && let Some(repo) = model.repositories.iter().find(|x| &x.name == name && x.immutable)
            {
                let span = r.map_or(decl, |r| r.span("image"));
                self.diags.push(d::image_repository_mutable(span, name, "latest", repo.span));
            }
            if let Some(scale) = &s.scale
                && scale.targets.iter().any(|t| t.metric == Metric::Requests)
                && !routed
            {
                self.diags.push(d::requests_without_balancer(decl, &s.name));
            }
            for db in s.databases_used() {
                if let Some(database) = model.database(db)
                    && !database.access.iter().any(|a| a == &s.name)
                {
                    let db_body = self.decls.iter().find(|x| x.kind == "database" && x.name == db);
                    let db_span = match db_body {
                        Some(b) => R::new(&b.body, b.name_span).key_span("access"),
                        None => database.span,
                    };
                    self.diags.push(d::db_access(decl, &s.name, db, db_span));
                }
            }
            // Tasks reach registries through NAT (private subnets), their own public address
            // (public subnets), or VPC endpoints; without any of them they never start.
            if let Some(n) = model.no_route_out(s) {
                let missing: Vec<&str> = [(Endpoint::Ecr, "ecr"), (Endpoint::Logs, "logs"), (Endpoint::S3, "s3")]
                    .iter()
                    .filter(|(e, _)| !n.endpoints.contains(e))
                    .map(|(_, n)| *n)
                    .collect();
                let nspan = self.spans.get(n.name.as_str()).copied().unwrap_or(n.span);
                let public = s.subnets == SubnetKind::Public;
                if !missing.is_empty() {
                    self.diags.push(d::no_egress(decl, &s.name, &n.name, &missing, nspan, public));
                } else {
                    // Endpoints reach ECR in the stack's region, and no other registry.
                    let sidecar_span = |name: &str| {
                        let recs = r.map(|r| r.list("sidecar")).unwrap_or_default();
                        recs.iter()
                            .filter_map(|v| v.as_record())
                            .find(|rec| rec.label.as_ref().is_some_and(|l| l.0 == name))
                            .map(|rec| R::new(rec, decl).span("image"))
                    };
                    let images = std::iter::once((&s.image, r.map(|r| r.span("image"))))
                        .chain(s.sidecars.iter().map(|sc| (&sc.image, sidecar_span(&sc.name))));
                    for (image, span) in images {
                        // Malformed images were reported where they were read.
                        if let Some(plain) = image.as_plain()
                            && let Some(crate::image::PullProblem::OutsideRegion { .. }) =
                                crate::image::pull_problem(model, s, &plain)
                        {
                            let (span, network) = (span.unwrap_or(decl), (n.name.as_str(), nspan));
                            let region = &model.app.region;
                            self.diags.push(d::image_unreachable(span, &s.name, &plain, network, region, public));
                        }
                    }
                }
            }
        }
    }
}

/// The target group names of a service: its AWS name, or for blue/green deployments that
/// name with `-b` and `-g` (target group names take only 32 characters).
pub fn target_group_names(aws_name: &str, blue_green: bool) -> Vec<String> {
    if blue_green { vec![format!("{aws_name}-b"), format!("{aws_name}-g")] } else { vec![aws_name.to_string()] }
}

fn metric(w: &str) -> Metric {
    match w {
        "memory" => Metric::Memory,
        "requests" => Metric::Requests,
        _ => Metric::Cpu,
    }
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Cpu => "cpu",
        Metric::Memory => "memory",
        Metric::Requests => "requests",
    }
}

/// A rate in the largest whole unit Application Auto Scaling accepts.
fn rate(ms: u64) -> (u64, &'static str) {
    let m = (ms / 60_000).max(1);
    let (n, unit) = if m.is_multiple_of(1440) {
        (m / 1440, "day")
    } else if m.is_multiple_of(60) {
        (m / 60, "hour")
    } else {
        (m, "minute")
    };
    (
        n,
        if n == 1 {
            unit
        } else {
            match unit {
                "day" => "days",
                "hour" => "hours",
                _ => "minutes",
            }
        },
    )
}

/// `"200"`, `"200,302"`, `"200-299"`: codes in 200–499.
pub fn matcher_valid(m: &str) -> bool {
    let code = |s: &str| s.len() == 3 && s.parse::<u16>().is_ok_and(|c| (200..=499).contains(&c));
    if let Some((a, b)) = m.split_once('-') {
        return code(a) && code(b) && a < b;
    }
    !m.is_empty() && m.split(',').all(code)
}

/// `hh:mm-hh:mm`, or `ddd:hh:mm-ddd:hh:mm` for maintenance windows.
fn window_valid(w: &str, with_day: bool) -> bool {
    let point = |p: &str| -> Option<u32> {
        let mut parts: Vec<&str> = p.split(':').collect();
        let day = if with_day {
            let d = parts.first()?.to_ascii_lowercase();
            let i = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().position(|x| *x == d)? as u32;
            parts.remove(0);
            i
        } else {
            0
        };
        let [h, m] = parts.as_slice() else {
            return None;
        };
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(day * 1440 + h * 60 + m)
    };
    let Some((a, b)) = w.split_once('-') else {
        return false;
    };
    let (Some(a), Some(b)) = (point(a), point(b)) else {
        return false;
    };
    let week = if with_day { 7 * 1440 } else { 1440 };
    (b + week - a) % week >= 30
}

/// A cycle in a dependency graph, as the names along it.
fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, Vec<String>>,
        state: &mut HashMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let pos = stack.iter().position(|x| x == n).unwrap_or(0);
                let mut cycle = stack[pos..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if graph.contains_key(m)
                && let Some(c) = visit(m, graph, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = HashMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers() {
        for ok in ["200", "200,302", "200-299", "404"] {
            assert!(matcher_valid(ok), "{ok}");
        }
        for bad in ["", "2000", "100", "299-200", "abc", "200,"] {
            assert!(!matcher_valid(bad), "{bad}");
        }
    }

    #[test]
    fn windows() {
        assert!(window_valid("04:00-06:00", false));
        assert!(window_valid("23:30-00:30", false));
        assert!(!window_valid("04:00-04:10", false));
        assert!(!window_valid("4:00-06:00", false));
        assert!(window_valid("sun:02:00-sun:04:00", true));
        assert!(!window_valid("sunday:02:00-sun:04:00", true));
    }

    #[test]
    fn rates() {
        assert_eq!(rate(3_600_000), (1, "hour"));
        assert_eq!(rate(2 * 86_400_000), (2, "days"));
        assert_eq!(rate(90 * 60_000), (90, "minutes"));
    }
}
