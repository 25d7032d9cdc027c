//! ProgCo (Song et al. 2025, "ProgCo: Program Helps Self-Correction of Large Language Models"):
//! self-correction driven by a verification program instead of free-text self-critique.
//!
//! - **ProgVe** (program-driven verification): the model writes a program `verify(answer)` for
//!   the question — working backwards from the answer to the question's facts — and the program
//!   is executed on the answer. Its outcome becomes the feedback. In the paper the verifier is a
//!   pseudo-program that the LLM itself executes; hone runs real Python through a
//!   [`ProgramRunner`] (the wasm sandbox in `hone_tools::SandboxRunner`), so the check is an actual
//!   execution, not one the model simulates.
//! - **ProgRe** (program-driven refinement): when verification fails, the model reflects on the
//!   feedback and refines its answer. Because the verifier can be wrong too, refinement is dual:
//!   if the model, having reconsidered, stands by its answer, the *verifier* is refined instead;
//!   if the answer changes, the old and new solutions are contrasted (where do they differ,
//!   which is right) before the new answer is adopted. Up to `rounds` rounds (3, as in the
//!   paper), stopping as soon as the verifier passes the answer.
//!
//! Verdicts (hone's reading of the program's outcome): `verify` returning `True` passes and
//! `False` fails; an `AssertionError` fails (a verifier written with `assert`); a returned
//! number (or string, for text tasks) is taken as the verifier's own answer and passes only if
//! it equals the answer under test. A crash, a limit, or any other return value means the
//! verifier is broken: its error is shown to the model, which fixes the program. The expected
//! answer is never shown to the program or the model. An initial solution without an answer
//! fails verification without a run. hone keeps the reply's code up to the end of the first
//! top-level function named `verify…` and calls that function (see [`extract_code`]); the
//! program prompt carries one worked example of a backwards check.

use super::{
    answer_request, question_messages, ProgramOutput, ProgramRunner, ReasoningTask, Session,
    Settings, Solution, StepKind, Strategy, END_WITH_ANSWER,
};
use crate::llm::{ChatModel, ChatRequest, Message};
use async_trait::async_trait;
use std::sync::Arc;

/// System message of the program-writing calls, with one worked example.
pub const PROGRAM_SYSTEM: &str = "You write short, correct Python 3 programs. Reply with only \
code. Example. Question: Ann has 5 pens and loses 2. How many pens does she have?\n\
```python\ndef verify(answer):\n    lost = 2\n    return answer + lost == 5\n```";

/// Asks for a verification program for `question`.
pub fn program_prompt(question: &str) -> String {
    format!(
        "Question: {question}\n\nWrite a Python function verify(answer) that returns True if \
         `answer` is the correct final answer to the question and False otherwise. Check it by \
         working backwards: start from the answer and the facts in the question and test that \
         they fit together. Do not simply return True."
    )
}

/// The name of the first top-level function whose name starts with `verify`.
fn verifier_def(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("def ")?;
    let name = rest.split('(').next()?.trim();
    name.starts_with("verify").then_some(name)
}

/// The code in a reply: the first fenced block if there is one, else the whole reply; then cut
/// after the end of the first top-level function whose name starts with `verify` (a small model
/// goes on writing more functions until its token budget cuts one off mid-line, which would be
/// a syntax error in code that is never called).
pub fn extract_code(reply: &str) -> String {
    let code = match reply.find("```") {
        Some(start) => {
            let after = &reply[start + 3..];
            // Skip the language tag line (```python).
            let body = after.split_once('\n').map_or("", |(_, b)| b);
            let end = body.find("```").unwrap_or(body.len());
            body[..end].to_string()
        }
        None => reply.to_string(),
    };
    let lines: Vec<&str> = code.lines().collect();
    let Some(def) = lines.iter().position(|l| verifier_def(l).is_some()) else {
        return code.trim().to_string();
    };
    let end = lines[def + 1..]
        .iter()
        .position(|l| !l.trim().is_empty() && !l.starts_with([' ', '\t']))
        .map_or(lines.len(), |p| def + 1 + p);
    lines[..end].join("\n").trim().to_string()
}

/// The program hone runs: the model's code, then its verifier (the first top-level function
/// named `verify…`, else `verify`) called on the answer under test (`INPUT`).
pub fn harness(code: &str) -> String {
    let name = code.lines().find_map(verifier_def).unwrap_or("verify");
    format!("{code}\n\n# hone: run the verifier on the answer under test\nresult = {name}(INPUT)\n")
}

/// What a verifier run says about an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The answer passed.
    Pass,
    /// The answer failed; the feedback for the model.
    Fail(String),
    /// The verifier itself is broken; the error for the model.
    Broken(String),
}

fn tail(s: &str, max: usize) -> &str {
    let s = s.trim();
    match s.char_indices().rev().nth(max) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

/// Reads a verifier run on `answer` (see the module docs).
pub fn verdict(task: &ReasoningTask, answer: &str, out: &ProgramOutput) -> Verdict {
    let printed = if out.stdout.trim().is_empty() {
        String::new()
    } else {
        format!("\nIt printed:\n{}", tail(&out.stdout, 400))
    };
    if !out.ok {
        let err = tail(&out.stderr, 600);
        if err.contains("AssertionError") {
            return Verdict::Fail(format!(
                "verify({answer}) failed an assertion:\n{err}{printed}"
            ));
        }
        return Verdict::Broken(format!(
            "the program stopped with {}:\n{err}{printed}",
            out.status
        ));
    }
    use serde_json::Value;
    match &out.result {
        Some(Value::Bool(true)) => Verdict::Pass,
        Some(Value::Bool(false)) => {
            Verdict::Fail(format!("verify({answer}) returned False.{printed}"))
        }
        Some(Value::Number(x)) if task.numeric() => {
            let x = x.as_f64().unwrap_or(f64::NAN);
            let same = answer
                .parse::<f64>()
                .is_ok_and(|a| (a - x).abs() <= 1e-6 * a.abs().max(1.0));
            if same {
                Verdict::Pass
            } else {
                let x = super::answer::canonical_number(x);
                Verdict::Fail(format!(
                    "the program computed {x}, but the answer is {answer}.{printed}"
                ))
            }
        }
        Some(Value::String(s)) if !task.numeric() => {
            if super::answer::normalize_text(s) == super::answer::normalize_text(answer) {
                Verdict::Pass
            } else {
                Verdict::Fail(format!(
                    "the program computed {s:?}, but the answer is {answer:?}.{printed}"
                ))
            }
        }
        other => Verdict::Broken(format!(
            "verify must return True or False, but it returned {}.{printed}",
            other
                .as_ref()
                .map_or("nothing".to_string(), Value::to_string)
        )),
    }
}

/// ProgVe + ProgRe.
#[derive(Clone)]
pub struct ProgCo {
    settings: Settings,
    runner: Arc<dyn ProgramRunner>,
    rounds: u32,
    program_tokens: u32,
}

impl ProgCo {
    pub fn new(settings: Settings, runner: Arc<dyn ProgramRunner>) -> Self {
        let program_tokens = settings.max_tokens.max(128);
        Self {
            settings,
            runner,
            rounds: 3,
            program_tokens,
        }
    }
    /// Verify-and-refine rounds at most (default 3, the paper's).
    pub fn rounds(mut self, r: u32) -> Self {
        self.rounds = r;
        self
    }
    /// Tokens for a verification program (default: max(answer tokens, 128)).
    pub fn program_tokens(mut self, n: u32) -> Self {
        self.program_tokens = n.max(1);
        self
    }

    fn code_request(&self, messages: Vec<Message>, seed: u64) -> ChatRequest {
        ChatRequest::new(messages)
            .temperature(0.0)
            .max_tokens(self.program_tokens)
            .seed(seed)
    }

    async fn check(
        &self,
        s: &mut Session<'_>,
        task: &ReasoningTask,
        code: &str,
        answer: Option<&str>,
    ) -> anyhow::Result<Verdict> {
        let Some(answer) = answer else {
            let v = Verdict::Fail("the solution gives no final answer.".into());
            s.event(
                StepKind::Run,
                "not run: no answer to verify",
                None,
                Some(0.0),
            );
            return Ok(v);
        };
        let out = self
            .runner
            .run_python(&harness(code), task.answer_value(answer))
            .await?;
        s.cost.program_runs += 1;
        let v = verdict(task, answer, &out);
        let (score, what) = match &v {
            Verdict::Pass => (1.0, "pass".to_string()),
            Verdict::Fail(f) => (0.0, format!("fail: {f}")),
            Verdict::Broken(e) => (-1.0, format!("verifier broken: {e}")),
        };
        s.event(
            StepKind::Run,
            &format!(
                "verify({answer}) → {} [{}]\n{what}",
                out.status,
                out.result.as_ref().map_or("-".into(), |r| r.to_string())
            ),
            Some(answer.to_string()),
            Some(score),
        );
        Ok(v)
    }
}

#[async_trait]
impl Strategy for ProgCo {
    fn name(&self) -> &str {
        super::StrategyKind::ProgCo.name()
    }

    fn corrects(&self) -> bool {
        true
    }

    async fn solve(&self, model: &dyn ChatModel, task: &ReasoningTask) -> anyhow::Result<Solution> {
        let st = &self.settings;
        let seed = task.seed(st.seed);
        let mut s = Session::new(model);
        let (mut text, initial) = s
            .ask(task, StepKind::Answer, answer_request(task, st))
            .await?;
        let mut answer = initial.clone();

        // ProgVe: the verification program, written from the question alone.
        let mut program_chat = vec![
            Message::system(PROGRAM_SYSTEM),
            Message::user(program_prompt(&task.question)),
        ];
        let r = s
            .chat(self.code_request(program_chat.clone(), seed))
            .await?;
        let mut code = extract_code(r.text());
        program_chat.push(Message::assistant(r.text()));
        s.event(StepKind::Program, &code, None, None);

        let mut stop = String::new();
        for round in 0..=self.rounds {
            let v = self.check(&mut s, task, &code, answer.as_deref()).await?;
            if v == Verdict::Pass {
                stop = format!("verified after {round} refinement rounds");
                break;
            }
            if round == self.rounds {
                stop = format!("{} rounds done, still not verified", self.rounds);
                break;
            }
            // ProgRe.
            match v {
                Verdict::Pass => unreachable!("handled above"),
                Verdict::Broken(err) => {
                    program_chat.push(Message::user(format!(
                        "Running the program failed: {err}\nFix the program. Reply with only the code."
                    )));
                    let r = s
                        .chat(self.code_request(program_chat.clone(), seed))
                        .await?;
                    program_chat.push(Message::assistant(r.text()));
                    code = extract_code(r.text());
                    s.event(StepKind::Program, &code, None, None);
                }
                Verdict::Fail(feedback) => {
                    let shown = answer.as_deref().unwrap_or("(none)");
                    let mut m = question_messages(task);
                    m.push(Message::assistant(&text));
                    m.push(Message::user(format!(
                        "A verification program checked your answer {shown} and reported: \
                         {feedback}\nRethink the solution step by step and correct it if it is \
                         wrong. {END_WITH_ANSWER}"
                    )));
                    let (new_text, new_answer) = s
                        .ask(
                            task,
                            StepKind::Refine,
                            ChatRequest::new(m)
                                .temperature(0.0)
                                .max_tokens(st.max_tokens)
                                .seed(seed),
                        )
                        .await?;
                    match new_answer {
                        None => {} // no answer in the refinement: keep the old one
                        Some(ref new) if Some(new) == answer.as_ref() => {
                            // The model stands by its answer: the verifier may be the wrong one.
                            program_chat.push(Message::user(format!(
                                "Running verify({new}) reported: {feedback}\nThe answer {new} was \
                                 checked again and still looks right, so the program may be \
                                 wrong. Fix the program if it has a mistake. Reply with only the \
                                 code."
                            )));
                            let r = s
                                .chat(self.code_request(program_chat.clone(), seed))
                                .await?;
                            program_chat.push(Message::assistant(r.text()));
                            code = extract_code(r.text());
                            s.event(StepKind::Program, &code, None, None);
                        }
                        Some(new) if answer.is_none() => {
                            // Nothing to contrast with: the first answer found is adopted.
                            (text, answer) = (new_text, Some(new));
                        }
                        Some(new) => {
                            // Contrast the old and the new solution before adopting one.
                            let prompt = format!(
                                "Question: {}\n\nSolution A:\n{}\n\nSolution B:\n{}\n\nThe two \
                                 solutions give different answers ({shown} and {new}). Compare \
                                 them step by step, find where they differ and which one is \
                                 right. {END_WITH_ANSWER}",
                                task.question,
                                text.trim(),
                                new_text.trim()
                            );
                            let (c_text, c_answer) = s
                                .ask(
                                    task,
                                    StepKind::Contrast,
                                    ChatRequest::new(vec![
                                        Message::system(super::SYSTEM),
                                        Message::user(prompt),
                                    ])
                                    .temperature(0.0)
                                    .max_tokens(st.max_tokens)
                                    .seed(seed),
                                )
                                .await?;
                            (text, answer) = match c_answer {
                                Some(a) => (c_text, Some(a)),
                                None => (new_text, Some(new)),
                            };
                        }
                    }
                }
            }
        }
        Ok(s.finish(answer, text, initial, stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Scripted;
    use crate::strategies::testing::task;
    use serde_json::{json, Value};
    use std::sync::Mutex;

    /// Replays program outcomes in order and records what it was asked to run.
    #[derive(Default)]
    struct FakeRunner {
        outcomes: Mutex<Vec<ProgramOutput>>,
        ran: Mutex<Vec<(String, Value)>>,
    }

    fn returned(v: Value) -> ProgramOutput {
        ProgramOutput {
            ok: true,
            status: "success".into(),
            stdout: String::new(),
            stderr: String::new(),
            result: Some(v),
            wall_ms: 1.0,
        }
    }

    fn crashed(err: &str) -> ProgramOutput {
        ProgramOutput {
            ok: false,
            status: "exit code 1".into(),
            stdout: String::new(),
            stderr: err.into(),
            result: None,
            wall_ms: 1.0,
        }
    }

    impl FakeRunner {
        fn new(outcomes: Vec<ProgramOutput>) -> Arc<Self> {
            Arc::new(Self {
                outcomes: Mutex::new(outcomes.into_iter().rev().collect()),
                ran: Mutex::default(),
            })
        }
        fn ran(&self) -> Vec<(String, Value)> {
            self.ran.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl ProgramRunner for FakeRunner {
        async fn run_python(&self, source: &str, input: Value) -> anyhow::Result<ProgramOutput> {
            self.ran.lock().unwrap().push((source.to_string(), input));
            self.outcomes
                .lock()
                .unwrap()
                .pop()
                .ok_or_else(|| anyhow::anyhow!("no outcome left"))
        }
    }

    const PROGRAM: &str = "```python\ndef verify(answer):\n    return answer - 4 == 3\n```";

    #[test]
    fn code_extraction() {
        assert_eq!(
            extract_code(PROGRAM),
            "def verify(answer):\n    return answer - 4 == 3"
        );
        assert_eq!(
            extract_code("  def verify(a): return True \n"),
            "def verify(a): return True"
        );
        assert_eq!(extract_code("Here:\n```\nx = 1\n"), "x = 1");
        assert!(harness("def verify(a): return True").ends_with("result = verify(INPUT)\n"));
        // Cut after the verifier; helpers before it stay.
        let rambling =
            "import math\n\ndef verify(answer):\n    x = 3\n\n    return answer == x\n\n\
                        def verify_more(a):\n    for i in ['1', '2";
        assert_eq!(
            extract_code(rambling),
            "import math\n\ndef verify(answer):\n    x = 3\n\n    return answer == x"
        );
        // Another verify… name is called by that name.
        let other = extract_code("def verify_answer(answer):\n    return answer == 7\nprint(1)");
        assert_eq!(other, "def verify_answer(answer):\n    return answer == 7");
        assert!(harness(&other).ends_with("result = verify_answer(INPUT)\n"));
    }

    #[test]
    fn verdicts() {
        let t = task();
        assert_eq!(verdict(&t, "7", &returned(json!(true))), Verdict::Pass);
        assert!(matches!(
            verdict(&t, "8", &returned(json!(false))),
            Verdict::Fail(_)
        ));
        assert_eq!(verdict(&t, "7", &returned(json!(7))), Verdict::Pass);
        assert!(
            matches!(verdict(&t, "8", &returned(json!(7.0))), Verdict::Fail(f) if f.contains("computed 7"))
        );
        assert!(matches!(
            verdict(&t, "7", &returned(json!("yes"))),
            Verdict::Broken(_)
        ));
        assert!(
            matches!(verdict(&t, "7", &crashed("NameError: x")), Verdict::Broken(e) if e.contains("NameError"))
        );
        assert!(matches!(
            verdict(&t, "8", &crashed("Traceback\nAssertionError")),
            Verdict::Fail(_)
        ));
        let mut none = returned(json!(null));
        none.result = None;
        assert!(matches!(verdict(&t, "7", &none), Verdict::Broken(e) if e.contains("nothing")));
    }

    #[tokio::test]
    async fn scripted_wrong_answer_caught_refined_contrasted_and_verified() {
        let m = Scripted::new([
            "3 + 4 = 8. The answer is 8.",             // initial
            PROGRAM,                                   // ProgVe
            "3 + 4 = 7. The answer is 7.",             // ProgRe: refined
            "B is right: 3 + 4 = 7. The answer is 7.", // contrast
        ]);
        let runner = FakeRunner::new(vec![returned(json!(false)), returned(json!(true))]);
        let sol = ProgCo::new(Settings::default(), runner.clone())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(
            (sol.initial.as_deref(), sol.answer.as_deref()),
            (Some("8"), Some("7"))
        );
        assert_eq!(sol.stop, "verified after 1 refinement rounds");
        assert_eq!(sol.cost.calls, 4);
        assert_eq!(sol.cost.program_runs, 2);
        let ran = runner.ran();
        assert_eq!(
            ran[0].1,
            json!(8),
            "the verifier ran on the answer as a number"
        );
        assert_eq!(ran[1].1, json!(7));
        assert!(ran[0].0.starts_with("def verify(answer):"));
        let reqs = m.requests();
        assert!(
            reqs[2].messages[3]
                .content
                .contains("verify(8) returned False"),
            "{:?}",
            reqs[2].messages[3]
        );
        assert!(reqs[3].messages[1]
            .content
            .contains("Solution A:\n3 + 4 = 8"));
        let kinds: Vec<StepKind> = sol.trace.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                StepKind::Answer,
                StepKind::Program,
                StepKind::Run,
                StepKind::Refine,
                StepKind::Contrast,
                StepKind::Run
            ]
        );
    }

    #[tokio::test]
    async fn scripted_insisting_refines_the_verifier() {
        let m = Scripted::new([
            "The answer is 7.",
            "```python\ndef verify(answer):\n    return answer == 8\n```",
            "I checked again. The answer is 7.", // stands by 7
            PROGRAM,                             // the fixed verifier
        ]);
        let runner = FakeRunner::new(vec![returned(json!(false)), returned(json!(true))]);
        let sol = ProgCo::new(Settings::default(), runner.clone())
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert_eq!(sol.stop, "verified after 1 refinement rounds");
        assert!(
            runner.ran()[1].0.contains("answer - 4 == 3"),
            "the refined verifier ran"
        );
        // The verifier's fix continues the program conversation.
        let fix = &m.requests()[3].messages;
        assert_eq!(fix.len(), 4);
        assert!(fix[3].content.contains("may be wrong"));
    }

    #[tokio::test]
    async fn scripted_broken_verifier_is_fixed_and_rounds_are_capped() {
        let m = Scripted::new([
            "The answer is 8.",
            "def verify(answer):\n    return undefined_name",
            "def verify(answer):\n    return answer == 7",
            "The answer is 8.", // insists
            "def verify(answer):\n    return answer == 7",
        ]);
        let runner = FakeRunner::new(vec![
            crashed("NameError: name 'undefined_name' is not defined"),
            returned(json!(false)),
            returned(json!(false)),
        ]);
        let sol = ProgCo::new(Settings::default(), runner.clone())
            .rounds(2)
            .solve(&m, &task())
            .await
            .unwrap();
        assert_eq!(sol.stop, "2 rounds done, still not verified");
        assert_eq!(sol.answer.as_deref(), Some("8"));
        assert_eq!(sol.cost.program_runs, 3, "rounds + 1 verifications");
        assert_eq!(m.remaining(), 0);
        assert!(m.requests()[2].messages[3].content.contains("NameError"));
    }

    #[tokio::test]
    async fn scripted_no_initial_answer_is_not_run() {
        let m = Scripted::new(["I like turtles", PROGRAM, "The answer is 7."]);
        let runner = FakeRunner::new(vec![returned(json!(true))]);
        let sol = ProgCo::new(Settings::default(), runner.clone())
            .rounds(1)
            .solve(&m, &task())
            .await
            .unwrap();
        // Round 0 fails without a run; the refinement's answer is adopted without a contrast
        // (there is nothing to contrast it with) and passes in round 1.
        assert_eq!(sol.initial, None);
        assert_eq!(sol.answer.as_deref(), Some("7"));
        assert_eq!(sol.cost.calls, 3);
        assert_eq!(sol.cost.program_runs, 1);
        assert_eq!(runner.ran().len(), 1);
        assert_eq!(sol.stop, "verified after 1 refinement rounds");
    }
}
