//! hone's core: messages, the [`ChatModel`](llm::ChatModel) trait and its backends, the
//! [`Tool`](tool::Tool) and [`Environment`](env::Environment) seams, the ReAct agent,
//! Reflexion, answer-level strategies, the eval engine and its reports.
//!
//! Cargo features (all on by default): `llama` (in-process llama.cpp), `openai` (the
//! OpenAI-compatible client), `server` (`hone serve`'s axum endpoint), `store` (sled: Reflexion's
//! memory and the resumable eval engine). `clap` adds `clap::ValueEnum` to hone's closed sets of
//! names.
//!
//! ```no_run
//! use hone_core::llm::{ChatModel, ChatRequest, LlamaCpp, LlamaCppConfig};
//! # async fn demo() -> anyhow::Result<()> {
//! let model = LlamaCpp::load(LlamaCppConfig::new("assets/SmolLM2-135M-Instruct.Q4_1.gguf"))?;
//! let reply = model
//!     .chat(ChatRequest::user("Pick a colour.").choice(["red", "green", "blue"]))
//!     .await?;
//! println!("{}", reply.text());
//! # Ok(()) }
//! ```

pub mod agent;
pub mod assets;
pub mod env;
#[cfg(feature = "store")]
pub mod eval;
pub mod guard;
pub mod llm;
pub mod models;
pub mod named;
#[cfg(feature = "store")]
pub mod reflexion;
pub mod report;
#[cfg(feature = "store")]
pub mod store;
pub mod strategies;
pub mod tool;
pub mod trajectory;

pub use agent::{ActionMode, ReactAgent, RepeatPolicy};
pub use env::{Environment, Step, TaskSpec};
pub use guard::ThoughtPolicy;
pub use llm::{ChatModel, ChatRequest, ChatResponse, Message, Role};
#[cfg(feature = "store")]
pub use reflexion::{ReflectionVariant, Reflexion};
#[cfg(feature = "store")]
pub use store::Store;
pub use tool::{Tool, ToolOutput, ToolRegistry, TypedTool};
pub use trajectory::{Episode, StopReason};
