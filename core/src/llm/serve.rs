//! Serves any [`ChatModel`] over the OpenAI-compatible protocol, as a drop-in endpoint for
//! agents written against the OpenAI SDKs: `POST /v1/chat/completions` (n, logprobs,
//! top_logprobs, stop, seed, `grammar`, `guided_choice`, `response_format` json_schema /
//! json_object, `tools` / `tool_choice` / `parallel_tool_calls`, `stream` with
//! `stream_options.include_usage`), `GET /v1/models`, `GET /health`. Errors are OpenAI-style
//! JSON: `{"error": {"message", "type", "param", "code"}}`.
//!
//! Streaming follows OpenAI's and llama-server's server-sent events, in the order the `openai`
//! Python package relies on: one `role` chunk per choice, all before any text; then the text as
//! it is generated (a [`LlamaCpp`](super::LlamaCpp) model streams token by token); then a
//! `finish_reason` chunk per choice; the usage in one last chunk with no choices, if asked for;
//! then `data: [DONE]`. A reply of tool calls is read whole and sent as one delta per call (its
//! `id`, `type` and name once, then its arguments). An error found before streaming starts is an
//! ordinary HTTP error; one after is a `data: {"error": …}` event, without `[DONE]`. A client
//! that goes away stops the generation.

use super::wire::{tools::ToolMode, ServerRequest, WireRequest, WireResponse, WireToolCall};
use super::{ChatModel, ChatResponse, Delta, FinishReason, LlmError};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

struct AppState {
    model: Arc<dyn ChatModel>,
    next_id: AtomicU64,
}

/// The router; mount it on any listener (see [`serve`]).
pub fn router(model: Arc<dyn ChatModel>) -> Router {
    let state = Arc::new(AppState {
        model,
        next_id: AtomicU64::new(1),
    });
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .with_state(state)
}

/// Serves until the listener fails or the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    model: Arc<dyn ChatModel>,
) -> std::io::Result<()> {
    axum::serve(listener, router(model)).await
}

fn error_body(kind: &str, message: String, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

fn error(status: StatusCode, kind: &str, message: String) -> Response {
    (status, Json(error_body(kind, message, None))).into_response()
}

/// How a model error reaches the client.
fn model_error(e: LlmError) -> Response {
    match e {
        // LangChain recognises an overflow by this code and phrase.
        LlmError::ContextOverflow { .. } => (
            StatusCode::BAD_REQUEST,
            Json(error_body(
                "invalid_request_error",
                format!("{e}: this model's maximum context length was exceeded"),
                Some("context_length_exceeded"),
            )),
        )
            .into_response(),
        LlmError::BadRequest(_) | LlmError::Grammar(_) => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            e.to_string(),
        ),
        e => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        ),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn chat(
    State(st): State<Arc<AppState>>,
    body: Result<Json<WireRequest>, JsonRejection>,
) -> Response {
    let Json(wire) = match body {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                e.body_text(),
            )
        }
    };
    let sreq = match wire.into_server_request() {
        Ok(r) => r,
        Err(e) => return model_error(e),
    };
    let id = format!("chatcmpl-{}", st.next_id.fetch_add(1, Ordering::Relaxed));
    if sreq.stream {
        return stream(st.model.clone(), sreq, id).await;
    }
    match st.model.chat(sreq.req).await {
        Ok(r) => {
            let mut wire = WireResponse::from_response(&r, id, now());
            if let Some(tools) = &sreq.tools {
                for (choice, c) in wire.choices.iter_mut().zip(&r.choices) {
                    let (content, calls) = tools.read_reply(&c.text);
                    if !calls.is_empty() {
                        choice.message.content = None;
                        choice.message.tool_calls = Some(calls);
                        if c.finish_reason == FinishReason::Stop {
                            choice.finish_reason = Some("tool_calls".into());
                        }
                    } else {
                        choice.message.content = content;
                    }
                }
            }
            Json(wire).into_response()
        }
        Err(e) => model_error(e),
    }
}

/// One `chat.completion.chunk` event.
struct Chunks {
    id: String,
    created: u64,
    model: String,
}

impl Chunks {
    fn chunk(&self, choices: Value, usage: Option<Value>) -> String {
        let mut c = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "hone",
            "choices": choices,
        });
        if let Some(u) = usage {
            c["usage"] = u;
        }
        c.to_string()
    }
    fn delta(&self, index: u32, delta: Value, finish: Option<&str>) -> String {
        self.chunk(
            json!([{"index": index, "delta": delta, "logprobs": null, "finish_reason": finish}]),
            None,
        )
    }
}

/// The stream of a `stream: true` request. The generation starts first; an error before its
/// first piece of text is an ordinary HTTP error.
async fn stream(model: Arc<dyn ChatModel>, sreq: ServerRequest, id: String) -> Response {
    let ServerRequest {
        req,
        include_usage,
        tools,
        ..
    } = sreq;
    let n = req.n;
    let (dtx, mut drx) = mpsc::unbounded_channel::<Delta>();
    let model_name = model.name().to_string();
    let mut gen = tokio::spawn(async move { model.chat_stream(req, dtx).await });
    let mut first = None;
    let mut done = None;
    tokio::select! {
        d = drx.recv() => first = d,
        r = &mut gen => done = Some(r),
    }
    if first.is_none() && done.is_none() {
        // The pieces' channel closed: the generation has ended; take its result.
        done = Some((&mut gen).await);
    }
    if let Some(r) = &done {
        match r {
            Ok(Err(_)) | Err(_) => {
                return match done {
                    Some(Ok(Err(e))) => model_error(e),
                    _ => error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "server_error",
                        "the generation task failed".into(),
                    ),
                }
            }
            Ok(Ok(_)) => {}
        }
    }
    let chunks = Chunks {
        id,
        created: now(),
        model: model_name,
    };
    let (etx, erx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let send = |s: String| etx.send(s).is_ok();
        // Every choice's role first, in index order (the SDK appends choices as they appear).
        for i in 0..n {
            if !send(chunks.delta(i, json!({"role": "assistant", "content": ""}), None)) {
                return;
            }
        }
        let result = match done {
            Some(Ok(r)) => {
                if tools.is_none() {
                    // Everything was generated before the first piece arrived (a model that
                    // does not stream): send what is queued.
                    while let Ok(d) = drx.try_recv() {
                        if !send(chunks.delta(d.index, json!({"content": d.text}), None)) {
                            return;
                        }
                    }
                }
                r
            }
            _ => {
                let mut pending = first;
                loop {
                    if let Some(d) = pending.take() {
                        if tools.is_none()
                            && !send(chunks.delta(d.index, json!({"content": d.text}), None))
                        {
                            return; // the client went away; dropping drx stops the model
                        }
                    }
                    match drx.recv().await {
                        Some(d) => pending = Some(d),
                        None => break,
                    }
                }
                match gen.await {
                    Ok(r) => r,
                    Err(e) => Err(LlmError::Backend(format!("generation task failed: {e}"))),
                }
            }
        };
        match result {
            Ok(r) => {
                for e in final_events(&chunks, &r, tools.as_ref()) {
                    if !send(e) {
                        return;
                    }
                }
                if include_usage {
                    let u = r.usage;
                    let usage = json!({
                        "prompt_tokens": u.prompt_tokens,
                        "completion_tokens": u.completion_tokens,
                        "total_tokens": u.prompt_tokens + u.completion_tokens,
                        "prompt_tokens_details": {
                            "cached_tokens": u.prompt_tokens - u.prompt_tokens_evaluated
                        },
                    });
                    if !send(chunks.chunk(json!([]), Some(usage))) {
                        return;
                    }
                }
                let _ = send("[DONE]".to_string());
            }
            Err(e) => {
                let _ = send(error_body("server_error", e.to_string(), None).to_string());
            }
        }
    });
    let events = futures_util::stream::unfold(erx, |mut rx| async move {
        rx.recv().await.map(|data| {
            (
                Ok::<_, std::convert::Infallible>(Event::default().data(data)),
                rx,
            )
        })
    });
    let mut resp = Sse::new(events).into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    resp
}

/// The events after the text: for a tool reply its calls (id, type and name in the first delta
/// of each, then the arguments) or its content; then each choice's `finish_reason`.
fn final_events(chunks: &Chunks, r: &ChatResponse, tools: Option<&ToolMode>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in r.choices.iter().enumerate() {
        let i = i as u32;
        let mut finish = match c.finish_reason {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        };
        if let Some(t) = tools {
            let (content, calls): (Option<String>, Vec<WireToolCall>) = t.read_reply(&c.text);
            if calls.is_empty() {
                if let Some(text) = content {
                    out.push(chunks.delta(i, json!({"content": text}), None));
                }
            } else {
                for (k, call) in calls.iter().enumerate() {
                    out.push(chunks.delta(
                        i,
                        json!({"tool_calls": [{"index": k, "id": call.id, "type": "function",
                                "function": {"name": call.function.name, "arguments": ""}}]}),
                        None,
                    ));
                    out.push(chunks.delta(
                        i,
                        json!({"tool_calls": [{"index": k,
                                "function": {"arguments": call.function.arguments}}]}),
                        None,
                    ));
                }
                if finish == "stop" {
                    finish = "tool_calls";
                }
            }
        }
        out.push(chunks.delta(i, json!({}), Some(finish)));
    }
    out
}

async fn models(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": st.model.name(), "object": "model", "owned_by": "hone"}]
    }))
}

#[cfg(all(test, feature = "openai"))]
mod tests {
    use super::*;
    use crate::llm::{Constraint, Scripted};

    /// Serves `model` on a free port; returns its base URL.
    async fn start(model: Arc<dyn ChatModel>) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", l.local_addr().unwrap());
        tokio::spawn(serve(l, model));
        url
    }

    async fn post(url: &str, body: Value) -> (u16, String) {
        let r = reqwest::Client::new()
            .post(format!("{url}/chat/completions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// The `data:` payloads of an SSE body.
    fn events(body: &str) -> Vec<String> {
        body.split("\n\n")
            .filter_map(|e| e.strip_prefix("data: ").map(str::to_string))
            .collect()
    }

    fn tools() -> Value {
        json!([{"type": "function", "function": {"name": "get_weather",
            "description": "Get the weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                           "required": ["city"]}}}])
    }

    #[tokio::test]
    async fn scripted_tool_calls_answer_in_openai_form() {
        let m = Arc::new(Scripted::new([
            r#"{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}"#,
            r#"{"content": "It is sunny in Paris."}"#,
        ]));
        let url = start(m.clone()).await;
        let (status, body) = post(
            &url,
            json!({"model": "m", "messages": [{"role": "user", "content": "Weather in Paris?"}],
                   "tools": tools()}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let msg = &v["choices"][0]["message"];
        assert!(msg["content"].is_null(), "{v}");
        let call = &msg["tool_calls"][0];
        assert!(call["id"].as_str().unwrap().starts_with("call_"));
        assert_eq!(call["id"].as_str().unwrap().len(), 29);
        assert_eq!(call["type"], "function");
        assert_eq!(call["function"]["name"], "get_weather");
        assert_eq!(call["function"]["arguments"], r#"{"city":"Paris"}"#);
        assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
        // The model saw the tools and was held to the envelope.
        let req = &m.requests()[0];
        assert!(req.messages[0].content.contains("get_weather"));
        assert!(matches!(req.constraint, Some(Constraint::JsonSchema(_))));

        // The follow-up, as the SDK sends it: the call echoed back with a null content, the
        // result as a `tool` message.
        let (status, body) = post(
            &url,
            json!({"model": "m", "tools": tools(), "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"content": null, "role": "assistant", "refusal": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["choices"][0]["message"]["content"],
            "It is sunny in Paris."
        );
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        let seen = &m.requests()[1].messages;
        let roles: Vec<&str> = seen.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(
            seen[2].content,
            r#"{"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}}]}"#
        );
        assert!(seen[3].content.contains(r#""tool_response""#));
        assert!(seen[3].content.contains(r#""name":"get_weather""#));
    }

    #[tokio::test]
    async fn scripted_streams_follow_the_openai_event_order() {
        let m = Arc::new(Scripted::with_choices([vec![
            Scripted::choice("Sunny"),
            Scripted::choice("Rainy"),
        ]]));
        let url = start(m).await;
        let (status, body) = post(
            &url,
            json!({"model": "m", "n": 2, "stream": true, "stream_options": {"include_usage": true},
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather?"}]}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let ev = events(&body);
        assert_eq!(ev.last().unwrap(), "[DONE]");
        let chunks: Vec<Value> = ev[..ev.len() - 1]
            .iter()
            .map(|e| serde_json::from_str(e).unwrap())
            .collect();
        assert!(chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk"));
        let ids: std::collections::HashSet<&str> =
            chunks.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 1, "one id for the whole response");
        // The role of every choice first, in order, once.
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[0]["choices"][0]["index"], 0);
        assert_eq!(chunks[1]["choices"][0]["index"], 1);
        let roles = chunks
            .iter()
            .filter(|c| !c["choices"][0]["delta"]["role"].is_null())
            .count();
        assert_eq!(roles, 2);
        // The text of each choice, a finish per choice, the usage alone and last.
        let text = |i: u64| -> String {
            chunks
                .iter()
                .filter(|c| c["choices"][0]["index"] == i)
                .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
                .collect()
        };
        assert_eq!(
            (text(0), text(1)),
            ("Sunny".to_string(), "Rainy".to_string())
        );
        let finishes: Vec<&Value> = chunks
            .iter()
            .filter(|c| !c["choices"].as_array().unwrap().is_empty())
            .map(|c| &c["choices"][0]["finish_reason"])
            .filter(|f| !f.is_null())
            .collect();
        assert_eq!(finishes, [&json!("stop"), &json!("stop")]);
        let last = chunks.last().unwrap();
        assert_eq!(last["choices"], json!([]));
        assert!(last["usage"]["total_tokens"].as_u64().unwrap() > 0);
        assert_eq!(
            chunks.iter().filter(|c| c.get("usage").is_some()).count(),
            1
        );
    }

    #[tokio::test]
    async fn scripted_streamed_tool_calls_name_each_call_once() {
        let m = Arc::new(Scripted::new([
            r#"{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_weather", "arguments": {"city": "Rome"}}]}"#,
        ]));
        let url = start(m).await;
        let (_, body) = post(
            &url,
            json!({"model": "m", "stream": true, "tools": tools(), "tool_choice": "required",
                   "messages": [{"role": "user", "content": "Paris and Rome?"}]}),
        )
        .await;
        let ev = events(&body);
        assert_eq!(ev.last().unwrap(), "[DONE]");
        let deltas: Vec<Value> = ev[..ev.len() - 1]
            .iter()
            .map(|e| serde_json::from_str::<Value>(e).unwrap()["choices"][0].clone())
            .collect();
        let calls: Vec<&Value> = deltas
            .iter()
            .filter_map(|d| d["delta"]["tool_calls"].get(0))
            .collect();
        assert_eq!(calls.len(), 4, "a header and an arguments delta per call");
        assert_eq!(calls[0]["index"], 0);
        assert_eq!(calls[0]["type"], "function");
        assert_eq!(calls[0]["function"]["name"], "get_weather");
        assert!(calls[1].get("id").is_none() && calls[1]["function"].get("name").is_none());
        assert_eq!(calls[1]["function"]["arguments"], r#"{"city":"Paris"}"#);
        assert_eq!(calls[2]["index"], 1);
        assert_ne!(calls[0]["id"], calls[2]["id"]);
        assert_eq!(deltas.last().unwrap()["finish_reason"], "tool_calls");
    }

    #[tokio::test]
    async fn scripted_bad_tool_requests_are_openai_errors() {
        let m = Arc::new(Scripted::new(Vec::<String>::new()));
        let url = start(m).await;
        let (status, body) = post(
            &url,
            json!({"model": "m", "tools": tools(),
                   "tool_choice": {"type": "function", "function": {"name": "nope"}},
                   "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
        assert_eq!(status, 400);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"]["message"].as_str().unwrap().contains("`nope`"));
        assert!(v["error"].get("param").is_some());
        let (status, body) = post(
            &url,
            json!({"model": "m", "functions": [], "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
        assert_eq!(status, 400);
        assert!(body.contains("legacy"), "{body}");
        // A model failure before the stream starts is a plain HTTP error, not a stream.
        let (status, body) = post(
            &url,
            json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("script exhausted"));
    }
}
