//! Host-side failures. What a guest does never shows up here: it becomes a
//! [`RunStatus`](crate::RunStatus) in the [`RunOutcome`](crate::RunOutcome).

use std::path::PathBuf;

/// A failure of the host: missing guest, unusable cache or directory, engine error.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A guest binary is not where it should be.
    #[error("guest file {} is missing: run scripts/fetch-assets (or make test) to fetch it", path.display())]
    AssetMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The wasmtime engine could not be configured.
    #[error("wasm engine: {0:#}")]
    Engine(anyhow::Error),
    /// A guest failed to compile or link.
    #[error("compiling {guest}: {source:#}")]
    Compile {
        /// Guest file name.
        guest: String,
        /// The wasmtime error.
        source: anyhow::Error,
    },
    /// Creating the per-run instance failed for a reason that is not the guest's doing.
    #[error("instantiating the guest: {0:#}")]
    Instantiate(anyhow::Error),
    /// A directory granted to the run could not be opened.
    #[error("granting directory {}: {source}", path.display())]
    Directory {
        /// Host path.
        path: PathBuf,
        /// Why it failed.
        source: anyhow::Error,
    },
    /// A host-function name is not `ident(.ident)*`.
    #[error("invalid host function name {0:?}: use identifiers joined by dots, like env.step")]
    InvalidGrant(String),
    /// The input value could not be serialised.
    #[error("serialising the run input: {0}")]
    Input(serde_json::Error),
    /// A blocking task failed to join (the runtime is shutting down).
    #[error("sandbox worker: {0}")]
    Join(String),
    /// Any other I/O failure of the host.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}
