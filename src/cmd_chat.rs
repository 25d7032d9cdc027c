//! `hone chat`: ask a model once and print its choices.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::llm::{ChatRequest, Message};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Constrain the output with a GBNF grammar file (start rule `root`).
    #[arg(long, group = "constraint")]
    pub grammar: Option<PathBuf>,
    /// Constrain the output to JSON valid against this schema file.
    #[arg(long, group = "constraint")]
    pub json_schema: Option<PathBuf>,
    /// Constrain the output to one of these comma-separated strings.
    #[arg(long, group = "constraint", value_delimiter = ',')]
    pub choice: Option<Vec<String>>,
    /// Number of samples.
    #[arg(short, long, default_value_t = 1)]
    pub n: u32,
    #[arg(long, default_value_t = 0.7)]
    pub temperature: f32,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = 256)]
    pub max_tokens: u32,
    /// A system message to put first.
    #[arg(long)]
    pub system: Option<String>,
    /// Print each token's log-probability.
    #[arg(long)]
    pub logprobs: bool,
    /// Print a JSON response instead of text.
    #[arg(long)]
    pub json: bool,
    /// The user message.
    pub prompt: String,
}

pub async fn run(a: ChatArgs) -> anyhow::Result<()> {
    let mut messages = Vec::new();
    if let Some(s) = &a.system {
        messages.push(Message::system(s));
    }
    messages.push(Message::user(&a.prompt));
    let mut req = ChatRequest::new(messages)
        .n(a.n)
        .temperature(a.temperature)
        .seed(a.seed)
        .max_tokens(a.max_tokens)
        .logprobs(a.logprobs);
    if let Some(p) = &a.grammar {
        req = req.grammar(
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        );
    }
    if let Some(p) = &a.json_schema {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let schema =
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))?;
        req = req.json_schema(schema);
    }
    if let Some(c) = &a.choice {
        req = req.choice(c.iter().map(|s| s.trim().to_string()));
    }
    let model = a.model.open()?;
    let r = model.chat(req).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    for (i, c) in r.choices.iter().enumerate() {
        if r.choices.len() > 1 {
            println!("[{i}] {}", c.text);
        } else {
            println!("{}", c.text);
        }
        if let Some(lp) = &c.logprobs {
            for t in lp {
                println!("    {:>9.4}  {:?}", t.logprob, t.token);
            }
            println!("    total logprob {:.4}", c.total_logprob().unwrap_or(0.0));
        }
    }
    let u = r.usage;
    eprintln!(
        "[{}] prompt {} tokens ({} evaluated), {} generated, {:.0} ms",
        r.model,
        u.prompt_tokens,
        u.prompt_tokens_evaluated,
        u.completion_tokens,
        r.timings.total_ms
    );
    Ok(())
}
