//! The guests (CPython and QuickJS as WASI programs): where their files live and where their
//! compiled artifacts are cached.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use crate::error::SandboxError;

/// A language the sandbox runs, each backed by one guest interpreter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// CPython 3.12 (`python.wasm`, stdlib embedded).
    Python,
    /// QuickJS (`quickjs.wasm`, with the `std` and `os` modules).
    #[serde(alias = "js")]
    JavaScript,
}

impl Language {
    /// Both languages, in a fixed order.
    pub const ALL: [Language; 2] = [Language::Python, Language::JavaScript];

    /// File name of the guest binary in the assets directory.
    pub fn guest_file(self) -> &'static str {
        match self {
            Language::Python => "python.wasm",
            Language::JavaScript => "quickjs.wasm",
        }
    }

    /// Short lowercase name (`python`, `javascript`).
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "python" | "py" => Ok(Language::Python),
            "javascript" | "js" => Ok(Language::JavaScript),
            other => Err(format!("unknown language {other:?} (python or js)")),
        }
    }
}

/// The assets directory: `$HONE_ASSETS`, else the first `assets/` walking up from the current
/// directory, else walking up from this crate's source directory. `None` when nothing is found.
pub fn find_assets_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HONE_ASSETS") {
        return Some(PathBuf::from(dir));
    }
    let walk_up = |start: &Path| {
        start
            .ancestors()
            .map(|d| d.join("assets"))
            .find(|d| d.is_dir())
    };
    std::env::current_dir()
        .ok()
        .and_then(|cwd| walk_up(&cwd))
        .or_else(|| walk_up(Path::new(env!("CARGO_MANIFEST_DIR"))))
}

/// Path of a guest binary, or [`SandboxError::AssetMissing`] saying how to fetch it.
pub fn guest_path(assets_dir: Option<&Path>, language: Language) -> Result<PathBuf, SandboxError> {
    let dir = match assets_dir {
        Some(d) => d.to_path_buf(),
        None => find_assets_dir().unwrap_or_else(|| PathBuf::from("assets")),
    };
    let path = dir.join(language.guest_file());
    if path.is_file() {
        Ok(path)
    } else {
        Err(SandboxError::AssetMissing { path })
    }
}

/// The default cache directory: `$HONE_CACHE`, `$XDG_CACHE_HOME/hone` or `~/.cache/hone`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("HONE_CACHE") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("hone"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("hone"))
}

/// Feeds `Hash` values into a SHA-256 so that the engine's compatibility hash is stable on disk.
struct ShaHasher(Sha256);

impl std::hash::Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Where a compiled guest came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleSource {
    /// Compiled now (and written to the cache when it is on).
    Compiled,
    /// Loaded from the on-disk cache.
    Cached,
}

/// Compiles `wasm_path`, or loads the artifact cached under a key made of the guest's sha256,
/// the wasmtime version and the engine's compilation settings.
pub(crate) fn load_module(
    engine: &Engine,
    wasm_path: &Path,
    cache_dir: Option<&Path>,
) -> Result<(Module, ModuleSource), SandboxError> {
    let guest = wasm_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = std::fs::read(wasm_path).map_err(|source| SandboxError::Io {
        context: format!("reading {}", wasm_path.display()),
        source,
    })?;
    let compile = |bytes: &[u8]| {
        Module::from_binary(engine, bytes).map_err(|source| SandboxError::Compile {
            guest: guest.clone(),
            source,
        })
    };
    let Some(cache_dir) = cache_dir else {
        return Ok((compile(&bytes)?, ModuleSource::Compiled));
    };

    let mut key = Sha256::new();
    key.update(b"hone-sandbox/wasmtime-38/");
    key.update(Sha256::digest(&bytes));
    let mut h = ShaHasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
    key.update(h.0.finalize());
    let stem = guest.trim_end_matches(".wasm");
    let file = cache_dir.join(format!(
        "{stem}-{}.cwasm",
        &hex::encode(key.finalize())[..24]
    ));

    if file.is_file() {
        // SAFETY: `deserialize_file` trusts the file to be a wasmtime artifact. Only this function
        // writes into the cache, under a name derived from the guest's hash and the engine
        // settings, and it writes atomically (temp file + rename), so a file at this path is an
        // artifact we produced for exactly this guest and engine. wasmtime itself still checks
        // the header (version, target, flags) and refuses a mismatch, which we treat as a miss.
        match unsafe { Module::deserialize_file(engine, &file) } {
            Ok(module) => return Ok((module, ModuleSource::Cached)),
            Err(e) => tracing::warn!("ignoring unusable cache file {}: {e:#}", file.display()),
        }
    }

    let module = compile(&bytes)?;
    if let Err(e) = write_cache(&module, cache_dir, &file) {
        tracing::warn!(
            "could not cache compiled {guest} in {}: {e:#}",
            cache_dir.display()
        );
    }
    Ok((module, ModuleSource::Compiled))
}

fn write_cache(module: &Module, dir: &Path, file: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let data = module.serialize()?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(())
}
