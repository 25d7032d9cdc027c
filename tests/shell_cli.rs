//! `hone eval shell` and `hone env shell play` end to end: InterCode's tasks in the real jail,
//! the gold commands as the agent, the real default model as a ReAct agent, and bad input.

use std::io::Write;
use std::process::{Command, Stdio};

fn hone() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hone"))
}

fn run(c: &mut Command) -> (bool, String) {
    let out = c.output().expect("running hone");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn gold_and_the_real_model_on_intercode_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("gold");
    let (ok, text) = run(hone()
        .args([
            "eval",
            "shell",
            "--agent",
            "gold",
            "--task-id",
            "fs1-1",
            "--task-id",
            "fs4-6",
        ])
        .arg("--out")
        .arg(&gold));
    assert!(ok, "{text}");
    assert!(
        text.contains("2 tasks: 2 run now") && text.contains("mean InterCode reward: 1.000"),
        "{text}"
    );

    let react = dir.path().join("react");
    let (ok, text) = run(hone()
        .args(["eval", "shell", "--task-id", "fs1-1", "--max-steps", "3"])
        .arg("--out")
        .arg(&react));
    assert!(ok, "{text}");
    let line = std::fs::read_to_string(react.join("trajectories.jsonl")).unwrap();
    let ep: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert!(ep["error"].is_null(), "{ep}");
    assert!(!ep["steps"].as_array().unwrap().is_empty(), "{ep}");
    assert!(text.contains("mean InterCode reward"), "{text}");
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"query": "list files"}]"#).unwrap();
    let (ok, text) = run(hone()
        .args(["eval", "shell", "--agent", "gold", "--tasks"])
        .arg(&bad));
    assert!(
        !ok && text.contains("is not an InterCode task file") && text.contains("task 0"),
        "{text}"
    );
    let (ok, text) = run(hone().args(["eval", "shell", "--agent", "gold", "--task-id", "nope"]));
    assert!(!ok && text.contains("no task nope"), "{text}");
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"[{"query": "x", "gold": "ls"}]"#).unwrap();
    let (ok, text) = run(hone()
        .args(["eval", "shell", "--agent", "gold", "--fs", "9", "--tasks"])
        .arg(&good));
    assert!(!ok && text.contains("no file system 9"), "{text}");
}

#[test]
fn play_runs_commands_and_scores_a_submission() {
    let mut c = hone()
        .args(["env", "shell", "play", "--task", "fs1-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(b"cd /testbed && ls\nfind /testbed/dir2/subdir2 -type f -print0 | sort -z | xargs -r0 md5sum | md5sum\nsubmit\n")
        .unwrap();
    let out = c.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("dir1") && text.contains("textfile7.txt"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("reward: 1"), "{text}");
}

/// hone's own suite from the command line: the gold row over all of it (every gold 1.0, a table
/// per difficulty), then the code-action agent on the real default model (its code runs in the
/// sandbox and reaches the jail only through `sh.run`; what it scores is the model's affair,
/// the episode must be recorded with its calls and no error).
#[test]
fn bundled_suite_gold_row_and_the_code_agent_on_the_real_model() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("gold");
    let (ok, text) = run(hone()
        .args(["eval", "shell", "--tasks", "bundled", "--agent", "gold"])
        .arg("--out")
        .arg(&gold));
    assert!(ok, "{text}");
    assert!(
        text.contains("46 tasks: 46 run now") && text.contains("mean InterCode reward: 1.000"),
        "{text}"
    );
    for d in ["easy", "medium", "hard"] {
        assert!(text.contains(d), "a row per difficulty: {text}");
    }

    let code = dir.path().join("code");
    let (ok, text) = run(hone()
        .args([
            "eval",
            "shell",
            "--tasks",
            "bundled",
            "--task-id",
            "hone-0",
            "--agent",
            "code",
            "--max-turns",
            "2",
        ])
        .arg("--out")
        .arg(&code));
    assert!(ok, "{text}");
    let line = std::fs::read_to_string(code.join("trajectories.jsonl")).unwrap();
    let ep: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert!(ep["error"].is_null(), "{ep}");
    let steps = ep["steps"].as_array().unwrap();
    assert!(!steps.is_empty() && steps.len() <= 2, "{ep}");
    assert!(
        steps
            .iter()
            .all(|s| s["action"]["kind"] == "code" || s["action"]["kind"] == "invalid"),
        "the model's turns were read as code blocks: {ep}"
    );
    let manifest = std::fs::read_to_string(code.join("manifest.json")).unwrap();
    assert!(manifest.contains("code agent"), "{manifest}");
    let (ok, text) = run(hone()
        .args(["eval", "shell", "--agent", "gold", "--skills", "nowhere"])
        .arg("--out")
        .arg(dir.path().join("x")));
    assert!(
        !ok && text.contains("--skills is for --agent code"),
        "{text}"
    );
}
