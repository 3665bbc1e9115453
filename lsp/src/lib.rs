//! The `.fg` language server, `fgc lsp`.
//!
//! [`Engine`] does the work: it keeps the open documents, analyses them with fg-check
//! (keeping the last analysis without syntax errors for navigation), and answers every
//! request with plain data. It does no I/O of its own (files that are not open come from
//! the reader it is given), so the WebAssembly build (fg-wasm) uses it for hover and
//! completion. [`server`] is a thin tower-lsp-server adapter that forwards each request
//! to the engine and publishes diagnostics; it, tokio and the disk are behind the
//! default `server` feature. Tests drive the real server in-process over JSON-RPC.
//!
//! This is the only crate that knows LSP types and JSON-RPC.

pub mod engine;
mod locate;
#[cfg(feature = "server")]
pub mod server;
mod tokens;

pub use engine::Engine;
/// The LSP types of the engine's API (the ones tower-lsp-server re-exports).
pub use ls_types;
#[cfg(feature = "server")]
pub use server::{Backend, serve_stdio, serve_stdio_with, service};
/// The semantic token types, in the order [`Engine::semantic_tokens`] numbers them.
pub use tokens::LEGEND as SEMANTIC_TOKEN_TYPES;
