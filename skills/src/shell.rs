//! The shell half: the code-action agent's instructions and worked examples for InterCode-format
//! shell tasks, and the eval runner `hone eval shell --agent code` uses. Code reaches the
//! episode's jailed bash only through `sh.run` and `sh.submit`
//! ([`crate::api::EnvBridge::shell_grants`]), so the jail's limits, the step limit and
//! InterCode's reward hold for code actions as for text actions.

use crate::library::Example;

/// What the code-action agent is told about the shell and its API.
pub const INSTRUCTIONS: &str = "You complete tasks in a Linux shell (as root) by writing Python. A persistent Python session is connected to a bash shell:
- sh.run(command) runs one bash command (pipes and ';' are fine) and returns what it printed; the shell keeps its directory and variables between commands.
- sh.submit() ends the task: the output of the last command you ran and the files as they are now are checked against the request.
So: run the command whose output answers the request (or that changes the files as asked) as the last command, then call sh.submit(). Every reply is one line `Thought: ...` and then one ```python block. The block runs in the session (variables stay defined between blocks). What it printed and any error come back to you.";

/// Worked examples on a made-up tree (not the bundled or InterCode tasks).
pub fn raw_examples() -> Vec<Example> {
    vec![
        Example {
            env: "shell".into(),
            task: "How many .log files are there under /data?".into(),
            code: r#"Thought: find lists the log files and wc counts them; the count is the last output.
```python
out = sh.run("find /data -name '*.log' | wc -l")
print(out)
sh.submit()
```"#
                .into(),
                ..Default::default()
        },
        Example {
            env: "shell".into(),
            task: "Copy every .conf file in /srv into a new folder /srv/backup.".into(),
            code: r#"Thought: I make the folder, copy the files, and list the folder to check before submitting.
```python
sh.run("mkdir -p /srv/backup && cp /srv/*.conf /srv/backup/")
print(sh.run("ls /srv/backup"))
sh.submit()
```"#
                .into(),
                ..Default::default()
        },
    ]
}

/// The shell kind for the code-action agent: `KIND.runner(…)` is what `hone eval shell
/// --agent code` runs.
pub const KIND: crate::agent::Kind = crate::agent::Kind {
    name: "shell",
    instructions: INSTRUCTIONS,
    examples: raw_examples,
};
