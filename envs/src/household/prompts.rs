//! Few-shot examples in the format of the ReAct paper's ALFWorld prompts (Yao et al. 2023):
//! the task as the environment states it, then `> action` / observation lines, with
//! `> think: …` lines answered `OK.` (ReAct) or without them (Act).
//!
//! The examples are hone's own: two per task type, played out in this world by a scripted
//! demonstrator (it searches one or two likely receptacles before the right one, as a person
//! would), so every observation is exactly what the environment prints. The thoughts are
//! written by templates in ReAct's style. A test checks that every example ends in a win.

use super::gen::{appliance, generate};
use super::world::{TaskType, World, HELD};
use super::HouseholdEnv;
use std::sync::Arc;

/// ReAct's instruction line (`alfworld.ipynb`).
pub const INSTRUCTION: &str = "Interact with a household to solve a task. Here are two examples.";

/// Seeds of the example games (disjoint from every split's seeds).
const EXAMPLE_SEEDS: [u64; 2] = [0xE1A3_0000_0001, 0xE1A3_0000_0002];
const EXAMPLE_LAYOUT: [u64; 2] = [1 << 50, (1 << 50) + 1];

/// The two examples for a task type; `think` selects ReAct (true) or Act (false).
pub fn examples(t: TaskType, think: bool) -> Vec<String> {
    (0..2)
        .map(|i| {
            let g = generate(EXAMPLE_SEEDS[i] + t as u64 * 16, t, EXAMPLE_LAYOUT[i]);
            let w = Arc::new(World::new(g).expect("generated games are valid"));
            demonstrate(&w, think, i).expect("the demonstrator solves its example games")
        })
        .collect()
}

struct Demo {
    env: HouseholdEnv,
    text: String,
    think: bool,
    won: bool,
}

impl Demo {
    fn act(&mut self, a: &str) {
        let s = self.env.act(a);
        self.text.push_str(&format!("> {a}\n{}\n", s.observation));
        self.won |= s.won;
    }
    /// Goes to receptacle `r`; one that stands where the agent already is (a shared location,
    /// where `go to` answers `Nothing happens.`) is examined instead.
    fn visit(&mut self, w: &World, r: u16) {
        if self.env.state().at == Some(w.recep_loc(r)) {
            self.act(&format!("examine {}", w.recep_name(r)));
        } else {
            self.act(&format!("go to {}", w.recep_name(r)));
        }
    }
    fn thought(&mut self, t: &str) {
        if self.think {
            self.text.push_str(&format!("> think: {t}\nOK.\n"));
        }
    }
}

/// Plays a game as a demonstration: the transcript, or `None` if it did not win.
pub fn demonstrate(w: &Arc<World>, think: bool, detours: usize) -> Option<String> {
    let t = w.game.task.clone();
    let mut d = Demo {
        env: HouseholdEnv::new(w.clone()).react_format(true),
        text: String::new(),
        think,
        won: false,
    };
    let intro = d.env.restart();
    d.text.push_str(&intro);
    d.text.push('\n');
    let obj = t.object.as_str();
    let target = t.receptacle.clone().unwrap_or_default();
    let verb = match t.kind {
        TaskType::PickCleanThenPlaceInRecep => Some("clean"),
        TaskType::PickHeatThenPlaceInRecep => Some("heat"),
        TaskType::PickCoolThenPlaceInRecep => Some("cool"),
        _ => None,
    };
    let app = appliance(t.kind);
    let plan = match (t.kind, verb) {
        (TaskType::LookAtObjInLight, _) => format!(
            "To solve the task, I need to find and take a {obj}, then find and use a {}.",
            t.lamp.clone().unwrap_or_default()
        ),
        (TaskType::PickTwoObjAndPlace, _) => format!(
            "To solve the task, I need to find and take the first {obj}, then put it in/on {target}, then find and take the second {obj}, then put it in/on {target}."
        ),
        (_, Some(v)) => format!(
            "To solve the task, I need to find and take a {obj}, then {v} it with {}, then put it in/on {target}.",
            app.unwrap_or_default()
        ),
        _ => format!("To solve the task, I need to find and take a {obj}, then put it in/on {target}."),
    };
    d.thought(&plan);
    let rounds = if t.kind == TaskType::PickTwoObjAndPlace {
        2
    } else {
        1
    };
    let mut visited: Vec<u16> = Vec::new();
    for round in 0..rounds {
        let nth = if rounds == 2 {
            if round == 0 {
                "the first "
            } else {
                "the second "
            }
        } else {
            "a "
        };
        // Where it could be, and where one actually is.
        let s = d.env.state().clone();
        let holder = (0..w.n_objs() as u16)
            .filter(|&o| w.obj_kind(o) == obj && s.obj_in[o as usize] != HELD)
            .map(|o| (o, s.obj_in[o as usize]))
            .find(|&(_, r)| Some(w.recep_kind(r)) != t.receptacle.as_deref())?;
        let likely: Vec<u16> = (0..w.n_receps() as u16)
            .filter(|&r| {
                w.can_contain(r, holder.0)
                    && Some(w.recep_kind(r)) != t.receptacle.as_deref()
                    && Some(w.recep_kind(r)) != app
            })
            .collect();
        let empty: Vec<u16> = likely
            .iter()
            .copied()
            .filter(|&r| {
                r != holder.1
                    && !visited.contains(&r)
                    && !(0..w.n_objs()).any(|o| w.obj_kind(o as u16) == obj && s.obj_in[o] == r)
            })
            .take((detours + round) % 3)
            .collect();
        let mut order = empty.clone();
        order.push(holder.1);
        let mut kinds: Vec<&str> = likely.iter().map(|&r| w.recep_kind(r)).collect();
        kinds.dedup();
        kinds.truncate(5);
        let first = w.recep_name(order[0]).to_string();
        d.thought(&format!(
            "First I need to find {nth}{obj}. A {obj} is more likely to appear in {}. I can check one by one, starting with {first}.",
            kinds
                .iter()
                .map(|k| format!("{k} (1-{})", count_kind(w, k)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for &r in &order {
            d.visit(w, r);
            if w.recep_openable(r) && !d.env.state().opened[r as usize] {
                d.act(&format!("open {}", w.recep_name(r)));
            }
            visited.push(r);
        }
        let (o, r) = holder;
        let oname = w.obj_name(o).to_string();
        d.thought(&format!(
            "Now I find {nth}{obj} ({oname}). Next, I need to take it."
        ));
        d.act(&format!("take {oname} from {}", w.recep_name(r)));
        if t.kind == TaskType::LookAtObjInLight {
            let lamp = t.lamp.clone().unwrap_or_default();
            let l = (0..w.n_objs() as u16).find(|&l| w.obj_kind(l) == lamp)?;
            let lr = d.env.state().obj_in[l as usize];
            d.thought(&format!(
                "Now I take a {obj} ({oname}). Next, I need to find a {lamp}. A {lamp} is more likely to appear in desk, sidetable, dresser. I can check one by one, starting with {}.",
                w.recep_name(lr)
            ));
            d.visit(w, lr);
            d.thought(&format!(
                "Now I find a {lamp} ({}). Next, I need to use it.",
                w.obj_name(l)
            ));
            d.act(&format!("use {}", w.obj_name(l)));
            break;
        }
        let mut done_word = "take";
        if let (Some(v), Some(a)) = (verb, app) {
            let ar = (0..w.n_receps() as u16).find(|&r| w.recep_kind(r) == a)?;
            d.thought(&format!(
                "Now I take a {obj} ({oname}). Next, I need to go to {} and {v} it.",
                w.recep_name(ar)
            ));
            d.visit(w, ar);
            d.act(&format!("{v} {oname} with {}", w.recep_name(ar)));
            done_word = v;
        }
        let tr = (0..w.n_receps() as u16)
            .find(|&r| Some(w.recep_kind(r)) == t.receptacle.as_deref() && w.can_contain(r, o))?;
        d.thought(&format!(
            "Now I {done_word} {nth}{obj} ({oname}). Next, I need to put it in/on {}.",
            w.recep_name(tr)
        ));
        d.visit(w, tr);
        if w.recep_openable(tr) && !d.env.state().opened[tr as usize] {
            d.act(&format!("open {}", w.recep_name(tr)));
        }
        d.act(&format!("put {oname} in/on {}", w.recep_name(tr)));
    }
    d.won.then_some(d.text)
}

fn count_kind(w: &World, kind: &str) -> usize {
    (0..w.n_receps() as u16)
        .filter(|&r| w.recep_kind(r) == kind)
        .count()
}
