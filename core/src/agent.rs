//! `ReactAgent`: the think → act → observe loop.
//!
//! Two action modes:
//! - [`ActionMode::Text`], faithful to the ReAct paper's ALFWorld prompts: the model writes one
//!   line, either `think: …` (answered "OK.") or an action for the environment. With
//!   `constrain(true)` and an environment that lists its admissible actions, a grammar makes
//!   every line a thought or an admissible action.
//! - [`ActionMode::ToolCall`]: the model writes one JSON tool call
//!   `{"thought", "tool", "args"}`, constrained by a grammar built from the tools' schemas.
//!
//! The conversation only grows within an episode (append-only), so the model backend reuses
//! the cached prefix and evaluates only each step's new tokens. Malformed output becomes an
//! observation that says what was wrong; the same action repeated `repeat_limit` times in a row
//! ends the episode or redirects the model; step, token and time budgets end it cleanly.

use crate::env::{Environment, Step, TaskSpec};
use crate::guard::{Caught, LoopGuard, ThoughtPolicy};
use crate::llm::{ChatModel, ChatRequest, LlmError, Message, Sampling, Usage};
use crate::tool::{Finish, Tool, ToolRegistry};
use crate::trajectory::{Action, Episode, StepRecord, StopReason};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How the model expresses an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionMode {
    Text,
    ToolCall,
}

/// What to do when the model repeats itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatPolicy {
    /// End the episode with [`StopReason::Repeated`].
    Stop,
    /// Tell the model that it is repeating itself or going in circles. A model that then says
    /// the same line as many times again as the repeat limit is not listening: the episode ends
    /// with [`StopReason::Repeated`] (counted as `guard_ignored`) instead of running to the
    /// step limit.
    Redirect,
}

/// A ReAct agent. Build with [`ReactAgent::builder`]; cheap to clone and share.
#[derive(Clone)]
pub struct ReactAgent {
    model: Arc<dyn ChatModel>,
    tools: ToolRegistry,
    system: String,
    examples: Vec<String>,
    family_examples: std::collections::HashMap<String, Vec<String>>,
    mode: ActionMode,
    constrain: bool,
    max_steps: usize,
    max_tokens: Option<u64>,
    max_time: Option<Duration>,
    repeat_limit: usize,
    repeat_policy: RepeatPolicy,
    /// Longest cycle the loop guard looks for (0: off).
    cycle_window: usize,
    thoughts: ThoughtPolicy,
    sampling: Sampling,
    /// Per-step self-consistency: (samples, temperature).
    action_samples: Option<(u32, f32)>,
    observer: Option<StepObserver>,
    /// Show only the last k long observations in full (see the builder).
    observation_window: Option<usize>,
}

/// Called with every step as it is recorded (live views, progress).
pub type StepObserver = Arc<dyn Fn(&TaskSpec, &StepRecord) + Send + Sync>;

/// Builder for [`ReactAgent`].
pub struct ReactAgentBuilder {
    agent: ReactAgent,
}

impl ReactAgent {
    pub fn builder(model: impl ChatModel + 'static) -> ReactAgentBuilder {
        Self::builder_arc(Arc::new(model))
    }

    pub fn builder_arc(model: Arc<dyn ChatModel>) -> ReactAgentBuilder {
        ReactAgentBuilder {
            agent: ReactAgent {
                model,
                tools: ToolRegistry::new(),
                system: String::new(),
                examples: Vec::new(),
                family_examples: Default::default(),
                mode: ActionMode::Text,
                constrain: false,
                max_steps: 50,
                max_tokens: None,
                max_time: None,
                repeat_limit: 3,
                repeat_policy: RepeatPolicy::Stop,
                cycle_window: 0,
                thoughts: ThoughtPolicy::Unlimited,
                sampling: Sampling {
                    temperature: 0.0,
                    max_tokens: 96,
                    ..Sampling::default()
                },
                action_samples: None,
                observer: None,
                observation_window: None,
            },
        }
    }
}

impl ReactAgentBuilder {
    /// The system message.
    pub fn system(mut self, s: impl Into<String>) -> Self {
        self.agent.system = s.into();
        self
    }
    /// A worked example shown before the task (ReAct's few-shot demonstrations).
    pub fn example(mut self, e: impl Into<String>) -> Self {
        self.agent.examples.push(e.into());
        self
    }
    /// A few-shot example shown only for tasks of `family` (instead of the general ones), as
    /// ReAct picks its ALFWorld examples by task type.
    pub fn family_example(mut self, family: impl Into<String>, e: impl Into<String>) -> Self {
        self.agent
            .family_examples
            .entry(family.into())
            .or_default()
            .push(e.into());
        self
    }
    pub fn tool(mut self, t: impl Tool + 'static) -> Self {
        self.agent.tools.register(t);
        self
    }
    pub fn tools(mut self, reg: ToolRegistry) -> Self {
        self.agent.tools = reg;
        self
    }
    pub fn mode(mut self, m: ActionMode) -> Self {
        self.agent.mode = m;
        self
    }
    /// Constrain actions with a grammar (admissible actions in text mode, tool schemas in
    /// tool-call mode).
    pub fn constrain(mut self, on: bool) -> Self {
        self.agent.constrain = on;
        self
    }
    pub fn max_steps(mut self, n: usize) -> Self {
        self.agent.max_steps = n.max(1);
        self
    }
    /// Stop once prompt tokens evaluated + completion tokens exceed this.
    pub fn max_tokens(mut self, n: u64) -> Self {
        self.agent.max_tokens = Some(n);
        self
    }
    pub fn max_time(mut self, d: Duration) -> Self {
        self.agent.max_time = Some(d);
        self
    }
    /// Identical consecutive lines tolerated before the loop policy applies (>= 2); the
    /// policy (stop, or tell the model) applies to the cycle guard too.
    pub fn repeat_limit(mut self, n: usize, policy: RepeatPolicy) -> Self {
        self.agent.repeat_limit = n.max(2);
        self.agent.repeat_policy = policy;
        self
    }
    /// Catch cycles of up to `max_period` steps repeated with nothing changing (A, B, A, B …;
    /// see [`crate::guard`]). 0 turns the cycle guard off.
    pub fn cycle_guard(mut self, max_period: usize) -> Self {
        self.agent.cycle_window = max_period;
        self
    }
    /// How much the model may think before it must act (text mode).
    pub fn thoughts(mut self, policy: ThoughtPolicy) -> Self {
        self.agent.thoughts = policy;
        self
    }
    pub fn sampling(mut self, s: Sampling) -> Self {
        self.agent.sampling = s;
        self
    }
    /// Watch steps as they happen.
    pub fn on_step(mut self, f: impl Fn(&TaskSpec, &StepRecord) + Send + Sync + 'static) -> Self {
        self.agent.observer = Some(Arc::new(f));
        self
    }
    /// Soft self-consistency per step (Wang et al. 2024, "Soft Self-Consistency Improves
    /// Language Model Agents", evaluated on ALFWorld): each step draws `n` candidate lines in one
    /// batched request at `temperature` and keeps the one the model finds most likely (mean token
    /// log-probability; ties to the most frequent, then the first). `n <= 1` turns it off.
    pub fn action_samples(mut self, n: u32, temperature: f32) -> Self {
        self.agent.action_samples = (n > 1).then_some((n, temperature));
        self
    }
    /// Show the model only the last `k` long observations (more than three lines) in full;
    /// older ones keep their first line (a web task's objective, a page's title) and say how
    /// much was left out. For environments whose observations are whole pages (WebArena's
    /// prompt shows only the current one), where a full history overflows the context.
    pub fn observation_window(mut self, k: usize) -> Self {
        self.agent.observation_window = Some(k.max(1));
        self
    }
    /// Builds the agent. `finish` is always registered (a tool-call agent ends with it; a
    /// text-mode agent given tools later can too).
    pub fn build(mut self) -> ReactAgent {
        if self.agent.tools.get("finish").is_none() {
            self.agent.tools.register(Finish);
        }
        self.agent
    }
}

/// One model reply within a step.
struct Reply {
    raw: String,
    usage: Usage,
    latency_ms: f64,
}

/// What the environment said about a step.
struct Outcome {
    reward: f64,
    done: bool,
    won: bool,
}

impl Outcome {
    const NONE: Outcome = Outcome {
        reward: 0.0,
        done: false,
        won: false,
    };
}

/// `messages` with all but the last `k` long user messages (more than three lines) cut to
/// their first line and a note of what was left out.
fn windowed(messages: &[Message], k: usize) -> Vec<Message> {
    let long = |m: &Message| m.role == crate::llm::Role::User && m.content.lines().count() > 3;
    let mut keep = k;
    let mut out: Vec<Message> = messages
        .iter()
        .rev()
        .map(|m| {
            if !long(m) {
                return m.clone();
            }
            if keep > 0 {
                keep -= 1;
                return m.clone();
            }
            let n = m.content.lines().count() - 1;
            let first = m.content.lines().next().unwrap_or_default();
            Message {
                role: m.role,
                content: format!(
                    "{first}\n(… {n} more lines of this earlier observation left out)"
                ),
            }
        })
        .collect();
    out.reverse();
    out
}

/// Loop state shared by both modes.
struct Run<'a> {
    agent: &'a ReactAgent,
    messages: Vec<Message>,
    episode: Episode,
    started: Instant,
    guard: LoopGuard,
    /// `think:` lines in a row just before now.
    thought_streak: usize,
}

impl<'a> Run<'a> {
    fn new(agent: &'a ReactAgent, task: &TaskSpec, first_user: String) -> Self {
        let mut messages = Vec::new();
        if !agent.system.is_empty() {
            messages.push(Message::system(agent.system.clone()));
        }
        messages.push(Message::user(first_user));
        Self {
            agent,
            messages,
            episode: Episode::new(task.clone(), agent.model.name()),
            started: Instant::now(),
            guard: LoopGuard::new(agent.repeat_limit, agent.cycle_window),
            thought_streak: 0,
        }
    }

    /// Counts an event in the episode's counters (shown in reports).
    fn count(&mut self, metric: &str) {
        *self.episode.metrics.entry(metric.to_string()).or_default() += 1.0;
    }

    /// Passes a step through the loop guards: the observation (with the guard's message under
    /// the redirect policy) and whether the episode must stop, and why.
    fn guarded(&mut self, line: &str, observation: String) -> (String, Option<StopReason>) {
        let Some(caught) = self.guard.observe(line, &observation) else {
            return (observation, None);
        };
        self.count(caught.metric());
        match self.agent.repeat_policy {
            RepeatPolicy::Redirect
                if matches!(caught, Caught::Repeat(_)) && self.guard.redirect_ignored() =>
            {
                self.count("guard_ignored");
                (observation, Some(StopReason::Repeated))
            }
            RepeatPolicy::Redirect => (format!("{observation}\n{}", caught.message()), None),
            RepeatPolicy::Stop => {
                let why = match caught {
                    Caught::Repeat(_) => StopReason::Repeated,
                    Caught::Cycle(_) => StopReason::Cycle,
                };
                (observation, Some(why))
            }
        }
    }

    fn over_budget(&self) -> bool {
        let u = self.episode.usage;
        let spent = u.prompt_tokens_evaluated as u64 + u.completion_tokens as u64;
        self.agent.max_tokens.is_some_and(|m| spent >= m)
            || self
                .agent
                .max_time
                .is_some_and(|t| self.started.elapsed() >= t)
    }

    async fn ask(
        &mut self,
        constraint: Option<crate::llm::Constraint>,
        stop: &[&str],
    ) -> Result<Reply, LlmError> {
        let mut req = ChatRequest::new(match self.agent.observation_window {
            Some(k) => windowed(&self.messages, k),
            None => self.messages.clone(),
        });
        req.sampling = self.agent.sampling.clone();
        req.sampling.stop.extend(stop.iter().map(|s| s.to_string()));
        req.constraint = constraint;
        if let Some((n, temperature)) = self.agent.action_samples {
            req.n = n;
            req.logprobs = true;
            req.sampling.temperature = temperature;
        }
        let t = Instant::now();
        let r = self.agent.model.chat(req).await?;
        let text = match self.agent.action_samples {
            Some(_) => crate::strategies::soft_sc::soft_sc_pick(&r.choices)
                .and_then(|p| r.choices.get(p.index))
                .map(|c| c.text.clone())
                .unwrap_or_else(|| r.text().to_string()),
            None => r.text().to_string(),
        };
        self.episode.usage += r.usage;
        Ok(Reply {
            raw: text,
            usage: r.usage,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
        })
    }

    fn record(&mut self, reply: Reply, action: Action, observation: String, outcome: Outcome) {
        let Reply {
            raw,
            usage,
            latency_ms,
        } = reply;
        let Outcome { reward, done, won } = outcome;
        let index = self.episode.steps.len();
        self.messages.push(Message::assistant(raw.clone()));
        self.messages.push(Message::user(observation.clone()));
        let rec = StepRecord {
            index,
            raw,
            action,
            observation,
            reward,
            done,
            won,
            usage,
            latency_ms,
        };
        if let Some(f) = &self.agent.observer {
            f(&self.episode.task, &rec);
        }
        self.episode.steps.push(rec);
        self.episode.reward += reward;
    }

    /// Ends the episode on a failure of the model backend: recorded, not raised, so an eval
    /// goes on with its other episodes (and a rerun retries this one).
    fn model_failed(self, e: LlmError) -> Episode {
        let stop = match e {
            LlmError::ContextOverflow { .. } => StopReason::ContextOverflow,
            _ => StopReason::ModelError,
        };
        self.failed(stop, e.to_string())
    }

    fn failed(mut self, stop: StopReason, message: String) -> Episode {
        tracing::warn!(task = %self.episode.task.id, "episode ended on {}: {message}", stop.name());
        self.episode.error = Some(message);
        self.finish(stop)
    }

    fn finish(mut self, stop: StopReason) -> Episode {
        self.episode.stop = stop;
        self.episode.wall_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            task = %self.episode.task.id, won = self.episode.won, steps = self.episode.steps.len(),
            stop = ?self.episode.stop, "episode finished"
        );
        self.episode
    }
}

/// The user message that opens an episode: examples, memory, then the task.
fn opening(examples: &[String], memory: &[String], task_text: &str) -> String {
    let mut s = String::new();
    for (i, e) in examples.iter().enumerate() {
        s.push_str(&format!("Here is example {}:\n{}\n\n", i + 1, e.trim_end()));
    }
    if !memory.is_empty() {
        s.push_str("Your memory for the task below:\n");
        for (i, m) in memory.iter().enumerate() {
            s.push_str(&format!("Trial {}:\n{}\n", i + 1, m.trim_end()));
        }
        s.push('\n');
    }
    s.push_str("Here is the task.\n");
    s.push_str(task_text);
    s
}

/// Grammar for one text-mode line: a thought or one of the admissible actions.
pub fn text_action_grammar(actions: &[String]) -> String {
    line_grammar(actions, true, true)
}

/// Grammar for one text-mode line: one of `actions` (when `act`), or a thought (when `think`).
pub fn line_grammar(actions: &[String], think: bool, act: bool) -> String {
    let mut alts: Vec<String> = Vec::new();
    if act {
        alts.extend(actions.iter().map(|a| crate::llm::grammar::literal(a)));
    }
    if think || alts.is_empty() {
        alts.push("\"think: \" [^\\n]{1,300}".to_string());
    }
    format!("root ::= {}\n", alts.join(" | "))
}

/// Grammar for one text-mode line from an environment's action grammar (its `action` rule),
/// or a thought (when `think`).
pub fn grammar_line(action_grammar: &str, think: bool) -> String {
    let root = if think {
        "root ::= action | \"think: \" [^\\n]{1,300}"
    } else {
        "root ::= action"
    };
    format!("{root}\n{}\n", action_grammar.trim())
}

/// One text-mode line, read.
#[derive(Debug, Clone, PartialEq)]
enum TextAction {
    Think(String),
    Act(String),
}

/// Reads one text-mode line: strips a leading `>` and blank space, keeps the first line.
fn parse_text_action(raw: &str) -> Result<TextAction, String> {
    let line = raw.trim().lines().next().unwrap_or("").trim();
    let line = line.trim_start_matches('>').trim();
    if line.is_empty() {
        return Err(
            "Your reply was empty. Reply with one action, or with 'think: ' and a thought.".into(),
        );
    }
    Ok(match line.strip_prefix("think:") {
        Some(t) => TextAction::Think(t.trim().to_string()),
        None => TextAction::Act(line.to_string()),
    })
}

/// One tool call, read.
#[derive(Debug, Clone, PartialEq)]
struct ToolCall {
    thought: String,
    name: String,
    args: Value,
}

/// Reads one tool call `{"thought", "tool", "args"}` (the JSON object may be wrapped in prose).
fn parse_tool_call(raw: &str) -> Result<ToolCall, String> {
    let start = raw
        .find('{')
        .ok_or("No JSON object found. Reply with {\"thought\": …, \"tool\": …, \"args\": {…}}.")?;
    let end = raw.rfind('}').ok_or("The JSON object is not closed.")?;
    let v: Value = serde_json::from_str(raw.get(start..=end).unwrap_or(""))
        .map_err(|e| format!("Your tool call is not valid JSON ({e}). Reply with {{\"thought\": …, \"tool\": …, \"args\": {{…}}}}."))?;
    let tool = v
        .get("tool")
        .and_then(Value::as_str)
        .ok_or("The tool call has no \"tool\" name.")?;
    Ok(ToolCall {
        thought: v
            .get("thought")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        name: tool.to_string(),
        args: v
            .get("args")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
    })
}

impl ReactAgent {
    pub fn model(&self) -> &Arc<dyn ChatModel> {
        &self.model
    }

    /// Runs one episode in `env` in text mode. `memory` is injected before the task
    /// (Reflexion's reflections). A failing model backend or environment ends the episode with
    /// an error [`StopReason`] and the message in [`Episode::error`]; it is not an `Err`.
    pub async fn run_env(
        &self,
        env: &mut dyn Environment,
        task: &TaskSpec,
        memory: &[String],
    ) -> anyhow::Result<Episode> {
        let span = tracing::info_span!("episode", task = %task.id);
        let mut ep = self
            .run_env_inner(env, task, memory)
            .instrument(span)
            .await?;
        let reason = match ep.stop {
            StopReason::MaxSteps => Some(format!("Reach max steps {}", self.max_steps)),
            StopReason::Repeated | StopReason::Cycle => Some(format!(
                "Same action for {} times",
                self.repeat_limit.min(1000)
            )),
            StopReason::Budget => Some("Out of budget".to_string()),
            _ => None,
        };
        if let Some(reason) = reason {
            match env.end(&reason).await {
                Ok(Some(step)) => {
                    ep.won = step.won;
                    ep.reward += step.reward;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(task = %task.id, "scoring the stopped episode failed: {e:#}")
                }
            }
        }
        Ok(ep)
    }

    async fn run_env_inner(
        &self,
        env: &mut dyn Environment,
        task: &TaskSpec,
        memory: &[String],
    ) -> anyhow::Result<Episode> {
        let examples = self
            .family_examples
            .get(&task.family)
            .unwrap_or(&self.examples);
        let first = match env.reset(task).await {
            Ok(first) => first,
            Err(e) => {
                let run = Run::new(self, task, opening(examples, memory, ""));
                return Ok(run.failed(
                    StopReason::EnvError,
                    format!("environment reset failed: {e:#}"),
                ));
            }
        };
        let mut run = Run::new(self, task, opening(examples, memory, &first));
        for _ in 0..self.max_steps {
            if run.over_budget() {
                return Ok(run.finish(StopReason::Budget));
            }
            let may_think = self.thoughts.may_think(run.thought_streak);
            let must_think = self
                .thoughts
                .must_think(run.thought_streak, run.episode.steps.len());
            let constraint = match (self.constrain, env.admissible_actions()) {
                (true, Some(acts)) => Some(crate::llm::Constraint::Grammar(line_grammar(
                    &acts,
                    may_think,
                    !must_think,
                ))),
                (true, None) => match (env.action_grammar(), must_think) {
                    (Some(g), false) => {
                        Some(crate::llm::Constraint::Grammar(grammar_line(&g, may_think)))
                    }
                    (_, true) => Some(crate::llm::Constraint::Grammar(line_grammar(
                        &[],
                        true,
                        false,
                    ))),
                    (None, false) => None,
                },
                _ => None,
            };
            let reply = match run.ask(constraint, &["\n"]).await {
                Ok(r) => r,
                Err(e) => return Ok(run.model_failed(e)),
            };
            let action = match parse_text_action(&reply.raw) {
                Ok(a) => a,
                Err(msg) => {
                    run.record(
                        reply,
                        Action::Invalid { error: msg.clone() },
                        msg,
                        Outcome::NONE,
                    );
                    continue;
                }
            };
            let (action, key, step) = match action {
                TextAction::Think(t) => {
                    let key = format!("think: {t}");
                    let mut step = env.think(&t).unwrap_or_else(|| Step::obs("OK."));
                    if may_think {
                        run.thought_streak += 1;
                    } else {
                        // Thinking where an action is due: the line still counts as a step.
                        run.count("think_limit");
                        step.observation = self.thoughts.act_now();
                    }
                    (Action::Think(t), key, step)
                }
                TextAction::Act(_) if must_think => {
                    run.count("think_first");
                    let msg = ThoughtPolicy::think_now().to_string();
                    run.record(
                        reply,
                        Action::Invalid { error: msg.clone() },
                        msg,
                        Outcome::NONE,
                    );
                    continue;
                }
                TextAction::Act(a) => match env.step(&a).await {
                    Ok(step) => {
                        run.thought_streak = 0;
                        (Action::Act(a.clone()), a, step)
                    }
                    Err(e) => {
                        return Ok(run.failed(
                            StopReason::EnvError,
                            format!("the environment failed on `{a}`: {e:#}"),
                        ))
                    }
                },
            };
            let (done, won) = (step.done, step.won);
            let (observation, stop) = run.guarded(&key, step.observation);
            run.record(
                reply,
                action,
                observation,
                Outcome {
                    reward: step.reward,
                    done,
                    won,
                },
            );
            if done {
                run.episode.won = won;
                return Ok(run.finish(StopReason::Done));
            }
            if let Some(why) = stop {
                return Ok(run.finish(why));
            }
        }
        Ok(run.finish(StopReason::MaxSteps))
    }

    /// Runs a task with the registered tools in tool-call mode until `finish` is called.
    /// A failing model backend ends the episode with an error [`StopReason`], as in
    /// [`ReactAgent::run_env`].
    pub async fn run_task(&self, task: &TaskSpec) -> anyhow::Result<Episode> {
        let span = tracing::info_span!("task", task = %task.id);
        self.run_task_inner(task).instrument(span).await
    }

    async fn run_task_inner(&self, task: &TaskSpec) -> anyhow::Result<Episode> {
        let intro = format!(
            "You can call these tools:\n{}\n\nReply with exactly one JSON object per turn: \
             {{\"thought\": \"<your reasoning>\", \"tool\": \"<name>\", \"args\": {{...}}}}. \
             Call finish with the answer when you are done.\n\nTask: {}",
            self.tools.describe(),
            task.goal
        );
        let mut run = Run::new(self, task, opening(&self.examples, &[], &intro));
        let schema = self.tools.call_schema();
        for _ in 0..self.max_steps {
            if run.over_budget() {
                return Ok(run.finish(StopReason::Budget));
            }
            let constraint = self
                .constrain
                .then(|| crate::llm::Constraint::JsonSchema(schema.clone()));
            let reply = match run.ask(constraint, &[]).await {
                Ok(r) => r,
                Err(e) => return Ok(run.model_failed(e)),
            };
            let call = match parse_tool_call(&reply.raw) {
                Ok(a) => a,
                Err(msg) => {
                    run.record(
                        reply,
                        Action::Invalid { error: msg.clone() },
                        msg,
                        Outcome::NONE,
                    );
                    continue;
                }
            };
            let ToolCall {
                thought,
                name,
                args,
            } = call;
            let key = format!("{name} {args}");
            let out = self.tools.call(&name, args.clone()).await;
            let finished = name == "finish" && !out.is_error;
            let observation = if out.is_error {
                format!("Error: {}", out.content)
            } else {
                out.content.clone()
            };
            let (observation, stop) = run.guarded(&key, observation);
            run.record(
                reply,
                Action::Tool {
                    thought,
                    name,
                    args,
                },
                observation,
                Outcome {
                    reward: 0.0,
                    done: finished,
                    won: false,
                },
            );
            if finished {
                run.episode.answer = Some(out.content);
                return Ok(run.finish(StopReason::Done));
            }
            if let Some(why) = stop {
                return Ok(run.finish(why));
            }
        }
        Ok(run.finish(StopReason::MaxSteps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::KeyDoorWorld;
    use crate::llm::Scripted;
    use crate::tool::{ToolOutput, TypedTool};

    fn agent(replies: &[&str]) -> (Arc<Scripted>, ReactAgent) {
        let m = Arc::new(Scripted::new(replies.iter().copied()));
        let a = ReactAgent::builder_arc(m.clone())
            .system("You are an agent.")
            .max_steps(10)
            .build();
        (m, a)
    }

    #[tokio::test]
    async fn scripted_soft_self_consistency_picks_the_likeliest_sampled_action() {
        use crate::llm::{Choice, FinishReason, TokenLogprob};
        let c = |text: &str, lp: f32| Choice {
            text: text.into(),
            finish_reason: FinishReason::Stop,
            logprobs: Some(vec![
                TokenLogprob {
                    token: text.into(),
                    logprob: lp,
                    top: vec![],
                };
                2
            ]),
        };
        let m = Arc::new(Scripted::with_choices([
            vec![c("look", -0.1), c("go to table 1", -0.05), c("look", -0.1)],
            vec![c("take key 1 from table 1", -0.2), c("inventory", -2.0)],
        ]));
        let a = ReactAgent::builder_arc(m.clone())
            .max_steps(2)
            .action_samples(3, 0.7)
            .build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        let acts: Vec<&str> = ep.steps.iter().map(|s| s.raw.as_str()).collect();
        assert_eq!(acts, ["go to table 1", "take key 1 from table 1"]);
        let reqs = m.requests();
        assert_eq!(reqs.len(), 2, "one batched request per step");
        assert!(reqs
            .iter()
            .all(|r| r.n == 3 && r.logprobs && r.sampling.temperature == 0.7));
    }

    #[tokio::test]
    async fn text_mode_solves_with_thoughts_and_actions() {
        let (m, a) = agent(&[
            "think: I need the key first.",
            "> go to table 1",
            "take key 1 from table 1",
            "go to door 1",
            "open door 1",
        ]);
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert!(ep.won);
        assert_eq!(ep.stop, StopReason::Done);
        assert_eq!(ep.steps.len(), 5);
        assert_eq!(ep.steps[0].observation, "OK.");
        assert_eq!(ep.steps[1].action, Action::Act("go to table 1".into()));
        // Append-only: each request extends the previous one.
        let reqs = m.requests();
        for w in reqs.windows(2) {
            assert!(
                w[1].messages.starts_with(&w[0].messages),
                "prompt prefix changed between steps"
            );
            assert_eq!(w[1].messages.len(), w[0].messages.len() + 2);
        }
        assert_eq!(reqs[0].sampling.stop, vec!["\n".to_string()]);
    }

    #[test]
    fn window_keeps_the_last_long_observations_and_first_lines() {
        let page = |t: &str| format!("{t}\na\nb\nc");
        let msgs = vec![
            Message::system("sys\n1\n2\n3"),
            Message::user(page("OBJECTIVE: x")),
            Message::assistant("click [1]"),
            Message::user(page("page 2")),
            Message::assistant("think: hm"),
            Message::user("OK."),
            Message::assistant("click [2]"),
            Message::user(page("page 3")),
        ];
        let w = windowed(&msgs, 1);
        assert_eq!(w[0].content, msgs[0].content, "system messages stay");
        assert_eq!(
            w[1].content,
            "OBJECTIVE: x\n(… 3 more lines of this earlier observation left out)"
        );
        assert!(w[3].content.starts_with("page 2\n(… 3 more"));
        assert_eq!(w[5].content, "OK.");
        assert_eq!(w[7].content, msgs[7].content);
        assert_eq!(windowed(&msgs, 3), msgs);
    }

    #[tokio::test]
    async fn parse_failure_becomes_an_observation() {
        let (_, a) = agent(&[
            "",
            "go to table 1",
            "take key 1 from table 1",
            "go to door 1",
            "open door 1",
        ]);
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert!(ep.won);
        assert!(matches!(ep.steps[0].action, Action::Invalid { .. }));
        assert!(ep.steps[0].observation.contains("empty"));
    }

    #[tokio::test]
    async fn repeated_actions_stop_the_episode() {
        let (_, a) = agent(&["look", "look", "look", "look"]);
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::Repeated);
        assert_eq!(ep.steps.len(), 3);
        assert!(!ep.won);
    }

    #[tokio::test]
    async fn repeated_actions_can_redirect() {
        let m = Arc::new(Scripted::new([
            "look",
            "look",
            "go to table 1",
            "take key 1 from table 1",
            "go to door 1",
            "open door 1",
        ]));
        let a = ReactAgent::builder_arc(m.clone())
            .repeat_limit(2, RepeatPolicy::Redirect)
            .build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert!(ep.won);
        let third = &m.requests()[2].messages;
        assert!(third
            .last()
            .unwrap()
            .content
            .contains("repeated the same action 2 times"));
        assert!(ep.steps[1]
            .observation
            .ends_with("Try something different."));
    }

    #[tokio::test]
    async fn a_redirect_the_model_ignores_ends_the_episode() {
        // Scripted model: the same thought forever, as Qwen2.5-Coder-0.5B wrote 46 times in a
        // row under the redirect policy before this stop existed.
        let m = Arc::new(Scripted::new(["think: I need to find a pen"; 20]));
        let a = ReactAgent::builder_arc(m)
            .repeat_limit(2, RepeatPolicy::Redirect)
            .build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::Repeated);
        assert_eq!(
            ep.steps.len(),
            4,
            "caught at 2, told at 2 and 3, stopped at 4"
        );
        assert!(ep.steps[2]
            .observation
            .ends_with("Try something different."));
        assert_eq!(ep.metrics["guard_repeat"], 3.0);
        assert_eq!(ep.metrics["guard_ignored"], 1.0);
    }

    fn grammar_of(r: &ChatRequest) -> String {
        match &r.constraint {
            Some(crate::llm::Constraint::Grammar(g)) => g.clone(),
            other => panic!("no grammar: {other:?}"),
        }
    }

    #[tokio::test]
    async fn scripted_think_limit_in_free_text_redirects_to_an_action() {
        let m = Arc::new(Scripted::new([
            "think: the key is on the table",
            "think: I should go there",
            "go to table 1",
            "take key 1 from table 1",
            "go to door 1",
            "open door 1",
        ]));
        let a = ReactAgent::builder_arc(m.clone())
            .thoughts(ThoughtPolicy::AtMost(1))
            .build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert!(ep.won);
        assert_eq!(ep.steps[0].observation, "OK.");
        assert!(
            ep.steps[1]
                .observation
                .contains("thought 1 times in a row. Now act"),
            "{}",
            ep.steps[1].observation
        );
        assert_eq!(ep.metrics["think_limit"], 1.0);
        assert!(m.requests().iter().all(|r| r.constraint.is_none()));
    }

    #[tokio::test]
    async fn scripted_think_limit_constrained_drops_thoughts_from_the_grammar() {
        let m = Arc::new(Scripted::new([
            "think: the key is on the table",
            "go to table 1",
            "think: take it",
            "take key 1 from table 1",
        ]));
        let a = ReactAgent::builder_arc(m.clone())
            .constrain(true)
            .max_steps(4)
            .thoughts(ThoughtPolicy::AtMost(1))
            .build();
        a.run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        let g: Vec<bool> = m
            .requests()
            .iter()
            .map(|r| grammar_of(r).contains("think: "))
            .collect();
        assert_eq!(
            g,
            [true, false, true, false],
            "a thought is allowed only after an action"
        );
        // Act: no thoughts at all; alternation: after an action, only a thought.
        let m = Arc::new(Scripted::new([
            "go to table 1",
            "think: now the key",
            "take key 1 from table 1",
        ]));
        let act = ReactAgent::builder_arc(m.clone())
            .constrain(true)
            .max_steps(1)
            .thoughts(ThoughtPolicy::AtMost(0))
            .build();
        act.run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert!(!grammar_of(&m.requests()[0]).contains("think: "));
        let m = Arc::new(Scripted::new([
            "go to table 1",
            "think: now the key",
            "take key 1 from table 1",
        ]));
        let alt = ReactAgent::builder_arc(m.clone())
            .constrain(true)
            .max_steps(3)
            .thoughts(ThoughtPolicy::Alternate)
            .build();
        alt.run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        let reqs = m.requests();
        assert_eq!(grammar_of(&reqs[1]), "root ::= \"think: \" [^\\n]{1,300}\n");
        assert!(!grammar_of(&reqs[2]).contains("think: "));
    }

    #[tokio::test]
    async fn scripted_cycles_stop_or_redirect() {
        let wander = [
            "go to table 1",
            "go to door 1",
            "go to table 1",
            "go to door 1",
            "go to table 1",
        ];
        let m = Arc::new(Scripted::new(wander));
        let a = ReactAgent::builder_arc(m).cycle_guard(4).build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::Cycle);
        assert_eq!(ep.steps.len(), 4);
        assert_eq!(ep.metrics["guard_cycle"], 1.0);
        let m = Arc::new(Scripted::new(wander));
        let a = ReactAgent::builder_arc(m)
            .cycle_guard(4)
            .repeat_limit(3, RepeatPolicy::Redirect)
            .max_steps(5)
            .build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::MaxSteps);
        assert!(ep.steps[3]
            .observation
            .ends_with("Try something you have not tried yet."));
        // Without the guard the same wandering runs to the step limit unremarked.
        let m = Arc::new(Scripted::new(wander));
        let ep = ReactAgent::builder_arc(m)
            .max_steps(5)
            .build()
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::MaxSteps);
        assert!(ep.metrics.is_empty());
    }

    #[tokio::test]
    async fn observer_sees_every_step() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let m = Arc::new(Scripted::new(["look", "go to table 1"]));
        let a = ReactAgent::builder_arc(m)
            .max_steps(2)
            .on_step(move |_, st| s2.lock().unwrap().push(st.observation.clone()))
            .build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            ep.steps
                .iter()
                .map(|s| s.observation.clone())
                .collect::<Vec<_>>()
        );
        assert_eq!(seen.len(), 2);
    }

    #[tokio::test]
    async fn max_steps_ends_the_episode() {
        let m = Arc::new(Scripted::new(["look", "inventory", "look", "inventory"]));
        let a = ReactAgent::builder_arc(m).max_steps(3).build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::MaxSteps);
        assert_eq!(ep.steps.len(), 3);
    }

    #[tokio::test]
    async fn token_budget_ends_the_episode() {
        let m = Arc::new(Scripted::new(["look", "inventory", "look", "inventory"]));
        let a = ReactAgent::builder_arc(m).max_tokens(1).build();
        let ep = a
            .run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &[])
            .await
            .unwrap();
        assert_eq!(ep.stop, StopReason::Budget);
        assert_eq!(ep.steps.len(), 1);
    }

    #[tokio::test]
    async fn memory_is_injected_in_reflexion_format() {
        let (m, a) = agent(&["look", "look", "look"]);
        let mem = vec!["I should take the key before going to the door.".to_string()];
        a.run_env(&mut KeyDoorWorld::new(), &KeyDoorWorld::task(), &mem)
            .await
            .unwrap();
        let first = &m.requests()[0].messages[1].content;
        assert!(
            first.contains("Your memory for the task below:\nTrial 1:\nI should take the key"),
            "{first}"
        );
        assert!(first.find("Your memory").unwrap() < first.find("Here is the task.").unwrap());
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct DivArgs {
        a: f64,
        b: f64,
    }
    struct Div;
    #[async_trait::async_trait]
    impl TypedTool for Div {
        const NAME: &'static str = "div";
        const DESCRIPTION: &'static str = "Divides a by b.";
        type Args = DivArgs;
        async fn run(&self, x: DivArgs) -> anyhow::Result<ToolOutput> {
            anyhow::ensure!(x.b != 0.0, "division by zero");
            Ok(ToolOutput::ok((x.a / x.b).to_string()))
        }
    }

    #[tokio::test]
    async fn tool_errors_are_observations_and_finish_ends() {
        let m = Arc::new(Scripted::new([
            r#"{"thought": "divide", "tool": "div", "args": {"a": 1, "b": 0}}"#,
            "not json at all",
            r#"{"thought": "again", "tool": "div", "args": {"a": 6, "b": 3}}"#,
            r#"{"thought": "done", "tool": "finish", "args": {"answer": "2"}}"#,
        ]));
        let a = ReactAgent::builder_arc(m)
            .mode(ActionMode::ToolCall)
            .tool(Div)
            .build();
        let ep = a
            .run_task(&TaskSpec::new("t").goal("What is 6 / 3?"))
            .await
            .unwrap();
        assert!(
            ep.steps[0].observation.contains("division by zero"),
            "{}",
            ep.steps[0].observation
        );
        assert!(matches!(ep.steps[1].action, Action::Invalid { .. }));
        assert_eq!(ep.steps[2].observation, "2");
        assert_eq!(ep.answer.as_deref(), Some("2"));
        assert_eq!(ep.stop, StopReason::Done);
    }

    #[test]
    fn text_grammar_lists_actions_and_thoughts() {
        let g = text_action_grammar(&["go to table 1".into(), "look".into()]);
        assert_eq!(
            g,
            "root ::= \"go to table 1\" | \"look\" | \"think: \" [^\\n]{1,300}\n"
        );
    }
}
