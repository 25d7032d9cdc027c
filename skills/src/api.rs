//! The environment APIs code actions and skills call, as sandbox host functions.
//!
//! The same names in every session of an environment kind:
//! - household (and any [`Environment`]): `env.step(command) -> observation`,
//!   `env.admissible() -> [command]`, `env.observation() -> the last observation`;
//! - web: `page.goto`, `page.click`, `page.fill`, `page.press`, `page.get_by_role`,
//!   `page.get_by_text`, `page.url`, `page.observation`, `page.answer` ([`EnvBridge::web_grants`]:
//!   each action becomes one of WebArena's actions on the web environment, so the allow-list,
//!   the step limit and the scoring are the environment's);
//! - shell: `sh.run(command) -> output`, `sh.submit()` ([`EnvBridge::shell_grants`]: each
//!   call one command in the episode's jailed bash, so its limits and InterCode's scoring hold).
//!
//! [`EnvBridge`] serves the generic `env.*` API over any [`Environment`], records every call a
//! snippet makes (and the skill calls reported through `trace.*`), and refuses calls after the
//! episode is over or past its action budget, with a message the snippet sees as `HostError`.

use hone_core::env::{Environment, TaskSpec};
use hone_core::trajectory::CodeCall;
use hone_sandbox::HostFunctions;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};

pub use hone_envs::web::actions::{elements, Element, FILLABLE};

/// The host functions granted to code of an environment kind.
pub fn names(env: &str) -> Vec<String> {
    let v: &[&str] = match env {
        "web" => &[
            "page.goto",
            "page.click",
            "page.fill",
            "page.press",
            "page.get_by_role",
            "page.get_by_text",
            "page.url",
            "page.observation",
            "page.answer",
        ],
        "shell" => &["sh.run", "sh.submit"],
        _ => &["env.step", "env.admissible", "env.observation"],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// Longest result kept in a recorded call.
const RESULT_CHARS: usize = 400;

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n).collect();
    t.push('…');
    t
}

/// What the household (ALFWorld) answers to a command it does not take.
pub(crate) const NOTHING_HAPPENS: &str = "Nothing happens.";

/// The household's names in a command: a word and its number (`mug 1`, `shelf 2`).
pub fn command_names(command: &str) -> Vec<String> {
    let w: Vec<&str> = command.split_whitespace().collect();
    w.windows(2)
        .filter(|p| {
            p[1].chars().all(|c| c.is_ascii_digit()) && p[0].chars().all(char::is_alphabetic)
        })
        .map(|p| format!("{} {}", p[0], p[1]))
        .collect()
}

/// The note for a command that is not valid now: the valid commands that name the same
/// things and share most words with it (at most three), e.g. `put mug 1 in/on shelf 1` for
/// `put mug 1 on shelf 1`, `examine shelf 2` for `go to shelf 2` where the agent stands.
pub fn invalid_command_hint(command: &str, valid: &[String]) -> String {
    let words = |s: &str| -> std::collections::HashSet<String> {
        s.split_whitespace().map(str::to_lowercase).collect()
    };
    let mine = words(command);
    let names = command_names(command);
    let named = |v: &str| names.iter().filter(|n| v.contains(n.as_str())).count();
    let most = valid.iter().map(|v| named(v)).max().unwrap_or(0);
    let mut scored: Vec<(f64, &String)> = valid
        .iter()
        .filter(|v| most == 0 || named(v) == most)
        .map(|v| {
            let theirs = words(v);
            let shared = mine.intersection(&theirs).count() as f64;
            let union = mine.union(&theirs).count().max(1) as f64;
            (shared / union, v)
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let near: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, v)| format!("'{v}'"))
        .collect();
    if near.is_empty() {
        format!("'{command}' is not a valid command here (env.admissible() lists the valid ones).")
    } else {
        format!(
            "'{command}' is not a valid command here; valid commands like it: {}.",
            near.join(", ")
        )
    }
}

/// What happened in the environment during one snippet.
#[derive(Debug, Clone, Default)]
pub struct Turn {
    /// Host and skill calls, in order.
    pub calls: Vec<CodeCall>,
    /// `(command, observation)` of every environment action.
    pub actions: Vec<(String, String)>,
    /// The environment failed (not the agent): the episode ends with an error.
    pub env_error: Option<String>,
    /// Notes for the agent on its own commands that the environment did not take (`Nothing
    /// happens.` to a command that is not valid now), with the valid commands most like them:
    /// `(index into actions, note)`.
    pub hints: Vec<(usize, String)>,
}

#[derive(Debug, Default)]
struct State {
    observation: String,
    done: bool,
    won: bool,
    reward: f64,
    actions: usize,
    turn: Turn,
    /// Open skill calls: indices into `turn.calls`.
    stack: Vec<usize>,
}

/// An environment shared between an agent and the host functions of its sandbox session.
#[derive(Clone)]
pub struct EnvBridge {
    env: Arc<tokio::sync::Mutex<Box<dyn Environment>>>,
    state: Arc<Mutex<State>>,
    max_actions: usize,
}

impl EnvBridge {
    /// `max_actions`: environment actions allowed in the episode (calls past it fail).
    pub fn new(env: Box<dyn Environment>, max_actions: usize) -> Self {
        Self {
            env: Arc::new(tokio::sync::Mutex::new(env)),
            state: Arc::default(),
            max_actions,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the task; returns the first observation.
    pub async fn reset(&self, task: &TaskSpec) -> anyhow::Result<String> {
        let first = self.env.lock().await.reset(task).await?;
        let mut st = self.state();
        *st = State::default();
        st.observation = first.clone();
        Ok(first)
    }

    /// Takes what happened since the last call.
    pub fn take_turn(&self) -> Turn {
        let mut st = self.state();
        st.stack.clear();
        std::mem::take(&mut st.turn)
    }

    pub fn done(&self) -> bool {
        self.state().done
    }
    pub fn won(&self) -> bool {
        self.state().won
    }
    pub fn reward(&self) -> f64 {
        self.state().reward
    }
    /// Environment actions taken so far.
    pub fn actions(&self) -> usize {
        self.state().actions
    }
    pub fn observation(&self) -> String {
        self.state().observation.clone()
    }

    /// One action, from Rust (what `env.step` does for a snippet).
    pub async fn step(&self, command: &str) -> Result<String, String> {
        self.step_as("env.step", command).await
    }

    /// One action, recorded in the turn's calls as `name`.
    async fn step_as(&self, name: &str, command: &str) -> Result<String, String> {
        {
            let st = self.state();
            if st.done {
                return Err(format!(
                    "the episode is over ({}); no more actions",
                    if st.won {
                        "the task is solved"
                    } else {
                        "not solved"
                    }
                ));
            }
            if st.actions >= self.max_actions {
                return Err(format!(
                    "out of environment actions: this episode allows {}",
                    self.max_actions
                ));
            }
        }
        let mut env = self.env.lock().await;
        let r = env.step(command).await;
        // A command of the agent's own (not a skill's) that the environment ignored: if it is
        // not a valid command now, say which valid ones look like it. The environment's answer
        // stays what the environment said.
        let hint = match &r {
            Ok(s) if s.observation.trim() == NOTHING_HAPPENS && self.state().stack.is_empty() => {
                env.admissible_actions()
                    .filter(|valid| !valid.iter().any(|v| v == command))
                    .map(|valid| invalid_command_hint(command, &valid))
            }
            _ => None,
        };
        drop(env);
        let mut st = self.state();
        let at = st.turn.actions.len();
        st.turn.hints.extend(hint.map(|h| (at, h)));
        let depth = st.stack.len() as u32;
        match r {
            Ok(s) => {
                st.actions += 1;
                st.observation = s.observation.clone();
                st.reward += s.reward;
                st.done |= s.done;
                st.won |= s.won;
                st.turn
                    .actions
                    .push((command.to_string(), s.observation.clone()));
                st.turn.calls.push(CodeCall {
                    name: name.into(),
                    args: json!(command).to_string(),
                    result: short(&s.observation, RESULT_CHARS),
                    error: false,
                    depth,
                });
                Ok(s.observation)
            }
            Err(e) => {
                let msg = format!("the environment failed on {command:?}: {e:#}");
                st.turn.env_error = Some(msg.clone());
                st.done = true;
                Err(msg)
            }
        }
    }

    /// The agent stopped before the environment said done: lets the environment score the
    /// episode as it stands ([`Environment::end`]); `Some(won)` if it did.
    pub async fn end(&self, reason: &str) -> Option<bool> {
        if self.done() {
            return None;
        }
        let step = self.env.lock().await.end(reason).await.ok()??;
        let mut st = self.state();
        st.reward += step.reward;
        st.done = true;
        st.won |= step.won;
        Some(st.won)
    }

    /// The actions valid now, if the environment lists them.
    pub async fn admissible(&self) -> Option<Vec<String>> {
        self.env.lock().await.admissible_actions()
    }

    fn record_top(&self, name: &str, args: &Value, result: &str) {
        let mut st = self.state();
        if st.stack.is_empty() {
            st.turn.calls.push(CodeCall {
                name: name.into(),
                args: args.to_string(),
                result: short(result, RESULT_CHARS),
                error: false,
                depth: 0,
            });
        }
    }

    /// The grants of the generic environment API, plus `trace.enter` / `trace.exit` (how the
    /// session's skill wrappers report calls). Host functions run on tokio's blocking pool;
    /// `rt` drives the environment's async methods from there.
    pub fn grants(&self, rt: tokio::runtime::Handle) -> HostFunctions {
        let (b1, b2, b3, b4, b5) = (
            self.clone(),
            self.clone(),
            self.clone(),
            self.clone(),
            self.clone(),
        );
        let (rt1, rt2) = (rt.clone(), rt);
        HostFunctions::new()
            .grant("env.step", move |args| {
                let cmd = arg_str(&args, 0, "command")
                    .ok_or("env.step(command: str): give the command as a string")?;
                rt1.block_on(b1.step(&cmd)).map(Value::String)
            })
            .grant("env.admissible", move |args| {
                let v = rt2.block_on(b2.admissible()).unwrap_or_default();
                b2.record_top("env.admissible", &args, &format!("{} commands", v.len()));
                Ok(json!(v))
            })
            .grant("env.observation", move |args| {
                let o = b3.observation();
                b3.record_top("env.observation", &args, &o);
                Ok(json!(o))
            })
            .grant("trace.enter", move |args| {
                let name = arg_str(&args, 0, "name").unwrap_or_default();
                let a = arg_str(&args, 1, "args").unwrap_or_default();
                let mut st = b4.state();
                let depth = st.stack.len() as u32;
                let i = st.turn.calls.len();
                st.turn.calls.push(CodeCall {
                    name,
                    args: a,
                    result: "(did not return)".into(),
                    error: false,
                    depth,
                });
                st.stack.push(i);
                Ok(Value::Null)
            })
            .grant("trace.exit", move |args| {
                let result = arg_str(&args, 1, "result").unwrap_or_default();
                let error = arg(&args, 2, "error")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let mut st = b5.state();
                if let Some(i) = st.stack.pop() {
                    if let Some(c) = st.turn.calls.get_mut(i) {
                        c.result = short(&result, RESULT_CHARS);
                        c.error = error;
                    }
                }
                Ok(Value::Null)
            })
    }
}

/// The element `target` names for `page.fill`: as [`resolve`], but among elements of a
/// fillable role first (on a shop page "Search" names both the `Search` button and the
/// `Search products` text box, and typing into the button submits an empty search).
fn resolve_fillable(obs: &str, target: &Value) -> Result<String, String> {
    resolve_preferring(obs, target, FILLABLE)
}

/// The element `target` names: an id (a number, or digits), else the first element whose name
/// is `target`, else the first whose name contains it (case-insensitive).
fn resolve(obs: &str, target: &Value) -> Result<String, String> {
    resolve_preferring(obs, target, &[])
}

/// [`resolve`], looking first among the elements whose role is in `roles` (if any).
fn resolve_preferring(obs: &str, target: &Value, roles: &[&str]) -> Result<String, String> {
    let t = match target {
        Value::Number(n) => return Ok(n.to_string()),
        Value::String(s) => s.trim().to_string(),
        _ => return Err("give an element id or the element's name as a string".into()),
    };
    let t = t.trim_start_matches('[').trim_end_matches(']').to_string();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(t);
    }
    let els = elements(obs);
    let lower = t.to_lowercase();
    let named = |els: &[&Element]| -> Option<String> {
        els.iter()
            .find(|e| e.name == t)
            .or_else(|| els.iter().find(|e| e.name.to_lowercase().contains(&lower)))
            .map(|e| e.id.clone())
    };
    let preferred: Vec<&Element> = els
        .iter()
        .filter(|e| roles.contains(&e.role.as_str()))
        .collect();
    let all: Vec<&Element> = els.iter().collect();
    named(&preferred).or_else(|| named(&all)).ok_or_else(|| {
        format!("no element named {t:?} on the page; page.get_by_role(role) lists them")
    })
}

fn element_json(e: &Element) -> Value {
    json!({"id": e.id, "role": e.role, "name": e.name})
}

impl EnvBridge {
    /// The web API (`page.*`, see the module docs) plus `trace.*`, over a web environment
    /// whose actions are WebArena's. Arguments are positional, keyword, or both (Playwright's
    /// `page.get_by_role('link', name='Cart')`).
    pub fn web_grants(&self, rt: tokio::runtime::Handle) -> HostFunctions {
        let act = |b: EnvBridge,
                   rt: tokio::runtime::Handle,
                   f: fn(&Value, &str) -> Result<String, String>| {
            move |args: Value| {
                let action = f(&args, &b.observation())?;
                rt.block_on(b.step(&action)).map(Value::String)
            }
        };
        let query =
            |b: EnvBridge, name: &'static str, f: fn(&Value, &str) -> Result<Value, String>| {
                move |args: Value| {
                    let v = f(&args, &b.observation())?;
                    b.record_top(name, &args, &v.to_string());
                    Ok(v)
                }
            };
        let base = self.grants(rt.clone());
        base.revoke("env.step")
            .revoke("env.admissible")
            .revoke("env.observation")
            .grant(
                "page.goto",
                act(self.clone(), rt.clone(), |a, _| {
                    let url = arg_str(a, 0, "url").ok_or("page.goto(url: str)")?;
                    Ok(format!("goto [{url}]"))
                }),
            )
            .grant(
                "page.click",
                act(self.clone(), rt.clone(), |a, obs| {
                    let t =
                        arg(a, 0, "target").ok_or("page.click(target): an element id or name")?;
                    Ok(format!("click [{}]", resolve(obs, t)?))
                }),
            )
            .grant(
                "page.fill",
                act(self.clone(), rt.clone(), |a, obs| {
                    let t = arg(a, 0, "target").ok_or("page.fill(target, text, enter=False)")?;
                    let text = arg_str(a, 1, "text")
                        .ok_or("page.fill(target, text, enter=False): give the text")?;
                    let enter = arg(a, 2, "enter").and_then(Value::as_bool).unwrap_or(false);
                    Ok(format!(
                        "type [{}] [{}] [{}]",
                        resolve_fillable(obs, t)?,
                        text.replace(['[', ']', '\n'], " "),
                        u8::from(enter)
                    ))
                }),
            )
            .grant(
                "page.press",
                act(self.clone(), rt.clone(), |a, _| {
                    let k = arg_str(a, 0, "key").ok_or("page.press(key: str), e.g. 'Enter'")?;
                    Ok(format!("press [{k}]"))
                }),
            )
            .grant(
                "page.answer",
                act(self.clone(), rt, |a, _| {
                    let t = arg_str(a, 0, "text").unwrap_or_default();
                    Ok(format!("stop [{}]", t.replace(['[', ']', '\n'], " ")))
                }),
            )
            .grant(
                "page.get_by_role",
                query(self.clone(), "page.get_by_role", |a, obs| {
                    let role = arg_str(a, 0, "role").ok_or("page.get_by_role(role, name='')")?;
                    let name = arg_str(a, 1, "name").unwrap_or_default().to_lowercase();
                    Ok(Value::Array(
                        elements(obs)
                            .iter()
                            .filter(|e| e.role == role && e.name.to_lowercase().contains(&name))
                            .map(element_json)
                            .collect(),
                    ))
                }),
            )
            .grant(
                "page.get_by_text",
                query(self.clone(), "page.get_by_text", |a, obs| {
                    let text = arg_str(a, 0, "text")
                        .ok_or("page.get_by_text(text)")?
                        .to_lowercase();
                    Ok(Value::Array(
                        obs.lines()
                            .filter(|l| l.to_lowercase().contains(&text) && !l.starts_with("URL: "))
                            .map(|l| Value::String(l.trim().to_string()))
                            .collect(),
                    ))
                }),
            )
            .grant(
                "page.url",
                query(self.clone(), "page.url", |_, obs| {
                    Ok(json!(obs
                        .lines()
                        .rev()
                        .find_map(|l| l.strip_prefix("URL: "))
                        .unwrap_or("")))
                }),
            )
            .grant(
                "page.observation",
                query(self.clone(), "page.observation", |_, obs| Ok(json!(obs))),
            )
    }
}

impl EnvBridge {
    /// The shell API plus `trace.*`, over a shell environment: `sh.run(command)` runs one bash
    /// command in the episode's jail and returns its output (the shell keeps its directory and
    /// variables between calls); `sh.submit()` ends the episode and has it scored.
    pub fn shell_grants(&self, rt: tokio::runtime::Handle) -> HostFunctions {
        let (b1, b2) = (self.clone(), self.clone());
        let rt2 = rt.clone();
        self.grants(rt.clone())
            .revoke("env.step")
            .revoke("env.admissible")
            .revoke("env.observation")
            .grant("sh.run", move |args| {
                let cmd = arg_str(&args, 0, "command")
                    .ok_or("sh.run(command: str): give the bash command as a string")?;
                if cmd.trim() == "submit" {
                    return Err("sh.run runs bash commands; call sh.submit() to finish".into());
                }
                rt.block_on(b1.step_as("sh.run", &cmd)).map(Value::String)
            })
            .grant("sh.submit", move |_| {
                rt2.block_on(b2.step_as("sh.submit", "submit"))
                    .map(Value::String)
            })
    }
}

/// Argument `i` (positional, also under `"i"` in a call that gave keywords too) or `key`
/// (keyword).
fn arg<'a>(args: &'a Value, i: usize, key: &str) -> Option<&'a Value> {
    args.get(i)
        .or_else(|| args.get(i.to_string()))
        .or_else(|| args.get(key))
}

/// [`arg`] as a string.
fn arg_str(args: &Value, i: usize, key: &str) -> Option<String> {
    arg(args, i, key).and_then(Value::as_str).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = "[1] RootWebArea 'Shop'\n\t[5] form ''\n\t\t[6] textbox 'Search products'\n\t\t[7] button 'Search'\n\t[8] link 'Search tips'";

    #[test]
    fn fill_targets_prefer_fillable_elements_and_click_targets_keep_the_exact_name() {
        assert_eq!(resolve_fillable(SHOP, &json!("Search")).unwrap(), "6");
        assert_eq!(
            resolve_fillable(SHOP, &json!("search products")).unwrap(),
            "6"
        );
        assert_eq!(resolve_fillable(SHOP, &json!(7)).unwrap(), "7");
        assert_eq!(resolve_fillable(SHOP, &json!("[7]")).unwrap(), "7");
        // No fillable match: the general rule (the caller gets WebArena's own refusal).
        assert_eq!(resolve_fillable(SHOP, &json!("tips")).unwrap(), "8");
        assert_eq!(resolve(SHOP, &json!("Search")).unwrap(), "7");
        assert!(resolve(SHOP, &json!("checkout")).is_err());
    }
}
