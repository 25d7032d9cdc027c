//! ProgCo with its verifier programs really executed: the scripted model (a test double for the
//! loop) writes the answers and the programs, `SandboxRunner` runs the programs in the wasm
//! sandbox on assets/python.wasm. A missing guest fails these tests with the message saying how
//! to fetch it (`make assets`, i.e. scripts/fetch-assets); they never skip.

use hone_core::llm::Scripted;
use hone_core::strategies::{
    Checker, ProgCo, ProgramRunner, ReasoningTask, Settings, StepKind, Strategy,
};
use hone_sandbox::{Language, RunOptions, Sandbox, SandboxConfig};
use hone_tools::SandboxRunner;
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn sandbox() -> Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX
        .get_or_init(|| {
            let sb = SandboxConfig::new().build().expect("building the sandbox");
            if let Err(e) = sb.prepare(Language::Python) {
                panic!("cannot prepare the Python guest: {e} (run `make assets`)");
            }
            sb
        })
        .clone()
}

fn task() -> ReasoningTask {
    ReasoningTask {
        id: "apples".into(),
        kind: "arithmetic".into(),
        question: "Tom has 3 apples and buys 4 more. How many apples does he have?".into(),
        answer: "7".into(),
        checker: Checker::Int,
    }
}

#[tokio::test]
async fn runner_reports_results_failures_and_limits() {
    let runner = SandboxRunner::new(sandbox())
        .with_options(RunOptions::new().timeout(Duration::from_millis(1500)));
    let out = runner
        .run_python("print('hi')\nresult = INPUT * 2", json!(21))
        .await
        .unwrap();
    assert!(out.ok, "{out:?}");
    assert_eq!(out.result, Some(json!(42)));
    assert_eq!(out.stdout.trim(), "hi");
    let out = runner.run_python("1/0", json!(null)).await.unwrap();
    assert!(!out.ok);
    assert_eq!(out.status, "exit code 1");
    assert!(out.stderr.contains("ZeroDivisionError"), "{}", out.stderr);
    let out = runner
        .run_python("while True: pass", json!(null))
        .await
        .unwrap();
    assert_eq!(out.status, "timeout limit");
}

#[tokio::test]
async fn a_wrong_answer_is_caught_by_an_executed_verifier_and_corrected() {
    let model = Scripted::new([
        // The initial answer: wrong.
        "Tom has 3 apples and buys 4 more, so 3 * 4 = 12. The answer is 12.",
        // ProgVe: a verifier that works backwards from the answer.
        "```python\ndef verify(answer):\n    bought = 4\n    before = answer - bought\n    \
         print('apples before buying:', before)\n    return before == 3\n```",
        // ProgRe: reconsidering with the program's feedback.
        "Buying adds apples: 3 + 4 = 7. The answer is 7.",
        // The contrast of the two solutions.
        "Solution A multiplied; buying adds, so B is right. The answer is 7.",
    ]);
    let runner = Arc::new(SandboxRunner::new(sandbox()));
    let sol = ProgCo::new(Settings::default(), runner)
        .rounds(3)
        .solve(&model, &task())
        .await
        .unwrap();
    assert_eq!(sol.initial.as_deref(), Some("12"));
    assert_eq!(sol.answer.as_deref(), Some("7"));
    assert!(task().is_correct(sol.answer.as_deref()));
    assert_eq!(sol.stop, "verified after 1 refinement rounds");
    assert_eq!(sol.cost.program_runs, 2);
    let runs: Vec<_> = sol
        .trace
        .iter()
        .filter(|e| e.kind == StepKind::Run)
        .collect();
    assert_eq!(runs.len(), 2);
    // The first run really executed: its printed output came back from the sandbox.
    assert_eq!(runs[0].score, Some(0.0));
    assert!(runs[0].text.contains("returned False"), "{}", runs[0].text);
    assert!(
        runs[0].text.contains("apples before buying: 8"),
        "{}",
        runs[0].text
    );
    assert_eq!(runs[1].score, Some(1.0));
    // The program's output is the feedback the model saw.
    let feedback = &model.requests()[2].messages[3].content;
    assert!(feedback.contains("verify(12) returned False"), "{feedback}");
    assert!(feedback.contains("apples before buying: 8"), "{feedback}");
}

#[tokio::test]
async fn a_crashing_verifier_is_shown_its_traceback_and_fixed() {
    let model = Scripted::new([
        "3 + 4 = 7. The answer is 7.",
        "def verify(answer):\n    return answer - bought == 3",
        "def verify(answer):\n    bought = 4\n    return answer - bought == 3",
    ]);
    let runner = Arc::new(SandboxRunner::new(sandbox()));
    let sol = ProgCo::new(Settings::default(), runner)
        .solve(&model, &task())
        .await
        .unwrap();
    assert_eq!(sol.answer.as_deref(), Some("7"));
    assert_eq!(sol.stop, "verified after 1 refinement rounds");
    let fix = &model.requests()[2].messages[3].content;
    assert!(fix.contains("NameError") && fix.contains("bought"), "{fix}");
}

/// ProgCo on the real default model with the real sandbox: structure, not accuracy.
#[tokio::test]
async fn progco_on_the_default_model() {
    use hone_core::llm::{LlamaCpp, LlamaCppConfig};
    let path = hone_core::assets::default_model_path()
        .unwrap_or_else(|e| panic!("{e:#} (run `make assets`)"));
    let model = LlamaCpp::load(LlamaCppConfig::new(path).n_ctx(4096).n_threads(1))
        .expect("loading the default model");
    let settings = Settings {
        max_tokens: 32,
        feedback_tokens: 16,
        ..Settings::default()
    };
    let runner = Arc::new(SandboxRunner::new(sandbox()));
    for task in hone_core::strategies::tasks::generate(2, 2) {
        let sol = ProgCo::new(settings.clone(), runner.clone())
            .program_tokens(64)
            .rounds(1)
            .solve(&model, &task)
            .await
            .unwrap();
        println!(
            "{} {:?} -> {:?} ({})",
            task.id, sol.initial, sol.answer, sol.stop
        );
        assert_eq!(sol.trace[0].kind, StepKind::Answer);
        assert_eq!(sol.trace[1].kind, StepKind::Program);
        let runs = sol.trace.iter().filter(|e| e.kind == StepKind::Run).count();
        assert!((1..=2).contains(&runs), "{runs}");
        // A run is counted only when an answer was there to verify.
        assert!(sol.cost.program_runs as usize <= runs);
        assert!(
            sol.cost.calls >= 2 && sol.cost.calls <= 4,
            "{}",
            sol.cost.calls
        );
        assert!(sol.cost.usage.completion_tokens > 0 && sol.cost.model_ms > 0.0);
        assert!(
            sol.stop.starts_with("verified") || sol.stop.starts_with("1 rounds done"),
            "{}",
            sol.stop
        );
    }
}
