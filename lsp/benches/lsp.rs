//! Language server latency on a 5,000-line stack: from a didChange to the diagnostics to
//! publish, and completion (targets: p95 under 20 ms and 10 ms). Also the resident size of
//! the engine's analyses. Run with `cargo bench -p fg-lsp --bench lsp`.

use std::str::FromStr;
use std::time::Instant;

use fg_lsp::Engine;
use tower_lsp_server::ls_types::{Position, Uri};

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Resident and peak resident memory of this process, from /proc (Linux).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_string()
    };
    format!("resident {} kB, peak {} kB", field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    // About 14 lines per service, plus the header.
    let mut text = fg_bench::stack(355);
    let lines = text.lines().count();
    let dir = std::env::temp_dir().join("fgc-lsp-bench");
    let mut engine = Engine::new(dir.join("stdlib"));
    let uri = Uri::from_str("file:///bench/stack.fg").expect("uri");
    engine.open(&uri, text.clone());
    // The position inside the last service's block, at the start of an empty line.
    let line = text.lines().count() as u32 - 3;
    let mut change = Vec::new();
    let mut complete = Vec::new();
    for k in 0..60 {
        // A real edit each time: change one service's count.
        text = text.replacen(
            &format!("count = env {{ dev = 1, prod = {} }}", 2 + (k % 2)),
            &format!("count = env {{ dev = 1, prod = {} }}", 2 + ((k + 1) % 2)),
            1,
        );
        let t = Instant::now();
        let published = engine.change(&uri, text.clone());
        change.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(!published.is_empty());
        let t = Instant::now();
        let items = engine.completion(&uri, Position { line, character: 2 });
        complete.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(!items.is_empty());
    }
    let src = text.clone();
    let t = Instant::now();
    for _ in 0..10 {
        std::hint::black_box(fg_syntax::parse(fg_diag::FileId(0), &src));
    }
    let parse_ms = t.elapsed().as_secs_f64() * 100.0;
    let host = fg_check::MemoryHost::new().with("s.fg", &src);
    let t = Instant::now();
    for _ in 0..10 {
        std::hint::black_box(fg_check::analyze(&host, "s.fg", &fg_check::Options { env: None, all_envs: false }));
    }
    let one_env_ms = t.elapsed().as_secs_f64() * 100.0;
    println!(
        "parse {parse_ms:.2} ms, analyze one environment {one_env_ms:.2} ms; memory with the stack open: {}",
        memory()
    );
    println!(
        "lines={lines} didChange→diagnostics: median {:.2} ms p95 {:.2} ms | completion: median {:.3} ms p95 {:.3} ms",
        percentile(change.clone(), 0.5),
        percentile(change, 0.95),
        percentile(complete.clone(), 0.5),
        percentile(complete, 0.95)
    );
}
