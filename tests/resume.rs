//! Resumable evals on the real default model: `hone eval toy` killed with SIGKILL mid-run (and
//! between a failed trial and its reflection) restarts and finishes with every episode and
//! every reflection counted exactly once; a run folder refuses other settings by name.

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
    assert_eq!(summary["arms"][0]["all"]["tasks"], TASKS);
    assert_eq!(summary["arms"][0]["all"]["episodes"], TASKS);
}

fn toy(out: &std::path::Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hone"));
    c.args(["eval", "toy", "--tasks", "2", "--max-steps", "3"])
        .args(extra)
        .arg("--out")
        .arg(out);
    c
}

#[test]
fn a_resume_with_other_settings_is_refused_and_the_same_settings_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let first = toy(&out, &["--trials", "1"]).output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let refused = toy(&out, &["--trials", "1", "--constrain"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("constrained: stored `false`, now `true`") && err.contains("--out"),
        "{err}"
    );
    // Same settings, one more trial: only the new episodes run (trials are not a setting).
    let again = toy(&out, &["--trials", "2"]).output().unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let eps = hone_core::trajectory::read_jsonl(&out.join("trajectories.jsonl")).unwrap();
    assert!(eps.iter().all(|e| e.trial <= 1), "{text}");
    let trial0: Vec<_> = eps.iter().filter(|e| e.trial == 0).collect();
    assert_eq!(trial0.len(), 2, "trial 0 was not run again: {text}");
}

/// `HONE_FAILPOINT=episode-stored` makes hone kill itself with SIGKILL right after it stores a
/// trial's episode, before the reflection on it is written. The rerun must write each missing
/// reflection once, run each later trial once, and never duplicate an episode.
#[test]
fn killed_between_an_episode_and_its_reflection_the_rerun_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let killed = toy(&out, &["--trials", "2"])
        .env("HONE_FAILPOINT", "episode-stored")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(killed.status.signal(), Some(9), "the failpoint killed hone");
    let stored =
        hone_core::trajectory::read_jsonl(&out.join("trajectories.jsonl")).unwrap_or_default();
    assert!(
        stored.is_empty(),
        "killed before the JSONL export: {stored:?}"
    );

    let done = toy(&out, &["--trials", "2"]).output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let eps = hone_core::trajectory::read_jsonl(&out.join("trajectories.jsonl")).unwrap();
    let mut keys: Vec<(String, u32)> = eps.iter().map(|e| (e.task.id.clone(), e.trial)).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "an episode was stored twice: {keys:?}");
    let store = hone_core::Store::open(out.join("store")).unwrap();
    for e in &eps {
        let reflections = store.reflections_for_task("run", &e.task, 10).unwrap();
        let after_this: Vec<_> = reflections.iter().filter(|r| r.trial == e.trial).collect();
        if !e.won && e.trial == 0 {
            // A failed first trial is followed by exactly one reflection and a second trial.
            assert_eq!(after_this.len(), 1, "{}: {reflections:?}", e.task.id);
            assert_eq!(e.reflection.as_deref(), Some(after_this[0].text.as_str()));
            assert!(eps.iter().any(|x| x.task.id == e.task.id && x.trial == 1));
        } else {
            assert!(after_this.is_empty(), "{}: {reflections:?}", e.task.id);
        }
    }
}
