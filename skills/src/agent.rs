//! The code-action agent (CodeAct-style, beside ReAct's text actions): each model turn is a
//! thought plus one Python block, run in the episode's persistent sandbox session with the
//! environment's API granted and the skills in scope defined; what the block printed, its
//! error, and the environment's answers come back as the observation.
//!
//! ```text
//! Thought: I need a mug, cooled, in a cabinet.
//! ```python
//! mug = find_and_take('mug')
//! cool(mug)
//! put_in(mug, 'cabinet')
//! ```
//! ```

use crate::api::{EnvBridge, Turn};
use crate::library::{rank_texts, Example, SkillLibrary};
use crate::skill::Skill;
use async_trait::async_trait;
use hone_core::env::{Environment, TaskSpec};
use hone_core::eval::{TaskContext, TaskRunner};
use hone_core::guard::LoopGuard;
use hone_core::llm::{ChatModel, ChatRequest, Constraint, LlmError, Message};
use hone_core::reflexion::reflection_prompt;
use hone_core::trajectory::{Action, Episode, StepRecord, StopReason};
use hone_core::ReflectionVariant;
use hone_sandbox::{RunOptions, RunStatus, Sandbox, Session};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How a code-action agent runs.
#[derive(Debug, Clone)]
pub struct CodeAgentConfig {
    /// Model turns (code blocks) per episode.
    pub max_turns: usize,
    /// Environment actions per episode (calls past it fail inside the snippet).
    pub max_actions: usize,
    /// Wall-clock limit of one snippet.
    pub snippet_timeout: Duration,
    /// Tokens per reply.
    pub max_tokens: u32,
    /// Constrain each reply to the format (a `Thought:` line, then one fenced Python block).
    pub constrain: bool,
    /// Stop after the same code with the same result this many times in a row.
    pub repeat_limit: usize,
    /// Stop when the last `2p` replies are a stretch of `p` (2 ≤ p ≤ this) sent twice with the
    /// same results (0 or 1: off). The 0.5B model alternated two blocks that differ by a blank
    /// line, with the same SyntaxError, for 8 turns: the repeat guard sees no repeat there.
    pub cycle_guard: usize,
}

impl Default for CodeAgentConfig {
    fn default() -> Self {
        Self {
            max_turns: 10,
            max_actions: 50,
            snippet_timeout: Duration::from_secs(20),
            max_tokens: 400,
            constrain: false,
            repeat_limit: 3,
            cycle_guard: 4,
        }
    }
}

/// GBNF for one reply: `Thought: …` on one line, then a fenced Python block (no triple
/// backquote inside).
pub const REPLY_GRAMMAR: &str = r#"root ::= "Thought: " [^\n`]+ "\n```python\n" body "```"
body ::= line+
line ::= [^\n`] [^\n]* "\n""#;

/// A code-action agent: a model, a sandbox, instructions (the environment's API and rules).
pub struct CodeAgent {
    model: Arc<dyn ChatModel>,
    sandbox: Sandbox,
    /// The system message's first part: what the environment is and its API.
    instructions: String,
    pub config: CodeAgentConfig,
    /// The API its sessions get: `web` (`page.*`), anything else the generic `env.*`.
    kind: String,
}

/// A reply read as a thought and a code block.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedReply {
    pub thought: String,
    pub code: String,
}

/// Reads a reply: the text before the first fence is the thought (a leading `Thought:` is
/// dropped), the first fenced block (```python, ```py or ```) is the code; an unclosed block
/// runs to the end. Errors say what the model should write instead.
pub fn parse_reply(raw: &str) -> Result<ParsedReply, String> {
    let Some(start) = raw.find("```") else {
        return Err("Reply with a `Thought:` line and then one ```python code block.".into());
    };
    let thought = raw[..start].trim();
    let thought = thought
        .strip_prefix("Thought:")
        .unwrap_or(thought)
        .trim()
        .to_string();
    let rest = &raw[start + 3..];
    let rest = match rest.find('\n') {
        Some(i) if rest[..i].trim().chars().all(|c| c.is_ascii_alphanumeric()) => &rest[i + 1..],
        _ => rest,
    };
    let code = match rest.find("```") {
        Some(end) => &rest[..end],
        None => rest,
    };
    let code = code.trim_end().to_string();
    if code.trim().is_empty() {
        return Err("The code block is empty: write the Python to run inside it.".into());
    }
    Ok(ParsedReply { thought, code })
}

/// Added to the observation of a block that is the same as the one before it.
const REPEATED_BLOCK: &str =
    "\nNote: this block is the same as your previous one. Sending it again \
unchanged will not help: read its output and error above, and write a different block.";

/// Python run once per guest: `re`, `math` and `json` imported (models use `re` without
/// importing it, and lost web tasks to the `NameError`), the skills in scope, each wrapped to
/// report its calls, and a `skills` module holding them.
pub fn setup_code(skills: &[Skill]) -> String {
    let mut s = String::from(
        r#"import sys as _hone_sys
import re, math, json
def _hone_traced(f):
    name = f.__name__
    def traced(*args, **kwargs):
        try:
            a = ", ".join([repr(x) for x in args] + ["%s=%r" % kv for kv in kwargs.items()])
        except Exception:
            a = "?"
        host_call("trace.enter", name, a[:300])
        try:
            r = f(*args, **kwargs)
        except BaseException as e:
            host_call("trace.exit", name, ("%s: %s" % (type(e).__name__, e))[:300], True)
            raise
        host_call("trace.exit", name, repr(r)[:300], False)
        return r
    traced.__name__ = name
    traced.__qualname__ = name
    traced.__doc__ = f.__doc__
    traced.__wrapped__ = f
    return traced
_hone_skills = type(_hone_sys)("skills")
"#,
    );
    for sk in skills {
        s.push_str(&sk.code);
        s.push('\n');
        let _ = writeln!(
            s,
            "{n} = _hone_traced({n})\n_hone_skills.{n} = {n}",
            n = sk.name
        );
    }
    s.push_str(
        "_hone_sys.modules['skills'] = _hone_skills\ndel _hone_sys, _hone_traced, _hone_skills\n",
    );
    s
}

/// Longest stdout shown to the model (its end is kept).
const STDOUT_CHARS: usize = 1500;
/// Environment actions shown per turn (the last ones).
const ACTIONS_SHOWN: usize = 8;
/// Notes on invalid commands shown after a snippet.
const HINTS_SHOWN: usize = 3;

fn tail_chars(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        return s.to_string();
    }
    let t: String = s.chars().skip(count - n).collect();
    format!("…{t}")
}

/// A traceback as the model needs it: the line of its own block that failed (the innermost
/// frame `in <module>`, not the skills' internals) and the exception.
pub fn error_summary(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    let Some(last) = lines
        .iter()
        .rposition(|l| !l.starts_with(' ') && !l.is_empty())
    else {
        return stderr.trim().to_string();
    };
    // The exception line, and any lines after it (a SyntaxError's caret is before it).
    let exception = lines[last..].join("\n");
    let frame = lines.iter().rposition(|l| {
        l.trim_start().starts_with("File \"<snippet>\"") && l.ends_with("in <module>")
    });
    match frame {
        Some(i) => {
            let at = lines[i]
                .split(", ")
                .find(|p| p.starts_with("line "))
                .unwrap_or("")
                .to_string();
            let code = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
            if code.is_empty() || code.starts_with("File ") {
                format!("{at}: {exception}")
            } else {
                format!("{at}: {code}\n{exception}")
            }
        }
        None => {
            // No frame of the block itself (a syntax error): keep the last lines as they are.
            let keep = lines.len().min(4);
            lines[lines.len() - keep..].join("\n")
        }
    }
}

impl CodeAgent {
    pub fn new(
        model: Arc<dyn ChatModel>,
        sandbox: Sandbox,
        instructions: impl Into<String>,
    ) -> Self {
        Self {
            model,
            sandbox,
            instructions: instructions.into(),
            config: CodeAgentConfig::default(),
            kind: "household".into(),
        }
    }

    /// The environment kind, which chooses the API granted to its code (`web`: `page.*`).
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    pub fn config(mut self, c: CodeAgentConfig) -> Self {
        self.config = c;
        self
    }

    pub fn model(&self) -> &Arc<dyn ChatModel> {
        &self.model
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The system message: the instructions, then the skills in scope as stubs.
    pub fn system(&self, skills: &[Skill]) -> String {
        let mut s = self.instructions.trim_end().to_string();
        if !skills.is_empty() {
            s.push_str(
                "\n\nThese skills are already defined in the session (also `from skills import NAME`). \
                 Use them: one call does many actions.\n```python\n",
            );
            for (i, sk) in skills.iter().enumerate() {
                if i > 0 {
                    s.push_str("\n\n");
                }
                s.push_str(&sk.stub());
            }
            s.push_str("\n```");
        }
        s
    }

    /// The first user message: worked examples, lessons from earlier trials, then the task.
    pub fn opening(examples: &[Example], memory: &[String], first_observation: &str) -> String {
        let mut s = String::new();
        for (i, e) in examples.iter().enumerate() {
            let _ = write!(
                s,
                "Here is example {}.\nYour task is to: {}\n{}\n\n",
                i + 1,
                e.task.trim().trim_start_matches("Your task is to: "),
                e.code.trim_end()
            );
        }
        if !memory.is_empty() {
            s.push_str("Your memory for the task below:\n");
            for (i, m) in memory.iter().enumerate() {
                let _ = writeln!(s, "Trial {}:\n{}", i + 1, m.trim_end());
            }
            s.push('\n');
        }
        s.push_str("Here is the task.\n");
        s.push_str(first_observation.trim_end());
        s
    }

    /// What the model sees after a snippet.
    fn observation(
        out: &hone_sandbox::SnippetOutcome,
        turn: &Turn,
        timeout: Duration,
        restarted: bool,
        bridge: &EnvBridge,
    ) -> String {
        let mut s = String::new();
        if restarted {
            s.push_str("(The session was restarted: earlier variables are gone; the skills are defined again.)\n");
        }
        let n = turn.actions.len();
        if n > 0 {
            if n > ACTIONS_SHOWN {
                let _ = writeln!(s, "({n} actions; the last {ACTIONS_SHOWN}:)");
            }
            for (cmd, obs) in &turn.actions[n.saturating_sub(ACTIONS_SHOWN)..] {
                let _ = writeln!(s, "> {cmd}\n{}", obs.trim_end());
            }
        }
        // A note is left out when a later action of the block dealt with the same things
        // (the code saw `Nothing happens.` and did something else that worked).
        let mut hints: Vec<&String> = Vec::new();
        for (at, h) in &turn.hints {
            let names = crate::api::command_names(turn.actions.get(*at).map_or("", |a| &a.0));
            let handled = turn.actions.iter().skip(at + 1).any(|(cmd, obs)| {
                obs.trim() != crate::api::NOTHING_HAPPENS
                    && !names.is_empty()
                    && names.iter().all(|n| cmd.contains(n.as_str()))
            });
            if !handled && !hints.contains(&h) {
                hints.push(h);
            }
        }
        for h in hints.iter().take(HINTS_SHOWN) {
            let _ = writeln!(s, "Note: {h}");
        }
        if hints.len() > HINTS_SHOWN {
            let _ = writeln!(
                s,
                "Note: and {} more commands that are not valid.",
                hints.len() - HINTS_SHOWN
            );
        }
        // What it printed, less lines that repeat an observation shown just above.
        let shown: std::collections::HashSet<&str> = turn.actions
            [n.saturating_sub(ACTIONS_SHOWN)..]
            .iter()
            .flat_map(|(_, o)| o.lines())
            .map(str::trim)
            .collect();
        let printed: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| !shown.contains(l.trim()))
            .collect();
        let printed = printed.join("\n");
        if !printed.trim().is_empty() {
            let _ = writeln!(
                s,
                "Printed:\n{}",
                tail_chars(printed.trim_end(), STDOUT_CHARS)
            );
        }
        match &out.status {
            RunStatus::Success => {}
            RunStatus::Failed { .. } => {
                let _ = writeln!(s, "Error:\n{}", error_summary(&out.stderr));
            }
            RunStatus::Limit { limit } => {
                let what = match limit {
                    hone_sandbox::LimitKind::Timeout => {
                        format!("ran past its time-out of {} s", timeout.as_secs())
                    }
                    hone_sandbox::LimitKind::Memory => "used more memory than allowed".into(),
                    other => format!("hit the sandbox's {other:?} limit"),
                };
                let _ = writeln!(
                    s,
                    "Stopped: the code {what} ({limit:?}); the session restarts and its variables are lost."
                );
            }
            other => {
                let _ = writeln!(s, "Stopped: {other:?}");
            }
        }
        if bridge.done() {
            s.push_str(if bridge.won() {
                "The task is solved.\n"
            } else {
                "The episode is over.\n"
            });
        }
        if s.trim().is_empty() {
            s.push_str("The block took no action and printed nothing; the task is not done yet.\n");
        }
        s.trim_end().to_string()
    }

    /// Runs one episode in `env` with `skills` in scope and `examples` in the prompt. Model
    /// and environment failures end the episode with an error [`StopReason`], not an `Err`.
    pub async fn run_env(
        &self,
        env: Box<dyn Environment>,
        task: &TaskSpec,
        skills: &[Skill],
        examples: &[Example],
    ) -> anyhow::Result<Episode> {
        self.run_with_memory(env, task, skills, examples, &[]).await
    }

    /// As [`CodeAgent::run_env`], with lessons from earlier trials shown before the task.
    pub async fn run_with_memory(
        &self,
        env: Box<dyn Environment>,
        task: &TaskSpec,
        skills: &[Skill],
        examples: &[Example],
        memory: &[String],
    ) -> anyhow::Result<Episode> {
        let span = tracing::info_span!("code_episode", task = %task.id);
        self.run_inner(env, task, skills, examples, memory)
            .instrument(span)
            .await
    }

    async fn run_inner(
        &self,
        env: Box<dyn Environment>,
        task: &TaskSpec,
        skills: &[Skill],
        examples: &[Example],
        memory: &[String],
    ) -> anyhow::Result<Episode> {
        let t0 = Instant::now();
        let mut ep = Episode::new(task.clone(), self.model.name());
        let finish = |mut ep: Episode, stop: StopReason, error: Option<String>| {
            ep.stop = stop;
            ep.error = error;
            ep.wall_ms = t0.elapsed().as_secs_f64() * 1000.0;
            ep
        };
        let bridge = EnvBridge::new(env, self.config.max_actions);
        let first = match bridge.reset(task).await {
            Ok(f) => f,
            Err(e) => {
                return Ok(finish(
                    ep,
                    StopReason::EnvError,
                    Some(format!("environment reset failed: {e:#}")),
                ))
            }
        };
        let rt = tokio::runtime::Handle::current();
        let grants = match self.kind.as_str() {
            "web" => bridge.web_grants(rt),
            "shell" => bridge.shell_grants(rt),
            _ => bridge.grants(rt),
        };
        let mut session = Session::new(
            self.sandbox.clone(),
            RunOptions::new()
                .host(grants)
                .timeout(self.config.snippet_timeout),
        );
        let setup = setup_code(skills);
        let mut need_setup = true;
        let mut messages = vec![
            Message::system(self.system(skills)),
            Message::user(Self::opening(examples, memory, &first)),
        ];
        let mut guard = LoopGuard::new(self.config.repeat_limit.max(1), self.config.cycle_guard);
        let mut skill_calls = 0usize;
        for _ in 0..self.config.max_turns {
            let mut req = ChatRequest::new(messages.clone());
            req.sampling.max_tokens = self.config.max_tokens;
            req.sampling.stop = vec!["\n```\n".into(), "\nObservation".into()];
            if self.config.constrain {
                req.constraint = Some(Constraint::Grammar(REPLY_GRAMMAR.into()));
            }
            let t = Instant::now();
            let resp = match self.model.chat(req).await {
                Ok(r) => r,
                Err(e) => {
                    let stop = match e {
                        LlmError::ContextOverflow { .. } => StopReason::ContextOverflow,
                        _ => StopReason::ModelError,
                    };
                    return Ok(finish(ep, stop, Some(e.to_string())));
                }
            };
            ep.usage += resp.usage;
            let mut raw = resp.text().to_string();
            // The stop sequence removed the closing fence; put it back for the transcript.
            if raw.contains("```") && raw.matches("```").count() % 2 == 1 {
                raw.push_str("\n```");
            }
            let latency_ms = t.elapsed().as_secs_f64() * 1000.0;
            let index = ep.steps.len();
            let parsed = match parse_reply(&raw) {
                Ok(p) => p,
                Err(msg) => {
                    // The same malformed reply again and again is a loop like any other: at
                    // greedy decoding the 0.5B model sent one `Thought:` line without a block
                    // ten times in a row, to the turn cap.
                    let caught = guard.observe(&raw, &msg);
                    messages.push(Message::assistant(raw.clone()));
                    messages.push(Message::user(msg.clone()));
                    ep.steps.push(StepRecord {
                        index,
                        raw,
                        action: Action::Invalid { error: msg.clone() },
                        observation: msg,
                        reward: 0.0,
                        done: false,
                        won: false,
                        usage: resp.usage,
                        latency_ms,
                    });
                    if let Some(c) = caught {
                        *ep.metrics.entry(c.metric().into()).or_default() += 1.0;
                        ep.metrics.insert("skill_calls".into(), skill_calls as f64);
                        return Ok(finish(ep, StopReason::Repeated, None));
                    }
                    continue;
                }
            };
            let mut restarted = false;
            if need_setup {
                let lost = session.starts > 0;
                let out = session.run(&setup).await?;
                bridge.take_turn();
                if !out.is_success() {
                    return Ok(finish(
                        ep,
                        StopReason::EnvError,
                        Some(format!(
                            "the skills in scope failed to load: {}",
                            out.stderr.trim()
                        )),
                    ));
                }
                need_setup = false;
                restarted = lost;
            }
            let out = session
                .run_for(&parsed.code, self.config.snippet_timeout)
                .await?;
            if out.limit().is_some() {
                need_setup = true;
            }
            let turn = bridge.take_turn();
            skill_calls += turn
                .calls
                .iter()
                .filter(|c| c.depth == 0 && !c.name.contains('.'))
                .count();
            let mut observation =
                Self::observation(&out, &turn, self.config.snippet_timeout, restarted, &bridge);
            let (done, won) = (bridge.done(), bridge.won());
            let caught = guard.observe(&parsed.code, &observation);
            // A block sent again unchanged gets the same result: say so before the repeat
            // guard ends the episode (the 1.5B web agent resent failing blocks until it did).
            if guard.streak() >= 2 && !done && caught.is_none() {
                observation.push_str(REPEATED_BLOCK);
            }
            messages.push(Message::assistant(raw.clone()));
            messages.push(Message::user(format!("Observation:\n{observation}")));
            let reward = bridge.reward() - ep.reward;
            ep.reward = bridge.reward();
            ep.steps.push(StepRecord {
                index,
                raw,
                action: Action::Code {
                    thought: parsed.thought,
                    code: parsed.code,
                    calls: turn.calls,
                },
                observation,
                reward,
                done,
                won,
                usage: resp.usage,
                latency_ms,
            });
            *ep.metrics.entry("env_actions".into()).or_default() += turn.actions.len() as f64;
            if let Some(e) = turn.env_error {
                return Ok(finish(ep, StopReason::EnvError, Some(e)));
            }
            if done {
                ep.won = won;
                ep.metrics.insert("skill_calls".into(), skill_calls as f64);
                return Ok(finish(ep, StopReason::Done, None));
            }
            if let Some(c) = caught {
                *ep.metrics.entry(c.metric().into()).or_default() += 1.0;
                ep.metrics.insert("skill_calls".into(), skill_calls as f64);
                return Ok(finish(ep, StopReason::Repeated, None));
            }
        }
        ep.metrics.insert("skill_calls".into(), skill_calls as f64);
        // An environment that scores early stops (the web: WebArena's rule) has its say.
        let reason = format!("Reach max turns {}", self.config.max_turns);
        if let Some(won) = bridge.end(&reason).await {
            ep.won = won;
            ep.reward = bridge.reward();
        }
        Ok(finish(ep, StopReason::MaxSteps, None))
    }
}

/// The code-action agent as an eval runner: per task, the top-k skills for the goal (and what
/// they call) from a library, and worked examples (the library's, ranked by similarity to the
/// goal, else `fallback_examples`).
pub struct CodeRunner {
    pub agent: CodeAgent,
    /// Trials per task: after a failed trial the model writes a lesson (Reflexion's prompt,
    /// `variant`) shown before the task in the next one. 1: a single episode.
    pub trials: u32,
    pub variant: ReflectionVariant,
    /// Lessons shown per trial (Reflexion: 3).
    pub memory_k: usize,
    /// The skills' environment kind (`household`, `web`, …) and site.
    pub env_kind: String,
    pub site: Option<String>,
    pub library: Option<SkillLibrary>,
    pub k: usize,
    pub examples_per_task: usize,
    pub fallback_examples: Vec<Example>,
}

impl CodeRunner {
    /// A runner for an environment kind: `library` (if any) gives the top `k` skills per goal
    /// and its worked examples, else the agent gets `fallback_examples`; `trials` above 1 adds
    /// Reflexion (`variant`) between trials, showing up to 3 lessons.
    pub fn new(
        agent: CodeAgent,
        env_kind: &str,
        library: Option<SkillLibrary>,
        k: usize,
        trials: u32,
        variant: ReflectionVariant,
        fallback_examples: Vec<Example>,
    ) -> Self {
        Self {
            agent: agent.kind(env_kind),
            env_kind: env_kind.into(),
            site: None,
            library,
            k,
            examples_per_task: 2,
            trials,
            variant,
            memory_k: 3,
            fallback_examples,
        }
    }

    /// The skills and examples an episode of `task` gets.
    pub fn context_for(&self, task: &TaskSpec) -> anyhow::Result<(Vec<Skill>, Vec<Example>)> {
        let Some(lib) = &self.library else {
            let examples = rank_examples(&self.fallback_examples, task, self.examples_per_task);
            return Ok((Vec::new(), examples));
        };
        let mut picked = lib.retrieve(&task.goal, &self.env_kind, self.site.as_deref(), self.k)?;
        let mut examples = lib.examples(&self.env_kind)?;
        // A library with no example for this task's family (a discovered library covers the
        // families it practised) adds the raw-API examples, so the agent still sees one of
        // its own task's type. Examples without a family (hand-written) cover every family.
        let covered = examples
            .iter()
            .any(|e| e.family.is_empty() || e.family == task.family);
        if !covered {
            examples.splice(0..0, self.fallback_examples.iter().cloned());
        }
        let examples = rank_examples(&examples, task, self.examples_per_task);
        // What the examples call must be defined too.
        for s in lib.list_env(&self.env_kind, self.site.as_deref())? {
            let called = examples
                .iter()
                .any(|e| e.code.contains(&format!("{}(", s.name)));
            if s.enabled && called && !picked.iter().any(|p| p.name == s.name) {
                picked.push(s);
            }
        }
        let skills = lib.scope(&picked)?;
        Ok((skills, examples))
    }
}

/// An environment kind's code-action setup: its name (which picks the host API and the
/// library's skills), what the agent is told, and the worked examples it gets when a library
/// has none of its own. Each environment's module has one (`household::KIND`, `web::KIND`,
/// `shell::KIND`).
pub struct Kind {
    pub name: &'static str,
    pub instructions: &'static str,
    pub examples: fn() -> Vec<Example>,
}

impl Kind {
    /// The eval runner: `library` (if any) gives the top `k` skills per goal and its worked
    /// examples, else the agent gets the kind's; `trials` above 1 adds Reflexion (`variant`)
    /// between trials.
    #[allow(clippy::too_many_arguments)]
    pub fn runner(
        &self,
        model: Arc<dyn ChatModel>,
        sandbox: hone_sandbox::Sandbox,
        config: CodeAgentConfig,
        library: Option<SkillLibrary>,
        k: usize,
        trials: u32,
        variant: ReflectionVariant,
    ) -> CodeRunner {
        CodeRunner::new(
            CodeAgent::new(model, sandbox, self.instructions).config(config),
            self.name,
            library,
            k,
            trials,
            variant,
            (self.examples)(),
        )
    }
}

/// The `n` examples for `task`: those of its own family first (ReAct's rule: worked examples
/// of the task's type), then those whose tasks share most words with its goal (BM25), then
/// the rest in library order.
pub fn rank_examples(examples: &[Example], task: &TaskSpec, n: usize) -> Vec<Example> {
    let tasks: Vec<String> = examples.iter().map(|e| e.task.clone()).collect();
    let by_words: Vec<usize> = rank_texts(&tasks, &task.goal)
        .into_iter()
        .map(|h| h.0)
        .collect();
    let mut picked = by_words.clone();
    picked.extend((0..examples.len()).filter(|i| !by_words.contains(i)));
    // A stable sort: the order above holds within the own family and within the rest.
    picked.sort_by_key(|&i| task.family.is_empty() || examples[i].family != task.family);
    picked.truncate(n);
    picked.into_iter().map(|i| examples[i].clone()).collect()
}

#[async_trait]
impl TaskRunner for CodeRunner {
    async fn run_task(
        &self,
        cx: &TaskContext<'_>,
        task: &TaskSpec,
    ) -> anyhow::Result<Vec<Episode>> {
        let mut out = Vec::new();
        for trial in 0..self.trials.max(1) {
            let mut ep = match cx.store.finished_episode(cx.run, &task.id, "", trial)? {
                Some(done) => done,
                None => {
                    let ep = self.run_trial(cx, task, trial).await?;
                    cx.store.put_episode(cx.run, &ep)?;
                    hone_core::store::failpoint("episode-stored");
                    ep
                }
            };
            let reflect = !ep.won
                && !ep.is_error()
                && trial + 1 < self.trials
                && self.variant != ReflectionVariant::Retry;
            if reflect && ep.reflection.is_none() {
                let prompt = reflection_prompt(
                    self.variant,
                    &ep,
                    &format!("Your task is to: {}.", task.goal),
                );
                let req = ChatRequest::new(vec![Message::user(prompt)])
                    .temperature(0.0)
                    .max_tokens(300);
                match self.agent.model.chat(req).await {
                    Ok(r) => {
                        ep.reflection = Some(r.text().trim().to_string());
                        cx.store.put_reflection(cx.run, cx.run, &ep)?;
                    }
                    Err(e) => {
                        tracing::warn!(task = %task.id, trial, "reflection failed: {e}");
                        out.push(ep);
                        break;
                    }
                }
            }
            let stop = ep.won || ep.is_error();
            out.push(ep);
            if stop {
                break;
            }
        }
        Ok(out)
    }
}

impl CodeRunner {
    async fn run_trial(
        &self,
        cx: &TaskContext<'_>,
        task: &TaskSpec,
        trial: u32,
    ) -> anyhow::Result<Episode> {
        let (skills, examples) = self.context_for(task)?;
        let memory: Vec<String> = cx
            .store
            .reflections_for_task(cx.run, task, self.memory_k)?
            .into_iter()
            .map(|r| r.text)
            .collect();
        let env = cx.environment(task)?;
        let mut ep = self
            .agent
            .run_with_memory(env, task, &skills, &examples, &memory)
            .await?;
        ep.trial = trial;
        ep.metrics
            .insert("skills_in_scope".into(), skills.len() as f64);
        if let Some(lib) = &self.library {
            let mut called: Vec<&str> = ep
                .steps
                .iter()
                .filter_map(|s| match &s.action {
                    Action::Code { calls, .. } => Some(calls),
                    _ => None,
                })
                .flatten()
                .filter(|c| c.depth == 0 && !c.name.contains('.'))
                .map(|c| c.name.as_str())
                .collect();
            called.sort_unstable();
            called.dedup();
            for name in called {
                if lib.get(name)?.is_some() {
                    lib.record_use(name)?;
                }
            }
        }
        Ok(ep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_as_a_thought_and_a_block() {
        let p = parse_reply("Thought: take it.\n```python\nx = 1\nprint(x)\n```").unwrap();
        assert_eq!(p.thought, "take it.");
        assert_eq!(p.code, "x = 1\nprint(x)");
        // Unclosed (the stop sequence ate the fence), plain ``` and ```py fences.
        assert_eq!(
            parse_reply("```py\nenv.step('look')").unwrap().code,
            "env.step('look')"
        );
        assert_eq!(parse_reply("go\n```\na()\n```").unwrap().thought, "go");
        assert!(parse_reply("I will look around.").is_err());
        assert!(parse_reply("Thought: x\n```python\n\n```").is_err());
    }

    #[test]
    fn tracebacks_are_cut_to_the_failing_line_of_the_block() {
        let tb = "Traceback (most recent call last):\n  File \"<snippet>\", line 2, in <module>\n    heat(plate)\n  File \"<snippet>\", line 11, in traced\n  File \"<snippet>\", line 79, in heat\nLookupError: could not heat None";
        assert_eq!(
            error_summary(tb),
            "line 2: heat(plate)\nLookupError: could not heat None"
        );
        let syntax =
            "  File \"<snippet>\", line 1\n    x = (\n        ^\nSyntaxError: '(' was never closed";
        assert!(error_summary(syntax).ends_with("SyntaxError: '(' was never closed"));
    }
}
