//! The typed syntax tree. Every node carries the [`Span`] it was parsed from.

use fg_diag::Span;

/// A name with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A parsed file: its items in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Import(Import),
    App(AppDecl),
    Let(LetDecl),
    Decl(Decl),
    Schema(SchemaDecl),
    Enum(EnumDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::App(a) => a.span,
            Item::Let(l) => l.span,
            Item::Decl(d) => d.span,
            Item::Schema(s) => s.span,
            Item::Enum(e) => e.span,
        }
    }
}

/// `import "./shared.fg"`
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub path: StrLit,
    pub span: Span,
}

/// `app "name" { … }`
#[derive(Debug, Clone, PartialEq)]
pub struct AppDecl {
    pub docs: Vec<String>,
    pub keyword: Span,
    pub name: StrLit,
    pub body: Block,
    pub span: Span,
}

/// `let name = expr`
#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    pub docs: Vec<String>,
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `kind name { … }`, e.g. `service web { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decl {
    pub docs: Vec<String>,
    pub kind: Ident,
    pub name: Ident,
    pub body: Block,
    pub span: Span,
    /// True when the parser could not read the body and kept only `kind name`, so that
    /// references still resolve; the checker skips its body.
    pub recovered: bool,
}

/// `{ entries }` — the body of a declaration, a nested block or a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Attr(Attr),
    Nested(Nested),
    Spread(Spread),
    Route(RouteStmt),
    Step(Box<StepStmt>),
    Target(TargetStmt),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Attr(a) => a.span,
            Entry::Nested(n) => n.span,
            Entry::Spread(s) => s.span,
            Entry::Route(r) => r.span,
            Entry::Step(s) => s.span,
            Entry::Target(t) => t.span,
        }
    }
}

/// `key = value`. `key` may be written as a string (`"kubernetes.io/role" = "x"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub key: Ident,
    pub value: Expr,
    /// The span of a `:` written instead of `=`, reported by the checker.
    pub colon: Option<Span>,
    pub span: Span,
}

/// `key label? { … }`, e.g. `health { … }` or `listener https { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Nested {
    pub key: Ident,
    pub label: Option<Ident>,
    pub body: Block,
    pub span: Span,
}

/// `...expr`
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    pub value: Expr,
    pub span: Span,
}

/// `route "/api/*" host "api.example.com" -> api priority 10`
#[derive(Debug, Clone, PartialEq)]
pub struct RouteStmt {
    pub keyword: Span,
    pub paths: Vec<StrLit>,
    pub hosts: Vec<StrLit>,
    pub target: Expr,
    pub priority: Option<Expr>,
    pub span: Span,
}

/// A comparison operator in a `step` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Cmp {
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Lt => "<",
        }
    }

    /// True for `>=` and `>`, the scale-out direction.
    pub fn is_upper(self) -> bool {
        matches!(self, Cmp::Ge | Cmp::Gt)
    }
}

/// `cmp value`
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub cmp: Cmp,
    pub cmp_span: Span,
    pub value: Expr,
}

/// `step cpu >= 80% < 90% for 3 x 60s => +1`
#[derive(Debug, Clone, PartialEq)]
pub struct StepStmt {
    pub keyword: Span,
    pub metric: Ident,
    pub bound: Bound,
    pub until: Option<Bound>,
    /// The `3` of `for 3 x 60s`.
    pub evaluations: Option<Expr>,
    /// The `60s` of `for 60s`.
    pub period: Option<Expr>,
    pub adjustment: Adjustment,
    pub span: Span,
}

/// `+1`, `-1`, `+10%`, or an unsigned `2` (rejected by the checker with a fix).
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub text: String,
    pub span: Span,
}

/// `target cpu 70%`
#[derive(Debug, Clone, PartialEq)]
pub struct TargetStmt {
    pub keyword: Span,
    pub metric: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(StrLit),
    /// A number and its unit suffix as written (`512`, `"MiB"`).
    Number {
        value: f64,
        text: String,
        unit: Option<String>,
    },
    Bool(bool),
    /// A CIDR block as written; validated by the checker.
    Cidr(String),
    /// `a`, `a.b`, `a.b.c`
    Path(Vec<Ident>),
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Record(Block),
    List(Vec<Expr>),
    /// `env { dev = 1, prod = 3, _ = 2 }`; `None` is the `_` arm.
    EnvSelect(Vec<EnvArm>),
    /// Produced only by error recovery: the parser could not read this expression.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvArm {
    /// The environment name, `None` for `_`.
    pub env: Option<Ident>,
    pub key_span: Span,
    pub value: Expr,
}

/// A string literal: text parts and `${path}` interpolations.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub parts: Vec<StrPart>,
    pub span: Span,
}

impl StrLit {
    /// The text if the string has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(..) => return None,
            }
        }
        Some(out)
    }

    /// The text with interpolations shown as `${…}`, for messages.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(path, _) => {
                    out.push_str("${");
                    out.push_str(&path.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."));
                    out.push('}');
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(String),
    Interp(Vec<Ident>, Span),
}

/// `kind service { … }` or `schema health_check { … }` (standard library only).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDecl {
    pub docs: Vec<String>,
    /// True for `kind` (declarable at top level), false for `schema`.
    pub is_kind: bool,
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

/// `out? name: type = default`
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub docs: Vec<String>,
    pub out: bool,
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// `a | b<c> ?`
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub alternatives: Vec<TypeAtom>,
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeAtom {
    pub name: Ident,
    pub arg: Option<Box<TypeExpr>>,
}

/// `enum nat { none, single, per_zone }`
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    pub docs: Vec<String>,
    pub name: Ident,
    pub variants: Vec<Variant>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub docs: Vec<String>,
    pub name: Ident,
}
