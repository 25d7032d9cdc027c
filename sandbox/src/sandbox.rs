//! [`Sandbox`]: one engine, guests compiled once, a fresh store per run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sha2::{Digest, Sha256};
use wasmtime::{
    Engine, InstancePre, Linker, OptLevel, ResourceLimiter, Store, Trap, UpdateDeadline,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{DirPerms, FilePerms, I32Exit, WasiCtxBuilder};

use crate::channel::{Channel, SharedChannel};
use crate::config::SandboxConfig;
use crate::error::SandboxError;
use crate::guest::{default_cache_dir, guest_path, load_module, Language, ModuleSource};
use crate::host::HostFunctions;
use crate::run::{LimitKind, RunOptions, RunOutcome, RunStatus};

pub(crate) const PRELUDE_PY: &str = include_str!("prelude/prelude.py");
const PRELUDE_JS: &str = include_str!("prelude/prelude.js");
/// Runs the prelude from its marshalled code object, read from stdin up to the end of input
/// (the host preloads it there): parsing the prelude's source, or passing it in argv, costs
/// CPython-on-wasm tens of millions of instructions per run.
const PY_BOOT: &str = "import marshal,sys;exec(marshal.loads(sys.stdin.buffer.read()))";
/// Prints the marshalled prelude, as hex, for [`PY_BOOT`].
const PY_MARSHAL: &str =
    "import marshal,sys;sys.stdout.write(marshal.dumps(compile(sys.argv[1],'<hone-prelude>','exec')).hex())";

/// Runs Python and JavaScript programs in wasmtime, with no ambient capability.
///
/// Cheap to clone (the engine and compiled guests are shared); `run` may be called from many
/// threads at once, and [`Sandbox::run_async`] from async code.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: SandboxConfig,
    engine: Engine,
    linker: Linker<RunState>,
    cache_dir: Option<PathBuf>,
    guests: [Mutex<Option<InstancePre<RunState>>>; 2],
    /// The Python prelude, compiled by the guest itself (`None` inside: compiling failed).
    py_prelude: std::sync::OnceLock<Option<Vec<u8>>>,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// When a guest must stop computing; shared so a session can move it for each snippet.
#[derive(Clone, Debug)]
pub(crate) struct Deadline(Arc<Mutex<Instant>>);

impl Deadline {
    pub fn new(at: Instant) -> Self {
        Deadline(Arc::new(Mutex::new(at)))
    }
    pub fn get(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn set(&self, at: Instant) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

/// Store data of one run.
pub(crate) struct RunState {
    wasi: WasiP1Ctx,
    pub(crate) limits: Limits,
    deadline: Deadline,
    scratch: Option<(PathBuf, u64)>,
    pub(crate) hit: Option<LimitKind>,
    /// Epoch ticks seen, to yield to other guests every [`YIELD_EVERY`] ticks.
    ticks: u32,
}

/// A computing guest lets other guests of the executor run every this many epoch ticks (a
/// yield costs a fiber switch; yielding every tick made short runs ~40% slower).
const YIELD_EVERY: u32 = 20;

/// Memory and table caps; records which one was hit before refusing.
pub(crate) struct Limits {
    memory: usize,
    table_elements: usize,
    instances: usize,
    tables: usize,
    memories: usize,
    pub(crate) hit: Option<LimitKind>,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> anyhow::Result<bool> {
        if desired > self.memory {
            self.hit = Some(LimitKind::Memory);
            anyhow::bail!("memory limit of {} bytes exceeded", self.memory);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> anyhow::Result<bool> {
        if desired > self.table_elements {
            self.hit = Some(LimitKind::Table);
            anyhow::bail!("table limit of {} elements exceeded", self.table_elements);
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

impl Sandbox {
    /// Builds a sandbox from `config` (same as [`SandboxConfig::build`]).
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        let mut wc = wasmtime::Config::new();
        // Async execution: a guest blocked in a WASI call (a sleep, a read waiting on a host
        // call) is an await point, so the run's time-out can end it there too.
        wc.async_support(true)
            .epoch_interruption(true)
            .consume_fuel(config.fuel.is_some())
            .cranelift_opt_level(OptLevel::Speed)
            .parallel_compilation(true);
        let engine = Engine::new(&wc).map_err(SandboxError::Engine)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut RunState| &mut s.wasi)
            .map_err(SandboxError::Engine)?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = Arc::clone(&ticker_stop);
            let tick = config.epoch_tick;
            std::thread::Builder::new()
                .name("hone-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        engine.increment_epoch();
                    }
                })
                .map_err(|source| SandboxError::Io {
                    context: "starting the epoch ticker".into(),
                    source,
                })?;
        }

        let cache_dir = if config.use_cache {
            config.cache_dir.clone().or_else(default_cache_dir)
        } else {
            None
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                engine,
                linker,
                cache_dir,
                guests: [Mutex::new(None), Mutex::new(None)],
                py_prelude: std::sync::OnceLock::new(),
                ticker_stop,
            }),
        })
    }

    /// The configuration this sandbox was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// Compiles (or loads from the cache) the guest for `language` now rather than on first run.
    /// Returns `None` when it was already prepared in this sandbox.
    pub fn prepare(&self, language: Language) -> Result<Option<ModuleSource>, SandboxError> {
        let mut slot = self.lock_guest(language);
        if slot.is_some() {
            return Ok(None);
        }
        let path = guest_path(self.inner.config.assets_dir.as_deref(), language)?;
        let (module, source) =
            load_module(&self.inner.engine, &path, self.inner.cache_dir.as_deref())?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&module)
            .map_err(|source| SandboxError::Compile {
                guest: language.guest_file().into(),
                source,
            })?;
        *slot = Some(pre);
        Ok(Some(source))
    }

    fn lock_guest(
        &self,
        language: Language,
    ) -> std::sync::MutexGuard<'_, Option<InstancePre<RunState>>> {
        self.inner.guests[language.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn instance_pre(&self, language: Language) -> Result<InstancePre<RunState>, SandboxError> {
        self.prepare(language)?;
        self.lock_guest(language)
            .clone()
            .ok_or_else(|| SandboxError::Engine(anyhow::anyhow!("guest {language} not prepared")))
    }

    /// Runs `code` to completion, blocking the current thread (from async code, use
    /// [`Sandbox::run_async`]). Guest behaviour (errors, traps, limits) is reported in the
    /// [`RunOutcome`]; `Err` means the host could not run it at all.
    pub fn run(
        &self,
        language: Language,
        code: &str,
        opts: RunOptions,
    ) -> Result<RunOutcome, SandboxError> {
        let job = self.setup(language, code, &opts)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let this = self.clone();
        executor()?.spawn(async move {
            let _ = tx.send(this.execute(job, &opts).await);
        });
        rx.recv()
            .map_err(|_| SandboxError::Join("the sandbox run was dropped".into()))?
    }

    /// [`Sandbox::run`] for async callers. The guest runs on the sandbox's own executor, never
    /// on the caller's worker threads (so the caller's runtime needs no timer either); the
    /// guest is compiled on first use on tokio's blocking pool.
    pub async fn run_async(
        &self,
        language: Language,
        code: impl Into<String>,
        opts: RunOptions,
    ) -> Result<RunOutcome, SandboxError> {
        let this = self.clone();
        let code = code.into();
        let job = if self.is_prepared(language) {
            self.setup(language, &code, &opts)?
        } else {
            let opts = opts.clone();
            tokio::task::spawn_blocking(move || this.setup(language, &code, &opts))
                .await
                .map_err(|e| SandboxError::Join(e.to_string()))??
        };
        let this = self.clone();
        executor()?
            .spawn(async move { this.execute(job, &opts).await })
            .await
            .map_err(|e| SandboxError::Join(e.to_string()))?
    }

    /// The guest (and for Python its prelude) is compiled: setting a run up is cheap.
    fn is_prepared(&self, language: Language) -> bool {
        self.lock_guest(language).is_some()
            && (language == Language::JavaScript || self.inner.py_prelude.get().is_some())
    }

    /// Everything before the guest starts: checks, the compiled guest, its arguments and its
    /// channel.
    fn setup(
        &self,
        language: Language,
        code: &str,
        opts: &RunOptions,
    ) -> Result<Job, SandboxError> {
        let started = Instant::now();
        let cfg = &self.inner.config;
        if let Some(bad) = opts.host.invalid_name() {
            return Err(SandboxError::InvalidGrant(bad.to_string()));
        }
        if let Some(entry) = &opts.entry {
            if entry.is_empty() || entry.contains(',') || !HostNameCheck::is_ident(entry) {
                return Err(SandboxError::InvalidGrant(entry.clone()));
            }
        }
        let pre = self.instance_pre(language)?;

        let input = match &opts.input {
            Some(v) => serde_json::to_string(v).map_err(SandboxError::Input)?,
            None => String::new(),
        };
        let grants = opts.host.names().collect::<Vec<_>>().join(",");
        let entry = opts.entry.clone().unwrap_or_default();
        let channel = SharedChannel(Arc::new(Mutex::new(Channel::new(
            opts.host.clone(),
            cfg.stdout_limit,
            cfg.stderr_limit,
            cfg.output_kill_limit,
            cfg.host_call_limit,
        ))));

        let code = code.to_string();
        let args: Vec<String> = match language {
            Language::Python => match self.python_prelude_code() {
                Some(prelude) => {
                    channel.lock().preload(prelude);
                    [
                        "python", "-S", "-c", PY_BOOT, &code, &input, &entry, &grants,
                    ]
                    .map(String::from)
                    .to_vec()
                }
                None => [
                    "python", "-S", "-c", PRELUDE_PY, &code, &input, &entry, &grants,
                ]
                .map(String::from)
                .to_vec(),
            },
            Language::JavaScript => [
                "qjs", "--std", "-e", PRELUDE_JS, &code, &input, &entry, &grants,
            ]
            .map(String::from)
            .to_vec(),
        };
        // Compiling the guest (and prelude) the first time is the host's cost, not the run's.
        Ok(Job {
            pre,
            args,
            channel,
            started,
            prepared: Instant::now(),
        })
    }

    /// A fresh store for one guest: its stdio on `channel`, `args`, the run's directories and
    /// limits, and the epoch callback that enforces `deadline` (which a session moves from
    /// snippet to snippet). Returns the store and its fuel budget.
    pub(crate) fn new_store(
        &self,
        channel: &SharedChannel,
        args: &[String],
        opts: &RunOptions,
        deadline: Deadline,
    ) -> Result<(Store<RunState>, Option<u64>), SandboxError> {
        let cfg = &self.inner.config;
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdin(channel.stdin())
            .stdout(channel.stdout())
            .stderr(channel.stderr());
        // Sleeps and blocking reads go through the async runtime, where the time-out can end
        // them, never through a blocking call on this thread.
        wasi.allow_blocking_current_thread(false);
        wasi.args(args);
        let scratch_limit = opts.scratch_limit.unwrap_or(cfg.scratch_limit);
        if let Some(dir) = &opts.scratch {
            preopen(
                &mut wasi,
                dir,
                "/scratch",
                DirPerms::all(),
                FilePerms::all(),
            )?;
        }
        for (host, guest) in &opts.read_only {
            preopen(&mut wasi, host, guest, DirPerms::READ, FilePerms::READ)?;
        }
        let state = RunState {
            wasi: wasi.build_p1(),
            limits: Limits {
                memory: opts.memory_limit.unwrap_or(cfg.memory_limit),
                table_elements: cfg.max_table_elements,
                instances: cfg.max_instances,
                tables: cfg.max_tables,
                memories: cfg.max_memories,
                hit: None,
            },
            deadline,
            scratch: opts.scratch.clone().map(|d| (d, scratch_limit)),
            hit: None,
            ticks: 0,
        };
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|s| &mut s.limits);
        let fuel = cfg.fuel.map(|f| opts.fuel.unwrap_or(f));
        if let Some(f) = fuel {
            store.set_fuel(f).map_err(SandboxError::Engine)?;
        }
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            if Instant::now() >= s.deadline.get() {
                s.hit = Some(LimitKind::Timeout);
                anyhow::bail!("wall-clock timeout");
            }
            if let Some((dir, limit)) = &s.scratch {
                if dir_size(dir, *limit) > *limit {
                    s.hit = Some(LimitKind::Scratch);
                    anyhow::bail!("scratch directory over its limit");
                }
            }
            s.ticks += 1;
            if s.ticks % YIELD_EVERY == 0 {
                Ok(UpdateDeadline::Yield(1))
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        Ok((store, fuel))
    }

    pub(crate) fn python_pre(&self) -> Result<InstancePre<RunState>, SandboxError> {
        self.instance_pre(Language::Python)
    }

    /// Instantiates the job's guest in a fresh store with its arguments and the run's grants,
    /// runs `_start` under the run's time-out, and turns whatever happened into a
    /// [`RunOutcome`].
    async fn execute(&self, job: Job, opts: &RunOptions) -> Result<RunOutcome, SandboxError> {
        let Job {
            pre,
            args,
            channel,
            started,
            prepared,
        } = job;
        let cfg = &self.inner.config;
        let timeout = opts.timeout.unwrap_or(cfg.timeout);
        let deadline = prepared + timeout;
        let (mut store, fuel) = self.new_store(&channel, &args, opts, Deadline::new(deadline))?;

        let run = async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance
                .get_typed_func::<(), ()>(&mut store, "_start")?
                .call_async(&mut store, ())
                .await
        };
        // The epoch check above ends a guest that computes; this ends one that waits (a sleep,
        // a host call that does not return).
        let waited = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), run).await;
        let result = match waited {
            Ok(r) => r,
            Err(_) => {
                store.data_mut().hit = Some(LimitKind::Timeout);
                Err(anyhow::anyhow!("wall-clock timeout while the guest waited"))
            }
        };

        let fuel_used = fuel.map(|f| f.saturating_sub(store.get_fuel().unwrap_or(0)));
        let data = store.data();
        let mut hit = data.hit.or(data.limits.hit);
        if hit.is_none() {
            if let Some((dir, limit)) = &data.scratch {
                if dir_size(dir, *limit) > *limit {
                    hit = Some(LimitKind::Scratch);
                }
            }
        }
        drop(store);

        let mut ch = channel.lock();
        if ch.output_limit_hit {
            hit = Some(LimitKind::Output);
        }
        let (status, exit_code) = classify(result, hit, fuel.is_some());
        let stdout = std::mem::take(&mut ch.stdout);
        let stderr = std::mem::take(&mut ch.stderr);
        Ok(RunOutcome {
            status,
            exit_code,
            stdout_dropped: stdout.dropped,
            stderr_dropped: stderr.dropped,
            stdout: stdout.into_text(),
            stderr: stderr.into_text(),
            result: ch.result.take(),
            fuel_used,
            wall: started.elapsed(),
            host_calls: ch.host_calls,
        })
    }

    /// The marshalled Python prelude, made once per sandbox (and cached on disk, as hex, next
    /// to the compiled guest); `None` falls back to running the prelude's source.
    fn python_prelude_code(&self) -> Option<&[u8]> {
        self.inner
            .py_prelude
            .get_or_init(|| {
                let path =
                    guest_path(self.inner.config.assets_dir.as_deref(), Language::Python).ok()?;
                let meta = std::fs::metadata(&path).ok()?;
                let mut key = Sha256::new();
                key.update(PRELUDE_PY.as_bytes());
                key.update(meta.len().to_le_bytes());
                if let Ok(t) = meta.modified().and_then(|t| {
                    t.duration_since(std::time::UNIX_EPOCH)
                        .map_err(std::io::Error::other)
                }) {
                    key.update(t.as_nanos().to_le_bytes());
                }
                let file = self.inner.cache_dir.as_ref().map(|d| {
                    d.join(format!(
                        "python-prelude-{}.hex",
                        &hex::encode(key.finalize())[..24]
                    ))
                });
                if let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
                    if let Ok(code) = hex::decode(text.trim()) {
                        return Some(code);
                    }
                }
                let pre = self.instance_pre(Language::Python).ok()?;
                let channel = SharedChannel(Arc::new(Mutex::new(Channel::new(
                    HostFunctions::new(),
                    1 << 20,
                    64 << 10,
                    4 << 20,
                    0,
                ))));
                let now = Instant::now();
                let args = ["python", "-S", "-c", PY_MARSHAL, PRELUDE_PY]
                    .map(String::from)
                    .to_vec();
                let job = Job {
                    pre,
                    args,
                    channel,
                    started: now,
                    prepared: now,
                };
                let (tx, rx) = std::sync::mpsc::channel();
                let this = self.clone();
                executor()
                    .ok()?
                    .spawn(async move { tx.send(this.execute(job, &RunOptions::new()).await) });
                let out = rx.recv().ok()?.ok()?;
                let Ok(code) = hex::decode(out.stdout.trim())
                    .map_err(|_| ())
                    .and_then(|c| if out.is_success() { Ok(c) } else { Err(()) })
                else {
                    tracing::warn!("precompiling the Python prelude failed: {}", out.stderr);
                    return None;
                };
                if let (Some(file), Some(dir)) = (&file, &self.inner.cache_dir) {
                    let tmp = dir.join(format!(".prelude.{}.tmp", std::process::id()));
                    let written = std::fs::create_dir_all(dir)
                        .and_then(|_| std::fs::write(&tmp, &out.stdout))
                        .and_then(|_| std::fs::rename(&tmp, file));
                    if written.is_err() {
                        let _ = std::fs::remove_file(&tmp);
                    }
                }
                Some(code)
            })
            .as_deref()
    }
}

/// A guest ready to start.
struct Job {
    pre: InstancePre<RunState>,
    args: Vec<String>,
    channel: SharedChannel,
    started: Instant,
    prepared: Instant,
}

/// The runtime every guest runs on, shared by all sandboxes of the process: one worker per
/// core, guests yielding to each other at every epoch tick, host functions on its blocking pool.
pub(crate) fn executor() -> Result<&'static tokio::runtime::Runtime, SandboxError> {
    static EXECUTOR: std::sync::OnceLock<Option<tokio::runtime::Runtime>> =
        std::sync::OnceLock::new();
    EXECUTOR
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("hone-sandbox")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
        .ok_or_else(|| SandboxError::Join("cannot start the sandbox's async runtime".into()))
}

/// Identifier check shared with host-function names (one segment, no dots).
struct HostNameCheck;

impl HostNameCheck {
    fn is_ident(s: &str) -> bool {
        let mut chars = s.chars();
        matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
    }
}

fn preopen(
    wasi: &mut WasiCtxBuilder,
    host: &Path,
    guest: &str,
    dir_perms: DirPerms,
    file_perms: FilePerms,
) -> Result<(), SandboxError> {
    if !host.is_dir() {
        return Err(SandboxError::Directory {
            path: host.to_path_buf(),
            source: anyhow::anyhow!("not a directory"),
        });
    }
    wasi.preopened_dir(host, guest, dir_perms, file_perms)
        .map(|_| ())
        .map_err(|source| SandboxError::Directory {
            path: host.to_path_buf(),
            source,
        })
}

/// Bytes under `dir` (apparent file sizes), stopping early once past `stop_after`.
fn dir_size(dir: &Path, stop_after: u64) -> u64 {
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    let mut entries = 0usize;
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            entries += 1;
            // Every entry costs something too, so a flood of empty files also counts.
            total += 512;
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
            if total > stop_after || entries > 100_000 {
                return total.max(stop_after.saturating_add(1));
            }
        }
    }
    total
}

pub(crate) fn classify(
    result: anyhow::Result<()>,
    hit: Option<LimitKind>,
    fuel_on: bool,
) -> (RunStatus, Option<i32>) {
    let err = match result {
        Ok(()) => return (RunStatus::Success, Some(0)),
        Err(e) => e,
    };
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        // A limit can be noticed after the guest chose to exit (scratch overflow, say).
        if let Some(limit) = hit {
            return (RunStatus::Limit { limit }, Some(exit.0));
        }
        return if exit.0 == 0 {
            (RunStatus::Success, Some(0))
        } else {
            (RunStatus::Failed { exit_code: exit.0 }, Some(exit.0))
        };
    }
    if let Some(limit) = hit {
        return (RunStatus::Limit { limit }, None);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) if fuel_on => (
            RunStatus::Limit {
                limit: LimitKind::Fuel,
            },
            None,
        ),
        Some(Trap::StackOverflow) => (
            RunStatus::Limit {
                limit: LimitKind::Stack,
            },
            None,
        ),
        Some(Trap::Interrupt) => (
            RunStatus::Limit {
                limit: LimitKind::Timeout,
            },
            None,
        ),
        Some(trap) => (
            RunStatus::Trap {
                message: trap.to_string(),
            },
            None,
        ),
        None => (
            RunStatus::Trap {
                message: err.root_cause().to_string(),
            },
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_size_counts_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), vec![0u8; 1000]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), vec![0u8; 3000]).unwrap();
        assert_eq!(dir_size(dir.path(), u64::MAX), 4000 + 3 * 512);
        assert!(dir_size(dir.path(), 100) > 100);
    }

    #[test]
    fn exit_codes_and_limits_are_classified() {
        let exit = |c| Err(anyhow::Error::new(I32Exit(c)));
        assert_eq!(classify(Ok(()), None, false).0, RunStatus::Success);
        assert_eq!(classify(exit(0), None, false).0, RunStatus::Success);
        assert_eq!(
            classify(exit(3), None, false).0,
            RunStatus::Failed { exit_code: 3 }
        );
        assert_eq!(
            classify(Err(anyhow::anyhow!("x")), Some(LimitKind::Memory), false).0,
            RunStatus::Limit {
                limit: LimitKind::Memory
            }
        );
        assert_eq!(
            classify(Err(Trap::OutOfFuel.into()), None, true).0,
            RunStatus::Limit {
                limit: LimitKind::Fuel
            }
        );
        assert!(matches!(
            classify(Err(Trap::UnreachableCodeReached.into()), None, false).0,
            RunStatus::Trap { .. }
        ));
    }
}
