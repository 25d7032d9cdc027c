//! Skill discovery after SkillWeaver (Zheng et al. 2025): each iteration
//!
//! 1. **propose**: the model sees a room of the environment, its task templates and the
//!    library (with test counts), and proposes a task to practise, or a little-tested skill to
//!    practise again (JSON, constrained to what exists);
//! 2. **practise**: the code-action agent attempts a fresh task of that kind with the library's
//!    relevant skills in scope; success by the environment's own check (household goals), else
//!    by an LLM judge over the trajectory ([`judge`]);
//! 3. **distil**: after a success, the model writes a skill (or a new version of one) from the
//!    trajectory; it must pass the static checks (one repair with the checker's errors);
//! 4. **hone**: the skill runs on fresh episodes where the model writes the call; a failure
//!    shows the model the error and what the environment said, and it rewrites the skill
//!    (bounded repairs); a skill that still fails is disabled. A passing test becomes a worked
//!    example in the library.
//!
//! Every iteration is stored in the library's sled database when it ends (a killed session
//! resumes at the next iteration, and iteration `i` always practises the same seeds), and
//! written out as `discovery.jsonl`, `episodes.jsonl` and `report.html`.

use crate::agent::{parse_reply, CodeAgent, CodeAgentConfig, CodeRunner};
use crate::api;
use crate::library::{Added, Example, SkillLibrary};
use crate::skill::{check, Provenance, Skill};
use async_trait::async_trait;
use hone_core::env::{Environment, TaskSpec};
use hone_core::llm::{ChatModel, ChatRequest, Constraint, Message};
use hone_core::trajectory::{Action, Episode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What discovery needs from an environment kind.
#[async_trait]
pub trait PracticeEnv: Send + Sync {
    /// `household`, `web`, …
    fn kind(&self) -> &str;
    /// The code agent's instructions (the API).
    fn instructions(&self) -> &str;
    /// Task families the model may propose, with their goal templates (`heat`: "heat some {o}
    /// and put it in {r}").
    fn families(&self) -> Vec<(String, String)>;
    /// A fresh episode of `family` (any family when `None`), chosen by `seed`.
    fn episode(
        &self,
        family: Option<&str>,
        seed: u64,
    ) -> anyhow::Result<(Box<dyn Environment>, TaskSpec)>;
    /// The first observation of an episode, without running it (what the proposer sees).
    fn preview(&self, family: Option<&str>, seed: u64) -> anyhow::Result<String>;
    /// The family name proposals use for a task (default: the task's own family).
    fn family_of(&self, task: &TaskSpec) -> String {
        task.family.clone()
    }
    /// Whether the environment checks success itself; otherwise an LLM judge does.
    fn checks_success(&self) -> bool {
        true
    }
    /// Worked examples on the raw API, for practice while the library has none of its own
    /// (without them a small model does not know the API's shape at all).
    fn examples(&self) -> Vec<crate::library::Example> {
        Vec::new()
    }
    /// The skill a solved task should become, if the environment knows: its name and its
    /// arguments with their values in `task` (household `heat_and_put(obj, receptacle)` with
    /// `obj = 'egg'`, `receptacle = 'countertop'`). Distillation then asks for exactly that
    /// function (Qwen2.5-Coder-1.5B, left to name it, copied the prompt's example name for any
    /// task).
    fn signature(&self, _task: &TaskSpec) -> Option<(String, Vec<(String, String)>)> {
        None
    }
}

/// Discovery settings.
#[derive(Debug, Clone)]
pub struct DiscoverConfig {
    pub iterations: u32,
    /// Fresh test episodes per new skill version.
    pub tests: u32,
    /// Rewrites after a failed test before the skill is disabled.
    pub max_repairs: u32,
    /// Skills in scope while practising (top-k, plus what they call).
    pub k: usize,
    pub agent: CodeAgentConfig,
    /// Seeds of iteration `i` derive from `seed` and `i`.
    pub seed: u64,
    pub progress: bool,
    /// A kind of task proposed again after this many practices with no success is swapped for
    /// the least-practised kind (the proposer is told, and the swap is recorded): without it a
    /// small model proposes the same hardest kind every iteration and the library stays empty.
    /// 0: the proposal always stands.
    pub max_failed_repeats: usize,
}

impl Default for DiscoverConfig {
    fn default() -> Self {
        Self {
            iterations: 10,
            tests: 2,
            max_repairs: 2,
            k: 4,
            agent: CodeAgentConfig {
                max_turns: 6,
                ..Default::default()
            },
            seed: 0x5EED,
            progress: true,
            max_failed_repeats: 2,
        }
    }
}

/// The example call in a skill's docstring (`Example: name(...)`, `>>> name(...)`, or a line
/// that starts with the call), without a trailing comment.
pub fn example_call(doc: &str, name: &str) -> Option<String> {
    let open = format!("{name}(");
    doc.lines().find_map(|line| {
        let at = line.find(&open)?;
        let before = line[..at].trim().trim_end_matches(':').trim();
        let lead = before.is_empty()
            || before == ">>>"
            || before.eq_ignore_ascii_case("example")
            || before.ends_with("Example")
            || before.ends_with("example")
            || before.ends_with('=');
        if !lead {
            return None;
        }
        let call = line[at..].split('#').next()?.trim();
        // The call must close on this line.
        let mut depth = 0i32;
        for (i, c) in call.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(call[..=i].to_string());
                    }
                }
                _ => {}
            }
        }
        None
    })
}

/// Whether the agent itself (not another skill) called skill `name` in `ep`.
fn calls_skill(ep: &Episode, name: &str) -> bool {
    ep.steps.iter().any(|s| match &s.action {
        Action::Code { calls, .. } => calls.iter().any(|c| c.depth == 0 && c.name == name),
        _ => false,
    })
}

/// How `discovery.jsonl` names what [`SkillLibrary::add`] did.
fn added_name(added: &Added) -> &'static str {
    match added {
        Added::New => "new",
        Added::Updated { .. } => "updated",
        Added::Unchanged => "unchanged",
    }
}

/// One skill test in an iteration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestRecord {
    pub skill: String,
    pub version: u32,
    pub task: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// What one iteration did (a line of `discovery.jsonl`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IterationRecord {
    pub iteration: u32,
    /// `task` or `skill`, and what.
    pub proposal: Value,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proposal_note: String,
    /// The practice episode's task id, result and size (none when a skill was practised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice: Option<Value>,
    /// The skill written from it: name, version, and `new`, `updated`, `unchanged` or
    /// `rejected` (with the checker's errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distilled: Option<Value>,
    #[serde(default)]
    pub tests: Vec<TestRecord>,
    #[serde(default)]
    pub repairs: u32,
    #[serde(default)]
    pub disabled: Vec<String>,
    /// The library after the iteration: skills, enabled, tests run and passed (all skills).
    pub skills: usize,
    pub enabled: usize,
    pub tests_run: u32,
    pub tests_passed: u32,
    pub wall_s: f64,
    /// A failure of the machinery (the model backend, the environment); the session goes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A discovery session: a folder holding the library (`library/`, sled) and the reports.
pub struct Discovery {
    pub dir: PathBuf,
    pub library: SkillLibrary,
    records: sled::Tree,
    episodes: sled::Tree,
    model: Arc<dyn ChatModel>,
    sandbox: hone_sandbox::Sandbox,
    env: Arc<dyn PracticeEnv>,
    pub config: DiscoverConfig,
}

/// Splitmix64: seeds for iteration `i`'s episodes.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The library folder inside a discovery folder.
pub fn library_path(dir: &Path) -> PathBuf {
    dir.join("library")
}

impl Discovery {
    /// Opens (or starts) the session in `dir`.
    pub fn open(
        dir: &Path,
        model: Arc<dyn ChatModel>,
        sandbox: hone_sandbox::Sandbox,
        env: Arc<dyn PracticeEnv>,
        config: DiscoverConfig,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let library = SkillLibrary::open(library_path(dir))?;
        let records = library.tree("discovery")?;
        let episodes = library.tree("discovery-episodes")?;
        Ok(Self {
            dir: dir.to_path_buf(),
            library,
            records,
            episodes,
            model,
            sandbox,
            env,
            config,
        })
    }

    /// Iterations already done (a rerun starts after them).
    pub fn done(&self) -> u32 {
        self.records.len() as u32
    }

    /// Every stored iteration, in order.
    pub fn records(&self) -> anyhow::Result<Vec<IterationRecord>> {
        self.records
            .iter()
            .map(|kv| Ok(serde_json::from_slice(&kv?.1)?))
            .collect()
    }

    fn seed(&self, iteration: u32, salt: u64) -> u64 {
        mix(self.config.seed ^ mix((iteration as u64) << 8 | salt))
    }

    async fn ask(
        &self,
        system: &str,
        user: String,
        constraint: Option<Constraint>,
        max_tokens: u32,
    ) -> anyhow::Result<String> {
        let mut req = ChatRequest::new(vec![Message::system(system), Message::user(user)]);
        req.sampling.max_tokens = max_tokens;
        req.constraint = constraint;
        let r = self.model.chat(req).await?;
        Ok(r.text().to_string())
    }

    fn api(&self) -> Vec<String> {
        api::names(self.env.kind())
    }

    fn stubs(skills: &[Skill]) -> String {
        if skills.is_empty() {
            return "(none yet)".into();
        }
        let mut s = String::new();
        for sk in skills {
            let _ = writeln!(
                s,
                "{}\n    # v{}, tests passed {}/{}{}\n",
                sk.stub(),
                sk.version,
                sk.successes,
                sk.tests,
                if sk.enabled { "" } else { ", disabled" }
            );
        }
        s
    }

    /// Runs the remaining iterations.
    pub async fn run(&self) -> anyhow::Result<Vec<IterationRecord>> {
        let start = self.done();
        let total = self.config.iterations;
        let bar = if self.config.progress && start < total {
            let b = indicatif::ProgressBar::new((total - start) as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} iterations {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_prefix("discover");
            Some(b)
        } else {
            None
        };
        for i in start..total {
            let t0 = Instant::now();
            let mut rec = IterationRecord {
                iteration: i,
                ..Default::default()
            };
            if let Err(e) = self.iteration(i, &mut rec).await {
                tracing::warn!(iteration = i, "iteration failed: {e:#}");
                rec.error = Some(format!("{e:#}"));
            }
            let all = self.library.list_env(self.env.kind(), None)?;
            rec.skills = all.len();
            rec.enabled = all.iter().filter(|s| s.enabled).count();
            rec.tests_run = all.iter().map(|s| s.tests).sum();
            rec.tests_passed = all.iter().map(|s| s.successes).sum();
            rec.wall_s = t0.elapsed().as_secs_f64();
            self.records
                .insert(i.to_be_bytes(), serde_json::to_vec(&rec)?)?;
            self.library.flush()?;
            self.write_reports()?;
            if let Some(b) = &bar {
                b.set_message(format!("{} skills ({} enabled)", rec.skills, rec.enabled));
                b.inc(1);
            }
        }
        if let Some(b) = bar {
            b.finish();
        }
        self.records()
    }

    async fn iteration(&self, i: u32, rec: &mut IterationRecord) -> anyhow::Result<()> {
        let skills = self.library.list_env(self.env.kind(), None)?;
        let proposal = self.propose(i, &skills, rec).await?;
        rec.proposal = proposal.clone();
        if proposal["practise"] == "skill" {
            let name = proposal["skill"].as_str().unwrap_or_default();
            if let Some(s) = self.library.get(name)? {
                self.hone(i, s, rec).await?;
                return Ok(());
            }
        }
        let family = proposal["task"].as_str().map(String::from);
        let (env, task) = self.env.episode(family.as_deref(), self.seed(i, 1))?;
        let runner = CodeRunner {
            agent: CodeAgent::new(
                self.model.clone(),
                self.sandbox.clone(),
                self.env.instructions(),
            )
            .config(self.config.agent.clone())
            .kind(self.env.kind()),
            env_kind: self.env.kind().into(),
            site: None,
            library: Some(self.library.clone()),
            k: self.config.k,
            examples_per_task: 2,
            trials: 1,
            variant: hone_core::ReflectionVariant::Retry,
            memory_k: 3,
            fallback_examples: self.env.examples(),
        };
        let (in_scope, examples) = runner.context_for(&task)?;
        let mut ep = runner
            .agent
            .run_env(env, &task, &in_scope, &examples)
            .await?;
        ep.arm = format!("practice-{i}");
        if !self.env.checks_success() {
            ep.won = judge(self.model.as_ref(), &task, &ep).await?;
        }
        self.episodes
            .insert(i.to_be_bytes(), serde_json::to_vec(&ep)?)?;
        rec.practice = Some(json!({
            "task": task.id,
            "family": task.family,
            "kind": self.env.family_of(&task),
            "goal": task.goal,
            "won": ep.won,
            "turns": ep.steps.len(),
            "env_actions": ep.metrics.get("env_actions").copied().unwrap_or(0.0),
            "stop": ep.stop.name(),
        }));
        if ep.is_error() {
            rec.error = ep.error.clone();
            return Ok(());
        }
        if !ep.won {
            return Ok(());
        }
        // Won by calling the skill this kind of task becomes: that is a passing test of the
        // skill, not new code to distil (a new version written from one call replaced a tested
        // one in the first real session).
        if let Some((name, _)) = self.env.signature(&task) {
            let called = calls_skill(&ep, &name);
            let existing = self.library.get(&name)?;
            // A tested, enabled skill for this kind is kept: a rewrite from another winning
            // block would reset its tests for nothing known to be better.
            if let Some(s) = existing.as_ref().filter(|s| !called && s.enabled) {
                if s.pass_rate().is_some_and(|r| r >= 0.5) {
                    rec.distilled =
                        Some(json!({"skipped": format!("{name} is tested and enabled")}));
                    return Ok(());
                }
            }
            if called && existing.is_some() {
                let s = self.library.record_test(&name, true)?;
                rec.tests.push(TestRecord {
                    skill: name,
                    version: s.version,
                    task: task.id.clone(),
                    passed: true,
                    note: "the practice episode, won by calling it".into(),
                });
                return Ok(());
            }
        }
        let Some(skill) = self.distil(&task, &ep, &skills, rec).await? else {
            return Ok(());
        };
        let (name, by_model) = (skill.name.clone(), skill.provenance.model.is_some());
        self.hone(i, skill, rec).await?;
        // The model's version failed its tests and was disabled: the code that solved the
        // task, made into the function, gets its own tests.
        if by_model && rec.disabled.contains(&name) {
            let names: Vec<String> = self.library.list()?.into_iter().map(|s| s.name).collect();
            let why = json!({"after": format!("{name} as the model wrote it failed its tests")});
            if let Some(s) = self.skill_from_code(&task, &ep, &names, why, rec).await? {
                self.hone(i, s, rec).await?;
            }
        }
        Ok(())
    }

    /// The proposal: JSON constrained to the families and the library's skill names.
    async fn propose(
        &self,
        i: u32,
        skills: &[Skill],
        rec: &mut IterationRecord,
    ) -> anyhow::Result<Value> {
        let families = self.env.families();
        let names: Vec<&str> = families.iter().map(|f| f.0.as_str()).collect();
        let room = self.env.preview(None, self.seed(i, 0))?;
        let practised: Vec<IterationRecord> = self.records()?;
        let tally: Vec<(usize, usize)> = families
            .iter()
            .map(|(f, _)| {
                practised
                    .iter()
                    .filter_map(|r| r.practice.as_ref())
                    .filter(|p| p["kind"].as_str() == Some(f.as_str()))
                    .fold((0, 0), |(n, w), p| {
                        (n + 1, w + usize::from(p["won"] == true))
                    })
            })
            .collect();
        let mut history = String::new();
        for ((f, _), (n, won)) in families.iter().zip(&tally) {
            let _ = writeln!(history, "- {f}: practised {n} times, solved {won}");
        }
        let mut tasks = String::new();
        for (f, t) in &families {
            let _ = writeln!(tasks, "- {f}: {t}");
        }
        let mut skill_names: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
        skill_names.sort_unstable();
        let mut one_of = vec![json!({
            "type": "object",
            "properties": {
                "why": {"type": "string", "maxLength": 200},
                "practise": {"const": "task"},
                "task": {"enum": names},
            },
            "required": ["why", "practise", "task"],
        })];
        if !skill_names.is_empty() {
            one_of.push(json!({
                "type": "object",
                "properties": {
                    "why": {"type": "string", "maxLength": 200},
                    "practise": {"const": "skill"},
                    "skill": {"enum": skill_names},
                },
                "required": ["why", "practise", "skill"],
            }));
        }
        let schema = json!({"oneOf": one_of});
        let user = format!(
            "You are exploring an environment to learn reusable skills (Python functions).\n\n\
             A room of the environment looks like this:\n{room}\n\n\
             Kinds of task in this environment:\n{tasks}\n\
             Practice so far:\n{history}\n\
             The skill library:\n{}\n\
             Propose what to practise next: a kind of task that the library cannot do yet or that \
             failed before (practise: task), or a skill with few passed tests (practise: skill). \
             Reply in JSON.",
            Self::stubs(skills)
        );
        let raw = self
            .ask(
                "You plan practice for an agent that learns skills.",
                user,
                Some(Constraint::JsonSchema(schema)),
                200,
            )
            .await?;
        match serde_json::from_str::<Value>(&raw) {
            Ok(mut v)
                if v["practise"] == "task"
                    && v["task"].as_str().is_some_and(|t| names.contains(&t)) =>
            {
                let i = names.iter().position(|n| v["task"] == *n).unwrap_or(0);
                let (n, won) = tally[i];
                let limit = self.config.max_failed_repeats;
                if limit > 0 && n >= limit && won == 0 {
                    // The least-practised kind (the environment lists its kinds simplest first).
                    let j = (0..names.len())
                        .filter(|&j| j != i)
                        .min_by_key(|&j| tally[j].0)
                        .unwrap_or(i);
                    if j != i {
                        rec.proposal_note = format!(
                            "{} was proposed again after {n} practices and no success; \
                             practising {}, the least practised kind, instead",
                            names[i], names[j]
                        );
                        v["task"] = json!(names[j]);
                    }
                }
                Ok(v)
            }
            Ok(v)
                if v["practise"] == "skill"
                    && v["skill"]
                        .as_str()
                        .is_some_and(|s| skill_names.contains(&s)) =>
            {
                Ok(v)
            }
            _ => {
                rec.proposal_note = format!("unusable proposal {raw:?}: practising a random task");
                Ok(json!({"practise": "task", "task": Value::Null}))
            }
        }
    }

    /// A skill from a successful episode, through the static checks (one repair).
    async fn distil(
        &self,
        task: &TaskSpec,
        ep: &Episode,
        skills: &[Skill],
        rec: &mut IterationRecord,
    ) -> anyhow::Result<Option<Skill>> {
        let mut code = String::new();
        let mut actions = String::new();
        for st in &ep.steps {
            if let Action::Code { code: c, calls, .. } = &st.action {
                let _ = writeln!(code, "{}\n", c.trim_end());
                for call in calls.iter().filter(|c| c.name == "env.step") {
                    let _ = writeln!(actions, "> {}  →  {}", call.args, call.result);
                }
            }
        }
        let actions: String = actions.lines().take(40).collect::<Vec<_>>().join("\n");
        // What to write: the environment's signature for this kind of task, else the model
        // names it.
        let what = match self.env.signature(task) {
            Some((name, args)) => {
                let params: Vec<String> = args.iter().map(|(a, _)| format!("{a}: str")).collect();
                let values: Vec<String> = args.iter().map(|(_, v)| format!("'{v}'")).collect();
                let used: Vec<String> = args
                    .iter()
                    .map(|(a, v)| format!("'{v}' becomes the argument {a}"))
                    .collect();
                format!(
                    "Write ONE skill: the function `def {name}({}) -> str` that does this kind of task \
                     for any arguments. Start from the code that solved it: {}. Its docstring says what \
                     it does and its arguments, and has the line `Example: {name}({})`.",
                    params.join(", "),
                    used.join(", "),
                    values.join(", ")
                )
            }
            None => "Write ONE skill that does this kind of task for any object and receptacle: a \
                     function named for THIS task's kind in snake_case, from its own verbs, with \
                     arguments typed str, int, float, bool, list or dict, and a docstring that says \
                     what it does, its arguments and an example call (`Example: NAME(...)`)."
                .to_string(),
        };
        let enabled: Vec<Skill> = skills.iter().filter(|s| s.enabled).cloned().collect();
        let system = "You write reusable skills: Python functions that an agent calls to do a kind of task in one step.";
        let prompt = format!(
            "{}\n\nSkills already in the library (a new skill may call them):\n```python\n{}```\n\n\
             This task was solved: {}\nThe code that solved it:\n```python\n{}```\n\
             The actions it took:\n{actions}\n\n\
             {what} Use only \
             env.step, env.admissible, env.observation, the skills above, and the modules re and math. \
             To improve an existing skill, write it again under the same name. \
             Reply with one ```python block holding only the function.",
            self.env.instructions(),
            Self::stubs(&enabled),
            task.goal,
            code
        );
        let names: Vec<String> = skills.iter().map(|s| s.name.clone()).collect();
        let mut messages_prompt = prompt.clone();
        for attempt in 0..2 {
            let raw = self.ask(system, messages_prompt.clone(), None, 700).await?;
            let body = match parse_reply(&raw) {
                Ok(p) => p.code,
                Err(_) => raw.clone(),
            };
            let mut c = check(&self.sandbox, &body, None, &self.api(), &names).await?;
            let mut made = None;
            if c.ok {
                let skill = Skill::from_code(
                    &self.sandbox,
                    &body,
                    self.env.kind(),
                    &self.api(),
                    &names,
                    Provenance {
                        source: "discovered".into(),
                        episode: Some(format!("{} ({})", task.id, task.family)),
                        model: Some(self.model.name().to_string()),
                        created: crate::skill::now(),
                    },
                )
                .await?;
                // The skill's tests show the model its example call; a docstring without one
                // is sent back.
                if example_call(&skill.doc, &skill.name).is_none() {
                    c.ok = false;
                    c.errors.push(
                        "the docstring has no example call: add a line `Example: NAME(...)` with real arguments"
                            .into(),
                    );
                } else {
                    made = Some(skill);
                }
            }
            if let Some(mut skill) = made {
                skill.site = String::new();
                let added = self.library.add(skill.clone())?;
                let stored = self.library.get(&skill.name)?.unwrap_or(skill);
                rec.distilled = Some(json!({
                    "name": stored.name,
                    "version": stored.version,
                    "added": added_name(&added),
                    "attempts": attempt + 1,
                }));
                if added == Added::Unchanged {
                    return Ok(None);
                }
                return Ok(Some(stored));
            }
            rec.distilled = Some(json!({"added": "rejected", "errors": c.errors}));
            messages_prompt = format!(
                "{prompt}\n\nYour last answer:\n```python\n{body}\n```\nIt fails these checks:\n- {}\nWrite it again, fixed.",
                c.errors.join("\n- ")
            );
        }
        // The model's versions failed the checks: the skill is made from the solving code.
        let model_errors = rec.distilled.as_ref().map(|d| d["errors"].clone());
        self.skill_from_code(task, ep, &names, json!({"model_errors": model_errors}), rec)
            .await
    }

    /// The skill made from the block that solved `task`, with the task's values as its
    /// arguments, under the name the environment gives that kind of task (`None` where the
    /// environment gives none, or the result fails the checks). `why` is merged into the
    /// iteration's `distilled` record.
    async fn skill_from_code(
        &self,
        task: &TaskSpec,
        ep: &Episode,
        names: &[String],
        why: Value,
        rec: &mut IterationRecord,
    ) -> anyhow::Result<Option<Skill>> {
        let (Some((name, args)), Some(solved)) = (
            self.env.signature(task),
            ep.steps.iter().rev().find_map(|s| match &s.action {
                Action::Code { code, .. } => Some(code.clone()),
                _ => None,
            }),
        ) else {
            return Ok(None);
        };
        let purpose = format!(
            "Solves tasks like \"{}\" (the code that solved one, with its values as arguments).",
            task.goal
        );
        let body = crate::abstract_code::function_from_code(&name, &purpose, &args, &solved);
        let c = check(&self.sandbox, &body, None, &self.api(), names).await?;
        let mut record = json!({"from": "code"});
        if let (Some(r), Some(w)) = (record.as_object_mut(), why.as_object()) {
            r.extend(w.clone());
        }
        if !c.ok {
            record["added"] = json!("rejected");
            record["errors"] = json!(c.errors);
            rec.distilled = Some(record);
            return Ok(None);
        }
        let skill = Skill::from_code(
            &self.sandbox,
            &body,
            self.env.kind(),
            &self.api(),
            names,
            Provenance {
                source: "discovered".into(),
                episode: Some(format!("{} ({})", task.id, task.family)),
                model: None,
                created: crate::skill::now(),
            },
        )
        .await?;
        let added = self.library.add(skill.clone())?;
        let stored = self.library.get(&skill.name)?.unwrap_or(skill);
        record["name"] = json!(stored.name);
        record["version"] = json!(stored.version);
        record["added"] = json!(added_name(&added));
        rec.distilled = Some(record);
        Ok((added != Added::Unchanged).then_some(stored))
    }

    /// Tests a skill on fresh episodes of the family it came from; repairs on failure.
    async fn hone(
        &self,
        i: u32,
        mut skill: Skill,
        rec: &mut IterationRecord,
    ) -> anyhow::Result<()> {
        let family = skill.provenance.episode.as_deref().and_then(|e| {
            e.rsplit_once(" (")
                .map(|(_, f)| f.trim_end_matches(')').to_string())
        });
        let mut repairs = 0;
        let mut passed_all = true;
        for t in 0..self.config.tests {
            let (env, task) = self
                .env
                .episode(family.as_deref(), self.seed(i, 16 + t as u64))?;
            let (ok, note, ep) = self.test_once(&skill, env, &task).await?;
            skill = self.library.record_test(&skill.name, ok)?;
            rec.tests.push(TestRecord {
                skill: skill.name.clone(),
                version: skill.version,
                task: task.id.clone(),
                passed: ok,
                note: note.clone(),
            });
            if ok {
                if let Some(code) = ep.steps.iter().rev().find_map(|s| match &s.action {
                    Action::Code { thought, code, .. } => Some((thought.clone(), code.clone())),
                    _ => None,
                }) {
                    self.library.add_example(Example {
                        env: self.env.kind().into(),
                        task: task.goal.clone(),
                        family: task.family.clone(),
                        code: format!("Thought: {}\n```python\n{}\n```", code.0, code.1),
                    })?;
                }
                continue;
            }
            passed_all = false;
            if repairs >= self.config.max_repairs {
                break;
            }
            repairs += 1;
            rec.repairs += 1;
            match self.repair(&skill, &task, &note).await? {
                Some(fixed) => skill = fixed,
                None => break,
            }
        }
        if !passed_all && skill.pass_rate().is_some_and(|r| r < 0.5) {
            self.library.set_enabled(&skill.name, false)?;
            rec.disabled.push(skill.name.clone());
        }
        Ok(())
    }

    /// One test episode: the skill under test (and what it calls) in scope, the model writes
    /// the call. Passed when the environment says the task is solved.
    async fn test_once(
        &self,
        skill: &Skill,
        env: Box<dyn Environment>,
        task: &TaskSpec,
    ) -> anyhow::Result<(bool, String, Episode)> {
        let scope = self.library.scope(std::slice::from_ref(skill))?;
        let agent = CodeAgent::new(
            self.model.clone(),
            self.sandbox.clone(),
            self.env.instructions(),
        )
        .config(CodeAgentConfig {
            max_turns: 2,
            ..self.config.agent.clone()
        })
        .kind(self.env.kind());
        // The skill's own example call, as a worked example: without one, a small model
        // writes its reply without the block it must have.
        let examples: Vec<Example> = example_call(&skill.doc, &skill.name)
            .map(|call| Example {
                env: self.env.kind().into(),
                task: skill
                    .doc
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                code: format!(
                    "Thought: One call to {} does this task.\n```python\nprint({call})\n```",
                    skill.name
                ),
                ..Default::default()
            })
            .into_iter()
            .collect();
        let ep = agent.run_env(env, task, &scope, &examples).await?;
        let note = match ep.steps.last() {
            Some(s) if !ep.won => s.observation.chars().take(1200).collect(),
            _ => String::new(),
        };
        let won = if self.env.checks_success() {
            ep.won
        } else {
            judge(self.model.as_ref(), task, &ep).await?
        };
        // A test of the skill passes only if the skill did the work: solved without calling
        // it is not a pass.
        if won && !calls_skill(&ep, &skill.name) {
            let note = format!("the task was solved without calling {}", skill.name);
            return Ok((false, note, ep));
        }
        Ok((won, note, ep))
    }

    /// A rewrite of a skill that failed a test; `None` if the model's rewrite does not pass
    /// the checks or changes nothing.
    async fn repair(
        &self,
        skill: &Skill,
        task: &TaskSpec,
        failure: &str,
    ) -> anyhow::Result<Option<Skill>> {
        let names: Vec<String> = self.library.list()?.into_iter().map(|s| s.name).collect();
        let prompt = format!(
            "{}\n\nThis skill failed on the task \"{}\":\n```python\n{}```\nWhat happened:\n{failure}\n\n\
             Write the whole function again, fixed, under the same name. Reply with one ```python block.",
            self.env.instructions(),
            task.goal,
            skill.code
        );
        let raw = self
            .ask(
                "You fix reusable skills (Python functions).",
                prompt,
                None,
                700,
            )
            .await?;
        let body = parse_reply(&raw).map(|p| p.code).unwrap_or(raw);
        let c = check(&self.sandbox, &body, Some(&skill.name), &self.api(), &names).await?;
        if !c.ok {
            return Ok(None);
        }
        let mut fixed = Skill::from_code(
            &self.sandbox,
            &body,
            self.env.kind(),
            &self.api(),
            &names,
            skill.provenance.clone(),
        )
        .await?;
        fixed.provenance.created = crate::skill::now();
        match self.library.add(fixed)? {
            Added::Unchanged => Ok(None),
            _ => Ok(self.library.get(&skill.name)?),
        }
    }

    /// `discovery.jsonl`, `episodes.jsonl` and `report.html` in the session folder.
    pub fn write_reports(&self) -> anyhow::Result<()> {
        let recs = self.records()?;
        let mut jl = String::new();
        for r in &recs {
            jl.push_str(&serde_json::to_string(r)?);
            jl.push('\n');
        }
        std::fs::write(self.dir.join("discovery.jsonl"), jl)?;
        let mut el = String::new();
        for kv in self.episodes.iter() {
            let (_, v) = kv?;
            el.push_str(std::str::from_utf8(&v)?);
            el.push('\n');
        }
        std::fs::write(self.dir.join("episodes.jsonl"), el)?;
        std::fs::write(self.dir.join("report.html"), self.html(&recs)?)?;
        Ok(())
    }

    fn html(&self, recs: &[IterationRecord]) -> anyhow::Result<String> {
        use hone_core::report::{esc, figure};
        let mut h = String::from(
            "<!doctype html><meta charset=utf-8><title>hone skills discover</title>\
             <style>body{font:14px system-ui;margin:2em}td,th{padding:2px 8px;text-align:left}\
             pre{background:#f6f6f6;padding:6px}</style><h1>Skill discovery</h1>",
        );
        let max = recs.iter().map(|r| r.skills).max().unwrap_or(1).max(1) as f64;
        let bars: Vec<(String, f64)> = recs
            .iter()
            .map(|r| (format!("{}", r.iteration), r.enabled as f64 / max))
            .collect();
        figure(
            &mut h,
            &format!("enabled skills per iteration (scale: {max:.0} = full bar)"),
            &bars,
            false,
        );
        let rates: Vec<(String, f64)> = recs
            .iter()
            .map(|r| {
                (
                    format!("{}", r.iteration),
                    if r.tests_run > 0 {
                        r.tests_passed as f64 / r.tests_run as f64
                    } else {
                        0.0
                    },
                )
            })
            .collect();
        figure(
            &mut h,
            "test pass rate of the library after each iteration",
            &rates,
            true,
        );
        h.push_str("<h2>Iterations</h2><table><tr><th>#</th><th>proposal</th><th>practice</th><th>distilled</th><th>tests</th><th>repairs</th><th>skills</th><th>s</th></tr>");
        for r in recs {
            let practice = r.practice.as_ref().map_or(String::new(), |p| {
                format!(
                    "{} — {}",
                    p["goal"].as_str().unwrap_or(""),
                    if p["won"] == true { "won" } else { "not won" }
                )
            });
            let distilled = r.distilled.as_ref().map_or(String::new(), |d| {
                format!(
                    "{} {} v{}",
                    d["added"].as_str().unwrap_or(""),
                    d["name"].as_str().unwrap_or(""),
                    d["version"]
                )
            });
            let tests: Vec<String> = r
                .tests
                .iter()
                .map(|t| {
                    format!(
                        "{} v{}: {}",
                        t.skill,
                        t.version,
                        if t.passed { "pass" } else { "fail" }
                    )
                })
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{:.0}</td></tr>",
                r.iteration,
                esc(&r.proposal.to_string()),
                esc(&practice),
                esc(&distilled),
                esc(&tests.join("; ")),
                r.repairs,
                r.enabled,
                r.skills,
                r.wall_s
            );
        }
        h.push_str("</table><h2>The library</h2>");
        for s in self.library.list_env(self.env.kind(), None)? {
            let _ = write!(
                h,
                "<h3>{} v{} — tests {}/{}{}</h3><pre>{}</pre>",
                esc(&s.name),
                s.version,
                s.successes,
                s.tests,
                if s.enabled { "" } else { " (disabled)" },
                esc(&s.code)
            );
        }
        Ok(h)
    }
}

/// An LLM judge for environments that cannot check success themselves: the goal and the
/// trajectory's actions, then a constrained yes/no.
pub async fn judge(model: &dyn ChatModel, task: &TaskSpec, ep: &Episode) -> anyhow::Result<bool> {
    let mut t = String::new();
    for st in &ep.steps {
        let _ = writeln!(t, "{}\n→ {}", st.raw.trim(), st.observation.trim());
    }
    let t: String = t
        .chars()
        .rev()
        .take(6000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut req = ChatRequest::new(vec![
        Message::system("You judge whether an agent achieved its task. Answer yes or no."),
        Message::user(format!(
            "Task: {}\n\nWhat the agent did and saw:\n{t}\n\nWas the task achieved?",
            task.goal
        )),
    ]);
    req.constraint = Some(Constraint::OneOf(vec!["yes".into(), "no".into()]));
    req.sampling.max_tokens = 4;
    let r = model.chat(req).await?;
    Ok(r.text().trim() == "yes")
}

#[cfg(test)]
mod example_call_tests {
    use super::example_call;

    #[test]
    fn the_docstrings_example_call_is_found_in_its_usual_forms() {
        let doc = "Put two objects of a type in a receptacle.\n\nobj: a type.\nExample: put_two('pillow', 'sofa')  # -> 'done'\n";
        assert_eq!(
            example_call(doc, "put_two").as_deref(),
            Some("put_two('pillow', 'sofa')")
        );
        assert_eq!(
            example_call(">>> heat(find('egg', n=1))", "heat").as_deref(),
            Some("heat(find('egg', n=1))")
        );
        assert_eq!(
            example_call("Example:\n    x = clean('mug')", "clean").as_deref(),
            Some("clean('mug')")
        );
        assert_eq!(example_call("Calls clean(x) inside.", "clean"), None);
        assert_eq!(example_call("Example: clean('mug'", "clean"), None);
    }

    #[test]
    fn a_docstring_without_an_example_line_has_no_example_call() {
        assert_eq!(
            example_call("Put two.\n\nExample: put_two('mug', 'shelf')", "put_two").as_deref(),
            Some("put_two('mug', 'shelf')")
        );
        assert_eq!(example_call("Put two.", "put_two"), None);
    }
}
