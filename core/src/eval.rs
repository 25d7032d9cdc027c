//! Running a set of tasks as one resumable eval.
//!
//! Each finished episode goes to the [`Store`] (the source of truth, flushed per episode) and
//! then to `OUT/trajectories.jsonl`. A rerun with the same run id skips what the store holds and
//! first rewrites the JSONL from the store, so a `kill -9` at any point loses at most the episode
//! in flight and never counts one twice.

use crate::env::{Environment, TaskSpec};
use crate::llm::Usage;
use crate::reflexion::Reflexion;
use crate::store::Store;
use crate::trajectory::{append_jsonl, Episode};
use async_trait::async_trait;
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
pub fn sync_jsonl(store: &Store, run: &str, out: &Path) -> anyhow::Result<Vec<Episode>> {
    let eps = store.episodes(run)?;
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

/// Runs the trials of one task: Reflexion over a ReAct agent, or any other policy (an oracle, a
/// scripted baseline) that records its episodes in a [`Store`] so runs can resume.
#[async_trait]
pub trait TaskRunner: Send + Sync {
    /// Runs every trial of `task` in `env`, reusing the episodes `store()` already holds under
    /// `run` and storing new ones as they finish.
    async fn run_task(
        &self,
        run: &str,
        env: &mut dyn Environment,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>>;
    /// Where finished episodes live (the source of truth for resume).
    fn store(&self) -> &Store;
}

#[async_trait]
impl TaskRunner for Reflexion {
    async fn run_task(
        &self,
        run: &str,
        env: &mut dyn Environment,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        self.run(run, env, task).await
    }
    fn store(&self) -> &Store {
        &self.store
    }
}

/// Runs every task, up to `concurrency` at once (each task's trials in order), resuming from
/// the store; calls `on_episode` for each episode as its task finishes (new or resumed) for
/// progress display. Results come back in task order.
///
/// With a local llama.cpp model, concurrent tasks share its single worker (their requests
/// interleave; give the model at least `concurrency` KV slots so each keeps its prefix); with an
/// OpenAI-compatible server they run truly in parallel.
pub async fn run_eval(
    runner: &dyn TaskRunner,
    run: &str,
    tasks: &[TaskSpec],
    make_env: &(dyn Fn(&TaskSpec) -> anyhow::Result<Box<dyn Environment>> + Sync),
    out: &Path,
    concurrency: usize,
    on_episode: &(dyn Fn(&Episode, bool) + Sync),
) -> anyhow::Result<Vec<Vec<Episode>>> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let already = sync_jsonl(runner.store(), run, out)?;
    let jsonl = jsonl_path(out);
    let write = std::sync::Mutex::new(());
    let (already, jsonl_ref, write_ref) = (&already, &jsonl, &write);
    let one = move |(i, task)| {
        let (jsonl, write) = (jsonl_ref, write_ref);
        async move {
            let task: &TaskSpec = task;
            let mut env = make_env(task)?;
            let before: Vec<u32> = already
                .iter()
                .filter(|e| e.task.id == task.id)
                .map(|e| e.trial)
                .collect();
            let eps = runner.run_task(run, env.as_mut(), task).await?;
            {
                let _g = write.lock().unwrap_or_else(|p| p.into_inner());
                for e in &eps {
                    let resumed = before.contains(&e.trial);
                    if !resumed {
                        append_jsonl(jsonl, e)?;
                    }
                    on_episode(e, resumed);
                }
            }
            anyhow::Ok((i, eps))
        }
    };
    let mut results: Vec<(usize, Vec<Episode>)> = stream::iter(tasks.iter().enumerate())
        .map(one)
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    results.sort_by_key(|r| r.0);
    Ok(results.into_iter().map(|r| r.1).collect())
}

/// Keeps task `i` of `n` shards: tasks whose position is `i` modulo `n` (`i` counts from 0).
pub fn shard<T: Clone>(items: &[T], i: usize, n: usize) -> Vec<T> {
    items
        .iter()
        .enumerate()
        .filter(|(k, _)| n <= 1 || k % n == i)
        .map(|(_, t)| t.clone())
        .collect()
}

/// Parses `i/n` (e.g. `0/4`): shard `i` of `n`, `i < n`.
pub fn parse_shard(s: &str) -> anyhow::Result<(usize, usize)> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("shard `{s}` is not `i/n` (e.g. 0/4)"))?;
    let (i, n): (usize, usize) = (i.trim().parse()?, n.trim().parse()?);
    anyhow::ensure!(n >= 1 && i < n, "shard `{s}`: need 0 <= i < n");
    Ok((i, n))
}
