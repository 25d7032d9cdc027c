//! Self-Refine (Madaan et al. 2023, "Self-Refine: Iterative Refinement with Self-Feedback"):
//! the same model answers, gives feedback on its answer, and refines the answer using the
//! feedback, up to `rounds` times; it stops as soon as the feedback says the answer needs no
//! change (the paper's stop indicator).
//!
//! hone keeps the whole exchange as one append-only conversation (the paper's refine prompt
//! carries the history of earlier answers and feedback), so the backend's prefix cache evaluates
//! only each round's new tokens.
//!
//! The stop indicator: the feedback prompt asks for the single word `DONE` when the solution is
//! correct; feedback that contains `DONE` as an upper-case word, or whose first word is "done"
//! (any case), stops the loop. A refinement in which no answer can be found keeps the previous
//! answer (the solution never loses an answer it had).

use super::{
    answer_request, question_messages, ReasoningTask, Session, Settings, Solution, StepKind,
    Strategy, END_WITH_ANSWER,
};
use crate::llm::{ChatModel, ChatRequest, Message};
use async_trait::async_trait;

/// Asks for feedback on the solution above.
pub const FEEDBACK_PROMPT: &str = "Check the solution above step by step. If it is fully \
correct, reply with the single word DONE. Otherwise, say what is wrong in one or two sentences.";

/// Asks for a refined solution.
pub const REFINE_PROMPT: &str = "Use this feedback to write a corrected solution.";

/// True when feedback says the answer needs no change (see the module docs).
pub fn says_done(feedback: &str) -> bool {
    let upper_word = feedback
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "DONE");
    let first = feedback
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .is_some_and(|w| w.eq_ignore_ascii_case("done"));
    upper_word || first
}

/// Generate → feedback → refine, up to `rounds` rounds.
#[derive(Debug, Clone)]
pub struct SelfRefine {
    settings: Settings,
    rounds: u32,
}

impl SelfRefine {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            rounds: 3,
        }
    }
    /// Feedback-and-refine rounds at most (default 3).
    pub fn rounds(mut self, r: u32) -> Self {
        self.rounds = r;
        self
    }
}

#[async_trait]
impl Strategy for SelfRefine {
    fn name(&self) -> &str {
        super::StrategyKind::SelfRefine.name()
    }

    fn corrects(&self) -> bool {
        true
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let st = &self.settings;
        let seed = task.seed(st.seed);
        let mut s = Session::new(model);
        let (mut text, initial) = s
            .ask(task, StepKind::Answer, answer_request(task, st))
            .await?;
        let mut answer = initial.clone();
        let mut messages = question_messages(task);
        messages.push(Message::assistant(&text));
        let mut stop = format!("{} rounds done", self.rounds);
        for round in 1..=self.rounds {
            messages.push(Message::user(FEEDBACK_PROMPT));
            let fb = s
                .chat(
                    ChatRequest::new(messages.clone())
                        .temperature(0.0)
                        .max_tokens(st.feedback_tokens)
                        .seed(seed),
                )
                .await?;
            let feedback = fb.text().to_string();
            s.event(StepKind::Feedback, &feedback, None, None);
            messages.push(Message::assistant(&feedback));
            if says_done(&feedback) {
                stop = format!("feedback said done in round {round}");
                break;
            }
            messages.push(Message::user(format!("{REFINE_PROMPT} {END_WITH_ANSWER}")));
            let (refined, found) = s
                .ask(
                    task,
                    StepKind::Refine,
                    ChatRequest::new(messages.clone())
                        .temperature(0.0)
                        .max_tokens(st.max_tokens)
                        .seed(seed),
                )
                .await?;
            messages.push(Message::assistant(&refined));
            if found.is_some() {
                answer = found;
                text = refined;
            }
        }
        if answer.is_none() {
            stop.push_str("; no answer found");
        }
        Ok(s.finish(answer, text, initial, stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Role, Scripted};
    use crate::strategies::testing::task;

    #[test]
    fn stop_indicator() {
        assert!(says_done("DONE"));
        assert!(says_done("done."));
        assert!(says_done("The solution is right. DONE"));
        assert!(!says_done("It is not done yet: 3 + 4 is 7, not 8."));
        assert!(!says_done("The answer is wrong."));
        assert!(!says_done(""));
    }

    #[tokio::test]
    async fn scripted_stops_when_feedback_says_done() {
        let m = Scripted::new([
            "3 + 4 = 8. The answer is 8.",
            "3 + 4 is 7, not 8.",
            "3 + 4 = 7. The answer is 7.",
            "DONE",
        ]);
        let sol = SelfRefine::new(Settings::default())
            .rounds(3)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.initial.as_deref(), Some("8"));
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert_eq!(sol.cost.calls, 4, "answer, feedback, refine, feedback");
        assert_eq!(m.remaining(), 0);
        assert!(sol.stop.contains("round 2"), "{}", sol.stop);
        // Append-only: each request extends the previous one.
        let reqs = m.requests();
        for w in reqs.windows(2) {
            assert_eq!(w[1].messages[..w[0].messages.len()], w[0].messages[..]);
        }
        let last = &reqs[3].messages;
        assert_eq!(last.len(), 8);
        assert_eq!(last[7].content, FEEDBACK_PROMPT);
        assert_eq!(last[6].role, Role::Assistant);
    }

    #[tokio::test]
    async fn scripted_runs_out_of_rounds() {
        let m = Scripted::new([
            "The answer is 8.",
            "Wrong.",
            "The answer is 9.",
            "Still wrong.",
            "I am not sure.", // no answer: keeps 9
        ]);
        let sol = SelfRefine::new(Settings::default())
            .rounds(2)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 5);
        assert_eq!(sol.answer.as_deref(), Some("9"));
        assert_eq!(sol.stop, "2 rounds done");
        let kinds: Vec<StepKind> = sol.trace.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                StepKind::Answer,
                StepKind::Feedback,
                StepKind::Refine,
                StepKind::Feedback,
                StepKind::Refine
            ]
        );
    }

    #[tokio::test]
    async fn scripted_zero_rounds_is_the_baseline() {
        let m = Scripted::new(["The answer is 7."]);
        let sol = SelfRefine::new(Settings::default())
            .rounds(0)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 1);
        assert_eq!(sol.answer, sol.initial);
    }
}
