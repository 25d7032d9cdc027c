//! The bundled task suite (envs/data/web/tasks.json): WebArena-format tasks on the bundled
//! shop (`__SHOPPING__`) and forum (`__REDDIT__`), each with a scripted reference solution
//! (`reference_solution`, a field WebArena's loader ignores) whose element references are
//! `[role 'name']`, resolved against the page at each step.

use super::env::WebEnv;
use super::task::{parse, SiteMap, TaskFile};
use hone_core::env::{Environment, Step, TaskSpec};

/// The suite's JSON, as shipped.
pub const TASKS: &str = include_str!("../../data/web/tasks.json");

/// The bundled tasks with the sites' URLs filled in.
pub fn tasks(sites: &SiteMap) -> anyhow::Result<TaskFile> {
    parse(TASKS, sites)
}

/// The reference solution of a task (from its JSON in [`TaskSpec::config`]).
pub fn reference_solution(task: &TaskSpec) -> Vec<String> {
    task.config["reference_solution"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// `[role 'name']` in a step → `[id]` of the first element with that role and name in `obs`.
pub fn resolve(step: &str, obs: &str) -> anyhow::Result<String> {
    let Some(start) = step.find("[") else {
        return Ok(step.to_string());
    };
    let Some(end) = step[start..].find("']").map(|e| start + e + 2) else {
        return Ok(step.to_string());
    };
    let inner = &step[start + 1..end - 1];
    let Some((role, name)) = inner.split_once(" '") else {
        return Ok(step.to_string());
    };
    let needle = format!("] {role} '{}'", name.trim_end_matches('\''));
    let line = obs
        .lines()
        .find(|l| l.contains(&needle))
        .ok_or_else(|| anyhow::anyhow!("no {role} '{name} on the page for step {step:?}"))?;
    let id = line
        .trim_start()
        .strip_prefix('[')
        .and_then(|l| l.split(']').next())
        .ok_or_else(|| anyhow::anyhow!("no id in {line:?}"))?;
    Ok(format!("{}[{id}]{}", &step[..start], &step[end..]))
}

/// Plays a task's reference solution; returns the last step (the scored `stop`).
pub async fn play_reference(env: &mut WebEnv, task: &TaskSpec) -> anyhow::Result<Step> {
    let mut obs = env.reset(task).await?;
    let mut last = None;
    for s in reference_solution(task) {
        let action = resolve(&s, &obs)?;
        let step = env.step(&action).await?;
        obs = step.observation.clone();
        let done = step.done;
        last = Some(step);
        if done {
            break;
        }
    }
    last.ok_or_else(|| anyhow::anyhow!("task {} has no reference solution", task.id))
}
