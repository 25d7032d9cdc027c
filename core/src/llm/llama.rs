//! The in-process llama.cpp backend.
//!
//! A llama.cpp context is not `Send`, so one worker thread owns the model and its context and
//! serves requests from a channel; [`LlamaCpp`] is a cheap, cloneable handle to it, and async
//! callers await a oneshot reply without blocking the runtime. Several agents can share one
//! loaded model by cloning the handle; their requests are served one at a time.
//!
//! KV cache layout (one unified cache of `n_ctx` cells):
//! - sequences `0..n_slots` are *slots*: each keeps the tokens of an earlier conversation. A new
//!   request goes to the slot sharing the longest token prefix with its prompt (else the least
//!   recently used one), and only the tokens after that prefix are evaluated;
//! - sequences `n_slots..n_slots + max_n - 1` are scratch space for samples 2..n of a request:
//!   the prompt is evaluated once in the slot, its cache copied into each scratch sequence, and
//!   all samples are decoded together, one batch per step.
//!
//! Reproducibility: the same request with the same seed gives the same text for the same cache
//! state. llama.cpp's logits shift by float rounding with the batch shape and the cache layout,
//! so after prefix reuse a sampled (temperature > 0) continuation can differ; set
//! `prefix_reuse(false)` when bit-exact replay matters more than speed.

use super::{
    grammar, ms, ChatRequest, ChatResponse, Choice, Constraint, FinishReason, LlmError, Timings,
    TokenLogprob, Usage,
};
use async_trait::async_trait;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Instant;
use tokio::sync::oneshot;

/// How to load and run a GGUF model. `LlamaCppConfig::new(path)` gives sane defaults.
#[derive(Debug, Clone)]
pub struct LlamaCppConfig {
    pub model_path: PathBuf,
    /// Context window in tokens shared by all slots; 0 = the model's training context, at most 8192.
    pub n_ctx: u32,
    /// Conversations whose KV cache is kept for prefix reuse.
    pub n_slots: u32,
    /// Most samples one request may ask for.
    pub max_n: u32,
    /// Tokens evaluated per `decode` call while reading a prompt.
    pub n_batch: u32,
    /// CPU threads; `None` = all available cores.
    pub n_threads: Option<u32>,
    /// Layers offloaded to the GPU; `None` = all when the build has a GPU backend, else 0.
    pub n_gpu_layers: Option<u32>,
    /// Reuse the KV cache of earlier calls (disable only to measure what it saves).
    pub prefix_reuse: bool,
    /// Drop to one thread while other processes keep the cores busy or other instances of this
    /// process are generating (see [`contention`]); off: always `n_threads`.
    pub adaptive_threads: bool,
}

impl LlamaCppConfig {
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self {
            model_path: model_path.into(),
            n_ctx: 0,
            n_slots: 4,
            max_n: 16,
            n_batch: 512,
            n_threads: None,
            n_gpu_layers: None,
            prefix_reuse: true,
            adaptive_threads: true,
        }
    }
    pub fn n_ctx(mut self, n: u32) -> Self {
        self.n_ctx = n;
        self
    }
    pub fn n_slots(mut self, n: u32) -> Self {
        self.n_slots = n.max(1);
        self
    }
    pub fn max_n(mut self, n: u32) -> Self {
        self.max_n = n.max(1);
        self
    }
    pub fn n_threads(mut self, n: u32) -> Self {
        self.n_threads = Some(n.max(1));
        self
    }
    pub fn n_gpu_layers(mut self, n: u32) -> Self {
        self.n_gpu_layers = Some(n);
        self
    }
    pub fn prefix_reuse(mut self, on: bool) -> Self {
        self.prefix_reuse = on;
        self
    }
    pub fn adaptive_threads(mut self, on: bool) -> Self {
        self.adaptive_threads = on;
        self
    }
}

/// Keeping llama.cpp fast when it does not have the cores to itself.
///
/// ggml's CPU backend waits at a barrier after every graph node, several hundred times per
/// token, and every thread must arrive before any goes on. With the `openmp` build the waiting
/// threads spin (libgomp's default) while the thread they wait for sits behind another
/// process on a busy core, so each barrier costs a scheduler slice: measured here, a 13-token
/// reply took 41.6 s with 2 threads beside one busy process and 0.35 s with 1 thread; two
/// instances in one process (4 threads on 2 cores) slowed each other about 3×. One thread has
/// no barriers at all.
///
/// So before every decode hone picks the thread count: one thread while other processes keep
/// a third of a core or more busy (a sampler reads `/proc/stat` against `/proc/self/stat` every
/// 250 ms, with hysteresis), the configured count otherwise. The choice is applied with
/// OpenMP's `omp_set_max_active_levels` (0: parallel regions run on one thread, which ggml
/// reads back through `omp_get_num_threads`), the one standard knob libgomp offers after
/// start-up. And while several instances of this process are generating, their decodes take
/// turns (a first-come, first-served lock), so their threads never outnumber the cores; one
/// thread each was measured worse for a 0.5B model (memory-bound: 0.74× one instance alone,
/// against about 1× in turns). `hone bench llm --contended` measures all of this.
pub mod contention {
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;

    extern "C" {
        // OpenMP 3.0 runtime API, from the libgomp that the `openmp` build of llama.cpp links.
        fn omp_set_max_active_levels(levels: std::os::raw::c_int);
    }

    /// Instances of this process in the middle of a request.
    static ACTIVE: AtomicUsize = AtomicUsize::new(0);
    /// Busy cores of other processes, in thousandths.
    static OTHERS_MILLI: AtomicU32 = AtomicU32::new(0);
    /// The sampler's verdict, with hysteresis.
    static CONTENDED: AtomicBool = AtomicBool::new(false);
    /// The last value handed to OpenMP (u32::MAX: none yet).
    static LEVELS: AtomicU32 = AtomicU32::new(u32::MAX);

    /// Counts an instance as generating for as long as it lives.
    pub struct Active;
    impl Active {
        pub fn enter() -> Self {
            ACTIVE.fetch_add(1, Ordering::SeqCst);
            Active
        }
    }
    impl Drop for Active {
        fn drop(&mut self) {
            ACTIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Busy cores used by other processes, as last sampled.
    pub fn other_load() -> f64 {
        f64::from(OTHERS_MILLI.load(Ordering::Relaxed)) / 1000.0
    }

    /// Whether the next decode should run on one thread.
    pub fn single_thread() -> bool {
        start_sampler();
        CONTENDED.load(Ordering::Relaxed)
    }

    /// Applies the thread choice before a decode (`adaptive`: false forces the configured
    /// count) and, while other instances are generating, waits for this decode's turn; the
    /// turn ends when the returned guard is dropped.
    pub fn before_decode(adaptive: bool) -> Option<Turn> {
        let levels = if adaptive && single_thread() { 0 } else { 1 };
        if LEVELS.swap(levels, Ordering::Relaxed) != levels {
            tracing::debug!(
                threads = if levels == 0 { "one" } else { "all" },
                "llama threads"
            );
            // SAFETY: a plain setter of libgomp's max-active-levels ICV; any value >= 0 is valid.
            unsafe { omp_set_max_active_levels(levels as std::os::raw::c_int) };
        }
        (adaptive && ACTIVE.load(Ordering::SeqCst) > 1).then(Turn::take)
    }

    /// First come, first served: (next ticket, ticket being served).
    static TURNS: std::sync::Mutex<(u64, u64)> = std::sync::Mutex::new((0, 0));
    static TURN_CHANGED: std::sync::Condvar = std::sync::Condvar::new();

    /// One decode's turn while several instances are generating.
    pub struct Turn;

    impl Turn {
        fn take() -> Turn {
            let mut t = TURNS.lock().unwrap_or_else(|p| p.into_inner());
            let mine = t.0;
            t.0 += 1;
            while t.1 != mine {
                t = TURN_CHANGED.wait(t).unwrap_or_else(|p| p.into_inner());
            }
            Turn
        }
    }

    impl Drop for Turn {
        fn drop(&mut self) {
            let mut t = TURNS.lock().unwrap_or_else(|p| p.into_inner());
            t.1 += 1;
            TURN_CHANGED.notify_all();
        }
    }

    fn start_sampler() {
        static STARTED: OnceLock<()> = OnceLock::new();
        STARTED.get_or_init(|| {
            let _ = std::thread::Builder::new()
                .name("hone-load".into())
                .spawn(sampler);
        });
    }

    /// (busy, total) jiffies of all CPUs, and this process's own (user + system) jiffies.
    fn read() -> Option<(u64, u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = cpu
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3)? + v.get(4)?;
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after = own.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        // Fields 14 and 15 of the file (utime, stime) are 12 and 13 after the command name.
        let me: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        Some((total - idle, total, me))
    }

    fn sampler() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let mut last = read();
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let now = read();
            if let (Some((b0, t0, m0)), Some((b1, t1, m1))) = (last, now) {
                let dt = t1.saturating_sub(t0).max(1) as f64;
                let others = (b1.saturating_sub(b0) as f64 - m1.saturating_sub(m0) as f64).max(0.0)
                    / dt
                    * cores;
                OTHERS_MILLI.store((others * 1000.0) as u32, Ordering::Relaxed);
                // Contended above a third of a busy core, free again below a sixth. Our own
                // threads take time from a busy neighbour, so it shows as less than a core.
                let was = CONTENDED.load(Ordering::Relaxed);
                CONTENDED.store(
                    if was { others > 0.17 } else { others > 0.35 },
                    Ordering::Relaxed,
                );
            }
            last = now;
        }
    }
}

/// Facts about a loaded model.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub name: String,
    pub n_ctx: u32,
    pub n_ctx_train: u32,
    pub n_vocab: u32,
    pub n_params: u64,
    pub gpu_offload: bool,
}

/// Where a streamed reply's pieces go.
type Deltas = tokio::sync::mpsc::UnboundedSender<super::Delta>;

enum Job {
    Chat(
        Box<ChatRequest>,
        oneshot::Sender<Result<ChatResponse, LlmError>>,
        Option<Deltas>,
    ),
    Tokenize(String, oneshot::Sender<Result<usize, LlmError>>),
}

/// A GGUF model running in-process on llama.cpp. Clone it to share the model.
#[derive(Clone)]
pub struct LlamaCpp {
    tx: mpsc::Sender<Job>,
    info: Arc<ModelInfo>,
}

impl std::fmt::Debug for LlamaCpp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlamaCpp")
            .field("info", &self.info)
            .finish()
    }
}

fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Backend(format!("llama.cpp backend init failed: {e}")))
}

/// Checks that `path` is a readable GGUF file before llama.cpp sees it.
fn check_gguf(path: &Path) -> Result<(), LlmError> {
    use std::io::Read;
    let err = |reason: String| LlmError::ModelLoad {
        path: path.display().to_string(),
        reason,
    };
    let mut f = std::fs::File::open(path).map_err(|e| {
        err(format!(
            "{e} (run scripts/fetch-assets for the default model, or pass --model / HONE_MODEL)"
        ))
    })?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic)
        .map_err(|_| err("file is too short to be a GGUF model".into()))?;
    if &magic != b"GGUF" {
        return Err(err("not a GGUF file (bad magic bytes)".into()));
    }
    Ok(())
}

impl LlamaCpp {
    /// Loads the model on a new worker thread and waits until it is ready.
    pub fn load(config: LlamaCppConfig) -> Result<Self, LlmError> {
        check_gguf(&config.model_path)?;
        let backend = backend()?;
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<ModelInfo, LlmError>>();
        let name = config
            .model_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        std::thread::Builder::new()
            .name(format!("llama:{name}"))
            .spawn(move || worker(backend, config, name, rx, ready_tx))
            .map_err(|e| LlmError::Backend(format!("cannot spawn the model thread: {e}")))?;
        let info = ready_rx
            .recv()
            .map_err(|_| LlmError::Backend("the model thread died while loading".into()))??;
        Ok(Self {
            tx,
            info: Arc::new(info),
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Number of tokens `text` becomes (no special tokens added).
    pub async fn count_tokens(&self, text: &str) -> Result<usize, LlmError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Tokenize(text.to_string(), tx))?;
        rx.await.map_err(|_| dead())?
    }

    fn send(&self, job: Job) -> Result<(), LlmError> {
        self.tx.send(job).map_err(|_| dead())
    }
}

fn dead() -> LlmError {
    LlmError::Backend("the model thread has stopped".into())
}

#[async_trait]
impl super::ChatModel for LlamaCpp {
    fn name(&self) -> &str {
        &self.info.name
    }
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        req.validate()?;
        let (tx, rx) = oneshot::channel();
        self.send(Job::Chat(Box::new(req), tx, None))?;
        rx.await.map_err(|_| dead())?
    }
    async fn chat_stream(
        &self,
        req: ChatRequest,
        deltas: Deltas,
    ) -> Result<ChatResponse, LlmError> {
        req.validate()?;
        let (tx, rx) = oneshot::channel();
        self.send(Job::Chat(Box::new(req), tx, Some(deltas)))?;
        rx.await.map_err(|_| dead())?
    }
}

fn worker(
    backend: &'static LlamaBackend,
    config: LlamaCppConfig,
    name: String,
    rx: mpsc::Receiver<Job>,
    ready: mpsc::Sender<Result<ModelInfo, LlmError>>,
) {
    let state = match Worker::open(backend, &config, name) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let model = state.model;
    let mut w = match WorkerCtx::new(backend, &model, &config, state.info.clone()) {
        Ok(w) => w,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(state.info));
    while let Ok(job) = rx.recv() {
        match job {
            Job::Chat(req, reply, deltas) => {
                let span = tracing::debug_span!("llama.chat", n = req.n);
                let _g = span.enter();
                let _active = contention::Active::enter();
                // A panic inside one request must not take the model down for everyone.
                let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    w.chat(&req, deltas.as_ref())
                }))
                .unwrap_or_else(|_| {
                    w.reset();
                    Err(LlmError::Backend("internal panic while generating".into()))
                });
                let _ = reply.send(res);
            }
            Job::Tokenize(text, reply) => {
                let _ = reply.send(Ok(token_count(w.model, &text)));
            }
        }
    }
}

struct Worker {
    model: LlamaModel,
    info: ModelInfo,
}

impl Worker {
    fn open(
        backend: &LlamaBackend,
        config: &LlamaCppConfig,
        name: String,
    ) -> Result<Self, LlmError> {
        let gpu = backend.supports_gpu_offload();
        let layers = config.n_gpu_layers.unwrap_or(if gpu { 999 } else { 0 });
        let params = LlamaModelParams::default().with_n_gpu_layers(layers);
        let model =
            LlamaModel::load_from_file(backend, &config.model_path, &params).map_err(|e| {
                LlmError::ModelLoad {
                    path: config.model_path.display().to_string(),
                    reason: format!(
                    "llama.cpp could not load it ({e}): corrupt, truncated or an unsupported GGUF"
                ),
                }
            })?;
        let n_ctx_train = model.n_ctx_train();
        let n_ctx = if config.n_ctx == 0 {
            n_ctx_train.min(8192)
        } else {
            config.n_ctx
        };
        let info = ModelInfo {
            name,
            n_ctx,
            n_ctx_train,
            n_vocab: model.n_vocab().max(0) as u32,
            n_params: model.n_params(),
            gpu_offload: gpu && layers > 0,
        };
        tracing::info!(?info, "model loaded");
        Ok(Self { model, info })
    }
}

/// Tokens `text` becomes, without special tokens.
fn token_count(model: &LlamaModel, text: &str) -> usize {
    model.vocab().tokenize(text.as_bytes(), false, false).len()
}

struct Slot {
    /// Tokens whose keys and values are in this slot's sequence, in order.
    tokens: Vec<LlamaToken>,
    last_used: u64,
}

struct WorkerCtx<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    template: LlamaChatTemplate,
    info: ModelInfo,
    config: LlamaCppConfig,
    slots: Vec<Slot>,
    clock: u64,
}

/// One sample being decoded.
struct Sample {
    seq: i32,
    grammar: Option<LlamaSampler>,
    chain: LlamaSampler,
    bytes: Vec<u8>,
    generated: Vec<LlamaToken>,
    /// Tokens fed back through `decode` (all generated but the last, usually).
    decoded: usize,
    logprobs: Vec<TokenLogprob>,
    finish: Option<FinishReason>,
    /// Index in the last batch whose logits this sample reads next.
    logits_idx: i32,
    /// Bytes of `bytes` already streamed.
    sent: usize,
}

impl<'m> WorkerCtx<'m> {
    fn new(
        backend: &LlamaBackend,
        model: &'m LlamaModel,
        config: &LlamaCppConfig,
        info: ModelInfo,
    ) -> Result<Self, LlmError> {
        let threads = config.n_threads.map(|t| t as i32).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get() as i32)
                .unwrap_or(2)
        });
        let n_seq = config.n_slots + config.max_n - 1;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(info.n_ctx))
            .with_n_batch(config.n_batch)
            .with_n_ubatch(config.n_batch)
            .with_n_seq_max(n_seq)
            .with_kv_unified(true)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| LlmError::Backend(format!("cannot create a llama.cpp context: {e}")))?;
        // The model's own template; llama.cpp's chatml when the GGUF has none.
        let template = match model.chat_template(None) {
            Ok(t) => t,
            Err(_) => LlamaChatTemplate::new("chatml")
                .map_err(|e| LlmError::Backend(format!("chat template: {e}")))?,
        };
        let slots = (0..config.n_slots)
            .map(|_| Slot {
                tokens: Vec::new(),
                last_used: 0,
            })
            .collect();
        Ok(Self {
            model,
            ctx,
            template,
            info,
            config: config.clone(),
            slots,
            clock: 0,
        })
    }

    /// Forgets every cached sequence (after an internal error).
    fn reset(&mut self) {
        self.ctx.clear_kv_cache();
        for s in &mut self.slots {
            s.tokens.clear();
        }
    }

    fn render(&self, req: &ChatRequest) -> Result<Vec<LlamaToken>, LlmError> {
        let msgs = req
            .messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.as_str().to_string(), m.content.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                LlmError::BadRequest(format!("a message cannot be passed to llama.cpp: {e}"))
            })?;
        let prompt = self
            .model
            .apply_chat_template(&self.template, &msgs, true)
            .map_err(|e| LlmError::BadRequest(format!("chat template failed: {e}")))?;
        Ok(self.model.vocab().tokenize(prompt.as_bytes(), true, true))
    }

    fn grammar_text(req: &ChatRequest) -> Result<Option<String>, LlmError> {
        Ok(match &req.constraint {
            None => None,
            Some(Constraint::Grammar(g)) => Some(g.clone()),
            Some(Constraint::OneOf(opts)) => Some(grammar::one_of(opts)),
            Some(Constraint::JsonSchema(s)) => {
                Some(grammar::json_schema_to_gbnf(s).map_err(LlmError::Grammar)?)
            }
        })
    }

    fn make_grammar(&self, text: &str) -> Result<LlamaSampler, LlmError> {
        if !text.lines().any(|l| l.trim_start().starts_with("root")) {
            return Err(LlmError::Grammar("the grammar has no `root` rule".into()));
        }
        LlamaSampler::grammar(self.model, text, "root").map_err(|e| {
            LlmError::Grammar(format!(
                "llama.cpp could not parse it ({e}); run with HONE_LOG=llama_cpp_2=warn for the parser's message"
            ))
        })
    }

    fn chain(req: &ChatRequest, i: u32) -> LlamaSampler {
        let s = &req.sampling;
        if s.temperature == 0.0 {
            return LlamaSampler::greedy();
        }
        let mut v = Vec::new();
        if s.top_k > 0 {
            v.push(LlamaSampler::top_k(s.top_k as i32));
        }
        if s.top_p < 1.0 {
            v.push(LlamaSampler::top_p(s.top_p, 1));
        }
        if s.min_p > 0.0 {
            v.push(LlamaSampler::min_p(s.min_p, 1));
        }
        v.push(LlamaSampler::temp(s.temperature));
        // llama.cpp seeds are 32-bit; fold the 64-bit seed.
        let seed = (s.seed ^ (s.seed >> 32)) as u32;
        v.push(LlamaSampler::dist(seed.wrapping_add(i)));
        LlamaSampler::chain_simple(v)
    }

    /// Picks the slot for `tokens` and makes it hold the longest cached prefix available.
    /// Returns (slot index, tokens already cached there).
    ///
    /// A prompt that continues a slot's conversation (shares >= 90% of its cached tokens) goes
    /// to that slot. Otherwise it goes to an empty or the least recently used slot, and when
    /// another slot shares a prefix with it (a common system prompt or few-shot block), that
    /// prefix is copied over, so neither conversation loses its cache.
    fn pick_slot(&mut self, tokens: &[LlamaToken]) -> (usize, usize) {
        self.clock += 1;
        let lcps: Vec<usize> = self
            .slots
            .iter()
            .map(|s| {
                s.tokens
                    .iter()
                    .zip(tokens)
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .collect();
        let best = (0..self.slots.len()).max_by_key(|&i| (lcps[i], self.slots[i].last_used));
        let Some(best) = best.filter(|_| self.config.prefix_reuse) else {
            // No reuse: nothing stays cached, so stale cells cannot slow attention down either.
            self.reset();
            return (0, 0);
        };
        let lcp = lcps[best];
        if lcp > 0 && lcp * 10 >= self.slots[best].tokens.len() * 9 {
            return (best, lcp);
        }
        let target = self.lru_slot(Some(best));
        if target == best {
            return (best, lcp); // a single slot: truncate it
        }
        self.clear_slot(target);
        if lcp > 0
            && self
                .ctx
                .copy_kv_cache_seq(best as i32, target as i32, Some(0), Some(lcp as u32))
                .is_ok()
        {
            let prefix = self.slots[best].tokens[..lcp].to_vec();
            self.slots[target].tokens = prefix;
            return (target, lcp);
        }
        (target, 0)
    }

    /// An empty slot if there is one, else the least recently used; never `avoid`.
    fn lru_slot(&self, avoid: Option<usize>) -> usize {
        (0..self.slots.len())
            .filter(|&i| Some(i) != avoid || self.slots.len() == 1)
            .min_by_key(|&i| (!self.slots[i].tokens.is_empty(), self.slots[i].last_used))
            .unwrap_or(0)
    }

    fn clear_slot(&mut self, slot: usize) {
        self.ctx
            .clear_kv_cache_seq(Some(slot as u32), None, None)
            .ok();
        self.slots[slot].tokens.clear();
    }

    fn chat(
        &mut self,
        req: &ChatRequest,
        deltas: Option<&Deltas>,
    ) -> Result<ChatResponse, LlmError> {
        let t0 = Instant::now();
        if req.n > self.config.max_n {
            return Err(LlmError::BadRequest(format!(
                "n = {} exceeds this model's max_n = {}",
                req.n, self.config.max_n
            )));
        }
        let tokens = self.render(req)?;
        let n_ctx = self.info.n_ctx as usize;
        if tokens.len() >= n_ctx {
            return Err(LlmError::ContextOverflow {
                tokens: tokens.len(),
                n_ctx,
            });
        }
        // Samplers are built before touching the cache so a bad grammar changes nothing.
        let gtext = Self::grammar_text(req)?;
        let mut samples = Vec::with_capacity(req.n as usize);
        for i in 0..req.n {
            let grammar = gtext.as_deref().map(|g| self.make_grammar(g)).transpose()?;
            samples.push(Sample {
                seq: 0,
                grammar,
                chain: Self::chain(req, i),
                bytes: Vec::new(),
                generated: Vec::new(),
                decoded: 0,
                logprobs: Vec::new(),
                finish: None,
                logits_idx: 0,
                sent: 0,
            });
        }

        let (slot, lcp) = self.pick_slot(&tokens);
        let seq = slot as i32;
        // Keep the common prefix, but always evaluate at least the last prompt token: its
        // logits start generation.
        let mut keep = lcp.min(tokens.len() - 1);
        if self
            .ctx
            .kv_cache_seq_rm(seq, Some(keep as u32), None)
            .is_err()
        {
            self.ctx
                .clear_kv_cache_seq(Some(seq as u32), None, None)
                .ok();
            keep = 0;
        }
        self.slots[slot].tokens.truncate(keep);
        self.slots[slot].last_used = self.clock;

        let max_new = (req.sampling.max_tokens as usize).min(n_ctx - tokens.len());
        self.make_room(slot, tokens.len() + req.n as usize * max_new);

        // Prompt: evaluate what is not cached, in chunks of n_batch.
        let t_prompt = Instant::now();
        let n_batch = self.config.n_batch as usize;
        let mut batch = LlamaBatch::new(n_batch.max(req.n as usize), 1);
        let todo = &tokens[keep..];
        let mut last_idx = 0;
        for (c, chunk) in todo.chunks(n_batch).enumerate() {
            batch.clear();
            let base = keep + c * n_batch;
            for (j, &t) in chunk.iter().enumerate() {
                let last = base + j == tokens.len() - 1;
                batch
                    .add(t, (base + j) as i32, &[seq], last)
                    .map_err(backend_err)?;
            }
            self.decode(&mut batch, slot)?;
            last_idx = batch.n_tokens() - 1;
        }
        self.slots[slot].tokens.extend_from_slice(todo);
        let prompt_ms = ms(t_prompt.elapsed());

        // Samples 2..n read the same prompt cache through copies of the slot's sequence.
        for (i, s) in samples.iter_mut().enumerate() {
            s.seq = if i == 0 {
                seq
            } else {
                self.config.n_slots as i32 + i as i32 - 1
            };
            s.logits_idx = last_idx;
            if i > 0 {
                self.ctx
                    .clear_kv_cache_seq(Some(s.seq as u32), None, None)
                    .ok();
                self.ctx
                    .copy_kv_cache_seq(seq, s.seq, None, None)
                    .map_err(backend_err)?;
            }
        }

        let t_gen = Instant::now();
        let result = self.generate(req, &mut samples, &mut batch, tokens.len(), max_new, deltas);
        for s in samples.iter().skip(1) {
            self.ctx
                .clear_kv_cache_seq(Some(s.seq as u32), None, None)
                .ok();
        }
        if let Some(first) = samples.first() {
            let extra = &first.generated[..first.decoded];
            self.slots[slot].tokens.extend_from_slice(extra);
        }
        result?;
        let generation_ms = ms(t_gen.elapsed());

        let completion_tokens = samples.iter().map(|s| s.generated.len() as u32).sum();
        let choices = samples
            .into_iter()
            .map(|s| Choice {
                text: String::from_utf8_lossy(&s.bytes).into_owned(),
                finish_reason: s.finish.unwrap_or(FinishReason::Length),
                logprobs: req.logprobs.then_some(s.logprobs),
            })
            .collect();
        Ok(ChatResponse {
            model: self.info.name.clone(),
            choices,
            usage: Usage {
                prompt_tokens: tokens.len() as u32,
                prompt_tokens_evaluated: (tokens.len() - keep) as u32,
                completion_tokens,
            },
            timings: Timings {
                prompt_ms,
                generation_ms,
                total_ms: ms(t0.elapsed()),
            },
        })
    }

    /// Evicts least-recently-used slots until `needed` more cells fit beside the other slots.
    fn make_room(&mut self, keep_slot: usize, needed: usize) {
        let n_ctx = self.info.n_ctx as usize;
        loop {
            let others: usize = self
                .slots
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != keep_slot)
                .map(|(_, s)| s.tokens.len())
                .sum();
            if others + needed <= n_ctx {
                return;
            }
            let victim = self
                .slots
                .iter()
                .enumerate()
                .filter(|(i, s)| *i != keep_slot && !s.tokens.is_empty())
                .min_by_key(|(_, s)| s.last_used)
                .map(|(i, _)| i);
            let Some(v) = victim else { return };
            self.ctx.clear_kv_cache_seq(Some(v as u32), None, None).ok();
            self.slots[v].tokens.clear();
        }
    }

    fn decode(&mut self, batch: &mut LlamaBatch, slot: usize) -> Result<(), LlmError> {
        let _turn = contention::before_decode(self.config.adaptive_threads);
        match self.ctx.decode(batch) {
            Ok(()) => Ok(()),
            Err(e) => {
                // The cache may now hold part of the batch: forget the slot so it is not reused.
                self.ctx
                    .clear_kv_cache_seq(Some(slot as u32), None, None)
                    .ok();
                self.slots[slot].tokens.clear();
                Err(LlmError::Backend(format!("llama.cpp decode failed: {e}")))
            }
        }
    }

    fn generate(
        &mut self,
        req: &ChatRequest,
        samples: &mut [Sample],
        batch: &mut LlamaBatch,
        prompt_len: usize,
        max_new: usize,
        deltas: Option<&Deltas>,
    ) -> Result<(), LlmError> {
        let vocab = self.model.vocab();
        let stops = &req.sampling.stop;
        let max_stop = stops.iter().map(String::len).max().unwrap_or(0);
        if max_new == 0 {
            for s in samples.iter_mut() {
                s.finish = Some(FinishReason::Length);
            }
            return Ok(());
        }
        loop {
            batch.clear();
            for s in samples.iter_mut().filter(|s| s.finish.is_none()) {
                let logits = self.ctx.get_logits_ith(s.logits_idx);
                let tok = sample_token(logits, s.grammar.as_mut(), &mut s.chain)?;
                if let Some(g) = s.grammar.as_mut() {
                    g.try_accept(tok).map_err(|e| {
                        LlmError::Backend(format!("grammar rejected the sampled token: {e}"))
                    })?;
                }
                if vocab.is_eog(tok) {
                    s.finish = Some(FinishReason::Stop);
                    continue;
                }
                if req.logprobs {
                    s.logprobs
                        .push(token_logprob(self.model, logits, tok, req.top_logprobs));
                }
                s.generated.push(tok);
                let before = s.bytes.len();
                s.bytes.extend(vocab.token_to_piece(tok, false, None));
                if max_stop > 0 {
                    let from = before.saturating_sub(max_stop - 1);
                    let tail = &s.bytes[from..];
                    let hit = stops
                        .iter()
                        .filter_map(|st| find(tail, st.as_bytes()).map(|p| from + p))
                        .min();
                    if let Some(p) = hit {
                        s.bytes.truncate(p);
                        s.finish = Some(FinishReason::Stop);
                        continue;
                    }
                }
                if s.generated.len() >= max_new {
                    s.finish = Some(FinishReason::Length);
                    continue;
                }
                let pos = (prompt_len + s.generated.len() - 1) as i32;
                batch.add(tok, pos, &[s.seq], true).map_err(backend_err)?;
                s.logits_idx = batch.n_tokens() - 1;
                s.decoded = s.generated.len();
            }
            if let Some(tx) = deltas {
                if !stream_pieces(samples, tx, max_stop) {
                    // The client went away: stop generating.
                    for s in samples.iter_mut().filter(|s| s.finish.is_none()) {
                        s.finish = Some(FinishReason::Stop);
                    }
                    return Ok(());
                }
            }
            if batch.n_tokens() == 0 {
                return Ok(());
            }
            let turn = contention::before_decode(self.config.adaptive_threads);
            let decoded = self.ctx.decode(batch);
            drop(turn);
            if let Err(e) = decoded {
                return Err(LlmError::Backend(format!(
                    "llama.cpp decode failed while generating: {e}"
                )));
            }
        }
    }
}

/// Sends each sample's new text: everything once it has finished, else all but the last
/// `max_stop - 1` bytes (which a stop sequence may still claim), cut at a UTF-8 boundary.
/// False when the receiver is gone.
fn stream_pieces(samples: &mut [Sample], tx: &Deltas, max_stop: usize) -> bool {
    for (i, s) in samples.iter_mut().enumerate() {
        let end = if s.finish.is_some() {
            s.bytes.len()
        } else {
            s.bytes.len().saturating_sub(max_stop.saturating_sub(1))
        };
        if end <= s.sent {
            continue;
        }
        let piece = &s.bytes[s.sent..end];
        let text = match std::str::from_utf8(piece) {
            Ok(t) => t.to_string(),
            Err(e) if s.finish.is_none() => {
                String::from_utf8_lossy(&piece[..e.valid_up_to()]).into_owned()
            }
            Err(_) => String::from_utf8_lossy(piece).into_owned(),
        };
        if text.is_empty() {
            continue;
        }
        s.sent += text.len().min(piece.len());
        if tx
            .send(super::Delta {
                index: i as u32,
                text,
            })
            .is_err()
        {
            return false;
        }
    }
    true
}

fn candidates(logits: &[f32]) -> LlamaTokenDataArray {
    LlamaTokenDataArray::from_iter(
        logits.iter().enumerate().map(|(i, &l)| {
            llama_cpp_2::token::data::LlamaTokenData::new(LlamaToken::new(i as i32), l, 0.0)
        }),
        false,
    )
}

/// Samples one token. Under a grammar, first samples freely and keeps the token when the
/// grammar allows it (checking one token is cheap); only otherwise masks the whole vocabulary
/// with the grammar and samples again, which costs a grammar check per token of the vocabulary.
/// The result always satisfies the grammar.
fn sample_token(
    logits: &[f32],
    grammar: Option<&mut LlamaSampler>,
    chain: &mut LlamaSampler,
) -> Result<LlamaToken, LlmError> {
    let none = || LlmError::Backend("the sampler selected no token (grammar dead end?)".into());
    let mut arr = candidates(logits);
    arr.apply_sampler(chain);
    let tok = arr.selected_token().ok_or_else(none)?;
    let Some(g) = grammar else { return Ok(tok) };
    let mut one = LlamaTokenDataArray::new(
        vec![llama_cpp_2::token::data::LlamaTokenData::new(
            tok,
            logits[tok.0 as usize],
            0.0,
        )],
        false,
    );
    one.apply_sampler(g);
    if one.data.first().is_some_and(|d| d.logit().is_finite()) {
        return Ok(tok);
    }
    let mut arr = candidates(logits);
    arr.apply_sampler(g);
    arr.apply_sampler(chain);
    arr.selected_token().ok_or_else(none)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn piece(model: &LlamaModel, tok: LlamaToken) -> String {
    String::from_utf8_lossy(&model.vocab().token_to_piece(tok, true, None)).into_owned()
}

/// Log-probability of `tok` under the raw distribution (softmax of the logits).
fn token_logprob(model: &LlamaModel, logits: &[f32], tok: LlamaToken, top: u32) -> TokenLogprob {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = max + logits.iter().map(|&l| (l - max).exp()).sum::<f32>().ln();
    let lp = |i: usize| logits.get(i).map_or(f32::NEG_INFINITY, |l| l - lse);
    let mut alts = Vec::new();
    if top > 0 {
        let mut idx: Vec<usize> = (0..logits.len()).collect();
        let k = (top as usize).min(idx.len());
        idx.select_nth_unstable_by(k.saturating_sub(1), |&a, &b| {
            logits[b].total_cmp(&logits[a])
        });
        idx.truncate(k);
        idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
        alts = idx
            .into_iter()
            .map(|i| (piece(model, LlamaToken::new(i as i32)), lp(i)))
            .collect();
    }
    TokenLogprob {
        token: piece(model, tok),
        logprob: lp(tok.0 as usize),
        top: alts,
    }
}

fn backend_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Backend(e.to_string())
}
