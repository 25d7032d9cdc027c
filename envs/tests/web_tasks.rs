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

/// WebArena grades an early stop's text as the answer ("Early stop: Same action for 3 times");
/// no bundled task may be won by it (a `must_include ["3"]` would be, by WebArena's
/// single-token rule). Tasks with a fuzzy_match are left out: a judge decides those.
#[tokio::test]
async fn no_bundled_task_is_won_by_an_early_stop() {
    use hone_envs::web::evaluate::string_match;
    let sites: hone_envs::web::task::SiteMap = [
        ("shopping".to_string(), "http://127.0.0.1:1".to_string()),
        ("reddit".to_string(), "http://127.0.0.1:2".to_string()),
    ]
    .into_iter()
    .collect();
    let f = tasks(&sites).unwrap();
    let mut checked = 0;
    for t in &f.tasks {
        let fuzzy = t
            .eval
            .reference_answers
            .as_ref()
            .is_some_and(|r| r.contains_key("fuzzy_match"));
        if !t.eval.eval_types.iter().any(|e| e == "string_match") || fuzzy {
            continue;
        }
        for why in [
            "Reach max steps 30",
            "Failed to parse actions for 3 times",
            "Same action for 3 times",
            "Same typing action for 3 times",
        ] {
            let s = string_match(t, &format!("Early stop: {why}"), None)
                .await
                .unwrap();
            assert_eq!(
                s.score,
                0.0,
                "task {} is won by `Early stop: {why}`",
                t.id()
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked} string_match tasks");
}
