//! The Hub's Ollama registry (`/v2/<org>/<repo>/manifests/<quant>` and `/v2/.../blobs/<digest>`),
//! which `ollama pull hf.co/<org>/<repo>:<quant>` reads: a Docker v2 manifest whose model layer
//! is the repository's GGUF of that quantization (its digest the file's sha256), plus a small
//! config and template made up here, as the real one makes them from the GGUF's metadata.

use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use bytes::Bytes;
use serde_json::json;
use sha2::Digest as _;

use crate::Shared;
use crate::catalog::{FakeFile, hex};
use crate::protocol::{Reply, hub_error};

/// The manifest of `repo`'s GGUF whose name ends in `-<quant>.gguf`, and its small blobs.
fn manifest(shared: &Shared, repo: &str, quant: &str) -> Option<(String, Vec<Bytes>)> {
    let repos = shared.repos.lock().unwrap();
    let found = repos.iter().find(|r| r.kind == "model" && r.id == repo)?;
    let suffix = format!("-{}.gguf", quant.to_ascii_lowercase());
    let gguf: &FakeFile = found
        .files
        .iter()
        .find(|f| f.path.to_ascii_lowercase().ends_with(&suffix))?;
    let config = Bytes::from(
        json!({"model_format": "gguf", "model_family": "llama", "file_type": quant.to_uppercase()})
            .to_string(),
    );
    let template = Bytes::from_static(b"{{ .Prompt }}");
    let digest = |b: &[u8]| format!("sha256:{}", hex(&sha2::Sha256::digest(b)));
    let text = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model", "digest": format!("sha256:{}", gguf.sha256()), "size": gguf.content.len()},
            {"mediaType": "application/vnd.ollama.image.template", "digest": digest(&template), "size": template.len()},
        ],
    })
    .to_string();
    Some((text, vec![config, template, gguf.content.clone()]))
}

/// `GET /v2/<org>/<repo>/manifests/<quant>` and `GET /v2/<org>/<repo>/blobs/sha256:<hex>`.
pub(crate) fn answer(shared: &Shared, org: &str, name: &str, what: &str, which: &str) -> Reply {
    let repo = format!("{org}/{name}");
    let not_found = || hub_error(StatusCode::NOT_FOUND, None, "manifest unknown");
    let Some((text, blobs)) = (match what {
        "manifests" => manifest(shared, &repo, which),
        "blobs" => {
            // Any quantization's manifest that has this blob.
            let quants = ["Q4_K_M", "Q8_0", "Q2_K", "F16"];
            quants
                .iter()
                .find_map(|q| manifest(shared, &repo, q).filter(|(t, _)| t.contains(which)))
        }
        _ => None,
    }) else {
        return not_found();
    };
    let body = if what == "manifests" {
        Bytes::from(text)
    } else {
        match blobs
            .into_iter()
            .find(|b| format!("sha256:{}", hex(&sha2::Sha256::digest(b))) == which)
        {
            Some(blob) => blob,
            None => return not_found(),
        }
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap()
}
