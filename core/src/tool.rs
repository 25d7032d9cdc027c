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
        Self {
            content: content.into(),
            is_error: false,
            data: None,
        }
    }
    pub fn error(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: true,
            data: None,
        }
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

/// A tool whose arguments are a Rust type: the JSON schema is derived from it (schemars) and
/// arguments are deserialized before `run` sees them. Every `TypedTool` is a [`Tool`].
#[async_trait]
pub trait TypedTool: Send + Sync + 'static {
    const NAME: &'static str;
    const DESCRIPTION: &'static str;
    type Args: serde::de::DeserializeOwned + schemars::JsonSchema + Send;
    async fn run(&self, args: Self::Args) -> anyhow::Result<ToolOutput>;
}

#[async_trait]
impl<T: TypedTool> Tool for T {
    fn name(&self) -> &str {
        T::NAME
    }
    fn description(&self) -> &str {
        T::DESCRIPTION
    }
    fn parameters(&self) -> Value {
        let mut v = serde_json::to_value(schemars::schema_for!(T::Args)).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("$schema");
            o.remove("title");
        }
        v
    }
    async fn call(&self, args: Value) -> anyhow::Result<ToolOutput> {
        match serde_json::from_value::<T::Args>(args) {
            Ok(a) => self.run(a).await,
            Err(e) => Ok(ToolOutput::error(format!(
                "bad arguments for {}: {e}",
                T::NAME
            ))),
        }
    }
}

/// The tools an agent may call, by name, in registration order.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<std::sync::Arc<dyn Tool>>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.tools.iter().map(|t| t.name()))
            .finish()
    }
}

impl ToolRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool; a second tool with the same name replaces the first.
    pub fn register(&mut self, tool: impl Tool + 'static) -> &mut Self {
        self.register_arc(std::sync::Arc::new(tool))
    }

    pub fn register_arc(&mut self, tool: std::sync::Arc<dyn Tool>) -> &mut Self {
        self.tools.retain(|t| t.name() != tool.name());
        self.tools.push(tool);
        self
    }

    pub fn with(mut self, tool: impl Tool + 'static) -> Self {
        self.register(tool);
        self
    }

    pub fn get(&self, name: &str) -> Option<&std::sync::Arc<dyn Tool>> {
        self.tools.iter().find(|t| t.name() == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.tools.iter().map(|t| t.name()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// One line per tool for a prompt: `name(args schema): description`.
    pub fn describe(&self) -> String {
        self.tools
            .iter()
            .map(|t| {
                format!(
                    "- {}: {} Arguments (JSON schema): {}",
                    t.name(),
                    t.description(),
                    t.parameters()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// JSON schema of one tool call `{"thought": …, "tool": NAME, "args": {…}}` for any
    /// registered tool; the grammar built from it makes every call well-formed.
    pub fn call_schema(&self) -> Value {
        let alts: Vec<Value> = self
            .tools
            .iter()
            .map(|t| {
                serde_json::json!({
                    "type": "object",
                    "properties": {
                        "thought": {"type": "string", "maxLength": 300},
                        "tool": {"const": t.name()},
                        "args": t.parameters(),
                    },
                    "required": ["thought", "tool", "args"],
                })
            })
            .collect();
        serde_json::json!({"anyOf": alts})
    }

    /// Calls `name`; unknown tools, arguments that break the schema and tool errors all come
    /// back as error outputs for the model to read.
    pub async fn call(&self, name: &str, args: Value) -> ToolOutput {
        let Some(tool) = self.get(name) else {
            return ToolOutput::error(format!(
                "unknown tool `{name}`; available: {}",
                self.names().join(", ")
            ));
        };
        if let Err(e) = crate::llm::grammar::validate(&tool.parameters(), &args) {
            return ToolOutput::error(format!("bad arguments for {name}: {e}"));
        }
        match tool.call(args).await {
            Ok(out) => out,
            Err(e) => ToolOutput::error(format!("{name} failed: {e:#}")),
        }
    }
}

/// Arguments of [`Finish`].
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct FinishArgs {
    /// The final answer.
    pub answer: String,
}

/// `finish(answer)`: ends the episode with an answer. The agent loop recognises it by name.
#[derive(Debug, Clone, Copy, Default)]
pub struct Finish;

#[async_trait]
impl TypedTool for Finish {
    const NAME: &'static str = "finish";
    const DESCRIPTION: &'static str = "Give the final answer and stop.";
    type Args = FinishArgs;
    async fn run(&self, args: FinishArgs) -> anyhow::Result<ToolOutput> {
        Ok(ToolOutput::ok(args.answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, schemars::JsonSchema)]
    struct AddArgs {
        a: i64,
        b: i64,
    }
    struct Add;
    #[async_trait]
    impl TypedTool for Add {
        const NAME: &'static str = "add";
        const DESCRIPTION: &'static str = "Adds two integers.";
        type Args = AddArgs;
        async fn run(&self, x: AddArgs) -> anyhow::Result<ToolOutput> {
            Ok(ToolOutput::ok((x.a + x.b).to_string()))
        }
    }

    #[tokio::test]
    async fn typed_tool_schema_and_calls() {
        let reg = ToolRegistry::new().with(Add).with(Finish);
        let schema = reg.get("add").unwrap().parameters();
        assert_eq!(schema["properties"]["a"]["type"], "integer", "{schema}");
        assert_eq!(
            reg.call("add", json!({"a": 2, "b": 3})).await,
            ToolOutput::ok("5")
        );
        let bad = reg.call("add", json!({"a": "two"})).await;
        assert!(
            bad.is_error && bad.content.contains("bad arguments"),
            "{bad:?}"
        );
        let unknown = reg.call("mul", json!({})).await;
        assert!(
            unknown.is_error && unknown.content.contains("add, finish"),
            "{unknown:?}"
        );
        // The call schema turns into a grammar.
        #[cfg(feature = "llama")]
        crate::llm::grammar::json_schema_to_gbnf(&reg.call_schema()).unwrap();
    }
}
