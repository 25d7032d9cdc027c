//! `hone eval reasoning`: self-correction and self-consistency strategies compared on the same
//! reasoning tasks (the built-in generated set, or a GSM8K-format JSONL file), with a table,
//! a resumable JSONL of every result, and an HTML report.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::eval::{Eval, Manifest};
use hone_core::llm::{ChatModel, LlamaCpp};
use hone_core::strategies::eval::{self, ReasoningHarness, StrategyRunner};
use hone_core::strategies::{self, BuildOptions, ReasoningTask, Settings, Strategy, StrategyKind};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct ReasoningArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Strategies, comma-separated, or `all`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "baseline")]
    pub strategy: Vec<StrategyArg>,
    /// Samples for the self-consistency family (Adaptive-Consistency's budget).
    #[arg(long, default_value_t = 5)]
    pub n: u32,
    /// Rounds for Self-Refine and ProgCo.
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// Adaptive-Consistency's samples per request.
    #[arg(long, default_value_t = 2)]
    pub batch: u32,
    /// Number of tasks (the first K of the file, or K generated).
    #[arg(long, default_value_t = 20)]
    pub items: usize,
    /// A GSM8K-format JSONL file ({"question", "answer": "... #### N"}) instead of the built-in set.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Seed of the built-in task set and of the sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Tokens per answer.
    #[arg(long, default_value_t = 128)]
    pub max_tokens: u32,
    /// Tokens per feedback or checklist.
    #[arg(long, default_value_t = 96)]
    pub feedback_tokens: u32,
    /// Temperature of sampled answers.
    #[arg(long, default_value_t = 0.7)]
    pub temperature: f32,
    /// Vocabulary size for self-certainty (default: the loaded model's, else 49152).
    #[arg(long)]
    pub vocab: Option<u32>,
    /// Send every strategy's requests to the model, instead of sharing identical requests
    /// (the first greedy answer, the batched samples) between the strategies of a task.
    #[arg(long)]
    pub no_share: bool,
    /// Also time the samples of the first K tasks drawn in one batched request against n
    /// sequential requests (0 = skip).
    #[arg(long, default_value_t = 0)]
    pub cost_items: usize,
    /// Tasks answered at once (useful with --server).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Output folder (manifest, store, trajectories.jsonl, summary.txt, summary.json,
    /// report.html). Rerun with the same settings to resume; other settings are refused.
    #[arg(long, default_value = "runs/reasoning")]
    pub out: PathBuf,
}

/// A strategy on the command line: one of [`StrategyKind`], or `all` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyArg {
    One(StrategyKind),
    All,
}

impl clap::ValueEnum for StrategyArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<StrategyArg>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            StrategyKind::ALL
                .iter()
                .map(|k| StrategyArg::One(*k))
                .chain([StrategyArg::All])
                .collect()
        })
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            StrategyArg::One(k) => k.name(),
            StrategyArg::All => "all",
        }))
    }
}

/// The chosen strategies in `all`'s order, each once.
fn chosen(a: &ReasoningArgs) -> Vec<StrategyKind> {
    let all = a.strategy.contains(&StrategyArg::All);
    StrategyKind::ALL
        .iter()
        .copied()
        .filter(|k| all || a.strategy.contains(&StrategyArg::One(*k)))
        .collect()
}

/// The model, its name for reports, and its vocabulary size when known.
fn open_model(a: &ReasoningArgs) -> anyhow::Result<(Arc<dyn ChatModel>, String, Option<u32>)> {
    if let Some(url) = &a.model.server {
        return Ok((a.model.open()?, url.clone(), None));
    }
    let cfg = a.model.llama_config()?.max_n(a.n.max(16));
    let name = cfg.model_path.file_name().map_or_else(
        || cfg.model_path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let path = cfg.model_path.clone();
    let m = LlamaCpp::load(cfg).with_context(|| format!("loading {}", path.display()))?;
    let vocab = m.info().n_vocab;
    Ok((Arc::new(m), name, Some(vocab)))
}

pub async fn run(a: ReasoningArgs) -> anyhow::Result<()> {
    let kinds = chosen(&a);
    anyhow::ensure!(!kinds.is_empty(), "no strategy given");
    let (tasks, source): (Vec<ReasoningTask>, String) = match &a.file {
        Some(f) => {
            let mut t = strategies::tasks::load_gsm8k(f)?;
            t.truncate(a.items);
            let name = f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            (t, name)
        }
        None => (
            strategies::tasks::generate(a.seed, a.items),
            format!("built-in set, seed {}", a.seed),
        ),
    };
    anyhow::ensure!(!tasks.is_empty(), "no tasks to run");
    let manifest = Manifest::new("reasoning")
        .setting("model", a.model.identity()?)
        .setting("tasks from", &source)
        .setting("n", a.n)
        .setting("rounds", a.rounds)
        .setting("adaptive batch", a.batch)
        .setting("max tokens", a.max_tokens)
        .setting("feedback tokens", a.feedback_tokens)
        .setting("temperature", a.temperature)
        .setting("seed", a.seed)
        .setting("shared requests", !a.no_share)
        .info("tasks", tasks.len())
        .info(
            "strategies",
            kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(","),
        );
    let eval = Eval::open(&a.out, manifest, None)?
        .concurrency(a.concurrency)
        .title("hone eval reasoning");
    let runner: Option<Arc<dyn strategies::ProgramRunner>> =
        if kinds.contains(&StrategyKind::ProgCo) {
            let sb = hone_sandbox::SandboxConfig::new().build()?;
            sb.prepare(hone_sandbox::Language::Python)
                .context("progco runs its verifiers in the Python sandbox")?;
            Some(Arc::new(hone_tools::SandboxRunner::new(sb)))
        } else {
            None
        };
    let (model, _name, model_vocab) = open_model(&a)?;
    let settings = Settings {
        max_tokens: a.max_tokens,
        feedback_tokens: a.feedback_tokens,
        temperature: a.temperature,
        seed: a.seed,
        ..Settings::default()
    };
    let opts = BuildOptions {
        settings: settings.clone(),
        n: a.n,
        rounds: a.rounds,
        batch: a.batch,
        vocab: a.vocab.or(model_vocab).unwrap_or(49152),
        runner,
    };
    let built: Vec<Box<dyn Strategy>> = kinds
        .iter()
        .map(|k| strategies::by_name(*k, &opts))
        .collect::<anyhow::Result<_>>()?;
    let harness = ReasoningHarness::new(&tasks)?;
    let runner = StrategyRunner::new(model.clone(), built).share(!a.no_share);
    let outcome = eval.run(&harness, &runner).await?;
    let mut report = outcome.report.order_arms(&runner.arms());
    if let Some(l) = eval::adaptive_line(&report, a.n) {
        report.notes.push(l);
    }
    if a.cost_items > 0 {
        let k = a.cost_items.min(tasks.len());
        let c = eval::sampling_cost(model.as_ref(), &tasks[..k], &settings, a.n).await?;
        report.notes.push(c.line());
    }
    eval.write_report(&report, &outcome.episodes)?;
    let text = report.text();
    print!("{text}");
    std::fs::write(eval.out().join("summary.txt"), &text)?;
    println!(
        "results: {}  report: {}",
        eval.jsonl().display(),
        eval.out().join("report.html").display()
    );
    Ok(())
}
