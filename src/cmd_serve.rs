//! `hone serve`: a local GGUF model behind the OpenAI-compatible protocol.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::llm::LlamaCpp;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Conversations whose KV cache is kept for prefix reuse.
    #[arg(long, default_value_t = 4)]
    pub slots: u32,
}

pub async fn run(a: ServeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.model.server.is_none(),
        "hone serve runs a local model: give --model, not --server"
    );
    let cfg = a.model.llama_config()?.n_slots(a.slots);
    let path = cfg.model_path.clone();
    let model = LlamaCpp::load(cfg).with_context(|| format!("loading {}", path.display()))?;
    let listener = tokio::net::TcpListener::bind((a.host.as_str(), a.port))
        .await
        .with_context(|| format!("binding {}:{}", a.host, a.port))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!(
        "hone serve: model {} listening on http://{addr}/v1",
        model.info().name
    );
    tracing::info!(%addr, "serving");
    tokio::select! {
        r = hone_core::llm::serve::serve(listener, Arc::new(model)) => r.context("server failed")?,
        _ = tokio::signal::ctrl_c() => eprintln!("hone serve: stopping"),
    }
    Ok(())
}
