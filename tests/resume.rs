//! A resumable eval: `hone eval toy` on the real default model is killed with SIGKILL mid-run,
//! restarted, and finishes with every episode counted exactly once.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TASKS: usize = 5;

fn eval_cmd(out: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hone"));
    c.args([
        "eval",
        "toy",
        "--tasks",
        &TASKS.to_string(),
        "--trials",
        "1",
        "--max-steps",
        "4",
        "--run",
        "r1",
        "--out",
    ])
    .arg(out)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    c
}

fn lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .unwrap_or(0)
}

#[test]
fn killed_eval_resumes_and_counts_each_episode_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let jsonl = out.join("trajectories.jsonl");

    let mut child = eval_cmd(&out).spawn().expect("starting hone eval toy");
    let t0 = Instant::now();
    while lines(&jsonl) < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "no episode finished in 300 s"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("hone eval toy exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done_before = lines(&jsonl);
    println!("killed after {done_before} of {TASKS} episodes");
    assert!(
        done_before < TASKS,
        "the eval finished before it could be killed; the test proves nothing"
    );

    let out2 = eval_cmd(&out).output().expect("rerunning hone eval toy");
    assert!(
        out2.status.success(),
        "resumed run failed: {}",
        String::from_utf8_lossy(&out2.stdout)
    );
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let eps: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = eps
        .iter()
        .map(|e| e["task"]["id"].as_str().unwrap())
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), TASKS, "episodes in trajectories.jsonl: {ids:?}");
    assert_eq!(unique.len(), TASKS, "an episode was counted twice: {ids:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["tasks"], TASKS);
    assert_eq!(summary["episodes"], TASKS);
}
