//! The code-action agent in the shell (real bash in real bubblewrap, hone's own file system, the
//! real sandbox; a scripted model for the loop logic): `sh.run` and `sh.submit` solve a bundled
//! task scored by InterCode's reward; the generic `env.*` API is not granted; `submit` through
//! `sh.run` is refused; an agent out of turns is scored as the files and output stand.

use hone_core::llm::Scripted;
use hone_core::ReflectionVariant;
use hone_envs::shell::task::bundled;
use hone_envs::shell::{Images, ShellEnv, ShellEnvConfig};
use hone_sandbox::SandboxConfig;
use hone_skills::{shell, CodeAgentConfig};
use std::sync::Arc;

fn block(code: &str) -> String {
    format!("Thought: next.\n```python\n{code}\n```")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sh_api_solves_a_bundled_task_and_only_the_shell_is_granted() {
    let images = Images::new().unwrap();
    let sandbox = SandboxConfig::new().build().unwrap();
    let env = || Box::new(ShellEnv::new(images.clone(), ShellEnvConfig::default()));
    let agent = |model: Arc<Scripted>, turns: usize| {
        shell::KIND
            .runner(
                model,
                sandbox.clone(),
                CodeAgentConfig {
                    max_turns: turns,
                    ..Default::default()
                },
                None,
                3,
                1,
                ReflectionVariant::Retry,
            )
            .agent
    };
    let tasks = bundled().unwrap();
    let task = |id: &str| tasks.iter().find(|t| t.id == id).unwrap().clone();

    // hone-33: move the .log files of /project/logs into a new folder (files change), in two
    // blocks: the shell keeps its directory between calls, the session its variables. The
    // last command before submitting is the move (InterCode compares the last output with the
    // gold command's, here none; a listing after it would cost the output third).
    let solve = Arc::new(Scripted::new([
        block("sh.run('cd /project/logs')\nlogs = sh.run('ls *.log').split()\nprint(logs)"),
        block("sh.run('mkdir archive && mv ' + ' '.join(logs) + ' archive/')\nsh.submit()"),
    ]));
    let ep = agent(solve, 3)
        .run_env(env(), &task("hone-33"), &[], &shell::raw_examples())
        .await
        .unwrap();
    assert!(ep.won, "{}", ep.transcript());
    assert!((ep.reward - 1.0).abs() < 1e-9, "{}", ep.reward);
    let t = ep.transcript();
    assert!(t.contains("access.log"), "the listing came back: {t}");
    assert!(
        t.contains("sh.run(\"cd /project/logs\")") && t.contains("sh.submit"),
        "the calls are recorded by their names: {t}"
    );

    // The generic API, `submit` through sh.run, then out of turns: undefined, refused, and the
    // episode is scored as it stands (the last output, no file changes: below 1).
    let stray = Arc::new(Scripted::new([
        block("print(env.step('ls'))"),
        block("print(sh.run('submit'))"),
        block("print(sh.run('wc -l < /project/data/sales.csv'))"),
    ]));
    let ep = agent(stray, 3)
        .run_env(env(), &task("hone-33"), &[], &[])
        .await
        .unwrap();
    let obs: Vec<&str> = ep.steps.iter().map(|s| s.observation.as_str()).collect();
    assert!(obs[0].contains("NameError"), "{}", obs[0]);
    assert!(obs[1].contains("call sh.submit()"), "{}", obs[1]);
    assert!(obs[2].contains("21"), "{}", obs[2]);
    assert!(!ep.won && ep.reward < 1.0, "{}", ep.transcript());
    assert_eq!(ep.stop, hone_core::trajectory::StopReason::MaxSteps);
}
