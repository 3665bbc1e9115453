//! The `fgc` binary as users run it: exit codes, output formats, explain, init, completions.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fgc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fgc")).args(args).env_remove("NO_COLOR").output().expect("run fgc")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fgc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn check_clean_example_exits_zero() {
    let ex = root().join("examples/two-services-path-routing.fg");
    let o = fgc(&["check", &ex.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("no problems"));
}

#[test]
fn check_reports_every_error_and_exits_one() {
    let dir = temp_dir("errors");
    let file = dir.join("bad.fg");
    std::fs::write(
        &file,
        "app \"shop\" { region = \"eu-west-1\" }\nnetwork main {}\nservice web {\n  image = \"x\"\n  memory = 4GiB\n  memroy = 1GiB\n}\n",
    )
    .expect("write");
    let o = fgc(&["check", &file.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    // Not a terminal: no escape codes.
    assert!(!out.contains('\u{1b}'), "colour codes in piped output");
    assert!(out.contains("FG0302") && out.contains("FG0105"), "{out}");
    assert!(out.contains("did you mean `memory`?"), "{out}");
    assert!(out.contains("2 errors, 0 warnings"), "{out}");

    let o = fgc(&["check", "--format", "json", &file.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    let json = stdout(&o);
    assert!(json.contains("\"code\": \"FG0302\""), "{json}");
    assert!(json.contains("\"line\": 5"), "{json}");
    assert!(json.contains("\"errors\": 2"), "{json}");
    assert!(json.contains("\"replacement\": \"2GiB\""), "a fix is offered: {json}");
}

#[test]
fn missing_file_is_a_diagnostic() {
    let o = fgc(&["check", "/nonexistent/stack.fg"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FG0109"), "{}", stdout(&o));
}

#[test]
fn unknown_environment_flag() {
    let ex = root().join("examples/step-scaled-ha-app.fg");
    let o = fgc(&["check", "--env", "prod", &ex.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FG0112"), "{}", stdout(&o));
    let o = fgc(&["check", "--env", "production", &ex.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// A malformed `--image` is refused before fgc reads the state or calls AWS: the state
/// file named here does not exist, and the error is about the image.
#[test]
fn deploy_refuses_a_malformed_image_before_anything_else() {
    let ex = root().join("examples/step-scaled-ha-app.fg");
    let state = temp_dir("deploy-image").join("absent.json");
    for (image, why) in [
        ("", "it is empty"),
        ("acme/api 2", "whitespace"),
        ("ghcr.io/Acme/api:1", "uppercase"),
        ("acme/api:", "tag after `:` is empty"),
    ] {
        let o = fgc(&[
            "deploy",
            &ex.to_string_lossy(),
            "--service",
            "app",
            "--image",
            image,
            "--state",
            &state.to_string_lossy(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{image:?}: {err}");
        assert!(err.contains("is not a valid image reference") && err.contains(why), "{image:?}: {err}");
        assert!(err.contains("help: "), "{err}");
        assert!(!state.exists());
    }
}

#[test]
fn explain() {
    let o = fgc(&["explain", "FG0302"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("16384 → 32GiB … 120GiB in 8GiB steps"));
    let o = fgc(&["explain", "fg0105"]);
    assert_eq!(o.status.code(), Some(0));
    let o = fgc(&["explain", "FG9999"]);
    assert_eq!(o.status.code(), Some(2));
    let o = fgc(&["explain"]);
    assert_eq!(stdout(&o).lines().count(), fg_diag::CODES.len());
}

#[test]
fn init_writes_a_clean_starter_and_never_overwrites() {
    let dir = temp_dir("init");
    let file = dir.join("stack.fg");
    let o = fgc(&["init", &file.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    let o = fgc(&["check", &file.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    std::fs::write(&file, "mine").expect("write");
    let o = fgc(&["init", &file.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine", "init overwrote a file");
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        let o = fgc(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("explain"), "{shell}");
    }
}

#[test]
fn fmt_check_names_files_and_fmt_rewrites_them() {
    let dir = temp_dir("fmt");
    let messy = dir.join("messy.fg");
    let clean = dir.join("clean.fg");
    std::fs::write(&messy, "app \"a\" {region=\"eu-west-1\"}\n").expect("write");
    std::fs::write(&clean, "app \"a\" { region = \"eu-west-1\" }\n").expect("write");
    let o = fgc(&["fmt", "--check", &dir.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("messy.fg") && !stdout(&o).contains("clean.fg"), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), "app \"a\" {region=\"eu-west-1\"}\n", "--check wrote");
    let o = fgc(&["fmt", &messy.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), "app \"a\" { region = \"eu-west-1\" }\n");
    let o = fgc(&["fmt", "--check", &dir.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    std::fs::write(&messy, "service {").expect("write");
    let o = fgc(&["fmt", &messy.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&messy).expect("read"), "service {", "a file with errors was rewritten");
}

/// The plugins of `examples/policies`, built once.
fn plugins() -> PathBuf {
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    match BUILT.get_or_init(fg_bench::policy_plugins) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// `check` and `build` run declared policies and `--policy` ones; a deny finding fails
/// both, and `build` then writes nothing.
#[test]
fn policies_fail_check_and_build() {
    plugins();
    let failing = root().join("tests/policy/min-tasks-fail.fg");
    let cache = temp_dir("policy-cache");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fgc")).args(args).env("FGC_CACHE_DIR", &cache).output().expect("run fgc")
    };
    let o = run(&["check", &failing.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("[min-tasks/min-tasks] `service.site` runs 1 task(s) in `prod`"), "{}", stdout(&o));

    let out = temp_dir("policy-build");
    let o = run(&["build", &failing.to_string_lossy(), "--env", "prod", "-o", &out.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(std::fs::read_dir(&out).expect("out dir").next().is_none(), "build wrote files despite a deny finding");
    // In dev the floor is 1: the build goes through.
    let o = run(&["build", &failing.to_string_lossy(), "--env", "dev", "-o", &out.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));

    // `--policy`: an extra plugin, deny, empty config.
    let passing = root().join("examples/two-services-path-routing.fg");
    let hostile = plugins().join("hostile.wasm");
    let o = run(&["check", &passing.to_string_lossy(), "--policy", &hostile.to_string_lossy(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(json["diagnostics"][0]["code"], "FG0601", "{json}");
    assert_eq!(json["warnings"], 1);
    assert_eq!(o.status.code(), Some(0));
}

/// A real client over stdio: policy findings reach the editor as diagnostics, at the
/// declaration that produced the resource (in the imported file), and go away when the
/// stack complies.
#[test]
fn language_server_reports_policy_findings() {
    use std::io::{BufRead, BufReader, Read, Write};
    plugins();
    let cache = temp_dir("lsp-policy");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fgc"))
        .arg("lsp")
        .env("FGC_CACHE_DIR", &cache)
        .env("XDG_CACHE_HOME", &cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start fgc lsp");
    let mut input = child.stdin.take().expect("stdin");
    let mut output = BufReader::new(child.stdout.take().expect("stdout"));
    let mut send = |v: serde_json::Value| {
        let body = v.to_string();
        write!(input, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        input.flush().expect("flush");
    };
    let mut receive = move || -> serde_json::Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            output.read_line(&mut line).expect("read header");
            if line == "\r\n" {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; len];
        output.read_exact(&mut body).expect("read body");
        serde_json::from_slice(&body).expect("json")
    };
    let file = root().join("tests/policy/min-tasks-fail.fg").canonicalize().expect("path");
    let uri = format!("file://{}", file.display());
    let text = std::fs::read_to_string(&file).expect("read");
    send(serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}));
    while receive().get("id").is_none() {}
    send(serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let open = |text: &str, version: i32| {
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "fg", "version": version, "text": text}}})
    };
    send(open(&text, 1));
    // Diagnostics for the imported stack.fg, where `service site` is declared.
    let mut findings = None;
    for _ in 0..20 {
        let m = receive();
        if m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"].as_str().is_some_and(|u| u.ends_with("shared/stack.fg"))
        {
            findings = Some(m["params"]["diagnostics"].clone());
            break;
        }
    }
    let findings = findings.expect("diagnostics for shared/stack.fg");
    assert_eq!(findings.as_array().map(Vec::len), Some(1), "{findings}");
    assert_eq!(findings[0]["code"], "FG0601");
    assert_eq!(findings[0]["range"]["start"]["line"], 36, "{findings}");
    // Lower the floor: the finding goes away.
    let fixed = text.replace("min = env { prod = 2, _ = 1 }", "min = 1");
    send(serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}}));
    let mut cleared = false;
    for _ in 0..20 {
        let m = receive();
        if m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"].as_str().is_some_and(|u| u.ends_with("shared/stack.fg"))
        {
            cleared = m["params"]["diagnostics"].as_array().is_some_and(Vec::is_empty);
            break;
        }
    }
    assert!(cleared, "the finding stayed after the fix");
    send(serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    send(serde_json::json!({"jsonrpc": "2.0", "method": "exit"}));
    let _ = child.wait();
}

/// `fgc init --ci`: for each example and CI system, the pipeline matches its golden file
/// under `tests/ci` (`FGC_UPDATE=1` regenerates them), parses as YAML, checks and plans
/// changes for review, and on the main branch applies, then builds, pushes and releases
/// each image of the stack's own repositories.
#[test]
fn init_ci_writes_pipelines_that_check_plan_apply_and_release() {
    const SHAPE: &str = r#"
import json, sys, yaml
ci, text = sys.argv[1], open(sys.argv[2]).read()
doc = yaml.safe_load(text)
def runs(steps):
    return "\n".join(s.get("run", "") for s in steps)
if ci == "github":
    on = doc[True]
    check, deploy = doc["jobs"]["check"], doc["jobs"]["deploy"]
    out = {
        "triggers": sorted(on.keys()), "branches": on["push"]["branches"],
        "check": runs(check["steps"]), "deploy": runs(deploy["steps"]),
        "deploy_if": deploy["if"], "needs": deploy["needs"],
    }
else:
    out = {
        "triggers": [r["if"] for r in doc["workflow"]["rules"]], "branches": [],
        "check": "\n".join(doc["check"]["script"]), "deploy": "\n".join(doc["deploy"]["script"]),
        "deploy_if": doc["deploy"]["rules"][0]["if"], "needs": "",
    }
print(json.dumps(out))
"#;
    let update = std::env::var_os("FGC_UPDATE").is_some();
    let mut failures = Vec::new();
    // (example, the service built from the stack's repository, if any)
    for (name, built) in [("private-backend-blue-green", Some("backend")), ("step-scaled-ha-app", None)] {
        for ci in ["github", "gitlab"] {
            let dir = temp_dir(&format!("ci-{name}-{ci}"));
            std::fs::create_dir_all(dir.join("infra")).expect("dir");
            std::fs::copy(root().join(format!("examples/{name}.fg")), dir.join("infra/stack.fg")).expect("copy");
            let o = Command::new(env!("CARGO_BIN_EXE_fgc"))
                .args(["init", "infra/stack.fg", "--ci", ci])
                .current_dir(&dir)
                .output()
                .expect("run fgc");
            assert_eq!(o.status.code(), Some(0), "{name} {ci}: {}", String::from_utf8_lossy(&o.stderr));
            let written = dir.join(if ci == "github" { ".github/workflows/fgc.yml" } else { ".gitlab-ci.yml" });
            let text = std::fs::read_to_string(&written).expect("pipeline written");
            let golden = root().join(format!("tests/ci/{name}.{ci}.yml"));
            if update {
                std::fs::create_dir_all(golden.parent().expect("dir")).expect("dir");
                std::fs::write(&golden, &text).expect("write golden");
            } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(text.as_str()) {
                failures.push(format!("{} differs (FGC_UPDATE=1 regenerates)", golden.display()));
            }
            // A second run keeps what is there.
            let again = Command::new(env!("CARGO_BIN_EXE_fgc"))
                .args(["init", "infra/stack.fg", "--ci", ci])
                .current_dir(&dir)
                .output();
            if again.map(|o| o.status.code()).ok().flatten() != Some(1) {
                failures.push(format!("{name} {ci}: a second `fgc init --ci` overwrote the pipeline"));
            }
            let shape =
                Command::new("python3").args(["-c", SHAPE, ci, &written.to_string_lossy()]).output().expect("python3");
            if !shape.status.success() {
                failures
                    .push(format!("{name} {ci}: not the expected YAML: {}", String::from_utf8_lossy(&shape.stderr)));
                continue;
            }
            let shape: serde_json::Value = serde_json::from_slice(&shape.stdout).expect("shape JSON");
            let check = shape["check"].as_str().unwrap_or_default();
            let deploy = shape["deploy"].as_str().unwrap_or_default();
            let want_triggers = if ci == "github" {
                serde_json::json!(["pull_request", "push"])
            } else {
                serde_json::json!([
                    "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
                    "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
                ])
            };
            if shape["triggers"] != want_triggers {
                failures.push(format!("{name} {ci}: triggers {}", shape["triggers"]));
            }
            if !check.contains("fgc check \"$FGC_STACK\"")
                || !check.contains("fgc plan \"$FGC_STACK\"")
                || check.contains("fgc apply")
            {
                failures.push(format!("{name} {ci}: the check job must check and plan, and change nothing:\n{check}"));
            }
            let apply = deploy.find("fgc apply \"$FGC_STACK\"");
            let release = deploy.find("fgc deploy \"$FGC_STACK\"");
            match built {
                Some(svc) => {
                    let ok = apply.is_some()
                        && release.is_some_and(|r| Some(r) > apply)
                        && deploy.contains(&format!("--service {svc} --image"))
                        && deploy.contains("docker push");
                    if !ok {
                        failures.push(format!(
                            "{name} {ci}: the deploy job must apply, then push and release `{svc}`:\n{deploy}"
                        ));
                    }
                }
                None if apply.is_none() || release.is_some() || deploy.contains("docker") => {
                    failures.push(format!("{name} {ci}: the deploy job must apply and build nothing:\n{deploy}"));
                }
                None => {}
            }
            if ci == "github"
                && (shape["needs"] != "check" || !shape["deploy_if"].as_str().unwrap_or("").contains("refs/heads/main"))
            {
                failures.push(format!("{name} {ci}: deploy runs after check, on main only: {shape}"));
            }
            // The state path is fgc's default for the stack's first environment.
            if !text.contains(&format!(
                "FGC_STATE: infra/.fgc/state/{}",
                if built.is_some() { "fargate-backend-default.json" } else { "aws-ecs-ha-app-staging.json" }
            )) {
                failures.push(format!("{name} {ci}: not fgc's state path:\n{text}"));
            }
        }
    }
    // A stack with errors gets no pipeline.
    let dir = temp_dir("ci-broken");
    std::fs::write(dir.join("stack.fg"), "app \"x\" { region = \"eu-west-1\" }\nservice web { cpu = 3 }\n")
        .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_fgc"))
        .args(["init", "stack.fg", "--ci", "github"])
        .current_dir(&dir)
        .output()
        .expect("fgc");
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.join(".github").exists(), "no pipeline for a broken stack");
    assert!(failures.is_empty(), "{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}
