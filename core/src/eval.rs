//! The one eval engine every harness runs on (household, reasoning, toy; web and shell next).
//!
//! A harness brings only what is particular to its environment family ([`Harness`]: its tasks,
//! a fresh environment per task, short names for its task families); a [`TaskRunner`] brings the
//! policy (Reflexion over a ReAct agent, an oracle, a set of answer strategies). [`Eval`] does
//! the rest, the same way for all of them:
//!
//! - **one folder per run**, holding `manifest.json` (the settings), the sled store (the source
//!   of truth), `trajectories.jsonl` (the export), `summary.json` and `report.html`;
//! - **safe resume**: rerunning in the folder skips every finished episode; resuming with other
//!   settings (another model, `--constrain`, step limit …) is refused with a message naming
//!   each difference, since mixing two runs' episodes would make the figures meaningless;
//! - **errors as outcomes**: a runner's error on one task (a backend that keeps failing, an
//!   environment that will not start) is recorded as that task's episode and the eval goes on;
//!   a rerun retries exactly those episodes;
//! - concurrency, `--shard i/n` (each shard in `OUT/shard-i-of-n`, merged by [`load_dir`] and
//!   `hone report`), a progress bar, and tasks of one family run back to back (they share their
//!   few-shot prefix, so a local model's KV cache evaluates it once per family).
//!
//! A `kill -9` at any point loses at most the episodes in flight and never counts one twice: the
//! JSONL is rewritten from the store when a run starts and when it ends.

use crate::env::{Environment, TaskSpec};
use crate::report::RunReport;
use crate::store::Store;
use crate::trajectory::{append_jsonl, read_jsonl, Episode, StopReason};
use anyhow::Context;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The run id inside a run folder's store.
pub const RUN: &str = "run";

/// A run's settings, kept in `OUT/manifest.json`. `settings` must match for a run to be resumed;
/// `info` (task count, trials, concurrency …) is recorded but may change between invocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The harness: `household`, `reasoning`, `toy`, …
    pub harness: String,
    pub settings: BTreeMap<String, String>,
    #[serde(default)]
    pub info: BTreeMap<String, String>,
    pub hone_version: String,
    /// The harness's short names for task families (for `hone report`), not compared.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub family_labels: BTreeMap<String, String>,
}

impl Manifest {
    pub fn new(harness: impl Into<String>) -> Self {
        Self {
            harness: harness.into(),
            hone_version: env!("CARGO_PKG_VERSION").to_string(),
            ..Self::default()
        }
    }

    /// A setting a resumed run must share (model, agent, sampling, limits …).
    pub fn setting(mut self, k: impl Into<String>, v: impl ToString) -> Self {
        self.settings.insert(k.into(), v.to_string());
        self
    }

    /// A fact recorded for the reader that may differ between invocations of one run.
    pub fn info(mut self, k: impl Into<String>, v: impl ToString) -> Self {
        self.info.insert(k.into(), v.to_string());
        self
    }

    fn all_settings(&self) -> BTreeMap<String, String> {
        let mut all = self.settings.clone();
        all.insert("harness".into(), self.harness.clone());
        all.insert("hone version".into(), self.hone_version.clone());
        all
    }

    /// The settings that differ from `stored`, as `name: stored X, now Y` lines.
    pub fn differences(&self, stored: &Manifest) -> Vec<String> {
        let (now, then) = (self.all_settings(), stored.all_settings());
        let keys: BTreeSet<&String> = now.keys().chain(then.keys()).collect();
        let show = |v: Option<&String>| v.map_or("(not set)".to_string(), |s| format!("`{s}`"));
        keys.into_iter()
            .filter(|k| now.get(*k) != then.get(*k))
            .map(|k| {
                format!(
                    "{k}: stored {}, now {}",
                    show(then.get(k)),
                    show(now.get(k))
                )
            })
            .collect()
    }

    /// Reads `dir/manifest.json`, if there is one.
    pub fn read(dir: &Path) -> anyhow::Result<Option<Manifest>> {
        let path = dir.join("manifest.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
                format!("{} is not a hone run manifest", path.display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let tmp = dir.join("manifest.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, dir.join("manifest.json"))?;
        Ok(())
    }

    /// The settings then the info, as report rows.
    pub fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![("harness".to_string(), self.harness.clone())];
        rows.extend(self.settings.iter().map(|(k, v)| (k.clone(), v.clone())));
        rows.extend(self.info.iter().map(|(k, v)| (k.clone(), v.clone())));
        rows.push(("hone version".into(), self.hone_version.clone()));
        rows
    }
}

/// What an environment family brings to the engine: tasks, an environment per task, and short
/// names for its task families.
pub trait Harness: Send + Sync {
    /// `household`, `web`, `shell`, `reasoning`, …
    fn name(&self) -> &str;
    /// Every task of the eval (before sharding), in a stable order.
    fn tasks(&self) -> &[TaskSpec];
    /// A fresh environment for `task`; `Ok(None)` for tasks answered without one.
    fn environment(&self, task: &TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>>;
    /// Short labels for task families, for charts and wide tables.
    fn family_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
}

/// What a runner gets for one task: where to store episodes, and its environment.
pub struct TaskContext<'a> {
    pub run: &'a str,
    pub store: &'a Store,
    harness: &'a dyn Harness,
}

impl TaskContext<'_> {
    /// A fresh environment for `task`.
    pub fn environment(&self, task: &TaskSpec) -> anyhow::Result<Box<dyn Environment>> {
        self.harness.environment(task)?.with_context(|| {
            format!(
                "the {} harness has no environment for task `{}`",
                self.harness.name(),
                task.id
            )
        })
    }
}

/// Runs the episodes of one task: Reflexion over a ReAct agent, an oracle, a set of answer
/// strategies… Finished episodes go to `cx.store` under `cx.run` as they end (so a killed eval
/// resumes), and episodes already there are reused, except those that ended on an error.
#[async_trait]
pub trait TaskRunner: Send + Sync {
    async fn run_task(&self, cx: &TaskContext<'_>, task: &TaskSpec)
        -> anyhow::Result<Vec<Episode>>;
}

#[async_trait]
impl TaskRunner for crate::reflexion::Reflexion {
    async fn run_task(
        &self,
        cx: &TaskContext<'_>,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        let mut env = cx.environment(task)?;
        self.run(cx.store, cx.run, env.as_mut(), task).await
    }
}

/// Plays a fixed list of actions in a fresh environment for `task` as one episode of the agent
/// `name` (an oracle's plan, a task's gold commands: reference rows), stored under the run;
/// a stored episode is reused.
pub async fn play_actions(
    cx: &TaskContext<'_>,
    task: &TaskSpec,
    name: &str,
    actions: Vec<String>,
) -> anyhow::Result<Episode> {
    use crate::trajectory::{Action, StepRecord};
    if let Some(ep) = cx.store.finished_episode(cx.run, &task.id, "", 0)? {
        return Ok(ep);
    }
    let t0 = Instant::now();
    let mut env = cx.environment(task)?;
    let mut ep = Episode::new(task.clone(), name);
    env.reset(task).await?;
    for (index, a) in actions.into_iter().enumerate() {
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
    cx.store.put_episode(cx.run, &ep)?;
    Ok(ep)
}

/// An eval in its run folder. See the module docs.
pub struct Eval {
    out: PathBuf,
    store: Store,
    manifest: Manifest,
    shard: Option<(usize, usize)>,
    concurrency: usize,
    trials: u32,
    progress: bool,
    title: String,
}

/// What [`Eval::run`] returns.
pub struct Outcome {
    pub report: RunReport,
    /// Every episode of this invocation's tasks (new and resumed), in task order.
    pub episodes: Vec<Episode>,
    /// Tasks run now (at least one new episode) and tasks taken whole from the store.
    pub computed: usize,
    pub resumed: usize,
    pub wall_s: f64,
}

impl Eval {
    /// Opens the run folder `out` (with `shard` = (i, n), its subfolder `shard-i-of-n`): a new
    /// run writes `manifest`; an existing one must have been started with the same settings.
    pub fn open(
        out: impl Into<PathBuf>,
        manifest: Manifest,
        shard: Option<(usize, usize)>,
    ) -> anyhow::Result<Self> {
        let mut out = out.into();
        let mut manifest = manifest;
        if let Some((i, n)) = shard {
            anyhow::ensure!(n >= 1 && i < n, "shard {i}/{n}: need 0 <= i < n");
            out = out.join(format!("shard-{i}-of-{n}"));
            manifest = manifest.info("shard", format!("{i}/{n}"));
        }
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        if let Some(stored) = Manifest::read(&out)? {
            let diff = manifest.differences(&stored);
            anyhow::ensure!(
                diff.is_empty(),
                "{} holds a run started with other settings:\n  {}\nRerun with the stored \
                 settings to resume it, or start a new run with another --out folder (or delete \
                 this one).",
                out.display(),
                diff.join("\n  ")
            );
        }
        manifest.write(&out)?;
        let store = Store::open(out.join("store"))?;
        let title = format!("hone eval {}", manifest.harness);
        Ok(Self {
            out,
            store,
            manifest,
            shard,
            concurrency: 1,
            trials: 1,
            progress: true,
            title,
        })
    }

    /// Tasks run at once (each task's episodes in order).
    pub fn concurrency(mut self, k: usize) -> Self {
        self.concurrency = k.max(1);
        self
    }

    /// Trials per task the runner was configured with (for the report's per-trial rows).
    pub fn trials(mut self, n: u32) -> Self {
        self.trials = n.max(1);
        self
    }

    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    pub fn title(mut self, t: impl Into<String>) -> Self {
        self.title = t.into();
        self
    }

    /// The run folder (the shard's, when sharded).
    pub fn out(&self) -> &Path {
        &self.out
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The JSONL export.
    pub fn jsonl(&self) -> PathBuf {
        jsonl_path(&self.out)
    }

    /// Runs every task of `harness` (this shard's) with `runner`, resuming from the store, then
    /// writes `summary.json` and `report.html` and returns the report.
    pub async fn run(
        &self,
        harness: &dyn Harness,
        runner: &dyn TaskRunner,
    ) -> anyhow::Result<Outcome> {
        use futures_util::stream::{self, StreamExt};
        let t0 = Instant::now();
        let labels = harness.family_labels();
        if !labels.is_empty() && labels != self.manifest.family_labels {
            let mut m = self.manifest.clone();
            m.family_labels = labels.clone();
            m.write(&self.out)?;
        }
        let mut tasks = match self.shard {
            Some((i, n)) => shard(harness.tasks(), i, n),
            None => harness.tasks().to_vec(),
        };
        tasks.sort_by(|a, b| a.family.cmp(&b.family));
        let before = sync_jsonl(&self.store, RUN, &self.out)?;
        let bar = progress_bar(self.progress, tasks.len());
        let tally = std::sync::Mutex::new((0usize, 0usize));
        let write = std::sync::Mutex::new(());
        let jsonl = self.jsonl();
        let (before, tally_ref, write_ref, jsonl_ref, bar_ref) =
            (&before, &tally, &write, &jsonl, &bar);
        let one = |(i, task)| async move {
            let task: &TaskSpec = task;
            let cx = TaskContext {
                run: RUN,
                store: &self.store,
                harness,
            };
            let stored: Vec<&Episode> = before.iter().filter(|e| e.task.id == task.id).collect();
            let eps = match runner.run_task(&cx, task).await {
                Ok(eps) => {
                    self.clear_task_error(task, &eps)?;
                    eps
                }
                Err(e) => vec![self.record_task_error(task, &e)?],
            };
            let fresh = eps.iter().filter(|e| !stored.contains(e)).count();
            {
                let _g = write_ref.lock().unwrap_or_else(|p| p.into_inner());
                for e in eps.iter().filter(|e| !stored.contains(e)) {
                    append_jsonl(jsonl_ref, e)?;
                }
                let mut t = tally_ref.lock().unwrap_or_else(|p| p.into_inner());
                t.0 += usize::from(eps.iter().any(|e| e.won));
                t.1 += usize::from(eps.iter().any(|e| e.is_error()) && !eps.iter().any(|e| e.won));
                bar_ref.set_message(format!("won {} errors {}", t.0, t.1));
                bar_ref.inc(1);
            }
            anyhow::Ok((i, eps, fresh > 0))
        };
        let mut results: Vec<(usize, Vec<Episode>, bool)> = Vec::with_capacity(tasks.len());
        let mut stream = stream::iter(tasks.iter().enumerate())
            .map(one)
            .buffer_unordered(self.concurrency);
        while let Some(r) = stream.next().await {
            results.push(r?);
        }
        drop(stream);
        bar.finish_and_clear();
        results.sort_by_key(|r| r.0);
        let computed = results.iter().filter(|r| r.2).count();
        let resumed = results.len() - computed;
        sync_jsonl(&self.store, RUN, &self.out)?;
        let episodes: Vec<Episode> = results.into_iter().flat_map(|r| r.1).collect();
        let wall_s = t0.elapsed().as_secs_f64();
        let report = self.report(&episodes).family_labels(labels).note(format!(
            "{} tasks: {computed} run now, {resumed} taken from the store; wall time {wall_s:.1} s",
            tasks.len()
        ));
        self.write_report(&report, &episodes)?;
        Ok(Outcome {
            report,
            episodes,
            computed,
            resumed,
            wall_s,
        })
    }

    /// The report over `episodes`, with the manifest's settings.
    pub fn report(&self, episodes: &[Episode]) -> RunReport {
        let mut r = RunReport::from_episodes(&self.title, episodes, self.trials);
        r.settings = self.manifest.rows();
        r
    }

    /// Writes `summary.json` and `report.html` into the run folder.
    pub fn write_report(&self, report: &RunReport, episodes: &[Episode]) -> anyhow::Result<()> {
        write_report(&self.out, report, episodes)
    }

    /// Records a task the runner could not run at all as one error episode, so the eval goes
    /// on, the report counts it, and a rerun retries it.
    fn record_task_error(&self, task: &TaskSpec, e: &anyhow::Error) -> anyhow::Result<Episode> {
        tracing::warn!(task = %task.id, "task failed: {e:#}");
        let mut ep = Episode::new(task.clone(), "");
        ep.stop = StopReason::EnvError;
        ep.error = Some(format!("{e:#}"));
        self.store.put_episode(RUN, &ep)?;
        Ok(ep)
    }

    /// Drops the error episode of an earlier failed attempt at `task` once a rerun ran it.
    fn clear_task_error(&self, task: &TaskSpec, eps: &[Episode]) -> anyhow::Result<()> {
        let key_reused = eps.iter().any(|e| e.arm.is_empty() && e.trial == 0);
        if !key_reused {
            if let Some(old) = self.store.get_episode(RUN, &task.id, "", 0)? {
                if old.is_error() && old.model.is_empty() {
                    self.store.remove_episode(RUN, &old)?;
                }
            }
        }
        Ok(())
    }
}

fn progress_bar(on: bool, len: usize) -> indicatif::ProgressBar {
    if !on {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} tasks  {msg} [{elapsed} < {eta}]",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Writes `summary.json` (the report's numbers) and `report.html` (with every episode) into `dir`.
pub fn write_report(dir: &Path, report: &RunReport, episodes: &[Episode]) -> anyhow::Result<()> {
    let mut report = report.clone();
    for e in episodes {
        let rel = format!("{SCREENS}/{}.png", file_safe(&e.task.id));
        if dir.join(&rel).is_file() {
            report.images.entry(e.task.id.clone()).or_insert(rel);
        }
    }
    let report = &report;
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(report)?,
    )
    .with_context(|| format!("writing {}", dir.join("summary.json").display()))?;
    std::fs::write(dir.join("report.html"), report.html(episodes))
        .with_context(|| format!("writing {}", dir.join("report.html").display()))?;
    Ok(())
}

/// The folder of a run where environments leave one image per task (`TASK.png`, the task id
/// through [`file_safe`]); the report shows each with its task's episodes.
pub const SCREENS: &str = "screens";

/// A task id as a file name: anything but ASCII letters, digits, `-` and `_` becomes `_`.
pub fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The JSONL export of a run folder.
pub fn jsonl_path(out: &Path) -> PathBuf {
    out.join("trajectories.jsonl")
}

/// Rewrites the JSONL export from the store (atomically), returning the episodes it holds.
pub fn sync_jsonl(store: &Store, run: &str, out: &Path) -> anyhow::Result<Vec<Episode>> {
    let eps = store.episodes(run)?;
    std::fs::create_dir_all(out)?;
    let tmp = out.join("trajectories.jsonl.tmp");
    let _ = std::fs::remove_file(&tmp);
    std::fs::write(&tmp, b"")?;
    for e in &eps {
        append_jsonl(&tmp, e)?;
    }
    std::fs::rename(&tmp, jsonl_path(out))?;
    Ok(eps)
}

/// A run folder read back: the episodes of every `trajectories.jsonl` below `dir` (shards
/// included; the latest copy of an episode wins) and the manifest they share. Shards started
/// with different settings are an error naming the difference.
pub fn load_dir(dir: &Path) -> anyhow::Result<(Vec<Episode>, Option<Manifest>)> {
    let mut files = Vec::new();
    find_jsonl(dir, &mut files)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no trajectories.jsonl under {}",
        dir.display()
    );
    let mut manifest: Option<(PathBuf, Manifest)> = None;
    let mut latest: BTreeMap<(String, String, u32), Episode> = BTreeMap::new();
    for f in &files {
        let folder = f.parent().unwrap_or(dir);
        if let Some(m) = Manifest::read(folder)? {
            match &manifest {
                None => manifest = Some((folder.to_path_buf(), m)),
                Some((first, m0)) => {
                    let diff = m.differences(m0);
                    anyhow::ensure!(
                        diff.is_empty(),
                        "{} and {} were run with other settings:\n  {}",
                        first.display(),
                        folder.display(),
                        diff.join("\n  ")
                    );
                }
            }
        }
        for e in read_jsonl(f).with_context(|| format!("reading {}", f.display()))? {
            latest.insert((e.task.id.clone(), e.arm.clone(), e.trial), e);
        }
    }
    let mut manifest = manifest.map(|(_, m)| m);
    if let Some(m) = manifest.as_mut() {
        m.info.remove("shard");
        if files.len() > 1 {
            m.info.insert(
                "merged".into(),
                format!("{} trajectories.jsonl files", files.len()),
            );
        }
    }
    Ok((latest.into_values().collect(), manifest))
}

fn find_jsonl(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "store") {
                find_jsonl(&p, out)?;
            }
        } else if p.file_name().is_some_and(|n| n == "trajectories.jsonl") {
            out.push(p);
        }
    }
    out.sort();
    Ok(())
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

/// A harness over a fixed task list whose environments come from a function: enough for tests,
/// examples and small custom evals.
pub struct FnHarness<F> {
    name: String,
    tasks: Vec<TaskSpec>,
    make: F,
}

impl<F> FnHarness<F>
where
    F: Fn(&TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> + Send + Sync,
{
    pub fn new(name: impl Into<String>, tasks: Vec<TaskSpec>, make: F) -> Self {
        Self {
            name: name.into(),
            tasks,
            make,
        }
    }
}

impl<F> Harness for FnHarness<F>
where
    F: Fn(&TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> + Send + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }
    fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }
    fn environment(&self, task: &TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> {
        (self.make)(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::KeyDoorWorld;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A runner that wins every task after a short sleep, fails on the tasks named in `fail`,
    /// and records how many run at once.
    struct Sleepy {
        now: AtomicUsize,
        peak: AtomicUsize,
        calls: AtomicUsize,
        fail: Vec<&'static str>,
    }

    impl Sleepy {
        fn new(fail: Vec<&'static str>) -> Self {
            Self {
                now: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                calls: AtomicUsize::new(0),
                fail,
            }
        }
    }

    #[async_trait]
    impl TaskRunner for Sleepy {
        async fn run_task(
            &self,
            cx: &TaskContext<'_>,
            task: &TaskSpec,
        ) -> anyhow::Result<Vec<Episode>> {
            if let Some(e) = cx.store.finished_episode(cx.run, &task.id, "", 0)? {
                return Ok(vec![e]);
            }
            self.calls.fetch_add(1, Ordering::SeqCst);
            anyhow::ensure!(
                !self.fail.contains(&task.id.as_str()),
                "no environment today"
            );
            let _env = cx.environment(task)?;
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            let mut e = Episode::new(task.clone(), "sleepy");
            e.won = true;
            cx.store.put_episode(cx.run, &e)?;
            Ok(vec![e])
        }
    }

    fn harness(n: usize) -> impl Harness {
        let tasks: Vec<TaskSpec> = (0..n)
            .map(|i| TaskSpec::new(format!("t{i}")).family(if i % 2 == 0 { "even" } else { "odd" }))
            .collect();
        FnHarness::new("toy", tasks, |_| {
            Ok(Some(Box::new(KeyDoorWorld::new()) as Box<dyn Environment>))
        })
    }

    #[tokio::test]
    async fn runs_tasks_concurrently_grouped_by_family_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let r = Sleepy::new(vec![]);
        let h = harness(9);
        let eval = Eval::open(dir.path(), Manifest::new("toy"), None)
            .unwrap()
            .concurrency(3)
            .progress(false);
        let out = eval.run(&h, &r).await.unwrap();
        let ids: Vec<&str> = out.episodes.iter().map(|e| e.task.id.as_str()).collect();
        assert_eq!(ids, ["t0", "t2", "t4", "t6", "t8", "t1", "t3", "t5", "t7"]);
        assert_eq!(r.peak.load(Ordering::SeqCst), 3);
        assert_eq!((out.computed, out.resumed), (9, 0));
        assert_eq!(out.report.arms[0].all.won, 9);
        assert_eq!(read_jsonl(&eval.jsonl()).unwrap().len(), 9);
        assert!(dir.path().join("report.html").exists());
        drop(eval);
        // A rerun resumes everything: nothing new runs, nothing is written twice.
        let eval = Eval::open(dir.path(), Manifest::new("toy"), None)
            .unwrap()
            .progress(false);
        let again = eval.run(&h, &r).await.unwrap();
        assert_eq!(again.episodes, out.episodes);
        assert_eq!((again.computed, again.resumed), (0, 9));
        assert_eq!(read_jsonl(&eval.jsonl()).unwrap().len(), 9);
        assert_eq!(r.calls.load(Ordering::SeqCst), 9);
    }

    #[tokio::test]
    async fn a_task_that_fails_is_recorded_and_retried_alone() {
        let dir = tempfile::tempdir().unwrap();
        let h = harness(4);
        let eval = Eval::open(dir.path(), Manifest::new("toy"), None)
            .unwrap()
            .progress(false);
        let out = eval.run(&h, &Sleepy::new(vec!["t1"])).await.unwrap();
        let arm = &out.report.arms[0];
        assert_eq!((arm.all.won, arm.all.errors), (3, 1));
        let bad = out.episodes.iter().find(|e| e.task.id == "t1").unwrap();
        assert!(bad
            .error
            .as_deref()
            .unwrap()
            .contains("no environment today"));
        assert!(out.report.text().contains("env_error 1"));
        let retry = Sleepy::new(vec![]);
        let out = eval.run(&h, &retry).await.unwrap();
        assert_eq!(
            retry.calls.load(Ordering::SeqCst),
            1,
            "only the failed task ran"
        );
        assert_eq!(out.report.arms[0].all.won, 4);
        assert_eq!(eval.store().episodes(RUN).unwrap().len(), 4);
        assert_eq!(read_jsonl(&eval.jsonl()).unwrap().len(), 4);
    }

    #[tokio::test]
    async fn scripted_model_failing_on_one_task_leaves_an_error_episode_retried_alone() {
        use crate::llm::Scripted;
        use crate::{ReactAgent, Reflexion};
        use std::sync::Arc;
        let solve = [
            "go to table 1",
            "take key 1 from table 1",
            "go to door 1",
            "open door 1",
        ];
        // Task 0 wins, task 1's first request fails (a server error), task 2 wins.
        let mut replies: Vec<_> = solve.iter().map(|s| Scripted::says(*s)).collect();
        replies.push(Scripted::fails("server answered 500 after 3 retries"));
        replies.extend(solve.iter().map(|s| Scripted::says(*s)));
        let model = Arc::new(Scripted::replies(replies));
        let rx = Reflexion::new(ReactAgent::builder_arc(model.clone()).build()).trials(2);
        let tasks: Vec<TaskSpec> = (0..3)
            .map(|i| TaskSpec::new(format!("door-{i}")).family("key_door"))
            .collect();
        let h = FnHarness::new("toy", tasks, |_| {
            Ok(Some(Box::new(KeyDoorWorld::new()) as Box<dyn Environment>))
        });
        let dir = tempfile::tempdir().unwrap();
        let eval = Eval::open(dir.path(), Manifest::new("toy"), None)
            .unwrap()
            .trials(2)
            .progress(false);
        let out = eval.run(&h, &rx).await.unwrap();
        assert_eq!(model.remaining(), 0);
        let arm = &out.report.arms[0];
        assert_eq!((arm.all.won, arm.all.errors, arm.all.failed()), (2, 1, 0));
        let bad: Vec<&Episode> = out
            .episodes
            .iter()
            .filter(|e| e.task.id == "door-1")
            .collect();
        assert_eq!(
            bad.len(),
            1,
            "no second trial and no reflection after an error"
        );
        assert_eq!(bad[0].stop, StopReason::ModelError);
        assert!(bad[0].error.as_deref().unwrap().contains("500"));
        assert!(out.report.text().contains("model_error 1"));
        // The rerun retries only the errored episode.
        let model = Arc::new(Scripted::new(solve));
        let rx = Reflexion::new(ReactAgent::builder_arc(model.clone()).build()).trials(2);
        let out = eval.run(&h, &rx).await.unwrap();
        assert_eq!(model.requests().len(), 4);
        assert_eq!(out.report.arms[0].all.won, 3);
        assert_eq!(out.report.arms[0].all.errors, 0);
        assert_eq!(read_jsonl(&eval.jsonl()).unwrap().len(), 3);
    }

    #[test]
    fn resuming_with_other_settings_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest::new("household")
            .setting("model", "a.gguf")
            .setting("constrain", false)
            .info("tasks", 12);
        drop(Eval::open(dir.path(), m.clone(), None).unwrap());
        // Info may change (more games, another concurrency); settings may not.
        drop(Eval::open(dir.path(), m.clone().info("tasks", 24), None).unwrap());
        let err = Eval::open(dir.path(), m.setting("constrain", true), None)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("constrain: stored `false`, now `true`") && err.contains("--out"),
            "{err}"
        );
        assert!(!err.contains("model:"), "{err}");
    }

    #[tokio::test]
    async fn shards_merge_back_into_the_whole_run() {
        let dir = tempfile::tempdir().unwrap();
        let h = harness(7);
        for i in 0..3 {
            let eval = Eval::open(dir.path(), Manifest::new("toy"), Some((i, 3)))
                .unwrap()
                .progress(false);
            eval.run(&h, &Sleepy::new(vec![])).await.unwrap();
        }
        let (eps, m) = load_dir(dir.path()).unwrap();
        assert_eq!(eps.len(), 7);
        assert_eq!(m.unwrap().info["merged"], "3 trajectories.jsonl files");
        // A shard run with other settings does not merge silently.
        let odd = Manifest::new("toy").setting("model", "other");
        Eval::open(dir.path(), odd, Some((0, 4)))
            .unwrap()
            .run(&h, &Sleepy::new(vec![]))
            .await
            .unwrap();
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("model"), "{err}");
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
