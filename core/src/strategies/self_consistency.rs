//! Self-consistency (Wang et al. 2023, "Self-Consistency Improves Chain of Thought Reasoning in
//! Language Models"): sample `n` reasoning paths at a temperature above zero, extract each
//! one's final answer, and return the most frequent answer.
//!
//! All `n` samples come from ONE request with `n = N` (the backend decodes them as one batch
//! over a prompt evaluated once), never `N` requests.
//!
//! Vote counting: samples with no extractable answer do not vote. Ties are broken
//! deterministically: among the answers with the most votes, the one that appeared first (in
//! sample order) wins. No vote at all is a recorded failure (`answer: None`).

use super::{
    first_with, samples_request, tally, ReasoningTask, Session, Settings, Solution, StepKind,
    Strategy,
};
use crate::llm::{ChatModel, Choice};
use async_trait::async_trait;

/// Draws the samples of `task` in one request and records each as a trace event.
pub(crate) async fn draw(
    s: &mut Session<'_>,
    task: &ReasoningTask,
    settings: &Settings,
    n: u32,
) -> anyhow::Result<(Vec<Choice>, Vec<Option<String>>)> {
    let r = s.chat(samples_request(task, settings, n)).await?;
    let answers: Vec<Option<String>> = r.choices.iter().map(|c| task.extract(&c.text)).collect();
    for (c, a) in r.choices.iter().zip(&answers) {
        s.event(StepKind::Sample, &c.text, a.clone(), None);
    }
    Ok((r.choices, answers))
}

/// The majority answer and the index of its first sample (see the module docs for ties).
pub fn majority(answers: &[Option<String>]) -> Option<(String, usize, usize)> {
    let (answer, votes) = tally(answers).into_iter().next()?;
    let first = first_with(answers, &answer)?;
    Some((answer, votes, first))
}

/// Majority vote over `n` samples.
#[derive(Debug, Clone)]
pub struct SelfConsistency {
    settings: Settings,
    n: u32,
}

impl SelfConsistency {
    pub fn new(settings: Settings, n: u32) -> Self {
        Self {
            settings,
            n: n.max(1),
        }
    }
}

#[async_trait]
impl Strategy for SelfConsistency {
    fn name(&self) -> &str {
        super::StrategyKind::Sc.name()
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let mut s = Session::new(model);
        let (choices, answers) = draw(&mut s, task, &self.settings, self.n).await?;
        match majority(&answers) {
            Some((answer, votes, first)) => {
                let note = format!("{votes} of {} votes", answers.len());
                s.event(
                    StepKind::Select,
                    &note,
                    Some(answer.clone()),
                    Some(votes as f64),
                );
                let text = choices[first].text.clone();
                Ok(s.finish(Some(answer), text, None, format!("majority: {note}")))
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
    use crate::strategies::testing::task;

    fn samples(texts: &[&str]) -> Scripted {
        Scripted::with_choices([texts.iter().map(|t| Scripted::choice(*t)).collect()])
    }

    #[tokio::test]
    async fn scripted_one_batched_request_and_majority() {
        let m = samples(&[
            "The answer is 8.",
            "The answer is 7.",
            "no idea",
            "The answer is 7.",
            "The answer is 8.",
            "The answer is 7.",
        ]);
        let sol = SelfConsistency::new(Settings::default(), 6)
            .solve(&m, &task())
            .await
            .unwrap();
        let reqs = m.requests();
        assert_eq!(reqs.len(), 1, "one request");
        assert_eq!(reqs[0].n, 6, "with n = 6");
        assert!(reqs[0].sampling.temperature > 0.0);
        assert_eq!(sol.cost.calls, 1);
        assert_eq!(sol.cost.samples, 6);
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert_eq!(sol.text, "The answer is 7.");
        assert!(sol.stop.contains("3 of 6"), "{}", sol.stop);
        let samples = sol
            .trace
            .iter()
            .filter(|e| e.kind == StepKind::Sample)
            .count();
        assert_eq!(samples, 6);
    }

    #[tokio::test]
    async fn scripted_ties_go_to_the_earliest_answer() {
        let m = samples(&[
            "The answer is 9.",
            "The answer is 7.",
            "The answer is 7.",
            "The answer is 9.",
        ]);
        let sol = SelfConsistency::new(Settings::default(), 4)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer.as_deref(), Some("9"));
        let m = samples(&["x", "The answer is 7.", "The answer is 9."]);
        let sol = SelfConsistency::new(Settings::default(), 3)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer.as_deref(), Some("7"));
    }

    #[tokio::test]
    async fn scripted_no_votes_is_a_recorded_failure() {
        let m = samples(&["hmm", "no"]);
        let sol = SelfConsistency::new(Settings::default(), 2)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer, None);
        assert_eq!(sol.stop, "no sample had an answer");
    }
}
