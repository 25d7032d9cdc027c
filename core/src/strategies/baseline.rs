//! The baseline: one greedy answer, no correction, no sampling. The reference every other
//! strategy is measured against (its request is the one correction strategies start from).

use super::{answer_request, ReasoningTask, Session, Settings, Solution, StepKind, Strategy};
use crate::llm::ChatModel;
use async_trait::async_trait;

/// One greedy answer.
#[derive(Debug, Clone)]
pub struct Baseline {
    settings: Settings,
}

impl Baseline {
    pub fn new(settings: Settings) -> Self {
        Self { settings }
    }
}

#[async_trait]
impl Strategy for Baseline {
    fn name(&self) -> &str {
        super::StrategyKind::Baseline.name()
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let mut s = Session::new(model);
        let (text, answer) = s
            .ask(task, StepKind::Answer, answer_request(task, &self.settings))
            .await?;
        let stop = if answer.is_some() {
            "answered"
        } else {
            "no answer found"
        };
        Ok(s.finish(answer, text, None, stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;
    use crate::strategies::testing::task;

    #[tokio::test]
    async fn scripted_one_greedy_call() {
        let m = Scripted::new(["3 + 4 = 7. The answer is 7."]);
        let sol = Baseline::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert_eq!(sol.cost.calls, 1);
        assert_eq!(sol.cost.samples, 1);
        let req = &m.requests()[0];
        assert_eq!(req.sampling.temperature, 0.0);
        assert_eq!(req.n, 1);
    }

    #[tokio::test]
    async fn scripted_garbage_is_a_recorded_failure() {
        let m = Scripted::new(["I like turtles"]);
        let sol = Baseline::new(Settings::default())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer, None);
        assert_eq!(sol.stop, "no answer found");
    }
}
