//! What `hone eval household` runs, on the one eval engine: the games as a [`Harness`]
//! ([`HouseholdHarness`]), and the agents, assembled here and nowhere else ([`AgentOptions`]):
//! ReAct and Act as in the ReAct paper (two examples per task type, 49 actions at most,
//! `think:` lines answered `OK.`), Reflexion over ReAct, and the BFS oracle as a reference row.
//! The environment types ([`HouseholdEnv`], [`World`]) stay model-free.

use super::prompts::{examples, INSTRUCTION};
use super::world::{Game, TaskType, World};
use super::{oracle, HouseholdEnv, Split};
use anyhow::Context;
use async_trait::async_trait;
use hone_core::env::{Environment, TaskSpec};
use hone_core::eval::{Harness, Manifest, TaskContext, TaskRunner};
use hone_core::llm::ChatModel;
use hone_core::trajectory::Episode;
use hone_core::{ReactAgent, ReflectionVariant, Reflexion, RepeatPolicy, Store, ThoughtPolicy};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The games of an eval: a split (the first `n`), or every `*.json` game file in a folder
/// (sorted by file name).
pub fn load_games(
    split: Option<Split>,
    dir: Option<&Path>,
    n: Option<usize>,
) -> anyhow::Result<Vec<Game>> {
    let mut games = match (split, dir) {
        (_, Some(dir)) => {
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .with_context(|| format!("reading game folder {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            anyhow::ensure!(
                !files.is_empty(),
                "no *.json game files in {}",
                dir.display()
            );
            let mut v = Vec::new();
            for f in files {
                v.push(load_game(&f)?);
            }
            v
        }
        (Some(s), None) => match n {
            Some(n) => (0..n.min(s.size())).map(|i| s.game(i)).collect(),
            None => s.games(),
        },
        (None, None) => anyhow::bail!("give a split or a game folder"),
    };
    if let Some(n) = n {
        games.truncate(n);
    }
    Ok(games)
}

/// Reads and checks one game file; errors say which file and what is wrong.
pub fn load_game(path: &Path) -> anyhow::Result<Game> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let g: Game = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a household game file", path.display()))?;
    World::new(g.clone()).with_context(|| format!("checking {}", path.display()))?;
    Ok(g)
}

/// Compiled worlds by task id.
pub type Worlds = HashMap<String, Arc<World>>;

/// The games as compiled worlds keyed by task id, and their task specs in order.
pub fn worlds(games: Vec<Game>) -> anyhow::Result<(Vec<TaskSpec>, Worlds)> {
    let mut tasks = Vec::new();
    let mut map = HashMap::new();
    for g in games {
        let task = HouseholdEnv::task(&g);
        anyhow::ensure!(
            !map.contains_key(&task.id),
            "two games are named `{}`",
            task.id
        );
        map.insert(task.id.clone(), Arc::new(World::new(g)?));
        tasks.push(task);
    }
    Ok((tasks, map))
}

/// What chat models are told besides ReAct's instruction line: ReAct prompted a completion model
/// with the transcript ending in `>`; in a chat, each reply is one such line.
pub const CHAT_FORMAT: &str = "Each reply is one line, written exactly like the lines after '> ' in the examples: an action, or 'think: ' followed by a thought.";

/// The ReAct (`think = true`) or Act agent of the ReAct paper's ALFWorld setup: the instruction
/// (plus [`CHAT_FORMAT`]) as system message, two examples of the task's type, one line per step
/// stopped at a newline, greedy decoding. `max_steps` is 49 in ReAct's harness.
pub fn paper_agent(model: Arc<dyn ChatModel>, think: bool) -> hone_core::agent::ReactAgentBuilder {
    let mut b = ReactAgent::builder_arc(model)
        .system(format!("{INSTRUCTION} {CHAT_FORMAT}"))
        .max_steps(49);
    for &t in TaskType::ALL {
        for e in examples(t, think) {
            b = b.family_example(t.name(), e);
        }
    }
    b
}

/// The games of an eval as a [`Harness`].
pub struct HouseholdHarness {
    tasks: Vec<TaskSpec>,
    worlds: Worlds,
    env_steps: u32,
}

impl HouseholdHarness {
    pub fn new(games: Vec<Game>) -> anyhow::Result<Self> {
        let (tasks, worlds) = worlds(games)?;
        Ok(Self {
            tasks,
            worlds,
            env_steps: super::MAX_STEPS,
        })
    }

    /// The environment's episode limit (default ALFWorld's 50 steps).
    pub fn env_steps(mut self, n: u32) -> Self {
        self.env_steps = n;
        self
    }

    pub fn worlds(&self) -> &Worlds {
        &self.worlds
    }
}

impl Harness for HouseholdHarness {
    fn name(&self) -> &str {
        "household"
    }
    fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }
    fn environment(&self, task: &TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> {
        let w = self
            .worlds
            .get(&task.id)
            .with_context(|| format!("no game `{}`", task.id))?;
        Ok(Some(Box::new(
            HouseholdEnv::new(w.clone())
                .react_format(true)
                .max_steps(self.env_steps),
        )))
    }
    fn family_labels(&self) -> BTreeMap<String, String> {
        TaskType::ALL
            .iter()
            .map(|t| (t.name().to_string(), t.short().to_string()))
            .collect()
    }
}

hone_core::named_enum! {
    /// The agents `hone eval household` runs.
    pub enum Agent {
        /// ReAct: thoughts and actions, the paper's prompts.
        React = "react",
        /// ReAct's Act baseline: actions only.
        Act = "act",
        /// Reflexion over ReAct: a reflection after each failed trial.
        Reflexion = "reflexion",
        /// The BFS planner: a reference row that should win every game.
        Oracle = "oracle",
        /// Code actions: a thought and a Python block per turn, run in a sandbox session with
        /// the environment's API (and skills, with `--skills`). Assembled by hone-skills.
        Code = "code",
    }
}

/// How the household agents are set up: every knob `hone eval household` exposes, and the
/// one place where they become an agent.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub agent: Agent,
    pub trials: u32,
    pub variant: ReflectionVariant,
    pub rerun_solved: bool,
    pub constrain: bool,
    pub max_steps: usize,
    /// 0: never stop on repeats.
    pub repeat_limit: usize,
    /// Longest cycle the loop guard catches (0: off).
    pub cycle_guard: usize,
    /// Stop the episode at a repeat or cycle, or tell the model and go on.
    pub on_loop: RepeatPolicy,
    /// Thinking before acting (react and reflexion; act never thinks).
    pub thoughts: ThoughtPolicy,
    pub action_samples: u32,
    pub sample_temperature: f32,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            agent: Agent::React,
            trials: 1,
            variant: ReflectionVariant::Composite,
            rerun_solved: false,
            constrain: false,
            max_steps: 49,
            repeat_limit: 3,
            cycle_guard: 0,
            on_loop: RepeatPolicy::Stop,
            thoughts: ThoughtPolicy::Unlimited,
            action_samples: 1,
            sample_temperature: 0.7,
        }
    }
}

impl AgentOptions {
    /// The thinking policy the agent runs with: none for Act.
    pub fn thought_policy(&self) -> ThoughtPolicy {
        match self.agent {
            Agent::Act => ThoughtPolicy::AtMost(0),
            _ => self.thoughts,
        }
    }

    /// Trials actually run (the oracle runs one).
    pub fn trials(&self) -> u32 {
        if self.agent == Agent::Oracle {
            1
        } else {
            self.trials.max(1)
        }
    }

    /// The settings a resumed run must share, added to `m` (the model is the caller's).
    pub fn manifest(&self, m: Manifest) -> Manifest {
        let m = m.setting("agent", self.agent).info("trials", self.trials());
        if self.agent == Agent::Oracle {
            return m;
        }
        let variant = match self.agent {
            Agent::Reflexion => self.variant,
            _ => ReflectionVariant::Retry,
        };
        m.setting("reflection variant", variant)
            .setting("rerun solved", self.rerun_solved)
            .setting("constrained", self.constrain)
            .setting("max steps", self.max_steps)
            .setting("repeat limit", self.repeat_limit)
            .setting("cycle guard", self.cycle_guard)
            .setting(
                "on a loop",
                match self.on_loop {
                    RepeatPolicy::Stop => "stop",
                    RepeatPolicy::Redirect => "redirect",
                },
            )
            .setting("thoughts", self.thought_policy().describe())
            .setting(
                "actions per step",
                if self.action_samples > 1 {
                    format!(
                        "soft self-consistency over {} samples at T={}",
                        self.action_samples, self.sample_temperature
                    )
                } else {
                    "greedy".into()
                },
            )
            .setting(
                "few-shot",
                "ReAct's ALFWorld format, 2 per task type (hone's games)",
            )
    }

    /// The runner: the oracle over `harness`'s worlds, or Reflexion over the paper's ReAct/Act
    /// agent on `model` (`Retry`, i.e. plain trials, for react and act). `memory` shares
    /// reflections across runs on purpose.
    pub fn runner(
        &self,
        harness: &HouseholdHarness,
        model: Option<Arc<dyn ChatModel>>,
        memory: Option<Store>,
    ) -> anyhow::Result<Box<dyn TaskRunner>> {
        if self.agent == Agent::Oracle {
            return Ok(Box::new(OracleRunner {
                worlds: harness.worlds.clone(),
            }));
        }
        anyhow::ensure!(
            self.agent != Agent::Code,
            "the code agent is assembled by hone-skills (hone_skills::household::KIND)"
        );
        let model = model.context("this agent needs a model")?;
        let b = paper_agent(model, self.agent != Agent::Act)
            .constrain(self.constrain)
            .max_steps(self.max_steps)
            .action_samples(self.action_samples, self.sample_temperature)
            .thoughts(self.thought_policy())
            .cycle_guard(self.cycle_guard)
            .repeat_limit(
                if self.repeat_limit > 0 {
                    self.repeat_limit
                } else {
                    usize::MAX
                },
                self.on_loop,
            );
        let variant = match self.agent {
            Agent::Reflexion => self.variant,
            _ => ReflectionVariant::Retry,
        };
        let mut rx = Reflexion::new(b.build())
            .trials(self.trials())
            .variant(variant)
            .rerun_solved(self.rerun_solved);
        if let Some(store) = memory {
            rx = rx.shared_memory(store, "shared");
        }
        Ok(Box::new(rx))
    }
}

/// Runs the oracle's plan as one trial (a reference row: every game should be won).
pub struct OracleRunner {
    pub worlds: HashMap<String, Arc<World>>,
}

#[async_trait]
impl TaskRunner for OracleRunner {
    async fn run_task(
        &self,
        cx: &TaskContext<'_>,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        if let Some(ep) = cx.store.finished_episode(cx.run, &task.id, "", 0)? {
            return Ok(vec![ep]);
        }
        let world = self
            .worlds
            .get(&task.id)
            .with_context(|| format!("no game `{}`", task.id))?;
        let plan = oracle::walkthrough(world)
            .with_context(|| format!("the oracle found no plan for `{}`", task.id))?;
        Ok(vec![
            hone_core::eval::play_actions(cx, task, "oracle", plan).await?,
        ])
    }
}

/// Steps per second of random admissible play over `worlds`, for `hone bench household`:
/// admissible commands computed every step, either rendered to sorted strings (what an agent
/// sees) or kept as commands. Returns (steps, episodes, seconds).
pub fn random_play(worlds: &[Arc<World>], steps: usize, render: bool) -> (usize, usize, f64) {
    let mut rng = super::gen::Rng::new(1);
    let mut done_steps = 0usize;
    let mut episodes = 0usize;
    let t0 = Instant::now();
    let mut cmds = Vec::new();
    if worlds.is_empty() {
        return (0, 0, 0.0);
    }
    'outer: loop {
        for w in worlds {
            let mut env = HouseholdEnv::new(w.clone()).react_format(true);
            env.restart();
            loop {
                let s = if render {
                    let acts = env.admissible();
                    let a = rng.pick(&acts);
                    env.act(a)
                } else {
                    cmds.clear();
                    cmds.extend_from_slice(env.admissible_cmds());
                    let c = *rng.pick(&cmds);
                    let text = w.render_string(c);
                    env.act(&text)
                };
                done_steps += 1;
                if s.done {
                    break;
                }
            }
            episodes += 1;
            if done_steps >= steps {
                break 'outer;
            }
        }
    }
    (done_steps, episodes, t0.elapsed().as_secs_f64())
}
