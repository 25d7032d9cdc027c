//! Soft self-consistency (Wang et al. 2024, "Soft Self-Consistency Improves Language Model
//! Agents"): instead of counting exact matches, score each sampled candidate by the model's own
//! likelihood of it and pick the best. It works where majority voting breaks down — free-form
//! outputs and agent actions, whose samples rarely repeat exactly.
//!
//! Score: an aggregate of the candidate's token log-probabilities; the paper compares mean,
//! minimum and product (sum of logs) aggregators, and hone offers the same three
//! ([`Aggregate`]), mean by default (it does not favour short candidates as the sum does).
//!
//! hone's adaptation for reasoning: a candidate is a distinct final answer; its score is the
//! best score among the samples that reach it. Ties in score go to the answer with more votes,
//! then to the earliest sample. Samples without logprobs (a server that returns none) cannot be
//! scored; when no sample has them the pick falls back to the majority vote.
//!
//! [`soft_sc_pick`] is the agent-level form: pick one of `n` sampled action lines (ALFWorld-style
//! agents, as in the paper), by the same rule with the trimmed text as the candidate.

use super::self_consistency::draw;
use super::{ReasoningTask, Session, Settings, Solution, StepKind, Strategy};
use crate::llm::{ChatModel, Choice};
use async_trait::async_trait;

/// How token log-probabilities become one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregate {
    /// Mean token log-probability (log of the geometric-mean probability).
    #[default]
    Mean,
    /// The least likely token.
    Min,
    /// Sum of token log-probabilities (the sequence's log-likelihood).
    Sum,
}

/// A choice's score under `agg` (`None` without logprobs or tokens).
pub fn score(c: &Choice, agg: Aggregate) -> Option<f64> {
    let lps = c.logprobs.as_ref()?;
    if lps.is_empty() {
        return None;
    }
    let it = lps.iter().map(|t| f64::from(t.logprob));
    Some(match agg {
        Aggregate::Mean => it.sum::<f64>() / lps.len() as f64,
        Aggregate::Min => it.fold(f64::INFINITY, f64::min),
        Aggregate::Sum => it.sum(),
    })
}

/// The chosen sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftPick {
    /// Index of the chosen sample (the first sample of the chosen candidate with the best score).
    pub index: usize,
    /// Its score (`NEG_INFINITY` when the pick fell back to votes).
    pub score: f64,
    /// Samples that share its candidate.
    pub votes: usize,
}

/// Picks among samples whose candidate keys are `keys` (`None`: not a candidate) by `scores`:
/// best score, then most votes, then earliest. Unscored samples rank below scored ones.
pub(crate) fn pick_by_score(keys: &[Option<String>], scores: &[Option<f64>]) -> Option<SoftPick> {
    let mut best: Option<(SoftPick, usize)> = None; // (pick, first index of its key)
    for (i, k) in keys.iter().enumerate() {
        let Some(k) = k else { continue };
        let sc = scores
            .get(i)
            .copied()
            .flatten()
            .unwrap_or(f64::NEG_INFINITY);
        let votes = keys.iter().filter(|x| x.as_ref() == Some(k)).count();
        let first = keys.iter().position(|x| x.as_ref() == Some(k)).unwrap_or(i);
        let better = match &best {
            None => true,
            Some((b, bf)) => {
                sc > b.score
                    || (sc == b.score && votes > b.votes)
                    || (sc == b.score && votes == b.votes && first < *bf)
            }
        };
        if better {
            best = Some((
                SoftPick {
                    index: i,
                    score: sc,
                    votes,
                },
                first,
            ));
        }
    }
    best.map(|(p, _)| p)
}

/// Agent-level soft self-consistency: among `n` sampled action lines (e.g. one request with
/// `n(k).logprobs(true)`), the index of the action to take — the highest mean token
/// log-probability, ties to the more frequent action, then the earliest. Blank lines are not
/// candidates; `None` when there is none.
pub fn soft_sc_pick(choices: &[Choice]) -> Option<SoftPick> {
    let keys: Vec<Option<String>> = choices
        .iter()
        .map(|c| {
            let t = c.text.trim();
            (!t.is_empty()).then(|| t.to_string())
        })
        .collect();
    let scores: Vec<Option<f64>> = choices.iter().map(|c| score(c, Aggregate::Mean)).collect();
    pick_by_score(&keys, &scores)
}

/// Soft self-consistency over `n` samples drawn in one request.
#[derive(Debug, Clone)]
pub struct SoftSc {
    settings: Settings,
    n: u32,
    aggregate: Aggregate,
}

impl SoftSc {
    pub fn new(settings: Settings, n: u32) -> Self {
        Self {
            settings,
            n: n.max(1),
            aggregate: Aggregate::Mean,
        }
    }
    pub fn aggregate(mut self, a: Aggregate) -> Self {
        self.aggregate = a;
        self
    }
}

#[async_trait]
impl Strategy for SoftSc {
    fn name(&self) -> &str {
        super::StrategyKind::SoftSc.name()
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let mut s = Session::new(model);
        let (choices, answers) = draw(&mut s, task, &self.settings, self.n).await?;
        let scores: Vec<Option<f64>> = choices.iter().map(|c| score(c, self.aggregate)).collect();
        for (e, sc) in s.trace.iter_mut().zip(&scores) {
            e.score = *sc;
        }
        match pick_by_score(&answers, &scores) {
            Some(p) => {
                let answer = answers[p.index].clone();
                let note = if p.score.is_finite() {
                    format!(
                        "sample {} scored {:.3} ({} votes)",
                        p.index + 1,
                        p.score,
                        p.votes
                    )
                } else {
                    format!("no logprobs: majority ({} votes)", p.votes)
                };
                s.event(
                    StepKind::Select,
                    &note,
                    answer.clone(),
                    p.score.is_finite().then_some(p.score),
                );
                Ok(s.finish(answer, choices[p.index].text.clone(), None, note))
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

    #[test]
    fn aggregates() {
        let mut c = choice_lp("a", -1.0, 4, &[]);
        if let Some(l) = c.logprobs.as_mut() {
            l[0].logprob = -3.0;
        }
        assert_eq!(score(&c, Aggregate::Mean), Some(-1.5));
        assert_eq!(score(&c, Aggregate::Min), Some(-3.0));
        assert_eq!(score(&c, Aggregate::Sum), Some(-6.0));
        assert_eq!(score(&Scripted::choice("x"), Aggregate::Mean), None);
    }

    #[test]
    fn action_pick_by_likelihood_not_votes() {
        let choices = vec![
            choice_lp("go to cabinet 1", -2.0, 4, &[]),
            choice_lp("go to cabinet 1", -2.0, 4, &[]),
            choice_lp(" open fridge 1 ", -0.5, 3, &[]),
            choice_lp("", 0.0, 1, &[]),
        ];
        let p = soft_sc_pick(&choices).unwrap();
        assert_eq!(p.index, 2, "the likeliest action wins over the majority");
        assert_eq!(p.votes, 1);
        assert!(soft_sc_pick(&[]).is_none());
        assert!(soft_sc_pick(&[Scripted::choice("  ")]).is_none());
    }

    #[test]
    fn action_ties_go_to_votes_then_earliest() {
        let choices = vec![
            choice_lp("look", -1.0, 2, &[]),
            choice_lp("inventory", -1.0, 2, &[]),
            choice_lp("inventory", -1.0, 2, &[]),
        ];
        assert_eq!(soft_sc_pick(&choices).unwrap().index, 1);
        let choices = vec![choice_lp("b", -1.0, 2, &[]), choice_lp("a", -1.0, 2, &[])];
        assert_eq!(soft_sc_pick(&choices).unwrap().index, 0);
        // Without logprobs: the majority, then the earliest.
        let plain = vec![
            Scripted::choice("a"),
            Scripted::choice("b"),
            Scripted::choice("b"),
        ];
        let p = soft_sc_pick(&plain).unwrap();
        assert_eq!((p.index, p.votes), (1, 2));
        assert!(p.score.is_infinite());
    }

    #[tokio::test]
    async fn scripted_picks_the_likeliest_answer_from_one_request() {
        let m = Scripted::with_choices([vec![
            choice_lp("The answer is 8.", -1.2, 5, &[]),
            choice_lp("The answer is 8.", -1.1, 5, &[]),
            choice_lp("The answer is 7.", -0.4, 5, &[]),
            choice_lp("garbage", -0.01, 5, &[]),
        ]]);
        let sol = SoftSc::new(Settings::default(), 4)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(m.requests().len(), 1);
        assert_eq!(m.requests()[0].n, 4);
        assert!(m.requests()[0].logprobs);
        assert_eq!(
            sol.answer.as_deref(),
            Some("7"),
            "garbage has no answer, so no vote"
        );
        let scored = sol.trace.iter().filter(|e| e.score.is_some()).count();
        assert_eq!(scored, 5, "four samples and the selection");
    }
}
