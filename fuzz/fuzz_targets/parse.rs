//! The parser never panics, and every error it reports has a span inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parse = fg_syntax::parse(fg_diag::FileId(0), text);
        for d in &parse.diagnostics {
            assert!(d.primary.span.end as usize <= text.len());
            assert!(text.is_char_boundary(d.primary.span.start as usize));
        }
    }
});
