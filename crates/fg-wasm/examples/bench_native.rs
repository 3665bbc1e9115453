//! The native half of `editors/playground/bench.mjs`: `fg_wasm::check` (every
//! environment, as the playground checks) and `Session::update` after a one-character
//! edit, on the generated 1,000-service stack, timed natively. With `--write PATH` it
//! also writes the stack there, so that the browser half checks the same text.
//! Run with `cargo run --release -p fg-wasm --example bench-native`.

use std::time::Duration;

use fg_bench::{measure, stack};
use fg_wasm::{Files, Session, check};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let src = stack(1000);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--write"
            && let Some(path) = args.next()
            && let Err(e) = std::fs::write(&path, &src)
        {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
    let files = Files::new();
    let c = check(&src, &files);
    assert_eq!(c.errors, 0, "the generated stack has errors: {:?}", c.diagnostics.first());
    let (min, median, p95) = measure(20, || {
        std::hint::black_box(check(&src, &files));
    });
    // An edit inside one service: the session re-parses that item only.
    let mut session = Session::new(Files::new());
    session.update(&src);
    let edited = src.replacen("max = 10", "max = 11", 1);
    let mut flip = false;
    let (emin, emedian, ep95) = measure(20, || {
        flip = !flip;
        std::hint::black_box(session.update(if flip { &edited } else { &src }));
    });
    println!(
        "{{\"services\": 1000, \"bytes\": {}, \"check_ms\": {{\"min\": {:.2}, \"median\": {:.2}, \"p95\": {:.2}}}, \"session_edit_ms\": {{\"min\": {:.2}, \"median\": {:.2}, \"p95\": {:.2}}}}}",
        src.len(),
        ms(min),
        ms(median),
        ms(p95),
        ms(emin),
        ms(emedian),
        ms(ep95)
    );
}
