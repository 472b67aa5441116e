//! Python's `huggingface_hub` against the fake Hub: if the real client downloads, lists and
//! fails on it exactly as on the real Hub, our tests against it mean something.
//! Needs the venv that `scripts/test` creates (or `MODELSHELF_PYTHON`).

use serde_json::json;

use crate::support::python::run_script;
use fake_hub::{FakeHub, Listener, demo_catalog};

#[test]
#[ignore = "needs the Python venv; run by scripts/test"]
fn huggingface_hub_downloads_lists_and_fails_like_on_the_real_hub() {
    let hub = FakeHub::start(demo_catalog());
    hub.grant_token("hf_granted");
    let repo = demo_catalog().into_iter().next().unwrap();
    let files: serde_json::Map<String, serde_json::Value> = repo
        .files
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                json!({ "size": f.content.len(), "sha256": f.sha256(), "lfs": f.lfs }),
            )
        })
        .collect();
    let spec = json!({
        "repo": repo.id, "commit": repo.commit(), "files": files,
        "gated_repo": "acme/tiny-gated", "granted_token": "hf_granted",
    });
    let cache = tempfile::tempdir().unwrap();
    let report = run_script(
        "hub_fidelity.py",
        &hub.endpoint(),
        cache.path(),
        false,
        &spec,
    );

    assert_eq!(
        report["search"],
        json!(["other/tiny-chat", "acme/tiny-model", "acme/tiny-gated"])
    );
    assert_eq!(
        report["warnings"],
        json!([]),
        "scan_cache_dir sees a clean cache"
    );
    assert_eq!(
        report["cached_repos"],
        json!(["acme/tiny-gated", "acme/tiny-model"])
    );
    let tree = report["tree"].as_array().unwrap();
    assert!(tree.contains(&json!("gguf/tiny-Q4_K_M.gguf")) && tree.contains(&json!("tokenizer")));

    let seen = hub.requests();
    assert!(
        seen.iter().any(|r| r.listener == Listener::Cdn),
        "LFS files came from the CDN listener"
    );
    assert!(
        seen.iter()
            .filter(|r| r.listener == Listener::Cdn)
            .all(|r| r.authorization.is_none()),
        "the token never reaches the CDN"
    );
    assert!(
        seen.iter().any(|r| r.listener == Listener::Hub
            && r.authorization.as_deref() == Some("Bearer hf_granted")),
        "the token reached the Hub for the gated repo"
    );
}
