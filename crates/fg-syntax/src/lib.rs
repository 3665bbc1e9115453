//! The `.fg` syntax: the pest grammar (`grammar/fg.pest`), the typed AST and a parser
//! that never fails.
//!
//! [`parse`] always returns a [`File`], together with diagnostics. pest stops at the first
//! error, so the parser recovers by blanking out the offending line (or, when that line
//! opens or closes a block, the whole top-level item) and parsing again; each round reports
//! one error, and items it had to drop are kept as *recovered* declarations so that later
//! stages do not cascade into "unknown reference" errors.
//!
//! This crate knows nothing about schemas, types or AWS; it does no I/O.

// pest_derive expands to `alloc::` paths when pest runs without `std` (which we do, to
// drop its per-rule stack probe; `parser.rs` bounds nesting depth instead).
extern crate alloc;

pub mod ast;
mod diagnostics;
mod incremental;
pub mod lex;
pub mod lit;
mod parser;

pub use incremental::ParseCache;
pub use parser::{Parse, parse};

#[cfg(test)]
mod tests;
