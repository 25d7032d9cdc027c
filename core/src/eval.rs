//! Running a set of tasks as one resumable eval.
//!
//! Each finished episode goes to the [`Store`] (the source of truth, flushed per episode) and
//! then to `OUT/trajectories.jsonl`. A rerun with the same run id skips what the store holds and
//! first rewrites the JSONL from the store, so a `kill -9` at any point loses at most the episode
//! in flight and never counts one twice.

use crate::env::{Environment, TaskSpec};
use crate::llm::Usage;
use crate::reflexion::Reflexion;
use crate::trajectory::{append_jsonl, Episode};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Totals over a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub tasks: usize,
    pub won: usize,
    /// Tasks won by the end of trial i (index i), for Reflexion curves.
    pub won_by_trial: Vec<usize>,
    pub episodes: usize,
    pub usage: Usage,
    pub wall_s: f64,
}

impl Summary {
    pub fn success_rate(&self) -> f64 {
        if self.tasks == 0 {
            0.0
        } else {
            self.won as f64 / self.tasks as f64
        }
    }

    pub fn from_results(results: &[Vec<Episode>], trials: u32) -> Self {
        let mut s = Summary {
            tasks: results.len(),
            won_by_trial: vec![0; trials as usize],
            ..Default::default()
        };
        for eps in results {
            if let Some(first_win) = eps.iter().find(|e| e.won).map(|e| e.trial as usize) {
                s.won += 1;
                for t in first_win..trials as usize {
                    s.won_by_trial[t] += 1;
                }
            }
            for e in eps {
                s.episodes += 1;
                s.usage += e.usage;
                s.wall_s += e.wall_ms / 1000.0;
            }
        }
        s
    }
}

/// Where a run writes: `out/trajectories.jsonl` and the store in `out/store`.
pub fn jsonl_path(out: &Path) -> PathBuf {
    out.join("trajectories.jsonl")
}

/// Rewrites the JSONL export from the store (atomically), returning the episodes it holds.
pub fn sync_jsonl(rx: &Reflexion, run: &str, out: &Path) -> anyhow::Result<Vec<Episode>> {
    let eps = rx.store.episodes(run)?;
    std::fs::create_dir_all(out)?;
    let tmp = out.join("trajectories.jsonl.tmp");
    let _ = std::fs::remove_file(&tmp);
    for e in &eps {
        append_jsonl(&tmp, e)?;
    }
    if eps.is_empty() {
        std::fs::write(&tmp, b"")?;
    }
    std::fs::rename(&tmp, jsonl_path(out))?;
    Ok(eps)
}

/// Runs every task (with Reflexion trials) in order, resuming from the store; calls
/// `on_episode` for each episode as it finishes (new or resumed) for progress display.
pub async fn run_eval(
    rx: &Reflexion,
    run: &str,
    tasks: &[TaskSpec],
    make_env: &(dyn Fn(&TaskSpec) -> anyhow::Result<Box<dyn Environment>> + Sync),
    out: &Path,
    on_episode: &(dyn Fn(&Episode, bool) + Sync),
) -> anyhow::Result<Vec<Vec<Episode>>> {
    let already = sync_jsonl(rx, run, out)?;
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        let mut env = make_env(task)?;
        let before: Vec<u32> = already
            .iter()
            .filter(|e| e.task.id == task.id)
            .map(|e| e.trial)
            .collect();
        let eps = rx.run(run, env.as_mut(), task).await?;
        for e in &eps {
            let resumed = before.contains(&e.trial);
            if !resumed {
                append_jsonl(&jsonl_path(out), e)?;
            }
            on_episode(e, resumed);
        }
        results.push(eps);
    }
    Ok(results)
}
