//! End-to-end tests of the llama.cpp backend on the real default model (assets/, fetched by
//! scripts/fetch-assets). A missing model fails these tests with a message saying how to get it.

use hone_core::llm::{
    grammar, ChatModel, ChatRequest, FinishReason, LlamaCpp, LlamaCppConfig, LlmError, Message,
};
use serde_json::json;

fn model_path() -> std::path::PathBuf {
    hone_core::assets::default_model_path().expect("default model missing")
}

fn load() -> LlamaCpp {
    LlamaCpp::load(LlamaCppConfig::new(model_path()).n_ctx(2048))
        .expect("loading the default model")
}

/// A seed that differs between runs ("any seed"), printed so a failure can be replayed.
fn run_seed() -> u64 {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    println!("run seed {s}");
    s
}

#[tokio::test]
async fn one_of_always_yields_a_member() {
    let m = load();
    let options = [
        "go to cabinet 1",
        "go to cabinet 10",
        "take mug 1 from cabinet 1",
        "look",
        "inventory",
    ];
    let seed = run_seed();
    let mut draws = 0;
    for call in 0..25u64 {
        let r = m
            .chat(
                ChatRequest::user("You are in a kitchen. What do you do?")
                    .choice(options)
                    .temperature(1.5)
                    .top_k(0)
                    .top_p(1.0)
                    .min_p(0.0)
                    .seed(seed.wrapping_add(call * 101))
                    .n(4),
            )
            .await
            .unwrap();
        assert_eq!(r.choices.len(), 4);
        for c in &r.choices {
            assert!(
                options.contains(&c.text.as_str()),
                "{:?} is not an option",
                c.text
            );
            assert_eq!(c.finish_reason, FinishReason::Stop);
            draws += 1;
        }
    }
    assert_eq!(draws, 100);
}

#[tokio::test]
async fn json_schema_output_parses_and_validates() {
    let m = load();
    let schema = json!({
        "type": "object",
        "properties": {
            "action": {"enum": ["open", "close", "take", "put"]},
            "target": {"type": "string", "minLength": 1, "maxLength": 20},
            "count": {"type": "integer"},
            "urgent": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 3}
        },
        "required": ["action", "target", "count"],
        "additionalProperties": false
    });
    let seed = run_seed();
    for call in 0..5u64 {
        let r = m
            .chat(
                ChatRequest::user("Give the next household action as JSON.")
                    .json_schema(schema.clone())
                    .temperature(1.0)
                    .seed(seed.wrapping_add(call))
                    .max_tokens(200)
                    .n(4),
            )
            .await
            .unwrap();
        for c in &r.choices {
            let v: serde_json::Value = serde_json::from_str(&c.text).unwrap_or_else(|e| {
                panic!("not JSON ({e}): {:?} finish {:?}", c.text, c.finish_reason)
            });
            grammar::validate(&schema, &v).unwrap_or_else(|e| panic!("{e}: {}", c.text));
        }
    }
}

#[tokio::test]
async fn n_samples_come_with_logprobs() {
    let m = load();
    let r = m
        .chat(
            ChatRequest::user("Name a fruit.")
                .n(4)
                .temperature(1.0)
                .max_tokens(12)
                .top_logprobs(3),
        )
        .await
        .unwrap();
    assert_eq!(r.choices.len(), 4);
    for c in &r.choices {
        let lp = c.logprobs.as_ref().expect("logprobs requested");
        assert!(!lp.is_empty());
        assert!(lp.len() <= 12, "{} tokens for max_tokens 12", lp.len());
        for t in lp {
            assert!(t.logprob.is_finite() && t.logprob <= 0.0, "{t:?}");
            assert_eq!(t.top.len(), 3);
            // The alternatives are sorted and the best is at least as likely as the chosen token.
            assert!(
                t.top[0].1 >= t.top[1].1 && t.top[0].1 >= t.logprob - 1e-4,
                "{t:?}"
            );
        }
        let joined: String = lp.iter().map(|t| t.token.as_str()).collect();
        assert_eq!(joined, c.text);
    }
    assert!(r.usage.completion_tokens >= 4);
}

#[tokio::test]
async fn same_seed_same_text() {
    let req = ChatRequest::user("Tell me about a cat.")
        .temperature(1.0)
        .seed(1234)
        .max_tokens(24);
    let a = load().chat(req.clone()).await.unwrap();
    let b = load().chat(req).await.unwrap();
    assert_eq!(a.text(), b.text());
    assert!(!a.text().is_empty());
}

#[tokio::test]
async fn growing_conversation_evaluates_only_new_tokens() {
    let m = load();
    let mut msgs = vec![
        Message::system("You are a helpful assistant."),
        Message::user("Say hello to the kitchen."),
    ];
    let r1 = m
        .chat(
            ChatRequest::new(msgs.clone())
                .temperature(0.0)
                .max_tokens(16),
        )
        .await
        .unwrap();
    assert_eq!(r1.usage.prompt_tokens_evaluated, r1.usage.prompt_tokens);
    msgs.push(Message::assistant(r1.text()));
    msgs.push(Message::user("Now list three things you see in it."));
    let r2 = m
        .chat(ChatRequest::new(msgs).temperature(0.0).max_tokens(16))
        .await
        .unwrap();
    let growth = r2.usage.prompt_tokens - r1.usage.prompt_tokens;
    println!(
        "turn 1: {} prompt tokens; turn 2: {} prompt tokens, {} evaluated (growth {growth})",
        r1.usage.prompt_tokens, r2.usage.prompt_tokens, r2.usage.prompt_tokens_evaluated
    );
    assert!(
        r2.usage.prompt_tokens_evaluated <= growth,
        "evaluated more than the new tokens"
    );
    assert!(r2.usage.prompt_tokens_evaluated >= 5);
    // count_tokens agrees with the tokenizer the backend uses: more text, more tokens.
    let short = m.count_tokens("kitchen").await.unwrap();
    let long = m
        .count_tokens("kitchen counter, fridge and sink")
        .await
        .unwrap();
    assert!(short >= 1 && long > short, "{short} vs {long}");
}

#[tokio::test]
async fn two_conversations_keep_their_own_slots() {
    let m = load();
    let a = vec![Message::user(
        "Conversation A is about apples and pears in a bowl.",
    )];
    let b = vec![Message::user(
        "Conversation B concerns a bathroom with a towel rack.",
    )];
    let ra = m
        .chat(ChatRequest::new(a.clone()).temperature(0.0).max_tokens(8))
        .await
        .unwrap();
    m.chat(ChatRequest::new(b).temperature(0.0).max_tokens(8))
        .await
        .unwrap();
    let mut a2 = a;
    a2.push(Message::assistant(ra.text()));
    a2.push(Message::user("And then?"));
    let r = m
        .chat(ChatRequest::new(a2).temperature(0.0).max_tokens(8))
        .await
        .unwrap();
    assert!(
        r.usage.prompt_tokens_evaluated < r.usage.prompt_tokens - ra.usage.prompt_tokens + 1,
        "conversation A lost its cache after B ran: {:?}",
        r.usage
    );
}

#[tokio::test]
async fn stop_strings_cut_the_text() {
    let m = load();
    let r = m
        .chat(
            ChatRequest::user("Count from 1 to 20, separated by commas.")
                .temperature(0.0)
                .max_tokens(60)
                .stop("5"),
        )
        .await
        .unwrap();
    assert!(!r.text().contains('5'), "{:?}", r.text());
    assert_eq!(r.choices[0].finish_reason, FinishReason::Stop);
}

#[test]
fn missing_model_is_a_clear_error() {
    let e = LlamaCpp::load(LlamaCppConfig::new("/nonexistent/model.gguf")).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LlmError::ModelLoad { .. }), "{msg}");
    assert!(
        msg.contains("/nonexistent/model.gguf") && msg.contains("fetch-assets"),
        "{msg}"
    );
}

#[test]
fn corrupt_models_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"this is not a model at all").unwrap();
    let e = LlamaCpp::load(LlamaCppConfig::new(&junk)).unwrap_err();
    assert!(e.to_string().contains("not a GGUF"), "{e}");

    // Right magic, garbage after it.
    let mut bytes = b"GGUF".to_vec();
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    let garbage = dir.path().join("garbage.gguf");
    std::fs::write(&garbage, &bytes).unwrap();
    let e = LlamaCpp::load(LlamaCppConfig::new(&garbage)).unwrap_err();
    assert!(matches!(e, LlmError::ModelLoad { .. }), "{e}");

    // A real model cut short.
    let real = std::fs::read(model_path()).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &real[..real.len() / 3]).unwrap();
    let e = LlamaCpp::load(LlamaCppConfig::new(&cut)).unwrap_err();
    assert!(matches!(e, LlmError::ModelLoad { .. }), "{e}");
}

#[tokio::test]
async fn invalid_grammar_is_a_clear_error_and_the_model_still_works() {
    let m = load();
    for g in [
        "root ::= \"unterminated",
        "root ::= undefined-rule",
        "this is not gbnf",
    ] {
        let e = m
            .chat(ChatRequest::user("hi").grammar(g))
            .await
            .unwrap_err();
        assert!(matches!(e, LlmError::Grammar(_)), "{g}: {e}");
    }
    let e = m
        .chat(ChatRequest::user("hi").json_schema(json!({"type": "string", "pattern": "a+"})))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("pattern"), "{e}");
    let r = m
        .chat(ChatRequest::user("hi").choice(["yes", "no"]))
        .await
        .unwrap();
    assert!(["yes", "no"].contains(&r.text()));
}

#[tokio::test]
async fn prompt_longer_than_context_is_a_clear_error() {
    let m = LlamaCpp::load(LlamaCppConfig::new(model_path()).n_ctx(256)).unwrap();
    let long = "kitchen ".repeat(600);
    let e = m.chat(ChatRequest::user(long)).await.unwrap_err();
    match e {
        LlmError::ContextOverflow { tokens, n_ctx } => assert!(tokens > n_ctx && n_ctx == 256),
        other => panic!("expected ContextOverflow, got {other}"),
    }
    // Still usable afterwards.
    let r = m.chat(ChatRequest::user("hi").max_tokens(4)).await.unwrap();
    assert!(r.usage.completion_tokens >= 1);
}

#[tokio::test]
async fn bad_requests_are_refused() {
    let m = load();
    assert!(matches!(
        m.chat(ChatRequest::new(vec![])).await,
        Err(LlmError::BadRequest(_))
    ));
    assert!(matches!(
        m.chat(ChatRequest::user("x").n(0)).await,
        Err(LlmError::BadRequest(_))
    ));
    assert!(matches!(
        m.chat(ChatRequest::user("x").n(99)).await,
        Err(LlmError::BadRequest(_))
    ));
    assert!(matches!(
        m.chat(ChatRequest::user("x").temperature(-1.0)).await,
        Err(LlmError::BadRequest(_))
    ));
    assert!(matches!(
        m.chat(ChatRequest::user("x\0y")).await,
        Err(LlmError::BadRequest(_))
    ));
}
