//! The standard Hugging Face cache, laid out exactly as Python's `huggingface_hub` writes it
//! (`models--org--name/{blobs,snapshots,refs}`, `.locks/`), so that Python, transformers and
//! llama.cpp reuse what Modelshelf downloads and Modelshelf shows what they downloaded.

use std::path::{Path, PathBuf};

use crate::hub::{RepoId, RepoType};

/// `models--org--name`: the folder of one repository inside the cache root.
pub fn repo_folder_name(repo_type: RepoType, repo: &RepoId) -> String {
    std::iter::once(repo_type.plural())
        .chain(repo.as_str().split('/'))
        .collect::<Vec<_>>()
        .join("--")
}

/// The folder of one repository inside `cache_root`.
pub fn repo_dir(cache_root: &Path, repo_type: RepoType, repo: &RepoId) -> PathBuf {
    cache_root.join(repo_folder_name(repo_type, repo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_match_python() {
        let repo = RepoId::parse("julien-c/EsperBERTo-small").unwrap();
        assert_eq!(
            repo_folder_name(RepoType::Model, &repo),
            "models--julien-c--EsperBERTo-small"
        );
        let repo = RepoId::parse("gpt2").unwrap();
        assert_eq!(repo_folder_name(RepoType::Dataset, &repo), "datasets--gpt2");
    }
}
