//! LM Studio's models folder: `~/.lmstudio/models/<publisher>/<repo>/<file>.gguf` (the Hub's
//! org/repo kept as folders), older installs `~/.cache/lm-studio/models` (LM Studio's docs,
//! "Import models"). Its files are not named by their hash: [`super::compare_with_cache`] hashes
//! those whose size could match a cache file.

use std::path::{Path, PathBuf};

use super::ollama::{files, subfolders};
use super::{App, ShelvedFile, ShelvedModel};

pub(super) fn roots(home: Option<&Path>) -> Vec<PathBuf> {
    home.map(|h| {
        vec![
            h.join(".lmstudio/models"),
            h.join(".cache/lm-studio/models"),
        ]
    })
    .unwrap_or_default()
}

pub(super) fn models(root: &Path) -> Vec<ShelvedModel> {
    let mut models = Vec::new();
    for publisher in subfolders(root) {
        for repo in subfolders(&publisher) {
            for file in files(&repo) {
                if !file
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
                {
                    continue;
                }
                let Ok(meta) = std::fs::symlink_metadata(&file) else {
                    continue;
                };
                let name = file
                    .strip_prefix(root)
                    .unwrap_or(&file)
                    .to_string_lossy()
                    .into_owned();
                models.push(ShelvedModel {
                    app: App::LmStudio,
                    name,
                    files: vec![ShelvedFile {
                        path: file,
                        size: meta.len(),
                        sha256: None,
                        same_as: None,
                    }],
                });
            }
        }
    }
    models
}
