//! From plugins to diagnostics: one named constructor per code, findings placed at the
//! declaration that produced the resource.

use fg_check::value::{Record, V, Value};
use fg_diag::codes::{
    POLICY_DEADLINE, POLICY_ERROR, POLICY_FINDING, POLICY_FUEL, POLICY_INVALID, POLICY_MEMORY, POLICY_READ,
    POLICY_SANDBOX, POLICY_TRAP, POLICY_VERSION,
};
use fg_diag::{Diagnostic, Severity, SourceMap, Span};
use serde_json::{Map, Value as Json};

use crate::{Failure, Finding, INTERFACE, Limits, PluginIr, Runtime};

/// Finds the `.fg` span for a resource and, optionally, one of its attributes.
pub type Locate<'a> = dyn Fn(&fg_ir::Resource, Option<&str>) -> Option<Span> + 'a;

/// One policy to run: a `policy` declaration, or `--policy FILE` on the command line.
pub struct PolicyInput<'a> {
    /// The declaration's name, or the file name for `--policy`.
    pub name: &'a str,
    /// Where findings without a resource, and failures, are reported: the declaration's
    /// name (for `--policy`, the app's).
    pub span: Span,
    /// The `source = "…"` value, where load failures point.
    pub source_span: Span,
    /// The component, or why it could not be read.
    pub bytes: Result<&'a [u8], String>,
    /// The path as written, for messages.
    pub path: &'a str,
    /// The config record as JSON.
    pub config: String,
    /// Whether error findings are errors (`level = deny`) or warnings (`warn`).
    pub deny: bool,
    pub limits: Limits,
}

/// Runs every policy over one environment's IR. Failures of one plugin do not keep the
/// others from running.
/// `locate` places a finding: the `.fg` span of a resource's declaration, or of the field
/// an attribute comes from; the resource's recorded source span is the fallback.
pub fn check(
    runtime: &Runtime,
    policies: &[PolicyInput],
    ir: &fg_ir::Ir,
    sources: &SourceMap,
    locate: &Locate,
) -> Vec<Diagnostic> {
    let json = PluginIr::new(ir);
    let mut out = Vec::new();
    for p in policies {
        let bytes = match &p.bytes {
            Ok(b) => *b,
            Err(e) => {
                out.push(unreadable(p, e));
                continue;
            }
        };
        let result = runtime.load(bytes).and_then(|plugin| runtime.evaluate(&plugin, &json, &p.config, p.limits));
        match result {
            Ok(findings) => out.extend(findings.iter().map(|f| finding(p, f, ir, sources, locate))),
            Err(failure) => out.push(failed(p, &failure)),
        }
    }
    out
}

/// `FG0601`: a finding, at the declaration that produced its resource.
pub fn finding(p: &PolicyInput, f: &Finding, ir: &fg_ir::Ir, sources: &SourceMap, locate: &Locate) -> Diagnostic {
    let resource = f.resource.as_deref().and_then(|id| ir.get(id));
    let span = resource
        .and_then(|r| locate(r, f.attribute.as_deref()).or_else(|| resource_span(r, sources)))
        .unwrap_or(p.span);
    let severity = if f.error && p.deny { Severity::Error } else { Severity::Warning };
    let label = match (resource, &f.attribute) {
        (Some(r), Some(a)) => format!("`{a}` of `{}` ({})", r.id, r.kind),
        (Some(r), None) => format!("`{}` ({})", r.id, r.kind),
        (None, _) => match &f.resource {
            Some(id) => format!("the plugin named `{id}`, which is not in the IR"),
            None => format!("rule `{}`", f.rule),
        },
    };
    let mut d =
        Diagnostic::new(POLICY_FINDING, severity, span, format!("[{}/{}] {}", p.name, f.rule, f.message), label);
    if span != p.span {
        d = d.with_label(p.span, format!("policy `{}` is declared here", p.name));
    }
    match &f.help {
        Some(h) => d.with_help(h.clone()),
        None => d,
    }
}

fn resource_span(r: &fg_ir::Resource, sources: &SourceMap) -> Option<Span> {
    let file = sources.find(&r.source.file)?;
    (r.source.end > r.source.start).then(|| Span::new(file, r.source.start as usize, r.source.end as usize))
}

/// `FG0602`: the component file could not be read.
pub fn unreadable(p: &PolicyInput, error: &str) -> Diagnostic {
    Diagnostic::error(
        POLICY_READ,
        p.source_span,
        format!("cannot read policy `{}` from `{}`: {error}", p.name, p.path),
        "this file",
    )
    .with_help("the path is relative to the file that declares the policy; build the plugin with `cargo build --target wasm32-wasip2 --release`")
}

/// `FG0603`–`FG0610`: the plugin could not be loaded or failed to evaluate.
pub fn failed(p: &PolicyInput, failure: &Failure) -> Diagnostic {
    let name = p.name;
    let (code, message, span, help): (_, String, Span, String) = match failure {
        Failure::Invalid(why) => (
            POLICY_INVALID,
            format!("policy `{name}` is not a component fgc can run: {why}"),
            p.source_span,
            "build policies with the `fg-policy-sdk` crate and `cargo build --target wasm32-wasip2 --release`".into(),
        ),
        Failure::Version { found } => (
            POLICY_VERSION,
            match found {
                Some(f) => format!("policy `{name}` implements `{f}`, but this fgc speaks `{INTERFACE}`"),
                None => format!("policy `{name}` does not export `{INTERFACE}`"),
            },
            p.source_span,
            "rebuild the plugin against the `fg-policy-sdk` of this fgc".into(),
        ),
        Failure::Trap { message, output } => (
            POLICY_TRAP,
            match panic_message(output) {
                Some(panic) => format!("policy `{name}` panicked: {panic}"),
                None => format!("policy `{name}` crashed: {message}"),
            },
            p.span,
            "the plugin's findings are lost; fix the plugin".into(),
        ),
        Failure::Fuel { budget } => (
            POLICY_FUEL,
            format!("policy `{name}` ran out of fuel after {} million instructions", budget / 1_000_000),
            p.span,
            "the plugin may loop forever; if it is just slow, raise `fuel = …` on the policy".into(),
        ),
        Failure::Deadline { after } => (
            POLICY_DEADLINE,
            format!("policy `{name}` did not finish within {} ms", after.as_millis()),
            p.span,
            "the plugin was stopped; fix it, or report the stack that makes it slow".into(),
        ),
        Failure::Memory { cap } => (
            POLICY_MEMORY,
            format!("policy `{name}` tried to use more than {} MiB of memory", cap >> 20),
            p.span,
            "raise `memory = …` on the policy if the plugin legitimately needs more".into(),
        ),
        Failure::Sandbox { what, call } => (
            POLICY_SANDBOX,
            format!("policy `{name}` tried to reach {what} (`{call}`) and was stopped"),
            p.span,
            "plugins see only the IR and their config; pass what the plugin needs in `config = { … }`".into(),
        ),
        Failure::Returned(e) => (
            POLICY_ERROR,
            format!("policy `{name}` failed: {e}"),
            p.span,
            "the message is the plugin's; check the policy's `config`".into(),
        ),
    };
    Diagnostic::error(code, span, message, "this policy").with_help(help)
}

/// The message of a Rust panic as the std runtime prints it.
fn panic_message(output: &str) -> Option<String> {
    let rest = output.split("panicked at ").nth(1)?;
    let mut lines = rest.lines();
    let location = lines.next()?.trim_end_matches(':');
    let message: Vec<&str> = lines.take_while(|l| !l.starts_with("note:")).collect();
    Some(format!("{} (at {location})", message.join(" ").trim()))
}

/// The `config` record as JSON: sizes in MiB, durations in seconds, percentages as
/// numbers, names as strings.
pub fn config_json(record: &Record) -> String {
    Json::Object(record_json(record)).to_string()
}

fn record_json(record: &Record) -> Map<String, Json> {
    record.fields.iter().map(|f| (f.key.clone(), value_json(&f.value))).collect()
}

fn value_json(v: &Value) -> Json {
    match &v.kind {
        V::Str(s) | V::Word(s) => Json::from(s.clone()),
        V::Int(i) => Json::from(*i),
        V::Number { value, .. } | V::Percent(value) => Json::from(*value),
        V::Bool(b) => Json::from(*b),
        V::Cidr(c) => Json::from(c.to_string()),
        V::Size(bytes) if bytes % (1 << 20) == 0 => Json::from(bytes >> 20),
        V::Size(bytes) => Json::from(*bytes as f64 / (1u64 << 20) as f64),
        V::Duration(ms) if ms % 1000 == 0 => Json::from(ms / 1000),
        V::Duration(ms) => Json::from(*ms as f64 / 1000.0),
        V::List(xs) => Json::Array(xs.iter().map(value_json).collect()),
        V::Record(r) => Json::Object(record_json(r)),
        // The checker rejects the rest in a `data` field.
        _ => Json::Null,
    }
}
