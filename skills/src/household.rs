//! The household half: the code-action agent's instructions and its worked examples without
//! skills, the eval runner `hone eval household --agent code` uses, and the library shipped in
//! `examples/skills/household`.

use crate::discover::PracticeEnv;
use crate::library::Example;
use anyhow::Context;
use hone_core::env::{Environment, TaskSpec};
use hone_envs::household::{HouseholdEnv, Split, TaskType, World};
use std::sync::Arc;

/// What the code-action agent is told about the household and its API.
pub const INSTRUCTIONS: &str = "You solve household tasks by writing Python. A persistent Python session is connected to the room:
- env.step(command) does one action and returns what you see, e.g. env.step('go to fridge 1'), 'open fridge 1', 'take apple 1 from fridge 1', 'put apple 1 in/on countertop 1', 'clean apple 1 with sinkbasin 1', 'heat apple 1 with microwave 1', 'cool apple 1 with fridge 1', 'use desklamp 1'.
- env.admissible() returns the list of commands that are valid now; env.observation() the last thing you saw.
Every reply is one line `Thought: ...` and then one ```python block. The block runs in the session (variables stay defined between blocks). The actions it took, what it printed and any error come back to you. The task is done as soon as the room is in the state the task asks for.";

/// Worked examples without skills: the raw API, as a code-action agent would write it.
pub fn raw_examples() -> Vec<Example> {
    vec![
        Example {
            env: "household".into(),
            task: "clean some apple and put it in fridge.".into(),
            code: r#"Thought: I look for an apple in each receptacle and take it, clean it at the sinkbasin, then put it in the fridge.
```python
import re
apple = None
for c in env.admissible():
    if apple is None and c.startswith('go to '):
        place = c[len('go to '):]
        seen = env.step(c)
        if 'is closed' in seen:
            seen = env.step('open ' + place)
        m = re.search(r'\bapple \d+', seen)
        if m:
            apple = m.group(0)
            env.step('take %s from %s' % (apple, place))
env.step('go to sinkbasin 1')
env.step('clean %s with sinkbasin 1' % apple)
env.step('go to fridge 1')
env.step('open fridge 1')
print(env.step('put %s in/on fridge 1' % apple))
```"#
                .into(),
        },
        Example {
            env: "household".into(),
            task: "look at bowl under the desklamp.".into(),
            code: r#"Thought: I find a bowl and take it, then go where the desklamp is and turn it on.
```python
import re
places = [c[len('go to '):] for c in env.admissible() if c.startswith('go to ')]
bowl = None
for place in places:
    seen = env.step('go to ' + place)
    if 'is closed' in seen:
        seen = env.step('open ' + place)
    m = re.search(r'\bbowl \d+', seen)
    if m:
        bowl = m.group(0)
        env.step('take %s from %s' % (bowl, place))
        break
for place in places:
    seen = env.step('go to ' + place)
    m = re.search(r'\bdesklamp \d+', seen)
    if m:
        print(env.step('use ' + m.group(0)))
        break
```"#
                .into(),
        },
    ]
}

/// The household kind for the code-action agent: `KIND.runner(…)` is what `hone eval household
/// --agent code` runs.
pub const KIND: crate::agent::Kind = crate::agent::Kind {
    name: "household",
    instructions: INSTRUCTIONS,
    examples: raw_examples,
};

/// The household as a practice ground for `hone skills discover`: rooms and tasks from the
/// train split (seen layouts), so a discovered library is evaluated on rooms it never saw.
pub struct HouseholdPractice {
    types: Vec<TaskType>,
    /// Environment actions per practice episode.
    pub max_actions: u32,
}

impl Default for HouseholdPractice {
    fn default() -> Self {
        Self {
            types: Split::Train.types(),
            max_actions: hone_envs::household::MAX_STEPS,
        }
    }
}

impl HouseholdPractice {
    /// Practice episodes with this many environment actions.
    pub fn new(max_actions: u32) -> Self {
        Self {
            max_actions,
            ..Default::default()
        }
    }

    fn game(&self, family: Option<&str>, seed: u64) -> anyhow::Result<hone_envs::household::Game> {
        let idx: Vec<usize> = match family {
            Some(f) => {
                let t = TaskType::parse(f).with_context(|| {
                    format!("no household task family `{f}` ({})", TaskType::names())
                })?;
                (0..self.types.len())
                    .filter(|&i| self.types[i] == t)
                    .collect()
            }
            None => (0..self.types.len()).collect(),
        };
        anyhow::ensure!(!idx.is_empty(), "no practice games");
        Ok(Split::Train.game(idx[(seed % idx.len() as u64) as usize]))
    }
}

#[async_trait::async_trait]
impl PracticeEnv for HouseholdPractice {
    fn kind(&self) -> &str {
        "household"
    }
    fn instructions(&self) -> &str {
        INSTRUCTIONS
    }
    fn examples(&self) -> Vec<Example> {
        raw_examples()
    }
    fn families(&self) -> Vec<(String, String)> {
        TaskType::ALL
            .iter()
            .map(|t| {
                let tpl = t.templates()[1]
                    .replace("{o}", "X")
                    .replace("{r}", "Y")
                    .replace("{l}", "desklamp");
                (t.short().to_string(), tpl)
            })
            .collect()
    }
    fn episode(
        &self,
        family: Option<&str>,
        seed: u64,
    ) -> anyhow::Result<(Box<dyn Environment>, TaskSpec)> {
        let g = self.game(family, seed)?;
        let task = HouseholdEnv::task(&g);
        let world = Arc::new(World::new(g)?);
        Ok((
            Box::new(
                HouseholdEnv::new(world)
                    .react_format(true)
                    .max_steps(self.max_actions),
            ),
            task,
        ))
    }
    fn preview(&self, family: Option<&str>, seed: u64) -> anyhow::Result<String> {
        let g = self.game(family, seed)?;
        let mut env = HouseholdEnv::new(Arc::new(World::new(g)?)).react_format(true);
        Ok(env.restart())
    }
    fn family_of(&self, task: &TaskSpec) -> String {
        TaskType::parse(&task.family).map_or_else(|| task.family.clone(), |t| t.short().to_string())
    }
}
