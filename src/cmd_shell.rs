//! `hone eval shell` and `hone env shell play`: InterCode-Bash's tasks in the bubblewrap jail.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::env::TaskSpec;
use std::path::PathBuf;

hone_core::named_enum! {
    /// The shell agents.
    pub enum ShellAgent {
        React = "react",
        Act = "act",
        Reflexion = "reflexion",
        Code = "code",
        Gold = "gold",
    }
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// `intercode` (InterCode-Bash's 200 tasks on its four file systems), `bundled` (hone's own
    /// 46 graded tasks on its file system 5), or a task file: a JSON list of InterCode tasks
    /// (`query`, `gold`) run on file system --fs.
    #[arg(long, default_value = "intercode")]
    pub tasks: String,
    /// The file system of a --tasks FILE: InterCode's 1 to 4, or hone's 5.
    #[arg(long, default_value_t = 1)]
    pub fs: u8,
    /// Only these task ids (e.g. fs1-0; repeatable).
    #[arg(long = "task-id")]
    pub task_ids: Vec<String>,
    /// Only the first N tasks.
    #[arg(long)]
    pub limit: Option<usize>,
    /// react, act, reflexion, code (Python with `sh.run` and `sh.submit` in the sandbox;
    /// Reflexion between trials), or gold (the gold commands as the agent: the reference row).
    #[arg(long, value_enum, default_value_t = ShellAgent::React)]
    pub agent: ShellAgent,
    #[arg(long, default_value_t = 1)]
    pub trials: u32,
    /// Commands per episode before it is scored as it stands (InterCode: 10 turns).
    #[arg(long, default_value_t = 10)]
    pub max_steps: u32,
    /// At most K thoughts in a row before a command (react, reflexion).
    #[arg(long, default_value_t = 2)]
    pub max_thoughts: usize,
    /// InterCode's multi-turn protocol (its experiments/eval_n_turn.py, the published GPT-4
    /// figures): score the state after every command as if submitted, end the episode at 1.0,
    /// and keep the best turn's reward. Without it only `submit` (or the step limit) scores.
    #[arg(long)]
    pub score_each_turn: bool,
    /// Seconds one command may run.
    #[arg(long, default_value_t = 10)]
    pub command_timeout: u64,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    #[arg(long)]
    pub shard: Option<String>,
    /// --agent code: a skill library folder (or a folder of .py shell skills); the agent gets
    /// the top --top-k per task.
    #[arg(long)]
    pub skills: Option<PathBuf>,
    /// --agent code: skills retrieved per task.
    #[arg(long, default_value_t = 4)]
    pub top_k: usize,
    /// --agent code: model turns (code blocks) per episode.
    #[arg(long, default_value_t = 6)]
    pub max_turns: usize,
    /// --agent code: seconds one code block may run (each command also has --command-timeout).
    #[arg(long, default_value_t = 60)]
    pub snippet_timeout: u64,
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn load_tasks(a: &EvalArgs) -> anyhow::Result<Vec<TaskSpec>> {
    use hone_envs::shell::task;
    let mut tasks = if a.tasks == "intercode" {
        task::intercode()?
    } else if a.tasks == "bundled" {
        task::bundled()?
    } else {
        let text =
            std::fs::read_to_string(&a.tasks).with_context(|| format!("reading {}", a.tasks))?;
        anyhow::ensure!(
            task::setup_script(a.fs).is_some(),
            "no file system {} (InterCode has 1 to 4, hone's own is 5)",
            a.fs
        );
        task::parse(&text)
            .with_context(|| format!("{} is not an InterCode task file", a.tasks))?
            .iter()
            .enumerate()
            .map(|(i, t)| task::spec(&format!("fs{}-{i}", a.fs), a.fs, t))
            .collect()
    };
    if !a.task_ids.is_empty() {
        for id in &a.task_ids {
            anyhow::ensure!(
                tasks.iter().any(|t| &t.id == id),
                "no task {id} in {}",
                a.tasks
            );
        }
        tasks.retain(|t| a.task_ids.contains(&t.id));
    }
    if let Some(n) = a.limit {
        tasks.truncate(n);
    }
    Ok(tasks)
}

pub async fn eval(a: EvalArgs) -> anyhow::Result<()> {
    use hone_core::eval::{parse_shard, Eval, Manifest};
    use hone_envs::shell::{harness, ShellEnvConfig};
    let tasks = load_tasks(&a)?;
    let trials = if a.agent == ShellAgent::Gold {
        1
    } else {
        a.trials.max(1)
    };
    let variant = match a.agent {
        ShellAgent::Reflexion => hone_core::ReflectionVariant::Composite,
        ShellAgent::Code if trials > 1 => hone_core::ReflectionVariant::Composite,
        _ => hone_core::ReflectionVariant::Retry,
    };
    anyhow::ensure!(
        a.skills.is_none() || a.agent == ShellAgent::Code,
        "--skills is for --agent code"
    );
    let code = if a.agent == ShellAgent::Code {
        Some(crate::cmd_skills::code_agent_parts(a.skills.as_deref(), "shell").await?)
    } else {
        None
    };
    let thoughts = match a.agent {
        ShellAgent::Act => hone_core::ThoughtPolicy::AtMost(0),
        _ => hone_core::ThoughtPolicy::AtMost(a.max_thoughts),
    };
    let mut manifest = Manifest::new("shell")
        .setting("tasks", &a.tasks)
        .setting("agent", a.agent)
        .setting("max steps", a.max_steps)
        .setting("command timeout s", a.command_timeout)
        .info("trials", trials)
        .info("task count", tasks.len())
        .info("concurrency", a.concurrency);
    if a.agent != ShellAgent::Gold {
        manifest = manifest
            .setting("model", a.model.identity()?)
            .setting("reflection variant", variant)
            .setting("thoughts", thoughts.describe());
    }
    if a.score_each_turn {
        // Recorded only when set, so folders made before the option resume.
        manifest = manifest.setting("score each turn", true);
    }
    if let Some((_, library)) = &code {
        let skills = match library {
            Some(l) => l.fingerprint("shell")?,
            None => "none".into(),
        };
        manifest = manifest.setting(
            "code agent",
            format!(
                "skills {skills}, top {}, {} turns, {} s per block",
                a.top_k, a.max_turns, a.snippet_timeout
            ),
        );
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/shell-{}", a.agent)));
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let eval = Eval::open(&out, manifest, shard)?
        .concurrency(a.concurrency)
        .trials(trials)
        .title(format!("hone eval shell: {} on {}", a.agent, a.tasks));
    let mut config = ShellEnvConfig {
        max_steps: a.max_steps,
        score_each_turn: a.score_each_turn,
        ..Default::default()
    };
    config.jail.timeout = std::time::Duration::from_secs(a.command_timeout);
    let h = harness::ShellHarness::new(tasks, config)?;
    let runner: Box<dyn hone_core::eval::TaskRunner> = if a.agent == ShellAgent::Gold {
        Box::new(harness::GoldRunner)
    } else if let Some((sandbox, library)) = code {
        let model = a.model.open_with_slots(a.concurrency.max(1) as u32 + 1)?;
        let config = hone_skills::CodeAgentConfig {
            max_turns: a.max_turns,
            max_actions: a.max_steps as usize,
            snippet_timeout: std::time::Duration::from_secs(a.snippet_timeout),
            ..Default::default()
        };
        Box::new(
            hone_skills::shell::KIND
                .runner(model, sandbox, config, library, a.top_k, trials, variant),
        )
    } else {
        let model = a.model.open_with_slots(a.concurrency.max(1) as u32 + 1)?;
        let think = a.agent != ShellAgent::Act;
        let agent = harness::agent(model, think, a.max_steps as usize * 3 + 1)
            .thoughts(thoughts)
            .build();
        Box::new(
            hone_core::Reflexion::new(agent)
                .trials(trials)
                .variant(variant),
        )
    };
    let outcome = eval.run(&h, runner.as_ref()).await?;
    print!("{}", outcome.report.text());
    // InterCode's second figure: the mean reward (each task's best trial).
    let mut best: std::collections::BTreeMap<&str, f64> = Default::default();
    for e in &outcome.episodes {
        let r = best.entry(e.task.id.as_str()).or_insert(0.0);
        *r = r.max(e.reward);
    }
    if !best.is_empty() {
        println!(
            "mean InterCode reward: {:.3} over {} tasks",
            best.values().sum::<f64>() / best.len() as f64,
            best.len()
        );
    }
    println!("results: {}", eval.jsonl().display());
    println!("report:  {}", eval.out().join("report.html").display());
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum ShellEnvCmd {
    /// Play an InterCode task by hand: bash commands on stdin, their output on stdout,
    /// `submit` to be scored.
    Play(PlayArgs),
}

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// The task's id: InterCode's fs1-0 … fs4-26, or hone's hone-0 … hone-45.
    #[arg(long)]
    pub task: String,
}

pub async fn play(cmd: ShellEnvCmd) -> anyhow::Result<()> {
    use hone_core::env::Environment;
    use hone_envs::shell::{Images, ShellEnv, ShellEnvConfig};
    use std::io::{BufRead, Write};
    let ShellEnvCmd::Play(a) = cmd;
    let ours = hone_envs::shell::task::bundled()?;
    let last = ours.len().saturating_sub(1);
    let mut tasks = hone_envs::shell::task::intercode()?;
    tasks.extend(ours);
    let task = tasks.iter().find(|t| t.id == a.task).with_context(|| {
        format!(
            "no task {} (InterCode's are fs1-0 … fs4-26, hone's hone-0 … hone-{last})",
            a.task
        )
    })?;
    let mut env = ShellEnv::new(
        Images::new()?,
        ShellEnvConfig {
            max_steps: u32::MAX,
            ..Default::default()
        },
    );
    println!("{}", env.reset(task).await?);
    let stdin = std::io::stdin();
    loop {
        print!("$ ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end_matches('\n');
        if line.trim().is_empty() {
            continue;
        }
        let s = env.step(line).await?;
        print!("{}", s.observation);
        if !s.observation.ends_with('\n') {
            println!();
        }
        if s.done {
            println!("reward: {}", s.reward);
            break;
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Commands timed.
    #[arg(long, default_value_t = 200)]
    pub commands: usize,
    /// Episode resets timed.
    #[arg(long, default_value_t = 30)]
    pub resets: usize,
}

/// `hone bench shell`: episode reset (a fresh copy of InterCode's file system 1 and the jail's
/// first command) and per-command latency in the jail against the same command in a plain
/// `bash -c`.
pub async fn bench(a: BenchArgs) -> anyhow::Result<()> {
    use hone_core::env::Environment;
    use hone_envs::shell::{Images, ShellEnv, ShellEnvConfig};
    let images = Images::new()?;
    let t = std::time::Instant::now();
    images.get(1).await?;
    let build = t.elapsed().as_secs_f64() * 1e3;
    let task = hone_envs::shell::task::intercode()?
        .into_iter()
        .next()
        .context("a task")?;
    let mut env = ShellEnv::new(
        images.clone(),
        ShellEnvConfig {
            max_steps: u32::MAX,
            ..Default::default()
        },
    );
    let mut resets = Vec::new();
    for _ in 0..a.resets {
        let t = std::time::Instant::now();
        env.reset(&task).await?;
        env.step("true").await?;
        resets.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cmd = "ls /usr/bin | wc -l";
    let mut jail = Vec::new();
    for _ in 0..a.commands {
        let t = std::time::Instant::now();
        let s = env.step(cmd).await?;
        anyhow::ensure!(!s.done, "the episode ended");
        jail.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut plain = Vec::new();
    for _ in 0..a.commands {
        let t = std::time::Instant::now();
        tokio::process::Command::new("bash")
            .args(["-c", cmd])
            .output()
            .await?;
        plain.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (r50, r95) = crate::stats::p50_p95(resets);
    let (j50, j95) = crate::stats::p50_p95(jail);
    let (b50, b95) = crate::stats::p50_p95(plain);
    println!("InterCode file system 1: image built once in {build:.1} ms");
    println!("{:<52} {:>9} {:>9} {:>8}", "", "p50 ms", "p95 ms", "ratio");
    println!(
        "{:<52} {r50:>9.2} {r95:>9.2}",
        "reset: fresh copy + jail + first command"
    );
    println!(
        "{:<52} {b50:>9.2} {b95:>9.2} {:>8}",
        format!("plain `bash -c '{cmd}'` (a new process)"),
        "1.00x"
    );
    println!(
        "{:<52} {j50:>9.2} {j95:>9.2} {:>7.2}x",
        "the same command in the jail's long-lived shell",
        j50 / b50
    );
    Ok(())
}
