//! `hone eval reasoning` on the real default model: the table, the files, resuming.

use std::process::Command;

fn hone(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hone"))
        .args(args)
        .output()
        .expect("running hone")
}

#[test]
fn eval_reasoning_prints_writes_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let args = vec![
        "eval",
        "reasoning",
        "--strategy",
        "baseline,sc,ioe",
        "--items",
        "2",
        "--n",
        "3",
        "--max-tokens",
        "24",
        "--feedback-tokens",
        "16",
        "--threads",
        "1",
        "--out",
        out_dir,
    ];
    let mut first = args.clone();
    first.extend(["--cost-items", "1"]);
    let out = hone(&first);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "arm",
        "baseline",
        "sc ",
        "ioe",
        "confidence",
        "critique",
        "calls/task",
        "sampling cost over 1 items, n = 3",
        "2 tasks: 2 run now, 0 taken from the store",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing in\n{stdout}");
    }
    // The arms come in the order the strategies were listed.
    let arms: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("arm"))
        .skip(1)
        .take(3)
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(arms, ["baseline", "sc", "ioe"], "{stdout}");
    let lines = std::fs::read_to_string(dir.path().join("trajectories.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 6);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("<table>") && html.contains("<details"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["arms"].as_array().unwrap().len(), 3);
    assert!(std::fs::read_to_string(dir.path().join("summary.txt"))
        .unwrap()
        .contains("baseline"));

    // Rerunning computes nothing new.
    let out = hone(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("2 tasks: 0 run now, 2 taken from the store"),
        "{stdout}"
    );
}

#[test]
fn eval_reasoning_names_the_strategies_it_knows() {
    let out = hone(&["eval", "reasoning", "--strategy", "magic"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'magic'")
            && err.contains("self-certainty, ioe, checklist, all"),
        "{err}"
    );
}
