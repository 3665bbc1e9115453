//! Policy plugins end to end: the example policies over passing and failing stacks, every
//! way a plugin can fail, and hostile plugins stopped by the sandbox.
//!
//! The plugins are built from `examples/policies` for `wasm32-wasip2` on first use (into
//! `examples/policies/target`), with the real toolchain, so these tests prove the SDK,
//! the WIT interface and the host agree.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fg_policy::{Failure, Limits, PluginIr, Runtime};
use fg_tests::{files, golden, root};

use super::{check_all, diag_lines, expected_codes, finish};

/// The folder of built plugins; builds them once per test run.
fn plugins() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(fg_bench::policy_plugins) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// One runtime for the whole run, so each plugin compiles once; compiled code is cached
/// on disk beside the plugins for the next run.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache = root().join("examples/policies/target/wasmtime-cache");
        Runtime::new(Some(&cache)).expect("start the WebAssembly runtime")
    })
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| e.to_string().to_lowercase())
}

/// Every stack in tests/policy runs its policies with the diagnostics recorded beside it:
/// each example policy passes one stack and fails another, and each way a plugin can fail
/// has its diagnostic.
#[test]
fn policy_stacks() {
    plugins();
    let dir = root().join("tests/policy");
    let inputs: Vec<PathBuf> = files(&dir, "fg").into_iter().filter(|p| p.parent() == Some(dir.as_path())).collect();
    assert!(inputs.len() >= 18, "only {} policy stacks", inputs.len());
    let mut failures = Vec::new();
    for path in &inputs {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut a = check_all(path);
        if a.has_errors() {
            failures.push(format!("{}: the stack itself has errors:\n{}", path.display(), diag_lines(&a)));
            continue;
        }
        let found = fg_policy::check_analysis(runtime(), &a, &[], &read);
        a.diagnostics.extend(found);
        fg_diag::sort_and_dedup(&mut a.diagnostics);
        let lines = diag_lines(&a);
        let promised = expected_codes(&text);
        if promised == ["none"] {
            if !a.diagnostics.is_empty() {
                failures.push(format!("{}: expected no findings, got:\n{lines}", path.display()));
            }
        } else if promised.is_empty() {
            failures.push(format!("{}: no `// expect: CODE` (or `none`) header", path.display()));
        }
        for code in promised.iter().filter(|c| *c != "none") {
            if !a.diagnostics.iter().any(|d| d.code.0 == code) {
                failures.push(format!("{}: expected {code}, got:\n{lines}", path.display()));
            }
        }
        failures.extend(golden(&path.with_extension("diag"), &lines));
    }
    finish(failures);
}

/// `--policy FILE` (an extra policy at level deny) runs beside the declared ones.
#[test]
fn extra_policies_from_the_command_line() {
    let min_tasks = plugins().join("min_tasks.wasm").to_string_lossy().into_owned();
    let a = check_all(&root().join("tests/policy/min-tasks-pass.fg"));
    let extra = [fg_policy::ExtraPolicy { path: min_tasks }];
    let found = fg_policy::check_analysis(runtime(), &a, &extra, &read);
    // Without config, `min` is missing: the plugin's own error, named after the file.
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code.0, "FG0610");
    assert!(
        found[0].message.contains("policy `min_tasks` failed: config field `min` is missing"),
        "{}",
        found[0].message
    );
}

/// open-ingress over a hand-written IR: fgc's own lowering never opens anything but the
/// balancer, so the failing case is an IR another producer (or a future fgc) might make.
#[test]
fn open_ingress_on_a_hand_written_ir() {
    let ir = std::fs::read_to_string(root().join("tests/policy/open-ingress-fail.ir.json")).expect("read the IR");
    let ir = PluginIr::from_json(&ir).expect("parse the IR");
    let plugin =
        runtime().load(&std::fs::read(plugins().join("open_ingress.wasm")).expect("read plugin")).expect("load");
    assert_eq!(plugin.metadata.name, "open-ingress");
    assert_eq!(plugin.metadata.rules.len(), 1);
    let findings = runtime().evaluate(&plugin, &ir, "{}", Limits::default()).expect("evaluate");
    let text: String = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}: {}\n",
                if f.error { "error" } else { "warning" },
                f.rule,
                f.resource.as_deref().unwrap_or("-"),
                f.attribute.as_deref().unwrap_or("-"),
                f.message
            )
        })
        .collect();
    assert_eq!(findings.len(), 3, "{text}");
    assert!(findings.iter().all(|f| !f.resource.as_deref().unwrap_or("").starts_with("balancer")), "{text}");
    finish(golden(&root().join("tests/policy/open-ingress-fail.findings"), &text).into_iter().collect());
}

/// Each hostile behaviour is stopped within a second with its own failure, and the
/// runtime stays usable afterwards.
#[test]
fn hostile_plugins_are_stopped_within_a_second() {
    let bytes = std::fs::read(plugins().join("hostile.wasm")).expect("read hostile plugin");
    let plugin = runtime().load(&bytes).expect("load hostile plugin");
    let ir = r#"{"version":1,"app":"a","env":"e","region":"us-east-1","tags":{},"resources":[],"outputs":[]}"#;
    let ir = &PluginIr::from_json(ir).expect("parse the IR");
    let unlimited = Limits { fuel: u64::MAX / 2, ..Limits::default() };
    type Expect = fn(&Failure) -> bool;
    let cases: [(&str, Limits, Expect); 8] = [
        ("loop", Limits::default(), |f| matches!(f, Failure::Fuel { .. })),
        ("loop", unlimited, |f| matches!(f, Failure::Deadline { .. })),
        ("memory", Limits::default(), |f| matches!(f, Failure::Memory { .. })),
        ("file", Limits::default(), |f| matches!(f, Failure::Sandbox { what: "the filesystem", .. })),
        ("env", Limits::default(), |f| matches!(f, Failure::Sandbox { what: "environment variables", .. })),
        ("clock", Limits::default(), |f| matches!(f, Failure::Sandbox { what: "the clock", .. })),
        (
            "panic",
            Limits::default(),
            |f| matches!(f, Failure::Trap { output, .. } if output.contains("the hostile plugin panics on purpose")),
        ),
        ("error", Limits::default(), |f| matches!(f, Failure::Returned(m) if m == "the hostile plugin refuses")),
    ];
    let mut failures = Vec::new();
    for (attack, limits, expected) in cases {
        let config = format!(r#"{{"attack":"{attack}"}}"#);
        let start = Instant::now();
        let result = runtime().evaluate(&plugin, ir, &config, limits);
        let took = start.elapsed();
        match &result {
            Err(f) if expected(f) => {}
            other => failures.push(format!("{attack}: unexpected result {other:?}")),
        }
        if took > Duration::from_secs(1) {
            failures.push(format!("{attack}: stopped after {took:?}, more than a second"));
        }
    }
    // The same instance-free runtime still evaluates a well-behaved call.
    let fine = runtime().evaluate(&plugin, ir, r#"{"attack":"none"}"#, Limits::default());
    assert!(matches!(&fine, Ok(f) if f.len() == 1), "{fine:?}");
    finish(failures);
}

/// The IR the plugins receive is the one `fgc build --emit ir` prints.
#[test]
fn plugins_receive_the_documented_ir() {
    let a = check_all(&root().join("examples/two-services-path-routing.fg"));
    let ir = fg_ir::lower(&a.model, &a.sources);
    let json = serde_json::to_value(&ir).expect("serialise");
    assert_eq!(json["version"], fg_ir::IR_VERSION);
    let plugin = runtime().load(&std::fs::read(plugins().join("hostile.wasm")).expect("read")).expect("load");
    let findings = runtime().evaluate(&plugin, &PluginIr::new(&ir), "{}", Limits::default()).expect("evaluate");
    assert_eq!(findings[0].message, format!("{} resources, behaving", ir.resources.len()));
    // A version the SDK does not read is the plugin's error, not a misreading.
    let mut future = json.clone();
    future["version"] = serde_json::json!(fg_ir::IR_VERSION + 1);
    let future = PluginIr::from_json(&future.to_string()).expect("parse the IR");
    let refused = runtime().evaluate(&plugin, &future, "{}", Limits::default());
    assert!(matches!(&refused, Err(Failure::Returned(m)) if m.contains("reads IR version 1")), "{refused:?}");
}
