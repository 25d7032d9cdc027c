//! InterCode-Bash's tasks (`{"query", "gold"}`, one file per file system), read unchanged, and
//! the file systems' setup scripts, shipped in envs/data/intercode; and hone's own suite in the
//! same format (plus a `difficulty`) over hone's own file system, in envs/data/hone-shell.

use hone_core::env::TaskSpec;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// InterCode's four file systems: (id, setup script, tasks).
pub const FILE_SYSTEMS: &[(u8, &str, &str)] = &[
    (
        1,
        include_str!("../../data/intercode/setup_nl2b_fs_1.sh"),
        include_str!("../../data/intercode/nl2bash_fs_1.json"),
    ),
    (
        2,
        include_str!("../../data/intercode/setup_nl2b_fs_2.sh"),
        include_str!("../../data/intercode/nl2bash_fs_2.json"),
    ),
    (
        3,
        include_str!("../../data/intercode/setup_nl2b_fs_3.sh"),
        include_str!("../../data/intercode/nl2bash_fs_3.json"),
    ),
    (
        4,
        include_str!("../../data/intercode/setup_nl2b_fs_4.sh"),
        include_str!("../../data/intercode/nl2bash_fs_4.json"),
    ),
];

/// hone's own file system's id (InterCode's are 1 to 4).
pub const HONE_FS: u8 = 5;
const HONE_SETUP: &str = include_str!("../../data/hone-shell/setup_hone_fs.sh");
const HONE_TASKS: &str = include_str!("../../data/hone-shell/tasks.json");

/// One task as InterCode writes it: the query, and the gold command (a string, or a list that
/// InterCode joins with `;`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShellTask {
    pub query: String,
    pub gold: Gold,
    /// hone's suite grades its tasks (`easy`, `medium`, `hard`); InterCode's files have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Gold {
    One(String),
    Many(Vec<String>),
}

impl Gold {
    /// The command InterCode runs: the string, or the list joined with `;`.
    pub fn command(&self) -> String {
        match self {
            Gold::One(s) => s.clone(),
            Gold::Many(v) => v.join(";"),
        }
    }
}

/// A task file (a JSON list of tasks) → tasks; errors name the index.
pub fn parse(text: &str) -> anyhow::Result<Vec<ShellTask>> {
    let v: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("not an InterCode task file (a JSON list): {e}"))?;
    v.into_iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::from_value(t)
                .map_err(|e| anyhow::anyhow!("task {i} is not {{query, gold}}: {e}"))
        })
        .collect()
}

/// InterCode's 200 tasks as [`TaskSpec`]s: id `fsN-I`, family `fsN`, goal = the query, config
/// = the task plus its file system.
pub fn intercode() -> anyhow::Result<Vec<TaskSpec>> {
    let mut out = Vec::new();
    for (fs, _, tasks) in FILE_SYSTEMS {
        for (i, t) in parse(tasks)?.into_iter().enumerate() {
            out.push(spec(&format!("fs{fs}-{i}"), *fs, &t));
        }
    }
    Ok(out)
}

/// hone's own suite (46 tasks: 15 easy, 15 medium, 16 hard) on file system [`HONE_FS`]: id
/// `hone-I`, family = the difficulty.
pub fn bundled() -> anyhow::Result<Vec<TaskSpec>> {
    Ok(parse(HONE_TASKS)?
        .iter()
        .enumerate()
        .map(|(i, t)| spec(&format!("hone-{i}"), HONE_FS, t))
        .collect())
}

/// A task on file system `fs` as a [`TaskSpec`]; its family is its difficulty when it has one,
/// else the file system (`fsN`).
pub fn spec(id: &str, fs: u8, t: &ShellTask) -> TaskSpec {
    TaskSpec::new(id)
        .family(t.difficulty.clone().unwrap_or_else(|| format!("fs{fs}")))
        .goal(t.query.clone())
        .config(json!({"query": t.query, "gold": t.gold, "fs": fs}))
}

/// The setup script of file system `fs` (InterCode's 1 to 4, hone's [`HONE_FS`]).
pub fn setup_script(fs: u8) -> Option<&'static str> {
    if fs == HONE_FS {
        return Some(HONE_SETUP);
    }
    FILE_SYSTEMS.iter().find(|f| f.0 == fs).map(|f| f.1)
}
