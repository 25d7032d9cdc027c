//! The shell environment: InterCode-Bash's tasks and reward, unchanged, with a real bash in a
//! bubblewrap jail instead of a Docker container. See docs/SHELL.md.

pub mod env;
pub mod fs;
pub mod harness;
pub mod jail;
pub mod reward;
pub mod task;

pub use env::{Images, ShellEnv, ShellEnvConfig};
