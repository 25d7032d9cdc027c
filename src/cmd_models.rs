//! `hone models list|fetch|path`: the model catalogue on the command line.

use hone_core::models::{self, FetchEvent};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum ModelsCmd {
    /// The catalogued models, their sizes and whether they are here.
    List,
    /// Fetch a model (resumable; every part and the whole file are checked by sha256).
    Fetch {
        /// A catalogued name (`hone models list`).
        name: String,
    },
    /// Print a fetched model's path (an error if it is not here).
    Path { name: String },
}

pub fn run(cmd: ModelsCmd) -> anyhow::Result<()> {
    match cmd {
        ModelsCmd::List => {
            println!(
                "{:<22} {:>9} {:>6}  {:<8} description",
                "name", "size", "parts", "here"
            );
            for e in models::catalog() {
                println!(
                    "{:<22} {:>6.0} MB {:>6}  {:<8} {}",
                    e.name,
                    e.size as f64 / 1e6,
                    e.parts.len(),
                    if e.is_present() { "yes" } else { "no" },
                    e.description
                );
            }
            println!("models folder: {}", models::models_dir().display());
        }
        ModelsCmd::Fetch { name } => {
            let path = fetch(models::find(&name)?)?;
            println!("{}", path.display());
        }
        ModelsCmd::Path { name } => {
            let e = models::find(&name)?;
            anyhow::ensure!(
                e.is_present(),
                "{name} is not fetched yet (or is damaged): run `hone models fetch {name}`"
            );
            println!("{}", e.path().display());
        }
    }
    Ok(())
}

/// Fetches with a progress bar (bytes of parts) on stderr.
pub fn fetch(e: &models::Entry) -> anyhow::Result<PathBuf> {
    let bar = ProgressBar::new(e.size);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:24} {bar:30} {bytes}/{total_bytes} [{elapsed} < {eta}]")
    {
        bar.set_style(style);
    }
    bar.set_message(e.name.clone());
    let on = |ev: FetchEvent| match ev {
        FetchEvent::PartKept { bytes, .. } | FetchEvent::PartFetched { bytes, .. } => {
            bar.inc(bytes)
        }
        FetchEvent::PartCorrupt { index } => {
            bar.suspend(|| eprintln!("part {} was damaged: fetching it again", index + 1))
        }
        FetchEvent::Assembling => bar.set_message(format!("{} (assembling)", e.name)),
    };
    let out = models::fetch(e, &on);
    bar.finish_and_clear();
    out
}

/// A `--model` value: a catalogued name (fetched when absent) or a file path.
pub fn resolve(model: &str) -> anyhow::Result<PathBuf> {
    match models::catalog().iter().find(|e| e.name == model) {
        Some(e) => fetch(e),
        None => Ok(PathBuf::from(model)),
    }
}
