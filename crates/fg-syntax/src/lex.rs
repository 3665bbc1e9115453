//! Lexical facts the syntax tree does not keep: where the comments are.

use std::ops::Range;

/// The byte ranges of all `//`, `///` and (nested) `/* */` comments, outside strings.
pub fn comments(src: &str) -> Vec<Range<usize>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                out.push(start..i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(start..i.min(b.len()));
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::comments;

    #[test]
    fn comments_outside_strings_and_nested_blocks() {
        let src = "a = \"//no\" // yes\n/* x /* y */ z */ b";
        let found: Vec<&str> = comments(src).into_iter().map(|r| &src[r]).collect();
        assert_eq!(found, ["// yes", "/* x /* y */ z */"]);
    }
}
