//! A skill-like program drives a host-side toy environment through granted host calls:
//! `obs = env.observe(); env.step(action)` in a loop, end to end.

mod common;

use std::sync::{Arc, Mutex};

use hone_sandbox::{HostFunctions, Language, RunOptions};
use serde_json::{json, Value};

/// A corridor of cells; the agent starts at 0 and must reach the goal.
#[derive(Debug)]
struct Corridor {
    pos: i64,
    goal: i64,
    steps: u32,
    log: Vec<String>,
}

impl Corridor {
    fn observe(&self) -> Value {
        json!({"pos": self.pos, "goal": self.goal, "done": self.pos == self.goal})
    }

    fn step(&mut self, action: &str) -> Result<Value, String> {
        match action {
            "left" => self.pos -= 1,
            "right" => self.pos += 1,
            other => return Err(format!("unknown action {other:?}; use left or right")),
        }
        self.steps += 1;
        self.log.push(action.to_string());
        let done = self.pos == self.goal;
        Ok(json!({"obs": self.observe(), "reward": if done { 1.0 } else { -0.1 }, "done": done}))
    }
}

fn grants(env: &Arc<Mutex<Corridor>>) -> HostFunctions {
    let (a, b) = (Arc::clone(env), Arc::clone(env));
    HostFunctions::new()
        .grant("env.observe", move |_| Ok(a.lock().unwrap().observe()))
        .grant("env.step", move |args| {
            let action = args
                .get(0)
                .and_then(Value::as_str)
                .ok_or("step(action: str)")?;
            b.lock().unwrap().step(action)
        })
}

const PY_SKILL: &str = r#"
def policy(obs):
    return "right" if obs["pos"] < obs["goal"] else "left"

total = 0.0
trace = []
obs = env.observe()
while not obs["done"]:
    out = env.step(policy(obs))
    total += out["reward"]
    trace.append(out["obs"]["pos"])
    obs = env.observe()

try:
    env.step("jump")
except HostError as e:
    refused = str(e)

print("reached", obs["pos"], "in", len(trace), "steps")
result = {"trace": trace, "reward": round(total, 3), "refused": refused}
"#;

const JS_SKILL: &str = r#"
const policy = (obs) => (obs.pos < obs.goal ? "right" : "left");
let obs = env.observe();
const trace = [];
while (!obs.done) {
  const out = env.step(policy(obs));
  trace.push(out.obs.pos);
  obs = env.observe();
}
console.log("reached", obs.pos);
var result = { trace };
"#;

#[test]
fn python_skill_drives_the_environment() {
    let env = Arc::new(Mutex::new(Corridor {
        pos: 0,
        goal: 6,
        steps: 0,
        log: vec![],
    }));
    let out = common::sandbox()
        .run(
            Language::Python,
            PY_SKILL,
            RunOptions::new().host(grants(&env)),
        )
        .expect("host error");
    assert!(out.is_success(), "{:?}\n{}", out.status, out.stderr);
    assert_eq!(out.stdout, "reached 6 in 6 steps\n");
    let result = out.result.expect("result");
    assert_eq!(result["trace"], json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(result["reward"], json!(0.5));
    assert!(
        result["refused"]
            .as_str()
            .unwrap()
            .contains("unknown action \"jump\""),
        "{result}"
    );
    let env = env.lock().unwrap();
    assert_eq!((env.pos, env.steps), (6, 6));
    // 7 observes + 6 steps + 1 refused step.
    assert_eq!(out.host_calls, 14);
    assert!(
        out.stderr.is_empty(),
        "host-call records leaked into stderr: {:?}",
        out.stderr
    );
}

#[test]
fn javascript_skill_drives_the_environment() {
    let env = Arc::new(Mutex::new(Corridor {
        pos: 3,
        goal: -2,
        steps: 0,
        log: vec![],
    }));
    let out = common::sandbox()
        .run(
            Language::JavaScript,
            JS_SKILL,
            RunOptions::new().host(grants(&env)),
        )
        .expect("host error");
    assert!(out.is_success(), "{:?}\n{}", out.status, out.stderr);
    assert_eq!(out.stdout, "reached -2\n");
    assert_eq!(out.result, Some(json!({"trace": [2, 1, 0, -1, -2]})));
    assert_eq!(env.lock().unwrap().log, ["left"; 5]);
}

#[test]
fn host_functions_see_keyword_and_structured_arguments() {
    let host = HostFunctions::new()
        .grant("tool.call", |args| Ok(json!({"got": args})))
        .grant("llm.ask", |args| {
            Ok(json!(format!("echo: {}", args[0].as_str().unwrap_or(""))))
        });
    let out = common::sandbox()
        .run(
            Language::Python,
            "a = tool.call('calc', {'x': [1, 2]})\nb = tool.call(name='calc')\nc = llm.ask('hi')\nd = tool.call('calc', 3, depth=2)\nresult = [a, b, c, d]",
            RunOptions::new().host(host),
        )
        .unwrap();
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(
        out.result,
        Some(json!([
            {"got": ["calc", {"x": [1, 2]}]},
            {"got": {"name": "calc"}},
            "echo: hi",
            // Both forms in one call: the positional ones under their index.
            {"got": {"0": "calc", "1": 3, "depth": 2}}
        ]))
    );
}
