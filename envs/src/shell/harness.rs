//! What `hone eval shell` runs, on the one eval engine: InterCode-Bash's tasks as a
//! [`Harness`] (file-system images built once per run, a fresh copy per episode), the ReAct
//! agent for the shell (one bash command per line, `think: …`, `submit`), and the gold runner
//! (the gold command as the agent: the reference row).

use super::env::{Images, ShellEnv, ShellEnvConfig};
use async_trait::async_trait;
use hone_core::env::{Environment, TaskSpec};
use hone_core::eval::{Harness, TaskContext, TaskRunner};
use hone_core::llm::ChatModel;
use hone_core::trajectory::Episode;
use hone_core::ReactAgent;
use std::sync::Arc;

/// What the shell agent is told.
pub const INSTRUCTIONS: &str = "You are a bash expert working in a Linux shell (as root). Answer the user's request by running commands. Reply with exactly one line: either 'think: ' and a thought, or one bash command (pipes and ';' are fine; keep it on one line), or 'submit' when the last command's output answers the request or the files are as requested. The output of each command comes back to you.";

/// Two worked examples on a made-up tree (not InterCode's tasks).
pub fn examples(think: bool) -> Vec<String> {
    let t = |s: &str| {
        if think {
            format!("> think: {s}\nOK.\n")
        } else {
            String::new()
        }
    };
    vec![
        format!(
            "Count the lines of all \".log\" files under /data.\n{}> find /data -name '*.log' -exec cat {{}} + | wc -l\n42\n> submit\n",
            t("find lists the log files; cat them all and count the lines.")
        ),
        format!(
            "Create the directory /srv/backup and copy /srv/app.conf into it.\n{}> mkdir -p /srv/backup && cp /srv/app.conf /srv/backup/\n> ls /srv/backup\napp.conf\n> submit\n",
            t("mkdir -p makes the folder; then copy the file.")
        ),
    ]
}

/// The ReAct (`think`) or Act agent for shell tasks: at most `max_steps` lines.
pub fn agent(
    model: Arc<dyn ChatModel>,
    think: bool,
    max_steps: usize,
) -> hone_core::agent::ReactAgentBuilder {
    let mut b = ReactAgent::builder_arc(model)
        .system(INSTRUCTIONS)
        .max_steps(max_steps);
    for e in examples(think) {
        b = b.example(e);
    }
    b
}

/// Shell tasks as a [`Harness`].
pub struct ShellHarness {
    tasks: Vec<TaskSpec>,
    images: Arc<Images>,
    config: ShellEnvConfig,
}

impl ShellHarness {
    pub fn new(tasks: Vec<TaskSpec>, config: ShellEnvConfig) -> anyhow::Result<Self> {
        Ok(Self {
            tasks,
            images: Images::new()?,
            config,
        })
    }
}

impl Harness for ShellHarness {
    fn name(&self) -> &str {
        "shell"
    }
    fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }
    fn environment(&self, _task: &TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> {
        Ok(Some(Box::new(ShellEnv::new(
            self.images.clone(),
            self.config.clone(),
        ))))
    }
}

/// Runs each task's gold command as the agent, then `submit` (InterCode's reference row).
pub struct GoldRunner;

#[async_trait]
impl TaskRunner for GoldRunner {
    async fn run_task(
        &self,
        cx: &TaskContext<'_>,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        let gold: super::task::Gold = serde_json::from_value(task.config["gold"].clone())?;
        let actions = vec![gold.command(), "submit".to_string()];
        Ok(vec![
            hone_core::eval::play_actions(cx, task, "gold", actions).await?,
        ])
    }
}
