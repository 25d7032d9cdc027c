//! The code-action agent on the web (real Chromium, the bundled shop served by hone, the real
//! sandbox; a scripted model for the loop logic): `page.*` solves a bundled task and is scored
//! by WebArena's evaluator; code cannot leave the task's site or reach the generic `env.*` API;
//! an agent out of turns is scored as WebArena scores an early stop.

use hone_core::env::TaskSpec;
use hone_core::llm::Scripted;
use hone_core::ReflectionVariant;
use hone_envs::web::browser::Browser;
use hone_envs::web::bundled::tasks;
use hone_envs::web::sites::Bundled;
use hone_envs::web::{task_spec, WebEnv, WebEnvConfig};
use hone_sandbox::SandboxConfig;
use hone_skills::{web, CodeAgentConfig};
use std::sync::Arc;

fn block(code: &str) -> String {
    format!("Thought: next.\n```python\n{code}\n```")
}

fn task(sites: &Bundled, id: &str) -> TaskSpec {
    let f = tasks(&sites.sites()).unwrap();
    task_spec(f.tasks.iter().find(|t| t.id() == id).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_api_solves_a_bundled_task_and_stays_on_its_site() {
    let sites = Bundled::start(0, 0).await.unwrap();
    let browser = Browser::launch().await.unwrap();
    let sandbox = SandboxConfig::new().build().unwrap();
    let env = || Box::new(WebEnv::new(browser.clone(), WebEnvConfig::default()));
    let agent = |model: Arc<Scripted>, turns: usize| {
        web::KIND
            .runner(
                model,
                sandbox.clone(),
                CodeAgentConfig {
                    max_turns: turns,
                    ..Default::default()
                },
                None,
                3,
                1,
                ReflectionVariant::Retry,
            )
            .agent
    };

    // Task 0: the price of the Acme Blue Yoga Mat ($31.99). "Search" names the button too;
    // page.fill types into the text box. Arguments by position, by keyword, and both in one
    // call, as Playwright's API is written; `re` without an import (the session has it).
    let solve = Arc::new(Scripted::new([block(
        "page.fill('Search', 'yoga mat', enter=True)\n\
         hits = page.get_by_role('link', name='Acme Blue Yoga Mat')\n\
         print(hits)\n\
         page.click(hits[0]['id'])\n\
         page.answer(re.search(r'Price: (\\$[0-9.]+)', page.observation()).group(1))",
    )]));
    let ep = agent(solve, 2)
        .run_env(env(), &task(&sites, "0"), &[], &web::raw_examples())
        .await
        .unwrap();
    assert!(ep.won, "{}", ep.transcript());
    let t = ep.transcript();
    assert!(
        t.contains("type ["),
        "page.fill became WebArena's type action: {t}"
    );
    assert!(t.contains("stop [$31.99]"), "{t}");

    // Off the site, the generic API, then out of turns: refused, undefined, early stop.
    let stray = Arc::new(Scripted::new([
        block("print(page.goto('http://example.com/')[:200])"),
        block("print(env.step('look'))"),
        block("print(page.url())"),
    ]));
    let ep = agent(stray, 3)
        .run_env(env(), &task(&sites, "0"), &[], &[])
        .await
        .unwrap();
    let obs: Vec<&str> = ep.steps.iter().map(|s| s.observation.as_str()).collect();
    assert!(
        obs[0].contains("not one of this task's sites") || obs[0].contains("Refused"),
        "{}",
        obs[0]
    );
    assert!(obs[1].contains("NameError"), "{}", obs[1]);
    assert!(obs[2].contains("127.0.0.1"), "{}", obs[2]);
    assert!(!ep.won);
    assert_eq!(ep.stop, hone_core::trajectory::StopReason::MaxSteps);
}
