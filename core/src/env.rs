//! The `Environment` seam: something an agent acts in, one text action at a time.
//!
//! An environment knows nothing of models. It is reset to a task, answers each action with an
//! observation, a reward and whether the episode is over (`done`) and solved (`won`), and may
//! list the actions that are valid now (used to constrain a model's output with a grammar).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What to do: identifies an episode for results, resume and reflection memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Unique within a run (e.g. a game file or seed).
    pub id: String,
    /// Tasks of one family share reflections (e.g. an ALFWorld task type).
    #[serde(default)]
    pub family: String,
    /// The goal in words, as the environment states it.
    #[serde(default)]
    pub goal: String,
    /// Anything else the environment needs to set the task up.
    #[serde(default)]
    pub config: Value,
}

impl TaskSpec {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            family: String::new(),
            goal: String::new(),
            config: Value::Null,
        }
    }
    pub fn family(mut self, f: impl Into<String>) -> Self {
        self.family = f.into();
        self
    }
    pub fn goal(mut self, g: impl Into<String>) -> Self {
        self.goal = g.into();
        self
    }
    pub fn config(mut self, c: Value) -> Self {
        self.config = c;
        self
    }
}

/// The result of one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub observation: String,
    #[serde(default)]
    pub reward: f64,
    /// The episode is over (solved, failed, or out of steps).
    pub done: bool,
    /// The task was solved.
    pub won: bool,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub info: Value,
}

impl Step {
    /// An observation that neither ends nor solves the episode.
    pub fn obs(observation: impl Into<String>) -> Self {
        Self {
            observation: observation.into(),
            reward: 0.0,
            done: false,
            won: false,
            info: Value::Null,
        }
    }
}

/// A world an agent acts in. `Send` so episodes can run on any task of the runtime.
#[async_trait]
pub trait Environment: Send {
    /// Starts `task`; returns the first observation (which states the goal).
    async fn reset(&mut self, task: &TaskSpec) -> anyhow::Result<String>;
    /// Applies one action. Invalid actions are observations ("Nothing happens."), not errors;
    /// `Err` is for failures of the environment itself.
    async fn step(&mut self, action: &str) -> anyhow::Result<Step>;
    /// Actions valid in the current state, when the environment can list them.
    fn admissible_actions(&self) -> Option<Vec<String>> {
        None
    }
    /// A GBNF grammar for one action, when the actions cannot be listed (free text in them,
    /// such as a web form's input): its `action` rule is what a constrained agent may write
    /// (other rules it names come along). `None` (the default): use [`admissible_actions`].
    ///
    /// [`admissible_actions`]: Environment::admissible_actions
    fn action_grammar(&self) -> Option<String> {
        None
    }
    /// The agent stopped before the environment said done (a step limit, a repeat guard): the
    /// environment may score the episode as it stands (WebArena grades its early-stop text),
    /// returning the final step. `reason` says why, in WebArena's words ("Reach max steps 30",
    /// "Same action for 3 times"). The default does nothing.
    async fn end(&mut self, _reason: &str) -> anyhow::Result<Option<Step>> {
        Ok(None)
    }
    /// Called for each `think:` line of a text-mode agent. Environments whose step limit counts
    /// thoughts (ALFWorld's harnesses send them to the environment) return the step they
    /// recorded, with the observation the agent should see; `None` (the default) answers "OK."
    /// and changes nothing.
    fn think(&mut self, _thought: &str) -> Option<Step> {
        None
    }
}

/// A tiny key-and-door world for examples and end-to-end tests of agent loops: go to the
/// table, take the key, go to the door, open the door. Invalid actions answer "Nothing happens.".
#[derive(Debug, Default, Clone)]
pub struct KeyDoorWorld {
    at: Option<&'static str>,
    has_key: bool,
    open: bool,
}

impl KeyDoorWorld {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn task() -> TaskSpec {
        TaskSpec::new("key-door-1")
            .family("key_door")
            .goal("open the door")
    }
}

#[async_trait]
impl Environment for KeyDoorWorld {
    async fn reset(&mut self, _task: &TaskSpec) -> anyhow::Result<String> {
        *self = Self::default();
        Ok("You are in a small room. You see a table 1 and a door 1.\nYour task is to: open the door.".into())
    }

    async fn step(&mut self, action: &str) -> anyhow::Result<Step> {
        let a = action.trim();
        let obs = match a {
            "look" => match self.at {
                Some(p) => format!("You are at {p}."),
                None => "You are in the middle of the room. You see a table 1 and a door 1.".into(),
            },
            "go to table 1" => {
                self.at = Some("table 1");
                if self.has_key {
                    "You arrive at table 1. On the table 1, you see nothing.".into()
                } else {
                    "You arrive at table 1. On the table 1, you see a key 1.".into()
                }
            }
            "go to door 1" => {
                self.at = Some("door 1");
                "You arrive at door 1. The door 1 is closed.".into()
            }
            "take key 1 from table 1" if self.at == Some("table 1") && !self.has_key => {
                self.has_key = true;
                "You pick up the key 1 from the table 1.".into()
            }
            "open door 1" if self.at == Some("door 1") && self.has_key => {
                self.open = true;
                return Ok(Step {
                    observation: "You unlock the door 1 with the key 1 and open it.".into(),
                    reward: 1.0,
                    done: true,
                    won: true,
                    info: Value::Null,
                });
            }
            "inventory" => {
                if self.has_key {
                    "You are carrying: a key 1.".into()
                } else {
                    "You are not carrying anything.".into()
                }
            }
            _ => "Nothing happens.".into(),
        };
        Ok(Step::obs(obs))
    }

    fn admissible_actions(&self) -> Option<Vec<String>> {
        let mut v = vec![
            "look".to_string(),
            "inventory".into(),
            "go to table 1".into(),
            "go to door 1".into(),
        ];
        if self.at == Some("table 1") && !self.has_key {
            v.push("take key 1 from table 1".into());
        }
        if self.at == Some("door 1") && self.has_key {
            v.push("open door 1".into());
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn key_door_world_is_solvable_and_rejects_nonsense() {
        let mut w = KeyDoorWorld::new();
        w.reset(&KeyDoorWorld::task()).await.unwrap();
        assert_eq!(
            w.step("open door 1").await.unwrap().observation,
            "Nothing happens."
        );
        for a in ["go to table 1", "take key 1 from table 1", "go to door 1"] {
            assert!(
                w.admissible_actions().unwrap().contains(&a.to_string()),
                "{a}"
            );
            assert!(!w.step(a).await.unwrap().done);
        }
        let s = w.step("open door 1").await.unwrap();
        assert!(s.done && s.won);
    }
}
