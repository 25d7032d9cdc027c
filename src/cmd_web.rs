//! `hone web tasks check` and `hone web judge`: WebArena task files and their string and URL
//! evaluators, without a browser.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_envs::web::evaluate::{string_match, url_match, Judge};
use hone_envs::web::task::{load, parse_sites, summary};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum WebCmd {
    /// Task files: `hone web tasks check FILE`.
    Tasks {
        #[command(subcommand)]
        cmd: TasksCmd,
    },
    /// Score an answer and/or a final URL against a task's string and URL evaluators.
    Judge(JudgeArgs),
}

#[derive(clap::Subcommand, Debug)]
pub enum SitesCmd {
    /// Serve the bundled shop and forum on loopback for people to browse.
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 7770)]
    pub shop_port: u16,
    #[arg(long, default_value_t = 9999)]
    pub forum_port: u16,
}

pub async fn sites(cmd: SitesCmd) -> anyhow::Result<()> {
    let SitesCmd::Serve(a) = cmd;
    let b = hone_envs::web::sites::Bundled::start(a.shop_port, a.forum_port).await?;
    println!(
        "shop  (__SHOPPING__): {}   demo login {} / {}",
        b.shop.url,
        hone_envs::web::sites::shop::EMAIL,
        hone_envs::web::sites::shop::PASSWORD
    );
    println!(
        "forum (__REDDIT__):   {}   demo login {} / {}",
        b.forum.url,
        hone_envs::web::sites::forum::USER,
        hone_envs::web::sites::forum::PASSWORD
    );
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum TasksCmd {
    /// Load a WebArena config file (one task or a list) and report what hone can run.
    Check(CheckArgs),
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    pub file: PathBuf,
    /// Map a site placeholder to a URL, e.g. --site shopping=http://127.0.0.1:7770.
    #[arg(long = "site")]
    pub sites: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct JudgeArgs {
    /// A WebArena config file (one task, or a list with --task-id).
    #[arg(long)]
    pub config: PathBuf,
    #[arg(long)]
    pub task_id: Option<String>,
    /// The agent's final answer (the argument of `stop`).
    #[arg(long)]
    pub answer: Option<String>,
    /// The URL the agent ended on.
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long = "site")]
    pub sites: Vec<String>,
    /// The LLM judge for fuzzy_match (only opened when the task needs one).
    #[command(flatten)]
    pub model: ModelArgs,
}

pub async fn run(cmd: WebCmd) -> anyhow::Result<()> {
    match cmd {
        WebCmd::Tasks {
            cmd: TasksCmd::Check(a),
        } => {
            let f = load(&a.file, &parse_sites(&a.sites)?)?;
            print!("{}", summary(&f));
            anyhow::ensure!(
                f.errors.is_empty(),
                "{} tasks failed to parse",
                f.errors.len()
            );
        }
        WebCmd::Judge(a) => judge(a).await?,
    }
    Ok(())
}

async fn judge(a: JudgeArgs) -> anyhow::Result<()> {
    let f = load(&a.config, &parse_sites(&a.sites)?)?;
    anyhow::ensure!(
        f.errors.is_empty(),
        "{}: {:?}",
        a.config.display(),
        f.errors
    );
    let task = match (&a.task_id, f.tasks.len()) {
        (Some(id), _) => f
            .tasks
            .iter()
            .find(|t| &t.id() == id)
            .with_context(|| format!("no task {id} in {}", a.config.display()))?,
        (None, 1) => &f.tasks[0],
        (None, n) => anyhow::bail!("{n} tasks in the file: pick one with --task-id"),
    };
    println!("task {}: {}", task.id(), task.intent);
    let mut score = 1.0;
    for t in &task.eval.eval_types {
        match t.as_str() {
            "string_match" => {
                let answer = a
                    .answer
                    .as_deref()
                    .context("this task has string_match: give --answer")?;
                let needs_judge = task
                    .eval
                    .reference_answers
                    .as_ref()
                    .is_some_and(|r| r.contains_key("fuzzy_match"));
                let model = if needs_judge {
                    Some(a.model.open()?)
                } else {
                    None
                };
                let j = model.as_deref().map(|m| Judge { model: m });
                let s = string_match(task, answer, j.as_ref()).await?;
                for n in &s.notes {
                    println!("  string_match {n}");
                }
                score *= s.score;
            }
            "url_match" => {
                let url = a
                    .url
                    .as_deref()
                    .context("this task has url_match: give --url")?;
                let r = task.eval.reference_url.clone().unwrap_or_default();
                let s = url_match(url, &r, task.eval.url_note.as_deref())?;
                println!("  url_match {r:?} in {url:?}: {s}");
                score *= s;
            }
            "program_html" => {
                anyhow::bail!("this task has program_html, which needs the page: score it with `hone eval web`")
            }
            other => anyhow::bail!("eval type {other} is not one of WebArena's"),
        }
    }
    println!("score: {score}");
    Ok(())
}

hone_core::named_enum! {
    /// The web agents.
    pub enum WebAgent {
        React = "react",
        Act = "act",
        Reflexion = "reflexion",
        Code = "code",
    }
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// A WebArena config file (one task or a list), or `bundled` for hone's own suite on its
    /// bundled shop and forum (started for the run on free loopback ports).
    #[arg(long, default_value = "bundled")]
    pub tasks: String,
    /// Map a site placeholder to a URL, e.g. --site shopping=http://127.0.0.1:7770.
    #[arg(long = "site")]
    pub sites: Vec<String>,
    /// Only these task ids (repeatable).
    #[arg(long = "task-id")]
    pub task_ids: Vec<String>,
    /// Only the first N tasks (after --task-id).
    #[arg(long)]
    pub limit: Option<usize>,
    /// react (a thought or an action per line), act (actions only), reflexion (react with a
    /// reflection between trials), code (Python with `page.*` in the sandbox; Reflexion between
    /// trials).
    #[arg(long, value_enum, default_value_t = WebAgent::React)]
    pub agent: WebAgent,
    /// Trials per task (reflexion: with reflections in between; react/act: plain retries).
    #[arg(long, default_value_t = 1)]
    pub trials: u32,
    /// Constrain each line to a thought or one of WebArena's actions on the current page's ids.
    #[arg(long)]
    pub constrain: bool,
    /// Actions per episode (WebArena: 30); then the episode is scored as WebArena does after
    /// an early stop.
    #[arg(long, default_value_t = 30)]
    pub max_steps: u32,
    /// Stop after the same action this many times in a row (WebArena: 3; 0: never).
    #[arg(long, default_value_t = 3)]
    pub repeat_limit: usize,
    /// At most K thoughts in a row before an action (react, reflexion).
    #[arg(long, default_value_t = 2)]
    pub max_thoughts: usize,
    /// Episodes run at once (each in its own browser context).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Run shard i of n (tasks whose index is i modulo n), e.g. 0/4.
    #[arg(long)]
    pub shard: Option<String>,
    /// Output folder (manifest, store, trajectories.jsonl, summary.json, report.html,
    /// screens/). Rerun with the same settings to resume.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Connect to a running Chromium's DevTools endpoint (ws://…) instead of launching one.
    #[arg(long)]
    pub cdp: Option<String>,
    /// Where tasks' relative `storage_state` paths start (WebArena's `./.auth/…` files are
    /// relative to its own folder).
    #[arg(long, default_value = ".")]
    pub state_dir: PathBuf,
    /// The LLM judge of WebArena's `fuzzy_match` (and its "N/A" reason check): a catalogued
    /// model or a GGUF file (default: the agent's own model). A small agent model is a poor
    /// judge: a 135M judge has called an early-stop text the right "not achievable" reason.
    #[arg(long)]
    pub judge_model: Option<String>,
    /// --agent code: a skill library folder (or a folder of .py web skills); the agent gets the
    /// top-k for each goal.
    #[arg(long)]
    pub skills: Option<PathBuf>,
    /// --agent code: skills retrieved per goal.
    #[arg(long, default_value_t = 4)]
    pub top_k: usize,
    /// --agent code: model turns (code blocks) per episode.
    #[arg(long, default_value_t = 6)]
    pub max_turns: usize,
    /// --agent code: seconds one code block may run.
    #[arg(long, default_value_t = 30)]
    pub snippet_timeout: u64,
}

pub async fn eval(a: EvalArgs) -> anyhow::Result<()> {
    use hone_core::eval::{parse_shard, Eval, Manifest, SCREENS};
    use hone_envs::web::{browser::Browser, bundled, env::WebEnvConfig, harness, sites};
    let mut site_map = parse_sites(&a.sites)?;
    let served = if a.tasks == "bundled" {
        let b = sites::Bundled::start(0, 0).await?;
        for (k, v) in b.sites() {
            site_map.entry(k).or_insert(v);
        }
        Some(b)
    } else {
        None
    };
    let (file, source) = if a.tasks == "bundled" {
        (bundled::tasks(&site_map)?, "bundled suite".to_string())
    } else {
        let p = PathBuf::from(&a.tasks);
        (load(&p, &site_map)?, p.display().to_string())
    };
    for (i, e) in &file.errors {
        eprintln!("task {i} of {source} is not a WebArena task, left out: {e}");
    }
    let mut tasks = file.tasks;
    if !a.task_ids.is_empty() {
        for id in &a.task_ids {
            anyhow::ensure!(
                tasks.iter().any(|t| &t.id() == id),
                "no task {id} in {source}"
            );
        }
        tasks.retain(|t| a.task_ids.contains(&t.id()));
    }
    let (runnable, unsupported): (Vec<_>, Vec<_>) =
        tasks.into_iter().partition(|t| t.unsupported().is_none());
    for t in &unsupported {
        eprintln!(
            "task {} left out: {}",
            t.id(),
            t.unsupported().unwrap_or_default()
        );
    }
    let mut tasks = runnable;
    if let Some(n) = a.limit {
        tasks.truncate(n);
    }
    anyhow::ensure!(
        !tasks.is_empty(),
        "no task of {source} can run (map its sites with --site NAME=URL)"
    );
    let browser = match &a.cdp {
        Some(url) => Browser::connect(url).await?,
        None => Browser::launch().await?,
    };
    let trials = a.trials.max(1);
    let variant = match a.agent {
        WebAgent::Reflexion => hone_core::ReflectionVariant::Composite,
        WebAgent::Code if trials > 1 => hone_core::ReflectionVariant::Composite,
        _ => hone_core::ReflectionVariant::Retry,
    };
    let thoughts = if a.agent == WebAgent::Act {
        hone_core::ThoughtPolicy::AtMost(0)
    } else {
        hone_core::ThoughtPolicy::AtMost(a.max_thoughts)
    };
    let code = if a.agent == WebAgent::Code {
        Some(crate::cmd_skills::code_agent_parts(a.skills.as_deref(), "web").await?)
    } else {
        None
    };
    let skills = match &code {
        Some((_, Some(l))) => l.fingerprint("web")?,
        _ => "none".into(),
    };
    let manifest = Manifest::new("web")
        .setting("model", a.model.identity()?)
        .setting("tasks", &source)
        .setting("agent", a.agent)
        .setting("reflection variant", variant)
        .setting("constrained", a.constrain)
        .setting("max steps", a.max_steps)
        .setting("repeat limit", a.repeat_limit)
        .setting("thoughts", thoughts.describe())
        .setting(
            "code agent",
            if a.agent == WebAgent::Code {
                format!(
                    "skills {skills}, top {}, {} turns, {} s per block",
                    a.top_k, a.max_turns, a.snippet_timeout
                )
            } else {
                "-".into()
            },
        )
        .info("trials", trials)
        .info("task count", tasks.len())
        .info("concurrency", a.concurrency);
    // Recorded only when set, so folders made before the option resume.
    let manifest = match &a.judge_model {
        Some(m) => manifest.setting("judge", m),
        None => manifest,
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/web-{}", a.agent)));
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let eval = Eval::open(&out, manifest, shard)?
        .concurrency(a.concurrency)
        .trials(trials)
        .title(format!("hone eval web: {} on {source}", a.agent));
    let model = a.model.open_with_slots(a.concurrency.max(1) as u32 + 1)?;
    let config = WebEnvConfig {
        max_steps: a.max_steps,
        state_dir: a.state_dir.clone(),
        ..Default::default()
    };
    let judge = match &a.judge_model {
        Some(m) => {
            let args = crate::model_args::ModelArgs {
                model: Some(m.clone()),
                server: None,
                ..a.model.clone()
            };
            args.open()?
        }
        None => model.clone(),
    };
    let h = harness::WebHarness::new(&tasks, browser, config, Some(judge))
        .screenshots(eval.out().join(SCREENS));
    let runner: Box<dyn hone_core::eval::TaskRunner> = if a.agent == WebAgent::Code {
        let (sandbox, library) = code.context("the code agent's sandbox")?;
        let config = hone_skills::CodeAgentConfig {
            max_turns: a.max_turns,
            max_actions: a.max_steps as usize,
            snippet_timeout: std::time::Duration::from_secs(a.snippet_timeout),
            constrain: a.constrain,
            ..Default::default()
        };
        Box::new(
            hone_skills::web::KIND
                .runner(model, sandbox, config, library, a.top_k, trials, variant),
        )
    } else {
        let think = a.agent != WebAgent::Act;
        // The environment counts actions; the agent's limit counts lines, thoughts included.
        let lines = a.max_steps as usize * if think { 3 } else { 1 } + 1;
        let agent = harness::agent(model, think, lines)
            .constrain(a.constrain)
            .thoughts(thoughts)
            .repeat_limit(
                if a.repeat_limit > 0 {
                    a.repeat_limit
                } else {
                    usize::MAX
                },
                hone_core::RepeatPolicy::Stop,
            )
            .build();
        Box::new(
            hone_core::Reflexion::new(agent)
                .trials(trials)
                .variant(variant),
        )
    };
    let outcome = eval.run(&h, runner.as_ref()).await?;
    drop(served);
    print!("{}", outcome.report.text());
    println!("results: {}", eval.jsonl().display());
    println!("report:  {}", eval.out().join("report.html").display());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Steps timed per figure.
    #[arg(long, default_value_t = 60)]
    pub steps: usize,
    /// Episode resets timed.
    #[arg(long, default_value_t = 20)]
    pub resets: usize,
}

/// The id of the first line of `obs` with this role whose name starts with `name`.
fn id_of(obs: &str, role: &str, name: &str) -> anyhow::Result<String> {
    let needle = format!("] {role} '{name}");
    let line = obs
        .lines()
        .find(|l| l.contains(&needle))
        .with_context(|| format!("no {role} '{name}…' on the page"))?;
    let t = line.trim_start().trim_start_matches('[');
    Ok(t.split(']').next().unwrap_or_default().to_string())
}

/// A browsing cycle on a search-results page of the shop: three in-page actions (scroll,
/// hover, scroll) and two navigations (re-sort the results, go back). Returns each step's wall
/// time in ms and its kind (`scroll`, `hover` or `navigation`).
async fn browse(
    env: &mut hone_envs::web::WebEnv,
    steps: usize,
) -> anyhow::Result<Vec<(f64, &'static str)>> {
    use hone_core::env::Environment;
    let mut out = Vec::new();
    let mut obs = env.observe().await?;
    while out.len() < steps {
        let link = id_of(&obs, "link", "Price: low to high")?;
        for (action, kind) in [
            ("scroll [down]".to_string(), "scroll"),
            (format!("hover [{link}]"), "hover"),
            ("scroll [up]".to_string(), "scroll"),
            (format!("click [{link}]"), "navigation"),
            ("go_back".to_string(), "navigation"),
        ] {
            let t = std::time::Instant::now();
            let s = env.step(&action).await?;
            out.push((t.elapsed().as_secs_f64() * 1e3, kind));
            anyhow::ensure!(!s.done, "the episode ended: {}", s.observation);
            obs = s.observation;
        }
    }
    out.truncate(steps);
    Ok(out)
}

/// `hone bench web`: on the bundled shop, per-step latency (action + new observation) against
/// the bare CDP `Accessibility.getFullAXTree` call on the same page, episode reset time, and
/// steps/s with one and with two concurrent episodes.
pub async fn bench(a: BenchArgs) -> anyhow::Result<()> {
    use hone_core::env::Environment;
    use hone_envs::web::{browser::Browser, sites, task_spec, WebEnv, WebEnvConfig};
    let served = sites::Bundled::start(0, 0).await?;
    let task = |i: usize| -> anyhow::Result<hone_core::env::TaskSpec> {
        let json = format!(
            r#"{{"task_id": "bench-{i}", "sites": ["shopping"], "start_url": "__SHOPPING__/search?q=e",
                "intent": "Browse.", "eval": {{"eval_types": ["string_match"],
                "reference_answers": {{"exact_match": "x"}}}}}}"#
        );
        let f = hone_envs::web::task::parse(&json, &served.sites())?;
        Ok(task_spec(&f.tasks[0]))
    };
    let browser = Browser::launch().await?;
    let config = WebEnvConfig {
        max_steps: u32::MAX,
        ..Default::default()
    };
    let mut env = WebEnv::new(browser.clone(), config.clone());
    env.reset(&task(0)?).await?;
    // Warm up the page and the in-page function.
    browse(&mut env, 10).await?;

    let page_lines = env.observe().await?.lines().count();
    let mut ax = Vec::new();
    let mut ax_nodes = 0;
    for _ in 0..a.steps.min(40) {
        let p = env.page().context("no page")?;
        let t = std::time::Instant::now();
        let r = p
            .call(
                "Accessibility.getFullAXTree",
                serde_json::json!({}),
                std::time::Duration::from_secs(10),
            )
            .await?;
        ax.push(t.elapsed().as_secs_f64() * 1e3);
        ax_nodes = r["nodes"].as_array().map_or(0, |n| n.len());
    }
    let mut obs_ms = Vec::new();
    for _ in 0..a.steps.min(40) {
        let t = std::time::Instant::now();
        env.observe().await?;
        obs_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let steps = browse(&mut env, a.steps).await?;
    let (ax50, ax95) = crate::stats::p50_p95(ax);
    let (o50, o95) = crate::stats::p50_p95(obs_ms);
    let (s50, s95) = crate::stats::p50_p95(steps.iter().map(|s| s.0).collect());
    let of = |kind: &str| {
        crate::stats::p50_p95(steps.iter().filter(|s| s.1 == kind).map(|s| s.0).collect())
    };
    let ((c50, c95), (h50, h95), (n50, n95)) = (of("scroll"), of("hover"), of("navigation"));
    println!(
        "bundled shop, results of a search for \"e\": {page_lines} observation lines, {ax_nodes} AX nodes"
    );
    println!("{:<44} {:>9} {:>9} {:>8}", "", "p50 ms", "p95 ms", "vs AX");
    println!(
        "{:<44} {ax50:>9.2} {ax95:>9.2} {:>8}",
        "bare CDP Accessibility.getFullAXTree", "1.00x"
    );
    println!(
        "{:<44} {o50:>9.2} {o95:>9.2} {:>7.2}x",
        "observation alone (in-page tree)",
        o50 / ax50
    );
    println!(
        "{:<44} {s50:>9.2} {s95:>9.2} {:>7.2}x",
        "step: action + new observation (all)",
        s50 / ax50
    );
    println!(
        "{:<44} {c50:>9.2} {c95:>9.2} {:>7.2}x",
        "  scroll (down, up)",
        c50 / ax50
    );
    println!(
        "{:<44} {h50:>9.2} {h95:>9.2} {:>7.2}x",
        "  hover a link (mouse moved)",
        h50 / ax50
    );
    println!(
        "{:<44} {n50:>9.2} {n95:>9.2} {:>7.2}x",
        "  navigations (click a sort link, go_back)",
        n50 / ax50
    );

    let mut resets = Vec::new();
    let pool = hone_envs::web::browser::PagePool::new(browser.clone(), 1);
    let mut naive = Vec::new();
    for i in 0..a.resets {
        let mut e = WebEnv::new(browser.clone(), config.clone());
        let t = std::time::Instant::now();
        e.reset(&task(i + 1)?).await?;
        naive.push(t.elapsed().as_secs_f64() * 1e3);
    }
    for i in 0..a.resets {
        let mut e = WebEnv::new(browser.clone(), config.clone()).pool(pool.clone());
        // Idle time for the pool to make the next page and open the task's start URL in it,
        // as while an episode of an eval runs (an agent's episode takes seconds).
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        let t = std::time::Instant::now();
        e.reset(&task(i + 1)?).await?;
        resets.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (r50, r95) = crate::stats::p50_p95(resets);
    let (v50, v95) = crate::stats::p50_p95(naive);
    println!(
        "{:<44} {v50:>9.2} {v95:>9.2}",
        "reset: new context + first observation"
    );
    println!(
        "{:<44} {r50:>9.2} {r95:>9.2}",
        "reset: pooled, start URL opened ahead"
    );

    let t = std::time::Instant::now();
    browse(&mut env, a.steps).await?;
    let one = a.steps as f64 / t.elapsed().as_secs_f64();
    drop(env);
    let mut envs = Vec::new();
    for i in 0..2 {
        let mut e = WebEnv::new(browser.clone(), config.clone());
        e.reset(&task(100 + i)?).await?;
        envs.push(e);
    }
    let t = std::time::Instant::now();
    let runs: Vec<_> = envs
        .into_iter()
        .map(|mut e| {
            let n = a.steps;
            tokio::spawn(async move { browse(&mut e, n).await.map(|_| ()) })
        })
        .collect();
    for r in runs {
        r.await??;
    }
    let two = 2.0 * a.steps as f64 / t.elapsed().as_secs_f64();
    println!(
        "steps/s: 1 episode {one:.1}, 2 concurrent episodes {two:.1} ({:.2}x)",
        two / one
    );
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum WebEnvCmd {
    /// Play a web task by hand: WebArena actions on stdin, observations on stdout, the score at
    /// the end.
    Play(PlayArgs),
}

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// The task's id.
    #[arg(long)]
    pub task: String,
    /// A WebArena config file, or `bundled` (the bundled sites are started for the session).
    #[arg(long, default_value = "bundled")]
    pub tasks: String,
    #[arg(long = "site")]
    pub sites: Vec<String>,
    /// Where relative `storage_state` paths start.
    #[arg(long, default_value = ".")]
    pub state_dir: PathBuf,
}

pub async fn play(cmd: WebEnvCmd) -> anyhow::Result<()> {
    use hone_core::env::Environment;
    use hone_envs::web::{browser::Browser, bundled, sites, task_spec, WebEnv, WebEnvConfig};
    use std::io::{BufRead, Write};
    let WebEnvCmd::Play(a) = cmd;
    let mut site_map = parse_sites(&a.sites)?;
    let _served = if a.tasks == "bundled" {
        let b = sites::Bundled::start(0, 0).await?;
        for (k, v) in b.sites() {
            site_map.entry(k).or_insert(v);
        }
        Some(b)
    } else {
        None
    };
    let file = if a.tasks == "bundled" {
        bundled::tasks(&site_map)?
    } else {
        load(std::path::Path::new(&a.tasks), &site_map)?
    };
    let task = file
        .tasks
        .iter()
        .find(|t| t.id() == a.task)
        .with_context(|| format!("no task {} in {}", a.task, a.tasks))?;
    let browser = Browser::launch().await?;
    let mut env = WebEnv::new(
        browser,
        WebEnvConfig {
            state_dir: a.state_dir,
            ..Default::default()
        },
    );
    println!("{}", env.reset(&task_spec(task)).await?);
    let stdin = std::io::stdin();
    loop {
        print!("> ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let s = env.step(line).await?;
        println!("{}", s.observation);
        if s.done {
            println!("score: {}", s.reward);
            break;
        }
    }
    Ok(())
}
