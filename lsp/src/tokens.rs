//! Semantic tokens: keywords, declaration kinds, names, keys, strings, numbers, enum
//! values, comments and operators, from the syntax tree and a comment scan.

use fg_diag::SourceFile;
use fg_syntax::ast::*;

/// The token types, in legend order.
pub const LEGEND: &[&str] =
    &["keyword", "type", "variable", "property", "string", "number", "enumMember", "comment", "operator", "function"];

const KEYWORD: u32 = 0;
const TYPE: u32 = 1;
const VARIABLE: u32 = 2;
const PROPERTY: u32 = 3;
const STRING: u32 = 4;
const NUMBER: u32 = 5;
const ENUM: u32 = 6;
const COMMENT: u32 = 7;
const OPERATOR: u32 = 8;
const FUNCTION: u32 = 9;

/// (byte start, byte end, token type)
type Tok = (usize, usize, u32);

/// Tokens of a file, encoded as LSP wants them (relative positions, UTF-16 lengths).
pub fn encode(src: &SourceFile, file: &File, names: &dyn Fn(&str) -> bool) -> Vec<u32> {
    let mut toks: Vec<Tok> = Vec::new();
    let text = &src.text;
    for item in &file.items {
        match item {
            Item::Import(i) => {
                toks.push((i.span.start as usize, i.span.start as usize + 6, KEYWORD));
                toks.push((i.path.span.start as usize, i.path.span.end as usize, STRING));
            }
            Item::App(a) => {
                toks.push((a.keyword.start as usize, a.keyword.end as usize, KEYWORD));
                toks.push((a.name.span.start as usize, a.name.span.end as usize, STRING));
                block(&a.body, &mut toks, names);
            }
            Item::Let(l) => {
                toks.push((l.span.start as usize, l.span.start as usize + 3, KEYWORD));
                toks.push((l.name.span.start as usize, l.name.span.end as usize, VARIABLE));
                expr(&l.value, &mut toks, names);
            }
            Item::Decl(d) => {
                toks.push((d.kind.span.start as usize, d.kind.span.end as usize, TYPE));
                toks.push((d.name.span.start as usize, d.name.span.end as usize, VARIABLE));
                block(&d.body, &mut toks, names);
            }
            Item::Schema(s) => {
                toks.push((s.span.start as usize, s.name.span.start as usize - 1, KEYWORD));
                toks.push((s.name.span.start as usize, s.name.span.end as usize, TYPE));
                for f in &s.fields {
                    toks.push((f.name.span.start as usize, f.name.span.end as usize, PROPERTY));
                    for a in &f.ty.alternatives {
                        toks.push((a.name.span.start as usize, a.name.span.end as usize, TYPE));
                    }
                    if let Some(d) = &f.default {
                        expr(d, &mut toks, names);
                    }
                }
            }
            Item::Enum(e) => {
                toks.push((e.span.start as usize, e.span.start as usize + 4, KEYWORD));
                toks.push((e.name.span.start as usize, e.name.span.end as usize, TYPE));
                for v in &e.variants {
                    toks.push((v.name.span.start as usize, v.name.span.end as usize, ENUM));
                }
            }
        }
    }
    comments(text, &mut toks);
    toks.retain(|(s, e, _)| e > s && *e <= text.len());
    toks.sort_by_key(|t| (t.0, t.1));
    toks.dedup_by(|b, a| b.0 < a.1); // drop overlaps, keeping the first
    let mut out = Vec::with_capacity(toks.len() * 5);
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for (start, end, ty) in toks {
        let (line, col) = src.utf16_position(start);
        let len = text[start..end].encode_utf16().count() as u32;
        let delta_line = line - prev_line;
        let delta_col = if delta_line == 0 { col - prev_col } else { col };
        out.extend([delta_line, delta_col, len, ty, 0]);
        prev_line = line;
        prev_col = col;
    }
    out
}

fn block(b: &Block, toks: &mut Vec<Tok>, names: &dyn Fn(&str) -> bool) {
    for e in &b.entries {
        match e {
            Entry::Attr(a) => {
                toks.push((a.key.span.start as usize, a.key.span.end as usize, PROPERTY));
                expr(&a.value, toks, names);
            }
            Entry::Nested(n) => {
                toks.push((n.key.span.start as usize, n.key.span.end as usize, PROPERTY));
                if let Some(l) = &n.label {
                    toks.push((l.span.start as usize, l.span.end as usize, ENUM));
                }
                block(&n.body, toks, names);
            }
            Entry::Spread(s) => {
                toks.push((s.span.start as usize, s.span.start as usize + 3, OPERATOR));
                expr(&s.value, toks, names);
            }
            Entry::Route(r) => {
                toks.push((r.keyword.start as usize, r.keyword.end as usize, KEYWORD));
                for p in r.paths.iter().chain(&r.hosts) {
                    toks.push((p.span.start as usize, p.span.end as usize, STRING));
                }
                expr(&r.target, toks, names);
                if let Some(p) = &r.priority {
                    expr(p, toks, names);
                }
            }
            Entry::Step(s) => {
                toks.push((s.keyword.start as usize, s.keyword.end as usize, KEYWORD));
                toks.push((s.metric.span.start as usize, s.metric.span.end as usize, ENUM));
                toks.push((s.bound.cmp_span.start as usize, s.bound.cmp_span.end as usize, OPERATOR));
                expr(&s.bound.value, toks, names);
                if let Some(u) = &s.until {
                    toks.push((u.cmp_span.start as usize, u.cmp_span.end as usize, OPERATOR));
                    expr(&u.value, toks, names);
                }
                if let Some(e) = &s.evaluations {
                    expr(e, toks, names);
                }
                if let Some(p) = &s.period {
                    expr(p, toks, names);
                }
                toks.push((s.adjustment.span.start as usize, s.adjustment.span.end as usize, NUMBER));
            }
            Entry::Target(t) => {
                toks.push((t.keyword.start as usize, t.keyword.end as usize, KEYWORD));
                toks.push((t.metric.span.start as usize, t.metric.span.end as usize, ENUM));
                expr(&t.value, toks, names);
            }
        }
    }
}

fn expr(e: &Expr, toks: &mut Vec<Tok>, names: &dyn Fn(&str) -> bool) {
    let span = (e.span.start as usize, e.span.end as usize);
    match &e.kind {
        ExprKind::Str(_) => toks.push((span.0, span.1, STRING)),
        ExprKind::Number { .. } | ExprKind::Cidr(_) => toks.push((span.0, span.1, NUMBER)),
        ExprKind::Bool(_) => toks.push((span.0, span.1, KEYWORD)),
        ExprKind::Path(p) => {
            for (k, seg) in p.iter().enumerate() {
                let ty = if k > 0 {
                    PROPERTY
                } else if names(&seg.name) {
                    VARIABLE
                } else {
                    ENUM
                };
                toks.push((seg.span.start as usize, seg.span.end as usize, ty));
            }
        }
        ExprKind::Call { name, args } => {
            toks.push((name.span.start as usize, name.span.end as usize, FUNCTION));
            for a in args {
                expr(a, toks, names);
            }
        }
        ExprKind::Record(b) => block(b, toks, names),
        ExprKind::List(xs) => xs.iter().for_each(|x| expr(x, toks, names)),
        ExprKind::EnvSelect(arms) => {
            toks.push((span.0, span.0 + 3, KEYWORD));
            for a in arms {
                toks.push((a.key_span.start as usize, a.key_span.end as usize, ENUM));
                expr(&a.value, toks, names);
            }
        }
        ExprKind::Error => {}
    }
}

/// Comments, split per line (LSP tokens may not span lines).
fn comments(text: &str, toks: &mut Vec<Tok>) {
    for r in fg_syntax::lex::comments(text) {
        let mut start = r.start;
        for line in text[r.clone()].split_inclusive('\n') {
            let end = start + line.trim_end_matches('\n').len();
            toks.push((start, end, COMMENT));
            start += line.len();
        }
    }
}
