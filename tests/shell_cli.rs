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
