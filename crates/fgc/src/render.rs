//! Rendering diagnostics: miette's graphical reports for people, JSON for machines.

use std::fmt;

use fg_diag::{Diagnostic, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

/// A diagnostic with the source it points into, as miette wants it. Labels in other
/// files become related reports, each with its own source.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    /// Secondary labels in this report's file.
    labels: Vec<(SourceSpan, String)>,
    related: Vec<Related>,
}

/// A secondary label in another file.
struct Related {
    message: String,
    source: NamedSource<String>,
    span: SourceSpan,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let p = &self.diag.primary;
        let primary = LabeledSpan::new_primary_with_span(
            Some(p.message.clone()),
            SourceSpan::from((p.span.start as usize, p.span.len())),
        );
        let rest = self.labels.iter().map(|(s, m)| LabeledSpan::new_with_span(Some(m.clone()), *s));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
    }
}

impl fmt::Debug for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Related {}

impl miette::Diagnostic for Related {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_primary_with_span(Some(self.message.clone()), self.span))))
    }
}

fn named(sources: &SourceMap, file: fg_diag::FileId) -> NamedSource<String> {
    let f = sources.get(file);
    NamedSource::new(f.path.clone(), f.text.clone()).with_language("fg")
}

/// Renders diagnostics as miette reports.
pub fn human(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    for d in diags {
        let file = d.primary.span.file;
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for l in &d.secondary {
            let span = SourceSpan::from((l.span.start as usize, l.span.len()));
            if l.span.file == file {
                labels.push((span, l.message.clone()));
            } else {
                related.push(Related { message: l.message.clone(), source: named(sources, l.span.file), span });
            }
        }
        let report = Report { diag: d, source: named(sources, file), labels, related };
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    out
}

/// One diagnostic as a JSON object: code, severity, message, position, help, labels, fixes.
pub fn json_diagnostic(sources: &SourceMap, d: &Diagnostic) -> serde_json::Value {
    let pos = |span: fg_diag::Span| {
        let f = sources.get(span.file);
        let a = f.line_col(span.start as usize);
        let b = f.line_col(span.end as usize);
        serde_json::json!({
            "file": f.path, "line": a.line, "column": a.col, "end_line": b.line, "end_column": b.col,
            "offset": span.start, "length": span.len(),
        })
    };
    serde_json::json!({
        "code": d.code.0,
        "severity": d.severity.as_str(),
        "message": d.message,
        "span": pos(d.primary.span),
        "label": d.primary.message,
        "help": d.help,
        "labels": d.secondary.iter().map(|l| serde_json::json!({"message": l.message, "span": pos(l.span)})).collect::<Vec<_>>(),
        "fixes": d.fixes.iter().map(|f| serde_json::json!({"title": f.title, "replacement": f.replacement, "span": pos(f.span)})).collect::<Vec<_>>(),
    })
}

/// A one-line summary: "2 errors, 1 warning".
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(errors, "error"), plural(warnings, "warning"))
}
