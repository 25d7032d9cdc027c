//! Sessions on the real Python guest: state kept across snippets, errors that leave it intact,
//! limits that end the guest (and say so) with the next snippet starting afresh, host calls,
//! and a snippet round trip fast enough for code actions.

mod common;

use std::time::{Duration, Instant};

use hone_sandbox::{HostFunctions, LimitKind, RunOptions, RunStatus, Session};
use serde_json::json;

fn session(opts: RunOptions) -> Session {
    Session::new(common::sandbox(), opts)
}

#[tokio::test]
async fn state_persists_and_errors_keep_it() {
    let mut s = session(RunOptions::new());
    assert!(s
        .run("x = 40\ndef inc(v):\n    return v + 1")
        .await
        .unwrap()
        .is_success());
    let out = s.run("x = inc(inc(x))\nprint(x)").await.unwrap();
    assert_eq!(out.stdout, "42\n");
    assert!(!out.state_lost);
    let err = s.run("print('before')\n1 / 0").await.unwrap();
    assert_eq!(err.status, RunStatus::Failed { exit_code: 1 });
    assert_eq!(err.stdout, "before\n");
    assert!(err.stderr.contains("ZeroDivisionError") && err.stderr.contains("<snippet>"));
    assert!(!err.state_lost);
    // sys.exit in a snippet is an error of that snippet, not the end of the session.
    let exit = s.run("import sys\nsys.exit(3)").await.unwrap();
    assert!(!exit.is_success() && !exit.state_lost);
    assert_eq!(s.run("print(x)").await.unwrap().stdout, "42\n");
    assert_eq!(s.starts, 1);
}

#[tokio::test]
async fn limits_end_the_guest_and_the_next_snippet_starts_afresh() {
    let opts = RunOptions::new()
        .timeout(Duration::from_millis(500))
        .memory_limit(64 << 20);
    let mut s = session(opts);
    s.run("kept = 1").await.unwrap();
    for (code, limit) in [
        ("while True:\n    pass", LimitKind::Timeout),
        ("import time\ntime.sleep(3600)", LimitKind::Timeout),
        ("b = bytearray(1 << 30)", LimitKind::Memory),
    ] {
        let t0 = Instant::now();
        let out = s.run(code).await.unwrap();
        assert_eq!(out.limit(), Some(limit), "{code}: {out:?}");
        assert!(out.state_lost, "{code}");
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{code}: {:?}",
            t0.elapsed()
        );
        let next = s.run("print('kept' in globals())").await.unwrap();
        assert_eq!(next.stdout, "False\n", "{code}: a fresh guest");
        assert!(
            next.state_lost,
            "the next snippet is told the state was lost"
        );
        s.run("kept = 1").await.unwrap();
    }
    let calm = s.run("print(kept)").await.unwrap();
    assert!(!calm.state_lost && calm.stdout == "1\n");
}

#[tokio::test]
async fn host_calls_and_containment_in_a_session() {
    let host = HostFunctions::new()
        .grant("env.step", |a| {
            Ok(json!(format!("you did {}", a[0].as_str().unwrap_or("?"))))
        })
        .grant("env.hang", |_| {
            std::thread::sleep(Duration::from_secs(30));
            Ok(json!(null))
        });
    let mut s = session(
        RunOptions::new()
            .host(host)
            .timeout(Duration::from_millis(800)),
    );
    let out = s
        .run("obs = env.step('go to desk 1')\nprint(obs)")
        .await
        .unwrap();
    assert_eq!(out.stdout, "you did go to desk 1\n");
    assert_eq!(out.host_calls, 1);
    let refused = s.run("env.fly()").await.unwrap();
    assert!(refused.stderr.contains("AttributeError") || refused.stderr.contains("HostError"));
    assert!(!refused.state_lost);
    let hung = s.run("env.hang()").await.unwrap();
    assert_eq!(hung.limit(), Some(LimitKind::Timeout));
    assert!(s
        .run("print(env.step('look'))")
        .await
        .unwrap()
        .stdout
        .contains("you did look"));
}

#[tokio::test]
async fn a_warm_snippet_round_trip_takes_about_a_millisecond() {
    let mut s = session(RunOptions::new());
    s.run("n = 0").await.unwrap();
    let mut times = Vec::new();
    for _ in 0..30 {
        let t0 = Instant::now();
        let out = s.run("n += 1").await.unwrap();
        times.push(t0.elapsed());
        assert!(out.is_success());
    }
    times.sort();
    let p50 = times[times.len() / 2];
    println!("warm snippet round trip p50 {p50:?}");
    // Not a timing test (hone bench sandbox measures it): only a sanity bound.
    assert!(p50 < Duration::from_millis(200), "{p50:?}");
    assert_eq!(s.run("print(n)").await.unwrap().stdout, "30\n");
}
