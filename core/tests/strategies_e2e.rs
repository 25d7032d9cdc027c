//! The strategies end to end on the real default model (assets/, fetched by `make assets` /
//! scripts/fetch-assets; a missing model fails these tests with that hint, they never skip).
//! They check structure — answers parsed or recorded as missing, costs counted, one batched
//! request for the samples — not accuracy: the default model is tiny.

use async_trait::async_trait;
use hone_core::llm::{ChatModel, ChatRequest, ChatResponse, LlamaCpp, LlamaCppConfig, LlmError};
use hone_core::strategies::{
    eval, tasks, AdaptiveConsistency, Baseline, IfOrElse, SelfCertainty, SelfConsistency,
    SelfRefine, Settings, SoftSc, StepKind, Strategy, UniversalSc,
};
use std::sync::{Arc, Mutex};

fn load() -> LlamaCpp {
    let path = hone_core::assets::default_model_path()
        .unwrap_or_else(|e| panic!("{e:#} (run `make assets`)"));
    // One thread: with llama.cpp's OpenMP pool, two busy processes on a 2-core machine (tests
    // and an eval) slowed decoding by ~100x (measured); one thread each stays fast.
    LlamaCpp::load(LlamaCppConfig::new(path).n_ctx(4096).n_threads(1))
        .expect("loading the default model")
}

/// Records (n, logprobs, top_logprobs) of every request.
struct Recording {
    inner: LlamaCpp,
    seen: Mutex<Vec<(u32, bool, u32)>>,
}

#[async_trait]
impl ChatModel for Recording {
    fn name(&self) -> &str {
        self.inner.name()
    }
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        self.seen
            .lock()
            .unwrap()
            .push((req.n, req.logprobs, req.top_logprobs));
        self.inner.chat(req).await
    }
}

impl Recording {
    fn take(&self) -> Vec<(u32, bool, u32)> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn settings() -> Settings {
    Settings {
        max_tokens: 32,
        feedback_tokens: 16,
        ..Settings::default()
    }
}

/// One test, one loaded model (two instances in one process slow each other down).
#[tokio::test]
async fn strategies_and_the_eval_on_the_default_model() {
    let model = load();
    strategies(Recording {
        inner: model.clone(),
        seen: Mutex::default(),
    })
    .await;
    the_eval_runs_and_resumes(Arc::new(model)).await;
}

async fn strategies(m: Recording) {
    let items = tasks::generate(11, 2);
    let n = 4;
    for (i, task) in items.iter().enumerate() {
        // Self-consistency: ONE request with n = 4, logprobs and top logprobs on.
        let sol = SelfConsistency::new(settings(), n)
            .solve(&m, task)
            .await
            .unwrap();
        assert_eq!(m.take(), vec![(n, true, settings().top_logprobs)]);
        assert_eq!(sol.cost.calls, 1);
        assert_eq!(sol.cost.samples, n);
        assert!(sol.cost.usage.completion_tokens > 0 && sol.cost.usage.prompt_tokens > 0);
        assert!(sol.cost.model_ms > 0.0 && sol.cost.wall_ms > 0.0);
        let samples: Vec<_> = sol
            .trace
            .iter()
            .filter(|e| e.kind == StepKind::Sample)
            .collect();
        assert_eq!(samples.len(), n as usize);
        // Every sample's answer is what the extractor finds in its text.
        for e in &samples {
            assert_eq!(e.answer, task.extract(&e.text), "{}", e.text);
        }
        match &sol.answer {
            Some(a) => assert!(samples.iter().any(|e| e.answer.as_ref() == Some(a))),
            None => assert!(samples.iter().all(|e| e.answer.is_none())),
        }

        if i > 0 {
            continue; // the rest on one task: keep the test short
        }
        // The selectors that read logprobs score every sample.
        for s in [
            Box::new(SoftSc::new(settings(), n)) as Box<dyn Strategy>,
            Box::new(SelfCertainty::new(settings(), n).vocab(49152)),
        ] {
            let sol = s.solve(&m, task).await.unwrap();
            assert_eq!(m.take().len(), 1, "{}", s.name());
            for e in sol.trace.iter().filter(|e| e.kind == StepKind::Sample) {
                let sc = e.score.expect("scored");
                assert!(sc.is_finite(), "{} {sc}", s.name());
                if s.name() == "soft-sc" {
                    assert!(sc <= 0.0, "a mean logprob");
                } else {
                    assert!(sc > 0.0, "KL from uniform is positive");
                }
            }
        }

        let sol = UniversalSc::new(settings(), n)
            .solve(&m, task)
            .await
            .unwrap();
        let reqs = m.take();
        assert_eq!(reqs[0].0, n);
        assert!(reqs.len() <= 2 && sol.cost.calls as usize == reqs.len());

        let sol = AdaptiveConsistency::new(settings(), 5)
            .batch(2)
            .solve(&m, task)
            .await
            .unwrap();
        let reqs = m.take();
        let drawn: u32 = reqs.iter().map(|r| r.0).sum();
        assert_eq!(drawn, sol.cost.samples);
        assert!(reqs.iter().all(|r| r.0 <= 2) && (4..=5).contains(&drawn));

        for s in [
            Box::new(Baseline::new(settings())) as Box<dyn Strategy>,
            Box::new(SelfRefine::new(settings()).rounds(1)),
            Box::new(IfOrElse::new(settings())),
        ] {
            let sol = s.solve(&m, task).await.unwrap();
            let reqs = m.take();
            assert!(
                reqs.iter().all(|r| r.0 == 1),
                "{}: greedy single answers",
                s.name()
            );
            assert_eq!(sol.cost.calls as usize, reqs.len());
            assert!(sol.cost.usage.completion_tokens > 0);
            assert_eq!(sol.trace[0].kind, StepKind::Answer);
            if s.corrects() {
                assert_eq!(sol.initial, sol.trace[0].answer);
            }
            println!("{} {}: {:?} ({})", s.name(), task.id, sol.answer, sol.stop);
        }
    }
}

async fn the_eval_runs_and_resumes(model: Arc<dyn ChatModel>) {
    use hone_core::eval::{Eval, Manifest};
    use hone_core::trajectory::Action;
    let dir = tempfile::tempdir().unwrap();
    let items = tasks::generate(5, 2);
    let built = || -> Vec<Box<dyn Strategy>> {
        vec![
            Box::new(Baseline::new(settings())),
            Box::new(IfOrElse::new(settings())),
            Box::new(SelfConsistency::new(settings(), 3)),
        ]
    };
    let harness = eval::ReasoningHarness::new(&items).unwrap();
    let open = || {
        Eval::open(dir.path(), Manifest::new("reasoning"), None)
            .unwrap()
            .progress(false)
    };
    let runner = eval::StrategyRunner::new(model.clone(), built());
    let out = open().run(&harness, &runner).await.unwrap();
    assert_eq!(out.episodes.len(), 6);
    assert!(
        out.episodes.iter().all(|e| e.error.is_none()),
        "{:?}",
        out.episodes
    );
    // IoE's first answer is the baseline's (the same greedy request, shared).
    for task in &items {
        let of = |arm: &str| {
            out.episodes
                .iter()
                .find(|e| e.task.id == task.id && e.arm == arm)
                .unwrap()
        };
        let ioe_first = match &of("ioe").steps[0].action {
            Action::Trace { answer, .. } => answer.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(ioe_first, of("baseline").answer);
        assert_eq!(of("ioe").initial_won, Some(of("baseline").won));
    }
    let report = out.report.order_arms(&runner.arms());
    assert_eq!(report.arms.len(), 3);
    assert!(report.arm("ioe").unwrap().correction.is_some());
    println!("{}", report.text());
    let again = open()
        .run(&harness, &eval::StrategyRunner::new(model, built()))
        .await
        .unwrap();
    assert_eq!((again.computed, again.resumed), (0, 2));
    assert_eq!(again.episodes, out.episodes);
}
