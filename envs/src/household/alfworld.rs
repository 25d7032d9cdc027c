//! ALFWorld's own game files (`game.tw-pddl`) converted into hone game files, so people with
//! ALFWorld's data (a separate download) run its real games here:
//! `hone env household import-alfworld DIR --out GAMES`.
//!
//! A `game.tw-pddl` file is JSON with `pddl_problem` (the PDDL problem against ALFWorld's
//! `alfred.pddl` domain), `grammar` (alfred.twl2 with the task sentence filled in), `solvable`
//! and, from alfworld 0.3, `walkthrough`. The rules followed here, from alfworld 0.3.3 and
//! TextWorld:
//! - which games count: ALFWorld's loader (`AlfredTWEnv.collect_game_files`) keeps a game only
//!   when `solvable` is true and its path names neither a `movable` nor a `Sliced` task;
//! - names: TextWorld's entities are the arguments of the problem's `:init` facts; ALFWorld's
//!   `Demangler` sorts them, names each `id.split("_bar_")[0]` (plus `basin` when the id says
//!   `basin`) and numbers each name from the highest down (`cabinet 3` for the smallest id);
//!   locations likewise give `loc N`;
//! - the task: its type and kinds from the `(:goal …)` shape (alfworld `gen/goal_library.py`),
//!   its sentence from the grammar's `Your task is to: …` rule (`add_task_to_grammar`);
//! - facts: `receptacleAtLocation` (receptacles and their shared locations), `inReceptacle`
//!   (where each object is), `openable` (per instance), `isCool`/`isClean`/`isHot` (initial
//!   state). `isOn` is ignored: ALFWorld's lamp goal and examine text read `isToggled`, which
//!   only `use` sets.
//!
//! What a hone game cannot say (an object listed in two receptacles, say) is an error when it
//! touches the task and a note otherwise; every note is returned with the game.

use super::data;
use super::world::{Game, ObjectSpec, ReceptacleSpec, TaskDef, TaskType, World, FORMAT};
use anyhow::{bail, ensure, Context};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A converted game and what the conversion noticed.
#[derive(Debug, Clone)]
pub struct Imported {
    pub game: Game,
    /// Differences between ALFWorld's game and the hone game, and facts ignored.
    pub notes: Vec<String>,
}

/// What became of one `game.tw-pddl` file.
#[derive(Debug)]
pub enum Outcome {
    Imported(Box<Imported>),
    /// Not a game ALFWorld itself loads (unsolvable, a movable or sliced task).
    Skipped(String),
    Failed(anyhow::Error),
}

/// Converts every `game.tw-pddl` under `dir`, in path order.
pub fn import_dir(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Outcome)>> {
    let mut files = Vec::new();
    find(dir, &mut files).with_context(|| format!("reading {}", dir.display()))?;
    ensure!(
        !files.is_empty(),
        "no game.tw-pddl files under {} (ALFWorld's json_2.1.1 folders hold them)",
        dir.display()
    );
    files.sort();
    Ok(files
        .into_iter()
        .map(|f| {
            let out = import_file(&f);
            (f, out)
        })
        .collect())
}

fn find(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            find(&p, out)?;
        } else if p.file_name().is_some_and(|n| n == "game.tw-pddl") {
            out.push(p);
        }
    }
    Ok(())
}

/// Converts one `game.tw-pddl` file; the game is named `<task folder>__<trial folder>`.
pub fn import_file(path: &Path) -> Outcome {
    let shown = path.display().to_string();
    if shown.contains("movable") || shown.contains("Sliced") {
        return Outcome::Skipped(
            "a movable-receptacle or sliced task (ALFWorld skips these)".into(),
        );
    }
    let trial = path.parent();
    let folder = trial.and_then(Path::parent);
    let name_of = |p: Option<&Path>| {
        p.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
    };
    let (task_folder, trial_folder) = (name_of(folder), name_of(trial));
    let name = match (&task_folder, &trial_folder) {
        (Some(f), Some(t)) => format!("{f}__{t}"),
        _ => "alfworld-game".to_string(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(anyhow::anyhow!("reading {shown}: {e}")),
    };
    match convert(&text, &name, task_folder.as_deref()) {
        Ok(Some(g)) => Outcome::Imported(Box::new(g)),
        Ok(None) => Outcome::Skipped("not solvable (ALFWorld skips it)".into()),
        Err(e) => Outcome::Failed(e.context(shown)),
    }
}

/// Converts the text of a `game.tw-pddl` file. `Ok(None)`: a game ALFWorld does not load
/// (`solvable` missing or false). `folder` is the task folder's name
/// (`pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-10`), checked against the goal.
pub fn convert(text: &str, name: &str, folder: Option<&str>) -> anyhow::Result<Option<Imported>> {
    let v: serde_json::Value =
        serde_json::from_str(text).context("not a game.tw-pddl file (not JSON)")?;
    if v.get("solvable").and_then(serde_json::Value::as_bool) != Some(true) {
        return Ok(None);
    }
    let problem = v
        .get("pddl_problem")
        .and_then(serde_json::Value::as_str)
        .context("no `pddl_problem` string")?;
    let grammar = v
        .get("grammar")
        .and_then(serde_json::Value::as_str)
        .context("no `grammar` string")?;
    let mut notes = Vec::new();
    let goal_text = task_sentence(grammar);
    if goal_text.is_none() {
        notes.push("the grammar has no task sentence: the goal's first template is used".into());
    }
    let game = convert_problem(problem, name, folder, goal_text, &mut notes)?;
    Ok(Some(Imported { game, notes }))
}

/// The task sentence of the grammar's `Your task is to: …` rule, without its final period.
pub fn task_sentence(grammar: &str) -> Option<String> {
    const CUE: &str = "Your task is to: ";
    let start = grammar.find(CUE)? + CUE.len();
    let rest = &grammar[start..];
    // The rule's text is a JSON string literal: read to its closing, unescaped quote.
    let mut end = None;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                end = Some(i);
                break;
            }
            _ => escaped = false,
        }
    }
    let literal = &rest[..end?];
    let text: String = serde_json::from_str(&format!("\"{literal}\"")).ok()?;
    let text = text.strip_suffix('.').unwrap_or(&text).to_string();
    (text != "UNKNOWN GOAL" && !text.trim().is_empty()).then_some(text)
}

/// An s-expression.
#[derive(Debug, Clone, PartialEq)]
enum Sx {
    Atom(String),
    List(Vec<Sx>),
}

impl Sx {
    fn head(&self) -> Option<&str> {
        match self {
            Sx::List(items) => match items.first() {
                Some(Sx::Atom(a)) => Some(a),
                _ => None,
            },
            Sx::Atom(_) => None,
        }
    }
    fn items(&self) -> &[Sx] {
        match self {
            Sx::List(items) => items,
            Sx::Atom(_) => &[],
        }
    }
    /// Every sub-list (this one included), depth first.
    fn lists<'a>(&'a self, out: &mut Vec<&'a Sx>) {
        if let Sx::List(items) = self {
            out.push(self);
            for i in items {
                i.lists(out);
            }
        }
    }
}

/// Parses PDDL text: lower-cased (Fast Downward's lexer lower-cases every token), `;` comments
/// dropped.
fn parse_sx(text: &str) -> anyhow::Result<Sx> {
    let mut tokens = Vec::new();
    for line in text.lines() {
        let line = line.split(';').next().unwrap_or("");
        let spaced = line.replace('(', " ( ").replace(')', " ) ");
        tokens.extend(spaced.split_whitespace().map(str::to_lowercase));
    }
    let mut stack: Vec<Vec<Sx>> = vec![Vec::new()];
    for t in tokens {
        match t.as_str() {
            "(" => stack.push(Vec::new()),
            ")" => {
                let done = stack.pop().context("unbalanced `)` in the PDDL problem")?;
                stack
                    .last_mut()
                    .context("unbalanced `)` in the PDDL problem")?
                    .push(Sx::List(done));
            }
            _ => stack
                .last_mut()
                .context("unbalanced PDDL")?
                .push(Sx::Atom(t)),
        }
    }
    ensure!(stack.len() == 1, "unbalanced `(` in the PDDL problem");
    let top = stack.pop().unwrap_or_default();
    top.into_iter()
        .find(|s| s.head() == Some("define"))
        .context("no `(define (problem …) …)` in the PDDL problem")
}

/// ALFWorld's Demangler: display names for every entity id.
fn demangle(ids: &BTreeSet<String>) -> BTreeMap<String, String> {
    let base = |id: &str| -> Option<String> {
        let (head, _) = id.split_once("_bar_")?;
        Some(if id.contains("basin") {
            format!("{head}basin")
        } else {
            head.to_string()
        })
    };
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for id in ids {
        if let Some(b) = base(id) {
            *counts.entry(b).or_default() += 1;
        }
    }
    let mut names = BTreeMap::new();
    for id in ids {
        if let Some(b) = base(id) {
            let n = counts.get_mut(&b).map(|c| {
                let n = *c;
                *c -= 1;
                n
            });
            names.insert(id.clone(), format!("{b} {}", n.unwrap_or(0)));
        }
    }
    names
}

/// The kind named by a type constant: `coffeemachinetype` → `coffeemachine`.
fn kind_of_type(t: &str) -> anyhow::Result<String> {
    t.strip_suffix("type")
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .with_context(|| format!("`{t}` is not an ALFWorld type constant (…Type)"))
}

/// The task of a `(:goal …)` block: (type, object kind, receptacle kind, lamp kind).
fn classify_goal(goal: &Sx) -> anyhow::Result<TaskDef> {
    let mut lists = Vec::new();
    goal.lists(&mut lists);
    let preds: Vec<&str> = lists.iter().filter_map(|l| l.head()).collect();
    let has = |p: &str| preds.contains(&p);
    if has("issliced") || has("sliceable") {
        bail!("unsupported ALFRED task variant: a slice task");
    }
    if has("inreceptacleobject") || has("isreceptacleobject") {
        bail!("unsupported ALFRED task variant: a movable-receptacle task");
    }
    if has("forall") {
        bail!("unsupported ALFRED task variant: place all objects of a type");
    }
    let args = |l: &Sx| -> Vec<String> {
        l.items()
            .iter()
            .skip(1)
            .filter_map(|a| match a {
                Sx::Atom(s) => Some(s.clone()),
                Sx::List(_) => None,
            })
            .collect()
    };
    let with = |p: &str| -> Vec<Vec<String>> {
        lists
            .iter()
            .filter(|l| l.head() == Some(p))
            .map(|l| args(l))
            .collect()
    };
    let distinct = lists
        .iter()
        .filter(|l| l.head() == Some("not") && l.items().iter().any(|i| i.head() == Some("=")))
        .count();
    if distinct > 1 {
        bail!("unsupported ALFRED task variant: more than two objects");
    }
    let object_types: Vec<(String, String)> = with("objecttype")
        .into_iter()
        .filter_map(|a| Some((a.first()?.clone(), a.get(1)?.clone())))
        .collect();
    let receptacle_types: BTreeSet<String> = with("receptacletype")
        .into_iter()
        .filter_map(|a| a.get(1).cloned())
        .collect();
    if has("istoggled") {
        let toggled: Vec<String> = with("istoggled")
            .into_iter()
            .filter_map(|a| a.first().cloned())
            .collect();
        let lamp = object_types
            .iter()
            .find(|(v, _)| toggled.contains(v))
            .context("a look goal with no lamp type")?;
        let object = object_types
            .iter()
            .find(|(v, _)| !toggled.contains(v))
            .context("a look goal with no object type")?;
        return Ok(TaskDef {
            kind: TaskType::LookAtObjInLight,
            object: kind_of_type(&object.1)?,
            receptacle: None,
            lamp: Some(kind_of_type(&lamp.1)?),
            goal: None,
        });
    }
    let kinds: BTreeSet<&String> = object_types.iter().map(|(_, t)| t).collect();
    ensure!(
        kinds.len() == 1,
        "the goal names {} object types; an ALFWorld goal names one",
        kinds.len()
    );
    ensure!(
        receptacle_types.len() == 1,
        "the goal names {} receptacle types; an ALFWorld goal names one",
        receptacle_types.len()
    );
    let kind = if distinct == 1 {
        TaskType::PickTwoObjAndPlace
    } else if has("isclean") {
        TaskType::PickCleanThenPlaceInRecep
    } else if has("ishot") {
        TaskType::PickHeatThenPlaceInRecep
    } else if has("iscool") {
        TaskType::PickCoolThenPlaceInRecep
    } else if has("inreceptacle") {
        TaskType::PickAndPlaceSimple
    } else {
        bail!("a goal of no ALFWorld task type")
    };
    let object = kind_of_type(kinds.into_iter().next().map(String::as_str).unwrap_or(""))?;
    let receptacle = kind_of_type(
        receptacle_types
            .iter()
            .next()
            .map(String::as_str)
            .unwrap_or(""),
    )?;
    Ok(TaskDef {
        kind,
        object,
        receptacle: Some(receptacle),
        lamp: None,
        goal: None,
    })
}

/// ALFWorld's scene numbers: 1–30 kitchens, 201–230 living rooms, 301–330 bedrooms, 401–430
/// bathrooms (`gen/constants.py` `SCENE_TYPE`).
fn room_of_scene(n: u32) -> &'static str {
    match n {
        1..=30 => "kitchen",
        201..=230 => "livingroom",
        301..=330 => "bedroom",
        401..=430 => "bathroom",
        _ => "",
    }
}

/// The arguments of every `p` fact.
fn facts_of<'a>(
    facts: &'a [(String, Vec<String>)],
    p: &'a str,
) -> impl Iterator<Item = &'a Vec<String>> + 'a {
    facts.iter().filter(move |(q, _)| q == p).map(|(_, a)| a)
}

fn convert_problem(
    problem: &str,
    name: &str,
    folder: Option<&str>,
    goal_text: Option<String>,
    notes: &mut Vec<String>,
) -> anyhow::Result<Game> {
    let define = parse_sx(problem)?;
    let section = |key: &str| define.items().iter().find(|s| s.head() == Some(key));
    let init = section(":init").context("the PDDL problem has no `(:init …)`")?;
    let goal = section(":goal").context("the PDDL problem has no `(:goal …)`")?;
    let mut task = classify_goal(goal)?;
    task.goal = goal_text;

    // Facts: (predicate, args), without `=` atoms.
    let facts: Vec<(String, Vec<String>)> = init
        .items()
        .iter()
        .skip(1)
        .filter_map(|f| {
            let items = f.items();
            let Some(Sx::Atom(p)) = items.first() else {
                return None;
            };
            (p != "=").then(|| {
                let args = items
                    .iter()
                    .skip(1)
                    .filter_map(|a| match a {
                        Sx::Atom(s) => Some(s.clone()),
                        Sx::List(_) => None,
                    })
                    .collect();
                (p.clone(), args)
            })
        })
        .collect();
    let ids: BTreeSet<String> = facts.iter().flat_map(|(_, a)| a.iter().cloned()).collect();
    let names = demangle(&ids);
    let name_of = |id: &str| -> anyhow::Result<&String> {
        names
            .get(id)
            .with_context(|| format!("`{id}` has no ALFWorld name (no `_bar_` in it)"))
    };
    let with = |p: &'static str| facts_of(&facts, p);
    let unary =
        |p: &'static str| -> BTreeSet<&String> { with(p).filter_map(|a| a.first()).collect() };
    let loc_number = |id: &str| -> anyhow::Result<u32> {
        let n = name_of(id)?;
        n.strip_prefix("loc ")
            .and_then(|x| x.parse().ok())
            .with_context(|| format!("`{id}` is not a location"))
    };

    for p in ["holds", "holdsany"] {
        ensure!(
            with(p).next().is_none(),
            "the agent starts holding something (`{p}`); hone's games start empty-handed"
        );
    }
    ensure!(
        unary("issliced").is_empty(),
        "a sliced object in the initial state"
    );

    // Receptacles and their locations.
    let mut recep_loc: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
    for a in with("receptacleatlocation") {
        if let (Some(r), Some(l)) = (a.first(), a.get(1)) {
            recep_loc.entry(r).or_default().push(l);
        }
    }
    let rtypes: BTreeMap<&String, &String> = with("receptacletype")
        .filter_map(|a| Some((a.first()?, a.get(1)?)))
        .collect();
    let openable = unary("openable");
    let opened = unary("opened");
    let mut receptacles = Vec::new();
    let mut recep_name: BTreeMap<&String, String> = BTreeMap::new();
    for (r, locs) in &recep_loc {
        ensure!(
            locs.len() == 1,
            "receptacle `{}` stands at {} locations",
            name_of(r)?,
            locs.len()
        );
        let rn = name_of(r)?.clone();
        let kind = rn.rsplit_once(' ').map_or(rn.as_str(), |x| x.0).to_string();
        if let Some(t) = rtypes.get(r) {
            ensure!(
                kind_of_type(t)? == kind,
                "receptacle `{rn}` is named as a {kind} but typed `{t}`"
            );
        }
        let kind_openable = data::contains(data::OPENABLE, &kind);
        let is_openable = openable.contains(r);
        let openable = match (kind_openable, is_openable) {
            (true, false) => Some(false),
            (false, true) => {
                notes.push(format!("{rn} opens in ALFWorld; hone's {kind} has no door"));
                None
            }
            _ => None,
        };
        receptacles.push(ReceptacleSpec {
            name: rn.clone(),
            loc: loc_number(locs[0])?,
            open: opened.contains(r),
            openable,
        });
        recep_name.insert(r, rn);
    }
    for a in with("receptacletype") {
        if let Some(r) = a.first() {
            if !recep_loc.contains_key(r) {
                notes.push(format!(
                    "{} has no location: ALFWorld does not list it; left out",
                    name_of(r)?
                ));
            }
        }
    }

    // The agent's start.
    let start = with("atlocation")
        .find(|a| a.first().is_some_and(|x| x.starts_with("agent")))
        .and_then(|a| a.get(1))
        .context("no `(atLocation agent1 …)` fact")?;
    if let Some((r, _)) = recep_loc.iter().find(|(_, l)| l.contains(&start)) {
        bail!(
            "the agent starts at {}'s location; hone's games start in the middle of the room",
            name_of(r)?
        );
    }

    // Objects: every entity in an `inReceptacle` fact's first place, or typed as an object.
    let mut parents: BTreeMap<&String, Vec<&String>> = BTreeMap::new();
    for a in with("inreceptacle") {
        if let (Some(o), Some(r)) = (a.first(), a.get(1)) {
            parents.entry(o).or_default().push(r);
        }
    }
    let otypes: BTreeMap<&String, &String> = with("objecttype")
        .filter_map(|a| Some((a.first()?, a.get(1)?)))
        .collect();
    let task_kinds: Vec<&str> = [Some(task.object.as_str()), task.lamp.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let (cool, clean, hot) = (unary("iscool"), unary("isclean"), unary("ishot"));
    let pickupable = unary("pickupable");
    let mut objects = Vec::new();
    let all_objects: BTreeSet<&String> = otypes
        .keys()
        .copied()
        .chain(parents.keys().copied())
        .filter(|o| !recep_loc.contains_key(o))
        .collect();
    for o in all_objects {
        let on = name_of(o)?.clone();
        let kind = on.rsplit_once(' ').map_or(on.as_str(), |x| x.0).to_string();
        if let Some(t) = otypes.get(o) {
            ensure!(
                kind_of_type(t)? == kind,
                "object `{on}` is named as a {kind} but typed `{t}`"
            );
        }
        let mut at: Vec<&String> = parents
            .get(o)
            .map(|ps| ps.iter().filter_map(|p| recep_name.get(p)).collect())
            .unwrap_or_default();
        at.sort();
        let Some(first) = at.first() else {
            notes.push(format!(
                "{on} is in no receptacle: unreachable in ALFWorld too; left out"
            ));
            continue;
        };
        if at.len() > 1 {
            ensure!(
                !task_kinds.contains(&kind.as_str()),
                "{on}, of the task's kind, is listed in {} receptacles ({}); a hone object is in one",
                at.len(),
                at.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            );
            notes.push(format!(
                "{on} is listed in {}; kept in {first} only",
                at.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        let fixed = data::contains(data::FIXED, &kind);
        if pickupable.contains(o) == fixed {
            notes.push(format!(
                "{on} {} be taken in ALFWorld; in hone it {}",
                if fixed { "can" } else { "cannot" },
                if fixed { "cannot" } else { "can" }
            ));
        }
        objects.push(ObjectSpec {
            name: on,
            at: (*first).clone(),
            clean: clean.contains(o),
            hot: hot.contains(o),
            cool: cool.contains(o),
            // ALFWorld's `isOn` is cosmetic: its lamp goal reads `isToggled`.
            on: false,
        });
    }
    if !unary("ison").is_empty() {
        notes.push("`isOn` ignored: a lamp must be used to count (ALFWorld's isToggled)".into());
    }
    let sort_key = |n: &str| -> (String, u32) {
        let (k, i) = n.rsplit_once(' ').unwrap_or((n, "0"));
        (k.to_string(), i.parse().unwrap_or(0))
    };
    receptacles.sort_by_key(|r| sort_key(&r.name));
    objects.sort_by_key(|o| sort_key(&o.name));

    // The task folder, when there is one, must agree with the goal.
    let mut room = String::new();
    if let Some(f) = folder {
        let parts: Vec<&str> = f.split('-').collect();
        if parts.len() == 5 {
            ensure!(
                parts[0] == task.kind.name(),
                "the folder says {} but the goal is a {} task",
                parts[0],
                task.kind.name()
            );
            ensure!(
                parts[1].to_lowercase() == task.object,
                "the folder says {} but the goal's object is {}",
                parts[1],
                task.object
            );
            let last = parts[3].to_lowercase();
            let expected = task.receptacle.as_deref().or(task.lamp.as_deref());
            ensure!(
                Some(last.as_str()) == expected,
                "the folder says {} but the goal names {}",
                parts[3],
                expected.unwrap_or("-")
            );
            room = parts[4]
                .parse()
                .map(room_of_scene)
                .unwrap_or_default()
                .to_string();
        }
    }

    // The task must be winnable in the imported game.
    let count_kind = |k: &str| {
        objects
            .iter()
            .filter(|o| o.name.rsplit_once(' ').is_some_and(|x| x.0 == k))
            .count()
    };
    let need = if task.kind == TaskType::PickTwoObjAndPlace {
        2
    } else {
        1
    };
    ensure!(
        count_kind(&task.object) >= need,
        "the task needs {need} {} but the game has {}",
        task.object,
        count_kind(&task.object)
    );
    for k in task.receptacle.iter() {
        ensure!(
            receptacles
                .iter()
                .any(|r| r.name.rsplit_once(' ').is_some_and(|x| x.0 == k)),
            "the task needs a {k} but the game has none"
        );
    }
    for k in task.lamp.iter() {
        ensure!(
            count_kind(k) >= 1,
            "the task needs a {k} but the game has none"
        );
    }
    let game = Game {
        format: FORMAT.to_string(),
        name: name.to_string(),
        room,
        receptacles,
        objects,
        task,
    };
    World::new(game.clone())?;
    Ok(game)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demangler_numbers_sorted_ids_from_the_top() {
        let ids: BTreeSet<String> = [
            "cabinet_bar__plus_00_dot_50",
            "cabinet_bar__minus_01_dot_00",
            "cabinet_bar_00_dot_00",
            "sink_bar__minus_01_bar_sinkbasin",
            "agent1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let n = demangle(&ids);
        assert_eq!(
            n["cabinet_bar_00_dot_00"], "cabinet 3",
            "`0` sorts before `_`"
        );
        assert_eq!(n["cabinet_bar__minus_01_dot_00"], "cabinet 2");
        assert_eq!(n["cabinet_bar__plus_00_dot_50"], "cabinet 1");
        assert_eq!(n["sink_bar__minus_01_bar_sinkbasin"], "sinkbasin 1");
        assert!(!n.contains_key("agent1"));
    }

    #[test]
    fn the_task_sentence_comes_from_the_grammar() {
        let g = "grammar :: \"\"\"\n{\"task\": [{\"rhs\": \"Your task is to: put a clean mug in coffeemachine.\"}]}\n\"\"\";";
        assert_eq!(
            task_sentence(g).as_deref(),
            Some("put a clean mug in coffeemachine")
        );
        let human = "{\"rhs\": \"Your task is to: Put a \\\"clean\\\" mug in the coffee maker..\"}";
        assert_eq!(
            task_sentence(human).as_deref(),
            Some("Put a \"clean\" mug in the coffee maker.")
        );
        assert_eq!(
            task_sentence("{\"rhs\": \"Your task is to: UNKNOWN GOAL.\"}"),
            None
        );
        assert_eq!(task_sentence("no task here"), None);
    }

    #[test]
    fn goals_are_classified_and_variants_refused() {
        let g = |s: &str| classify_goal(&parse_sx(&format!("(define {s})")).unwrap());
        let put = g("(:goal (and (exists (?r - receptacle) (exists (?o - object) (and (inReceptacle ?o ?r) (objectType ?o MugType) (receptacleType ?r CoffeeMachineType))))))").unwrap();
        assert_eq!(
            (put.kind, put.object.as_str(), put.receptacle.as_deref()),
            (TaskType::PickAndPlaceSimple, "mug", Some("coffeemachine"))
        );
        let look = g("(:goal (and (exists (?ot - object ?r - receptacle ?a - agent ?l - location) (and (objectType ?ot DeskLampType) (toggleable ?ot) (isToggled ?ot) (receptacleAtLocation ?r ?l) (atLocation ?a ?l) (inReceptacle ?ot ?r))) (exists (?o - object ?a - agent) (and (objectType ?o MugType) (holds ?a ?o)))))").unwrap();
        assert_eq!(
            (look.kind, look.object.as_str(), look.lamp.as_deref()),
            (TaskType::LookAtObjInLight, "mug", Some("desklamp"))
        );
        let two = g("(:goal (and (exists (?r - receptacle) (exists (?o1 - object) (and (objectType ?o1 MugType) (receptacleType ?r CabinetType) (inReceptacle ?o1 ?r) (exists (?o2 - object) (and (not (= ?o1 ?o2)) (objectType ?o2 MugType) (receptacleType ?r CabinetType) (inReceptacle ?o2 ?r))))))))").unwrap();
        assert_eq!(two.kind, TaskType::PickTwoObjAndPlace);
        let sliced = g("(:goal (exists (?o - object) (and (sliceable ?o) (isSliced ?o) (objectType ?o AppleType))))");
        assert!(sliced.unwrap_err().to_string().contains("slice"));
    }
}
