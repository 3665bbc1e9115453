//! The state file: what fgc deployed, per stack and environment, written atomically after
//! every change and locked against a second apply.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The version of the state file's format.
pub const STATE_VERSION: u32 = 1;

/// Everything fgc knows it deployed for one stack in one environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub app: String,
    pub env: String,
    pub region: String,
    /// Incremented on every write, so that a reader can tell two states apart.
    pub serial: u64,
    pub resources: BTreeMap<String, Deployed>,
    /// Images released with `fgc deploy`, by service declaration (`service.api`). They
    /// stand in for the image the source names for as long as the source still names the
    /// image it named at the release; a new image in the source wins.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub releases: BTreeMap<String, Release>,
    /// Old halves of create-first replacements, still to be deleted: recorded before the
    /// new half is created, so that a crash in between loses neither.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// A resource replaced by a new one under the same id, not yet deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deposed {
    pub id: String,
    #[serde(flatten)]
    pub resource: Deployed,
}

/// An image released outside `fgc apply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// The image running now.
    pub image: String,
    /// The image as the source wrote it at the release, in the IR's JSON form.
    pub source: serde_json::Value,
    /// The task definition revision registered for it.
    pub task_definition: String,
}

/// One deployed resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployed {
    pub kind: String,
    /// The cloud's id for it: `vpc-0abc…`, an ARN, a name.
    pub physical: String,
    /// The attributes as applied, in the IR's JSON form (references unresolved), so that
    /// the next plan compares like with like.
    pub attrs: serde_json::Value,
    /// What other resources may refer to: `id`, `arn`, `name`, …
    pub outputs: BTreeMap<String, String>,
    /// Its dependencies when it was applied: deletion runs in reverse of these, even after
    /// the source no longer declares the resource.
    pub depends_on: Vec<String>,
}

impl State {
    pub fn new(app: &str, env: &str, region: &str) -> State {
        State {
            version: STATE_VERSION,
            app: app.into(),
            env: env.into(),
            region: region.into(),
            serial: 0,
            resources: BTreeMap::new(),
            releases: BTreeMap::new(),
            deposed: Vec::new(),
        }
    }
}

/// Why the state could not be read, written or locked.
#[derive(Debug)]
pub enum StateError {
    /// Another process holds the lock; `holder` is what it wrote there.
    Locked {
        path: PathBuf,
        holder: String,
    },
    /// The file exists but is not a state this fgc reads.
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateError::Locked { path, holder } => {
                write!(f, "the state `{}` is locked by another fgc ({holder})", path.display())
            }
            StateError::Unreadable { path, reason } => {
                write!(f, "cannot read the state `{}`: {reason}", path.display())
            }
            StateError::Io { path, error } => write!(f, "cannot write the state `{}`: {error}", path.display()),
        }
    }
}

/// An open, locked state file. The lock is released when it is dropped (and a lock left
/// by a process that no longer runs is taken over).
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    lock: PathBuf,
}

impl StateFile {
    /// Locks and reads the state at `path`; a missing file is an empty state.
    pub fn open(path: &Path, fresh: impl FnOnce() -> State) -> Result<(StateFile, State), StateError> {
        let lock = lock_path(path);
        acquire(&lock)?;
        let file = StateFile { path: path.to_path_buf(), lock };
        let state = match std::fs::read_to_string(path) {
            Ok(text) => parse(path, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => fresh(),
            Err(error) => return Err(StateError::Io { path: path.to_path_buf(), error }),
        };
        Ok((file, state))
    }

    /// Writes the state atomically: a crash leaves the old file or the new one, never a
    /// mix. Bumps the serial.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        let io = |error| StateError::Io { path: self.path.clone(), error };
        let text = serde_json::to_string_pretty(state).map_err(|e| io(std::io::Error::other(e)))? + "\n";
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        // The rename is durable once the directory is.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
    }
}

/// Reads a state without locking it (for `plan`).
pub fn read(path: &Path) -> Result<Option<State>, StateError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StateError::Io { path: path.to_path_buf(), error }),
    }
}

fn parse(path: &Path, text: &str) -> Result<State, StateError> {
    let state: State = serde_json::from_str(text)
        .map_err(|e| StateError::Unreadable { path: path.to_path_buf(), reason: e.to_string() })?;
    if state.version != STATE_VERSION {
        return Err(StateError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("it is version {}, this fgc reads version {STATE_VERSION}", state.version),
        });
    }
    Ok(state)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Creates the lock file exclusively; a lock whose process is gone is taken over.
fn acquire(lock: &Path) -> Result<(), StateError> {
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|error| StateError::Io { path: lock.to_path_buf(), error })?;
    }
    for _ in 0..2 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(lock) {
            Ok(mut f) => {
                let _ = writeln!(f, "pid {}", std::process::id());
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(lock).unwrap_or_default().trim().to_string();
                if holder_is_gone(&holder) {
                    let _ = std::fs::remove_file(lock);
                    continue;
                }
                return Err(StateError::Locked { path: lock.to_path_buf(), holder });
            }
            Err(error) => return Err(StateError::Io { path: lock.to_path_buf(), error }),
        }
    }
    Err(StateError::Locked { path: lock.to_path_buf(), holder: "a process that keeps recreating it".into() })
}

/// Whether the process named in a lock file no longer runs (Linux: no `/proc/PID`).
fn holder_is_gone(holder: &str) -> bool {
    let Some(pid) = holder.strip_prefix("pid ").and_then(|p| p.trim().parse::<u32>().ok()) else {
        return false;
    };
    cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists()
}
