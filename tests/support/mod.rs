//! Helpers shared by the integration tests.

pub mod cli;
pub mod python;
pub mod webdriver;

use std::path::PathBuf;

/// The repository root (where `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder for files a person looks at after the run (screenshots), under `test-artifacts/`.
pub fn artifacts_dir(kind: &str) -> PathBuf {
    let dir = repo_root().join("test-artifacts").join(kind);
    std::fs::create_dir_all(&dir).expect("create artifacts dir");
    dir
}

/// The demo model's weights are in the cache under `home/hf`, at its commit, byte for byte.
pub fn assert_weights_cached(home: &std::path::Path) {
    let model = &fake_hub::demo_catalog()[0];
    let snapshot = home
        .join("hf/hub/models--acme--tiny-model/snapshots")
        .join(model.commit())
        .join("model.safetensors");
    assert_eq!(
        std::fs::read(&snapshot).unwrap(),
        model.get("model.safetensors").unwrap().content,
        "{}",
        snapshot.display()
    );
}
