//! The household world: a native, ALFWorld-compatible text environment.
//!
//! ALFWorld (Shridhar et al. 2021) is the standard household benchmark for ReAct and Reflexion.
//! Its Python stack (TextWorld, PDDL, Fast Downward) runs about 10–15 steps/s and its game files
//! cannot be fetched here. This module speaks ALFWorld ≤ 0.3.x's text protocol (the dialect of
//! the ReAct and Reflexion prompts: `put X in/on Y`, `You arrive at loc N.`) so prompts, agents
//! and numbers carry over:
//!
//! - [`world`]: game files ([`Game`]), rules, commands and feedback strings;
//! - [`gen`]: games generated from a seed, and the standard [`Split`]s (`unseen`: 134 games in
//!   ALFWorld's 24/31/23/21/18/17 mix);
//! - [`oracle`]: a BFS planner over the world state that solves every generated game;
//! - [`prompts`]: ReAct/Act few-shot examples, two per task type, played out in this world;
//! - [`HouseholdEnv`]: the [`Environment`] (50-step limit that counts invalid commands and
//!   thoughts, `won` distinct from `done`, admissible actions).
//!
//! The game file schema and the differences from ALFWorld are in docs/HOUSEHOLD.md.

pub mod alfworld;
pub mod data;
pub mod gen;
pub mod harness;
pub mod oracle;
pub mod prompts;
pub mod world;

pub use gen::{generate, Split};
pub use world::{Cmd, Game, State, TaskDef, TaskType, World};

use async_trait::async_trait;
use hone_core::env::{Environment, Step, TaskSpec};
use std::sync::Arc;

/// ALFWorld's episode limit (TextWorld's `max_nb_steps_per_episode: 50`).
pub const MAX_STEPS: u32 = 50;

/// One game as an [`Environment`]. `reset` restarts the same game whatever the task says (make
/// one env per game: see [`HouseholdEnv::task`] for the matching [`TaskSpec`]).
pub struct HouseholdEnv {
    world: Arc<World>,
    state: State,
    steps: u32,
    max_steps: u32,
    done: bool,
    won: bool,
    react: bool,
    cmds: Vec<Cmd>,
}

impl HouseholdEnv {
    pub fn new(world: Arc<World>) -> Self {
        let state = world.initial.clone();
        Self {
            world,
            state,
            steps: 0,
            max_steps: MAX_STEPS,
            done: false,
            won: false,
            react: false,
            cmds: Vec::new(),
        }
    }

    pub fn from_game(game: Game) -> anyhow::Result<Self> {
        Ok(Self::new(Arc::new(World::new(game)?)))
    }

    /// Process observations as the ReAct and Reflexion harnesses do: drop the intro's
    /// `-= Welcome … =-` header and the `You arrive at loc N. ` prefix of `go to`.
    pub fn react_format(mut self, on: bool) -> Self {
        self.react = on;
        self
    }

    /// The episode limit (default [`MAX_STEPS`]).
    pub fn max_steps(mut self, n: u32) -> Self {
        self.max_steps = n;
        self
    }

    pub fn world(&self) -> &Arc<World> {
        &self.world
    }
    pub fn state(&self) -> &State {
        &self.state
    }
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// The task spec for a game: id = game name, family = task type.
    pub fn task(game: &Game) -> TaskSpec {
        TaskSpec::new(game.name.clone())
            .family(game.task.kind.name())
            .goal(game.task.goal_text())
    }

    /// Restarts the game; returns the first observation.
    pub fn restart(&mut self) -> String {
        self.state = self.world.initial.clone();
        self.steps = 0;
        self.done = false;
        self.won = false;
        let intro = self.world.intro();
        if self.react {
            intro.split("\n\n").skip(1).collect::<Vec<_>>().join("\n")
        } else {
            intro
        }
    }

    /// Applies one command (synchronously).
    pub fn act(&mut self, action: &str) -> Step {
        self.steps += 1;
        let mut obs = String::new();
        let cmd = if self.done {
            None
        } else {
            self.world
                .parse(action)
                .filter(|c| self.world.valid(&self.state, *c))
        };
        match cmd {
            Some(c) => self.world.apply(&mut self.state, c, &mut obs),
            None => obs.push_str("Nothing happens."),
        }
        if !self.done {
            self.won = self.world.goal_met(&self.state);
            self.done = self.won || self.steps >= self.max_steps;
        }
        if self.react && obs.starts_with("You arrive at loc ") {
            if let Some(i) = obs.find(". ") {
                obs.drain(..i + 2);
            }
        }
        Step {
            observation: obs,
            reward: if self.won { 1.0 } else { 0.0 },
            done: self.done,
            won: self.won,
            info: serde_json::Value::Null,
        }
    }

    /// Admissible commands, sorted and deduplicated as ALFWorld returns them.
    pub fn admissible(&mut self) -> Vec<String> {
        self.world.admissible_cmds(&self.state, &mut self.cmds);
        rendered(&self.world, &self.cmds)
    }

    /// The admissible commands without rendering them (for planners and benchmarks).
    pub fn admissible_cmds(&mut self) -> &[Cmd] {
        self.world.admissible_cmds(&self.state, &mut self.cmds);
        &self.cmds
    }
}

#[async_trait]
impl Environment for HouseholdEnv {
    async fn reset(&mut self, _task: &TaskSpec) -> anyhow::Result<String> {
        Ok(self.restart())
    }

    async fn step(&mut self, action: &str) -> anyhow::Result<Step> {
        Ok(self.act(action))
    }

    /// ALFWorld's harnesses send `think:` lines to the environment, so they count toward the
    /// 50-step limit; the agent sees `OK.`.
    fn think(&mut self, _thought: &str) -> Option<Step> {
        let mut s = self.act("think");
        s.observation = "OK.".into();
        Some(s)
    }

    fn admissible_actions(&self) -> Option<Vec<String>> {
        let mut cmds = Vec::new();
        self.world.admissible_cmds(&self.state, &mut cmds);
        Some(rendered(&self.world, &cmds))
    }
}

/// Commands as ALFWorld lists them: rendered, sorted, deduplicated.
fn rendered(world: &World, cmds: &[Cmd]) -> Vec<String> {
    let mut v: Vec<String> = cmds.iter().map(|&c| world.render_string(c)).collect();
    v.sort_unstable();
    v.dedup();
    v
}
