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

/// Worked examples without skills: the raw API, as a code-action agent would write it, one per
/// task type (ReAct gives its agent worked examples of the task's own type; here the runner
/// ranks these by the goal's words and shows the top two). All of them search the room with
/// the same loop: the receptacles' names from the `go to` commands valid at the start, and
/// `Nothing happens.` to `go to X` means X is where the agent already stands, so it looks at X
/// instead. (An earlier pair used two different loops, and Qwen2.5-Coder-1.5B mixed them:
/// `go to go to shelf 1`.)
pub fn raw_examples() -> Vec<Example> {
    [
        (TaskType::PickAndPlaceSimple, "spraybottle", "toilet"),
        (
            TaskType::PickCleanThenPlaceInRecep,
            "lettuce",
            "diningtable",
        ),
        (TaskType::PickHeatThenPlaceInRecep, "egg", "garbagecan"),
        (TaskType::PickCoolThenPlaceInRecep, "apple", "cabinet"),
        (TaskType::LookAtObjInLight, "bowl", "desklamp"),
        (TaskType::PickTwoObjAndPlace, "pillow", "sofa"),
    ]
    .into_iter()
    .map(|(kind, obj, target)| raw_example(kind, obj, target))
    .collect()
}

/// The raw-API worked example for a task type, written for `obj` and `target` (the receptacle,
/// or the lamp for `look_at_obj_in_light`).
pub fn raw_example(kind: TaskType, obj: &str, target: &str) -> Example {
    let search = |indent: &str, skip: &str| {
        let body = format!(
            "{obj} = None\n\
             for place in places:\n\
             {skip}    seen = env.step('go to ' + place)\n\
             \x20   if seen == 'Nothing happens.':\n\
             \x20       seen = env.step('examine ' + place)\n\
             \x20   if 'is closed' in seen:\n\
             \x20       seen = env.step('open ' + place)\n\
             \x20   m = re.search(r'\\b{obj} \\d+', seen)\n\
             \x20   if m:\n\
             \x20       {obj} = m.group(0)\n\
             \x20       print(env.step('take %s from %s' % ({obj}, place)))\n\
             \x20       break\n"
        );
        body.lines()
            .map(|l| format!("{indent}{l}\n"))
            .collect::<String>()
    };
    let put = |indent: &str| {
        format!(
            "{indent}seen = env.step('go to {target} 1')\n\
             {indent}if 'is closed' in seen:\n\
             {indent}    env.step('open {target} 1')\n\
             {indent}print(env.step('put %s in/on {target} 1' % {obj}))\n"
        )
    };
    let places = "import re\nplaces = [c[len('go to '):] for c in env.admissible() if c.startswith('go to ')]\n";
    let with = |verb: &str, tool: &str| {
        format!("env.step('go to {tool} 1')\nprint(env.step('{verb} %s with {tool} 1' % {obj}))\n")
    };
    let (task, thought, code) = match kind {
        TaskType::PickAndPlaceSimple => (
            format!("put some {obj} on {target}."),
            format!("I visit each receptacle until I see a {obj} and take it, then put it on the {target}."),
            format!("{places}{}{}", search("", ""), put("")),
        ),
        TaskType::PickCleanThenPlaceInRecep => (
            format!("clean some {obj} and put it in {target}."),
            format!("I visit each receptacle until I see a {obj} and take it, clean it with the sinkbasin, then put it in the {target}."),
            format!("{places}{}{}{}", search("", ""), with("clean", "sinkbasin"), put("")),
        ),
        TaskType::PickHeatThenPlaceInRecep => (
            format!("heat some {obj} and put it in {target}."),
            format!("I visit each receptacle until I see a {obj} and take it, heat it with the microwave, then put it in the {target}."),
            format!("{places}{}{}{}", search("", ""), with("heat", "microwave"), put("")),
        ),
        TaskType::PickCoolThenPlaceInRecep => (
            format!("cool some {obj} and put it in {target}."),
            format!("I visit each receptacle until I see a {obj} and take it, cool it with the fridge, then put it in the {target}."),
            format!("{places}{}{}{}", search("", ""), with("cool", "fridge"), put("")),
        ),
        TaskType::LookAtObjInLight => (
            format!("look at {obj} under the {target}."),
            format!("I visit each receptacle until I see a {obj} and take it, then visit them again until I see the {target} and turn it on."),
            format!(
                "{places}{}for place in places:\n\
                 \x20   seen = env.step('go to ' + place)\n\
                 \x20   if seen == 'Nothing happens.':\n\
                 \x20       seen = env.step('examine ' + place)\n\
                 \x20   m = re.search(r'\\b{target} \\d+', seen)\n\
                 \x20   if m:\n\
                 \x20       print(env.step('use ' + m.group(0)))\n\
                 \x20       break\n",
                search("", "")
            ),
        ),
        TaskType::PickTwoObjAndPlace => (
            format!("find two {obj} and put them in {target}."),
            format!("Two times: I visit each receptacle but the {target} until I see a {obj} and take it, then put it in the {target}."),
            format!(
                "{places}for n in range(2):\n{}{}",
                search("    ", &format!("    if place.startswith('{target} '):\n        continue\n")),
                put("    ")
            ),
        ),
    };
    Example {
        env: "household".into(),
        task,
        code: format!("Thought: {thought}\n```python\n{}```", code),
        family: kind.name().into(),
    }
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
        // The task's definition rides along, for `signature`.
        let task = HouseholdEnv::task(&g).config(serde_json::to_value(&g.task)?);
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
    fn signature(&self, task: &TaskSpec) -> Option<(String, Vec<(String, String)>)> {
        let def: hone_envs::household::TaskDef =
            serde_json::from_value(task.config.clone()).ok()?;
        let name = match def.kind {
            TaskType::PickAndPlaceSimple => "put_object",
            TaskType::PickCleanThenPlaceInRecep => "clean_and_put",
            TaskType::PickHeatThenPlaceInRecep => "heat_and_put",
            TaskType::PickCoolThenPlaceInRecep => "cool_and_put",
            TaskType::LookAtObjInLight => "look_under_lamp",
            TaskType::PickTwoObjAndPlace => "put_two",
        };
        let second = match def.kind {
            TaskType::LookAtObjInLight => ("lamp", def.lamp?),
            _ => ("receptacle", def.receptacle?),
        };
        Some((
            name.into(),
            vec![("obj".into(), def.object), (second.0.into(), second.1)],
        ))
    }
}
