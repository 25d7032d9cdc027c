//! A full discovery cycle with a scripted model (it stands in for the LLM's choices; the
//! sandbox, the household world and the sled library are real): propose → practise → distil
//! → hone produces a skill that is stored, exported, re-imported, retrieved for a matching
//! task, called by a code-action agent, and changes the environment. Then a session opened again
//! resumes where it stopped.

use hone_core::env::Environment;
use hone_core::llm::Scripted;
use hone_core::trajectory::Action;
use hone_envs::household::{HouseholdEnv, Split, TaskType, World};
use hone_sandbox::{Sandbox, SandboxConfig};
use hone_skills::discover::{DiscoverConfig, Discovery, PracticeEnv};
use hone_skills::household::{HouseholdPractice, INSTRUCTIONS};
use hone_skills::{CodeAgent, CodeAgentConfig, SkillLibrary};
use std::sync::Arc;

const SKILL: &str = include_str!("fixtures/cool_and_put.py");
const PARSE_GOAL: &str = include_str!("fixtures/parse_goal.py");

fn sandbox() -> Sandbox {
    SandboxConfig::new().build().expect("building the sandbox")
}

fn block(thought: &str, code: &str) -> String {
    format!("Thought: {thought}\n```python\n{}\n```", code.trim_end())
}

fn config(iterations: u32) -> DiscoverConfig {
    DiscoverConfig {
        iterations,
        tests: 1,
        max_repairs: 1,
        agent: CodeAgentConfig {
            max_turns: 2,
            ..Default::default()
        },
        progress: false,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_cycle_makes_a_skill_that_is_stored_shared_retrieved_and_called() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let call = format!("{PARSE_GOAL}\nprint(cool_and_put(obj, rec))");
    let model = Arc::new(Scripted::new([
        // propose
        r#"{"why": "no skill cools things yet", "practise": "task", "task": "cool"}"#.to_string(),
        // practise: the agent writes a function and calls it
        block(
            "I search, cool in the fridge, and put it away.",
            &format!("{SKILL}\n{call}"),
        ),
        // distil: the same function, as a skill
        format!("```python\n{SKILL}```"),
        // hone: the test episode's call
        block(
            "Call the skill with this task's object and receptacle.",
            &call,
        ),
    ]));
    let env: Arc<dyn PracticeEnv> = Arc::new(HouseholdPractice::new(50));
    let d = Discovery::open(dir.path(), model.clone(), sb.clone(), env, config(1)).unwrap();
    let recs = d.run().await.unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert!(r.error.is_none(), "{r:?}");
    assert_eq!(r.proposal["task"], "cool");
    let practice = &model.requests()[1].messages[1].content;
    assert!(
        practice.contains("Here is example 1.") && practice.contains("env.admissible()"),
        "with an empty library the practice agent gets the raw-API examples: {practice}"
    );
    assert_eq!(r.practice.as_ref().unwrap()["won"], true, "{r:?}");
    assert_eq!(r.distilled.as_ref().unwrap()["added"], "new", "{r:?}");
    assert_eq!(r.tests.len(), 1);
    assert!(r.tests[0].passed, "{r:?}");

    // Stored, with its provenance and its test.
    let s = d.library.get("cool_and_put").unwrap().expect("stored");
    assert_eq!((s.version, s.tests, s.successes), (1, 1, 1));
    assert_eq!(s.provenance.source, "discovered");
    assert!(s
        .provenance
        .episode
        .as_deref()
        .unwrap()
        .contains("pick_cool_then_place_in_recep"));
    assert_eq!(
        s.signature,
        "cool_and_put(obj: str, receptacle: str) -> str"
    );
    assert_eq!(
        d.library.examples("household").unwrap().len(),
        1,
        "a passing test becomes an example"
    );
    for f in ["discovery.jsonl", "episodes.jsonl", "report.html"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }

    // Exported as a readable folder, re-imported into another library.
    let out = tempfile::tempdir().unwrap();
    assert_eq!(d.library.export(out.path()).unwrap(), 1);
    let text = std::fs::read_to_string(out.path().join("cool_and_put.py")).unwrap();
    assert_eq!(text.trim(), SKILL.trim());
    let lib2 = SkillLibrary::temporary().unwrap();
    lib2.import(out.path(), &sb, "household").await.unwrap();
    let back = lib2.get("cool_and_put").unwrap().unwrap();
    assert_eq!((back.version, back.tests, back.successes), (1, 1, 1));
    assert_eq!(back.provenance.source, "discovered");

    // Retrieved for a matching task, not for an unrelated one.
    let hit = lib2
        .retrieve(
            "cool some lettuce and put it in countertop",
            "household",
            None,
            3,
        )
        .unwrap();
    assert_eq!(hit.len(), 1);
    assert!(lib2
        .retrieve("look at the vase under the desklamp", "household", None, 3)
        .unwrap()
        .is_empty());

    // Called by a code-action agent on an unseen game: it changes the environment.
    let g = (0..Split::Unseen.size())
        .map(|i| Split::Unseen.game(i))
        .find(|g| g.task.kind == TaskType::PickCoolThenPlaceInRecep)
        .unwrap();
    let task = HouseholdEnv::task(&g);
    let envx: Box<dyn Environment> =
        Box::new(HouseholdEnv::new(Arc::new(World::new(g).unwrap())).react_format(true));
    let agent = CodeAgent::new(
        Arc::new(Scripted::new([block("Use the skill.", &call)])),
        sb.clone(),
        INSTRUCTIONS,
    );
    let ep = agent.run_env(envx, &task, &hit, &[]).await.unwrap();
    assert!(ep.won, "{}", ep.transcript());
    let Action::Code { calls, .. } = &ep.steps[0].action else {
        panic!()
    };
    assert!(calls
        .iter()
        .any(|c| c.name == "cool_and_put" && c.depth == 0 && !c.error));
    assert!(calls
        .iter()
        .any(|c| c.name == "env.step" && c.args.contains("cool ") && c.depth == 1));
    assert!(
        ep.transcript().contains("cool_and_put('"),
        "the call shows in `hone show`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_session_resumes_at_the_next_iteration_and_bad_skills_are_refused() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let env: Arc<dyn PracticeEnv> = Arc::new(HouseholdPractice::new(50));
    // Iteration 0: an unusable proposal (a random task is practised), and a practice episode
    // that fails: nothing to distil.
    let m1 = Arc::new(Scripted::new([
        "not json at all".to_string(),
        block("look", "print(env.step('look'))"),
        block("look", "print(env.step('inventory'))"),
    ]));
    let d = Discovery::open(dir.path(), m1, sb.clone(), env.clone(), config(1)).unwrap();
    let recs = d.run().await.unwrap();
    assert!(
        recs[0].proposal_note.contains("unusable proposal"),
        "{:?}",
        recs[0]
    );
    assert_eq!(recs[0].practice.as_ref().unwrap()["won"], false);
    assert!(recs[0].distilled.is_none());
    drop(d);

    // Reopened with two iterations: only iteration 1 runs. The model's skill fails the static
    // checks twice (an ungranted call, then `open`): neither is stored, and the skill is made
    // from the code that solved the task instead.
    let call = format!("{PARSE_GOAL}\nprint(cool_and_put(obj, rec))");
    let bad1 = SKILL.replace("env.admissible()", "env.secret()");
    let bad2 = SKILL.replace("import re", "import re\n    open('/etc/passwd')");
    let m2 = Arc::new(Scripted::new([
        r#"{"why": "try cooling", "practise": "task", "task": "cool"}"#.to_string(),
        block("solve", &format!("{SKILL}\n{call}")),
        format!("```python\n{bad1}```"),
        format!("```python\n{bad2}```"),
        block("One call.", &call),
    ]));
    let d = Discovery::open(dir.path(), m2, sb, env, config(2)).unwrap();
    assert_eq!(d.done(), 1);
    let recs = d.run().await.unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].iteration, 1);
    assert_eq!(recs[1].practice.as_ref().unwrap()["won"], true);
    let distilled = recs[1].distilled.as_ref().unwrap();
    assert_eq!(distilled["from"], "code", "{distilled}");
    assert!(
        distilled["model_errors"].to_string().contains("open"),
        "{distilled}"
    );
    let stored = d.library.list().unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].code.contains("secret") && !stored[0].code.contains("open('/etc"));
}

/// The proposer's curriculum guard: a kind proposed again after two failed practices is swapped
/// for the least-practised kind, and the swap is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_that_keeps_failing_is_swapped_for_the_least_practised() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let env: Arc<dyn PracticeEnv> = Arc::new(HouseholdPractice::new(50));
    let puttwo = r#"{"why": "hardest first", "practise": "task", "task": "puttwo"}"#;
    let mut script = Vec::new();
    for _ in 0..3 {
        script.push(puttwo.to_string());
        script.push(block("look", "print(env.step('look'))"));
        script.push(block("look", "print(env.step('inventory'))"));
    }
    let m = Arc::new(Scripted::new(script));
    let d = Discovery::open(dir.path(), m, sb, env, config(3)).unwrap();
    let recs = d.run().await.unwrap();
    let kinds: Vec<&str> = recs
        .iter()
        .map(|r| r.practice.as_ref().unwrap()["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["puttwo", "puttwo", "put"], "{recs:?}");
    assert!(recs[..2].iter().all(|r| r.proposal_note.is_empty()));
    assert!(
        recs[2]
            .proposal_note
            .contains("puttwo was proposed again after 2 practices"),
        "{:?}",
        recs[2]
    );
}

/// When the model's own versions of a skill fail the static checks twice, the block that
/// solved the practice task becomes the skill, under the name the environment gives that kind
/// of task, with an example call in its docstring; it is tested like any other and passes only
/// when the test episode calls it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skill_is_made_from_the_solving_code_when_the_model_cannot_write_one() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let call = format!("{PARSE_GOAL}\nprint(cool_and_put(obj, rec))");
    let model = Arc::new(Scripted::new([
        r#"{"why": "cooling", "practise": "task", "task": "cool"}"#.to_string(),
        block("I search, cool, put.", &format!("{SKILL}\n{call}")),
        // distil, twice: top-level code, not a function
        "```python\nprint(env.step('look'))\n```".to_string(),
        "```python\nprint(env.step('look'))\n```".to_string(),
        // hone: the test episode calls the skill it was shown
        block("One call.", &call),
    ]));
    let env: Arc<dyn PracticeEnv> = Arc::new(HouseholdPractice::new(50));
    let d = Discovery::open(dir.path(), model.clone(), sb, env, config(1)).unwrap();
    let r = d.run().await.unwrap().remove(0);
    assert_eq!(r.practice.as_ref().unwrap()["won"], true, "{r:?}");
    let distilled = r.distilled.as_ref().unwrap();
    assert_eq!(distilled["from"], "code", "{r:?}");
    assert_eq!(distilled["added"], "new", "{r:?}");
    let s = d.library.get("cool_and_put").unwrap().expect("stored");
    assert!(s.code.contains("Example: cool_and_put("), "{}", s.code);
    assert_eq!(s.provenance.model, None);
    assert_eq!(r.tests.len(), 1);
    assert!(r.tests[0].passed, "{r:?}");
    let shown = &model.requests()[4].messages[1].content;
    assert!(
        shown.contains("print(cool_and_put("),
        "the test shows the docstring's example call: {shown}"
    );
}

/// A skill the model wrote that passes the checks but fails its tests (and its repair) is
/// disabled; the code that solved the task, made into the function, then gets its own tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_written_skill_that_fails_its_tests_is_replaced_by_the_solving_code() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let call = format!("{PARSE_GOAL}\nprint(cool_and_put(obj, rec))");
    let idle = "def cool_and_put(obj: str, receptacle: str) -> str:\n    \"\"\"Looks around.\n\n    Example: cool_and_put('apple', 'fridge')\n    \"\"\"\n    return env.step('look')\n";
    let model = Arc::new(Scripted::new([
        r#"{"why": "cooling", "practise": "task", "task": "cool"}"#.to_string(),
        block("I search, cool, put.", &format!("{SKILL}\n{call}")),
        // distil: a function that passes the checks and does nothing useful
        format!("```python\n{idle}```"),
        // its test: two turns, both call it, the task stays undone
        block("One call.", &call),
        block("Again.", &call),
        // its repair: not a function
        "```python\nprint(1)\n```".to_string(),
        // the version made from the solving code: its test
        block("One call.", &call),
    ]));
    let env: Arc<dyn PracticeEnv> = Arc::new(HouseholdPractice::new(50));
    let d = Discovery::open(dir.path(), model, sb, env, config(1)).unwrap();
    let r = d.run().await.unwrap().remove(0);
    assert_eq!(r.disabled, ["cool_and_put"], "{r:?}");
    let distilled = r.distilled.as_ref().unwrap();
    assert_eq!(distilled["from"], "code", "{r:?}");
    assert!(distilled["after"]
        .as_str()
        .unwrap()
        .contains("failed its tests"));
    assert_eq!(r.tests.len(), 2, "{r:?}");
    assert!(!r.tests[0].passed && r.tests[1].passed, "{r:?}");
    let s = d.library.get("cool_and_put").unwrap().unwrap();
    assert!(
        s.enabled && s.version == 2 && s.provenance.model.is_none(),
        "{s:?}"
    );
}

/// A practice episode won by calling the skill its kind of task already has counts as a
/// passing test of that skill; nothing new is distilled over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_win_by_calling_the_kinds_skill_is_a_passing_test_not_a_new_version() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let call = format!("{PARSE_GOAL}\nprint(cool_and_put(obj, rec))");
    let cool = r#"{"why": "cooling", "practise": "task", "task": "cool"}"#.to_string();
    let model = Arc::new(Scripted::new([
        cool.clone(),
        block("I search, cool, put.", &format!("{SKILL}\n{call}")),
        format!("```python\n{SKILL}```"),
        block("One call.", &call),
        cool,
        block("The skill does it.", &call),
    ]));
    let env: Arc<dyn PracticeEnv> = Arc::new(HouseholdPractice::new(50));
    let d = Discovery::open(dir.path(), model, sb, env, config(2)).unwrap();
    let recs = d.run().await.unwrap();
    assert_eq!(
        recs[1].practice.as_ref().unwrap()["won"],
        true,
        "{:?}",
        recs[1]
    );
    assert!(recs[1].distilled.is_none(), "{:?}", recs[1]);
    assert_eq!(recs[1].tests.len(), 1);
    assert!(recs[1].tests[0].passed);
    let s = d.library.get("cool_and_put").unwrap().unwrap();
    assert_eq!((s.version, s.tests, s.successes), (1, 2, 2));
}
