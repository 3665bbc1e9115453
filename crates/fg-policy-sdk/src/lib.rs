//! Write fgc policy plugins in a few lines of Rust.
//!
//! A policy implements [`Policy`] and exports itself with [`export_policy!`]; built with
//! `cargo build --target wasm32-wasip2 --release`, the crate's `.wasm` is a component fgc
//! can run (`policy name { source = "….wasm" }` in `.fg`, or `--policy FILE`):
//!
//! ```ignore
//! use fg_policy_sdk::*;
//!
//! struct NoSpot;
//!
//! impl Policy for NoSpot {
//!     fn metadata() -> Metadata {
//!         Metadata::new("no-spot", env!("CARGO_PKG_VERSION")).rule("no-spot", "services run on on-demand capacity")
//!     }
//!
//!     fn evaluate(ir: &Ir, _config: &Config) -> Result<Vec<Finding>, String> {
//!         Ok(ir
//!             .resources_of("aws_ecs_service")
//!             .filter(|svc| svc.blocks("capacity_provider_strategy").any(|s| s.str("capacity_provider") == Some("FARGATE_SPOT")))
//!             .map(|svc| Finding::error("no-spot", format!("`{}` runs on spot capacity", svc.decl())).on(svc))
//!             .collect())
//!     }
//! }
//!
//! export_policy!(NoSpot);
//! ```
//!
//! The IR arrives as the JSON `fgc build --emit ir` prints (format version [`IR_VERSION`]);
//! this crate parses it into [`Ir`] and refuses other versions. The plugin runs in a
//! sandbox: no filesystem, network, environment variables or clock, limited fuel and
//! memory, a fresh instance per evaluation. A panic is reported as a failure of the
//! plugin, with its message.
//!
//! This crate deliberately has no I/O helpers and no dependency on the compiler's own
//! crates: the JSON form of the IR is the contract, not fgc's Rust types.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde::de::DeserializeOwned;

#[doc(hidden)]
#[allow(unsafe_code)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../fg-policy/wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "fg_policy_sdk::bindings",
    });
}

pub use bindings::exports::fg::policy::rules::{Finding, Metadata, Rule, Severity};

/// The IR format version this SDK reads.
pub const IR_VERSION: u32 = 1;

/// A policy: what it checks, and the check.
pub trait Policy {
    /// The plugin's name, version and rules. Called once when fgc loads the plugin.
    fn metadata() -> Metadata;

    /// Checks one stack in one environment. An `Err` is a failure of the plugin (bad
    /// config, say), reported as such; problems with the stack are findings.
    fn evaluate(ir: &Ir, config: &Config) -> Result<Vec<Finding>, String>;
}

/// Exports a [`Policy`] as the component's `fg:policy/rules` interface.
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        #[doc(hidden)]
        struct __FgPolicyExport;

        impl $crate::bindings::exports::fg::policy::rules::Guest for __FgPolicyExport {
            fn describe() -> $crate::Metadata {
                $crate::quiet_panics();
                <$policy as $crate::Policy>::metadata()
            }

            fn evaluate(ir: $crate::bindings::exports::fg::policy::rules::Ir, config: String) -> Result<Vec<$crate::Finding>, String> {
                $crate::evaluate::<$policy>(ir, &config)
            }
        }

        $crate::bindings::__export_plugin!(__FgPolicyExport with_types_in $crate::bindings);
    };
}

/// Parses the inputs and runs the policy; what the exported `evaluate` does.
#[doc(hidden)]
pub fn evaluate<P: Policy>(ir: bindings::exports::fg::policy::rules::Ir, config: &str) -> Result<Vec<Finding>, String> {
    quiet_panics();
    let ir = Ir::from_wit(ir)?;
    let config = Config::from_json(config)?;
    P::evaluate(&ir, &config)
}

impl Metadata {
    pub fn new(name: &str, version: &str) -> Self {
        Metadata { name: name.into(), version: version.into(), rules: Vec::new() }
    }

    /// Declares a rule the policy checks.
    pub fn rule(mut self, id: &str, description: &str) -> Self {
        self.rules.push(Rule { id: id.into(), description: description.into() });
        self
    }
}

impl Finding {
    pub fn new(severity: Severity, rule: &str, message: impl Into<String>) -> Self {
        Finding { rule: rule.into(), severity, message: message.into(), resource: None, attribute: None, help: None }
    }

    /// A finding that fails the build under `level = deny`.
    pub fn error(rule: &str, message: impl Into<String>) -> Self {
        Finding::new(Severity::Error, rule, message)
    }

    pub fn warning(rule: &str, message: impl Into<String>) -> Self {
        Finding::new(Severity::Warning, rule, message)
    }

    /// The resource it is about: fgc reports it at the declaration that produced it.
    pub fn on(mut self, resource: &Resource) -> Self {
        self.resource = Some(resource.id.clone());
        self
    }

    /// The attribute path inside the resource: `desired_count`, `ingress.0.cidr_ipv4`.
    pub fn attribute(mut self, path: impl Into<String>) -> Self {
        self.attribute = Some(path.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Prints panics without the default hook, which reads `RUST_BACKTRACE` from the
/// environment, an attempt the sandbox stops (and would report instead of the panic).
#[doc(hidden)]
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
            (Some(s), _) => s.to_string(),
            (_, Some(s)) => s.clone(),
            _ => "Box<dyn Any>".to_string(),
        };
        let at = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
        eprintln!("panicked at {at}:\n{message}");
    }));
}

// ---------------------------------------------------------------------------- the IR

/// A whole stack for one environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Ir {
    pub version: u32,
    pub app: String,
    pub env: String,
    pub region: String,
    /// Tags every resource carries (the app's tags plus `fgc:app` and `fgc:env`).
    pub tags: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub outputs: Vec<Output>,
    #[serde(skip)]
    index: std::sync::OnceLock<Index>,
}

impl Ir {
    /// The IR as fgc hands it over (`record ir` of the WIT), refusing a format version
    /// this SDK does not read.
    pub fn from_wit(ir: bindings::exports::fg::policy::rules::Ir) -> Result<Ir, String> {
        if ir.version != IR_VERSION {
            return Err(refuse(ir.version));
        }
        let outputs = serde_json::from_str(&ir.outputs).map_err(|e| format!("the IR's outputs do not parse: {e}"))?;
        let ids: Vec<String> = ir.resources.iter().map(|r| r.id.clone()).collect();
        let names = |indices: Vec<u32>| indices.into_iter().filter_map(|i| ids.get(i as usize).cloned()).collect();
        let files = ir.files;
        Ok(Ir {
            version: ir.version,
            app: ir.app,
            env: ir.env,
            region: ir.region,
            tags: ir.tags.into_iter().collect(),
            resources: ir
                .resources
                .into_iter()
                .map(|r| Resource {
                    id: r.id,
                    kind: r.kind,
                    data: r.data,
                    concern: concern_name(r.concern).to_string(),
                    raw_attrs: r.attrs,
                    parsed_attrs: Default::default(),
                    lazy_attrs: Default::default(),
                    depends_on: names(r.depends_on),
                    after: names(r.after),
                    managed_elsewhere: r.managed_elsewhere,
                    source: Source {
                        file: files.get(r.source.file as usize).cloned().unwrap_or_default(),
                        line: r.source.line,
                        column: r.source.column,
                        start: r.source.start,
                        end: r.source.end,
                        decl: r.source.decl,
                    },
                })
                .collect(),
            outputs,
            index: Default::default(),
        })
    }

    /// Parses the IR's JSON form, as `fgc build --emit ir` prints it, refusing a format
    /// version this SDK does not read.
    pub fn from_json(json: &str) -> Result<Ir, String> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        match serde_json::from_str::<Ir>(json) {
            Ok(ir) if ir.version == IR_VERSION => Ok(ir),
            Ok(ir) => Err(refuse(ir.version)),
            // Another version may have another shape: say so rather than what failed.
            Err(e) => match serde_json::from_str::<Version>(json) {
                Ok(v) if v.version != IR_VERSION => Err(refuse(v.version)),
                _ => Err(format!("the IR does not have the expected shape: {e}")),
            },
        }
    }

    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.index().ids.get(id).map(|&i| &self.resources[i])
    }

    /// Every resource of one kind, such as `aws_ecs_service`.
    pub fn resources_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| r.kind == kind && !r.data)
    }

    /// The resources that refer to `id`.
    pub fn referrers<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        let found = self.index().referrers.get(id).map(Vec::as_slice).unwrap_or_default();
        found.iter().map(|&i| &self.resources[i])
    }

    /// Built on first lookup: policies ask by id and by referrer once per service, and
    /// scanning a thousand resources each time would dominate their run.
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut index = Index::default();
            for (i, r) in self.resources.iter().enumerate() {
                index.ids.insert(r.id.clone(), i);
                for d in &r.depends_on {
                    index.referrers.entry(d.clone()).or_default().push(i);
                }
            }
            index
        })
    }
}

#[derive(Debug, Clone, Default)]
struct Index {
    ids: HashMap<String, usize>,
    referrers: HashMap<String, Vec<usize>>,
}

fn concern_name(c: bindings::exports::fg::policy::rules::Concern) -> &'static str {
    use bindings::exports::fg::policy::rules::Concern as C;
    match c {
        C::Main => "main",
        C::Network => "network",
        C::Balancer => "balancer",
        C::Services => "services",
        C::Scaling => "scaling",
        C::Iam => "iam",
        C::Database => "database",
    }
}

fn refuse(version: u32) -> String {
    format!(
        "this plugin reads IR version {IR_VERSION} and fgc sent version {version}; rebuild it with a matching fg-policy-sdk"
    )
}

/// One AWS resource, named by its Terraform AWS provider type.
///
/// Its attributes are parsed the first time they are read: most policies look at a few
/// kinds of resources, and parsing every attribute of a large stack would cost more than
/// the policy itself.
#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    /// Stable id derived from the source: `service.api/task`.
    pub id: String,
    /// `aws_ecs_service`, `aws_security_group`, …
    pub kind: String,
    /// A data source: read, not created.
    pub data: bool,
    /// `network`, `balancer`, `services`, `scaling`, `iam`, `database` or `main`.
    pub concern: String,
    /// The JSON of the attribute list, parsed on first use.
    #[serde(rename = "attrs", default, deserialize_with = "raw_json")]
    raw_attrs: String,
    #[serde(skip)]
    parsed_attrs: std::sync::OnceLock<Vec<(String, Val)>>,
    #[serde(skip)]
    lazy_attrs: std::sync::OnceLock<LazyAttrs>,
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub after: Vec<String>,
    /// Attributes changed outside fgc after creation (a scaled service's desired count).
    #[serde(default)]
    pub managed_elsewhere: Vec<String>,
    pub source: Source,
}

impl Resource {
    /// Attributes in order; a repeated block is a repeated attribute.
    pub fn attrs(&self) -> &[(String, Val)] {
        // The IR passed the shape check of its version; an attribute list that still does
        // not parse reads as empty rather than failing the whole policy.
        self.parsed_attrs.get_or_init(|| serde_json::from_str(&self.raw_attrs).unwrap_or_default())
    }

    pub fn attr(&self, name: &str) -> Option<&Val> {
        let lazy = self.lazy();
        let i = lazy.raw.iter().position(|(k, _)| k == name)?;
        Some(lazy.value(i))
    }

    /// Attribute names with their JSON text; values are parsed one by one when read
    /// (a task definition's container definitions are large and rarely needed).
    fn lazy(&self) -> &LazyAttrs {
        self.lazy_attrs.get_or_init(|| {
            let raw: Vec<(String, Box<serde_json::value::RawValue>)> =
                serde_json::from_str(&self.raw_attrs).unwrap_or_default();
            LazyAttrs { values: raw.iter().map(|_| std::sync::OnceLock::new()).collect(), raw }
        })
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.attr(name)?.as_str()
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.attr(name)?.as_int()
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.attr(name)?.as_bool()
    }

    /// Every block named `name` (`ingress`, `capacity_provider_strategy`), as fields.
    pub fn blocks<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Fields<'a>> + 'a {
        let lazy = self.lazy();
        (0..lazy.raw.len()).filter(move |&i| lazy.raw[i].0 == name).filter_map(move |i| lazy.value(i).as_fields())
    }

    /// The `.fg` declaration that produced it: `service.api`.
    pub fn decl(&self) -> &str {
        &self.source.decl
    }

    /// The resource's tags (`tags = { … }`), without the stack-wide ones.
    pub fn tags(&self) -> BTreeMap<&str, &str> {
        self.attr("tags")
            .and_then(Val::as_fields)
            .map(|f| f.0.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default)]
struct LazyAttrs {
    raw: Vec<(String, Box<serde_json::value::RawValue>)>,
    values: Vec<std::sync::OnceLock<Val>>,
}

impl LazyAttrs {
    fn value(&self, i: usize) -> &Val {
        // A value that does not parse reads as an empty list: no accessor matches it.
        self.values[i].get_or_init(|| serde_json::from_str(self.raw[i].1.get()).unwrap_or(Val::List(Vec::new())))
    }
}

/// Keeps a JSON value as its text.
fn raw_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw: Box<serde_json::value::RawValue> = Deserialize::deserialize(d)?;
    Ok(raw.get().to_string())
}

/// Where in the `.fg` source a resource's declaration is.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Source {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub start: u32,
    pub end: u32,
    /// The declaration: `service.api`.
    pub decl: String,
}

/// A stack output.
#[derive(Debug, Clone, Deserialize)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub value: Val,
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Val {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    List(Vec<Val>),
    /// An object attribute (`tags = { … }`), keys in order.
    Map(Vec<(String, Val)>),
    /// A nested block (`health_check { … }`).
    Block(Vec<(String, Val)>),
    /// Another resource's attribute, known once it exists.
    Ref {
        id: String,
        attr: String,
    },
    /// Text with references: `"Server=${db.address};"`.
    Template(Vec<Part>),
    /// A JSON document built from a value (container definitions, IAM policies).
    Json(Box<Val>),
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Ref { id: String, attr: String },
}

impl Val {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Json(v) => v.as_str(),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            Val::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            Val::Json(v) => v.as_int(),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Num(n) => Some(*n),
            Val::Json(v) => v.as_num(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Json(v) => v.as_bool(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Val] {
        match self {
            Val::List(l) => l,
            Val::Json(v) => v.as_list(),
            _ => &[],
        }
    }

    /// The fields of a map or block.
    pub fn as_fields(&self) -> Option<Fields<'_>> {
        match self {
            Val::Map(kv) | Val::Block(kv) => Some(Fields(kv)),
            Val::Json(v) => v.as_fields(),
            _ => None,
        }
    }

    /// The resource this refers to, for a reference.
    pub fn as_ref_id(&self) -> Option<&str> {
        match self {
            Val::Ref { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// The fields of a block or map, in order.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a>(pub &'a [(String, Val)]);

impl<'a> Fields<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Val> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn str(&self, name: &str) -> Option<&'a str> {
        self.get(name)?.as_str()
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_int()
    }

    pub fn num(&self, name: &str) -> Option<f64> {
        self.get(name)?.as_num()
    }
}

// ---------------------------------------------------------------------------- config

/// The policy's `config` record from the `.fg` source. Sizes arrive in MiB, durations in
/// seconds, percentages as numbers, names and strings as strings.
#[derive(Debug, Clone, Default)]
pub struct Config(pub serde_json::Map<String, serde_json::Value>);

impl Config {
    pub fn from_json(json: &str) -> Result<Config, String> {
        match serde_json::from_str(json) {
            Ok(serde_json::Value::Object(map)) => Ok(Config(map)),
            Ok(serde_json::Value::Null) => Ok(Config::default()),
            Ok(_) => Err("the policy's config must be a record".into()),
            Err(e) => Err(format!("the policy's config is not valid JSON: {e}")),
        }
    }

    /// A config field, or an error naming the field and the type expected.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<T, String> {
        let value = self.0.get(key).ok_or_else(|| format!("config field `{key}` is missing"))?;
        serde_json::from_value(value.clone()).map_err(|e| format!("config field `{key}`: {e}"))
    }

    /// A config field, `default` when it is absent.
    pub fn get_or<T: DeserializeOwned>(&self, key: &str, default: T) -> Result<T, String> {
        if self.0.contains_key(key) { self.get(key) } else { Ok(default) }
    }
}
