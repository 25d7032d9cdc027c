//! WebArena's task files, read unchanged: a single task object or a list of them (the 812-task
//! `config_files/test.raw.json`), with the site placeholders (`__SHOPPING__`, `__REDDIT__`, …)
//! replaced as WebArena's `scripts/generate_test_data.py` does (plain text replacement over the
//! whole file, in its order), and each task checked for what hone can run.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The placeholders in WebArena's replacement order (`generate_test_data.py`), then
/// `__HOMEPAGE__` (named in its `env_config.py`, not replaced by the script).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("__GITLAB__", "gitlab"),
    ("__REDDIT__", "reddit"),
    ("__SHOPPING__", "shopping"),
    ("__SHOPPING_ADMIN__", "shopping_admin"),
    ("__WIKIPEDIA__", "wikipedia"),
    ("__MAP__", "map"),
    ("__HOMEPAGE__", "homepage"),
];

/// The `func:` helpers of WebArena's evaluators that hone implements (pure string functions;
/// the others query the real sites' REST APIs or pages in site-specific ways).
pub const FUNCS: &[&str] = &["reddit_get_post_url"];

/// One task, as WebArena writes it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebTask {
    #[serde(default)]
    pub sites: Vec<String>,
    pub task_id: Value,
    #[serde(default)]
    pub require_login: bool,
    #[serde(default)]
    pub storage_state: Option<String>,
    /// One URL, or several joined by ` |AND| ` (one tab each, the first current).
    pub start_url: String,
    #[serde(default)]
    pub geolocation: Option<Value>,
    #[serde(default)]
    pub intent_template: String,
    #[serde(default)]
    pub instantiation_dict: Value,
    pub intent: String,
    #[serde(default)]
    pub require_reset: bool,
    #[serde(default)]
    pub intent_template_id: Option<Value>,
    pub eval: EvalSpec,
    /// hone's bundled tasks only: a scripted solution, `[role 'name']` for element ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_solution: Vec<String>,
}

/// A task's `eval` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSpec {
    /// In order; the evaluators' scores multiply.
    pub eval_types: Vec<String>,
    /// `exact_match` (string), `must_include` (list), `fuzzy_match` (list or `"N/A"`), in the
    /// file's key order.
    #[serde(default)]
    pub reference_answers: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub reference_url: Option<String>,
    #[serde(default)]
    pub url_note: Option<String>,
    #[serde(default)]
    pub program_html: Vec<HtmlTarget>,
    #[serde(default)]
    pub string_note: Option<String>,
}

/// One `program_html` check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HtmlTarget {
    /// `last`, a URL, or `func:…`.
    pub url: String,
    /// Empty (the whole page), a JS expression (`document.…`, `[...document.…`), or `func:…`.
    #[serde(default)]
    pub locator: String,
    /// `{"exact_match": str}` or `{"must_include": [str]}`.
    pub required_contents: serde_json::Map<String, Value>,
    #[serde(default)]
    pub prep_actions: Vec<String>,
}

impl WebTask {
    /// The id as text (WebArena's are integers).
    pub fn id(&self) -> String {
        match &self.task_id {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    }

    /// The start URLs (` |AND| ` separated).
    pub fn start_urls(&self) -> Vec<String> {
        self.start_url
            .split(" |AND| ")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Every URL the task names (start, reference, program_html), for placeholder checks.
    fn urls(&self) -> Vec<&str> {
        let mut v = vec![self.start_url.as_str()];
        if let Some(r) = &self.eval.reference_url {
            v.push(r);
        }
        v.extend(self.eval.program_html.iter().map(|t| t.url.as_str()));
        v
    }

    /// Why hone cannot score this task, if it cannot: a `func:` helper it lacks, a site
    /// placeholder left unmapped, an unknown eval type.
    pub fn unsupported(&self) -> Option<String> {
        for t in &self.eval.eval_types {
            if !matches!(t.as_str(), "string_match" | "url_match" | "program_html") {
                return Some(format!("eval type `{t}` is not one of WebArena's"));
            }
        }
        for t in &self.eval.program_html {
            for f in [&t.url, &t.locator] {
                if let Some(call) = f.strip_prefix("func:") {
                    let name = call.split('(').next().unwrap_or("").trim();
                    if !FUNCS.contains(&name) {
                        return Some(format!(
                            "program_html uses WebArena's helper `{name}`, which queries the real site; hone does not implement it"
                        ));
                    }
                }
            }
        }
        for u in self.urls() {
            if let Some(p) = unmapped(u) {
                return Some(format!(
                    "site placeholder {p} is not mapped (--site NAME=URL)"
                ));
            }
        }
        None
    }

    /// The hosts (`host:port`) of the task's start URLs: the navigation allow-list.
    pub fn hosts(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .start_urls()
            .iter()
            .filter_map(|u| host_of(u))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

pub use hone_core::eval::file_safe;

/// `scheme://host:port/…` → `host:port` (lower-cased), for http(s) URLs.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The first `__NAME__` placeholder left in `s`.
fn unmapped(s: &str) -> Option<String> {
    let mut rest = s;
    while let Some(i) = rest.find("__") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("__") else { break };
        let name = &after[..j];
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            // The evaluator's own tokens are not sites.
            if name != "last_url" && name != "page" {
                return Some(format!("__{name}__"));
            }
        }
        rest = &after[j..];
    }
    None
}

/// Site name (`shopping`, `reddit`, … or a placeholder without underscores) → base URL.
pub type SiteMap = BTreeMap<String, String>;

/// Parses `--site NAME=URL` arguments.
pub fn parse_sites(args: &[String]) -> anyhow::Result<SiteMap> {
    let mut m = SiteMap::new();
    for a in args {
        let (k, v) = a.split_once('=').with_context(|| {
            format!("--site {a}: expected NAME=URL, e.g. shopping=http://127.0.0.1:7770")
        })?;
        let k = k.trim().trim_matches('_').to_ascii_lowercase();
        anyhow::ensure!(
            PLACEHOLDERS.iter().any(|(_, n)| *n == k),
            "--site {a}: unknown site `{k}` (one of {})",
            PLACEHOLDERS
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>()
                .join(", ")
        );
        m.insert(k, v.trim().trim_end_matches('/').to_string());
    }
    Ok(m)
}

/// Replaces the placeholders in a task file's text, as `generate_test_data.py` does.
pub fn substitute(text: &str, sites: &SiteMap) -> String {
    let mut t = text.to_string();
    for (ph, name) in PLACEHOLDERS {
        if let Some(url) = sites.get(*name) {
            t = t.replace(ph, url);
        }
    }
    t
}

/// A task file read leniently: the tasks that parsed, and (index, error) for those that did not.
#[derive(Debug, Default)]
pub struct TaskFile {
    pub tasks: Vec<WebTask>,
    pub errors: Vec<(usize, String)>,
}

/// Reads a WebArena config file: one task object or a list. A file that is not JSON, or not an
/// object or list, is an error; a list element that is not a task is reported in `errors`.
pub fn load(path: &Path, sites: &SiteMap) -> anyhow::Result<TaskFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text, sites).with_context(|| format!("{} is not a WebArena task file", path.display()))
}

/// As [`load`], from text.
pub fn parse(text: &str, sites: &SiteMap) -> anyhow::Result<TaskFile> {
    let text = substitute(text, sites);
    let v: Value = serde_json::from_str(&text).context("not JSON")?;
    let items = match v {
        Value::Array(a) => a,
        o @ Value::Object(_) => vec![o],
        _ => anyhow::bail!("expected a task object or a list of tasks"),
    };
    let mut f = TaskFile::default();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<WebTask>(item) {
            Ok(t) => f.tasks.push(t),
            Err(e) => f.errors.push((i, e.to_string())),
        }
    }
    Ok(f)
}

/// What `hone web tasks check` prints: counts per eval-type combination, what is unsupported
/// and why, parse errors.
pub fn summary(f: &TaskFile) -> String {
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut why: BTreeMap<String, usize> = BTreeMap::new();
    let mut fuzzy = 0;
    let mut na = 0;
    for t in &f.tasks {
        *by_type.entry(t.eval.eval_types.join("+")).or_default() += 1;
        if let Some(r) = &t.eval.reference_answers {
            match r.get("fuzzy_match") {
                Some(Value::String(s)) if s == "N/A" => {
                    fuzzy += 1;
                    na += 1;
                }
                Some(_) => fuzzy += 1,
                None => {}
            }
        }
        if let Some(w) = t.unsupported() {
            let key = if w.contains("helper") {
                w.split('`')
                    .nth(1)
                    .map_or(w.clone(), |f| format!("func:{f}"))
            } else if w.contains("placeholder") {
                w.split_whitespace().nth(2).unwrap_or("").to_string()
            } else {
                w
            };
            *why.entry(key).or_default() += 1;
        }
    }
    let mut s = format!("tasks: {}\n", f.tasks.len());
    let mut types: Vec<_> = by_type.into_iter().collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    s.push_str("eval types:");
    for (k, n) in &types {
        s.push_str(&format!(" {k} {n},"));
    }
    s.pop();
    s.push('\n');
    s.push_str(&format!(
        "string_match with fuzzy_match (needs an LLM judge): {fuzzy} ({na} of them \"N/A\")\n"
    ));
    let unsupported: usize = f.tasks.iter().filter(|t| t.unsupported().is_some()).count();
    s.push_str(&format!("need something hone lacks: {unsupported}"));
    if !why.is_empty() {
        let parts: Vec<String> = why.iter().map(|(k, n)| format!("{k} {n}")).collect();
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    s.push('\n');
    for (i, e) in f.errors.iter().take(10) {
        s.push_str(&format!("  task #{i}: {e}\n"));
    }
    s.push_str(&format!("errors: {}\n", f.errors.len()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_hosts() {
        let sites = parse_sites(&["shopping=http://127.0.0.1:7770/".into()]).unwrap();
        let f = parse(
            r#"{"task_id": 7, "start_url": "__SHOPPING__/a |AND| __SHOPPING__/b", "intent": "x",
                "eval": {"eval_types": ["url_match"], "reference_url": "__REDDIT__/f/x"}}"#,
            &sites,
        )
        .unwrap();
        let t = &f.tasks[0];
        assert_eq!(t.id(), "7");
        assert_eq!(
            t.start_urls(),
            ["http://127.0.0.1:7770/a", "http://127.0.0.1:7770/b"]
        );
        assert_eq!(t.hosts(), ["127.0.0.1:7770"]);
        assert!(t.unsupported().unwrap().contains("__REDDIT__"));
        assert!(parse_sites(&["shop=x".into()]).is_err());
        assert!(parse("[1, {\"x\": 2}]", &sites).unwrap().errors.len() == 2);
        assert!(parse("not json", &sites).is_err());
    }
}
