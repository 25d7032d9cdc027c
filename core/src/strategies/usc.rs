//! Universal self-consistency (Chen et al. 2023, "Universal Self-Consistency for Large Language
//! Model Generation"): instead of extracting and counting answers, show the model all `n`
//! samples and ask it which one is the most consistent with the others. It needs no answer
//! extractor, so it also applies to free-form outputs.
//!
//! hone's details: the samples come from one batched request (the same one the other
//! self-consistency strategies use); the selection prompt lists them as "Response 1" … "Response
//! N", and a one-of constraint makes the reply exactly one of those labels, so the pick always
//! parses on backends that honour constraints. A reply naming no valid response, or a response
//! with no extractable answer, falls back to the majority vote (recorded in `stop`). When every
//! sample already has the same answer the selection call is skipped (it could not change the
//! answer); `stop` says so.

use super::self_consistency::{draw, majority};
use super::{ReasoningTask, Session, Settings, Solution, StepKind, Strategy};
use crate::llm::{ChatModel, ChatRequest, Message};
use async_trait::async_trait;

/// Longest excerpt of one response shown in the selection prompt (characters).
const MAX_RESPONSE_CHARS: usize = 700;

/// The selection prompt for `texts`.
pub fn selection_prompt(question: &str, texts: &[String]) -> String {
    let mut p = format!("Question: {question}\n\n");
    for (i, t) in texts.iter().enumerate() {
        let t: String = t.trim().chars().take(MAX_RESPONSE_CHARS).collect();
        p.push_str(&format!("Response {}:\n{t}\n\n", i + 1));
    }
    p.push_str(
        "Which response is the most consistent with the others, giving the final answer that \
         most responses agree on? Reply with the response's label, for example 'Response 1'.",
    );
    p
}

/// The response number named in a reply (`Response 3` → 3), if any.
pub fn parse_pick(reply: &str) -> Option<usize> {
    let lower = reply.to_ascii_lowercase();
    let tail = match lower.rfind("response") {
        Some(p) => &lower[p + "response".len()..],
        None => &lower[..],
    };
    let digits: String = tail
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The model picks the most consistent of `n` samples.
#[derive(Debug, Clone)]
pub struct UniversalSc {
    settings: Settings,
    n: u32,
}

impl UniversalSc {
    pub fn new(settings: Settings, n: u32) -> Self {
        Self {
            settings,
            n: n.max(1),
        }
    }
}

#[async_trait]
impl Strategy for UniversalSc {
    fn name(&self) -> &str {
        super::StrategyKind::Usc.name()
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let mut s = Session::new(model);
        let (choices, answers) = draw(&mut s, task, &self.settings, self.n).await?;
        let texts: Vec<String> = choices.iter().map(|c| c.text.clone()).collect();
        let unanimous = answers.iter().all(|a| a.is_some() && *a == answers[0]);
        if unanimous && !answers.is_empty() {
            return Ok(s.finish(
                answers[0].clone(),
                texts[0].clone(),
                None,
                "unanimous: no selection call",
            ));
        }
        let labels: Vec<String> = (1..=texts.len()).map(|i| format!("Response {i}")).collect();
        let req = ChatRequest::new(vec![Message::user(selection_prompt(
            &task.question,
            &texts,
        ))])
        .choice(labels)
        .temperature(0.0)
        .max_tokens(8)
        .seed(task.seed(self.settings.seed));
        let r = s.chat(req).await?;
        let reply = r.text().to_string();
        let pick = parse_pick(&reply).filter(|k| (1..=texts.len()).contains(k));
        let picked_answer = pick.and_then(|k| answers[k - 1].clone());
        s.event(
            StepKind::Select,
            &reply,
            picked_answer.clone(),
            pick.map(|k| k as f64),
        );
        if let (Some(k), Some(a)) = (pick, picked_answer) {
            return Ok(s.finish(
                Some(a),
                texts[k - 1].clone(),
                None,
                format!("model picked response {k}"),
            ));
        }
        let why = match pick {
            Some(k) => format!("response {k} has no answer"),
            None => format!("unparsable pick {reply:?}"),
        };
        Ok(match majority(&answers) {
            Some((a, votes, first)) => s.finish(
                Some(a),
                texts[first].clone(),
                None,
                format!("{why}: majority fallback ({votes} votes)"),
            ),
            None => s.finish(
                None,
                texts.first().cloned().unwrap_or_default(),
                None,
                format!("{why}; no sample had an answer"),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Constraint, Scripted};
    use crate::strategies::testing::task;

    fn replies(samples: &[&str], pick: Option<&str>) -> Scripted {
        let mut r = vec![samples
            .iter()
            .map(|t| Scripted::choice(*t))
            .collect::<Vec<_>>()];
        if let Some(p) = pick {
            r.push(vec![Scripted::choice(p)]);
        }
        Scripted::with_choices(r)
    }

    #[test]
    fn picks_parse() {
        assert_eq!(parse_pick("Response 3"), Some(3));
        assert_eq!(
            parse_pick("The most consistent response is Response 12."),
            Some(12)
        );
        assert_eq!(parse_pick("2"), Some(2));
        assert_eq!(parse_pick("none"), None);
    }

    #[tokio::test]
    async fn scripted_the_model_picks() {
        let m = replies(
            &["The answer is 8.", "The answer is 7.", "The answer is 8."],
            Some("Response 2"),
        );
        let sol = UniversalSc::new(Settings::default(), 3)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(
            sol.answer.as_deref(),
            Some("7"),
            "the model's pick, not the majority"
        );
        assert_eq!(sol.cost.calls, 2);
        let reqs = m.requests();
        assert_eq!(reqs[0].n, 3);
        let prompt = &reqs[1].messages[0].content;
        assert!(prompt.contains("Response 3:\nThe answer is 8."), "{prompt}");
        assert_eq!(
            reqs[1].constraint,
            Some(Constraint::OneOf(vec![
                "Response 1".into(),
                "Response 2".into(),
                "Response 3".into()
            ]))
        );
    }

    #[tokio::test]
    async fn scripted_bad_picks_fall_back_to_the_majority() {
        for bad in ["Response 9", "I cannot tell", "Response 2"] {
            let m = replies(
                &["The answer is 8.", "no answer here", "The answer is 8."],
                Some(bad),
            );
            let sol = UniversalSc::new(Settings::default(), 3)
                .solve(&m, &task())
                .await
                .unwrap();
            assert_eq!(sol.answer.as_deref(), Some("8"), "{bad}");
            assert!(sol.stop.contains("majority fallback"), "{}", sol.stop);
        }
    }

    #[tokio::test]
    async fn scripted_unanimous_skips_the_selection_call() {
        let m = replies(&["The answer is 7.", "So: the answer is 7"], None);
        let sol = UniversalSc::new(Settings::default(), 2)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.cost.calls, 1);
        assert_eq!(sol.answer.as_deref(), Some("7"));
    }
}
