//! The model stores of the other local AI apps (Ollama, LM Studio), and which of their files
//! hold the same bytes as a file in the Hugging Face cache. People keep the same 5-40 GB GGUF
//! two or three times; seeing it is the first step to keeping it once. Read-only: nothing here
//! writes into another app's store.

mod lmstudio;
mod ollama;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cache::CacheScan;

/// An app whose models Modelshelf can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum App {
    Ollama,
    LmStudio,
}

impl App {
    pub fn name(self) -> &'static str {
        match self {
            App::Ollama => "Ollama",
            App::LmStudio => "LM Studio",
        }
    }
}

/// One app's model folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub app: App,
    pub root: PathBuf,
}

/// A model as its app names it, with its weight files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShelvedModel {
    pub app: App,
    /// `llama3.2:3b`, `hf.co/org/repo:Q4_K_M`, `publisher/repo/file.gguf`...
    pub name: String,
    pub files: Vec<ShelvedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShelvedFile {
    pub path: PathBuf,
    pub size: u64,
    /// The content's sha256 when the app names the file by it (Ollama's blobs); `None` until
    /// someone hashes it.
    pub sha256: Option<String>,
    /// The Hugging Face cache file with the same bytes, if there is one.
    pub same_as: Option<CacheRef>,
}

/// A file in the Hugging Face cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRef {
    pub repo: String,
    pub path: String,
}

/// The stores that exist on this machine, from the apps' environment variables and default
/// places. `env` looks variables up; `home` is the person's home folder.
pub fn discover(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> Vec<Store> {
    let mut candidates: Vec<Store> = Vec::new();
    let mut add = |app, root: PathBuf| {
        if root.is_dir() && !candidates.iter().any(|s| s.root == root) {
            candidates.push(Store { app, root });
        }
    };
    for root in ollama::roots(env, home) {
        add(App::Ollama, root);
    }
    for root in lmstudio::roots(home) {
        add(App::LmStudio, root);
    }
    candidates
}

/// The models in `store`. Unreadable entries are skipped: another app's folder is not ours to
/// judge, and half-written files (Ollama's `-partial` blobs) are never listed.
pub fn models(store: &Store) -> Vec<ShelvedModel> {
    match store.app {
        App::Ollama => ollama::models(&store.root),
        App::LmStudio => lmstudio::models(&store.root),
    }
}

/// Marks each file whose sha256 is the name of an LFS blob in the cache `scan` describes
/// (the Hub names LFS files by their sha256, and so does the cache's `blobs/` folder).
pub fn match_cache(models: &mut [ShelvedModel], scan: &CacheScan) {
    let mut by_blob: HashMap<&str, CacheRef> = HashMap::new();
    for repo in &scan.repos {
        for revision in &repo.revisions {
            for file in &revision.files {
                if let Some(blob) = file.blob.as_deref().filter(|b| crate::repo::is_sha256(b)) {
                    by_blob.entry(blob).or_insert_with(|| CacheRef {
                        repo: repo.repo_id.clone(),
                        path: file.path.clone(),
                    });
                }
            }
        }
    }
    for file in models.iter_mut().flat_map(|m| m.files.iter_mut()) {
        file.same_as = file
            .sha256
            .as_deref()
            .and_then(|sha| by_blob.get(sha).cloned());
    }
}
