//! [`SandboxRunner`]: core's [`ProgramRunner`] on the wasm sandbox, so strategies that execute
//! model-written programs (ProgCo's verifiers) run them with no ambient capability and hard
//! limits.

use async_trait::async_trait;
use hone_core::strategies::{ProgramOutput, ProgramRunner};
use hone_sandbox::{Language, RunOptions, RunOutcome, RunStatus, Sandbox};
use serde_json::Value;
use std::time::Duration;

/// Runs Python in a [`Sandbox`]: `INPUT` and `result` are the sandbox's own input and result
/// globals. Each run gets a wall-clock timeout (default 5 s) on top of the sandbox's limits.
#[derive(Debug, Clone)]
pub struct SandboxRunner {
    sandbox: Sandbox,
    options: RunOptions,
}

impl SandboxRunner {
    pub fn new(sandbox: Sandbox) -> Self {
        Self {
            sandbox,
            options: RunOptions::new().timeout(Duration::from_secs(5)),
        }
    }

    /// The base options of every run (limits; no host functions or directories by default).
    pub fn with_options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }
}

fn status(out: &RunOutcome) -> String {
    match &out.status {
        RunStatus::Success => "success".into(),
        RunStatus::Failed { exit_code } => format!("exit code {exit_code}"),
        RunStatus::Limit { limit } => format!("{limit} limit"),
        RunStatus::Trap { message } => format!("crash ({message})"),
    }
}

#[async_trait]
impl ProgramRunner for SandboxRunner {
    async fn run_python(&self, source: &str, input: Value) -> anyhow::Result<ProgramOutput> {
        let out = self
            .sandbox
            .run_async(Language::Python, source, self.options.clone().input(input))
            .await?;
        Ok(ProgramOutput {
            ok: out.is_success(),
            status: status(&out),
            stdout: out.stdout.clone(),
            stderr: out.stderr.clone(),
            result: out.result.clone(),
            wall_ms: out.wall.as_secs_f64() * 1000.0,
        })
    }
}
