//! The web environment: Chromium over the DevTools protocol, WebArena's observation and action
//! format, its task files and evaluators, and small bundled sites. See docs/WEB.md.

pub mod browser;
pub mod cdp;
pub mod evaluate;
pub mod task;
