//! The reasoning eval: every chosen strategy on the same tasks, one JSONL line per task and
//! strategy, a summary table with accuracy and cost, and for correction strategies the
//! decomposition of Yang et al. 2024 ("Confidence v.s. Critique: A Decomposition of
//! Self-Correction Capability for LLMs"): *confidence* = the share of initially-correct answers
//! still correct after correction, *critique* = the share of initially-wrong answers made
//! correct.
//!
//! Resumable: lines already in the JSONL (without an `error`) are not recomputed; the last line
//! for a (strategy, task) pair wins, so a rerun after an error appends the retry. A torn last
//! line (a run killed mid-write) is ignored.

use super::memo::MemoModel;
use super::{samples_request, Cost, ReasoningTask, Settings, Strategy, TraceEvent};
use crate::llm::ChatModel;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// One strategy on one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub strategy: String,
    pub id: String,
    pub kind: String,
    pub question: String,
    pub expected: String,
    pub answer: Option<String>,
    pub correct: bool,
    /// Correction strategies: the answer before correction, and whether it was right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_correct: Option<bool>,
    pub stop: String,
    pub cost: Cost,
    /// The model backend failed (the item counts as wrong; a rerun retries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub trace: Vec<TraceEvent>,
}

/// The results file in an output folder.
pub fn results_path(out: &Path) -> PathBuf {
    out.join("results.jsonl")
}

/// Reads a results file: the last line per (strategy, id); a line that does not parse is
/// skipped only when it is the last one (a torn write), else it is an error.
pub fn read_results(path: &Path) -> anyhow::Result<Vec<ItemResult>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out: Vec<ItemResult> = Vec::new();
    let mut at: HashMap<(String, String), usize> = HashMap::new();
    for (i, line) in lines.iter().enumerate() {
        let r: ItemResult = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(_) if i + 1 == lines.len() => {
                tracing::warn!("{}: ignoring a torn last line", path.display());
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("{} line {}", path.display(), i + 1)),
        };
        let key = (r.strategy.clone(), r.id.clone());
        match at.get(&key) {
            Some(&j) => out[j] = r,
            None => {
                at.insert(key, out.len());
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// Runs `strategies` on `tasks` (task by task, every strategy on a task before the next task),
/// appending each new result to `results` and calling `on_result(result, resumed)` for every
/// (task, strategy) pair. With `share`, a [`MemoModel`] serves requests repeated across
/// strategies of one task (see its docs). Returns the results in (task, strategy) order.
pub async fn run_eval(
    model: Arc<dyn ChatModel>,
    strategies: &[Box<dyn Strategy>],
    tasks: &[ReasoningTask],
    results: &Path,
    share: bool,
    on_result: &mut (dyn FnMut(&ItemResult, bool) + Send),
) -> anyhow::Result<Vec<ItemResult>> {
    let previous = read_results(results)?;
    let done: HashMap<(String, String), ItemResult> = previous
        .into_iter()
        .filter(|r| r.error.is_none())
        .map(|r| ((r.strategy.clone(), r.id.clone()), r))
        .collect();
    if let Some(dir) = results.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(results)
        .with_context(|| format!("opening {}", results.display()))?;
    let memo = Arc::new(MemoModel::new(model.clone()));
    let used: Arc<dyn ChatModel> = if share { memo.clone() } else { model };
    let mut out = Vec::new();
    for task in tasks {
        for strategy in strategies {
            let key = (strategy.name().to_string(), task.id.clone());
            if let Some(r) = done.get(&key) {
                on_result(r, true);
                out.push(r.clone());
                continue;
            }
            let r = solve_one(strategy.as_ref(), used.as_ref(), task).await;
            let mut line = serde_json::to_string(&r)?;
            line.push('\n');
            file.write_all(line.as_bytes())
                .and_then(|_| file.flush())
                .with_context(|| format!("writing {}", results.display()))?;
            on_result(&r, false);
            out.push(r);
        }
        memo.clear();
    }
    Ok(out)
}

/// One strategy on one task, a backend failure recorded as a failed item.
pub async fn solve_one(
    strategy: &dyn Strategy,
    model: &dyn ChatModel,
    task: &ReasoningTask,
) -> ItemResult {
    let t0 = Instant::now();
    let base = ItemResult {
        strategy: strategy.name().to_string(),
        id: task.id.clone(),
        kind: task.kind.clone(),
        question: task.question.clone(),
        expected: task.answer.clone(),
        answer: None,
        correct: false,
        initial: None,
        initial_correct: None,
        stop: String::new(),
        cost: Cost::default(),
        error: None,
        trace: Vec::new(),
    };
    match strategy.solve(model, task).await {
        Ok(sol) => ItemResult {
            correct: task.is_correct(sol.answer.as_deref()),
            initial_correct: strategy
                .corrects()
                .then(|| task.is_correct(sol.initial.as_deref())),
            answer: sol.answer,
            initial: sol.initial,
            stop: sol.stop,
            cost: sol.cost,
            trace: sol.trace,
            ..base
        },
        Err(e) => ItemResult {
            stop: "error".into(),
            error: Some(format!("{e:#}")),
            cost: Cost {
                wall_ms: t0.elapsed().as_secs_f64() * 1000.0,
                ..Cost::default()
            },
            ..base
        },
    }
}

/// A count out of a total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub count: usize,
    pub of: usize,
}

impl Share {
    pub fn rate(&self) -> Option<f64> {
        (self.of > 0).then(|| self.count as f64 / self.of as f64)
    }
    /// `83.3% (10/12)`, or `- (0/0)`.
    pub fn show(&self) -> String {
        match self.rate() {
            Some(r) => format!("{:.1}% ({}/{})", 100.0 * r, self.count, self.of),
            None => "- (0/0)".into(),
        }
    }
}

/// One strategy's figures over the items it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategySummary {
    pub strategy: String,
    pub items: usize,
    pub correct: usize,
    pub no_answer: usize,
    pub errors: usize,
    pub cost: Cost,
    /// Correction strategies: initially-correct kept correct.
    pub confidence: Option<Share>,
    /// Correction strategies: initially-wrong made correct.
    pub critique: Option<Share>,
    /// Accuracy by task kind: (kind, correct, items).
    pub by_kind: Vec<(String, usize, usize)>,
}

impl StrategySummary {
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.items.max(1) as f64
    }
    fn per_item(&self, x: f64) -> f64 {
        x / self.items.max(1) as f64
    }
}

/// Figures per strategy, in the order strategies first appear in `results`.
pub fn summarize(results: &[ItemResult]) -> Vec<StrategySummary> {
    let mut order: Vec<String> = Vec::new();
    for r in results {
        if !order.contains(&r.strategy) {
            order.push(r.strategy.clone());
        }
    }
    order
        .into_iter()
        .map(|name| {
            let rs: Vec<&ItemResult> = results.iter().filter(|r| r.strategy == name).collect();
            let mut cost = Cost::default();
            for r in &rs {
                cost.usage += r.cost.usage;
                cost.calls += r.cost.calls;
                cost.samples += r.cost.samples;
                cost.program_runs += r.cost.program_runs;
                cost.model_ms += r.cost.model_ms;
                cost.wall_ms += r.cost.wall_ms;
            }
            let corrects = rs.iter().any(|r| r.initial_correct.is_some());
            let share = |initially: bool| {
                let base: Vec<&&ItemResult> = rs
                    .iter()
                    .filter(|r| r.initial_correct == Some(initially))
                    .collect();
                Share {
                    count: base.iter().filter(|r| r.correct).count(),
                    of: base.len(),
                }
            };
            let mut by_kind: Vec<(String, usize, usize)> = Vec::new();
            for r in &rs {
                match by_kind.iter_mut().find(|(k, _, _)| *k == r.kind) {
                    Some(e) => {
                        e.1 += usize::from(r.correct);
                        e.2 += 1;
                    }
                    None => by_kind.push((r.kind.clone(), usize::from(r.correct), 1)),
                }
            }
            StrategySummary {
                items: rs.len(),
                correct: rs.iter().filter(|r| r.correct).count(),
                no_answer: rs
                    .iter()
                    .filter(|r| r.answer.is_none() && r.error.is_none())
                    .count(),
                errors: rs.iter().filter(|r| r.error.is_some()).count(),
                cost,
                confidence: corrects.then(|| share(true)),
                critique: corrects.then(|| share(false)),
                by_kind,
                strategy: name,
            }
        })
        .collect()
}

/// The summary as a fixed-width text table (what `hone eval reasoning` prints).
pub fn table(summaries: &[StrategySummary]) -> String {
    let mut t = format!(
        "{:<15} {:>5} {:>6} {:>6} {:>11} {:>8} {:>6} {:>7} {:>7} {:>7} {:>7}  {:<16} {:<16}\n",
        "strategy",
        "items",
        "acc%",
        "no-ans",
        "tokens/item",
        "gen/item",
        "calls",
        "samples",
        "progs",
        "model s",
        "wall s",
        "confidence",
        "critique"
    );
    for s in summaries {
        let c = &s.cost;
        t.push_str(&format!(
            "{:<15} {:>5} {:>6.1} {:>6} {:>11.0} {:>8.0} {:>6.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2}  {:<16} {:<16}\n",
            s.strategy,
            s.items,
            100.0 * s.accuracy(),
            s.no_answer + s.errors,
            s.per_item(c.tokens() as f64),
            s.per_item(f64::from(c.usage.completion_tokens)),
            s.per_item(f64::from(c.calls)),
            s.per_item(f64::from(c.samples)),
            s.per_item(f64::from(c.program_runs)),
            s.per_item(c.model_ms) / 1000.0,
            s.per_item(c.wall_ms) / 1000.0,
            s.confidence.map_or("-".into(), |x| x.show()),
            s.critique.map_or("-".into(), |x| x.show()),
        ));
    }
    t
}

/// Accuracy by task kind, one row per strategy.
pub fn kind_table(summaries: &[StrategySummary]) -> String {
    let mut kinds: Vec<String> = Vec::new();
    for s in summaries {
        for (k, _, _) in &s.by_kind {
            if !kinds.contains(k) {
                kinds.push(k.clone());
            }
        }
    }
    let mut t = format!("{:<15}", "acc% by kind");
    for k in &kinds {
        t.push_str(&format!(" {k:>12}"));
    }
    t.push('\n');
    for s in summaries {
        t.push_str(&format!("{:<15}", s.strategy));
        for k in &kinds {
            let cell = s
                .by_kind
                .iter()
                .find(|(x, _, _)| x == k)
                .map_or("-".to_string(), |(_, c, n)| {
                    format!("{:.0} ({c}/{n})", 100.0 * *c as f64 / (*n).max(1) as f64)
                });
            t.push_str(&format!(" {cell:>12}"));
        }
        t.push('\n');
    }
    t
}

/// Adaptive-Consistency against fixed-n self-consistency, when both ran.
pub fn adaptive_line(summaries: &[StrategySummary], n: u32) -> Option<String> {
    let sc = summaries.iter().find(|s| s.strategy == "sc")?;
    let ad = summaries.iter().find(|s| s.strategy == "adaptive-sc")?;
    let per = |s: &StrategySummary| s.per_item(f64::from(s.cost.samples));
    let (fixed, drawn) = (per(sc), per(ad));
    Some(format!(
        "adaptive-sc drew {drawn:.2} samples/item against {fixed:.2} for sc (n = {n}): {:.1}% \
         fewer samples, in {:.2} calls/item; accuracy {:.1}% vs {:.1}%",
        100.0 * (1.0 - drawn / fixed.max(1e-9)),
        ad.per_item(f64::from(ad.cost.calls)),
        100.0 * ad.accuracy(),
        100.0 * sc.accuracy()
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
        let path = results_path(dir.path());
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
        let mut seen = Vec::new();
        let rs = run_eval(
            model.clone(),
            &strategies(),
            &tasks(),
            &path,
            true,
            &mut |r, resumed| seen.push((r.strategy.clone(), r.id.clone(), resumed)),
        )
        .await
        .unwrap();
        assert_eq!(model.remaining(), 0);
        assert_eq!(model.requests().len(), 7, "the greedy answers were shared");
        assert_eq!(rs.len(), 6);
        assert!(seen.iter().all(|s| !s.2));
        let s = summarize(&rs);
        assert_eq!(s[0].strategy, "baseline");
        assert_eq!((s[0].correct, s[1].correct, s[2].correct), (1, 2, 1));
        assert_eq!(s[1].confidence, Some(Share { count: 1, of: 1 }));
        assert_eq!(s[1].critique, Some(Share { count: 1, of: 1 }));
        assert_eq!(s[0].confidence, None);
        // Each strategy is charged its calls even when the memo served them.
        assert_eq!(s[1].cost.calls, 2 + 3);
        assert_eq!(s[2].cost.samples, 6);
        assert_eq!(s[0].by_kind, vec![("a".into(), 1, 1), ("b".into(), 0, 1)]);
        let text = table(&s);
        assert!(text.contains("100.0% (1/1)"), "{text}");
        assert!(kind_table(&s).contains("100 (1/1)"));

        // A rerun computes nothing: the model has no replies left and is not called.
        let mut resumed = 0;
        let again = run_eval(
            model.clone(),
            &strategies(),
            &tasks(),
            &path,
            true,
            &mut |_, r| resumed += usize::from(r),
        )
        .await
        .unwrap();
        assert_eq!(resumed, 6);
        assert_eq!(again, rs);
        assert_eq!(read_results(&path).unwrap().len(), 6);
    }

    #[tokio::test]
    async fn scripted_backend_errors_are_recorded_and_retried() {
        let dir = tempfile::tempdir().unwrap();
        let path = results_path(dir.path());
        let only: Vec<Box<dyn Strategy>> = vec![Box::new(Baseline::new(Settings::default()))];
        let task = &tasks()[..1];
        let empty = Arc::new(Scripted::new(Vec::<String>::new()));
        let rs = run_eval(empty, &only, task, &path, false, &mut |_, _| {})
            .await
            .unwrap();
        assert!(rs[0].error.as_deref().unwrap().contains("script exhausted"));
        assert!(!rs[0].correct);
        assert_eq!(summarize(&rs)[0].errors, 1);
        let ok = Arc::new(Scripted::new(["The answer is 7."]));
        let rs = run_eval(ok, &only, task, &path, false, &mut |_, _| {})
            .await
            .unwrap();
        assert!(rs[0].correct);
        let lines = read_results(&path).unwrap();
        assert_eq!(lines.len(), 1, "the retry replaced the error");
        assert!(lines[0].correct);
        // A torn last line is ignored, a torn middle line is not.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"strategy\": \"base");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read_results(&path).unwrap().len(), 1);
        text.push_str("\n{}\n");
        std::fs::write(&path, &text).unwrap();
        assert!(read_results(&path).is_err());
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

    #[test]
    fn adaptive_comparison_line() {
        let mk = |name: &str, samples: u32, calls: u32, correct: usize| StrategySummary {
            strategy: name.into(),
            items: 10,
            correct,
            no_answer: 0,
            errors: 0,
            cost: Cost {
                samples,
                calls,
                ..Cost::default()
            },
            confidence: None,
            critique: None,
            by_kind: vec![],
        };
        let l = adaptive_line(&[mk("sc", 50, 10, 3), mk("adaptive-sc", 40, 20, 3)], 5).unwrap();
        assert!(l.contains("4.00 samples/item against 5.00"), "{l}");
        assert!(l.contains("20.0% fewer"), "{l}");
        assert!(adaptive_line(&[mk("sc", 1, 1, 1)], 5).is_none());
    }
}
