//! From text to [`File`]: pest does the reading, this module builds the typed AST and
//! recovers from errors so that one mistake does not hide the rest of the file.

use fg_diag::{Diagnostic, FileId, Span};
use pest::Parser as _;
use pest::iterators::Pair;

use crate::ast::*;
use crate::diagnostics;
use crate::lit::Cidr;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/fg.pest"]
pub(crate) struct FgParser;

/// The result of parsing one file: always a tree, plus what went wrong.
#[derive(Debug, Clone)]
pub struct Parse {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
    /// The regions the parser blanked to recover. Items overlapping them are incomplete,
    /// so later stages stay quiet about what seems to be missing there.
    pub damaged: Vec<Span>,
}

/// How many errors one file may report before the parser stops recovering.
const MAX_ROUNDS: usize = 32;

/// The deepest nesting of brackets the parser accepts. pest and the later stages recurse
/// once per level; bounding the depth up front keeps hostile input from exhausting the
/// stack (no real stack comes near it).
pub const MAX_DEPTH: usize = 64;

/// Files at least this large are parsed item by item on two threads.
const PARALLEL_BYTES: usize = 32 * 1024;

/// Parses `text` as file `file_id`. Never fails; never panics.
pub fn parse(file_id: FileId, text: &str) -> Parse {
    // WebAssembly in a browser has no threads, and item by item on one thread is slower
    // than the whole-file parse.
    if !cfg!(target_arch = "wasm32")
        && text.len() >= PARALLEL_BYTES
        && let Some(p) = crate::incremental::parse_parallel(file_id, text)
    {
        return p;
    }
    parse_whole(file_id, text)
}

/// The whole-file parse, for comparing the parallel one against it.
#[cfg(test)]
pub(crate) fn parse_whole_for_tests(file_id: FileId, text: &str) -> Parse {
    parse_whole(file_id, text)
}

/// Parses the file in one piece.
fn parse_whole(file_id: FileId, text: &str) -> Parse {
    let mut diagnostics = Vec::new();
    // A byte-order mark becomes three spaces, which keeps every offset where it was.
    let mut masked: Option<String> = text.starts_with('\u{FEFF}').then(|| format!("   {}", &text[3..]));
    if let Some(pos) = too_deep(text) {
        let end = pos + text[pos..].chars().next().map_or(0, char::len_utf8);
        diagnostics.push(diagnostics::too_deep(Span::new(file_id, pos, end), MAX_DEPTH));
        let damaged = vec![Span::new(file_id, 0, text.len())];
        return Parse { file: File::default(), diagnostics, damaged };
    }
    let mut recovered: Vec<(Ident, Ident, Span)> = Vec::new();
    let mut damaged = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let current = masked.as_deref().unwrap_or(text);
        match FgParser::parse(Rule::file, current) {
            Ok(mut pairs) => {
                let mut b = Builder { file: file_id, diags: &mut diagnostics };
                let mut file = pairs.next().map(|p| b.file(p)).unwrap_or_default();
                for (kind, name, span) in recovered {
                    // A blanked `let` keeps its name, bound to nothing, so uses of it do
                    // not turn into unknown references.
                    if kind.name == "let" {
                        let value = Expr { kind: ExprKind::Error, span };
                        file.items.push(Item::Let(LetDecl { docs: Vec::new(), name, value, span }));
                        continue;
                    }
                    file.items.push(Item::Decl(Decl {
                        docs: Vec::new(),
                        kind,
                        name,
                        body: Block { entries: Vec::new(), span },
                        span,
                        recovered: true,
                    }));
                }
                file.items.sort_by_key(|i| i.span().start);
                return Parse { file, diagnostics, damaged };
            }
            Err(e) => {
                let pos = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((s, _)) => s,
                };
                let (diag, at) = describe_error(file_id, current, pos, &e);
                diagnostics.push(diag);
                let region = recovery_region(current, at);
                damaged.push(Span::new(file_id, region.0, region.1));
                if let Some(decl) = declared_in(file_id, current, region.0, region.1) {
                    recovered.push(decl);
                }
                let mut bytes = current.as_bytes().to_vec();
                for b in &mut bytes[region.0..region.1] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
                // Blanking whole bytes of a multi-byte character leaves only ASCII spaces,
                // so the result is still UTF-8.
                masked = Some(String::from_utf8(bytes).unwrap_or_default());
            }
        }
    }
    Parse { file: File::default(), diagnostics, damaged }
}

/// The brackets of `text` outside strings and comments, with their offsets.
fn brackets(text: &str) -> Vec<(usize, u8)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            c @ (b'{' | b'[' | b'(' | b'}' | b']' | b')') => out.push((i, c)),
            _ => {}
        }
        i += 1;
    }
    out
}

/// The offset of the first bracket nested deeper than [`MAX_DEPTH`].
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in brackets(text) {
        if matches!(c, b'{' | b'[' | b'(') {
            depth += 1;
            if depth > MAX_DEPTH {
                return Some(i);
            }
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    None
}

/// The part of the text to blank out after an error at `pos`: the line, when it is
/// inside a block and balanced, else the whole top-level item.
fn recovery_region(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let line = &text[line_start..line_end];
    let indented = line.starts_with([' ', '\t']);
    if indented && balanced(line) && !line.trim().is_empty() {
        return (line_start, line_end);
    }
    let starts = item_starts(text);
    // A block left open swallows the items after it, and pest only notices at the end of
    // the file: blame the item before the first one that starts inside a block.
    if let Some(k) = first_nested_start(text, &starts).filter(|&k| k > 0 && starts[k] <= pos) {
        return (starts[k - 1], starts[k]);
    }
    let start = starts.iter().rev().find(|&&s| s <= pos).copied().unwrap_or(0);
    let end = starts.iter().find(|&&s| s > pos).copied().unwrap_or(text.len());
    if start == end { (start, text.len()) } else { (start, end) }
}

/// Byte offsets of lines that begin a top-level item (a word in column 0).
fn item_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            out.push(offset);
        }
        offset += line.len();
    }
    out
}

/// The index of the first item start that lies inside an open `{`, if any.
fn first_nested_start(text: &str, starts: &[usize]) -> Option<usize> {
    let mut depth = 0i32;
    let mut last = 0;
    for (k, &s) in starts.iter().enumerate() {
        depth += brace_delta(&text[last..s]);
        last = s;
        if depth > 0 {
            return Some(k);
        }
    }
    None
}

/// Net `{` minus `}` outside strings and line comments.
fn brace_delta(text: &str) -> i32 {
    brackets(text)
        .into_iter()
        .map(|(_, c)| match c {
            b'{' => 1,
            b'}' => -1,
            _ => 0,
        })
        .sum()
}

/// True if every bracket the line opens it also closes.
fn balanced(line: &str) -> bool {
    let mut depth = [0i32; 3];
    for (_, c) in brackets(line) {
        match c {
            b'{' => depth[0] += 1,
            b'}' => depth[0] -= 1,
            b'[' => depth[1] += 1,
            b']' => depth[1] -= 1,
            b'(' => depth[2] += 1,
            _ => depth[2] -= 1,
        }
    }
    depth == [0, 0, 0]
}

/// If the blanked region starts with `kind name`, remember the declaration so that
/// references to it still resolve.
fn declared_in(file: FileId, text: &str, start: usize, end: usize) -> Option<(Ident, Ident, Span)> {
    let region = &text[start..end];
    if region.starts_with([' ', '\t']) {
        return None;
    }
    let mut words = region.split(|c: char| c.is_whitespace() || c == '{').filter(|w| !w.is_empty());
    let kind = words.next()?;
    let name = words.next()?;
    let is_word = |w: &str| {
        w.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !is_word(kind) || !is_word(name) || matches!(kind, "app" | "import" | "kind" | "schema" | "enum") {
        return None;
    }
    let kind_start = start;
    let name_start = start + region.find(name)?;
    let span = Span::new(file, start, end);
    Some((
        Ident { name: kind.into(), span: Span::new(file, kind_start, kind_start + kind.len()) },
        Ident { name: name.into(), span: Span::new(file, name_start, name_start + name.len()) },
        span,
    ))
}

fn describe_error(file: FileId, text: &str, pos: usize, e: &pest::error::Error<Rule>) -> (Diagnostic, usize) {
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => expected_list(positives),
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let in_block = expected.contains("`}`");
    // A block left open until the end of the file: point at its `{`.
    if in_block
        && text[pos.min(text.len())..].trim().is_empty()
        && let Some(open) = unclosed_brace(text)
    {
        return (diagnostics::unclosed_block(Span::new(file, open, open + 1)), open);
    }
    // Mid-statement, the next line's first token is not what is wrong: the statement ended
    // too early. Point at the end of the line that is unfinished.
    let before = text[..pos.min(text.len())].trim_end_matches([' ', '\t', '\r']);
    if !in_block && !expected.contains("declaration") && before.ends_with('\n') {
        let prev_end = text[..pos].trim_end().len();
        if prev_end > 0 {
            let span = Span::new(file, prev_end, prev_end);
            return (diagnostics::syntax_error(span, &expected, "end of line"), prev_end);
        }
    }
    let found_len = found_token(text, pos).len().max(if pos < text.len() { 1 } else { 0 });
    let end = (pos + found_len).min(text.len());
    let span = Span::new(file, pos, end);
    let found = match found_token(text, pos) {
        "" => "end of file".to_string(),
        t => format!("`{t}`"),
    };
    (diagnostics::syntax_error(span, &expected, &found), pos)
}

/// The offset of the innermost `{` that is never closed.
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    for (i, c) in brackets(text) {
        match c {
            b'{' => open.push(i),
            b'}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.last().copied()
}

/// Where a pair's own text ends: before trailing whitespace and comments, looking into its
/// last inner pair (which may itself have swallowed them).
fn content_end(p: &Pair<Rule>) -> usize {
    let s = p.as_span();
    let trimmed = s.start() + s.as_str().trim_end().len();
    match p.clone().into_inner().last() {
        Some(last) if only_trivia(&s.as_str()[last.as_span().end() - s.start()..]) => content_end(&last).min(trimmed),
        _ => trimmed,
    }
}

/// True if `text` is only whitespace and comments.
fn only_trivia(mut text: &str) -> bool {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("//") {
            text = rest.find('\n').map_or("", |i| &rest[i..]);
        } else if let Some(rest) = text.strip_prefix("/*") {
            match rest.find("*/") {
                Some(i) => text = &rest[i + 2..],
                None => return false,
            }
        } else {
            return text.is_empty();
        }
    }
}

/// The word or character at `pos`, for "found …" in messages.
fn found_token(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "";
    };
    if first.is_alphanumeric() || first == '_' {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')).unwrap_or(rest.len());
        &rest[..end]
    } else if first == '\n' {
        "end of line"
    } else {
        &rest[..first.len_utf8()]
    }
}

fn expected_list(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for r in rules {
        let n = rule_name(*r);
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    }
    // Inside a block, the alternatives are every kind of entry: say so once.
    if names.contains(&"`}`") {
        return "an attribute (`name = value`), a block or `}`".into();
    }
    // After `route "/p"`, a nested block `route "/p" { … }` is also grammatical, but the
    // arrow is what was meant.
    if names.contains(&"`->` and a service") {
        names.retain(|n| *n != "`{`");
    }
    if names.contains(&"a declaration") {
        return "a declaration (`service name { … }`, `let`, `import`, …)".into();
    }
    if names.len() > 4 && names.contains(&"a value") {
        return "a value".into();
    }
    match names.as_slice() {
        [] => "something else".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn rule_name(r: Rule) -> &'static str {
    match r {
        Rule::EOI => "end of file",
        Rule::ident | Rule::path | Rule::label => "a name",
        Rule::expr
        | Rule::expr_atom
        | Rule::string
        | Rule::number
        | Rule::cidr
        | Rule::boolean
        | Rule::call
        | Rule::record
        | Rule::list
        | Rule::env_select => "a value",
        Rule::assign => "`=`",
        Rule::block => "`{`",
        Rule::attr
        | Rule::nested
        | Rule::spread
        | Rule::route_stmt
        | Rule::step_stmt
        | Rule::target_stmt
        | Rule::kw_route
        | Rule::kw_step
        | Rule::kw_target => "`}`",
        Rule::arrow => "`->` and a service",
        Rule::fat_arrow => "`=>` and an adjustment",
        Rule::kw_x | Rule::unit => "",
        Rule::item
        | Rule::import
        | Rule::app_decl
        | Rule::let_decl
        | Rule::decl
        | Rule::schema_decl
        | Rule::enum_decl
        | Rule::kw_import
        | Rule::kw_app
        | Rule::kw_let
        | Rule::kw_kind
        | Rule::kw_schema
        | Rule::kw_enum
        | Rule::docs
        | Rule::doc => "a declaration",
        Rule::route_cond | Rule::path_cond | Rule::host_cond => "a path string or `host \"…\"`",
        Rule::bound | Rule::cmp => "a comparison (`>=`, `>`, `<=`, `<`)",
        Rule::adjustment => "an adjustment such as `+1` or `-1`",
        Rule::periods => "a duration such as `60s`",
        Rule::kw_for => "`for`",
        Rule::kw_priority => "`priority`",
        Rule::type_expr | Rule::type_atom => "a type",
        Rule::field_decl => "a field",
        Rule::variant => "a variant",
        Rule::env_arm | Rule::wildcard => "an environment name",
        Rule::interp => "`${`",
        _ => "a token",
    }
}

struct Builder<'d> {
    file: FileId,
    diags: &'d mut Vec<Diagnostic>,
}

impl Builder<'_> {
    /// The span of a pair without trailing whitespace or comments: pest includes what it
    /// skipped before an optional part or a lookahead that did not match, so a rule can
    /// end after the comment that follows it on its line.
    fn span(&self, p: &Pair<Rule>) -> Span {
        Span::new(self.file, p.as_span().start(), content_end(p))
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident { name: p.as_str().to_string(), span: self.span(&p) }
    }

    fn file(&mut self, p: Pair<Rule>) -> File {
        let mut items = Vec::new();
        let mut docs = Vec::new();
        for p in p.into_inner() {
            match p.as_rule() {
                Rule::docs => docs = self.docs(p),
                Rule::EOI => {}
                _ => {
                    if let Some(item) = self.item(p, std::mem::take(&mut docs)) {
                        items.push(item);
                    }
                }
            }
        }
        File { items }
    }

    fn docs(&self, p: Pair<Rule>) -> Vec<String> {
        p.into_inner()
            .map(|d| {
                let t = d.into_inner().next().map_or("", |t| t.as_str());
                t.strip_prefix(' ').unwrap_or(t).trim_end().to_string()
            })
            .collect()
    }

    fn item(&mut self, p: Pair<Rule>, docs: Vec<String>) -> Option<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        Some(match rule {
            Rule::import => {
                inner.next(); // keyword
                Item::Import(Import { path: self.string(inner.next()?), span })
            }
            Rule::app_decl => {
                let keyword = self.span(&inner.next()?);
                let name = self.string(inner.next()?);
                let body = self.block(inner.next()?);
                Item::App(AppDecl { docs, keyword, name, body, span })
            }
            Rule::let_decl => {
                inner.next();
                let name = self.ident(inner.next()?);
                let assign = inner.next()?;
                self.check_assign(&assign);
                let value = self.expr(inner.next()?);
                Item::Let(LetDecl { docs, name, value, span })
            }
            Rule::decl => {
                let kind = self.ident(inner.next()?);
                let name = self.ident(inner.next()?);
                let body = self.block(inner.next()?);
                Item::Decl(Decl { docs, kind, name, body, span, recovered: false })
            }
            Rule::schema_decl => {
                let is_kind = inner.next()?.as_str() == "kind";
                let name = self.ident(inner.next()?);
                let fields = inner.map(|f| self.field_decl(f)).collect::<Option<Vec<_>>>()?;
                Item::Schema(SchemaDecl { docs, is_kind, name, fields, span })
            }
            Rule::enum_decl => {
                inner.next();
                let name = self.ident(inner.next()?);
                let mut variants = Vec::new();
                for v in inner {
                    let mut vdocs = Vec::new();
                    let mut name = None;
                    for part in v.into_inner() {
                        match part.as_rule() {
                            Rule::docs => vdocs = self.docs(part),
                            _ => name = Some(self.ident(part)),
                        }
                    }
                    variants.push(Variant { docs: vdocs, name: name? });
                }
                Item::Enum(EnumDecl { docs, name, variants, span })
            }
            _ => return None,
        })
    }

    fn field_decl(&mut self, p: Pair<Rule>) -> Option<FieldDecl> {
        let span = self.span(&p);
        let mut docs = Vec::new();
        let mut out = false;
        let mut name = None;
        let mut ty = None;
        let mut default = None;
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::docs => docs = self.docs(part),
                Rule::out_kw => out = true,
                Rule::ident => name = Some(self.ident(part)),
                Rule::type_expr => ty = Some(self.type_expr(part)?),
                Rule::expr => default = Some(self.expr(part)),
                _ => {}
            }
        }
        Some(FieldDecl { docs, out, name: name?, ty: ty?, default, span })
    }

    fn type_expr(&mut self, p: Pair<Rule>) -> Option<TypeExpr> {
        let span = self.span(&p);
        let mut alternatives = Vec::new();
        let mut optional = false;
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::optional => optional = true,
                Rule::type_atom => {
                    let mut inner = part.into_inner();
                    let name = self.ident(inner.next()?);
                    let arg = match inner.next() {
                        Some(a) => Some(Box::new(self.type_expr(a)?)),
                        None => None,
                    };
                    alternatives.push(TypeAtom { name, arg });
                }
                _ => {}
            }
        }
        Some(TypeExpr { alternatives, optional, span })
    }

    fn check_assign(&mut self, p: &Pair<Rule>) -> Option<Span> {
        if p.as_str() == ":" {
            let span = self.span(p);
            self.diags.push(diagnostics::colon_assign(span));
            Some(span)
        } else {
            None
        }
    }

    fn block(&mut self, p: Pair<Rule>) -> Block {
        let span = self.span(&p);
        let entries = p.into_inner().filter_map(|e| self.entry(e)).collect();
        Block { entries, span }
    }

    fn entry(&mut self, p: Pair<Rule>) -> Option<Entry> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        Some(match rule {
            Rule::docs => return None,
            Rule::attr => {
                let k = inner.next()?;
                let key = if k.as_rule() == Rule::string {
                    let s = self.string(k);
                    Ident { name: s.display(), span: s.span }
                } else {
                    self.ident(k)
                };
                let colon = self.check_assign(&inner.next()?);
                let value = self.expr(inner.next()?);
                Entry::Attr(Attr { key, value, colon, span })
            }
            Rule::nested => {
                let key = self.ident(inner.next()?);
                let mut label = None;
                let mut body = None;
                for part in inner {
                    match part.as_rule() {
                        Rule::label => {
                            let l = part.into_inner().next()?;
                            label = Some(if l.as_rule() == Rule::string {
                                let s = self.string(l);
                                Ident { name: s.display(), span: s.span }
                            } else {
                                self.ident(l)
                            });
                        }
                        _ => body = Some(self.block(part)),
                    }
                }
                Entry::Nested(Nested { key, label, body: body?, span })
            }
            Rule::spread => Entry::Spread(Spread { value: self.expr(inner.next()?), span }),
            Rule::route_stmt => {
                let keyword = self.span(&inner.next()?);
                let mut paths = Vec::new();
                let mut hosts = Vec::new();
                let mut target = None;
                let mut priority = None;
                for part in inner {
                    match part.as_rule() {
                        Rule::route_cond => {
                            let c = part.into_inner().next()?;
                            match c.as_rule() {
                                Rule::host_cond => hosts.push(self.string(c.into_inner().nth(1)?)),
                                _ => paths.push(self.string(c.into_inner().next()?)),
                            }
                        }
                        Rule::expr => target = Some(self.expr(part)),
                        Rule::number => priority = Some(self.atom(part)),
                        _ => {}
                    }
                }
                Entry::Route(RouteStmt { keyword, paths, hosts, target: target?, priority, span })
            }
            Rule::step_stmt => {
                let keyword = self.span(&inner.next()?);
                let metric = self.ident(inner.next()?);
                let mut bounds = Vec::new();
                let mut evaluations = None;
                let mut period = None;
                let mut adjustment = None;
                for part in inner {
                    match part.as_rule() {
                        Rule::bound => {
                            let mut b = part.into_inner();
                            let c = b.next()?;
                            let cmp = match c.as_str() {
                                ">=" => Cmp::Ge,
                                ">" => Cmp::Gt,
                                "<=" => Cmp::Le,
                                _ => Cmp::Lt,
                            };
                            bounds.push(Bound { cmp, cmp_span: self.span(&c), value: self.atom(b.next()?) });
                        }
                        Rule::periods => {
                            for q in part.into_inner() {
                                match q.as_rule() {
                                    Rule::kw_x => {
                                        evaluations = period.take();
                                    }
                                    _ => period = Some(self.atom(q)),
                                }
                            }
                        }
                        Rule::adjustment => {
                            adjustment = Some(Adjustment { text: part.as_str().to_string(), span: self.span(&part) })
                        }
                        _ => {}
                    }
                }
                let mut bounds = bounds.into_iter();
                Entry::Step(Box::new(StepStmt {
                    keyword,
                    metric,
                    bound: bounds.next()?,
                    until: bounds.next(),
                    evaluations,
                    period,
                    adjustment: adjustment?,
                    span,
                }))
            }
            Rule::target_stmt => {
                let keyword = self.span(&inner.next()?);
                let metric = self.ident(inner.next()?);
                let value = self.atom(inner.next()?);
                Entry::Target(TargetStmt { keyword, metric, value, span })
            }
            _ => return None,
        })
    }

    fn expr(&mut self, p: Pair<Rule>) -> Expr {
        match p.as_rule() {
            Rule::expr => match p.into_inner().next() {
                Some(inner) => self.expr(inner),
                None => Expr { kind: ExprKind::Error, span: Span::default() },
            },
            _ => self.atom(p),
        }
    }

    fn atom(&mut self, p: Pair<Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::expr => return self.expr(p),
            Rule::string => ExprKind::Str(self.string(p)),
            Rule::cidr => {
                let text = p.as_str();
                if let Err(e) = Cidr::parse(text) {
                    self.diags.push(diagnostics::bad_cidr(span, text, &e.why, e.suggestion.map(|c| c.to_string())));
                }
                ExprKind::Cidr(text.to_string())
            }
            Rule::number => {
                let text = p.as_str().to_string();
                let unit = p.into_inner().next().map(|u| u.as_str().to_string());
                let digits = &text[..text.len() - unit.as_ref().map_or(0, String::len)];
                let value = digits.parse::<f64>().unwrap_or(f64::NAN);
                if !value.is_finite() || value.abs() >= 9_007_199_254_740_992.0 {
                    self.diags.push(diagnostics::bad_number(span, &text));
                    return Expr { kind: ExprKind::Error, span };
                }
                ExprKind::Number { value, text, unit }
            }
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::path => ExprKind::Path(p.into_inner().map(|i| self.ident(i)).collect()),
            Rule::call => {
                let mut inner = p.into_inner();
                let Some(name) = inner.next().map(|n| self.ident(n)) else {
                    return Expr { kind: ExprKind::Error, span };
                };
                let args = inner.map(|a| self.expr(a)).collect();
                ExprKind::Call { name, args }
            }
            Rule::record => {
                let entries = p.into_inner().filter_map(|e| self.entry(e)).collect();
                ExprKind::Record(Block { entries, span })
            }
            Rule::list => ExprKind::List(p.into_inner().map(|e| self.expr(e)).collect()),
            Rule::env_select => {
                let mut arms = Vec::new();
                for arm in p.into_inner().skip(1) {
                    let mut inner = arm.into_inner();
                    let Some(key) = inner.next() else { continue };
                    let key_span = self.span(&key);
                    let env = (key.as_rule() == Rule::ident).then(|| self.ident(key));
                    if let Some(a) = inner.next() {
                        self.check_assign(&a);
                    }
                    let Some(value) = inner.next().map(|v| self.expr(v)) else {
                        continue;
                    };
                    arms.push(EnvArm { env, key_span, value });
                }
                ExprKind::EnvSelect(arms)
            }
            _ => ExprKind::Error,
        };
        Expr { kind, span }
    }

    fn string(&mut self, p: Pair<Rule>) -> StrLit {
        let span = self.span(&p);
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, t: &str| match parts.last_mut() {
            Some(StrPart::Text(s)) => s.push_str(t),
            _ => parts.push(StrPart::Text(t.to_string())),
        };
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::chars => push_text(&mut parts, part.as_str()),
                Rule::escape => {
                    let text = part.as_str();
                    let ch = match &text[1..] {
                        "n" => Some('\n'),
                        "t" => Some('\t'),
                        "r" => Some('\r'),
                        "\"" => Some('"'),
                        "\\" => Some('\\'),
                        "$" => Some('$'),
                        s if s.starts_with("u{") => {
                            u32::from_str_radix(&s[2..s.len() - 1], 16).ok().and_then(char::from_u32)
                        }
                        _ => None,
                    };
                    match ch {
                        Some(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
                        None => {
                            let span = self.span(&part);
                            self.diags.push(diagnostics::bad_escape(span, text));
                        }
                    }
                }
                Rule::interp => {
                    let ispan = self.span(&part);
                    if let Some(path) = part.into_inner().next() {
                        parts.push(StrPart::Interp(path.into_inner().map(|i| self.ident(i)).collect(), ispan));
                    }
                }
                _ => {}
            }
        }
        StrLit { parts, span }
    }
}
