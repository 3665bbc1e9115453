//! Incremental parsing for editors: a file is cut into its top-level items, each item is
//! parsed on its own, and items whose text did not change since the last parse are taken
//! from a cache (their spans moved to where the item now starts). An edit inside one
//! service re-parses that service only.
//!
//! Items are cut only where nothing is open (no unclosed bracket, string or comment), and
//! doc comments stay with the item they document, so the result equals a whole-file
//! parse for files without errors (a test compares them on every example).

use std::collections::HashMap;

use fg_diag::{Diagnostic, FileId, Span};

use crate::ast::*;
use crate::parser::{Parse, parse};

#[cfg(test)]
use crate::parser::parse_whole_for_tests;

/// Parsed items by their exact text, with spans relative to the item's start.
#[derive(Debug, Default)]
pub struct ParseCache {
    items: HashMap<String, Parse>,
    /// Items used since the last [`ParseCache::prune`].
    used: std::collections::HashSet<String>,
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `text` as file `file`, reusing the items parsed before.
    pub fn parse(&mut self, file: FileId, text: &str) -> Parse {
        let chunks = chunks(text);
        // A file that cannot be cut safely (an item left open) is parsed whole.
        if chunks.len() <= 1 {
            return parse(file, text);
        }
        let mut out = Parse { file: File::default(), diagnostics: Vec::new(), damaged: Vec::new() };
        for (start, end) in chunks {
            let chunk = &text[start..end];
            let cached = self.items.entry(chunk.to_string()).or_insert_with(|| parse(FileId(0), chunk));
            let mut p = cached.clone();
            shift_parse(&mut p, file, start as u32);
            out.file.items.append(&mut p.file.items);
            out.diagnostics.append(&mut p.diagnostics);
            out.damaged.append(&mut p.damaged);
            self.used.insert(chunk.to_string());
        }
        out
    }

    /// Drops the items no parse used since the last call: call it once per analysis.
    pub fn prune(&mut self) {
        let used = std::mem::take(&mut self.used);
        self.items.retain(|k, _| used.contains(k));
    }
}

/// Parses a large file's items on two threads; `None` when it cannot be cut into items.
/// The result equals the whole-file parse (the diagnostics may come in another order).
pub(crate) fn parse_parallel(file: FileId, text: &str) -> Option<Parse> {
    let chunks = chunks(text);
    if chunks.len() < 2 {
        return None;
    }
    // Two halves of about the same size.
    let half = text.len() / 2;
    let split = chunks.iter().position(|(s, _)| *s >= half).unwrap_or(chunks.len() - 1).max(1);
    let parse_part = |part: &[(usize, usize)]| {
        let mut out = Parse { file: File::default(), diagnostics: Vec::new(), damaged: Vec::new() };
        for (start, end) in part {
            let mut p = parse(FileId(0), &text[*start..*end]);
            shift_parse(&mut p, file, *start as u32);
            out.file.items.append(&mut p.file.items);
            out.diagnostics.append(&mut p.diagnostics);
            out.damaged.append(&mut p.damaged);
        }
        out
    };
    let (first, second) = chunks.split_at(split);
    let (mut a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| parse_part(second));
        let a = parse_part(first);
        (a, other.join().ok())
    });
    let mut b = b?;
    a.file.items.append(&mut b.file.items);
    a.diagnostics.append(&mut b.diagnostics);
    a.damaged.append(&mut b.damaged);
    Some(a)
}

/// Byte ranges of the top-level items: each starts at a word in column 0 (or at the doc
/// comments above it) where no bracket, string or block comment is open.
fn chunks(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut starts = vec![0usize];
    let mut depth = 0i32;
    let mut i = 0;
    let mut line_start = true;
    // Start of the run of `///` lines directly above the current line, if any.
    let mut doc_run: Option<usize> = None;
    while i < b.len() {
        if line_start {
            line_start = false;
            if depth == 0 {
                if b[i..].starts_with(b"///") {
                    doc_run.get_or_insert(i);
                } else if b[i].is_ascii_alphabetic() || b[i] == b'_' {
                    let at = doc_run.take().unwrap_or(i);
                    if at > 0 {
                        starts.push(at);
                    }
                } else {
                    doc_run = None;
                }
            }
        }
        match b[i] {
            b'\n' => line_start = true,
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i < b.len() && b[i] == b'\n' {
                    line_start = true;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                line_start = true;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments may span items: do not cut inside one.
                let mut nest = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        nest += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        nest -= 1;
                        i += 2;
                        if nest == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return vec![(0, text.len())];
    }
    starts.dedup();
    let mut out = Vec::with_capacity(starts.len());
    for (k, s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(text.len());
        out.push((*s, e));
    }
    out
}

fn sp(s: &mut Span, file: FileId, d: u32) {
    s.file = file;
    s.start += d;
    s.end += d;
}

fn shift_parse(p: &mut Parse, file: FileId, d: u32) {
    for item in &mut p.file.items {
        shift_item(item, file, d);
    }
    for diag in &mut p.diagnostics {
        shift_diag(diag, file, d);
    }
    for s in &mut p.damaged {
        sp(s, file, d);
    }
}

fn shift_diag(diag: &mut Diagnostic, file: FileId, d: u32) {
    sp(&mut diag.primary.span, file, d);
    for l in &mut diag.secondary {
        sp(&mut l.span, file, d);
    }
    for f in &mut diag.fixes {
        sp(&mut f.span, file, d);
    }
}

fn id(i: &mut Ident, file: FileId, d: u32) {
    sp(&mut i.span, file, d);
}

fn shift_item(item: &mut Item, file: FileId, d: u32) {
    match item {
        Item::Import(i) => {
            string(&mut i.path, file, d);
            sp(&mut i.span, file, d);
        }
        Item::App(a) => {
            sp(&mut a.keyword, file, d);
            string(&mut a.name, file, d);
            block(&mut a.body, file, d);
            sp(&mut a.span, file, d);
        }
        Item::Let(l) => {
            id(&mut l.name, file, d);
            expr(&mut l.value, file, d);
            sp(&mut l.span, file, d);
        }
        Item::Decl(x) => {
            id(&mut x.kind, file, d);
            id(&mut x.name, file, d);
            block(&mut x.body, file, d);
            sp(&mut x.span, file, d);
        }
        Item::Schema(s) => {
            id(&mut s.name, file, d);
            for f in &mut s.fields {
                id(&mut f.name, file, d);
                type_expr(&mut f.ty, file, d);
                if let Some(e) = &mut f.default {
                    expr(e, file, d);
                }
                sp(&mut f.span, file, d);
            }
            sp(&mut s.span, file, d);
        }
        Item::Enum(e) => {
            id(&mut e.name, file, d);
            for v in &mut e.variants {
                id(&mut v.name, file, d);
            }
            sp(&mut e.span, file, d);
        }
    }
}

fn type_expr(t: &mut TypeExpr, file: FileId, d: u32) {
    for a in &mut t.alternatives {
        id(&mut a.name, file, d);
        if let Some(arg) = &mut a.arg {
            type_expr(arg, file, d);
        }
    }
    sp(&mut t.span, file, d);
}

fn block(b: &mut Block, file: FileId, d: u32) {
    for e in &mut b.entries {
        match e {
            Entry::Attr(a) => {
                id(&mut a.key, file, d);
                expr(&mut a.value, file, d);
                if let Some(c) = &mut a.colon {
                    sp(c, file, d);
                }
                sp(&mut a.span, file, d);
            }
            Entry::Nested(n) => {
                id(&mut n.key, file, d);
                if let Some(l) = &mut n.label {
                    id(l, file, d);
                }
                block(&mut n.body, file, d);
                sp(&mut n.span, file, d);
            }
            Entry::Spread(s) => {
                expr(&mut s.value, file, d);
                sp(&mut s.span, file, d);
            }
            Entry::Route(r) => {
                sp(&mut r.keyword, file, d);
                for p in r.paths.iter_mut().chain(r.hosts.iter_mut()) {
                    string(p, file, d);
                }
                expr(&mut r.target, file, d);
                if let Some(p) = &mut r.priority {
                    expr(p, file, d);
                }
                sp(&mut r.span, file, d);
            }
            Entry::Step(s) => {
                sp(&mut s.keyword, file, d);
                id(&mut s.metric, file, d);
                for b in std::iter::once(&mut s.bound).chain(s.until.iter_mut()) {
                    sp(&mut b.cmp_span, file, d);
                    expr(&mut b.value, file, d);
                }
                if let Some(e) = &mut s.evaluations {
                    expr(e, file, d);
                }
                if let Some(p) = &mut s.period {
                    expr(p, file, d);
                }
                sp(&mut s.adjustment.span, file, d);
                sp(&mut s.span, file, d);
            }
            Entry::Target(t) => {
                sp(&mut t.keyword, file, d);
                id(&mut t.metric, file, d);
                expr(&mut t.value, file, d);
                sp(&mut t.span, file, d);
            }
        }
    }
    sp(&mut b.span, file, d);
}

fn string(s: &mut StrLit, file: FileId, d: u32) {
    for p in &mut s.parts {
        if let StrPart::Interp(path, span) = p {
            for i in path {
                id(i, file, d);
            }
            sp(span, file, d);
        }
    }
    sp(&mut s.span, file, d);
}

fn expr(e: &mut Expr, file: FileId, d: u32) {
    match &mut e.kind {
        ExprKind::Str(s) => string(s, file, d),
        ExprKind::Path(p) => p.iter_mut().for_each(|i| id(i, file, d)),
        ExprKind::Call { name, args } => {
            id(name, file, d);
            args.iter_mut().for_each(|a| expr(a, file, d));
        }
        ExprKind::Record(b) => block(b, file, d),
        ExprKind::List(xs) => xs.iter_mut().for_each(|x| expr(x, file, d)),
        ExprKind::EnvSelect(arms) => {
            for a in arms {
                if let Some(env) = &mut a.env {
                    id(env, file, d);
                }
                sp(&mut a.key_span, file, d);
                expr(&mut a.value, file, d);
            }
        }
        ExprKind::Number { .. } | ExprKind::Bool(_) | ExprKind::Cidr(_) | ExprKind::Error => {}
    }
    sp(&mut e.span, file, d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_parse_equals_whole_parse() {
        let mut text = String::from("app \"a\" { region = \"x\" }\n");
        for k in 0..2000 {
            text.push_str(&format!("/// doc {k}\nservice s{k} {{\n  image = \"n\"\n  port  = {}\n}}\n\n", 80 + k));
        }
        assert!(text.len() > 64 * 1024);
        let whole = parse_whole_for_tests(FileId(2), &text);
        let parallel = parse(FileId(2), &text);
        assert_eq!(parallel.file, whole.file);
        assert!(parallel.diagnostics.is_empty());
    }

    #[test]
    fn cuts_at_items_and_keeps_docs() {
        let text = "app \"a\" { x = 1 }\n\n/// doc\nservice b {\n  c = \"{\"\n}\nlet d = [\n1]\n";
        let c = chunks(text);
        let parts: Vec<&str> = c.iter().map(|(s, e)| &text[*s..*e]).collect();
        assert_eq!(parts, ["app \"a\" { x = 1 }\n\n", "/// doc\nservice b {\n  c = \"{\"\n}\n", "let d = [\n1]\n"]);
        assert_eq!(chunks("service a {\nb = 1\n"), [(0, 18)]);
    }

    #[test]
    fn equals_a_whole_parse_and_reuses_items() {
        let text =
            "app \"a\" { region = \"x\" }\n\nservice b {\n  image = \"n\"\n  port  = 80\n}\n\nlet c = { d = 1 }\n";
        let mut cache = ParseCache::new();
        let a = cache.parse(FileId(3), text);
        let whole = parse(FileId(3), text);
        assert_eq!(a.file, whole.file);
        let edited = text.replace("port  = 80", "port  = 8080");
        cache.prune();
        let b = cache.parse(FileId(3), &edited);
        assert_eq!(b.file, parse(FileId(3), &edited).file);
        cache.prune();
        assert_eq!(cache.items.len(), 3);
        let broken = text.replace("port  = 80", "port  = = 80");
        let c = cache.parse(FileId(3), &broken);
        assert_eq!(c.diagnostics, parse(FileId(3), &broken).diagnostics);
    }
}
