//! Per-run options and outcomes.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::host::HostFunctions;

/// What one run may use and what it is given; everything unset falls back to the
/// [`SandboxConfig`](crate::SandboxConfig).
///
/// ```
/// use hone_sandbox::{HostFunctions, RunOptions};
/// use serde_json::json;
/// let opts = RunOptions::new()
///     .input(json!({"n": 10}))
///     .call("main")
///     .host(HostFunctions::new().grant("env.observe", |_| Ok(json!("start"))));
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) memory_limit: Option<usize>,
    pub(crate) fuel: Option<u64>,
    pub(crate) input: Option<Value>,
    pub(crate) entry: Option<String>,
    pub(crate) scratch: Option<PathBuf>,
    pub(crate) scratch_limit: Option<u64>,
    pub(crate) read_only: Vec<(PathBuf, String)>,
    pub(crate) host: HostFunctions,
}

impl RunOptions {
    /// No input, no entry function, no directories, no host functions, config limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wall-clock budget of this run.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Linear-memory cap of this run, in bytes.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Fuel for this run; ignored unless the sandbox was built with fuel metering on.
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// JSON value given to the program as the global `INPUT` (and to the entry function).
    pub fn input(mut self, input: Value) -> Self {
        self.input = Some(input);
        self
    }

    /// After the program runs, call the function `name` with `INPUT` and report its return
    /// value as the result. Python: an object input becomes keyword arguments, an array
    /// positional ones, anything else one argument. JavaScript: an array is spread, anything
    /// else is one argument. Without an entry function the result is the global `result`.
    pub fn call(mut self, name: impl Into<String>) -> Self {
        self.entry = Some(name.into());
        self
    }

    /// Grants a host directory as `/scratch`, read-write, capped at the config's scratch limit
    /// (or [`RunOptions::scratch_limit`]).
    pub fn scratch(mut self, dir: impl Into<PathBuf>) -> Self {
        self.scratch = Some(dir.into());
        self
    }

    /// Cap on the bytes the scratch directory may hold during this run.
    pub fn scratch_limit(mut self, bytes: u64) -> Self {
        self.scratch_limit = Some(bytes);
        self
    }

    /// Grants a host directory read-only, seen by the guest at `guest_path` (e.g. `/data`).
    pub fn read_only(
        mut self,
        host_dir: impl Into<PathBuf>,
        guest_path: impl Into<String>,
    ) -> Self {
        self.read_only.push((host_dir.into(), guest_path.into()));
        self
    }

    /// The host functions this run may call (its grant list).
    pub fn host(mut self, host: HostFunctions) -> Self {
        self.host = host;
        self
    }
}

/// Which limit stopped a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The wall-clock timeout.
    Timeout,
    /// The fuel budget (instruction count).
    Fuel,
    /// The linear-memory cap.
    Memory,
    /// The table-size, table-count, memory-count or instance-count caps.
    Table,
    /// Total output passed the kill limit.
    Output,
    /// The scratch directory grew past its cap.
    Scratch,
    /// The wasm call stack overflowed.
    Stack,
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitKind::Timeout => "timeout",
            LimitKind::Fuel => "fuel",
            LimitKind::Memory => "memory",
            LimitKind::Table => "table",
            LimitKind::Output => "output",
            LimitKind::Scratch => "scratch",
            LimitKind::Stack => "stack",
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// The program finished with exit code 0.
    Success,
    /// The program exited with a non-zero code (an uncaught exception exits with 1).
    Failed {
        /// The exit code.
        exit_code: i32,
    },
    /// A limit stopped the program.
    Limit {
        /// Which one.
        limit: LimitKind,
    },
    /// The guest trapped (a wasm fault, not a limit).
    Trap {
        /// The trap's description.
        message: String,
    },
}

/// Everything one run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    /// How it ended.
    pub status: RunStatus,
    /// The exit code when the program exited by itself.
    pub exit_code: Option<i32>,
    /// Captured stdout (at most the stdout limit, then a truncation marker).
    pub stdout: String,
    /// Captured stderr, host-call records removed (at most the stderr limit, then a marker).
    pub stderr: String,
    /// Bytes of stdout dropped past the limit.
    pub stdout_dropped: u64,
    /// Bytes of stderr dropped past the limit.
    pub stderr_dropped: u64,
    /// The JSON result (the `result` global or the entry function's return value), if any.
    pub result: Option<Value>,
    /// Fuel consumed, when fuel metering is on.
    pub fuel_used: Option<u64>,
    /// Wall time of the whole run, instantiation included.
    #[serde(serialize_with = "as_millis")]
    pub wall: Duration,
    /// Number of host calls the guest made (granted or not).
    pub host_calls: u32,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

impl RunOutcome {
    /// True when the program exited with code 0 and no limit was hit.
    pub fn is_success(&self) -> bool {
        self.status == RunStatus::Success
    }

    /// The limit that stopped the program, if one did.
    pub fn limit(&self) -> Option<LimitKind> {
        match self.status {
            RunStatus::Limit { limit } => Some(limit),
            _ => None,
        }
    }

    /// One-line JSON summary: status, exit code, limit, fuel, wall time, result.
    pub fn summary_json(&self) -> Value {
        let (status, limit, message) = match &self.status {
            RunStatus::Success => ("success", None, None),
            RunStatus::Failed { .. } => ("failed", None, None),
            RunStatus::Limit { limit } => ("limit", Some(limit.to_string()), None),
            RunStatus::Trap { message } => ("trap", None, Some(message.clone())),
        };
        let mut v = json!({
            "status": status,
            "exit_code": self.exit_code,
            "limit": limit,
            "fuel": self.fuel_used,
            "wall_ms": (self.wall.as_secs_f64() * 1e6).round() / 1e3,
            "host_calls": self.host_calls,
            "result": self.result,
        });
        if let (Some(m), Some(obj)) = (message, v.as_object_mut()) {
            obj.insert("trap".into(), Value::String(m));
        }
        v
    }
}
