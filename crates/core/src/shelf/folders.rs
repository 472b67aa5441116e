//! Stores that are plain folders of GGUF files: GPT4All's, and any folder the person adds.
//!
//! GPT4All (github.com/nomic-ai/gpt4all, `gpt4all-chat/src/mysettings.cpp`,
//! `defaultLocalModelsPath`) keeps its models flat in Qt's AppLocalDataLocation for the
//! organisation `nomic.ai` and the app `GPT4All`, that is `$XDG_DATA_HOME/nomic.ai/GPT4All` on
//! Linux, unless its settings (`~/.config/nomic.ai/GPT4All.ini`, key `modelPath`) name another
//! folder. A download in progress is `incomplete-<file>` (`download.cpp`) and is never listed.

use std::path::{Path, PathBuf};

use super::ollama::{files, subfolders};
use super::{App, ShelvedModel};

const GPT4ALL_PARTIAL: &str = "incomplete-";
/// A folder the person added is searched this deep: `<org>/<repo>/<file>` and a little more.
const MAX_DEPTH: usize = 4;
/// ... and through this many folders at most: a person who adds their home folder gets the
/// models near its top in a moment, not a walk through every photo.
pub(super) const MAX_FOLDERS: usize = 10_000;

pub(super) fn gpt4all_roots(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    let under = |var: &str, fallback: &str| {
        env(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.map(|h| h.join(fallback)))
    };
    let chosen = under("XDG_CONFIG_HOME", ".config")
        .and_then(|config| std::fs::read_to_string(config.join("nomic.ai/GPT4All.ini")).ok())
        .and_then(|ini| {
            ini.lines()
                .find_map(|line| line.strip_prefix("modelPath=").map(|v| v.trim().to_owned()))
        })
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let default = under("XDG_DATA_HOME", ".local/share").map(|d| d.join("nomic.ai/GPT4All"));
    chosen.into_iter().chain(default).collect()
}

pub(super) fn gpt4all_models(root: &Path) -> Vec<ShelvedModel> {
    files(root)
        .into_iter()
        .filter(|f| is_gguf(f) && !name_of(f).starts_with(GPT4ALL_PARTIAL))
        .filter_map(|f| one_file_model(App::Gpt4All, root, f))
        .collect()
}

/// Every GGUF under a folder the person added, named by its path inside it.
pub(super) fn folder_models(root: &Path) -> Vec<ShelvedModel> {
    folder_models_within(root, MAX_FOLDERS)
}

fn folder_models_within(root: &Path, max_folders: usize) -> Vec<ShelvedModel> {
    let mut models = Vec::new();
    let mut stack = vec![(root.to_owned(), 0)];
    let mut visited = 0;
    while let Some((folder, depth)) = stack.pop() {
        visited += 1;
        if visited > max_folders {
            tracing::info!(
                "stopped looking for models in {} after {max_folders} folders",
                root.display()
            );
            break;
        }
        models.extend(
            files(&folder)
                .into_iter()
                .filter(|f| is_gguf(f) && !name_of(f).starts_with('.'))
                .filter_map(|f| one_file_model(App::Folder, root, f)),
        );
        if depth < MAX_DEPTH {
            stack.extend(
                subfolders(&folder)
                    .into_iter()
                    .filter(|f| !name_of(f).starts_with('.'))
                    .map(|f| (f, depth + 1)),
            );
        }
    }
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

pub(super) fn one_file_model(app: App, root: &Path, file: PathBuf) -> Option<ShelvedModel> {
    let name = file.strip_prefix(root).ok()?.to_string_lossy().into_owned();
    Some(ShelvedModel {
        app,
        origin: super::import::origin(app, &name),
        name,
        files: vec![super::plain_file(file, None)?],
    })
}

pub(super) fn is_gguf(file: &Path) -> bool {
    file.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_added_folder_is_walked_through_a_bounded_number_of_folders() {
        let root = tempfile::tempdir().unwrap();
        for i in 0..6 {
            let folder = root.path().join(format!("f{i}"));
            std::fs::create_dir(&folder).unwrap();
            std::fs::write(folder.join("m.gguf"), b"GGUF").unwrap();
        }
        assert_eq!(folder_models_within(root.path(), 100).len(), 6);
        // The root and two of its folders.
        assert_eq!(folder_models_within(root.path(), 3).len(), 2);
    }
}
