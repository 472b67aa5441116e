//! Helpers shared by the integration tests.

// Only the test binary has the CLI's path (the examples share this module too).
#[cfg(test)]
pub mod cli;
pub mod fake_hub;
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

/// A small catalog used by several tests: a model with regular and LFS files in folders,
/// a gated model, and a dataset.
pub fn demo_catalog() -> Vec<fake_hub::FakeRepo> {
    use fake_hub::FakeRepo;
    let weights: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![
        FakeRepo::model("acme/tiny-model")
            .file("config.json", r#"{"model_type":"llama","hidden_size":64}"#)
            .file(
                "README.md",
                "---\nlicense: apache-2.0\n---\n# Tiny model\nA model for tests.\n",
            )
            .file("tokenizer/vocab.txt", "a\nb\nc\n")
            .lfs_file("model.safetensors", weights.clone())
            .lfs_file("gguf/tiny-Q4_K_M.gguf", weights[..100_000].to_vec())
            .also_at("v1.0")
            .also_at("refs/pr/1")
            .tags(&["gguf", "safetensors", "text-generation"])
            .pipeline("text-generation")
            .stats(1200, 40)
            .renamed_from("acme/old-tiny-model"),
        FakeRepo::model("acme/tiny-gated")
            .file("config.json", "{}")
            .lfs_file("weights.bin", vec![7u8; 4096])
            .gated("manual")
            .tags(&["safetensors"])
            .stats(50, 3),
        FakeRepo::model("other/tiny-chat")
            .file("config.json", "{\"chat\":true}")
            .stats(9000, 2),
        FakeRepo::dataset("acme/tiny-data").file("data/train.csv", "x,y\n1,2\n"),
    ]
}

/// The demo model's weights are in the cache under `home/hf`, at its commit, byte for byte.
pub fn assert_weights_cached(home: &std::path::Path) {
    let model = &demo_catalog()[0];
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
