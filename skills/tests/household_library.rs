//! The hand-written household library (`examples/skills/household`) on the real sandbox and the
//! real household world: imported through the static checks, retrieved for goals, and called by
//! a code-action agent whose model is scripted (it writes the right call sequence for each task
//! type, so this measures the skills, not a model) on all 134 unseen games.

use hone_core::env::Environment;
use hone_core::llm::Scripted;
use hone_core::trajectory::Action;
use hone_envs::household::{HouseholdEnv, Split, TaskType, World};
use hone_sandbox::{Sandbox, SandboxConfig};
use hone_skills::agent::CodeAgentConfig;
use hone_skills::household::{INSTRUCTIONS, KIND};
use hone_skills::{CodeAgent, SkillLibrary};
use std::path::Path;
use std::sync::Arc;

fn sandbox() -> Sandbox {
    SandboxConfig::new().build().expect("building the sandbox")
}

fn library_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/skills/household"
    ))
}

/// The code a competent planner writes for a goal, with the library's skills.
fn plan(t: &hone_envs::household::TaskDef) -> String {
    let o = &t.object;
    let r = t.receptacle.clone().unwrap_or_default();
    let body = match t.kind {
        TaskType::PickAndPlaceSimple => format!("x = find_and_take('{o}')\nput_in(x, '{r}')"),
        TaskType::PickCleanThenPlaceInRecep => {
            format!("x = find_and_take('{o}')\nclean(x)\nput_in(x, '{r}')")
        }
        TaskType::PickHeatThenPlaceInRecep => {
            format!("x = find_and_take('{o}')\nheat(x)\nput_in(x, '{r}')")
        }
        TaskType::PickCoolThenPlaceInRecep => {
            format!("x = find_and_take('{o}')\ncool(x)\nput_in(x, '{r}')")
        }
        TaskType::LookAtObjInLight => format!(
            "look_under_lamp('{o}', '{}')",
            t.lamp.clone().unwrap_or_default()
        ),
        TaskType::PickTwoObjAndPlace => format!(
            "a = find_and_take('{o}')\nput_in(a, '{r}')\nb = find_and_take('{o}', avoid='{r}')\nput_in(b, '{r}')"
        ),
    };
    format!("Thought: the plan for this task type.\n```python\n{body}\n```")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_written_library_imports_retrieves_and_solves_unseen_games() {
    let sb = sandbox();
    let lib = SkillLibrary::temporary().unwrap();
    let added = lib
        .import(library_dir(), &sb, "household")
        .await
        .expect("the shipped library passes its checks");
    assert_eq!(added.len(), 8, "{added:?}");
    assert_eq!(lib.examples("household").unwrap().len(), 2);
    let fat = lib.get("find_and_take").unwrap().unwrap();
    assert_eq!(fat.calls, ["receptacles", "visit"]);
    assert_eq!(fat.provenance.source, "hand-written");
    assert!(fat.api.contains(&"env.step".to_string()), "{:?}", fat.api);

    // Retrieval: the goal's verb finds its skill; scope adds what it calls.
    let top = lib
        .retrieve("cool some mug and put it in cabinet", "household", None, 3)
        .unwrap();
    let names: Vec<&str> = top.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"cool"), "{names:?}");
    let scope = lib.scope(&top).unwrap();
    let pos = |n: &str| scope.iter().position(|s| s.name == n);
    assert!(
        pos("visit").unwrap() < pos("cool").unwrap(),
        "callees come first"
    );

    // Every unseen game, the right calls: how often do the skills alone solve it, in how many
    // environment actions?
    let all = lib.list().unwrap();
    let games = Split::Unseen.games();
    let (mut won, mut actions, mut over50) = (0usize, Vec::new(), 0usize);
    let mut failures = Vec::new();
    for g in &games {
        let world = Arc::new(World::new(g.clone()).unwrap());
        let task = HouseholdEnv::task(g);
        let env: Box<dyn Environment> =
            Box::new(HouseholdEnv::new(world).react_format(true).max_steps(1000));
        let model = Arc::new(Scripted::new([plan(&g.task).as_str()]));
        let agent = CodeAgent::new(model, sb.clone(), INSTRUCTIONS).config(CodeAgentConfig {
            max_turns: 1,
            max_actions: 1000,
            ..Default::default()
        });
        let ep = agent.run_env(env, &task, &all, &[]).await.unwrap();
        let n = ep.metrics.get("env_actions").copied().unwrap_or(0.0) as usize;
        if ep.won {
            won += 1;
            actions.push(n);
            over50 += usize::from(n > 50);
        } else {
            failures.push(format!(
                "{}: {}",
                task.id,
                ep.steps.last().map_or("", |s| s.observation.as_str())
            ));
        }
        // The calls are in the trajectory, skills and the env actions inside them.
        let Action::Code { calls, .. } = &ep.steps[0].action else {
            panic!("a code step")
        };
        assert!(calls
            .iter()
            .any(|c| c.name == "find_and_take" || c.name == "look_under_lamp"));
        assert!(calls.iter().any(|c| c.name == "env.step" && c.depth > 0));
    }
    actions.sort_unstable();
    let median = actions.get(actions.len() / 2).copied().unwrap_or(0);
    println!(
        "hand-written library, scripted calls: {won}/{} unseen games won; env actions median {median}, max {}, {over50} over 50",
        games.len(),
        actions.last().copied().unwrap_or(0)
    );
    for f in &failures {
        println!("  not won: {f}");
    }
    assert!(won * 100 >= games.len() * 95, "{won}/{}", games.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_gives_the_agent_retrieved_skills_and_library_examples() {
    let sb = sandbox();
    let lib = SkillLibrary::temporary().unwrap();
    lib.import(library_dir(), &sb, "household").await.unwrap();
    let model = Arc::new(Scripted::new(["unused"]));
    let r = KIND.runner(
        model,
        sb,
        CodeAgentConfig::default(),
        Some(lib),
        3,
        1,
        hone_core::ReflectionVariant::Retry,
    );
    let task = hone_core::env::TaskSpec::new("t")
        .family("pick_heat_then_place_in_recep")
        .goal("heat some egg and put it in countertop");
    let (skills, examples) = r.context_for(&task).unwrap();
    let names: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"heat") && names.contains(&"put_in"),
        "{names:?}"
    );
    assert!(
        names.contains(&"visit"),
        "dependencies are in scope: {names:?}"
    );
    assert_eq!(examples.len(), 2);
    let system = r.agent.system(&skills);
    assert!(system.contains("def heat(obj: str) -> str:"), "{system}");
}

/// The raw-API worked examples (what the agent sees without a library) are code that works:
/// each task type's example, written for the game's object and target, solves the unseen games
/// of its type on the real world and sandbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_worked_examples_solve_their_task_types_on_unseen_games() {
    use hone_skills::household::{raw_example, raw_examples};
    let sb = sandbox();
    let shipped = raw_examples();
    assert_eq!(shipped.len(), 6, "one per task type");
    for e in &shipped {
        println!("Your task is to: {}\n{}\n", e.task, e.code);
    }
    let (mut won, mut failures) = (0usize, Vec::new());
    let games = Split::Unseen.games();
    for g in &games {
        let t = &g.task;
        let target = match t.kind {
            TaskType::LookAtObjInLight => t.lamp.clone().unwrap(),
            _ => t.receptacle.clone().unwrap(),
        };
        let reply = raw_example(t.kind, &t.object, &target).code;
        let world = Arc::new(World::new(g.clone()).unwrap());
        let task = HouseholdEnv::task(g);
        let env: Box<dyn Environment> =
            Box::new(HouseholdEnv::new(world).react_format(true).max_steps(1000));
        let model = Arc::new(Scripted::new([reply.as_str()]));
        let agent = CodeAgent::new(model, sb.clone(), INSTRUCTIONS).config(CodeAgentConfig {
            max_turns: 1,
            max_actions: 1000,
            ..Default::default()
        });
        let ep = agent.run_env(env, &task, &[], &[]).await.unwrap();
        if ep.won {
            won += 1;
        } else {
            failures.push(format!("{}: {}", task.id, ep.steps[0].observation));
        }
    }
    println!("raw worked examples: {won}/{} unseen games", games.len());
    assert!(
        won * 100 >= games.len() * 90,
        "{won}/{}: {failures:#?}",
        games.len()
    );
}

/// A command of the agent's own that the room ignores (`Nothing happens.`) and that is not
/// valid now gets a note with the valid commands most like it; the room's answer is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_command_gets_a_note_with_the_valid_ones_like_it() {
    let g = Split::Unseen.game(0);
    let world = Arc::new(World::new(g.clone()).unwrap());
    let task = HouseholdEnv::task(&g);
    let env: Box<dyn Environment> = Box::new(HouseholdEnv::new(world).react_format(true));
    let model = Arc::new(Scripted::new([
        "Thought: go.\n```python\nc = [x for x in env.admissible() if x.startswith('go to ')][0]\nprint(env.step('go to ' + c))\n```",
    ]));
    let agent = CodeAgent::new(model, sandbox(), INSTRUCTIONS).config(CodeAgentConfig {
        max_turns: 1,
        ..Default::default()
    });
    let ep = agent.run_env(env, &task, &[], &[]).await.unwrap();
    let obs = &ep.steps[0].observation;
    assert!(obs.contains("\nNothing happens."), "{obs}");
    assert!(
        obs.contains("Note: 'go to go to ")
            && obs.contains("is not a valid command here; valid commands like it: 'go to "),
        "{obs}"
    );
    assert_eq!(
        hone_skills::api::invalid_command_hint(
            "put mug 1 on shelf 1",
            &["put mug 1 in/on shelf 1".into(), "go to shelf 1".into(), "inventory".into()]
        ),
        "'put mug 1 on shelf 1' is not a valid command here; valid commands like it: 'put mug 1 in/on shelf 1'."
    );
    assert_eq!(
        hone_skills::api::invalid_command_hint(
            "go to shelf 2",
            &["go to shelf 1".into(), "go to drawer 2".into(), "examine shelf 2".into(), "take pen 1 from shelf 2".into()]
        ),
        "'go to shelf 2' is not a valid command here; valid commands like it: 'examine shelf 2', 'take pen 1 from shelf 2'."
    );
}

/// Without a library the agent is shown the raw worked example of its own task type first
/// (ReAct's rule), whichever of ALFWorld's two goal phrasings the game uses.
#[test]
fn the_raw_examples_of_the_tasks_own_type_come_first() {
    let examples = hone_skills::household::raw_examples();
    for kind in TaskType::ALL {
        for template in kind.templates() {
            let goal = template
                .replace("{o}", "mug")
                .replace("{r}", "shelf")
                .replace("{l}", "floorlamp");
            let task = hone_core::env::TaskSpec::new("t")
                .family(kind.name())
                .goal(&goal);
            let picked = hone_skills::agent::rank_examples(&examples, &task, 2);
            assert_eq!(picked.len(), 2);
            assert_eq!(picked[0].family, kind.name(), "{goal}");
        }
    }
}

/// Discovery asks for a named function per task type, with the practice task's own values as
/// the example arguments.
#[test]
fn practice_tasks_know_the_skill_they_should_become() {
    use hone_skills::discover::PracticeEnv;
    let practice = hone_skills::household::HouseholdPractice::default();
    for (family, name, second) in [
        ("puttwo", "put_two", "receptacle"),
        ("examine", "look_under_lamp", "lamp"),
        ("heat", "heat_and_put", "receptacle"),
    ] {
        let (_env, task) = practice.episode(Some(family), 3).unwrap();
        let (got, args) = practice.signature(&task).expect("a household signature");
        assert_eq!(got, name);
        assert_eq!(args[0].0, "obj");
        assert_eq!(args[1].0, second);
        assert!(task.goal.contains(&args[0].1), "{} / {args:?}", task.goal);
        assert!(task.goal.contains(&args[1].1), "{} / {args:?}", task.goal);
    }
}

/// A discovered library's examples cover the families it practised; for any other family the
/// agent is shown the raw-API example of its own type first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_without_an_example_of_the_tasks_family_adds_the_raw_ones() {
    let lib = SkillLibrary::temporary().unwrap();
    lib.add_example(hone_skills::Example {
        env: "household".into(),
        task: "heat some egg and put it in countertop".into(),
        code: "Thought: one call.\n```python\nprint(heat_and_put('egg', 'countertop'))\n```".into(),
        family: TaskType::PickHeatThenPlaceInRecep.name().into(),
    })
    .unwrap();
    let r = KIND.runner(
        Arc::new(Scripted::new(["unused"])),
        sandbox(),
        CodeAgentConfig::default(),
        Some(lib),
        3,
        1,
        hone_core::ReflectionVariant::Retry,
    );
    let task = |t: TaskType, goal: &str| {
        hone_core::env::TaskSpec::new("t")
            .family(t.name())
            .goal(goal)
    };
    let (_, heat) = r
        .context_for(&task(
            TaskType::PickHeatThenPlaceInRecep,
            "heat some mug and put it in shelf",
        ))
        .unwrap();
    assert!(heat[0].code.contains("heat_and_put("), "{heat:?}");
    let (_, two) = r
        .context_for(&task(TaskType::PickTwoObjAndPlace, "put two mug in shelf"))
        .unwrap();
    assert_eq!(
        two[0].family,
        TaskType::PickTwoObjAndPlace.name(),
        "{two:?}"
    );
    assert!(two[0].code.contains("for n in range(2)"));
}
