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
