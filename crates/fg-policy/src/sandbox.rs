//! The store's data: WASI with nothing in it, the memory cap, and the tripwires that stop
//! a plugin reaching for the filesystem, environment, clock or network.

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// What a plugin may print (a panic message, say) before the rest is dropped.
const OUTPUT_CAP: usize = 16 << 10;

/// WASI 0.2 as wasmtime-wasi 48 defines it; guests built against older 0.2 releases link
/// to it by semver.
const WASI: &str = "0.2.12";

pub struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    memory_cap: u64,
    pub memory_exceeded: bool,
    /// What the plugin reached for, and through which call.
    pub denied: Option<(&'static str, String)>,
    pub stderr: MemoryOutputPipe,
}

impl Sandbox {
    pub fn new(memory_cap: u64) -> Sandbox {
        let stderr = MemoryOutputPipe::new(OUTPUT_CAP);
        // No preopens, environment, arguments or stdin (the builder's defaults); stdout is
        // dropped; stderr is kept for panic messages; sockets are closed.
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .insecure_random_seed(0)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Sandbox { wasi, table: ResourceTable::new(), memory_cap, memory_exceeded: false, denied: None, stderr }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl ResourceLimiter for Sandbox {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired as u64 > self.memory_cap {
            self.memory_exceeded = true;
            wasmtime::bail!("the plugin's memory would grow past its cap of {} bytes", self.memory_cap);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// The calls that would let a plugin see the machine it runs on, and what they reach.
const TRIPWIRES: &[(&str, &[&str], &str)] = &[
    ("wasi:filesystem/preopens", &["get-directories"], "the filesystem"),
    ("wasi:cli/environment", &["get-environment"], "environment variables"),
    ("wasi:cli/environment", &["get-arguments"], "command-line arguments"),
    ("wasi:cli/environment", &["initial-cwd"], "the working directory"),
    ("wasi:clocks/wall-clock", &["now", "resolution"], "the clock"),
    ("wasi:clocks/monotonic-clock", &["now", "resolution", "subscribe-instant", "subscribe-duration"], "the clock"),
    ("wasi:sockets/instance-network", &["instance-network"], "the network"),
    ("wasi:sockets/tcp-create-socket", &["create-tcp-socket"], "the network"),
    ("wasi:sockets/udp-create-socket", &["create-udp-socket"], "the network"),
    ("wasi:sockets/ip-name-lookup", &["resolve-addresses"], "the network"),
];

/// WASI for std guests, with every tripwire replacing the real call.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<Sandbox>> {
    let mut linker: Linker<Sandbox> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    linker.allow_shadowing(true);
    for (interface, funcs, what) in TRIPWIRES {
        let name = format!("{interface}@{WASI}");
        let mut instance = linker.instance(&name)?;
        for func in *funcs {
            let call = format!("{interface}.{func}");
            instance.func_new(func, move |mut store, _ty, _params, _results| {
                store.data_mut().denied = Some((what, call.clone()));
                wasmtime::bail!("policy plugins cannot reach {what} (`{call}`)")
            })?;
        }
    }
    linker.allow_shadowing(false);
    Ok(linker)
}
