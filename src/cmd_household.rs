//! `hone eval household`, `hone env household play|export`, `hone bench household` and
//! `hone report`.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::env::{Environment, TaskSpec};
use hone_core::eval::{parse_shard, run_eval, shard, TaskRunner};
use hone_core::report::RunReport;
use hone_core::{ReflectionVariant, Reflexion, RepeatPolicy, Store};
use hone_envs::household::harness::{self, OracleRunner};
use hone_envs::household::{gen, oracle, Game, HouseholdEnv, Split, TaskType, World};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// train, valid_seen or unseen (134 games in ALFWorld's eval_out_of_distribution mix).
    #[arg(long, default_value = "unseen")]
    pub split: String,
    /// Use every *.json game file in this folder instead of a split.
    #[arg(long)]
    pub games_dir: Option<PathBuf>,
    /// Only the first N games.
    #[arg(long)]
    pub games: Option<usize>,
    /// react (ReAct prompts), act (no thoughts), reflexion (ReAct + reflections between
    /// trials), oracle (the BFS planner: a reference row).
    #[arg(long, default_value = "react")]
    pub agent: String,
    /// Trials per game (reflexion: with reflections in between; react/act: plain retries).
    #[arg(long, default_value_t = 1)]
    pub trials: u32,
    /// Reflection variant for --agent reflexion: retry, keywords, advice, explanation,
    /// instructions, solution, composite.
    #[arg(long, default_value = "composite")]
    pub variant: String,
    /// Run every trial even after a win (measures confidence: does a success stay a success).
    #[arg(long)]
    pub rerun_solved: bool,
    /// Constrain each line to a thought or an admissible action (off in the papers).
    #[arg(long)]
    pub constrain: bool,
    /// Agent lines per episode (ReAct's harness: 49; the environment ends at 50 steps).
    #[arg(long, default_value_t = 49)]
    pub max_steps: usize,
    /// End an episode when the same line comes this many times in a row (0: never).
    #[arg(long, default_value_t = 3)]
    pub repeat_limit: usize,
    /// Soft self-consistency per step: draw N candidate lines in one batched request and keep
    /// the likeliest (Wang et al. 2024). 1: off (greedy, as in the papers).
    #[arg(long, default_value_t = 1)]
    pub action_samples: u32,
    /// Sampling temperature for --action-samples.
    #[arg(long, default_value_t = 0.7)]
    pub sample_temperature: f32,
    /// Games run at once (useful with --server; a local model interleaves them).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Run shard i of n (games whose index is i modulo n), e.g. 0/4; writes to OUT/shard-i-of-n.
    #[arg(long)]
    pub shard: Option<String>,
    /// Output folder (store, trajectories.jsonl, summary.json, report.html). Rerun to resume.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run id inside the store.
    #[arg(long, default_value = "household")]
    pub run: String,
}

fn split_arg(s: &str) -> anyhow::Result<Split> {
    Split::parse(s).with_context(|| format!("unknown split `{s}` (train, valid_seen, unseen)"))
}

pub async fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let split = split_arg(&a.split)?;
    let games = harness::load_games(Some(split), a.games_dir.as_deref(), a.games)?;
    let (tasks, worlds) = harness::worlds(games)?;
    let mut out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/household-{}-{}", a.split, a.agent)));
    let tasks = match &a.shard {
        Some(s) => {
            let (i, n) = parse_shard(s)?;
            out = out.join(format!("shard-{i}-of-{n}"));
            shard(&tasks, i, n)
        }
        None => tasks,
    };
    // Run games of one task type back to back: they share the system message and few-shot
    // examples, so the model's KV cache evaluates that prefix once per type, not once per game.
    let mut tasks = tasks;
    tasks.sort_by(|a, b| a.family.cmp(&b.family));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let store = Store::open(out.join("store"))?;
    let trials = a.trials.max(1);
    let (runner, model_name): (Box<dyn TaskRunner>, String) = match a.agent.as_str() {
        "oracle" => (
            Box::new(OracleRunner {
                worlds: worlds.clone(),
                store,
            }),
            "oracle".into(),
        ),
        "react" | "act" | "reflexion" => {
            let model = a.model.open_with_slots(a.concurrency.max(1) as u32 + 1)?;
            let name = model.name().to_string();
            let mut b = harness::paper_agent(model, a.agent != "act")
                .constrain(a.constrain)
                .max_steps(a.max_steps)
                .action_samples(a.action_samples, a.sample_temperature);
            if a.repeat_limit > 0 {
                b = b.repeat_limit(a.repeat_limit, RepeatPolicy::Stop);
            } else {
                b = b.repeat_limit(usize::MAX, RepeatPolicy::Stop);
            }
            let variant = if a.agent == "reflexion" {
                ReflectionVariant::parse(&a.variant)
                    .with_context(|| format!("unknown reflection variant `{}`", a.variant))?
            } else {
                ReflectionVariant::Retry
            };
            let rx = Reflexion::new(b.build(), store)
                .trials(trials)
                .variant(variant)
                .rerun_solved(a.rerun_solved);
            (Box::new(rx), name)
        }
        other => anyhow::bail!("unknown agent `{other}` (react, act, reflexion, oracle)"),
    };
    let bar = ProgressBar::new(tasks.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} games  won {msg} [{elapsed} < {eta}]",
    )?);
    let won = std::sync::Mutex::new(std::collections::HashSet::<String>::new());
    let make_env = |t: &TaskSpec| -> anyhow::Result<Box<dyn Environment>> {
        let w = worlds
            .get(&t.id)
            .with_context(|| format!("no game `{}`", t.id))?;
        Ok(Box::new(HouseholdEnv::new(w.clone()).react_format(true)))
    };
    let on_episode = |e: &hone_core::Episode, _resumed: bool| {
        let mut won = won.lock().unwrap_or_else(|p| p.into_inner());
        if e.won {
            won.insert(e.task.id.clone());
        }
        let last = a.agent == "oracle" || e.trial + 1 == trials || (e.won && !a.rerun_solved);
        if last {
            bar.set_message(won.len().to_string());
            bar.inc(1);
        }
    };
    let t0 = Instant::now();
    run_eval(
        runner.as_ref(),
        &a.run,
        &tasks,
        &make_env,
        &out,
        a.concurrency,
        &on_episode,
    )
    .await?;
    bar.finish_and_clear();
    let wall = t0.elapsed().as_secs_f64();
    let episodes = runner.store().episodes(&a.run)?;
    let report = RunReport::from_episodes(
        &format!("hone eval household: {} on {}", a.agent, a.split),
        &episodes,
        if a.agent == "oracle" { 1 } else { trials },
    )
    .setting("agent", &a.agent)
    .setting("model", &model_name)
    .setting(
        "games",
        match &a.games_dir {
            Some(d) => format!("{} ({})", tasks.len(), d.display()),
            None => format!("{} of split {}", tasks.len(), split.name()),
        },
    )
    .setting("trials", trials.to_string())
    .setting("constrained", a.constrain.to_string())
    .setting(
        "actions per step",
        if a.action_samples > 1 {
            format!(
                "soft self-consistency over {} samples at T={}",
                a.action_samples, a.sample_temperature
            )
        } else {
            "greedy".into()
        },
    )
    .setting(
        "max steps / repeat limit",
        format!("{} / {}", a.max_steps, a.repeat_limit),
    )
    .setting("shard", a.shard.clone().unwrap_or_else(|| "-".into()))
    .setting("wall time of this invocation", format!("{wall:.1} s"));
    write_report(&out, &report)?;
    print!("{}", report.text());
    println!("wall time {wall:.1} s");
    println!("results: {}", hone_core::eval::jsonl_path(&out).display());
    println!("report:  {}", out.join("report.html").display());
    Ok(())
}

fn write_report(out: &Path, report: &RunReport) -> anyhow::Result<()> {
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    std::fs::write(out.join("report.html"), report.html())?;
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A run folder; every trajectories.jsonl below it is included (so shards merge). Several
    /// folders: one comparison row per folder (e.g. react, act, reflexion, oracle).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// With several folders: where to write the comparison page.
    #[arg(long, default_value = "comparison.html")]
    pub out: PathBuf,
    #[arg(long, default_value = "hone eval report")]
    pub title: String,
    /// Trials the run was configured with (default: the most found).
    #[arg(long, default_value_t = 1)]
    pub trials: u32,
}

fn dir_report(dir: &Path, title: &str, trials: u32) -> anyhow::Result<RunReport> {
    let mut files = Vec::new();
    find_jsonl(dir, &mut files)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no trajectories.jsonl under {}",
        dir.display()
    );
    let mut eps = Vec::new();
    for f in &files {
        eps.extend(
            hone_core::trajectory::read_jsonl(f)
                .with_context(|| format!("reading {}", f.display()))?,
        );
    }
    Ok(RunReport::from_episodes(title, &eps, trials).setting(
        "sources",
        format!("{} trajectories.jsonl file(s)", files.len()),
    ))
}

/// `hone report DIR…`: one report over every trajectories.jsonl under DIR (merges shards); with
/// several folders, a comparison with one row per folder.
pub fn report(a: ReportArgs) -> anyhow::Result<()> {
    if let [dir] = a.dirs.as_slice() {
        let report = dir_report(dir, &a.title, a.trials)?;
        write_report(dir, &report)?;
        print!("{}", report.text());
        println!("report:  {}", dir.join("report.html").display());
        return Ok(());
    }
    let mut runs = Vec::new();
    for d in &a.dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| d.display().to_string());
        runs.push((name, dir_report(d, &a.title, a.trials)?));
    }
    print!("{}", hone_core::report::comparison_text(&runs));
    std::fs::write(&a.out, hone_core::report::comparison_html(&a.title, &runs))
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!("comparison: {}", a.out.display());
    Ok(())
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

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// A game file.
    #[arg(long, conflicts_with_all = ["seed", "split"])]
    pub game: Option<PathBuf>,
    /// Generate a game from this seed.
    #[arg(long, conflicts_with = "split")]
    pub seed: Option<u64>,
    /// Task type for --seed (put, clean, heat, cool, examine, puttwo or the full name).
    #[arg(long, default_value = "put")]
    pub task_type: String,
    /// Play game --index of this split.
    #[arg(long)]
    pub split: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub index: usize,
    /// Print the admissible commands after each observation.
    #[arg(long)]
    pub admissible: bool,
    /// Print observations as ALFWorld does (with the header and `You arrive at loc N.`) rather
    /// than as the ReAct harness shows them.
    #[arg(long)]
    pub raw: bool,
    /// Print the oracle's plan first.
    #[arg(long)]
    pub walkthrough: bool,
}

fn chosen_game(a: &PlayArgs) -> anyhow::Result<Game> {
    if let Some(p) = &a.game {
        return harness::load_game(p);
    }
    if let Some(s) = &a.split {
        let split = split_arg(s)?;
        anyhow::ensure!(
            a.index < split.size(),
            "split {} has {} games",
            split.name(),
            split.size()
        );
        return Ok(split.game(a.index));
    }
    let t = TaskType::parse(&a.task_type)
        .with_context(|| format!("unknown task type `{}`", a.task_type))?;
    let seed = a.seed.unwrap_or(0);
    Ok(gen::generate(seed, t, seed))
}

/// `hone env household play`: commands on stdin, observations on stdout.
pub fn play(a: PlayArgs) -> anyhow::Result<()> {
    let game = chosen_game(&a)?;
    let world = Arc::new(World::new(game)?);
    if a.walkthrough {
        let plan = oracle::walkthrough(&world).context("the oracle found no plan")?;
        println!("walkthrough: {}", plan.join(" | "));
    }
    let mut env = HouseholdEnv::new(world).react_format(!a.raw);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{}", env.restart())?;
    if a.admissible {
        writeln!(out, "[admissible: {}]", env.admissible().join(" | "))?;
    }
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let s = match line.trim().strip_prefix("think:") {
            Some(t) => env.think(t).expect("household counts thoughts"),
            None => env.act(&line),
        };
        writeln!(out, "> {}\n{}", line.trim(), s.observation)?;
        if a.admissible && !s.done {
            writeln!(out, "[admissible: {}]", env.admissible().join(" | "))?;
        }
        if s.done {
            writeln!(
                out,
                "[done: {} after {} steps]",
                if s.won { "won" } else { "lost" },
                env.steps()
            )?;
            break;
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[arg(long, default_value = "unseen")]
    pub split: String,
    #[arg(long)]
    pub games: Option<usize>,
    /// Folder to write NAME.json files into.
    #[arg(long)]
    pub out: PathBuf,
}

/// `hone env household export`: writes a split's games as game files.
pub fn export(a: ExportArgs) -> anyhow::Result<()> {
    let split = split_arg(&a.split)?;
    let games = harness::load_games(Some(split), None, a.games)?;
    std::fs::create_dir_all(&a.out)?;
    for g in &games {
        std::fs::write(
            a.out.join(format!("{}.json", g.name)),
            serde_json::to_string_pretty(g)? + "\n",
        )?;
    }
    println!("wrote {} game files to {}", games.len(), a.out.display());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Steps of random admissible play per measurement.
    #[arg(long, default_value_t = 1_000_000)]
    pub steps: usize,
}

/// `hone bench household`: random admissible play (steps/s, single thread) and the oracle over
/// the unseen split through the full eval harness.
pub async fn bench(a: BenchArgs) -> anyhow::Result<()> {
    let games = Split::Unseen.games();
    let worlds: Vec<Arc<World>> = games
        .iter()
        .map(|g| World::new(g.clone()).map(Arc::new))
        .collect::<anyhow::Result<_>>()?;
    println!(
        "hone bench household (one thread; ALFWorld's Python stack: ~10-15 steps/s, alfworld#23)"
    );
    println!("{:<58} {:>12} {:>12}", "measurement", "steps/s", "µs/step");
    for (label, render) in [
        (
            "random admissible play, admissible rendered as strings",
            true,
        ),
        ("random admissible play, admissible as commands", false),
    ] {
        let mut rng = gen::Rng::new(1);
        let mut done_steps = 0usize;
        let mut episodes = 0usize;
        let t0 = Instant::now();
        let mut cmds = Vec::new();
        'outer: loop {
            for w in &worlds {
                let mut env = HouseholdEnv::new(w.clone()).react_format(true);
                env.restart();
                loop {
                    let s = if render {
                        let acts = env.admissible();
                        let a = rng.pick(&acts);
                        env.act(a)
                    } else {
                        cmds.clear();
                        cmds.extend_from_slice(env.admissible_cmds());
                        let c = *rng.pick(&cmds);
                        let text = w.render_string(c);
                        env.act(&text)
                    };
                    done_steps += 1;
                    if s.done {
                        break;
                    }
                }
                episodes += 1;
                if done_steps >= a.steps {
                    break 'outer;
                }
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "{:<58} {:>12.0} {:>12.2}   ({} steps, {} episodes, {:.2} s)",
            label,
            done_steps as f64 / secs,
            1e6 * secs / done_steps as f64,
            done_steps,
            episodes,
            secs
        );
    }
    // The oracle through the whole harness: store, JSONL, report.
    let dir = tempfile_dir()?;
    let (tasks, worlds) = harness::worlds(games)?;
    let t0 = Instant::now();
    let runner = OracleRunner {
        worlds: worlds.clone(),
        store: Store::open(dir.join("store"))?,
    };
    let make_env = |t: &TaskSpec| -> anyhow::Result<Box<dyn Environment>> {
        Ok(Box::new(
            HouseholdEnv::new(worlds[&t.id].clone()).react_format(true),
        ))
    };
    let results = run_eval(&runner, "bench", &tasks, &make_env, &dir, 1, &|_, _| {}).await?;
    let won = results.iter().filter(|r| r.iter().any(|e| e.won)).count();
    let secs = t0.elapsed().as_secs_f64();
    let steps: usize = results.iter().flatten().map(|e| e.steps.len()).sum();
    println!(
        "oracle eval, unseen split through the harness (store + JSONL): {} games, {won} won, {steps} steps, {:.2} s wall",
        tasks.len(),
        secs
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("hone-bench-household-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
