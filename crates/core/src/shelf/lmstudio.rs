//! LM Studio's models folder: `~/.lmstudio/models/<publisher>/<repo>/<file>.gguf` (the Hub's
//! org/repo kept as folders), older installs `~/.cache/lm-studio/models` (LM Studio's docs,
//! "Import models"). Its files are not named by their hash: [`super::compare_with_cache`] hashes
//! those whose size could match a cache file.

use std::path::{Path, PathBuf};

use super::App;
use super::ShelvedModel;
use super::folders::{is_gguf, one_file_model};
use super::ollama::{files, subfolders};

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
    subfolders(root)
        .iter()
        .flat_map(|publisher| subfolders(publisher))
        .flat_map(|repo| files(&repo))
        .filter(|file| is_gguf(file))
        .filter_map(|file| one_file_model(App::LmStudio, root, file))
        .collect()
}
