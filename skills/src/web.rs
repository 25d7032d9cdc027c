//! The web half: the code-action agent's instructions and worked examples for WebArena-format
//! tasks, and the eval runner `hone eval web --agent code` uses. Code reaches the browser only
//! through `page.*` ([`crate::api::EnvBridge::web_grants`]), each action one of WebArena's on
//! the web environment, so the task's allow-list, step limit and scoring hold for skills too.

use crate::agent::{CodeAgent, CodeAgentConfig, CodeRunner};
use crate::library::{Example, SkillLibrary};
use hone_core::llm::ChatModel;
use hone_core::ReflectionVariant;
use hone_sandbox::Sandbox;
use std::sync::Arc;

/// What the code-action agent is told about the browser and its API.
pub const INSTRUCTIONS: &str = "You complete tasks on websites by writing Python. A persistent Python session is connected to a browser tab:
- page.observation() returns the page as an accessibility tree: one element per line, `[id] role 'name'`; page.url() the current URL.
- page.click(target), page.fill(target, text) or page.fill(target, text, True) to press Enter after, page.press(key), page.goto(url): target is an element id or the element's name; each returns the new page.
- page.get_by_role(role, name) lists the matching elements as {'id', 'role', 'name'}; page.get_by_text(text) the lines that contain the text.
- page.answer(text) ends the task with your answer (page.answer('') when the task asks for no answer). Only the task's own site can be opened.
Pass arguments by position or by keyword, not both in one call. Every reply is one line `Thought: ...` and then one ```python block. The block runs in the session (variables stay defined between blocks). The pages it saw, what it printed and any error come back to you.";

/// Worked examples without skills: the raw API on made-up sites (not the bundled tasks).
pub fn raw_examples() -> Vec<Example> {
    vec![
        Example {
            env: "web".into(),
            task: "What is the price of the Blue Kettle?".into(),
            code:
                r#"Thought: I search the store for the kettle and read its price from the results.
```python
import re
seen = page.fill('Search', 'blue kettle', True)
lines = page.get_by_text('$')
print(lines)
price = re.search(r'\$[0-9.,]+', ' '.join(lines)).group(0)
page.answer(price)
```"#
                    .into(),
        },
        Example {
            env: "web".into(),
            task: "Subscribe to the newsletter with the email jo@example.com.".into(),
            code: r#"Thought: I open the newsletter page, fill in the email and submit the form.
```python
page.click('Newsletter')
page.fill('Email', 'jo@example.com')
seen = page.click('Subscribe')
print(seen[-300:])
page.answer('')
```"#
                .into(),
        },
    ]
}

/// The code-action runner for web tasks: `library` (if any) gives the top `k` web skills per
/// goal and its worked examples; without one, the agent gets [`raw_examples`]. `trials` above
/// 1 adds Reflexion between trials.
pub fn runner(
    model: Arc<dyn ChatModel>,
    sandbox: Sandbox,
    config: CodeAgentConfig,
    library: Option<SkillLibrary>,
    k: usize,
    trials: u32,
    variant: ReflectionVariant,
) -> CodeRunner {
    CodeRunner {
        agent: CodeAgent::new(model, sandbox, INSTRUCTIONS)
            .config(config)
            .kind("web"),
        env_kind: "web".into(),
        site: None,
        library,
        k,
        examples_per_task: 2,
        trials,
        variant,
        memory_k: 3,
        fallback_examples: raw_examples(),
    }
}
