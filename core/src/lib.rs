//! hone's core: messages, the [`ChatModel`](llm::ChatModel) trait and its backends, the
//! [`Tool`](tool::Tool) seam, and (as they land) agents, strategies and memory.
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
pub mod eval;
pub mod llm;
pub mod reflexion;
pub mod report;
pub mod store;
pub mod strategies;
pub mod tool;
pub mod trajectory;

pub use agent::{ActionMode, ReactAgent, RepeatPolicy};
pub use env::{Environment, Step, TaskSpec};
pub use llm::{ChatModel, ChatRequest, ChatResponse, Message, Role};
pub use reflexion::{ReflectionVariant, Reflexion};
pub use store::Store;
pub use tool::{Tool, ToolOutput, ToolRegistry, TypedTool};
pub use trajectory::{Episode, StopReason};
