//! The shell environment's jail (real bash in real bubblewrap) and InterCode's tasks and reward
//! on InterCode's own file systems.

use hone_core::env::Environment;
use hone_envs::shell::jail::{Jail, JailConfig};
use hone_envs::shell::task::{bundled, intercode, parse, Gold};
use hone_envs::shell::{Images, ShellEnv, ShellEnvConfig};
use std::time::{Duration, Instant};

fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(d.path().join("etc")).unwrap();
    std::fs::write(
        d.path().join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.path().join("testbed")).unwrap();
    std::fs::create_dir_all(d.path().join("tmp")).unwrap();
    hone_envs::shell::fs::chown_tree(d.path()).unwrap();
    d
}

fn fast() -> JailConfig {
    JailConfig {
        timeout: Duration::from_secs(3),
        cpu_seconds: 5,
        file_mb: 8,
        processes: 64,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_shell_keeps_its_directory_and_variables() {
    let d = tree();
    let mut j = Jail::new(d.path(), fast());
    let o = j.run("echo hello; whoami").await.unwrap();
    assert_eq!(o.text, "hello\nroot\n", "{o:?}");
    assert_eq!(o.status, Some(0));
    j.run("cd /testbed && X=42").await.unwrap();
    let o = j.run("pwd; echo $X; false").await.unwrap();
    assert_eq!((o.text.as_str(), o.status), ("/testbed\n42\n", Some(1)));
    assert_eq!(j.cwd(), "/testbed");
    let o = j.run("echo 'unterminated").await.unwrap();
    assert!(
        o.text.contains("unexpected EOF"),
        "a syntax error is an error: {o:?}"
    );
    let o = j.run("cat <<EOF\nheredoc\nEOF").await.unwrap();
    assert_eq!(o.text, "heredoc\n");
    let o = j.run("exit 3").await.unwrap();
    assert_eq!(o.status, None);
    let o = j.run("pwd").await.unwrap();
    assert!(o.restarted && o.text == "/testbed\n", "{o:?}");
}

#[tokio::test]
async fn nothing_of_the_host_is_reachable() {
    let d = tree();
    let mut j = Jail::new(d.path(), fast());
    let project = env!("CARGO_MANIFEST_DIR");
    let o = j
        .run(&format!(
            "cat /etc/shadow; ls /root/.cargo; ls {project}; touch /usr/x; echo ok > /testbed/mine"
        ))
        .await
        .unwrap();
    assert!(o.text.contains("/etc/shadow: No such file"), "{}", o.text);
    assert!(o.text.contains("/root/.cargo': No such file"), "{}", o.text);
    assert!(o.text.contains("No such file or directory"), "{}", o.text);
    assert!(o.text.contains("Read-only file system"), "{}", o.text);
    assert_eq!(
        std::fs::read_to_string(d.path().join("testbed/mine")).unwrap(),
        "ok\n"
    );
    let o = j
        .run("(exec 3<>/dev/tcp/127.0.0.1/22) 2>&1 || echo refused; (exec 3<>/dev/tcp/1.1.1.1/80) 2>&1 || echo unreachable")
        .await
        .unwrap();
    assert!(
        o.text.contains("refused") && o.text.contains("unreachable"),
        "{}",
        o.text
    );
}

#[tokio::test]
async fn hostile_commands_hit_a_limit_and_the_next_command_works() {
    let d = tree();
    let mut j = Jail::new(d.path(), fast());
    // A fork bomb: the process limit stops it; strays are killed after the command.
    let t = Instant::now();
    let o = j.run(":(){ :|:& };:").await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let after = j.run("echo alive").await.unwrap();
    assert!(after.text.ends_with("alive\n"), "{o:?} then {after:?}");
    // Endless output into a file, and 10 GB from /dev/zero: the file-size limit.
    let o = j.run("yes > /testbed/f; echo status $?").await.unwrap();
    assert!(
        o.text.contains("File size limit exceeded") || o.text.contains("status 153"),
        "{o:?}"
    );
    let o = j
        .run("cat /dev/zero | head -c 10G > /testbed/g; echo status $?")
        .await
        .unwrap();
    assert!(o.text.contains("status 1"), "{o:?}");
    let size = std::fs::metadata(d.path().join("testbed/g")).unwrap().len();
    assert!(size <= 8 * 1024 * 1024, "{size}");
    // Endless output to the terminal: cut, then the time-out.
    let o = j.run("yes").await.unwrap();
    assert!(o.timed_out, "{:?}", o.text.len());
    // A sleeper: the time-out kills the jail; the next command runs in a fresh shell.
    let t = Instant::now();
    let o = j.run("sleep 1000").await.unwrap();
    assert!(o.timed_out && t.elapsed() < Duration::from_secs(6));
    let o = j.run("echo back").await.unwrap();
    assert!(o.restarted && o.text == "back\n", "{o:?}");
    // Nothing is left behind once the jail is gone.
    j.run("sleep 7777 &").await.unwrap();
    drop(j);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&ps.stdout).contains("sleep 7777"),
        "a process outlived its jail"
    );
}

#[tokio::test]
async fn a_jail_that_cannot_start_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap(); // 0700, owned by root: nobody cannot enter it
    let mut j = Jail::new(d.path().join("missing"), fast());
    let e = j.run("echo hi").await.unwrap_err();
    assert!(format!("{e:#}").contains("the jail did not start"), "{e:#}");
}

#[tokio::test]
async fn intercode_tasks_load_and_gold_scores_one() {
    let all = intercode().unwrap();
    assert_eq!(all.len(), 200, "InterCode-Bash has 200 tasks");
    assert!(parse("{").is_err() && parse(r#"[{"query": "x"}]"#).is_err());
    let images = Images::new().unwrap();
    let mut env = ShellEnv::new(images.clone(), ShellEnvConfig::default());
    // A read-only task, a task that creates a file in a tracked folder and one that makes new
    // folders at the root (file systems 1 and 4).
    for id in ["fs1-1", "fs1-44", "fs4-6"] {
        let t = all.iter().find(|t| t.id == id).unwrap();
        let gold = t.config["gold"].as_str().unwrap().to_string();
        let q = env.reset(t).await.unwrap();
        assert_eq!(q, t.goal);
        let out = env.step(&gold).await.unwrap();
        let s = env.step("submit").await.unwrap();
        let r = env.scored.clone().unwrap();
        assert!(
            r.similarity == 1.0 || !out.observation.is_empty(),
            "{id}: the gold command ran: {out:?} {r:?}"
        );
        assert!(
            s.done && s.won,
            "{id}: gold scores 1: {} {:?}",
            s.observation,
            env.scored
        );
        // A wrong command scores below 1.
        env.reset(t).await.unwrap();
        env.step("echo nothing useful > /testbed/wrong.txt")
            .await
            .unwrap();
        let s = env.step("submit").await.unwrap();
        assert!(s.done && !s.won, "{id}: {} {:?}", s.observation, env.scored);
        assert!(env.scored.as_ref().unwrap().reward < 1.0);
    }
}

/// hone's own suite: every gold command scores 1.0 on hone's file system, and submitting without
/// doing anything scores below 1 (so each task asks for something the file system does not
/// already show).
#[tokio::test]
async fn hone_suite_gold_scores_one_and_doing_nothing_does_not() {
    let all = bundled().unwrap();
    assert!(all.len() >= 40, "{} tasks", all.len());
    for d in ["easy", "medium", "hard"] {
        assert!(
            all.iter().filter(|t| t.family == d).count() >= 10,
            "at least 10 {d} tasks"
        );
    }
    let images = Images::new().unwrap();
    let mut env = ShellEnv::new(images.clone(), ShellEnvConfig::default());
    let mut failed = Vec::new();
    for t in &all {
        let gold: Gold = serde_json::from_value(t.config["gold"].clone()).unwrap();
        env.reset(t).await.unwrap();
        let out = env.step(&gold.command()).await.unwrap();
        let s = env.step("submit").await.unwrap();
        if !(s.done && s.won) {
            failed.push(format!("{}: gold {out:?} → {:?}", t.id, env.scored));
        }
        env.reset(t).await.unwrap();
        let s = env.step("submit").await.unwrap();
        if !s.done || s.won {
            failed.push(format!("{}: doing nothing won: {:?}", t.id, env.scored));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));

    // A file's executable bit is part of its state (git records it): the same output without
    // the `chmod +x` misses a change.
    let t = all.iter().find(|t| t.id == "hone-45").unwrap();
    env.reset(t).await.unwrap();
    env.step("APP_ENV=production bash /project/scripts/deploy.sh")
        .await
        .unwrap();
    let s = env.step("submit").await.unwrap();
    let r = env.scored.clone().unwrap();
    assert!(
        !s.won
            && r.similarity > 0.99
            && r.diff_miss == [("project/scripts/deploy.sh".to_string(), "M".to_string())],
        "{r:?}"
    );
}

/// InterCode's multi-turn protocol: with every turn scored, the command that solves the task
/// ends the episode (no `submit`), and an episode that never solves it keeps its best turn.
#[tokio::test]
async fn scoring_every_turn_ends_at_one_and_keeps_the_best_turn() {
    let all = bundled().unwrap();
    let t = all.iter().find(|t| t.id == "hone-0").unwrap(); // wc -l < sales.csv: 21
    let images = Images::new().unwrap();
    let mut env = ShellEnv::new(
        images.clone(),
        ShellEnvConfig {
            score_each_turn: true,
            max_steps: 3,
            ..Default::default()
        },
    );
    env.reset(t).await.unwrap();
    let s = env.step("ls /project").await.unwrap();
    assert!(!s.done, "{s:?}");
    // A submit that does not solve it is one more turn (InterCode's loop only ends at 1.0),
    // and its observation is the last command's output.
    let s = env.step("submit").await.unwrap();
    assert!(!s.done && s.observation.contains("data"), "{s:?}");
    let s = env.step("wc -l < /project/data/sales.csv").await.unwrap();
    assert!(s.done && s.won && (s.reward - 1.0).abs() < 1e-9, "{s:?}");
    assert!(s.observation.starts_with("21"), "{}", s.observation);

    // Never solved: a near miss (the count with the file name: output similarity < 1), then
    // two misses; the episode's reward is the near miss's.
    env.reset(t).await.unwrap();
    env.step("wc -l /project/data/sales.csv").await.unwrap();
    env.step("echo nothing").await.unwrap();
    let s = env.step("true").await.unwrap();
    let near = env.scored.clone().unwrap();
    assert!(s.done && !s.won, "{s:?}");
    assert!(
        near.answer_similarity > 0.0 && s.reward > 0.67 && s.reward < 1.0,
        "the best turn's reward: {near:?}"
    );
    // Without the protocol, the same commands score the last state (empty output: 0.67).
    let mut plain = ShellEnv::new(
        images,
        ShellEnvConfig {
            max_steps: 3,
            ..Default::default()
        },
    );
    plain.reset(t).await.unwrap();
    plain.step("wc -l /project/data/sales.csv").await.unwrap();
    plain.step("echo nothing").await.unwrap();
    let s2 = plain.step("true").await.unwrap();
    assert!(s2.done && s2.reward < s.reward, "{s2:?} vs {s:?}");
}
