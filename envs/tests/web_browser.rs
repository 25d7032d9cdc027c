//! The web environment end to end in real Chromium (Debian's `chromium`), on the bundled sites
//! served by hone: every action type, ids stable across steps, a form filled and submitted,
//! navigation off the allow-list refused, an endless script and an alert handled within the
//! time-out, two episodes in parallel contexts with separate carts, and a killed browser
//! recovered.

use axum::response::Html;
use axum::routing::get;
use hone_core::env::Environment;
use hone_envs::web::browser::Browser;
use hone_envs::web::sites::{serve, Bundled};
use hone_envs::web::task::{parse, SiteMap};
use hone_envs::web::{task_spec, WebEnv, WebEnvConfig};
use std::time::{Duration, Instant};

/// The id of the first line of `obs` with this role and name.
fn id(obs: &str, role: &str, name: &str) -> String {
    let needle = format!("] {role} '{name}'");
    let line = obs
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("no {role} '{name}' in\n{obs}"));
    let start = line.find('[').unwrap() + 1;
    let end = line.find(']').unwrap();
    line[start..end].to_string()
}

fn task(json: &str, sites: &SiteMap) -> hone_core::env::TaskSpec {
    task_spec(&parse(json, sites).unwrap().tasks[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_on_the_bundled_shop() {
    let sites = Bundled::start(0, 0).await.unwrap();
    let map = sites.sites();
    let browser = Browser::launch().await.expect("chromium starts");
    let mut env = WebEnv::new(browser.clone(), WebEnvConfig::default());
    let spec = task(
        r#"{"task_id": "t1", "sites": ["shopping"], "start_url": "__SHOPPING__", "intent": "Add two yoga mats to the cart and tell me the cart total.",
            "eval": {"eval_types": ["string_match", "url_match"], "reference_answers": {"must_include": ["$"]}, "reference_url": "__SHOPPING__/cart"}}"#,
        &map,
    );
    let first = env.reset(&spec).await.unwrap();
    assert!(first.starts_with("OBJECTIVE: Add two yoga mats"), "{first}");
    assert!(first.contains("Tab 0 (current): One Stop Shop"), "{first}");
    let search = id(&first, "textbox", "Search products");
    // The same document observed again keeps its ids.
    let again = env.observe().await.unwrap();
    assert_eq!(id(&again, "textbox", "Search products"), search);

    // type + Enter submits the search form.
    let s = env.step(&format!("type [{search}] [yoga]")).await.unwrap();
    assert!(s.observation.contains("1 results for"), "{}", s.observation);
    assert!(s.observation.contains("URL: ") && s.observation.contains("/search?q=yoga"));
    let mat = s
        .observation
        .lines()
        .find(|l| l.contains("] link '") && l.contains("Yoga Mat"))
        .unwrap()
        .to_string();
    let mat_id = &mat[mat.find('[').unwrap() + 1..mat.find(']').unwrap()];
    let s = env.step(&format!("click [{mat_id}]")).await.unwrap();
    assert!(
        s.observation.contains("heading") && s.observation.contains("Yoga Mat"),
        "{}",
        s.observation
    );
    // Clear the quantity (select all, delete), type a new one (WebArena's `type` clicks, then
    // types where the caret is), and submit the form with a click.
    let qty = id(&s.observation, "spinbutton", "Qty");
    env.step(&format!("click [{qty}]")).await.unwrap();
    env.step("press [Control+a]").await.unwrap();
    let s = env.step("press [Backspace]").await.unwrap();
    assert!(
        !s.observation.contains("StaticText '1'"),
        "cleared: {}",
        s.observation
    );
    env.step(&format!("type [{qty}] [2] [0]")).await.unwrap();
    let s = env.step("hover [1]").await.unwrap();
    let add = id(&s.observation, "button", "Add to Cart");
    let s = env.step(&format!("click [{add}]")).await.unwrap();
    assert!(s.observation.contains("Shopping Cart"), "{}", s.observation);
    assert!(
        s.observation.contains("StaticText '2'"),
        "two mats: {}",
        s.observation
    );
    // Scrolling, keys, tabs, history.
    assert!(!env.step("scroll [down]").await.unwrap().done);
    assert!(!env.step("scroll [up]").await.unwrap().done);
    assert!(!env.step("press [Tab]").await.unwrap().done);
    let s = env.step("new_tab").await.unwrap();
    assert!(
        s.observation.contains("Tab 1 (current)"),
        "{}",
        s.observation
    );
    let s = env.step("tab_focus [0]").await.unwrap();
    assert!(
        s.observation.contains("Tab 0 (current): Shopping Cart"),
        "{}",
        s.observation
    );
    let s = env.step("tab_focus [1]").await.unwrap();
    assert!(s.observation.contains("Tab 1 (current)"));
    let s = env.step("close_tab").await.unwrap();
    assert!(
        s.observation.starts_with("Tab 0 (current): Shopping Cart"),
        "{}",
        s.observation
    );
    let s = env.step("go_back").await.unwrap();
    assert!(s.observation.contains("/product/"), "{}", s.observation);
    let s = env.step("go_forward").await.unwrap();
    assert!(s.observation.contains("/cart"), "{}", s.observation);
    // Off the allow-list: refused, the page unchanged.
    let s = env.step("goto [https://example.com/]").await.unwrap();
    assert!(
        s.observation.starts_with("Refused: https://example.com/"),
        "{}",
        s.observation
    );
    let s = env.step("goto [file:///etc/passwd]").await.unwrap();
    assert!(s.observation.starts_with("Refused"), "{}", s.observation);
    let s = env.step("click [99999]").await.unwrap();
    assert!(
        s.observation.starts_with("There is no element [99999]"),
        "{}",
        s.observation
    );
    let s = env.step("scroll [direction=down]").await.unwrap();
    assert!(
        s.observation.starts_with("Invalid action"),
        "{}",
        s.observation
    );
    // The unchanged page follows (WebArena's no-op), and the example ids are the page's.
    assert!(
        s.observation.contains("The page is unchanged:") && s.observation.contains("URL: "),
        "{}",
        s.observation
    );
    let search = id(&s.observation, "textbox", "Search products");
    assert!(
        s.observation.contains(&format!("`type [{search}] [")),
        "{}",
        s.observation
    );
    let s = env
        .step(&format!("goto [{}/cart]", map["shopping"]))
        .await
        .unwrap();
    assert!(s.observation.contains("Shopping Cart"));
    // stop: scored with WebArena's evaluators on the final page.
    let s = env.step("stop [The total is $45.00]").await.unwrap();
    assert!(s.done && s.won, "{s:?}");
    assert_eq!(s.reward, 1.0);
}

/// A hover reaches the page before the observation that follows it: the element's `mouseover`
/// handler has run and CSS `:hover` applies (a menu opens), and hovering elsewhere closes it.
/// (hone turns on the overlay agent so that mouse moves are not held for the next frame; this
/// is what must stay true with it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hover_runs_handlers_and_opens_hover_menus() {
    let page = r#"<html><head><title>Menu</title><style>.sub{display:none} .menu:hover .sub{display:block}</style></head><body>
<div class="menu"><a href="/a">Products</a><ul class="sub"><li><a href="/b">Hidden item</a></li></ul></div>
<p><a href="/c">Elsewhere</a></p><p id="out">nothing hovered</p>
<script>for (const a of document.querySelectorAll('a')) a.addEventListener('mouseover', () => { document.getElementById('out').textContent = 'hovered ' + a.textContent; });</script>
</body></html>"#;
    let site = serve(
        axum::Router::new().route("/", get(move || async move { Html(page) })),
        0,
    )
    .await
    .unwrap();
    let mut map = SiteMap::new();
    map.insert("homepage".into(), site.url.clone());
    let browser = Browser::launch().await.unwrap();
    let mut env = WebEnv::new(browser.clone(), WebEnvConfig::default());
    let spec = task(
        r#"{"task_id": "m", "start_url": "__HOMEPAGE__", "intent": "open the menu",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "ok"}}}"#,
        &map,
    );
    let first = env.reset(&spec).await.unwrap();
    assert!(first.contains("nothing hovered"), "{first}");
    assert!(
        !first.contains("Hidden item"),
        "the menu starts closed: {first}"
    );
    for round in 0..3 {
        let s = env
            .step(&format!("hover [{}]", id(&first, "link", "Products")))
            .await
            .unwrap();
        let o = &s.observation;
        assert!(o.contains("hovered Products"), "round {round}: {o}");
        assert!(
            o.contains("Hidden item"),
            "round {round}, the menu opens: {o}"
        );
        let s = env
            .step(&format!("hover [{}]", id(&first, "link", "Elsewhere")))
            .await
            .unwrap();
        let o = &s.observation;
        assert!(o.contains("hovered Elsewhere"), "round {round}: {o}");
        assert!(
            !o.contains("Hidden item"),
            "round {round}, the menu closes: {o}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_pages_parallel_contexts_and_a_killed_browser() {
    let sites = Bundled::start(0, 0).await.unwrap();
    let hostile = serve(
        axum::Router::new()
            .route("/", get(|| async { Html("<html><head><title>Hostile</title></head><body><a href=\"/loop\">Loop</a> <a href=\"/alert\">Alert</a> <a href=\"https://example.com/\">Away</a></body></html>") }))
            .route("/loop", get(|| async { Html("<html><body><p>busy</p><button onclick=\"for(;;){}\">Hang</button></body></html>") }))
            .route("/alert", get(|| async { Html("<html><body><script>alert('surprise')</script><p>after the alert</p></body></html>") })),
        0,
    )
    .await
    .unwrap();
    let mut map = sites.sites();
    map.insert("homepage".into(), hostile.url.clone());
    let browser = Browser::launch().await.unwrap();
    let cfg = WebEnvConfig {
        action_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let mut env = WebEnv::new(browser.clone(), cfg.clone());
    let spec = task(
        r#"{"task_id": "h", "start_url": "__HOMEPAGE__", "intent": "survive",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "ok"}}}"#,
        &map,
    );
    let first = env.reset(&spec).await.unwrap();
    let s = env
        .step(&format!("click [{}]", id(&first, "link", "Alert")))
        .await
        .unwrap();
    assert!(
        s.observation
            .contains("alert dialog (\"surprise\"); it was dismissed"),
        "{}",
        s.observation
    );
    assert!(
        s.observation.contains("after the alert"),
        "{}",
        s.observation
    );
    env.step("go_back").await.unwrap();
    let first = env.observe().await.unwrap();
    // A link off the allow-list: the browser is sent back.
    let s = env
        .step(&format!("click [{}]", id(&first, "link", "Away")))
        .await
        .unwrap();
    assert!(
        s.observation.contains("Refused") || s.observation.contains("Hostile"),
        "{}",
        s.observation
    );
    // An endless script: the action and observation time out, the episode goes on. The loop
    // starts in a click handler, not on a timer (Chromium throttles timers in pages it does not
    // consider visible, by more than a second at times: a timer-started loop made this flaky).
    let t0 = Instant::now();
    let first = env.observe().await.unwrap();
    let on_loop = env
        .step(&format!("click [{}]", id(&first, "link", "Loop")))
        .await
        .unwrap();
    let s = env
        .step(&format!(
            "click [{}]",
            id(&on_loop.observation, "button", "Hang")
        ))
        .await;
    let s2 = env.step("scroll [down]").await;
    assert!(
        t0.elapsed() < Duration::from_secs(15),
        "bounded by the time-outs: {:?}",
        t0.elapsed()
    );
    let text = format!("{s:?} {s2:?}");
    assert!(
        text.contains("did not answer")
            || text.contains("could not be read")
            || text.contains("failed"),
        "{text}"
    );
    // The next episode starts clean.
    env.reset(&spec).await.unwrap();

    // Two episodes at once, each its own context: carts do not mix.
    let shop = task(
        r#"{"task_id": "c", "start_url": "__SHOPPING__/product/1", "intent": "x",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "x"}}}"#,
        &map,
    );
    let shop2 = task(
        r#"{"task_id": "d", "start_url": "__SHOPPING__/product/2", "intent": "x",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "x"}}}"#,
        &map,
    );
    let mut a = WebEnv::new(browser.clone(), cfg.clone());
    let mut b = WebEnv::new(browser.clone(), cfg.clone());
    let (oa, ob) = tokio::join!(a.reset(&shop), b.reset(&shop2));
    let (oa, ob) = (oa.unwrap(), ob.unwrap());
    let (ca, cb) = (
        format!("click [{}]", id(&oa, "button", "Add to Cart")),
        format!("click [{}]", id(&ob, "button", "Add to Cart")),
    );
    let (sa, sb) = tokio::join!(a.step(&ca), b.step(&cb));
    let (sa, sb) = (sa.unwrap().observation, sb.unwrap().observation);
    let name1 = &sites.shop_state.products[0].name;
    let name2 = &sites.shop_state.products[1].name;
    assert!(
        sa.contains(name1.as_str()) && !sa.contains(name2.as_str()),
        "{sa}"
    );
    assert!(
        sb.contains(name2.as_str()) && !sb.contains(name1.as_str()),
        "{sb}"
    );

    // A killed browser: the episode in flight fails as an environment error; the next reset
    // relaunches it.
    let pid = browser.pid().expect("launched by hone");
    std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(a.step("scroll [down]").await.is_err());
    let o = a.reset(&shop).await.expect("a fresh browser");
    assert!(o.contains("Add to Cart"));
    assert_ne!(browser.pid(), Some(pid));
}

/// WebArena's `storage_state` (Playwright's file: cookies and localStorage) is applied to the
/// episode's context before the start page opens; the next episode's fresh context has none of
/// it; a missing file is an error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_state_cookies_and_local_storage() {
    let sites = Bundled::start(0, 0).await.unwrap();
    let map = sites.sites();
    let origin = map["shopping"].trim_end_matches('/').to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".auth")).unwrap();
    std::fs::write(
        dir.path().join(".auth/shopping_state.json"),
        serde_json::json!({
            "cookies": [{"name": "probe", "value": "from-state", "domain": "127.0.0.1",
                         "path": "/", "expires": -1, "httpOnly": false, "secure": false,
                         "sameSite": "Lax"}],
            "origins": [{"origin": origin, "localStorage": [{"name": "greeting", "value": "hi there"}]}]
        })
        .to_string(),
    )
    .unwrap();
    let browser = Browser::launch().await.expect("chromium starts");
    let cfg = WebEnvConfig {
        state_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let mut env = WebEnv::new(browser.clone(), cfg);
    let probe = |state: &str| {
        task(
            &format!(
                r#"{{"task_id": "s", "sites": ["shopping"], "start_url": "__SHOPPING__", {state} "intent": "x",
                "eval": {{"eval_types": ["program_html"], "program_html": [{{"url": "last",
                "locator": "document.cookie + ' | ' + localStorage.getItem('greeting')",
                "required_contents": {{"must_include": ["probe=from-state", "hi there"]}}}}]}}}}"#
            ),
            &map,
        )
    };
    env.reset(&probe(r#""storage_state": "./.auth/shopping_state.json","#))
        .await
        .unwrap();
    let s = env.step("stop []").await.unwrap();
    assert!(s.done && s.won, "state applied: {}", s.observation);
    env.reset(&probe("")).await.unwrap();
    let s = env.step("stop []").await.unwrap();
    assert!(
        s.done && !s.won,
        "a fresh context has none of it: {}",
        s.observation
    );
    let e = env
        .reset(&probe(r#""storage_state": "./.auth/nope.json","#))
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("nope.json"), "{e:#}");
}

/// Pages made ahead by a pool: each in its own context, and none from before a browser
/// recovery is handed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_pool_gives_fresh_contexts_and_survives_a_killed_browser() {
    use hone_envs::web::browser::PagePool;
    let sites = Bundled::start(0, 0).await.unwrap();
    let map = sites.sites();
    let browser = Browser::launch().await.expect("chromium starts");
    let pool = PagePool::new(browser.clone(), 2);
    let a = pool.take().await.unwrap();
    let b = pool.take().await.unwrap();
    assert_ne!(a.context, b.context);
    drop((a, b));
    tokio::time::sleep(Duration::from_millis(300)).await; // the pool refills
    let pid = browser.pid().expect("launched by hone");
    std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shop = task(
        r#"{"task_id": "p", "sites": ["shopping"], "start_url": "__SHOPPING__", "intent": "x",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "y"}}}"#,
        &map,
    );
    let mut env = WebEnv::new(browser.clone(), WebEnvConfig::default()).pool(pool.clone());
    let o = env
        .reset(&shop)
        .await
        .expect("a relaunched browser and a fresh page");
    assert!(o.contains("One Stop Shop"), "{o}");
    assert_ne!(browser.pid(), Some(pid));
}

/// A pool asked for a start URL makes its next spares already opened there (and the caller's
/// script run there once), each still in its own fresh context (what another episode did is not seen); a spare opened on another URL is
/// not handed out for a task that starts elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_pool_opens_spares_on_the_start_url_in_fresh_contexts() {
    use hone_envs::web::browser::PagePool;
    let sites = Bundled::start(0, 0).await.unwrap();
    let shop = sites.sites()["shopping"].clone();
    let forum = sites.sites()["reddit"].clone();
    let browser = Browser::launch().await.expect("chromium starts");
    let pool = PagePool::new(browser.clone(), 1);
    let start = (
        shop.as_str(),
        "window.prepared = (window.prepared || 0) + 1",
    );
    let (a, opened) = pool.take_for(Some(start)).await.unwrap();
    assert!(!opened, "nothing was made ahead yet");
    pool.refill().await;
    a.goto(&shop, Duration::from_secs(10)).await.unwrap();
    a.eval(
        "document.cookie = 'seen=1'; localStorage.setItem('k', 'v')",
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await; // the pool opens its spare
    let (b, opened) = pool.take_for(Some(start)).await.unwrap();
    assert!(opened, "the spare has opened the start URL");
    let ran = b
        .eval("window.prepared", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ran, serde_json::json!(1), "and run the script there once");
    assert_ne!(a.context, b.context);
    let url = b
        .eval("location.href", Duration::from_secs(5))
        .await
        .unwrap();
    assert!(url.as_str().unwrap().starts_with(&shop), "{url}");
    let state = b
        .eval(
            "document.cookie + '|' + localStorage.getItem('k')",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(state, serde_json::json!("|null"), "a fresh context");
    pool.refill().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_c, opened) = pool
        .take_for(Some((forum.as_str(), start.1)))
        .await
        .unwrap();
    assert!(
        !opened,
        "a spare on the shop is not handed out for the forum"
    );
}

/// An episode that starts on a page the pool opened and observed ahead sees exactly what an
/// episode with a page made at reset sees (the same tree, the same element ids).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_from_a_prepared_spare_sees_what_a_fresh_reset_sees() {
    use hone_envs::web::browser::PagePool;
    let sites = Bundled::start(0, 0).await.unwrap();
    let browser = Browser::launch().await.expect("chromium starts");
    let shop = task(
        r#"{"task_id": "p", "sites": ["shopping"], "start_url": "__SHOPPING__/search?q=e", "intent": "x",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "y"}}}"#,
        &sites.sites(),
    );
    let mut plain = WebEnv::new(browser.clone(), WebEnvConfig::default());
    let want = plain.reset(&shop).await.unwrap();
    let pool = PagePool::new(browser.clone(), 1);
    let mut first = WebEnv::new(browser.clone(), WebEnvConfig::default()).pool(pool.clone());
    assert_eq!(first.reset(&shop).await.unwrap(), want);
    tokio::time::sleep(Duration::from_millis(1500)).await; // the spare opens and is observed
    let mut second = WebEnv::new(browser.clone(), WebEnvConfig::default()).pool(pool.clone());
    assert_eq!(second.reset(&shop).await.unwrap(), want);
    let step = second.step("click [1]").await.unwrap();
    assert!(!step.observation.is_empty());
}
