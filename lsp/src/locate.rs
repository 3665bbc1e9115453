//! What is under the cursor: a declaration kind, a declaration's name, a field, a
//! reference, or an enum value, with the schema and field it sits in.

use fg_check::stdlib::stdlib;
use fg_check::types::Ty;
use fg_diag::Span;
use fg_syntax::ast::*;

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The `service` of `service web { … }` (or `app`).
    Kind { kind: String },
    /// The name of a declaration or `let`.
    DeclName { name: String },
    /// A field key: `cpu` in `cpu = 256`, `health` in `health { … }`.
    Field { schema: String, field: String },
    /// A name used as a value: a reference, or an enum value when nothing is named so.
    Name { name: String, attr: Option<String>, schema: Option<String>, field: Option<String> },
}

#[derive(Debug, Clone)]
pub struct Located {
    pub target: Target,
    pub span: Span,
}

fn inside(span: Span, offset: usize) -> bool {
    span.start as usize <= offset && offset <= span.end as usize
}

/// The schema a field's values are checked against, if it is a block-like type.
pub fn field_schema(schema: &str, field: &str) -> Option<String> {
    let def = stdlib().schema(schema)?.field(field)?;
    schema_of(&def.ty)
}

fn schema_of(ty: &Ty) -> Option<String> {
    match ty {
        Ty::Schema(s) | Ty::Blocks(s) => Some(s.clone()),
        Ty::List(t) => schema_of(t),
        Ty::Union(ts) => ts.iter().find_map(schema_of),
        _ => None,
    }
}

/// The schema each `let` record is spread into (`let backend = {…}` spread into a
/// `service` reads as a service's fields), from every file of the stack.
pub fn let_schemas<'a>(files: impl Iterator<Item = &'a File>) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for f in files {
        for item in &f.items {
            if let Item::Decl(d) = item {
                for e in &d.body.entries {
                    if let Entry::Spread(s) = e
                        && let ExprKind::Path(p) = &s.value.kind
                        && let [name] = p.as_slice()
                    {
                        out.entry(name.name.clone()).or_insert_with(|| d.kind.name.clone());
                    }
                }
            }
        }
    }
    out
}

pub fn locate(file: &File, offset: usize, lets: &std::collections::HashMap<String, String>) -> Option<Located> {
    for item in &file.items {
        if !inside(item.span(), offset) {
            continue;
        }
        return match item {
            Item::Decl(d) => {
                if inside(d.kind.span, offset) {
                    Some(Located { target: Target::Kind { kind: d.kind.name.clone() }, span: d.kind.span })
                } else if inside(d.name.span, offset) {
                    Some(Located { target: Target::DeclName { name: d.name.name.clone() }, span: d.name.span })
                } else {
                    block(&d.body, &d.kind.name, offset)
                }
            }
            Item::App(a) => {
                if inside(a.keyword, offset) {
                    Some(Located { target: Target::Kind { kind: "app".into() }, span: a.keyword })
                } else {
                    block(&a.body, "app", offset)
                }
            }
            Item::Let(l) => {
                if inside(l.name.span, offset) {
                    Some(Located { target: Target::DeclName { name: l.name.name.clone() }, span: l.name.span })
                } else if let (ExprKind::Record(b), Some(schema)) = (&l.value.kind, lets.get(&l.name.name)) {
                    block(b, schema, offset)
                } else {
                    expr(&l.value, None, offset)
                }
            }
            _ => None,
        };
    }
    None
}

fn block(b: &Block, schema: &str, offset: usize) -> Option<Located> {
    for e in &b.entries {
        if !inside(e.span(), offset) {
            continue;
        }
        let field = |key: &Ident| Located {
            target: Target::Field { schema: schema.to_string(), field: key.name.clone() },
            span: key.span,
        };
        return match e {
            Entry::Attr(a) => {
                if inside(a.key.span, offset) {
                    Some(field(&a.key))
                } else {
                    expr(&a.value, Some((schema, &a.key.name)), offset)
                }
            }
            Entry::Nested(n) => {
                let inner = field_schema(schema, &n.key.name);
                if inside(n.key.span, offset) {
                    Some(field(&n.key))
                } else if let Some(l) = n.label.as_ref().filter(|l| inside(l.span, offset)) {
                    Some(Located {
                        target: Target::Name {
                            name: l.name.clone(),
                            attr: None,
                            schema: inner.clone(),
                            field: Some("name".into()),
                        },
                        span: l.span,
                    })
                } else {
                    block(&n.body, inner.as_deref().unwrap_or(""), offset)
                }
            }
            Entry::Spread(s) => expr(&s.value, None, offset),
            Entry::Route(r) => expr(&r.target, Some(("route", "service")), offset),
            Entry::Step(s) => {
                if inside(s.metric.span, offset) {
                    Some(Located {
                        target: Target::Name {
                            name: s.metric.name.clone(),
                            attr: None,
                            schema: Some("step".into()),
                            field: Some("metric".into()),
                        },
                        span: s.metric.span,
                    })
                } else {
                    expr(&s.bound.value, None, offset)
                        .or_else(|| s.until.as_ref().and_then(|u| expr(&u.value, None, offset)))
                }
            }
            Entry::Target(t) => {
                if inside(t.metric.span, offset) {
                    Some(Located {
                        target: Target::Name {
                            name: t.metric.name.clone(),
                            attr: None,
                            schema: Some("target".into()),
                            field: Some("metric".into()),
                        },
                        span: t.metric.span,
                    })
                } else {
                    expr(&t.value, None, offset)
                }
            }
        };
    }
    None
}

fn expr(e: &Expr, field: Option<(&str, &str)>, offset: usize) -> Option<Located> {
    if !inside(e.span, offset) {
        return None;
    }
    match &e.kind {
        ExprKind::Path(path) => {
            let first = path.first()?;
            let attr = path.get(1).map(|a| a.name.clone());
            Some(Located {
                target: Target::Name {
                    name: first.name.clone(),
                    attr,
                    schema: field.map(|f| f.0.to_string()),
                    field: field.map(|f| f.1.to_string()),
                },
                span: if path.len() > 1 && !inside(first.span, offset) { path[1].span } else { first.span },
            })
        }
        ExprKind::Str(s) => s.parts.iter().find_map(|p| match p {
            StrPart::Interp(path, span) if inside(*span, offset) => {
                let first = path.first()?;
                Some(Located {
                    target: Target::Name {
                        name: first.name.clone(),
                        attr: path.get(1).map(|a| a.name.clone()),
                        schema: None,
                        field: None,
                    },
                    span: first.span,
                })
            }
            _ => None,
        }),
        ExprKind::Record(b) => {
            let schema = field.and_then(|(s, f)| field_schema(s, f));
            block(b, schema.as_deref().unwrap_or(""), offset)
        }
        ExprKind::List(xs) => xs.iter().find_map(|x| expr(x, field, offset)),
        ExprKind::Call { args, .. } => args.iter().find_map(|a| expr(a, None, offset)),
        ExprKind::EnvSelect(arms) => arms.iter().find_map(|a| expr(&a.value, field, offset)),
        _ => None,
    }
}
