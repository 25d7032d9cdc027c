//! Self-certainty best-of-N (Kang et al. 2025, "Scalable Best-of-N Selection for Large Language
//! Models via Self-Certainty"): score each of `n` samples by how far the model's next-token
//! distributions are from uniform, averaged over the sample's tokens, and keep the most certain
//! sample. Unlike reward models it needs nothing but the model's own distributions.
//!
//! Self-certainty of a sample is the mean over its tokens of `KL(U || p)`, with `U` uniform over
//! the vocabulary of size `V` and `p` the model's distribution at that position:
//! `KL(U || p) = -ln V - (1/V) Σ_j ln p_j`.
//!
//! **Approximation.** Backends return only the top-`k` log-probabilities per position (at most
//! 20), not all `V`. hone keeps the `k` known terms and spreads the remaining mass
//! `r = 1 - Σ_top p_j` uniformly over the other `V - k` tokens:
//! `Σ_j ln p_j ≈ Σ_top ln p_j + (V - k) ln(r / (V - k))`, with `r` floored at `1e-7` (f32
//! round-off can make it zero or negative). Spreading the tail uniformly is the
//! maximum-entropy guess given what is known; since `ln` is concave it overestimates
//! `Σ_j ln p_j` for a real, skewed tail, so the approximation *underestimates* self-certainty —
//! by the same amount for samples whose tails are shaped alike, which keeps the ranking (all
//! selection needs) meaningful. For large `V` the score is dominated by `-ln r`: how much of
//! the mass the top-`k` tokens hold. Without top logprobs only the chosen token is known
//! (`k = 1`).
//!
//! Selection: best-of-N picks the highest self-certainty among samples that have an answer
//! (ties: more votes, then earliest). [`SelfCertainty::borda`] switches to the paper's Borda
//! voting: samples ranked by self-certainty, rank `r` (1 = most certain) of `N` gives its answer
//! `(N - r + 1)^p` points, the most points win (ties to the earliest answer).

use super::self_consistency::draw;
use super::soft_sc::pick_by_score;
use super::{ReasoningTask, Session, Settings, Solution, StepKind, Strategy};
use crate::llm::{ChatModel, Choice, TokenLogprob};
use async_trait::async_trait;

/// The remaining-mass floor of the approximation.
const MIN_TAIL: f64 = 1e-7;

/// Approximate `KL(U || p)` at one position from its known log-probabilities (module docs).
pub fn token_certainty(t: &TokenLogprob, vocab: u32) -> f64 {
    let v = f64::from(vocab.max(2));
    let known: Vec<f64> = if t.top.is_empty() {
        vec![f64::from(t.logprob)]
    } else {
        t.top.iter().map(|(_, lp)| f64::from(*lp)).collect()
    };
    let k = known.len() as f64;
    let mut sum_ln = known.iter().sum::<f64>();
    if k < v {
        let mass: f64 = known.iter().map(|lp| lp.exp()).sum();
        let rest = (1.0 - mass).max(MIN_TAIL);
        sum_ln += (v - k) * (rest / (v - k)).ln();
    }
    -v.ln() - sum_ln / v
}

/// Mean self-certainty of a sample (`None` without logprobs or tokens).
pub fn self_certainty(c: &Choice, vocab: u32) -> Option<f64> {
    let lps = c.logprobs.as_ref()?;
    if lps.is_empty() {
        return None;
    }
    Some(lps.iter().map(|t| token_certainty(t, vocab)).sum::<f64>() / lps.len() as f64)
}

/// Borda voting: the winning answer's first sample index and its points.
pub fn borda(
    answers: &[Option<String>],
    certainty: &[Option<f64>],
    power: f64,
) -> Option<(usize, f64)> {
    let mut order: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].is_some())
        .collect();
    // Most certain first; unscored last; equal scores keep sample order (stable sort).
    order.sort_by(|&a, &b| {
        let (x, y) = (
            certainty[a].unwrap_or(f64::NEG_INFINITY),
            certainty[b].unwrap_or(f64::NEG_INFINITY),
        );
        y.total_cmp(&x)
    });
    let n = order.len();
    let mut points: Vec<(usize, f64)> = Vec::new(); // (first index, points), by answer
    for (rank0, &i) in order.iter().enumerate() {
        let w = ((n - rank0) as f64).powf(power);
        let first = answers.iter().position(|a| *a == answers[i]).unwrap_or(i);
        match points.iter_mut().find(|(f, _)| *f == first) {
            Some((_, p)) => *p += w,
            None => points.push((first, w)),
        }
    }
    points.sort_by_key(|&(f, _)| f);
    points
        .into_iter()
        .fold(None, |best: Option<(usize, f64)>, (f, p)| match best {
            Some((_, bp)) if bp >= p => best,
            _ => Some((f, p)),
        })
}

/// Best-of-N (or Borda voting) by self-certainty over `n` samples drawn in one request.
#[derive(Debug, Clone)]
pub struct SelfCertainty {
    settings: Settings,
    n: u32,
    vocab: u32,
    borda: Option<f64>,
}

impl SelfCertainty {
    pub fn new(settings: Settings, n: u32) -> Self {
        Self {
            settings,
            n: n.max(1),
            vocab: 49152,
            borda: None,
        }
    }
    /// The model's vocabulary size `V` (default 49152, SmolLM2's).
    pub fn vocab(mut self, v: u32) -> Self {
        self.vocab = v.max(2);
        self
    }
    /// Borda voting with exponent `p` instead of best-of-N.
    pub fn borda(mut self, p: f64) -> Self {
        self.borda = Some(p);
        self
    }
}

#[async_trait]
impl Strategy for SelfCertainty {
    fn name(&self) -> &str {
        super::StrategyKind::SelfCertainty.name()
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let mut s = Session::new(model);
        let (choices, answers) = draw(&mut s, task, &self.settings, self.n).await?;
        let cert: Vec<Option<f64>> = choices
            .iter()
            .map(|c| self_certainty(c, self.vocab))
            .collect();
        for (e, c) in s.trace.iter_mut().zip(&cert) {
            e.score = *c;
        }
        let picked = match self.borda {
            Some(p) => borda(&answers, &cert, p)
                .map(|(i, pts)| (i, pts, format!("Borda p={p}: {pts:.2} points"))),
            None => pick_by_score(&answers, &cert).map(|p| {
                (
                    p.index,
                    p.score,
                    format!("sample {} self-certainty {:.3}", p.index + 1, p.score),
                )
            }),
        };
        match picked {
            Some((i, score, note)) => {
                let answer = answers[i].clone();
                s.event(
                    StepKind::Select,
                    &note,
                    answer.clone(),
                    score.is_finite().then_some(score),
                );
                Ok(s.finish(answer, choices[i].text.clone(), None, note))
            }
            None => {
                let text = choices.first().map(|c| c.text.clone()).unwrap_or_default();
                Ok(s.finish(None, text, None, "no sample had an answer"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;
    use crate::strategies::testing::{choice_lp, task};

    fn tok(lp: f32, top: &[f32]) -> TokenLogprob {
        TokenLogprob {
            token: "t".into(),
            logprob: lp,
            top: top.iter().map(|&l| ("x".to_string(), l)).collect(),
        }
    }

    #[test]
    fn exact_when_the_top_k_is_the_whole_vocabulary() {
        // V = 4, all four known: KL(U || p) computed directly.
        let p = [0.7f64, 0.1, 0.1, 0.1];
        let top: Vec<f32> = p.iter().map(|x| x.ln() as f32).collect();
        let exact = -(4f64).ln() - p.iter().map(|x| x.ln()).sum::<f64>() / 4.0;
        let got = token_certainty(&tok(top[0], &top), 4);
        assert!((got - exact).abs() < 1e-5, "{got} vs {exact}");
        // A uniform distribution has zero self-certainty.
        let u = vec![(0.25f64).ln() as f32; 4];
        assert!(token_certainty(&tok(u[0], &u), 4).abs() < 1e-5);
    }

    #[test]
    fn approximation_with_a_uniform_tail_is_exact_for_a_uniform_tail() {
        // V = 10: top-2 known (0.5, 0.3), the other 8 tokens at 0.025 each.
        let v = 10u32;
        let mut p = vec![0.5f64, 0.3];
        p.extend(std::iter::repeat_n(0.025, 8));
        let exact = -(10f64).ln() - p.iter().map(|x| x.ln()).sum::<f64>() / 10.0;
        let got = token_certainty(&tok(0.5f32.ln(), &[0.5f32.ln(), 0.3f32.ln()]), v);
        assert!((got - exact).abs() < 1e-5, "{got} vs {exact}");
    }

    #[test]
    fn more_concentrated_is_more_certain() {
        let v = 49152;
        let sharp = token_certainty(&tok(-0.01, &[-0.01, -6.0, -7.0]), v);
        let flat = token_certainty(&tok(-1.5, &[-1.5, -1.6, -1.7]), v);
        assert!(sharp > flat, "{sharp} {flat}");
        // Only the chosen token known (k = 1).
        let one = token_certainty(&tok(-0.1, &[]), v);
        assert!(one.is_finite() && one > 0.0);
        // A top list summing past 1 by round-off stays finite.
        assert!(token_certainty(&tok(0.0, &[0.0, -30.0]), v).is_finite());
    }

    #[test]
    fn borda_weights_ranks() {
        let a = |s: &str| Some(s.to_string());
        // Certainties: sample 0 (ans 5) most certain; 7 has two middling samples.
        let answers = [a("5"), a("7"), a("7"), None];
        let cert = [Some(3.0), Some(2.0), Some(1.0), Some(9.0)];
        // N = 3 ranked samples (the one without an answer is not ranked): 5 gets 3^p,
        // 7 gets 2^p + 1^p.
        assert_eq!(
            borda(&answers, &cert, 1.0),
            Some((0, 3.0)),
            "3 vs 3: the earliest"
        );
        assert_eq!(borda(&answers, &cert, 2.0).unwrap().0, 0, "9 vs 5");
        assert_eq!(borda(&answers, &cert, 0.5).unwrap().0, 1, "1.73 vs 2.41");
        assert_eq!(borda(&[None], &[Some(1.0)], 1.0), None);
    }

    #[tokio::test]
    async fn scripted_picks_the_most_certain_sample() {
        let m = Scripted::with_choices([vec![
            choice_lp("The answer is 8.", -0.5, 4, &[-0.5, -1.5, -2.5]),
            choice_lp("The answer is 7.", -0.05, 4, &[-0.05, -4.0, -5.0]),
            choice_lp("The answer is 8.", -0.6, 4, &[-0.6, -1.4, -2.5]),
        ]]);
        let sol = SelfCertainty::new(Settings::default(), 3)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(m.requests().len(), 1);
        assert_eq!(
            m.requests()[0].top_logprobs,
            Settings::default().top_logprobs
        );
        assert_eq!(
            sol.answer.as_deref(),
            Some("7"),
            "the sharpest distributions"
        );
        // Borda with p = 0 counts every ranked sample as one vote: the majority.
        let m = Scripted::with_choices([vec![
            choice_lp("The answer is 8.", -0.5, 4, &[-0.5, -1.5, -2.5]),
            choice_lp("The answer is 7.", -0.05, 4, &[-0.05, -4.0, -5.0]),
            choice_lp("The answer is 8.", -0.6, 4, &[-0.6, -1.4, -2.5]),
        ]]);
        let sol = SelfCertainty::new(Settings::default(), 3)
            .borda(0.0)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer.as_deref(), Some("8"));
    }
}
