//! Ask the default model to pick an action, four samples in one batch, with log-probabilities.
//!
//! `cargo run --example constrained_chat` (after `scripts/fetch-assets`).

use hone::core::llm::{ChatModel, ChatRequest, LlamaCpp, LlamaCppConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = hone::core::assets::default_model_path()?;
    let model = LlamaCpp::load(LlamaCppConfig::new(path))?;
    let actions = [
        "go to fridge 1",
        "open cabinet 1",
        "take apple 1 from countertop 1",
    ];
    let reply = model
        .chat(
            ChatRequest::user("You are hungry in a kitchen. What do you do?")
                .choice(actions)
                .n(4)
                .temperature(0.8)
                .logprobs(true),
        )
        .await?;
    for c in &reply.choices {
        println!(
            "{:<32} logprob {:.3}",
            c.text,
            c.total_logprob().unwrap_or(f32::NAN)
        );
    }
    Ok(())
}
