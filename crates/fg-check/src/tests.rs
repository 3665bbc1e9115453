//! Unit tests through one helper: source in, diagnostic codes (and lines) out.

use crate::{MemoryHost, Options, analyze};

const HEADER: &str = "app \"shop\" { region = \"eu-west-1\" }\nnetwork main {}\n";

/// Codes and 1-based lines of the diagnostics for `src` (after a standard header).
fn codes(src: &str) -> Vec<(String, u32)> {
    let text = format!("{HEADER}{src}");
    let host = MemoryHost::new().with("main.fg", &text);
    let a = analyze(&host, "main.fg", &Options { env: None, all_envs: true });
    a.diagnostics
        .iter()
        .map(|d| {
            (d.code.0.to_string(), a.sources.get(d.primary.span.file).line_col(d.primary.span.start as usize).line)
        })
        .collect()
}

fn check(src: &str, expect: &[(&str, u32)]) {
    let got = codes(src);
    let want: Vec<(String, u32)> = expect.iter().map(|(c, l)| ((*c).to_string(), *l)).collect();
    assert_eq!(got, want, "\n{src}");
}

#[test]
fn clean_service() {
    check("service web { image = \"nginx\" }", &[]);
}

#[test]
fn memory_is_derived_from_cpu() {
    let host = MemoryHost::new().with("m.fg", &format!("{HEADER}service web {{ image = \"x\", cpu = 1024 }}"));
    let a = analyze(&host, "m.fg", &Options::default());
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    assert_eq!(a.model.services[0].memory_mib, 2048);
    assert!(a.model.services[0].memory_derived);
}

#[test]
fn fargate_memory_table() {
    check("service web { image = \"x\", cpu = 256, memory = 4GiB }", &[("FG0302", 3)]);
    check("service web { image = \"x\", cpu = 300 }", &[("FG0301", 3)]);
    check("service web { image = \"x\", cpu = 0.5vcpu, memory = 3GiB }", &[]);
}

#[test]
fn units() {
    check("service web { image = \"x\", memory = 512 }", &[("FG0203", 3)]);
    check("service web { image = \"x\", log_retention = 7days }", &[("FG0202", 3)]);
    check("service web { image = \"x\", count = 1.5 }", &[("FG0204", 3)]);
}

#[test]
fn names_and_fields() {
    check("service web { image = \"x\", memroy = 1GiB }", &[("FG0105", 3)]);
    check("servce web { image = \"x\" }", &[("FG0101", 3)]);
    check("service web { cpu = 256 }", &[("FG0107", 3)]);
    check("service web { image = \"x\" }\nservice web { image = \"y\" }", &[("FG0102", 4)]);
}

#[test]
fn spread_and_env() {
    check("let base = { cpu = 512, memory = 1GiB }\nservice web { ...base, image = \"x\", memory = 2GiB }", &[]);
    check("let a = { ...b }\nlet b = { ...a }", &[("FG0110", 4)]);
}

#[test]
fn step_intervals() {
    check(
        "service web {\n image = \"x\"\n scale {\n  max = 4\n  step cpu >= 80% => +1\n  step cpu >= 90% => +2\n }\n}",
        &[("FG0402", 8)],
    );
    check(
        "service web {\n image = \"x\"\n scale {\n  max = 4\n  step cpu >= 80% < 85% => +1\n  step cpu >= 90% => +2\n }\n}",
        &[("FG0403", 8)],
    );
    check(
        "service web {\n image = \"x\"\n scale {\n  max = 4\n  step cpu >= 80% < 90% => +1\n  step cpu >= 90% => +2\n  step cpu <= 10% => -1\n }\n}",
        &[],
    );
}

#[test]
fn database_access() {
    check("database db { engine = postgres }", &[("FG0501", 3)]);
    check(
        "database db { engine = postgres, access = [web] }\nservice web { image = \"x\", secrets = { P = db.password }, environment = { H = db.address } }",
        &[],
    );
    check(
        "database db { engine = postgres, access = [web] }\nservice web { image = \"x\" }\nservice api { image = \"x\", environment = { H = \"${db.address}\" } }",
        &[("FG0503", 5)],
    );
    check(
        "database db { engine = postgres, access = [web], password = \"hunter2\" }\nservice web { image = \"x\" }",
        &[("FG0502", 3)],
    );
}

#[test]
fn long_let_chains_do_not_exhaust_the_stack() {
    let mut src = String::new();
    for i in 0..5000 {
        src.push_str(&format!("let l{i} = l{}\n", i + 1));
    }
    src.push_str("let l5000 = 1\n");
    let got = codes(&src);
    assert!(got.iter().any(|(c, _)| c == "FG0110"), "{got:?}");
}
