//! The IR types: resources with stable ids, typed attributes, references and source spans.
//!
//! The IR is a serialisable boundary (`fgc build --emit ir`, policy plugins, the AWS
//! backend), so its JSON form is versioned by [`IR_VERSION`].

use std::collections::BTreeMap;

use serde::Serialize;

/// The version of the IR's JSON form. Bumped on any incompatible change.
pub const IR_VERSION: u32 = 1;

/// A whole stack for one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Ir {
    pub version: u32,
    pub app: String,
    pub env: String,
    pub region: String,
    /// Tags every resource carries (the app's tags plus `fgc:app` and `fgc:env`).
    pub tags: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
}

impl Ir {
    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }
}

/// One AWS resource (or data source).
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// Stable id derived from the source: `service.api/task`, `network.main/subnet/public/0`.
    pub id: String,
    /// The resource type, named as the Terraform AWS provider names it (`aws_ecs_service`).
    pub kind: String,
    /// True for a data source (read, not created).
    pub data: bool,
    /// Which concern it belongs to: network, balancer, services, scaling, iam, database.
    pub concern: Concern,
    /// Attributes in a fixed order.
    pub attrs: Vec<(String, Val)>,
    /// Ids of the resources this one refers to (from `attrs`, plus ordering-only
    /// dependencies), sorted and unique.
    pub depends_on: Vec<String>,
    /// Ordering-only dependencies (no attribute refers to them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Attributes changed outside fgc after creation (a scaled service's desired count, a
    /// blue/green service's task definition): set on create, never updated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_elsewhere: Vec<String>,
    /// Where in the source the declaration that produced it is.
    pub source: Source,
}

impl Resource {
    pub fn attr(&self, name: &str) -> Option<&Val> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// The file, line and column of a declaration, and its byte span.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub start: u32,
    pub end: u32,
    /// The declaration: `service.api`.
    pub decl: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Concern {
    Main,
    Network,
    Balancer,
    Services,
    Scaling,
    Iam,
    Database,
}

impl Concern {
    /// The Terraform file it goes to.
    pub fn file(self) -> &'static str {
        match self {
            Concern::Main => "main.tf",
            Concern::Network => "network.tf",
            Concern::Balancer => "balancer.tf",
            Concern::Services => "services.tf",
            Concern::Scaling => "scaling.tf",
            Concern::Iam => "iam.tf",
            Concern::Database => "database.tf",
        }
    }
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Val {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    List(Vec<Val>),
    /// An object attribute (`tags = { … }`), keys in order.
    Map(Vec<(String, Val)>),
    /// A nested block (`health_check { … }`); repeated blocks are repeated attributes.
    Block(Vec<(String, Val)>),
    /// Another resource's attribute: `{ id: "network.main/vpc", attr: "id" }`.
    Ref {
        id: String,
        attr: String,
    },
    /// Text with references: `"Server=${db.address};"`.
    Template(Vec<Part>),
    /// A JSON document built from a value (task container definitions, IAM policies).
    Json(Box<Val>),
}

impl Val {
    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(s.into())
    }

    pub fn reference(id: impl Into<String>, attr: impl Into<String>) -> Val {
        Val::Ref { id: id.into(), attr: attr.into() }
    }

    /// Every resource id this value refers to.
    pub fn refs<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Val::Ref { id, .. } => out.push(id),
            Val::List(xs) => xs.iter().for_each(|x| x.refs(out)),
            Val::Map(kv) | Val::Block(kv) => kv.iter().for_each(|(_, v)| v.refs(out)),
            Val::Template(parts) => parts.iter().for_each(|p| {
                if let Part::Ref { id, .. } = p {
                    out.push(id);
                }
            }),
            Val::Json(v) => v.refs(out),
            Val::Str(_) | Val::Int(_) | Val::Num(_) | Val::Bool(_) => {}
        }
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Ref { id: String, attr: String },
}

/// A stack output.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub name: String,
    pub description: String,
    pub value: Val,
}
