//! `hone skills list|show|check|import|export|discover`: the skill library and SkillWeaver-style
//! discovery. Parsing and printing only; the work is in hone-skills.

use crate::model_args::ModelArgs;
use anyhow::Context;
use hone_sandbox::{Language, Sandbox, SandboxConfig};
use hone_skills::discover::{DiscoverConfig, Discovery, PracticeEnv};
use hone_skills::household::HouseholdPractice;
use hone_skills::{CodeAgentConfig, SkillLibrary};
use std::path::PathBuf;
use std::sync::Arc;

hone_core::named_enum! {
    /// Environment kinds skills are made for.
    pub enum EnvKind {
        Household = "household",
        Web = "web",
        Shell = "shell",
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum SkillsCmd {
    /// List a library's skills with their versions and test counts.
    List(LibArgs),
    /// Print one skill: its code, metadata and (with --versions) every version.
    Show(ShowArgs),
    /// Run the static checks on skill files without storing them.
    Check(CheckArgs),
    /// Import a folder of .py skills (with or without library.json) into a library.
    Import(ImportArgs),
    /// Export a library as a folder of .py files plus library.json.
    Export(ExportArgs),
    /// Explore an environment and grow a library: propose → practise → distil → hone.
    Discover(DiscoverArgs),
}

#[derive(clap::Args, Debug)]
pub struct LibArgs {
    /// A library: a discovery folder, a library made by `hone skills import`, or a folder of
    /// .py skills.
    #[arg(long, default_value = "skills")]
    pub library: PathBuf,
    /// Only skills of this environment kind.
    #[arg(long, value_enum)]
    pub env: Option<EnvKind>,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    pub name: String,
    #[command(flatten)]
    pub lib: LibArgs,
    /// Print every stored version, oldest first.
    #[arg(long)]
    pub versions: bool,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Skill files (.py).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = EnvKind::Household)]
    pub env: EnvKind,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// A folder of .py skills (e.g. examples/skills/household).
    pub from: PathBuf,
    /// The library to import into (created if missing).
    #[arg(long, default_value = "skills")]
    pub library: PathBuf,
    /// Environment kind of files that library.json does not describe.
    #[arg(long, value_enum, default_value_t = EnvKind::Household)]
    pub env: EnvKind,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Where to write NAME.py files and library.json.
    pub to: PathBuf,
    #[arg(long, default_value = "skills")]
    pub library: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long, value_enum, default_value_t = EnvKind::Household)]
    pub env: EnvKind,
    /// --env web: the site to explore (the bundled shop: `shopping`, WebArena's name for it).
    #[arg(long, default_value = "shopping")]
    pub site: String,
    /// Iterations in all (a rerun resumes after the ones already done).
    #[arg(long, default_value_t = 10)]
    pub iterations: u32,
    /// The session folder: the library (library/), discovery.jsonl, episodes.jsonl,
    /// report.html.
    #[arg(long, default_value = "runs/discover")]
    pub library: PathBuf,
    /// Start from these skills (a folder of .py files or another library), e.g. to hone a
    /// hand-written library.
    #[arg(long)]
    pub seed_skills: Option<PathBuf>,
    /// Fresh test episodes per new skill version.
    #[arg(long, default_value_t = 2)]
    pub tests: u32,
    /// Rewrites of a failing skill before it is disabled.
    #[arg(long, default_value_t = 2)]
    pub max_repairs: u32,
    /// Skills in scope while practising.
    #[arg(long, default_value_t = 4)]
    pub top_k: usize,
    /// Model turns per practice episode.
    #[arg(long, default_value_t = 6)]
    pub max_turns: usize,
    /// Environment actions per episode.
    #[arg(long, default_value_t = 50)]
    pub max_actions: u32,
    /// Seed of the session's episodes.
    #[arg(long, default_value_t = 0x5EED)]
    pub seed: u64,
    /// A kind of task proposed again after this many practices and no success is swapped for
    /// the least-practised kind (0: the proposal always stands).
    #[arg(long, default_value_t = 2)]
    pub max_failed_repeats: usize,
}

fn sandbox() -> anyhow::Result<Sandbox> {
    let sb = SandboxConfig::new().build()?;
    sb.prepare(Language::Python)?;
    Ok(sb)
}

/// What `--agent code` needs in every `hone eval`: a sandbox with Python ready, and the
/// `--skills` library (a sled library or a folder of `.py` skills of `kind`) if one was given.
pub async fn code_agent_parts(
    skills: Option<&std::path::Path>,
    kind: &str,
) -> anyhow::Result<(Sandbox, Option<SkillLibrary>)> {
    use anyhow::Context;
    let sb = sandbox()?;
    let library = match skills {
        Some(p) => Some(
            SkillLibrary::open_or_import(p, &sb, kind)
                .await
                .with_context(|| format!("loading the skills in {}", p.display()))?,
        ),
        None => None,
    };
    Ok((sb, library))
}

async fn open(lib: &LibArgs, sb: &Sandbox) -> anyhow::Result<SkillLibrary> {
    anyhow::ensure!(
        lib.library.exists(),
        "no skill library at {} (make one with `hone skills import` or `hone skills discover`)",
        lib.library.display()
    );
    let env = lib.env.map_or("household", |e| e.name());
    SkillLibrary::open_or_import(&lib.library, sb, env).await
}

pub async fn run(cmd: SkillsCmd) -> anyhow::Result<()> {
    match cmd {
        SkillsCmd::List(a) => {
            let sb = sandbox()?;
            let lib = open(&a, &sb).await?;
            let skills = lib.list()?;
            println!(
                "{:<22} {:<10} {:>3} {:>11} {:>5} {:<8} {:<11} signature",
                "name", "env", "v", "tests", "uses", "enabled", "source"
            );
            for s in skills
                .iter()
                .filter(|s| a.env.is_none_or(|e| s.env == e.name()))
            {
                println!(
                    "{:<22} {:<10} {:>3} {:>5}/{:<5} {:>5} {:<8} {:<11} {}",
                    s.name,
                    s.env,
                    s.version,
                    s.successes,
                    s.tests,
                    s.uses,
                    if s.enabled { "yes" } else { "no" },
                    s.provenance.source,
                    s.signature
                );
            }
            println!("{} skills", skills.len());
        }
        SkillsCmd::Show(a) => {
            let sb = sandbox()?;
            let lib = open(&a.lib, &sb).await?;
            let s = lib
                .get(&a.name)?
                .with_context(|| format!("no skill named `{}`", a.name))?;
            let show = |s: &hone_skills::Skill| {
                println!(
                    "# {} v{} ({}) — tests {}/{}, uses {}, {}; from {}{}{}",
                    s.name,
                    s.version,
                    s.env,
                    s.successes,
                    s.tests,
                    s.uses,
                    if s.enabled { "enabled" } else { "disabled" },
                    s.provenance.source,
                    s.provenance
                        .episode
                        .as_deref()
                        .map(|e| format!(", episode {e}"))
                        .unwrap_or_default(),
                    s.provenance
                        .model
                        .as_deref()
                        .map(|m| format!(", model {m}"))
                        .unwrap_or_default(),
                );
                if !s.calls.is_empty() {
                    println!("# calls: {}", s.calls.join(", "));
                }
                println!("{}", s.code.trim_end());
            };
            if a.versions {
                for v in lib.versions(&a.name)? {
                    show(&v);
                    println!();
                }
            } else {
                show(&s);
            }
        }
        SkillsCmd::Check(a) => {
            let sb = sandbox()?;
            let api = hone_skills::api::names(a.env.name());
            let names: Vec<String> = a
                .files
                .iter()
                .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect();
            let mut bad = 0;
            for f in &a.files {
                let code = std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?;
                let c = hone_skills::skill::check(&sb, &code, None, &api, &names).await?;
                if c.ok {
                    println!("ok    {}: {}", f.display(), c.signature);
                } else {
                    bad += 1;
                    println!("FAIL  {}:\n  - {}", f.display(), c.errors.join("\n  - "));
                }
            }
            anyhow::ensure!(bad == 0, "{bad} of {} files fail the checks", a.files.len());
        }
        SkillsCmd::Import(a) => {
            let sb = sandbox()?;
            let lib = SkillLibrary::open(&a.library)?;
            for (name, added) in lib.import(&a.from, &sb, a.env.name()).await? {
                println!("{name}: {added:?}");
            }
            println!("library: {} ({} skills)", a.library.display(), lib.len());
        }
        SkillsCmd::Export(a) => {
            let sb = sandbox()?;
            let lib = open(
                &LibArgs {
                    library: a.library.clone(),
                    env: None,
                },
                &sb,
            )
            .await?;
            let n = lib.export(&a.to)?;
            println!("wrote {n} skills and library.json to {}", a.to.display());
        }
        SkillsCmd::Discover(a) => discover(a).await?,
    }
    Ok(())
}

async fn discover(a: DiscoverArgs) -> anyhow::Result<()> {
    let env: Arc<dyn PracticeEnv> = match a.env {
        EnvKind::Household => Arc::new(HouseholdPractice::new(a.max_actions)),
        EnvKind::Web => {
            anyhow::ensure!(
                a.site == "shopping",
                "web discovery practises on the bundled shop (--site shopping); the bundled \
                 forum ({}) has no practice tasks yet",
                a.site
            );
            let browser = hone_envs::web::browser::Browser::launch().await?;
            Arc::new(hone_skills::web::WebPractice::start(browser, a.max_actions.min(30)).await?)
        }
        other => anyhow::bail!(
            "skill discovery on the {other} environment needs that environment, which is not built yet"
        ),
    };
    let sb = sandbox()?;
    let model = a.model.open()?;
    let config = DiscoverConfig {
        iterations: a.iterations,
        tests: a.tests,
        max_repairs: a.max_repairs,
        k: a.top_k,
        agent: CodeAgentConfig {
            max_turns: a.max_turns,
            max_actions: a.max_actions as usize,
            ..Default::default()
        },
        seed: a.seed,
        progress: true,
        max_failed_repeats: a.max_failed_repeats,
    };
    let d = Discovery::open(&a.library, model, sb.clone(), env, config)?;
    if let Some(seed) = &a.seed_skills {
        if d.done() == 0 {
            let from = SkillLibrary::open_or_import(seed, &sb, a.env.name()).await?;
            for s in from.list()? {
                d.library.add(s)?;
            }
            for e in from.examples(a.env.name())? {
                d.library.add_example(e)?;
            }
        }
    }
    if d.done() > 0 {
        println!(
            "resuming {}: {} of {} iterations done",
            a.library.display(),
            d.done(),
            a.iterations
        );
    }
    let recs = d.run().await?;
    println!(
        "{:>4} {:<34} {:<28} {:<30} {:>7}",
        "iter", "proposal", "practice", "distilled", "skills"
    );
    for r in &recs {
        let proposal = match r.proposal["practise"].as_str() {
            Some("skill") => format!("skill {}", r.proposal["skill"].as_str().unwrap_or("")),
            _ => format!("task {}", r.proposal["task"].as_str().unwrap_or("(any)")),
        };
        let practice = r.practice.as_ref().map_or("-".to_string(), |p| {
            format!(
                "{} {}",
                p["kind"].as_str().unwrap_or(""),
                if p["won"] == true { "won" } else { "not won" }
            )
        });
        let distilled = r.distilled.as_ref().map_or("-".to_string(), |d| {
            format!(
                "{} {}",
                d["added"].as_str().unwrap_or(""),
                d["name"].as_str().unwrap_or("")
            )
        });
        let tests: Vec<&str> = r
            .tests
            .iter()
            .map(|t| if t.passed { "pass" } else { "fail" })
            .collect();
        println!(
            "{:>4} {:<34} {:<28} {:<30} {:>3}/{:<3} tests [{}]{}",
            r.iteration,
            proposal,
            practice,
            distilled,
            r.enabled,
            r.skills,
            tests.join(" "),
            r.error
                .as_deref()
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default()
        );
    }
    println!(
        "library: {}",
        hone_skills::discover::library_path(&a.library).display()
    );
    println!("report:  {}", a.library.join("report.html").display());
    Ok(())
}
