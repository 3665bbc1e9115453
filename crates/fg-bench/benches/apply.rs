//! `fgc apply` against moto's server on 127.0.0.1 (started here; `pip install
//! 'moto[server]==5.2.5'`): seed 002 and a 50-service stack. Reports wall time, AWS calls,
//! the critical-path bound (graph depth × median time per resource) and the ratio of the
//! two (target: at most 1.5); then the refresh (`fgc plan`: every resource read back,
//! wall time and reads), and the re-apply of the unchanged stack with refresh (its
//! mutating calls must be 0) and without. Run with `cargo bench -p fg-bench --bench apply`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fg_bench::balanced_stack;
use fg_check::{MemoryHost, Options, analyze};

fn main() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let mut moto = std::process::Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moto");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let seed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/two-services-path-routing.fg"))
            .expect("read seed 002");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    // moto knows no ACM certificate: the 50-service stack listens on HTTP here.
    let fifty = balanced_stack(50).replace(
        "listener https {\n    certificate = \"arn:aws:acm:eu-west-1:123456789012:certificate/abc\"\n",
        "listener http {\n",
    );
    for (name, source) in [("seed 002", seed), ("50 services", fifty)] {
        let host = MemoryHost::new().with("stack.fg", &source);
        let a = analyze(&host, "stack.fg", &Options::default());
        assert!(!a.has_errors(), "{name} has errors");
        let ir = fg_ir::lower(&a.model, &a.sources);
        let dir =
            std::env::temp_dir().join(format!("fgc-bench-apply-{}-{}", std::process::id(), name.replace(' ', "-")));
        let _ = std::fs::remove_dir_all(&dir);
        let run = fg_aws::Run {
            target: fg_aws::Target {
                region: ir.region.clone(),
                profile: None,
                endpoint: Some(format!("http://127.0.0.1:{port}")),
                credentials: Some(("testing".into(), "testing".into())),
            },
            state: dir.join("state.json"),
            // `fgc apply --parallel`, 8 by default; FGC_BENCH_PARALLEL tries others.
            parallel: std::env::var("FGC_BENCH_PARALLEL").ok().and_then(|p| p.parse().ok()).unwrap_or(8),
            wait: None,
            poll: Duration::from_secs(6),
            refresh: true,
        };
        let started: Mutex<BTreeMap<String, Instant>> = Mutex::new(BTreeMap::new());
        let took: Mutex<BTreeMap<String, Duration>> = Mutex::new(BTreeMap::new());
        let events = |e: fg_deploy::Event| match e {
            fg_deploy::Event::Started { id, .. } => {
                started.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Instant::now());
            }
            fg_deploy::Event::Finished { id, .. } => {
                if let Some(t) = started.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
                    took.lock().unwrap_or_else(|p| p.into_inner()).insert(id, t.elapsed());
                }
            }
            fg_deploy::Event::Failed { id, error } => eprintln!("{id}: {}", error.message),
        };
        let t = Instant::now();
        let report = rt
            .block_on(fg_aws::run::apply(&ir, &run, false, &|_| true, &events, &|_| {}))
            .unwrap_or_else(|e| panic!("{name}: apply stopped: {e:?}"));
        let wall = t.elapsed();
        let want = fg_deploy::desired(&ir);
        let depth = fg_deploy::graph::depth(want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice())));
        let took = took.into_inner().unwrap_or_default();
        let mut sorted: Vec<Duration> = took.values().copied().collect();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        let bound = median * depth as u32;
        // The longest chain of measured resource times: what no amount of parallelism beats.
        let mut finish: BTreeMap<&str, Duration> = BTreeMap::new();
        let deps: BTreeMap<&str, &[String]> = want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice())).collect();
        for id in fg_deploy::graph::order(want.iter().map(|d| (d.id.as_str(), d.depends_on.as_slice()))) {
            let (id, ds) = deps.get_key_value(id.as_str()).map(|(k, v)| (*k, *v)).unwrap_or_default();
            let before = ds.iter().filter_map(|d| finish.get(d.as_str())).max().copied().unwrap_or_default();
            finish.insert(id, before + took.get(id).copied().unwrap_or_default());
        }
        let chain = finish.values().max().copied().unwrap_or_default();
        println!(
            "{name}: {} resources, {} AWS calls, wall {wall:.2?}; depth {depth} × median per resource {median:.1?} = {bound:.2?} (ratio {:.2}); longest measured chain {chain:.2?} (ratio {:.2})",
            want.len(),
            report.calls,
            wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
            wall.as_secs_f64() / chain.as_secs_f64().max(1e-9),
        );
        // Refresh: every recorded resource read back, as `fgc plan` does; median of 5.
        let mut times = Vec::new();
        let mut reads = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let planned = rt.block_on(fg_aws::run::plan(&ir, &run)).unwrap_or_else(|e| panic!("{name}: plan: {e:?}"));
            times.push(t.elapsed());
            reads = planned.reads;
            assert!(planned.plan.is_empty(), "{name}: drift right after apply:\n{}", fg_deploy::render(&planned.plan));
        }
        times.sort();
        println!(
            "{name}: refresh of {} resources in {:.2?} (median of 5, min {:.2?}), {reads} reads",
            want.len(),
            times[2],
            times[0]
        );
        for refresh in [true, false] {
            let run = fg_aws::Run { refresh, ..run.clone() };
            let t = Instant::now();
            let again = rt
                .block_on(fg_aws::run::apply(&ir, &run, false, &|_| true, &|_| {}, &|_| {}))
                .unwrap_or_else(|e| panic!("{name}: re-apply: {e:?}"));
            println!(
                "{name}: re-apply unchanged (refresh {refresh}) in {:.1?}: {} reads, {} mutating calls, plan empty: {}",
                t.elapsed(),
                again.reads,
                again.calls,
                again.plan.is_empty()
            );
            assert_eq!(again.calls, 0, "{name}: an unchanged re-apply made mutating calls");
        }
    }
    let _ = moto.kill();
    let _ = moto.wait();
}
