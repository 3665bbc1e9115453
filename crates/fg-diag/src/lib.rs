//! Spans, source files and diagnostics as plain data.
//!
//! Every stage of fgc reports problems as [`Diagnostic`] values: a stable [`Code`], a
//! lowercase message, labelled spans and a `help` line saying how to fix it. This crate
//! defines those types, the [`SourceMap`] that spans point into, and the registry of every
//! code with its long explanation ([`codes`]), which `fgc explain` prints.
//!
//! It deliberately knows nothing about rendering (miette lives in the CLI, LSP types in the
//! language server) and does no I/O: sources arrive as strings from the caller.

pub mod codes;
mod source;

pub use codes::{CODES, Code, CodeInfo};
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span};

/// How bad a diagnostic is. Errors fail `fgc check`; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The lowercase name used in text and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a short message saying what is there ("declared here", "used here").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A machine-applicable replacement: the LSP offers it as a code action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    /// What the action is called in the editor, e.g. "use `1GiB`".
    pub title: String,
    pub span: Span,
    pub replacement: String,
}

/// One problem found in the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Lowercase, no final period, code names in backticks.
    pub message: String,
    /// The primary span and what is wrong there.
    pub primary: Label,
    /// Other places involved: the first declaration of a duplicate, the VPC a subnet
    /// falls outside of, …
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// Fixes an editor can apply.
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    /// An error with the given code, message and primary label.
    pub fn error(code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, span, message, label)
    }

    /// A warning with the given code, message and primary label.
    pub fn warning(code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, span, message, label)
    }

    pub fn new(
        code: Code,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: Label { span, message: label.into() },
            secondary: Vec::new(),
            help: None,
            fixes: Vec::new(),
        }
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds an applicable fix.
    #[must_use]
    pub fn with_fix(mut self, title: impl Into<String>, span: Span, replacement: impl Into<String>) -> Self {
        self.fixes.push(Fix { title: title.into(), span, replacement: replacement.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file and position and drops exact duplicates, so that output is
/// deterministic however the stages interleaved their findings.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (a.primary.span.file, a.primary.span.start, a.primary.span.end, a.code.0, &a.message).cmp(&(
            b.primary.span.file,
            b.primary.span.start,
            b.primary.span.end,
            b.code.0,
            &b.message,
        ))
    });
    diags.dedup();
}

/// Edit distance for "did you mean" suggestions: insertions, deletions, substitutions and
/// transpositions of neighbours (`wbe` is one edit from `web`).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1).min(d[i * w + j - 1] + 1).min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            let d = levenshtein(&lower, &c.to_ascii_lowercase());
            // One name containing the other counts too (`health_check` → `health`,
            // `frontend` → `web-frontend`), for names of four or more characters.
            let c_lower = c.to_ascii_lowercase();
            let prefix = lower.len() >= 4 && c.len() >= 4 && (c_lower.contains(&lower) || lower.contains(&c_lower));
            (if prefix { d.min(limit) } else { d }, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("memroy", ["memory", "cpu", "image"]), Some("memory"));
        assert_eq!(did_you_mean("servce", ["service", "network"]), Some("service"));
        assert_eq!(did_you_mean("zzz", ["memory", "cpu"]), None);
        assert_eq!(did_you_mean("healthcheck", ["health", "image"]), Some("health"));
        assert_eq!(did_you_mean("frontend", ["web-frontend", "api"]), Some("web-frontend"));
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
        assert_eq!(levenshtein("wbe", "web"), 1);
    }
}
