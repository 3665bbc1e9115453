//! The diagnostics the parser reports, one constructor each.

use fg_diag::{Diagnostic, Span, codes};

/// The parser expected one of `expected` at `span` and found `found`.
pub fn syntax_error(span: Span, expected: &str, found: &str) -> Diagnostic {
    Diagnostic::error(codes::SYNTAX, span, format!("expected {expected}, found {found}"), "unexpected here")
        .with_help(format!("write {expected} here; `fgc explain FG0001` shows the shape of each item"))
}

/// `name: value` where `name = value` belongs.
pub fn colon_assign(span: Span) -> Diagnostic {
    Diagnostic::error(codes::COLON_ASSIGN, span, "expected `=`, found `:`", "attributes are set with `=`")
        .with_help("replace `:` with `=`")
        .with_fix("use `=`", span, "=")
}

/// A number literal that does not fit.
pub fn bad_number(span: Span, text: &str) -> Diagnostic {
    Diagnostic::error(codes::BAD_NUMBER, span, format!("invalid number `{text}`"), "not representable")
        .with_help("numbers must be below 2^53; use a larger unit for sizes and durations")
}

/// A malformed CIDR block.
pub fn bad_cidr(span: Span, text: &str, why: &str, suggestion: Option<String>) -> Diagnostic {
    let d = Diagnostic::error(codes::BAD_CIDR, span, format!("invalid CIDR block `{text}`"), why.to_string());
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")).with_fix(format!("use `{s}`"), span, s),
        None => d.with_help("write an IPv4 network as `a.b.c.d/n` with octets 0–255 and a prefix 0–32"),
    }
}

/// An unknown escape sequence in a string.
pub fn bad_escape(span: Span, text: &str) -> Diagnostic {
    Diagnostic::error(codes::BAD_ESCAPE, span, format!("unknown escape `{text}`"), "not an escape").with_help(
        "valid escapes are `\\n`, `\\t`, `\\r`, `\\\"`, `\\\\`, `\\$` and `\\u{…}`; write `\\\\` for a backslash",
    )
}

/// Brackets nested deeper than the parser accepts.
pub fn too_deep(span: Span, max: usize) -> Diagnostic {
    Diagnostic::error(codes::SYNTAX, span, format!("blocks and lists nested deeper than {max} levels"), "too deep")
        .with_help("flatten the structure; no stack needs this much nesting")
}

/// A `{` that is never closed.
pub fn unclosed_block(span: Span) -> Diagnostic {
    Diagnostic::error(codes::SYNTAX, span, "unclosed `{`", "this `{` is never closed").with_help("add the missing `}`")
}
