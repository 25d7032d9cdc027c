//! The oracle: a breadth-first planner over the world state with full knowledge of the game.
//!
//! It searches the real rules ([`World::valid`] / [`World::apply`]) so a plan it finds is a plan
//! the environment accepts. To keep the search small it only considers commands that can matter
//! for the task: going to receptacles that hold goal objects or lamps, target receptacles and the
//! needed appliance; opening those; taking goal objects; putting into targets; cleaning, heating,
//! cooling and switching lamps on. The plan is shortest among those commands.

use super::gen::appliance;
use super::world::{Cmd, State, TaskType, World};
use std::collections::{HashMap, VecDeque};

/// The deepest plan the oracle looks for.
pub const MAX_DEPTH: usize = 40;

/// A shortest relevant plan, or `None` if the game cannot be solved.
pub fn solve(world: &World) -> Option<Vec<Cmd>> {
    solve_from(world, &world.initial)
}

/// A plan from any state (used to continue from where an agent left off).
pub fn solve_from(world: &World, start: &State) -> Option<Vec<Cmd>> {
    let t = &world.game.task;
    if world.goal_met(start) {
        return Some(Vec::new());
    }
    let goal_objs: Vec<u16> = (0..world.n_objs() as u16)
        .filter(|&o| world.obj_kind(o) == t.object && world.obj_pickup(o))
        .collect();
    let lamps: Vec<u16> = (0..world.n_objs() as u16)
        .filter(|&o| Some(world.obj_kind(o)) == t.lamp.as_deref())
        .collect();
    let app = appliance(t.kind);
    let mut relevant = vec![false; world.n_receps()];
    for r in 0..world.n_receps() as u16 {
        let k = world.recep_kind(r);
        if Some(k) == t.receptacle.as_deref() || Some(k) == app {
            relevant[r as usize] = true;
        }
    }
    for &o in goal_objs.iter().chain(&lamps) {
        let r = start.obj_in[o as usize];
        if r != super::world::HELD {
            relevant[r as usize] = true;
        }
    }
    let is_target = |r: u16| Some(world.recep_kind(r)) == t.receptacle.as_deref();
    let keep = |c: &Cmd| match *c {
        Cmd::GoTo(r) | Cmd::Open(r) => relevant[r as usize],
        Cmd::Take(o, _) => goal_objs.contains(&o),
        Cmd::Put(_, r) => is_target(r),
        Cmd::Clean(..) => t.kind == TaskType::PickCleanThenPlaceInRecep,
        Cmd::Heat(..) => t.kind == TaskType::PickHeatThenPlaceInRecep,
        Cmd::Cool(..) => t.kind == TaskType::PickCoolThenPlaceInRecep,
        Cmd::Use(o) => lamps.contains(&o),
        _ => false,
    };

    let mut parents: HashMap<State, Option<(State, Cmd)>> = HashMap::new();
    let mut queue: VecDeque<(State, usize)> = VecDeque::new();
    let norm = |s: &State| State {
        facing: None,
        ..s.clone()
    };
    parents.insert(norm(start), None);
    queue.push_back((start.clone(), 0));
    let mut cmds = Vec::new();
    let mut scratch = String::new();
    while let Some((s, depth)) = queue.pop_front() {
        if depth >= MAX_DEPTH {
            continue;
        }
        world.admissible_cmds(&s, &mut cmds);
        for &c in cmds.iter().filter(|c| keep(c)) {
            let mut n = s.clone();
            scratch.clear();
            world.apply(&mut n, c, &mut scratch);
            let key = norm(&n);
            if parents.contains_key(&key) {
                continue;
            }
            parents.insert(key.clone(), Some((norm(&s), c)));
            if world.goal_met(&n) {
                let mut plan = vec![c];
                let mut cur = norm(&s);
                while let Some(Some((p, pc))) = parents.get(&cur) {
                    plan.push(*pc);
                    cur = p.clone();
                }
                plan.reverse();
                return Some(plan);
            }
            queue.push_back((n, depth + 1));
        }
    }
    None
}

/// The plan as command strings.
pub fn walkthrough(world: &World) -> Option<Vec<String>> {
    solve(world).map(|p| p.into_iter().map(|c| world.render_string(c)).collect())
}
