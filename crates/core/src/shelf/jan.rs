//! Jan's models, as its source defines them (github.com/janhq/jan): the data folder is
//! `$JAN_DATA_FOLDER`, else `<data root>/Jan/data` with the data root `$JAN_DATA_ROOT` or the
//! platform's data folder, `$XDG_DATA_HOME` or `~/.local/share` on Linux
//! (`src-tauri/src/core/app/paths.rs`). Models are the folders under `llamacpp/models` that hold
//! a `model.yml`, found depth first, the folder's path being the model's id; `model.yml` names
//! the weights in `model_path` (relative to the data folder, or absolute) and a vision
//! projector in `mmproj_path` (`extensions/llamacpp-extension/src/index.ts`, `list`,
//! `resolveModelFile`). Jan renames a download `model.gguf`, so its files are matched by hash.

use std::path::{Path, PathBuf};

use super::ollama::subfolders;
use super::{App, ShelvedModel};

/// Folders are searched this deep for a `model.yml`: ids are `<org>/<model>` in practice.
const MAX_DEPTH: usize = 4;
/// A `model.yml` is a few hundred bytes; a larger file is not one.
const MAX_MODEL_YML_BYTES: u64 = 64 * 1024;

pub(super) fn roots(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> Vec<PathBuf> {
    let set = |name| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let data = set("JAN_DATA_FOLDER").or_else(|| {
        let root = set("JAN_DATA_ROOT")
            .or_else(|| set("XDG_DATA_HOME"))
            .or_else(|| home.map(|h| h.join(".local/share")))?;
        Some(root.join("Jan/data"))
    });
    data.map(|d| d.join("llamacpp/models"))
        .into_iter()
        .collect()
}

pub(super) fn models(root: &Path) -> Vec<ShelvedModel> {
    // `llamacpp/models` is two levels below the data folder that `model_path` is relative to.
    let Some(data) = root.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    let mut models = Vec::new();
    let mut stack = vec![(root.to_owned(), 0)];
    let mut visited = 0;
    while let Some((folder, depth)) = stack.pop() {
        visited += 1;
        if visited > super::folders::MAX_FOLDERS {
            break;
        }
        let config = folder.join("model.yml");
        if std::fs::symlink_metadata(&config).is_ok_and(|m| m.is_file()) {
            if let Some(model) = read_model(root, data, &folder, &config) {
                models.push(model);
            }
            continue;
        }
        if depth < MAX_DEPTH {
            stack.extend(subfolders(&folder).into_iter().map(|f| (f, depth + 1)));
        }
    }
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

fn read_model(root: &Path, data: &Path, folder: &Path, config: &Path) -> Option<ShelvedModel> {
    let text = String::from_utf8(super::read_small(config, MAX_MODEL_YML_BYTES)?).ok()?;
    let id = folder
        .strip_prefix(root)
        .ok()?
        .to_string_lossy()
        .into_owned();
    let files = ["model_path", "mmproj_path"]
        .into_iter()
        .filter_map(|key| top_level_value(&text, key))
        .map(|value| data.join(value)) // an absolute value replaces `data`
        // Only files in Jan's data folder are Jan's to list and to share: a path leading
        // elsewhere (absolute, `..`) is another folder, which Reclaim must not write to.
        .filter(|path| {
            let inside = |p: &Path| std::fs::canonicalize(p).ok();
            inside(path)
                .zip(inside(data))
                .is_some_and(|(p, d)| p.starts_with(d))
        })
        .filter_map(|path| super::plain_file(path, None))
        .collect::<Vec<_>>();
    (!files.is_empty()).then_some(ShelvedModel {
        app: App::Jan,
        name: id,
        origin: None,
        files,
    })
}

/// The value of a top-level `key: value` line of a YAML mapping, unquoted. Jan writes
/// `model.yml` with serde_yaml from a flat struct, so its paths are plain or quoted scalars.
fn top_level_value(yaml: &str, key: &str) -> Option<String> {
    yaml.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        (!unquoted.is_empty() && unquoted != "null" && unquoted != "~").then(|| unquoted.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_quoted_paths_and_skips_nested_keys_and_nulls() {
        let yaml = "name: Qwen\nmodel_path: llamacpp/models/Qwen/Qwen3-4B/model.gguf\n\
                    mmproj_path: ~\nsettings:\n  model_path: nested\n";
        assert_eq!(
            top_level_value(yaml, "model_path").as_deref(),
            Some("llamacpp/models/Qwen/Qwen3-4B/model.gguf")
        );
        assert_eq!(top_level_value(yaml, "mmproj_path"), None);
        assert_eq!(
            top_level_value("model_path: '/abs/m.gguf'\n", "model_path").as_deref(),
            Some("/abs/m.gguf")
        );
        assert_eq!(top_level_value("model_path_x: a\n", "model_path"), None);
    }
}
