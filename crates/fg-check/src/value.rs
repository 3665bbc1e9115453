//! Values: what expressions evaluate to, before and after type checking.
//!
//! Evaluation produces the raw forms (`Number` with its unit as written, `Word` for a bare
//! name that is not a binding). Type checking turns them into the typed forms (`Int`,
//! `Size`, `Duration`, …) so that the model builder never looks at units again.

use fg_diag::Span;
use fg_syntax::lit::Cidr;

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: V,
    pub span: Span,
}

impl Value {
    pub fn new(kind: V, span: Span) -> Self {
        Value { kind, span }
    }

    pub fn error(span: Span) -> Self {
        Value { kind: V::Error, span }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            V::Str(s) | V::Word(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.kind {
            V::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_record(&self) -> Option<&Record> {
        match &self.kind {
            V::Record(r) => Some(r),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Value] {
        match &self.kind {
            V::List(l) => l,
            _ => &[],
        }
    }

    /// A short description of what the value is, for "found …" in messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            V::Str(_) | V::Template(_) => "a string".into(),
            V::Number { unit: Some(u), .. } => format!("a number in `{u}`"),
            V::Number { .. } | V::Int(_) => "a number".into(),
            V::Bool(_) => "a boolean".into(),
            V::Cidr(_) => "a CIDR block".into(),
            V::Word(w) => format!("the name `{w}`"),
            V::Ref(r) => match &r.attr {
                Some((a, _)) => format!("`{}.{a}`", r.name),
                None => format!("{} `{}`", r.kind, r.name),
            },
            V::List(_) => "a list".into(),
            V::Record(_) => "a record".into(),
            V::Call { name, .. } => format!("`{name}(…)`"),
            V::Size(_) => "a size".into(),
            V::Duration(_) => "a duration".into(),
            V::Percent(_) => "a percentage".into(),
            V::Secret(_) => "a secret".into(),
            V::Action(_) => "an action".into(),
            V::Adjustment(_) => "an adjustment".into(),
            V::Error => "an invalid value".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Str(String),
    /// A string with deploy-time references: `"${db.address}:5432"`.
    Template(Vec<Part>),
    /// A number as written, with its unit suffix.
    Number {
        value: f64,
        unit: Option<String>,
    },
    Bool(bool),
    Cidr(Cidr),
    /// A bare name that is neither a `let` nor a declaration: an enum value, or a typo.
    Word(String),
    Ref(Ref),
    List(Vec<Value>),
    Record(Record),
    Call {
        name: String,
        name_span: Span,
        args: Vec<Value>,
    },
    // Typed forms, produced by type checking.
    Int(i64),
    /// Bytes.
    Size(u64),
    /// Milliseconds.
    Duration(u64),
    Percent(f64),
    Secret(SecretRef),
    Action(ActionValue),
    Adjustment(AdjustmentValue),
    /// Already reported; checks skip it silently.
    Error,
}

/// A piece of a string with deploy-time references.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Ref(Ref),
}

/// A reference to a declaration, optionally to one of its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub kind: String,
    pub name: String,
    pub attr: Option<(String, Span)>,
    pub span: Span,
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretRef {
    /// An SSM parameter name or ARN.
    Ssm(String),
    /// A Secrets Manager secret name or ARN, optionally one JSON key of it.
    SecretsManager { id: String, key: Option<String> },
    /// The managed master password of a database.
    Database(String),
}

/// A listener action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionValue {
    Forward(String),
    Respond { status: u16, body: String, content_type: String },
    Redirect { url: String, status: u16 },
}

/// A step adjustment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdjustmentValue {
    pub delta: i64,
    pub percent: bool,
}

/// A record: the fields of a block, in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// The label of a labelled block (`listener https { … }`).
    pub label: Option<(String, Span)>,
    pub fields: Vec<Field>,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub key: String,
    pub key_span: Span,
    pub value: Value,
    /// Where it came from.
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `key = value`
    Written,
    /// `key { … }` or `key label { … }`
    Block { labelled: bool },
    /// From `...spread`.
    Spread,
    /// A `route`, `step` or `target` statement.
    Statement,
    /// Filled in from the schema's default.
    Default,
}
