//! Reflexion (Shinn et al., 2023, "Reflexion: Language Agents with Verbal Reinforcement
//! Learning"): run trials of an episode; after each failed trial the model reads the failed
//! attempt and writes a lesson ending in a new plan; the last `k` lessons (3 in the paper) are
//! shown before the task in the next trial as "Your memory for the task below: Trial i: …".
//!
//! Reflection variants follow Renze & Guven (2024), "Self-Reflection in LLM Agents: Effects on
//! Problem-Solving Performance": retry (no reflection, just another trial), keywords, advice,
//! explanation, instructions, solution, and composite (all of them). Lessons persist in the
//! [`Store`], so they survive across runs and can be retrieved for similar tasks (same family).

use crate::agent::ReactAgent;
use crate::env::{Environment, TaskSpec};
use crate::llm::{ChatRequest, Message};
use crate::store::Store;
use crate::trajectory::Episode;

crate::named_enum! {
    /// What the reflection asks the model to write.
    #[derive(Default)]
    pub enum ReflectionVariant {
        /// No reflection: only another trial (the baseline).
        Retry = "retry",
        /// A few keywords naming the kind of mistake.
        Keywords = "keywords",
        /// General advice for similar tasks.
        Advice = "advice",
        /// Why the attempt failed.
        Explanation = "explanation",
        /// Step-by-step instructions for the task.
        Instructions = "instructions",
        /// The full action sequence that would solve it.
        Solution = "solution",
        /// Explanation, keywords, advice, instructions and a new plan together.
        #[default]
        Composite = "composite",
    }
}

impl ReflectionVariant {
    /// What to ask for, after the failed attempt.
    fn ask(self) -> &'static str {
        match self {
            Self::Retry => "",
            Self::Keywords => "List a few keywords that name the kind of mistake you made, separated by commas.",
            Self::Advice => "Write short, general advice that would help you avoid this failure on similar tasks.",
            Self::Explanation => "Explain in a few sentences why your attempt failed.",
            Self::Instructions => "Write numbered, step-by-step instructions for completing this task.",
            Self::Solution => "Write the complete sequence of actions that would complete this task, one per line.",
            Self::Composite => {
                "Explain why your attempt failed, name the mistake in a few keywords, give general advice, \
                 then write step-by-step instructions that account for your mistake."
            }
        }
    }
}

/// The reflection prompt: the failed attempt, what to write, and the "New plan:" cue.
pub fn reflection_prompt(variant: ReflectionVariant, episode: &Episode, opening: &str) -> String {
    format!(
        "You were placed in an environment and given a task, and you did not complete it. \
         Below is what you saw and did.\n\n{opening}\n{}\nStatus: failed.\n\n\
         Do not describe the environment again; think about the strategy and the actions you \
         took, and find where they went wrong, naming the specific actions you should have \
         taken instead. {}\nEnd with a concise new plan.\n\nNew plan:",
        episode.history(),
        variant.ask()
    )
}

/// Where reflections go: by default the eval's own store, keyed by its run (so no two runs share
/// lessons); or a memory shared on purpose across runs (`hone eval … --memory DIR`).
#[derive(Clone, Debug)]
pub struct SharedMemory {
    pub store: Store,
    pub name: String,
}

/// Runs trials with reflections in between.
#[derive(Clone)]
pub struct Reflexion {
    pub agent: ReactAgent,
    pub trials: u32,
    /// Reflections shown to the next trial (3 in the paper).
    pub k: usize,
    pub variant: ReflectionVariant,
    /// Tokens for one reflection.
    pub reflection_tokens: u32,
    /// When a task has fewer than `k` reflections of its own, fill up with the latest ones of
    /// its family (lessons carried over to similar tasks).
    pub family_memory: bool,
    /// Run every trial even after a win (the paper stops at the first win). Needed to measure
    /// how often a success stays a success across trials ("Confidence v.s. Critique",
    /// Yang et al. 2024).
    pub rerun_solved: bool,
    /// A memory shared across runs; `None` keeps reflections with the run's episodes.
    pub shared: Option<SharedMemory>,
}

impl Reflexion {
    pub fn new(agent: ReactAgent) -> Self {
        Self {
            agent,
            trials: 3,
            k: 3,
            variant: ReflectionVariant::Composite,
            reflection_tokens: 256,
            family_memory: false,
            rerun_solved: false,
            shared: None,
        }
    }
    pub fn trials(mut self, n: u32) -> Self {
        self.trials = n.max(1);
        self
    }
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }
    pub fn variant(mut self, v: ReflectionVariant) -> Self {
        self.variant = v;
        self
    }
    pub fn rerun_solved(mut self, on: bool) -> Self {
        self.rerun_solved = on;
        self
    }
    pub fn family_memory(mut self, on: bool) -> Self {
        self.family_memory = on;
        self
    }
    /// Reads and writes reflections in `store` under `name`, shared by every run pointed at it.
    pub fn shared_memory(mut self, store: Store, name: impl Into<String>) -> Self {
        self.shared = Some(SharedMemory {
            store,
            name: name.into(),
        });
        self
    }

    /// The store and key under which `run`'s reflections live.
    fn memory<'a>(&'a self, store: &'a Store, run: &'a str) -> (&'a Store, &'a str) {
        match &self.shared {
            Some(m) => (&m.store, m.name.as_str()),
            None => (store, run),
        }
    }

    /// The reflections shown before `task`: its own last `k`, topped up from its family.
    pub fn memory_for(
        &self,
        store: &Store,
        run: &str,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<String>> {
        if self.variant == ReflectionVariant::Retry || self.k == 0 {
            return Ok(Vec::new());
        }
        let (store, memory) = self.memory(store, run);
        let mut own = store.reflections_for_task(memory, task, self.k)?;
        if self.family_memory && own.len() < self.k && !task.family.is_empty() {
            let need = self.k - own.len();
            let mut fam: Vec<_> = store
                .reflections_for_family(memory, &task.family, self.k + own.len())?
                .into_iter()
                .filter(|r| r.task_id != task.id)
                .collect();
            let skip = fam.len().saturating_sub(need);
            let mut fam: Vec<_> = fam.drain(skip..).collect();
            fam.append(&mut own);
            own = fam;
        }
        Ok(own.into_iter().map(|r| r.text).collect())
    }

    /// Asks the model for a reflection on a failed episode; returns its text.
    pub async fn reflect(&self, episode: &Episode, opening: &str) -> anyhow::Result<String> {
        let prompt = reflection_prompt(self.variant, episode, opening);
        let req = ChatRequest::new(vec![Message::user(prompt)])
            .temperature(0.0)
            .max_tokens(self.reflection_tokens);
        let r = self.agent.model().chat(req).await?;
        Ok(r.text().trim().to_string())
    }

    /// Whether a finished trial is followed by a reflection.
    fn reflects_after(&self, ep: &Episode) -> bool {
        !ep.won
            && !ep.is_error()
            && ep.trial + 1 < self.trials
            && self.variant != ReflectionVariant::Retry
    }

    /// Writes the reflection on `ep` and stores it with the episode: in one transaction when the
    /// memory is the run's own store, else episode first, then the (idempotent) shared memory
    /// entry, then the episode again with the text.
    async fn reflect_and_store(
        &self,
        store: &Store,
        run: &str,
        ep: &mut Episode,
    ) -> anyhow::Result<()> {
        let text = self.reflect(ep, &env_opening(ep)).await?;
        ep.reflection = Some(text.clone());
        match &self.shared {
            None => store.put_reflection(run, run, ep),
            Some(m) => {
                m.store
                    .add_reflection_of_run(&m.name, run, &ep.task, ep.trial, &text)?;
                store.put_episode(run, ep)
            }
        }
    }

    /// Runs up to `trials` trials of `task`, stopping at the first win (unless `rerun_solved`)
    /// and at an episode that ended on a model or environment error (the eval records it; a
    /// rerun retries it). Episodes already in `store` under `run` are reused, and a reflection
    /// missing after a stored failed trial (a crash between the two) is written before the next
    /// trial. New episodes are stored as they finish.
    pub async fn run(
        &self,
        store: &Store,
        run: &str,
        env: &mut dyn Environment,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        let mut out = Vec::new();
        for trial in 0..self.trials {
            let mut ep = match store.finished_episode(run, &task.id, "", trial)? {
                Some(done) => done,
                None => {
                    let memory = self.memory_for(store, run, task)?;
                    let mut ep = self.agent.run_env(env, task, &memory).await?;
                    ep.trial = trial;
                    store.put_episode(run, &ep)?;
                    crate::store::failpoint("episode-stored");
                    ep
                }
            };
            if self.reflects_after(&ep) && ep.reflection.is_none() {
                if let Err(e) = self.reflect_and_store(store, run, &mut ep).await {
                    // The episode stays stored; a rerun writes the reflection, then goes on.
                    tracing::warn!(task = %task.id, trial, "reflection failed: {e:#}");
                    out.push(ep);
                    break;
                }
            }
            let (won, error) = (ep.won, ep.is_error());
            out.push(ep);
            if error || (won && !self.rerun_solved) {
                break;
            }
        }
        Ok(out)
    }
}

/// The task statement as the model saw it (goal), for the reflection prompt.
fn env_opening(ep: &Episode) -> String {
    if ep.task.goal.is_empty() {
        format!("Task {}", ep.task.id)
    } else {
        format!("Your task is to: {}.", ep.task.goal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::KeyDoorWorld;
    use crate::llm::Scripted;
    use std::sync::Arc;

    #[tokio::test]
    async fn failed_trial_reflects_and_next_trial_sees_memory() {
        // Trial 0: repeats "look" 3 times (stops); reflection; trial 1: solves.
        let m = Arc::new(Scripted::new([
            "look", "look", "look",
            "I looked around instead of acting. New plan: go to table 1, take key 1, go to door 1, open door 1.",
            "go to table 1", "take key 1 from table 1", "go to door 1", "open door 1",
        ]));
        let agent = ReactAgent::builder_arc(m.clone()).build();
        let store = Store::temporary().unwrap();
        let rx = Reflexion::new(agent).trials(3);
        let eps = rx
            .run(&store, "r", &mut KeyDoorWorld::new(), &KeyDoorWorld::task())
            .await
            .unwrap();
        assert_eq!(eps.len(), 2);
        assert!(!eps[0].won && eps[1].won);
        assert_eq!(eps[1].trial, 1);
        let reqs = m.requests();
        let reflect_prompt = &reqs[3].messages[0].content;
        assert!(
            reflect_prompt.contains("> look\n") && reflect_prompt.ends_with("New plan:"),
            "{reflect_prompt}"
        );
        let trial2 = &reqs[4].messages[0].content;
        assert!(
            trial2.contains("Your memory for the task below:\nTrial 1:\nI looked around"),
            "{trial2}"
        );
        assert_eq!(
            store
                .reflections_for_task("r", &KeyDoorWorld::task(), 3)
                .unwrap()
                .len(),
            1
        );
        assert!(eps[0]
            .reflection
            .as_deref()
            .unwrap()
            .starts_with("I looked"));
        // Resume: a second run with the same store replays both episodes without the model.
        let empty = Arc::new(Scripted::new(Vec::<String>::new()));
        let rx2 = Reflexion::new(ReactAgent::builder_arc(empty).build()).trials(3);
        let again = rx2
            .run(&store, "r", &mut KeyDoorWorld::new(), &KeyDoorWorld::task())
            .await
            .unwrap();
        assert_eq!(again, eps);
        // Another run in the same store sees none of this run's lessons.
        assert!(rx2
            .memory_for(&store, "other", &KeyDoorWorld::task())
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn retry_variant_writes_no_reflection() {
        let m = Arc::new(Scripted::new([
            "look", "look", "look", "look", "look", "look",
        ]));
        let store = Store::temporary().unwrap();
        let rx = Reflexion::new(ReactAgent::builder_arc(m.clone()).build())
            .trials(2)
            .variant(ReflectionVariant::Retry);
        let eps = rx
            .run(&store, "r", &mut KeyDoorWorld::new(), &KeyDoorWorld::task())
            .await
            .unwrap();
        assert_eq!(eps.len(), 2);
        assert_eq!(m.requests().len(), 6);
        assert!(store
            .reflections_for_task("r", &KeyDoorWorld::task(), 3)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn family_memory_carries_lessons_to_similar_tasks() {
        let store = Store::temporary().unwrap();
        let a = TaskSpec::new("a").family("door");
        let b = TaskSpec::new("b").family("door");
        store
            .add_reflection("r", &a, 0, "take the key first")
            .unwrap();
        let m = Arc::new(Scripted::new(Vec::<String>::new()));
        let rx = Reflexion::new(ReactAgent::builder_arc(m).build());
        assert!(rx.memory_for(&store, "r", &b).unwrap().is_empty());
        let rx = rx.family_memory(true);
        assert_eq!(
            rx.memory_for(&store, "r", &b).unwrap(),
            ["take the key first"]
        );
        // A shared memory is read whatever the run.
        let shared = Store::temporary().unwrap();
        shared
            .add_reflection("team", &a, 0, "shared lesson")
            .unwrap();
        let rx = rx.shared_memory(shared, "team");
        assert_eq!(rx.memory_for(&store, "r", &b).unwrap(), ["shared lesson"]);
    }

    #[test]
    fn every_variant_has_a_distinct_prompt() {
        let ep = Episode::new(KeyDoorWorld::task(), "m");
        let prompts: std::collections::HashSet<String> = ReflectionVariant::ALL
            .iter()
            .map(|v| reflection_prompt(*v, &ep, "x"))
            .collect();
        assert_eq!(prompts.len(), 7);
        for v in ReflectionVariant::ALL {
            assert_eq!(ReflectionVariant::parse(v.name()), Some(*v));
        }
    }
}
