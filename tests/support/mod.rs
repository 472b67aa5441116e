//! Helpers shared by the integration tests.

pub mod cli;
pub mod python;
pub mod webdriver;

use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// Polls `done` every 10 ms until it holds, blocking the thread; fails the test naming `what`
/// once `limit` has passed. Every test that waits for something waits through this or
/// [`eventually`], so none can hang.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// [`wait_until`] for async tests: sleeps on the runtime between polls.
pub async fn eventually(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
