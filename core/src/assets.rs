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

/// The sha256 of a file, as hex. Big files (models) are hashed once: the digest is kept in
/// `FILE.sha256` beside it, trusted while the file's size and modification time are unchanged.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let stamp = format!(
        "{} {}",
        meta.len(),
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos())
    );
    let mut side = path.as_os_str().to_owned();
    side.push(".sha256");
    let side = PathBuf::from(side);
    if let Ok(text) = std::fs::read_to_string(&side) {
        if let Some((hash, s)) = text.trim().split_once(' ') {
            if s == stamp && hash.len() == 64 {
                return Ok(hash.to_string());
            }
        }
    }
    let hash = sha256_uncached(path)?;
    let _ = std::fs::write(&side, format!("{hash} {stamp}\n"));
    Ok(hash)
}

/// The sha256 of a file, as hex, always read in full.
pub fn sha256_uncached(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// How a run manifest names a model file: `NAME (SIZE MB, sha256 PREFIX)`.
pub fn file_identity(path: &Path) -> anyhow::Result<String> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .len();
    let hash = sha256_file(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(format!(
        "{name} ({:.1} MB, sha256 {})",
        size as f64 / 1e6,
        &hash[..16]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_hashes_are_cached_beside_the_file_and_refreshed_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.gguf");
        std::fs::write(&f, b"abc").unwrap();
        let h = sha256_file(&f).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(dir.path().join("m.gguf.sha256").exists());
        assert_eq!(sha256_file(&f).unwrap(), h);
        std::fs::write(&f, b"abcd").unwrap();
        assert_ne!(
            sha256_file(&f).unwrap(),
            h,
            "a changed file is hashed again"
        );
        assert!(file_identity(&f)
            .unwrap()
            .starts_with("m.gguf (0.0 MB, sha256 88d4266fd4e6338d"));
    }
}
