//! `hone eval toy` (a resumable Reflexion eval on the built-in key-and-door world) and
//! `hone show` (print a run's episodes as transcripts).

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::env::{Environment, KeyDoorWorld, TaskSpec};
use hone_core::eval::{Eval, FnHarness, Manifest};
use hone_core::{ReactAgent, ReflectionVariant, Reflexion};
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
    /// Reflection variant.
    #[arg(long, value_enum, default_value_t = ReflectionVariant::Composite)]
    pub variant: ReflectionVariant,
    #[arg(long, default_value_t = 8)]
    pub max_steps: usize,
    /// Constrain actions to the admissible ones with a grammar.
    #[arg(long)]
    pub constrain: bool,
    /// Output folder (manifest, store, trajectories.jsonl, summary.json, report.html). Rerun
    /// with the same settings to resume.
    #[arg(long, default_value = "runs/toy")]
    pub out: PathBuf,
}

const SYSTEM: &str = "Interact with a household to solve a task. Reply with one action per turn, \
or with 'think: ' followed by a short thought.";

pub async fn toy_eval(a: ToyEvalArgs) -> anyhow::Result<()> {
    let manifest = Manifest::new("toy")
        .setting("model", a.model.identity()?)
        .setting("reflection variant", a.variant)
        .setting("max steps", a.max_steps)
        .setting("constrained", a.constrain)
        .info("tasks", a.tasks)
        .info("trials", a.trials);
    let eval = Eval::open(&a.out, manifest, None)?
        .trials(a.trials)
        .title("hone eval toy: Reflexion on the key-and-door world");
    let model = a.model.open()?;
    let agent = ReactAgent::builder_arc(model)
        .system(SYSTEM)
        .constrain(a.constrain)
        .max_steps(a.max_steps)
        .build();
    let rx = Reflexion::new(agent).trials(a.trials).variant(a.variant);
    let tasks: Vec<TaskSpec> = (1..=a.tasks)
        .map(|i| {
            TaskSpec::new(format!("key-door-{i}"))
                .family("key_door")
                .goal("open the door")
        })
        .collect();
    let harness = FnHarness::new("toy", tasks, |_| {
        Ok(Some(Box::new(KeyDoorWorld::new()) as Box<dyn Environment>))
    });
    let outcome = eval.run(&harness, &rx).await?;
    print!("{}", outcome.report.text());
    println!("results: {}", eval.jsonl().display());
    println!("report:  {}", eval.out().join("report.html").display());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// A run folder (its shards included) or a JSONL file.
    pub run: PathBuf,
    /// Only this task.
    #[arg(long)]
    pub task: Option<String>,
    /// Only this arm (a strategy of a reasoning eval).
    #[arg(long)]
    pub arm: Option<String>,
}

pub fn show(a: ShowArgs) -> anyhow::Result<()> {
    let eps = if a.run.is_dir() {
        hone_core::eval::load_dir(&a.run)?.0
    } else {
        hone_core::trajectory::read_jsonl(&a.run)
            .with_context(|| format!("reading {}", a.run.display()))?
    };
    for e in eps.iter().filter(|e| {
        a.task.as_ref().is_none_or(|t| &e.task.id == t)
            && a.arm.as_ref().is_none_or(|x| &e.arm == x)
    }) {
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
