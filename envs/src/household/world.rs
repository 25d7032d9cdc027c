//! The household world: a game file ([`Game`]), its compiled form ([`World`]) and the
//! mutable [`State`] that commands change.
//!
//! Commands and feedback follow ALFWorld ≤ 0.3.x, the dialect of the ReAct and Reflexion
//! prompts (alfworld `alfworld/data/alfred.twl2` before commit `1fa7e68`; TextWorld
//! `textworld/envs/pddl/pddl.py` for the list rendering and the exact-match rule):
//! - a command is valid only if it is exactly one of the admissible commands (after trimming);
//!   anything else answers `Nothing happens.` and changes nothing;
//! - lists join with `", "`, the last item with `", and "`, an empty list reads `nothing`, and
//!   the article is always `a`;
//! - `go to` answers `You arrive at loc N. ` followed by what the receptacle shows (ReAct and
//!   Reflexion strip that prefix; [`super::HouseholdEnv::react_format`] does the same).

use super::data;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The format tag written into every game file.
pub const FORMAT: &str = "hone-household/1";

/// A game file: a room, what is in it, and one task. See docs/HOUSEHOLD.md for the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Game {
    /// Always [`FORMAT`].
    pub format: String,
    pub name: String,
    /// kitchen, bathroom, bedroom, livingroom (informational).
    #[serde(default)]
    pub room: String,
    pub receptacles: Vec<ReceptacleSpec>,
    pub objects: Vec<ObjectSpec>,
    pub task: TaskDef,
}

/// A receptacle: `"cabinet 3"`. Receptacles with the same `loc` stand together (going from one
/// to the other answers `Nothing happens.`, as in ALFWorld).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptacleSpec {
    pub name: String,
    /// The location number printed by `go to` ("You arrive at loc N.").
    pub loc: u32,
    /// Starts open (only meaningful for openable kinds).
    #[serde(default, skip_serializing_if = "is_false")]
    pub open: bool,
    /// `false`: an instance of an openable kind that cannot be opened (ALFWorld's games leave
    /// out `(openable …)` for some cabinets and drawers: `On the cabinet 4, you see …`).
    /// Absent: as its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openable: Option<bool>,
}

/// An object: `"mug 2"`, in or on receptacle `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    pub name: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub clean: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub hot: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub cool: bool,
    /// A lamp that starts lit. Cosmetic, as ALFWorld's `isOn`: a look task still needs the
    /// lamp to be `use`d.
    #[serde(default, skip_serializing_if = "is_false")]
    pub on: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

hone_core::named_enum! {
    /// ALFWorld's six task types, in the order of ALFWorld's tables (put, clean, heat, cool,
    /// examine, puttwo); each also answers to ReAct's short name.
    pub enum TaskType {
        PickAndPlaceSimple = "pick_and_place_simple" | "put",
        PickCleanThenPlaceInRecep = "pick_clean_then_place_in_recep" | "clean",
        PickHeatThenPlaceInRecep = "pick_heat_then_place_in_recep" | "heat",
        PickCoolThenPlaceInRecep = "pick_cool_then_place_in_recep" | "cool",
        LookAtObjInLight = "look_at_obj_in_light" | "examine",
        PickTwoObjAndPlace = "pick_two_obj_and_place" | "puttwo",
    }
}

impl TaskType {
    /// The short name ReAct uses for its prompts (`put`, `clean`, `heat`, `cool`, `examine`,
    /// `puttwo`).
    pub fn short(self) -> &'static str {
        self.aliases()[0]
    }

    /// The goal templates (alfworld `gen/goal_library.py`): one is chosen per game. `{o}` is the
    /// object kind, `{r}` the receptacle kind, `{l}` the lamp kind.
    pub fn templates(self) -> [&'static str; 2] {
        match self {
            TaskType::PickAndPlaceSimple => ["put a {o} in {r}", "put some {o} on {r}"],
            TaskType::LookAtObjInLight => {
                ["look at {o} under the {l}", "examine the {o} with the {l}"]
            }
            TaskType::PickCleanThenPlaceInRecep => {
                ["put a clean {o} in {r}", "clean some {o} and put it in {r}"]
            }
            TaskType::PickHeatThenPlaceInRecep => {
                ["put a hot {o} in {r}", "heat some {o} and put it in {r}"]
            }
            TaskType::PickCoolThenPlaceInRecep => {
                ["put a cool {o} in {r}", "cool some {o} and put it in {r}"]
            }
            TaskType::PickTwoObjAndPlace => {
                ["put two {o} in {r}", "find two {o} and put them in {r}"]
            }
        }
    }
}

/// What must become true. `receptacle` is a kind (`"countertop"`), needed by every type except
/// `look_at_obj_in_light`, which needs `lamp` (`"desklamp"` or `"floorlamp"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDef {
    #[serde(rename = "type")]
    pub kind: TaskType,
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receptacle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lamp: Option<String>,
    /// The goal sentence; when absent, the first template of the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
}

impl TaskDef {
    pub fn goal_text(&self) -> String {
        match &self.goal {
            Some(g) => g.clone(),
            None => self.render(0),
        }
    }

    pub fn render(&self, template: usize) -> String {
        self.kind.templates()[template % 2]
            .replace("{o}", &self.object)
            .replace("{r}", self.receptacle.as_deref().unwrap_or(""))
            .replace("{l}", self.lamp.as_deref().unwrap_or(""))
    }
}

/// `"cabinet 3"` → (`"cabinet"`, 3).
pub fn split_name(name: &str) -> Option<(&str, u32)> {
    let (kind, num) = name.rsplit_once(' ')?;
    let n: u32 = num.parse().ok()?;
    let ok = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase()) && n >= 1;
    ok.then_some((kind, n))
}

/// Renders ALFWorld's list: "a X", "a X, and a Y", "a X, a Y, and a Z", or "nothing".
pub fn render_list<'a>(out: &mut String, items: impl ExactSizeIterator<Item = &'a str>) {
    let n = items.len();
    if n == 0 {
        out.push_str("nothing");
        return;
    }
    for (i, it) in items.enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == n { ", and " } else { ", " });
        }
        out.push_str("a ");
        out.push_str(it);
    }
}

/// Orders names as ALFWorld's demangler numbers them: kinds alphabetical, numbers descending.
fn display_order(names: &[String]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..names.len()).collect();
    idx.sort_by(|&a, &b| {
        let (ka, na) = split_name(&names[a]).unwrap_or((&names[a], 0));
        let (kb, nb) = split_name(&names[b]).unwrap_or((&names[b], 0));
        ka.cmp(kb).then(nb.cmp(&na))
    });
    idx
}

pub(crate) struct Recep {
    pub name: String,
    pub kind: String,
    pub loc: u32,
    pub openable: bool,
    /// Object kinds accepted; `None` = all.
    pub accepts: Option<Vec<&'static str>>,
}

pub(crate) struct Obj {
    pub name: String,
    pub kind: String,
    pub pickup: bool,
    pub toggle: bool,
    pub cleanable: bool,
    pub heatable: bool,
    pub coolable: bool,
    /// A mug, cup, bowl, pan, plate, pot or box (ALFWorld's `isReceptacleObject`).
    pub receptacle_object: bool,
}

/// Object flags.
pub const CLEAN: u8 = 1;
pub const HOT: u8 = 2;
pub const COOL: u8 = 4;
/// A lamp that is lit (`on` in a game file; flipped by `use`). Cosmetic, as ALFWorld's `isOn`.
pub const ON: u8 = 8;
/// A lamp that was `use`d (ALFWorld's `isToggled`): what examine and the lamp goal read.
pub const TOGGLED: u8 = 16;

/// Marks an object held by the agent in [`State::obj_in`].
pub const HELD: u16 = u16::MAX;

/// Everything that changes. Small, `Hash` and `Eq` so planners can search over it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct State {
    /// The location the agent stands at (`None`: the middle of the room, at the start).
    pub at: Option<u32>,
    /// The receptacle last gone to (what `look` faces).
    pub facing: Option<u16>,
    pub held: Option<u16>,
    pub opened: Vec<bool>,
    /// Per object: the receptacle index it is in, or [`HELD`].
    pub obj_in: Vec<u16>,
    pub flags: Vec<u8>,
}

/// A command, by index into the world's receptacles (`r`) and objects (`o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    GoTo(u16),
    Open(u16),
    Close(u16),
    Take(u16, u16),
    Put(u16, u16),
    Clean(u16, u16),
    Heat(u16, u16),
    Cool(u16, u16),
    Use(u16),
    ExamineR(u16),
    ExamineO(u16),
    Inventory,
    Look,
}

/// A compiled game: names resolved to indices, rules looked up once.
pub struct World {
    pub game: Game,
    pub(crate) receps: Vec<Recep>,
    pub(crate) objs: Vec<Obj>,
    names_r: HashMap<String, u16>,
    names_o: HashMap<String, u16>,
    intro_order: Vec<usize>,
    obj_order: Vec<u16>,
    pub initial: State,
}

impl World {
    /// Checks and compiles a game; errors name the offending entry.
    pub fn new(game: Game) -> anyhow::Result<World> {
        use anyhow::{bail, ensure};
        ensure!(
            game.format == FORMAT,
            "game `{}`: format is `{}`, expected `{FORMAT}`",
            game.name,
            game.format
        );
        ensure!(
            !game.receptacles.is_empty(),
            "game `{}` has no receptacles",
            game.name
        );
        let mut names_r = HashMap::new();
        let mut receps = Vec::new();
        for (i, r) in game.receptacles.iter().enumerate() {
            let Some((kind, _)) = split_name(&r.name) else {
                bail!(
                    "game `{}`: receptacle name `{}` is not `<lowercase kind> <number ≥ 1>`",
                    game.name,
                    r.name
                );
            };
            ensure!(
                names_r.insert(r.name.clone(), i as u16).is_none(),
                "game `{}`: receptacle `{}` appears twice",
                game.name,
                r.name
            );
            let kind_openable = data::contains(data::OPENABLE, kind);
            ensure!(
                r.openable != Some(true) || kind_openable,
                "game `{}`: receptacle `{}` is marked openable, but a {kind} has no door",
                game.name,
                r.name
            );
            receps.push(Recep {
                name: r.name.clone(),
                kind: kind.to_string(),
                loc: r.loc,
                openable: r.openable.unwrap_or(kind_openable),
                accepts: data::accepts(kind),
            });
        }
        let mut names_o = HashMap::new();
        let mut objs = Vec::new();
        let mut obj_in = Vec::new();
        let mut flags = Vec::new();
        for (i, o) in game.objects.iter().enumerate() {
            let Some((kind, _)) = split_name(&o.name) else {
                bail!(
                    "game `{}`: object name `{}` is not `<lowercase kind> <number ≥ 1>`",
                    game.name,
                    o.name
                );
            };
            ensure!(
                !names_r.contains_key(&o.name),
                "game `{}`: `{}` is both a receptacle and an object",
                game.name,
                o.name
            );
            ensure!(
                names_o.insert(o.name.clone(), i as u16).is_none(),
                "game `{}`: object `{}` appears twice",
                game.name,
                o.name
            );
            let Some(&r) = names_r.get(&o.at) else {
                bail!(
                    "game `{}`: object `{}` is at `{}`, which is not a receptacle of this game",
                    game.name,
                    o.name,
                    o.at
                );
            };
            let toggle = data::contains(data::TOGGLEABLE, kind);
            objs.push(Obj {
                name: o.name.clone(),
                kind: kind.to_string(),
                pickup: !data::contains(data::FIXED, kind),
                toggle,
                cleanable: data::contains(data::CLEANABLE, kind),
                heatable: data::contains(data::HEATABLE, kind),
                coolable: data::contains(data::COOLABLE, kind),
                receptacle_object: data::contains(data::RECEPTACLE_OBJECTS, kind),
            });
            obj_in.push(r);
            flags.push(
                [(o.clean, CLEAN), (o.hot, HOT), (o.cool, COOL), (o.on, ON)]
                    .iter()
                    .filter(|f| f.0)
                    .fold(0, |acc, f| acc | f.1),
            );
        }
        let t = &game.task;
        match t.kind {
            TaskType::LookAtObjInLight => ensure!(
                t.lamp.is_some(),
                "game `{}`: a look_at_obj_in_light task needs `lamp`",
                game.name
            ),
            _ => ensure!(
                t.receptacle.is_some(),
                "game `{}`: a {} task needs `receptacle`",
                game.name,
                t.kind.name()
            ),
        }
        let rnames: Vec<String> = receps.iter().map(|r| r.name.clone()).collect();
        let onames: Vec<String> = objs.iter().map(|o| o.name.clone()).collect();
        let initial = State {
            at: None,
            facing: None,
            held: None,
            opened: game.receptacles.iter().map(|r| r.open).collect(),
            obj_in,
            flags,
        };
        Ok(World {
            intro_order: display_order(&rnames),
            obj_order: display_order(&onames)
                .into_iter()
                .map(|i| i as u16)
                .collect(),
            game,
            receps,
            objs,
            names_r,
            names_o,
            initial,
        })
    }

    pub fn goal(&self) -> String {
        self.game.task.goal_text()
    }

    /// The first observation, as ALFWorld prints it.
    pub fn intro(&self) -> String {
        let mut s = String::from(
            "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see ",
        );
        render_list(
            &mut s,
            self.intro_order
                .iter()
                .map(|&i| self.receps[i].name.as_str()),
        );
        let _ = write!(s, ".\n\nYour task is to: {}.", self.goal());
        s
    }

    pub fn recep_name(&self, r: u16) -> &str {
        &self.receps[r as usize].name
    }
    pub fn obj_name(&self, o: u16) -> &str {
        &self.objs[o as usize].name
    }
    pub fn recep_kind(&self, r: u16) -> &str {
        &self.receps[r as usize].kind
    }
    pub fn obj_kind(&self, o: u16) -> &str {
        &self.objs[o as usize].kind
    }
    pub fn n_receps(&self) -> usize {
        self.receps.len()
    }
    pub fn n_objs(&self) -> usize {
        self.objs.len()
    }
    pub fn recep_loc(&self, r: u16) -> u32 {
        self.receps[r as usize].loc
    }
    pub fn recep_openable(&self, r: u16) -> bool {
        self.receps[r as usize].openable
    }
    pub fn obj_pickup(&self, o: u16) -> bool {
        self.objs[o as usize].pickup
    }

    fn at_r(&self, s: &State, r: u16) -> bool {
        s.at == Some(self.receps[r as usize].loc)
    }
    fn reachable_inside(&self, s: &State, r: u16) -> bool {
        !self.receps[r as usize].openable || s.opened[r as usize]
    }
    /// Whether receptacle `r` accepts object `o`.
    pub fn can_contain(&self, r: u16, o: u16) -> bool {
        match &self.receps[r as usize].accepts {
            None => true,
            Some(list) => list.contains(&self.objs[o as usize].kind.as_str()),
        }
    }
    /// The object is in a receptacle at the agent's location and can be seen.
    fn visible(&self, s: &State, o: u16) -> bool {
        let r = s.obj_in[o as usize];
        r != HELD && self.at_r(s, r) && self.reachable_inside(s, r)
    }

    /// Whether `c` is admissible in `s` (the rules of ALFWorld's PDDL domain, as hone reads them).
    pub fn valid(&self, s: &State, c: Cmd) -> bool {
        match c {
            Cmd::GoTo(r) => !self.at_r(s, r),
            Cmd::Open(r) => {
                self.at_r(s, r) && self.receps[r as usize].openable && !s.opened[r as usize]
            }
            Cmd::Close(r) => {
                self.at_r(s, r) && self.receps[r as usize].openable && s.opened[r as usize]
            }
            Cmd::Take(o, r) => {
                s.held.is_none()
                    && self.objs[o as usize].pickup
                    && s.obj_in[o as usize] == r
                    && self.at_r(s, r)
                    && self.reachable_inside(s, r)
            }
            Cmd::Put(o, r) => {
                s.held == Some(o)
                    && self.at_r(s, r)
                    && self.reachable_inside(s, r)
                    && self.can_contain(r, o)
            }
            Cmd::Clean(o, r) => {
                s.held == Some(o)
                    && self.at_r(s, r)
                    && self.receps[r as usize].kind == "sinkbasin"
                    && self.objs[o as usize].cleanable
            }
            Cmd::Heat(o, r) => {
                s.held == Some(o)
                    && self.at_r(s, r)
                    && self.receps[r as usize].kind == "microwave"
                    && self.objs[o as usize].heatable
            }
            Cmd::Cool(o, r) => {
                s.held == Some(o)
                    && self.at_r(s, r)
                    && self.receps[r as usize].kind == "fridge"
                    && self.objs[o as usize].coolable
            }
            Cmd::Use(o) => self.objs[o as usize].toggle && self.visible(s, o),
            Cmd::ExamineR(r) => self.at_r(s, r),
            Cmd::ExamineO(o) => s.held == Some(o) || self.visible(s, o),
            Cmd::Inventory | Cmd::Look => true,
        }
    }

    /// Every admissible command in `s`, unordered.
    pub fn admissible_cmds(&self, s: &State, out: &mut Vec<Cmd>) {
        out.clear();
        out.push(Cmd::Inventory);
        out.push(Cmd::Look);
        for r in 0..self.receps.len() as u16 {
            let rr = &self.receps[r as usize];
            if !self.at_r(s, r) {
                out.push(Cmd::GoTo(r));
                continue;
            }
            out.push(Cmd::ExamineR(r));
            if rr.openable {
                out.push(if s.opened[r as usize] {
                    Cmd::Close(r)
                } else {
                    Cmd::Open(r)
                });
            }
            if let Some(o) = s.held {
                for c in [
                    Cmd::Put(o, r),
                    Cmd::Clean(o, r),
                    Cmd::Heat(o, r),
                    Cmd::Cool(o, r),
                ] {
                    if self.valid(s, c) {
                        out.push(c);
                    }
                }
            }
        }
        for o in 0..self.objs.len() as u16 {
            let r = s.obj_in[o as usize];
            if r == HELD {
                out.push(Cmd::ExamineO(o));
            } else if self.visible(s, o) {
                out.push(Cmd::ExamineO(o));
                if s.held.is_none() && self.objs[o as usize].pickup {
                    out.push(Cmd::Take(o, r));
                }
                if self.objs[o as usize].toggle {
                    out.push(Cmd::Use(o));
                }
            }
        }
    }

    /// The command's text, e.g. `put mug 1 in/on coffeemachine 1`.
    pub fn render(&self, c: Cmd, out: &mut String) {
        let r = |i: u16| self.receps[i as usize].name.as_str();
        let o = |i: u16| self.objs[i as usize].name.as_str();
        let _ = match c {
            Cmd::GoTo(x) => write!(out, "go to {}", r(x)),
            Cmd::Open(x) => write!(out, "open {}", r(x)),
            Cmd::Close(x) => write!(out, "close {}", r(x)),
            Cmd::Take(a, b) => write!(out, "take {} from {}", o(a), r(b)),
            Cmd::Put(a, b) => write!(out, "put {} in/on {}", o(a), r(b)),
            Cmd::Clean(a, b) => write!(out, "clean {} with {}", o(a), r(b)),
            Cmd::Heat(a, b) => write!(out, "heat {} with {}", o(a), r(b)),
            Cmd::Cool(a, b) => write!(out, "cool {} with {}", o(a), r(b)),
            Cmd::Use(a) => write!(out, "use {}", o(a)),
            Cmd::ExamineR(x) => write!(out, "examine {}", r(x)),
            Cmd::ExamineO(x) => write!(out, "examine {}", o(x)),
            Cmd::Inventory => write!(out, "inventory"),
            Cmd::Look => write!(out, "look"),
        };
    }

    pub fn render_string(&self, c: Cmd) -> String {
        let mut s = String::new();
        self.render(c, &mut s);
        s
    }

    /// Parses a command's exact text (after trimming). `None`: not a command of this game.
    pub fn parse(&self, text: &str) -> Option<Cmd> {
        let t = text.trim();
        let r = |n: &str| self.names_r.get(n).copied();
        let o = |n: &str| self.names_o.get(n).copied();
        match t {
            "inventory" => return Some(Cmd::Inventory),
            "look" => return Some(Cmd::Look),
            _ => {}
        }
        let (verb, rest) = t.split_once(' ')?;
        match verb {
            "go" => r(rest.strip_prefix("to ")?).map(Cmd::GoTo),
            "open" => r(rest).map(Cmd::Open),
            "close" => r(rest).map(Cmd::Close),
            "use" => o(rest).map(Cmd::Use),
            "examine" => r(rest)
                .map(Cmd::ExamineR)
                .or_else(|| o(rest).map(Cmd::ExamineO)),
            "take" => {
                let (a, b) = rest.split_once(" from ")?;
                Some(Cmd::Take(o(a)?, r(b)?))
            }
            "put" => {
                let (a, b) = rest.split_once(" in/on ")?;
                Some(Cmd::Put(o(a)?, r(b)?))
            }
            "clean" | "heat" | "cool" => {
                let (a, b) = rest.split_once(" with ")?;
                let (a, b) = (o(a)?, r(b)?);
                Some(match verb {
                    "clean" => Cmd::Clean(a, b),
                    "heat" => Cmd::Heat(a, b),
                    _ => Cmd::Cool(a, b),
                })
            }
            _ => None,
        }
    }

    /// What a receptacle shows: "On the X, you see …", "The X is closed.", "The X is open. In
    /// it, you see …".
    pub fn recep_text(&self, s: &State, r: u16, out: &mut String) {
        let rr = &self.receps[r as usize];
        if rr.openable && !s.opened[r as usize] {
            let _ = write!(out, "The {} is closed.", rr.name);
            return;
        }
        if rr.openable {
            let _ = write!(out, "The {} is open. In it, you see ", rr.name);
        } else {
            let _ = write!(out, "On the {}, you see ", rr.name);
        }
        self.contents(s, r, out);
        out.push('.');
    }

    fn contents(&self, s: &State, r: u16, out: &mut String) {
        let items: Vec<&str> = self
            .obj_order
            .iter()
            .filter(|&&o| s.obj_in[o as usize] == r)
            .map(|&o| self.objs[o as usize].name.as_str())
            .collect();
        render_list(out, items.into_iter());
    }

    /// Applies an admissible command and writes its feedback. The caller checks validity.
    pub fn apply(&self, s: &mut State, c: Cmd, out: &mut String) {
        let rn = |i: u16| self.receps[i as usize].name.as_str();
        let on = |i: u16| self.objs[i as usize].name.as_str();
        match c {
            Cmd::GoTo(r) => {
                s.at = Some(self.receps[r as usize].loc);
                s.facing = Some(r);
                let _ = write!(out, "You arrive at loc {}. ", self.receps[r as usize].loc);
                self.recep_text(s, r, out);
            }
            Cmd::Open(r) => {
                s.opened[r as usize] = true;
                let _ = write!(
                    out,
                    "You open the {0}. The {0} is open. In it, you see ",
                    rn(r)
                );
                self.contents(s, r, out);
                out.push('.');
            }
            Cmd::Close(r) => {
                s.opened[r as usize] = false;
                let _ = write!(out, "You close the {}.", rn(r));
            }
            Cmd::Take(o, r) => {
                s.obj_in[o as usize] = HELD;
                s.held = Some(o);
                let _ = write!(out, "You pick up the {} from the {}.", on(o), rn(r));
            }
            Cmd::Put(o, r) => {
                s.obj_in[o as usize] = r;
                s.held = None;
                let _ = write!(out, "You put the {} in/on the {}.", on(o), rn(r));
            }
            Cmd::Clean(o, r) => {
                s.flags[o as usize] |= CLEAN;
                let _ = write!(out, "You clean the {} using the {}.", on(o), rn(r));
            }
            Cmd::Heat(o, r) => {
                s.flags[o as usize] = (s.flags[o as usize] | HOT) & !COOL;
                let _ = write!(out, "You heat the {} using the {}.", on(o), rn(r));
            }
            Cmd::Cool(o, r) => {
                s.flags[o as usize] = (s.flags[o as usize] | COOL) & !HOT;
                let _ = write!(out, "You cool the {} using the {}.", on(o), rn(r));
            }
            Cmd::Use(o) => {
                // ALFWorld's ToggleObject adds isToggled and flips isOn; its feedback is read
                // after the effects, so it always says "turn on".
                s.flags[o as usize] = (s.flags[o as usize] ^ ON) | TOGGLED;
                let _ = write!(out, "You turn on the {}.", on(o));
            }
            Cmd::ExamineR(r) => self.recep_text(s, r, out),
            Cmd::ExamineO(o) => self.examine_text(s, o, out),
            Cmd::Inventory => match s.held {
                Some(o) => {
                    let _ = write!(out, "You are carrying: a {}.", on(o));
                }
                None => out.push_str("You are not carrying anything."),
            },
            Cmd::Look => match (s.at, s.facing) {
                (Some(loc), Some(_)) => {
                    let here: Vec<&str> = self
                        .intro_order
                        .iter()
                        .map(|&i| &self.receps[i])
                        .filter(|r| r.loc == loc)
                        .map(|r| r.name.as_str())
                        .collect();
                    let _ = write!(
                        out,
                        "You are facing the {}. Next to it, you see nothing.",
                        join_and(&here)
                    );
                }
                _ => out.push_str(
                    "You are in the middle of a room. Looking quickly around you, you see nothing.",
                ),
            },
        }
    }

    /// What `examine` says of an object: the first rule of alfred.twl2's
    /// `examineObject.feedback` (≤ 0.3) that holds, in its order: a receptacle-object is
    /// "normal" whatever its state (hone has no nesting, so nothing is in it); hot and clean,
    /// cool and clean, hot, clean, cold; a `use`d lamp is on (the "off" rule needs a
    /// `not_istoggled` fact no game has, so an unused lamp falls through); the default.
    fn examine_text(&self, s: &State, o: u16, out: &mut String) {
        let f = s.flags[o as usize];
        let ob = &self.objs[o as usize];
        let has = |flag: u8| f & flag != 0;
        let adj = if ob.receptacle_object {
            let _ = write!(out, "This is a normal {}. In it, you see nothing.", ob.name);
            return;
        } else if has(HOT) && has(CLEAN) {
            "hot and clean"
        } else if has(COOL) && has(CLEAN) {
            "cool and clean"
        } else if has(HOT) {
            "hot"
        } else if has(CLEAN) {
            "clean"
        } else if has(COOL) {
            "cold"
        } else if ob.toggle && has(TOGGLED) {
            let _ = write!(out, "This {} is on.", ob.name);
            return;
        } else {
            let _ = write!(out, "There's nothing special about {}.", ob.name);
            return;
        };
        let _ = write!(out, "This is a {adj} {}.", ob.name);
    }

    /// Whether the task is solved in `s` (ALFWorld checks this after every step).
    pub fn goal_met(&self, s: &State) -> bool {
        let t = &self.game.task;
        let kind_is = |o: usize| self.objs[o].kind == t.object;
        let in_target = |o: usize| {
            let r = s.obj_in[o];
            r != HELD && Some(self.receps[r as usize].kind.as_str()) == t.receptacle.as_deref()
        };
        let need = match t.kind {
            TaskType::PickAndPlaceSimple | TaskType::PickTwoObjAndPlace => 0,
            TaskType::PickCleanThenPlaceInRecep => CLEAN,
            TaskType::PickHeatThenPlaceInRecep => HOT,
            TaskType::PickCoolThenPlaceInRecep => COOL,
            TaskType::LookAtObjInLight => {
                let holding = s.held.is_some_and(|o| kind_is(o as usize));
                return holding
                    && (0..self.objs.len()).any(|l| {
                        Some(self.objs[l].kind.as_str()) == t.lamp.as_deref()
                            && s.flags[l] & TOGGLED != 0
                            && s.obj_in[l] != HELD
                            && self.at_r(s, s.obj_in[l])
                    });
            }
        };
        let ok = |o: usize| kind_is(o) && in_target(o) && s.flags[o] & need == need;
        if t.kind == TaskType::PickTwoObjAndPlace {
            // Two distinct objects of the kind in the same receptacle.
            let mut seen: Vec<u16> = Vec::new();
            for o in 0..self.objs.len() {
                if ok(o) {
                    let r = s.obj_in[o];
                    if seen.contains(&r) {
                        return true;
                    }
                    seen.push(r);
                }
            }
            false
        } else {
            (0..self.objs.len()).any(ok)
        }
    }

    /// The receptacle index of a name.
    pub fn recep_index(&self, name: &str) -> Option<u16> {
        self.names_r.get(name).copied()
    }
    /// The object index of a name.
    pub fn obj_index(&self, name: &str) -> Option<u16> {
        self.names_o.get(name).copied()
    }
}

/// "X", "X and Y", "X, Y, and Z" (no articles; for `look`'s facing list).
fn join_and(items: &[&str]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        n => format!("{}, and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}
