//! A real bash in a bubblewrap jail, kept alive for an episode.
//!
//! The jail: `bwrap --unshare-all` (no network, own pid/ipc/uts namespaces) started as the
//! unprivileged `nobody` (uid 65534) through `setpriv`, root inside its user namespace; the
//! episode's tree bound writable at `/`; the host's `/usr` read-only (with the usual `/bin`,
//! `/lib`, `/lib64`, `/sbin` links); its own `/proc` and `/dev`; nothing else of the host (no
//! `/etc/shadow`, no home, no project directory). Limits, set in the shell before the first
//! command (they bind every process it starts): CPU seconds, address space, processes (of uid
//! nobody, which the kernel enforces because it is not root outside), file size.
//!
//! Each command is sent base64-encoded and `eval`ed in the long-lived shell (so `cd` and
//! variables persist, and a syntax error is just an error), its stdout and stderr merged, then a
//! sentinel line with the exit status and the working directory. After each command every other
//! process in the jail is killed (a fork bomb or a forgotten `&` ends with it). A command past its
//! time-out kills the whole jail; the next command gets a fresh shell in the same tree and
//! directory (its variables are lost, and the observation says so).

use anyhow::Context;
use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The host uid the jail runs as (`nobody`).
pub const JAIL_UID: u32 = 65534;

/// Limits of one jail.
#[derive(Debug, Clone)]
pub struct JailConfig {
    /// Wall-clock limit of one command.
    pub timeout: Duration,
    /// Output kept per command (the rest is dropped and the cut is noted).
    pub max_output: usize,
    /// CPU seconds per process (`ulimit -t`).
    pub cpu_seconds: u64,
    /// Address space per process, MiB (`ulimit -v`).
    pub memory_mb: u64,
    /// Processes of the jail's uid (`ulimit -u`).
    pub processes: u32,
    /// Largest file a command may write, MiB (`ulimit -f`).
    pub file_mb: u64,
}

impl Default for JailConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_output: 16 * 1024,
            cpu_seconds: 10,
            memory_mb: 1024,
            processes: 128,
            file_mb: 64,
        }
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// stdout and stderr, merged, at most `max_output` bytes (lossy UTF-8).
    pub text: String,
    /// The exit status (`None` after a time-out).
    pub status: Option<i32>,
    pub timed_out: bool,
    /// Output was cut at `max_output`.
    pub truncated: bool,
    /// The shell had to be restarted before this command ran (variables lost).
    pub restarted: bool,
}

/// A long-lived bash in a jail over `root`.
pub struct Jail {
    root: PathBuf,
    config: JailConfig,
    cwd: String,
    shell: Option<Shell>,
    /// The next command runs in a fresh shell (the last one was killed).
    lost: bool,
}

struct Shell {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Option<tokio::process::ChildStderr>,
    /// Commands run in this shell so far.
    commands: u32,
}

/// The `bwrap` command line for a jail over `root` running `argv`.
pub fn command(root: &Path, argv: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid",
        &JAIL_UID.to_string(),
        "--regid",
        &JAIL_UID.to_string(),
        "--clear-groups",
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--uid",
        "0",
        "--gid",
        "0",
        "--bind",
    ])
    .arg(root)
    .args(["/", "--ro-bind", "/usr", "/usr"]);
    for (link, to) in [
        ("/bin", "usr/bin"),
        ("/sbin", "usr/sbin"),
        ("/lib", "usr/lib"),
        ("/lib64", "usr/lib64"),
    ] {
        // bwrap makes the links in the bound tree itself; a restarted jail finds them there.
        if std::fs::symlink_metadata(root.join(&link[1..])).is_err() {
            c.args(["--symlink", to, link]);
        }
    }
    // Debian's command names that are links through /etc/alternatives (awk, editor, …) and
    // the dynamic linker's cache; nothing else of the host's /etc.
    for f in ["/etc/alternatives", "/etc/ld.so.cache"] {
        if Path::new(f).exists() {
            c.args(["--ro-bind", f, f]);
        }
    }
    c.args(["--proc", "/proc", "--dev", "/dev", "--chdir", "/"])
        .args(["--setenv", "HOME", "/root", "--setenv", "PATH"])
        .arg("/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .args(["--setenv", "LANG", "C.UTF-8", "--"])
        .args(argv);
    c.env_clear().env("PATH", "/usr/bin:/bin");
    c
}

impl Jail {
    /// A jail over `root` (its files must be writable by uid [`JAIL_UID`]). The shell starts
    /// with the first command.
    pub fn new(root: impl Into<PathBuf>, config: JailConfig) -> Self {
        Self {
            root: root.into(),
            config,
            cwd: "/".into(),
            shell: None,
            lost: false,
        }
    }

    /// The shell's working directory after the last command.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let mut cmd = command(&self.root, &["/bin/bash", "--noprofile", "--norc"]);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let mut child = cmd.spawn().context(
            "starting bubblewrap (setpriv and bwrap; on Debian: apt-get install bubblewrap)",
        )?;
        let mut stdin = child.stdin.take().context("the jail's stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("the jail's stdout")?);
        let stderr = child.stderr.take();
        let c = &self.config;
        let init = format!(
            "ulimit -t {} -v {} -u {} -f {} 2>/dev/null; cd {} 2>/dev/null || cd /\n",
            c.cpu_seconds,
            c.memory_mb * 1024,
            c.processes,
            c.file_mb * 1024,
            shell_quote(&self.cwd)
        );
        stdin.write_all(init.as_bytes()).await?;
        self.shell = Some(Shell {
            child,
            stdin,
            stdout,
            stderr,
            commands: 0,
        });
        Ok(())
    }

    /// Kills the shell and everything it started.
    pub async fn kill(&mut self) {
        if let Some(mut s) = self.shell.take() {
            if let Some(pid) = s.child.id() {
                // The whole process group (bwrap and its namespace's init).
                kill_group(pid);
            }
            let _ = s.child.kill().await;
            let _ = s.child.wait().await;
        }
    }

    /// Runs one command (any bash: pipes, `cd`, heredocs, functions).
    pub async fn run(&mut self, cmd: &str) -> anyhow::Result<Output> {
        let restarted = std::mem::take(&mut self.lost);
        if self.shell.is_none() {
            self.spawn().await?;
        }
        let nonce = format!("__HONE_{:x}__", rand_u64());
        let b64 = base64::engine::general_purpose::STANDARD.encode(cmd);
        let line = format!(
            "eval \"$(printf %s {b64} | base64 -d)\" </dev/null 2>&1; __hs=$?; kill -9 -1 2>/dev/null; printf '\\n%s %s %s\\n' {nonce} \"$__hs\" \"$PWD\"\n"
        );
        let max = self.config.max_output;
        let timeout = self.config.timeout;
        let shell = self.shell.as_mut().context("no shell")?;
        shell.commands += 1;
        let first = shell.commands == 1;
        if shell.stdin.write_all(line.as_bytes()).await.is_err() {
            self.kill().await;
            self.lost = true;
            anyhow::bail!("the jail's shell is gone");
        }
        let read = async {
            let mut text: Vec<u8> = Vec::new();
            let mut truncated = false;
            let mut buf = Vec::new();
            loop {
                buf.clear();
                let n = shell.stdout.read_until(b'\n', &mut buf).await?;
                if n == 0 {
                    return Ok::<_, std::io::Error>((text, truncated, None));
                }
                let s = String::from_utf8_lossy(&buf);
                if let Some(rest) = s.strip_prefix(&nonce) {
                    let mut it = rest.trim().splitn(2, ' ');
                    let status = it.next().and_then(|x| x.parse::<i32>().ok());
                    let cwd = it.next().unwrap_or("/").to_string();
                    return Ok((text, truncated, Some((status, cwd))));
                }
                if text.len() < max {
                    let take = (max - text.len()).min(buf.len());
                    text.extend_from_slice(&buf[..take]);
                    truncated |= take < buf.len();
                } else {
                    truncated = true;
                }
            }
        };
        match tokio::time::timeout(timeout, read).await {
            Ok(Ok((mut text, truncated, Some((status, cwd))))) => {
                if text.last() == Some(&b'\n') {
                    text.pop();
                }
                self.cwd = cwd;
                Ok(Output {
                    text: String::from_utf8_lossy(&text).into_owned(),
                    status,
                    timed_out: false,
                    truncated,
                    restarted,
                })
            }
            Ok(Ok((text, truncated, None))) => {
                if first && text.is_empty() {
                    // It never ran a command: the jail itself failed (bwrap's message).
                    let mut why = String::new();
                    if let Some(mut e) = self.shell.as_mut().and_then(|s| s.stderr.take()) {
                        let _ = tokio::time::timeout(
                            Duration::from_millis(500),
                            e.read_to_string(&mut why),
                        )
                        .await;
                    }
                    self.kill().await;
                    self.lost = false;
                    anyhow::bail!(
                        "the jail did not start over {}: {}",
                        self.root.display(),
                        why.trim()
                    );
                }
                // The shell exited (`exit`, a signal): a fresh one next time.
                self.kill().await;
                self.lost = true;
                Ok(Output {
                    text: String::from_utf8_lossy(&text).into_owned(),
                    status: None,
                    timed_out: false,
                    truncated,
                    restarted,
                })
            }
            Ok(Err(e)) => {
                self.kill().await;
                self.lost = true;
                Err(e).context("reading the jail's output")
            }
            Err(_) => {
                self.kill().await;
                self.lost = true;
                Ok(Output {
                    text: String::new(),
                    status: None,
                    timed_out: true,
                    truncated: false,
                    restarted,
                })
            }
        }
    }
}

impl Drop for Jail {
    fn drop(&mut self) {
        if let Some(s) = self.shell.as_ref() {
            if let Some(pid) = s.child.id() {
                kill_group(pid);
            }
        }
    }
}

/// SIGKILL to the process group `pgid` (the jail was started as its own group).
fn kill_group(pgid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// `s` as one single-quoted shell word.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
