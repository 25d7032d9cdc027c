//! The web environment: Chromium over the DevTools protocol, WebArena's observation and action
//! format, its task files and evaluators, and small bundled sites. See docs/WEB.md.

pub mod actions;
pub mod browser;
pub mod bundled;
pub mod cdp;
pub mod env;
pub mod evaluate;
pub mod harness;
pub mod sites;
pub mod storage;
pub mod task;

pub use env::{task_spec, WebEnv, WebEnvConfig};
