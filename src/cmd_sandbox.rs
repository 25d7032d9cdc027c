//! `hone sandbox run` (run a program in the wasm sandbox) and `hone bench sandbox` (start-up
//! latency against native python3, cold compile against the cached artifact, throughput).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use hone_sandbox::{Language, RunOptions, RunStatus, Sandbox, SandboxConfig};

/// Arguments of `hone sandbox run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Language of the program: python or js.
    #[arg(long, default_value = "python")]
    lang: Language,
    /// Program file, or - to read it from stdin.
    file: String,
    /// Wall-clock limit in milliseconds.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Linear-memory limit in MiB.
    #[arg(long)]
    memory_mb: Option<usize>,
    /// Host directory granted read-write as /scratch.
    #[arg(long)]
    scratch: Option<PathBuf>,
    /// JSON value given to the program as INPUT.
    #[arg(long)]
    input: Option<String>,
    /// Function to call with INPUT after the program ran; its return value is the result.
    #[arg(long)]
    call: Option<String>,
    /// Meter instructions with this much fuel (slower; the timeout applies either way).
    #[arg(long)]
    fuel: Option<u64>,
}

/// Runs the program, prints its stdout and stderr, then one JSON line with the outcome.
/// Returns 0 only when the program succeeded; its own exit code when it exited non-zero; 1
/// when a limit stopped it or it trapped.
pub async fn run(args: RunArgs) -> anyhow::Result<i32> {
    let code = if args.file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the program from stdin")?;
        s
    } else {
        std::fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file))?
    };
    let mut config = SandboxConfig::new().fuel(args.fuel);
    if let Some(ms) = args.timeout_ms {
        config = config.timeout(Duration::from_millis(ms));
    }
    if let Some(mb) = args.memory_mb {
        config = config.memory_limit(mb << 20);
    }
    let sandbox = config.build()?;
    let mut opts = RunOptions::new();
    if let Some(input) = &args.input {
        let value = serde_json::from_str(input).context("--input is not valid JSON")?;
        opts = opts.input(value);
    }
    if let Some(dir) = args.scratch {
        opts = opts.scratch(dir);
    }
    if let Some(name) = args.call {
        opts = opts.call(name);
    }
    let out = sandbox.run_async(args.lang, code, opts).await?;

    std::io::stderr().write_all(out.stderr.as_bytes())?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.stdout.as_bytes())?;
    if !out.stdout.is_empty() && !out.stdout.ends_with('\n') {
        stdout.write_all(b"\n")?;
    }
    writeln!(stdout, "{}", out.summary_json())?;
    stdout.flush()?;
    Ok(match out.status {
        RunStatus::Success => 0,
        RunStatus::Failed { exit_code } => exit_code.clamp(1, 255),
        RunStatus::Limit { .. } | RunStatus::Trap { .. } => 1,
    })
}

/// Arguments of `hone bench sandbox`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Timed runs per latency figure.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Worker threads for the throughput figure.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Runs per worker for the throughput figure.
    #[arg(long, default_value_t = 20)]
    runs_per_worker: usize,
    /// Native interpreter to compare with.
    #[arg(long, default_value = "python3")]
    python3: String,
    /// Also measure Python with fuel metering on (compiles a second artifact the first time).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    fuel: bool,
}

const PY_PROGRAM: &str = "print(sum(range(100)))";
const JS_PROGRAM: &str = "let s = 0; for (let i = 0; i < 100; i++) s += i; console.log(s);";

/// p50 and p95 of a set of durations, in milliseconds.
fn percentiles(samples: Vec<Duration>) -> (f64, f64) {
    crate::stats::p50_p95(samples.iter().map(|d| d.as_secs_f64() * 1e3).collect())
}

fn time_runs(
    sandbox: &Sandbox,
    lang: Language,
    code: &str,
    runs: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let out = sandbox.run(lang, code, RunOptions::new())?;
        samples.push(t.elapsed());
        anyhow::ensure!(
            out.is_success(),
            "benchmark program failed: {:?} {}",
            out.status,
            out.stderr
        );
    }
    Ok(samples)
}

/// Round trips of the bench program as a snippet in one warm session.
fn session_round_trips(sb: &Sandbox, runs: usize) -> anyhow::Result<Vec<Duration>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut s = hone_sandbox::Session::new(sb.clone(), RunOptions::new());
        s.run("pass").await?;
        let mut times = Vec::new();
        for _ in 0..runs {
            let t0 = std::time::Instant::now();
            let out = s.run(PY_PROGRAM).await?;
            anyhow::ensure!(out.is_success(), "session snippet failed: {}", out.stderr);
            times.push(t0.elapsed());
        }
        Ok(times)
    })
}

/// Prints the sandbox figures side by side.
pub async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || bench_blocking(args)).await?
}

fn bench_blocking(args: BenchArgs) -> anyhow::Result<()> {
    let runs = args.runs.max(1);
    let cache = std::env::temp_dir().join(format!("hone-bench-cache-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(cache.clone());
    println!("hone bench sandbox: {runs} runs per figure, program `{PY_PROGRAM}`");
    println!();

    // Cold: compile into an empty cache; cached: a new sandbox loading that artifact.
    println!("{:<44} {:>12} {:>12}", "start-up", "python", "quickjs");
    let mut cold = [0.0; 2];
    let mut cold_first_run = [0.0; 2];
    let mut cached = [0.0; 2];
    let mut cached_first_run = [0.0; 2];
    for (i, (lang, code)) in [
        (Language::Python, PY_PROGRAM),
        (Language::JavaScript, JS_PROGRAM),
    ]
    .into_iter()
    .enumerate()
    {
        let sb = SandboxConfig::new().cache_dir(&cache).build()?;
        let t = Instant::now();
        sb.prepare(lang)?;
        cold[i] = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        sb.run(lang, code, RunOptions::new())?;
        cold_first_run[i] = cold[i] + t.elapsed().as_secs_f64() * 1e3;

        let sb = SandboxConfig::new().cache_dir(&cache).build()?;
        let t = Instant::now();
        sb.prepare(lang)?;
        cached[i] = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        sb.run(lang, code, RunOptions::new())?;
        cached_first_run[i] = cached[i] + t.elapsed().as_secs_f64() * 1e3;
    }
    println!(
        "{:<44} {:>10.1}ms {:>10.1}ms",
        "cold: compile guest", cold[0], cold[1]
    );
    println!(
        "{:<44} {:>10.1}ms {:>10.1}ms",
        "cold: compile + first run", cold_first_run[0], cold_first_run[1]
    );
    println!(
        "{:<44} {:>10.1}ms {:>10.1}ms",
        "cached: load artifact (incl. sha256 of guest)", cached[0], cached[1]
    );
    println!(
        "{:<44} {:>10.1}ms {:>10.1}ms",
        "cached: load + first run", cached_first_run[0], cached_first_run[1]
    );
    println!();

    let sandbox = SandboxConfig::new().cache_dir(&cache).build()?;
    sandbox.prepare(Language::Python)?;
    sandbox.prepare(Language::JavaScript)?;
    time_runs(&sandbox, Language::Python, PY_PROGRAM, 3)?;
    let (py50, py95) = percentiles(time_runs(&sandbox, Language::Python, PY_PROGRAM, runs)?);
    let (js50, js95) = percentiles(time_runs(&sandbox, Language::JavaScript, JS_PROGRAM, runs)?);
    let fuel = if args.fuel {
        let fueled = SandboxConfig::new()
            .cache_dir(&cache)
            .fuel(Some(u64::MAX / 2))
            .build()?;
        fueled.prepare(Language::Python)?;
        time_runs(&fueled, Language::Python, PY_PROGRAM, 2)?;
        let out = fueled.run(Language::Python, PY_PROGRAM, RunOptions::new())?;
        let (f50, f95) = percentiles(time_runs(&fueled, Language::Python, PY_PROGRAM, runs)?);
        Some((f50, f95, out.fuel_used.unwrap_or(0)))
    } else {
        None
    };

    let mut native = Vec::with_capacity(runs);
    let mut native_error = None;
    for _ in 0..runs {
        let t = Instant::now();
        match std::process::Command::new(&args.python3)
            .args(["-c", PY_PROGRAM])
            .output()
        {
            Ok(o) if o.status.success() => native.push(t.elapsed()),
            Ok(o) => {
                native_error = Some(format!("exit {}", o.status));
                break;
            }
            Err(e) => {
                native_error = Some(e.to_string());
                break;
            }
        }
    }

    println!(
        "{:<44} {:>12} {:>12} {:>10}",
        "latency per run (warm)", "p50", "p95", "vs native"
    );
    let native_p50 = if native.is_empty() {
        None
    } else {
        Some(percentiles(native.clone()).0)
    };
    let ratio = |p50: f64| native_p50.map_or("-".to_string(), |n| format!("{:.2}x", p50 / n));
    println!(
        "{:<44} {:>10.2}ms {:>10.2}ms {:>10}",
        "sandbox python -S (epoch timeout, no fuel)",
        py50,
        py95,
        ratio(py50)
    );
    if let Some((f50, f95, used)) = fuel {
        println!(
            "{:<44} {:>10.2}ms {:>10.2}ms {:>10}",
            format!("sandbox python -S, fuel on ({}M units)", used / 1_000_000),
            f50,
            f95,
            ratio(f50)
        );
    }
    println!(
        "{:<44} {:>10.2}ms {:>10.2}ms {:>10}",
        "sandbox quickjs",
        js50,
        js95,
        ratio(js50)
    );
    // A warm session: the same program as a snippet in a guest kept alive (code actions).
    let session_times = session_round_trips(&sandbox, runs)?;
    let (s50, s95) = percentiles(session_times);
    println!(
        "{:<44} {:>10.2}ms {:>10.2}ms {:>10}   target p50 <= 2 ms",
        "session snippet, warm (python, kept alive)",
        s50,
        s95,
        ratio(s50)
    );
    match (native_p50, &native_error) {
        (Some(_), _) => {
            let (n50, n95) = percentiles(native);
            println!(
                "{:<44} {:>10.2}ms {:>10.2}ms {:>10}",
                format!("native {} -c", args.python3),
                n50,
                n95,
                "1.00x"
            );
        }
        (None, Some(e)) => println!(
            "{:<44} unavailable: {e}",
            format!("native {} -c", args.python3)
        ),
        (None, None) => {}
    }
    println!();

    println!(
        "{:<44} {:>12} {:>12}",
        "throughput (python, warm)", "runs", "runs/s"
    );
    for workers in [1, args.workers.max(1)] {
        let total = workers * args.runs_per_worker;
        let t = Instant::now();
        std::thread::scope(|s| -> anyhow::Result<()> {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let sb = sandbox.clone();
                    let n = args.runs_per_worker;
                    s.spawn(move || time_runs(&sb, Language::Python, PY_PROGRAM, n).map(|_| ()))
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| anyhow::anyhow!("bench worker panicked"))??;
            }
            Ok(())
        })?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{:<44} {:>12} {:>12.1}",
            format!("{workers} worker(s)"),
            total,
            total as f64 / secs
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!("machine: {cores} cores; targets: python p50 <= 0.5x native, quickjs p50 <= 5 ms");
    Ok(())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
