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
