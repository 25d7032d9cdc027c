//! The oracle solves every game of every split, and its plans win in the real environment.

use hone_envs::household::{oracle, HouseholdEnv, Split, World};
use std::sync::Arc;
use std::time::Instant;

#[test]
fn oracle_solves_every_game_of_every_split() {
    for &split in Split::ALL {
        let t = Instant::now();
        let games = split.games();
        assert_eq!(games.len(), split.size());
        let mut steps = 0usize;
        for g in games {
            let name = g.name.clone();
            let w = Arc::new(World::new(g).unwrap());
            let plan = oracle::walkthrough(&w).unwrap_or_else(|| panic!("{name}: no plan"));
            assert!(!plan.is_empty(), "{name}: solved at the start");
            let mut env = HouseholdEnv::new(w);
            env.restart();
            for (i, a) in plan.iter().enumerate() {
                let s = env.act(a);
                assert_ne!(s.observation, "Nothing happens.", "{name}: `{a}` rejected");
                assert_eq!(s.won, i + 1 == plan.len(), "{name}: won at step {i}");
            }
            steps += plan.len();
        }
        println!(
            "oracle: {} {} games, {} plan steps, {:.2} s",
            split.name(),
            split.size(),
            steps,
            t.elapsed().as_secs_f64()
        );
    }
}
