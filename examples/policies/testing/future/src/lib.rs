//! A plugin built against a later interface version (`fg:policy@0.2.0`), which fgc must
//! refuse by name rather than misread. fgc's own tests use it.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use exports::fg::policy::rules::{Finding, Guest, Metadata};

struct Future;

impl Guest for Future {
    fn describe() -> Metadata {
        Metadata { name: "future".into(), version: "0.2.0".into(), rules: Vec::new() }
    }

    fn evaluate(_ir: String, _config: String) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}

export!(Future);
