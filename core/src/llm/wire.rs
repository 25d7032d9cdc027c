//! The OpenAI chat-completions wire format, shared by the client and `hone serve`.
//! Extensions understood: `top_k`, `min_p` (llama-server, vLLM, Ollama), `grammar` (llama-server),
//! `guided_choice` (vLLM), and `usage.prompt_tokens_details.cached_tokens` / llama-server's
//! `timings.prompt_n` for the tokens a server actually evaluated.
//!
//! Function calling (`tools`, `tool_choice`, `parallel_tool_calls`) follows OpenAI's API as the
//! `openai` Python package sends and reads it: the server renders the tools and any earlier calls
//! and results into the prompt (a chat template knows nothing of tools), constrains the reply
//! with a grammar to one JSON envelope, `{"tool_calls": [{"name", "arguments"}…]}` or (for
//! `auto`) `{"content": "…"}`, and answers with `tool_calls` (ids `call_…`, arguments as a JSON
//! string, `finish_reason: "tool_calls"`) or plain content. This is llama-server's generic
//! tool-call format (`common/chat.cpp`), with the envelope keys OpenAI's own messages use.

use super::{
    ChatRequest, ChatResponse, Choice, Constraint, FinishReason, Message, Timings, TokenLogprob,
    Usage,
};
#[cfg(feature = "server")]
use super::{LlmError, Sampling};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message as OpenAI's API carries it: any role (`system`, `developer`, `user`,
/// `assistant`, `tool`, legacy `function`), content as a string, null or an array of text parts,
/// an assistant's `tool_calls`, a tool result's `tool_call_id`. Unknown keys are ignored (the
/// SDK echoes back whatever a response held).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct WireInMessage {
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&Message> for WireInMessage {
    fn from(m: &Message) -> Self {
        WireInMessage {
            role: m.role.as_str().to_string(),
            content: Some(Value::String(m.content.clone())),
            ..Default::default()
        }
    }
}

/// One function call in a message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WireToolCall {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: WireFunctionCall,
}

fn function_type() -> String {
    "function".into()
}

/// A call's function name and its arguments as a JSON string.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WireFunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

/// A tool offered in a request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WireTool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: WireFunction,
}

/// A function's name, description and parameter schema.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WireFunction {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct WireRequest {
    #[serde(default)]
    pub model: String,
    pub messages: Vec<WireInMessage>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<WireTool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
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
            messages: req.messages.iter().map(WireInMessage::from).collect(),
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

    /// Converts to what `hone serve` runs: the [`ChatRequest`] (OpenAI's defaults for what is
    /// missing; tools rendered into the prompt and the envelope grammar set), whether to
    /// stream, and the tool mode to read the replies with.
    #[cfg(feature = "server")]
    pub fn into_server_request(self) -> Result<ServerRequest, LlmError> {
        let bad = |m: &str| LlmError::BadRequest(m.to_string());
        if self.functions.is_some() || self.function_call.is_some() {
            return Err(bad(
                "the legacy `functions`/`function_call` fields are not supported; send `tools` \
                 and `tool_choice`",
            ));
        }
        let stream = self.stream == Some(true);
        let include_usage = stream
            && self
                .stream_options
                .as_ref()
                .and_then(|o| o.get("include_usage"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let tools = tools::ToolMode::from_request(
            self.tools.as_deref().unwrap_or(&[]),
            self.tool_choice.as_ref(),
            self.parallel_tool_calls.unwrap_or(true),
        )?;
        if tools.is_some()
            && (self.grammar.is_some()
                || self.guided_choice.is_some()
                || self.response_format.is_some())
        {
            return Err(bad(
                "give tools, or a grammar / guided_choice / response_format, not both",
            ));
        }
        let mut messages = tools::render_messages(&self.messages)?;
        let mut constraint = None;
        if let Some(t) = &tools {
            t.add_instructions(&mut messages);
            constraint = Some(Constraint::JsonSchema(t.envelope_schema()));
        }
        let req = self.into_request_with(messages, constraint)?;
        Ok(ServerRequest {
            req,
            stream,
            include_usage,
            tools,
        })
    }

    #[cfg(feature = "server")]
    fn into_request_with(
        self,
        messages: Vec<Message>,
        tool_constraint: Option<Constraint>,
    ) -> Result<ChatRequest, LlmError> {
        let bad = |m: &str| LlmError::BadRequest(m.to_string());
        let mut constraint = tool_constraint;
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
            messages,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<WireToolCall>>,
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
                    tool_calls: None,
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
                Some("stop" | "eos" | "tool_calls" | "function_call" | "content_filter") | None => {
                    FinishReason::Stop
                }
                Some(other) => return Err(format!("unknown finish_reason `{other}`")),
            };
            // A reply of tool calls reads as the envelope hone's server writes.
            let text = match (c.message.content, c.message.tool_calls) {
                (Some(t), None) => t,
                (content, Some(calls)) => {
                    let calls: Vec<Value> = calls
                        .into_iter()
                        .map(|c| {
                            let args = serde_json::from_str::<Value>(&c.function.arguments)
                                .unwrap_or(Value::String(c.function.arguments));
                            serde_json::json!({"name": c.function.name, "arguments": args})
                        })
                        .collect();
                    let envelope = serde_json::json!({"tool_calls": calls}).to_string();
                    match content.filter(|t| !t.is_empty()) {
                        Some(t) => format!("{t}\n{envelope}"),
                        None => envelope,
                    }
                }
                (None, None) => String::new(),
            };
            choices.push(Choice {
                text,
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

/// What `hone serve` runs for one request.
#[cfg(feature = "server")]
pub struct ServerRequest {
    pub req: ChatRequest,
    pub stream: bool,
    /// `stream_options.include_usage`: a last chunk with the usage.
    pub include_usage: bool,
    /// Tools offered (and not turned off with `tool_choice: "none"`).
    pub tools: Option<tools::ToolMode>,
}

/// Function calling on a model that only writes text: the prompt, the envelope, the replies.
#[cfg(feature = "server")]
pub mod tools {
    use super::{WireInMessage, WireTool, WireToolCall};
    use crate::llm::{LlmError, Message, Role};
    use serde_json::{json, Value};

    /// Which calls the reply may or must make.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Choice {
        /// A call or a plain answer, as the model likes.
        Auto,
        /// One call or more.
        Required,
        /// A call of this function.
        Named(String),
    }

    /// The tools a request offers and what it asks of them.
    #[derive(Debug, Clone)]
    pub struct ToolMode {
        pub tools: Vec<WireTool>,
        pub choice: Choice,
        /// Several calls in one reply (`parallel_tool_calls`, OpenAI's default: true).
        pub parallel: bool,
    }

    fn bad(m: impl Into<String>) -> LlmError {
        LlmError::BadRequest(m.into())
    }

    impl ToolMode {
        /// `None` when no tools are offered or `tool_choice` is `none`.
        pub fn from_request(
            tools: &[WireTool],
            choice: Option<&Value>,
            parallel: bool,
        ) -> Result<Option<ToolMode>, LlmError> {
            for (i, t) in tools.iter().enumerate() {
                if t.kind != "function" {
                    return Err(bad(format!(
                        "tools[{i}].type is `{}`; only `function` tools are supported",
                        t.kind
                    )));
                }
                if tools[..i]
                    .iter()
                    .any(|u| u.function.name == t.function.name)
                {
                    return Err(bad(format!("two tools are named `{}`", t.function.name)));
                }
            }
            let choice = match choice {
                None => Choice::Auto,
                Some(Value::String(s)) => match s.as_str() {
                    "none" => return Ok(None),
                    "auto" => Choice::Auto,
                    "required" => Choice::Required,
                    other => return Err(bad(format!("unknown tool_choice `{other}`"))),
                },
                Some(v) => {
                    let name = v
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("tool_choice: give \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}"))?;
                    if !tools.iter().any(|t| t.function.name == name) {
                        return Err(bad(format!(
                            "tool_choice names `{name}`, which is not among the tools"
                        )));
                    }
                    Choice::Named(name.to_string())
                }
            };
            if tools.is_empty() {
                return if choice == Choice::Auto {
                    Ok(None)
                } else {
                    Err(bad("tool_choice asks for a call, but no tools were given"))
                };
            }
            Ok(Some(ToolMode {
                tools: tools.to_vec(),
                choice,
                parallel,
            }))
        }

        fn callable(&self) -> Vec<&WireTool> {
            self.tools
                .iter()
                .filter(|t| match &self.choice {
                    Choice::Named(n) => &t.function.name == n,
                    _ => true,
                })
                .collect()
        }

        /// The JSON schema of a reply: the calls (name first, then arguments), or for `auto`
        /// also `{"content": text}`.
        pub fn envelope_schema(&self) -> Value {
            let calls: Vec<Value> = self
                .callable()
                .into_iter()
                .map(|t| {
                    let params = t
                        .function
                        .parameters
                        .clone()
                        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
                    json!({
                        "type": "object",
                        "properties": {
                            "name": {"const": t.function.name},
                            "arguments": params,
                        },
                        "required": ["name", "arguments"],
                    })
                })
                .collect();
            let mut array = json!({"type": "array", "minItems": 1, "items": {"anyOf": calls}});
            if !self.parallel || matches!(self.choice, Choice::Named(_)) {
                array["maxItems"] = json!(1);
            }
            let calls = json!({
                "type": "object",
                "properties": {"tool_calls": array},
                "required": ["tool_calls"],
            });
            match self.choice {
                Choice::Auto => json!({"anyOf": [
                    calls,
                    {"type": "object", "properties": {"content": {"type": "string"}},
                     "required": ["content"]}
                ]}),
                _ => calls,
            }
        }

        /// Tells the model about the tools and the reply's form, in the system message.
        pub fn add_instructions(&self, messages: &mut Vec<Message>) {
            let list: Vec<String> = self
                .callable()
                .iter()
                .map(|t| {
                    json!({
                        "name": t.function.name,
                        "description": t.function.description,
                        "parameters": t.function.parameters,
                    })
                    .to_string()
                })
                .collect();
            let how = match &self.choice {
                Choice::Auto => "Answer with a JSON object: either {\"tool_calls\": [{\"name\": TOOL, \"arguments\": {…}}]} to call tools, or {\"content\": \"your answer\"} to answer directly.",
                Choice::Required => "Answer with a JSON object that calls at least one tool: {\"tool_calls\": [{\"name\": TOOL, \"arguments\": {…}}]}.",
                Choice::Named(_) => "Answer with a JSON object that calls this tool: {\"tool_calls\": [{\"name\": TOOL, \"arguments\": {…}}]}.",
            };
            let text = format!(
                "You can call these tools:\n{}\n{how} A tool's result comes back as \
                 {{\"tool_response\": …}}.",
                list.join("\n")
            );
            match messages.first_mut() {
                Some(m) if m.role == Role::System => {
                    m.content.push_str("\n\n");
                    m.content.push_str(&text);
                }
                _ => messages.insert(0, Message::system(text)),
            }
        }

        /// Reads one reply: the calls it makes, or its plain content (also for a reply the
        /// length limit cut off, which is not valid JSON).
        pub fn read_reply(&self, text: &str) -> (Option<String>, Vec<WireToolCall>) {
            let Ok(v) = serde_json::from_str::<Value>(text.trim()) else {
                return (Some(text.to_string()), Vec::new());
            };
            if let Some(calls) = v.get("tool_calls").and_then(Value::as_array) {
                let calls = calls
                    .iter()
                    .map(|c| WireToolCall {
                        id: call_id(),
                        kind: "function".into(),
                        function: super::WireFunctionCall {
                            name: c
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            arguments: c
                                .get("arguments")
                                .map_or_else(|| "{}".to_string(), Value::to_string),
                        },
                    })
                    .collect();
                return (None, calls);
            }
            match v.get("content").and_then(Value::as_str) {
                Some(c) => (Some(c.to_string()), Vec::new()),
                None => (Some(text.to_string()), Vec::new()),
            }
        }
    }

    /// `call_` and 24 letters and digits, as OpenAI's ids look.
    pub fn call_id() -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let mut x = NEXT.fetch_add(1, Ordering::Relaxed)
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut id = String::from("call_");
        for _ in 0..24 {
            // SplitMix64 steps: cheap, well spread, no dependency.
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            id.push(ALPHABET[(z % ALPHABET.len() as u64) as usize] as char);
        }
        id
    }

    /// A message's text: a string, or the text (and refusal) parts of an array.
    fn text_of(m: &WireInMessage, i: usize) -> Result<String, LlmError> {
        match &m.content {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Array(parts)) => {
                let mut out = Vec::new();
                for p in parts {
                    match p.get("type").and_then(Value::as_str) {
                        Some("text") => out.push(
                            p.get("text")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        ),
                        Some("refusal") => out.push(
                            p.get("refusal")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        ),
                        other => {
                            return Err(bad(format!(
                                "messages[{i}]: unsupported content part type `{}`",
                                other.unwrap_or("?")
                            )))
                        }
                    }
                }
                Ok(out.join("\n"))
            }
            Some(other) => Err(bad(format!(
                "messages[{i}].content must be a string, null or an array of parts, not {other}"
            ))),
        }
    }

    /// OpenAI's messages as the plain system/user/assistant turns a chat template renders:
    /// `developer` is `system`; an assistant's calls become the envelope it would have
    /// written; a tool's result becomes a user turn `{"tool_response": …}`; consecutive turns
    /// of one role are merged.
    pub fn render_messages(messages: &[WireInMessage]) -> Result<Vec<Message>, LlmError> {
        let mut out: Vec<Message> = Vec::new();
        let mut names: Vec<(String, String)> = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let text = text_of(m, i)?;
            let (role, content) = match m.role.as_str() {
                "system" | "developer" => (Role::System, text),
                "user" => (Role::User, text),
                "assistant" => match &m.tool_calls {
                    Some(calls) if !calls.is_empty() => {
                        let calls: Vec<Value> = calls
                            .iter()
                            .map(|c| {
                                names.push((c.id.clone(), c.function.name.clone()));
                                let args = serde_json::from_str::<Value>(&c.function.arguments)
                                    .unwrap_or_else(|_| {
                                        Value::String(c.function.arguments.clone())
                                    });
                                json!({"name": c.function.name, "arguments": args})
                            })
                            .collect();
                        let envelope = json!({"tool_calls": calls}).to_string();
                        let content = if text.is_empty() {
                            envelope
                        } else {
                            format!("{text}\n{envelope}")
                        };
                        (Role::Assistant, content)
                    }
                    _ => (Role::Assistant, text),
                },
                "tool" | "function" => {
                    let id = m.tool_call_id.clone().unwrap_or_default();
                    let name = m
                        .name
                        .clone()
                        .or_else(|| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()));
                    let content = json!({"tool_response": {
                        "tool_call_id": id, "name": name, "content": text
                    }})
                    .to_string();
                    (Role::User, content)
                }
                other => return Err(bad(format!("messages[{i}]: unknown role `{other}`"))),
            };
            match out.last_mut() {
                Some(last) if last.role == role => {
                    last.content.push('\n');
                    last.content.push_str(&content);
                }
                _ => out.push(Message { role, content }),
            }
        }
        if out.is_empty() {
            return Err(bad("messages is empty"));
        }
        Ok(out)
    }
}
