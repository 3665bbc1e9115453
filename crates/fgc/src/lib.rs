//! The library half of the `fgc` command: rendering of diagnostics, shared by the binary
//! and the end-to-end tests so that what the tests check is exactly what users see.

pub mod ci;
pub mod render;
