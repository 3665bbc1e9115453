//! `fgc`: the command line. A thin layer: it reads files, calls the compiler crates and
//! turns their results into output and exit codes. It holds no compiler logic.

mod deploy;
mod preflight;

use fgc::render;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use fg_check::{Analysis, Host, Options, analyze};

/// fgc compiles `.fg` files, which describe AWS ECS Fargate stacks, into infrastructure.
#[derive(Parser)]
#[command(name = "fgc", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check stacks; report every problem found.
    Check {
        /// Entry files, one stack each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Check only this environment (all declared environments by default).
        #[arg(long)]
        env: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also run this policy plugin (a `.wasm` component), at level deny. Repeatable.
        #[arg(long = "policy", value_name = "FILE")]
        policies: Vec<PathBuf>,
    },
    /// Check a stack and write its Terraform (or print its IR).
    Build {
        /// The entry file of the stack.
        file: PathBuf,
        /// The environment to build (the app's first when omitted).
        #[arg(long)]
        env: Option<String>,
        /// Where to write the Terraform files.
        #[arg(short, long, default_value = "fgc-out")]
        out: PathBuf,
        /// What to produce: Terraform files, or the IR as JSON on standard output.
        #[arg(long, value_enum, default_value_t = Emit::Terraform)]
        emit: Emit,
        /// Also run this policy plugin (a `.wasm` component), at level deny. Repeatable.
        #[arg(long = "policy", value_name = "FILE")]
        policies: Vec<PathBuf>,
    },
    /// Show what `apply` would change: the source against the recorded state and what
    /// AWS has now (changes made outside fgc shown as such). Exit status 0 when nothing
    /// would change, 2 when something would, 1 on failure.
    Plan {
        /// The entry file of the stack.
        file: PathBuf,
        #[command(flatten)]
        deploy: DeployArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Report only what changed outside fgc (AWS against the state), for scheduled
        /// checks: exit status 0 when AWS matches, 2 when it does not.
        #[arg(long)]
        drift: bool,
    },
    /// Deploy a stack through the AWS SDK: plan, confirm, apply. Exit status 0 when
    /// nothing changed, 2 when changes were applied, 1 on failure.
    Apply {
        /// The entry file of the stack.
        file: PathBuf,
        #[command(flatten)]
        deploy: DeployArgs,
        /// Apply without asking.
        #[arg(long)]
        auto_approve: bool,
        /// AWS calls in flight at most.
        #[arg(long, default_value_t = 8)]
        parallel: usize,
        /// Do not wait for changed services to become stable (emulators never start tasks).
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for services, in seconds.
        #[arg(long, default_value_t = 900, value_name = "SECONDS")]
        wait_timeout: u64,
    },
    /// Release a new image of one service, and nothing else: register a task definition
    /// revision with only the image changed and roll it out (rolling, or blue/green
    /// through CodeDeploy), waiting for the outcome. Exit status 0 when the service
    /// already runs the image, 2 when it was released, 1 when it failed (rolled back).
    Deploy {
        /// The entry file of the stack.
        file: PathBuf,
        /// The service to release, by its name in the stack.
        #[arg(long, value_name = "NAME")]
        service: String,
        /// The image to release, such as `123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:3f2a1c`.
        #[arg(long, value_name = "REF")]
        image: String,
        #[command(flatten)]
        deploy: DeployArgs,
        /// Do not wait for the rollout to finish.
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for the rollout, in seconds; then fgc rolls back.
        #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
        wait_timeout: u64,
    },
    /// Delete everything a stack deployed, dependents first.
    Destroy {
        /// The entry file of the stack.
        file: PathBuf,
        #[command(flatten)]
        deploy: DeployArgs,
        /// Destroy without asking.
        #[arg(long)]
        auto_approve: bool,
        /// AWS calls in flight at most.
        #[arg(long, default_value_t = 8)]
        parallel: usize,
    },
    /// Work with the state of a deployed stack.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Draw a stack: its architecture or its resource graph, as SVG, Mermaid or DOT.
    Graph {
        /// The entry file of the stack.
        file: PathBuf,
        /// The environment to draw (the app's first when omitted).
        #[arg(long)]
        env: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
        format: GraphFormat,
        /// What to draw.
        #[arg(long, value_enum, default_value_t = GraphLevel::Architecture)]
        level: GraphLevel,
        /// Where to write the diagram (standard output when omitted).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Format `.fg` files in place (or check that they are formatted).
    Fmt {
        /// Files, or folders to search for `.fg` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; list the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on standard input and output.
    Lsp,
    /// Print the long explanation of a diagnostic code, such as FG0302.
    Explain {
        /// The code; `fgc explain` with no code lists them all.
        code: Option<String>,
    },
    /// Write a commented starter stack; with `--ci`, a CI pipeline for the stack (written
    /// first when it does not exist yet).
    Init {
        /// Where to write it, or the stack the pipeline is for.
        #[arg(default_value = "stack.fg")]
        path: PathBuf,
        /// Also write a pipeline that checks and plans pull requests and applies and
        /// releases the main branch: `.github/workflows/fgc.yml` or `.gitlab-ci.yml`, in
        /// the current folder (the repository's root).
        #[arg(long, value_enum)]
        ci: Option<Ci>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum StateCommand {
    /// Rebuild a lost state from the resources' `fgc:id` tags (and names) in AWS.
    Recover {
        /// The entry file of the stack.
        file: PathBuf,
        #[command(flatten)]
        deploy: DeployArgs,
    },
}

/// Where and as whom `plan`, `apply` and `destroy` work.
#[derive(clap::Args, Clone)]
struct DeployArgs {
    /// The environment (the app's first when omitted).
    #[arg(long)]
    env: Option<String>,
    /// The state file (`.fgc/state/<app>-<env>.json` beside the entry file by default).
    #[arg(long)]
    state: Option<PathBuf>,
    /// The AWS region (the app's by default).
    #[arg(long)]
    region: Option<String>,
    /// The AWS profile (the default credential chain otherwise).
    #[arg(long)]
    profile: Option<String>,
    /// Send every AWS call to this endpoint, such as an emulator's.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Read every deployed resource back from AWS before planning, so that changes made
    /// outside fgc are seen; `--refresh=false` plans against the state alone.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    refresh: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Ci {
    Github,
    Gitlab,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Emit {
    Terraform,
    Ir,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Svg,
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphLevel {
    Architecture,
    Resources,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Reads source files from the disk.
struct FsHost;

impl Host for FsHost {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string().to_lowercase())
    }
}

/// Writes to standard output; a reader that went away (`fgc build --emit ir | head`) ends
/// the program quietly instead of the panic `print!` would raise.
fn print_out(text: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(text.as_bytes()).and_then(|()| o.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, env, format, policies } => check(&files, env, format, &policies),
        Command::Build { file, env, out, emit, policies } => build(&file, env, &out, emit, &policies),
        Command::Plan { file, deploy, format, drift } => deploy::plan(&file, &deploy, format, drift),
        Command::Apply { file, deploy, auto_approve, parallel, no_wait, wait_timeout } => {
            let wait = (!no_wait).then(|| std::time::Duration::from_secs(wait_timeout));
            deploy::apply(&file, &deploy, auto_approve, parallel, false, wait)
        }
        Command::Deploy { file, service, image, deploy, no_wait, wait_timeout } => {
            let wait = (!no_wait).then(|| std::time::Duration::from_secs(wait_timeout));
            deploy::release(&file, &deploy, &service, &image, wait)
        }
        Command::Destroy { file, deploy, auto_approve, parallel } => {
            deploy::apply(&file, &deploy, auto_approve, parallel, true, None)
        }
        Command::State { command: StateCommand::Recover { file, deploy } } => deploy::recover(&file, &deploy),
        Command::Graph { file, env, format, level, out } => graph(&file, env, format, level, out.as_deref()),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Lsp => {
            fg_lsp::serve_stdio_with(Some(lsp_policies()));
            ExitCode::SUCCESS
        }
        Command::Explain { code } => explain(code.as_deref()),
        Command::Init { path, ci, force } => init(&path, ci, force),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "fgc", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

fn analyze_files(files: &[PathBuf], env: Option<String>, policies: &[PathBuf]) -> Vec<Analysis> {
    let opts = Options { all_envs: env.is_none(), env };
    files
        .iter()
        .map(|f| {
            let mut a = analyze(&FsHost, &f.to_string_lossy(), &opts);
            run_policies(&mut a, policies);
            a
        })
        .collect()
}

/// Runs the stack's policy plugins (and `--policy` ones) over every checked environment,
/// adding their findings to the analysis. The WebAssembly engine starts only when there
/// is a policy to run.
fn run_policies(a: &mut Analysis, extra: &[PathBuf]) {
    if extra.is_empty() && a.models.iter().all(|m| m.policies.is_empty()) {
        return;
    }
    let runtime = match fg_policy::Runtime::new(Some(&cache_dir().join("wasmtime"))) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let extra: Vec<fg_policy::ExtraPolicy> =
        extra.iter().map(|p| fg_policy::ExtraPolicy { path: p.to_string_lossy().into_owned() }).collect();
    let found = fg_policy::check_analysis(&runtime, a, &extra, &read_plugin);
    a.diagnostics.extend(found);
    fg_diag::sort_and_dedup(&mut a.diagnostics);
}

/// Policy findings for the language server: the stack's declared policies run after
/// every analysis without errors. The WebAssembly engine starts with the first policy.
fn lsp_policies() -> fg_lsp::engine::ExtraDiagnostics {
    let runtime: std::sync::OnceLock<Option<fg_policy::Runtime>> = std::sync::OnceLock::new();
    Box::new(move |a: &Analysis| {
        if a.models.iter().all(|m| m.policies.is_empty()) {
            return Vec::new();
        }
        let Some(runtime) = runtime.get_or_init(|| fg_policy::Runtime::new(Some(&cache_dir().join("wasmtime"))).ok())
        else {
            return Vec::new();
        };
        fg_policy::check_analysis(runtime, a, &[], &read_plugin)
    })
}

/// A policy plugin's bytes, or why they cannot be read.
fn read_plugin(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| e.to_string().to_lowercase())
}

/// Where fgc keeps caches: `$FGC_CACHE_DIR`, else `$XDG_CACHE_HOME/fgc`, else `~/.cache/fgc`.
fn cache_dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("FGC_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("fgc")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("fgc")))
        .unwrap_or_else(|| std::env::temp_dir().join("fgc-cache"))
}

fn check(files: &[PathBuf], env: Option<String>, format: Format, policies: &[PathBuf]) -> ExitCode {
    let results = analyze_files(files, env, policies);
    let failed = results.iter().any(Analysis::has_errors);
    match format {
        Format::Human => {
            let color = color_enabled();
            let mut all = Vec::new();
            for a in &results {
                print_out(&render::human(&a.sources, &a.diagnostics, color));
                all.extend(a.diagnostics.iter().cloned());
            }
            if all.is_empty() {
                let n = files.len();
                println!("checked {n} stack{}: no problems", if n == 1 { "" } else { "s" });
            } else {
                println!("{}", render::summary(&all));
            }
        }
        Format::Json => {
            let diags: Vec<serde_json::Value> = results
                .iter()
                .flat_map(|a| a.diagnostics.iter().map(|d| render::json_diagnostic(&a.sources, d)))
                .collect();
            let errors = diags.iter().filter(|d| d["severity"] == "error").count();
            let json = serde_json::json!({
                "diagnostics": diags,
                "errors": errors,
                "warnings": diags.len() - errors,
            });
            print_out(&(serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"));
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// `.fg` files under the given paths, sorted.
fn fg_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&p) {
                stack.extend(entries.flatten().map(|e| e.path()).filter(|e| {
                    e.is_dir() && !e.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
                        || e.extension().is_some_and(|x| x == "fg")
                }));
            }
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn fmt(paths: &[PathBuf], check: bool) -> ExitCode {
    let mut changed = 0;
    let mut failed = 0;
    for path in fg_files(paths) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        match fg_fmt::format(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                changed += 1;
                if check {
                    println!("{}", path.display());
                } else if let Err(e) = write_atomically(&path, &formatted) {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    failed += 1;
                }
            }
            Err(fg_fmt::FormatError::Syntax(n)) => {
                eprintln!("error: `{}` has {n} syntax error(s); `fgc check` shows them", path.display());
                failed += 1;
            }
            Err(fg_fmt::FormatError::Unsafe(why)) => {
                eprintln!("error: `{}` was not formatted: {why} (please report this)", path.display());
                failed += 1;
            }
        }
    }
    if check && changed > 0 {
        eprintln!("{changed} file(s) would be reformatted");
    }
    if failed > 0 || (check && changed > 0) { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.fgc-tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The first line of every file fgc writes; files without it are never deleted.
const GENERATED_MARK: &str = "generated by fgc";

fn build(file: &Path, env: Option<String>, out: &Path, emit: Emit, policies: &[PathBuf]) -> ExitCode {
    let opts = Options { env, all_envs: false };
    let mut a = analyze(&FsHost, &file.to_string_lossy(), &opts);
    run_policies(&mut a, policies);
    if !a.diagnostics.is_empty() {
        eprint!("{}", render::human(&a.sources, &a.diagnostics, color_enabled()));
    }
    if a.has_errors() {
        eprintln!("{}; nothing written", render::summary(&a.diagnostics));
        return ExitCode::from(1);
    }
    let ir = fg_ir::lower(&a.model, &a.sources);
    if emit == Emit::Ir {
        print_out(&(serde_json::to_string_pretty(&ir).unwrap_or_default() + "\n"));
        return ExitCode::SUCCESS;
    }
    let files = fg_terraform::emit(&ir);
    match write_files(out, &files) {
        Ok(removed) => {
            println!(
                "wrote {} files ({} resources) for `{}` ({}) to {}{}",
                files.len(),
                ir.resources.len(),
                ir.app,
                ir.env,
                out.display(),
                if removed > 0 { format!("; removed {removed} stale generated files") } else { String::new() }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write to `{}`: {e}", out.display());
            ExitCode::from(1)
        }
    }
}

fn graph(file: &Path, env: Option<String>, format: GraphFormat, level: GraphLevel, out: Option<&Path>) -> ExitCode {
    let opts = Options { env, all_envs: false };
    let a = analyze(&FsHost, &file.to_string_lossy(), &opts);
    if !a.diagnostics.is_empty() {
        eprint!("{}", render::human(&a.sources, &a.diagnostics, color_enabled()));
    }
    if a.has_errors() {
        eprintln!("{}; nothing drawn", render::summary(&a.diagnostics));
        return ExitCode::from(1);
    }
    let ir = fg_ir::lower(&a.model, &a.sources);
    let format = match format {
        GraphFormat::Svg => fg_graph::Format::Svg,
        GraphFormat::Mermaid => fg_graph::Format::Mermaid,
        GraphFormat::Dot => fg_graph::Format::Dot,
    };
    let level = match level {
        GraphLevel::Architecture => fg_graph::Level::Architecture,
        GraphLevel::Resources => fg_graph::Level::Resources,
    };
    let text = fg_graph::render(&a.model, &ir, format, level);
    match out {
        None => {
            print_out(&text);
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                ExitCode::from(1)
            }
        },
    }
}

/// Writes the files, each atomically (temporary file, then rename), and removes `.tf`
/// files an earlier build generated that this one no longer does. Files fgc did not
/// write are never touched.
fn write_files(dir: &Path, files: &[fg_terraform::TfFile]) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    for f in files {
        let path = dir.join(&f.name);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == f.text) {
            continue;
        }
        if path.exists()
            && !std::fs::read_to_string(&path)
                .is_ok_and(|old| old.lines().next().is_some_and(|l| l.contains(GENERATED_MARK)))
        {
            return Err(std::io::Error::other(format!("`{}` exists and was not generated by fgc", path.display())));
        }
        let tmp = dir.join(format!(".{}.tmp", f.name));
        std::fs::write(&tmp, &f.text)?;
        std::fs::rename(&tmp, &path)?;
    }
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let stale = path.extension().is_some_and(|e| e == "tf")
            && !files.iter().any(|f| f.name == name)
            && std::fs::read_to_string(&path)
                .is_ok_and(|t| t.lines().next().is_some_and(|l| l.contains(GENERATED_MARK)));
        if stale {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn explain(code: Option<&str>) -> ExitCode {
    match code {
        None => {
            for c in fg_diag::CODES {
                println!("{}  {}", c.code, c.name);
            }
            ExitCode::SUCCESS
        }
        Some(code) => match fg_diag::codes::lookup(code) {
            Some(info) => {
                print_out(&format!("{} ({})\n\n{}\n", info.code, info.name, info.explanation));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: unknown diagnostic code `{code}`; `fgc explain` lists them");
                ExitCode::from(2)
            }
        },
    }
}

fn init(path: &std::path::Path, ci: Option<Ci>, force: bool) -> ExitCode {
    let write = |to: &Path, text: &str| -> Result<(), ExitCode> {
        if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::write(to, text).map_err(|e| {
            eprintln!("error: cannot write `{}`: {e}", to.display());
            ExitCode::from(1)
        })
    };
    // With `--ci`, an existing stack is what the pipeline is for; without, it is in the way.
    if !path.exists() || (force && ci.is_none()) {
        if let Err(code) = write(path, include_str!("starter.fg")) {
            return code;
        }
        println!("wrote {}; check it with `fgc check {}`", path.display(), path.display());
    } else if ci.is_none() {
        eprintln!("error: `{}` already exists; pass `--force` to overwrite it", path.display());
        return ExitCode::from(1);
    }
    let Some(ci) = ci else { return ExitCode::SUCCESS };
    let a = analyze(&FsHost, &path.to_string_lossy(), &Options::default());
    if a.has_errors() {
        eprint!("{}", render::human(&a.sources, &a.diagnostics, color_enabled()));
        eprintln!("{}; fix the stack before generating its pipeline", render::summary(&a.diagnostics));
        return ExitCode::from(1);
    }
    // The pipeline runs from the repository root: the stack's path relative to here.
    let cwd = std::env::current_dir().unwrap_or_default();
    let relative = path.strip_prefix(&cwd).unwrap_or(path).to_string_lossy().trim_start_matches("./").to_string();
    let stack = fgc::ci::Stack::of(&a.model, &relative);
    let (to, text) = match ci {
        Ci::Github => (Path::new(".github/workflows/fgc.yml"), fgc::ci::github(&stack)),
        Ci::Gitlab => (Path::new(".gitlab-ci.yml"), fgc::ci::gitlab(&stack)),
    };
    if to.exists() && !force {
        eprintln!("error: `{}` already exists; pass `--force` to overwrite it", to.display());
        return ExitCode::from(1);
    }
    if let Err(code) = write(to, &text) {
        return code;
    }
    println!("wrote {}; set the variables its header lists before the first run", to.display());
    ExitCode::SUCCESS
}
