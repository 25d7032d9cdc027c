//! Guards that keep a small model from burning its steps in loops, and the limit on thinking.
//!
//! - **Repeat**: the same line `limit` times in a row (ReAct's harness has no such guard; a
//!   small model will otherwise say `look` until the step limit).
//! - **Cycle**: the last `2p` steps are one stretch of `p` steps said twice (`p` from 2 to the
//!   window), lines *and* observations alike: A, B, A, B or A, B, C, A, B, C with nothing
//!   changing in between. Going back to `countertop 1` after other actions is no cycle, and
//!   neither is a repeated line whose observation changed (something happened).
//! - **Thinking** ([`ThoughtPolicy`]): how many `think:` lines may come in a row before the next
//!   line must be an action; or ReAct's strict alternation (a thought, then an action).

use serde::{Deserialize, Serialize};

/// What a loop guard caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Caught {
    /// The same line this many times in a row.
    Repeat(usize),
    /// A stretch of this many steps said twice in a row.
    Cycle(usize),
}

impl Caught {
    /// What the model is told (under the redirect policy).
    pub fn message(self) -> String {
        match self {
            Caught::Repeat(n) => format!(
                "You have repeated the same action {n} times in a row. Try something different."
            ),
            Caught::Cycle(p) => format!(
                "You are going in circles: your last {p} steps repeat the {p} before them and \
                 nothing changed. Try something you have not tried yet."
            ),
        }
    }

    /// The counter an episode keeps for it.
    pub fn metric(self) -> &'static str {
        match self {
            Caught::Repeat(_) => "guard_repeat",
            Caught::Cycle(_) => "guard_cycle",
        }
    }
}

/// Watches an episode's steps for repeats and cycles.
#[derive(Debug, Clone)]
pub struct LoopGuard {
    repeat_limit: usize,
    max_period: usize,
    /// Each step as (line, observation).
    history: Vec<(String, String)>,
    streak: usize,
}

impl LoopGuard {
    /// `repeat_limit`: identical lines in a row that count as a repeat (`usize::MAX`: never);
    /// `max_period`: longest cycle looked for (0 or 1: no cycle guard).
    pub fn new(repeat_limit: usize, max_period: usize) -> Self {
        Self {
            repeat_limit: repeat_limit.max(2),
            max_period,
            history: Vec::new(),
            streak: 0,
        }
    }

    /// How many times in a row the last line was given (0 before the first step).
    pub fn streak(&self) -> usize {
        self.streak
    }

    /// Whether the last line has come `repeat_limit` more times since the guard first caught
    /// it: a model told that it repeats itself has not changed course.
    pub fn redirect_ignored(&self) -> bool {
        self.streak >= 2 * self.repeat_limit
    }

    /// Records a step; says whether it closes a repeat or a cycle.
    pub fn observe(&mut self, line: &str, observation: &str) -> Option<Caught> {
        match self.history.last() {
            Some((last, _)) if last == line => self.streak += 1,
            _ => self.streak = 1,
        }
        self.history
            .push((line.to_string(), observation.to_string()));
        if self.streak >= self.repeat_limit {
            return Some(Caught::Repeat(self.streak));
        }
        let n = self.history.len();
        (2..=self.max_period)
            .filter(|p| n >= 2 * p)
            .find(|&p| self.history[n - p..] == self.history[n - 2 * p..n - p])
            .map(Caught::Cycle)
    }
}

/// How many `think:` lines an agent may write before it must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThoughtPolicy {
    /// As many as the model likes (the ReAct paper's ALFWorld setting).
    #[default]
    Unlimited,
    /// At most this many in a row (0: no thoughts at all, ReAct's Act baseline).
    AtMost(usize),
    /// ReAct's own alternation: a thought, then an action, then a thought…
    Alternate,
}

impl ThoughtPolicy {
    /// Whether the next line may be a thought, after `streak` thoughts in a row (0: the last
    /// line was an action, or there was none).
    pub fn may_think(self, streak: usize) -> bool {
        match self {
            ThoughtPolicy::Unlimited => true,
            ThoughtPolicy::AtMost(k) => streak < k,
            ThoughtPolicy::Alternate => streak == 0,
        }
    }

    /// Whether the next line must be a thought (strict alternation, after an action).
    pub fn must_think(self, streak: usize, steps: usize) -> bool {
        self == ThoughtPolicy::Alternate && streak == 0 && steps > 0
    }

    /// What the model is told when it thinks where it must act.
    pub fn act_now(self) -> String {
        match self {
            ThoughtPolicy::AtMost(0) => {
                "Thoughts are not taken here. Reply with one action.".to_string()
            }
            ThoughtPolicy::AtMost(k) => format!(
                "You have thought {k} times in a row. Now act: reply with one action, not a thought."
            ),
            _ => "Now act: reply with one action, not a thought.".to_string(),
        }
    }

    /// What the model is told when it acts where it must think.
    pub fn think_now() -> &'static str {
        "Think first: reply with 'think: ' and your reasoning, then act."
    }

    /// A short description for reports and manifests.
    pub fn describe(self) -> String {
        match self {
            ThoughtPolicy::Unlimited => "unlimited".into(),
            ThoughtPolicy::AtMost(k) => format!("at most {k} in a row"),
            ThoughtPolicy::Alternate => "alternate with actions".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(g: &mut LoopGuard, steps: &[(&str, &str)]) -> Vec<Option<Caught>> {
        steps.iter().map(|(l, o)| g.observe(l, o)).collect()
    }

    #[test]
    fn two_and_three_step_cycles_are_caught() {
        let mut g = LoopGuard::new(3, 4);
        let got = run(
            &mut g,
            &[
                ("think: a", "OK."),
                ("think: b", "OK."),
                ("think: a", "OK."),
                ("think: b", "OK."),
            ],
        );
        assert_eq!(got, [None, None, None, Some(Caught::Cycle(2))]);
        let mut g = LoopGuard::new(3, 4);
        let abc = [
            ("go to drawer 1", "closed"),
            ("go to drawer 2", "closed"),
            ("go to shelf 1", "a book"),
        ];
        let mut steps = abc.to_vec();
        steps.extend(abc);
        let got = run(&mut g, &steps);
        assert_eq!(got[..5], [None; 5]);
        assert_eq!(got[5], Some(Caught::Cycle(3)));
    }

    #[test]
    fn revisits_and_changed_observations_are_not_cycles() {
        let mut g = LoopGuard::new(3, 4);
        let got = run(
            &mut g,
            &[
                ("go to countertop 1", "a mug 1, and a apple 1"),
                ("take mug 1 from countertop 1", "You pick up the mug 1."),
                ("go to sinkbasin 1", "nothing"),
                ("clean mug 1 with sinkbasin 1", "You clean the mug 1."),
                ("go to countertop 1", "a apple 1"),
                ("put mug 1 in/on countertop 1", "You put the mug 1."),
            ],
        );
        assert!(got.iter().all(Option::is_none), "{got:?}");
        // The same two lines, but the world answers differently each time: progress, no cycle.
        let mut g = LoopGuard::new(3, 4);
        let got = run(
            &mut g,
            &[
                ("open drawer 1", "a pen"),
                ("close drawer 1", "ok"),
                ("open drawer 1", "a pen, and a key"),
                ("close drawer 1", "ok"),
            ],
        );
        assert!(got.iter().all(Option::is_none), "{got:?}");
    }

    #[test]
    fn repeats_in_a_row_and_no_guard() {
        let mut g = LoopGuard::new(3, 0);
        let got = run(&mut g, &[("look", "x"), ("look", "x"), ("look", "x")]);
        assert_eq!(got, [None, None, Some(Caught::Repeat(3))]);
        assert_eq!(g.streak(), 3);
        assert!(!g.redirect_ignored());
        run(&mut g, &[("look", "x"), ("look", "x")]);
        assert!(!g.redirect_ignored());
        g.observe("look", "x");
        assert!(g.redirect_ignored(), "three more after the catch at 3");
        g.observe("open door 1", "x");
        assert!(!g.redirect_ignored());
        assert_eq!(g.streak(), 1);
        let mut off = LoopGuard::new(usize::MAX, 0);
        let got = run(
            &mut off,
            &[("a", ""), ("b", ""), ("a", ""), ("b", ""), ("a", "")],
        );
        assert!(got.iter().all(Option::is_none));
    }

    #[test]
    fn thought_policies() {
        assert!(ThoughtPolicy::Unlimited.may_think(50));
        assert!(ThoughtPolicy::AtMost(2).may_think(1) && !ThoughtPolicy::AtMost(2).may_think(2));
        assert!(!ThoughtPolicy::AtMost(0).may_think(0));
        assert!(ThoughtPolicy::Alternate.may_think(0) && !ThoughtPolicy::Alternate.may_think(1));
        assert!(ThoughtPolicy::Alternate.must_think(0, 3));
        assert!(
            !ThoughtPolicy::Alternate.must_think(0, 0),
            "the first line may act"
        );
        assert!(!ThoughtPolicy::AtMost(1).must_think(0, 3));
    }
}
