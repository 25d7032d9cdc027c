//! `MemoModel`: a [`ChatModel`] wrapper that answers a request it has seen before from memory.
//!
//! The eval runs every strategy on the same task one after the other, and strategies built on
//! the shared request helpers ask identical questions (the greedy first answer of every
//! correction strategy, the batched samples of the self-consistency family). With the memo each
//! distinct request reaches the model once per task, the strategies compare on the very same
//! answers and samples, and each strategy is still charged the response's full usage and backend
//! time (the memo returns the original response, timings included). Requests are keyed by their
//! whole serialised form (messages, sampling, seed, `n`, logprobs, constraint).

use crate::llm::{ChatModel, ChatRequest, ChatResponse, LlmError};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Remembers responses by request.
pub struct MemoModel {
    inner: Arc<dyn ChatModel>,
    seen: Mutex<HashMap<String, ChatResponse>>,
    hits: Mutex<u64>,
}

impl MemoModel {
    pub fn new(inner: Arc<dyn ChatModel>) -> Self {
        Self {
            inner,
            seen: Mutex::default(),
            hits: Mutex::new(0),
        }
    }
    /// Requests answered from memory so far.
    pub fn hits(&self) -> u64 {
        self.hits.lock().map(|h| *h).unwrap_or(0)
    }
    /// Forgets every response (the eval clears it between tasks).
    pub fn clear(&self) {
        if let Ok(mut s) = self.seen.lock() {
            s.clear();
        }
    }
}

#[async_trait]
impl ChatModel for MemoModel {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        let key = serde_json::to_string(&req).map_err(|e| LlmError::BadRequest(e.to_string()))?;
        if let Some(r) = self.seen.lock().ok().and_then(|s| s.get(&key).cloned()) {
            if let Ok(mut h) = self.hits.lock() {
                *h += 1;
            }
            return Ok(r);
        }
        let r = self.inner.chat(req).await?;
        if let Ok(mut s) = self.seen.lock() {
            s.insert(key, r.clone());
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;

    #[tokio::test]
    async fn scripted_repeats_are_served_from_memory() {
        let inner = Arc::new(Scripted::new(["a", "b"]));
        let m = MemoModel::new(inner.clone());
        let q = ChatRequest::user("x").temperature(0.0);
        assert_eq!(m.chat(q.clone()).await.unwrap().text(), "a");
        assert_eq!(m.chat(q.clone()).await.unwrap().text(), "a");
        assert_eq!(
            m.chat(q.clone().n(2)).await.unwrap().text(),
            "b",
            "n differs"
        );
        assert_eq!(m.hits(), 1);
        assert_eq!(inner.requests().len(), 2);
        m.clear();
        assert!(
            m.chat(q).await.is_err(),
            "forgotten: the script is exhausted"
        );
    }
}
