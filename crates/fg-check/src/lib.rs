//! The checker: from parsed `.fg` files to a checked [`Model`] and diagnostics.
//!
//! ```text
//!  files (via Host) ──parse──▶ ASTs ──collect──▶ names ──evaluate (per env)──▶ values
//!       ──type-check against stdlib schemas──▶ typed records ──build + AWS rules──▶ Model
//! ```
//!
//! Files come in through the [`Host`] trait, so the CLI reads the disk and the language
//! server serves its open buffers; this crate does no I/O. Every stage reports into the
//! same list of diagnostics and carries on, so one run reports every error it can find.
//!
//! It deliberately knows nothing about Terraform, the AWS API or rendering.

pub mod aws;
mod build;
pub mod diagnostics;
pub mod eval;
pub mod image;
pub mod model;
pub mod stdlib;
pub mod typeck;
pub mod types;
pub mod value;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use fg_diag::{Diagnostic, FileId, SourceFile, SourceMap, Span, did_you_mean};
use fg_syntax::ast::{self, Item};

pub use build::{CheckedDecl, target_group_names};
pub use eval::Use;
pub use model::Model;

use crate::diagnostics as d;
use crate::eval::{Binding, Evaluator};
use crate::stdlib::stdlib;
use crate::typeck::Typeck;
use crate::value::{Record, V};

/// Where source files come from. The CLI reads the disk; the language server answers
/// from open editor buffers first.
pub trait Host {
    /// The text of the file at `path`, or why it cannot be read.
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Which environments to analyse.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Build for this environment; the app's first when `None`.
    pub env: Option<String>,
    /// Check every declared environment (diagnostics are merged; the model is the
    /// selected environment's).
    pub all_envs: bool,
}

/// A declaration, for navigation.
#[derive(Debug, Clone)]
pub struct DeclInfo {
    pub kind: String,
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub docs: Vec<String>,
}

/// Everything one analysis produced.
#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceMap,
    /// The parsed user files, in load order (entry first).
    pub files: Vec<(FileId, ast::File)>,
    pub diagnostics: Vec<Diagnostic>,
    pub model: Model,
    /// The environment the model was built for.
    pub env: String,
    /// The model of every environment checked (all of them with `all_envs`), in the
    /// app's order; policies run over each.
    pub models: Vec<Model>,
    /// Declarations and `let`s of the stack.
    pub decls: Vec<DeclInfo>,
    /// Every use of a declaration or `let` name.
    pub uses: Vec<Use>,
    /// The checked bodies of declarations, for hover and inlay hints.
    pub checked: Vec<CheckedDecl>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Normalises `base/../x` without touching the disk.
pub fn resolve_import(importer: &str, import: &str) -> String {
    let base = Path::new(importer).parent().unwrap_or(Path::new(""));
    let joined = if Path::new(import).is_absolute() { PathBuf::from(import) } else { base.join(import) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out.to_string_lossy().replace('\\', "/")
}

/// Parses and checks the stack whose entry file is `entry`.
pub fn analyze(host: &dyn Host, entry: &str, opts: &Options) -> Analysis {
    analyze_with(host, entry, opts, None)
}

/// As [`analyze`], re-using the items a [`fg_syntax::ParseCache`] parsed before: an editor
/// re-parses only the items an edit touched.
pub fn analyze_with(
    host: &dyn Host,
    entry: &str,
    opts: &Options,
    mut cache: Option<&mut fg_syntax::ParseCache>,
) -> Analysis {
    let lib = stdlib();
    let mut sources = SourceMap::new();
    for f in &lib.files {
        sources.add(f.clone());
    }
    let mut diagnostics = Vec::new();
    let mut files: Vec<(FileId, ast::File)> = Vec::new();

    // Load the entry file and everything it imports, breadth first.
    // Each queued file: its resolved path, and the import (span, path as written) that asked for it.
    let mut queue: Vec<(String, Option<(Span, String)>)> = vec![(entry.to_string(), None)];
    let mut loaded: HashMap<String, FileId> = HashMap::new();
    let mut damaged: Vec<Span> = Vec::new();
    while let Some((path, from)) = (!queue.is_empty()).then(|| queue.remove(0)) {
        if loaded.contains_key(&path) {
            continue;
        }
        let text = match host.read(&path) {
            Ok(t) => t,
            Err(why) => {
                match from {
                    Some((span, written)) => diagnostics.push(d::import_failed(span, &written, &why)),
                    None => {
                        let id = sources.add(SourceFile::new(path.clone(), ""));
                        diagnostics.push(d::import_failed(Span::new(id, 0, 0), &path, &why));
                    }
                }
                continue;
            }
        };
        let id = sources.add(SourceFile::new(path.clone(), text));
        loaded.insert(path.clone(), id);
        let parsed = match cache.as_deref_mut() {
            Some(c) => c.parse(id, &sources.get(id).text),
            None => fg_syntax::parse(id, &sources.get(id).text),
        };
        diagnostics.extend(parsed.diagnostics);
        damaged.extend(parsed.damaged);
        for item in &parsed.file.items {
            if let Item::Import(i) = item {
                match i.path.as_plain() {
                    Some(p) => queue.push((resolve_import(&path, &p), Some((i.path.span, p)))),
                    None => diagnostics.push(d::import_failed(
                        i.path.span,
                        &i.path.display(),
                        "import paths cannot interpolate",
                    )),
                }
            }
        }
        files.push((id, parsed.file));
    }

    if let Some(c) = cache {
        c.prune();
    }

    // Collect names.
    let mut bindings: HashMap<String, Binding> = HashMap::new();
    let mut decl_kinds: HashMap<String, (String, Span)> = HashMap::new();
    let mut app: Option<&ast::AppDecl> = None;
    let mut decls = Vec::new();
    let kinds: Vec<&str> = lib.kinds().map(|s| s.name.as_str()).collect();
    for (_, file) in &files {
        for item in &file.items {
            let (name, span) = match item {
                Item::App(a) => {
                    match app {
                        Some(prev) => diagnostics.push(d::duplicate_app(a.keyword, prev.keyword)),
                        None => app = Some(a),
                    }
                    continue;
                }
                Item::Let(l) => (&l.name, l.span),
                Item::Decl(decl) => {
                    if !kinds.contains(&decl.kind.name.as_str()) {
                        if !decl.recovered {
                            let hint = if decl.kind.name == "app" {
                                None
                            } else {
                                did_you_mean(&decl.kind.name, kinds.iter().copied())
                            };
                            diagnostics.push(d::unknown_kind(decl.kind.span, &decl.kind.name, &kinds, hint));
                        }
                        continue;
                    }
                    (&decl.name, decl.span)
                }
                Item::Schema(s) => {
                    diagnostics.push(d::schema_in_user_code(s.name.span, if s.is_kind { "kind" } else { "schema" }));
                    continue;
                }
                Item::Enum(e) => {
                    diagnostics.push(d::schema_in_user_code(e.name.span, "enum"));
                    continue;
                }
                Item::Import(_) => continue,
            };
            if let Some(prev) = bindings.get(&name.name) {
                let prev_span = match prev {
                    Binding::Let(l) => l.name.span,
                    Binding::Decl(x) => x.name.span,
                };
                diagnostics.push(d::duplicate_name(name.span, prev_span, &name.name));
                continue;
            }
            match item {
                Item::Let(l) => {
                    bindings.insert(name.name.clone(), Binding::Let(l));
                    decls.push(DeclInfo {
                        kind: "let".into(),
                        name: name.name.clone(),
                        name_span: name.span,
                        span,
                        docs: l.docs.clone(),
                    });
                }
                Item::Decl(decl) => {
                    bindings.insert(name.name.clone(), Binding::Decl(decl));
                    decl_kinds.insert(name.name.clone(), (decl.kind.name.clone(), name.span));
                    decls.push(DeclInfo {
                        kind: decl.kind.name.clone(),
                        name: name.name.clone(),
                        name_span: name.span,
                        span,
                        docs: decl.docs.clone(),
                    });
                }
                _ => {}
            }
        }
    }

    // The app, first without an environment, to learn the environments.
    let entry_span = files.first().map_or(Span::default(), |(id, _)| Span::new(*id, 0, 0));
    let app_schema = lib.schema("app");
    let (app_name, environments, envs_span) = match (app, app_schema) {
        (Some(a), Some(schema)) => {
            let name = a.name.as_plain().unwrap_or_default();
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && name.len() <= 24
                && !name.ends_with('-');
            if !ok {
                diagnostics.push(d::app_name(a.name.span, &name));
            }
            let mut ev = Evaluator::new(&bindings, &name, "default", &[]);
            let raw = a.body.entries.iter().find_map(|e| match e {
                ast::Entry::Attr(at) if at.key.name == "environments" => Some(ev.expr(&at.value)),
                _ => None,
            });
            let mut tc = Typeck::new(&decl_kinds);
            let (envs, span) = match raw {
                Some(v) => {
                    let checked = schema.field("environments").map(|f| tc.check(&v, &f.ty));
                    let mut envs: Vec<String> = Vec::new();
                    for x in checked.as_ref().map_or(&[][..], |c| c.as_list()) {
                        let Some(name) = x.as_str() else { continue };
                        if envs.iter().any(|e| e == name) {
                            diagnostics.push(d::duplicate_environment(x.span, name));
                        } else {
                            envs.push(name.to_string());
                        }
                    }
                    diagnostics.extend(ev.diags);
                    diagnostics.extend(tc.diags);
                    (envs, v.span)
                }
                None => (vec!["default".to_string()], a.keyword),
            };
            (name, if envs.is_empty() { vec!["default".to_string()] } else { envs }, span)
        }
        _ => {
            diagnostics.push(d::missing_app(entry_span));
            ("app".to_string(), vec!["default".to_string()], entry_span)
        }
    };
    let selected = match &opts.env {
        Some(e) if environments.contains(e) => e.clone(),
        Some(e) => {
            let envs: Vec<&str> = environments.iter().map(String::as_str).collect();
            diagnostics.push(d::env_flag(envs_span, e, &envs));
            environments[0].clone()
        }
        None => environments[0].clone(),
    };
    let run: Vec<String> =
        if opts.all_envs && opts.env.is_none() { environments.clone() } else { vec![selected.clone()] };

    let mut result = None;
    let mut uses = Vec::new();
    // Environments are independent: check them on all cores (WebAssembly in a browser has
    // no threads). Results are merged in the order of `run`, so the output does not depend
    // on the threads.
    let results: Vec<EnvResult> = if run.len() > 1 && !cfg!(target_arch = "wasm32") {
        std::thread::scope(|scope| {
            let handles: Vec<_> = run
                .iter()
                .map(|env| {
                    let (bindings, decl_kinds, app_name, environments) =
                        (&bindings, &decl_kinds, &app_name, &environments);
                    scope.spawn(move || check_env(app, bindings, decl_kinds, app_name, env, environments))
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        })
    } else {
        run.iter().map(|env| check_env(app, &bindings, &decl_kinds, &app_name, env, &environments)).collect()
    };
    let mut models = Vec::new();
    for (env, (model, checked, env_diags, env_uses)) in run.iter().zip(results) {
        diagnostics.extend(env_diags);
        if *env == selected {
            uses = env_uses;
            result = Some((model.clone(), checked));
        }
        models.push(model);
    }
    let (model, checked) = result.unwrap_or_default();
    if !damaged.is_empty() {
        quiet_cascades(&mut diagnostics, &files, &damaged);
    }
    fg_diag::sort_and_dedup(&mut diagnostics);
    Analysis { sources, files, diagnostics, model, models, env: selected, decls, uses, checked }
}

/// Drops findings about something *missing* where the parser had to blank text: the
/// missing field or route is likely in the blanked part, and the syntax error already
/// explains it.
fn quiet_cascades(diagnostics: &mut Vec<Diagnostic>, files: &[(FileId, ast::File)], damaged: &[Span]) {
    use fg_diag::codes as c;
    let overlaps = |a: Span, b: Span| a.file == b.file && a.start <= b.end && b.start <= a.end;
    let items: Vec<Span> = files
        .iter()
        .flat_map(|(_, f)| f.items.iter().map(ast::Item::span))
        .filter(|s| damaged.iter().any(|d| overlaps(*s, *d)))
        .chain(damaged.iter().copied())
        .collect();
    let in_damaged = |s: Span| items.iter().any(|i| overlaps(*i, s));
    // Missing things local to a declaration.
    let local =
        [c::MISSING_FIELD, c::LISTENER_DEFAULT, c::NO_LISTENER, c::DB_UNREACHABLE, c::NO_POLICY, c::ROUTE_WITHOUT_PORT];
    // Missing links between declarations, which a blanked line anywhere may hold.
    let linked = [c::UNROUTED_HEALTH, c::REQUESTS_WITHOUT_BALANCER, c::DB_ACCESS];
    diagnostics.retain(|d| {
        if linked.contains(&d.code) {
            return false;
        }
        !(local.contains(&d.code) && (in_damaged(d.primary.span) || d.secondary.iter().any(|l| in_damaged(l.span))))
    });
}

type EnvResult = (Model, Vec<CheckedDecl>, Vec<Diagnostic>, Vec<Use>);

fn check_env(
    app: Option<&ast::AppDecl>,
    bindings: &HashMap<String, Binding>,
    decl_kinds: &HashMap<String, (String, Span)>,
    app_name: &str,
    env: &str,
    environments: &[String],
) -> EnvResult {
    let lib = stdlib();
    let mut ev = Evaluator::new(bindings, app_name, env, environments);
    let mut tc = Typeck::new(decl_kinds);
    let mut app_model = model::App {
        name: app_name.to_string(),
        env: env.to_string(),
        environments: environments.to_vec(),
        ..Default::default()
    };
    if let (Some(a), Some(schema)) = (app, lib.schema("app")) {
        let raw = ev.block(&a.body, None);
        // `environments` was checked before any environment was chosen.
        let raw = Record { fields: raw.fields.into_iter().filter(|f| f.key != "environments").collect(), ..raw };
        let rec = tc.record(&raw, schema, a.name.span);
        app_model.span = a.span;
        app_model.region = rec.get("region").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        if let Some(v) = rec.get("region")
            && let V::Str(region) = &v.kind
            && !aws::REGIONS.contains(&region.as_str())
        {
            tc.diags.push(d::unknown_region(v.span, region, did_you_mean(region, aws::REGIONS.iter().copied())));
        }
        app_model.container_insights = rec.get("container_insights").and_then(|v| v.as_bool()).unwrap_or(true);
        if let Some(tags) = rec.get("tags").and_then(|v| v.as_record()) {
            app_model.tags =
                tags.fields.iter().filter_map(|f| Some((f.key.clone(), f.value.as_str()?.to_string()))).collect();
        }
    }
    let mut checked = Vec::new();
    let mut names: Vec<&String> = bindings.keys().collect();
    names.sort();
    for name in names {
        let Some(Binding::Decl(decl)) = bindings.get(name) else {
            continue;
        };
        if decl.recovered {
            continue;
        }
        let Some(schema) = lib.schema(&decl.kind.name) else {
            continue;
        };
        let raw = ev.block(&decl.body, None);
        let body = tc.record(&raw, schema, decl.name.span);
        checked.push(CheckedDecl {
            kind: decl.kind.name.clone(),
            name: decl.name.name.clone(),
            name_span: decl.name.span,
            span: decl.span,
            body,
        });
    }
    // Lets nobody uses are still evaluated, so that their errors are reported.
    let mut lets: Vec<&ast::LetDecl> = bindings
        .values()
        .filter_map(|b| match b {
            Binding::Let(l) => Some(*l),
            Binding::Decl(_) => None,
        })
        .collect();
    lets.sort_by_key(|l| (l.span.file, l.span.start));
    for l in lets {
        ev.force_let(l);
    }
    checked.sort_by_key(|c| (c.span.file, c.span.start));
    let mut builder = build::Builder::new(&checked);
    let model = builder.build(app_model);
    let mut diags = ev.diags;
    diags.extend(tc.diags);
    diags.extend(builder.diags);
    (model, checked, diags, ev.uses)
}

/// A host over in-memory files, for tests, benchmarks and the language server.
#[derive(Debug, Default, Clone)]
pub struct MemoryHost {
    pub files: HashMap<String, String>,
}

impl MemoryHost {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path.to_string(), text.to_string());
        self
    }
}

impl Host for MemoryHost {
    fn read(&self, path: &str) -> Result<String, String> {
        self.files.get(path).cloned().ok_or_else(|| "no such file".to_string())
    }
}

#[cfg(test)]
mod tests;
