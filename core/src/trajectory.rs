//! Trajectories: every step of an episode as plain serde data, written as JSONL (one episode a
//! line) and printable as a readable transcript.

use crate::env::TaskSpec;
use crate::llm::Usage;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// What the model's output was read as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Action {
    /// A `think: …` line (text mode).
    Think(String),
    /// An environment action (text mode).
    Act(String),
    /// A tool call (tool-call mode).
    Tool {
        thought: String,
        name: String,
        args: Value,
    },
    /// A code action (code-action mode): a thought and a Python block run in the episode's
    /// sandbox session; `calls` are the host and skill calls it made, in order.
    Code {
        thought: String,
        code: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        calls: Vec<CodeCall>,
    },
    /// Unparseable output; `error` is what the model was told.
    Invalid { error: String },
    /// One event of an answer-level strategy (a sample, a feedback, a verifier run…); the
    /// step's `raw` holds its text.
    Trace {
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answer: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
    },
}

/// One call made by a code action: an environment host call (`env.step`) or a skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeCall {
    /// `env.step`, `page.click`, … or `skill:NAME`.
    pub name: String,
    /// The arguments, as JSON (host calls) or Python's repr (skills).
    pub args: String,
    /// What it returned (shortened), or the error it raised.
    pub result: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub error: bool,
    /// Nesting: 0 for a call made by the action's own code, 1 inside a skill, …
    #[serde(default, skip_serializing_if = "is_zero")]
    pub depth: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl CodeCall {
    /// One line: `name(args) → result`, indented by depth.
    pub fn line(&self) -> String {
        format!(
            "{}{}({}) {} {}",
            "  ".repeat(self.depth as usize),
            self.name,
            self.args,
            if self.error { "raised" } else { "→" },
            self.result.replace('\n', " / ")
        )
    }
}

/// One think/act/observe step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub index: usize,
    /// The model's raw completion.
    pub raw: String,
    pub action: Action,
    pub observation: String,
    pub reward: f64,
    pub done: bool,
    pub won: bool,
    /// This step's model usage: prompt tokens total vs evaluated (the prefix cache at work).
    pub usage: Usage,
    pub latency_ms: f64,
}

/// Why an episode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The environment said done, or the agent called finish.
    Done,
    #[default]
    MaxSteps,
    /// The same action too many times in a row.
    Repeated,
    /// A stretch of steps repeated with nothing changing (see `guard`).
    Cycle,
    /// The token or time budget ran out.
    Budget,
    /// The model backend failed (a server error after retries, a crashed worker); the
    /// message is in [`Episode::error`]. A rerun of the eval retries the episode.
    ModelError,
    /// The prompt outgrew the model's context window.
    ContextOverflow,
    /// The environment itself failed (not the agent); retried like a model error.
    EnvError,
}

impl StopReason {
    /// Episodes that ended on a failure of the machinery rather than of the agent: counted
    /// apart in reports and retried when an eval is rerun.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Self::ModelError | Self::ContextOverflow | Self::EnvError
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::MaxSteps => "max_steps",
            Self::Repeated => "repeated",
            Self::Cycle => "cycle",
            Self::Budget => "budget",
            Self::ModelError => "model_error",
            Self::ContextOverflow => "context_overflow",
            Self::EnvError => "env_error",
        }
    }
}

/// A whole episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub task: TaskSpec,
    pub model: String,
    /// Which of several policies run on the same tasks produced it (a strategy of a reasoning
    /// eval); empty when a run has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arm: String,
    /// Reflexion trial number (0 for a single run).
    #[serde(default)]
    pub trial: u32,
    pub steps: Vec<StepRecord>,
    pub won: bool,
    pub reward: f64,
    pub stop: StopReason,
    /// The answer given to `finish`, in tool-call mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub usage: Usage,
    pub wall_ms: f64,
    /// What went wrong when `stop` is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The lesson written after this (failed) trial, shown to the next one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflection: Option<String>,
    /// Correction strategies: whether the answer before correction was already right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_won: Option<bool>,
    /// Counters a policy reports besides tokens (model calls, samples, programs run, …);
    /// reports sum them per arm.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

impl Episode {
    pub fn new(task: TaskSpec, model: &str) -> Self {
        Self {
            task,
            model: model.to_string(),
            trial: 0,
            steps: Vec::new(),
            won: false,
            reward: 0.0,
            stop: StopReason::MaxSteps,
            answer: None,
            usage: Usage::default(),
            wall_ms: 0.0,
            arm: String::new(),
            error: None,
            reflection: None,
            initial_won: None,
            metrics: BTreeMap::new(),
        }
    }

    /// Ended on a failure of the model backend or the environment (see [`StopReason::is_error`]).
    pub fn is_error(&self) -> bool {
        self.stop.is_error()
    }

    /// The episode as the model saw it, for reflection prompts: `> action` then observation.
    pub fn history(&self) -> String {
        let mut s = String::new();
        for st in &self.steps {
            s.push_str("> ");
            s.push_str(st.raw.trim());
            s.push('\n');
            s.push_str(st.observation.trim());
            s.push('\n');
        }
        s
    }

    /// A readable transcript with per-step token accounting.
    pub fn transcript(&self) -> String {
        let arm = if self.arm.is_empty() {
            String::new()
        } else {
            format!(" [{}]", self.arm)
        };
        let mut s = format!(
            "== task {} ({}){arm} trial {} — model {}\n",
            self.task.id, self.task.family, self.trial, self.model
        );
        if !self.task.goal.is_empty() {
            s.push_str(&format!("goal: {}\n", self.task.goal));
        }
        for st in &self.steps {
            let what = match &st.action {
                Action::Think(t) => format!("think: {t}"),
                Action::Act(a) => format!("act: {a}"),
                Action::Tool {
                    name,
                    args,
                    thought,
                } => format!("tool: {name} {args}  ({thought})"),
                Action::Code {
                    thought,
                    code,
                    calls,
                } => {
                    let mut t = format!("code: {thought}\n       ");
                    t.push_str(&code.trim_end().replace('\n', "\n       "));
                    for c in calls {
                        t.push_str("\n     · ");
                        t.push_str(&c.line());
                    }
                    t
                }
                Action::Invalid { .. } => format!("invalid: {:?}", st.raw),
                Action::Trace {
                    kind,
                    answer,
                    score,
                } => {
                    let mut t = format!("{kind}: {}", st.raw.trim());
                    if let Some(a) = answer {
                        t.push_str(&format!("  [answer {a}]"));
                    }
                    if let Some(x) = score {
                        t.push_str(&format!("  [score {x:.3}]"));
                    }
                    t
                }
            };
            s.push_str(&format!(
                "[{:>2}] {what}\n     → {}\n     (prompt {} tokens, {} evaluated, {} generated, {:.0} ms)\n",
                st.index,
                st.observation.replace('\n', "\n       "),
                st.usage.prompt_tokens,
                st.usage.prompt_tokens_evaluated,
                st.usage.completion_tokens,
                st.latency_ms
            ));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!("error: {e}\n"));
        }
        if let Some(r) = &self.reflection {
            s.push_str(&format!("reflection: {}\n", r.replace('\n', "\n  ")));
        }
        s.push_str(&format!(
            "== {} after {} steps ({}); prompt tokens {} total, {} evaluated; {} generated; {:.1} s\n",
            if self.won { "WON" } else { "not won" },
            self.steps.len(),
            self.stop.name(),
            self.usage.prompt_tokens,
            self.usage.prompt_tokens_evaluated,
            self.usage.completion_tokens,
            self.wall_ms / 1000.0
        ));
        s
    }
}

/// Appends one episode as a JSON line and flushes it to disk.
pub fn append_jsonl(path: &Path, episode: &Episode) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_string(episode).map_err(std::io::Error::other)?;
    line.push('\n');
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Reads a JSONL file of episodes; a torn last line (a killed writer) is skipped, any other
/// bad line is an error naming its number.
pub fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Episode>> {
    read_jsonl_as(path)
}

/// Reads a JSONL file of any record type, with the same torn-last-line rule as [`read_jsonl`].
pub fn read_jsonl_as<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(e) => out.push(e),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {
                tracing::warn!("{}: ignoring a torn last line", path.display());
                break;
            }
            Err(e) => anyhow::bail!("{}: line {}: {e}", path.display(), i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_round_trip_survives_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs/x/trajectories.jsonl");
        let mut e = Episode::new(TaskSpec::new("t"), "m");
        e.steps.push(StepRecord {
            index: 0,
            raw: "go to table 1".into(),
            action: Action::Act("go to table 1".into()),
            observation: "ok".into(),
            reward: 0.0,
            done: false,
            won: false,
            usage: Usage::default(),
            latency_ms: 1.0,
        });
        append_jsonl(&path, &e).unwrap();
        append_jsonl(&path, &e).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"task\": {\"id\"").unwrap();
        let back = read_jsonl(&path).unwrap();
        assert_eq!(back, vec![e.clone(), e]);
        std::fs::write(&path, "not json\n{}\n").unwrap();
        assert!(read_jsonl(&path)
            .unwrap_err()
            .to_string()
            .contains("line 1"));
    }
}
