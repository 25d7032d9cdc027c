//! Code execution tools: run model-written Python or JavaScript in the wasm sandbox and show the
//! model its output, result and, on failure, why it failed.

use async_trait::async_trait;
use hone_core::{Tool, ToolOutput};
use hone_sandbox::{HostFunctions, Language, RunOptions, RunOutcome, RunStatus, Sandbox};
use serde_json::{json, Value};

/// Shared body of the two code tools.
#[derive(Debug, Clone)]
struct CodeTool {
    sandbox: Sandbox,
    language: Language,
    options: RunOptions,
}

impl CodeTool {
    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "code": { "type": "string", "description": "The program to run." },
                "input": { "description": "Optional JSON value, available to the program as INPUT." }
            },
            "required": ["code"]
        })
    }

    async fn call(&self, args: Value) -> anyhow::Result<ToolOutput> {
        let Some(code) = args.get("code").and_then(Value::as_str) else {
            return Ok(ToolOutput::error("missing string argument \"code\""));
        };
        let mut opts = self.options.clone();
        if let Some(input) = args.get("input") {
            opts = opts.input(input.clone());
        }
        let outcome = self.sandbox.run_async(self.language, code, opts).await?;
        Ok(render(&outcome))
    }
}

/// The observation shown to the model: stdout, stderr, result, and how the run ended.
fn render(out: &RunOutcome) -> ToolOutput {
    let mut text = String::new();
    if !out.stdout.is_empty() {
        text.push_str(&out.stdout);
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    if !out.stderr.is_empty() {
        text.push_str("[stderr]\n");
        text.push_str(&out.stderr);
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    if let Some(result) = &out.result {
        text.push_str(&format!("[result] {result}\n"));
    }
    match &out.status {
        RunStatus::Success => {
            if text.is_empty() {
                text.push_str("[no output]\n");
            }
        }
        RunStatus::Failed { exit_code } => text.push_str(&format!("[exit code {exit_code}]\n")),
        RunStatus::Limit { limit } => text.push_str(&format!("[stopped: {limit} limit reached]\n")),
        RunStatus::Trap { message } => text.push_str(&format!("[crashed: {message}]\n")),
    }
    let output = if out.is_success() {
        ToolOutput::ok(text)
    } else {
        ToolOutput::error(text)
    };
    output.with_data(out.summary_json())
}

macro_rules! code_tool {
    ($(#[$doc:meta])* $name:ident, $language:expr, $tool_name:literal, $description:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(CodeTool);

        impl $name {
            /// A tool running programs in `sandbox` with no host functions and no directories.
            pub fn new(sandbox: Sandbox) -> Self {
                Self(CodeTool { sandbox, language: $language, options: RunOptions::new() })
            }

            /// Grants these host functions to every program the tool runs.
            pub fn with_host(mut self, host: HostFunctions) -> Self {
                self.0.options = self.0.options.host(host);
                self
            }

            /// Uses `options` (limits, directories, host functions) as the base of every run;
            /// the model's `input` argument is added on top.
            pub fn with_options(mut self, options: RunOptions) -> Self {
                self.0.options = options;
                self
            }
        }

        #[async_trait]
        impl Tool for $name {
            fn name(&self) -> &str {
                $tool_name
            }

            fn description(&self) -> &str {
                $description
            }

            fn parameters(&self) -> Value {
                self.0.parameters()
            }

            async fn call(&self, args: Value) -> anyhow::Result<ToolOutput> {
                self.0.call(args).await
            }
        }
    };
}

code_tool!(
    /// Runs Python 3.12 (stdlib, no network, no files) and returns its output.
    PythonTool,
    Language::Python,
    "python",
    "Run a Python 3.12 program in a sandbox (standard library only, no network or files) and see its printed output. Set `result` to return a JSON value."
);

code_tool!(
    /// Runs JavaScript (QuickJS, ES2023) and returns its output.
    JavaScriptTool,
    Language::JavaScript,
    "javascript",
    "Run a JavaScript program (QuickJS) in a sandbox (no network or files) and see what it prints with console.log. Set `result` to return a JSON value."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn python_tool_runs_and_reports_failures() {
        let sandbox = hone_sandbox::SandboxConfig::new().build().expect("sandbox");
        let tool = PythonTool::new(sandbox.clone());
        assert_eq!(tool.name(), "python");
        let out = tool
            .call(json!({"code": "print(6*7)\nresult = [1, 2]"}))
            .await
            .unwrap();
        assert!(!out.is_error, "{}", out.content);
        assert!(out.content.contains("42"), "{}", out.content);
        assert!(out.content.contains("[result] [1,2]"), "{}", out.content);

        let out = tool
            .call(json!({"code": "raise ValueError('bad')"}))
            .await
            .unwrap();
        assert!(out.is_error);
        assert!(out.content.contains("ValueError: bad"), "{}", out.content);
        assert!(out.content.contains("[exit code 1]"), "{}", out.content);

        let out = tool.call(json!({"nope": 1})).await.unwrap();
        assert!(out.is_error);

        let js = JavaScriptTool::new(sandbox);
        let out = js
            .call(json!({"code": "console.log(INPUT.a + 1)", "input": {"a": 1}}))
            .await
            .unwrap();
        assert!(!out.is_error, "{}", out.content);
        assert_eq!(out.content.trim(), "2");
    }
}
