//! `OpenAiCompatible`: a client for `/v1/chat/completions` servers (llama-server, vLLM, Ollama,
//! `hone serve`). Retries 429 and 5xx answers and connection failures with exponential backoff;
//! every other failure is an [`LlmError`] naming the URL and what was wrong.

use super::wire::{WireRequest, WireResponse};
use super::{ms, ChatModel, ChatRequest, ChatResponse, LlmError};
use async_trait::async_trait;
use std::time::{Duration, Instant};

/// Where the server is and how patient to be with it.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Model name sent in requests.
    pub model: String,
    /// Bearer token (`None` sends no Authorization header).
    pub api_key: Option<String>,
    /// Limit for one HTTP request.
    pub timeout: Duration,
    /// Retries after the first attempt for 429, 5xx and connection errors.
    pub max_retries: u32,
    /// First backoff; doubles each retry.
    pub backoff: Duration,
}

impl OpenAiConfig {
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            model: model.into(),
            api_key: std::env::var("OPENAI_API_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            timeout: Duration::from_secs(300),
            max_retries: 3,
            backoff: Duration::from_millis(250),
        }
    }
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    pub fn backoff(mut self, d: Duration) -> Self {
        self.backoff = d;
        self
    }
}

/// A chat model behind an OpenAI-compatible HTTP server.
#[derive(Debug, Clone)]
pub struct OpenAiCompatible {
    config: OpenAiConfig,
    http: reqwest::Client,
}

impl OpenAiCompatible {
    pub fn new(config: OpenAiConfig) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| LlmError::Backend(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { config, http })
    }

    fn url(&self) -> String {
        format!("{}/chat/completions", self.config.base_url)
    }
}

#[async_trait]
impl ChatModel for OpenAiCompatible {
    fn name(&self) -> &str {
        &self.config.model
    }

    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        req.validate()?;
        let t0 = Instant::now();
        let url = self.url();
        let body = WireRequest::from_request(&req, &self.config.model);
        let mut attempt = 0;
        loop {
            let mut rb = self.http.post(&url).json(&body);
            if let Some(k) = &self.config.api_key {
                rb = rb.bearer_auth(k);
            }
            let retryable = match rb.send().await {
                Err(e) => {
                    let err = LlmError::Unreachable {
                        url: url.clone(),
                        reason: describe(&e),
                    };
                    if e.is_timeout() {
                        return Err(err);
                    }
                    err
                }
                Ok(resp) => {
                    let status = resp.status();
                    let text = resp.text().await.map_err(|e| LlmError::BadResponse {
                        url: url.clone(),
                        reason: format!("reading the body failed: {e}"),
                    })?;
                    if status.is_success() {
                        let wire: WireResponse =
                            serde_json::from_str(&text).map_err(|e| LlmError::BadResponse {
                                url: url.clone(),
                                reason: format!("{e}; body: {}", clip(&text)),
                            })?;
                        let mut r =
                            wire.into_response(req.n)
                                .map_err(|reason| LlmError::BadResponse {
                                    url: url.clone(),
                                    reason,
                                })?;
                        r.timings.total_ms = ms(t0.elapsed());
                        return Ok(r);
                    }
                    let err = LlmError::Http {
                        url: url.clone(),
                        status: status.as_u16(),
                        body: clip(&text),
                    };
                    if !(status.as_u16() == 429 || status.is_server_error()) {
                        return Err(err);
                    }
                    err
                }
            };
            if attempt >= self.config.max_retries {
                return Err(retryable);
            }
            let wait = self.config.backoff * 2u32.saturating_pow(attempt);
            tracing::warn!(%url, attempt, ?wait, error = %retryable, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn clip(s: &str) -> String {
    const MAX: usize = 500;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}
