//! The JavaScript API's results, checked natively: what each function returns for the
//! seed examples, and that the JSON of every result has exactly the fields its
//! hand-written TypeScript interface in `src/bindings.rs` declares.

use std::collections::{BTreeMap, BTreeSet};

use fg_wasm::{Files, Level, Pos, Session, build, check, complete, format, graph, hover};
use serde_json::Value;

const SEED_002: &str = include_str!("../../../examples/two-services-path-routing.fg");
const BINDINGS: &str = include_str!("../src/bindings.rs");

fn json(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("serialisable")
}

/// The fields of `export interface NAME … { … }` in the TypeScript types (those of the
/// interface it extends included), each with whether it is optional (`name?:`).
fn ts_fields(name: &str) -> BTreeMap<String, bool> {
    let head = format!("export interface {name} ");
    let at = BINDINGS.find(&head).unwrap_or_else(|| panic!("no TypeScript interface `{name}`"));
    let rest = &BINDINGS[at + head.len()..];
    let open = rest.find('{').expect("an interface body");
    let mut fields = BTreeMap::new();
    if let Some(parent) = rest[..open].trim().strip_prefix("extends ") {
        fields.extend(ts_fields(parent.trim()));
    }
    let (mut depth, mut word, mut in_comment) = (0, String::new(), false);
    let body = &rest[open..];
    for (i, c) in body.char_indices() {
        if in_comment {
            in_comment = !body[..=i].ends_with("*/");
            continue;
        }
        match c {
            '/' if body[i..].starts_with("/*") => in_comment = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ':' if depth == 1 && !word.is_empty() => {
                fields.insert(word.trim_end_matches('?').to_string(), word.ends_with('?'));
            }
            _ => {}
        }
        if c.is_alphanumeric() || c == '_' || c == '?' {
            word.push(c);
        } else if c != ':' {
            word.clear();
        }
    }
    fields
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// Every field of the JSON is declared, and every required field is there.
fn assert_shape(v: &Value, interface: &str) {
    let declared = ts_fields(interface);
    let have = keys(v);
    let undeclared: Vec<&String> = have.iter().filter(|k| !declared.contains_key(*k)).collect();
    let missing: Vec<&String> =
        declared.iter().filter(|(k, opt)| !**opt && !have.contains(*k)).map(|(k, _)| k).collect();
    assert!(
        undeclared.is_empty() && missing.is_empty(),
        "`{interface}`: fields not in the TypeScript type {undeclared:?}, missing from the JSON {missing:?}"
    );
}

#[test]
fn check_reports_every_diagnostic_with_editor_positions() {
    let ok = check(SEED_002, &Files::new());
    assert_eq!((ok.errors, ok.warnings), (0, 0), "{:?}", ok.diagnostics);
    assert_shape(&json(&ok), "CheckResult");

    let broken = SEED_002.replace("memory = 1GiB", "memory = 4GiB");
    let c = check(&broken, &Files::new());
    assert_eq!(c.errors, 1, "{:?}", c.diagnostics);
    let d = &c.diagnostics[0];
    let line = broken.lines().position(|l| l.contains("4GiB")).expect("the edited line") as u32;
    assert!(
        d.range.from.line == line || d.labels.iter().any(|l| l.range.from.line == line),
        "the diagnostic points at neither the memory line nor a label on it: {d:?}"
    );
    assert_eq!(d.range.file, "main.fg");
    assert_eq!(d.line, d.range.from.line + 1);
    let dj = json(d);
    assert_shape(&dj, "Diagnostic");
    assert_shape(&dj["range"], "Range");
    assert_shape(&dj["range"]["from"], "Pos");
}

#[test]
fn imports_come_from_the_files_given() {
    let main = "import \"./base.fg\"\n\napp \"x\" { region = \"eu-west-1\" }\n\nnetwork main {}\n\nservice web {\n  ...base\n  image = \"nginx\"\n}\n";
    let base = "let base = {\n  cpu = 256\n  memory = 512MiB\n}\n";
    let files = Files::from([("base.fg".to_string(), base.to_string())]);
    let c = check(main, &files);
    assert_eq!(c.errors, 0, "{:?}", c.diagnostics);
    let missing = check(main, &Files::new());
    assert!(missing.errors > 0);
    // The session resolves the same import.
    let mut s = Session::new(files);
    assert_eq!(s.update(main).errors, 0);
}

#[test]
fn build_gives_terraform_and_ir_only_without_errors() {
    let b = build(SEED_002, &Files::new(), None);
    let v = json(&b);
    assert_shape(&v, "BuildResult");
    assert_shape(&v["terraform"][0], "TerraformFile");
    assert_shape(&v["ir"], "Ir");
    assert_shape(&v["ir"]["resources"][0], "IrResource");
    // Byte for byte what `fgc build` writes (the golden files of the end-to-end suite).
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/terraform/two-services-path-routing");
    for f in &b.terraform {
        let expected = std::fs::read_to_string(golden.join(&f.name)).unwrap_or_default();
        assert!(f.text == expected, "{} differs from the golden file", f.name);
    }
    assert_eq!(b.terraform.len(), 8);
    let broken = build(&SEED_002.replace("-> user-svc", "-> users"), &Files::new(), None);
    assert!(broken.errors > 0 && broken.terraform.is_empty() && broken.ir.is_none());
}

#[test]
fn graph_and_format() {
    let g = graph(SEED_002, &Files::new(), None, Level::Architecture);
    assert_shape(&json(&g), "GraphResult");
    assert!(g.svg.as_deref().is_some_and(|s| s.starts_with("<svg")), "{:?}", g.svg.as_deref().map(|s| &s[..40]));
    assert!(graph(SEED_002, &Files::new(), None, "resources".parse().expect("a level")).svg.is_some());

    let f = format(&SEED_002.replace("cidr  = 10.0.0.0/16", "cidr = 10.0.0.0/16"));
    assert_shape(&json(&f), "FormatResult");
    assert_eq!(f.text.as_deref(), Some(SEED_002));
    assert!(format("service {").error.is_some());
}

#[test]
fn hover_and_completion_come_from_the_language_server_engine() {
    let line = SEED_002.lines().position(|l| l.starts_with("service product-svc")).expect("a service") as u32;
    let h = hover(SEED_002, &Files::new(), Pos { line, character: 2 }).expect("hover on `service`");
    assert!(h.markdown.contains("kind service"), "{}", h.markdown);
    assert_shape(&json(&h), "Hover");

    let text = "app \"x\" { region = \"eu-west-1\" }\n\nservice web {\n  \n}\n";
    let items = complete(text, &Files::new(), Pos { line: 3, character: 2 });
    assert!(items.iter().any(|i| i.label == "cpu"), "{:?}", items.iter().map(|i| &i.label).collect::<Vec<_>>());
    for item in &items {
        assert_shape(&json(item), "CompletionItem");
    }
}
