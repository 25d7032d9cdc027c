//! Shared by the integration tests: one sandbox per test binary, built from the real assets.
//! A missing guest fails the tests loudly (with the fetch-assets hint), it never skips them.

#![allow(dead_code)]

use std::sync::OnceLock;

use hone_sandbox::{Language, Sandbox, SandboxConfig};

pub fn sandbox() -> Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX
        .get_or_init(|| {
            let sb = SandboxConfig::new()
                .stdout_limit(64 << 10)
                .output_kill_limit(8 << 20)
                .build()
                .expect("building the sandbox");
            for lang in Language::ALL {
                if let Err(e) = sb.prepare(lang) {
                    panic!("cannot prepare the {lang} guest: {e}");
                }
            }
            sb
        })
        .clone()
}
