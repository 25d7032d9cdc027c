//! A cheap checklist self-correction, after Self-TICK (STICK) in Cook et al. 2024, "TICKing All
//! the Boxes: Generated Checklists Improve LLM Evaluation and Generation": the model writes a
//! checklist of yes/no requirements for the question and answers each one for its own
//! solution; failed items become targeted feedback for one revision.
//!
//! Flow: greedy answer → one call that writes the checklist *and* ticks it (the paper uses
//! separate calls; one keeps it cheap) → if any item ends in NO, one revision with the failed
//! items as feedback; otherwise the answer stands. An item's verdict is the last word of its
//! line (`YES` / `NO`, any case); lines without one are ignored. A revision with no answer keeps
//! the initial answer.

use super::{
    answer_request, question_messages, ReasoningTask, Session, Settings, Solution, StepKind,
    Strategy, END_WITH_ANSWER,
};
use crate::llm::{ChatModel, ChatRequest, Message};
use async_trait::async_trait;

/// The checklist request for `task` and a solution.
pub fn checklist_prompt(question: &str, solution: &str) -> String {
    format!(
        "Question: {question}\n\nProposed solution:\n{}\n\nWrite a checklist of 3 yes/no \
         questions that a correct solution must satisfy, and answer each one for the proposed \
         solution. One per line, in the form: 1. <question> YES or NO",
        solution.trim()
    )
}

/// Checklist lines whose verdict (last word) is NO.
pub fn failed_items(checklist: &str) -> Vec<String> {
    checklist
        .lines()
        .filter(|l| {
            l.split(|c: char| !c.is_alphanumeric())
                .rfind(|w| !w.is_empty())
                .is_some_and(|w| w.eq_ignore_ascii_case("no"))
        })
        .map(|l| l.trim().to_string())
        .collect()
}

/// Checklist, then revise if an item failed.
#[derive(Debug, Clone)]
pub struct Checklist {
    settings: Settings,
}

impl Checklist {
    pub fn new(settings: Settings) -> Self {
        Self { settings }
    }
}

#[async_trait]
impl Strategy for Checklist {
    fn name(&self) -> &str {
        super::StrategyKind::Checklist.name()
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
        let r = s
            .chat(
                ChatRequest::user(checklist_prompt(&task.question, &text))
                    .temperature(0.0)
                    .max_tokens(st.feedback_tokens)
                    .seed(seed),
            )
            .await?;
        let list = r.text().to_string();
        let failed = failed_items(&list);
        s.event(StepKind::Checklist, &list, None, Some(failed.len() as f64));
        if failed.is_empty() {
            return Ok(s.finish(initial.clone(), text, initial, "checklist passed: kept"));
        }
        let mut messages = question_messages(task);
        messages.push(Message::assistant(&text));
        messages.push(Message::user(format!(
            "A checklist found these problems:\n{}\nCorrect your solution. {END_WITH_ANSWER}",
            failed.join("\n")
        )));
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
        let stop = format!("{} checklist items failed: revised", failed.len());
        Ok(match found {
            Some(a) => s.finish(Some(a), reply, initial, stop),
            None => s.finish(
                initial.clone(),
                text,
                initial,
                format!("{stop}; no answer in the revision, initial kept"),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;
    use crate::strategies::testing::task;

    #[test]
    fn verdicts() {
        let c = "1. Does it add 3 and 4? YES\n2. Is the total 7? NO\n3. Is there no leftover? yes\nnotes";
        assert_eq!(failed_items(c), vec!["2. Is the total 7? NO".to_string()]);
        assert!(failed_items("").is_empty());
    }

    #[tokio::test]
    async fn scripted_revises_only_on_a_failed_item() {
        let m = Scripted::new([
            "The answer is 8.",
            "1. Adds 3 and 4? YES\n2. Total is 7? NO",
            "The answer is 7.",
        ]);
        let sol = Checklist::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 3);
        assert_eq!(
            (sol.initial.as_deref(), sol.answer.as_deref()),
            (Some("8"), Some("7"))
        );
        assert!(m.requests()[2].messages[3]
            .content
            .contains("Total is 7? NO"));

        let m = Scripted::new(["The answer is 7.", "1. Adds 3 and 4? YES"]);
        let sol = Checklist::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 2);
        assert_eq!(sol.stop, "checklist passed: kept");
    }
}
