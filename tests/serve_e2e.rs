//! `hone serve` with the real default model, driven by the `OpenAiCompatible` client; and the
//! client's handling of protocol errors, against a stub server that misbehaves on purpose.

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use hone_core::llm::{ChatModel, ChatRequest, LlmError, Message, OpenAiCompatible, OpenAiConfig};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hone_serve() -> Server {
    let model = hone_core::assets::default_model_path().expect("default model missing");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hone"))
        .args(["serve", "--port", "0", "--ctx", "4096", "--model"])
        .arg(model)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting hone serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading hone serve's first line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    Server { child, url }
}

fn client(url: &str) -> OpenAiCompatible {
    OpenAiCompatible::new(OpenAiConfig::new(url, "default").max_retries(0)).unwrap()
}

#[tokio::test]
async fn client_against_hone_serve_with_the_real_model() {
    let server = start_hone_serve();
    let m = client(&server.url);

    let options = ["open fridge 1", "go to sinkbasin 1", "look"];
    let r = m
        .chat(
            ChatRequest::user("What next?")
                .choice(options)
                .n(3)
                .temperature(1.0)
                .seed(5)
                .logprobs(true),
        )
        .await
        .unwrap();
    assert_eq!(r.choices.len(), 3);
    for c in &r.choices {
        assert!(options.contains(&c.text.as_str()), "{:?}", c.text);
        assert!(c.logprobs.as_ref().is_some_and(|l| !l.is_empty()));
    }

    let schema = json!({"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]});
    let r = m
        .chat(
            ChatRequest::user("What is 2+2? Answer in JSON.")
                .json_schema(schema)
                .temperature(0.0)
                .max_tokens(40),
        )
        .await
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(r.text()).unwrap_or_else(|e| panic!("{e}: {}", r.text()));
    assert!(v["answer"].is_i64(), "{v}");

    // Prefix reuse is visible through the protocol (usage.prompt_tokens_details.cached_tokens).
    let mut msgs = vec![Message::user("Describe a kitchen in one sentence.")];
    let r1 = m
        .chat(
            ChatRequest::new(msgs.clone())
                .temperature(0.0)
                .max_tokens(12),
        )
        .await
        .unwrap();
    msgs.push(Message::assistant(r1.text()));
    msgs.push(Message::user("And a bathroom?"));
    let r2 = m
        .chat(ChatRequest::new(msgs).temperature(0.0).max_tokens(12))
        .await
        .unwrap();
    assert!(
        r2.usage.prompt_tokens_evaluated <= r2.usage.prompt_tokens - r1.usage.prompt_tokens,
        "{:?}",
        r2.usage
    );

    // Greedy decoding through the server is stable across calls.
    let q = ChatRequest::user("Name an animal.")
        .temperature(0.0)
        .max_tokens(8);
    assert_eq!(
        m.chat(q.clone()).await.unwrap().text(),
        m.chat(q).await.unwrap().text()
    );

    // Errors the server refuses come back as HTTP 400 with the reason.
    let e = m
        .chat(ChatRequest::user("hi").grammar("root ::= ("))
        .await
        .unwrap_err();
    match e {
        LlmError::Http {
            status: 400, body, ..
        } => assert!(body.contains("grammar"), "{body}"),
        other => panic!("expected a 400, got {other}"),
    }

    let models: serde_json::Value = reqwest::get(format!("{}/models", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
    assert!(models["data"][0]["id"]
        .as_str()
        .unwrap()
        .contains("SmolLM2"));

    // A raw request without optional fields gets the OpenAI defaults.
    let raw: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/chat/completions", server.url))
        .json(&json!({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["object"], "chat.completion");
    assert!(raw["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

/// A stub that answers each request with the next canned (status, body).
async fn stub(replies: Vec<(u16, String)>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let replies = Arc::new(replies);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |Json(_): Json<serde_json::Value>| {
            let h = h.clone();
            let replies = replies.clone();
            async move {
                let i = h.fetch_add(1, Ordering::SeqCst).min(replies.len() - 1);
                let (status, body) = replies[i].clone();
                (StatusCode::from_u16(status).unwrap(), body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), hits)
}

fn ok_body(n: usize) -> String {
    let choices: Vec<_> = (0..n)
        .map(|i| json!({"index": i, "message": {"role": "assistant", "content": format!("c{i}")}, "finish_reason": "stop"}))
        .collect();
    json!({"id": "x", "object": "chat.completion", "model": "stub", "choices": choices,
           "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}})
    .to_string()
}

fn patient(url: &str, retries: u32) -> OpenAiCompatible {
    OpenAiCompatible::new(
        OpenAiConfig::new(url, "stub")
            .max_retries(retries)
            .backoff(Duration::from_millis(5))
            .timeout(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn retries_5xx_and_429_then_succeeds() {
    let (url, hits) = stub(vec![
        (503, "busy".into()),
        (429, "slow down".into()),
        (200, ok_body(1)),
    ])
    .await;
    let r = patient(&url, 3).chat(ChatRequest::user("x")).await.unwrap();
    assert_eq!(r.text(), "c0");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert_eq!(r.usage.prompt_tokens_evaluated, 10);
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let (url, hits) = stub(vec![(500, "boom".into())]).await;
    let e = patient(&url, 2)
        .chat(ChatRequest::user("x"))
        .await
        .unwrap_err();
    assert!(matches!(e, LlmError::Http { status: 500, .. }), "{e}");
    assert!(e.to_string().contains("boom"));
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (url, hits) = stub(vec![(400, r#"{"error":{"message":"bad field"}}"#.into())]).await;
    let e = patient(&url, 3)
        .chat(ChatRequest::user("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, LlmError::Http { status: 400, .. }) && e.to_string().contains("bad field"),
        "{e}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn malformed_responses_are_named() {
    let (url, _) = stub(vec![(200, "<html>not json</html>".into())]).await;
    let e = patient(&url, 0)
        .chat(ChatRequest::user("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, LlmError::BadResponse { .. }) && e.to_string().contains("not json"),
        "{e}"
    );

    let (url, _) = stub(vec![(200, ok_body(1))]).await;
    let e = patient(&url, 0)
        .chat(ChatRequest::user("x").n(3))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("asked for 3 choices, got 1"), "{e}");

    let (url, _) = stub(vec![(200, json!({"choices": []}).to_string())]).await;
    let e = patient(&url, 0)
        .chat(ChatRequest::user("x"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no choices"), "{e}");
}

#[tokio::test]
async fn unreachable_server_is_a_clear_error() {
    // Bind then drop a listener so the port is (very likely) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let e = patient(&url, 1)
        .chat(ChatRequest::user("x"))
        .await
        .unwrap_err();
    assert!(matches!(e, LlmError::Unreachable { .. }), "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}

/// The requests the `openai` Python package sends (recorded in tests/fixtures), replayed
/// against `hone serve` with the real default model.
fn recorded(case: &str) -> Vec<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openai-python-requests.json");
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["case"] == case)
        .map(|r| r["body"].clone())
        .collect()
}

async fn send(url: &str, mut body: serde_json::Value) -> (u16, String, String) {
    body["max_tokens"] = json!(48);
    let r = reqwest::Client::new()
        .post(format!("{url}/chat/completions"))
        .header("Accept", "application/json") // what the SDK sends, streaming or not
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (status, ctype, r.text().await.unwrap())
}

fn sse(body: &str) -> Vec<serde_json::Value> {
    let data: Vec<&str> = body
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{body}");
    data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn openai_sdk_requests_stream_and_call_functions_on_the_real_model() {
    let server = start_hone_serve();
    let url = &server.url;

    // A streamed reply, with and without the usage chunk.
    for case in ["stream", "stream_include_usage"] {
        let (status, ctype, body) = send(url, recorded(case).remove(0)).await;
        assert_eq!(status, 200, "{body}");
        assert!(ctype.starts_with("text/event-stream"), "{ctype}");
        let chunks = sse(&body);
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let text: String = chunks
            .iter()
            .filter_map(|c| c["choices"].get(0))
            .filter_map(|c| c["delta"]["content"].as_str())
            .collect();
        assert!(!text.trim().is_empty(), "{body}");
        assert!(chunks.len() > 3, "token by token, not one piece: {body}");
        let with_usage = chunks.iter().filter(|c| c.get("usage").is_some()).count();
        assert_eq!(
            with_usage,
            usize::from(case == "stream_include_usage"),
            "{body}"
        );
    }

    // A forced function call: the arguments are JSON that fits the tool's schema.
    for case in ["tools_required_no_parallel", "tools_named"] {
        let (status, _, body) = send(url, recorded(case).remove(0)).await;
        assert_eq!(status, 200, "{case}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let choice = &v["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls", "{body}");
        let calls = choice["message"]["tool_calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1, "no parallel calls: {body}");
        assert_eq!(calls[0]["function"]["name"], "get_weather");
        let args: serde_json::Value =
            serde_json::from_str(calls[0]["function"]["arguments"].as_str().unwrap()).unwrap();
        assert!(args["city"].is_string(), "{args}");
    }

    // Tools offered, streamed through the SDK's stream helper: a call or an answer, well formed.
    let (status, _, body) = send(url, recorded("tools_stream_helper").remove(0)).await;
    assert_eq!(status, 200, "{body}");
    let chunks = sse(&body);
    let finish = chunks
        .iter()
        .filter_map(|c| c["choices"].get(0))
        .find_map(|c| c["finish_reason"].as_str())
        .unwrap()
        .to_string();
    if finish == "tool_calls" {
        let header = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
            .next()
            .unwrap()
            .clone();
        assert_eq!(header["type"], "function");
        assert_eq!(header["index"], 0);
    }

    // The follow-up with the tool's result, exactly as the SDK sends it back.
    let follow = recorded("follow_up_with_tool_result").remove(1);
    let (status, _, body) = send(url, follow).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["choices"][0]["message"].is_object(), "{body}");
}
