//! [`ShellEnv`]: one InterCode-Bash task as an [`Environment`]. Reset copies the task's file
//! system image to a fresh folder and starts a jailed bash over it; each action is a bash
//! command whose output is the observation; `submit` ends the episode and scores it with
//! InterCode's reward: the gold command runs in a second fresh copy, and the two copies' changes
//! and the two last outputs are compared.

use super::fs::{copy_image, path_digest, snapshot, status, Image};
use super::jail::{Jail, JailConfig};
use super::reward::{reward, Reward};
use super::task::{setup_script, Gold};
use anyhow::Context;
use async_trait::async_trait;
use hone_core::env::{Environment, Step, TaskSpec};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Built file-system images, shared by every episode of a run (each built once).
pub struct Images {
    dir: tempfile::TempDir,
    built: Mutex<HashMap<u8, Arc<Image>>>,
}

impl Images {
    pub fn new() -> anyhow::Result<Arc<Self>> {
        let dir = tempfile::Builder::new().prefix("hone-shell-").tempdir()?;
        // The jail runs as `nobody`, which must reach the episode folders inside.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        Ok(Arc::new(Self {
            dir,
            built: Mutex::default(),
        }))
    }

    /// The image of InterCode's file system `fs`, built on first use.
    pub async fn get(&self, fs: u8) -> anyhow::Result<Arc<Image>> {
        let mut built = self.built.lock().await;
        if let Some(i) = built.get(&fs) {
            return Ok(i.clone());
        }
        let script = setup_script(fs)
            .with_context(|| format!("no file system {fs} (InterCode's 1 to 4, hone's 5)"))?;
        let img = Arc::new(
            super::fs::build_image(&self.dir.path().join(format!("fs{fs}")), script).await?,
        );
        built.insert(fs, img.clone());
        Ok(img)
    }

    /// A fresh folder under the images' folder.
    fn scratch(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}-{:x}", rand_tag()))
    }
}

fn rand_tag() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// How a shell episode runs.
#[derive(Debug, Clone)]
pub struct ShellEnvConfig {
    pub jail: JailConfig,
    /// Commands per episode before it is scored as it stands (InterCode's agents: 10 turns).
    pub max_steps: u32,
    /// InterCode's multi-turn protocol (experiments/eval_n_turn.py): after every command the
    /// state is scored as if submitted (the agent is not told), the episode ends at a reward of
    /// 1.0, and its reward is the best turn's. Off: only `submit` (or the step limit) scores.
    pub score_each_turn: bool,
}

impl Default for ShellEnvConfig {
    fn default() -> Self {
        Self {
            jail: JailConfig::default(),
            max_steps: 10,
            score_each_turn: false,
        }
    }
}

struct Live {
    image: Arc<Image>,
    jail: Jail,
    gold: Gold,
    last_output: String,
    steps: u32,
    done: bool,
    /// The gold command's run, made on the first scoring and kept for the episode.
    gold_run: Option<GoldRun>,
    /// The best turn's reward so far (`score_each_turn`).
    best: Option<Reward>,
}

impl Live {
    /// Removes the episode's two copies of the file system (the agent's and the gold run's).
    fn remove_copies(&mut self) {
        let _ = std::fs::remove_dir_all(self.jail.root());
        if let Some(g) = self.gold_run.take() {
            let _ = std::fs::remove_dir_all(&g.root);
        }
    }
}

/// The gold command run in a fresh copy: its folder, and its output (`None`: it timed out or
/// the jail failed).
struct GoldRun {
    root: std::path::PathBuf,
    out: Option<String>,
}

/// See the module docs.
pub struct ShellEnv {
    images: Arc<Images>,
    pub config: ShellEnvConfig,
    live: Option<Live>,
    /// The last episode's reward and its parts.
    pub scored: Option<Reward>,
}

impl ShellEnv {
    pub fn new(images: Arc<Images>, config: ShellEnvConfig) -> Self {
        Self {
            images,
            config,
            live: None,
            scored: None,
        }
    }

    /// The reward of the agent's file system and last output as they stand, against the gold
    /// command run (once per episode) in a fresh copy as InterCode runs it.
    async fn judge(&mut self) -> anyhow::Result<Reward> {
        let l = self.live.as_mut().context("no episode")?;
        if l.gold_run.is_none() {
            let root = self.images.scratch("gold");
            copy_image(&l.image, &root)?;
            // InterCode runs the gold command without a time-out; a minute bounds it here.
            let mut gold_config = self.config.jail.clone();
            gold_config.timeout = gold_config.timeout.max(std::time::Duration::from_secs(60));
            let mut gold_jail = Jail::new(&root, gold_config);
            let gold = gold_jail.run(&l.gold.command()).await;
            gold_jail.kill().await;
            let out = match &gold {
                Ok(o) if !o.timed_out => Some(o.text.clone()),
                _ => None,
            };
            l.gold_run = Some(GoldRun { root, out });
        }
        let g_run = l.gold_run.as_ref().context("the gold run")?;
        let agent_root = l.jail.root().to_path_buf();
        let a = status(&l.image.tracked, &snapshot(&agent_root)?);
        let g = status(&l.image.tracked, &snapshot(&g_run.root)?);
        Ok(reward(
            &a,
            &g,
            |p| (path_digest(&agent_root, p), path_digest(&g_run.root, p)),
            &l.last_output,
            g_run.out.as_deref(),
        ))
    }

    /// Ends the episode: scores it (the best turn's reward when every turn is scored), and
    /// cleans up.
    async fn score(&mut self) -> anyhow::Result<Step> {
        {
            let l = self.live.as_mut().context("no episode")?;
            l.done = true;
            l.jail.kill().await;
        }
        let now = self.judge().await?;
        let l = self.live.as_mut().context("no episode")?;
        let r = match l.best.take() {
            Some(b) if b.reward > now.reward => b,
            _ => now,
        };
        self.close(r, "Submitted").await
    }

    /// Ends the episode with reward `r`: the jail killed, both copies removed, the reward
    /// kept in [`ShellEnv::scored`] and reported.
    async fn close(&mut self, r: Reward, what: &str) -> anyhow::Result<Step> {
        let l = self.live.as_mut().context("no episode")?;
        l.done = true;
        l.jail.kill().await;
        l.remove_copies();
        Ok(self.finish(r, what))
    }

    /// After a turn (`obs` its observation): with every turn scored, ends the episode at 1.0
    /// and otherwise keeps the best turn; at the step limit, scores the episode.
    async fn after_turn(&mut self, obs: String) -> anyhow::Result<Step> {
        let max = self.config.max_steps;
        let steps = self.live.as_ref().context("no episode")?.steps;
        if self.config.score_each_turn && steps < max {
            let r = self.judge().await?;
            let l = self.live.as_mut().context("no episode")?;
            if r.success() {
                let mut s = self.close(r, "Solved (scored after every command)").await?;
                s.observation = format!("{obs}\n{}", s.observation);
                return Ok(s);
            }
            if l.best.as_ref().is_none_or(|b| r.reward > b.reward) {
                l.best = Some(r);
            }
            return Ok(Step::obs(obs));
        }
        if steps >= max {
            let mut s = self.score().await?;
            s.observation = format!("{obs}\n{}", s.observation);
            return Ok(s);
        }
        Ok(Step::obs(obs))
    }

    fn finish(&mut self, r: Reward, what: &str) -> Step {
        let won = r.success();
        let obs = format!(
            "{what}. Reward {:.2} (files {:.2}, contents {:.2}, output {:.2}).",
            r.reward, r.file_diff, r.file_changes, r.answer_similarity
        );
        let info = serde_json::to_value(&r).unwrap_or_default();
        let reward = r.reward;
        self.scored = Some(r);
        Step {
            observation: obs,
            // InterCode's reward itself (an episode's reward in the trajectory is its sum).
            reward,
            done: true,
            won,
            info,
        }
    }
}

#[async_trait]
impl Environment for ShellEnv {
    async fn reset(&mut self, task: &TaskSpec) -> anyhow::Result<String> {
        if let Some(mut l) = self.live.take() {
            l.jail.kill().await;
            l.remove_copies();
        }
        self.scored = None;
        let fs = task.config["fs"]
            .as_u64()
            .context("the task names no file system (fs)")? as u8;
        let gold: Gold = serde_json::from_value(task.config["gold"].clone())
            .with_context(|| format!("task {} has no gold command", task.id))?;
        let image = self.images.get(fs).await?;
        let root = self.images.scratch("episode");
        copy_image(&image, &root)?;
        self.live = Some(Live {
            image,
            jail: Jail::new(root, self.config.jail.clone()),
            gold,
            last_output: String::new(),
            steps: 0,
            done: false,
            gold_run: None,
            best: None,
        });
        Ok(task.goal.clone())
    }

    async fn step(&mut self, action: &str) -> anyhow::Result<Step> {
        let l = self.live.as_mut().context("no episode: reset first")?;
        if l.done {
            return Ok(Step {
                observation: "The episode is over.".into(),
                reward: 0.0,
                done: true,
                won: false,
                info: serde_json::Value::Null,
            });
        }
        let cmd = action.trim();
        if cmd == "submit" {
            if !self.config.score_each_turn {
                return self.score().await;
            }
            // InterCode's eval_n_turn.py: a submit is one more turn, scored like the others;
            // its observation is the last command's output, and only 1.0 ends the episode.
            l.steps += 1;
            let obs = l.last_output.clone();
            return self.after_turn(obs).await;
        }
        l.steps += 1;
        let out = l.jail.run(cmd).await?;
        let mut obs = out.text.clone();
        if out.timed_out {
            obs = format!(
                "Command timed out after {} s; the shell was restarted in {}.",
                self.config.jail.timeout.as_secs(),
                l.jail.cwd()
            );
        } else if out.status.is_none() {
            obs.push_str("\n(The shell exited; a new one starts with the next command.)");
        }
        if out.truncated {
            obs.push_str(&format!(
                "\n(Output cut at {} bytes.)",
                self.config.jail.max_output
            ));
        }
        if out.restarted {
            obs = format!("(A new shell: variables set earlier are gone.)\n{obs}");
        }
        l.last_output = out.text;
        self.after_turn(obs).await
    }

    async fn end(&mut self, _reason: &str) -> anyhow::Result<Option<Step>> {
        match &self.live {
            Some(l) if !l.done => Ok(Some(self.score().await?)),
            _ => Ok(None),
        }
    }
}

impl Drop for ShellEnv {
    fn drop(&mut self) {
        if let Some(l) = self.live.as_mut() {
            l.remove_copies();
        }
    }
}
