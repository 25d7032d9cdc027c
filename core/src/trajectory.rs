//! Trajectories: every step of an episode as plain serde data, written as JSONL (one episode a
//! line) and printable as a readable transcript.

use crate::env::TaskSpec;
use crate::llm::Usage;
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    /// Unparseable output; `error` is what the model was told.
    Invalid { error: String },
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
    /// The token or time budget ran out.
    Budget,
}

/// A whole episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub task: TaskSpec,
    pub model: String,
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
        }
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
        let mut s = format!(
            "== task {} ({}) trial {} — model {}\n",
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
                Action::Invalid { .. } => format!("invalid: {:?}", st.raw),
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
        s.push_str(&format!(
            "== {} after {} steps ({:?}); prompt tokens {} total, {} evaluated; {} generated; {:.1} s\n",
            if self.won { "WON" } else { "not won" },
            self.steps.len(),
            self.stop,
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
    let text = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(e) => out.push(e),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
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
