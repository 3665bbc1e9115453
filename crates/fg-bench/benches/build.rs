//! `fgc build` without the disk: parse, check, lower to the IR and emit Terraform for a
//! stack of 200 services on one load balancer (target: under 20 ms) and of 1,000.
//! Reports time and the peak heap of one build. Run with
//! `cargo bench -p fg-bench --bench build`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use fg_bench::{balanced_stack, measure};
use fg_check::{MemoryHost, Options, analyze};

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Counting is on only while the peak is measured, so that timings exclude it.
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

// SAFETY: forwards to the system allocator; only adds counters.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn build(host: &MemoryHost) -> usize {
    let a = analyze(host, "stack.fg", &Options::default());
    let ir = fg_ir::lower(&a.model, &a.sources);
    let files = fg_terraform::emit(&ir);
    files.iter().map(|f| f.text.len()).sum()
}

fn main() {
    for n in [200, 1000] {
        let src = balanced_stack(n);
        let host = MemoryHost::new().with("stack.fg", &src);
        let a = analyze(&host, "stack.fg", &Options::default());
        assert!(!a.has_errors(), "generated stack has errors: {:?}", a.diagnostics.first());
        let ir = fg_ir::lower(&a.model, &a.sources);
        let resources = ir.resources.len();
        drop((a, ir));
        LIVE.store(0, Ordering::Relaxed);
        PEAK.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
        let bytes = build(&host);
        COUNTING.store(false, Ordering::Relaxed);
        // Frees of blocks allocated before counting started can drive LIVE below zero
        // (it wraps); the peak only grows from allocations made while counting.
        let peak = PEAK.load(Ordering::Relaxed);
        let (check_min, ..) = measure(5, || {
            std::hint::black_box(analyze(&host, "stack.fg", &Options::default()));
        });
        let a = analyze(&host, "stack.fg", &Options::default());
        let (lower_min, ..) = measure(5, || {
            std::hint::black_box(fg_ir::lower(&a.model, &a.sources));
        });
        let ir = fg_ir::lower(&a.model, &a.sources);
        let (emit_min, ..) = measure(5, || {
            std::hint::black_box(fg_terraform::emit(&ir));
        });
        println!("services={n:5} phases: parse+check {check_min:.2?}, lower {lower_min:.2?}, emit {emit_min:.2?}");
        let (min, median, p95) = measure(if n > 500 { 10 } else { 30 }, || {
            std::hint::black_box(build(&host));
        });
        println!(
            "services={n:5} resources={resources:6} terraform={:>6} KB  build: min {min:>8.2?} median {median:>8.2?} p95 {p95:>8.2?}  peak heap {:.1} MB",
            bytes / 1024,
            peak as f64 / 1e6
        );
    }
}
