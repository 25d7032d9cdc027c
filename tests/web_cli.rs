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

/// `hone eval web` on two bundled tasks with the real default model in real Chromium,
/// constrained to WebArena's actions (so llama.cpp must accept the page's action grammar):
/// the run folder has the episodes, a screenshot per task shown in the report, and a rerun
/// resumes instead of running again; other settings in the same folder are refused.
#[test]
fn eval_web_on_bundled_tasks_with_the_real_model_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let args = |steps: &str| {
        let mut c = hone();
        c.args([
            "eval",
            "web",
            "--task-id",
            "0",
            "--task-id",
            "20",
            "--constrain",
        ])
        .args(["--max-steps", steps, "--concurrency", "2", "--out"])
        .arg(&out);
        c
    };
    let (ok, text) = run(&mut args("3"));
    assert!(ok, "{text}");
    assert!(text.contains("2 tasks: 2 run now"), "{text}");
    let lines = std::fs::read_to_string(out.join("trajectories.jsonl")).unwrap();
    let eps: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(eps.len(), 2, "{lines}");
    let verbs = [
        "think:",
        "click [",
        "hover [",
        "type [",
        "press [",
        "scroll [",
        "new_tab",
        "tab_focus [",
        "close_tab",
        "goto [",
        "go_back",
        "go_forward",
        "stop [",
    ];
    for e in &eps {
        let steps = e["steps"].as_array().unwrap();
        assert!(!steps.is_empty(), "{e}");
        for s in steps {
            let raw = s["raw"].as_str().unwrap().trim();
            assert!(
                verbs.iter().any(|v| raw.starts_with(v)),
                "a constrained line that is not an action: {raw:?}"
            );
        }
        let id = e["task"]["id"].as_str().unwrap();
        assert!(
            out.join(format!("screens/{id}.png")).is_file(),
            "screenshot of {id}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<img src=\"screens/0.png\""),
        "report shows the screenshot"
    );
    let (ok, text) = run(&mut args("3"));
    assert!(ok, "{text}");
    assert!(text.contains("0 run now, 2 taken from the store"), "{text}");
    let (ok, text) = run(&mut args("4"));
    assert!(
        !ok && text.contains("max steps"),
        "other settings refused: {text}"
    );
}

/// Bad input is named: a file that is not a task file, a site nobody mapped, an unknown task
/// id, a browser that will not start; an unreachable site is an error episode and the eval
/// still writes its report.
#[test]
fn eval_web_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let (ok, text) = run(hone().args(["eval", "web", "--tasks"]).arg(&bad));
    assert!(
        !ok && text.contains("is not a WebArena task file"),
        "{text}"
    );

    let unmapped = dir.path().join("gitlab.json");
    std::fs::write(
        &unmapped,
        r#"[{"task_id": 5, "sites": ["gitlab"], "start_url": "__GITLAB__", "intent": "x",
             "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "y"}}}]"#,
    )
    .unwrap();
    let (ok, text) = run(hone().args(["eval", "web", "--tasks"]).arg(&unmapped));
    assert!(!ok, "{text}");
    assert!(
        text.contains("__GITLAB__ is not mapped") && text.contains("no task of"),
        "{text}"
    );

    let (ok, text) = run(hone().args(["eval", "web", "--task-id", "nope"]));
    assert!(!ok && text.contains("no task nope"), "{text}");

    let (ok, text) = run(hone()
        .args([
            "eval",
            "web",
            "--task-id",
            "0",
            "--judge-model",
            "no-such-judge",
            "--out",
        ])
        .arg(dir.path().join("nojudge")));
    assert!(!ok && text.contains("loading no-such-judge"), "{text}");

    let (ok, text) = run(hone()
        .env("HONE_CHROMIUM", dir.path().join("no-such-chromium"))
        .args(["eval", "web", "--task-id", "0", "--out"])
        .arg(dir.path().join("nochrome")));
    assert!(!ok && text.contains("no-such-chromium"), "{text}");

    let out = dir.path().join("unreachable");
    let (ok, text) = run(hone()
        .args(["eval", "web", "--tasks"])
        .arg(&unmapped)
        .args(["--site", "gitlab=http://127.0.0.1:9", "--out"])
        .arg(&out));
    assert!(ok, "the eval goes on: {text}");
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let line = std::fs::read_to_string(out.join("trajectories.jsonl")).unwrap();
    assert!(
        line.contains("127.0.0.1:9"),
        "the error names the URL: {line}"
    );
    assert!(summary.contains("\"errors\": 1"), "{summary}");
}

/// `hone env web play`: a person's actions on stdin, the score at the end.
#[test]
fn env_web_play_scores_a_typed_answer() {
    use std::io::Write;
    let play = |task: &str, input: &str| {
        let mut c = hone()
            .args(["env", "web", "play", "--task", task])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = c.wait_with_output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = play("1", "scroll [down]\nstop [3]\n");
    assert!(ok, "{text}");
    assert!(text.contains("OBJECTIVE: How many reviews"), "{text}");
    assert!(text.trim_end().ends_with("score: 1"), "{text}");
    let (ok, text) = play("1", "stop [4]\n");
    assert!(ok && text.trim_end().ends_with("score: 0"), "{text}");
    let (ok, text) = play("nope", "");
    assert!(!ok && text.contains("no task nope"), "{text}");
}

/// `hone eval web --agent code` with the real default model: the code agent's episodes run in
/// the sandbox against real Chromium and end in the report (a 135M model rarely solves one).
#[test]
fn eval_web_code_agent_with_the_real_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("code");
    let (ok, text) = run(hone()
        .args([
            "eval",
            "web",
            "--agent",
            "code",
            "--task-id",
            "0",
            "--max-turns",
            "2",
            "--judge-model",
            "smollm2-135m",
        ])
        .args(["--out"])
        .arg(&out));
    assert!(ok, "{text}");
    let line = std::fs::read_to_string(out.join("trajectories.jsonl")).unwrap();
    let ep: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let steps = ep["steps"].as_array().unwrap();
    assert!(!steps.is_empty() && steps.len() <= 2, "{ep}");
    assert!(ep["error"].is_null(), "no environment or model error: {ep}");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"code\""), "{manifest}");
    assert!(
        manifest.contains("smollm2-135m"),
        "the judge is recorded: {manifest}"
    );
}

/// The pids of the processes whose parent is `parent` and whose command names Chromium.
fn chromium_children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let cmd = std::fs::read_to_string(e.path().join("cmdline")).unwrap_or_default();
        // pid (comm) state ppid …: the fields after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && cmd.contains("chromium") {
            out.push(pid);
        }
    }
    out
}

/// Whether `pid` still runs (a zombie waiting for its reaper does not count).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

/// Starts `hone env web play --task 0` (with `HONE_CHROMIUM` when given) and reads its first
/// line, so that the browser is up.
fn play(chromium: Option<&std::path::Path>) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut cmd = hone();
    cmd.args(["env", "web", "play", "--task", "0"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(p) = chromium {
        cmd.env("HONE_CHROMIUM", p);
    }
    let mut c = cmd.spawn().unwrap();
    let mut first = String::new();
    BufReader::new(c.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("OBJECTIVE"), "{first}");
    c
}

/// Kills hone and waits up to 15 s for every one of `browsers` to end; returns (and kills)
/// those still running.
fn kill_and_collect(mut hone: std::process::Child, browsers: Vec<u32>) -> Vec<u32> {
    hone.kill().unwrap();
    hone.wait().unwrap();
    let t = std::time::Instant::now();
    while browsers.iter().any(|&p| running(p)) && t.elapsed().as_secs() < 15 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let left: Vec<u32> = browsers.into_iter().filter(|&p| running(p)).collect();
    for p in &left {
        let _ = Command::new("kill").args(["-9", &p.to_string()]).status();
    }
    left
}

/// A hone killed by a signal drops nothing, and Chromium does not die with its parent: the
/// browser's watchdog ends it (a killed eval must not leave a browser running).
#[test]
fn a_killed_hone_leaves_no_browser_behind() {
    let c = play(None);
    let browsers = chromium_children(c.id());
    assert!(!browsers.is_empty(), "hone launched Chromium");
    let left = kill_and_collect(c, browsers);
    assert!(left.is_empty(), "Chromium outlived a killed hone: {left:?}");
}

/// A `HONE_CHROMIUM` that is a wrapper script running the browser as its child (not `exec`:
/// Debian's own `/usr/bin/chromium-headless-shell` is such a script) must not leave that child
/// running when hone is killed: the launcher puts the browser in a process group of its own and
/// the watchdog ends the group.
#[test]
fn a_wrapper_scripts_browser_ends_with_hone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("hone-wrapper-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrapper = dir.join("chromium-wrapper");
    let browser = hone_envs::web::browser::HEADLESS_SHELL;
    std::fs::write(&wrapper, format!("#!/bin/sh\n'{browser}' \"$@\"\n")).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = play(Some(&wrapper));
    let wrappers = chromium_children(c.id());
    assert_eq!(wrappers.len(), 1, "hone ran the wrapper: {wrappers:?}");
    let browsers = chromium_children(wrappers[0]);
    assert!(
        !browsers.is_empty(),
        "the wrapper ran Chromium as its child"
    );
    // Killed: only the watchdog is left to end the browser.
    let left = kill_and_collect(c, browsers);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        left.is_empty(),
        "the wrapper's Chromium outlived hone: {left:?}"
    );
}
