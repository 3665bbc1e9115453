use fg_diag::FileId;

use crate::ast::*;
use crate::parse;

fn ok(src: &str) -> File {
    let p = parse(FileId(0), src);
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    p.file
}

fn codes(src: &str) -> Vec<(&'static str, u32)> {
    parse(FileId(0), src).diagnostics.iter().map(|d| (d.code.0, d.primary.span.start)).collect()
}

#[test]
fn parses_the_language_sketch() {
    let f = ok(r#"
app "ecs-demo" { region = "us-east-1", tags = { team = "platform" } }
import "./shared.fg"
network main {
  cidr  = 10.0.0.0/16
  zones = 2
  nat   = single
}
/// The public entry point.
balancer web {
  network = main
  listener http {
    port    = 80
    default = respond(404, "Not Found")
    route "/product-svc*" -> product
    route "/user-svc*" host "api.example.com" -> user priority 7
  }
}
let backend = { cpu = 256, memory = 1GiB, port = 3000, count = env { dev = 1, _ = 2 } }
service product {
  ...backend
  image = "phamtrongnghia1105/product-svc"
  environment = { DB = "${db.address}:${db.port}", "x.y" = "z" }
  scale {
    min = 2, max = 6
    target cpu 70%
    step cpu >= 80% < 90% for 3 x 60s => +1
    step cpu <= 10% for 60s => -1
  }
}
"#);
    assert_eq!(f.items.len(), 6);
    let Item::Decl(svc) = &f.items[5] else { panic!() };
    assert_eq!(svc.kind.name, "service");
    let Entry::Nested(scale) = &svc.body.entries[3] else { panic!("{:?}", svc.body.entries[3]) };
    let Entry::Step(step) = &scale.body.entries[3] else { panic!() };
    assert_eq!(step.bound.cmp, Cmp::Ge);
    assert_eq!(step.until.as_ref().map(|b| b.cmp), Some(Cmp::Lt));
    assert!(step.evaluations.is_some() && step.period.is_some());
    assert_eq!(step.adjustment.text, "+1");
    let Entry::Attr(env) = &svc.body.entries[2] else { panic!() };
    let ExprKind::Record(rec) = &env.value.kind else { panic!() };
    let Entry::Attr(db) = &rec.entries[0] else { panic!() };
    let ExprKind::Str(s) = &db.value.kind else { panic!() };
    assert_eq!(s.display(), "${db.address}:${db.port}");
}

#[test]
fn numbers_keep_their_units() {
    let f = ok("let a = [512MiB, 30s, 70%, 0.25vcpu, -1, 5mins]");
    let Item::Let(l) = &f.items[0] else { panic!() };
    let ExprKind::List(xs) = &l.value.kind else { panic!() };
    let units: Vec<_> = xs
        .iter()
        .map(|x| match &x.kind {
            ExprKind::Number { unit, .. } => unit.clone(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        units,
        [Some("MiB"), Some("s"), Some("%"), Some("vcpu"), None, Some("mins")].map(|u| u.map(String::from))
    );
}

#[test]
fn stdlib_syntax() {
    let f = ok(r#"
/// A service.
kind service {
  /// The image.
  image: string
  cpu: cpu = 256
  zones: int | list<string> = 2
  port: port?
  out name: string
}
enum nat {
  /// None at all.
  none, single
  per_zone
}
"#);
    let Item::Schema(s) = &f.items[0] else { panic!() };
    assert!(s.is_kind);
    assert_eq!(s.fields.len(), 5);
    assert_eq!(s.fields[2].ty.alternatives.len(), 2);
    assert!(s.fields[3].ty.optional);
    assert!(s.fields[4].out);
    let Item::Enum(e) = &f.items[1] else { panic!() };
    assert_eq!(e.variants.len(), 3);
    assert_eq!(e.variants[0].docs, ["None at all."]);
}

#[test]
fn recovers_and_reports_every_error() {
    let src = "service a {\n  cpu = = 1\n  image = \"x\"\n}\nservice b {\n  memory = ]\n}\nservice c { port = 80 }\n";
    let p = parse(FileId(0), src);
    assert_eq!(p.diagnostics.len(), 2, "{:#?}", p.diagnostics);
    assert!(p.diagnostics.iter().all(|d| d.code.0 == "FG0001"));
    let names: Vec<_> = p
        .file
        .items
        .iter()
        .map(|i| match i {
            Item::Decl(d) => d.name.name.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn unclosed_block_keeps_the_declaration() {
    let p = parse(FileId(0), "service web {\n  cpu = 256\n\nnetwork main { }\n");
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.file.items.iter().any(|i| matches!(i, Item::Decl(d) if d.name.name == "web" && d.recovered)));
}

#[test]
fn lexical_diagnostics() {
    assert_eq!(codes("let a = { x: 1 }"), [("FG0002", 11)]);
    assert_eq!(codes("let a = 10.0.0.1/16"), [("FG0004", 8)]);
    assert_eq!(codes("let a = 10.0.0.300/16"), [("FG0004", 8)]);
    assert_eq!(codes(r#"let a = "a\qb""#), [("FG0005", 10)]);
    assert_eq!(codes("let a = 99999999999999999999"), [("FG0003", 8)]);
}

#[test]
fn never_panics_on_junk() {
    for src in ["", "{", "}", "\"", "service", "service x {", "let = ", "\u{FEFF}", "é{é", "route", "a b { c d { e"] {
        let _ = parse(FileId(0), src);
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    for open in ["[", "{", "("] {
        let src = format!("let a = {}", open.repeat(100_000));
        let p = parse(FileId(0), &src);
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].message.contains("nested deeper"));
    }
    // Brackets inside strings and comments do not count.
    let src = format!("let a = \"{}\" // {}", "[".repeat(100), "{".repeat(100));
    assert!(parse(FileId(0), &src).diagnostics.is_empty());
    let nested = format!("let a = {}1{}", "[".repeat(60), "]".repeat(60));
    assert!(parse(FileId(0), &nested).diagnostics.is_empty());
}
