//! "Use in Ollama": what `ollama pull hf.co/<org>/<repo>:<quant>` would write, written
//! without downloading the weights again. As Ollama's source does it (github.com/ollama/ollama
//! at fb30760, `server/images.go`, `PullModel` and `pullModelManifest`; `server/download.go`,
//! `downloadBlob`; `manifest/paths.go`, `BlobsPath`): the manifest is fetched from the
//! registry at `/v2/<org>/<repo>/manifests/<quant>` and written byte for byte as received at
//! `manifests/hf.co/<org>/<repo>/<quant>`; each layer and the config are `blobs/sha256-<hex>`,
//! named by their digest. A blob that is already there is a cache hit, taken without being
//! fetched or verified again, so the weights can be a hard link to the cache's blob, whose
//! name is their sha256. The small blobs (config, template, parameters) are fetched and
//! checked against their digests, as a pull checks them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use ts_rs::TS;

use super::CacheRef;
use super::link::{place_link, publish_new};
use crate::error::{Error, Result};
use crate::hub::HubClient;
use crate::repo::RepoId;

/// `pullModelManifest` asks for this type.
const MANIFEST_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
const MODEL_LAYER: &str = "application/vnd.ollama.image.model";
/// A manifest is a few hundred bytes.
const MAX_MANIFEST_BYTES: usize = 1024 * 1024;
/// Config, template, parameters and license are small; anything larger is weights, which
/// come from the cache or not at all.
const MAX_SMALL_BLOB_BYTES: u64 = 32 * 1024 * 1024;
/// A manifest of a GGUF has a handful of layers; a registry sending thousands is not one.
const MAX_LAYERS: usize = 64;
/// The host `ollama run hf.co/...` looks under (`types/model/name.go`, `Filepath`).
const OLLAMA_HOST: &str = "hf.co";

/// The registry `ollama pull hf.co/...` reads: hf.co for the public Hub, else the endpoint
/// itself (a mirror or a test Hub that serves `/v2/`).
pub fn ollama_registry(endpoint: &str) -> String {
    match endpoint.trim_end_matches('/') {
        "https://huggingface.co" => "https://hf.co".to_owned(),
        other => other.to_owned(),
    }
}

#[derive(Deserialize)]
struct Manifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
    size: u64,
}

/// What "Use in Ollama" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsedInOllama {
    /// The name to run: `hf.co/<org>/<repo>:<quant>`.
    pub name: String,
    /// The manifest too (`ollama run` works offline); otherwise only the weights are in place,
    /// and `ollama pull` fetches the few small files.
    pub complete: bool,
    /// Why it is not complete.
    pub reason: Option<String>,
}

/// Puts `cached` (the cache's GGUF of `repo` for `quant`) in the Ollama store at `store` as an
/// `hf.co` pull would have written it; see the module's text.
///
/// # Errors
///
/// [`Error::NotShared`] when the weights cannot be a hard link (another file system, a
/// different file in their place) or the manifest there is another one;
/// [`Error::InvalidInput`] when the registry's manifest names other weights;
/// [`Error::Io`]. A registry that cannot be reached is not an error: the weights are placed
/// and the answer says what is left.
pub async fn use_in_ollama(
    hub: &HubClient,
    store: &Path,
    repo: &RepoId,
    quant: &str,
    cached: &CacheRef,
) -> Result<UsedInOllama> {
    let sha256 = cached
        .blob
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| crate::repo::is_sha256(n))
        .ok_or_else(|| Error::invalid("file", "its blob is not named by a sha256"))?;
    // Ollama's tag rule (`types/model/name.go`): a word character, then at most 127 of word
    // characters, dots and dashes; never `.` or `..` as a path part.
    let quant_ok = quant.len() <= 128
        && quant
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && quant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !quant_ok {
        return Err(Error::invalid("quantization", format!("{quant:?}")));
    }
    let name = format!("{OLLAMA_HOST}/{repo}:{quant}");
    let weights_path = blob_path(store, &format!("sha256:{sha256}"))?;
    let registry = ollama_registry(hub.endpoint());
    let manifest_url = format!("{registry}/v2/{repo}/manifests/{quant}");
    let raw = match hub
        .read_registry(&manifest_url, MANIFEST_TYPE, MAX_MANIFEST_BYTES)
        .await
    {
        Ok(raw) => raw,
        Err(e) => {
            place_weights(&cached.blob, store, &weights_path)?;
            return Ok(UsedInOllama {
                name,
                complete: false,
                reason: Some(format!(
                    "the weights are in Ollama's folder, but its manifest could not be fetched \
                     ({e}); `ollama pull` fetches only the small files"
                )),
            });
        }
    };
    let manifest: Manifest = serde_json::from_slice(&raw)
        .map_err(|e| Error::invalid("manifest", format!("{manifest_url}: {e}")))?;
    let weights = manifest
        .layers
        .iter()
        .find(|l| l.media_type == MODEL_LAYER)
        .map(|l| l.digest.as_str());
    if weights != Some(format!("sha256:{sha256}").as_str()) {
        return Err(Error::invalid(
            "manifest",
            format!(
                "the Hub's Ollama manifest for {name} names other weights than the Library's \
                 file; download the file again, or run `ollama pull {name}`"
            ),
        ));
    }
    // Everything is checked before anything is placed.
    let layers: Vec<&Descriptor> = manifest.layers.iter().chain([&manifest.config]).collect();
    if layers.len() > MAX_LAYERS {
        return Err(Error::invalid(
            "manifest",
            format!("{name} has {} layers", layers.len()),
        ));
    }
    for layer in &layers {
        blob_path(store, &layer.digest)?;
        if layer.media_type != MODEL_LAYER && layer.size > MAX_SMALL_BLOB_BYTES {
            return Err(Error::invalid(
                "manifest",
                format!(
                    "{name} has a {} layer of {} bytes that the Library does not hold",
                    layer.media_type, layer.size
                ),
            ));
        }
    }
    place_weights(&cached.blob, store, &weights_path)?;
    for layer in layers {
        let path = blob_path(store, &layer.digest)?;
        // A blob that is there is a cache hit for Ollama too (`downloadBlob`).
        if layer.media_type == MODEL_LAYER || is_plain_file(&path) {
            continue;
        }
        let url = format!("{registry}/v2/{repo}/blobs/{}", layer.digest);
        let body = hub
            .read_registry(&url, "*/*", layer.size as usize + 1)
            .await?;
        let actual = format!("sha256:{}", crate::fs::hex(&sha2::Sha256::digest(&body)));
        if actual != layer.digest || body.len() as u64 != layer.size {
            return Err(Error::Checksum {
                file: url,
                expected: layer.digest.clone(),
                actual,
            });
        }
        publish_new(store, &path, &body)?;
    }
    // Ollama's own manifest of this name (an earlier pull) is never replaced: the same bytes
    // are fine, other ones are refused.
    let manifest_path = store
        .join("manifests")
        .join(OLLAMA_HOST)
        .join(repo.as_str())
        .join(quant);
    publish_new(store, &manifest_path, &raw)?;
    Ok(UsedInOllama {
        name,
        complete: true,
        reason: None,
    })
}

/// The weights at `weights_path`: Ollama's own blob there (an earlier pull, another tag of the
/// same file) is a cache hit and stays; otherwise a hard link to the cache's blob.
fn place_weights(blob: &Path, store: &Path, weights_path: &Path) -> Result<()> {
    if !is_plain_file(weights_path) {
        place_link(blob, store, weights_path)?;
    }
    Ok(())
}

fn is_plain_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// `blobs/sha256-<hex>` for a digest `sha256:<hex>` (`manifest/paths.go`, `BlobsPath`).
fn blob_path(store: &Path, digest: &str) -> Result<PathBuf> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| crate::repo::is_sha256(h))
        .ok_or_else(|| Error::invalid("digest", format!("{digest:?}")))?;
    Ok(store.join("blobs").join(format!("sha256-{hex}")))
}
