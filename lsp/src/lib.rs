//! The `.fg` language server, `fgc lsp`.
//!
//! [`Engine`] does the work: it keeps the open documents, analyses them with fg-check
//! (keeping the last analysis without syntax errors for navigation), and answers every
//! request with plain data. [`server`] is a thin tower-lsp-server adapter that forwards
//! each request to the engine and publishes diagnostics. Tests drive the real server
//! in-process over JSON-RPC.
//!
//! This is the only crate that knows LSP types and JSON-RPC.

pub mod engine;
mod locate;
pub mod server;
mod tokens;

pub use engine::Engine;
pub use server::{Backend, serve_stdio, service};
