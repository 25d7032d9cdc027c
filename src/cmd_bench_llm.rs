//! `hone bench llm`: what the in-process backend buys, measured side by side in one run.
//!
//! 1. prefill and decode speed;
//! 2. a 30-turn conversation (each turn appends ~100 tokens of observation and generates ~15),
//!    with KV prefix reuse vs without: wall time and prompt tokens evaluated;
//! 3. 8 samples of 64 tokens for one prompt: one batched call vs 8 sequential calls.

use crate::model_args::ModelArgs;
use hone_core::llm::{ChatModel, ChatRequest, LlamaCpp, Message, Usage};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchLlmArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Conversation turns.
    #[arg(long, default_value_t = 30)]
    pub turns: usize,
    /// Samples for the batching comparison.
    #[arg(long, default_value_t = 8)]
    pub samples: u32,
    /// Tokens per sample.
    #[arg(long, default_value_t = 64)]
    pub sample_tokens: u32,
    /// Measure only what CPU contention does: a 32-token reply quiet and beside one busy
    /// process pinned to a core, and two loaded instances decoding at once against one, with
    /// hone's adaptive threads and with a fixed thread count.
    #[arg(long)]
    pub contended: bool,
}

/// A deterministic ~100-token observation for turn `i`.
fn observation(i: usize) -> String {
    let objects = [
        "mug", "apple", "knife", "plate", "book", "lamp", "towel", "spoon",
    ];
    let places = [
        "cabinet",
        "drawer",
        "countertop",
        "shelf",
        "fridge",
        "sinkbasin",
    ];
    let mut s = format!(
        "Observation {i}: You arrive at {} {}. ",
        places[i % places.len()],
        i % 5 + 1
    );
    for k in 0..6 {
        s.push_str(&format!(
            "On it, you see a {} {}, and a {} {}. ",
            objects[(i + k) % objects.len()],
            k + 1,
            objects[(i + 3 * k + 1) % objects.len()],
            k + 2
        ));
    }
    s.push_str("What do you do next? Answer with one action.");
    s
}

struct Conversation {
    wall_s: f64,
    usage: Usage,
    new_tokens: u32,
}

async fn conversation(model: &LlamaCpp, turns: usize) -> anyhow::Result<Conversation> {
    let mut messages = vec![Message::system(
        "You are an agent in a household. Reply with one short action such as 'go to cabinet 1'.",
    )];
    let mut usage = Usage::default();
    let mut new_tokens = 0u32;
    let mut seen = 0u32; // prompt + completion tokens the model has already processed
    let t0 = Instant::now();
    for i in 0..turns {
        messages.push(Message::user(observation(i)));
        let r = model
            .chat(
                ChatRequest::new(messages.clone())
                    .temperature(0.0)
                    .max_tokens(15),
            )
            .await?;
        new_tokens += r.usage.prompt_tokens.saturating_sub(seen);
        seen = r.usage.prompt_tokens + r.usage.completion_tokens;
        usage += r.usage;
        messages.push(Message::assistant(r.text()));
    }
    Ok(Conversation {
        wall_s: t0.elapsed().as_secs_f64(),
        usage,
        new_tokens,
    })
}

fn row(name: &str, a: String, b: String, ratio: String, target: &str) {
    println!("{name:<44} {a:>14} {b:>14} {ratio:>9}  {target}");
}

/// A busy process pinned to the last core (`taskset`), killed when dropped.
struct Hog(std::process::Child);

impl Hog {
    fn start() -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let child = std::process::Command::new("taskset")
            .args([
                "-c",
                &(cores - 1).to_string(),
                "sh",
                "-c",
                "while :; do :; done",
            ])
            .spawn()
            .or_else(|_| {
                std::process::Command::new("sh")
                    .args(["-c", "while :; do :; done"])
                    .spawn()
            })?;
        // Let the load sampler see it.
        std::thread::sleep(std::time::Duration::from_millis(1200));
        Ok(Hog(child))
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Milliseconds per generated token of a greedy reply of `tokens` tokens (best of `tries`).
async fn reply_ms(model: &LlamaCpp, tokens: u32, tries: usize) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for i in 0..tries {
        let r = model
            .chat(
                ChatRequest::user(format!(
                    "{} Describe the room in detail ({i}).",
                    observation(i)
                ))
                .temperature(0.0)
                .max_tokens(tokens),
            )
            .await?;
        let per = r.timings.total_ms / f64::from(r.usage.completion_tokens.max(1));
        best = best.min(per);
    }
    Ok(best)
}

/// Generated tokens per second of `models` decoding 64 tokens each, all at once.
async fn concurrent_tps(models: &[LlamaCpp]) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (i, m) in models.iter().cloned().enumerate() {
        set.spawn(async move {
            let r = m
                .chat(
                    ChatRequest::user(format!("{} Tell a long story ({i}).", observation(i)))
                        .temperature(0.0)
                        .max_tokens(96),
                )
                .await?;
            anyhow::Ok(r.usage.completion_tokens)
        });
    }
    let mut tokens = 0u32;
    while let Some(r) = set.join_next().await {
        tokens += r??;
    }
    Ok(f64::from(tokens) / t0.elapsed().as_secs_f64())
}

/// `hone bench llm --contended`.
async fn contended(cfg: hone_core::llm::LlamaCppConfig, path: &str) -> anyhow::Result<()> {
    println!(
        "hone bench llm --contended — model {path}, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    row("", "adaptive".into(), "fixed".into(), "".into(), "target");
    let mut quiet_per = Vec::new();
    for adaptive in [true, false] {
        let m = LlamaCpp::load(cfg.clone().adaptive_threads(adaptive))?;
        let quiet = reply_ms(&m, 32, 3).await?;
        quiet_per.push(quiet);
        drop(m);
    }
    row(
        "32-token reply, quiet: ms/token",
        format!("{:.1}", quiet_per[0]),
        format!("{:.1}", quiet_per[1]),
        "".into(),
        "",
    );
    let mut busy_per = Vec::new();
    {
        let hog = Hog::start()?;
        for (adaptive, tokens, tries) in [(true, 32, 3), (false, 8, 1)] {
            let m = LlamaCpp::load(cfg.clone().adaptive_threads(adaptive))?;
            // The fixed-thread case can collapse by 100x: 8 tokens are enough to show it.
            busy_per.push(reply_ms(&m, tokens, tries).await?);
            drop(m);
        }
        println!(
            "  (other processes' load while busy: {:.2} cores)",
            hone_core::llm::contention::other_load()
        );
        drop(hog);
        // Let the load sampler see the machine quiet again.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    }
    row(
        "beside a busy pinned process: ms/token",
        format!("{:.1}", busy_per[0]),
        format!("{:.1}", busy_per[1]),
        "".into(),
        "",
    );
    row(
        "  slowdown vs quiet (adaptive | fixed)",
        format!("{:.2}x", busy_per[0] / quiet_per[0]),
        format!("{:.2}x", busy_per[1] / quiet_per[1]),
        "".into(),
        "adaptive <= 2.5x",
    );
    // Medians of three alternating rounds: this machine's speed wanders by a quarter.
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut two = Vec::new();
    for adaptive in [true, false] {
        let c = cfg.clone().adaptive_threads(adaptive);
        let one = LlamaCpp::load(c.clone())?;
        let other = LlamaCpp::load(c)?;
        let (mut alone, mut both) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            alone.push(concurrent_tps(std::slice::from_ref(&one)).await?);
            both.push(concurrent_tps(&[one.clone(), other.clone()]).await?);
        }
        two.push((median(alone), median(both)));
    }
    row(
        "one instance decoding alone: tok/s",
        format!("{:.1}", two[0].0),
        format!("{:.1}", two[1].0),
        "".into(),
        "",
    );
    row(
        "two instances at once: total tok/s",
        format!("{:.1}", two[0].1),
        format!("{:.1}", two[1].1),
        "".into(),
        "",
    );
    row(
        "  two together / one alone (adaptive | fixed)",
        format!("{:.2}x", two[0].1 / two[0].0),
        format!("{:.2}x", two[1].1 / two[1].0),
        "".into(),
        "adaptive >= 0.8x",
    );
    Ok(())
}

pub async fn run(a: BenchLlmArgs) -> anyhow::Result<()> {
    let cfg = a.model.llama_config()?;
    // The file name only: figures get pasted into docs, which must not name local paths.
    let path = cfg.model_path.file_name().map_or_else(
        || cfg.model_path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    if a.contended {
        return contended(cfg, &path).await;
    }
    // One model instance alive at a time: two loaded instances in one process slow each
    // other's decoding (measured ~3x), which would distort every comparison below.
    let load = |reuse: bool| LlamaCpp::load(cfg.clone().prefix_reuse(reuse));
    let fresh = load(false)?;
    let info = fresh.info().clone();
    println!("hone bench llm — model {path}");
    println!(
        "  {} params, n_ctx {}, gpu offload {}, threads {}",
        info.n_params,
        info.n_ctx,
        info.gpu_offload,
        a.model.threads.map_or("all".to_string(), |t| t.to_string())
    );

    // 1. Prefill and decode speed (no reuse: every prompt token is evaluated).
    let long_prompt = (0..6).map(observation).collect::<Vec<_>>().join("\n");
    let r = fresh
        .chat(
            ChatRequest::user(format!(
                "{long_prompt}\nWrite a long, detailed story about this room."
            ))
            .temperature(0.0)
            .max_tokens(128),
        )
        .await?;
    let prefill_tps = r.usage.prompt_tokens_evaluated as f64 / (r.timings.prompt_ms / 1000.0);
    let decode_tps = r.usage.completion_tokens as f64 / (r.timings.generation_ms / 1000.0);

    println!();
    row("", "A".into(), "B".into(), "A/B".into(), "target");
    row(
        "prefill tok/s | decode tok/s",
        format!("{prefill_tps:.1}"),
        format!("{decode_tps:.1}"),
        "".into(),
        &format!(
            "({} prompt, {} generated tokens)",
            r.usage.prompt_tokens, r.usage.completion_tokens
        ),
    );

    // 2. Conversation with and without prefix reuse.
    let without = conversation(&fresh, a.turns).await?;
    drop(fresh);
    let reuse = load(true)?;
    let with = conversation(&reuse, a.turns).await?;
    drop(reuse);
    row(
        &format!("{}-turn chat wall s: reuse | no reuse", a.turns),
        format!("{:.2}", with.wall_s),
        format!("{:.2}", without.wall_s),
        format!("{:.3}", with.wall_s / without.wall_s),
        "speed-up >= 3x (ratio <= 0.333)",
    );
    row(
        "prompt tokens evaluated: reuse | no reuse",
        with.usage.prompt_tokens_evaluated.to_string(),
        without.usage.prompt_tokens_evaluated.to_string(),
        format!(
            "{:.3}",
            with.usage.prompt_tokens_evaluated as f64
                / without.usage.prompt_tokens_evaluated as f64
        ),
        "",
    );
    row(
        "reuse: evaluated | new tokens",
        with.usage.prompt_tokens_evaluated.to_string(),
        with.new_tokens.to_string(),
        format!(
            "{:.3}",
            with.usage.prompt_tokens_evaluated as f64 / with.new_tokens.max(1) as f64
        ),
        "<= 1.2",
    );

    // 3. n samples of one agent-sized prompt (~130 tokens): one batched call vs n sequential
    //    calls, first with the prompt cached (the fair baseline for hone), then re-evaluating
    //    the prompt each call (what a server without a prompt cache does).
    let prompt = format!(
        "{}\nWrite a short poem about this kitchen at night.",
        observation(3)
    );
    let req = |n: u32, seed: u64| {
        ChatRequest::user(prompt.clone())
            .temperature(0.8)
            .seed(seed)
            .max_tokens(a.sample_tokens)
            .n(n)
    };
    // A fresh instance: cells left by the conversation above would slow every decode step
    // (llama.cpp attends over the occupied part of the unified cache).
    let reuse = load(true)?;
    reuse.chat(req(1, 999).max_tokens(1)).await?; // warm the prompt cache
    let t0 = Instant::now();
    let batched = reuse.chat(req(a.samples, 1)).await?;
    let batched_s = t0.elapsed().as_secs_f64();
    let sequential = |model: LlamaCpp| {
        let req = &req;
        async move {
            let t0 = Instant::now();
            let mut tokens = 0;
            for i in 0..a.samples {
                tokens += model
                    .chat(req(1, 1 + i as u64))
                    .await?
                    .usage
                    .completion_tokens;
            }
            anyhow::Ok((t0.elapsed().as_secs_f64(), tokens))
        }
    };
    let (seq_s, seq_tokens) = sequential(reuse.clone()).await?;
    drop(reuse);
    let (fresh_s, fresh_tokens) = sequential(load(false)?).await?;
    row(
        &format!("{} samples wall s: batched | sequential", a.samples),
        format!("{batched_s:.2}"),
        format!("{seq_s:.2}"),
        format!("{:.3}", batched_s / seq_s),
        "<= 0.4",
    );
    row(
        "  vs sequential re-evaluating the prompt",
        format!("{batched_s:.2}"),
        format!("{fresh_s:.2}"),
        format!("{:.3}", batched_s / fresh_s),
        "",
    );
    row(
        "  tokens: batched | sequential | re-eval",
        batched.usage.completion_tokens.to_string(),
        format!("{seq_tokens} | {fresh_tokens}"),
        "".into(),
        "",
    );
    row(
        "  tok/s: batched | sequential",
        format!("{:.1}", batched.usage.completion_tokens as f64 / batched_s),
        format!("{:.1}", seq_tokens as f64 / seq_s),
        "".into(),
        "",
    );
    Ok(())
}
