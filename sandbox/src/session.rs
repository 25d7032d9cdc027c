//! [`Session`]: one Python guest kept alive across snippets, a Jupyter-like session (as
//! smolagents' CodeAgent keeps state between code actions) inside the wasm sandbox.
//!
//! Each snippet runs in the same globals as the ones before it, under its own time-out; its
//! stdout, stderr and output budget are its own; the session's memory cap and grants hold for
//! its whole life. A snippet that hits a limit (a loop past its time-out, a sleep, a host call
//! that never returns, memory, output) ends the guest: the snippet reports the limit and that
//! the session's state was lost, and the next snippet starts a fresh guest.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hone_sandbox::SandboxError> {
//! use hone_sandbox::{HostFunctions, RunOptions, SandboxConfig, Session};
//! let sandbox = SandboxConfig::new().build()?;
//! let mut s = Session::new(sandbox, RunOptions::new().host(HostFunctions::new()));
//! s.run("x = 41").await?;
//! let out = s.run("print(x + 1)").await?;
//! assert_eq!(out.stdout, "42\n");
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::channel::{Channel, SessionSignals, SharedChannel};
use crate::error::SandboxError;
use crate::run::{LimitKind, RunOptions, RunStatus};
use crate::sandbox::{classify, executor, Deadline, Sandbox, PRELUDE_PY};

/// What one snippet did.
#[derive(Debug, Clone, PartialEq)]
pub struct SnippetOutcome {
    /// `Success`; `Failed { exit_code: 1 }` for an exception (its traceback is in `stderr`);
    /// `Limit` for a limit, which ended the session's guest.
    pub status: RunStatus,
    pub stdout: String,
    pub stderr: String,
    /// The session's earlier state was lost before this snippet ran (the guest had ended on a
    /// limit), or is lost now (this snippet hit one).
    pub state_lost: bool,
    /// Host calls this snippet made.
    pub host_calls: u32,
    pub wall: Duration,
}

impl SnippetOutcome {
    pub fn is_success(&self) -> bool {
        self.status == RunStatus::Success
    }
    /// The limit that stopped the snippet, if one did.
    pub fn limit(&self) -> Option<LimitKind> {
        match self.status {
            RunStatus::Limit { limit } => Some(limit),
            _ => None,
        }
    }
}

/// A live guest.
struct Live {
    channel: SharedChannel,
    deadline: Deadline,
    /// The guest's whole life; its result says how it ended.
    task: tokio::task::JoinHandle<(anyhow::Result<()>, Option<LimitKind>)>,
    done: Arc<tokio::sync::Notify>,
}

/// One Python guest serving snippets. See the module docs.
pub struct Session {
    sandbox: Sandbox,
    opts: RunOptions,
    live: Option<Live>,
    next_id: u64,
    /// A guest ended on a limit and no snippet has run since.
    lost: bool,
    /// Guests started so far.
    pub starts: u32,
}

impl Session {
    /// A session with `opts`' grants, memory cap, directories and per-snippet time-out. The
    /// guest starts with the first snippet.
    pub fn new(sandbox: Sandbox, opts: RunOptions) -> Self {
        Self {
            sandbox,
            opts,
            live: None,
            next_id: 0,
            lost: false,
            starts: 0,
        }
    }

    fn start(&mut self) -> Result<Live, SandboxError> {
        let cfg = self.sandbox.config().clone();
        if let Some(bad) = self.opts.host.invalid_name() {
            return Err(SandboxError::InvalidGrant(bad.to_string()));
        }
        let pre = self.sandbox.python_pre()?;
        let mut ch = Channel::new(
            self.opts.host.clone(),
            cfg.stdout_limit,
            cfg.stderr_limit,
            cfg.output_kill_limit,
            cfg.host_call_limit,
        );
        let signals = SessionSignals::default();
        let done = signals.done_notify.clone();
        ch.session = Some(signals);
        let channel = SharedChannel(Arc::new(Mutex::new(ch)));
        let grants = self.opts.host.names().collect::<Vec<_>>().join(",");
        let args: Vec<String> = [
            "python",
            "-S",
            "-c",
            PRELUDE_PY,
            "\u{1e}session",
            "",
            "",
            &grants,
        ]
        .map(String::from)
        .to_vec();
        // Starting CPython is the guest's, not a snippet's: it gets the config's time-out.
        let deadline = Deadline::new(Instant::now() + cfg.timeout);
        let (mut store, _fuel) =
            self.sandbox
                .new_store(&channel, &args, &self.opts, deadline.clone())?;
        let task = executor()?.spawn(async move {
            let run = async {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .get_typed_func::<(), ()>(&mut store, "_start")?
                    .call_async(&mut store, ())
                    .await
            }
            .await;
            let data = store.data();
            (run, data.hit.or(data.limits.hit))
        });
        self.starts += 1;
        Ok(Live {
            channel,
            deadline,
            task,
            done,
        })
    }

    /// Runs `code` with the session's time-out (the run options', else the config's).
    pub async fn run(&mut self, code: &str) -> Result<SnippetOutcome, SandboxError> {
        let timeout = self.opts.timeout.unwrap_or(self.sandbox.config().timeout);
        self.run_for(code, timeout).await
    }

    /// Runs `code` in the session's globals, stopping it after `timeout`.
    pub async fn run_for(
        &mut self,
        code: &str,
        timeout: Duration,
    ) -> Result<SnippetOutcome, SandboxError> {
        let t0 = Instant::now();
        let lost_before = std::mem::take(&mut self.lost);
        if self.live.as_ref().is_none_or(|l| l.task.is_finished()) {
            self.live = Some(self.start()?);
        }
        let Some(live) = self.live.as_mut() else {
            return Err(SandboxError::Join("the session has no guest".into()));
        };
        self.next_id += 1;
        let id = self.next_id;
        let deadline = Instant::now() + timeout;
        live.deadline.set(deadline);
        {
            let mut ch = live.channel.lock();
            ch.reset_capture();
            ch.push_snippet(id, code);
        }
        // Wait for the snippet's `done`, the guest's end, or the time-out.
        let outcome = loop {
            let finished = {
                let ch = live.channel.lock();
                ch.session.as_ref().and_then(|s| s.done)
            };
            if let Some((done_id, ok)) = finished {
                if done_id == id {
                    break Ok(ok);
                }
            }
            let notified = live.done.notified();
            tokio::select! {
                _ = notified => {}
                r = &mut live.task => break Err(Some(r)),
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => break Err(None),
            }
        };
        live.deadline
            .set(Instant::now() + Duration::from_secs(365 * 24 * 3600));
        let mut ch = live.channel.lock();
        let (stdout, stderr) = ch.take_output();
        let host_calls = ch.host_calls;
        let output_hit = ch.output_limit_hit;
        drop(ch);
        let (status, ended) = match outcome {
            Ok(true) => (RunStatus::Success, false),
            Ok(false) => (RunStatus::Failed { exit_code: 1 }, false),
            Err(None) => {
                // Blocked past the time-out (a sleep, a host call): end the guest.
                live.task.abort();
                (
                    RunStatus::Limit {
                        limit: LimitKind::Timeout,
                    },
                    true,
                )
            }
            Err(Some(joined)) => {
                let (result, hit) = joined
                    .unwrap_or_else(|e| (Err(anyhow::anyhow!("the guest task failed: {e}")), None));
                let hit = if output_hit {
                    Some(LimitKind::Output)
                } else {
                    hit
                };
                let status = match classify(result, hit, false).0 {
                    // The guest left the loop without a limit (say `sys.exit()` or
                    // `os._exit` in a snippet): the state is gone all the same.
                    RunStatus::Success => RunStatus::Failed { exit_code: 0 },
                    s => s,
                };
                (status, true)
            }
        };
        if ended {
            self.live = None;
            self.lost = true;
        }
        Ok(SnippetOutcome {
            status,
            stdout,
            stderr,
            state_lost: lost_before || ended,
            host_calls,
            wall: t0.elapsed(),
        })
    }

    /// Ends the guest (the next snippet starts a fresh one).
    pub fn reset(&mut self) {
        if let Some(live) = self.live.take() {
            live.task.abort();
        }
        self.lost = false;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(live) = self.live.take() {
            live.task.abort();
        }
    }
}
