//! Scale-out as docs/SCALING.md describes it: three `hone eval household --shard i/3` processes
//! against one `hone serve` (the real default model), merged by `hone report`, give the same
//! games, trials and outcomes as one unsharded run against the same server. The server
//! evaluates every prompt from scratch (`--no-prefix-reuse`); even so the replies' text is not
//! compared, since requests decoded in one batch with other shards' can round differently.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hone"))
        .args(["serve", "--port", "0", "--ctx", "4096", "--no-prefix-reuse"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting hone serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    Server(child, url)
}

fn eval(url: &str, out: &Path, shard: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hone"));
    c.args([
        "eval",
        "household",
        "--agent",
        "react",
        "--games",
        "3",
        "--max-steps",
        "2",
    ])
    .args(["--server", url])
    .arg("--out")
    .arg(out);
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    c.stdout(Stdio::null()).stderr(Stdio::inherit());
    c
}

/// (task, trial) → (won, has steps) for every episode of a run folder. Not the actions' text:
/// the server decodes concurrent shards' requests in one batch, and a batch of another size
/// can round differently and flip a greedy token (seen in a full test run), so only what the
/// merge must preserve is compared.
fn episodes(dir: &Path) -> BTreeMap<(String, u32), (bool, bool)> {
    let (eps, _) = hone_core::eval::load_dir(dir).unwrap();
    eps.into_iter()
        .map(|e| ((e.task.id, e.trial), (e.won, !e.steps.is_empty())))
        .collect()
}

#[test]
fn three_shards_against_one_server_merge_into_the_unsharded_run() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let sharded = dir.path().join("sharded");
    let children: Vec<Child> = (0..3)
        .map(|i| {
            eval(&server.1, &sharded, Some(&format!("{i}/3")))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a shard failed");
    }
    let whole = dir.path().join("whole");
    assert!(eval(&server.1, &whole, None).status().unwrap().success());

    let report = Command::new(env!("CARGO_BIN_EXE_hone"))
        .arg("report")
        .arg(&sharded)
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sharded.join("summary.json")).unwrap())
            .unwrap();
    let single: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(whole.join("summary.json")).unwrap())
            .unwrap();
    for key in ["tasks", "won", "errors", "episodes", "won_by_trial"] {
        assert_eq!(
            merged["arms"][0]["all"][key], single["arms"][0]["all"][key],
            "{key}: the merged shards differ from the unsharded run"
        );
    }
    assert_eq!(merged["arms"][0]["all"]["tasks"], 3);
    assert_eq!(merged["arms"][0]["families"], single["arms"][0]["families"]);
    // Episode by episode: the same games and trials, the same outcomes.
    assert_eq!(episodes(&sharded), episodes(&whole));
    assert_eq!(
        std::fs::read_dir(&sharded)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count(),
        3,
        "one folder per shard"
    );
}
