//! `hone eval toy` (a resumable Reflexion eval on the built-in key-and-door world) and
//! `hone show` (print a run's episodes as transcripts).

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::env::{Environment, KeyDoorWorld, TaskSpec};
use hone_core::eval::{run_eval, Summary};
use hone_core::{ReactAgent, ReflectionVariant, Reflexion, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ToyEvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Number of tasks (copies of the key-and-door world).
    #[arg(long, default_value_t = 4)]
    pub tasks: usize,
    /// Reflexion trials per task.
    #[arg(long, default_value_t = 2)]
    pub trials: u32,
    /// Reflection variant: retry, keywords, advice, explanation, instructions, solution, composite.
    #[arg(long, default_value = "composite")]
    pub variant: String,
    #[arg(long, default_value_t = 8)]
    pub max_steps: usize,
    /// Constrain actions to the admissible ones with a grammar.
    #[arg(long)]
    pub constrain: bool,
    /// Run id: rerunning with the same id and --out resumes.
    #[arg(long, default_value = "toy")]
    pub run: String,
    /// Output folder (store, trajectories.jsonl, summary.json).
    #[arg(long, default_value = "runs/toy")]
    pub out: PathBuf,
}

const SYSTEM: &str = "Interact with a household to solve a task. Reply with one action per turn, \
or with 'think: ' followed by a short thought.";

pub async fn toy_eval(a: ToyEvalArgs) -> anyhow::Result<()> {
    let variant = ReflectionVariant::parse(&a.variant)
        .with_context(|| format!("unknown reflection variant `{}`", a.variant))?;
    let model = a.model.open()?;
    let agent = ReactAgent::builder_arc(model)
        .system(SYSTEM)
        .constrain(a.constrain)
        .max_steps(a.max_steps)
        .build();
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let store = Store::open(a.out.join("store"))?;
    let rx = Reflexion::new(agent, store)
        .trials(a.trials)
        .variant(variant);
    let tasks: Vec<TaskSpec> = (1..=a.tasks)
        .map(|i| {
            TaskSpec::new(format!("key-door-{i}"))
                .family("key_door")
                .goal("open the door")
        })
        .collect();
    let bar = ProgressBar::new(a.tasks as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} tasks {msg} [{elapsed}]",
    )?);
    let make_env = |_: &TaskSpec| -> anyhow::Result<Box<dyn Environment>> {
        Ok(Box::new(KeyDoorWorld::new()))
    };
    let on_episode = |e: &hone_core::Episode, resumed: bool| {
        bar.set_message(format!(
            "{} trial {} {}{}",
            e.task.id,
            e.trial,
            if e.won { "won" } else { "lost" },
            if resumed { " (resumed)" } else { "" }
        ));
        if e.won || e.trial + 1 == a.trials {
            bar.inc(1);
        }
    };
    let results = run_eval(&rx, &a.run, &tasks, &make_env, &a.out, &on_episode).await?;
    bar.finish();
    let s = Summary::from_results(&results, a.trials);
    std::fs::write(
        a.out.join("summary.json"),
        serde_json::to_string_pretty(&s)?,
    )?;
    println!(
        "tasks {}  won {}  success {:.1}%",
        s.tasks,
        s.won,
        100.0 * s.success_rate()
    );
    for (t, w) in s.won_by_trial.iter().enumerate() {
        println!("  by trial {}: {w}/{}", t + 1, s.tasks);
    }
    println!(
        "episodes {}  prompt tokens {} total, {} evaluated ({:.1}%)  generated {}",
        s.episodes,
        s.usage.prompt_tokens,
        s.usage.prompt_tokens_evaluated,
        100.0 * s.usage.prompt_tokens_evaluated as f64 / s.usage.prompt_tokens.max(1) as f64,
        s.usage.completion_tokens
    );
    println!("results: {}", hone_core::eval::jsonl_path(&a.out).display());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// A run folder (holding trajectories.jsonl) or a JSONL file.
    pub run: PathBuf,
    /// Only this task.
    #[arg(long)]
    pub task: Option<String>,
}

pub fn show(a: ShowArgs) -> anyhow::Result<()> {
    let path = if a.run.is_dir() {
        hone_core::eval::jsonl_path(&a.run)
    } else {
        a.run.clone()
    };
    let eps = hone_core::trajectory::read_jsonl(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    for e in eps
        .iter()
        .filter(|e| a.task.as_ref().is_none_or(|t| &e.task.id == t))
    {
        println!("{}", e.transcript());
    }
    Ok(())
}
