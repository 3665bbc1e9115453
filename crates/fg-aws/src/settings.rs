//! One run's settings, shared by `run` (plan, apply, destroy) and `release` (deploy): a
//! leaf, so that neither needs the other for them.

use std::path::{Path, PathBuf};

/// Where and as whom to deploy.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: String,
    pub profile: Option<String>,
    /// An emulator's endpoint (`http://127.0.0.1:5000`); the real AWS when `None`.
    pub endpoint: Option<String>,
    /// An access key and secret to use instead of the default chain (tests).
    pub credentials: Option<(String, String)>,
}

/// One run's settings.
#[derive(Debug, Clone)]
pub struct Run {
    pub target: Target,
    /// The state file of this stack and environment.
    pub state: PathBuf,
    /// Calls in flight at most.
    pub parallel: usize,
    /// How long to wait for changed services to become stable; `None` does not wait.
    pub wait: Option<std::time::Duration>,
    /// How often to ask AWS while waiting.
    pub poll: std::time::Duration,
    /// Read every recorded resource back before planning (drift).
    pub refresh: bool,
}

/// Where the state of a stack lives by default: `.fgc/state/<app>-<env>.json` beside the
/// entry file.
pub fn default_state_path(entry: &Path, app: &str, env: &str) -> PathBuf {
    let dir = entry.parent().unwrap_or(Path::new("."));
    dir.join(".fgc").join("state").join(format!("{app}-{env}.json"))
}
