//! `hone env household play`, `hone eval household` (oracle, shards, resume, report) and the
//! report rendered by a real headless Chromium; plus one Reflexion run on the real default model.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn hone() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hone"))
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().expect("running hone");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{c:?} failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The fields of the `all` row of an eval's table: tasks, won, failed, errors, success, steps.
fn all_row(text: &str) -> Vec<String> {
    text.lines()
        .find(|l| l.starts_with("all "))
        .unwrap_or_else(|| panic!("no `all` row in\n{text}"))
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn game(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("envs/tests/household")
        .join(name)
}

#[test]
fn play_reads_commands_on_stdin() {
    let mut child = hone()
        .args(["env", "household", "play", "--game"])
        .arg(game("bedroom.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"go to desk 1\nuse desklamp 1\nthink: now the clock\ngo to safe 1\nfly\nopen safe 1\ntake alarmclock 1 from safe 1\ngo to desk 1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = "You are in the middle of a room. Looking quickly around you, you see a bed 1, a desk 1, and a safe 1.
Your task is to: look at alarmclock under the desklamp.
> go to desk 1
On the desk 1, you see a desklamp 1.
> use desklamp 1
You turn on the desklamp 1.
> think: now the clock
OK.
> go to safe 1
The safe 1 is closed.
> fly
Nothing happens.
> open safe 1
You open the safe 1. The safe 1 is open. In it, you see a alarmclock 1.
> take alarmclock 1 from safe 1
You pick up the alarmclock 1 from the safe 1.
> go to desk 1
On the desk 1, you see a desklamp 1.
[done: won after 8 steps]
";
    assert_eq!(text, expected);
}

#[test]
fn bad_game_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    std::fs::write(&p, r#"{"format":"hone-household/1","name":"b","receptacles":[{"name":"desk 1","loc":1}],"objects":[{"name":"mug 1","at":"shelf 1"}],"task":{"type":"pick_and_place_simple","object":"mug","receptacle":"desk"}}"#).unwrap();
    let out = hone()
        .args(["env", "household", "play", "--game"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("`shelf 1`, which is not a receptacle"),
        "{err}"
    );
}

#[test]
fn oracle_eval_in_shards_merges_into_one_report_rendered_by_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("oracle");
    for s in ["0/2", "1/2"] {
        let text = run_ok(
            hone()
                .args([
                    "eval",
                    "household",
                    "--agent",
                    "oracle",
                    "--games",
                    "12",
                    "--shard",
                    s,
                    "--out",
                ])
                .arg(&out),
        );
        assert_eq!(
            all_row(&text)[..5],
            ["6", "6", "0", "0", "100.0%"],
            "{text}"
        );
    }
    // Rerunning a shard resumes: nothing new is written.
    let jsonl = out.join("shard-0-of-2/trajectories.jsonl");
    let sorted_lines = |p: &Path| {
        let mut v: Vec<String> = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let before = sorted_lines(&jsonl);
    assert_eq!(before.len(), 6);
    run_ok(
        hone()
            .args([
                "eval",
                "household",
                "--agent",
                "oracle",
                "--games",
                "12",
                "--shard",
                "0/2",
                "--out",
            ])
            .arg(&out),
    );
    assert!(
        sorted_lines(&jsonl) == before,
        "a resumed run rewrote different episodes"
    );

    let text = run_ok(
        hone()
            .arg("report")
            .arg(&out)
            .args(["--title", "oracle shards"]),
    );
    assert_eq!(
        all_row(&text)[..5],
        ["12", "12", "0", "0", "100.0%"],
        "{text}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["arms"][0]["all"]["tasks"], 12);
    assert_eq!(summary["arms"][0]["all"]["won"], 12);
    assert_eq!(summary["title"], "oracle shards");

    // Two folders side by side: one comparison row each.
    let cmp = dir.path().join("cmp.html");
    let text = run_ok(
        hone()
            .arg("report")
            .arg(out.join("shard-0-of-2"))
            .arg(out.join("shard-1-of-2"))
            .arg("--out")
            .arg(&cmp),
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("shard-")).collect();
    assert_eq!(
        rows.len(),
        4,
        "arms table and success-by-type table:\n{text}"
    );
    assert!(rows[0].starts_with("shard-0-of-2") && rows[0].contains("100.0%"));
    assert!(std::fs::read_to_string(&cmp).unwrap().contains("<svg"));

    // The report renders in a real browser: Chromium lays out every plot.
    let html = out.join("report.html");
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is missing: run `make deps` (apt-get install chromium)");
    let dom = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<h1>oracle shards</h1>"), "{dom}");
    assert_eq!(
        dom.matches("<svg").count(),
        2,
        "success by type and the steps histogram (one trial: no per-trial plot)"
    );
    assert!(dom.contains("pick_two_obj_and_place"));
    // Every episode opens from the per-task table.
    assert_eq!(dom.matches("<details").count(), 12, "{dom}");
    assert_eq!(dom.matches("class=\"won\" href=\"#ep-").count(), 12);
}

#[test]
fn a_run_folder_refuses_other_settings_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run_ok(
        hone()
            .args([
                "eval",
                "household",
                "--agent",
                "oracle",
                "--games",
                "2",
                "--out",
            ])
            .arg(&out),
    );
    let refused = hone()
        .args([
            "eval",
            "household",
            "--agent",
            "react",
            "--games",
            "2",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("agent: stored `oracle`, now `react`") && err.contains("--out"),
        "{err}"
    );
    // Unknown values of closed sets are refused by the parser, listing the choices.
    let bad = hone()
        .args(["eval", "household", "--agent", "magic"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("possible values: react, act, reflexion, oracle"),
        "{err}"
    );
}

#[test]
fn export_writes_game_files_that_eval_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let games = dir.path().join("games");
    run_ok(
        hone()
            .args([
                "env",
                "household",
                "export",
                "--split",
                "valid_seen",
                "--games",
                "3",
                "--out",
            ])
            .arg(&games),
    );
    assert_eq!(std::fs::read_dir(&games).unwrap().count(), 3);
    let text = run_ok(
        hone()
            .args(["eval", "household", "--agent", "oracle", "--games-dir"])
            .arg(&games)
            .arg("--out")
            .arg(dir.path().join("run")),
    );
    assert_eq!(
        all_row(&text)[..5],
        ["3", "3", "0", "0", "100.0%"],
        "{text}"
    );
}

/// The real default model through ReAct + Reflexion: two unseen games, two trials each (solved
/// games rerun), short episodes. Asserts structure, not success (a 135M model rarely wins).
#[test]
fn reflexion_eval_on_the_real_default_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rx");
    let text = run_ok(
        hone()
            .args([
                "eval",
                "household",
                "--agent",
                "reflexion",
                "--games",
                "2",
                "--trials",
                "2",
                "--rerun-solved",
                "--max-steps",
                "4",
                "--out",
            ])
            .arg(&out),
    );
    println!("{text}");
    let eps = hone_core::trajectory::read_jsonl(&out.join("trajectories.jsonl")).unwrap();
    assert_eq!(eps.len(), 4, "2 games x 2 trials");
    for e in &eps {
        assert!(e.model.contains("SmolLM2"), "{}", e.model);
        assert!(!e.steps.is_empty() && e.steps.len() <= 4);
        assert!(e.usage.completion_tokens > 0);
        assert!(e.task.family.starts_with("pick_") || e.task.family == "look_at_obj_in_light");
    }
    // The second trial's prompt reuses the cached prefix: far fewer tokens evaluated than sent.
    let total: u64 = eps.iter().map(|e| e.usage.prompt_tokens as u64).sum();
    let evaluated: u64 = eps
        .iter()
        .map(|e| e.usage.prompt_tokens_evaluated as u64)
        .sum();
    assert!(evaluated * 2 < total, "evaluated {evaluated} of {total}");
    assert!(
        text.contains("confidence / critique between trials:"),
        "{text}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Confidence and critique</h2>"));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("SmolLM2-135M-Instruct.Q4_1.gguf (98.4 MB, sha256 b179c9523d0e6a0f)"),
        "{manifest}"
    );
}
