//! Every bundled web task (envs/data/web/tasks.json) in real Chromium on the bundled sites: its
//! scripted reference solution scores 1 with WebArena's evaluators, and stopping at once with a
//! wrong answer scores 0. The two fuzzy_match tasks use a scripted judge (its verdict is canned;
//! the prompt and the parsing of the verdict are the real ones).

use hone_core::env::Environment;
use hone_core::llm::{ChatModel, Scripted};
use hone_envs::web::browser::Browser;
use hone_envs::web::bundled::{play_reference, tasks};
use hone_envs::web::sites::Bundled;
use hone_envs::web::{task_spec, WebEnv, WebEnvConfig};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_solutions_score_one_and_wrong_answers_zero() {
    let sites = Bundled::start(0, 0).await.unwrap();
    let f = tasks(&sites.sites()).unwrap();
    assert!(f.errors.is_empty(), "{:?}", f.errors);
    assert!(f.tasks.len() >= 40, "{} tasks", f.tasks.len());
    let kinds: std::collections::BTreeSet<String> = f
        .tasks
        .iter()
        .flat_map(|t| t.eval.eval_types.clone())
        .collect();
    assert_eq!(kinds.len(), 3, "every evaluator type: {kinds:?}");
    let browser = Browser::launch().await.unwrap();
    let mut failures = Vec::new();
    for t in &f.tasks {
        assert!(
            t.unsupported().is_none(),
            "task {}: {:?}",
            t.id(),
            t.unsupported()
        );
        let spec = task_spec(t);
        let fuzzy = t
            .eval
            .reference_answers
            .as_ref()
            .and_then(|r| r.get("fuzzy_match"))
            .cloned();
        let judge = |verdict: &str| -> Option<Arc<dyn ChatModel>> {
            Some(Arc::new(Scripted::new([verdict])) as Arc<dyn ChatModel>)
        };
        let (good, bad) = match &fuzzy {
            Some(v) if v == "N/A" => (None, judge("different")),
            Some(_) => (judge("correct"), judge("incorrect")),
            None => (None, None),
        };
        let mut env = WebEnv::new(browser.clone(), WebEnvConfig::default()).judge(good);
        match play_reference(&mut env, &spec).await {
            Ok(s) if s.done && s.reward == 1.0 => {}
            Ok(s) => failures.push(format!(
                "task {} ({}): reference scored {} {}",
                t.id(),
                t.intent,
                s.reward,
                s.info
            )),
            Err(e) => failures.push(format!("task {} ({}): {e:#}", t.id(), t.intent)),
        }
        let mut env = WebEnv::new(browser.clone(), WebEnvConfig::default()).judge(bad);
        env.reset(&spec).await.unwrap();
        let s = env.step("stop [no idea]").await.unwrap();
        if s.reward != 0.0 {
            failures.push(format!(
                "task {}: a wrong answer scored {}",
                t.id(),
                s.reward
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
