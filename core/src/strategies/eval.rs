//! The reasoning eval on the one engine ([`crate::eval::Eval`]): every chosen strategy on the
//! same tasks. Each (task, strategy) pair is one [`Episode`] whose *arm* is the strategy: won =
//! the final answer is right, `initial_won` = the answer before correction was (so the report
//! splits self-correction into confidence and critique, Yang et al. 2024, "Confidence v.s.
//! Critique: A Decomposition of Self-Correction Capability for LLMs"), the trace as its steps,
//! and the counters (calls, samples, programs run, backend time) as its metrics.
//!
//! The strategies of one task run one after the other through a [`MemoModel`], so identical
//! requests (the greedy first answer, the batched samples) reach the model once and every
//! strategy is still charged their full cost. A backend failure is recorded as that pair's
//! error episode and retried on a rerun.

use super::memo::MemoModel;
use super::{samples_request, ReasoningTask, Settings, Solution, Strategy, TraceEvent};
use crate::env::{Environment, TaskSpec};
use crate::eval::{Harness, TaskContext, TaskRunner};
use crate::llm::ChatModel;
use crate::report::RunReport;
use crate::trajectory::{Action, Episode, StepRecord, StopReason};
use anyhow::Context;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// The reasoning tasks as a harness (no environment: a strategy answers the question).
pub struct ReasoningHarness {
    tasks: Vec<TaskSpec>,
}

impl ReasoningHarness {
    pub fn new(tasks: &[ReasoningTask]) -> anyhow::Result<Self> {
        let tasks = tasks
            .iter()
            .map(|t| {
                Ok(TaskSpec::new(&t.id)
                    .family(&t.kind)
                    .goal(&t.question)
                    .config(serde_json::to_value(t)?))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { tasks })
    }
}

impl Harness for ReasoningHarness {
    fn name(&self) -> &str {
        "reasoning"
    }
    fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }
    fn environment(&self, _task: &TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> {
        Ok(None)
    }
}

/// Runs every strategy on a task (one arm each), sharing identical requests when `share`.
pub struct StrategyRunner {
    model: Arc<dyn ChatModel>,
    strategies: Vec<Box<dyn Strategy>>,
    share: bool,
}

impl StrategyRunner {
    pub fn new(model: Arc<dyn ChatModel>, strategies: Vec<Box<dyn Strategy>>) -> Self {
        Self {
            model,
            strategies,
            share: true,
        }
    }

    /// Send every strategy's requests to the model instead of sharing identical ones.
    pub fn share(mut self, on: bool) -> Self {
        self.share = on;
        self
    }

    /// The arms, in the order they run.
    pub fn arms(&self) -> Vec<String> {
        self.strategies
            .iter()
            .map(|s| s.name().to_string())
            .collect()
    }
}

#[async_trait]
impl TaskRunner for StrategyRunner {
    async fn run_task(
        &self,
        cx: &TaskContext<'_>,
        spec: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        let task: ReasoningTask = serde_json::from_value(spec.config.clone())
            .with_context(|| format!("task `{}` is not a reasoning task", spec.id))?;
        let memo = MemoModel::new(self.model.clone());
        let model: &dyn ChatModel = if self.share {
            &memo
        } else {
            self.model.as_ref()
        };
        let mut out = Vec::new();
        for strategy in &self.strategies {
            let arm = strategy.name();
            if let Some(e) = cx.store.finished_episode(cx.run, &spec.id, arm, 0)? {
                out.push(e);
                continue;
            }
            let ep = solve_one(strategy.as_ref(), model, spec, &task).await;
            cx.store.put_episode(cx.run, &ep)?;
            out.push(ep);
        }
        Ok(out)
    }
}

/// One strategy on one task as an episode; a backend failure is a recorded error.
pub async fn solve_one(
    strategy: &dyn Strategy,
    model: &dyn ChatModel,
    spec: &TaskSpec,
    task: &ReasoningTask,
) -> Episode {
    let t0 = Instant::now();
    let mut ep = Episode::new(spec.clone(), model.name());
    ep.arm = strategy.name().to_string();
    match strategy.solve(model, task).await {
        Ok(sol) => {
            ep.won = task.is_correct(sol.answer.as_deref());
            ep.initial_won = strategy
                .corrects()
                .then(|| task.is_correct(sol.initial.as_deref()));
            record_solution(&mut ep, sol);
            ep.stop = StopReason::Done;
        }
        Err(e) => {
            ep.stop = StopReason::ModelError;
            ep.error = Some(format!("{e:#}"));
            ep.wall_ms = t0.elapsed().as_secs_f64() * 1000.0;
        }
    }
    ep
}

fn record_solution(ep: &mut Episode, sol: Solution) {
    ep.reward = f64::from(u8::from(ep.won));
    ep.answer = sol.answer;
    ep.usage = sol.cost.usage;
    ep.wall_ms = sol.cost.wall_ms;
    for (k, v) in [
        ("calls", f64::from(sol.cost.calls)),
        ("samples", f64::from(sol.cost.samples)),
        ("programs", f64::from(sol.cost.program_runs)),
        ("model_s", sol.cost.model_ms / 1000.0),
    ] {
        ep.metrics.insert(k.to_string(), v);
    }
    ep.steps = sol
        .trace
        .into_iter()
        .enumerate()
        .map(|(index, ev): (usize, TraceEvent)| StepRecord {
            index,
            raw: ev.text,
            action: Action::Trace {
                kind: serde_json::to_value(ev.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                answer: ev.answer,
                score: ev.score,
            },
            observation: String::new(),
            reward: 0.0,
            done: false,
            won: false,
            usage: Default::default(),
            latency_ms: ev.ms.unwrap_or(0.0),
        })
        .collect();
}

/// Adaptive-Consistency against fixed-n self-consistency, when both ran.
pub fn adaptive_line(report: &RunReport, n: u32) -> Option<String> {
    let sc = report.arm(super::StrategyKind::Sc.name())?;
    let ad = report.arm(super::StrategyKind::AdaptiveSc.name())?;
    let per = |a: &crate::report::ArmReport, k: &str| {
        a.metrics.get(k).copied().unwrap_or(0.0) / a.all.tasks.max(1) as f64
    };
    let (fixed, drawn) = (per(sc, "samples"), per(ad, "samples"));
    Some(format!(
        "adaptive-sc drew {drawn:.2} samples/item against {fixed:.2} for sc (n = {n}): {:.1}% \
         fewer samples, in {:.2} calls/item; accuracy {:.1}% vs {:.1}%",
        100.0 * (1.0 - drawn / fixed.max(1e-9)),
        per(ad, "calls"),
        100.0 * ad.all.rate(),
        100.0 * sc.all.rate()
    ))
}

/// Batched sampling against the same samples drawn one request at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SamplingCost {
    pub items: usize,
    pub n: u32,
    pub batched_ms: f64,
    pub sequential_ms: f64,
    pub batched_tokens: u64,
    pub sequential_tokens: u64,
}

impl SamplingCost {
    pub fn ratio(&self) -> f64 {
        self.batched_ms / self.sequential_ms.max(1e-9)
    }
    pub fn line(&self) -> String {
        format!(
            "sampling cost over {} items, n = {}: one batched request {:.2} s/item ({} tokens) vs \
             {} sequential requests {:.2} s/item ({} tokens): ratio {:.3}",
            self.items,
            self.n,
            self.batched_ms / 1000.0 / self.items.max(1) as f64,
            self.batched_tokens,
            self.n,
            self.sequential_ms / 1000.0 / self.items.max(1) as f64,
            self.sequential_tokens,
            self.ratio()
        )
    }
}

/// Times, for each task, the self-consistency samples drawn in one request (`n = N`) against
/// `N` requests of one sample each (seeds `seed + i`, the prompt found in the cache after the
/// first). Wall time on `model` directly (no memo).
pub async fn sampling_cost(
    model: &dyn ChatModel,
    tasks: &[ReasoningTask],
    settings: &Settings,
    n: u32,
) -> anyhow::Result<SamplingCost> {
    let mut c = SamplingCost {
        items: tasks.len(),
        n,
        ..SamplingCost::default()
    };
    for task in tasks {
        let t0 = Instant::now();
        let r = model.chat(samples_request(task, settings, n)).await?;
        c.batched_ms += t0.elapsed().as_secs_f64() * 1000.0;
        c.batched_tokens += u64::from(r.usage.completion_tokens);
        let seed = task.seed(settings.seed);
        let t0 = Instant::now();
        for i in 0..n {
            let r = model
                .chat(samples_request(task, settings, 1).seed(seed.wrapping_add(u64::from(i))))
                .await?;
            c.sequential_tokens += u64::from(r.usage.completion_tokens);
        }
        c.sequential_ms += t0.elapsed().as_secs_f64() * 1000.0;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Eval, Manifest};
    use crate::llm::Scripted;
    use crate::strategies::{Baseline, SelfConsistency, SelfRefine};

    fn tasks() -> Vec<ReasoningTask> {
        let mut t = crate::strategies::testing::task();
        let mut u = t.clone();
        u.id = "t-2".into();
        u.answer = "9".into();
        t.kind = "a".into();
        u.kind = "b".into();
        vec![t, u]
    }

    fn strategies() -> Vec<Box<dyn Strategy>> {
        vec![
            Box::new(Baseline::new(Settings::default())),
            Box::new(SelfRefine::new(Settings::default()).rounds(1)),
            Box::new(SelfConsistency::new(Settings::default(), 3)),
        ]
    }

    #[tokio::test]
    async fn scripted_eval_shares_requests_resumes_and_decomposes() {
        let dir = tempfile::tempdir().unwrap();
        // Task 1: baseline 7 (right); self-refine reuses it (memo), feedback DONE; sc votes 7.
        // Task 2: baseline 8 (wrong, expected 9); self-refine fixes it to 9; sc fails.
        let model = Arc::new(Scripted::with_choices([
            vec![Scripted::choice("The answer is 7.")],
            vec![Scripted::choice("DONE")],
            vec![
                Scripted::choice("The answer is 7."),
                Scripted::choice("The answer is 5."),
            ],
            vec![Scripted::choice("The answer is 8.")],
            vec![Scripted::choice("It should be 9.")],
            vec![Scripted::choice("The answer is 9.")],
            vec![Scripted::choice("no"), Scripted::choice("The answer is 8.")],
        ]));
        let harness = ReasoningHarness::new(&tasks()).unwrap();
        let runner = StrategyRunner::new(model.clone(), strategies());
        let eval = Eval::open(dir.path(), Manifest::new("reasoning"), None)
            .unwrap()
            .progress(false);
        let out = eval.run(&harness, &runner).await.unwrap();
        assert_eq!(model.remaining(), 0);
        assert_eq!(model.requests().len(), 7, "the greedy answers were shared");
        assert_eq!(out.episodes.len(), 6);
        let r = out.report.order_arms(&runner.arms());
        assert_eq!(r.arms[0].name, "baseline");
        let won: Vec<usize> = r.arms.iter().map(|a| a.all.won).collect();
        assert_eq!(won, [1, 2, 1]);
        let refine = r.arm("self-refine").unwrap().correction.clone().unwrap();
        assert_eq!((refine.confidence.count, refine.confidence.of), (1, 1));
        assert_eq!((refine.critique.count, refine.critique.of), (1, 1));
        assert!(r.arm("baseline").unwrap().correction.is_none());
        // Each strategy is charged its calls even when the memo served them.
        assert_eq!(r.arm("self-refine").unwrap().metrics["calls"], 5.0);
        assert_eq!(r.arm("sc").unwrap().metrics["samples"], 6.0);
        let text = r.text();
        assert!(
            text.contains("100.0% (1/1)") && text.contains("samples/task"),
            "{text}"
        );

        // A rerun computes nothing: the model has no replies left and is not called.
        let again = eval.run(&harness, &runner).await.unwrap();
        assert_eq!((again.computed, again.resumed), (0, 2));
        assert_eq!(again.episodes, out.episodes);
    }

    #[tokio::test]
    async fn scripted_backend_errors_are_recorded_and_retried() {
        let dir = tempfile::tempdir().unwrap();
        let only =
            || -> Vec<Box<dyn Strategy>> { vec![Box::new(Baseline::new(Settings::default()))] };
        let harness = ReasoningHarness::new(&tasks()[..1]).unwrap();
        let eval = Eval::open(dir.path(), Manifest::new("reasoning"), None)
            .unwrap()
            .progress(false);
        let empty = Arc::new(Scripted::new(Vec::<String>::new()));
        let out = eval
            .run(&harness, &StrategyRunner::new(empty, only()))
            .await
            .unwrap();
        assert!(out.episodes[0]
            .error
            .as_deref()
            .unwrap()
            .contains("script exhausted"));
        assert_eq!(out.report.arms[0].all.errors, 1);
        let ok = Arc::new(Scripted::new(["The answer is 7."]));
        let out = eval
            .run(&harness, &StrategyRunner::new(ok, only()))
            .await
            .unwrap();
        assert!(out.episodes[0].won);
        assert_eq!(eval.store().episodes(crate::eval::RUN).unwrap().len(), 1);
    }

    #[test]
    fn adaptive_comparison_line() {
        let mut eps = Vec::new();
        for (arm, samples, calls) in [("sc", 5.0, 1.0), ("adaptive-sc", 4.0, 2.0)] {
            for i in 0..10 {
                let mut e = Episode::new(TaskSpec::new(format!("q{i}")), "m");
                e.arm = arm.into();
                e.won = i < 3;
                e.metrics.insert("samples".into(), samples);
                e.metrics.insert("calls".into(), calls);
                eps.push(e);
            }
        }
        let r = RunReport::from_episodes("t", &eps, 1);
        let l = adaptive_line(&r, 5).unwrap();
        assert!(l.contains("4.00 samples/item against 5.00"), "{l}");
        assert!(
            l.contains("20.0% fewer") && l.contains("2.00 calls/item"),
            "{l}"
        );
        let only_sc = RunReport::from_episodes("t", &eps[..10], 1);
        assert!(adaptive_line(&only_sc, 5).is_none());
    }

    #[tokio::test]
    async fn scripted_sampling_cost_makes_one_batched_and_n_single_requests() {
        let m = Scripted::with_choices(vec![vec![Scripted::choice("The answer is 7.")]; 4]);
        let c = sampling_cost(&m, &tasks()[..1], &Settings::default(), 3)
            .await
            .unwrap();
        let ns: Vec<u32> = m.requests().iter().map(|r| r.n).collect();
        assert_eq!(ns, [3, 1, 1, 1]);
        assert_eq!(c.items, 1);
        assert!(c.line().contains("n = 3"));
    }
}
