//! The `hone` command line on the real default model.

use std::process::Command;

fn hone(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hone"))
        .args(args)
        .output()
        .expect("running hone")
}

#[test]
fn chat_with_choice_prints_an_option() {
    let out = hone(&[
        "chat",
        "--choice",
        "yes,no",
        "-n",
        "3",
        "--temperature",
        "1.0",
        "Is water wet?",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for l in lines {
        let text = l.split_once("] ").map(|(_, t)| t).unwrap_or(l);
        assert!(text == "yes" || text == "no", "{l}");
    }
}

#[test]
fn chat_with_a_missing_model_says_how_to_get_one() {
    let out = hone(&["chat", "--model", "/nonexistent.gguf", "hi"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent.gguf") && err.contains("fetch-assets"),
        "{err}"
    );
}

#[test]
fn chat_with_an_unreachable_server_fails_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let out = hone(&["chat", "--server", &url, "hi"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach"), "{err}");
}
