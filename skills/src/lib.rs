//! Skills: code actions in a persistent sandbox session, a skill library, and SkillWeaver-style
//! discovery (propose → practise → distil → hone → store).
//!
//! - [`skill`]: a [`Skill`] (one Python function, its docstring, version, test counts,
//!   provenance) and the static checks it passes before a library takes it;
//! - [`library`]: [`SkillLibrary`] on sled: versions, BM25 retrieval, export/import as a folder
//!   of `.py` files plus `library.json`;
//! - [`api`]: the environment APIs (`env.step`, …) as sandbox host functions;
//! - [`agent`]: the code-action agent ([`CodeAgent`]) and its eval runner ([`CodeRunner`]);
//! - [`discover`]: the discovery loop ([`discover::Discovery`]);
//! - [`household`]: the household half: instructions and examples;
//! - [`web`]: the web half: the `page.*` agent's instructions, examples and eval runner;
//! - [`shell`]: the shell half: the `sh.*` agent's instructions, examples and eval runner.
//!
//! Skills are code and run only in `hone_sandbox`; they reach an environment only through the
//! host functions a session grants. See docs/SKILLS.md.

pub mod abstract_code;
pub mod agent;
pub mod api;
pub mod discover;
pub mod household;
pub mod library;
pub mod shell;
pub mod skill;
pub mod web;

pub use agent::{CodeAgent, CodeAgentConfig, CodeRunner};
pub use api::EnvBridge;
pub use library::{Added, Example, SkillLibrary};
pub use skill::{Provenance, Skill};
