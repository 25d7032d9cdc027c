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
    /// reflection between trials).
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
        _ => hone_core::ReflectionVariant::Retry,
    };
    let thoughts = if a.agent == WebAgent::Act {
        hone_core::ThoughtPolicy::AtMost(0)
    } else {
        hone_core::ThoughtPolicy::AtMost(a.max_thoughts)
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
        .info("trials", trials)
        .info("task count", tasks.len())
        .info("concurrency", a.concurrency);
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
    let h = harness::WebHarness::new(&tasks, browser, config, Some(model.clone()))
        .screenshots(eval.out().join(SCREENS));
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
    let runner = hone_core::Reflexion::new(agent)
        .trials(trials)
        .variant(variant);
    let outcome = eval.run(&h, &runner).await?;
    drop(served);
    print!("{}", outcome.report.text());
    println!("results: {}", eval.jsonl().display());
    println!("report:  {}", eval.out().join("report.html").display());
    Ok(())
}
