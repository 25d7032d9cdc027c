//! Where hone finds its fetched assets (the default model, the wasm guests).
//!
//! `scripts/fetch-assets` fills a git-ignored `assets/` folder at the repository root. At run time
//! the folder is `$HONE_ASSETS` when set, else the first `assets/` found walking up from the
//! current directory, else from the running executable's directory.

use std::path::{Path, PathBuf};

/// File name of the default model inside `assets/`.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn walk_up(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("assets"))
        .find(|d| d.is_dir())
}

/// The assets folder, if one can be found.
pub fn assets_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("HONE_ASSETS") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::current_dir().ok().and_then(|c| walk_up(&c)) {
        return Some(d);
    }
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().and_then(walk_up))
}

/// The model to use when none is named: `$HONE_MODEL`, else `assets/` + [`DEFAULT_MODEL_FILE`].
/// The error says how to get it.
pub fn default_model_path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("HONE_MODEL") {
        return Ok(PathBuf::from(p));
    }
    let path = assets_dir().map(|d| d.join(DEFAULT_MODEL_FILE));
    match path {
        Some(p) if p.is_file() => Ok(p),
        _ => anyhow::bail!(
            "the default model {DEFAULT_MODEL_FILE} is not in assets/: run scripts/fetch-assets \
             (or make demo / make test), or pass --model PATH or set HONE_MODEL"
        ),
    }
}
