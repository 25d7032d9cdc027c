//! Adversarial programs: each must end with a clear, typed outcome and leave the host unharmed.
//! Runs every case, prints a summary table (see it with `--nocapture`), then fails listing every
//! case whose expectation did not hold.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use hone_sandbox::{
    HostFunctions, Language, LimitKind, RunOptions, RunOutcome, RunStatus, Sandbox, SandboxConfig,
};
use serde_json::json;

type Check = Box<dyn FnOnce(&Sandbox) -> Result<String, String>>;

struct Case {
    name: &'static str,
    expect: &'static str,
    check: Check,
}

fn case(
    name: &'static str,
    expect: &'static str,
    check: impl FnOnce(&Sandbox) -> Result<String, String> + 'static,
) -> Case {
    Case {
        name,
        expect,
        check: Box::new(check),
    }
}

fn run(sb: &Sandbox, lang: Language, code: &str, opts: RunOptions) -> Result<RunOutcome, String> {
    sb.run(lang, code, opts)
        .map_err(|e| format!("host error: {e}"))
}

fn describe(out: &RunOutcome) -> String {
    let status = match &out.status {
        RunStatus::Success => "success".to_string(),
        RunStatus::Failed { exit_code } => format!("failed({exit_code})"),
        RunStatus::Limit { limit } => format!("limit:{limit}"),
        RunStatus::Trap { message } => format!("trap:{}", message.lines().next().unwrap_or("")),
    };
    format!("{status} in {:.0} ms", out.wall.as_secs_f64() * 1e3)
}

fn expect_limit(out: &RunOutcome, limit: LimitKind) -> Result<String, String> {
    if out.limit() == Some(limit) {
        Ok(describe(out))
    } else {
        Err(format!(
            "expected limit {limit}, got {} / stderr: {}",
            describe(out),
            tail(&out.stderr)
        ))
    }
}

fn expect_failed_with(out: &RunOutcome, needles: &[&str]) -> Result<String, String> {
    if !matches!(out.status, RunStatus::Failed { .. }) {
        return Err(format!(
            "expected a failed exit, got {} / {}",
            describe(out),
            tail(&out.stderr)
        ));
    }
    if !needles.iter().any(|n| out.stderr.contains(n)) {
        return Err(format!(
            "stderr lacks any of {needles:?}: {}",
            tail(&out.stderr)
        ));
    }
    let last = out.stderr.lines().last().unwrap_or("").to_string();
    Ok(format!("{} ({last})", describe(out)))
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

fn no_secret(out: &RunOutcome, secret: &str) -> Result<(), String> {
    if out.stdout.contains(secret) || out.stderr.contains(secret) {
        return Err(format!("guest output contains {secret:?}"));
    }
    Ok(())
}

fn cases() -> Vec<Case> {
    let short = || RunOptions::new().timeout(Duration::from_millis(400));
    let project_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    vec![
        case("python infinite loop", "limit:timeout < 2 s", move |sb| {
            let out = run(sb, Language::Python, "while True:\n    pass", short())?;
            if out.wall > Duration::from_secs(2) {
                return Err(format!("took {:?}", out.wall));
            }
            expect_limit(&out, LimitKind::Timeout)
        }),
        case(
            "javascript infinite loop",
            "limit:timeout < 2 s",
            move |sb| {
                let out = run(sb, Language::JavaScript, "for (;;) {}", short())?;
                if out.wall > Duration::from_secs(2) {
                    return Err(format!("took {:?}", out.wall));
                }
                expect_limit(&out, LimitKind::Timeout)
            },
        ),
        case("python sleep past timeout", "limit:timeout", move |sb| {
            let out = run(
                sb,
                Language::Python,
                "import time\nwhile True: time.sleep(0.05)",
                short(),
            )?;
            expect_limit(&out, LimitKind::Timeout)
        }),
        case(
            "python one long sleep (blocked in WASI)",
            "limit:timeout < 2 s",
            move |sb| {
                let out = run(
                    sb,
                    Language::Python,
                    "import time\ntime.sleep(3600)",
                    short(),
                )?;
                if out.wall > Duration::from_secs(2) {
                    return Err(format!("took {:?}", out.wall));
                }
                expect_limit(&out, LimitKind::Timeout)
            },
        ),
        case(
            "javascript one long sleep (blocked in WASI)",
            "limit:timeout < 2 s",
            move |sb| {
                let code = "os.sleep(3600000)";
                let out = run(sb, Language::JavaScript, code, short())?;
                if out.wall > Duration::from_secs(2) {
                    return Err(format!("took {:?}", out.wall));
                }
                expect_limit(&out, LimitKind::Timeout)
            },
        ),
        case(
            "python select() on stdin with a long time-out",
            "limit:timeout or a clean error < 2 s",
            move |sb| {
                let code = "import select, sys\nselect.select([sys.stdin], [], [], 3600)";
                let out = run(sb, Language::Python, code, short())?;
                if out.wall > Duration::from_secs(2) {
                    return Err(format!("took {:?}", out.wall));
                }
                Ok(describe(&out))
            },
        ),
        case(
            "python host call that never returns",
            "limit:timeout < 2 s",
            move |sb| {
                let host = HostFunctions::new().grant("env.hang", |_| {
                    std::thread::sleep(Duration::from_secs(30));
                    Ok(json!(null))
                });
                let out = run(
                    sb,
                    Language::Python,
                    "env.hang()\nprint('never')",
                    short().host(host),
                )?;
                if out.wall > Duration::from_secs(2) || out.stdout.contains("never") {
                    return Err(format!("took {:?}: {}", out.wall, out.stdout));
                }
                expect_limit(&out, LimitKind::Timeout)
            },
        ),
        case("python deep recursion", "failed: RecursionError", |sb| {
            let out = run(
                sb,
                Language::Python,
                "def f(n):\n    return f(n + 1)\nf(0)",
                RunOptions::new(),
            )?;
            expect_failed_with(&out, &["RecursionError"])
        }),
        case(
            "python recursion limit lifted",
            "contained (not success)",
            |sb| {
                let code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)";
                let out = run(sb, Language::Python, code, RunOptions::new())?;
                if out.is_success() {
                    return Err("unbounded recursion succeeded".into());
                }
                Ok(describe(&out))
            },
        ),
        case(
            "javascript deep recursion",
            "trap (guest stack) or limit:stack",
            |sb| {
                // QuickJS cannot check its C stack under WASI: overflowing it runs off the bottom
                // of linear memory, which wasmtime turns into a trap.
                let out = run(
                    sb,
                    Language::JavaScript,
                    "function f(n) { return f(n + 1) + 1; }\nf(0);",
                    RunOptions::new(),
                )?;
                if !matches!(
                    out.status,
                    RunStatus::Trap { .. }
                        | RunStatus::Limit {
                            limit: LimitKind::Stack
                        }
                ) {
                    return Err(describe(&out));
                }
                let next = run(
                    sb,
                    Language::JavaScript,
                    "console.log(1 + 1)",
                    RunOptions::new(),
                )?;
                if next.stdout != "2\n" {
                    return Err(format!("next run broken: {}", describe(&next)));
                }
                Ok(describe(&out))
            },
        ),
        case("python 1 GB allocation", "limit:memory", |sb| {
            let opts = RunOptions::new().memory_limit(96 << 20);
            let out = run(
                sb,
                Language::Python,
                "x = bytearray(10**9)\nprint(len(x))",
                opts,
            )?;
            expect_limit(&out, LimitKind::Memory)
        }),
        case("python growing list", "limit:memory", |sb| {
            let opts = RunOptions::new().memory_limit(96 << 20);
            let out = run(
                sb,
                Language::Python,
                "l = []\nwhile True:\n    l.append('x' * 10**6 + str(len(l)))",
                opts,
            )?;
            expect_limit(&out, LimitKind::Memory)
        }),
        case("javascript growing array", "limit:memory", |sb| {
            let opts = RunOptions::new().memory_limit(64 << 20);
            let out = run(
                sb,
                Language::JavaScript,
                "const a = [];\nfor (;;) a.push('x'.repeat(1e6) + a.length);",
                opts,
            )?;
            expect_limit(&out, LimitKind::Memory)
        }),
        case("python prints 1 GB", "limit:output, stdout capped", |sb| {
            let code = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)";
            let out = run(sb, Language::Python, code, RunOptions::new())?;
            if out.stdout.len() > (64 << 10) + 100 || !out.stdout.contains("[… truncated") {
                return Err(format!("stdout not capped: {} bytes", out.stdout.len()));
            }
            expect_limit(&out, LimitKind::Output)
        }),
        case("javascript prints 1 GB", "limit:output", |sb| {
            let code =
                "const s = 'x'.repeat(1 << 20);\nfor (let i = 0; i < 1024; i++) std.out.puts(s);";
            let out = run(sb, Language::JavaScript, code, RunOptions::new())?;
            expect_limit(&out, LimitKind::Output)
        }),
        case("python reads /etc/passwd", "failed: no such file", |sb| {
            let out = run(
                sb,
                Language::Python,
                "print(open('/etc/passwd').read())",
                RunOptions::new(),
            )?;
            no_secret(&out, "root:")?;
            expect_failed_with(&out, &["FileNotFoundError", "PermissionError", "OSError"])
        }),
        case("python lists /", "failed: no such file", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import os\nprint(os.listdir('/'))",
                RunOptions::new(),
            )?;
            expect_failed_with(&out, &["FileNotFoundError", "PermissionError", "OSError"])
        }),
        case(
            "python reads the host home",
            "failed: no such file",
            move |sb| {
                let code = format!("import os\nprint(os.listdir({home:?}))");
                let out = run(sb, Language::Python, &code, RunOptions::new())?;
                expect_failed_with(&out, &["FileNotFoundError", "PermissionError", "OSError"])
            },
        ),
        case(
            "python reads the project dir",
            "failed: no such file",
            move |sb| {
                let code = format!(
                    "print(open({:?}).read())",
                    project_file.display().to_string()
                );
                let out = run(sb, Language::Python, &code, RunOptions::new())?;
                no_secret(&out, "hone-sandbox")?;
                expect_failed_with(&out, &["FileNotFoundError", "PermissionError", "OSError"])
            },
        ),
        case("javascript reads /etc/passwd", "null file handle", |sb| {
            let code = "console.log(std.loadFile('/etc/passwd'), std.open('/etc/passwd', 'r'));";
            let out = run(sb, Language::JavaScript, code, RunOptions::new())?;
            no_secret(&out, "root:")?;
            if out.stdout.trim() != "null null" {
                return Err(format!("unexpected output {:?}", out.stdout));
            }
            Ok(describe(&out))
        }),
        case(
            "python writes outside scratch",
            "/scratch ok, escapes refused",
            |sb| {
                let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
                let scratch = parent.path().join("scratch");
                std::fs::create_dir(&scratch).map_err(|e| e.to_string())?;
                let code = r#"
import json
report = {}
with open('/scratch/ok.txt', 'w') as f:
    f.write('inside')
for path in ['/scratch/../escape.txt', '/tmp/escape-hone.txt', '/escape.txt', '../escape.txt']:
    try:
        with open(path, 'w') as f:
            f.write('escaped')
        report[path] = 'written'
    except OSError as e:
        report[path] = type(e).__name__
print(json.dumps(report))
"#;
                let out = run(
                    sb,
                    Language::Python,
                    code,
                    RunOptions::new().scratch(&scratch),
                )?;
                if !out.is_success() {
                    return Err(format!("{} / {}", describe(&out), tail(&out.stderr)));
                }
                if out.stdout.contains("written") {
                    return Err(format!("an escape was written: {}", out.stdout));
                }
                let inside =
                    std::fs::read_to_string(scratch.join("ok.txt")).map_err(|e| e.to_string())?;
                if inside != "inside"
                    || parent.path().join("escape.txt").exists()
                    || Path::new("/tmp/escape-hone.txt").exists()
                {
                    return Err("host filesystem not as expected".into());
                }
                Ok(format!("{} {}", describe(&out), out.stdout.trim()))
            },
        ),
        case("python fills scratch past its cap", "limit:scratch", |sb| {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let code = "with open('/scratch/big', 'wb') as f:\n    for _ in range(200):\n        f.write(b'x' * (1 << 20))";
            let opts = RunOptions::new().scratch(dir.path()).scratch_limit(4 << 20);
            let out = run(sb, Language::Python, code, opts)?;
            expect_limit(&out, LimitKind::Scratch)
        }),
        case("python read-only input", "read ok, write refused", |sb| {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            std::fs::write(dir.path().join("in.txt"), "data").map_err(|e| e.to_string())?;
            let code = "print(open('/data/in.txt').read())\nopen('/data/in.txt', 'w').write('x')";
            let out = run(
                sb,
                Language::Python,
                code,
                RunOptions::new().read_only(dir.path(), "/data"),
            )?;
            if out.stdout.trim() != "data" {
                return Err(format!(
                    "could not read input: {:?} {}",
                    out.stdout,
                    tail(&out.stderr)
                ));
            }
            if std::fs::read_to_string(dir.path().join("in.txt")).map_err(|e| e.to_string())?
                != "data"
            {
                return Err("read-only input was modified".into());
            }
            expect_failed_with(&out, &["PermissionError", "OSError"])
        }),
        case("python opens a socket", "failed", |sb| {
            let code = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.connect(('127.0.0.1', 22))";
            let out = run(sb, Language::Python, code, RunOptions::new())?;
            expect_failed_with(&out, &["Error", "error"])
        }),
        case("python reads env vars", "empty environment", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import os\nprint(dict(os.environ), os.getenv('HONE_SANDBOX_TEST_SECRET'))",
                RunOptions::new(),
            )?;
            no_secret(&out, "hunter2")?;
            if out.stdout.trim() != "{} None" {
                return Err(format!("environment visible: {:?}", out.stdout));
            }
            Ok(describe(&out))
        }),
        case("javascript reads env vars", "empty environment", |sb| {
            let out = run(
                sb,
                Language::JavaScript,
                "console.log(JSON.stringify(std.getenviron()), std.getenv('HOME'))",
                RunOptions::new(),
            )?;
            no_secret(&out, "hunter2")?;
            if out.stdout.trim() != "{} undefined" {
                return Err(format!("environment visible: {:?}", out.stdout));
            }
            Ok(describe(&out))
        }),
        case("python import ctypes", "failed: ImportError", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import ctypes\nctypes.CDLL(None)",
                RunOptions::new(),
            )?;
            expect_failed_with(&out, &["ModuleNotFoundError", "ImportError", "OSError"])
        }),
        case("python os.system", "failed", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import os\nprint(os.system('cat /etc/passwd'))",
                RunOptions::new(),
            )?;
            no_secret(&out, "root:")?;
            expect_failed_with(&out, &["AttributeError", "OSError"])
        }),
        case("python subprocess", "failed", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import subprocess\nprint(subprocess.run(['ls', '/'], capture_output=True))",
                RunOptions::new(),
            )?;
            expect_failed_with(&out, &["Error", "error"])
        }),
        case("javascript os.exec", "no exec", |sb| {
            let out = run(
                sb,
                Language::JavaScript,
                "console.log(typeof os.exec === 'function' ? os.exec(['ls', '/']) : 'absent')",
                RunOptions::new(),
            )?;
            if out.is_success() && out.stdout.trim() == "absent" {
                return Ok(describe(&out));
            }
            if out.is_success() && !out.stdout.trim().starts_with('0') {
                return Ok(format!(
                    "{} (os.exec returned {})",
                    describe(&out),
                    out.stdout.trim()
                ));
            }
            expect_failed_with(&out, &["Error", "error"])
        }),
        case(
            "python calls an ungranted host fn",
            "HostError in guest",
            |sb| {
                let host = HostFunctions::new().grant("env.observe", |_| Ok(json!("room")));
                let code = "print(env.observe())\ntry:\n    host_call('fs.delete', '/')\nexcept HostError as e:\n    print('refused:', e)\nenv.step('x')";
                let out = run(sb, Language::Python, code, RunOptions::new().host(host))?;
                if !out
                    .stdout
                    .contains("room\nrefused: host function \"fs.delete\" is not granted")
                {
                    return Err(format!("unexpected stdout {:?}", out.stdout));
                }
                expect_failed_with(&out, &["AttributeError"])
            },
        ),
        case(
            "javascript calls an ungranted host fn",
            "HostError in guest",
            |sb| {
                let code = "try { host_call('net.fetch', 'http://x'); } catch (e) { console.log(e.name, e.message); }";
                let out = run(sb, Language::JavaScript, code, RunOptions::new())?;
                if !out
                    .stdout
                    .contains("HostError host function \"net.fetch\" is not granted")
                {
                    return Err(format!(
                        "unexpected stdout {:?} / {}",
                        out.stdout,
                        tail(&out.stderr)
                    ));
                }
                Ok(describe(&out))
            },
        ),
        case(
            "python malformed host call",
            "error reply, channel still works",
            |sb| {
                let host = HostFunctions::new().grant("echo", Ok);
                let code = "import os, sys\nos.write(2, b'\\x1ehone:{\"id\": 1, \"call\": oops\\n')\nprint(sys.stdin.readline().strip())\nprint(echo(5))";
                let out = run(sb, Language::Python, code, RunOptions::new().host(host))?;
                if !out.is_success()
                    || !out.stdout.contains("malformed host call")
                    || !out.stdout.ends_with("[5]\n")
                {
                    return Err(format!(
                        "{} / {:?} / {}",
                        describe(&out),
                        out.stdout,
                        tail(&out.stderr)
                    ));
                }
                Ok(describe(&out))
            },
        ),
        case("python huge host call", "error reply", |sb| {
            let host = HostFunctions::new().grant("echo", Ok);
            let code = "try:\n    echo('x' * (4 << 20))\nexcept HostError as e:\n    print(e)";
            let out = run(sb, Language::Python, code, RunOptions::new().host(host))?;
            if !out.stdout.contains("larger than") {
                return Err(format!(
                    "{} / {:?} / {}",
                    describe(&out),
                    out.stdout,
                    tail(&out.stderr)
                ));
            }
            Ok(describe(&out))
        }),
        case(
            "python unserialisable host args",
            "TypeError in guest",
            |sb| {
                let host = HostFunctions::new().grant("echo", Ok);
                let out = run(
                    sb,
                    Language::Python,
                    "echo(object())",
                    RunOptions::new().host(host),
                )?;
                expect_failed_with(&out, &["TypeError"])
            },
        ),
        case("panicking host function", "HostError, host alive", |sb| {
            let host =
                HostFunctions::new().grant("boom", |_| panic!("host bug (expected by this test)"));
            let out = run(
                sb,
                Language::Python,
                "try:\n    boom()\nexcept HostError as e:\n    print(e)",
                RunOptions::new().host(host),
            )?;
            if !out.stdout.contains("panicked") {
                return Err(format!("{:?}", out.stdout));
            }
            Ok(describe(&out))
        }),
        case("python sys.exit(3)", "failed(3)", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import sys\nprint('bye')\nsys.exit(3)",
                RunOptions::new(),
            )?;
            if out.status != (RunStatus::Failed { exit_code: 3 }) || out.stdout != "bye\n" {
                return Err(describe(&out));
            }
            Ok(describe(&out))
        }),
        case("javascript std.exit(4)", "failed(4)", |sb| {
            let out = run(sb, Language::JavaScript, "std.exit(4)", RunOptions::new())?;
            if out.status != (RunStatus::Failed { exit_code: 4 }) {
                return Err(describe(&out));
            }
            Ok(describe(&out))
        }),
        case("python os.abort() traps", "trap", |sb| {
            let out = run(
                sb,
                Language::Python,
                "import os\nos.abort()",
                RunOptions::new(),
            )?;
            if !matches!(out.status, RunStatus::Trap { .. }) {
                return Err(format!("{} / {}", describe(&out), tail(&out.stderr)));
            }
            Ok(describe(&out))
        }),
        case("python out of fuel", "limit:fuel", |_| {
            let sb = SandboxConfig::new()
                .fuel(Some(20_000_000))
                .build()
                .map_err(|e| e.to_string())?;
            let out = run(&sb, Language::Python, "print('never')", RunOptions::new())?;
            if out.fuel_used.is_none() {
                return Err("no fuel figure".into());
            }
            expect_limit(&out, LimitKind::Fuel)
        }),
        case("50 concurrent runs", "all 50 correct", |sb| {
            let sb = sb.clone();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .map_err(|e| e.to_string())?;
            let t = Instant::now();
            let outs = rt.block_on(async move {
                let mut tasks = Vec::new();
                for i in 0..50i64 {
                    let sb = sb.clone();
                    let lang = if i % 5 == 4 {
                        Language::JavaScript
                    } else {
                        Language::Python
                    };
                    let code = match lang {
                        Language::Python => "result = twice(INPUT) * INPUT",
                        Language::JavaScript => "var result = twice(INPUT) * INPUT;",
                    };
                    let host = HostFunctions::new()
                        .grant("twice", |a| Ok(json!(a[0].as_i64().unwrap_or(0) * 2)));
                    let opts = RunOptions::new().input(json!(i)).host(host);
                    tasks.push(tokio::spawn(
                        async move { sb.run_async(lang, code, opts).await },
                    ));
                }
                let mut outs = Vec::new();
                for t in tasks {
                    outs.push(t.await);
                }
                outs
            });
            for (i, out) in outs.into_iter().enumerate() {
                let out = out.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
                let i = i as i64;
                if out.result != Some(json!(2 * i * i)) {
                    return Err(format!(
                        "run {i}: {} {:?} {}",
                        describe(&out),
                        out.result,
                        tail(&out.stderr)
                    ));
                }
            }
            Ok(format!(
                "50 ok in {:.0} ms",
                t.elapsed().as_secs_f64() * 1e3
            ))
        }),
    ]
}

#[test]
fn adversarial_suite() {
    // A secret in the host environment that no guest may see.
    std::env::set_var("HONE_SANDBOX_TEST_SECRET", "hunter2");
    let sb = common::sandbox();
    let mut rows = Vec::new();
    for c in cases() {
        let check = c.check;
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&sb)))
            .unwrap_or_else(|_| Err("panicked".into()));
        rows.push((c.name, c.expect, got));
    }

    // The host is unharmed: the same sandbox still runs programs normally.
    let after = sb
        .run(Language::Python, "print(sum(range(10)))", RunOptions::new())
        .expect("host error");
    let healthy = after.is_success() && after.stdout == "45\n";

    println!(
        "\n{:<38} {:<32} {:<6} observed",
        "case", "expected", "result"
    );
    println!("{}", "-".repeat(120));
    for (name, expect, got) in &rows {
        let (mark, text) = match got {
            Ok(t) => ("PASS", t.as_str()),
            Err(e) => ("FAIL", e.as_str()),
        };
        println!("{name:<38} {expect:<32} {mark:<6} {text}");
    }
    println!(
        "{:<38} {:<32} {:<6}",
        "host still healthy",
        "print(sum(range(10))) = 45",
        if healthy { "PASS" } else { "FAIL" }
    );
    let failed: Vec<_> = rows.iter().filter(|r| r.2.is_err()).map(|r| r.0).collect();
    println!(
        "{} cases, {} failed\n",
        rows.len() + 1,
        failed.len() + usize::from(!healthy)
    );
    assert!(
        healthy,
        "sandbox unusable after the adversarial cases: {after:?}"
    );
    assert!(failed.is_empty(), "failed cases: {failed:?}");
}
