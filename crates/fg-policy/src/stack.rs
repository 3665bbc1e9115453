//! A whole stack's policies: the ones it declares and the ones given on the command line,
//! over the IR of every environment it was checked for.

use std::collections::HashMap;

use fg_check::Analysis;
use fg_diag::{Diagnostic, Span};

use crate::{Limits, PolicyInput, Runtime, check, config_json};

/// A policy from outside the source (`--policy FILE`): deny level, empty config.
#[derive(Debug, Clone)]
pub struct ExtraPolicy {
    pub path: String,
}

/// Runs the policies of an analysis over each environment's IR. `read` loads component
/// bytes by path (declared paths are resolved against the declaring file). Nothing runs
/// while the stack has errors: its IR would not be the one deployed.
pub fn check_analysis(
    runtime: &Runtime,
    analysis: &Analysis,
    extra: &[ExtraPolicy],
    read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Vec<Diagnostic> {
    if analysis.has_errors() {
        return Vec::new();
    }
    let mut files: HashMap<String, Result<Vec<u8>, String>> = HashMap::new();
    let mut out = Vec::new();
    for model in &analysis.models {
        if model.policies.is_empty() && extra.is_empty() {
            continue;
        }
        // Resolve every path first, so that `inputs` can borrow the loaded bytes.
        let declared: Vec<(String, &fg_check::model::Policy)> = model
            .policies
            .iter()
            .map(|p| {
                let base = &analysis.sources.get(p.span.file).path;
                (fg_check::resolve_import(base, &p.source), p)
            })
            .collect();
        for path in declared.iter().map(|(p, _)| p).chain(extra.iter().map(|e| &e.path)) {
            files.entry(path.clone()).or_insert_with(|| read(path));
        }
        let bytes = |path: &str| match &files[path] {
            Ok(b) => Ok(b.as_slice()),
            Err(e) => Err(e.clone()),
        };
        let mut inputs: Vec<PolicyInput> = declared
            .iter()
            .map(|(path, p)| PolicyInput {
                name: &p.name,
                span: p.span,
                source_span: p.source_span,
                bytes: bytes(path),
                path: &p.source,
                config: config_json(&p.config),
                deny: p.deny,
                limits: Limits { fuel: p.fuel, memory: p.memory, deadline: Limits::default().deadline },
            })
            .collect();
        let app_span: Span = model.app.span;
        inputs.extend(extra.iter().map(|e| PolicyInput {
            name: file_stem(&e.path),
            span: app_span,
            source_span: app_span,
            bytes: bytes(&e.path),
            path: &e.path,
            config: "{}".into(),
            deny: true,
            limits: Limits::default(),
        }));
        let ir = fg_ir::lower(model, &analysis.sources);
        out.extend(check(runtime, &inputs, &ir, &analysis.sources, &|r, attr| locate(analysis, r, attr)));
    }
    fg_diag::sort_and_dedup(&mut out);
    out
}

/// The field a resource attribute comes from, or the name of its declaration.
fn locate(analysis: &Analysis, resource: &fg_ir::Resource, attr: Option<&str>) -> Option<Span> {
    let decl = &resource.source.decl;
    let (kind, name) = decl.split_once('.').unwrap_or((decl.as_str(), ""));
    let matches = |k: &str, n: &str| k == kind && (name.is_empty() || n == name);
    let field = attr.map(|a| a.split(['.', '[']).next().unwrap_or(a)).and_then(|a| FIELDS.iter().find(|f| f.0 == a));
    if let Some((_, key)) = field
        && let Some(checked) = analysis.checked.iter().find(|c| matches(&c.kind, &c.name))
        && let Some(f) = checked.body.field(key)
        && f.origin != fg_check::value::Origin::Default
    {
        return Some(f.key_span);
    }
    analysis.decls.iter().find(|d| matches(&d.kind, &d.name)).map(|d| d.name_span)
}

/// IR attributes and the `.fg` fields they come from.
const FIELDS: &[(&str, &str)] = &[
    ("desired_count", "count"),
    ("min_capacity", "scale"),
    ("max_capacity", "scale"),
    ("cpu", "cpu"),
    ("memory", "memory"),
    ("image", "image"),
    ("tags", "tags"),
    ("capacity_provider_strategy", "capacity"),
    ("assign_public_ip", "public_ip"),
    ("multi_az", "multi_az"),
    ("instance_class", "class"),
    ("allocated_storage", "storage"),
    ("retention_in_days", "log_retention"),
];

fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".wasm").unwrap_or(name)
}
