//! What `hone eval web` runs, on the one eval engine: WebArena-format tasks as a [`Harness`]
//! (one browser for the run, a fresh browser context per episode), and the ReAct agent for the
//! web (WebArena's action space, one line per step: an action or `think: …`).

use super::browser::{Browser, PagePool};
use super::env::{task_spec, WebEnv, WebEnvConfig};
use super::task::WebTask;
use hone_core::env::{Environment, TaskSpec};
use hone_core::eval::Harness;
use hone_core::llm::ChatModel;
use hone_core::ReactAgent;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What the web agent is told.
pub const INSTRUCTIONS: &str = "You are an autonomous agent completing tasks in a web browser. Each observation shows the open tabs, the current page as an accessibility tree (each element as [id] role 'name'), and its URL. Reply with exactly one line: either 'think: ' and a thought, or one action:
click [id] | hover [id] | type [id] [text] [1 to press Enter after, 0 not to] | press [key combination, e.g. Enter or Control+a] | scroll [up] or scroll [down] | new_tab | tab_focus [tab index] | close_tab | goto [url] | go_back | go_forward | stop [answer].
Issue stop when the task is done: with the answer if the task asks a question (N/A if it cannot be done), else with nothing in the brackets. Only the task's own sites can be opened.";

/// Two worked examples, on made-up pages (not the bundled tasks).
pub fn examples(think: bool) -> Vec<String> {
    let t = |s: &str| {
        if think {
            format!("> think: {s}\nOK.\n")
        } else {
            String::new()
        }
    };
    vec![
        format!(
            "OBJECTIVE: What is the price of the Blue Kettle?\n\nTab 0 (current): Home | Example Store\n\n[1] RootWebArea 'Home | Example Store' focused: True\n\t[4] textbox 'Search' \n\t[5] button 'Search'\n\t[9] link 'Kitchen'\nURL: http://store.example/\n{}> type [4] [blue kettle] [1]\nTab 0 (current): Search | Example Store\n\n[1] RootWebArea 'Search | Example Store' focused: True\n\t[12] link 'Blue Kettle'\n\tStaticText '$24.00'\n\t[13] link 'Blue Mug'\n\tStaticText '$6.50'\nURL: http://store.example/search?q=blue+kettle\n{}> stop [$24.00]\n",
            t("I will search the store for the kettle."),
            t("The results list the Blue Kettle at $24.00.")
        ),
        format!(
            "OBJECTIVE: Subscribe to the newsletter with the email jo@example.com.\n\nTab 0 (current): Welcome | Example News\n\n[1] RootWebArea 'Welcome | Example News' focused: True\n\t[3] link 'Newsletter'\n\t[6] link 'Archive'\nURL: http://news.example/\n{}> click [3]\nTab 0 (current): Newsletter | Example News\n\n[1] RootWebArea 'Newsletter | Example News' focused: True\n\t[8] textbox 'Email' required: True\n\t[9] button 'Subscribe'\nURL: http://news.example/newsletter\n> type [8] [jo@example.com] [0]\nTab 0 (current): Newsletter | Example News\n\n[1] RootWebArea 'Newsletter | Example News' focused: True\n\t[8] textbox 'Email' required: True\n\t\tStaticText 'jo@example.com'\n\t[9] button 'Subscribe'\nURL: http://news.example/newsletter\n> click [9]\nTab 0 (current): Thanks | Example News\n\n[1] RootWebArea 'Thanks | Example News' focused: True\n\tStaticText 'You are subscribed.'\nURL: http://news.example/newsletter/done\n{}> stop []\n",
            t("The newsletter page should have the form."),
            t("The subscription is confirmed, so the task is done.")
        ),
    ]
}

/// The ReAct (`think`) or Act agent for web tasks: the instructions, two examples, at most
/// `max_steps` lines (WebArena: 30 actions), and only the current page in full (as in
/// WebArena's prompt; earlier pages keep their first line).
pub fn agent(
    model: Arc<dyn ChatModel>,
    think: bool,
    max_steps: usize,
) -> hone_core::agent::ReactAgentBuilder {
    let mut b = ReactAgent::builder_arc(model)
        .system(INSTRUCTIONS)
        .max_steps(max_steps)
        .observation_window(1);
    for e in examples(think) {
        b = b.example(e);
    }
    b
}

/// Web tasks as a [`Harness`]: one browser, a fresh context per episode.
pub struct WebHarness {
    tasks: Vec<TaskSpec>,
    browser: Arc<Browser>,
    pool: Arc<PagePool>,
    config: WebEnvConfig,
    judge: Option<Arc<dyn ChatModel>>,
    /// Where final screenshots go (`TASK.png`), if anywhere.
    pub screenshots: Option<PathBuf>,
}

impl WebHarness {
    pub fn new(
        tasks: &[WebTask],
        browser: Arc<Browser>,
        config: WebEnvConfig,
        judge: Option<Arc<dyn ChatModel>>,
    ) -> Self {
        Self {
            tasks: tasks.iter().map(task_spec).collect(),
            pool: PagePool::new(browser.clone(), 2),
            browser,
            config,
            judge,
            screenshots: None,
        }
    }

    pub fn screenshots(mut self, dir: PathBuf) -> Self {
        self.screenshots = Some(dir);
        self
    }
}

impl Harness for WebHarness {
    fn name(&self) -> &str {
        "web"
    }
    fn tasks(&self) -> &[TaskSpec] {
        &self.tasks
    }
    fn environment(&self, _task: &TaskSpec) -> anyhow::Result<Option<Box<dyn Environment>>> {
        let mut cfg = self.config.clone();
        cfg.screenshot_dir = self.screenshots.clone();
        Ok(Some(Box::new(
            WebEnv::new(self.browser.clone(), cfg)
                .judge(self.judge.clone())
                .pool(self.pool.clone()),
        )))
    }
    fn family_labels(&self) -> BTreeMap<String, String> {
        [
            ("shopping", "shop"),
            ("reddit", "forum"),
            ("shopping_admin", "admin"),
            ("gitlab", "gitlab"),
            ("map", "map"),
            ("wikipedia", "wiki"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }
}
