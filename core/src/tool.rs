//! The `Tool` seam: something an agent can call by name with JSON arguments.
//!
//! A tool describes itself (name, one-line description, JSON schema of its arguments) so that
//! prompts and grammars can be built from it, and returns a [`ToolOutput`] the agent shows the
//! model as an observation. A failing call is an output with `is_error`, not a crash: the model
//! sees what went wrong and can try again.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a tool call produced, as the agent will show it to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolOutput {
    /// Text for the model (the observation).
    pub content: String,
    /// True when the call failed; `content` then says why.
    #[serde(default)]
    pub is_error: bool,
    /// Structured result for programs (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ToolOutput {
    pub fn ok(content: impl Into<String>) -> Self {
        Self { content: content.into(), is_error: false, data: None }
    }
    pub fn error(content: impl Into<String>) -> Self {
        Self { content: content.into(), is_error: true, data: None }
    }
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// A callable capability offered to an agent.
#[async_trait]
pub trait Tool: Send + Sync {
    /// Identifier the model uses to call the tool (`[a-z_][a-z0-9_]*`).
    fn name(&self) -> &str;
    /// One or two sentences for the prompt.
    fn description(&self) -> &str;
    /// JSON schema (an object schema) of the arguments.
    fn parameters(&self) -> Value;
    /// Runs the tool. Errors the model caused (bad arguments, a failing program) come back as
    /// `ToolOutput::error`; `Err` is for failures of the host itself.
    async fn call(&self, args: Value) -> anyhow::Result<ToolOutput>;
}
