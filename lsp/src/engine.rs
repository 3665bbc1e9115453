//! The engine: documents, analyses, and one method per LSP feature. Synchronous and free
//! of JSON-RPC, so the server adapter stays thin, and free of I/O: files that are not open
//! come from the reader it is given, so it also runs in WebAssembly (fg-wasm).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use fg_check::stdlib::stdlib;
use fg_check::types::Ty;
use fg_check::{Analysis, Host, Options};
use fg_diag::{FileId, Severity, SourceFile, Span};
use fg_syntax::ast::{self, Item};
use ls_types::*;

use crate::locate::{Located, Target, field_schema, locate};

/// Reads a file that is not open in the editor (an import), or says why it cannot.
pub type ReadFile = Box<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// Diagnostics from outside the checker (policy plugins), computed from each analysis.
pub type ExtraDiagnostics = Box<dyn Fn(&Analysis) -> Vec<fg_diag::Diagnostic> + Send + Sync>;

/// Reads open documents first, then through the engine's reader, and remembers every path
/// asked for (also those that failed), so that opening or editing any of them re-analyses
/// this entry.
struct Docs<'a> {
    open: &'a HashMap<String, String>,
    read: &'a ReadFile,
    asked: std::cell::RefCell<HashSet<String>>,
}

impl Host for Docs<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        self.asked.borrow_mut().insert(path.to_string());
        if let Some(t) = self.open.get(path) {
            return Ok(t.clone());
        }
        (self.read)(path)
    }
}

pub struct Engine {
    /// Open documents by path.
    docs: HashMap<String, String>,
    /// Latest analysis per entry file.
    analyses: HashMap<String, Arc<Analysis>>,
    /// Latest analysis without syntax errors per entry file: navigation uses it while the
    /// file is broken.
    good: HashMap<String, Arc<Analysis>>,
    /// Files that had diagnostics published, per entry, to clear them later.
    published: HashMap<String, HashSet<String>>,
    /// Every path each entry's analysis read or tried to read.
    reads: HashMap<String, HashSet<String>>,
    /// Where the standard library's files are, so that go to definition can open them;
    /// `None` where there is no disk (WebAssembly).
    stdlib_dir: Option<PathBuf>,
    /// Parsed items of every analysis, so that an edit re-parses only what it touched.
    parse_cache: fg_syntax::ParseCache,
    /// Reads files that are not open.
    read: ReadFile,
    /// Run after every analysis; what it returns joins the analysis' diagnostics.
    extra: Option<ExtraDiagnostics>,
}

/// A diagnostics notification to send.
pub type Publish = (Uri, Vec<Diagnostic>);

impl Engine {
    /// An engine that reads files from the disk and writes the standard library under
    /// `stdlib_dir` for go to definition: the native language server.
    #[cfg(feature = "server")]
    pub fn new(stdlib_dir: PathBuf) -> Self {
        let _ = std::fs::create_dir_all(&stdlib_dir);
        for (path, text) in fg_check::stdlib::FILES {
            let name = path.trim_start_matches("<stdlib>/");
            let target = stdlib_dir.join(name);
            if std::fs::read_to_string(&target).ok().as_deref() != Some(*text) {
                let _ = std::fs::write(&target, text);
            }
        }
        let read: ReadFile = Box::new(|path| std::fs::read_to_string(path).map_err(|e| e.to_string().to_lowercase()));
        Engine::with_reader(read, Some(stdlib_dir))
    }

    /// An engine that reads files which are not open with `read`, and does no I/O itself.
    /// `stdlib_dir`, if given, must hold the standard library's files (go to definition
    /// points there).
    pub fn with_reader(read: ReadFile, stdlib_dir: Option<PathBuf>) -> Self {
        Engine {
            docs: HashMap::new(),
            analyses: HashMap::new(),
            good: HashMap::new(),
            published: HashMap::new(),
            reads: HashMap::new(),
            stdlib_dir,
            parse_cache: fg_syntax::ParseCache::new(),
            read,
            extra: None,
        }
    }

    /// Adds a producer of diagnostics run after every analysis (also of a file with syntax
    /// errors); they are published, offered as quick fixes and sorted with the analysis'
    /// own.
    pub fn set_extra(&mut self, f: ExtraDiagnostics) {
        self.extra = Some(f);
    }

    /// The latest analysis covering the document at `uri` (the one its diagnostics came
    /// from), if it was opened.
    pub fn analysis_of(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        self.analysis(&path_of(uri))
    }

    // ------------------------------------------------------------------ documents

    pub fn open(&mut self, uri: &Uri, text: String) -> Vec<Publish> {
        let path = path_of(uri);
        self.docs.insert(path.clone(), text);
        // Other stacks that import this file (or failed to) see the new text too.
        let mut others: Vec<String> =
            self.reads.iter().filter(|(e, r)| **e != path && r.contains(&path)).map(|(e, _)| e.clone()).collect();
        others.sort();
        let mut out = Vec::new();
        for e in &others {
            out.extend(self.reanalyze_entry(e));
        }
        if others.is_empty() {
            out.extend(self.reanalyze_entry(&path));
        } else if self.analyses.contains_key(&path) {
            // Covered by an importer now: drop the stand-alone analysis.
            self.analyses.remove(&path);
            self.good.remove(&path);
            self.reads.remove(&path);
        }
        out
    }

    pub fn change(&mut self, uri: &Uri, text: String) -> Vec<Publish> {
        self.open(uri, text)
    }

    pub fn close(&mut self, uri: &Uri) -> Vec<Publish> {
        let path = path_of(uri);
        self.docs.remove(&path);
        let mut out = Vec::new();
        if let Some(files) = self.published.remove(&path) {
            for f in files {
                out.push((self.uri_of(&f), Vec::new()));
            }
        }
        self.analyses.remove(&path);
        self.good.remove(&path);
        self.reads.remove(&path);
        out
    }

    /// The entry whose analysis covers `path`: another open file that imports it, or
    /// the file itself.
    fn entry_for(&self, path: &str) -> String {
        let mut importers: Vec<&String> =
            self.reads.iter().filter(|(entry, r)| *entry != path && r.contains(path)).map(|(entry, _)| entry).collect();
        importers.sort();
        importers.first().map_or_else(|| path.to_string(), |e| (*e).clone())
    }

    fn reanalyze_entry(&mut self, entry: &str) -> Vec<Publish> {
        let entry = entry.to_string();
        let host = Docs { open: &self.docs, read: &self.read, asked: Default::default() };
        let opts = Options { env: None, all_envs: true };
        let mut analysis = fg_check::analyze_with(&host, &entry, &opts, Some(&mut self.parse_cache));
        self.reads.insert(entry.clone(), host.asked.into_inner());
        if let Some(extra) = &self.extra {
            let more = extra(&analysis);
            if !more.is_empty() {
                analysis.diagnostics.extend(more);
                fg_diag::sort_and_dedup(&mut analysis.diagnostics);
            }
        }
        let a = Arc::new(analysis);
        let syntax_errors = a.diagnostics.iter().any(|d| d.code == fg_diag::codes::SYNTAX);
        let mut old = Vec::new();
        if !syntax_errors {
            old.extend(self.good.insert(entry.clone(), a.clone()));
        }
        old.extend(self.analyses.insert(entry.clone(), a.clone()));
        // Dropping a large analysis takes milliseconds: do it off the request path, where
        // there are threads (not in WebAssembly in a browser).
        if !old.is_empty() && !cfg!(target_arch = "wasm32") {
            std::thread::spawn(move || drop(old));
        }
        // Diagnostics per file of the analysis; files that no longer have any are cleared.
        let mut by_file: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        for (id, _) in &a.files {
            by_file.entry(a.sources.get(*id).path.clone()).or_default();
        }
        for d in &a.diagnostics {
            let file = a.sources.get(d.primary.span.file);
            if file.path.starts_with("<stdlib>") {
                continue;
            }
            by_file.entry(file.path.clone()).or_default().push(self.diagnostic(&a, d));
        }
        let previous = self.published.remove(&entry).unwrap_or_default();
        let mut out = Vec::new();
        for stale in previous.iter().filter(|p| !by_file.contains_key(*p)) {
            out.push((self.uri_of(stale), Vec::new()));
        }
        self.published.insert(entry, by_file.keys().cloned().collect());
        for (file, diags) in by_file {
            out.push((self.uri_of(&file), diags));
        }
        out
    }

    /// The analysis for a file, and whether it is the last good one (the file is broken).
    fn analysis(&self, path: &str) -> Option<Arc<Analysis>> {
        let entry = self.entry_for(path);
        self.analyses.get(&entry).cloned()
    }

    fn good_analysis(&self, path: &str) -> Option<Arc<Analysis>> {
        let entry = self.entry_for(path);
        self.good.get(&entry).or_else(|| self.analyses.get(&entry)).cloned()
    }

    // ------------------------------------------------------------------ conversions

    fn uri_of(&self, path: &str) -> Uri {
        if let Some(name) = path.strip_prefix("<stdlib>/") {
            return match &self.stdlib_dir {
                Some(dir) => Uri::from_file_path(dir.join(name)).unwrap_or_else(|| fallback_uri(path)),
                None => Uri::from_str(&format!("fgc-stdlib:{name}")).unwrap_or_else(|_| fallback_uri(path)),
            };
        }
        if Path::new(path).is_absolute() {
            return Uri::from_file_path(path).unwrap_or_else(|| fallback_uri(path));
        }
        Uri::from_str(path).unwrap_or_else(|_| fallback_uri(path))
    }

    fn range(&self, src: &SourceFile, span: Span) -> Range {
        let (sl, sc) = src.utf16_position(span.start as usize);
        let (el, ec) = src.utf16_position(span.end as usize);
        Range { start: Position { line: sl, character: sc }, end: Position { line: el, character: ec } }
    }

    fn location(&self, a: &Analysis, span: Span) -> Location {
        let f = a.sources.get(span.file);
        Location { uri: self.uri_of(&f.path), range: self.range(f, span) }
    }

    fn diagnostic(&self, a: &Analysis, d: &fg_diag::Diagnostic) -> Diagnostic {
        let file = a.sources.get(d.primary.span.file);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let related: Vec<DiagnosticRelatedInformation> = d
            .secondary
            .iter()
            .map(|l| DiagnosticRelatedInformation { location: self.location(a, l.span), message: l.message.clone() })
            .collect();
        Diagnostic {
            range: self.range(file, d.primary.span),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.0.to_string())),
            source: Some("fgc".into()),
            message,
            related_information: if related.is_empty() { None } else { Some(related) },
            ..Default::default()
        }
    }

    /// The file id, parsed file and source of `path` in an analysis.
    fn file_of<'a>(&self, a: &'a Analysis, path: &str) -> Option<(FileId, &'a ast::File, &'a SourceFile)> {
        a.files.iter().find(|(id, _)| a.sources.get(*id).path == path).map(|(id, f)| (*id, f, a.sources.get(*id)))
    }

    /// What is at a position, in the last good analysis.
    fn at(&self, uri: &Uri, pos: Position) -> Option<(Arc<Analysis>, FileId, Located)> {
        let path = path_of(uri);
        let a = self.good_analysis(&path)?;
        let (id, file, src) = self.file_of(&a, &path)?;
        let offset = src.offset_of_utf16(pos.line, pos.character);
        let lets = crate::locate::let_schemas(a.files.iter().map(|(_, f)| f));
        let located = locate(file, offset, &lets)?;
        Some((a.clone(), id, located))
    }

    // ------------------------------------------------------------------ hover

    pub fn hover(&self, uri: &Uri, pos: Position) -> Option<Hover> {
        let (a, id, loc) = self.at(uri, pos)?;
        let lib = stdlib();
        let text = match &loc.target {
            Target::Kind { kind } => {
                let s = lib.schema(kind)?;
                format!("```fg\nkind {}\n```\n{}", s.name, s.docs.join("\n"))
            }
            Target::Field { schema, field } => {
                let s = lib.schema(schema)?;
                let f = s.field(field)?;
                let mut t =
                    format!("```fg\n{}: {}{}\n```\n{}", f.name, f.ty.name(), default_text(f), f.docs.join("\n"));
                if let Some(v) = self.resolved(&a, id, loc.span, schema, field) {
                    t.push_str(&format!("\n\n**Resolved:** {v}"));
                }
                t
            }
            Target::DeclName { name } => self.describe_decl(&a, name)?,
            Target::Name { name, attr, schema, field } => {
                if a.decls.iter().any(|d| &d.name == name) {
                    let mut t = self.describe_decl(&a, name)?;
                    if let Some(attr) = attr
                        && let Some(kind) = a.decls.iter().find(|d| &d.name == name).map(|d| d.kind.clone())
                        && let Some(out) = lib.schema(&kind).and_then(|s| s.field(attr))
                    {
                        t = format!("```fg\n{name}.{attr}: {}\n```\n{}", out.ty.name(), out.docs.join("\n"));
                    }
                    t
                } else {
                    let (schema, field) = (schema.as_deref()?, field.as_deref()?);
                    let ty = &lib.schema(schema)?.field(field)?.ty;
                    let e = enum_of(ty)?;
                    let def = lib.enums.get(&e)?;
                    let (_, docs, _) = def.variants.iter().find(|(n, ..)| n == name)?;
                    format!("```fg\n{e}.{name}\n```\n{}", docs.join("\n"))
                }
            }
        };
        let src = a.sources.get(id);
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
            range: Some(self.range(src, loc.span)),
        })
    }

    fn describe_decl(&self, a: &Analysis, name: &str) -> Option<String> {
        let d = a.decls.iter().find(|d| d.name == name)?;
        let mut t = format!("```fg\n{} {}\n```\n", d.kind, d.name);
        // A declaration the parser could not read has no checked model to describe.
        let describable = match d.kind.as_str() {
            "service" => m_has(a, |m| m.service(name).is_some()),
            "network" => m_has(a, |m| m.network(name).is_some()),
            "balancer" => m_has(a, |m| m.balancers.iter().any(|b| b.name == name)),
            "database" => m_has(a, |m| m.database(name).is_some()),
            "api" => m_has(a, |m| m.apis.iter().any(|x| x.name == name)),
            "repository" => m_has(a, |m| m.repositories.iter().any(|x| x.name == name)),
            "policy" => m_has(a, |m| m.policies.iter().any(|x| x.name == name)),
            _ => true,
        };
        if !describable {
            t.push_str("(not checked: fix the syntax errors in this declaration)");
            return Some(t);
        }
        if !d.docs.is_empty() {
            t.push_str(&d.docs.join("\n"));
            t.push_str("\n\n");
        }
        let m = &a.model;
        match d.kind.as_str() {
            "service" => {
                let s = m.service(name)?;
                t.push_str(&format!(
                    "`{}`: {} CPU, {}{}, {} task{}",
                    s.aws_name,
                    s.cpu,
                    fg_check::aws::fmt_mib(s.memory_mib),
                    if s.memory_derived { " (derived)" } else { "" },
                    s.count,
                    if s.count == 1 { "" } else { "s" }
                ));
                if let Some(sc) = &s.scale {
                    t.push_str(&format!(", scaling {}–{}", sc.min, sc.max));
                }
            }
            "network" => {
                let n = m.network(name)?;
                let cidrs = |v: &[fg_syntax::lit::Cidr]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
                t.push_str(&format!(
                    "VPC `{}` over {} zones\n\npublic: {}\n\nprivate: {}",
                    n.cidr,
                    n.zone_count(),
                    cidrs(&n.public_subnets),
                    cidrs(&n.private_subnets)
                ));
            }
            "balancer" => {
                let b = m.balancers.iter().find(|b| b.name == name)?;
                t.push_str(&format!("`{}`, {}", b.aws_name, if b.internal { "internal" } else { "internet-facing" }));
            }
            "database" => {
                let db = m.database(name)?;
                t.push_str(&format!("`{}`: {} {} on {}", db.aws_name, db.engine.as_str(), db.version, db.class));
            }
            "api" => {
                let x = m.apis.iter().find(|x| x.name == name)?;
                let stage = if x.stage == "$default" { "the root".to_string() } else { format!("stage `{}`", x.stage) };
                t.push_str(&format!(
                    "HTTP API `{}` at {stage}, through a VPC link to balancer `{}`\n\n",
                    x.aws_name, x.balancer
                ));
                for r in &x.routes {
                    t.push_str(&format!("- `{}` → `{}` (port {})\n", r.key, r.service, r.port));
                }
                match (&x.jwt, x.iam_auth) {
                    (Some(j), _) => {
                        t.push_str(&format!("\ncallers send a JWT from `{}` in `{}`\n", j.issuer, j.header))
                    }
                    (None, true) => t.push_str("\ncallers sign requests with AWS credentials (IAM)\n"),
                    (None, false) => {}
                }
                if let Some(c) = &x.cors {
                    t.push_str(&format!("\nCORS for {}\n", ticked(&c.origins)));
                }
            }
            "repository" => {
                let x = m.repositories.iter().find(|x| x.name == name)?;
                t.push_str(&format!(
                    "ECR `{}`: keeps {} images, tags {}{}",
                    x.aws_name,
                    x.keep,
                    if x.immutable { "immutable" } else { "mutable" },
                    if x.scan_on_push { ", scanned on push" } else { "" }
                ));
            }
            "policy" => {
                let x = m.policies.iter().find(|x| x.name == name)?;
                let config: Vec<&String> = x.config.fields.iter().map(|f| &f.key).collect();
                t.push_str(&format!(
                    "WebAssembly policy `{}`: its errors {}; at most {} million instructions and {} per run",
                    x.source,
                    if x.deny { "fail `check`, `build` and `apply`" } else { "are reported as warnings" },
                    x.fuel / 1_000_000,
                    fg_check::aws::fmt_mib((x.memory >> 20) as u32),
                ));
                if !config.is_empty() {
                    t.push_str(&format!("\n\nconfig: {}", ticked(config)));
                }
            }
            _ => {}
        }
        Some(t)
    }

    /// The effective value of a field where fgc derives it.
    fn resolved(&self, a: &Analysis, file: FileId, at: Span, schema: &str, field: &str) -> Option<String> {
        let decl = a.decls.iter().find(|d| d.span.file == file && d.span.start <= at.start && at.end <= d.span.end)?;
        let m = &a.model;
        match (schema, field) {
            ("service", "memory") => m.service(&decl.name).map(|s| fg_check::aws::fmt_mib(s.memory_mib)),
            ("service", "cpu") => m.service(&decl.name).map(|s| format!("{} units", s.cpu)),
            ("service", "count") => m.service(&decl.name).map(|s| s.count.to_string()),
            ("network", "public_subnets" | "private_subnets" | "cidr" | "zones" | "subnet_bits") => {
                let n = m.network(&decl.name)?;
                Some(format!("public {}; private {}", ticked(&n.public_subnets), ticked(&n.private_subnets)))
            }
            ("balancer", "name") => {
                m.balancers.iter().find(|b| b.name == decl.name).map(|b| format!("`{}`", b.aws_name))
            }
            _ => None,
        }
    }

    // ------------------------------------------------------------------ navigation

    pub fn definition(&self, uri: &Uri, pos: Position) -> Option<Location> {
        let (a, _, loc) = self.at(uri, pos)?;
        let lib = stdlib();
        let lib_location = |span: Span| {
            let f = &lib.files[span.file.0 as usize];
            Location { uri: self.uri_of(&f.path), range: self.range(f, span) }
        };
        match &loc.target {
            Target::Kind { kind } => Some(lib_location(lib.schema(kind)?.span)),
            Target::Field { schema, field } => Some(lib_location(lib.schema(schema)?.field(field)?.span)),
            Target::DeclName { name } | Target::Name { name, .. } => {
                if let Some(d) = a.decls.iter().find(|d| &d.name == name) {
                    return Some(self.location(&a, d.name_span));
                }
                if let Target::Name { schema: Some(s), field: Some(f), .. } = &loc.target {
                    let e = enum_of(&lib.schema(s)?.field(f)?.ty)?;
                    let (.., span) = lib.enums.get(&e)?.variants.iter().find(|(n, ..)| n == name)?;
                    return Some(lib_location(*span));
                }
                None
            }
        }
    }

    /// Every occurrence of the declaration or `let` at the position: its name and its uses.
    fn occurrences(&self, uri: &Uri, pos: Position) -> Option<(Arc<Analysis>, String, Vec<Span>)> {
        let (a, _, loc) = self.at(uri, pos)?;
        let name = match &loc.target {
            Target::DeclName { name } | Target::Name { name, .. } => name.clone(),
            _ => return None,
        };
        let d = a.decls.iter().find(|d| d.name == name)?;
        let mut spans = vec![d.name_span];
        spans.extend(a.uses.iter().filter(|u| u.target == name).map(|u| u.span));
        spans.sort();
        spans.dedup();
        Some((a, name, spans))
    }

    pub fn references(&self, uri: &Uri, pos: Position, include_declaration: bool) -> Vec<Location> {
        let Some((a, name, spans)) = self.occurrences(uri, pos) else { return Vec::new() };
        let decl = a.decls.iter().find(|d| d.name == name).map(|d| d.name_span);
        spans.into_iter().filter(|s| include_declaration || Some(*s) != decl).map(|s| self.location(&a, s)).collect()
    }

    pub fn prepare_rename(&self, uri: &Uri, pos: Position) -> Option<PrepareRenameResponse> {
        let (a, _, loc) = self.at(uri, pos)?;
        match &loc.target {
            Target::DeclName { name } | Target::Name { name, .. } if a.decls.iter().any(|d| &d.name == name) => {
                Some(PrepareRenameResponse::Range(self.range(a.sources.get(loc.span.file), loc.span)))
            }
            _ => None,
        }
    }

    pub fn rename(&self, uri: &Uri, pos: Position, new_name: &str) -> Result<Option<WorkspaceEdit>, String> {
        let valid = new_name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !new_name.ends_with('-');
        if !valid {
            return Err(format!(
                "`{new_name}` is not a valid name: letters, digits, `_` and `-`, starting with a letter"
            ));
        }
        let Some((a, name, spans)) = self.occurrences(uri, pos) else { return Ok(None) };
        if a.decls.iter().any(|d| d.name == new_name) && new_name != name {
            return Err(format!("`{new_name}` is already declared"));
        }
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for s in spans {
            let l = self.location(&a, s);
            changes.entry(l.uri).or_default().push(TextEdit { range: l.range, new_text: new_name.to_string() });
        }
        Ok(Some(WorkspaceEdit { changes: Some(changes), ..Default::default() }))
    }

    // ------------------------------------------------------------------ symbols

    #[allow(deprecated)] // `DocumentSymbol::deprecated` must be set, though deprecated.
    pub fn document_symbols(&self, uri: &Uri) -> Vec<DocumentSymbol> {
        let path = path_of(uri);
        let Some(a) = self.good_analysis(&path) else { return Vec::new() };
        let Some((_, file, src)) = self.file_of(&a, &path) else { return Vec::new() };
        let mut out = Vec::new();
        for item in &file.items {
            let (name, detail, kind, sel, children) = match item {
                Item::App(app) => (
                    app.name.display(),
                    "app".to_string(),
                    SymbolKind::MODULE,
                    app.name.span,
                    self.children(src, &app.body),
                ),
                Item::Let(l) => (l.name.name.clone(), "let".into(), SymbolKind::VARIABLE, l.name.span, Vec::new()),
                Item::Decl(d) => (
                    d.name.name.clone(),
                    d.kind.name.clone(),
                    symbol_kind(&d.kind.name),
                    d.name.span,
                    self.children(src, &d.body),
                ),
                Item::Import(i) => (i.path.display(), "import".into(), SymbolKind::FILE, i.path.span, Vec::new()),
                Item::Schema(s) => (s.name.name.clone(), "kind".into(), SymbolKind::STRUCT, s.name.span, Vec::new()),
                Item::Enum(e) => (e.name.name.clone(), "enum".into(), SymbolKind::ENUM, e.name.span, Vec::new()),
            };
            out.push(DocumentSymbol {
                name,
                detail: Some(detail),
                kind,
                tags: None,
                deprecated: None,
                range: self.range(src, item.span()),
                selection_range: self.range(src, sel),
                children: if children.is_empty() { None } else { Some(children) },
            });
        }
        out
    }

    #[allow(deprecated)]
    fn children(&self, src: &SourceFile, b: &ast::Block) -> Vec<DocumentSymbol> {
        b.entries
            .iter()
            .filter_map(|e| {
                let (name, kind, sel) = match e {
                    ast::Entry::Nested(n) => {
                        let name = match &n.label {
                            Some(l) => format!("{} {}", n.key.name, l.name),
                            None => n.key.name.clone(),
                        };
                        (name, SymbolKind::OBJECT, n.key.span)
                    }
                    ast::Entry::Route(r) => {
                        let target = src.slice(r.target.span).to_string();
                        let paths: Vec<String> = r.paths.iter().chain(&r.hosts).map(|p| p.display()).collect();
                        (format!("route {} -> {target}", paths.join(" ")), SymbolKind::EVENT, r.keyword)
                    }
                    _ => return None,
                };
                let children = match e {
                    ast::Entry::Nested(n) => self.children(src, &n.body),
                    _ => Vec::new(),
                };
                Some(DocumentSymbol {
                    name,
                    detail: None,
                    kind,
                    tags: None,
                    deprecated: None,
                    range: self.range(src, e.span()),
                    selection_range: self.range(src, sel),
                    children: if children.is_empty() { None } else { Some(children) },
                })
            })
            .collect()
    }

    #[allow(deprecated)]
    pub fn workspace_symbols(&self, query: &str) -> Vec<SymbolInformation> {
        let q = query.to_ascii_lowercase();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut entries: Vec<&String> = self.good.keys().collect();
        entries.sort();
        for e in entries {
            let a = &self.good[e];
            for d in &a.decls {
                if !d.name.to_ascii_lowercase().contains(&q)
                    || !seen.insert((d.name_span.file.0, d.name.clone(), a.sources.get(d.name_span.file).path.clone()))
                {
                    continue;
                }
                out.push(SymbolInformation {
                    name: d.name.clone(),
                    kind: symbol_kind(&d.kind),
                    tags: None,
                    deprecated: None,
                    location: self.location(a, d.name_span),
                    container_name: Some(d.kind.clone()),
                });
            }
        }
        out
    }

    // ------------------------------------------------------------------ tokens, format

    pub fn semantic_tokens(&self, uri: &Uri) -> Option<SemanticTokens> {
        let path = path_of(uri);
        let text = self.docs.get(&path)?;
        let parsed = fg_syntax::parse(FileId(0), text);
        let src = SourceFile::new(path.clone(), text.clone());
        let a = self.good_analysis(&path);
        let names: HashSet<String> = a.map(|a| a.decls.iter().map(|d| d.name.clone()).collect()).unwrap_or_default();
        let data = crate::tokens::encode(&src, &parsed.file, &|n| names.contains(n) || n == "env" || n == "app");
        let tokens = data
            .chunks(5)
            .map(|c| SemanticToken {
                delta_line: c[0],
                delta_start: c[1],
                length: c[2],
                token_type: c[3],
                token_modifiers_bitset: c[4],
            })
            .collect();
        Some(SemanticTokens { result_id: None, data: tokens })
    }

    pub fn formatting(&self, uri: &Uri) -> Option<Vec<TextEdit>> {
        let text = self.docs.get(&path_of(uri))?;
        let formatted = fg_fmt::format(text).ok()?;
        if &formatted == text {
            return Some(Vec::new());
        }
        let src = SourceFile::new("", text.clone());
        let end = src.utf16_position(text.len());
        Some(vec![TextEdit {
            range: Range { start: Position { line: 0, character: 0 }, end: Position { line: end.0, character: end.1 } },
            new_text: formatted,
        }])
    }

    // ------------------------------------------------------------------ code actions, hints

    /// Quick fixes for the diagnostics touching `range`: the fixes the checker attached.
    pub fn code_actions(&self, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
        let path = path_of(uri);
        let Some(a) = self.analysis(&path) else { return Vec::new() };
        let mut out = Vec::new();
        for d in &a.diagnostics {
            let f = a.sources.get(d.primary.span.file);
            if f.path != path {
                continue;
            }
            let r = self.range(f, d.primary.span);
            if r.end < range.start || range.end < r.start {
                continue;
            }
            for fix in &d.fixes {
                let edit = TextEdit { range: self.range(f, fix.span), new_text: fix.replacement.clone() };
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![self.diagnostic(&a, d)]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                        ..Default::default()
                    }),
                    is_preferred: Some(d.fixes.len() == 1),
                    ..Default::default()
                }));
            }
        }
        out
    }

    /// Defaults and derived values shown inline: a service's effective size and count, a
    /// network's subnets, a route's priority.
    pub fn inlay_hints(&self, uri: &Uri, range: Range) -> Vec<InlayHint> {
        let path = path_of(uri);
        let Some(a) = self.good_analysis(&path) else { return Vec::new() };
        let Some((_, file, src)) = self.file_of(&a, &path) else { return Vec::new() };
        let mut out = Vec::new();
        let mut hint = |offset: usize, label: String| {
            let (line, character) = src.utf16_position(offset);
            let position = Position { line, character };
            if position >= range.start && position <= range.end {
                out.push(InlayHint {
                    position,
                    label: InlayHintLabel::String(label),
                    kind: Some(InlayHintKind::TYPE),
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(true),
                    padding_right: None,
                    data: None,
                });
            }
        };
        for item in &file.items {
            let Item::Decl(d) = item else { continue };
            let open = d.body.span.start as usize + 1;
            let written = |key: &str| {
                d.body.entries.iter().any(|e| {
                    matches!(e, ast::Entry::Attr(x) if x.key.name == key) || matches!(e, ast::Entry::Spread(_))
                })
            };
            match d.kind.name.as_str() {
                "service" => {
                    if let Some(s) = a.model.service(&d.name.name) {
                        let mut parts = Vec::new();
                        if !written("cpu") {
                            parts.push(format!("cpu {}", s.cpu));
                        }
                        if !written("memory") {
                            parts.push(format!("memory {}", fg_check::aws::fmt_mib(s.memory_mib)));
                        }
                        if !written("count") {
                            parts.push(format!("count {}", s.count));
                        }
                        if !parts.is_empty() {
                            hint(open, parts.join(", "));
                        }
                    }
                }
                "network" => {
                    if let Some(n) = a.model.network(&d.name.name)
                        && n.derived_subnets
                    {
                        let list =
                            |v: &[fg_syntax::lit::Cidr]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
                        hint(
                            open,
                            format!("public {} · private {}", list(&n.public_subnets), list(&n.private_subnets)),
                        );
                    }
                }
                "balancer" => {
                    if let Some(b) = a.model.balancers.iter().find(|b| b.name == d.name.name) {
                        for (entry, listener) in d
                            .body
                            .entries
                            .iter()
                            .filter(|e| matches!(e, ast::Entry::Nested(n) if n.key.name == "listener"))
                            .zip(&b.listeners)
                        {
                            let ast::Entry::Nested(n) = entry else { continue };
                            let routes = n.body.entries.iter().filter_map(|e| match e {
                                ast::Entry::Route(r) => Some(r),
                                _ => None,
                            });
                            for (r, mr) in routes.zip(&listener.routes) {
                                if r.priority.is_none() {
                                    hint(r.span.end as usize, format!("priority {}", mr.priority));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    // ------------------------------------------------------------------ completion

    /// Completion from the text around the cursor, so that it works in unfinished blocks:
    /// the enclosing blocks are found by scanning back over brackets.
    pub fn completion(&self, uri: &Uri, pos: Position) -> Vec<CompletionItem> {
        let path = path_of(uri);
        let Some(text) = self.docs.get(&path) else { return Vec::new() };
        let src = SourceFile::new("", text.clone());
        let offset = src.offset_of_utf16(pos.line, pos.character);
        let before = &text[..offset];
        let line = before.rsplit('\n').next().unwrap_or("");
        let names: Vec<(String, String)> = self
            .good_analysis(&path)
            .map(|a| a.decls.iter().map(|d| (d.name.clone(), d.kind.clone())).collect())
            .unwrap_or_default();
        let schema = enclosing_schema(before);
        let lib = stdlib();
        let trimmed = line.trim_start();
        // After `route … ->`: services.
        if trimmed.starts_with("route") && trimmed.contains("->") {
            return refs(&names, "service");
        }
        // After a number: units.
        if let Some(unit_of) = number_before(line)
            && let Some((_, field)) = attribute(line)
            && let Some(ty) =
                schema.as_deref().and_then(|s| lib.schema(s)).and_then(|s| s.field(&field)).map(|f| f.ty.clone())
        {
            let units: &[&str] = match ty {
                Ty::Size => &["MiB", "GiB", "TiB"],
                Ty::Duration => &["s", "m", "h", "d"],
                Ty::Percent => &["%"],
                Ty::Cpu => &["vcpu"],
                _ => &[],
            };
            return units
                .iter()
                .map(|u| CompletionItem {
                    label: format!("{unit_of}{u}"),
                    kind: Some(CompletionItemKind::UNIT),
                    insert_text: Some((*u).to_string()),
                    ..Default::default()
                })
                .collect();
        }
        // After `key =`: values of the field's type.
        if let Some((_, field)) = attribute(line) {
            let Some(f) = schema.as_deref().and_then(|s| lib.schema(s)).and_then(|s| s.field(&field)) else {
                return Vec::new();
            };
            return value_items(&f.ty, &names);
        }
        // Otherwise: the fields of the enclosing block not yet written, or declarations.
        match schema {
            Some(s) => {
                let Some(sch) = lib.schema(&s) else { return Vec::new() };
                let written = written_keys(before);
                let statements = [
                    ("routes", "route", "route \"${1:/*}\" -> ${2:service}", "Send matching requests to a service"),
                    ("targets", "target", "target ${1:cpu} ${2:70%}", "Target tracking: keep a metric near a value"),
                    (
                        "steps",
                        "step",
                        "step ${1:cpu} >= ${2:80%} for ${3:60s} => ${4:+1}",
                        "Step scaling from an alarm",
                    ),
                ];
                let stmt_items = statements.iter().filter(|(field, ..)| sch.field(field).is_some()).map(
                    |(_, label, snippet, doc)| CompletionItem {
                        label: (*label).to_string(),
                        kind: Some(CompletionItemKind::KEYWORD),
                        detail: Some("statement".into()),
                        documentation: Some(Documentation::String((*doc).to_string())),
                        insert_text: Some((*snippet).to_string()),
                        insert_text_format: Some(InsertTextFormat::SNIPPET),
                        ..Default::default()
                    },
                );
                let is_statement = |name: &str| statements.iter().any(|(f, ..)| *f == name);
                sch.inputs()
                    .filter(|f| !written.contains(&f.name) && !is_statement(&f.name))
                    .map(|f| {
                        let snippet = match &f.ty {
                            Ty::Schema(_) => format!("{} {{\n\t$0\n}}", f.name),
                            Ty::Blocks(_) => format!("{} ${{1:name}} {{\n\t$0\n}}", f.name),
                            _ => format!("{} = $0", f.name),
                        };
                        CompletionItem {
                            label: f.name.clone(),
                            kind: Some(CompletionItemKind::FIELD),
                            detail: Some(format!("{}{}", f.ty.name(), default_text(f))),
                            documentation: Some(Documentation::MarkupContent(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: f.docs.join("\n"),
                            })),
                            insert_text: Some(snippet),
                            insert_text_format: Some(InsertTextFormat::SNIPPET),
                            ..Default::default()
                        }
                    })
                    .chain(stmt_items)
                    .collect()
            }
            None => lib
                .kinds()
                .map(|k| CompletionItem {
                    label: k.name.clone(),
                    kind: Some(CompletionItemKind::KEYWORD),
                    detail: Some("declaration".into()),
                    documentation: Some(Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: k.docs.join("\n"),
                    })),
                    insert_text: Some(format!("{} ${{1:name}} {{\n\t$0\n}}", k.name)),
                    insert_text_format: Some(InsertTextFormat::SNIPPET),
                    ..Default::default()
                })
                .chain(["app", "let", "import"].iter().map(|k| CompletionItem {
                    label: (*k).to_string(),
                    kind: Some(CompletionItemKind::KEYWORD),
                    ..Default::default()
                }))
                .collect(),
        }
    }
}

fn m_has(a: &Analysis, f: impl Fn(&fg_check::Model) -> bool) -> bool {
    f(&a.model)
}

fn fallback_uri(path: &str) -> Uri {
    Uri::from_str(&format!("file:///{}", path.trim_start_matches('/')))
        .unwrap_or_else(|_| Uri::from_str("file:///unknown").unwrap_or_else(|_| unreachable!("a valid URI literal")))
}

/// The path a URI stands for (or the URI itself for unsaved documents).
pub fn path_of(uri: &Uri) -> String {
    uri.to_file_path().map_or_else(|| uri.as_str().to_string(), |p| p.to_string_lossy().to_string())
}

fn symbol_kind(kind: &str) -> SymbolKind {
    match kind {
        "service" => SymbolKind::CLASS,
        "network" => SymbolKind::NAMESPACE,
        "balancer" => SymbolKind::INTERFACE,
        "database" => SymbolKind::STRUCT,
        "api" => SymbolKind::INTERFACE,
        "repository" => SymbolKind::PACKAGE,
        "policy" => SymbolKind::EVENT,
        _ => SymbolKind::VARIABLE,
    }
}

fn default_text(f: &fg_check::types::FieldDef) -> String {
    match &f.default {
        Some(v) => format!(" = {}", value_text(v)),
        None if f.optional => "?".into(),
        None => String::new(),
    }
}

fn value_text(v: &fg_check::value::Value) -> String {
    use fg_check::value::V;
    match &v.kind {
        V::Str(s) => format!("\"{s}\""),
        V::Number { value, unit } => format!("{}{}", fg_check::eval::fmt_num(*value), unit.as_deref().unwrap_or("")),
        V::Bool(b) => b.to_string(),
        V::Cidr(c) => c.to_string(),
        V::Word(w) => w.clone(),
        V::List(xs) => format!("[{}]", xs.iter().map(value_text).collect::<Vec<_>>().join(", ")),
        V::Record(r) if r.fields.is_empty() => "{}".into(),
        _ => "…".into(),
    }
}

fn enum_of(ty: &Ty) -> Option<String> {
    match ty {
        Ty::Enum(e) => Some(e.clone()),
        Ty::List(t) => enum_of(t),
        Ty::Union(ts) => ts.iter().find_map(enum_of),
        _ => None,
    }
}

fn refs(names: &[(String, String)], kind: &str) -> Vec<CompletionItem> {
    names
        .iter()
        .filter(|(_, k)| k == kind)
        .map(|(n, k)| CompletionItem {
            label: n.clone(),
            kind: Some(CompletionItemKind::REFERENCE),
            detail: Some(k.clone()),
            ..Default::default()
        })
        .collect()
}

fn value_items(ty: &Ty, names: &[(String, String)]) -> Vec<CompletionItem> {
    let lib = stdlib();
    match ty {
        Ty::Enum(e) => lib
            .enums
            .get(e)
            .map(|def| {
                def.variants
                    .iter()
                    .map(|(n, docs, _)| CompletionItem {
                        label: n.clone(),
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        detail: Some(e.clone()),
                        documentation: Some(Documentation::String(docs.join("\n"))),
                        ..Default::default()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Ty::Ref(k) => refs(names, k),
        Ty::List(t) => value_items(t, names),
        Ty::Union(ts) => ts.iter().flat_map(|t| value_items(t, names)).collect(),
        Ty::Bool => ["true", "false"]
            .iter()
            .map(|b| CompletionItem { label: (*b).into(), kind: Some(CompletionItemKind::VALUE), ..Default::default() })
            .collect(),
        Ty::Action => calls(&["forward($1)", "respond(${1:404}, \"${2:Not Found}\")", "redirect(\"$1\")"])
            .chain(refs(names, "service"))
            .collect(),
        Ty::Secret => calls(&["ssm(\"$1\")", "secret(\"$1\")"]).collect(),
        _ => Vec::new(),
    }
}

/// Function-call snippets, labelled with the function's name.
fn calls<'a>(snippets: &'a [&'a str]) -> impl Iterator<Item = CompletionItem> + 'a {
    snippets.iter().map(|s| CompletionItem {
        label: s.split('(').next().unwrap_or("").to_string(),
        kind: Some(CompletionItemKind::FUNCTION),
        insert_text: Some((*s).to_string()),
        insert_text_format: Some(InsertTextFormat::SNIPPET),
        ..Default::default()
    })
}

/// `key = …` on the line before the cursor: (indent, key).
fn attribute(line: &str) -> Option<(usize, String)> {
    let trimmed = line.trim_start();
    let (key, rest) = trimmed.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') || rest.contains('{') {
        return None;
    }
    Some((line.len() - trimmed.len(), key.to_string()))
}

/// The number right before the cursor, if the line ends in one (`memory = 512`).
fn number_before(line: &str) -> Option<String> {
    let digits: String = line.chars().rev().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits.chars().rev().collect())
}

/// Keys already written in the innermost open block before the cursor.
fn written_keys(before: &str) -> HashSet<String> {
    let mut depth = 0i32;
    let mut keys = HashSet::new();
    for line in before.lines().rev() {
        let t = line.trim();
        depth += t.matches('}').count() as i32 - t.matches('{').count() as i32;
        if depth < 0 {
            break;
        }
        if depth == 0
            && let Some(key) = t.split(['=', ' ', '{']).next()
            && !key.is_empty()
        {
            keys.insert(key.to_string());
        }
    }
    keys
}

/// The schema of the innermost block the cursor is in, from the text before it: the
/// opener of each unclosed `{` (`service web {`, `health {`, `listener https {`,
/// `key = {`) resolved from the declaration down.
fn enclosing_schema(before: &str) -> Option<String> {
    // (opener text, indentation of its line)
    let mut openers: Vec<(String, usize)> = Vec::new();
    let bytes = before.as_bytes();
    let mut i = 0;
    let mut line_start = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' || c == b'\n' {
                in_string = false;
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'\n' => {
                    line_start = i + 1;
                    // A block left open is closed by a line indented no deeper than the
                    // line that opened it (a forgotten `}` while typing).
                    let next = &before[line_start..];
                    let indent = next.len() - next.trim_start_matches([' ', '\t']).len();
                    let content = next.trim_start_matches([' ', '\t']);
                    if !content.is_empty()
                        && !content.starts_with('}')
                        && content.contains(|c: char| !c.is_whitespace())
                    {
                        while openers.last().is_some_and(|(_, open_indent)| indent <= *open_indent) {
                            openers.pop();
                        }
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    line_start = i + 1;
                }
                b'{' => {
                    let head = before[line_start..i].trim();
                    // On one line, several blocks may open: take the text since the last
                    // `{` or `,`.
                    let head = head.rsplit([',', '{']).next().unwrap_or(head).trim();
                    let line = &before[line_start..];
                    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
                    openers.push((head.to_string(), indent));
                }
                b'}' => {
                    openers.pop();
                }
                _ => {}
            }
        }
        i += 1;
    }
    let mut schema: Option<String> = None;
    for (k, (head, _)) in openers.iter().enumerate() {
        let words: Vec<&str> = head.split_whitespace().collect();
        if k == 0 {
            schema = match words.as_slice() {
                ["app", ..] => Some("app".into()),
                [kind, _name] if stdlib().schema(kind).is_some() => Some((*kind).to_string()),
                ["let", ..] => None,
                _ => None,
            };
            continue;
        }
        let current = schema.clone()?;
        let key = words.first().map(|w| w.trim_end_matches('=').trim()).unwrap_or("");
        if key == "env" {
            continue;
        }
        schema = field_schema(&current, key);
    }
    schema
}

/// Items in backticks, joined by commas: `` `a`, `b` ``.
fn ticked<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_through_its_reader_and_publishes_extra_diagnostics() {
        let read: ReadFile = Box::new(|path| match path {
            "/w/base.fg" => Ok("let base = {\n  cpu = 256\n  memory = 512MiB\n}\n".into()),
            _ => Err("no such file".into()),
        });
        let mut engine = Engine::with_reader(read, None);
        engine.set_extra(Box::new(|a| {
            a.decls
                .iter()
                .filter(|d| d.kind == "service")
                .map(|d| fg_diag::Diagnostic::warning(fg_diag::codes::SYNTAX, d.name_span, "a policy finding", "here"))
                .collect()
        }));
        let uri = Uri::from_str("file:///w/main.fg").expect("a URI");
        let text = "import \"./base.fg\"\n\napp \"x\" { region = \"eu-west-1\" }\n\nnetwork main {}\n\nservice web {\n  ...base\n  image = \"nginx\"\n}\n";
        let published = engine.open(&uri, text.into());
        let diags: Vec<&Diagnostic> = published.iter().filter(|(u, _)| *u == uri).flat_map(|(_, d)| d).collect();
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["a policy finding"]);
        assert_eq!(diags[0].range.start, Position { line: 6, character: 8 });
        assert_eq!(engine.analysis_of(&uri).map(|a| a.diagnostics.len()), Some(1));
    }

    #[test]
    fn schema_from_text() {
        assert_eq!(enclosing_schema("service web {\n  health {\n    pa"), Some("health_check".into()));
        assert_eq!(enclosing_schema("balancer b {\n  listener https {\n"), Some("listener".into()));
        assert_eq!(enclosing_schema("service web {\n  scale { min = 1, "), Some("scaling".into()));
        assert_eq!(enclosing_schema("service web { health { path = \"{\" }\n  "), Some("service".into()));
        assert_eq!(enclosing_schema("let x = {\n"), None);
        assert_eq!(enclosing_schema(""), None);
    }
}
