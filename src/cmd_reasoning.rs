//! `hone eval reasoning`: self-correction and self-consistency strategies compared on the same
//! reasoning tasks (the built-in generated set, or a GSM8K-format JSONL file), with a table,
//! a resumable JSONL of every result, and an HTML report.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_core::llm::{ChatModel, LlamaCpp};
use hone_core::strategies::{self, eval, report, BuildOptions, ReasoningTask, Settings, Strategy};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct ReasoningArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Strategies, comma-separated, or `all`: baseline, self-refine, progco, sc, adaptive-sc,
    /// soft-sc, usc, self-certainty, ioe, checklist.
    #[arg(long, value_delimiter = ',', default_value = "baseline")]
    pub strategy: Vec<String>,
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
    /// Output folder: results.jsonl (resumable: rerunning skips the pairs already there, so use
    /// a new folder when changing settings), summary.txt, summary.json, report.html.
    #[arg(long, default_value = "runs/reasoning")]
    pub out: PathBuf,
}

fn strategy_names(list: &[String]) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for s in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if s == "all" {
            names.extend(strategies::NAMES.iter().map(|n| n.to_string()));
        } else if strategies::NAMES.contains(&s) {
            names.push(s.to_string());
        } else {
            anyhow::bail!(
                "unknown strategy `{s}` (one of {}, or all)",
                strategies::NAMES.join(", ")
            );
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    let names = unique;
    anyhow::ensure!(!names.is_empty(), "no strategy given");
    Ok(names)
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
    let names = strategy_names(&a.strategy)?;
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
    let runner: Option<Arc<dyn strategies::ProgramRunner>> = if names.iter().any(|n| n == "progco")
    {
        let sb = hone_sandbox::SandboxConfig::new().build()?;
        sb.prepare(hone_sandbox::Language::Python)
            .context("progco runs its verifiers in the Python sandbox")?;
        Some(Arc::new(hone_tools::SandboxRunner::new(sb)))
    } else {
        None
    };
    let (model, model_name, model_vocab) = open_model(&a)?;
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
    let built: Vec<Box<dyn Strategy>> = names
        .iter()
        .map(|n| strategies::by_name(n, &opts))
        .collect::<anyhow::Result<_>>()?;

    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let results_path = eval::results_path(&a.out);
    let bar = ProgressBar::new((tasks.len() * built.len()) as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} {msg} [{elapsed} / ~{duration}]",
    )?);
    let t0 = Instant::now();
    let mut resumed_n = 0usize;
    let mut on_result = |r: &eval::ItemResult, resumed: bool| {
        resumed_n += usize::from(resumed);
        bar.set_message(format!(
            "{} {} {}{}",
            r.strategy,
            r.id,
            if r.correct { "right" } else { "wrong" },
            if resumed { " (resumed)" } else { "" }
        ));
        bar.inc(1);
    };
    let results = eval::run_eval(
        model.clone(),
        &built,
        &tasks,
        &results_path,
        !a.no_share,
        &mut on_result,
    )
    .await?;
    bar.finish_and_clear();
    let run_s = t0.elapsed().as_secs_f64();

    let summaries = eval::summarize(&results);
    let mut text = format!(
        "hone eval reasoning — model {model_name}, {} tasks ({source}), n {}, rounds {}, \
         max_tokens {}, temperature {}\n\n",
        tasks.len(),
        a.n,
        a.rounds,
        a.max_tokens,
        a.temperature
    );
    text.push_str(&eval::table(&summaries));
    text.push('\n');
    text.push_str(&eval::kind_table(&summaries));
    let mut notes = Vec::new();
    if let Some(l) = eval::adaptive_line(&summaries, a.n) {
        notes.push(l);
    }
    let mut sampling = None;
    if a.cost_items > 0 {
        let k = a.cost_items.min(tasks.len());
        let c = eval::sampling_cost(model.as_ref(), &tasks[..k], &settings, a.n).await?;
        notes.push(c.line());
        sampling = Some(c);
    }
    notes.push(format!(
        "run wall time {:.1} min ({} results computed now, {} resumed){}",
        run_s / 60.0,
        results.len() - resumed_n,
        resumed_n,
        if a.no_share {
            ""
        } else {
            "; identical requests shared between the strategies of a task"
        }
    ));
    text.push('\n');
    for n in &notes {
        text.push_str(n);
        text.push('\n');
    }
    print!("{text}");
    std::fs::write(a.out.join("summary.txt"), &text)?;
    std::fs::write(
        a.out.join("summary.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "model": model_name,
            "source": source,
            "tasks": tasks.len(),
            "n": a.n,
            "rounds": a.rounds,
            "seed": a.seed,
            "max_tokens": a.max_tokens,
            "temperature": a.temperature,
            "strategies": summaries,
            "sampling_cost": sampling,
        }))?,
    )?;
    let mut report_notes = vec![format!(
        "model {model_name}; {} tasks ({source}); n {}, rounds {}, max_tokens {}, temperature {}",
        tasks.len(),
        a.n,
        a.rounds,
        a.max_tokens,
        a.temperature
    )];
    report_notes.extend(notes);
    let html = report::render(
        "hone eval reasoning",
        &summaries,
        &eval::kind_table(&summaries),
        &report_notes,
    );
    std::fs::write(a.out.join("report.html"), html)?;
    println!(
        "results: {}  report: {}",
        results_path.display(),
        a.out.join("report.html").display()
    );
    Ok(())
}
