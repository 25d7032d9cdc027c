//! hone: build and evaluate tool-using, self-reflecting agents.
//!
//! This facade re-exports the workspace's crates; the `hone` binary is the command line.
//!
//! - [`core`]: messages, the `ChatModel` trait and backends (llama.cpp in-process,
//!   OpenAI-compatible servers, a scripted double), tools;
//! - [`sandbox`]: runs model-written Python and JavaScript in wasmtime;
//! - [`tools`]: tools for agents;
//! - [`envs`]: environments (household, web, shell);
//! - [`skills`]: skill discovery and the skill library.

pub use hone_core as core;
pub use hone_envs as envs;
pub use hone_sandbox as sandbox;
pub use hone_skills as skills;
pub use hone_tools as tools;

pub use hone_core::llm::{ChatModel, ChatRequest, ChatResponse, LlamaCpp, LlamaCppConfig, Message};
