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
    let results = run_eval(&rx, &a.run, &tasks, &make_env, &a.out, 1, &on_episode).await?;
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

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// What to do.
    #[arg(long)]
    pub task: String,
    /// Tools to offer (comma-separated): calculator, python, js, http_get.
    #[arg(long, value_delimiter = ',', default_value = "calculator,python")]
    pub tools: Vec<String>,
    /// Hosts http_get may fetch from (comma-separated; `.example.com` allows subdomains).
    #[arg(long, value_delimiter = ',')]
    pub allow_host: Vec<String>,
    #[arg(long, default_value_t = 10)]
    pub max_steps: usize,
    /// Leave tool calls unconstrained (by default a grammar keeps every call well-formed).
    #[arg(long)]
    pub no_constrain: bool,
    /// Write the episode to DIR/trajectories.jsonl.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `hone run`: a one-off tool-calling ReAct agent, each step printed as it happens.
pub async fn run(a: RunArgs) -> anyhow::Result<()> {
    let mut tools = hone_core::ToolRegistry::new();
    let mut sandbox = None;
    for name in &a.tools {
        match name.trim() {
            "calculator" => {
                tools.register(hone_tools::Calculator);
            }
            "python" | "js" => {
                if sandbox.is_none() {
                    sandbox = Some(hone_sandbox::SandboxConfig::new().build()?);
                }
                let sb = sandbox.clone().expect("just set");
                if name.trim() == "python" {
                    tools.register(hone_tools::PythonTool::new(sb));
                } else {
                    tools.register(hone_tools::JavaScriptTool::new(sb));
                }
            }
            "http_get" => {
                anyhow::ensure!(
                    !a.allow_host.is_empty(),
                    "http_get needs --allow-host HOST[,HOST…]"
                );
                tools.register(hone_tools::HttpGet::new(a.allow_host.clone())?);
            }
            "" => {}
            other => anyhow::bail!("unknown tool `{other}` (calculator, python, js, http_get)"),
        }
    }
    let model = a.model.open()?;
    let agent = ReactAgent::builder_arc(model)
        .mode(hone_core::ActionMode::ToolCall)
        .tools(tools)
        .constrain(!a.no_constrain)
        .max_steps(a.max_steps)
        .on_step(|_, st| {
            use hone_core::trajectory::Action;
            match &st.action {
                Action::Tool {
                    thought,
                    name,
                    args,
                } => {
                    if !thought.is_empty() {
                        println!("thought: {thought}");
                    }
                    println!("call:    {name} {args}");
                }
                other => println!("output:  {other:?}"),
            }
            println!(
                "result:  {}",
                st.observation.trim_end().replace('\n', "\n         ")
            );
            println!(
                "         ({} prompt tokens, {} evaluated, {} generated, {:.0} ms)",
                st.usage.prompt_tokens,
                st.usage.prompt_tokens_evaluated,
                st.usage.completion_tokens,
                st.latency_ms
            );
        })
        .build();
    let task = TaskSpec::new("cli").goal(&a.task);
    let ep = agent.run_task(&task).await?;
    match &ep.answer {
        Some(ans) => println!("\nanswer: {ans}"),
        None => println!("\nno answer ({:?} after {} steps)", ep.stop, ep.steps.len()),
    }
    println!(
        "prompt tokens {} total, {} evaluated; {} generated; {:.1} s",
        ep.usage.prompt_tokens,
        ep.usage.prompt_tokens_evaluated,
        ep.usage.completion_tokens,
        ep.wall_ms / 1000.0
    );
    if let Some(out) = &a.out {
        hone_core::trajectory::append_jsonl(&hone_core::eval::jsonl_path(out), &ep)?;
    }
    Ok(())
}
