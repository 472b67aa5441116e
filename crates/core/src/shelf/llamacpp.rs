//! llama.cpp's `-hf` downloads: since 2026 it keeps them in the standard Hugging Face cache
//! layout (github.com/ggml-org/llama.cpp, `common/hf-cache.cpp`) under `$LLAMA_CACHE`, else the
//! Hugging Face cache itself, which is Modelshelf's and needs no listing. So only a
//! `LLAMA_CACHE` that is another folder is a store of its own; its blobs are named by their
//! sha256 like ours.

use std::path::{Path, PathBuf};

use super::{App, ShelvedModel};

pub(super) fn roots(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    env("LLAMA_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect()
}

pub(super) fn models(root: &Path) -> Vec<ShelvedModel> {
    let Ok(scan) = crate::cache::scan(root) else {
        return Vec::new();
    };
    let mut models: Vec<ShelvedModel> = super::lfs_files(&scan)
        .filter_map(|(sha256, _, at)| {
            Some(ShelvedModel {
                app: App::LlamaCpp,
                name: format!("{}/{}", at.repo, at.path),
                origin: None, // already in the Hugging Face layout
                files: vec![super::plain_file(at.blob, Some(sha256.to_owned()))?],
            })
        })
        .collect();
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models.dedup_by(|a, b| a.name == b.name);
    models
}
