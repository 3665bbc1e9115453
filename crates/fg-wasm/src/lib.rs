//! fgc for JavaScript: the compiler core built for `wasm32-unknown-unknown` with
//! wasm-bindgen, for the playground (`editors/playground`) and any other page or tool.
//!
//! The API is plain Rust here, returning serialisable results, so that it is tested
//! natively; `bindings` (compiled for wasm32 only) hands those results to JavaScript as
//! objects described by the hand-written TypeScript types in `bindings.rs`. One-shot
//! functions ([`check`], [`build`], [`format`], [`graph`], [`hover`], [`complete`]) take
//! the source of `main.fg` and optionally other files it imports; a [`Session`] keeps an
//! editor's state between keystrokes, so that an edit re-parses only the items it touched.
//!
//! What it deliberately does not do: any I/O (imports come from the `files` given), run
//! policy plugins (wasmtime), talk to AWS, or use threads or an async runtime. CI checks
//! with `cargo tree` that wasmtime, tokio and the AWS SDK stay out of its dependencies.

#[cfg(target_arch = "wasm32")]
mod bindings;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use fg_check::{Analysis, Host, MemoryHost, Options};
use fg_diag::{SourceMap, Span};
use fg_lsp::Engine;
use fg_lsp::ls_types::{CompletionItem, HoverContents, Position, Uri};
use serde::Serialize;

/// The name the edited source has; imports are resolved relative to it.
pub const ENTRY: &str = "main.fg";

/// Other files by path relative to [`ENTRY`] (`"shared.fg"`, `"lib/base.fg"`).
pub type Files = BTreeMap<String, String>;

/// A position as editors count it: 0-based line, UTF-16 code units into the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pos {
    pub line: u32,
    pub character: u32,
}

/// A span of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    /// The file's path (`main.fg` or a key of the files given).
    pub file: String,
    pub from: Pos,
    pub to: Pos,
}

/// A secondary label: another place the diagnostic points at.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub message: String,
    pub range: Range,
}

/// A machine-applicable fix: replace `range` with `replacement`.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub title: String,
    pub replacement: String,
    pub range: Range,
}

/// One diagnostic, as `fgc check --format json` gives it plus editor positions.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// The stable code, `FG0302`.
    pub code: String,
    /// `"error"` or `"warning"`.
    pub severity: &'static str,
    pub message: String,
    /// What is at the primary span.
    pub label: String,
    pub help: Option<String>,
    /// 1-based line and column of the start, for people.
    pub line: u32,
    pub column: u32,
    pub range: Range,
    pub labels: Vec<Label>,
    pub fixes: Vec<Fix>,
}

/// The result of checking: every diagnostic of every environment.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub errors: usize,
    pub warnings: usize,
}

/// One generated Terraform file.
#[derive(Debug, Clone, Serialize)]
pub struct TfFile {
    pub name: String,
    pub text: String,
}

/// The result of building: the diagnostics of the environment built and, when there are
/// no errors, its Terraform files and IR.
#[derive(Debug, Serialize)]
pub struct Built {
    pub diagnostics: Vec<Diagnostic>,
    pub errors: usize,
    pub warnings: usize,
    /// The environment built.
    pub env: String,
    pub terraform: Vec<TfFile>,
    pub ir: Option<fg_ir::Ir>,
}

/// The result of drawing: the diagnostics and, when there are no errors, the SVG.
#[derive(Debug, Clone, Serialize)]
pub struct Drawn {
    pub diagnostics: Vec<Diagnostic>,
    pub errors: usize,
    pub warnings: usize,
    pub svg: Option<String>,
}

/// The result of formatting: the formatted text, or why the file was not formatted.
#[derive(Debug, Clone, Serialize)]
pub struct Formatted {
    pub text: Option<String>,
    pub error: Option<String>,
}

/// Hover documentation (Markdown) and the span it is about.
#[derive(Debug, Clone, Serialize)]
pub struct Hover {
    pub markdown: String,
    pub from: Option<Pos>,
    pub to: Option<Pos>,
}

/// The diagram's level, as `fgc graph --level` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Architecture,
    Resources,
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "architecture" => Ok(Level::Architecture),
            "resources" => Ok(Level::Resources),
            other => Err(format!("unknown level `{other}`: architecture or resources")),
        }
    }
}

/// Checks `source` (as `main.fg`) in every environment it declares, as `fgc check` does.
pub fn check(source: &str, files: &Files) -> Checked {
    let a = analyze(source, files, &Options { env: None, all_envs: true });
    checked(&a)
}

/// Checks `source` for `env` (the app's first environment when `None`) and, when it has
/// no errors, lowers it to the IR and emits its Terraform, as `fgc build` does.
pub fn build(source: &str, files: &Files, env: Option<&str>) -> Built {
    let a = analyze(source, files, &Options { env: env.map(str::to_string), all_envs: false });
    let c = checked(&a);
    let (terraform, ir) = if a.has_errors() {
        (Vec::new(), None)
    } else {
        let ir = fg_ir::lower(&a.model, &a.sources);
        let tf = fg_terraform::emit(&ir).into_iter().map(|f| TfFile { name: f.name, text: f.text }).collect();
        (tf, Some(ir))
    };
    Built { diagnostics: c.diagnostics, errors: c.errors, warnings: c.warnings, env: a.env, terraform, ir }
}

/// Draws `source` for `env` as SVG, as `fgc graph` does; nothing when it has errors.
pub fn graph(source: &str, files: &Files, env: Option<&str>, level: Level) -> Drawn {
    let a = analyze(source, files, &Options { env: env.map(str::to_string), all_envs: false });
    let c = checked(&a);
    let svg = (!a.has_errors()).then(|| {
        let ir = fg_ir::lower(&a.model, &a.sources);
        let level = match level {
            Level::Architecture => fg_graph::Level::Architecture,
            Level::Resources => fg_graph::Level::Resources,
        };
        fg_graph::render(&a.model, &ir, fg_graph::Format::Svg, level)
    });
    Drawn { diagnostics: c.diagnostics, errors: c.errors, warnings: c.warnings, svg }
}

/// Formats `source`, as `fgc fmt` does.
pub fn format(source: &str) -> Formatted {
    match fg_fmt::format(source) {
        Ok(text) => Formatted { text: Some(text), error: None },
        Err(fg_fmt::FormatError::Syntax(n)) => {
            Formatted { text: None, error: Some(format!("the file has {n} syntax error(s); fix them first")) }
        }
        Err(fg_fmt::FormatError::Unsafe(why)) => {
            Formatted { text: None, error: Some(format!("not formatted: {why} (please report this)")) }
        }
    }
}

/// Hover documentation at a position of `source`.
pub fn hover(source: &str, files: &Files, at: Pos) -> Option<Hover> {
    let mut s = Session::new(files.clone());
    s.update(source);
    s.hover(at)
}

/// Completions at a position of `source`.
pub fn complete(source: &str, files: &Files, at: Pos) -> Vec<CompletionItem> {
    let mut s = Session::new(files.clone());
    s.update(source);
    s.complete(at)
}

/// An editor's state: the language server's engine with one open document, `main.fg`.
pub struct Session {
    engine: Engine,
    uri: Uri,
}

impl Session {
    /// A session whose document may import `files`.
    pub fn new(files: Files) -> Self {
        let files = Arc::new(files);
        // The engine asks for paths as it resolves them against `/main.fg`.
        let read = Box::new(move |path: &str| {
            files.get(path.trim_start_matches('/')).cloned().ok_or_else(|| "no such file".to_string())
        });
        let uri = Uri::from_str(&format!("file:///{ENTRY}")).unwrap_or_else(|_| unreachable!("a valid URI literal"));
        Session { engine: Engine::with_reader(read, None), uri }
    }

    /// Replaces the document's text and checks it in every environment.
    pub fn update(&mut self, source: &str) -> Checked {
        self.engine.change(&self.uri, source.to_string());
        match self.engine.analysis_of(&self.uri) {
            Some(a) => checked(&a),
            None => Checked { diagnostics: Vec::new(), errors: 0, warnings: 0 },
        }
    }

    /// Hover documentation at a position of the document.
    pub fn hover(&self, at: Pos) -> Option<Hover> {
        let h = self.engine.hover(&self.uri, Position { line: at.line, character: at.character })?;
        let markdown = match h.contents {
            HoverContents::Markup(m) => m.value,
            HoverContents::Scalar(s) => marked(s),
            HoverContents::Array(xs) => xs.into_iter().map(marked).collect::<Vec<_>>().join("\n\n"),
        };
        let pos = |p: Position| Pos { line: p.line, character: p.character };
        Some(Hover { markdown, from: h.range.map(|r| pos(r.start)), to: h.range.map(|r| pos(r.end)) })
    }

    /// Completions at a position of the document, as the language server gives them.
    pub fn complete(&self, at: Pos) -> Vec<CompletionItem> {
        self.engine.completion(&self.uri, Position { line: at.line, character: at.character })
    }
}

fn marked(s: fg_lsp::ls_types::MarkedString) -> String {
    match s {
        fg_lsp::ls_types::MarkedString::String(s) => s,
        fg_lsp::ls_types::MarkedString::LanguageString(l) => format!("```{}\n{}\n```", l.language, l.value),
    }
}

fn analyze(source: &str, files: &Files, opts: &Options) -> Analysis {
    struct Sources<'a>(&'a str, MemoryHost);
    impl Host for Sources<'_> {
        fn read(&self, path: &str) -> Result<String, String> {
            if path == ENTRY { Ok(self.0.to_string()) } else { self.1.read(path) }
        }
    }
    let mut host = MemoryHost::new();
    for (path, text) in files {
        host.files.insert(path.trim_start_matches("./").to_string(), text.clone());
    }
    fg_check::analyze(&Sources(source, host), ENTRY, opts)
}

fn checked(a: &Analysis) -> Checked {
    let diagnostics: Vec<Diagnostic> = a
        .diagnostics
        .iter()
        .filter(|d| !a.sources.get(d.primary.span.file).path.starts_with("<stdlib>"))
        .map(|d| diagnostic(&a.sources, d))
        .collect();
    let errors = diagnostics.iter().filter(|d| d.severity == "error").count();
    let warnings = diagnostics.len() - errors;
    Checked { diagnostics, errors, warnings }
}

fn range(sources: &SourceMap, span: Span) -> Range {
    let f = sources.get(span.file);
    let (sl, sc) = f.utf16_position(span.start as usize);
    let (el, ec) = f.utf16_position(span.end as usize);
    Range {
        file: f.path.trim_start_matches('/').to_string(),
        from: Pos { line: sl, character: sc },
        to: Pos { line: el, character: ec },
    }
}

fn diagnostic(sources: &SourceMap, d: &fg_diag::Diagnostic) -> Diagnostic {
    let start = sources.get(d.primary.span.file).line_col(d.primary.span.start as usize);
    Diagnostic {
        code: d.code.0.to_string(),
        severity: d.severity.as_str(),
        message: d.message.clone(),
        label: d.primary.message.clone(),
        help: d.help.clone(),
        line: start.line,
        column: start.col,
        range: range(sources, d.primary.span),
        labels: d
            .secondary
            .iter()
            .map(|l| Label { message: l.message.clone(), range: range(sources, l.span) })
            .collect(),
        fixes: d
            .fixes
            .iter()
            .map(|f| Fix { title: f.title.clone(), replacement: f.replacement.clone(), range: range(sources, f.span) })
            .collect(),
    }
}
