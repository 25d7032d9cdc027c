//! The hand-written web library (`examples/skills/web`) on the real sandbox, real Chromium and
//! the bundled shop: imported through the static checks, retrieved for goals, and called by a
//! code-action agent whose model is scripted (it writes the right calls for each task, so this
//! measures the skills, not a model), scored by WebArena's evaluators.

use hone_core::llm::Scripted;
use hone_core::trajectory::Action;
use hone_envs::web::browser::Browser;
use hone_envs::web::bundled::tasks;
use hone_envs::web::sites::Bundled;
use hone_envs::web::{task_spec, WebEnv, WebEnvConfig};
use hone_sandbox::SandboxConfig;
use hone_skills::web::INSTRUCTIONS;
use hone_skills::{CodeAgent, CodeAgentConfig, SkillLibrary};
use std::path::Path;
use std::sync::Arc;

fn library_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/skills/web"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_written_web_library_solves_shop_tasks() {
    let sb = SandboxConfig::new().build().unwrap();
    let lib = SkillLibrary::temporary().unwrap();
    let added = lib
        .import(library_dir(), &sb, "web")
        .await
        .expect("the shipped web library passes its checks");
    assert_eq!(added.len(), 5, "{added:?}");
    let pd = lib.get("product_detail").unwrap().unwrap();
    assert_eq!(pd.calls, ["open_product"]);
    assert_eq!(pd.site, "shopping");
    let top = lib
        .retrieve(
            "What is the SKU of the Lumen Perfume?",
            "web",
            Some("shopping"),
            2,
        )
        .unwrap();
    assert!(
        top.iter().any(|s| s.name == "product_detail"),
        "{:?}",
        top.iter().map(|s| &s.name).collect::<Vec<_>>()
    );

    let sites = Bundled::start(0, 0).await.unwrap();
    let f = tasks(&sites.sites()).unwrap();
    let browser = Browser::launch().await.unwrap();
    let all = lib.list_env("web", Some("shopping")).unwrap();
    let plans = [
        (
            "0",
            "page.answer(product_detail('Acme Blue Yoga Mat', 'Price'))",
        ),
        ("3", "page.answer(product_detail('Lumen Perfume', 'SKU'))"),
        (
            "8",
            "page.answer(product_detail('Cedar Black Dumbbell Set', 'Rating'))",
        ),
        (
            "11",
            "page.answer(product_detail('Cedar Red Cutting Board', 'Category'))",
        ),
        (
            "2",
            "page.answer(open_category('Electronics', 'low')[0][0])",
        ),
        ("10", "page.answer(open_category('Grocery', 'high')[0][0])"),
        (
            "26",
            "open_product('Northwind Coffee Beans')\npage.answer('')",
        ),
        ("33", "add_to_cart('Northwind Green Tea')\npage.answer('')"),
        ("34", "add_to_cart('Cedar Oat Cookies', 3)\npage.answer('')"),
        (
            "38",
            "shop_sign_in('emma.lopez@example.com', 'hone123')\npage.answer('')",
        ),
    ];
    let mut lost = Vec::new();
    for (id, code) in plans {
        let t = f.tasks.iter().find(|t| t.id() == id).unwrap();
        let model = Arc::new(Scripted::new([format!(
            "Thought: the skills do it.\n```python\n{code}\n```"
        )]));
        let agent = CodeAgent::new(model, sb.clone(), INSTRUCTIONS)
            .kind("web")
            .config(CodeAgentConfig {
                max_turns: 1,
                ..Default::default()
            });
        let env = Box::new(WebEnv::new(browser.clone(), WebEnvConfig::default()));
        let ep = agent.run_env(env, &task_spec(t), &all, &[]).await.unwrap();
        let Action::Code { calls, .. } = &ep.steps[0].action else {
            panic!("a code step")
        };
        assert!(
            calls.iter().any(|c| c.depth > 0),
            "the skills acted: {calls:?}"
        );
        if !ep.won {
            lost.push(format!("task {id}: {}", ep.transcript()));
        }
    }
    assert!(lost.is_empty(), "{}", lost.join("\n\n"));
}
