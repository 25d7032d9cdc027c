//! `hone skills` and `hone eval household --agent code` end to end, on the real parts: the
//! shipped household library through the static checks into a sled library and back out;
//! a bad skill refused with its problems; the code-action agent and one discovery iteration on
//! the real default model (SmolLM2-135M: too small to solve games, so these check that every
//! part runs and records what it did, not success rates).

use std::path::{Path, PathBuf};
use std::process::Command;

fn hone() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hone"))
}

fn run(c: &mut Command) -> (bool, String) {
    let out = c.output().expect("running hone");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn run_ok(c: &mut Command) -> String {
    let (ok, text) = run(c);
    assert!(ok, "{c:?} failed:\n{text}");
    text
}

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/skills/household")
}

#[test]
fn import_list_show_export_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let text = run_ok(
        hone()
            .args(["skills", "import"])
            .arg(shipped())
            .arg("--library")
            .arg(&lib),
    );
    assert!(text.contains("find_and_take: New"), "{text}");
    assert!(text.contains("(8 skills)"), "{text}");
    // Idempotent: the same files change nothing.
    let again = run_ok(
        hone()
            .args(["skills", "import"])
            .arg(shipped())
            .arg("--library")
            .arg(&lib),
    );
    assert!(again.contains("find_and_take: Unchanged"), "{again}");

    let list = run_ok(hone().args(["skills", "list", "--library"]).arg(&lib));
    assert!(
        list.contains("find_and_take(obj: str, avoid: str='') -> str"),
        "{list}"
    );
    assert!(list.contains("hand-written"), "{list}");

    let show = run_ok(
        hone()
            .args(["skills", "show", "put_in", "--library"])
            .arg(&lib),
    );
    assert!(show.contains("# put_in v1 (household)"), "{show}");
    assert!(show.contains("# calls: receptacles, visit"), "{show}");

    let out = dir.path().join("export");
    run_ok(
        hone()
            .args(["skills", "export"])
            .arg(&out)
            .arg("--library")
            .arg(&lib),
    );
    for f in ["library.json", "find_and_take.py", "look_under_lamp.py"] {
        assert!(out.join(f).exists(), "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("heat.py")).unwrap(),
        std::fs::read_to_string(shipped().join("heat.py")).unwrap()
    );

    // A bad skill: every problem is named, and import refuses the folder.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("grab.py"),
        "import os\ndef grab(x):\n    return env.secret(x) + os.getcwd()\n",
    )
    .unwrap();
    let (ok, text) = run(hone().args(["skills", "check"]).arg(bad.join("grab.py")));
    assert!(!ok, "{text}");
    for needle in ["imports os", "no docstring", "JSON type", "env.secret"] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let (ok, text) = run(hone()
        .args(["skills", "import"])
        .arg(&bad)
        .arg("--library")
        .arg(&lib));
    assert!(!ok && text.contains("nothing imported"), "{text}");
    let list = run_ok(hone().args(["skills", "list", "--library"]).arg(&lib));
    assert!(
        list.contains("8 skills"),
        "the library is untouched: {list}"
    );
}

#[test]
fn code_agent_and_discovery_run_on_the_real_model() {
    let dir = tempfile::tempdir().unwrap();
    // The code agent, constrained to the reply format, with the shipped skills.
    let out = dir.path().join("code");
    let text = run_ok(
        hone()
            .args([
                "eval",
                "household",
                "--agent",
                "code",
                "--constrain",
                "--games",
                "2",
            ])
            .args(["--max-turns", "3", "--skills"])
            .arg(shipped())
            .arg("--out")
            .arg(&out),
    );
    assert!(text.contains("all "), "{text}");
    let jsonl = std::fs::read_to_string(out.join("trajectories.jsonl")).unwrap();
    let eps: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(eps.len(), 2);
    for ep in &eps {
        let steps = ep["steps"].as_array().unwrap();
        assert!(!steps.is_empty());
        for s in steps {
            // The grammar makes every reply a thought plus a code block.
            assert_eq!(s["action"]["kind"], "code", "{s}");
        }
        assert!(
            ep["metrics"]["skills_in_scope"].as_f64().unwrap() >= 3.0,
            "{ep}"
        );
    }
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("8 skills, sha256"), "{manifest}");
    let show = run_ok(hone().arg("show").arg(&out));
    assert!(show.contains("code: "), "{show}");

    // One discovery iteration: it runs without errors and leaves a library and a report.
    let session = dir.path().join("discover");
    let text = run_ok(
        hone()
            .args([
                "skills",
                "discover",
                "--iterations",
                "1",
                "--max-turns",
                "2",
                "--tests",
                "1",
            ])
            .arg("--library")
            .arg(&session),
    );
    assert!(text.contains("library: "), "{text}");
    for f in ["discovery.jsonl", "episodes.jsonl", "report.html"] {
        assert!(session.join(f).exists(), "{f}: {text}");
    }
    let rec: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(session.join("discovery.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(rec["error"].is_null(), "{rec}");
    assert!(rec["practice"]["turns"].as_u64().unwrap() >= 1, "{rec}");
    // A rerun with the same count resumes: nothing left to do.
    let again = run_ok(
        hone()
            .args([
                "skills",
                "discover",
                "--iterations",
                "1",
                "--max-turns",
                "2",
            ])
            .arg("--library")
            .arg(&session),
    );
    assert!(again.contains("1 of 1 iterations done"), "{again}");
}
