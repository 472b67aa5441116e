//! Ollama's store, as its source defines it (github.com/ollama/ollama, read at fb30760):
//! the folder is `$OLLAMA_MODELS`, else `~/.ollama/models` (`envconfig/config.go`, `Models`);
//! the Linux service keeps it in `/usr/share/ollama/.ollama/models` (its docs). Manifests are
//! `manifests/<host>/<namespace>/<model>/<tag>` (`types/model/name.go`, `Filepath`), JSON with
//! `config` and `layers` of `{mediaType, digest, size}` (`manifest/manifest.go`,
//! `manifest/layer.go`); a blob is `blobs/sha256-<hex>`, named by the sha256 of its bytes
//! (`manifest/paths.go`, `BlobsPath`; `NewLayer` hashes while writing). The weights are the
//! layer of type `application/vnd.ollama.image.model` (`server/create.go`). Downloads in
//! progress are `sha256-<hex>-partial*` (`server/download.go`): never read here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{App, ShelvedModel};

const MODEL_LAYER: &str = "application/vnd.ollama.image.model";
/// `types/model/name.go`: names on the default host and namespace are shown without them.
const DEFAULT_HOST: &str = "registry.ollama.ai";
const DEFAULT_NAMESPACE: &str = "library";
/// The most entries read of one folder of a store.
const MAX_ENTRIES_PER_FOLDER: usize = 100_000;
/// A manifest is small; anything larger is not one.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

pub(super) fn roots(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = env("OLLAMA_MODELS").filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut roots: Vec<PathBuf> = home.map(|h| h.join(".ollama/models")).into_iter().collect();
    roots.push(PathBuf::from("/usr/share/ollama/.ollama/models"));
    roots
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
struct Layer {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
}

pub(super) fn models(root: &Path) -> Vec<ShelvedModel> {
    let mut models = Vec::new();
    let manifests = root.join("manifests");
    for host in subfolders(&manifests) {
        for namespace in subfolders(&host) {
            for model in subfolders(&namespace) {
                for tag in files(&model) {
                    if let Some(found) = read_model(root, &tag) {
                        models.push(found);
                    }
                }
            }
        }
    }
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

fn read_model(root: &Path, manifest: &Path) -> Option<ShelvedModel> {
    let parsed: Manifest =
        serde_json::from_slice(&super::read_small(manifest, MAX_MANIFEST_BYTES)?).ok()?;
    let parts: Vec<String> = manifest
        .strip_prefix(root.join("manifests"))
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let [host, namespace, model, tag] = parts.as_slice() else {
        return None;
    };
    let name = if !host.eq_ignore_ascii_case(DEFAULT_HOST) {
        format!("{host}/{namespace}/{model}:{tag}")
    } else if !namespace.eq_ignore_ascii_case(DEFAULT_NAMESPACE) {
        format!("{namespace}/{model}:{tag}")
    } else {
        format!("{model}:{tag}")
    };
    let files = parsed
        .layers
        .iter()
        .filter(|layer| layer.media_type == MODEL_LAYER)
        .filter_map(|layer| {
            let hex = layer.digest.strip_prefix("sha256:")?;
            if !crate::repo::is_sha256(hex) {
                return None;
            }
            let path = root.join("blobs").join(format!("sha256-{hex}"));
            super::plain_file(path, Some(hex.to_owned())).filter(|f| f.size == layer.size)
        })
        .collect::<Vec<_>>();
    (!files.is_empty()).then_some(ShelvedModel {
        app: App::Ollama,
        origin: super::import::origin(App::Ollama, &name),
        name,
        files,
    })
}

/// Real folders in `dir` (links are another app's business and are not followed).
pub(super) fn subfolders(dir: &Path) -> Vec<PathBuf> {
    entries(dir, |t| t.is_dir())
}

pub(super) fn files(dir: &Path) -> Vec<PathBuf> {
    entries(dir, |t| t.is_file())
}

fn entries(dir: &Path, keep: impl Fn(&std::fs::FileType) -> bool) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    // A folder of millions of entries (someone's downloads) is looked at only so far.
    let mut found: Vec<PathBuf> = read
        .take(MAX_ENTRIES_PER_FOLDER)
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| keep(&t)))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}
