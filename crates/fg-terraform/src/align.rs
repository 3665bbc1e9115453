//! The `=` alignment `terraform fmt` applies and hcl-rs does not.
//!
//! `terraform fmt` pads the keys of consecutive single-line attributes at the same
//! indentation so that their `=` line up. A blank line, a nested block, a closing bracket or
//! an attribute whose value spans several lines ends such a run; the multi-line attribute
//! itself is not padded.

/// Aligns the `=` of runs of single-line attributes in formatted HCL.
pub fn align(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let parsed: Vec<Option<(usize, usize)>> = lines.iter().map(|l| single_line_attribute(l)).collect();
    // Output is the input plus padding: one buffer, no per-line allocation.
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut k = 0;
    while k < lines.len() {
        if k > 0 {
            out.push('\n');
        }
        let Some((indent, _)) = parsed[k] else {
            out.push_str(lines[k]);
            k += 1;
            continue;
        };
        let mut end = k;
        while end < lines.len() && parsed[end].is_some_and(|(i, _)| i == indent) {
            end += 1;
        }
        let width = parsed[k..end].iter().filter_map(|p| p.map(|(_, w)| w)).max().unwrap_or(0);
        for (j, line) in lines[k..end].iter().enumerate() {
            if j > 0 {
                out.push('\n');
            }
            let (key, value) = split_attribute(line);
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(key);
            out.extend(std::iter::repeat_n(' ', width.saturating_sub(key.chars().count())));
            out.push_str(" = ");
            out.push_str(value);
        }
        k = end;
    }
    out
}

/// For `  key = value` with the value complete on the line: (indentation, key width).
fn single_line_attribute(line: &str) -> Option<(usize, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let key_len = key_length(rest)?;
    let after = rest[key_len..].trim_start();
    let value = after.strip_prefix('=')?;
    if value.starts_with('=') {
        return None;
    }
    balanced(value.trim()).then_some((indent, rest[..key_len].chars().count()))
}

fn split_attribute(line: &str) -> (&str, &str) {
    let rest = line.trim_start_matches(' ');
    let key_len = key_length(rest).unwrap_or(0);
    let value = rest[key_len..].trim_start().strip_prefix('=').unwrap_or("").trim_start();
    (&rest[..key_len], value)
}

/// The length of a leading identifier or quoted key.
fn key_length(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    match chars.next()? {
        (_, '"') => {
            let mut escaped = false;
            for (i, c) in chars {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return Some(i + 1),
                    _ => escaped = false,
                }
            }
            None
        }
        (_, c) if c.is_ascii_alphabetic() || c == '_' => {
            let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(s.len());
            Some(end)
        }
        _ => None,
    }
}

/// True when every bracket opened in `value` closes on the same line (strings skipped).
fn balanced(value: &str) -> bool {
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_string {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_string = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth -= 1,
            _ => {}
        }
    }
    depth == 0 && !in_string && !value.is_empty()
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn aligns_runs_and_leaves_multiline_values() {
        let input = "resource \"a\" \"b\" {\n  vpc_id = x\n  cidr_block = \"y\"\n  tags = {\n    \"Name\" = \"x\"\n    \"LongerName\" = \"y\"\n  }\n  count = 2\n\n  hc {\n    path = \"/\"\n    healthy_threshold = 3\n  }\n}";
        let want = "resource \"a\" \"b\" {\n  vpc_id     = x\n  cidr_block = \"y\"\n  tags = {\n    \"Name\"       = \"x\"\n    \"LongerName\" = \"y\"\n  }\n  count = 2\n\n  hc {\n    path              = \"/\"\n    healthy_threshold = 3\n  }\n}";
        assert_eq!(align(input), want);
    }

    #[test]
    fn equals_inside_strings_and_comparisons() {
        assert_eq!(align("  a = \"x = y\"\n  bb = 1"), "  a  = \"x = y\"\n  bb = 1");
        assert_eq!(align("  a == b"), "  a == b");
    }
}
