//! `Store`: hone's persistent memory on sled.
//!
//! Trees:
//! - `reflections`: Reflexion's lessons, keyed `memory \0 family \0 task \0 seq`, so the last
//!   `k` of a task (or of its whole family, for similar tasks) come back in order. `memory` names
//!   whose lessons they are: an eval keys them by its run, so two runs never share lessons unless
//!   they are pointed at one memory on purpose;
//! - `episodes`: finished episodes keyed `run \0 task \0 arm \0 trial`, written (and flushed)
//!   as each episode ends, so a killed eval resumes where it stopped and counts each episode once;
//! - `cache`: a generic keyed byte cache for strategies and tools.
//!
//! Every write that matters is followed by a flush: a `kill -9` loses at most the episode that
//! was running. An episode and the reflection written after it are stored in one transaction
//! ([`Store::put_reflection`]), so neither exists without the other.

use crate::env::TaskSpec;
use crate::trajectory::Episode;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Crash tests: when `HONE_FAILPOINT` names this point, the process kills itself with SIGKILL
/// here, as `kill -9` would, so a test can prove that a resumed run loses and duplicates
/// nothing. Points: `episode-stored` (a finished trial is stored, its reflection not yet
/// written).
pub fn failpoint(name: &str) {
    if std::env::var("HONE_FAILPOINT").is_ok_and(|v| v == name) {
        tracing::warn!("failpoint {name}: killing the process");
        let _ = std::process::Command::new("kill")
            .args(["-9", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}

/// A lesson written after a failed trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    /// Whose memory it belongs to (an eval's run id, or a shared memory's name).
    #[serde(default)]
    pub memory: String,
    /// The run whose episode it was written after.
    #[serde(default)]
    pub run: String,
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

    fn reflection_key(memory: &str, task: &TaskSpec, seq: u64) -> Vec<u8> {
        key(&[
            memory.as_bytes(),
            task.family.as_bytes(),
            task.id.as_bytes(),
            &seq.to_be_bytes(),
        ])
    }

    fn reflection_value(
        memory: &str,
        run: &str,
        task: &TaskSpec,
        trial: u32,
        text: &str,
    ) -> Reflection {
        Reflection {
            memory: memory.to_string(),
            run: run.to_string(),
            task_id: task.id.clone(),
            family: task.family.clone(),
            trial,
            text: text.to_string(),
        }
    }

    /// Stores a reflection for `task` in `memory` and flushes.
    pub fn add_reflection(
        &self,
        memory: &str,
        task: &TaskSpec,
        trial: u32,
        text: &str,
    ) -> anyhow::Result<()> {
        self.add_reflection_of_run(memory, "", task, trial, text)
    }

    /// Stores the reflection `run` wrote after `trial` of `task`, unless this memory already
    /// holds it (a rerun after a crash writes it once).
    pub fn add_reflection_of_run(
        &self,
        memory: &str,
        run: &str,
        task: &TaskSpec,
        trial: u32,
        text: &str,
    ) -> anyhow::Result<()> {
        if !run.is_empty()
            && self
                .reflections_for_task(memory, task, usize::MAX)?
                .iter()
                .any(|r| r.run == run && r.trial == trial)
        {
            return Ok(());
        }
        let seq = self.db.generate_id()?;
        let r = Self::reflection_value(memory, run, task, trial, text);
        self.reflections.insert(
            Self::reflection_key(memory, task, seq),
            serde_json::to_vec(&r)?,
        )?;
        self.flush()
    }

    /// Stores `episode` of `run` (already carrying its reflection text) and the reflection in
    /// `memory`, in one transaction: after a crash either both are there or neither is.
    pub fn put_reflection(&self, run: &str, memory: &str, episode: &Episode) -> anyhow::Result<()> {
        use sled::Transactional;
        let text = episode.reflection.as_deref().unwrap_or_default();
        let seq = self.db.generate_id()?;
        let r = serde_json::to_vec(&Self::reflection_value(
            memory,
            run,
            &episode.task,
            episode.trial,
            text,
        ))?;
        let rk = Self::reflection_key(memory, &episode.task, seq);
        let ek = Self::episode_key(run, &episode.task.id, &episode.arm, episode.trial);
        let ev = serde_json::to_vec(episode)?;
        (&self.episodes, &self.reflections)
            .transaction(|(eps, refl)| {
                eps.insert(ek.as_slice(), ev.as_slice())?;
                refl.insert(rk.as_slice(), r.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| anyhow::anyhow!("storing a reflection: {e:?}"))?;
        self.flush()
    }

    /// The last `k` reflections on this task in `memory`, oldest first.
    pub fn reflections_for_task(
        &self,
        memory: &str,
        task: &TaskSpec,
        k: usize,
    ) -> anyhow::Result<Vec<Reflection>> {
        let mut prefix = key(&[
            memory.as_bytes(),
            task.family.as_bytes(),
            task.id.as_bytes(),
        ]);
        prefix.push(0);
        self.last_k(&prefix, k)
    }

    /// The last `k` reflections in `memory` on any task of this family (for similar, unseen
    /// tasks).
    pub fn reflections_for_family(
        &self,
        memory: &str,
        family: &str,
        k: usize,
    ) -> anyhow::Result<Vec<Reflection>> {
        let mut prefix = key(&[memory.as_bytes(), family.as_bytes()]);
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

    fn episode_key(run: &str, task_id: &str, arm: &str, trial: u32) -> Vec<u8> {
        key(&[
            run.as_bytes(),
            task_id.as_bytes(),
            arm.as_bytes(),
            &trial.to_be_bytes(),
        ])
    }

    /// Records a finished episode of `run` and flushes. Writing the same (run, task, arm,
    /// trial) again replaces it, so an episode is never counted twice.
    pub fn put_episode(&self, run: &str, ep: &Episode) -> anyhow::Result<()> {
        self.episodes.insert(
            Self::episode_key(run, &ep.task.id, &ep.arm, ep.trial),
            serde_json::to_vec(ep)?,
        )?;
        self.flush()
    }

    pub fn get_episode(
        &self,
        run: &str,
        task_id: &str,
        arm: &str,
        trial: u32,
    ) -> anyhow::Result<Option<Episode>> {
        match self
            .episodes
            .get(Self::episode_key(run, task_id, arm, trial))?
        {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// A stored episode that finished (one that ended on an error is not: a rerun retries it).
    pub fn finished_episode(
        &self,
        run: &str,
        task_id: &str,
        arm: &str,
        trial: u32,
    ) -> anyhow::Result<Option<Episode>> {
        Ok(self
            .get_episode(run, task_id, arm, trial)?
            .filter(|e| !e.is_error()))
    }

    /// Forgets a stored episode (the engine's placeholder for a task that could not run, once a
    /// rerun has run it).
    pub fn remove_episode(&self, run: &str, ep: &Episode) -> anyhow::Result<()> {
        self.episodes
            .remove(Self::episode_key(run, &ep.task.id, &ep.arm, ep.trial))?;
        self.flush()
    }

    /// Every episode of `run`, ordered by task id, arm, then trial.
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
                s.add_reflection("m", &t, i, &format!("lesson {i}"))
                    .unwrap();
            }
            s.add_reflection("m", &other, 0, "other lesson").unwrap();
            s.add_reflection("other-run", &t, 0, "not mine").unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        let got: Vec<String> = s
            .reflections_for_task("m", &t, 3)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(got, ["lesson 2", "lesson 3", "lesson 4"]);
        let fam: Vec<String> = s
            .reflections_for_family("m", "heat", 2)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(fam, ["lesson 4", "other lesson"]);
        assert!(s.reflections_for_family("m", "cool", 3).unwrap().is_empty());
        assert_eq!(s.reflections_for_task("other-run", &t, 3).unwrap().len(), 1);
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
        assert!(s.get_episode("run1", "a", "", 1).unwrap().is_some());
        assert!(s.get_episode("run1", "b", "", 0).unwrap().is_none());
        e.arm = "sc".into();
        s.put_episode("run1", &e).unwrap();
        assert_eq!(s.episodes("run1").unwrap().len(), 3, "arms are kept apart");
        e.stop = crate::trajectory::StopReason::ModelError;
        s.put_episode("run1", &e).unwrap();
        assert!(s.get_episode("run1", "a", "sc", 1).unwrap().is_some());
        assert!(s.finished_episode("run1", "a", "sc", 1).unwrap().is_none());
    }

    #[test]
    fn an_episode_and_its_reflection_are_stored_together() {
        let s = Store::temporary().unwrap();
        let mut e = Episode::new(TaskSpec::new("a").family("f"), "m");
        s.put_episode("run", &e).unwrap();
        e.reflection = Some("take the key first".into());
        s.put_reflection("run", "run", &e).unwrap();
        let back = s.get_episode("run", "a", "", 0).unwrap().unwrap();
        assert_eq!(back.reflection.as_deref(), Some("take the key first"));
        let r = s.reflections_for_task("run", &e.task, 3).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].text, "take the key first");
    }
}
