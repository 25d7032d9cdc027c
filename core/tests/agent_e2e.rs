//! The ReAct agent on the real default model: grammar-constrained actions are always
//! admissible, malformed output never crashes the loop, and each step evaluates only its new
//! prompt tokens.

use async_trait::async_trait;
use hone_core::env::{Environment, KeyDoorWorld, Step, TaskSpec};
use hone_core::llm::{LlamaCpp, LlamaCppConfig};
use hone_core::trajectory::Action;
use hone_core::{ActionMode, ReactAgent, ToolOutput, TypedTool};
use std::sync::{Arc, Mutex};

fn model() -> LlamaCpp {
    let path = hone_core::assets::default_model_path().expect("default model missing");
    LlamaCpp::load(LlamaCppConfig::new(path).n_ctx(4096)).expect("loading the default model")
}

/// Wraps an environment and records whether each action was admissible when it was taken.
struct Checked<E> {
    inner: E,
    inadmissible: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl<E: Environment> Environment for Checked<E> {
    async fn reset(&mut self, t: &TaskSpec) -> anyhow::Result<String> {
        self.inner.reset(t).await
    }
    async fn step(&mut self, action: &str) -> anyhow::Result<Step> {
        if !self
            .inner
            .admissible_actions()
            .unwrap_or_default()
            .iter()
            .any(|a| a == action)
        {
            self.inadmissible.lock().unwrap().push(action.to_string());
        }
        self.inner.step(action).await
    }
    fn admissible_actions(&self) -> Option<Vec<String>> {
        self.inner.admissible_actions()
    }
}

const EXAMPLE: &str = "You are in a small room. You see a box 1 and a shelf 1.
Your task is to: open the box.
> think: The box may be locked; I should look on the shelf for a key.
OK.
> go to shelf 1
You arrive at shelf 1. On the shelf 1, you see a key 2.
> take key 2 from shelf 1
You pick up the key 2 from the shelf 1.
> go to box 1
You arrive at box 1. The box 1 is closed.
> open box 1
You unlock the box 1 with the key 2 and open it.";

#[tokio::test]
async fn constrained_text_agent_only_takes_admissible_actions() {
    let agent = ReactAgent::builder(model())
        .system("Interact with a household to solve a task. Reply with one action per turn, or 'think: ' followed by a thought.")
        .example(EXAMPLE)
        .constrain(true)
        .max_steps(12)
        .build();
    let bad = Arc::new(Mutex::new(Vec::new()));
    let mut env = Checked {
        inner: KeyDoorWorld::new(),
        inadmissible: bad.clone(),
    };
    let ep = agent
        .run_env(&mut env, &KeyDoorWorld::task(), &[])
        .await
        .unwrap();
    println!("{}", ep.transcript());
    assert!(!ep.steps.is_empty());
    assert!(
        bad.lock().unwrap().is_empty(),
        "inadmissible actions taken: {:?}",
        bad.lock().unwrap()
    );
    for st in &ep.steps {
        assert!(
            matches!(st.action, Action::Think(_) | Action::Act(_)),
            "constrained output was not a thought or an action: {:?}",
            st.raw
        );
    }
    // Prefix reuse: after the first step each step evaluates no more than the tokens it adds.
    for w in ep.steps.windows(2) {
        let growth = w[1].usage.prompt_tokens - w[0].usage.prompt_tokens;
        assert!(
            w[1].usage.prompt_tokens_evaluated <= growth,
            "step {} evaluated {} tokens, its prompt grew by {growth}",
            w[1].index,
            w[1].usage.prompt_tokens_evaluated
        );
    }
    println!(
        "prompt tokens total {} evaluated {} ({:.1}%)",
        ep.usage.prompt_tokens,
        ep.usage.prompt_tokens_evaluated,
        100.0 * ep.usage.prompt_tokens_evaluated as f64 / ep.usage.prompt_tokens as f64
    );
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AddArgs {
    /// First addend.
    a: i64,
    /// Second addend.
    b: i64,
}

struct Add;

#[async_trait]
impl TypedTool for Add {
    const NAME: &'static str = "add";
    const DESCRIPTION: &'static str = "Adds two integers.";
    type Args = AddArgs;
    async fn run(&self, x: AddArgs) -> anyhow::Result<ToolOutput> {
        Ok(ToolOutput::ok((x.a + x.b).to_string()))
    }
}

#[tokio::test]
async fn constrained_tool_calls_always_parse() {
    let agent = ReactAgent::builder(model())
        .mode(ActionMode::ToolCall)
        .tool(Add)
        .constrain(true)
        .max_steps(4)
        .build();
    let ep = agent
        .run_task(&TaskSpec::new("sum").goal("What is 17 + 25?"))
        .await
        .unwrap();
    println!("{}", ep.transcript());
    assert!(!ep.steps.is_empty());
    for st in &ep.steps {
        match &st.action {
            Action::Tool { name, .. } => assert!(name == "add" || name == "finish", "{name}"),
            other => panic!(
                "constrained tool call did not parse: {other:?} from {:?}",
                st.raw
            ),
        }
    }
}
