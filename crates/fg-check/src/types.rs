//! Types as the standard library writes them, resolved.

use fg_diag::Span;

use crate::value::Value;

/// A type a field can have.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Text known when fgc runs (interpolating `let`s and `env` is fine).
    String,
    /// Text that may refer to deploy-time attributes (`${db.address}`); numbers and
    /// booleans are accepted and written as text.
    Text,
    Int,
    Number,
    Bool,
    Size,
    Duration,
    Percent,
    Cidr,
    Port,
    Cpu,
    /// A bare word or a string.
    Name,
    Secret,
    Action,
    Adjustment,
    List(Box<Ty>),
    Map(Box<Ty>),
    Ref(String),
    Enum(String),
    Schema(String),
    /// Labelled nested blocks of a schema: `listener https { … }`.
    Blocks(String),
    Union(Vec<Ty>),
    /// Plain data known when fgc runs: numbers (with units), strings, names, booleans,
    /// CIDR blocks, and lists and records of them. Passed on as is (a policy's config).
    Data,
}

impl Ty {
    /// How the type reads in messages: "a size such as `512MiB`".
    pub fn describe(&self) -> String {
        match self {
            Ty::String => "a string".into(),
            Ty::Text => "a string".into(),
            Ty::Int => "a whole number".into(),
            Ty::Number => "a number".into(),
            Ty::Bool => "`true` or `false`".into(),
            Ty::Size => "a size such as `512MiB`".into(),
            Ty::Duration => "a duration such as `30s`".into(),
            Ty::Percent => "a percentage such as `70%`".into(),
            Ty::Cidr => "a CIDR block such as `10.0.0.0/16`".into(),
            Ty::Port => "a port number".into(),
            Ty::Cpu => "CPU units such as `256` or `0.5vcpu`".into(),
            Ty::Name => "a name".into(),
            Ty::Secret => "a secret: `ssm(\"…\")`, `secret(\"…\")` or a database's `password`".into(),
            Ty::Action => "an action: `forward(service)`, `respond(404)` or `redirect(\"…\")`".into(),
            Ty::Adjustment => "an adjustment such as `+1`".into(),
            Ty::Data => "plain data (numbers, strings, names, lists, records)".into(),
            Ty::List(t) => format!("a list of {}", plural(t)),
            Ty::Map(t) => format!("a record of {}", plural(t)),
            Ty::Ref(k) => format!("a reference to a `{k}`"),
            Ty::Enum(e) => format!("a `{e}` value"),
            Ty::Schema(s) => format!("a `{s}` block"),
            Ty::Blocks(s) => format!("`{s}` blocks"),
            Ty::Union(ts) => ts.iter().map(Ty::describe).collect::<Vec<_>>().join(" or "),
        }
    }

    /// The type as the standard library spells it.
    pub fn name(&self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::Text => "text".into(),
            Ty::Int => "int".into(),
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::Size => "size".into(),
            Ty::Duration => "duration".into(),
            Ty::Percent => "percent".into(),
            Ty::Cidr => "cidr".into(),
            Ty::Port => "port".into(),
            Ty::Cpu => "cpu".into(),
            Ty::Name => "name".into(),
            Ty::Secret => "secret".into(),
            Ty::Action => "action".into(),
            Ty::Adjustment => "adjustment".into(),
            Ty::Data => "data".into(),
            Ty::List(t) => format!("list<{}>", t.name()),
            Ty::Map(t) => format!("map<{}>", t.name()),
            Ty::Ref(k) => format!("ref<{k}>"),
            Ty::Enum(e) | Ty::Schema(e) => e.clone(),
            Ty::Blocks(s) => format!("blocks<{s}>"),
            Ty::Union(ts) => ts.iter().map(Ty::name).collect::<Vec<_>>().join(" | "),
        }
    }
}

/// The plural of a type's name, for "a list of strings".
pub fn plural(t: &Ty) -> String {
    match t {
        Ty::Ref(k) => format!("`{k}` references"),
        Ty::String | Ty::Text => "strings".into(),
        Ty::Int | Ty::Number => "numbers".into(),
        Ty::Bool => "booleans".into(),
        Ty::Size => "sizes".into(),
        Ty::Duration => "durations".into(),
        Ty::Percent => "percentages".into(),
        Ty::Cidr => "CIDR blocks".into(),
        Ty::Port => "ports".into(),
        Ty::Secret => "secrets".into(),
        Ty::Name => "names".into(),
        Ty::Enum(e) | Ty::Schema(e) => format!("`{e}` values"),
        other => other.name(),
    }
}

/// A field of a schema.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
    /// Evaluated default; `None` for required and optional fields.
    pub default: Option<Value>,
    /// `name: T?` — may be omitted, has no default.
    pub optional: bool,
    /// `out name: T` — an attribute other declarations can read, not a setting.
    pub out: bool,
    pub docs: Vec<String>,
    pub span: Span,
}

impl FieldDef {
    pub fn is_required(&self) -> bool {
        !self.optional && self.default.is_none() && !self.out && !matches!(self.ty, Ty::Blocks(_))
    }
}

/// A `kind` or `schema` of the standard library.
#[derive(Debug, Clone)]
pub struct Schema {
    pub name: String,
    pub is_kind: bool,
    pub fields: Vec<FieldDef>,
    pub docs: Vec<String>,
    pub span: Span,
}

impl Schema {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Settable fields (not `out`).
    pub fn inputs(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| !f.out)
    }

    /// Exported attributes (`out`).
    pub fn outputs(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.out)
    }
}

/// An `enum` of the standard library.
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<(String, Vec<String>, Span)>,
    pub docs: Vec<String>,
    pub span: Span,
}

impl EnumDef {
    pub fn has(&self, v: &str) -> bool {
        self.variants.iter().any(|(n, ..)| n == v)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.variants.iter().map(|(n, ..)| n.as_str())
    }
}
