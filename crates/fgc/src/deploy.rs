//! `fgc plan`, `apply`, `destroy`, `deploy` and `state recover`: the stack checked and
//! lowered, then handed to fg-aws; what they print and their exit status. Preflight
//! failures become diagnostics at their `.fg` spans.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use fg_check::{Options, analyze};
use fg_diag::SourceMap;
use fgc::render;

use crate::{DeployArgs, Format, FsHost, color_enabled, run_policies};

/// Checks the stack (policies included) and lowers it for `plan`, `apply`, `destroy`.
fn lower_for_deploy(
    file: &Path,
    args: &DeployArgs,
) -> Result<(fg_check::model::Model, fg_ir::Ir, fg_aws::Run, SourceMap), ExitCode> {
    let opts = Options { env: args.env.clone(), all_envs: false };
    let mut a = analyze(&FsHost, &file.to_string_lossy(), &opts);
    run_policies(&mut a, &[]);
    if !a.diagnostics.is_empty() {
        eprint!("{}", render::human(&a.sources, &a.diagnostics, color_enabled()));
    }
    if a.has_errors() {
        eprintln!("{}; nothing deployed", render::summary(&a.diagnostics));
        return Err(ExitCode::from(1));
    }
    let ir = fg_ir::lower(&a.model, &a.sources);
    let state = args.state.clone().unwrap_or_else(|| fg_aws::default_state_path(file, &ir.app, &ir.env));
    let target = fg_aws::Target {
        region: args.region.clone().unwrap_or_else(|| ir.region.clone()),
        profile: args.profile.clone(),
        endpoint: args.endpoint_url.clone(),
        credentials: None,
    };
    let run = fg_aws::Run {
        target,
        state,
        parallel: 8,
        wait: None,
        poll: std::time::Duration::from_secs(6),
        refresh: args.refresh,
    };
    Ok((a.model, ir, run, a.sources))
}

/// Why a run stopped before changing anything, printed; exit status 1.
fn stopped(stop: fg_aws::run::Stop, sources: &SourceMap, format: Format) -> ExitCode {
    match stop {
        fg_aws::run::Stop::Error(e) => eprintln!("error: {e}"),
        fg_aws::run::Stop::Preflight(failures) => {
            let diags: Vec<fg_diag::Diagnostic> =
                failures.iter().map(|f| crate::preflight::diagnostic(sources, f)).collect();
            match format {
                Format::Human => {
                    eprint!("{}", render::human(sources, &diags, color_enabled()));
                    eprintln!("{}; nothing changed", render::summary(&diags));
                }
                Format::Json => {
                    let list: Vec<serde_json::Value> =
                        diags.iter().map(|d| render::json_diagnostic(sources, d)).collect();
                    let out = serde_json::json!({"diagnostics": list, "errors": list.len(), "warnings": 0});
                    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
                }
            }
        }
    }
    ExitCode::from(1)
}

pub(crate) fn plan(file: &Path, args: &DeployArgs, format: Format, drift: bool) -> ExitCode {
    let (_, ir, run, sources) = match lower_for_deploy(file, args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(rt) = runtime() else { return ExitCode::from(1) };
    if drift {
        return match rt.block_on(fg_aws::run::drift(&ir, &run)) {
            Ok(report) => {
                match format {
                    Format::Human => print!("{}", fg_deploy::refresh::render_report(&report)),
                    Format::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
                }
                if report.drift.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) }
            }
            Err(stop) => stopped(stop, &sources, format),
        };
    }
    match rt.block_on(fg_aws::run::plan(&ir, &run)) {
        Ok(planned) => {
            let p = &planned.plan;
            match format {
                Format::Human => {
                    print!("{}", fg_deploy::render(p));
                    for (service, image) in &planned.kept {
                        println!(
                            "`{service}` keeps {image}, released with `fgc deploy`; a new image in the source replaces it."
                        );
                    }
                }
                Format::Json => println!("{}", serde_json::to_string_pretty(p).unwrap_or_default()),
            }
            if p.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) }
        }
        Err(stop) => stopped(stop, &sources, format),
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            None
        }
    }
}

pub(crate) fn recover(file: &Path, args: &DeployArgs) -> ExitCode {
    let (_, ir, run, _) = match lower_for_deploy(file, args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(rt) = runtime() else { return ExitCode::from(1) };
    match rt.block_on(fg_aws::run::recover(&ir, &run)) {
        Ok((found, total)) => {
            println!(
                "recovered {found} of {total} resources of `{}` ({}) into {}; `fgc apply` creates the rest",
                ir.app,
                ir.env,
                run.state.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn apply(
    file: &Path,
    args: &DeployArgs,
    auto_approve: bool,
    parallel: usize,
    destroy: bool,
    wait: Option<std::time::Duration>,
) -> ExitCode {
    let (_, ir, mut run, sources) = match lower_for_deploy(file, args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    run.parallel = parallel;
    run.wait = wait;
    let Some(runtime) = runtime() else { return ExitCode::from(1) };
    let confirm = move |p: &fg_deploy::Plan| {
        print!("{}", fg_deploy::render(p));
        if auto_approve {
            return true;
        }
        print!("\nApply these changes to `{}` ({})? Only `yes` is accepted: ", p.app, p.env);
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        answer.trim() == "yes"
    };
    let display = Progress::new();
    let events = |e: fg_deploy::Event| display.event(e);
    let progress = |p: fg_aws::ecs::Progress| display.service(p);
    let report = runtime.block_on(fg_aws::run::apply(&ir, &run, destroy, &confirm, &events, &progress));
    let r = match report {
        Err(stop) => return stopped(stop, &sources, Format::Human),
        Ok(r) => r,
    };
    match r.outcome {
        None if r.plan.is_empty() => {
            print!("{}", fg_deploy::render(&r.plan));
            ExitCode::SUCCESS
        }
        None => {
            println!("Nothing changed.");
            ExitCode::from(1)
        }
        Some(fg_deploy::Outcome::Done { changed }) => {
            println!("\nApplied: {changed} resources changed with {} AWS calls.", r.calls);
            match r.wait {
                Some(Err(e)) => {
                    eprintln!("error: {}", e.message);
                    if let Some(h) = e.help {
                        eprintln!("  help: {h}");
                    }
                    ExitCode::from(1)
                }
                Some(Ok(())) => {
                    println!("Every changed service is stable.");
                    ExitCode::from(2)
                }
                None => ExitCode::from(2),
            }
        }
        Some(fg_deploy::Outcome::Failed { changed, failures }) => {
            eprintln!("\n{changed} resources changed; {} failed:", failures.len());
            for (id, e) in failures {
                eprintln!("  × {id}: {}", e.message);
                if let Some(h) = e.help {
                    eprintln!("    help: {h}");
                }
            }
            eprintln!("The state records what was done; run `fgc apply` again to continue.");
            ExitCode::from(1)
        }
        Some(fg_deploy::Outcome::State(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn release(
    file: &Path,
    args: &DeployArgs,
    service: &str,
    image: &str,
    wait: Option<std::time::Duration>,
) -> ExitCode {
    use fg_aws::release::{Released, Step};
    use fg_check::image::{PullProblem, parse, pull_problem};
    // An image the tasks cannot pull would be registered, fail, and roll back minutes from
    // now. A malformed one is refused before the stack is even read.
    let refuse = |problem: PullProblem| {
        eprintln!("error: {}", problem.reason(service, image));
        eprintln!("  help: {}", problem.help(service));
        ExitCode::from(1)
    };
    if let Err(e) = parse(image) {
        return refuse(PullProblem::Malformed(e));
    }
    let (model, ir, mut run, _) = match lower_for_deploy(file, args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Some(problem) = model.service(service).and_then(|s| pull_problem(&model, s, image)) {
        return refuse(problem);
    }
    run.wait = wait;
    let Some(runtime) = runtime() else { return ExitCode::from(1) };
    let display = Progress::new();
    let on = |step: Step| match step {
        Step::Current { task_definition, image } => {
            display.line(format!("`{service}` runs {image} ({task_definition})"))
        }
        Step::Registered { task_definition } => display.line(format!("registered {task_definition}")),
        Step::Updated => display.line(format!("updated service `{service}` (rolling)")),
        Step::DeploymentCreated { id } => display.line(format!("started CodeDeploy deployment {id} (blue/green)")),
        Step::DeploymentStatus { status, detail } if detail.is_empty() => display.line(format!("deployment: {status}")),
        Step::DeploymentStatus { status, detail } => display.line(format!("deployment: {status} ({detail})")),
        Step::Ecs(p) => display.service(p),
        Step::RollingBack { reason } => display.line(format!("rolling back: {reason}")),
    };
    match runtime.block_on(fg_aws::release::release(&ir, &run, service, image, &on)) {
        Ok(Released::Unchanged { image }) => {
            println!("Nothing to do: `{service}` already runs {image}.");
            ExitCode::SUCCESS
        }
        Ok(Released::Done { calls, waited, .. }) => {
            let how = if waited { "; it is stable" } else { "; not waiting for the rollout" };
            println!("Released {image} to `{service}` with {calls} AWS calls{how}.");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(h) = e.help {
                eprintln!("  help: {h}");
            }
            ExitCode::from(1)
        }
    }
}

/// Progress of an apply: bars on a terminal (indicatif), plain lines otherwise, so that
/// logs keep every step.
struct Progress {
    bars: Option<indicatif::MultiProgress>,
    resources: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    services: std::sync::Mutex<std::collections::BTreeMap<String, indicatif::ProgressBar>>,
}

impl Progress {
    fn new() -> Progress {
        let bars = std::io::stderr().is_terminal().then(indicatif::MultiProgress::new);
        Progress { bars, resources: Default::default(), services: Default::default() }
    }

    fn line(&self, text: String) {
        match &self.bars {
            Some(m) => {
                let _ = m.println(text);
            }
            None => println!("{text}"),
        }
    }

    fn event(&self, e: fg_deploy::Event) {
        let Some(m) = &self.bars else {
            match e {
                fg_deploy::Event::Finished { id, .. } => println!("  done    {id}"),
                fg_deploy::Event::Failed { id, error } => eprintln!("  failed  {id}: {}", error.message),
                fg_deploy::Event::Started { .. } => {}
            }
            return;
        };
        let mut bar = self.resources.lock().unwrap_or_else(|p| p.into_inner());
        let bar = bar.get_or_insert_with(|| {
            let b = m.add(indicatif::ProgressBar::new(0));
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        match e {
            fg_deploy::Event::Started { id, .. } => {
                bar.inc_length(1);
                bar.set_message(id);
            }
            fg_deploy::Event::Finished { id, .. } => {
                bar.inc(1);
                let _ = m.println(format!("  done    {id}"));
            }
            fg_deploy::Event::Failed { id, error } => {
                bar.inc(1);
                let _ = m.println(format!("  failed  {id}: {}", error.message));
            }
        }
    }

    fn service(&self, p: fg_aws::ecs::Progress) {
        match p {
            fg_aws::ecs::Progress::Event { service, message } => self.line(format!("  event   {service}: {message}")),
            fg_aws::ecs::Progress::Tasks { service, running, desired } => match &self.bars {
                None => println!("  waiting {service}: {running}/{desired} tasks running"),
                Some(m) => {
                    let mut bars = self.services.lock().unwrap_or_else(|p| p.into_inner());
                    let bar = bars.entry(service.clone()).or_insert_with(|| {
                        let b = m.add(indicatif::ProgressBar::new(desired.max(0) as u64));
                        b.set_style(
                            indicatif::ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} tasks  {msg}")
                                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                        );
                        b.set_message(service);
                        b
                    });
                    bar.set_length(desired.max(0) as u64);
                    bar.set_position(running.max(0) as u64);
                }
            },
        }
    }
}
