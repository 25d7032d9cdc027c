//! A custom agent with one custom tool, on the default model.
//! `cargo run --example custom_agent` (after `scripts/fetch-assets`).

use hone::core::{
    env::TaskSpec, llm::LlamaCpp, llm::LlamaCppConfig, ActionMode, ReactAgent, ToolOutput,
    TypedTool,
};

/// Arguments of the custom tool: the schema the model sees is derived from this type.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Shelf {
    /// Which shelf to look at, 1 to 3.
    number: u32,
}

struct LookAtShelf;

#[async_trait::async_trait]
impl TypedTool for LookAtShelf {
    const NAME: &'static str = "look_at_shelf";
    const DESCRIPTION: &'static str = "Lists what is on a kitchen shelf.";
    type Args = Shelf;
    async fn run(&self, s: Shelf) -> anyhow::Result<ToolOutput> {
        Ok(match s.number {
            1 => ToolOutput::ok("a mug and a plate"),
            2 => ToolOutput::ok("a jar of honey"),
            n => ToolOutput::error(format!("there is no shelf {n}")),
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let model = LlamaCpp::load(LlamaCppConfig::new(
        hone::core::assets::default_model_path()?
    ))?;
    let agent = ReactAgent::builder(model)
        .mode(ActionMode::ToolCall)
        .tool(LookAtShelf)
        .constrain(true) // every reply is a well-formed call of look_at_shelf or finish
        .max_steps(5)
        .on_step(|_, step| println!("{:?}\n  -> {}", step.action, step.observation))
        .build();
    let episode = agent
        .run_task(&TaskSpec::new("honey").goal("Which shelf holds the honey?"))
        .await?;
    println!(
        "answer: {:?} after {} steps",
        episode.answer,
        episode.steps.len()
    );
    Ok(())
}
