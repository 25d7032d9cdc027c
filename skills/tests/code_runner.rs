//! The code-action runner on the eval engine (real sandbox, real sled store, scripted model for
//! the loop logic): Reflexion over code actions (a failed trial's lesson is shown in the next
//! trial), and a rerun that takes every episode from the store without calling the model.

use hone_core::env::{Environment, KeyDoorWorld};
use hone_core::eval::{Eval, FnHarness, Manifest};
use hone_core::llm::Scripted;
use hone_core::ReflectionVariant;
use hone_sandbox::SandboxConfig;
use hone_skills::{CodeAgent, CodeAgentConfig, CodeRunner};
use std::sync::Arc;

fn block(code: &str) -> String {
    format!("Thought: next.\n```python\n{code}\n```")
}

fn runner(model: Arc<Scripted>) -> CodeRunner {
    let sb = SandboxConfig::new().build().unwrap();
    CodeRunner {
        agent: CodeAgent::new(model, sb, "A room with a door.").config(CodeAgentConfig {
            max_turns: 1,
            ..Default::default()
        }),
        env_kind: "household".into(),
        site: None,
        library: None,
        k: 3,
        examples_per_task: 2,
        trials: 3,
        variant: ReflectionVariant::Composite,
        memory_k: 3,
        fallback_examples: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_trial_reflects_and_the_next_trial_sees_the_lesson() {
    let model = Arc::new(Scripted::new([
        block("print(env.step('look'))"),
        "I only looked. New plan: take the key from the table, then open the door.".to_string(),
        block(
            "env.step('go to table 1')\nenv.step('take key 1 from table 1')\nenv.step('go to door 1')\nprint(env.step('open door 1'))",
        ),
    ]));
    let h = FnHarness::new("toy", vec![KeyDoorWorld::task()], |_| {
        Ok(Some(Box::new(KeyDoorWorld::new()) as Box<dyn Environment>))
    });
    let dir = tempfile::tempdir().unwrap();
    let eval = Eval::open(dir.path(), Manifest::new("toy"), None)
        .unwrap()
        .trials(3)
        .progress(false);
    let r = runner(model.clone());
    let out = eval.run(&h, &r).await.unwrap();
    let eps = &out.episodes;
    assert_eq!(eps.len(), 2, "stops at the first win");
    assert!(!eps[0].won && eps[1].won);
    assert_eq!(eps[1].trial, 1);
    assert!(eps[0].reflection.as_deref().unwrap().contains("New plan"));
    let reqs = model.requests();
    assert!(
        reqs[1].messages[0]
            .content
            .contains("print(env.step('look'))"),
        "the reflection reads the failed attempt"
    );
    let opening = &reqs[2].messages[1].content;
    assert!(
        opening.contains("Your memory for the task below:\nTrial 1:\nI only looked."),
        "{opening}"
    );
    assert_eq!(out.report.arms[0].all.won, 1);

    // Rerun: everything comes from the store.
    let idle = Arc::new(Scripted::new(Vec::<String>::new()));
    let again = eval.run(&h, &runner(idle.clone())).await.unwrap();
    assert_eq!(again.episodes, out.episodes);
    assert!(idle.requests().is_empty());
}
