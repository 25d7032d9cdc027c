//! Limits and locations: one [`SandboxConfig`] builder holds every limit the sandbox enforces,
//! each with a default that suits a model-written snippet.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::SandboxError;
use crate::Sandbox;

/// Default wall-clock budget of one run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a guest's linear memory (CPython needs ~40 MiB to start).
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;
/// Default number of stdout (and, separately, stderr) bytes kept.
pub const DEFAULT_OUTPUT_LIMIT: usize = 64 << 10;
/// Default number of output bytes (stdout + stderr) after which the guest is stopped.
pub const DEFAULT_OUTPUT_KILL_LIMIT: u64 = 16 << 20;
/// Default cap on the bytes a granted scratch directory may hold.
pub const DEFAULT_SCRATCH_LIMIT: u64 = 64 << 20;
/// Default cap on one host-call record (request line) from the guest.
pub const DEFAULT_HOST_CALL_LIMIT: usize = 1 << 20;

/// Settings for a [`Sandbox`]; build one with [`SandboxConfig::build`].
///
/// Every limit is a value here (never a global) and has a sane default; per-run overrides live in
/// [`RunOptions`](crate::RunOptions).
///
/// ```no_run
/// use std::time::Duration;
/// let sandbox = hone_sandbox::SandboxConfig::new()
///     .timeout(Duration::from_secs(2))
///     .memory_limit(128 << 20)
///     .build()?;
/// # Ok::<(), hone_sandbox::SandboxError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub(crate) timeout: Duration,
    pub(crate) memory_limit: usize,
    pub(crate) fuel: Option<u64>,
    pub(crate) stdout_limit: usize,
    pub(crate) stderr_limit: usize,
    pub(crate) output_kill_limit: u64,
    pub(crate) scratch_limit: u64,
    pub(crate) host_call_limit: usize,
    pub(crate) max_instances: usize,
    pub(crate) max_tables: usize,
    pub(crate) max_memories: usize,
    pub(crate) max_table_elements: usize,
    pub(crate) epoch_tick: Duration,
    pub(crate) assets_dir: Option<PathBuf>,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) use_cache: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            fuel: None,
            stdout_limit: DEFAULT_OUTPUT_LIMIT,
            stderr_limit: DEFAULT_OUTPUT_LIMIT,
            output_kill_limit: DEFAULT_OUTPUT_KILL_LIMIT,
            scratch_limit: DEFAULT_SCRATCH_LIMIT,
            host_call_limit: DEFAULT_HOST_CALL_LIMIT,
            max_instances: 4,
            max_tables: 4,
            max_memories: 2,
            max_table_elements: 1 << 20,
            epoch_tick: Duration::from_millis(5),
            assets_dir: None,
            cache_dir: None,
            use_cache: true,
        }
    }
}

impl SandboxConfig {
    /// The defaults: 10 s timeout, 256 MiB memory, no fuel metering, 64 KiB kept per output
    /// stream, guest stopped after 16 MiB of output, 64 MiB scratch, on-disk compile cache on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wall-clock budget of each run (enforced by epoch interruption).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Cap, in bytes, on each guest's linear memory; growing past it stops the guest.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Meter instructions: each run gets `fuel` units (CPython start-up with the prelude uses
    /// ~215 M). `None` (the default) turns metering off, which makes Python runs ~25 % faster;
    /// the timeout still holds.
    pub fn fuel(mut self, fuel: Option<u64>) -> Self {
        self.fuel = fuel;
        self
    }

    /// Bytes of stdout kept; the rest is dropped and a truncation marker appended.
    pub fn stdout_limit(mut self, bytes: usize) -> Self {
        self.stdout_limit = bytes;
        self
    }

    /// Bytes of stderr kept; the rest is dropped and a truncation marker appended.
    pub fn stderr_limit(mut self, bytes: usize) -> Self {
        self.stderr_limit = bytes;
        self
    }

    /// Total output bytes (stdout + stderr, kept or not) after which the guest is stopped with
    /// [`LimitKind::Output`](crate::LimitKind::Output).
    pub fn output_kill_limit(mut self, bytes: u64) -> Self {
        self.output_kill_limit = bytes;
        self
    }

    /// Bytes a granted scratch directory may hold; checked on every epoch tick and at the end.
    pub fn scratch_limit(mut self, bytes: u64) -> Self {
        self.scratch_limit = bytes;
        self
    }

    /// Largest host-call request line, in bytes; longer ones are refused with an error reply.
    pub fn host_call_limit(mut self, bytes: usize) -> Self {
        self.host_call_limit = bytes;
        self
    }

    /// Maximum number of wasm instances, tables and memories a run may create.
    pub fn max_instances(mut self, instances: usize, tables: usize, memories: usize) -> Self {
        self.max_instances = instances;
        self.max_tables = tables;
        self.max_memories = memories;
        self
    }

    /// Maximum number of elements in any one table.
    pub fn max_table_elements(mut self, elements: usize) -> Self {
        self.max_table_elements = elements;
        self
    }

    /// Period of the epoch ticker: the granularity of the timeout and of scratch-size checks.
    pub fn epoch_tick(mut self, tick: Duration) -> Self {
        self.epoch_tick = tick.max(Duration::from_millis(1));
        self
    }

    /// Directory holding `python.wasm` and `quickjs.wasm`. Default: `$HONE_ASSETS`, else the
    /// first `assets/` found walking up from the current directory, else from this crate.
    pub fn assets_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.assets_dir = Some(dir.into());
        self
    }

    /// Directory for compiled guests. Default: `$HONE_CACHE`, else `$XDG_CACHE_HOME/hone`,
    /// else `~/.cache/hone`.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Turns the on-disk compile cache on or off (off: every new `Sandbox` compiles afresh).
    pub fn use_cache(mut self, on: bool) -> Self {
        self.use_cache = on;
        self
    }

    /// Creates the engine and the epoch ticker. Guests are compiled (or loaded from the cache)
    /// lazily on first use, or eagerly with [`Sandbox::prepare`].
    pub fn build(self) -> Result<Sandbox, SandboxError> {
        Sandbox::new(self)
    }
}
