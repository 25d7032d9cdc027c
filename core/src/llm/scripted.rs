//! `Scripted`: a test double that replays canned replies, for unit tests of loop logic only.
//! It never looks at the prompt; it records every request so tests can assert on them.

use super::{ChatModel, ChatRequest, ChatResponse, Choice, FinishReason, LlmError, Timings, Usage};
use async_trait::async_trait;
use std::collections::VecDeque;
use std::sync::Mutex;

/// One scripted answer to a request.
#[derive(Debug, Clone)]
pub enum ScriptedReply {
    /// These choices (cycled to fill `n`).
    Choices(Vec<Choice>),
    /// The backend fails with this message (as a server error would).
    Fail(String),
}

/// Replays replies in order: call `k` gets reply `k`. A reply holds one or more choices; a
/// request for `n` choices gets them cycled. Running out of replies is an error.
#[derive(Debug, Default)]
pub struct Scripted {
    replies: Mutex<VecDeque<ScriptedReply>>,
    seen: Mutex<Vec<ChatRequest>>,
}

impl Scripted {
    /// One single-choice reply per item.
    pub fn new<S: Into<String>>(replies: impl IntoIterator<Item = S>) -> Self {
        Self::with_choices(replies.into_iter().map(|r| vec![Self::choice(r)]))
    }

    /// Replies made of several choices each (for voting and best-of-n logic).
    pub fn with_choices(replies: impl IntoIterator<Item = Vec<Choice>>) -> Self {
        Self::replies(replies.into_iter().map(ScriptedReply::Choices))
    }

    /// Any mix of answers and backend failures.
    pub fn replies(replies: impl IntoIterator<Item = ScriptedReply>) -> Self {
        Self {
            replies: Mutex::new(replies.into_iter().collect()),
            seen: Mutex::default(),
        }
    }

    /// A one-choice answer, for [`Scripted::replies`].
    pub fn says(text: impl Into<String>) -> ScriptedReply {
        ScriptedReply::Choices(vec![Self::choice(text)])
    }

    /// A backend failure, for [`Scripted::replies`].
    pub fn fails(message: impl Into<String>) -> ScriptedReply {
        ScriptedReply::Fail(message.into())
    }

    /// A stop-terminated choice without logprobs.
    pub fn choice(text: impl Into<String>) -> Choice {
        Choice {
            text: text.into(),
            finish_reason: FinishReason::Stop,
            logprobs: None,
        }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<ChatRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Replies not yet used.
    pub fn remaining(&self) -> usize {
        self.replies.lock().map(|r| r.len()).unwrap_or(0)
    }
}

#[async_trait]
impl ChatModel for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        req.validate()?;
        let call = {
            let mut seen = self
                .seen
                .lock()
                .map_err(|_| LlmError::Backend("poisoned".into()))?;
            seen.push(req.clone());
            seen.len()
        };
        let reply = self
            .replies
            .lock()
            .map_err(|_| LlmError::Backend("poisoned".into()))?
            .pop_front()
            .ok_or(LlmError::ScriptExhausted(call))?;
        let reply = match reply {
            ScriptedReply::Choices(c) => c,
            ScriptedReply::Fail(m) => return Err(LlmError::Backend(m)),
        };
        if reply.is_empty() {
            return Err(LlmError::Backend(format!(
                "scripted reply {call} has no choices"
            )));
        }
        let choices: Vec<Choice> = reply.iter().cycle().take(req.n as usize).cloned().collect();
        // Rough counts (words) so budget logic has something to add up.
        let words = |s: &str| s.split_whitespace().count() as u32;
        let prompt_tokens = req.messages.iter().map(|m| words(&m.content)).sum();
        let completion_tokens = choices.iter().map(|c| words(&c.text)).sum();
        Ok(ChatResponse {
            model: "scripted".into(),
            choices,
            usage: Usage {
                prompt_tokens,
                prompt_tokens_evaluated: prompt_tokens,
                completion_tokens,
            },
            timings: Timings::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replays_in_order_then_errors() {
        let m = Scripted::new(["a", "b"]);
        assert_eq!(m.chat(ChatRequest::user("x")).await.unwrap().text(), "a");
        assert_eq!(m.chat(ChatRequest::user("y")).await.unwrap().text(), "b");
        assert!(matches!(
            m.chat(ChatRequest::user("z")).await,
            Err(LlmError::ScriptExhausted(3))
        ));
        assert_eq!(m.requests().len(), 3);
        assert_eq!(m.requests()[1].messages[0].content, "y");
    }

    #[tokio::test]
    async fn scripted_failures_are_backend_errors() {
        let m = Scripted::replies([Scripted::fails("HTTP 500"), Scripted::says("ok")]);
        let e = m.chat(ChatRequest::user("x")).await.unwrap_err();
        assert!(matches!(e, LlmError::Backend(ref s) if s == "HTTP 500"));
        assert_eq!(m.chat(ChatRequest::user("y")).await.unwrap().text(), "ok");
    }

    #[tokio::test]
    async fn cycles_choices_for_n() {
        let m = Scripted::with_choices([vec![Scripted::choice("p"), Scripted::choice("q")]]);
        let r = m.chat(ChatRequest::user("x").n(3)).await.unwrap();
        let texts: Vec<_> = r.choices.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["p", "q", "p"]);
    }
}
