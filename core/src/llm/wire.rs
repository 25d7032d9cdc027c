//! The OpenAI chat-completions wire format, shared by the client and `hone serve`.
//! Extensions understood: `top_k`, `min_p` (llama-server, vLLM, Ollama), `grammar` (llama-server),
//! `guided_choice` (vLLM), and `usage.prompt_tokens_details.cached_tokens` / llama-server's
//! `timings.prompt_n` for the tokens a server actually evaluated.

use super::{
    ChatRequest, ChatResponse, Choice, Constraint, FinishReason, Message, Timings, TokenLogprob,
    Usage,
};
#[cfg(feature = "server")]
use super::{LlmError, Sampling};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct WireRequest {
    #[serde(default)]
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "max_completion_tokens"
    )]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grammar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guided_choice: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl WireRequest {
    pub fn from_request(req: &ChatRequest, model: &str) -> Self {
        let s = &req.sampling;
        let mut w = WireRequest {
            model: model.to_string(),
            messages: req.messages.clone(),
            temperature: Some(s.temperature),
            top_p: Some(s.top_p),
            top_k: (s.top_k > 0).then_some(s.top_k),
            min_p: (s.min_p > 0.0).then_some(s.min_p),
            seed: Some(s.seed),
            max_tokens: Some(s.max_tokens),
            stop: (!s.stop.is_empty()).then(|| Stop::Many(s.stop.clone())),
            n: (req.n != 1).then_some(req.n),
            logprobs: req.logprobs.then_some(true),
            top_logprobs: (req.top_logprobs > 0).then_some(req.top_logprobs),
            ..Default::default()
        };
        match &req.constraint {
            None => {}
            Some(Constraint::Grammar(g)) => w.grammar = Some(g.clone()),
            Some(Constraint::OneOf(opts)) => w.grammar = Some(super::grammar::one_of(opts)),
            Some(Constraint::JsonSchema(schema)) => {
                w.response_format = Some(serde_json::json!({
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": schema, "strict": true}
                }))
            }
        }
        w
    }

    /// Converts to a [`ChatRequest`], applying the OpenAI defaults for what is missing.
    #[cfg(feature = "server")]
    pub fn into_request(self) -> Result<ChatRequest, LlmError> {
        let bad = |m: &str| LlmError::BadRequest(m.to_string());
        if self.stream == Some(true) {
            return Err(bad("streaming is not supported; send stream: false"));
        }
        let mut constraint = None;
        let mut set = |c: Constraint| -> Result<(), LlmError> {
            if constraint.replace(c).is_some() {
                return Err(bad(
                    "give at most one of grammar, guided_choice, response_format",
                ));
            }
            Ok(())
        };
        if let Some(g) = self.grammar {
            set(Constraint::Grammar(g))?;
        }
        if let Some(c) = self.guided_choice {
            set(Constraint::OneOf(c))?;
        }
        if let Some(rf) = self.response_format {
            match rf.get("type").and_then(Value::as_str) {
                Some("text") | None => {}
                Some("json_object") => set(Constraint::JsonSchema(
                    serde_json::json!({"type": "object"}),
                ))?,
                Some("json_schema") => {
                    let schema = rf
                        .pointer("/json_schema/schema")
                        .or_else(|| rf.get("schema"))
                        .cloned()
                        .ok_or_else(|| bad("response_format json_schema has no schema"))?;
                    set(Constraint::JsonSchema(schema))?
                }
                Some(other) => {
                    return Err(LlmError::BadRequest(format!(
                        "unknown response_format type `{other}`"
                    )))
                }
            }
        }
        let d = Sampling::default();
        let req = ChatRequest {
            messages: self.messages,
            sampling: Sampling {
                temperature: self.temperature.unwrap_or(1.0),
                top_p: self.top_p.unwrap_or(1.0),
                top_k: self.top_k.unwrap_or(0),
                min_p: self.min_p.unwrap_or(0.0),
                seed: self.seed.unwrap_or(d.seed),
                max_tokens: self.max_tokens.unwrap_or(1024),
                stop: match self.stop {
                    None => Vec::new(),
                    Some(Stop::One(s)) => vec![s],
                    Some(Stop::Many(v)) => v,
                },
            },
            constraint,
            n: self.n.unwrap_or(1),
            logprobs: self.logprobs.unwrap_or(false) || self.top_logprobs.unwrap_or(0) > 0,
            top_logprobs: self.top_logprobs.unwrap_or(0),
        };
        req.validate()?;
        Ok(req)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub model: String,
    pub choices: Vec<WireChoice>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireChoice {
    #[serde(default)]
    pub index: u32,
    pub message: WireMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub logprobs: Option<WireLogprobs>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireMessage {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireLogprobs {
    #[serde(default)]
    pub content: Option<Vec<WireTokenLogprob>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireTokenLogprob {
    pub token: String,
    pub logprob: f32,
    #[serde(default)]
    pub top_logprobs: Vec<WireTopLogprob>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireTopLogprob {
    pub token: String,
    pub logprob: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct WireUsage {
    #[serde(default)]
    pub prompt_tokens: u32,
    #[serde(default)]
    pub completion_tokens: u32,
    #[serde(default)]
    pub total_tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct PromptTokensDetails {
    #[serde(default)]
    pub cached_tokens: u32,
}

impl WireResponse {
    #[cfg(feature = "server")]
    pub fn from_response(r: &ChatResponse, id: String, created: u64) -> Self {
        let choices = r
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| WireChoice {
                index: i as u32,
                message: WireMessage {
                    role: "assistant".into(),
                    content: Some(c.text.clone()),
                },
                finish_reason: Some(match c.finish_reason {
                    FinishReason::Stop => "stop".into(),
                    FinishReason::Length => "length".into(),
                }),
                logprobs: c.logprobs.as_ref().map(|l| WireLogprobs {
                    content: Some(
                        l.iter()
                            .map(|t| WireTokenLogprob {
                                token: t.token.clone(),
                                logprob: t.logprob,
                                top_logprobs: t
                                    .top
                                    .iter()
                                    .map(|(tok, lp)| WireTopLogprob {
                                        token: tok.clone(),
                                        logprob: *lp,
                                    })
                                    .collect(),
                            })
                            .collect(),
                    ),
                }),
            })
            .collect();
        let u = r.usage;
        WireResponse {
            id,
            object: "chat.completion".into(),
            created,
            model: r.model.clone(),
            choices,
            usage: Some(WireUsage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                total_tokens: u.prompt_tokens + u.completion_tokens,
                prompt_tokens_details: Some(PromptTokensDetails {
                    cached_tokens: u.prompt_tokens - u.prompt_tokens_evaluated,
                }),
            }),
            timings: Some(serde_json::json!({
                "prompt_n": u.prompt_tokens_evaluated,
                "prompt_ms": r.timings.prompt_ms,
                "predicted_ms": r.timings.generation_ms,
            })),
        }
    }

    pub fn into_response(self, n_asked: u32) -> Result<ChatResponse, String> {
        if self.choices.is_empty() {
            return Err("the response has no choices".into());
        }
        if self.choices.len() as u32 != n_asked {
            return Err(format!(
                "asked for {n_asked} choices, got {}",
                self.choices.len()
            ));
        }
        let usage = self.usage.clone().unwrap_or_default();
        let prompt_n = self
            .timings
            .as_ref()
            .and_then(|t| t.get("prompt_n"))
            .and_then(Value::as_u64)
            .map(|n| n as u32);
        let evaluated = match (&usage.prompt_tokens_details, prompt_n) {
            (Some(d), _) => usage.prompt_tokens.saturating_sub(d.cached_tokens),
            (None, Some(n)) => n,
            (None, None) => usage.prompt_tokens,
        };
        let t = |k: &str| {
            self.timings
                .as_ref()
                .and_then(|t| t.get(k))
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        let timings = Timings {
            prompt_ms: t("prompt_ms"),
            generation_ms: t("predicted_ms"),
            total_ms: 0.0,
        };
        let mut choices = Vec::new();
        for c in self.choices {
            let finish_reason = match c.finish_reason.as_deref() {
                Some("length") => FinishReason::Length,
                Some("stop") | Some("eos") | None => FinishReason::Stop,
                Some(other) => return Err(format!("unknown finish_reason `{other}`")),
            };
            choices.push(Choice {
                text: c.message.content.unwrap_or_default(),
                finish_reason,
                logprobs: c.logprobs.and_then(|l| l.content).map(|toks| {
                    toks.into_iter()
                        .map(|t| TokenLogprob {
                            token: t.token,
                            logprob: t.logprob,
                            top: t
                                .top_logprobs
                                .into_iter()
                                .map(|a| (a.token, a.logprob))
                                .collect(),
                        })
                        .collect()
                }),
            });
        }
        Ok(ChatResponse {
            model: self.model,
            choices,
            usage: Usage {
                prompt_tokens: usage.prompt_tokens,
                prompt_tokens_evaluated: evaluated,
                completion_tokens: usage.completion_tokens,
            },
            timings,
        })
    }
}
