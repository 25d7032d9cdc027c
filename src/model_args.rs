//! Command-line options that choose and open a chat model, shared by every command.

use anyhow::Context;
use hone_core::llm::{ChatModel, LlamaCpp, LlamaCppConfig, OpenAiCompatible, OpenAiConfig};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// A catalogued model (`hone models list`; fetched on first use) or a GGUF file (default:
    /// $HONE_MODEL, else the embedded default model in assets/).
    #[arg(long, env = "HONE_MODEL")]
    pub model: Option<String>,
    /// Use an OpenAI-compatible server instead, e.g. http://127.0.0.1:8080/v1.
    #[arg(long, env = "HONE_SERVER", conflicts_with = "model")]
    pub server: Option<String>,
    /// Model name to send to the server.
    #[arg(long, default_value = "default")]
    pub server_model: String,
    /// Context window in tokens (0 = the model's, at most 8192).
    #[arg(long, default_value_t = 0)]
    pub ctx: u32,
    /// Layers to offload to the GPU (default: all in a GPU build, none otherwise).
    #[arg(long)]
    pub gpu_layers: Option<u32>,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub threads: Option<u32>,
    /// Evaluate every prompt from scratch instead of reusing cached prefixes: slower, but the
    /// same request always gives bit-identical logits (reused prefixes can differ in float
    /// rounding, enough to flip a greedy choice now and then).
    #[arg(long)]
    pub no_prefix_reuse: bool,
}

impl ModelArgs {
    /// The model file: a catalogue name is fetched (with a progress bar) when absent.
    pub fn model_path(&self) -> anyhow::Result<PathBuf> {
        match &self.model {
            Some(m) => crate::cmd_models::resolve(m),
            None => hone_core::assets::default_model_path(),
        }
    }

    pub fn llama_config(&self) -> anyhow::Result<LlamaCppConfig> {
        let mut c = LlamaCppConfig::new(self.model_path()?).n_ctx(self.ctx);
        c.n_gpu_layers = self.gpu_layers;
        c.n_threads = self.threads;
        c.prefix_reuse = !self.no_prefix_reuse;
        Ok(c)
    }

    /// How a run manifest names the model: the file's name, size and sha256 prefix, or the
    /// server's URL and model name.
    pub fn identity(&self) -> anyhow::Result<String> {
        match &self.server {
            Some(url) => Ok(format!("server {url}, model {}", self.server_model)),
            None => hone_core::assets::file_identity(&self.model_path()?),
        }
    }

    pub fn open(&self) -> anyhow::Result<Arc<dyn ChatModel>> {
        self.open_with_slots(0)
    }

    /// Opens the model; a local one keeps at least `slots` conversations' KV prefixes (for
    /// concurrent episodes).
    pub fn open_with_slots(&self, slots: u32) -> anyhow::Result<Arc<dyn ChatModel>> {
        if let Some(url) = &self.server {
            let m = OpenAiCompatible::new(OpenAiConfig::new(url, &self.server_model))?;
            return Ok(Arc::new(m));
        }
        let mut cfg = self.llama_config()?;
        cfg.n_slots = cfg.n_slots.max(slots);
        let path = cfg.model_path.clone();
        let m = LlamaCpp::load(cfg).with_context(|| format!("loading {}", path.display()))?;
        Ok(Arc::new(m))
    }
}
