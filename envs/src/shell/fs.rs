//! File systems for shell episodes: an image built once per file system by its setup script
//! (run inside a jail), a fresh copy per episode, and the change list InterCode reads from
//! `git status --short` (its Docker images commit the whole file system to git, ignoring the
//! system folders of `docker/docker.gitignore`), computed here by comparing snapshots.

use super::jail::{command, JAIL_UID};
use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level folders InterCode's git ignores (docker/docker.gitignore), plus `tmp`-free
/// system mounts the jail provides itself.
pub const IGNORED: &[&str] = &[
    "bin",
    "boot",
    "dev",
    "etc",
    "home",
    "lib",
    "media",
    "opt",
    "proc",
    "root",
    "run",
    "sbin",
    "srv",
    "sys",
    "usr",
    "var",
    "lib64",
    ".dockerenv",
];

/// An image: the tree a setup script built, and what git would have committed of it.
#[derive(Debug, Clone)]
pub struct Image {
    pub dir: PathBuf,
    pub tracked: Snapshot,
}

/// Path (relative to `/`, `/`-separated) → digest of the file's bytes (of the target, for a
/// symlink; `+x` appended for an executable file, as git records the mode), for every regular
/// file or symlink outside the ignored folders.
pub type Snapshot = BTreeMap<String, String>;

/// Builds an image in `dir` (emptied first) by running `setup` (a bash script) as root in a
/// jail over it, with the minimal `/etc` and folders a Debian container has.
pub async fn build_image(dir: &Path, setup: &str) -> anyhow::Result<Image> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    for d in ["etc", "tmp", "root", "home", "var", "opt", "mnt", "srv"] {
        std::fs::create_dir_all(dir.join(d))?;
    }
    std::fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    )?;
    std::fs::write(dir.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")?;
    std::fs::write(dir.join("etc/hostname"), "hone\n")?;
    chown_tree(dir)?;
    let script = dir.join("tmp/.hone-setup.sh");
    std::fs::write(&script, setup)?;
    chown_tree(&script)?;
    let out = command(dir, &["/bin/bash", "/tmp/.hone-setup.sh"])
        .output()
        .await
        .context("running the file system's setup script in a jail")?;
    std::fs::remove_file(&script)?;
    if !out.status.success() {
        tracing::debug!(
            "setup script exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tracked = snapshot(dir)?;
    Ok(Image {
        dir: dir.to_path_buf(),
        tracked,
    })
}

/// Gives the jail's uid the tree (as a container's root owns its files).
pub fn chown_tree(p: &Path) -> anyhow::Result<()> {
    let st = std::process::Command::new("chown")
        .args(["-R", "-h", &format!("{JAIL_UID}:{JAIL_UID}")])
        .arg(p)
        .status()
        .context("chown")?;
    anyhow::ensure!(st.success(), "chown -R {} failed", p.display());
    Ok(())
}

/// A fresh copy of `image` at `to` (owners, modes and times kept).
pub fn copy_image(image: &Image, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(&image.dir)
        .arg(to)
        .status()
        .context("cp -a")?;
    anyhow::ensure!(st.success(), "copying {} failed", image.dir.display());
    Ok(())
}

/// Every tracked-able file under `root` with its digest.
pub fn snapshot(root: &Path) -> anyhow::Result<Snapshot> {
    let mut out = Snapshot::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(r) => r,
            Err(_) => continue,
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if rel.is_empty() && IGNORED.contains(&name.as_str()) {
                continue;
            }
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let ft = match e.file_type() {
                Ok(t) => t,
                Err(_) => continue,
            };
            if ft.is_dir() {
                stack.push((e.path(), path));
            } else if ft.is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap_or_default();
                out.insert(path, digest_hex(target.to_string_lossy().as_bytes()));
            } else if ft.is_file() {
                // git records a file's bytes and whether it is executable (mode 100755 vs
                // 100644), so a `chmod +x` shows in InterCode's `git status` as a change.
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                let exec = e
                    .metadata()
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
                    .unwrap_or(false);
                let d = digest_hex(&bytes);
                out.insert(path, if exec { format!("{d}+x") } else { d });
            }
        }
    }
    Ok(out)
}

/// `git status --short` of `now` against the commit `tracked`, as InterCode parses it:
/// (path, code) with code `M` (modified), `D` (deleted) or `??` (untracked; a folder that holds
/// no tracked file is reported once, as `folder/`, the way git collapses it).
pub fn status(tracked: &Snapshot, now: &Snapshot) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (p, h) in tracked {
        match now.get(p) {
            Some(h2) if h2 != h => out.push((p.clone(), "M".to_string())),
            None => out.push((p.clone(), "D".to_string())),
            _ => {}
        }
    }
    // Folders that hold a tracked file (and their ancestors).
    let mut has_tracked: BTreeSet<&str> = BTreeSet::new();
    for p in tracked.keys() {
        let mut s = p.as_str();
        while let Some(i) = s.rfind('/') {
            s = &s[..i];
            has_tracked.insert(s);
        }
    }
    let mut untracked: BTreeSet<String> = BTreeSet::new();
    for p in now.keys().filter(|p| !tracked.contains_key(*p)) {
        // The outermost folder of `p` with no tracked file in it, else the file itself.
        let parts: Vec<&str> = p.split('/').collect();
        let mut shown = p.clone();
        for i in 1..parts.len() {
            let dir = parts[..i].join("/");
            if !has_tracked.contains(dir.as_str()) {
                shown = format!("{dir}/");
                break;
            }
        }
        untracked.insert(shown);
    }
    out.extend(untracked.into_iter().map(|p| (p, "??".to_string())));
    out.sort();
    out
}

/// The md5 of what InterCode hashes for a changed path (`md5sum PATH` when the path has a
/// dot, else `md5deep -r PATH`), as a comparable digest: a file's md5, or for a folder every
/// file's relative path and md5, sorted. `None`: nothing there (both sides then agree only if
/// both are missing).
pub fn path_digest(root: &Path, path: &str) -> Option<String> {
    let p = root.join(path.trim_end_matches('/'));
    let meta = std::fs::symlink_metadata(&p).ok()?;
    if meta.is_dir() {
        if path.contains('.') {
            // `md5sum DIR` prints the same error in both containers.
            return Some("a directory".into());
        }
        let snap = snapshot_under(&p);
        Some(digest_hex(format!("{snap:?}").as_bytes()))
    } else {
        std::fs::read(&p).ok().map(|b| digest_hex(&b))
    }
}

fn snapshot_under(dir: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push((e.path(), path)),
                Ok(t) if t.is_file() => {
                    out.insert(
                        path,
                        digest_hex(&std::fs::read(e.path()).unwrap_or_default()),
                    );
                }
                _ => {}
            }
        }
    }
    out
}

/// A content digest as lower-case hex (sha256: InterCode compares md5 outputs for equality
/// only, and any collision-resistant hash answers the same question).
pub fn digest_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}
