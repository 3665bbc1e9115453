//! Parse + check of a generated stack of 1,000 services (the target: under 20 ms).
//! Run with `cargo bench -p fg-bench --bench check`.

use fg_bench::{measure, stack};
use fg_check::{MemoryHost, Options, analyze};

fn main() {
    for n in [100, 1000] {
        let src = stack(n);
        let host = MemoryHost::new().with("bench.fg", &src);
        let opts = Options { env: Some("prod".into()), all_envs: false };
        let a = analyze(&host, "bench.fg", &opts);
        assert!(!a.has_errors(), "generated stack has errors: {:?}", a.diagnostics.first());
        assert_eq!(a.model.services.len(), n);
        let (parse_min, parse_med, _) = measure(30, || {
            std::hint::black_box(fg_syntax::parse(fg_diag::FileId(0), &src));
        });
        let (min, med, p95) = measure(30, || {
            std::hint::black_box(analyze(&host, "bench.fg", &opts));
        });
        let mb = src.len() as f64 / 1e6;
        println!(
            "services={n:5} lines={:6} bytes={:7} parse: min {:>8.2?} median {:>8.2?} | parse+check: min {:>8.2?} median {:>8.2?} p95 {:>8.2?} ({:.1} MB/s)",
            src.lines().count(),
            src.len(),
            parse_min,
            parse_med,
            min,
            med,
            p95,
            mb / min.as_secs_f64()
        );
    }
}
