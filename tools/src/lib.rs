//! Tools for hone agents: each one is a [`hone_core::Tool`] a model can call by name with JSON
//! arguments. Code execution ([`PythonTool`], [`JavaScriptTool`]) runs in `hone-sandbox`;
//! [`Calculator`] evaluates arithmetic; [`HttpGet`] fetches from allow-listed hosts only.
//! [`SandboxRunner`] runs programs for strategies (ProgCo's verifiers) in the same sandbox.
//! (`finish` lives in `hone_core::tool`, since the agent loop recognises it.)

pub mod calc;
pub mod code;
pub mod http;
pub mod runner;
pub use calc::Calculator;
pub use code::{JavaScriptTool, PythonTool};
pub use http::HttpGet;
pub use runner::SandboxRunner;
