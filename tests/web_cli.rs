//! `hone web tasks check` and `hone web judge` on WebArena's own task file and on small task
//! files, without a browser.

use std::path::Path;
use std::process::Command;

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
fn tasks_check_reads_webarenas_file() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("envs/data/webarena/test.raw.json");
    let (ok, text) = run(hone().args(["web", "tasks", "check"]).arg(&f));
    assert!(ok, "{text}");
    assert!(
        text.contains("tasks: 812") && text.ends_with("errors: 0\n"),
        "{text}"
    );
    let (ok, text) = run(hone()
        .args([
            "web",
            "tasks",
            "check",
            "--site",
            "reddit=http://127.0.0.1:9999",
        ])
        .arg(&f));
    assert!(ok, "{text}");
    assert!(!text.contains("__REDDIT__"), "{text}");
}

#[test]
fn judge_scores_answers_and_urls_and_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("t.json");
    std::fs::write(
        &task,
        r#"{"task_id": 1, "start_url": "__SHOPPING__", "intent": "How many items are in the cart?",
            "eval": {"eval_types": ["string_match", "url_match"],
                     "reference_answers": {"must_include": ["3"]},
                     "reference_url": "__SHOPPING__/cart"}}"#,
    )
    .unwrap();
    let site = "shopping=http://127.0.0.1:7770";
    let judge = |answer: &str, url: &str| {
        run(hone()
            .args(["web", "judge", "--config"])
            .arg(&task)
            .args(["--site", site, "--answer", answer, "--url", url]))
    };
    let (ok, text) = judge("There are 3 items.", "http://127.0.0.1:7770/cart/");
    assert!(ok && text.ends_with("score: 1\n"), "{text}");
    let (ok, text) = judge("13", "http://127.0.0.1:7770/cart");
    assert!(
        ok && text.ends_with("score: 0\n"),
        "the one-digit rule: {text}"
    );
    let (ok, text) = judge("3", "http://127.0.0.1:7770/account");
    assert!(ok && text.ends_with("score: 0\n"), "{text}");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"task_id\": 1,").unwrap();
    let (ok, text) = run(hone().args(["web", "tasks", "check"]).arg(&bad));
    assert!(
        !ok && text.contains("is not a WebArena task file"),
        "{text}"
    );
    let (ok, text) = run(hone()
        .args(["web", "judge", "--config"])
        .arg(&task)
        .args(["--answer", "3"]));
    assert!(!ok && text.contains("give --url"), "{text}");
}
