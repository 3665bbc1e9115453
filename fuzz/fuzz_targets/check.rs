//! The whole checker never panics, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let host = fg_check::MemoryHost::new().with("fuzz.fg", text);
        let _ = fg_check::analyze(&host, "fuzz.fg", &fg_check::Options { env: None, all_envs: true });
    }
});
