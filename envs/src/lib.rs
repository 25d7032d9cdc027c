//! Environments for hone agents: the household world (ALFWorld-compatible); the web (WebArena
//! action space on headless Chromium) and the shell (InterCode-Bash-style tasks in bubblewrap)
//! are still to come (see their issues).
//!
//! Each implements `hone_core::Environment`; an environment knows nothing of models.

pub mod household;
pub mod shell;
pub mod web;

pub use household::{HouseholdEnv, Split, TaskType};
