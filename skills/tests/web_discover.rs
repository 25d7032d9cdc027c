//! Discovery on the web (`hone skills discover --env web`) with a scripted model standing in
//! for the LLM's choices; Chromium, the bundled shop, the sandbox and the sled library are real:
//! a practice task generated from the shop's catalogue is solved by a function the agent
//! writes, distilled into a skill, and the skill passes its test on a fresh practice task
//! (another product), scored by WebArena's evaluator.

use hone_core::llm::Scripted;
use hone_envs::web::browser::Browser;
use hone_sandbox::SandboxConfig;
use hone_skills::discover::{DiscoverConfig, Discovery, PracticeEnv};
use hone_skills::web::WebPractice;
use hone_skills::CodeAgentConfig;
use std::sync::Arc;

const SKILL: &str = r#"def price_of(name: str) -> str:
    """Return the price of a shop product, e.g. '$12.50', from its product page.

    name: the product's exact name.
    Example: price_of('Stars Over Lisbon')
    """
    import re
    page.fill("Search products", name, True)
    hits = [e for e in page.get_by_role("link", name) if e["name"] == name]
    text = page.click(hits[0]["id"])
    return re.search(r"Price: (\$[0-9.,]+)", text).group(1)
"#;

const CALL: &str = r#"import re
goal = page.observation().splitlines()[0]
name = re.search(r"price of the (.+)\?", goal).group(1)
page.answer(price_of(name))"#;

fn block(code: &str) -> String {
    format!("Thought: next.\n```python\n{}\n```", code.trim_end())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_web_cycle_distils_a_tested_skill() {
    let sb = SandboxConfig::new().build().unwrap();
    let browser = Browser::launch().await.unwrap();
    let practice = WebPractice::start(browser, 30).await.unwrap();
    // Practice tasks are WebArena tasks from the catalogue, none from the eval suite.
    let t = practice.task(Some("price"), 5).unwrap();
    assert!(
        t.goal.starts_with("What is the price of the "),
        "{}",
        t.goal
    );
    assert_eq!(t.family, "price");
    let other = practice.task(Some("price"), 12).unwrap();
    assert_ne!(t.goal, other.goal, "seeds pick other products");
    assert!(practice.task(Some("fly"), 1).is_err());
    let env: Arc<dyn PracticeEnv> = Arc::new(practice);

    let model = Arc::new(Scripted::new([
        r#"{"why": "no skill reads prices yet", "practise": "task", "task": "price"}"#.to_string(),
        block(&format!("{SKILL}\n{CALL}")),
        format!("```python\n{SKILL}```"),
        block(CALL),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let config = DiscoverConfig {
        iterations: 1,
        tests: 1,
        max_repairs: 1,
        agent: CodeAgentConfig {
            max_turns: 2,
            ..Default::default()
        },
        progress: false,
        ..Default::default()
    };
    let d = Discovery::open(dir.path(), model, sb, env, config).unwrap();
    let recs = d.run().await.unwrap();
    let r = &recs[0];
    assert!(r.error.is_none(), "{r:?}");
    assert_eq!(r.practice.as_ref().unwrap()["won"], true, "{r:?}");
    assert_eq!(r.distilled.as_ref().unwrap()["added"], "new", "{r:?}");
    assert!(r.tests[0].passed, "{r:?}");
    let s = d.library.get("price_of").unwrap().expect("stored");
    assert_eq!(s.env, "web");
    assert_eq!((s.tests, s.successes), (1, 1));
    assert!(s.api.contains(&"page.click".to_string()), "{:?}", s.api);
}
