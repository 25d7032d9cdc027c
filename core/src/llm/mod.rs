//! Chat models: the [`ChatModel`] seam, its request/response types, and three backends.
//!
//! - [`LlamaCpp`]: a GGUF model loaded in-process through llama.cpp, with grammar constraints,
//!   `n` samples decoded together in one batch, per-token logprobs, and KV-cache prefix reuse
//!   across calls (see `usage.prompt_tokens_evaluated`).
//! - [`OpenAiCompatible`]: any server speaking `/v1/chat/completions` (llama-server, vLLM, Ollama,
//!   `hone serve`).
//! - [`Scripted`]: replays canned replies; a test double for loop logic only.
//!
//! [`serve`] exposes any `ChatModel` over the OpenAI-compatible protocol.

pub mod grammar;
#[cfg(feature = "llama")]
mod llama;
#[cfg(feature = "openai")]
mod openai;
mod scripted;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(any(feature = "server", feature = "openai"))]
pub(crate) mod wire;

#[cfg(feature = "llama")]
pub use llama::{contention, LlamaCpp, LlamaCppConfig, ModelInfo};
#[cfg(feature = "openai")]
pub use openai::{OpenAiCompatible, OpenAiConfig};
pub use scripted::{Scripted, ScriptedReply};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// Restricts what the model may output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Constraint {
    /// A GBNF grammar (llama.cpp syntax) whose start rule is `root`.
    Grammar(String),
    /// A JSON schema; the output is a JSON document that validates against it.
    JsonSchema(serde_json::Value),
    /// Exactly one of these strings.
    OneOf(Vec<String>),
}

/// Sampling settings. `temperature == 0` means greedy decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: f32,
    pub top_p: f32,
    /// 0 disables top-k.
    pub top_k: u32,
    /// 0 disables min-p.
    pub min_p: f32,
    /// Seed of the random sampler; sample `i` of a batch uses `seed + i`.
    pub seed: u64,
    pub max_tokens: u32,
    /// Generation stops before the first occurrence of any of these; it is not part of the text.
    pub stop: Vec<String>,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            temperature: 0.7,
            top_p: 0.95,
            top_k: 40,
            min_p: 0.05,
            seed: 0,
            max_tokens: 256,
            stop: Vec::new(),
        }
    }
}

/// A request to a [`ChatModel`]. Built with [`ChatRequest::new`] and the chained setters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub sampling: Sampling,
    pub constraint: Option<Constraint>,
    /// Number of independent samples of the same prompt.
    pub n: u32,
    /// Return the log-probability of every chosen token.
    pub logprobs: bool,
    /// Also return this many most likely alternatives per position (0–20).
    pub top_logprobs: u32,
}

impl ChatRequest {
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            sampling: Sampling::default(),
            constraint: None,
            n: 1,
            logprobs: false,
            top_logprobs: 0,
        }
    }
    /// A request holding one user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(vec![Message::user(content)])
    }
    pub fn temperature(mut self, t: f32) -> Self {
        self.sampling.temperature = t;
        self
    }
    pub fn top_p(mut self, p: f32) -> Self {
        self.sampling.top_p = p;
        self
    }
    pub fn top_k(mut self, k: u32) -> Self {
        self.sampling.top_k = k;
        self
    }
    pub fn min_p(mut self, p: f32) -> Self {
        self.sampling.min_p = p;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.sampling.seed = seed;
        self
    }
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.sampling.max_tokens = n;
        self
    }
    pub fn stop(mut self, s: impl Into<String>) -> Self {
        self.sampling.stop.push(s.into());
        self
    }
    pub fn n(mut self, n: u32) -> Self {
        self.n = n;
        self
    }
    pub fn logprobs(mut self, on: bool) -> Self {
        self.logprobs = on;
        self
    }
    pub fn top_logprobs(mut self, k: u32) -> Self {
        self.top_logprobs = k;
        self.logprobs |= k > 0;
        self
    }
    pub fn grammar(mut self, gbnf: impl Into<String>) -> Self {
        self.constraint = Some(Constraint::Grammar(gbnf.into()));
        self
    }
    pub fn json_schema(mut self, schema: serde_json::Value) -> Self {
        self.constraint = Some(Constraint::JsonSchema(schema));
        self
    }
    pub fn choice<S: Into<String>>(mut self, options: impl IntoIterator<Item = S>) -> Self {
        self.constraint = Some(Constraint::OneOf(
            options.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// Checks what every backend needs; returns a [`LlmError::BadRequest`] naming the problem.
    pub fn validate(&self) -> Result<(), LlmError> {
        let bad = |m: String| Err(LlmError::BadRequest(m));
        if self.messages.is_empty() {
            return bad("the request has no messages".into());
        }
        if self.n == 0 {
            return bad("n must be at least 1".into());
        }
        if self.top_logprobs > 20 {
            return bad(format!("top_logprobs is {}, at most 20", self.top_logprobs));
        }
        let s = &self.sampling;
        if !(s.temperature >= 0.0 && s.temperature.is_finite()) {
            return bad(format!(
                "temperature {} is not a finite value >= 0",
                s.temperature
            ));
        }
        if !(s.top_p > 0.0 && s.top_p <= 1.0) {
            return bad(format!("top_p {} is not in (0, 1]", s.top_p));
        }
        if !(0.0..=1.0).contains(&s.min_p) {
            return bad(format!("min_p {} is not in [0, 1]", s.min_p));
        }
        if s.max_tokens == 0 {
            return bad("max_tokens must be at least 1".into());
        }
        if s.stop.iter().any(String::is_empty) {
            return bad("a stop string is empty".into());
        }
        if let Some(Constraint::OneOf(opts)) = &self.constraint {
            if opts.is_empty() {
                return bad("the one-of constraint lists no options".into());
            }
        }
        Ok(())
    }
}

/// Why a choice stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// End of generation token, a stop string, or the constraint was complete.
    Stop,
    /// `max_tokens` or the context window was reached.
    Length,
}

/// A token's log-probability under the model (before temperature and truncation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenLogprob {
    pub token: String,
    pub logprob: f32,
    /// The most likely alternatives at this position, when requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<(String, f32)>,
}

/// One sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    pub finish_reason: FinishReason,
    /// Per-token log-probabilities when the request asked for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Vec<TokenLogprob>>,
}

impl Choice {
    /// Sum of the chosen tokens' log-probabilities (None without logprobs).
    pub fn total_logprob(&self) -> Option<f32> {
        self.logprobs
            .as_ref()
            .map(|l| l.iter().map(|t| t.logprob).sum())
    }
    /// Mean log-probability per token (None without logprobs or tokens).
    pub fn mean_logprob(&self) -> Option<f32> {
        let l = self.logprobs.as_ref()?;
        (!l.is_empty()).then(|| l.iter().map(|t| t.logprob).sum::<f32>() / l.len() as f32)
    }
}

/// Token accounting. `prompt_tokens_evaluated < prompt_tokens` when a cached prefix was reused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub prompt_tokens_evaluated: u32,
    pub completion_tokens: u32,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Self) {
        self.prompt_tokens += o.prompt_tokens;
        self.prompt_tokens_evaluated += o.prompt_tokens_evaluated;
        self.completion_tokens += o.completion_tokens;
    }
}

/// Where the time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub prompt_ms: f64,
    pub generation_ms: f64,
    pub total_ms: f64,
}

/// The model's answer: `n` choices plus accounting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
    pub timings: Timings,
}

impl ChatResponse {
    /// Text of the first choice ("" when there is none).
    pub fn text(&self) -> &str {
        self.choices.first().map(|c| c.text.as_str()).unwrap_or("")
    }
}

/// Everything that can go wrong talking to a model. Each variant names the problem.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("model file {path}: {reason}")]
    ModelLoad { path: String, reason: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid grammar: {0}")]
    Grammar(String),
    #[error("prompt is {tokens} tokens, the context window is {n_ctx}")]
    ContextOverflow { tokens: usize, n_ctx: usize },
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("server at {url} answered {status}: {body}")]
    Http {
        url: String,
        status: u16,
        body: String,
    },
    #[error("unexpected response from {url}: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("model backend failed: {0}")]
    Backend(String),
    #[error("script exhausted: the scripted model has no reply left for call {0}")]
    ScriptExhausted(usize),
}

/// Text appended to choice `index` of a reply being generated ([`ChatModel::chat_stream`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub index: u32,
    pub text: String,
}

/// A chat model. Implementations must be cheap to share (`Arc<dyn ChatModel>`).
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// Name reported in responses (for logs and reports).
    fn name(&self) -> &str;
    /// Generates `req.n` choices for the conversation.
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError>;
    /// As [`ChatModel::chat`], also sending each piece of text to `deltas` as it is generated
    /// (never text that a stop sequence later removes). The default sends each whole choice at
    /// the end; [`LlamaCpp`] streams token by token, and stops generating when `deltas` is
    /// closed (the client went away).
    async fn chat_stream(
        &self,
        req: ChatRequest,
        deltas: tokio::sync::mpsc::UnboundedSender<Delta>,
    ) -> Result<ChatResponse, LlmError> {
        let r = self.chat(req).await?;
        for (i, c) in r.choices.iter().enumerate() {
            let _ = deltas.send(Delta {
                index: i as u32,
                text: c.text.clone(),
            });
        }
        Ok(r)
    }
}

#[async_trait]
impl<T: ChatModel + ?Sized> ChatModel for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        (**self).chat(req).await
    }
    async fn chat_stream(
        &self,
        req: ChatRequest,
        deltas: tokio::sync::mpsc::UnboundedSender<Delta>,
    ) -> Result<ChatResponse, LlmError> {
        (**self).chat_stream(req, deltas).await
    }
}

#[cfg(any(feature = "llama", feature = "openai"))]
pub(crate) fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
