//! `Store`: hone's persistent memory on sled.
//!
//! Trees:
//! - `reflections`: Reflexion's lessons, keyed `family \0 task \0 seq`, so the last `k` of a task
//!   (or of its whole family, for similar tasks) come back in order;
//! - `episodes`: finished episodes keyed `run \0 task \0 trial`, written (and flushed) as each
//!   episode ends, so a killed eval resumes where it stopped and counts each episode once;
//! - `cache`: a generic keyed byte cache for strategies and tools.
//!
//! Every write that matters is followed by a flush: a `kill -9` loses at most the episode that
//! was running.

use crate::env::TaskSpec;
use crate::trajectory::Episode;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A lesson written after a failed trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    pub task_id: String,
    pub family: String,
    pub trial: u32,
    pub text: String,
}

/// Persistent memory. Cheap to clone (sled handles are shared).
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    reflections: sled::Tree,
    episodes: sled::Tree,
    cache: sled::Tree,
}

fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p);
    }
    k
}

impl Store {
    /// Opens (or creates) the store in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let db = sled::open(path)
            .map_err(|e| anyhow::anyhow!("opening the store at {}: {e}", path.display()))?;
        Ok(Self {
            reflections: db.open_tree("reflections")?,
            episodes: db.open_tree("episodes")?,
            cache: db.open_tree("cache")?,
            db,
        })
    }

    /// A store in a fresh temporary directory (tests, one-off runs).
    pub fn temporary() -> anyhow::Result<Self> {
        let db = sled::Config::new().temporary(true).open()?;
        Ok(Self {
            reflections: db.open_tree("reflections")?,
            episodes: db.open_tree("episodes")?,
            cache: db.open_tree("cache")?,
            db,
        })
    }

    pub fn flush(&self) -> anyhow::Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Stores a reflection for `task` and flushes.
    pub fn add_reflection(&self, task: &TaskSpec, trial: u32, text: &str) -> anyhow::Result<()> {
        let seq = self.db.generate_id()?;
        let k = key(&[
            task.family.as_bytes(),
            task.id.as_bytes(),
            &seq.to_be_bytes(),
        ]);
        let r = Reflection {
            task_id: task.id.clone(),
            family: task.family.clone(),
            trial,
            text: text.to_string(),
        };
        self.reflections.insert(k, serde_json::to_vec(&r)?)?;
        self.flush()
    }

    /// The last `k` reflections on this task, oldest first.
    pub fn reflections_for_task(
        &self,
        task: &TaskSpec,
        k: usize,
    ) -> anyhow::Result<Vec<Reflection>> {
        let mut prefix = key(&[task.family.as_bytes(), task.id.as_bytes()]);
        prefix.push(0);
        self.last_k(&prefix, k)
    }

    /// The last `k` reflections on any task of this family (for similar, unseen tasks).
    pub fn reflections_for_family(
        &self,
        family: &str,
        k: usize,
    ) -> anyhow::Result<Vec<Reflection>> {
        let mut prefix = family.as_bytes().to_vec();
        prefix.push(0);
        let mut all: Vec<(u64, Reflection)> = Vec::new();
        for item in self.reflections.scan_prefix(&prefix) {
            let (k_, v) = item?;
            let seq = k_
                .get(k_.len().saturating_sub(8)..)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            all.push((seq, serde_json::from_slice(&v)?));
        }
        all.sort_by_key(|(s, _)| *s);
        let skip = all.len().saturating_sub(k);
        Ok(all.into_iter().skip(skip).map(|(_, r)| r).collect())
    }

    fn last_k(&self, prefix: &[u8], k: usize) -> anyhow::Result<Vec<Reflection>> {
        let mut out = Vec::new();
        for item in self.reflections.scan_prefix(prefix).rev().take(k) {
            out.push(serde_json::from_slice(&item?.1)?);
        }
        out.reverse();
        Ok(out)
    }

    fn episode_key(run: &str, task_id: &str, trial: u32) -> Vec<u8> {
        key(&[run.as_bytes(), task_id.as_bytes(), &trial.to_be_bytes()])
    }

    /// Records a finished episode of `run` and flushes. Writing the same (run, task, trial)
    /// again replaces it, so an episode is never counted twice.
    pub fn put_episode(&self, run: &str, ep: &Episode) -> anyhow::Result<()> {
        self.episodes.insert(
            Self::episode_key(run, &ep.task.id, ep.trial),
            serde_json::to_vec(ep)?,
        )?;
        self.flush()
    }

    pub fn get_episode(
        &self,
        run: &str,
        task_id: &str,
        trial: u32,
    ) -> anyhow::Result<Option<Episode>> {
        match self.episodes.get(Self::episode_key(run, task_id, trial))? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// Every episode of `run`, ordered by task id then trial.
    pub fn episodes(&self, run: &str) -> anyhow::Result<Vec<Episode>> {
        let mut prefix = run.as_bytes().to_vec();
        prefix.push(0);
        self.episodes
            .scan_prefix(prefix)
            .map(|item| Ok(serde_json::from_slice(&item?.1)?))
            .collect()
    }

    pub fn cache_get(&self, k: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.cache.get(k)?.map(|v| v.to_vec()))
    }

    pub fn cache_put(&self, k: &[u8], v: &[u8]) -> anyhow::Result<()> {
        self.cache.insert(k, v)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflections_persist_and_come_back_last_k_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let t = TaskSpec::new("g1").family("heat");
        let other = TaskSpec::new("g2").family("heat");
        {
            let s = Store::open(dir.path()).unwrap();
            for i in 0..5 {
                s.add_reflection(&t, i, &format!("lesson {i}")).unwrap();
            }
            s.add_reflection(&other, 0, "other lesson").unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        let got: Vec<String> = s
            .reflections_for_task(&t, 3)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(got, ["lesson 2", "lesson 3", "lesson 4"]);
        let fam: Vec<String> = s
            .reflections_for_family("heat", 2)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(fam, ["lesson 4", "other lesson"]);
        assert!(s.reflections_for_family("cool", 3).unwrap().is_empty());
    }

    #[test]
    fn episodes_are_keyed_once_per_run_task_trial() {
        let s = Store::temporary().unwrap();
        let mut e = Episode::new(TaskSpec::new("a"), "m");
        s.put_episode("run1", &e).unwrap();
        e.won = true;
        s.put_episode("run1", &e).unwrap();
        e.trial = 1;
        s.put_episode("run1", &e).unwrap();
        s.put_episode("run2", &e).unwrap();
        let eps = s.episodes("run1").unwrap();
        assert_eq!(eps.len(), 2);
        assert!(eps[0].won);
        assert!(s.get_episode("run1", "a", 1).unwrap().is_some());
        assert!(s.get_episode("run1", "b", 0).unwrap().is_none());
    }
}
