//! A [`Skill`]: one Python function with its documentation, provenance and test record, and
//! the static checks a skill passes before a library accepts it ([`check`]).

use anyhow::Context;
use hone_sandbox::{Language, RunOptions, Sandbox};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The checker, run in the sandbox's own CPython (`ast`), so a skill is parsed by the same
/// interpreter that will run it.
const CHECK_PY: &str = include_str!("check.py");

/// One argument of a skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    /// The annotation as written (`str`, `list[str]`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// The default as written, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Where a skill came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `hand-written`, `discovered`, `imported`, …
    pub source: String,
    /// The episode it was distilled from (task id and trial), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<String>,
    /// The model that wrote it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Seconds since the Unix epoch when this version was added.
    #[serde(default)]
    pub created: u64,
}

/// A tested, reusable Python function that acts through granted host calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
    /// The whole source: one `def`, with its docstring (and imports of pure modules).
    pub code: String,
    /// `name(arg: type, …) -> type`, as the checker read it.
    pub signature: String,
    /// The docstring: purpose, arguments, an example call.
    pub doc: String,
    #[serde(default)]
    pub params: Vec<Param>,
    /// The environment kind it acts in: `household`, `web`, `shell`.
    pub env: String,
    /// The web site it was made on; empty elsewhere.
    #[serde(default)]
    pub site: String,
    /// 1 for a new skill; a changed body bumps it and resets the counts below.
    pub version: u32,
    /// Test runs of this version, and how they ended.
    #[serde(default)]
    pub tests: u32,
    #[serde(default)]
    pub successes: u32,
    #[serde(default)]
    pub failures: u32,
    /// Calls at test time (by agents), and how many of their episodes were won.
    #[serde(default)]
    pub uses: u32,
    /// Off after repeated failures: kept for review, never retrieved.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Other skills it calls (they are loaded with it).
    #[serde(default)]
    pub calls: Vec<String>,
    /// The host functions it uses (`env.step`, …).
    #[serde(default)]
    pub api: Vec<String>,
    #[serde(default)]
    pub provenance: Provenance,
}

fn yes() -> bool {
    true
}

impl Skill {
    /// Test pass rate of this version (`None` before its first test).
    pub fn pass_rate(&self) -> Option<f64> {
        (self.tests > 0).then(|| self.successes as f64 / self.tests as f64)
    }

    /// What the model is shown: the signature and the docstring, as Python.
    pub fn stub(&self) -> String {
        let mut s = format!("def {}:\n    \"\"\"", self.signature);
        let mut lines = self.doc.lines();
        if let Some(first) = lines.next() {
            s.push_str(first);
        }
        for l in lines {
            s.push('\n');
            if !l.is_empty() {
                s.push_str("    ");
                s.push_str(l);
            }
        }
        s.push_str("\"\"\"");
        s
    }

    /// The text BM25 ranks: the name's words, the signature's argument names, the docstring.
    pub fn search_text(&self) -> String {
        format!(
            "{} {} {}",
            self.name.replace('_', " "),
            self.params
                .iter()
                .map(|p| p.name.replace('_', " "))
                .collect::<Vec<_>>()
                .join(" "),
            self.doc
        )
    }
}

/// What the checker found.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Checked {
    pub ok: bool,
    #[serde(default)]
    pub errors: Vec<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub signature: String,
    #[serde(default)]
    pub doc: String,
    #[serde(default)]
    pub params: Vec<Param>,
    /// Skills it calls.
    #[serde(default)]
    pub uses: Vec<String>,
    /// Host functions it uses.
    #[serde(default)]
    pub api: Vec<String>,
}

/// The static checks, run in the sandbox: the code parses; it defines exactly one function
/// (named `name`, when given), with a docstring; its arguments have JSON types; it reaches the
/// environment only through `api` (granted names such as `env.step`, whose first parts are
/// namespaces it may not touch otherwise); every other name it uses is an argument, a local,
/// a safe builtin, a pure module (`re`, `math`, `json`, …) or one of `skills`; no `eval`,
/// `exec`, `open`, `getattr`, dunder attributes, `global`.
pub async fn check(
    sandbox: &Sandbox,
    code: &str,
    name: Option<&str>,
    api: &[String],
    skills: &[String],
) -> anyhow::Result<Checked> {
    let out = sandbox
        .run_async(
            Language::Python,
            CHECK_PY,
            RunOptions::new().call("check").input(json!({
                "code": code,
                "name": name.unwrap_or(""),
                "api": api,
                "skills": skills,
                "roots": ["env", "page", "sh"],
            })),
        )
        .await
        .context("running the skill checker")?;
    let result = out.result.clone().with_context(|| {
        format!(
            "the skill checker failed ({:?}): {}",
            out.status,
            out.stderr.trim()
        )
    })?;
    serde_json::from_value(result).context("reading the skill checker's verdict")
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Skill {
    /// A checked skill from source: fails with every problem the checker found.
    pub async fn from_code(
        sandbox: &Sandbox,
        code: &str,
        env: &str,
        api: &[String],
        skills: &[String],
        provenance: Provenance,
    ) -> anyhow::Result<Skill> {
        let c = check(sandbox, code, None, api, skills).await?;
        anyhow::ensure!(
            c.ok,
            "the skill does not pass its checks:\n  - {}",
            c.errors.join("\n  - ")
        );
        Ok(Skill {
            name: c.name,
            code: code.trim_end().to_string() + "\n",
            signature: c.signature,
            doc: c.doc,
            params: c.params,
            env: env.to_string(),
            site: String::new(),
            version: 1,
            tests: 0,
            successes: 0,
            failures: 0,
            uses: 0,
            enabled: true,
            calls: c.uses,
            api: c.api,
            provenance,
        })
    }
}
