//! Containment of code actions and skills, on the real sandbox: a call that was not granted, a
//! loop that never ends (in the agent's code and inside a skill), unbounded allocation and a
//! write to the host's files are each stopped with a clear message; the session and the
//! episode go on, and the task is still solved afterwards. Malformed replies and a block sent
//! again unchanged are told what is wrong. The model is scripted (it plays
//! the misbehaving agent).

use hone_core::env::KeyDoorWorld;
use hone_core::llm::Scripted;
use hone_core::trajectory::{Action, StopReason};
use hone_sandbox::SandboxConfig;
use hone_skills::{CodeAgent, CodeAgentConfig, Provenance, Skill};
use std::sync::Arc;
use std::time::Duration;

fn block(code: &str) -> String {
    format!("Thought: next.\n```python\n{code}\n```")
}

/// The code agent on the key-and-door room, without skills or examples.
async fn key_door_episode(
    model: Arc<Scripted>,
    max_turns: usize,
) -> hone_core::trajectory::Episode {
    let sb = SandboxConfig::new().build().unwrap();
    CodeAgent::new(model, sb, "A room with a door.")
        .config(CodeAgentConfig {
            max_turns,
            ..Default::default()
        })
        .run_env(
            Box::new(KeyDoorWorld::new()),
            &KeyDoorWorld::task(),
            &[],
            &[],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_code_is_stopped_and_the_episode_goes_on() {
    let sb = SandboxConfig::new().memory_limit(96 << 20).build().unwrap();
    let api: Vec<String> = hone_skills::api::names("household");
    let spin = Skill::from_code(
        &sb,
        "def spin(n: int) -> int:\n    \"\"\"Counts forever (a broken skill).\n\n    Example: spin(1)\n    \"\"\"\n    while True:\n        n += 1\n",
        "household",
        &api,
        &[],
        Provenance::default(),
    )
    .await
    .expect("an endless loop passes the static checks: only running it shows the problem");
    let host_dir = tempfile::tempdir().unwrap();
    let marker = host_dir.path().join("written-by-guest");
    let replies = [
        block("host_call('fs.read', '/etc/passwd')"),
        block("env.delete_everything()"),
        block("x = 41\nwhile True:\n    pass"),
        block("print('x' in globals())"),
        block("chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 20))"),
        block(&format!(
            "open({:?}, 'w').write('hi')",
            marker.display().to_string()
        )),
        block("spin(0)"),
        block("print(env.step('go to table 1'))\nprint(env.step('take key 1 from table 1'))"),
        block("print(env.step('go to door 1'))\nprint(env.step('open door 1'))"),
    ];
    let model = Arc::new(Scripted::new(replies.iter().map(String::as_str)));
    let agent = CodeAgent::new(model, sb, "A room with a door.").config(CodeAgentConfig {
        max_turns: 12,
        snippet_timeout: Duration::from_secs(2),
        ..Default::default()
    });
    let ep = agent
        .run_env(
            Box::new(KeyDoorWorld::new()),
            &KeyDoorWorld::task(),
            &[spin],
            &[],
        )
        .await
        .unwrap();
    let obs: Vec<&str> = ep.steps.iter().map(|s| s.observation.as_str()).collect();
    let t = ep.transcript();
    assert!(obs[0].contains("not granted"), "{t}");
    assert!(
        obs[1].contains("AttributeError") && obs[1].contains("delete_everything"),
        "{t}"
    );
    assert!(
        obs[2].contains("Timeout") && obs[2].contains("variables are lost"),
        "{t}"
    );
    assert!(
        obs[3].contains("session was restarted") && obs[3].contains("False"),
        "{t}"
    );
    assert!(
        obs[4].contains("Memory") || obs[4].contains("MemoryError"),
        "{t}"
    );
    assert!(obs[5].contains("Error"), "{t}");
    assert!(!marker.exists(), "the guest wrote to the host");
    assert!(
        obs[6].contains("Timeout"),
        "a skill that never returns is stopped: {t}"
    );
    let Action::Code { calls, .. } = &ep.steps[6].action else {
        panic!()
    };
    assert_eq!(calls[0].name, "spin");
    // …and the episode went on to solve the task.
    assert!(ep.won, "{t}");
    assert_eq!(ep.stop, StopReason::Done);
    assert_eq!(ep.steps.len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_replies_are_told_what_to_write() {
    let model = Arc::new(Scripted::new([
        "I think I should open the door.",
        "Thought: ok\n```python\n```",
        "Thought: syntax\n```python\nprint(env.step('look'\n```",
        "```python\nprint(env.step('look'))\n```",
    ]));
    let ep = key_door_episode(model, 4).await;
    assert!(matches!(ep.steps[0].action, Action::Invalid { .. }));
    assert!(ep.steps[0].observation.contains("```python"));
    assert!(ep.steps[1].observation.contains("empty"));
    assert!(
        ep.steps[2].observation.contains("SyntaxError"),
        "{}",
        ep.transcript()
    );
    assert!(ep.steps[3]
        .observation
        .contains("You are in the middle of the room"));
    assert_eq!(ep.stop, StopReason::MaxSteps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_sent_again_unchanged_is_told_so_before_the_repeat_guard_stops_it() {
    let same = block("print(env.step('open door 1'))");
    let model = Arc::new(Scripted::new([same.clone(), same.clone(), same]));
    let ep = key_door_episode(model.clone(), 5).await;
    assert_eq!(ep.steps.len(), 3, "{}", ep.transcript());
    assert_eq!(ep.stop, StopReason::Repeated);
    let note = "the same as your previous one";
    assert!(!ep.steps[0].observation.contains(note));
    assert!(
        ep.steps[1].observation.contains(note),
        "{}",
        ep.steps[1].observation
    );
    // The model saw the note before its third block.
    let reqs = model.requests();
    let last = reqs[2].messages.last().unwrap();
    assert!(last.content.contains(note), "{}", last.content);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_malformed_reply_again_and_again_is_stopped_by_the_repeat_guard() {
    // Scripted model: the reply the 0.5B model sent ten times in a row, a thought with no block.
    let bad = "Thought: put the candle on the cabinet.";
    let model = Arc::new(Scripted::new([
        bad,
        bad,
        bad,
        "Thought: go\n```python\nprint(env.step('look'))\n```",
    ]));
    let ep = key_door_episode(model, 5).await;
    assert_eq!(ep.steps.len(), 3, "{}", ep.transcript());
    assert!(ep
        .steps
        .iter()
        .all(|s| matches!(s.action, Action::Invalid { .. })));
    assert_eq!(ep.stop, StopReason::Repeated);
    assert_eq!(ep.metrics.get("guard_repeat"), Some(&1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_blocks_sent_in_turn_with_the_same_results_are_stopped_by_the_cycle_guard() {
    // Scripted model: A, B, A, B where nothing changes between them; the repeat guard alone
    // (the same block in a row) never fires on this.
    let a = block("print(env.step('look'))");
    let b = block("print(env.step('inventory'))");
    let model = Arc::new(Scripted::new([
        a.clone(),
        b.clone(),
        a,
        b,
        block("print(env.step('take key'))"),
    ]));
    let ep = key_door_episode(model, 6).await;
    assert_eq!(ep.steps.len(), 4, "{}", ep.transcript());
    assert_eq!(ep.stop, StopReason::Repeated);
    assert_eq!(ep.metrics.get("guard_cycle"), Some(&1.0));
}
