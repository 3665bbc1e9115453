//! Helpers for the end-to-end tests: the repository layout, golden files and a disk host.
//!
//! Golden files sit beside their inputs. A missing golden file is written; `FGC_UPDATE=1`
//! rewrites them all; otherwise a difference fails the test (and CI fails on uncommitted
//! golden changes).

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// All files under `dir` with extension `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn updating() -> bool {
    std::env::var_os("FGC_UPDATE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compares `actual` with the golden file at `path`; returns a description of the
/// difference, or `None` when they agree (or the file was written).
pub fn golden(path: &Path, actual: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => None,
        Ok(_) | Err(_) if updating() || !path.exists() => {
            std::fs::write(path, actual).expect("write golden file");
            None
        }
        Ok(expected) => {
            Some(format!("{} differs (FGC_UPDATE=1 regenerates):\n{}", path.display(), diff(&expected, actual)))
        }
        Err(e) => Some(format!("{}: {e}", path.display())),
    }
}

/// A minimal line diff for failure messages.
pub fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!("-{:>4} {x}\n", i + 1));
                }
                if let Some(y) = y {
                    out.push_str(&format!("+{:>4} {y}\n", i + 1));
                }
            }
        }
    }
    out
}

/// Reads files from the disk, as the CLI does.
pub struct DiskHost;

impl fg_check::Host for DiskHost {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}
