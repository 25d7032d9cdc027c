//! What `hone eval household` runs: game sets, the ReAct/Act agent set up as in the ReAct paper
//! (two examples per task type, 49 actions at most, `think:` lines answered `OK.`), and the
//! oracle as a reference runner.

use super::prompts::{examples, INSTRUCTION};
use super::world::{Game, TaskType, World};
use super::{oracle, HouseholdEnv, Split};
use anyhow::Context;
use async_trait::async_trait;
use hone_core::env::{Environment, TaskSpec};
use hone_core::eval::TaskRunner;
use hone_core::llm::ChatModel;
use hone_core::trajectory::{Action, Episode, StepRecord, StopReason};
use hone_core::{ReactAgent, Store};
use std::collections::HashMap;
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
    for t in TaskType::ALL {
        for e in examples(t, think) {
            b = b.family_example(t.name(), e);
        }
    }
    b
}

/// Runs the oracle's plan as one trial (a reference row: every game should be won).
pub struct OracleRunner {
    pub worlds: HashMap<String, Arc<World>>,
    pub store: Store,
}

#[async_trait]
impl TaskRunner for OracleRunner {
    async fn run_task(
        &self,
        run: &str,
        env: &mut dyn Environment,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        if let Some(ep) = self.store.get_episode(run, &task.id, 0)? {
            return Ok(vec![ep]);
        }
        let world = self
            .worlds
            .get(&task.id)
            .with_context(|| format!("no game `{}`", task.id))?;
        let t0 = Instant::now();
        let plan = oracle::walkthrough(world)
            .with_context(|| format!("the oracle found no plan for `{}`", task.id))?;
        let mut ep = Episode::new(task.clone(), "oracle");
        env.reset(task).await?;
        for (index, a) in plan.into_iter().enumerate() {
            let s = env.step(&a).await?;
            ep.steps.push(StepRecord {
                index,
                raw: a.clone(),
                action: Action::Act(a),
                observation: s.observation,
                reward: s.reward,
                done: s.done,
                won: s.won,
                usage: Default::default(),
                latency_ms: 0.0,
            });
            ep.reward += s.reward;
            if s.done {
                ep.won = s.won;
                ep.stop = StopReason::Done;
                break;
            }
        }
        ep.wall_ms = t0.elapsed().as_secs_f64() * 1000.0;
        self.store.put_episode(run, &ep)?;
        Ok(vec![ep])
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
