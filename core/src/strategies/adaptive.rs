//! Adaptive-Consistency (Aggarwal et al. 2023, "Let's Sample Step by Step: Adaptive-Consistency
//! for Efficient Reasoning and Coding with LLMs"): self-consistency that draws samples a small
//! batch at a time and stops as soon as a stopping criterion says the majority answer is
//! stable, instead of always drawing the full budget.
//!
//! Stopping criterion: the paper's Beta criterion. With `v1` and `v2` the counts of the two most
//! frequent answers so far, the probability that the leading answer is truly more likely than
//! the runner-up is `P(p1 > p2) = P(X > 1/2)` for `X ~ Beta(v1 + 1, v2 + 1)`; sampling stops once
//! it reaches `threshold` (0.95 by default, as in the paper). For whole-number parameters that
//! integral has a closed form, `P(Binomial(v1 + v2 + 1, 1/2) <= v1)`, which [`beta_stop`]
//! evaluates exactly (no numerical integration).
//!
//! Sample `i` uses seed `task seed + i` whatever the batch size, so the samples are those a
//! single batch would draw (up to the backend's float rounding). The answer is the majority of
//! the samples drawn, ties broken as in [`super::self_consistency`]. The solution's
//! `cost.samples` against the budget `max` is what the strategy saved.

use super::self_consistency::majority;
use super::{
    samples_request, tally, ReasoningTask, Session, Settings, Solution, StepKind, Strategy,
};
use crate::llm::ChatModel;
use async_trait::async_trait;

/// `P(X > 1/2)` for `X ~ Beta(v1 + 1, v2 + 1)`: how sure we are that the leading answer (with
/// `v1` votes) beats the runner-up (`v2` votes).
pub fn beta_stop(v1: usize, v2: usize) -> f64 {
    let n = v1 + v2 + 1;
    let ln2n = n as f64 * std::f64::consts::LN_2;
    let mut ln_c = 0.0f64; // ln C(n, 0)
    let mut sum = (-ln2n).exp();
    for j in 1..=v1 {
        ln_c += ((n - j + 1) as f64).ln() - (j as f64).ln();
        sum += (ln_c - ln2n).exp();
    }
    sum.min(1.0)
}

/// Samples in batches until the Beta criterion says the majority is stable.
#[derive(Debug, Clone)]
pub struct AdaptiveConsistency {
    settings: Settings,
    max: u32,
    batch: u32,
    threshold: f64,
}

impl AdaptiveConsistency {
    /// At most `max` samples.
    pub fn new(settings: Settings, max: u32) -> Self {
        Self {
            settings,
            max: max.max(1),
            batch: 2,
            threshold: 0.95,
        }
    }
    /// Samples per request (default 2).
    pub fn batch(mut self, b: u32) -> Self {
        self.batch = b.max(1);
        self
    }
    /// Stop once `P(leader beats runner-up)` reaches this (default 0.95).
    pub fn threshold(mut self, t: f64) -> Self {
        self.threshold = t;
        self
    }
}

#[async_trait]
impl Strategy for AdaptiveConsistency {
    fn name(&self) -> &str {
        super::StrategyKind::AdaptiveSc.name()
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let mut s = Session::new(model);
        let base = task.seed(self.settings.seed);
        let mut texts = Vec::new();
        let mut answers: Vec<Option<String>> = Vec::new();
        let mut stop = format!("budget of {} samples used", self.max);
        while (answers.len() as u32) < self.max {
            let k = self.batch.min(self.max - answers.len() as u32);
            let mut req = samples_request(task, &self.settings, k)
                .seed(base.wrapping_add(answers.len() as u64));
            req.logprobs = false;
            req.top_logprobs = 0;
            let r = s.chat(req).await?;
            for c in &r.choices {
                let a = task.extract(&c.text);
                s.event(StepKind::Sample, &c.text, a.clone(), None);
                texts.push(c.text.clone());
                answers.push(a);
            }
            let t = tally(&answers);
            let v1 = t.first().map_or(0, |x| x.1);
            let v2 = t.get(1).map_or(0, |x| x.1);
            let p = if v1 == 0 { 0.0 } else { beta_stop(v1, v2) };
            s.event(
                StepKind::Select,
                &format!(
                    "{} samples: leader {v1}, runner-up {v2}, P(stable) {p:.3}",
                    answers.len()
                ),
                t.first().map(|x| x.0.clone()),
                Some(p),
            );
            if p >= self.threshold {
                stop = format!("stable majority after {} samples (P {p:.3})", answers.len());
                break;
            }
        }
        match majority(&answers) {
            Some((answer, _, first)) => {
                Ok(s.finish(Some(answer), texts[first].clone(), None, stop))
            }
            None => Ok(s.finish(
                None,
                texts.first().cloned().unwrap_or_default(),
                None,
                format!("{stop}; no sample had an answer"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;
    use crate::strategies::testing::task;

    #[test]
    fn beta_criterion_closed_form() {
        // P(Bin(n, 1/2) <= v1), n = v1 + v2 + 1.
        assert!((beta_stop(0, 0) - 0.5).abs() < 1e-12);
        assert!((beta_stop(1, 0) - 0.75).abs() < 1e-12);
        assert!((beta_stop(3, 0) - 15.0 / 16.0).abs() < 1e-12);
        assert!((beta_stop(4, 0) - 31.0 / 32.0).abs() < 1e-12);
        assert!((beta_stop(3, 1) - 26.0 / 32.0).abs() < 1e-12);
        assert!(
            (beta_stop(2, 2) - 0.5).abs() < 1e-12,
            "a tie is a coin flip"
        );
        // Monotone in the lead; large counts stay finite.
        assert!(beta_stop(10, 2) > beta_stop(10, 5));
        assert!(beta_stop(2000, 1) <= 1.0 && beta_stop(2000, 1) > 0.999);
        // Numerical check against a midpoint-rule integral of the Beta density.
        let (a, b) = (6.0f64, 3.0f64);
        let steps = 200_000;
        let beta_fn = (1..=5).product::<u64>() as f64 * 2.0 / (1..=8).product::<u64>() as f64;
        let mut integral = 0.0;
        for i in 0..steps {
            let x = 0.5 + (i as f64 + 0.5) * 0.5 / steps as f64;
            integral += x.powf(a - 1.0) * (1.0 - x).powf(b - 1.0) / beta_fn * 0.5 / steps as f64;
        }
        assert!((beta_stop(5, 2) - integral).abs() < 1e-6, "{integral}");
    }

    fn batch(texts: &[&str]) -> Vec<crate::llm::Choice> {
        texts.iter().map(|t| Scripted::choice(*t)).collect()
    }

    #[tokio::test]
    async fn scripted_stops_early_when_the_majority_is_stable() {
        let m = Scripted::with_choices([
            batch(&["The answer is 7.", "The answer is 7."]),
            batch(&["The answer is 7.", "The answer is 7."]),
            batch(&["unused", "unused"]),
        ]);
        let sol = AdaptiveConsistency::new(Settings::default(), 8)
            .batch(2)
            .solve(&m, &task())
            .await
            .unwrap();
        // After 2: P = 0.875 < 0.95; after 4: P = 0.969.
        assert_eq!(sol.cost.calls, 2);
        assert_eq!(sol.cost.samples, 4);
        assert_eq!(m.remaining(), 1);
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert!(
            sol.stop.starts_with("stable majority after 4"),
            "{}",
            sol.stop
        );
        let reqs = m.requests();
        let base = task().seed(0);
        assert_eq!(reqs[0].sampling.seed, base);
        assert_eq!(
            reqs[1].sampling.seed,
            base + 2,
            "sample i uses seed base + i"
        );
        assert!(reqs.iter().all(|r| r.n == 2));
    }

    #[tokio::test]
    async fn scripted_disagreement_uses_the_whole_budget() {
        let m = Scripted::with_choices([
            batch(&["The answer is 7.", "The answer is 8."]),
            batch(&["The answer is 8.", "The answer is 7."]),
            batch(&["The answer is 9."]),
        ]);
        let sol = AdaptiveConsistency::new(Settings::default(), 5)
            .batch(2)
            .solve(&m, &task())
            .await
            .unwrap();
        let ns: Vec<u32> = m.requests().iter().map(|r| r.n).collect();
        assert_eq!(ns, [2, 2, 1], "the last batch is cut to the budget");
        assert_eq!(sol.cost.samples, 5);
        assert_eq!(sol.stop, "budget of 5 samples used");
        assert_eq!(sol.answer.as_deref(), Some("7"), "2-2 tie: 7 came first");
    }

    #[tokio::test]
    async fn scripted_threshold_one_never_stops_early() {
        let m = Scripted::with_choices(vec![batch(&["The answer is 7."]); 3]);
        let sol = AdaptiveConsistency::new(Settings::default(), 3)
            .batch(1)
            .threshold(1.0)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 3);
    }
}
