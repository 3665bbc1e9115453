//! The checked model: what a stack declares, with every default applied and every value
//! in its final unit. This is what the IR lowering reads; it never sees syntax again.

use fg_diag::Span;
use fg_syntax::lit::Cidr;

pub use crate::value::{ActionValue as Action, AdjustmentValue as Adjustment, SecretRef as Secret};

/// A whole stack for one environment.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub app: App,
    pub networks: Vec<Network>,
    pub balancers: Vec<Balancer>,
    pub services: Vec<Service>,
    pub databases: Vec<Database>,
    pub repositories: Vec<Repository>,
    pub apis: Vec<Api>,
    pub policies: Vec<Policy>,
}

impl Model {
    pub fn network(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }

    /// Whether the service's tasks have no way out but VPC endpoints: private subnets of a
    /// network without NAT, or public subnets without a public address. Such tasks pull
    /// images from ECR in the stack's region only.
    pub fn no_route_out(&self, s: &Service) -> Option<&Network> {
        let n = self.network(&s.network)?;
        let none = match s.subnets {
            SubnetKind::Private => n.nat == Nat::None,
            SubnetKind::Public => !s.public_ip,
        };
        none.then_some(n)
    }

    /// The ECR repositories the service's execution role may pull from, as the source
    /// names them: private ECR images written out (their repository paths), and the
    /// stack's repositories its images interpolate (their declaration names).
    pub fn pulls_from(&self, s: &Service) -> (Vec<String>, Vec<String>) {
        let images: Vec<&Text> = std::iter::once(&s.image).chain(s.sidecars.iter().map(|c| &c.image)).collect();
        let mut ecr: Vec<String> = images
            .iter()
            .filter_map(|t| Some(crate::image::parse(&t.as_plain()?).ok()?.ecr()?.repository.to_string()))
            .collect();
        let mut own: Vec<String> = images
            .iter()
            .flat_map(|t| t.refs())
            .filter(|(kind, _, _)| *kind == "repository")
            .map(|(_, name, _)| name.to_string())
            .collect();
        for v in [&mut ecr, &mut own] {
            v.sort();
            v.dedup();
        }
        (ecr, own)
    }

    /// The balancer and listener routes that send traffic to a service.
    pub fn routes_to<'a>(&'a self, service: &'a str) -> impl Iterator<Item = (&'a Balancer, &'a Listener, &'a Route)> {
        self.balancers.iter().flat_map(move |b| {
            b.listeners
                .iter()
                .flat_map(move |l| l.targets().filter(move |r| r.service == service).map(move |r| (b, l, r)))
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct App {
    pub name: String,
    pub region: String,
    /// The environment this model was built for.
    pub env: String,
    pub environments: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub container_insights: bool,
    pub span: Span,
}

impl App {
    /// The prefix of every derived AWS name: `<app>-<env>`, or `<app>` for a stack that
    /// declares no environments.
    pub fn prefix(&self) -> String {
        if self.env == "default" { self.name.clone() } else { format!("{}-{}", self.name, self.env) }
    }

    /// A derived AWS name: `<prefix>-<name>`, with `_` written as `-`.
    pub fn aws_name(&self, name: &str) -> String {
        format!("{}-{}", self.prefix(), name).replace('_', "-")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Zones {
    Count(u32),
    Names(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nat {
    None,
    Single,
    PerZone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    Ecr,
    Logs,
    S3,
    SecretsManager,
    Ssm,
}

#[derive(Debug, Clone)]
pub struct Network {
    pub name: String,
    pub span: Span,
    pub cidr: Cidr,
    pub zones: Zones,
    pub public_subnets: Vec<Cidr>,
    pub private_subnets: Vec<Cidr>,
    /// True when the subnet blocks were derived rather than written.
    pub derived_subnets: bool,
    pub nat: Nat,
    pub endpoints: Vec<Endpoint>,
    /// Flow log retention in days, when flow logs are on.
    pub flow_logs: Option<u32>,
}

impl Network {
    pub fn zone_count(&self) -> usize {
        match &self.zones {
            Zones::Count(n) => *n as usize,
            Zones::Names(v) => v.len(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
}

#[derive(Debug, Clone)]
pub struct Balancer {
    pub name: String,
    pub span: Span,
    pub aws_name: String,
    pub network: String,
    pub internal: bool,
    pub listeners: Vec<Listener>,
    pub idle_timeout_s: u32,
    pub deregistration_delay_s: u32,
    pub drop_invalid_headers: bool,
    pub deletion_protection: bool,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub protocol: Protocol,
    pub port: u16,
    pub certificate: Option<String>,
    pub tls_policy: Option<String>,
    /// For HTTPS: also a port-80 listener that redirects here.
    pub redirect_http: bool,
    pub default: Action,
    pub routes: Vec<Route>,
    pub span: Span,
}

impl Listener {
    /// Routes, plus a pseudo-route for a default `forward`, so that "which services does
    /// this listener reach" has one answer.
    pub fn targets(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    /// Services reached by the default action.
    pub fn default_service(&self) -> Option<&str> {
        match &self.default {
            Action::Forward(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    pub paths: Vec<String>,
    pub hosts: Vec<String>,
    pub service: String,
    pub priority: u32,
    pub span: Span,
}

/// Text that may contain deploy-time references (`${db.address}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(pub Vec<TextPart>);

impl Text {
    pub fn plain(s: impl Into<String>) -> Self {
        Text(vec![TextPart::Lit(s.into())])
    }

    /// The text if it has no references.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                TextPart::Lit(s) => out.push_str(s),
                TextPart::Attr { .. } => return None,
            }
        }
        Some(out)
    }

    /// Declarations this text refers to.
    pub fn refs(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.0.iter().filter_map(|p| match p {
            TextPart::Attr { kind, name, attr } => Some((kind.as_str(), name.as_str(), attr.as_str())),
            TextPart::Lit(_) => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextPart {
    Lit(String),
    Attr { kind: String, name: String, attr: String },
}

#[derive(Debug, Clone)]
pub struct HealthCheck {
    pub path: String,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub healthy: u32,
    pub unhealthy: u32,
    pub matcher: String,
    pub grace_s: u32,
}

#[derive(Debug, Clone)]
pub struct ContainerHealth {
    pub command: Vec<String>,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
    pub start_period_s: u32,
}

/// Capacity provider weights. Pure on-demand is `{1, 0, 0}`, pure Spot `{0, 1, 0}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub on_demand: u32,
    pub spot: u32,
    pub base: u32,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub blue_green: bool,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    pub circuit_breaker: bool,
    pub rollback: bool,
    pub bake_time_s: u32,
    /// How a blue/green deployment moves traffic.
    pub shift: Shift,
    /// A balancer port that reaches the new tasks before production traffic does.
    pub test_port: Option<u16>,
    pub rollback_alarms: Vec<RollbackAlarm>,
    /// 5xx answers in a minute that fire the `http_5xx` rollback alarm.
    pub rollback_5xx: u32,
    /// Minutes of failed health checks that fire the `unhealthy` rollback alarm.
    pub rollback_unhealthy_minutes: u32,
    /// Existing CloudWatch alarms that stop a blue/green deployment.
    pub alarms: Vec<String>,
}

/// How a blue/green deployment moves traffic to the new tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shift {
    #[default]
    AllAtOnce,
    Canary {
        percent: u32,
        minutes: u32,
    },
    Linear {
        percent: u32,
        minutes: u32,
    },
}

/// An alarm fgc creates on a blue/green service's target groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RollbackAlarm {
    Http5xx,
    Unhealthy,
}

impl RollbackAlarm {
    /// The `.fg` name, also the suffix of the alarm's AWS name.
    pub fn name(self) -> &'static str {
        match self {
            RollbackAlarm::Http5xx => "http-5xx",
            RollbackAlarm::Unhealthy => "unhealthy",
        }
    }
}

/// An ECR repository.
#[derive(Debug, Clone)]
pub struct Repository {
    pub name: String,
    pub span: Span,
    /// The repository name in ECR.
    pub aws_name: String,
    pub scan_on_push: bool,
    pub keep: u32,
    pub immutable: bool,
    pub force_delete: bool,
}

/// An HTTP API reaching services on an internal balancer through a VPC link.
#[derive(Debug, Clone)]
pub struct Api {
    pub name: String,
    pub span: Span,
    pub aws_name: String,
    pub balancer: String,
    pub network: String,
    pub stage: String,
    pub routes: Vec<ApiRoute>,
    /// Routes need SigV4-signed calls (`AWS_IAM`).
    pub iam_auth: bool,
    pub rate_limit: u32,
    pub burst_limit: u32,
    /// Access log retention in days, when access logs are on.
    pub access_logs: Option<u32>,
    /// Routes need a valid bearer token (a JWT authorizer); set with `auth = jwt`.
    pub jwt: Option<ApiJwt>,
    pub cors: Option<ApiCors>,
}

/// The tokens a JWT authorizer accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiJwt {
    pub issuer: String,
    pub audience: Vec<String>,
    /// The request header carrying the token.
    pub header: String,
}

/// An API's CORS configuration, answered by API Gateway itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCors {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub credentials: bool,
    pub max_age_s: u32,
}

/// One route key of an API and the listener port of the balancer it is sent to.
#[derive(Debug, Clone)]
pub struct ApiRoute {
    /// `GET /items`, `ANY /dev/{proxy+}` or `$default`.
    pub key: String,
    pub service: String,
    pub port: u16,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubnetKind {
    Private,
    Public,
}

#[derive(Debug, Clone)]
pub struct Sidecar {
    pub name: String,
    pub image: Text,
    pub cpu: u32,
    pub memory_mib: Option<u32>,
    pub port: Option<u16>,
    pub environment: Vec<(String, Text)>,
    pub secrets: Vec<(String, Secret)>,
    pub command: Option<Vec<String>>,
    pub essential: bool,
    pub container_health: Option<ContainerHealth>,
    pub depends_on: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    Cpu,
    Memory,
    Requests,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub metric: Metric,
    pub value: f64,
}

/// One CloudWatch alarm of step scaling and the adjustments it drives, with bounds
/// relative to the alarm threshold as Application Auto Scaling wants them.
#[derive(Debug, Clone)]
pub struct StepAlarm {
    pub metric: Metric,
    /// True for scale-out (`>=`/`>`), false for scale-in.
    pub scale_out: bool,
    /// `>=`, `>`, `<=` or `<`.
    pub comparison: &'static str,
    pub threshold: f64,
    pub period_s: u32,
    pub evaluations: u32,
    pub steps: Vec<StepAdjustment>,
    /// True when the adjustments are percentages of the current count.
    pub percent: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct StepAdjustment {
    /// Relative to the threshold; `None` is unbounded.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjustment: i64,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    /// `cron(…)` or `rate(…)`, as Application Auto Scaling takes it.
    pub expression: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub timezone: String,
}

#[derive(Debug, Clone)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    pub scale_in_cooldown_s: u32,
    pub scale_out_cooldown_s: u32,
    pub targets: Vec<Target>,
    pub alarms: Vec<StepAlarm>,
    pub schedules: Vec<Schedule>,
}

#[derive(Debug, Clone)]
pub struct Permission {
    pub sid: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub span: Span,
    pub aws_name: String,
    pub image: Text,
    pub cpu: u32,
    pub memory_mib: u32,
    /// True when memory was not written and fgc chose the smallest valid size.
    pub memory_derived: bool,
    pub port: Option<u16>,
    pub count: u32,
    pub environment: Vec<(String, Text)>,
    pub secrets: Vec<(String, Secret)>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub health: Option<HealthCheck>,
    pub container_health: Option<ContainerHealth>,
    pub log_retention_days: u32,
    pub capacity: Capacity,
    pub public_ip: bool,
    pub subnets: SubnetKind,
    pub deployment: Deployment,
    pub sidecars: Vec<Sidecar>,
    pub scale: Option<Scaling>,
    pub permissions: Vec<Permission>,
    pub depends_on: Vec<(String, String)>,
    pub readonly_root: bool,
    pub network: String,
}

impl Service {
    /// Databases this service reads attributes or the password of.
    pub fn databases_used(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let texts = self
            .environment
            .iter()
            .map(|(_, t)| t)
            .chain(self.sidecars.iter().flat_map(|s| s.environment.iter().map(|(_, t)| t)));
        for t in texts {
            for (kind, name, _) in t.refs() {
                if kind == "database" && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        let secrets = self.secrets.iter().chain(self.sidecars.iter().flat_map(|s| s.secrets.iter()));
        for (_, s) in secrets {
            if let Secret::Database(name) = s
                && !out.contains(&name.as_str())
            {
                out.push(name);
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Mysql,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
        }
    }

    pub fn default_version(self) -> &'static str {
        match self {
            Engine::Postgres => "16",
            Engine::Mysql => "8.0",
        }
    }
}

/// A policy plugin to run over the IR.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub span: Span,
    /// The component's path as written; relative to the declaring file (`span.file`).
    pub source: String,
    pub source_span: Span,
    /// Whether error findings fail the build.
    pub deny: bool,
    /// The `config` record, checked as plain data.
    pub config: crate::value::Record,
    /// Fuel budget in WebAssembly instructions.
    pub fuel: u64,
    /// Memory cap in bytes.
    pub memory: u64,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub span: Span,
    /// The RDS instance identifier.
    pub aws_name: String,
    pub engine: Engine,
    pub version: String,
    pub class: String,
    pub storage_gib: u32,
    pub max_storage_gib: Option<u32>,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: bool,
    pub final_snapshot: bool,
    pub access: Vec<String>,
    pub db_name: Option<String>,
    pub username: String,
    pub port: u16,
    pub encrypted: bool,
    pub enhanced_monitoring: bool,
    pub performance_insights: bool,
    pub network: String,
}
