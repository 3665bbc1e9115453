//! The `.fg` formatter: one canonical layout, with comments and blank-line groups kept.
//!
//! Layout: two-space indentation; one entry per line in a multi-line block, with the `=`
//! of consecutive single-line attributes aligned (as `terraform fmt` does); a block,
//! record, list or `env { … }` written on one line stays on one line if it has no comments
//! and fits in [`MAX_WIDTH`] columns; at most one blank line between entries and items,
//! kept where the source had one; strings, numbers and CIDR blocks exactly as written.
//!
//! Comments are not in the syntax tree, so they are scanned from the source and emitted
//! at the position of the next construct that follows them (or at the end of the line of
//! the construct they follow). The formatter checks its own output: it refuses (returns
//! an error) when the result would not parse to the same tree or would drop a comment.
//!
//! It formats only files that parse without errors, and does no I/O.

use fg_diag::FileId;
use fg_syntax::ast::*;

/// The widest a one-line construct may be.
pub const MAX_WIDTH: usize = 100;

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file has syntax errors; fix them first.
    Syntax(usize),
    /// The formatter would have changed the meaning or dropped a comment: a bug, reported
    /// rather than written.
    Unsafe(String),
}

/// Formats a file. `Ok` holds the formatted text (equal to the input if it was formatted).
pub fn format(source: &str) -> Result<String, FormatError> {
    let parsed = fg_syntax::parse(FileId(0), source);
    if !parsed.diagnostics.is_empty() {
        return Err(FormatError::Syntax(parsed.diagnostics.len()));
    }
    let comments = scan_comments(source);
    let mut p = Printer { src: source, comments: &comments, next: 0 };
    let out = p.file(&parsed.file);
    // Never change meaning, never lose a comment.
    let reparsed = fg_syntax::parse(FileId(0), &out);
    if !reparsed.diagnostics.is_empty() {
        return Err(FormatError::Unsafe(format!("the output does not parse: {}", reparsed.diagnostics[0].message)));
    }
    if shape(&reparsed.file) != shape(&parsed.file) {
        return Err(FormatError::Unsafe("the output parses to a different tree".into()));
    }
    let before: Vec<&str> = comments.iter().map(|c| c.text.trim_end()).collect();
    let after_comments = scan_comments(&out);
    let after: Vec<&str> = after_comments.iter().map(|c| c.text.trim_end()).collect();
    if before != after {
        return Err(FormatError::Unsafe("a comment would be lost or moved out of order".into()));
    }
    Ok(out)
}

/// The syntax tree without spans, for "the tree before and after is equal".
pub fn shape(file: &File) -> String {
    let debug = format!("{file:?}");
    // Every span prints as `Span { file: FileId(N), start: N, end: N }`.
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    while let Some(i) = rest.find("Span { file: ") {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        rest = &rest[i..];
        rest = rest.find('}').map_or("", |j| &rest[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// A comment in the source.
#[derive(Debug, Clone)]
struct Comment {
    start: usize,
    end: usize,
    text: String,
}

/// All comments of the source, with their text.
fn scan_comments(src: &str) -> Vec<Comment> {
    fg_syntax::lex::comments(src)
        .into_iter()
        .map(|r| Comment { start: r.start, end: r.end, text: src[r].to_string() })
        .collect()
}

struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The next comment not yet emitted.
    next: usize,
}

/// One rendered entry of a multi-line block, before alignment.
struct Line {
    /// Own-line comments before it, and whether a blank line precedes them.
    leading: Vec<String>,
    blank_before: bool,
    /// For a single-line attribute: its key, aligned with its neighbours.
    key: Option<String>,
    /// The rest (`= value` for attributes, the whole entry otherwise).
    body: String,
    /// A comment on the same line, after the entry.
    trailing: Option<String>,
}

fn pad(indent: usize) -> String {
    "  ".repeat(indent)
}

impl Printer<'_> {
    fn text(&self, start: u32, end: u32) -> &str {
        self.src.get(start as usize..end as usize).unwrap_or("")
    }

    fn has_blank_line(&self, from: usize, to: usize) -> bool {
        let gap = self.src.get(from..to).unwrap_or("");
        let mut newlines = 0;
        for c in gap.chars() {
            match c {
                '\n' => {
                    newlines += 1;
                    if newlines >= 2 {
                        return true;
                    }
                }
                c if c.is_whitespace() => {}
                _ => newlines = 0,
            }
        }
        false
    }

    /// Own-line comments before `pos`, as (blank line before the first, lines).
    fn leading(&mut self, from: usize, pos: usize) -> (bool, Vec<String>) {
        let mut lines = Vec::new();
        let mut last = from;
        let mut blank_first = None;
        while let Some(c) = self.comments.get(self.next).filter(|c| c.start < pos) {
            let blank = self.has_blank_line(last, c.start);
            if blank_first.is_none() {
                blank_first = Some(blank);
            } else if blank {
                lines.push(String::new());
            }
            lines.push(c.text.trim_end().to_string());
            last = c.end;
            self.next += 1;
        }
        let blank_after = self.has_blank_line(last, pos);
        if !lines.is_empty() && blank_after {
            lines.push(String::new());
        }
        let blank = blank_first.unwrap_or(blank_after);
        (blank, lines)
    }

    /// Own-line comments before the closing bracket at `end`, one per line at `indent`.
    fn closing_comments(&mut self, out: &mut String, last: usize, end: usize, indent: usize) {
        let (_, lines) = self.leading(last, end);
        for c in lines.iter().filter(|c| !c.is_empty()) {
            out.push_str(&pad(indent));
            out.push_str(c);
            out.push('\n');
        }
    }

    /// The one-line members of a schema or enum, each with its leading comments (blank
    /// lines kept) and trailing comment, then the closing brace. `render` prints member `k`
    /// starting at the given column and returns its text and where it ends in the source.
    fn members(
        &mut self,
        mut out: String,
        from: usize,
        close: usize,
        starts: &[usize],
        mut render: impl FnMut(&mut Self, usize, usize) -> (String, usize),
    ) -> String {
        let mut last = from;
        for (k, &start) in starts.iter().enumerate() {
            let (blank, lines) = self.leading(last, start);
            if k > 0 && blank {
                out.push('\n');
            }
            for l in lines {
                if !l.is_empty() {
                    out.push_str(&pad(1));
                    out.push_str(&l);
                }
                out.push('\n');
            }
            out.push_str(&pad(1));
            let (text, end) = render(self, k, pad(1).len());
            out.push_str(&text);
            if let Some(t) = self.trailing(end) {
                out.push(' ');
                out.push_str(&t);
            }
            out.push('\n');
            last = end;
        }
        self.closing_comments(&mut out, last, close, 1);
        out.push('}');
        out
    }

    /// A comment on the same line right after `end`.
    ///
    /// Comments left inside the construct (between its tokens, where nothing prints them)
    /// come first: printing them after it keeps every comment and gives the same layout on
    /// the next pass. A line comment can only come last on a line, so with more than one
    /// they are left to be printed before the next construct.
    fn trailing(&mut self, end: usize) -> Option<String> {
        let mut inside: Vec<&Comment> = self.comments[self.next..].iter().take_while(|c| c.start < end).collect();
        let line_comments = inside.iter().filter(|c| c.text.starts_with("//")).count();
        let multiline = inside.iter().any(|c| c.text.contains('\n'));
        if line_comments > 1
            || multiline
            || (line_comments == 1 && !inside.last().is_some_and(|c| c.text.starts_with("//")))
        {
            inside.clear();
        }
        let mut parts: Vec<String> = inside.iter().map(|c| c.text.trim_end().to_string()).collect();
        // Then every comment on the same line after it (a line comment ends the line).
        let mut from = end;
        while !parts.last().is_some_and(|p| p.starts_with("//"))
            && let Some(c) = self.comments.get(self.next + parts.len())
            && let Some(between) = self.src.get(from..c.start)
            && !between.contains('\n')
            && between.trim().trim_matches(',').trim().is_empty()
            && !c.text.contains('\n')
        {
            parts.push(c.text.trim_end().to_string());
            from = c.end;
        }
        self.next += parts.len();
        if parts.is_empty() { None } else { Some(parts.join(" ")) }
    }

    /// True if a comment lies inside `start..end`.
    fn comment_within(&self, start: usize, end: usize) -> bool {
        self.comments[self.next..].iter().any(|c| c.start >= start && c.start < end)
    }

    fn single_line_in_source(&self, start: u32, end: u32) -> bool {
        !self.text(start, end).contains('\n')
    }

    // ------------------------------------------------------------------ items

    fn file(&mut self, f: &File) -> String {
        let mut out = String::new();
        let mut last = 0usize;
        let let_widths = self.let_widths(f);
        for (k, item) in f.items.iter().enumerate() {
            let span = item.span();
            let start = item_start(item, span.start as usize);
            let (blank, lines) = self.leading(last, start);
            if k > 0 {
                out.push('\n');
                if blank {
                    out.push('\n');
                }
            } else if !lines.is_empty() && lines.first().is_some_and(String::is_empty) {
                // No blank line at the top of a file.
            }
            for l in &lines {
                out.push_str(l);
                out.push('\n');
            }
            let body = match item {
                Item::Let(l) => {
                    let width = let_widths[k].max(l.name.name.len());
                    let value = self.expr(&l.value, 0, 7 + width);
                    format!("let {:<width$} = {value}", l.name.name)
                }
                _ => self.item(item),
            };
            out.push_str(&body);
            if let Some(t) = self.trailing(span.end as usize) {
                out.push(' ');
                out.push_str(&t);
            }
            last = span.end as usize;
        }
        // Comments after the last item.
        let (blank, lines) = self.leading(last, self.src.len() + 1);
        if !lines.is_empty() {
            if !out.is_empty() {
                out.push('\n');
                if blank {
                    out.push('\n');
                }
            }
            let lines: Vec<&String> = lines.iter().collect();
            let trimmed: Vec<&String> = {
                let mut v = lines;
                while v.last().is_some_and(|l| l.is_empty()) {
                    v.pop();
                }
                v
            };
            out.push_str(&trimmed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"));
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    /// For each item, the width its `let` name is padded to: runs of one-line `let`s with
    /// no blank line or comment between them are aligned like attributes.
    fn let_widths(&self, f: &File) -> Vec<usize> {
        let mut widths = vec![0; f.items.len()];
        // Whether the `let` prints on one line: that depends on its value (records and
        // lists keep their source layout), not on where the source broke its lines.
        let one_line = |i: &Item| match i {
            Item::Let(l) => match &l.value.kind {
                ExprKind::Record(_) | ExprKind::List(_) | ExprKind::EnvSelect(_) => {
                    !self.text(l.value.span.start, l.value.span.end).contains('\n')
                }
                _ => true,
            },
            _ => false,
        };
        let mut k = 0;
        while k < f.items.len() {
            if !one_line(&f.items[k]) {
                k += 1;
                continue;
            }
            let mut j = k + 1;
            while j < f.items.len() && one_line(&f.items[j]) {
                let gap_from = f.items[j - 1].span().end as usize;
                let gap_to = f.items[j].span().start as usize;
                // Only a comment on a line of its own splits a run; one trailing the previous
                // `let` does not.
                let gap = self.src.get(gap_from..gap_to).unwrap_or("");
                let own_line_comment =
                    gap.split_once('\n').is_some_and(|(_, rest)| rest.contains("//") || rest.contains("/*"));
                if self.has_blank_line(gap_from, gap_to) || own_line_comment {
                    break;
                }
                j += 1;
            }
            let w = f.items[k..j]
                .iter()
                .filter_map(|i| match i {
                    Item::Let(l) => Some(l.name.name.len()),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            for width in &mut widths[k..j] {
                *width = w;
            }
            k = j;
        }
        widths
    }

    fn item(&mut self, item: &Item) -> String {
        match item {
            Item::Import(i) => format!("import {}", self.text(i.path.span.start, i.path.span.end)),
            Item::App(a) => {
                let name = self.text(a.name.span.start, a.name.span.end).to_string();
                format!("app {name} {}", self.block(&a.body, 0, 4 + name.len() + 1))
            }
            Item::Let(l) => format!("let {} = {}", l.name.name, self.expr(&l.value, 0, 7 + l.name.name.len())),
            Item::Decl(d) => {
                let head = format!("{} {} ", d.kind.name, d.name.name);
                let col = head.len();
                format!("{head}{}", self.block(&d.body, 0, col))
            }
            Item::Schema(s) => self.schema(s),
            Item::Enum(e) => self.enumeration(e),
        }
    }

    fn schema(&mut self, s: &SchemaDecl) -> String {
        let head = format!("{} {} {{\n", if s.is_kind { "kind" } else { "schema" }, s.name.name);
        // A field's span includes its doc comments, which are emitted as comments: start
        // at its `out` keyword or name.
        let starts: Vec<usize> = s
            .fields
            .iter()
            .map(|f| {
                let name_start = f.name.span.start as usize;
                if f.out { self.src[..name_start].rfind("out").unwrap_or(name_start) } else { name_start }
            })
            .collect();
        self.members(head, s.name.span.end as usize, s.span.end as usize - 1, &starts, |p, k, col| {
            let f = &s.fields[k];
            let mut text = format!("{}{}: {}", if f.out { "out " } else { "" }, f.name.name, type_expr(&f.ty));
            if let Some(d) = &f.default {
                text.push_str(" = ");
                let value = p.expr(d, 1, col + text.len());
                text.push_str(&value);
            }
            (text, f.default.as_ref().map_or(f.ty.span.end, |d| d.span.end) as usize)
        })
    }

    fn enumeration(&mut self, e: &EnumDecl) -> String {
        let head = format!("enum {} {{\n", e.name.name);
        let starts: Vec<usize> = e.variants.iter().map(|v| v.name.span.start as usize).collect();
        self.members(head, e.name.span.end as usize, e.span.end as usize - 1, &starts, |_, k, _| {
            let v = &e.variants[k];
            (v.name.name.clone(), v.name.span.end as usize)
        })
    }

    // ------------------------------------------------------------------ blocks

    /// A `{ … }` body at `indent`, starting at column `col`.
    fn block(&mut self, b: &Block, indent: usize, col: usize) -> String {
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        if b.entries.is_empty() {
            let (_, lines) = self.leading(start, end);
            if lines.iter().all(String::is_empty) {
                return "{}".into();
            }
            let mut out = String::from("{\n");
            for l in lines.iter().filter(|l| !l.is_empty()) {
                out.push_str(&pad(indent + 1));
                out.push_str(l);
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push('}');
            return out;
        }
        if self.single_line_in_source(b.span.start, b.span.end) && !self.comment_within(start, end) {
            let saved = self.next;
            let parts: Vec<String> = b.entries.iter().map(|e| self.entry(e, indent + 1, 0)).collect();
            let line = format!("{{ {} }}", parts.join(", "));
            if !line.contains('\n') && col + line.len() <= MAX_WIDTH {
                return line;
            }
            self.next = saved;
        }
        let mut lines: Vec<Line> = Vec::new();
        let mut last = start + 1;
        for e in &b.entries {
            let span = e.span();
            let (blank, leading) = self.leading(last, span.start as usize);
            let (key, body) = match e {
                Entry::Attr(a) => {
                    let key = self.text(a.key.span.start, a.key.span.end).to_string();
                    let value = self.expr(&a.value, indent + 1, pad(indent + 1).len() + key.len() + 3);
                    (Some(key), value)
                }
                _ => (None, self.entry(e, indent + 1, pad(indent + 1).len())),
            };
            let trailing = self.trailing(span.end as usize);
            lines.push(Line { leading, blank_before: blank, key, body, trailing });
            last = span.end as usize;
        }
        let (_, closing) = self.leading(last, end.saturating_sub(1));
        // Align the `=` of runs of single-line attributes.
        let mut widths = vec![0usize; lines.len()];
        let mut k = 0;
        while k < lines.len() {
            let aligned = |l: &Line| l.key.is_some() && !l.body.contains('\n');
            if !aligned(&lines[k]) {
                k += 1;
                continue;
            }
            let mut j = k;
            while j < lines.len()
                && aligned(&lines[j])
                && (j == k || (!lines[j].blank_before && lines[j].leading.is_empty()))
            {
                j += 1;
            }
            let w = lines[k..j].iter().filter_map(|l| l.key.as_ref().map(|key| key.chars().count())).max().unwrap_or(0);
            for width in &mut widths[k..j] {
                *width = w;
            }
            k = j;
        }
        let mut out = String::from("{\n");
        for (n, l) in lines.iter().enumerate() {
            if n > 0 && l.blank_before {
                out.push('\n');
            }
            for c in &l.leading {
                if !c.is_empty() {
                    out.push_str(&pad(indent + 1));
                    out.push_str(c);
                }
                out.push('\n');
            }
            out.push_str(&pad(indent + 1));
            match &l.key {
                Some(key) => {
                    out.push_str(key);
                    let w = widths[n].max(key.chars().count());
                    out.extend(std::iter::repeat_n(' ', w - key.chars().count()));
                    out.push_str(" = ");
                    out.push_str(&l.body);
                }
                None => out.push_str(&l.body),
            }
            if let Some(t) = &l.trailing {
                out.push(' ');
                out.push_str(t);
            }
            out.push('\n');
        }
        for c in closing.iter().filter(|c| !c.is_empty()) {
            out.push_str(&pad(indent + 1));
            out.push_str(c);
            out.push('\n');
        }
        out.push_str(&pad(indent));
        out.push('}');
        out
    }

    /// One entry, rendered at `indent` (for its nested blocks), starting at column `col`.
    fn entry(&mut self, e: &Entry, indent: usize, col: usize) -> String {
        match e {
            Entry::Attr(a) => {
                let key = self.text(a.key.span.start, a.key.span.end).to_string();
                let value = self.expr(&a.value, indent, col + key.len() + 3);
                format!("{key} = {value}")
            }
            Entry::Nested(n) => {
                let mut head = n.key.name.clone();
                if let Some(l) = &n.label {
                    head.push(' ');
                    head.push_str(self.text(l.span.start, l.span.end));
                }
                let body = self.block(&n.body, indent, col + head.len() + 1);
                format!("{head} {body}")
            }
            Entry::Spread(s) => format!("...{}", self.expr(&s.value, indent, col + 3)),
            Entry::Route(r) => {
                let mut out = String::from("route");
                for p in &r.paths {
                    out.push(' ');
                    out.push_str(self.text(p.span.start, p.span.end));
                }
                for h in &r.hosts {
                    out.push_str(" host ");
                    out.push_str(self.text(h.span.start, h.span.end));
                }
                out.push_str(" -> ");
                out.push_str(&self.expr(&r.target, indent, col));
                if let Some(p) = &r.priority {
                    out.push_str(" priority ");
                    out.push_str(&self.expr(p, indent, col));
                }
                out
            }
            Entry::Step(s) => {
                let mut out = format!(
                    "step {} {} {}",
                    s.metric.name,
                    s.bound.cmp.as_str(),
                    self.expr(&s.bound.value, indent, col)
                );
                if let Some(u) = &s.until {
                    out.push_str(&format!(" {} {}", u.cmp.as_str(), self.expr(&u.value, indent, col)));
                }
                if let Some(p) = &s.period {
                    out.push_str(" for ");
                    if let Some(e) = &s.evaluations {
                        out.push_str(&self.expr(e, indent, col));
                        out.push_str(" x ");
                    }
                    out.push_str(&self.expr(p, indent, col));
                }
                out.push_str(" => ");
                out.push_str(&s.adjustment.text);
                out
            }
            Entry::Target(t) => format!("target {} {}", t.metric.name, self.expr(&t.value, indent, col)),
        }
    }

    // ------------------------------------------------------------------ expressions

    /// An expression whose nested lines are at `indent`, starting at column `col`.
    fn expr(&mut self, e: &Expr, indent: usize, col: usize) -> String {
        match &e.kind {
            ExprKind::Str(s) => self.text(s.span.start, s.span.end).to_string(),
            ExprKind::Number { text, .. } => text.clone(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Cidr(t) => t.clone(),
            ExprKind::Path(p) => p.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("."),
            ExprKind::Call { name, args } => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, indent, col)).collect();
                format!("{}({})", name.name, args.join(", "))
            }
            ExprKind::Record(b) => self.block(b, indent, col),
            ExprKind::List(xs) => self.list(e, xs, indent, col),
            ExprKind::EnvSelect(arms) => self.env_select(e, arms, indent, col),
            ExprKind::Error => self.text(e.span.start, e.span.end).to_string(),
        }
    }

    fn list(&mut self, e: &Expr, xs: &[Expr], indent: usize, col: usize) -> String {
        if xs.is_empty() {
            return "[]".into();
        }
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        if self.single_line_in_source(e.span.start, e.span.end) && !self.comment_within(start, end) {
            let saved = self.next;
            let parts: Vec<String> = xs.iter().map(|x| self.expr(x, indent + 1, 0)).collect();
            let line = format!("[{}]", parts.join(", "));
            if !line.contains('\n') && col + line.len() <= MAX_WIDTH {
                return line;
            }
            self.next = saved;
        }
        let mut out = String::from("[\n");
        let mut last = start + 1;
        for x in xs {
            let (blank, leading) = self.leading(last, x.span.start as usize);
            if blank && last != start + 1 {
                out.push('\n');
            }
            for c in leading.iter().filter(|c| !c.is_empty()) {
                out.push_str(&pad(indent + 1));
                out.push_str(c);
                out.push('\n');
            }
            out.push_str(&pad(indent + 1));
            out.push_str(&self.expr(x, indent + 1, pad(indent + 1).len()));
            out.push(',');
            if let Some(t) = self.trailing(x.span.end as usize) {
                out.push(' ');
                out.push_str(&t);
            }
            out.push('\n');
            last = x.span.end as usize;
        }
        self.closing_comments(&mut out, last, end.saturating_sub(1), indent + 1);
        out.push_str(&pad(indent));
        out.push(']');
        out
    }

    fn env_select(&mut self, e: &Expr, arms: &[EnvArm], indent: usize, col: usize) -> String {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        let key = |a: &EnvArm| a.env.as_ref().map_or("_".to_string(), |i| i.name.clone());
        if self.single_line_in_source(e.span.start, e.span.end) && !self.comment_within(start, end) {
            let saved = self.next;
            let parts: Vec<String> =
                arms.iter().map(|a| format!("{} = {}", key(a), self.expr(&a.value, indent + 1, 0))).collect();
            let line = if parts.is_empty() { "env {}".to_string() } else { format!("env {{ {} }}", parts.join(", ")) };
            if !line.contains('\n') && col + line.len() <= MAX_WIDTH {
                return line;
            }
            self.next = saved;
        }
        let width = arms.iter().map(|a| key(a).len()).max().unwrap_or(0);
        let mut out = String::from("env {\n");
        let mut last = start;
        for a in arms {
            let (blank, leading) = self.leading(last, a.key_span.start as usize);
            if blank && last != start {
                out.push('\n');
            }
            for c in leading.iter().filter(|c| !c.is_empty()) {
                out.push_str(&pad(indent + 1));
                out.push_str(c);
                out.push('\n');
            }
            let k = key(a);
            out.push_str(&pad(indent + 1));
            out.push_str(&format!("{k:<width$} = "));
            out.push_str(&self.expr(&a.value, indent + 1, pad(indent + 1).len() + width + 3));
            if let Some(t) = self.trailing(a.value.span.end as usize) {
                out.push(' ');
                out.push_str(&t);
            }
            out.push('\n');
            last = a.value.span.end as usize;
        }
        self.closing_comments(&mut out, last, end.saturating_sub(1), indent + 1);
        out.push_str(&pad(indent));
        out.push('}');
        out
    }
}

/// Where an item's own text starts: after its doc comments, which are emitted as comments.
fn item_start(item: &Item, span_start: usize) -> usize {
    match item {
        Item::App(a) => a.keyword.start as usize,
        Item::Let(l) => l.name.span.start.saturating_sub(4) as usize,
        Item::Decl(d) => d.kind.span.start as usize,
        Item::Schema(s) => s.name.span.start as usize,
        Item::Enum(e) => e.name.span.start as usize,
        Item::Import(_) => span_start,
    }
}

fn type_expr(t: &TypeExpr) -> String {
    let alts: Vec<String> = t
        .alternatives
        .iter()
        .map(|a| match &a.arg {
            Some(arg) => format!("{}<{}>", a.name.name, type_expr(arg)),
            None => a.name.name.clone(),
        })
        .collect();
    format!("{}{}", alts.join(" | "), if t.optional { "?" } else { "" })
}

#[cfg(test)]
mod tests;
