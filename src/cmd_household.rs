//! `hone eval household`, `hone env household play|export`, `hone bench household` and
//! `hone report`. Argument parsing and printing: the harness, the agents and the engine live in
//! the crates.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::env::Environment;
use hone_core::eval::{load_dir, parse_shard, Eval, Manifest};
use hone_core::report::RunReport;
use hone_core::{ReflectionVariant, RepeatPolicy, Store, ThoughtPolicy};

hone_core::named_enum! {
    /// What the loop guards do.
    pub enum OnLoop {
        Stop = "stop",
        Redirect = "redirect",
    }
}
use hone_envs::household::harness::{self, Agent, AgentOptions, HouseholdHarness};
use hone_envs::household::{gen, oracle, Game, HouseholdEnv, Split, TaskType, World};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// A standard split (unseen: 134 games in ALFWorld's eval_out_of_distribution mix).
    #[arg(long, value_enum, default_value_t = Split::Unseen)]
    pub split: Split,
    /// Use every *.json game file in this folder instead of a split.
    #[arg(long)]
    pub games_dir: Option<PathBuf>,
    /// Only the first N games.
    #[arg(long)]
    pub games: Option<usize>,
    /// react (ReAct prompts), act (no thoughts), reflexion (ReAct + reflections between
    /// trials), oracle (the BFS planner: a reference row).
    #[arg(long, value_enum, default_value_t = Agent::React)]
    pub agent: Agent,
    /// Trials per game (reflexion: with reflections in between; react/act: plain retries).
    #[arg(long, default_value_t = 1)]
    pub trials: u32,
    /// Reflection variant for --agent reflexion.
    #[arg(long, value_enum, default_value_t = ReflectionVariant::Composite)]
    pub variant: ReflectionVariant,
    /// Run every trial even after a win (measures confidence: does a success stay a success).
    #[arg(long)]
    pub rerun_solved: bool,
    /// Constrain each line to a thought or an admissible action (off in the papers).
    #[arg(long)]
    pub constrain: bool,
    /// Agent lines per episode (ReAct's harness: 49; the environment ends at 50 steps).
    #[arg(long, default_value_t = 49)]
    pub max_steps: usize,
    /// Catch the same line this many times in a row (0: never).
    #[arg(long, default_value_t = 3)]
    pub repeat_limit: usize,
    /// Catch cycles: a stretch of up to N steps said twice with nothing changing (0: off).
    #[arg(long, default_value_t = 0)]
    pub cycle_guard: usize,
    /// At a repeat or cycle: stop the episode, or tell the model and go on (a model that says
    /// the same line as many times again as --repeat-limit is stopped all the same).
    #[arg(long, value_enum, default_value_t = OnLoop::Stop)]
    pub on_loop: OnLoop,
    /// At most K thoughts in a row, then the next line must be an action (constrained: the
    /// grammar drops `think:`; free: the model is told). Unset: as many as it likes.
    #[arg(long, conflicts_with = "alternate")]
    pub max_thoughts: Option<usize>,
    /// ReAct's strict alternation: a thought, then an action, then a thought…
    #[arg(long)]
    pub alternate: bool,
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
    /// Output folder (manifest, store, trajectories.jsonl, summary.json, report.html). Rerun
    /// with the same settings to resume; other settings are refused (use another folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read and write reflections in this memory store, shared by every run pointed at it
    /// (default: each run keeps its own lessons).
    #[arg(long)]
    pub memory: Option<PathBuf>,
    /// --agent code: a skill library (a library folder made by `hone skills`, or a folder of
    /// .py skills such as examples/skills/household); the agent gets the top-k for each goal.
    #[arg(long)]
    pub skills: Option<PathBuf>,
    /// --agent code: skills retrieved per goal (BM25), plus the skills they call.
    #[arg(long, default_value_t = 4)]
    pub top_k: usize,
    /// --agent code: model turns (code blocks) per episode.
    #[arg(long, default_value_t = 10)]
    pub max_turns: usize,
    /// --agent code: environment actions per episode (ALFWorld's limit is 50).
    #[arg(long, default_value_t = 50)]
    pub max_actions: u32,
    /// --agent code: seconds one code block may run.
    #[arg(long, default_value_t = 20)]
    pub snippet_timeout: u64,
}

/// `--agent code`: the code-action runner and its settings.
async fn code_runner(
    a: &EvalArgs,
    manifest: Manifest,
) -> anyhow::Result<(Manifest, Box<dyn hone_core::eval::TaskRunner>)> {
    let (sandbox, library) =
        crate::cmd_skills::code_agent_parts(a.skills.as_deref(), "household").await?;
    let skills = match &library {
        Some(l) => l.fingerprint("household")?,
        None => "none".into(),
    };
    let config = hone_skills::CodeAgentConfig {
        max_turns: a.max_turns,
        max_actions: a.max_actions as usize,
        snippet_timeout: std::time::Duration::from_secs(a.snippet_timeout),
        constrain: a.constrain,
        ..Default::default()
    };
    let trials = a.trials.max(1);
    let variant = if trials > 1 {
        a.variant
    } else {
        ReflectionVariant::Retry
    };
    let manifest = manifest
        .setting("agent", Agent::Code)
        .setting("reflection variant", variant)
        .setting("skills", skills)
        .setting("skills per goal", a.top_k)
        .setting("max turns", a.max_turns)
        .setting("env actions", a.max_actions)
        .setting("snippet timeout s", a.snippet_timeout)
        .setting("constrained", a.constrain)
        .setting("repeat limit", config.repeat_limit)
        .info("trials", trials);
    let model = a.model.open_with_slots(a.concurrency.max(1) as u32 + 1)?;
    let runner = hone_skills::household::KIND
        .runner(model, sandbox, config, library, a.top_k, trials, variant);
    Ok((manifest, Box::new(runner)))
}

pub async fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let games = harness::load_games(Some(a.split), a.games_dir.as_deref(), a.games)?;
    let source = match &a.games_dir {
        Some(d) => format!("{} game files in {}", games.len(), d.display()),
        None => format!("first {} of split {}", games.len(), a.split),
    };
    let mut harness = HouseholdHarness::new(games)?;
    if a.agent == Agent::Code {
        harness = harness.env_steps(a.max_actions);
    }
    let opts = AgentOptions {
        agent: a.agent,
        trials: a.trials,
        variant: a.variant,
        rerun_solved: a.rerun_solved,
        constrain: a.constrain,
        max_steps: a.max_steps,
        repeat_limit: a.repeat_limit,
        cycle_guard: a.cycle_guard,
        on_loop: match a.on_loop {
            OnLoop::Stop => RepeatPolicy::Stop,
            OnLoop::Redirect => RepeatPolicy::Redirect,
        },
        thoughts: match (a.alternate, a.max_thoughts) {
            (true, _) => ThoughtPolicy::Alternate,
            (false, Some(k)) => ThoughtPolicy::AtMost(k),
            (false, None) => ThoughtPolicy::Unlimited,
        },
        action_samples: a.action_samples,
        sample_temperature: a.sample_temperature,
    };
    let mut manifest = Manifest::new("household");
    if a.agent != Agent::Oracle {
        manifest = manifest.setting("model", a.model.identity()?);
    }
    let code = if a.agent == Agent::Code {
        Some(code_runner(&a, manifest.clone()).await?)
    } else {
        None
    };
    let manifest = match &code {
        Some((m, _)) => m.clone(),
        None => opts.manifest(manifest),
    }
    .info("games", source)
    .info("concurrency", a.concurrency);
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/household-{}-{}", a.split, a.agent)));
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let eval = Eval::open(&out, manifest, shard)?
        .concurrency(a.concurrency)
        .trials(opts.trials())
        .title(format!("hone eval household: {} on {}", a.agent, a.split));
    let runner = match code {
        Some((_, runner)) => runner,
        None => {
            let model = match a.agent {
                Agent::Oracle => None,
                _ => Some(a.model.open_with_slots(a.concurrency.max(1) as u32 + 1)?),
            };
            let memory = a.memory.as_ref().map(Store::open).transpose()?;
            opts.runner(&harness, model, memory)?
        }
    };
    let outcome = eval.run(&harness, runner.as_ref()).await?;
    print!("{}", outcome.report.text());
    println!("results: {}", eval.jsonl().display());
    println!("report:  {}", eval.out().join("report.html").display());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A run folder; every trajectories.jsonl below it is included (so shards merge). Several
    /// folders: one comparison row per folder's arm (e.g. react, act, reflexion, oracle).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// With several folders: where to write the comparison page.
    #[arg(long, default_value = "comparison.html")]
    pub out: PathBuf,
    /// The report's title (default: from the run's manifest).
    #[arg(long)]
    pub title: Option<String>,
    /// Trials the run was configured with (default: from the manifest, else the most found).
    #[arg(long)]
    pub trials: Option<u32>,
}

fn dir_report(
    dir: &std::path::Path,
    a: &ReportArgs,
) -> anyhow::Result<(RunReport, Vec<hone_core::Episode>)> {
    let (eps, manifest) = load_dir(dir)?;
    let trials = a
        .trials
        .or_else(|| manifest.as_ref()?.info.get("trials")?.parse().ok())
        .unwrap_or(1);
    let title = a.title.clone().unwrap_or_else(|| match &manifest {
        Some(m) => format!("hone eval {}", m.harness),
        None => "hone eval report".into(),
    });
    let mut r = RunReport::from_episodes(&title, &eps, trials);
    if let Some(m) = manifest {
        r.settings = m.rows();
        r.family_labels = m.family_labels;
    }
    Ok((r, eps))
}

/// `hone report DIR…`: one report over every trajectories.jsonl under DIR (merges shards); with
/// several folders, a comparison with one row per folder (and arm).
pub fn report(a: ReportArgs) -> anyhow::Result<()> {
    if let [dir] = a.dirs.as_slice() {
        let (report, eps) = dir_report(dir, &a)?;
        hone_core::eval::write_report(dir, &report, &eps)?;
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
        runs.push((name, dir_report(d, &a)?.0));
    }
    let title = a
        .title
        .clone()
        .unwrap_or_else(|| "hone eval comparison".into());
    let cmp = RunReport::compare(&title, runs);
    print!("{}", cmp.text());
    std::fs::write(&a.out, cmp.html(&[]))
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!("comparison: {}", a.out.display());
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
    /// Task type for --seed (ALFWorld's name, or ReAct's short one: put, clean, heat, cool,
    /// examine, puttwo).
    #[arg(long, value_enum, default_value_t = TaskType::PickAndPlaceSimple)]
    pub task_type: TaskType,
    /// Play game --index of this split.
    #[arg(long, value_enum)]
    pub split: Option<Split>,
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
    if let Some(split) = a.split {
        anyhow::ensure!(
            a.index < split.size(),
            "split {} has {} games",
            split.name(),
            split.size()
        );
        return Ok(split.game(a.index));
    }
    let seed = a.seed.unwrap_or(0);
    Ok(gen::generate(seed, a.task_type, seed))
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
    #[arg(long, value_enum, default_value_t = Split::Unseen)]
    pub split: Split,
    #[arg(long)]
    pub games: Option<usize>,
    /// Folder to write NAME.json files into.
    #[arg(long)]
    pub out: PathBuf,
}

/// `hone env household export`: writes a split's games as game files.
pub fn export(a: ExportArgs) -> anyhow::Result<()> {
    let games = harness::load_games(Some(a.split), None, a.games)?;
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
/// the unseen split through the full eval engine.
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
        let (steps, episodes, secs) = harness::random_play(&worlds, a.steps, render);
        println!(
            "{:<58} {:>12.0} {:>12.2}   ({steps} steps, {episodes} episodes, {secs:.2} s)",
            label,
            steps as f64 / secs,
            1e6 * secs / steps.max(1) as f64,
        );
    }
    // The oracle through the whole engine: manifest, store, JSONL, report.
    let dir = tempfile::tempdir()?;
    let harness = HouseholdHarness::new(games)?;
    let opts = AgentOptions {
        agent: Agent::Oracle,
        ..AgentOptions::default()
    };
    let eval =
        Eval::open(dir.path(), opts.manifest(Manifest::new("household")), None)?.progress(false);
    let runner = opts.runner(&harness, None, None)?;
    let out = eval.run(&harness, runner.as_ref()).await?;
    let steps: usize = out.episodes.iter().map(|e| e.steps.len()).sum();
    println!(
        "oracle eval, unseen split through the engine (store + JSONL + report): {} games, {} won, {steps} steps, {:.2} s wall",
        out.report.arms[0].all.tasks,
        out.report.arms[0].all.won,
        out.wall_s
    );
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// A folder of ALFWorld's data (e.g. json_2.1.1/valid_unseen): every game.tw-pddl below it.
    pub dir: PathBuf,
    /// Folder to write the hone game files into (NAME.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Exit 0 even when some games could not be converted (they are listed either way).
    #[arg(long)]
    pub keep_going: bool,
    /// Print every note on the converted games (differences from ALFWorld, facts ignored).
    #[arg(long)]
    pub notes: bool,
}

/// `hone env household import-alfworld`: ALFWorld's game files as hone game files.
pub fn import_alfworld(a: ImportArgs) -> anyhow::Result<()> {
    use hone_envs::household::alfworld::{import_dir, Outcome};
    let results = import_dir(&a.dir)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let (mut written, mut skipped, mut failed, mut noted) = (0, 0, 0, 0);
    for (path, out) in results {
        match out {
            Outcome::Imported(imp) => {
                let file = a.out.join(format!("{}.json", imp.game.name));
                std::fs::write(&file, serde_json::to_string_pretty(&imp.game)? + "\n")
                    .with_context(|| format!("writing {}", file.display()))?;
                written += 1;
                noted += usize::from(!imp.notes.is_empty());
                if a.notes {
                    for n in &imp.notes {
                        println!("note: {}: {n}", imp.game.name);
                    }
                }
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                tracing::info!("skipped {}: {why}", path.display());
            }
            Outcome::Failed(e) => {
                failed += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    println!(
        "imported {written} games into {} ({noted} with notes{}), skipped {skipped} that ALFWorld \
         does not load either, {failed} could not be converted",
        a.out.display(),
        if a.notes { "" } else { "; --notes lists them" }
    );
    anyhow::ensure!(
        failed == 0 || a.keep_going,
        "{failed} games could not be converted (--keep-going to accept that)"
    );
    Ok(())
}
