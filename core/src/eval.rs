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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::KeyDoorWorld;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A runner that wins every task after a short sleep and records how many run at once.
    struct Sleepy {
        store: Store,
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    #[async_trait]
    impl TaskRunner for Sleepy {
        async fn run_task(
            &self,
            run: &str,
            _env: &mut dyn Environment,
            task: &TaskSpec,
        ) -> anyhow::Result<Vec<Episode>> {
            if let Some(e) = self.store.get_episode(run, &task.id, 0)? {
                return Ok(vec![e]);
            }
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            let mut e = Episode::new(task.clone(), "sleepy");
            e.won = true;
            self.store.put_episode(run, &e)?;
            Ok(vec![e])
        }
        fn store(&self) -> &Store {
            &self.store
        }
    }

    #[tokio::test]
    async fn runs_tasks_concurrently_in_order_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let r = Sleepy {
            store: Store::open(dir.path().join("store")).unwrap(),
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        };
        let tasks: Vec<TaskSpec> = (0..9).map(|i| TaskSpec::new(format!("t{i}"))).collect();
        let make = |_: &TaskSpec| -> anyhow::Result<Box<dyn Environment>> {
            Ok(Box::new(KeyDoorWorld::new()))
        };
        let seen = std::sync::Mutex::new(Vec::new());
        let on =
            |e: &Episode, resumed: bool| seen.lock().unwrap().push((e.task.id.clone(), resumed));
        let res = run_eval(&r, "run", &tasks, &make, dir.path(), 3, &on)
            .await
            .unwrap();
        let ids: Vec<&str> = res.iter().map(|eps| eps[0].task.id.as_str()).collect();
        assert_eq!(ids, ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]);
        assert_eq!(r.peak.load(Ordering::SeqCst), 3);
        assert_eq!(
            crate::trajectory::read_jsonl(&jsonl_path(dir.path()))
                .unwrap()
                .len(),
            9
        );
        // A rerun resumes everything: nothing new runs, nothing is written twice.
        let res2 = run_eval(&r, "run", &tasks, &make, dir.path(), 3, &on)
            .await
            .unwrap();
        assert_eq!(res, res2);
        assert_eq!(
            crate::trajectory::read_jsonl(&jsonl_path(dir.path()))
                .unwrap()
                .len(),
            9
        );
        assert_eq!(seen.lock().unwrap().iter().filter(|s| s.1).count(), 9);
    }

    #[test]
    fn shards_partition_the_tasks() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(shard(&v, 1, 3), [1, 4, 7]);
        let all: usize = (0..3).map(|i| shard(&v, i, 3).len()).sum();
        assert_eq!(all, 10);
        assert_eq!(parse_shard("2/4").unwrap(), (2, 4));
        assert!(parse_shard("4/4").is_err() && parse_shard("x").is_err());
    }
}
