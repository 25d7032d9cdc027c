//! [`WebEnv`]: one WebArena task in Chromium as an [`Environment`]. Each episode gets its own
//! browser context (fresh cookies and storage); the observation is the page as WebArena-style
//! accessibility-tree text; actions follow WebArena's action space; navigation is limited to
//! the task's sites; `stop [answer]` (or the step limit) ends the episode and scores it with
//! WebArena's evaluators.

use super::actions::{self, WebAction};
use super::browser::{Browser, Page, PagePool};
use super::evaluate::{evaluate, HtmlProbe, Judge, Scored};
use super::task::{host_of, WebTask};
use anyhow::Context;
use async_trait::async_trait;
use hone_core::env::{Environment, Step, TaskSpec};
use hone_core::llm::ChatModel;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The in-page observation function.
const OBSERVE_JS: &str = include_str!("observe.js");

/// How a web episode runs.
#[derive(Debug, Clone)]
pub struct WebEnvConfig {
    /// Time-out of one action, and of a page load.
    pub action_timeout: Duration,
    /// Longest observation, in lines.
    pub max_lines: usize,
    /// Actions per episode (WebArena's `max_steps`: 30); then the episode is scored with
    /// WebArena's early-stop answer.
    pub max_steps: u32,
    /// Keep a PNG screenshot of the final page (for reports).
    pub screenshot: bool,
    /// How long to wait after an action for a navigation to start.
    pub grace: Duration,
    /// Write each episode's final screenshot here as `TASK.png` (for reports).
    pub screenshot_dir: Option<std::path::PathBuf>,
    /// Where a task's relative `storage_state` path starts (WebArena's are relative to the
    /// folder it runs in; default: the current directory).
    pub state_dir: std::path::PathBuf,
}

impl Default for WebEnvConfig {
    fn default() -> Self {
        Self {
            action_timeout: Duration::from_secs(5),
            max_lines: 500,
            max_steps: 30,
            screenshot: false,
            grace: Duration::from_millis(15),
            screenshot_dir: None,
            state_dir: ".".into(),
        }
    }
}

struct Live {
    task: WebTask,
    allow: Vec<String>,
    /// Element ids in the last observation (for the action grammar).
    ids: Vec<String>,
    tabs: Vec<Page>,
    current: usize,
    steps: u32,
    done: bool,
}

/// A WebArena task in a browser. The task travels in [`TaskSpec::config`] (the task JSON).
pub struct WebEnv {
    browser: Arc<Browser>,
    pub config: WebEnvConfig,
    judge: Option<Arc<dyn ChatModel>>,
    live: Option<Live>,
    /// The last episode's score and evaluator notes.
    pub scored: Option<Scored>,
    /// The last episode's final screenshot (with `config.screenshot`).
    pub screenshot: Option<Vec<u8>>,
    pool: Option<Arc<PagePool>>,
}

/// The [`TaskSpec`] of a WebArena task: id, family = its first site, goal = its intent,
/// config = the task itself.
pub fn task_spec(t: &WebTask) -> TaskSpec {
    TaskSpec::new(t.id())
        .family(t.sites.first().cloned().unwrap_or_else(|| "web".into()))
        .goal(t.intent.clone())
        .config(serde_json::to_value(t).unwrap_or(Value::Null))
}

/// `program_html` reads the current tab: `last` as the agent left it; other URLs are opened
/// in a separate tab of the same context, so the agent's page is untouched.
struct Probe<'a> {
    env: &'a WebEnv,
    extra: tokio::sync::Mutex<Option<Page>>,
}

impl Probe<'_> {
    fn live(&self) -> anyhow::Result<&Live> {
        self.env
            .live
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no episode"))
    }
}

#[async_trait]
impl HtmlProbe for Probe<'_> {
    async fn current_url(&self) -> anyhow::Result<String> {
        if let Some(p) = self.extra.lock().await.as_ref() {
            return p.url().await;
        }
        let l = self.live()?;
        l.tabs[l.current].url().await
    }
    async fn open(&self, url: &str) -> anyhow::Result<()> {
        let mut extra = self.extra.lock().await;
        if extra.is_none() {
            let l = self.live()?;
            *extra = Some(self.env.browser.new_tab(&l.tabs[l.current]).await?);
        }
        let p = extra.as_ref().expect("just opened");
        p.goto(url, self.env.config.action_timeout).await
    }
    async fn html(&self) -> anyhow::Result<String> {
        let js = "(document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '') + document.documentElement.outerHTML";
        let v = match self.extra.lock().await.as_ref() {
            Some(p) => p.eval(js, self.env.config.action_timeout).await?,
            None => {
                let l = self.live()?;
                l.tabs[l.current]
                    .eval(js, self.env.config.action_timeout)
                    .await?
            }
        };
        Ok(v.as_str().unwrap_or_default().to_string())
    }
    async fn evaluate(&self, expression: &str) -> anyhow::Result<Value> {
        match self.extra.lock().await.as_ref() {
            Some(p) => p.eval(expression, self.env.config.action_timeout).await,
            None => {
                let l = self.live()?;
                l.tabs[l.current]
                    .eval(expression, self.env.config.action_timeout)
                    .await
            }
        }
    }
}

/// CDP key description of a key name: (key, code, keyCode, text).
fn key_info(k: &str) -> (String, String, u32, String) {
    let named: &[(&str, &str, u32, &str)] = &[
        ("Enter", "Enter", 13, "\r"),
        ("Tab", "Tab", 9, ""),
        ("Backspace", "Backspace", 8, ""),
        ("Delete", "Delete", 46, ""),
        ("Escape", "Escape", 27, ""),
        ("ArrowUp", "ArrowUp", 38, ""),
        ("ArrowDown", "ArrowDown", 40, ""),
        ("ArrowLeft", "ArrowLeft", 37, ""),
        ("ArrowRight", "ArrowRight", 39, ""),
        ("Home", "Home", 36, ""),
        ("End", "End", 35, ""),
        ("PageUp", "PageUp", 33, ""),
        ("PageDown", "PageDown", 34, ""),
        ("Insert", "Insert", 45, ""),
        ("Space", "Space", 32, " "),
        (" ", "Space", 32, " "),
        ("Control", "ControlLeft", 17, ""),
        ("Shift", "ShiftLeft", 16, ""),
        ("Alt", "AltLeft", 18, ""),
        ("Meta", "MetaLeft", 91, ""),
    ];
    if let Some((key, code, kc, text)) = named.iter().find(|n| n.0.eq_ignore_ascii_case(k)) {
        return (key.to_string(), code.to_string(), *kc, text.to_string());
    }
    let mut chars = k.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        let upper = c.to_ascii_uppercase();
        let code = if c.is_ascii_alphabetic() {
            format!("Key{upper}")
        } else if c.is_ascii_digit() {
            format!("Digit{c}")
        } else {
            String::new()
        };
        return (c.to_string(), code, upper as u32, c.to_string());
    }
    (k.to_string(), k.to_string(), 0, String::new())
}

impl WebEnv {
    pub fn new(browser: Arc<Browser>, config: WebEnvConfig) -> Self {
        Self {
            browser,
            config,
            judge: None,
            live: None,
            scored: None,
            screenshot: None,
            pool: None,
        }
    }

    /// Take each episode's first page from `pool` (made ahead) rather than making it at reset.
    pub fn pool(mut self, pool: Arc<PagePool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// The model that judges `fuzzy_match` answers.
    pub fn judge(mut self, model: Option<Arc<dyn ChatModel>>) -> Self {
        self.judge = model;
        self
    }

    fn live(&self) -> anyhow::Result<&Live> {
        self.live
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("reset the environment first"))
    }

    /// The current tab (for tests, benchmarks and the skills' page API).
    pub fn page(&self) -> Option<&Page> {
        self.live.as_ref().map(|l| &l.tabs[l.current])
    }

    /// The in-page script that gives the current tab's title, URL and tree (marking element
    /// ids) in one call: each round trip adds to a step's time.
    fn observe_script(&self) -> String {
        format!(
            "(() => {{ const tree = ({OBSERVE_JS})({}); return [document.title, location.href, tree]; }})()",
            self.config.max_lines
        )
    }

    /// The page as text: the tab list, the tree, the URL.
    pub async fn observe(&self) -> anyhow::Result<String> {
        Ok(self.observe_at().await?.0)
    }

    /// [`Self::observe`] and the current tab's URL, read in the same call as its tree.
    async fn observe_at(&self) -> anyhow::Result<(String, String)> {
        let l = self.live()?;
        let t = self.config.action_timeout;
        let page = &l.tabs[l.current];
        let v = page.eval(&self.observe_script(), t).await?;
        let part = |i: usize| v[i].as_str().unwrap_or_default().to_string();
        let (title, url, tree) = (part(0), part(1), part(2));
        let mut header = Vec::new();
        for (i, tab) in l.tabs.iter().enumerate() {
            header.push(if i == l.current {
                format!("Tab {i} (current): {title}")
            } else {
                let title = tab
                    .eval("document.title", t)
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                format!("Tab {i}: {title}")
            });
        }
        Ok((format!("{}\n\n{tree}\nURL: {url}", header.join(" | ")), url))
    }

    /// Whether a URL may be opened: http(s) on one of the task's hosts, or about:blank.
    fn allowed(&self, url: &str) -> bool {
        if url == "about:blank" {
            return true;
        }
        match (host_of(url), self.live.as_ref()) {
            (Some(h), Some(l)) => l.allow.contains(&h),
            _ => false,
        }
    }

    /// The centre of element `id` (scrolled to the middle of the viewport when it is not wholly
    /// inside it, as Playwright scrolls before input), or why it cannot be acted on.
    async fn element(&self, id: &str) -> Result<(f64, f64, String), String> {
        let l = self.live().map_err(|e| e.to_string())?;
        let js = format!(
            "(() => {{ const el = document.querySelector('[data-hone-id=\"{id}\"]'); if (!el) return null; \
             let r = el.getBoundingClientRect(); \
             if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {{ \
             el.scrollIntoView({{block: 'center', inline: 'center'}}); r = el.getBoundingClientRect(); }} \
             return {{x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height, tag: el.tagName}}; }})()"
        );
        let v = l.tabs[l.current]
            .eval(&js, self.config.action_timeout)
            .await
            .map_err(|e| e.to_string())?;
        if v.is_null() {
            return Err(format!("There is no element [{id}] on this page."));
        }
        let tag = v["tag"].as_str().unwrap_or("").to_string();
        if v["w"].as_f64() == Some(0.0) && v["h"].as_f64() == Some(0.0) && tag != "OPTION" {
            return Err(format!("Element [{id}] is not visible."));
        }
        Ok((
            v["x"].as_f64().unwrap_or(0.0),
            v["y"].as_f64().unwrap_or(0.0),
            tag,
        ))
    }

    async fn mouse(&self, kind: &str, x: f64, y: f64) -> anyhow::Result<()> {
        let l = self.live()?;
        let mut p = json!({"type": kind, "x": x, "y": y});
        if kind != "mouseMoved" {
            p["button"] = json!("left");
            p["clickCount"] = json!(1);
        }
        l.tabs[l.current]
            .call("Input.dispatchMouseEvent", p, self.config.action_timeout)
            .await?;
        Ok(())
    }

    async fn key(&self, combo: &str) -> anyhow::Result<()> {
        let l = self.live()?;
        let page = &l.tabs[l.current];
        let parts: Vec<&str> = combo.split('+').collect();
        let (mods, key) = parts.split_at(parts.len().saturating_sub(1));
        let mut bits = 0;
        for m in mods {
            bits |= match m.to_ascii_lowercase().as_str() {
                "alt" => 1,
                "control" | "ctrl" => 2,
                "meta" => 2, // WebArena maps Meta to Control off a Mac.
                "shift" => 8,
                _ => 0,
            };
        }
        let (k, code, kc, text) = key_info(key.first().copied().unwrap_or(""));
        let mut down = json!({"type": if text.is_empty() || bits & 2 != 0 { "rawKeyDown" } else { "keyDown" },
            "key": k, "code": code, "windowsVirtualKeyCode": kc, "modifiers": bits});
        if !text.is_empty() && bits & 2 == 0 {
            down["text"] = json!(text);
        }
        if bits & 2 != 0 && k.eq_ignore_ascii_case("a") {
            down["commands"] = json!(["selectAll"]);
        }
        let t = self.config.action_timeout;
        page.call("Input.dispatchKeyEvent", down, t).await?;
        page.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": k, "code": code, "windowsVirtualKeyCode": kc, "modifiers": bits}),
            t,
        )
        .await?;
        Ok(())
    }

    /// Runs one action; `Ok(message)` is what the agent is told besides the new page (empty
    /// when nothing needs saying).
    async fn act(&mut self, a: &WebAction) -> anyhow::Result<String> {
        let t = self.config.action_timeout;
        match a {
            WebAction::Click(id) | WebAction::Hover(id) => {
                let (x, y, tag) = match self.element(id).await {
                    Ok(e) => e,
                    Err(msg) => return Ok(msg),
                };
                if matches!(a, WebAction::Hover(_)) {
                    self.mouse("mouseMoved", x, y).await?;
                } else if tag == "OPTION" {
                    // A native drop-down does not render headless: choose the option directly.
                    let l = self.live()?;
                    l.tabs[l.current]
                        .eval(
                            &format!(
                                "(() => {{ const o = document.querySelector('[data-hone-id=\"{id}\"]'); const s = o.closest('select'); \
                                 o.selected = true; if (s) {{ s.dispatchEvent(new Event('input', {{bubbles: true}})); \
                                 s.dispatchEvent(new Event('change', {{bubbles: true}})); }} return true; }})()"
                            ),
                            t,
                        )
                        .await?;
                } else {
                    self.mouse("mouseMoved", x, y).await?;
                    self.mouse("mousePressed", x, y).await?;
                    self.mouse("mouseReleased", x, y).await?;
                }
                Ok(String::new())
            }
            WebAction::Type { id, text, enter } => {
                let (x, y, _) = match self.element(id).await {
                    Ok(e) => e,
                    Err(msg) => return Ok(msg),
                };
                self.mouse("mousePressed", x, y).await?;
                self.mouse("mouseReleased", x, y).await?;
                let l = self.live()?;
                let page = &l.tabs[l.current];
                if !text.is_empty() {
                    page.call("Input.insertText", json!({"text": text}), t)
                        .await?;
                }
                if *enter {
                    self.key("Enter").await?;
                }
                Ok(String::new())
            }
            WebAction::Press(k) => {
                self.key(k).await?;
                Ok(String::new())
            }
            WebAction::Scroll(up) => {
                let l = self.live()?;
                l.tabs[l.current]
                    .eval(
                        &format!(
                            "(() => {{ const e = document.scrollingElement || document.body; e.scrollTop {} window.innerHeight; return e.scrollTop; }})()",
                            if *up { "-=" } else { "+=" }
                        ),
                        t,
                    )
                    .await?;
                Ok(String::new())
            }
            WebAction::NewTab => {
                let l = self.live()?;
                let tab = self.browser.new_tab(&l.tabs[l.current]).await?;
                let l = self.live.as_mut().expect("live");
                l.tabs.push(tab);
                l.current = l.tabs.len() - 1;
                Ok(String::new())
            }
            WebAction::TabFocus(i) => {
                let l = self.live.as_mut().expect("live");
                if *i >= l.tabs.len() {
                    return Ok(format!(
                        "There is no tab {i} (tabs 0 to {}).",
                        l.tabs.len() - 1
                    ));
                }
                l.current = *i;
                Ok(String::new())
            }
            WebAction::CloseTab => {
                let l = self.live.as_mut().expect("live");
                if l.tabs.len() == 1 {
                    return Ok("This is the only tab; it stays open.".into());
                }
                let cur = l.current;
                if cur == 0 {
                    // The first tab owns the episode's context: keep it, leave its page blank.
                    l.tabs[0].goto("about:blank", t).await?;
                    l.tabs.swap(0, 1);
                    l.tabs.remove(1);
                } else {
                    l.tabs.remove(cur);
                }
                l.current = l.tabs.len() - 1;
                Ok(String::new())
            }
            WebAction::Goto(url) => {
                if !self.allowed(url) {
                    return Ok(format!(
                        "Refused: {url} is not one of this task's sites ({}).",
                        self.live()?.allow.join(", ")
                    ));
                }
                let l = self.live()?;
                if let Err(e) = l.tabs[l.current].goto(url, t).await {
                    return Ok(format!("{e:#}"));
                }
                Ok(String::new())
            }
            WebAction::GoBack | WebAction::GoForward => {
                let l = self.live()?;
                let page = &l.tabs[l.current];
                let events = page.events();
                let dir = if matches!(a, WebAction::GoBack) {
                    "back"
                } else {
                    "forward"
                };
                page.eval(&format!("history.{dir}(), true"), t).await?;
                page.settle(events, Duration::from_millis(200), t).await?;
                Ok(String::new())
            }
            WebAction::Stop(_) => Ok(String::new()),
        }
    }

    /// Scores the episode with `answer` and ends it.
    async fn finish(&mut self, answer: &str) -> Step {
        let judge = self.judge.clone();
        let j = judge.as_deref().map(|m| Judge { model: m });
        let probe = Probe {
            env: self,
            extra: tokio::sync::Mutex::new(None),
        };
        let task = self.live.as_ref().map(|l| l.task.clone());
        let scored = match task {
            Some(t) => evaluate(&t, answer, Some(&probe), j.as_ref()).await,
            None => Err(anyhow::anyhow!("no episode")),
        };
        drop(probe);
        if self.config.screenshot || self.config.screenshot_dir.is_some() {
            if let Some(p) = self.page() {
                self.screenshot = p.screenshot().await.ok();
            }
            if let (Some(dir), Some(png), Some(l)) =
                (&self.config.screenshot_dir, &self.screenshot, &self.live)
            {
                let file = dir.join(format!("{}.png", super::task::file_safe(&l.task.id())));
                if let Err(e) =
                    std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&file, png))
                {
                    tracing::warn!("writing {}: {e}", file.display());
                }
            }
        }
        if let Some(l) = self.live.as_mut() {
            l.done = true;
        }
        let (score, notes, error) = match scored {
            Ok(s) => (s.score, s.notes.clone(), None),
            Err(e) => (0.0, vec![], Some(format!("{e:#}"))),
        };
        self.scored = Some(Scored {
            score,
            notes: notes.clone(),
        });
        let mut obs = format!("The episode is over. Score: {score}.");
        if let Some(e) = &error {
            obs.push_str(&format!(" (The evaluation failed: {e})"));
        }
        Step {
            observation: obs,
            reward: score,
            done: true,
            won: score >= 1.0,
            info: json!({"answer": answer, "score": score, "notes": notes, "eval_error": error}),
        }
    }
}

impl WebEnv {
    fn remember_ids(&mut self, obs: &str) {
        if let Some(l) = self.live.as_mut() {
            l.ids = actions::elements(obs).into_iter().map(|e| e.id).collect();
        }
    }
}

#[async_trait]
impl Environment for WebEnv {
    /// WebArena's actions, with element ids from the current page and URLs on the task's
    /// sites.
    fn action_grammar(&self) -> Option<String> {
        let l = self.live.as_ref()?;
        let lit = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let ids = if l.ids.is_empty() {
            "\"1\"".to_string()
        } else {
            l.ids.iter().map(|i| lit(i)).collect::<Vec<_>>().join(" | ")
        };
        let hosts = l
            .allow
            .iter()
            .map(|h| lit(&format!("http://{h}")))
            .collect::<Vec<_>>()
            .join(" | ");
        let tabs = (0..l.tabs.len().max(1))
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(" | ");
        let goto = if hosts.is_empty() {
            String::new()
        } else {
            format!(" | \"goto [\" ({hosts}) [^\\]\\n ]{{0,200}} \"]\"")
        };
        Some(format!(
            "action ::= \"click [\" id \"]\" | \"hover [\" id \"]\" | \"type [\" id \"] [\" text \"] [\" [01] \"]\" | \"press [\" [A-Za-z+]{{1,30}} \"]\" | \"scroll [\" (\"up\" | \"down\") \"]\" | \"new_tab\" | \"tab_focus [\" tab \"]\" | \"close_tab\" | \"go_back\" | \"go_forward\" | \"stop [\" [^\\]\\n]{{0,200}} \"]\"{goto}\nid ::= {ids}\ntext ::= [^\\]\\n]{{1,200}}\ntab ::= {tabs}"
        ))
    }

    async fn end(&mut self, reason: &str) -> anyhow::Result<Option<Step>> {
        match &self.live {
            Some(l) if !l.done => Ok(Some(self.finish(&format!("Early stop: {reason}")).await)),
            _ => Ok(None),
        }
    }

    async fn reset(&mut self, task: &TaskSpec) -> anyhow::Result<String> {
        let t: WebTask = serde_json::from_value(task.config.clone())
            .map_err(|e| anyhow::anyhow!("task {} is not a WebArena task: {e}", task.id))?;
        if let Some(why) = t.unsupported() {
            anyhow::bail!("task {}: {why}", t.id());
        }
        self.live = None;
        self.scored = None;
        self.screenshot = None;
        if !self.browser.alive().await {
            self.browser.recover().await?;
        }
        let urls = t.start_urls();
        anyhow::ensure!(!urls.is_empty(), "task {} has no start_url", t.id());
        let t0 = std::time::Instant::now();
        // A spare already on the start URL is only right when no storage state has to be in
        // place before the first request.
        let observe = self.observe_script();
        let (first, opened) = match &self.pool {
            Some(p) if t.storage_state.is_none() && urls.len() == 1 => {
                p.take_for(Some((&urls[0], &observe))).await?
            }
            Some(p) => (p.take().await?, false),
            None => (self.browser.new_page().await?, false),
        };
        let mut tabs = vec![first];
        for _ in 1..urls.len() {
            let tab = self.browser.new_tab(&tabs[0]).await?;
            tabs.push(tab);
        }
        if let Some(path) = &t.storage_state {
            let state = super::storage::load(path, &self.config.state_dir)
                .with_context(|| format!("task {}", t.id()))?;
            state.apply_cookies(&tabs[0]).await?;
            for tab in &tabs {
                state.apply_local_storage(tab).await?;
            }
        }
        for (tab, url) in tabs.iter().zip(&urls).skip(usize::from(opened)) {
            tab.goto(url, self.config.action_timeout)
                .await
                .map_err(|e| anyhow::anyhow!("task {}: {e:#}", t.id()))?;
        }
        let opened = t0.elapsed();
        let allow = t.hosts();
        let intent = t.intent.clone();
        self.live = Some(Live {
            task: t,
            allow,
            ids: Vec::new(),
            tabs,
            current: 0,
            steps: 0,
            done: false,
        });
        let obs = self.observe().await?;
        self.remember_ids(&obs);
        if let Some(p) = &self.pool {
            p.refill().await;
        }
        tracing::debug!(
            "reset: pages and start URLs {:.1} ms, first observation {:.1} ms",
            opened.as_secs_f64() * 1e3,
            (t0.elapsed() - opened).as_secs_f64() * 1e3
        );
        Ok(format!("OBJECTIVE: {intent}\n\n{obs}"))
    }

    async fn step(&mut self, line: &str) -> anyhow::Result<Step> {
        let (done, steps, max) = {
            let l = self.live()?;
            (l.done, l.steps, self.config.max_steps)
        };
        if done {
            return Ok(Step {
                observation: "The episode is over.".into(),
                reward: 0.0,
                done: true,
                won: false,
                info: Value::Null,
            });
        }
        if let Some(l) = self.live.as_mut() {
            l.steps += 1;
        }
        let action = match actions::parse(line) {
            Ok(a) => a,
            Err(msg) => {
                if steps + 1 >= max {
                    return Ok(self
                        .finish(&format!("Early stop: Reach max steps {max}"))
                        .await);
                }
                // WebArena turns an unparsable line into a no-op and shows the unchanged page
                // (agent/agent.py: `create_none_action`; browser_env/envs.py `step`). The page
                // comes after the error here, and the error's examples use its own ids: a
                // small model copied the fixed example `type [7] [blue shoes] [1]` until the
                // repeat guard stopped it, in 17 of 46 episodes.
                return Ok(Step::obs(match self.observe_at().await {
                    Ok((page, _)) => {
                        self.remember_ids(&page);
                        format!(
                            "{}\nThe page is unchanged:\n{page}",
                            msg.replace(actions::HINT, &actions::hint_for(&page))
                        )
                    }
                    Err(_) => msg,
                }));
            }
        };
        if let WebAction::Stop(answer) = &action {
            return Ok(self.finish(answer).await);
        }
        let events = {
            let l = self.live()?;
            l.tabs[l.current].events()
        };
        let mut msg = match self.act(&action).await {
            Ok(m) => m,
            Err(e) => {
                let l = self.live()?;
                if l.tabs[l.current].crashed() || !self.browser.alive().await {
                    anyhow::bail!("the browser or tab crashed: {e:#}");
                }
                format!("The action failed: {e:#}")
            }
        };
        {
            let l = self.live()?;
            let page = &l.tabs[l.current];
            // Scrolling, hovering and switching tabs do not navigate: no wait for one to start.
            let grace = match action {
                WebAction::Scroll(_)
                | WebAction::Hover(_)
                | WebAction::TabFocus(_)
                | WebAction::NewTab => Duration::ZERO,
                _ => self.config.grace,
            };
            if let Err(e) = page.settle(events, grace, self.config.action_timeout).await {
                msg.push_str(&format!(" The page did not finish loading: {e:#}"));
            }
            for d in page.take_dialogs() {
                msg.push_str(&format!(
                    " The page opened a {} dialog ({:?}); it was dismissed.",
                    d.kind, d.message
                ));
            }
        }
        // The URL comes with the observation (one call). A page too busy to say where it is (an
        // endless script) is not refused for it: the observation reports it.
        let mut observed = self.observe_at().await;
        let off_list = match &observed {
            Ok((_, url)) if !self.allowed(url) => Some(url.clone()),
            _ => None,
        };
        if let Some(url) = off_list {
            let l = self.live()?;
            let page = &l.tabs[l.current];
            let events = page.events();
            let _ = page
                .eval("history.back(), true", self.config.action_timeout)
                .await;
            let _ = page
                .settle(
                    events,
                    Duration::from_millis(200),
                    self.config.action_timeout,
                )
                .await;
            msg.push_str(&format!(
                " Refused: {url} is not one of this task's sites; went back."
            ));
            observed = self.observe_at().await;
        }
        let obs = match observed {
            Ok((o, _)) => o,
            Err(e) => {
                let l = self.live()?;
                if l.tabs[l.current].crashed() {
                    anyhow::bail!("the tab crashed: {e:#}");
                }
                format!("(The page could not be read: {e:#})")
            }
        };
        self.remember_ids(&obs);
        if steps + 1 >= max {
            let mut s = self
                .finish(&format!("Early stop: Reach max steps {max}"))
                .await;
            s.observation = format!("{obs}\n{}", s.observation);
            return Ok(s);
        }
        let msg = msg.trim();
        Ok(Step::obs(if msg.is_empty() {
            obs
        } else {
            format!("{msg}\n{obs}")
        }))
    }
}
