//! Games generated from a seed, and the standard splits.
//!
//! A game is a room layout (which receptacles, how many of each) plus a placement of objects and
//! one task. Layouts come from a layout seed; `train` and `valid_seen` draw theirs from one pool
//! of layouts and `unseen` from a disjoint pool, mirroring ALFWorld's seen/unseen rooms. The
//! generator is deterministic per seed on every platform (its own SplitMix64 generator, no
//! floating point).

use super::data::{self, RoomKind};
use super::world::{Game, ObjectSpec, ReceptacleSpec, TaskDef, TaskType, FORMAT};
use std::collections::BTreeMap;

/// SplitMix64 (Steele et al. 2014): small, fast, and stable across versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

hone_core::named_enum! {
    /// A standard set of games.
    pub enum Split {
        /// 3,553 games (ALFWorld's solvable train count), seen layouts, task types in turn.
        Train = "train",
        /// 140 games (ALFWorld's `valid_seen` count) on seen layouts, 24/24/23/23/23/23.
        ValidSeen = "valid_seen" | "seen" | "eval_in_distribution",
        /// 134 games on unseen layouts in ALFWorld's `valid_unseen` mix: put/clean/heat/cool/
        /// examine/puttwo = 24/31/23/21/18/17 (ReAct issue #11).
        Unseen = "unseen" | "valid_unseen" | "eval_out_of_distribution",
    }
}

/// Layouts per room kind in the seen pool.
const SEEN_LAYOUTS: u64 = 40;
const UNSEEN_LAYOUT_BASE: u64 = 1 << 40;
const UNSEEN_LAYOUTS: u64 = 12;

impl Split {
    /// Games per task type, in [`TaskType::ALL`] order (put, clean, heat, cool, examine, puttwo).
    pub fn mix(self) -> [usize; 6] {
        match self {
            Split::Train => [593, 592, 592, 592, 592, 592],
            Split::ValidSeen => [24, 24, 23, 23, 23, 23],
            Split::Unseen => [24, 31, 23, 21, 18, 17],
        }
    }

    /// Games in the split.
    pub fn size(self) -> usize {
        self.mix().iter().sum()
    }

    fn tag(self) -> u64 {
        match self {
            Split::Train => 1,
            Split::ValidSeen => 2,
            Split::Unseen => 3,
        }
    }

    /// The task type of each game, in the split's fixed (shuffled) order.
    pub fn types(self) -> Vec<TaskType> {
        let mut v: Vec<TaskType> = TaskType::ALL
            .iter()
            .zip(self.mix())
            .flat_map(|(t, n)| std::iter::repeat_n(*t, n))
            .collect();
        Rng::new(1234 + self.tag()).shuffle(&mut v);
        v
    }

    /// Game `i` of the split (`i < len()`).
    pub fn game(self, i: usize) -> Game {
        let t = self.types()[i];
        self.game_of_type(i, t)
    }

    fn game_of_type(self, i: usize, t: TaskType) -> Game {
        let seed = self.tag() << 32 | i as u64;
        let mut r = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let layout = match self {
            Split::Unseen => UNSEEN_LAYOUT_BASE + r.below(UNSEEN_LAYOUTS as usize) as u64,
            _ => r.below(SEEN_LAYOUTS as usize) as u64,
        };
        let mut g = generate(seed, t, layout);
        g.name = format!("{}-{:04}-{}", self.name(), i, t.name());
        g
    }

    /// All games of the split, in order.
    pub fn games(self) -> Vec<Game> {
        self.types()
            .into_iter()
            .enumerate()
            .map(|(i, t)| self.game_of_type(i, t))
            .collect()
    }
}

/// Rooms a task type can happen in.
fn rooms_for(t: TaskType) -> &'static [&'static str] {
    match t {
        TaskType::PickAndPlaceSimple | TaskType::PickTwoObjAndPlace => {
            &["kitchen", "bathroom", "bedroom", "livingroom"]
        }
        TaskType::PickCleanThenPlaceInRecep => &["kitchen", "bathroom"],
        TaskType::PickHeatThenPlaceInRecep | TaskType::PickCoolThenPlaceInRecep => &["kitchen"],
        TaskType::LookAtObjInLight => &["bedroom", "livingroom"],
    }
}

/// The receptacle kinds (with counts) of layout `layout` of `room`.
fn layout(room: &RoomKind, layout: u64) -> Vec<(&'static str, u32)> {
    let mut r = Rng::new(layout.wrapping_mul(31) ^ room.name.len() as u64 ^ 0xA5A5);
    room.receptacles
        .iter()
        .map(|&(k, lo, hi)| (k, r.range(lo, hi)))
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// The appliance a task type needs, if any.
pub fn appliance(t: TaskType) -> Option<&'static str> {
    match t {
        TaskType::PickCleanThenPlaceInRecep => Some("sinkbasin"),
        TaskType::PickHeatThenPlaceInRecep => Some("microwave"),
        TaskType::PickCoolThenPlaceInRecep => Some("fridge"),
        _ => None,
    }
}

fn accepts(recep: &str, obj: &str) -> bool {
    data::accepts(recep).is_none_or(|v| v.contains(&obj))
}

/// Generates one game of type `t` from `seed` on layout `layout_seed`. Deterministic.
pub fn generate(seed: u64, t: TaskType, layout_seed: u64) -> Game {
    for attempt in 0u64.. {
        if let Some(g) = try_generate(seed, t, layout_seed, attempt) {
            return g;
        }
    }
    unreachable!()
}

fn try_generate(seed: u64, t: TaskType, layout_seed: u64, attempt: u64) -> Option<Game> {
    let mut r = Rng::new(seed ^ attempt.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let name: &&str = r.pick(rooms_for(t));
    let room = data::room(name)?;
    let mut kinds = layout(room, layout_seed.wrapping_add(attempt * 7919));
    // Lamps need somewhere to stand.
    let lamp = (t == TaskType::LookAtObjInLight).then(|| *r.pick(&["desklamp", "floorlamp"]));
    // Receptacle names and locations.
    let mut receptacles: Vec<ReceptacleSpec> = Vec::new();
    let total: u32 = kinds.iter().map(|k| k.1).sum();
    let mut locs: Vec<u32> = (1..=total + 10).collect();
    r.shuffle(&mut locs);
    kinds.sort();
    let mut next_loc = 0;
    for (k, n) in &kinds {
        for i in 1..=*n {
            // ALFWorld's scenes put about one receptacle in six at a spot it shares with
            // another: stacked drawers and shelves, cabinet pairs, stoveburner pairs.
            let stacks = matches!(*k, "drawer" | "shelf" | "cabinet" | "stoveburner");
            let loc = match receptacles.last() {
                Some(prev) if i > 1 && stacks && r.below(10) < 3 => prev.loc,
                _ => {
                    next_loc += 1;
                    locs[next_loc - 1]
                }
            };
            // ALFWorld's games leave `openable` out for about one cabinet or drawer in ten
            // (no vetted opening point in the scene): those read `On the cabinet 4, …`.
            let openable =
                (matches!(*k, "cabinet" | "drawer") && r.below(10) == 0).then_some(false);
            receptacles.push(ReceptacleSpec {
                name: format!("{k} {i}"),
                loc,
                open: false,
                openable,
            });
        }
    }
    let rkind = |name: &str| {
        name.rsplit_once(' ')
            .map(|x| x.0)
            .unwrap_or(name)
            .to_string()
    };
    let rkinds: Vec<String> = receptacles.iter().map(|x| rkind(&x.name)).collect();

    // Task object and target.
    let eligible: Vec<&str> = room
        .objects
        .iter()
        .copied()
        .filter(|o| match t {
            TaskType::PickCleanThenPlaceInRecep => data::contains(data::CLEANABLE, o),
            TaskType::PickHeatThenPlaceInRecep => data::contains(data::HEATABLE, o),
            TaskType::PickCoolThenPlaceInRecep => data::contains(data::COOLABLE, o),
            TaskType::LookAtObjInLight => data::contains(data::LOOKABLE, o),
            _ => true,
        })
        .collect();
    if eligible.is_empty() {
        return None;
    }
    let obj = *r.pick(&eligible);
    let app = appliance(t);
    if let Some(a) = app {
        if !rkinds.iter().any(|k| k == a) {
            return None;
        }
    }
    let target: Option<String> = if t == TaskType::LookAtObjInLight {
        None
    } else {
        let mut targets: Vec<&String> = rkinds
            .iter()
            .filter(|k| accepts(k, obj) && Some(k.as_str()) != app)
            .collect();
        targets.dedup();
        if targets.is_empty() {
            return None;
        }
        Some(r.pick(&targets).to_string())
    };
    // Where goal objects may start: accepting receptacles not of the target kind.
    let sources: Vec<usize> = (0..receptacles.len())
        .filter(|&i| accepts(&rkinds[i], obj) && Some(&rkinds[i]) != target.as_ref())
        .filter(|&i| Some(rkinds[i].as_str()) != app)
        .collect();
    let want = match t {
        TaskType::PickTwoObjAndPlace => r.range(2, 3),
        _ => r.range(1, 2),
    } as usize;
    if sources.is_empty() {
        return None;
    }

    // Place objects: (kind, receptacle index, flags).
    let mut placed: Vec<(&str, usize, bool)> = Vec::new();
    for _ in 0..want {
        placed.push((obj, *r.pick(&sources), false));
    }
    if let Some(l) = lamp {
        let stands: Vec<usize> = (0..receptacles.len())
            .filter(|&i| {
                matches!(
                    rkinds[i].as_str(),
                    "desk" | "sidetable" | "dresser" | "coffeetable" | "tvstand"
                )
            })
            .collect();
        if stands.is_empty() {
            return None;
        }
        placed.push((l, *r.pick(&stands), false));
    }
    // Distractors: 0–3 per receptacle, never the goal kind in a target-kind receptacle.
    for (i, rk) in rkinds.iter().enumerate() {
        let n = r.below(4);
        for _ in 0..n {
            let o = *r.pick(room.objects);
            if !accepts(rk, o) || data::contains(data::FIXED, o) {
                continue;
            }
            if o == obj && (Some(rk) == target.as_ref() || Some(rk.as_str()) == app) {
                continue;
            }
            placed.push((o, i, false));
        }
    }
    // Number objects per kind from 1 in a random order.
    r.shuffle(&mut placed);
    let mut counters: BTreeMap<&str, u32> = BTreeMap::new();
    let mut objects: Vec<ObjectSpec> = placed
        .iter()
        .map(|&(k, i, _)| {
            let c = counters.entry(k).or_insert(0);
            *c += 1;
            ObjectSpec {
                name: format!("{k} {c}"),
                at: receptacles[i].name.clone(),
                clean: false,
                hot: false,
                // ALFWorld starts objects of the task's kind that are in a fridge cold.
                cool: k == obj && rkinds[i] == "fridge",
                on: false,
            }
        })
        .collect();
    objects.sort_by(|a, b| a.name.cmp(&b.name));
    let template = r.below(2);
    let mut task = TaskDef {
        kind: t,
        object: obj.to_string(),
        receptacle: target,
        lamp: lamp.map(str::to_string),
        goal: None,
    };
    task.goal = Some(task.render(template));
    Some(Game {
        format: FORMAT.to_string(),
        name: format!("seed-{seed}-{}", t.name()),
        room: room.name.to_string(),
        receptacles,
        objects,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_have_alfworld_sizes_and_mix() {
        assert_eq!(Split::Unseen.size(), 134);
        assert_eq!(Split::ValidSeen.size(), 140);
        assert_eq!(Split::Train.size(), 3553);
        let types = Split::Unseen.types();
        for (t, n) in TaskType::ALL.iter().zip([24, 31, 23, 21, 18, 17]) {
            assert_eq!(types.iter().filter(|x| *x == t).count(), n, "{t:?}");
        }
    }

    /// FNV-1a over the JSON of every unseen game: changes only when the generator does (which
    /// changes the benchmark: bump the game format or say so in the changelog).
    fn fingerprint(split: Split) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for g in split.games() {
            for b in serde_json::to_vec(&g).unwrap() {
                h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }

    #[test]
    fn unseen_split_is_pinned() {
        assert_eq!(
            fingerprint(Split::Unseen),
            0xaaac_8b37_b97b_9577,
            "{:#x}",
            fingerprint(Split::Unseen)
        );
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        for &t in TaskType::ALL {
            let a = generate(42, t, 3);
            assert_eq!(a, generate(42, t, 3));
            assert_ne!(a, generate(43, t, 3));
        }
        assert_eq!(Split::Unseen.game(17), Split::Unseen.games()[17]);
    }
}
