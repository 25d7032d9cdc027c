//! [`SkillLibrary`]: skills on sled, with versions, test counts, BM25 retrieval, and export to
//! and import from a folder of readable `.py` files plus one `library.json`.

use crate::api;
use crate::skill::{now, Provenance, Skill};
use anyhow::Context;
use bm25::{Document, Language, SearchEngineBuilder};
use hone_sandbox::Sandbox;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The folder format's version, written in `library.json`.
pub const FORMAT: &str = "hone-skills/1";

/// A worked example shown to code-action agents: a task and code that solved it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub env: String,
    /// The task as the environment states it.
    pub task: String,
    /// The code action that solved it (with a `Thought:` line first, as the agent writes).
    pub code: String,
    /// The task's family (a household task type, a site), when known: an agent is shown
    /// examples of its own task's family first, as ReAct shows examples of the task's type.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub family: String,
}

/// What [`SkillLibrary::add`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    New,
    /// The body changed: a new version, with its test counts reset.
    Updated {
        version: u32,
    },
    /// Same code as the stored version: nothing changed.
    Unchanged,
}

/// `library.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    #[serde(default)]
    skills: Vec<Entry>,
    #[serde(default)]
    examples: Vec<Example>,
}

/// One skill's entry in `library.json`; its code is in `file`. Export writes every field of
/// the skill but its code; import reads the ones below (all optional, so a hand-written
/// `library.json` can name just the file and its environment) and re-derives the rest from the
/// code.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    file: String,
    #[serde(flatten)]
    skill: serde_json::Value,
}

/// What import takes from an entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Meta {
    env: Option<String>,
    site: String,
    version: Option<u32>,
    tests: u32,
    successes: u32,
    failures: u32,
    uses: u32,
    enabled: Option<bool>,
    provenance: Option<Provenance>,
}

/// Skills of every environment, on sled.
#[derive(Clone)]
pub struct SkillLibrary {
    db: sled::Db,
    skills: sled::Tree,
    history: sled::Tree,
    examples: sled::Tree,
}

impl SkillLibrary {
    /// Opens (or creates) a library at `path` (a sled folder).
    pub fn open(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let db = sled::open(path)
            .with_context(|| format!("opening the skill library at {}", path.display()))?;
        Self::from_db(db)
    }

    /// A library in a temporary folder, removed when dropped (tests, throwaway runs).
    pub fn temporary() -> anyhow::Result<Self> {
        Self::from_db(sled::Config::new().temporary(true).open()?)
    }

    fn from_db(db: sled::Db) -> anyhow::Result<Self> {
        Ok(Self {
            skills: db.open_tree("skills")?,
            history: db.open_tree("history")?,
            examples: db.open_tree("examples")?,
            db,
        })
    }

    /// Another tree in the library's database (discovery keeps its records beside the skills).
    pub fn tree(&self, name: &str) -> anyhow::Result<sled::Tree> {
        Ok(self.db.open_tree(name)?)
    }

    pub fn flush(&self) -> anyhow::Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Adds a skill, or a new version of one: a changed body bumps the version and resets the
    /// test counts; the same body changes nothing. Every version stays in the history.
    pub fn add(&self, mut skill: Skill) -> anyhow::Result<Added> {
        let added = match self.get(&skill.name)? {
            Some(old) if old.code.trim() == skill.code.trim() => return Ok(Added::Unchanged),
            Some(old) => {
                skill.version = old.version + 1;
                skill.tests = 0;
                skill.successes = 0;
                skill.failures = 0;
                skill.uses = 0;
                skill.enabled = true;
                Added::Updated {
                    version: skill.version,
                }
            }
            None => {
                skill.version = skill.version.max(1);
                Added::New
            }
        };
        if skill.provenance.created == 0 {
            skill.provenance.created = now();
        }
        self.put(&skill)?;
        let mut key = skill.name.as_bytes().to_vec();
        key.push(0);
        key.extend_from_slice(&skill.version.to_be_bytes());
        self.history.insert(key, serde_json::to_vec(&skill)?)?;
        self.db.flush()?;
        Ok(added)
    }

    fn put(&self, skill: &Skill) -> anyhow::Result<()> {
        self.skills
            .insert(skill.name.as_bytes(), serde_json::to_vec(skill)?)?;
        Ok(())
    }

    pub fn get(&self, name: &str) -> anyhow::Result<Option<Skill>> {
        self.skills
            .get(name.as_bytes())?
            .map(|v| serde_json::from_slice(&v).context("reading a stored skill"))
            .transpose()
    }

    /// Every version of a skill, oldest first.
    pub fn versions(&self, name: &str) -> anyhow::Result<Vec<Skill>> {
        let mut prefix = name.as_bytes().to_vec();
        prefix.push(0);
        self.history
            .scan_prefix(prefix)
            .map(|kv| Ok(serde_json::from_slice(&kv?.1)?))
            .collect()
    }

    /// Every skill (latest versions), by name.
    pub fn list(&self) -> anyhow::Result<Vec<Skill>> {
        self.skills
            .iter()
            .map(|kv| Ok(serde_json::from_slice(&kv?.1)?))
            .collect()
    }

    /// The skills of one environment kind (and site, when given), enabled or not.
    pub fn list_env(&self, env: &str, site: Option<&str>) -> anyhow::Result<Vec<Skill>> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|s| s.env == env && site.is_none_or(|x| s.site.is_empty() || s.site == x))
            .collect())
    }

    pub fn len(&self) -> usize {
        self.skills.len()
    }

    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    fn update(&self, name: &str, f: impl FnOnce(&mut Skill)) -> anyhow::Result<Skill> {
        let mut s = self
            .get(name)?
            .with_context(|| format!("no skill named `{name}` in the library"))?;
        f(&mut s);
        self.put(&s)?;
        self.db.flush()?;
        Ok(s)
    }

    /// Records one test run of the current version.
    pub fn record_test(&self, name: &str, passed: bool) -> anyhow::Result<Skill> {
        self.update(name, |s| {
            s.tests += 1;
            if passed {
                s.successes += 1;
            } else {
                s.failures += 1;
            }
        })
    }

    /// Records that an agent called the skill at test time.
    pub fn record_use(&self, name: &str) -> anyhow::Result<Skill> {
        self.update(name, |s| s.uses += 1)
    }

    /// Turns a skill on or off (a disabled skill is kept for review, never retrieved).
    pub fn set_enabled(&self, name: &str, on: bool) -> anyhow::Result<Skill> {
        self.update(name, |s| s.enabled = on)
    }

    pub fn remove(&self, name: &str) -> anyhow::Result<bool> {
        let had = self.skills.remove(name.as_bytes())?.is_some();
        self.db.flush()?;
        Ok(had)
    }

    /// The top `k` enabled skills of `env` (and `site`) for a task, ranked by BM25 over names,
    /// argument names and docstrings (ties by test pass rate, then name); skills with no word
    /// in common with the query are left out. Use [`SkillLibrary::scope`] to add what they call.
    pub fn retrieve(
        &self,
        query: &str,
        env: &str,
        site: Option<&str>,
        k: usize,
    ) -> anyhow::Result<Vec<Skill>> {
        let skills: Vec<Skill> = self
            .list_env(env, site)?
            .into_iter()
            .filter(|s| s.enabled)
            .collect();
        Ok(rank(&skills, query, k))
    }

    /// `picked` plus every enabled skill they call, transitively, in dependency order (callees
    /// first), so the whole set can be defined in a session.
    pub fn scope(&self, picked: &[Skill]) -> anyhow::Result<Vec<Skill>> {
        let mut out: Vec<Skill> = Vec::new();
        let mut seen = BTreeSet::new();
        fn visit(
            lib: &SkillLibrary,
            s: &Skill,
            seen: &mut BTreeSet<String>,
            out: &mut Vec<Skill>,
        ) -> anyhow::Result<()> {
            if !seen.insert(s.name.clone()) {
                return Ok(());
            }
            for c in &s.calls {
                if let Some(dep) = lib.get(c)? {
                    if dep.enabled {
                        visit(lib, &dep, seen, out)?;
                    }
                }
            }
            out.push(s.clone());
            Ok(())
        }
        for s in picked {
            visit(self, s, &mut seen, &mut out)?;
        }
        Ok(out)
    }

    /// Adds a worked example (kept once per task text).
    pub fn add_example(&self, ex: Example) -> anyhow::Result<()> {
        let key = format!("{}\0{}", ex.env, ex.task);
        self.examples
            .insert(key.as_bytes(), serde_json::to_vec(&ex)?)?;
        self.db.flush()?;
        Ok(())
    }

    /// The worked examples for an environment kind.
    pub fn examples(&self, env: &str) -> anyhow::Result<Vec<Example>> {
        let prefix = format!("{env}\0");
        self.examples
            .scan_prefix(prefix.as_bytes())
            .map(|kv| Ok(serde_json::from_slice(&kv?.1)?))
            .collect()
    }

    /// Writes the library as a folder people can read and share: one `NAME.py` per skill (its
    /// code, unchanged) and `library.json` (everything else, and the worked examples).
    pub fn export(&self, dir: &Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut m = Manifest {
            format: FORMAT.into(),
            skills: Vec::new(),
            examples: Vec::new(),
        };
        let skills = self.list()?;
        let mut envs = BTreeSet::new();
        for s in &skills {
            let file = format!("{}.py", s.name);
            std::fs::write(dir.join(&file), &s.code)
                .with_context(|| format!("writing {}", dir.join(&file).display()))?;
            let mut v = serde_json::to_value(s)?;
            if let Some(o) = v.as_object_mut() {
                o.remove("code");
            }
            m.skills.push(Entry { file, skill: v });
            envs.insert(s.env.clone());
        }
        for e in envs {
            m.examples.extend(self.examples(&e)?);
        }
        let path = dir.join("library.json");
        std::fs::write(&path, serde_json::to_string_pretty(&m)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(skills.len())
    }

    /// Reads a folder written by [`SkillLibrary::export`], or plain `.py` files (then each is a
    /// skill of `default_env`, provenance `imported`). Every skill passes the static checks
    /// first; a file that fails is reported with its problems and nothing else is imported.
    pub async fn import(
        &self,
        dir: &Path,
        sandbox: &Sandbox,
        default_env: &str,
    ) -> anyhow::Result<Vec<(String, Added)>> {
        let manifest_path = dir.join("library.json");
        let manifest: Option<Manifest> = if manifest_path.exists() {
            let text = std::fs::read_to_string(&manifest_path)
                .with_context(|| format!("reading {}", manifest_path.display()))?;
            let m: Manifest = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a skill library file", manifest_path.display())
            })?;
            anyhow::ensure!(
                m.format == FORMAT,
                "{}: format `{}`, expected `{FORMAT}`",
                manifest_path.display(),
                m.format
            );
            Some(m)
        } else {
            None
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "py"))
            .collect();
        files.sort();
        anyhow::ensure!(!files.is_empty(), "no .py skill files in {}", dir.display());
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .chain(self.list()?.into_iter().map(|s| s.name))
            .collect();
        let mut ready = Vec::new();
        let mut problems = Vec::new();
        for f in &files {
            let file = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let entry = manifest
                .as_ref()
                .and_then(|m| m.skills.iter().find(|e| e.file == file));
            let meta: Option<Meta> = entry
                .map(|e| {
                    serde_json::from_value(e.skill.clone()).with_context(|| {
                        format!("{}: the entry for {file}", manifest_path.display())
                    })
                })
                .transpose()?;
            let env = meta
                .as_ref()
                .and_then(|m| m.env.as_deref())
                .unwrap_or(default_env);
            let code =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            let provenance = meta
                .as_ref()
                .and_then(|m| m.provenance.clone())
                .unwrap_or_else(|| Provenance {
                    source: "imported".into(),
                    created: now(),
                    ..Default::default()
                });
            let stem = f
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            match Skill::from_code(sandbox, &code, env, &api::names(env), &names, provenance).await
            {
                Ok(mut s) if s.name == stem => {
                    if let Some(m) = meta {
                        s.site = m.site;
                        s.version = m.version.unwrap_or(1);
                        s.tests = m.tests;
                        s.successes = m.successes;
                        s.failures = m.failures;
                        s.uses = m.uses;
                        s.enabled = m.enabled.unwrap_or(true);
                    }
                    ready.push(s);
                }
                Ok(s) => problems.push(format!(
                    "{}: defines {}, but the file is named for {stem}",
                    f.display(),
                    s.name
                )),
                Err(e) => problems.push(format!("{}: {e:#}", f.display())),
            }
        }
        anyhow::ensure!(
            problems.is_empty(),
            "nothing imported; fix these first:\n{}",
            problems.join("\n")
        );
        let mut out = Vec::new();
        for s in ready {
            let name = s.name.clone();
            out.push((name, self.add(s)?));
        }
        if let Some(m) = manifest {
            for e in m.examples {
                self.add_example(e)?;
            }
        }
        Ok(out)
    }
}

impl SkillLibrary {
    /// A library from `path`: a discovery folder (`hone skills discover`), a sled library
    /// (`hone skills import`), or a folder of `.py` files (with or without `library.json`),
    /// imported into a temporary library through the static checks.
    pub async fn open_or_import(
        path: &Path,
        sandbox: &Sandbox,
        default_env: &str,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(path.is_dir(), "{} is not a folder", path.display());
        // A discovery folder holds its library in `library/`.
        let inner = path.join("library");
        if inner.join("conf").exists() || inner.join("db").exists() {
            return Self::open(inner);
        }
        let is_folder_of_files = path.join("library.json").exists()
            || std::fs::read_dir(path)?
                .filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "py"));
        if is_folder_of_files {
            let lib = Self::temporary()?;
            lib.import(path, sandbox, default_env).await?;
            Ok(lib)
        } else {
            anyhow::ensure!(
                path.join("conf").exists() || path.join("db").exists(),
                "{} is neither a skill library nor a folder of .py skills",
                path.display()
            );
            Self::open(path)
        }
    }

    /// A short fingerprint of the enabled skills of `env` (names, versions, code): a resumed
    /// eval must use the same library.
    pub fn fingerprint(&self, env: &str) -> anyhow::Result<String> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut n = 0;
        for s in self.list_env(env, None)?.iter().filter(|s| s.enabled) {
            h.update(s.name.as_bytes());
            h.update([0]);
            h.update(s.code.as_bytes());
            h.update([0]);
            n += 1;
        }
        for e in self.examples(env)? {
            h.update(e.task.as_bytes());
            h.update(e.code.as_bytes());
        }
        Ok(format!(
            "{n} skills, sha256 {}",
            &hex::encode(h.finalize())[..12]
        ))
    }
}

/// BM25 ranking of `skills` for `query` (see [`SkillLibrary::retrieve`]).
pub fn rank(skills: &[Skill], query: &str, k: usize) -> Vec<Skill> {
    let texts: Vec<String> = skills.iter().map(Skill::search_text).collect();
    let mut hits = rank_texts(&texts, query);
    hits.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| {
                let pa = skills[a.0].pass_rate().unwrap_or(0.0);
                let pb = skills[b.0].pass_rate().unwrap_or(0.0);
                pb.total_cmp(&pa)
            })
            .then_with(|| skills[a.0].name.cmp(&skills[b.0].name))
    });
    hits.into_iter()
        .take(k)
        .map(|(i, _)| skills[i].clone())
        .collect()
}

/// BM25 scores of `texts` for `query` (English stemming and stop words; `_` read as a space):
/// `(index, score)` of every text with a word in common, best first, ties in text order.
pub fn rank_texts(texts: &[String], query: &str) -> Vec<(usize, f32)> {
    if texts.is_empty() {
        return Vec::new();
    }
    let docs: Vec<Document<usize>> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document::new(i, t.replace('_', " ")))
        .collect();
    let engine = SearchEngineBuilder::<usize>::with_documents(Language::English, docs).build();
    let mut hits: Vec<(usize, f32)> = engine
        .search(&query.replace('_', " "), texts.len())
        .into_iter()
        .filter(|r| r.score > 0.0)
        .map(|r| (r.document.id, r.score))
        .collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    hits
}
