//! The web half: the code-action agent's instructions and worked examples for WebArena-format
//! tasks, and the eval runner `hone eval web --agent code` uses. Code reaches the browser only
//! through `page.*` ([`crate::api::EnvBridge::web_grants`]), each action one of WebArena's on
//! the web environment, so the task's allow-list, step limit and scoring hold for skills too.

use crate::library::Example;
use anyhow::Context;
use hone_core::env::TaskSpec;
use serde_json::json;
use std::sync::Arc;

/// What the code-action agent is told about the browser and its API.
pub const INSTRUCTIONS: &str = "You complete tasks on websites by writing Python. A persistent Python session is connected to a browser tab:
- page.observation() returns the page as an accessibility tree: one element per line, `[id] role 'name'`; page.url() the current URL.
- page.click(target), page.fill(target, text) or page.fill(target, text, True) to press Enter after, page.press(key), page.goto(url): target is an element id or the element's name; each returns the new page.
- page.get_by_role(role, name) lists the matching elements as {'id', 'role', 'name'}; page.get_by_text(text) the lines that contain the text.
- page.answer(text) ends the task with your answer (page.answer('') when the task asks for no answer). Only the task's own site can be opened.
Every reply is one line `Thought: ...` and then one ```python block. The block runs in the session (variables stay defined between blocks). The pages it saw, what it printed and any error come back to you.";

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
            ..Default::default()
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
            ..Default::default()
        },
    ]
}

/// The web kind for the code-action agent: `KIND.runner(…)` is what `hone eval web
/// --agent code` runs.
pub const KIND: crate::agent::Kind = crate::agent::Kind {
    name: "web",
    instructions: INSTRUCTIONS,
    examples: raw_examples,
};

/// The bundled shop as a practice ground for `hone skills discover --env web`: tasks in
/// WebArena's format generated from the shop's catalogue (seeded), scored by WebArena's
/// evaluators. Products and categories named by the bundled eval suite are left out, so a
/// discovered library is evaluated on tasks it never practised.
pub struct WebPractice {
    sites: hone_envs::web::sites::Bundled,
    browser: Arc<hone_envs::web::browser::Browser>,
    pool: Arc<hone_envs::web::browser::PagePool>,
    products: Vec<usize>,
    categories: Vec<String>,
    /// Actions per practice episode.
    pub max_actions: u32,
}

/// The practice task families and their goal templates.
const FAMILIES: &[(&str, &str)] = &[
    ("price", "What is the price of the {product}?"),
    ("sku", "What is the SKU of the {product}?"),
    (
        "rating",
        "What is the average customer rating of the {product}?",
    ),
    (
        "cheapest",
        "Which product in the {category} category is the cheapest?",
    ),
    (
        "priciest",
        "What is the most expensive product in the {category} category?",
    ),
    ("cart", "Add the {product} to my cart."),
];

impl WebPractice {
    /// Starts the bundled sites and uses `browser` for practice episodes.
    pub async fn start(
        browser: Arc<hone_envs::web::browser::Browser>,
        max_actions: u32,
    ) -> anyhow::Result<Self> {
        let sites = hone_envs::web::sites::Bundled::start(0, 0).await?;
        let suite = hone_envs::web::bundled::tasks(&sites.sites())?;
        let named = |s: &str| suite.tasks.iter().any(|t| t.intent.contains(s));
        let shop = &sites.shop_state;
        let products = (0..shop.products.len())
            .filter(|&i| !named(&shop.products[i].name))
            .collect();
        let categories = shop
            .categories
            .iter()
            .filter(|c| !named(c.as_str()))
            .cloned()
            .collect();
        Ok(Self {
            pool: hone_envs::web::browser::PagePool::new(browser.clone(), 1),
            sites,
            browser,
            products,
            categories,
            max_actions,
        })
    }

    /// The task of `family` (any when `None`) for `seed`, as WebArena JSON.
    pub fn task(&self, family: Option<&str>, seed: u64) -> anyhow::Result<TaskSpec> {
        use hone_envs::web::sites::shop::money;
        let fam = match family {
            Some(f) => FAMILIES.iter().find(|(n, _)| *n == f).with_context(|| {
                format!(
                    "no web practice family `{f}` (one of {})",
                    FAMILIES.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                )
            })?,
            None => &FAMILIES[(seed % FAMILIES.len() as u64) as usize],
        };
        anyhow::ensure!(
            !self.products.is_empty() && !self.categories.is_empty(),
            "no practice products"
        );
        let shop = &self.sites.shop_state;
        let p = &shop.products[self.products[(seed / 7 % self.products.len() as u64) as usize]];
        let c = &self.categories[(seed / 3 % self.categories.len() as u64) as usize];
        let in_c: Vec<&hone_envs::web::sites::shop::Product> =
            shop.products.iter().filter(|x| &x.category == c).collect();
        let cheapest = in_c.iter().min_by_key(|x| x.price).map(|x| x.name.clone());
        let priciest = in_c.iter().max_by_key(|x| x.price).map(|x| x.name.clone());
        let intent = fam.1.replace("{product}", &p.name).replace("{category}", c);
        let eval = match fam.0 {
            "price" => {
                json!({"eval_types": ["string_match"], "reference_answers": {"must_include": [money(p.price)]}})
            }
            "sku" => {
                json!({"eval_types": ["string_match"], "reference_answers": {"must_include": [p.sku]}})
            }
            "rating" => {
                json!({"eval_types": ["string_match"], "reference_answers": {"must_include": [format!("{:.1}", p.rating(&[]))]}})
            }
            "cheapest" => {
                json!({"eval_types": ["string_match"], "reference_answers": {"exact_match": cheapest.unwrap_or_default()}})
            }
            "priciest" => {
                json!({"eval_types": ["string_match"], "reference_answers": {"exact_match": priciest.unwrap_or_default()}})
            }
            _ => {
                json!({"eval_types": ["program_html"], "program_html": [{"url": "__SHOPPING__/cart", "locator": "", "required_contents": {"must_include": [p.name]}}]})
            }
        };
        let task = json!({
            "task_id": format!("practice-{}-{seed}", fam.0),
            "sites": ["shopping"],
            "start_url": "__SHOPPING__",
            "intent": intent,
            "eval": eval,
        });
        let f = hone_envs::web::task::parse(&task.to_string(), &self.sites.sites())?;
        let t = f.tasks.first().context("a practice task")?;
        Ok(hone_envs::web::task_spec(t).family(fam.0))
    }
}

#[async_trait::async_trait]
impl crate::discover::PracticeEnv for WebPractice {
    fn kind(&self) -> &str {
        "web"
    }
    fn instructions(&self) -> &str {
        INSTRUCTIONS
    }
    fn examples(&self) -> Vec<Example> {
        raw_examples()
    }
    fn families(&self) -> Vec<(String, String)> {
        FAMILIES
            .iter()
            .map(|(f, t)| {
                (
                    f.to_string(),
                    t.replace("{product}", "X").replace("{category}", "Y"),
                )
            })
            .collect()
    }
    fn episode(
        &self,
        family: Option<&str>,
        seed: u64,
    ) -> anyhow::Result<(Box<dyn hone_core::env::Environment>, TaskSpec)> {
        let task = self.task(family, seed)?;
        let env = hone_envs::web::WebEnv::new(
            self.browser.clone(),
            hone_envs::web::WebEnvConfig {
                max_steps: self.max_actions,
                ..Default::default()
            },
        )
        .pool(self.pool.clone());
        Ok((Box::new(env), task))
    }
    fn preview(&self, family: Option<&str>, seed: u64) -> anyhow::Result<String> {
        let task = self.task(family, seed)?;
        Ok(format!(
            "OBJECTIVE: {}\n\nThe One Stop Shop at {}: a search box ('Search products'), category \
             links ({}), product pages with price, SKU, rating, category and reviews, a cart, \
             checkout and an account (Sign In).",
            task.goal,
            self.sites.shop.url,
            self.sites.shop_state.categories.join(", ")
        ))
    }
}
