//! Answer-level reasoning strategies behind one interface, and the eval that compares them.
//!
//! Every method is a [`Strategy`]: given a [`ChatModel`] and a [`ReasoningTask`], it returns a
//! [`Solution`] — the final answer, the initial answer (for correction strategies, so the eval
//! can split self-correction into *confidence* and *critique*), a trace of every model call,
//! feedback and program run, and the [`Cost`] (tokens, calls, samples, time).
//!
//! | strategy | module | paper |
//! | --- | --- | --- |
//! | one greedy answer | [`baseline`] | — |
//! | generate → feedback → refine | [`self_refine`] | Madaan et al. 2023, *Self-Refine* |
//! | verification program run in the sandbox, dual refinement | [`progco`] | Song et al. 2025, *ProgCo* |
//! | majority vote over n samples | [`self_consistency`] | Wang et al. 2023, *Self-Consistency* |
//! | stop sampling when the majority is stable | [`adaptive`] | Aggarwal et al. 2023, *Adaptive-Consistency* |
//! | pick by likelihood | [`soft_sc`] | Wang et al. 2024, *Soft Self-Consistency* |
//! | the model picks the most consistent sample | [`usc`] | Chen et al. 2023, *Universal Self-Consistency* |
//! | pick by self-certainty from top logprobs | [`self_certainty`] | Kang et al. 2025, *Scalable Best-of-N Selection via Self-Certainty* |
//! | revise only when not confident | [`ioe`] | Li et al. 2024, *Confidence Matters* |
//! | checklist check, then revise | [`checklist`] | Cook et al. 2024, *TICKing All the Boxes* |
//!
//! Sampling strategies draw their samples with one batched request (`n = N`), never `N`
//! requests (Adaptive-Consistency draws small batches by design). Requests are built by shared
//! helpers ([`answer_request`], [`samples_request`]) so that strategies run on the same task ask
//! the very same questions; the eval's [`memo::MemoModel`] then serves repeats from memory and
//! every strategy is charged the cost as if it had drawn them itself.
//!
//! ```
//! use hone_core::llm::Scripted;
//! use hone_core::strategies::{tasks, SelfConsistency, Settings, Strategy};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! // "Tom earns 12 dollars per hour and works 5 hours each week. ... in 3 weeks?" (180)
//! let task = &tasks::generate(0, 1)[0];
//! let model = Scripted::with_choices([vec![
//!     Scripted::choice("12 * 5 * 3 = 180. The answer is 180."),
//!     Scripted::choice("12 * 3 = 36. The answer is 36."),
//! ]]); // a test double; use LlamaCpp or OpenAiCompatible for real
//! let sol = SelfConsistency::new(Settings::default(), 3).solve(&model, task).await?;
//! assert_eq!(sol.answer.as_deref(), Some("180")); // 2 votes of 3
//! assert_eq!(model.requests().len(), 1); // one request with n = 3
//! assert!(task.is_correct(sol.answer.as_deref()));
//! # Ok(()) }
//! ```
//!
//! Bad model output — no answer found, an unparsable pick, a verifier that crashes — is
//! recorded in the trace and the solution, never a panic; only a failing model backend (or
//! program runner) is an `Err`.

pub mod adaptive;
pub mod answer;
pub mod baseline;
pub mod checklist;
#[cfg(feature = "store")]
pub mod eval;
pub mod ioe;
pub mod memo;
pub mod progco;
pub mod self_certainty;
pub mod self_consistency;
pub mod self_refine;
pub mod soft_sc;
pub mod tasks;
pub mod usc;

pub use adaptive::AdaptiveConsistency;
pub use baseline::Baseline;
pub use checklist::Checklist;
pub use ioe::IfOrElse;
pub use progco::ProgCo;
pub use self_certainty::SelfCertainty;
pub use self_consistency::SelfConsistency;
pub use self_refine::SelfRefine;
pub use soft_sc::{soft_sc_pick, SoftPick, SoftSc};
pub use tasks::{Checker, ReasoningTask};
pub use usc::UniversalSc;

use crate::llm::{ChatModel, ChatRequest, ChatResponse, Message, Usage};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A way to answer a [`ReasoningTask`] with a model.
#[async_trait]
pub trait Strategy: Send + Sync {
    /// The name used on the command line and in reports.
    fn name(&self) -> &str;
    /// True for strategies that revise an initial answer (their [`Solution::initial`] is set).
    fn corrects(&self) -> bool {
        false
    }
    /// Answers the task. `Err` only when the model backend (or a program runner) fails.
    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution>;
}

/// What a strategy spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub usage: Usage,
    /// Model requests made.
    pub calls: u32,
    /// Choices received over all requests (`n` per request).
    pub samples: u32,
    /// Programs run (ProgCo's verifiers).
    pub program_runs: u32,
    /// Backend time of the requests (the responses' `timings.total_ms`), charged in full even
    /// when a response came from the eval's memo.
    pub model_ms: f64,
    /// Wall time of `solve`.
    pub wall_ms: f64,
}

impl Cost {
    /// Prompt tokens plus generated tokens.
    pub fn tokens(&self) -> u64 {
        u64::from(self.usage.prompt_tokens) + u64::from(self.usage.completion_tokens)
    }
}

/// What a trace event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// An answer to the question (initial or sampled).
    Answer,
    /// One of several samples.
    Sample,
    /// Feedback on an answer (written by the model).
    Feedback,
    /// A revised answer.
    Refine,
    /// A verification program written by the model.
    Program,
    /// A program's execution.
    Run,
    /// A comparison of two answers.
    Contrast,
    /// A confidence judgement.
    Confidence,
    /// A checklist.
    Checklist,
    /// A selection among candidates (a vote, a score, or the model's pick).
    Select,
}

/// One event of a strategy's trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub kind: StepKind,
    /// The model's text, the program's output, or a note.
    pub text: String,
    /// The canonical answer found in `text`, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// A score (a likelihood, a self-certainty, a stopping probability), when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Backend time of the model request this event records (on the first event of a batched
    /// request only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<f64>,
}

/// A strategy's answer to one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// The final canonical answer (`None` when none could be found: a recorded failure).
    pub answer: Option<String>,
    /// The text the final answer comes from.
    pub text: String,
    /// The answer before correction (correction strategies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<String>,
    /// Why the strategy stopped.
    pub stop: String,
    pub trace: Vec<TraceEvent>,
    pub cost: Cost,
}

/// Settings shared by all strategies.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Tokens per answer.
    pub max_tokens: u32,
    /// Tokens for feedback, confidence and selection replies.
    pub feedback_tokens: u32,
    /// Temperature of sampled answers (greedy answers use 0).
    pub temperature: f32,
    /// Base seed, mixed with each task's id ([`ReasoningTask::seed`]).
    pub seed: u64,
    /// Top logprobs requested with samples (what self-certainty needs; 0–20).
    pub top_logprobs: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_tokens: 128,
            feedback_tokens: 96,
            temperature: 0.7,
            seed: 0,
            top_logprobs: 5,
        }
    }
}

/// The instruction every answer request starts with.
pub const SYSTEM: &str = "Solve the problem. Think step by step in a few short sentences, then \
end with: The answer is <answer>.";

/// The line asking for a final answer in the same format, for revision prompts.
pub const END_WITH_ANSWER: &str = "End with: The answer is <answer>.";

/// The conversation that asks `task`'s question.
pub fn question_messages(task: &ReasoningTask) -> Vec<Message> {
    vec![Message::system(SYSTEM), Message::user(&task.question)]
}

/// The greedy answer request every correction strategy (and the baseline) starts with.
pub fn answer_request(task: &ReasoningTask, s: &Settings) -> ChatRequest {
    ChatRequest::new(question_messages(task))
        .temperature(0.0)
        .max_tokens(s.max_tokens)
        .seed(task.seed(s.seed))
}

/// The batched sampling request of the self-consistency family: `n` samples in one request,
/// with per-token logprobs and the top-`s.top_logprobs` alternatives, so one batch serves every
/// selector (majority, likelihood, self-certainty, the model's own pick).
pub fn samples_request(task: &ReasoningTask, s: &Settings, n: u32) -> ChatRequest {
    ChatRequest::new(question_messages(task))
        .temperature(s.temperature)
        .max_tokens(s.max_tokens)
        .seed(task.seed(s.seed))
        .n(n)
        .top_logprobs(s.top_logprobs)
        .logprobs(true)
}

/// Runs one strategy's model calls, keeping the trace and the cost.
pub(crate) struct Session<'a> {
    model: &'a dyn ChatModel,
    pub trace: Vec<TraceEvent>,
    pub cost: Cost,
    start: Instant,
    /// Backend time of the last request, until an event records it.
    last_ms: Option<f64>,
}

impl<'a> Session<'a> {
    pub fn new(model: &'a dyn ChatModel) -> Self {
        Self {
            model,
            trace: Vec::new(),
            cost: Cost::default(),
            start: Instant::now(),
            last_ms: None,
        }
    }

    /// One request, its cost added.
    pub async fn chat(&mut self, req: ChatRequest) -> anyhow::Result<ChatResponse> {
        let r = self.model.chat(req).await?;
        self.cost.calls += 1;
        self.cost.samples += r.choices.len() as u32;
        self.cost.usage += r.usage;
        self.cost.model_ms += r.timings.total_ms;
        self.last_ms = Some(r.timings.total_ms);
        Ok(r)
    }

    /// One request whose first choice's text is recorded as a `kind` event with its answer.
    pub async fn ask(
        &mut self,
        task: &ReasoningTask,
        kind: StepKind,
        req: ChatRequest,
    ) -> anyhow::Result<(String, Option<String>)> {
        let r = self.chat(req).await?;
        let text = r.text().to_string();
        let answer = task.extract(&text);
        self.event(kind, &text, answer.clone(), None);
        Ok((text, answer))
    }

    pub fn event(
        &mut self,
        kind: StepKind,
        text: &str,
        answer: Option<String>,
        score: Option<f64>,
    ) {
        let ms = self.last_ms.take();
        self.trace.push(TraceEvent {
            kind,
            text: text.to_string(),
            answer,
            score,
            ms,
        });
    }

    pub fn finish(
        mut self,
        answer: Option<String>,
        text: String,
        initial: Option<String>,
        stop: impl Into<String>,
    ) -> Solution {
        self.cost.wall_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        Solution {
            answer,
            text,
            initial,
            stop: stop.into(),
            trace: self.trace,
            cost: self.cost,
        }
    }
}

/// What a program run produced (see [`ProgramRunner`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramOutput {
    /// True when the program ran to completion (exit code 0, no limit hit).
    pub ok: bool,
    /// How it ended, in words: `success`, `exit code 1`, `timeout limit`, ….
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    /// The JSON value of the program's global `result`, when it set one.
    pub result: Option<serde_json::Value>,
    pub wall_ms: f64,
}

/// Runs Python programs (ProgCo's verifiers). The program sees the JSON `input` as the global
/// `INPUT`; the JSON value of its global `result`, when set, comes back in
/// [`ProgramOutput::result`]. `hone_tools::SandboxRunner` implements it on the wasm sandbox; core
/// depends on no sandbox. `Err` is for runner failures (a missing guest), not program failures.
#[async_trait]
pub trait ProgramRunner: Send + Sync {
    async fn run_python(
        &self,
        source: &str,
        input: serde_json::Value,
    ) -> anyhow::Result<ProgramOutput>;
}

/// Counts of each distinct answer, most frequent first; ties keep the order of first
/// appearance (the earliest sample wins). Samples without an answer do not vote.
pub fn tally(answers: &[Option<String>]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for a in answers.iter().flatten() {
        match counts.iter_mut().find(|(x, _)| x == a) {
            Some((_, c)) => *c += 1,
            None => counts.push((a.clone(), 1)),
        }
    }
    // A stable sort keeps first-appearance order among equal counts.
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
}

/// Index of the first sample whose answer is `answer`.
pub(crate) fn first_with(answers: &[Option<String>], answer: &str) -> Option<usize> {
    answers.iter().position(|a| a.as_deref() == Some(answer))
}

crate::named_enum! {
    /// The strategies [`by_name`] builds, in the order `all` runs them: the one list of their
    /// names (command line, reports, stored results).
    pub enum StrategyKind {
        Baseline = "baseline",
        SelfRefine = "self-refine",
        ProgCo = "progco",
        Sc = "sc",
        AdaptiveSc = "adaptive-sc",
        SoftSc = "soft-sc",
        Usc = "usc",
        SelfCertainty = "self-certainty",
        Ioe = "ioe",
        Checklist = "checklist",
    }
}

/// Options for [`by_name`].
#[derive(Clone)]
pub struct BuildOptions {
    pub settings: Settings,
    /// Samples for the self-consistency family (and Adaptive-Consistency's budget).
    pub n: u32,
    /// Rounds for Self-Refine and ProgCo.
    pub rounds: u32,
    /// Adaptive-Consistency's batch size.
    pub batch: u32,
    /// The vocabulary size self-certainty assumes.
    pub vocab: u32,
    /// Runs ProgCo's programs; ProgCo is unavailable without one.
    pub runner: Option<std::sync::Arc<dyn ProgramRunner>>,
}

/// Builds a strategy.
pub fn by_name(kind: StrategyKind, o: &BuildOptions) -> anyhow::Result<Box<dyn Strategy>> {
    let s = o.settings.clone();
    Ok(match kind {
        StrategyKind::Baseline => Box::new(Baseline::new(s)),
        StrategyKind::SelfRefine => Box::new(SelfRefine::new(s).rounds(o.rounds)),
        StrategyKind::ProgCo => {
            let runner = o
                .runner
                .clone()
                .ok_or_else(|| anyhow::anyhow!("progco needs a program runner (the sandbox)"))?;
            Box::new(ProgCo::new(s, runner).rounds(o.rounds))
        }
        StrategyKind::Sc => Box::new(SelfConsistency::new(s, o.n)),
        StrategyKind::AdaptiveSc => Box::new(AdaptiveConsistency::new(s, o.n).batch(o.batch)),
        StrategyKind::SoftSc => Box::new(SoftSc::new(s, o.n)),
        StrategyKind::Usc => Box::new(UniversalSc::new(s, o.n)),
        StrategyKind::SelfCertainty => Box::new(SelfCertainty::new(s, o.n).vocab(o.vocab)),
        StrategyKind::Ioe => Box::new(IfOrElse::new(s)),
        StrategyKind::Checklist => Box::new(Checklist::new(s)),
    })
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared by the strategies' unit tests.
    use super::*;
    use crate::llm::{Choice, FinishReason, TokenLogprob};

    pub fn task() -> ReasoningTask {
        ReasoningTask {
            id: "t-1".into(),
            kind: "arithmetic".into(),
            question: "Tom has 3 apples and buys 4 more. How many apples does he have?".into(),
            answer: "7".into(),
            checker: Checker::Int,
        }
    }

    /// A choice whose tokens all have log-probability `lp`, each with `top` alternatives.
    pub fn choice_lp(text: &str, lp: f32, tokens: usize, top: &[f32]) -> Choice {
        Choice {
            text: text.into(),
            finish_reason: FinishReason::Stop,
            logprobs: Some(
                (0..tokens)
                    .map(|i| TokenLogprob {
                        token: format!("t{i}"),
                        logprob: lp,
                        top: top.iter().map(|&l| ("x".to_string(), l)).collect(),
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_and_breaks_ties_by_first_appearance() {
        let a = |s: &str| Some(s.to_string());
        let t = tally(&[a("5"), None, a("7"), a("7"), a("5"), a("9")]);
        assert_eq!(t, vec![("5".into(), 2), ("7".into(), 2), ("9".into(), 1)]);
        let t = tally(&[a("7"), a("5"), a("5"), a("7")]);
        assert_eq!(t[0].0, "7", "7 appeared first");
        assert!(tally(&[None, None]).is_empty());
    }

    #[test]
    fn every_name_builds() {
        struct NoRun;
        #[async_trait]
        impl ProgramRunner for NoRun {
            async fn run_python(
                &self,
                _: &str,
                _: serde_json::Value,
            ) -> anyhow::Result<ProgramOutput> {
                anyhow::bail!("unused")
            }
        }
        let mut o = BuildOptions {
            settings: Settings::default(),
            n: 5,
            rounds: 2,
            batch: 2,
            vocab: 49152,
            runner: Some(std::sync::Arc::new(NoRun)),
        };
        for kind in StrategyKind::ALL {
            assert_eq!(by_name(*kind, &o).unwrap().name(), kind.name());
        }
        o.runner = None;
        assert!(by_name(StrategyKind::ProgCo, &o).is_err());
    }
}
