//! Type and unit checking of evaluated values against the standard library's schemas.
//!
//! Produces typed values (`Int`, `Size` in bytes, `Duration` in milliseconds, …) with
//! every default filled in, so that the model builder reads plain data.

use std::collections::HashMap;

use fg_diag::{Diagnostic, Span, did_you_mean};

use crate::diagnostics as d;
use crate::eval::fmt_num;
use crate::stdlib::stdlib;
use crate::types::{Schema, Ty};
use crate::value::{ActionValue, AdjustmentValue, Field, Origin, Record, Ref, SecretRef, V, Value};

/// The functions a value may call.
pub const FUNCTIONS: &[&str] = &["ssm", "secret", "forward", "respond", "redirect"];

/// Sizes: unit → bytes.
const SIZE_UNITS: &[(&str, u64)] = &[("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40)];
/// Durations: unit → milliseconds.
const DURATION_UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

/// What unit family a suffix belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitClass {
    Size,
    Duration,
    Percent,
    Cpu,
    Unknown,
}

fn unit_class(u: &str) -> UnitClass {
    if SIZE_UNITS.iter().any(|(n, _)| *n == u) {
        UnitClass::Size
    } else if DURATION_UNITS.iter().any(|(n, _)| *n == u) {
        UnitClass::Duration
    } else if u == "%" {
        UnitClass::Percent
    } else if u == "vcpu" {
        UnitClass::Cpu
    } else {
        UnitClass::Unknown
    }
}

/// Converts a size literal to bytes. `None` if the unit is not a size unit.
pub fn size_bytes(value: f64, unit: &str) -> Option<f64> {
    SIZE_UNITS.iter().find(|(n, _)| *n == unit).map(|(_, f)| value * *f as f64)
}

/// Converts a duration literal to milliseconds. `None` if the unit is not a duration unit.
pub fn duration_ms(value: f64, unit: &str) -> Option<f64> {
    DURATION_UNITS.iter().find(|(n, _)| *n == unit).map(|(_, f)| value * *f as f64)
}

pub struct Typeck<'a> {
    /// Every declaration: name → (kind, name span).
    pub decls: &'a HashMap<String, (String, Span)>,
    pub diags: Vec<Diagnostic>,
    /// The field being checked, for messages and unit suggestions (`log_retention = 14`
    /// suggests `14d`; a nested `health { … }` is named `health`, not `health_check`).
    field: String,
}

impl<'a> Typeck<'a> {
    pub fn new(decls: &'a HashMap<String, (String, Span)>) -> Self {
        Typeck { decls, diags: Vec::new(), field: String::new() }
    }

    /// Checks a block against a schema: unknown, duplicate and missing fields, each
    /// value's type, and defaults. `anchor` is where "missing field" is reported.
    pub fn record(&mut self, rec: &Record, schema: &Schema, anchor: Span) -> Record {
        self.record_as(rec, schema, anchor, &schema.name)
    }

    /// As [`Typeck::record`], naming the block `display` in messages (the field the user
    /// wrote, `health`, rather than the schema, `health_check`).
    pub fn record_as(&mut self, rec: &Record, schema: &Schema, anchor: Span, display: &str) -> Record {
        let mut out = Record { label: rec.label.clone(), fields: Vec::new() };
        let mut lists: HashMap<&str, Vec<Value>> = HashMap::new();
        for f in &rec.fields {
            let Some(def) = schema.field(&f.key).filter(|def| !def.out) else {
                self.unknown_field(f, schema, display);
                continue;
            };
            self.field = def.name.clone();
            match (&def.ty, f.origin) {
                (Ty::Blocks(inner), Origin::Block { labelled: true }) => {
                    let Some(inner_schema) = stdlib().schema(inner) else {
                        continue;
                    };
                    let Some(r) = f.value.as_record() else {
                        continue;
                    };
                    let mut r = r.clone();
                    if let Some((label, lspan)) = r.label.clone() {
                        r.fields.retain(|x| x.key != "name");
                        // The label is the block's `name`: an enum value (`listener https`)
                        // or a free name (`sidecar envoy`, `sidecar "envoy"`).
                        let value = match inner_schema.field("name").map(|d| &d.ty) {
                            Some(Ty::Enum(_)) => V::Word(label),
                            _ => V::Str(label),
                        };
                        r.fields.insert(
                            0,
                            Field {
                                key: "name".into(),
                                key_span: lspan,
                                value: Value::new(value, lspan),
                                origin: Origin::Written,
                            },
                        );
                    }
                    let anchor = r.label.as_ref().map_or(f.key_span, |l| l.1);
                    let checked = self.record_as(&r, inner_schema, anchor, &f.key);
                    lists.entry(def.name.as_str()).or_default().push(Value::new(V::Record(checked), f.value.span));
                }
                (Ty::Blocks(_), _) => {
                    self.diags.push(d::block_needs_label(f.key_span, &f.key));
                    // Keep a placeholder so later checks know a block was written.
                    lists.entry(def.name.as_str()).or_default().push(Value::error(f.value.span));
                }
                (_, Origin::Block { labelled: true }) => {
                    let lspan = f.value.as_record().and_then(|r| r.label.as_ref()).map_or(f.key_span, |l| l.1);
                    self.diags.push(d::block_takes_no_label(lspan, &f.key));
                }
                (Ty::List(inner), Origin::Statement) => {
                    let v = self.check(&f.value, inner);
                    lists.entry(def.name.as_str()).or_default().push(v);
                }
                _ => {
                    let v = self.check(&f.value, &def.ty);
                    out.fields.push(Field { key: f.key.clone(), key_span: f.key_span, value: v, origin: f.origin });
                }
            }
        }
        for def in schema.inputs() {
            if let Some(items) = lists.remove(def.name.as_str()) {
                let span = items.first().map_or(anchor, |v| v.span);
                out.fields.push(Field {
                    key: def.name.clone(),
                    key_span: span,
                    value: Value::new(V::List(items), span),
                    origin: Origin::Written,
                });
                continue;
            }
            if out.fields.iter().any(|f| f.key == def.name) {
                continue;
            }
            if let Some(default) = &def.default {
                let mut v = self.check(default, &def.ty);
                v.span = anchor;
                out.fields.push(Field { key: def.name.clone(), key_span: anchor, value: v, origin: Origin::Default });
            } else if matches!(def.ty, Ty::Blocks(_)) {
                out.fields.push(Field {
                    key: def.name.clone(),
                    key_span: anchor,
                    value: Value::new(V::List(Vec::new()), anchor),
                    origin: Origin::Default,
                });
            } else if def.is_required() {
                self.diags.push(d::missing_field(anchor, display, &def.name, &def.ty));
            }
        }
        // Keep fields in schema order so that everything downstream is deterministic.
        out.fields.sort_by_key(|f| schema.fields.iter().position(|d| d.name == f.key).unwrap_or(usize::MAX));
        out
    }

    fn unknown_field(&mut self, f: &Field, schema: &Schema, display: &str) {
        if f.origin == Origin::Statement {
            let stmt = match f.key.as_str() {
                "routes" => "route",
                "steps" => "step",
                _ => "target",
            };
            self.diags.push(d::misplaced_statement(f.key_span, stmt, display));
            return;
        }
        if schema.name == "database" && f.key.contains("password") {
            self.diags.push(d::database_password(f.key_span, &f.key));
            return;
        }
        if let Some(def) = schema.field(&f.key).filter(|d| d.out) {
            self.diags.push(d::set_attribute(f.key_span, &schema.name, &def.name));
            return;
        }
        let names: Vec<&str> = schema.inputs().map(|d| d.name.as_str()).collect();
        self.diags.push(d::unknown_field(f.key_span, display, &f.key, did_you_mean(&f.key, names.iter().copied())));
    }

    /// Checks one value against a type.
    pub fn check(&mut self, v: &Value, ty: &Ty) -> Value {
        if let V::Error = v.kind {
            return v.clone();
        }
        if let V::Call { name, name_span, .. } = &v.kind
            && !FUNCTIONS.contains(&name.as_str())
        {
            self.diags.push(d::unknown_function(*name_span, name, did_you_mean(name, FUNCTIONS.iter().copied())));
            return Value::error(v.span);
        }
        match ty {
            Ty::Union(alts) => match alts.iter().find(|t| shape_matches(v, t)) {
                Some(t) => self.check(v, t),
                None => self.mismatch(v, ty),
            },
            Ty::String => match &v.kind {
                V::Str(_) => v.clone(),
                V::Template(_) => {
                    self.diags.push(d::deploy_time_value(v.span));
                    Value::error(v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Text => match &v.kind {
                V::Str(_) | V::Template(_) => v.clone(),
                V::Number { value, unit } => {
                    Value::new(V::Str(format!("{}{}", fmt_num(*value), unit.as_deref().unwrap_or(""))), v.span)
                }
                V::Bool(b) => Value::new(V::Str(b.to_string()), v.span),
                V::Ref(r) if r.attr.is_some() => {
                    let (attr, _) = r.attr.clone().unwrap_or_default();
                    if attr_is_secret(&r.kind, &attr) {
                        self.diags.push(d::secret_in_environment(v.span, &r.name, &attr));
                        return Value::error(v.span);
                    }
                    Value::new(V::Template(vec![crate::value::Part::Ref(r.clone())]), v.span)
                }
                V::Call { name, .. } if name == "ssm" || name == "secret" => {
                    self.diags.push(d::secret_call_in_environment(v.span, name));
                    Value::error(v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Int => match &v.kind {
                V::Number { value, unit: None } => {
                    self.whole(*value, v.span).map_or_else(|| Value::error(v.span), |i| Value::new(V::Int(i), v.span))
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Number => match &v.kind {
                V::Number { unit: None, .. } => v.clone(),
                V::Number { value, unit: Some(u) } if u == "%" => {
                    Value::new(V::Number { value: *value, unit: Some(u.clone()) }, v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Bool => match &v.kind {
                V::Bool(_) => v.clone(),
                _ => self.mismatch(v, ty),
            },
            Ty::Size => self.unit_value(v, ty, UnitClass::Size),
            Ty::Duration => self.unit_value(v, ty, UnitClass::Duration),
            Ty::Percent => self.unit_value(v, ty, UnitClass::Percent),
            Ty::Cidr => match &v.kind {
                V::Cidr(_) => v.clone(),
                V::Str(s) if fg_syntax::lit::Cidr::parse(s).is_ok() => {
                    self.diags.push(d::quoted_literal(v.span, ty, s));
                    Value::error(v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Port => match &v.kind {
                V::Number { value, unit: None } => match self.whole(*value, v.span) {
                    Some(p) if (1..=65535).contains(&p) => Value::new(V::Int(p), v.span),
                    Some(p) => {
                        self.diags.push(d::port_range(v.span, p));
                        Value::error(v.span)
                    }
                    None => Value::error(v.span),
                },
                _ => self.mismatch(v, ty),
            },
            Ty::Cpu => match &v.kind {
                V::Number { value, unit: None } => {
                    self.whole(*value, v.span).map_or_else(|| Value::error(v.span), |i| Value::new(V::Int(i), v.span))
                }
                V::Number { value, unit: Some(u) } if u == "vcpu" => {
                    let units = value * 1024.0;
                    if units.fract() != 0.0 {
                        self.diags.push(d::fractional(v.span, &format!("{}vcpu", fmt_num(*value)), "CPU units"));
                        return Value::error(v.span);
                    }
                    Value::new(V::Int(units as i64), v.span)
                }
                V::Number { unit: Some(u), .. } if unit_class(u) == UnitClass::Unknown => {
                    self.unknown_unit(v.span, u, UnitClass::Cpu)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Name => match &v.kind {
                V::Word(s) | V::Str(s) => Value::new(V::Str(s.clone()), v.span),
                V::Ref(Ref { name, attr: None, .. }) => Value::new(V::Str(name.clone()), v.span),
                _ => self.mismatch(v, ty),
            },
            Ty::Secret => self.secret(v, ty),
            Ty::Action => self.action(v, ty),
            Ty::Adjustment => match &v.kind {
                V::Str(s) => self.adjustment(s, v.span),
                _ => self.mismatch(v, ty),
            },
            Ty::List(inner) => match &v.kind {
                V::List(xs) => Value::new(V::List(xs.iter().map(|x| self.check(x, inner)).collect()), v.span),
                _ if shape_matches(v, inner) => {
                    self.diags.push(d::expected_list(v.span, inner));
                    Value::error(v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Map(inner) => match &v.kind {
                V::Record(r) => {
                    let fields = r
                        .fields
                        .iter()
                        .filter_map(|f| {
                            if f.origin == Origin::Statement || matches!(f.origin, Origin::Block { labelled: true }) {
                                self.diags.push(d::block_takes_no_label(f.key_span, &f.key));
                                return None;
                            }
                            let value = self.check(&f.value, inner);
                            Some(Field { key: f.key.clone(), key_span: f.key_span, value, origin: f.origin })
                        })
                        .collect();
                    Value::new(V::Record(Record { label: None, fields }), v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Ref(kind) => self.reference(v, kind, ty),
            Ty::Enum(name) => {
                let Some(def) = stdlib().enums.get(name) else {
                    return Value::error(v.span);
                };
                let word = match &v.kind {
                    V::Word(w) => w.clone(),
                    V::Ref(Ref { name, attr: None, .. }) => name.clone(),
                    V::Str(s) if def.has(s) => {
                        self.diags.push(d::quoted_literal(v.span, ty, s));
                        return Value::error(v.span);
                    }
                    _ => return self.mismatch(v, ty),
                };
                if def.has(&word) {
                    Value::new(V::Word(word), v.span)
                } else {
                    let names: Vec<&str> = def.names().collect();
                    self.diags.push(d::unknown_variant(
                        v.span,
                        &word,
                        name,
                        &names,
                        did_you_mean(&word, names.iter().copied()),
                    ));
                    Value::error(v.span)
                }
            }
            Ty::Schema(name) => match (&v.kind, stdlib().schema(name)) {
                (V::Record(r), Some(schema)) => {
                    let display = if self.field.is_empty() { name.clone() } else { self.field.clone() };
                    Value::new(V::Record(self.record_as(r, schema, v.span, &display)), v.span)
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Data => self.data(v, ty),
            Ty::Blocks(name) => match &v.kind {
                V::List(xs) => {
                    let inner = Ty::Schema(name.clone());
                    Value::new(V::List(xs.iter().map(|x| self.check(x, &inner)).collect()), v.span)
                }
                _ => self.mismatch(v, ty),
            },
        }
    }

    /// Plain data: units resolved, names as strings; nothing known only at deploy time.
    fn data(&mut self, v: &Value, ty: &Ty) -> Value {
        match &v.kind {
            V::Number { value, unit: None } if value.fract() == 0.0 && value.abs() < 9.0e15 => {
                Value::new(V::Int(*value as i64), v.span)
            }
            V::Number { unit: None, .. } => v.clone(),
            V::Number { unit: Some(u), .. } => match unit_class(u) {
                UnitClass::Size => self.unit_value(v, &Ty::Size, UnitClass::Size),
                UnitClass::Duration => self.unit_value(v, &Ty::Duration, UnitClass::Duration),
                UnitClass::Percent => self.unit_value(v, &Ty::Percent, UnitClass::Percent),
                UnitClass::Cpu => self.check(v, &Ty::Cpu),
                UnitClass::Unknown => self.unknown_unit(v.span, u, UnitClass::Unknown),
            },
            V::Str(_) | V::Bool(_) | V::Cidr(_) => v.clone(),
            V::Word(w) | V::Ref(Ref { name: w, attr: None, .. }) => Value::new(V::Str(w.clone()), v.span),
            V::Ref(_) | V::Template(_) => {
                self.diags.push(d::deploy_time_value(v.span));
                Value::error(v.span)
            }
            V::List(xs) => Value::new(V::List(xs.iter().map(|x| self.data(x, ty)).collect()), v.span),
            V::Record(_) => self.check(v, &Ty::Map(Box::new(Ty::Data))),
            V::Int(_) | V::Size(_) | V::Duration(_) | V::Percent(_) => v.clone(),
            V::Call { .. } | V::Secret(_) | V::Action(_) | V::Adjustment(_) => self.mismatch(v, ty),
            V::Error => v.clone(),
        }
    }

    fn whole(&mut self, value: f64, span: Span) -> Option<i64> {
        if value.fract() != 0.0 {
            self.diags.push(d::fractional(span, &fmt_num(value), "a whole number"));
            None
        } else {
            Some(value as i64)
        }
    }

    fn unit_value(&mut self, v: &Value, ty: &Ty, want: UnitClass) -> Value {
        let V::Number { value, unit } = &v.kind else {
            return self.mismatch(v, ty);
        };
        let Some(unit) = unit else {
            let (suffix, example) = match want {
                UnitClass::Size => (if *value < 64.0 { "GiB" } else { "MiB" }, ""),
                UnitClass::Duration if self.field.contains("retention") => ("d", ""),
                UnitClass::Duration if self.field.contains("retention") => ("d", ""),
                UnitClass::Duration => ("s", ""),
                _ => ("%", ""),
            };
            let fixed = format!("{}{suffix}{example}", fmt_num(*value));
            self.diags.push(d::missing_unit(v.span, ty, &fixed));
            return Value::error(v.span);
        };
        let class = unit_class(unit);
        if class == UnitClass::Unknown {
            return self.unknown_unit(v.span, unit, want);
        }
        if class != want {
            return self.mismatch(v, ty);
        }
        match want {
            UnitClass::Size => {
                let bytes = size_bytes(*value, unit).unwrap_or(0.0);
                if bytes.fract() != 0.0 || bytes < 0.0 {
                    let text = format!("{}{unit}", fmt_num(*value));
                    self.diags.push(d::granularity(v.span, &text, "a whole number of bytes"));
                    return Value::error(v.span);
                }
                Value::new(V::Size(bytes as u64), v.span)
            }
            UnitClass::Duration => {
                let ms = duration_ms(*value, unit).unwrap_or(0.0);
                if ms.fract() != 0.0 || ms < 0.0 {
                    let text = format!("{}{unit}", fmt_num(*value));
                    self.diags.push(d::granularity(v.span, &text, "whole milliseconds"));
                    return Value::error(v.span);
                }
                Value::new(V::Duration(ms as u64), v.span)
            }
            _ => Value::new(V::Percent(*value), v.span),
        }
    }

    fn unknown_unit(&mut self, span: Span, unit: &str, want: UnitClass) -> Value {
        let valid: &[&str] = match want {
            UnitClass::Size => &["KiB", "MiB", "GiB", "TiB"],
            UnitClass::Duration => &["ms", "s", "m", "h", "d"],
            UnitClass::Percent => &["%"],
            UnitClass::Cpu => &["vcpu"],
            UnitClass::Unknown => &["KiB", "MiB", "GiB", "TiB", "ms", "s", "m", "h", "d", "%", "vcpu"],
        };
        // Common spellings from other tools.
        let alias = match unit.to_ascii_lowercase().as_str() {
            "kb" | "k" => Some("KiB"),
            "mb" | "mib" | "m" if want == UnitClass::Size => Some("MiB"),
            "gb" | "gib" | "g" => Some("GiB"),
            "tb" | "tib" => Some("TiB"),
            "sec" | "secs" | "second" | "seconds" => Some("s"),
            "min" | "mins" | "minute" | "minutes" => Some("m"),
            "hr" | "hrs" | "hour" | "hours" => Some("h"),
            "day" | "days" => Some("d"),
            _ => None,
        };
        let alias = alias.or_else(|| did_you_mean(unit, valid.iter().copied()));
        self.diags.push(d::unknown_unit(span, unit, valid, alias));
        Value::error(span)
    }

    fn secret(&mut self, v: &Value, ty: &Ty) -> Value {
        match &v.kind {
            V::Call { name, args, .. } if name == "ssm" || name == "secret" => {
                let strs: Vec<Option<&str>> = args.iter().map(Value::as_str).collect();
                let s = match (name.as_str(), strs.as_slice()) {
                    ("ssm", [Some(p)]) => SecretRef::Ssm((*p).to_string()),
                    ("secret", [Some(id)]) => SecretRef::SecretsManager { id: (*id).to_string(), key: None },
                    ("secret", [Some(id), Some(k)]) => {
                        SecretRef::SecretsManager { id: (*id).to_string(), key: Some((*k).to_string()) }
                    }
                    _ => {
                        let sig = if name == "ssm" {
                            "ssm(\"/parameter/name\")"
                        } else {
                            "secret(\"name-or-arn\", \"key\"?)"
                        };
                        self.diags.push(d::bad_call(v.span, name, sig));
                        return Value::error(v.span);
                    }
                };
                if matches!(&s, SecretRef::Ssm(p) | SecretRef::SecretsManager { id: p, .. } if p.is_empty()) {
                    self.diags.push(d::bad_call(v.span, name, "a non-empty name"));
                    return Value::error(v.span);
                }
                Value::new(V::Secret(s), v.span)
            }
            V::Ref(Ref { kind, name, attr: Some((a, _)), .. }) if kind == "database" && a == "password" => {
                Value::new(V::Secret(SecretRef::Database(name.clone())), v.span)
            }
            V::Str(_) | V::Template(_) => {
                self.diags.push(d::plain_secret(v.span));
                Value::error(v.span)
            }
            _ => self.mismatch(v, ty),
        }
    }

    fn action(&mut self, v: &Value, ty: &Ty) -> Value {
        match &v.kind {
            V::Ref(Ref { kind, name, attr: None, .. }) if kind == "service" => {
                Value::new(V::Action(ActionValue::Forward(name.clone())), v.span)
            }
            V::Word(_) | V::Ref(_) => {
                let r = self.reference(v, "service", &Ty::Ref("service".into()));
                match r.kind {
                    V::Ref(Ref { name, .. }) => Value::new(V::Action(ActionValue::Forward(name)), v.span),
                    _ => r,
                }
            }
            V::Call { name, args, .. } => match name.as_str() {
                "forward" => match args.as_slice() {
                    [target] => {
                        let r = self.reference(target, "service", &Ty::Ref("service".into()));
                        match r.kind {
                            V::Ref(Ref { name, .. }) => Value::new(V::Action(ActionValue::Forward(name)), v.span),
                            _ => Value::error(v.span),
                        }
                    }
                    _ => {
                        self.diags.push(d::bad_call(v.span, name, "forward(service)"));
                        Value::error(v.span)
                    }
                },
                "respond" => {
                    let status = args.first().map(|a| self.check(a, &Ty::Int));
                    let body = args.get(1).map(|a| self.check(a, &Ty::String));
                    let ctype = args.get(2).map(|a| self.check(a, &Ty::String));
                    match (status.as_ref().and_then(Value::as_int), args.len()) {
                        (Some(code), 1..=3) if (200..=599).contains(&code) => Value::new(
                            V::Action(ActionValue::Respond {
                                status: code as u16,
                                body: body.as_ref().and_then(|b| b.as_str()).unwrap_or("").to_string(),
                                content_type: ctype
                                    .as_ref()
                                    .and_then(|b| b.as_str())
                                    .unwrap_or("text/plain")
                                    .to_string(),
                            }),
                            v.span,
                        ),
                        _ => {
                            // Point at the status when it is the problem.
                            let span =
                                status.as_ref().filter(|_| (1..=3).contains(&args.len())).map_or(v.span, |s| s.span);
                            self.diags.push(d::bad_call(span, name, "respond(status 200–599, body?, content_type?)"));
                            Value::error(v.span)
                        }
                    }
                }
                "redirect" => {
                    let url = args.first().map(|a| self.check(a, &Ty::String));
                    let status = args.get(1).map(|a| self.check(a, &Ty::Int));
                    let status = status.as_ref().map_or(Some(301), Value::as_int);
                    match (url.as_ref().and_then(|u| u.as_str()), status, args.len()) {
                        (Some(u), Some(s @ (301 | 302)), 1..=2) if !u.is_empty() => Value::new(
                            V::Action(ActionValue::Redirect { url: u.to_string(), status: s as u16 }),
                            v.span,
                        ),
                        _ => {
                            let url_ok = url.as_ref().and_then(|u| u.as_str()).is_some_and(|u| !u.is_empty());
                            let span = match (url_ok, args.get(1), args.first()) {
                                (true, Some(st), _) => st.span,
                                (false, _, Some(u)) => u.span,
                                _ => v.span,
                            };
                            self.diags.push(d::bad_call(span, name, "redirect(\"https://…\", 301 or 302)"));
                            Value::error(v.span)
                        }
                    }
                }
                _ => self.mismatch(v, ty),
            },
            _ => self.mismatch(v, ty),
        }
    }

    fn adjustment(&mut self, text: &str, span: Span) -> Value {
        let signed = text.starts_with(['+', '-']);
        let percent = text.ends_with('%');
        let digits = text.trim_start_matches(['+', '-']).trim_end_matches('%');
        let Ok(n) = digits.parse::<i64>() else {
            self.diags.push(d::adjustment_sign(span, text));
            return Value::error(span);
        };
        if !signed || n == 0 {
            self.diags.push(d::adjustment_sign(span, text));
            return Value::error(span);
        }
        let delta = if text.starts_with('-') { -n } else { n };
        Value::new(V::Adjustment(AdjustmentValue { delta, percent }), span)
    }

    /// Checks a reference to a declaration of `kind`.
    pub fn reference(&mut self, v: &Value, kind: &str, ty: &Ty) -> Value {
        match &v.kind {
            V::Ref(r) if r.attr.is_none() => {
                if r.kind == kind {
                    v.clone()
                } else {
                    let decl_span = self.decls.get(&r.name).map(|x| x.1);
                    self.diags.push(d::wrong_kind(v.span, kind, &r.kind, &r.name, decl_span));
                    Value::error(v.span)
                }
            }
            V::Word(w) => {
                let names: Vec<&str> =
                    self.decls.iter().filter(|(_, (k, _))| k == kind).map(|(n, _)| n.as_str()).collect();
                self.diags.push(d::unknown_reference(
                    v.span,
                    w,
                    &format!("`{kind}`"),
                    did_you_mean(w, names.iter().copied()),
                ));
                Value::error(v.span)
            }
            V::Str(s) if self.decls.get(s).is_some_and(|(k, _)| k == kind) => {
                self.diags.push(d::quoted_literal(v.span, ty, s));
                Value::error(v.span)
            }
            _ => self.mismatch(v, ty),
        }
    }

    fn mismatch(&mut self, v: &Value, ty: &Ty) -> Value {
        if let V::Number { unit: Some(u), .. } = &v.kind
            && unit_class(u) == UnitClass::Unknown
        {
            let want = match ty {
                Ty::Size => UnitClass::Size,
                Ty::Duration => UnitClass::Duration,
                Ty::Percent => UnitClass::Percent,
                _ => UnitClass::Unknown,
            };
            if want != UnitClass::Unknown {
                return self.unknown_unit(v.span, u, want);
            }
        }
        self.diags.push(d::type_mismatch(v.span, ty, v));
        Value::error(v.span)
    }
}

fn attr_is_secret(kind: &str, attr: &str) -> bool {
    stdlib().schema(kind).and_then(|s| s.outputs().find(|f| f.name == attr)).is_some_and(|f| f.ty == Ty::Secret)
}

/// Whether a value has the rough shape of a type, to pick the branch of a union.
fn shape_matches(v: &Value, ty: &Ty) -> bool {
    match (&v.kind, ty) {
        (V::Record(_), Ty::Schema(_) | Ty::Map(_)) => true,
        (V::List(_), Ty::List(_) | Ty::Blocks(_)) => true,
        (V::Word(_) | V::Ref(Ref { attr: None, .. }), Ty::Enum(_) | Ty::Ref(_) | Ty::Name | Ty::Action) => true,
        (V::Number { unit: None, .. }, Ty::Int | Ty::Number | Ty::Port | Ty::Cpu) => true,
        (V::Number { unit: Some(u), .. }, t) => matches!(
            (unit_class(u), t),
            (UnitClass::Size, Ty::Size)
                | (UnitClass::Duration, Ty::Duration)
                | (UnitClass::Percent, Ty::Percent | Ty::Number)
                | (UnitClass::Cpu, Ty::Cpu)
        ),
        (V::Str(_) | V::Template(_), Ty::String | Ty::Text | Ty::Name | Ty::Adjustment) => true,
        (V::Bool(_), Ty::Bool | Ty::Text) => true,
        (V::Cidr(_), Ty::Cidr) => true,
        (V::Call { .. }, Ty::Secret | Ty::Action) => true,
        (_, Ty::Union(ts)) => ts.iter().any(|t| shape_matches(v, t)),
        (_, Ty::Data) => true,
        _ => false,
    }
}
