//! Run model-written Python and JavaScript with no ambient capability and hard limits.
//!
//! `hone-sandbox` runs programs inside wasmtime through WASI preview 1: CPython 3.12
//! (`assets/python.wasm`, stdlib embedded) and QuickJS (`assets/quickjs.wasm`). A guest sees no
//! network, no environment variables and no filesystem unless a run grants a scratch directory
//! (read-write, size-capped, at `/scratch`) or read-only inputs. Every run has a wall-clock
//! timeout, a linear-memory cap, output caps and optional fuel metering; hitting one ends the run
//! with a typed [`LimitKind`], and nothing the guest does can take the host down.
//!
//! A program gets its arguments as the JSON global `INPUT`, returns a JSON result through the
//! global `result` (or an entry function, [`RunOptions::call`]), and can call the host functions
//! the run grants ([`HostFunctions`]) synchronously, e.g. `env.step(action)`, over a channel on
//! its stdio (see `docs/SANDBOX.md`).
//!
//! Guests are compiled once per machine (the artifact is cached on disk, keyed by the guest's
//! hash and the engine settings) and instantiated from an `InstancePre` per run.
//!
//! ```no_run
//! use hone_sandbox::{HostFunctions, Language, RunOptions, SandboxConfig};
//! use serde_json::json;
//!
//! let sandbox = SandboxConfig::new().build()?;
//! let host = HostFunctions::new().grant("env.observe", |_| Ok(json!({"room": "kitchen"})));
//! let out = sandbox.run(
//!     Language::Python,
//!     "obs = env.observe()\nresult = {'seen': obs['room'], 'n': INPUT['n'] * 2}",
//!     RunOptions::new().input(json!({"n": 21})).host(host),
//! )?;
//! assert!(out.is_success());
//! assert_eq!(out.result, Some(json!({"seen": "kitchen", "n": 42})));
//! # Ok::<(), hone_sandbox::SandboxError>(())
//! ```

mod channel;
mod config;
mod error;
mod guest;
mod host;
mod run;
mod sandbox;
mod session;

pub use config::{
    SandboxConfig, DEFAULT_HOST_CALL_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_KILL_LIMIT,
    DEFAULT_OUTPUT_LIMIT, DEFAULT_SCRATCH_LIMIT, DEFAULT_TIMEOUT,
};
pub use error::SandboxError;
pub use guest::{default_cache_dir, find_assets_dir, guest_path, Language, ModuleSource};
pub use host::HostFunctions;
pub use run::{LimitKind, RunOptions, RunOutcome, RunStatus};
pub use sandbox::Sandbox;
pub use session::{Session, SnippetOutcome};
