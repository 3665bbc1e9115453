//! The standard library: the `.fg` files under `stdlib/`, embedded in the binary and
//! parsed once per process.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fg_diag::{FileId, SourceFile};
use fg_syntax::ast::{self, Item};

use crate::eval::literal;
use crate::types::{EnumDef, FieldDef, Schema, Ty};

/// The embedded standard library sources, in the order their file ids are assigned.
pub const FILES: &[(&str, &str)] = &[
    ("<stdlib>/app.fg", include_str!("../../../stdlib/app.fg")),
    ("<stdlib>/network.fg", include_str!("../../../stdlib/network.fg")),
    ("<stdlib>/balancer.fg", include_str!("../../../stdlib/balancer.fg")),
    ("<stdlib>/service.fg", include_str!("../../../stdlib/service.fg")),
    ("<stdlib>/scaling.fg", include_str!("../../../stdlib/scaling.fg")),
    ("<stdlib>/database.fg", include_str!("../../../stdlib/database.fg")),
    ("<stdlib>/repository.fg", include_str!("../../../stdlib/repository.fg")),
    ("<stdlib>/api.fg", include_str!("../../../stdlib/api.fg")),
    ("<stdlib>/policy.fg", include_str!("../../../stdlib/policy.fg")),
];

/// The schemas and enums of the standard library.
#[derive(Debug)]
pub struct Stdlib {
    pub schemas: BTreeMap<String, Schema>,
    pub enums: BTreeMap<String, EnumDef>,
    pub files: Vec<SourceFile>,
    /// Problems in the standard library itself; a test keeps this empty.
    pub errors: Vec<String>,
}

impl Stdlib {
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.get(name)
    }

    /// The kinds a user can declare at top level (`service`, `network`, …), without `app`.
    pub fn kinds(&self) -> impl Iterator<Item = &Schema> {
        self.schemas.values().filter(|s| s.is_kind && s.name != "app")
    }
}

/// The standard library, parsed on first use.
pub fn stdlib() -> &'static Stdlib {
    static STDLIB: OnceLock<Stdlib> = OnceLock::new();
    STDLIB.get_or_init(load)
}

fn load() -> Stdlib {
    let mut lib = Stdlib { schemas: BTreeMap::new(), enums: BTreeMap::new(), files: Vec::new(), errors: Vec::new() };
    let mut parsed = Vec::new();
    for (i, (path, text)) in FILES.iter().enumerate() {
        let p = fg_syntax::parse(FileId(i as u32), text);
        for d in &p.diagnostics {
            lib.errors.push(format!("{path}: {}", d.message));
        }
        lib.files.push(SourceFile::new(*path, *text));
        parsed.push(p.file);
    }
    // Enums first, so that field types can tell enums from schemas.
    for file in &parsed {
        for item in &file.items {
            if let Item::Enum(e) = item {
                let variants = e.variants.iter().map(|v| (v.name.name.clone(), v.docs.clone(), v.name.span)).collect();
                lib.enums.insert(
                    e.name.name.clone(),
                    EnumDef { name: e.name.name.clone(), variants, docs: e.docs.clone(), span: e.name.span },
                );
            }
        }
    }
    let schema_names: Vec<String> = parsed
        .iter()
        .flat_map(|f| f.items.iter())
        .filter_map(|i| match i {
            Item::Schema(s) => Some(s.name.name.clone()),
            _ => None,
        })
        .collect();
    for file in &parsed {
        for item in &file.items {
            match item {
                Item::Schema(s) => {
                    let mut fields = Vec::new();
                    for f in &s.fields {
                        let ty = resolve_type(&f.ty, &lib.enums, &schema_names, &mut lib.errors);
                        let default = f.default.as_ref().map(literal);
                        fields.push(FieldDef {
                            name: f.name.name.clone(),
                            optional: f.ty.optional,
                            out: f.out,
                            ty,
                            default,
                            docs: f.docs.clone(),
                            span: f.name.span,
                        });
                    }
                    lib.schemas.insert(
                        s.name.name.clone(),
                        Schema {
                            name: s.name.name.clone(),
                            is_kind: s.is_kind,
                            fields,
                            docs: s.docs.clone(),
                            span: s.name.span,
                        },
                    );
                }
                Item::Enum(_) => {}
                other => lib.errors.push(format!("unexpected item in the standard library at {:?}", other.span())),
            }
        }
    }
    lib
}

fn resolve_type(
    t: &ast::TypeExpr,
    enums: &BTreeMap<String, EnumDef>,
    schemas: &[String],
    errors: &mut Vec<String>,
) -> Ty {
    let mut alts: Vec<Ty> = t
        .alternatives
        .iter()
        .map(|a| {
            let arg = |errors: &mut Vec<String>| match &a.arg {
                Some(inner) => resolve_type(inner, enums, schemas, errors),
                None => {
                    errors.push(format!("`{}` needs a type argument", a.name.name));
                    Ty::Text
                }
            };
            let name_arg = |errors: &mut Vec<String>| match a.arg.as_deref().and_then(|x| x.alternatives.first()) {
                Some(inner) => inner.name.name.clone(),
                None => {
                    errors.push(format!("`{}` needs a type argument", a.name.name));
                    String::new()
                }
            };
            match a.name.name.as_str() {
                "string" => Ty::String,
                "text" => Ty::Text,
                "int" => Ty::Int,
                "number" => Ty::Number,
                "bool" => Ty::Bool,
                "size" => Ty::Size,
                "duration" => Ty::Duration,
                "percent" => Ty::Percent,
                "cidr" => Ty::Cidr,
                "port" => Ty::Port,
                "cpu" => Ty::Cpu,
                "name" => Ty::Name,
                "secret" => Ty::Secret,
                "action" => Ty::Action,
                "adjustment" => Ty::Adjustment,
                "data" => Ty::Data,
                "list" => Ty::List(Box::new(arg(errors))),
                "map" => Ty::Map(Box::new(arg(errors))),
                "ref" => Ty::Ref(name_arg(errors)),
                "blocks" => Ty::Blocks(name_arg(errors)),
                n if enums.contains_key(n) => Ty::Enum(n.to_string()),
                n if schemas.iter().any(|s| s == n) => Ty::Schema(n.to_string()),
                n => {
                    errors.push(format!("unknown type `{n}`"));
                    Ty::Text
                }
            }
        })
        .collect();
    if alts.len() == 1 { alts.pop().unwrap_or(Ty::Text) } else { Ty::Union(alts) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_loads_cleanly() {
        let lib = stdlib();
        assert!(lib.errors.is_empty(), "{:#?}", lib.errors);
        for kind in ["app", "service", "network", "balancer", "database"] {
            assert!(lib.schema(kind).is_some_and(|s| s.is_kind), "{kind}");
        }
        // Every schema and field is documented: the language server shows these on hover.
        for s in lib.schemas.values() {
            assert!(!s.docs.is_empty(), "schema `{}` has no doc comment", s.name);
            for f in &s.fields {
                assert!(!f.docs.is_empty(), "field `{}.{}` has no doc comment", s.name, f.name);
            }
        }
    }
}
