//! Policy plugins: WebAssembly components that fgc runs over the IR.
//!
//! A plugin implements `fg:policy/rules@0.1.0` (`wit/policy.wit`): `metadata()` and
//! `evaluate(ir, config) → findings`, the IR as the JSON of `fgc build --emit ir`. This
//! crate is the host, and the only crate that depends on wasmtime:
//!
//! - [`Runtime`] compiles components once per content (in memory, and on disk through
//!   wasmtime's cache when given a directory) and checks their interface version;
//! - every evaluation runs in a fresh store with a fuel budget (deterministic), an epoch
//!   deadline (a wall-clock backstop), a memory cap, and WASI 0.2 with nothing in it: no
//!   preopened directories, no environment, no network. Reaching for the filesystem, the
//!   environment, the clock or the network traps at the attempt;
//! - [`check`] runs a stack's policies and turns findings and failures into diagnostics at
//!   the `.fg` span of the declaration that produced the resource.
//!
//! It does not read files: callers hand it the component bytes (the CLI and the language
//! server read them), so that a missing file is their diagnostic and tests can feed bytes.

mod diagnose;
mod sandbox;
mod stack;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store, Trap};

pub use diagnose::{PolicyInput, check, config_json, failed, finding, unreadable};
use sandbox::Sandbox;
pub use stack::{ExtraPolicy, check_analysis};

mod bindings {
    wasmtime::component::bindgen!({ path: "wit", world: "plugin" });
}

use bindings::exports::fg::policy::rules;

/// The interface version this host speaks.
pub const INTERFACE: &str = "fg:policy/rules@0.1.0";

/// How often the deadline clock ticks.
const TICK: Duration = Duration::from_millis(10);

/// Limits of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// WebAssembly instructions (roughly) before the plugin is stopped.
    pub fuel: u64,
    /// Bytes of linear memory.
    pub memory: u64,
    /// Wall-clock backstop.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { fuel: 500_000_000, memory: 256 << 20, deadline: Duration::from_millis(500) }
    }
}

/// The IR as plugins receive it (`record ir` of the WIT): made once per environment and
/// shared by every policy.
#[derive(Debug, Clone)]
pub struct PluginIr(rules::Ir);

impl PluginIr {
    pub fn new(ir: &fg_ir::Ir) -> PluginIr {
        let json = |v: &dyn erased::Json| v.json();
        let resources: Vec<Head> = ir
            .resources
            .iter()
            .map(|r| Head {
                id: r.id.clone(),
                kind: r.kind.clone(),
                data: r.data,
                concern: json(&r.concern).trim_matches('"').to_string(),
                attrs: json(&r.attrs),
                depends_on: r.depends_on.clone(),
                after: r.after.clone(),
                managed_elsewhere: r.managed_elsewhere.clone(),
                source: (r.source.file.clone(), r.source.line, r.source.column, r.source.start, r.source.end),
                decl: r.source.decl.clone(),
            })
            .collect();
        let tags = ir.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        PluginIr::assemble(
            (ir.version, ir.app.clone(), ir.env.clone(), ir.region.clone(), tags),
            resources,
            json(&ir.outputs),
        )
    }

    /// From the JSON form `fgc build --emit ir` prints (a saved IR, a test's IR).
    pub fn from_json(text: &str) -> Result<PluginIr, String> {
        use serde_json::Value;
        let v: Value = serde_json::from_str(text).map_err(|e| format!("the IR is not valid JSON: {e}"))?;
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or_default() as u32;
        let list = |v: &Value, k: &str| -> Vec<String> {
            let items = v.get(k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            items.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
        };
        let empty = Vec::new();
        let resources = v.get("resources").and_then(Value::as_array).unwrap_or(&empty);
        let heads = resources
            .iter()
            .map(|r| {
                let src = r.get("source").cloned().unwrap_or_default();
                Head {
                    id: s(r, "id"),
                    kind: s(r, "kind"),
                    data: r.get("data").and_then(Value::as_bool).unwrap_or_default(),
                    concern: s(r, "concern"),
                    attrs: r.get("attrs").map_or_else(|| "[]".into(), Value::to_string),
                    depends_on: list(r, "depends_on"),
                    after: list(r, "after"),
                    managed_elsewhere: list(r, "managed_elsewhere"),
                    source: (s(&src, "file"), n(&src, "line"), n(&src, "column"), n(&src, "start"), n(&src, "end")),
                    decl: s(&src, "decl"),
                }
            })
            .collect();
        let tags = v
            .get("tags")
            .and_then(Value::as_object)
            .map(|t| t.iter().map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        Ok(PluginIr::assemble(
            (n(&v, "version"), s(&v, "app"), s(&v, "env"), s(&v, "region"), tags),
            heads,
            v.get("outputs").map_or_else(|| "[]".into(), Value::to_string),
        ))
    }

    /// Turns ids into indices and file names into a table.
    fn assemble(
        (version, app, env, region, tags): (u32, String, String, String, Vec<(String, String)>),
        heads: Vec<Head>,
        outputs: String,
    ) -> PluginIr {
        let index: HashMap<&str, u32> = heads.iter().enumerate().map(|(i, h)| (h.id.as_str(), i as u32)).collect();
        let indices = |ids: &[String]| ids.iter().filter_map(|id| index.get(id.as_str()).copied()).collect();
        let mut files: Vec<String> = Vec::new();
        let resources = heads
            .iter()
            .map(|h| {
                let file = match files.iter().position(|f| *f == h.source.0) {
                    Some(i) => i,
                    None => {
                        files.push(h.source.0.clone());
                        files.len() - 1
                    }
                };
                rules::Resource {
                    id: h.id.clone(),
                    kind: h.kind.clone(),
                    data: h.data,
                    concern: concern(&h.concern),
                    attrs: h.attrs.clone(),
                    depends_on: indices(&h.depends_on),
                    after: indices(&h.after),
                    managed_elsewhere: h.managed_elsewhere.clone(),
                    source: rules::Source {
                        file: file as u32,
                        line: h.source.1,
                        column: h.source.2,
                        start: h.source.3,
                        end: h.source.4,
                        decl: h.decl.clone(),
                    },
                }
            })
            .collect();
        PluginIr(rules::Ir { version, app, env, region, tags, resources, files, outputs })
    }
}

/// A resource on its way to the WIT form.
struct Head {
    id: String,
    kind: String,
    data: bool,
    concern: String,
    attrs: String,
    depends_on: Vec<String>,
    after: Vec<String>,
    managed_elsewhere: Vec<String>,
    /// File, line, column, start, end.
    source: (String, u32, u32, u32, u32),
    decl: String,
}

fn concern(name: &str) -> rules::Concern {
    use rules::Concern as C;
    match name {
        "network" => C::Network,
        "balancer" => C::Balancer,
        "services" => C::Services,
        "scaling" => C::Scaling,
        "iam" => C::Iam,
        "database" => C::Database,
        _ => C::Main,
    }
}

/// Serialising to JSON through a trait object, so one closure serves every field type.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }

    impl<T: serde::Serialize + ?Sized> Json for T {
        fn json(&self) -> String {
            // The IR holds string keys and finite numbers only: serialising cannot fail.
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// What a plugin says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    /// `(id, description)` of each rule.
    pub rules: Vec<(String, String)>,
}

/// One finding of a plugin.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub resource: Option<String>,
    pub rule: String,
    pub error: bool,
    pub message: String,
    pub attribute: Option<String>,
    pub help: Option<String>,
}

/// Why a plugin could not be loaded or gave no findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not a component fgc can run (malformed, a core module, unknown imports).
    Invalid(String),
    /// It does not export this host's interface; `found` is the policy interface it does
    /// export, if any.
    Version { found: Option<String> },
    /// A trap: a panic, `unreachable`, out-of-bounds access. `output` is what it printed.
    Trap { message: String, output: String },
    /// The fuel budget ran out.
    Fuel { budget: u64 },
    /// The wall-clock deadline passed.
    Deadline { after: Duration },
    /// Memory growth past the cap.
    Memory { cap: u64 },
    /// It reached for something outside the sandbox (`the filesystem`, …) through `call`.
    Sandbox { what: &'static str, call: String },
    /// `evaluate` returned an error.
    Returned(String),
}

/// A compiled plugin, ready to instantiate.
pub struct Plugin {
    pre: bindings::PluginPre<Sandbox>,
    bytes: Arc<[u8]>,
    pub metadata: Metadata,
}

/// Compiles, caches and runs plugins. One per process is enough; it is `Sync`.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Sandbox>,
    /// Compiled plugins by content hash (with the bytes, compared on a hit).
    loaded: Mutex<HashMap<u64, Vec<Arc<Plugin>>>>,
    ticker: Ticker,
}

impl Runtime {
    /// A runtime; `cache_dir` keeps compiled code across processes.
    pub fn new(cache_dir: Option<&Path>) -> Result<Runtime, String> {
        let mut config = Config::new();
        config.consume_fuel(true).epoch_interruption(true).wasm_component_model(true);
        if let Some(dir) = cache_dir {
            let mut cache = wasmtime::CacheConfig::new();
            cache.with_directory(dir);
            // A cache that cannot be set up only costs compile time.
            if let Ok(cache) = wasmtime::Cache::new(cache) {
                config.cache(Some(cache));
            }
        }
        let engine = Engine::new(&config).map_err(|e| format!("cannot start the WebAssembly engine: {e}"))?;
        let linker = sandbox::linker(&engine).map_err(|e| format!("cannot link WASI: {e}"))?;
        let ticker = Ticker::start(engine.clone());
        Ok(Runtime { engine, linker, loaded: Mutex::new(HashMap::new()), ticker })
    }

    /// Compiles a component (or takes it from the cache), checks its interface and reads
    /// its metadata.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, Failure> {
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        let key = h.finish();
        if let Some(hit) = self.lock().get(&key).and_then(|v| v.iter().find(|p| *p.bytes == *bytes)) {
            return Ok(hit.clone());
        }
        let plugin = Arc::new(self.compile(bytes)?);
        self.lock().entry(key).or_default().push(plugin.clone());
        Ok(plugin)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Vec<Arc<Plugin>>>> {
        self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn compile(&self, bytes: &[u8]) -> Result<Plugin, Failure> {
        if bytes.get(..4) != Some(b"\0asm") {
            return Err(Failure::Invalid("it is not WebAssembly (it does not start with `\\0asm`)".into()));
        }
        if bytes.get(..4) == Some(b"\0asm") && bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
            return Err(Failure::Invalid(
                "it is a core WebAssembly module, not a component; build it for `wasm32-wasip2`".into(),
            ));
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| Failure::Invalid(first_line(&e)))?;
        let exported = policy_export(&self.engine, &component);
        if exported.as_deref() != Some(INTERFACE) {
            return Err(Failure::Version { found: exported });
        }
        let instance = self.linker.instantiate_pre(&component).map_err(|e| Failure::Invalid(import_error(&e)))?;
        let pre = bindings::PluginPre::new(instance).map_err(|_| Failure::Version { found: None })?;
        let mut plugin = Plugin { pre, bytes: bytes.into(), metadata: Metadata::default() };
        let limits = Limits::default();
        let meta = self.run(&plugin, limits, |p, store| p.fg_policy_rules().call_describe(store))?;
        plugin.metadata = Metadata {
            name: meta.name,
            version: meta.version,
            rules: meta.rules.into_iter().map(|r| (r.id, r.description)).collect(),
        };
        Ok(plugin)
    }

    /// Runs `evaluate` in a fresh sandbox.
    pub fn evaluate(
        &self,
        plugin: &Plugin,
        ir: &PluginIr,
        config: &str,
        limits: Limits,
    ) -> Result<Vec<Finding>, Failure> {
        let out = self.run(plugin, limits, |p, store| p.fg_policy_rules().call_evaluate(store, &ir.0, config))?;
        let mut findings: Vec<Finding> = out
            .map_err(Failure::Returned)?
            .into_iter()
            .map(|f| Finding {
                resource: f.resource,
                rule: f.rule,
                error: f.severity == rules::Severity::Error,
                message: f.message,
                attribute: f.attribute,
                help: f.help,
            })
            .collect();
        // Plugins may iterate hash maps; the host's output does not depend on it.
        findings.sort();
        findings.dedup();
        Ok(findings)
    }

    fn run<R>(
        &self,
        plugin: &Plugin,
        limits: Limits,
        call: impl FnOnce(&bindings::Plugin, &mut Store<Sandbox>) -> wasmtime::Result<R>,
    ) -> Result<R, Failure> {
        let sandbox = Sandbox::new(limits.memory);
        let stderr = sandbox.stderr.clone();
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|s| s);
        store.set_fuel(limits.fuel).map_err(|e| Failure::Invalid(e.to_string()))?;
        let ticks = (limits.deadline.as_millis() / TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let _running = self.ticker.running();
        let result = plugin.pre.instantiate(&mut store).and_then(|p| call(&p, &mut store));
        result.map_err(|e| {
            let data = store.data();
            if let Some((what, call)) = &data.denied {
                return Failure::Sandbox { what, call: call.clone() };
            }
            if data.memory_exceeded {
                return Failure::Memory { cap: limits.memory };
            }
            match e.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => Failure::Fuel { budget: limits.fuel },
                Some(Trap::Interrupt) => Failure::Deadline { after: limits.deadline },
                _ => Failure::Trap {
                    message: first_line(&e),
                    output: String::from_utf8_lossy(&stderr.contents()).trim().to_string(),
                },
            }
        })
    }
}

/// The `fg:policy/…` instance a component exports, if any.
fn policy_export(engine: &Engine, component: &Component) -> Option<String> {
    let ty = component.component_type();
    let names: Vec<String> = ty.exports(engine).map(|(name, _)| name.to_string()).collect();
    names
        .iter()
        .find(|n| n.as_str() == INTERFACE)
        .or_else(|| names.iter().find(|n| n.starts_with("fg:policy/")))
        .cloned()
}

fn import_error(e: &wasmtime::Error) -> String {
    let text = format!("{e:#}");
    match text.split('`').nth(1) {
        Some(name) if text.contains("import") => {
            format!("it imports `{name}`, which fgc does not provide to plugins")
        }
        _ => first_line(e),
    }
}

fn first_line(e: &wasmtime::Error) -> String {
    let text = format!("{e:#}");
    text.lines().next().unwrap_or_default().to_string()
}

/// Increments the engine's epoch every [`TICK`] while an evaluation runs, and sleeps
/// otherwise, so that an idle language server costs nothing.
struct Ticker {
    active: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<Thread>,
}

impl Ticker {
    fn start(engine: Engine) -> Ticker {
        let active = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (active.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("fg-policy-epoch".into())
            .spawn(move || {
                while !s.load(Ordering::Acquire) {
                    if a.load(Ordering::Acquire) == 0 {
                        std::thread::park();
                    } else {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                }
            })
            .ok()
            .map(|h| h.thread().clone());
        Ticker { active, stop, thread }
    }

    fn running(&self) -> Running<'_> {
        self.active.fetch_add(1, Ordering::AcqRel);
        if let Some(t) = &self.thread {
            t.unpark();
        }
        Running(self)
    }
}

struct Running<'a>(&'a Ticker);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = &self.thread {
            t.unpark();
        }
    }
}
