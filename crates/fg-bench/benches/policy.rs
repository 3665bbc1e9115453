//! Policy plugins over a 1,000-resource IR: a warm evaluation (target: under 5 ms), a
//! cold start that finds the compiled plugin in the disk cache (a new runtime, as a new
//! `fgc` process has; target: under 50 ms), and a compilation with no cache for scale.
//! Run with `cargo bench -p fg-bench --bench policy`.

use std::time::Instant;

use fg_bench::{balanced_stack, measure, policy_plugins};
use fg_check::{MemoryHost, Options, analyze};
use fg_policy::{Limits, PluginIr, Runtime};

fn main() {
    let plugins = match policy_plugins() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    // 77 services on one balancer lower to just over 1,000 resources.
    let host = MemoryHost::new().with("bench.fg", &balanced_stack(77));
    let a = analyze(&host, "bench.fg", &Options::default());
    assert!(!a.has_errors(), "the workload has errors");
    let ir = fg_ir::lower(&a.model, &a.sources);
    let full = serde_json::to_string(&ir).expect("serialise");
    let (split, _, _) = measure(20, || {
        PluginIr::new(&ir);
    });
    let json = PluginIr::new(&ir);
    println!(
        "IR: {} resources, {} KB of JSON; split for plugins (once per environment) in {split:.2?}",
        ir.resources.len(),
        full.len() / 1024
    );

    let cache = std::env::temp_dir().join(format!("fgc-policy-bench-{}", std::process::id()));
    for name in ["hostile", "min_tasks", "open_ingress", "cost_ceiling"] {
        let bytes = std::fs::read(plugins.join(format!("{name}.wasm"))).expect("read plugin");
        let _ = std::fs::remove_dir_all(&cache);

        // No cache at all: what the first run on a machine pays.
        let t = Instant::now();
        let runtime = Runtime::new(Some(&cache)).expect("runtime");
        let plugin = runtime.load(&bytes).expect("load");
        let compile = t.elapsed();
        drop((plugin, runtime));
        // wasmtime writes its cache entry on a worker thread; let it land.
        std::thread::sleep(std::time::Duration::from_millis(300));

        // A new process: new runtime, compiled code from the disk cache, one evaluation.
        let (cold_min, cold_median, _) = measure(10, || {
            let runtime = Runtime::new(Some(&cache)).expect("runtime");
            let plugin = runtime.load(&bytes).expect("load");
            runtime.evaluate(&plugin, &json, r#"{"min":1,"max":100000}"#, Limits::default()).expect("evaluate");
        });

        // Warm: loaded once, each evaluation in a fresh store.
        let runtime = Runtime::new(Some(&cache)).expect("runtime");
        let plugin = runtime.load(&bytes).expect("load");
        let mut findings = 0;
        let (warm_min, warm_median, warm_p95) = measure(50, || {
            findings = runtime
                .evaluate(&plugin, &json, r#"{"min":1,"max":100000}"#, Limits::default())
                .expect("evaluate")
                .len();
        });
        let tiny = &PluginIr::from_json(
            r#"{"version":1,"app":"a","env":"e","region":"us-east-1","tags":{},"resources":[],"outputs":[]}"#,
        )
        .expect("tiny IR");
        let (fixed, _, _) = measure(50, || {
            runtime.evaluate(&plugin, tiny, r#"{"min":1,"max":100000}"#, Limits::default()).expect("evaluate");
        });
        println!("{name:>13}: empty IR (instantiate and call) min {fixed:.2?}");
        println!(
            "{name:>13}: warm min {warm_min:.2?} median {warm_median:.2?} p95 {warm_p95:.2?} ({findings} findings); \
             cold start with cache min {cold_min:.2?} median {cold_median:.2?}; compile without cache {compile:.0?}"
        );
    }
    let _ = std::fs::remove_dir_all(&cache);
}
