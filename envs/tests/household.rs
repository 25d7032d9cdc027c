//! The household world against hand-written games and their expected transcripts (ALFWorld ≤ 0.3
//! strings for every command and failure mode), the step limit, thoughts, admissible actions,
//! the ReAct observation format and game-file errors.

use hone_core::env::Environment;
use hone_envs::household::{prompts, Game, HouseholdEnv, Split, TaskType, World};
use std::path::PathBuf;
use std::sync::Arc;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/household")
}

fn load(name: &str) -> Game {
    let p = dir().join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Replays `X.transcript` against `X.json`: the intro, then `> command` and the exact feedback.
/// A `[won]` line asserts the step before it won the game.
fn replay(stem: &str) {
    let game = load(&format!("{stem}.json"));
    let script = std::fs::read_to_string(dir().join(format!("{stem}.transcript"))).unwrap();
    let mut env = HouseholdEnv::from_game(game).unwrap();
    let mut blocks = script.split("\n> ");
    let intro = blocks.next().unwrap();
    assert_eq!(env.restart(), intro.trim_end_matches('\n'));
    let mut checked = 0;
    for block in blocks {
        let (cmd, expected) = block.split_once('\n').unwrap();
        let expected_won = expected.contains("[won]");
        let expected = expected.replace("[won]", "");
        let before = env.admissible();
        let step = env.act(cmd);
        assert_eq!(
            step.observation,
            expected.trim_end_matches('\n'),
            "{stem}: after `{cmd}`"
        );
        assert_eq!(step.won, expected_won, "{stem}: won after `{cmd}`");
        assert_eq!(step.done, expected_won, "{stem}: done after `{cmd}`");
        // Valid exactly when admissible (after trimming), as in TextWorld's PddlEnv.
        let admissible = before.iter().any(|a| a == cmd.trim());
        assert_eq!(
            admissible,
            step.observation != "Nothing happens.",
            "{stem}: `{cmd}` admissible={admissible}"
        );
        checked += 1;
    }
    assert!(checked > 10);
}

#[test]
fn kitchen_transcript_matches_alfworld_strings() {
    replay("kitchen");
}

#[test]
fn bedroom_transcript_lamp_and_look_goal() {
    replay("bedroom");
}

/// Every `examineObject.feedback` rule of ALFWorld's alfred.twl2 (≤ 0.3) that a game can reach,
/// in its order: a receptacle-object (mug, plate) is "normal" even when hot; hot; hot and clean;
/// cool and clean (cool clears hot); cold (a task-kind object that starts in the fridge);
/// clean; a lamp is "on" only once `use`d (a lamp that starts lit, ALFWorld's `isOn`, still
/// reads as nothing special); the default. Also a cabinet that cannot be opened (no
/// `openable` fact in ALFWorld's game: `On the cabinet 2, …`, `open` → `Nothing happens.`)
/// sharing a location with one that can (`go to` the other → `Nothing happens.`; `look` faces
/// both).
#[test]
fn examine_transcript_covers_every_alfred_twl2_examine_rule() {
    replay("examine");
}

#[test]
fn game_files_round_trip() {
    let g = load("kitchen.json");
    let text = serde_json::to_string_pretty(&g).unwrap();
    assert_eq!(serde_json::from_str::<Game>(&text).unwrap(), g);
    let gen = Split::Unseen.game(3);
    let text = serde_json::to_string(&gen).unwrap();
    assert_eq!(serde_json::from_str::<Game>(&text).unwrap(), gen);
}

#[test]
fn bad_game_files_get_clear_errors() {
    let base = load("kitchen.json");
    let err = |f: &dyn Fn(&mut Game)| {
        let mut g = base.clone();
        f(&mut g);
        World::new(g).err().expect("must be rejected").to_string()
    };
    assert!(err(&|g| g.objects[0].at = "cabinet 9".into())
        .contains("`cabinet 9`, which is not a receptacle"));
    assert!(err(&|g| g.receptacles[1].name = "cabinet 1".into()).contains("appears twice"));
    assert!(err(&|g| g.receptacles[0].name = "Cabinet".into())
        .contains("not `<lowercase kind> <number ≥ 1>`"));
    assert!(err(&|g| g.task.receptacle = None).contains("needs `receptacle`"));
    assert!(err(&|g| g.format = "v0".into()).contains("format"));
    assert!(err(&|g| {
        let i = g
            .receptacles
            .iter()
            .position(|r| r.name.starts_with("countertop"))
            .unwrap();
        g.receptacles[i].openable = Some(true);
    })
    .contains("has no door"));
    let unknown = r#"{"format":"hone-household/1","name":"x","receptacles":[],"objects":[],"task":{"type":"pick_and_place_simple","object":"mug"},"extra":1}"#;
    let e = serde_json::from_str::<Game>(unknown)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `extra`"), "{e}");
    let bad_type = r#"{"type":"juggle","object":"mug"}"#;
    assert!(serde_json::from_str::<hone_envs::household::TaskDef>(bad_type).is_err());
}

#[test]
fn step_limit_counts_invalid_commands_and_thoughts() {
    let mut env = HouseholdEnv::from_game(load("kitchen.json")).unwrap();
    env.restart();
    for i in 1..=49 {
        let s = if i % 2 == 0 {
            env.think("hmm").unwrap()
        } else {
            env.act("dance")
        };
        assert!(!s.done, "done early at {i}");
        if i % 2 == 0 {
            assert_eq!(s.observation, "OK.");
        }
    }
    let last = env.act("go to cabinet 1");
    assert!(
        last.done && !last.won,
        "step 50 ends the episode without a win"
    );
    assert_eq!(env.steps(), 50);
    // After the end, nothing changes.
    assert_eq!(env.act("open cabinet 1").observation, "Nothing happens.");
}

#[tokio::test]
async fn react_format_drops_header_and_arrival_prefix() {
    let mut env = HouseholdEnv::from_game(load("kitchen.json"))
        .unwrap()
        .react_format(true);
    let task = HouseholdEnv::task(&load("kitchen.json"));
    assert_eq!(task.family, "pick_heat_then_place_in_recep");
    let first = env.reset(&task).await.unwrap();
    assert!(
        first.starts_with("You are in the middle of a room."),
        "{first}"
    );
    assert!(first.ends_with("\nYour task is to: heat some mug and put it in coffeemachine."));
    let s = env.step("go to cabinet 1").await.unwrap();
    assert_eq!(s.observation, "The cabinet 1 is closed.");
    let acts = env.admissible_actions().unwrap();
    assert!(acts.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    for a in [
        "open cabinet 1",
        "examine cabinet 1",
        "go to fridge 1",
        "inventory",
        "look",
    ] {
        assert!(acts.iter().any(|x| x == a), "{a} in {acts:?}");
    }
    assert!(!acts.iter().any(|x| x == "go to cabinet 1"));
}

#[test]
fn every_admissible_action_is_accepted_everywhere_on_random_walks() {
    use hone_envs::household::gen::Rng;
    let mut rng = Rng::new(7);
    for i in 0..40 {
        let g = Split::Unseen.game(i);
        let w = Arc::new(World::new(g).unwrap());
        let mut env = HouseholdEnv::new(w).max_steps(1000);
        env.restart();
        for _ in 0..60 {
            let acts = env.admissible();
            let a = rng.pick(&acts).clone();
            let s = env.act(&a);
            assert_ne!(s.observation, "Nothing happens.", "`{a}` was admissible");
            if s.done {
                break;
            }
        }
    }
}

#[test]
fn few_shot_examples_are_winning_plays_in_react_format() {
    for &t in TaskType::ALL {
        for think in [true, false] {
            let ex = prompts::examples(t, think);
            assert_eq!(ex.len(), 2);
            for e in ex {
                assert!(e.starts_with("You are in the middle of a room."), "{e}");
                assert!(e.contains("\nYour task is to: "));
                assert_eq!(e.contains("> think: "), think, "{e}");
                assert!(!e.contains("You arrive at loc"), "{e}");
                assert!(!e.contains("Nothing happens."), "{e}");
            }
        }
    }
}
