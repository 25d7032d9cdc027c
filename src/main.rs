//! The `hone` command line. Argument parsing and printing only: the work is done by the crates.

mod cmd_agent;
mod cmd_bench_llm;
mod cmd_chat;
mod cmd_household;
mod cmd_models;
mod cmd_reasoning;
mod cmd_sandbox;
mod cmd_serve;
mod cmd_shell;
mod cmd_skills;
mod cmd_web;
mod model_args;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "hone",
    version,
    about = "Build and evaluate tool-using, self-reflecting agents"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Ask a model once and print its choices.
    Chat(cmd_chat::ChatArgs),
    /// Serve a local GGUF model over the OpenAI-compatible protocol.
    Serve(cmd_serve::ServeArgs),
    /// Run a one-off tool-calling agent on a task, printing each step as it happens.
    Run(cmd_agent::RunArgs),
    /// Run an eval: `hone eval household` (ALFWorld-compatible), `hone eval reasoning`
    /// (self-correction strategies), `hone eval toy`.
    Eval {
        #[command(subcommand)]
        which: EvalCmd,
    },
    /// Print a run's episodes as readable transcripts.
    Show(cmd_agent::ShowArgs),
    /// Write report.html and summary.json for a run folder (merging shards below it).
    Report(cmd_household::ReportArgs),
    /// Play or export environments by hand: `hone env household play`.
    Env {
        #[command(subcommand)]
        which: EnvCmd,
    },
    /// Run Python or JavaScript in the wasm sandbox.
    Sandbox {
        #[command(subcommand)]
        cmd: SandboxCmd,
    },
    /// The model catalogue: list, fetch, path.
    Models {
        #[command(subcommand)]
        cmd: cmd_models::ModelsCmd,
    },
    /// Skill libraries and skill discovery: list, show, check, import, export, discover.
    Skills {
        #[command(subcommand)]
        cmd: cmd_skills::SkillsCmd,
    },
    /// WebArena task files and evaluators: `hone web tasks check FILE`, `hone web judge`.
    Web {
        #[command(subcommand)]
        cmd: cmd_web::WebCmd,
    },
    /// The bundled web sites: `hone sites serve`.
    Sites {
        #[command(subcommand)]
        cmd: cmd_web::SitesCmd,
    },
    /// Benchmarks that print figures and ratios side by side.
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
}

#[derive(Subcommand, Debug)]
enum EvalCmd {
    /// ReAct / Act / Reflexion / the oracle on the household world (ALFWorld's splits).
    Household(cmd_household::EvalArgs),
    /// A ReAct or Reflexion agent on WebArena-format tasks in Chromium (the bundled suite on
    /// hone's own shop and forum, or WebArena's file with --site NAME=URL).
    Web(cmd_web::EvalArgs),
    /// ReAct, Act, Reflexion or the gold commands on InterCode-Bash's tasks in a bubblewrap
    /// jail.
    Shell(cmd_shell::EvalArgs),
    /// Reflexion on the built-in key-and-door world (a smoke test of the whole loop).
    Toy(cmd_agent::ToyEvalArgs),
    /// Self-correction and self-consistency strategies compared on reasoning tasks.
    Reasoning(cmd_reasoning::ReasoningArgs),
}

#[derive(Subcommand, Debug)]
enum EnvCmd {
    /// The household world.
    Household {
        #[command(subcommand)]
        cmd: HouseholdCmd,
    },
    /// The web environment (WebArena-format tasks in Chromium).
    Web {
        #[command(subcommand)]
        cmd: cmd_web::WebEnvCmd,
    },
    /// The shell environment (InterCode-Bash's tasks in a bubblewrap jail).
    Shell {
        #[command(subcommand)]
        cmd: cmd_shell::ShellEnvCmd,
    },
}

#[derive(Subcommand, Debug)]
enum HouseholdCmd {
    /// Read commands on stdin, print observations.
    Play(cmd_household::PlayArgs),
    /// Write a split's games as JSON game files.
    Export(cmd_household::ExportArgs),
    /// Convert ALFWorld's own game files (game.tw-pddl) into hone game files.
    ImportAlfworld(cmd_household::ImportArgs),
}

#[derive(Subcommand, Debug)]
enum SandboxCmd {
    /// Run a program file (or - for stdin) and print its output and one JSON outcome line.
    Run(cmd_sandbox::RunArgs),
}

#[derive(Subcommand, Debug)]
enum BenchCmd {
    /// Prefill/decode speed, prefix reuse over a conversation, batched vs sequential samples.
    Llm(cmd_bench_llm::BenchLlmArgs),
    /// Sandbox start-up latency against native python3, cold vs cached, throughput.
    Sandbox(cmd_sandbox::BenchArgs),
    /// Household world steps/s under random admissible play; oracle eval wall time.
    Household(cmd_household::BenchArgs),
    /// Web steps on the bundled shop against the bare CDP AX-tree call; resets; concurrency.
    Web(cmd_web::BenchArgs),
    /// Shell episode resets and per-command latency in the jail against a plain bash.
    Shell(cmd_shell::BenchArgs),
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HONE_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() {
    init_tracing();
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Chat(a) => cmd_chat::run(a).await.map(|_| 0),
        Cmd::Serve(a) => cmd_serve::run(a).await.map(|_| 0),
        Cmd::Eval {
            which: EvalCmd::Toy(a),
        } => cmd_agent::toy_eval(a).await.map(|_| 0),
        Cmd::Eval {
            which: EvalCmd::Household(a),
        } => cmd_household::eval(a).await.map(|_| 0),
        Cmd::Eval {
            which: EvalCmd::Web(a),
        } => cmd_web::eval(a).await.map(|_| 0),
        Cmd::Eval {
            which: EvalCmd::Shell(a),
        } => cmd_shell::eval(a).await.map(|_| 0),
        Cmd::Eval {
            which: EvalCmd::Reasoning(a),
        } => cmd_reasoning::run(a).await.map(|_| 0),
        Cmd::Report(a) => cmd_household::report(a).map(|_| 0),
        Cmd::Env {
            which: EnvCmd::Household {
                cmd: HouseholdCmd::Play(a),
            },
        } => cmd_household::play(a).map(|_| 0),
        Cmd::Env {
            which: EnvCmd::Household {
                cmd: HouseholdCmd::Export(a),
            },
        } => cmd_household::export(a).map(|_| 0),
        Cmd::Env {
            which:
                EnvCmd::Household {
                    cmd: HouseholdCmd::ImportAlfworld(a),
                },
        } => cmd_household::import_alfworld(a).map(|_| 0),
        Cmd::Env {
            which: EnvCmd::Web { cmd },
        } => cmd_web::play(cmd).await.map(|_| 0),
        Cmd::Env {
            which: EnvCmd::Shell { cmd },
        } => cmd_shell::play(cmd).await.map(|_| 0),
        Cmd::Bench {
            which: BenchCmd::Household(a),
        } => cmd_household::bench(a).await.map(|_| 0),
        Cmd::Show(a) => cmd_agent::show(a).map(|_| 0),
        Cmd::Models { cmd } => cmd_models::run(cmd).map(|_| 0),
        Cmd::Skills { cmd } => cmd_skills::run(cmd).await.map(|_| 0),
        Cmd::Web { cmd } => cmd_web::run(cmd).await.map(|_| 0),
        Cmd::Sites { cmd } => cmd_web::sites(cmd).await.map(|_| 0),
        Cmd::Run(a) => cmd_agent::run(a).await.map(|_| 0),
        Cmd::Sandbox {
            cmd: SandboxCmd::Run(a),
        } => cmd_sandbox::run(a).await,
        Cmd::Bench {
            which: BenchCmd::Web(a),
        } => cmd_web::bench(a).await.map(|_| 0),
        Cmd::Bench {
            which: BenchCmd::Shell(a),
        } => cmd_shell::bench(a).await.map(|_| 0),
        Cmd::Bench {
            which: BenchCmd::Llm(a),
        } => cmd_bench_llm::run(a).await.map(|_| 0),
        Cmd::Bench {
            which: BenchCmd::Sandbox(a),
        } => cmd_sandbox::bench(a).await.map(|_| 0),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
