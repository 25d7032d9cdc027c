//! If-or-Else (IoE) prompting, confidence-aware self-correction (Li et al. 2024, "Confidence
//! Matters: Revisiting Intrinsic Self-Correction Capabilities of Large Language Models"). The
//! paper finds that asking a model to "review and correct" pushes it to change right answers;
//! IoE instead asks it to keep its answer if it is confident and to revise only if it is not —
//! one prompt that makes the model's own confidence the gate of the revision.
//!
//! - Default: the paper's form, one revision turn after the initial answer whose instruction
//!   carries the if/else. The reply's answer is the final answer; a reply with no answer keeps
//!   the initial one.
//! - [`IfOrElse::gated`]: hone's explicit variant for small models — first a confidence question
//!   constrained to `confident` / `not confident`, then a revision only after `not confident`.

use super::{
    answer_request, question_messages, ReasoningTask, Session, Settings, Solution, StepKind,
    Strategy, END_WITH_ANSWER,
};
use crate::llm::{ChatModel, ChatRequest, Message};
use async_trait::async_trait;

/// The If-or-Else revision instruction (hone's wording of the paper's idea).
pub const IOE_PROMPT: &str = "Review your answer above. If you are very confident that it is \
correct, keep it. If you are not confident, find the mistake and correct it.";

/// The gated variant's confidence question.
pub const CONFIDENCE_PROMPT: &str = "Are you confident that your answer above is correct?";

/// The gated variant's revision instruction.
pub const REVISE_PROMPT: &str = "Find the mistake in your answer and correct it.";

/// Revise only when not confident.
#[derive(Debug, Clone)]
pub struct IfOrElse {
    settings: Settings,
    gated: bool,
}

impl IfOrElse {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            gated: false,
        }
    }
    /// Ask for confidence first (constrained), revise only after "not confident".
    pub fn gated(mut self) -> Self {
        self.gated = true;
        self
    }
}

#[async_trait]
impl Strategy for IfOrElse {
    fn name(&self) -> &str {
        if self.gated {
            "ioe-gated"
        } else {
            super::StrategyKind::Ioe.name()
        }
    }

    fn corrects(&self) -> bool {
        true
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let st = &self.settings;
        let seed = task.seed(st.seed);
        let mut s = Session::new(model);
        let (text, initial) = s
            .ask(task, StepKind::Answer, answer_request(task, st))
            .await?;
        let mut messages = question_messages(task);
        messages.push(Message::assistant(&text));
        let revise = if self.gated {
            messages.push(Message::user(CONFIDENCE_PROMPT));
            let r = s
                .chat(
                    ChatRequest::new(messages.clone())
                        .choice(["confident", "not confident"])
                        .temperature(0.0)
                        .max_tokens(8)
                        .seed(seed),
                )
                .await?;
            let said = r.text().trim().to_ascii_lowercase();
            let confident = !said.contains("not") && said.contains("confident");
            s.event(
                StepKind::Confidence,
                &said,
                None,
                Some(if confident { 1.0 } else { 0.0 }),
            );
            if confident {
                return Ok(s.finish(initial.clone(), text, initial, "confident: kept"));
            }
            messages.push(Message::assistant(&said));
            REVISE_PROMPT
        } else {
            IOE_PROMPT
        };
        messages.push(Message::user(format!("{revise} {END_WITH_ANSWER}")));
        let (reply, found) = s
            .ask(
                task,
                StepKind::Refine,
                ChatRequest::new(messages)
                    .temperature(0.0)
                    .max_tokens(st.max_tokens)
                    .seed(seed),
            )
            .await?;
        Ok(match found {
            Some(a) => {
                let stop = if Some(&a) == initial.as_ref() {
                    "kept"
                } else {
                    "revised"
                };
                s.finish(Some(a), reply, initial, stop)
            }
            None => s.finish(
                initial.clone(),
                text,
                initial,
                "no answer in the reply: initial kept",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;
    use crate::strategies::testing::task;

    #[tokio::test]
    async fn scripted_one_if_or_else_turn() {
        let m = Scripted::new([
            "The answer is 8.",
            "I was wrong: 3 + 4 = 7. The answer is 7.",
        ]);
        let sol = IfOrElse::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(
            (sol.initial.as_deref(), sol.answer.as_deref()),
            (Some("8"), Some("7"))
        );
        assert_eq!(sol.stop, "revised");
        let reqs = m.requests();
        assert_eq!(reqs.len(), 2);
        assert!(reqs[1].messages[3].content.starts_with(IOE_PROMPT));

        let m = Scripted::new(["The answer is 7.", "I am confident. The answer is 7."]);
        let sol = IfOrElse::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.stop, "kept");

        let m = Scripted::new(["The answer is 7.", "Hmm."]);
        let sol = IfOrElse::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert!(sol.stop.starts_with("no answer"));
    }

    #[tokio::test]
    async fn scripted_gated_revises_only_when_not_confident() {
        let m = Scripted::new(["The answer is 8.", "confident"]);
        let sol = IfOrElse::new(Settings::default())
            .gated()
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 2, "no revision");
        assert_eq!(sol.answer.as_deref(), Some("8"));
        assert!(m.requests()[1].constraint.is_some());

        let m = Scripted::new(["The answer is 8.", "not confident", "The answer is 7."]);
        let sol = IfOrElse::new(Settings::default())
            .gated()
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 3);
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert_eq!(sol.trace[1].kind, StepKind::Confidence);
    }
}
