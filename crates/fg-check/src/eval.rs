//! Evaluation: from expressions to [`Value`]s, for one environment.
//!
//! Resolves `let` bindings (lazily, with cycle detection), references to declarations,
//! `env { … }` selections, spreads and interpolation. Types are not checked here; a bare
//! name that binds nothing becomes a [`V::Word`], which the type checker accepts as an
//! enum value or reports as an unknown reference, depending on what the field expects.

use std::collections::HashMap;

use fg_diag::{Diagnostic, Span, did_you_mean};
use fg_syntax::ast::{self, Block, Entry, Expr, ExprKind, StrLit, StrPart};
use fg_syntax::lit::Cidr;

use crate::diagnostics as d;
use crate::stdlib::stdlib;
use crate::types::Ty;
use crate::value::{Field, Origin, Part, Record, Ref, V, Value};

/// How deep `let` bindings may refer to one another.
const MAX_LET_DEPTH: usize = 128;

/// What a top-level name is bound to.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    Let(&'a ast::LetDecl),
    Decl(&'a ast::Decl),
}

/// A use of a name, recorded for "find references" and rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub span: Span,
    /// The name of the `let` or declaration used.
    pub target: String,
}

pub struct Evaluator<'a> {
    pub bindings: &'a HashMap<String, Binding<'a>>,
    pub app_name: &'a str,
    pub env: &'a str,
    pub environments: &'a [String],
    pub diags: Vec<Diagnostic>,
    pub uses: Vec<Use>,
    lets: HashMap<String, Value>,
    in_progress: Vec<(String, Span)>,
}

impl<'a> Evaluator<'a> {
    pub fn new(
        bindings: &'a HashMap<String, Binding<'a>>,
        app_name: &'a str,
        env: &'a str,
        environments: &'a [String],
    ) -> Self {
        Evaluator {
            bindings,
            app_name,
            env,
            environments,
            diags: Vec::new(),
            uses: Vec::new(),
            lets: HashMap::new(),
            in_progress: Vec::new(),
        }
    }

    /// Evaluates a declaration's body.
    pub fn block(&mut self, block: &Block, label: Option<(String, Span)>) -> Record {
        let mut rec = Record { label, fields: Vec::new() };
        for entry in &block.entries {
            match entry {
                Entry::Attr(a) => {
                    let value = self.expr(&a.value);
                    self.put(&mut rec, a.key.name.clone(), a.key.span, value, Origin::Written);
                }
                Entry::Nested(n) => {
                    let label = n.label.as_ref().map(|l| (l.name.clone(), l.span));
                    let labelled = label.is_some();
                    let body = self.block(&n.body, label);
                    let value = Value::new(V::Record(body), n.span);
                    self.put(&mut rec, n.key.name.clone(), n.key.span, value, Origin::Block { labelled });
                }
                Entry::Spread(s) => {
                    let v = self.expr(&s.value);
                    match v.kind {
                        V::Record(r) => {
                            for f in r.fields {
                                // Fields written in the block win over spread ones.
                                let written = rec.fields.iter().any(|x| x.key == f.key && x.origin != Origin::Spread);
                                if !written {
                                    rec.fields.retain(|x| {
                                        x.key != f.key
                                            || matches!(x.origin, Origin::Block { labelled: true } | Origin::Statement)
                                    });
                                    rec.fields.push(Field { origin: spread_origin(f.origin), ..f });
                                }
                            }
                        }
                        V::Error => {}
                        _ => self.diags.push(d::bad_spread(s.value.span, &v.describe())),
                    }
                }
                Entry::Route(r) => {
                    let strs = |xs: &[StrLit], ev: &mut Self| {
                        Value::new(
                            V::List(xs.iter().map(|s| ev.string(s)).collect()),
                            xs.first().map_or(r.keyword, |s| s.span),
                        )
                    };
                    let mut fields = vec![
                        field("paths", r.keyword, strs(&r.paths, self)),
                        field("hosts", r.keyword, strs(&r.hosts, self)),
                        field("service", r.target.span, self.expr(&r.target)),
                    ];
                    if let Some(p) = &r.priority {
                        fields.push(field("priority", p.span, self.expr(p)));
                    }
                    let value = Value::new(V::Record(Record { label: None, fields }), r.span);
                    rec.fields.push(Field {
                        key: "routes".into(),
                        key_span: r.keyword,
                        value,
                        origin: Origin::Statement,
                    });
                }
                Entry::Step(s) => {
                    if let Some(u) = &s.until
                        && u.cmp.is_upper() == s.bound.cmp.is_upper()
                    {
                        self.diags.push(d::step_until_direction(u.cmp_span, s.bound.cmp.as_str(), u.cmp.as_str()));
                    }
                    let metric = Value::new(V::Word(s.metric.name.clone()), s.metric.span);
                    let mut fields = vec![
                        field("metric", s.metric.span, metric),
                        field(
                            "comparison",
                            s.bound.cmp_span,
                            Value::new(V::Str(s.bound.cmp.as_str().into()), s.bound.cmp_span),
                        ),
                        field("threshold", s.bound.value.span, self.expr(&s.bound.value)),
                    ];
                    if let Some(u) = &s.until {
                        fields.push(field("until", u.value.span, self.expr(&u.value)));
                    }
                    if let Some(p) = &s.period {
                        fields.push(field("period", p.span, self.expr(p)));
                    }
                    if let Some(e) = &s.evaluations {
                        fields.push(field("evaluations", e.span, self.expr(e)));
                    }
                    let adj = Value::new(V::Str(s.adjustment.text.clone()), s.adjustment.span);
                    fields.push(field("adjustment", s.adjustment.span, adj));
                    let value = Value::new(V::Record(Record { label: None, fields }), s.span);
                    rec.fields.push(Field {
                        key: "steps".into(),
                        key_span: s.keyword,
                        value,
                        origin: Origin::Statement,
                    });
                }
                Entry::Target(t) => {
                    let fields = vec![
                        field("metric", t.metric.span, Value::new(V::Word(t.metric.name.clone()), t.metric.span)),
                        field("value", t.value.span, self.expr(&t.value)),
                    ];
                    let value = Value::new(V::Record(Record { label: None, fields }), t.span);
                    rec.fields.push(Field {
                        key: "targets".into(),
                        key_span: t.keyword,
                        value,
                        origin: Origin::Statement,
                    });
                }
            }
        }
        rec
    }

    /// Adds a written field, reporting a duplicate of another written one.
    fn put(&mut self, rec: &mut Record, key: String, key_span: Span, value: Value, origin: Origin) {
        let repeatable = matches!(origin, Origin::Block { labelled: true });
        if !repeatable {
            if let Some(prev) = rec
                .fields
                .iter()
                .find(|f| f.key == key && matches!(f.origin, Origin::Written | Origin::Block { labelled: false }))
            {
                self.diags.push(d::duplicate_field(key_span, prev.key_span, &key));
                return;
            }
            rec.fields.retain(|f| f.key != key || f.origin != Origin::Spread);
        }
        rec.fields.push(Field { key, key_span, value, origin });
    }

    pub fn expr(&mut self, e: &Expr) -> Value {
        let span = e.span;
        let kind = match &e.kind {
            ExprKind::Str(s) => return self.string(s),
            ExprKind::Number { value, unit, .. } => V::Number { value: *value, unit: unit.clone() },
            ExprKind::Bool(b) => V::Bool(*b),
            ExprKind::Cidr(text) => match Cidr::parse(text) {
                Ok(c) => V::Cidr(c),
                Err(_) => V::Error, // reported by the parser
            },
            ExprKind::Path(path) => return self.path(path, span),
            ExprKind::Call { name, args } => V::Call {
                name: name.name.clone(),
                name_span: name.span,
                args: args.iter().map(|a| self.expr(a)).collect(),
            },
            ExprKind::Record(b) => V::Record(self.block(b, None)),
            ExprKind::List(xs) => V::List(xs.iter().map(|x| self.expr(x)).collect()),
            ExprKind::EnvSelect(arms) => return self.env_select(arms, span),
            ExprKind::Error => V::Error,
        };
        Value::new(kind, span)
    }

    fn env_select(&mut self, arms: &[ast::EnvArm], span: Span) -> Value {
        let mut chosen = None;
        let mut fallback = None;
        let mut misspelled = false;
        for arm in arms {
            match &arm.env {
                None => fallback = Some(arm),
                Some(name) => {
                    if !self.environments.iter().any(|e| e == &name.name) {
                        misspelled = true;
                        let envs: Vec<&str> = self.environments.iter().map(String::as_str).collect();
                        self.diags.push(d::unknown_environment(
                            name.span,
                            &name.name,
                            &envs,
                            did_you_mean(&name.name, envs.iter().copied()),
                        ));
                    } else if name.name == self.env {
                        chosen = Some(arm);
                    }
                }
            }
        }
        match chosen.or(fallback) {
            Some(arm) => self.expr(&arm.value),
            None => {
                // A misspelled arm is most likely the missing one; it is reported already.
                if !misspelled {
                    self.diags.push(d::missing_environment(span, self.env));
                }
                Value::error(span)
            }
        }
    }

    fn string(&mut self, s: &StrLit) -> Value {
        let mut parts: Vec<Part> = Vec::new();
        let push_text = |parts: &mut Vec<Part>, t: &str| match parts.last_mut() {
            Some(Part::Text(x)) => x.push_str(t),
            _ => parts.push(Part::Text(t.to_string())),
        };
        let mut failed = false;
        for p in &s.parts {
            match p {
                StrPart::Text(t) => push_text(&mut parts, t),
                StrPart::Interp(path, ispan) => {
                    let v = self.path(path, *ispan);
                    match v.kind {
                        V::Str(t) | V::Word(t) => push_text(&mut parts, &t),
                        V::Number { value, unit } => {
                            push_text(&mut parts, &format!("{}{}", fmt_num(value), unit.unwrap_or_default()))
                        }
                        V::Bool(b) => push_text(&mut parts, if b { "true" } else { "false" }),
                        V::Cidr(c) => push_text(&mut parts, &c.to_string()),
                        V::Template(ps) => {
                            for p in ps {
                                match p {
                                    Part::Text(t) => push_text(&mut parts, &t),
                                    r @ Part::Ref(_) => parts.push(r),
                                }
                            }
                        }
                        V::Ref(r) => match &r.attr {
                            Some((attr, _)) if self.attr_type(&r.kind, attr) == Some(Ty::Secret) => {
                                self.diags.push(d::secret_interpolated(*ispan, &r.name, attr));
                                failed = true;
                            }
                            Some(_) => parts.push(Part::Ref(r)),
                            None => {
                                let outs = self.outputs(&r.kind);
                                self.diags.push(d::interpolate_declaration(*ispan, &r.kind, &r.name, &outs));
                                failed = true;
                            }
                        },
                        V::Error => failed = true,
                        other => {
                            let shown = Value::new(other, *ispan).describe();
                            self.diags.push(d::bad_interpolation(*ispan, &shown));
                            failed = true;
                        }
                    }
                }
            }
        }
        if failed {
            return Value::error(s.span);
        }
        let kind = match parts.as_slice() {
            [] => V::Str(String::new()),
            [Part::Text(t)] => V::Str(t.clone()),
            _ => V::Template(parts),
        };
        Value::new(kind, s.span)
    }

    fn path(&mut self, path: &[ast::Ident], span: Span) -> Value {
        let Some(first) = path.first() else {
            return Value::error(span);
        };
        let rest = &path[1..];
        if first.name == "env" && rest.is_empty() && !self.bindings.contains_key("env") {
            return Value::new(V::Str(self.env.to_string()), span);
        }
        if first.name == "app" && !self.bindings.contains_key("app") {
            return match rest {
                [a] if a.name == "name" => Value::new(V::Str(self.app_name.to_string()), span),
                [a] if a.name == "env" => Value::new(V::Str(self.env.to_string()), span),
                [a, ..] => {
                    self.diags.push(d::unknown_attribute(a.span, "app", "app", &a.name, &["name", "env"], None));
                    Value::error(span)
                }
                [] => Value::new(V::Word("app".into()), span),
            };
        }
        match self.bindings.get(&first.name).copied() {
            Some(Binding::Let(l)) => {
                self.uses.push(Use { span: first.span, target: first.name.clone() });
                let mut v = self.let_value(l, first.span);
                for seg in rest {
                    v = match &v.kind {
                        V::Record(r) => match r.get(&seg.name) {
                            Some(x) => x.clone(),
                            None => {
                                let keys: Vec<&str> = r.fields.iter().map(|f| f.key.as_str()).collect();
                                self.diags.push(d::unknown_let_field(
                                    seg.span,
                                    &first.name,
                                    &seg.name,
                                    did_you_mean(&seg.name, keys.iter().copied()),
                                ));
                                return Value::error(span);
                            }
                        },
                        V::Error => return Value::error(span),
                        _ => {
                            self.diags.push(d::field_of_non_record(seg.span, &seg.name, &v.describe()));
                            return Value::error(span);
                        }
                    };
                }
                Value { span, ..v }
            }
            Some(Binding::Decl(decl)) => {
                self.uses.push(Use { span: first.span, target: first.name.clone() });
                let kind = decl.kind.name.clone();
                let attr = match rest {
                    [] => None,
                    [a] => {
                        let outs = self.outputs(&kind);
                        if stdlib().schema(&kind).is_some() && !outs.contains(&a.name.as_str()) {
                            self.diags.push(d::unknown_attribute(
                                a.span,
                                &kind,
                                &first.name,
                                &a.name,
                                &outs,
                                did_you_mean(&a.name, outs.iter().copied()),
                            ));
                            return Value::error(span);
                        }
                        Some((a.name.clone(), a.span))
                    }
                    [_, extra, ..] => {
                        self.diags.push(d::field_of_non_record(extra.span, &extra.name, "an attribute"));
                        return Value::error(span);
                    }
                };
                Value::new(V::Ref(Ref { kind, name: first.name.clone(), attr, span }), span)
            }
            None if rest.is_empty() => Value::new(V::Word(first.name.clone()), span),
            None => {
                let names: Vec<&str> = self.bindings.keys().map(String::as_str).collect();
                self.diags.push(d::unknown_reference(
                    first.span,
                    &first.name,
                    "declaration or `let`",
                    did_you_mean(&first.name, names.iter().copied()),
                ));
                Value::error(span)
            }
        }
    }

    /// Evaluates a `let` whether or not anything uses it, so that its errors are reported.
    pub fn force_let(&mut self, l: &ast::LetDecl) {
        self.let_value(l, l.name.span);
    }

    fn let_value(&mut self, l: &ast::LetDecl, use_span: Span) -> Value {
        let name = &l.name.name;
        if let Some(v) = self.lets.get(name) {
            return v.clone();
        }
        if let Some(pos) = self.in_progress.iter().position(|(n, _)| n == name) {
            let chain: Vec<String> = self.in_progress[pos..].iter().map(|(n, _)| n.clone()).collect();
            self.diags.push(d::let_cycle(l.name.span, use_span, &chain));
            return Value::error(use_span);
        }
        // A chain of thousands of `let`s referring to the next would exhaust the stack.
        if self.in_progress.len() >= MAX_LET_DEPTH {
            self.diags.push(d::let_too_deep(use_span, MAX_LET_DEPTH));
            return Value::error(use_span);
        }
        self.in_progress.push((name.clone(), l.name.span));
        let v = self.expr(&l.value);
        self.in_progress.pop();
        self.lets.insert(name.clone(), v.clone());
        v
    }

    fn outputs(&self, kind: &str) -> Vec<&'static str> {
        stdlib().schema(kind).map(|s| s.outputs().map(|f| f.name.as_str()).collect()).unwrap_or_default()
    }

    fn attr_type(&self, kind: &str, attr: &str) -> Option<Ty> {
        stdlib().schema(kind)?.outputs().find(|f| f.name == attr).map(|f| f.ty.clone())
    }
}

fn spread_origin(o: Origin) -> Origin {
    match o {
        Origin::Block { labelled: true } | Origin::Statement => o,
        _ => Origin::Spread,
    }
}

fn field(key: &str, key_span: Span, value: Value) -> Field {
    Field { key: key.into(), key_span, value, origin: Origin::Written }
}

/// Formats a number without a trailing `.0`.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// Evaluates a literal with no bindings in scope: the defaults of stdlib fields.
pub fn literal(e: &Expr) -> Value {
    let kind = match &e.kind {
        ExprKind::Str(s) => V::Str(s.as_plain().unwrap_or_default()),
        ExprKind::Number { value, unit, .. } => V::Number { value: *value, unit: unit.clone() },
        ExprKind::Bool(b) => V::Bool(*b),
        ExprKind::Cidr(t) => Cidr::parse(t).map_or(V::Error, V::Cidr),
        ExprKind::Path(p) => V::Word(p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".")),
        ExprKind::List(xs) => V::List(xs.iter().map(literal).collect()),
        ExprKind::Record(b) => V::Record(Record {
            label: None,
            fields: b
                .entries
                .iter()
                .filter_map(|en| match en {
                    Entry::Attr(a) => Some(Field {
                        key: a.key.name.clone(),
                        key_span: a.key.span,
                        value: literal(&a.value),
                        origin: Origin::Written,
                    }),
                    _ => None,
                })
                .collect(),
        }),
        _ => V::Error,
    };
    Value::new(kind, e.span)
}
