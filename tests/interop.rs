//! Modelshelf and Python's `huggingface_hub` share one cache: what Modelshelf downloads,
//! Python finds offline and does not download again; what Python downloaded, Modelshelf
//! reuses without fetching a byte. The Python side is `tests/python/cache_interop.py`.
//! Needs the venv that `scripts/test` creates (or `MODELSHELF_PYTHON`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use modelshelf_core::error::Error;
use modelshelf_core::hub::HubClient;
use modelshelf_core::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use modelshelf_core::repo::RepoType;
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use serde_json::{Value, json};
use sha1::Digest as _;
use tokio_util::sync::CancellationToken;

use crate::support::python::run_script;
use fake_hub::{FakeHub, FakeRepo, Listener, demo_catalog, git_blob_sha1, hex};

const REPO: &str = "acme/tiny-model";

fn tiny() -> FakeRepo {
    demo_catalog().into_iter().next().unwrap()
}

fn provisioner(hub: &FakeHub, cache: &Path) -> ModelProvisioner {
    let client = HubClient::new(&hub.endpoint(), None).unwrap();
    ModelProvisioner::new(
        HuggingFaceVendor::new(client, TransferOptions::default()),
        cache,
    )
}

async fn provision(
    p: &ModelProvisioner,
    revision: &str,
    selection: Selection,
) -> Result<ModelEntry, Error> {
    let request = ModelRequest::new(RepoType::Model, REPO, Some(revision), selection).unwrap();
    p.provision(
        &request,
        &format!("interop-{revision}"),
        CancellationToken::new(),
        &(),
    )
    .await
}

/// A fresh cache folder, its path without symlinks so Python's paths compare equal.
fn temp_cache() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().canonicalize().unwrap().join("hub");
    (dir, cache)
}

fn repo_dir(cache: &Path) -> PathBuf {
    cache.join("models--acme--tiny-model")
}

/// The names in `blobs/` of the test repo.
fn blob_names(cache: &Path) -> BTreeSet<String> {
    std::fs::read_dir(repo_dir(cache).join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Runs `tests/python/cache_interop.py` with `args` on stdin, with the cache at `cache` and
/// `HF_ENDPOINT` at the fake Hub; returns its JSON report.
fn python(hub: &FakeHub, cache: &Path, offline: bool, args: Value) -> Value {
    run_script("cache_interop.py", &hub.endpoint(), cache, offline, &args)
}

/// What `scan_cache_dir()` must report for the whole test repo at one commit with `refs`.
fn expected_scan(refs: &[&str]) -> Value {
    let repo = tiny();
    let size: usize = repo.files.iter().map(|f| f.content.len()).sum();
    let mut files: Vec<&str> = repo.files.iter().map(|f| f.path.as_str()).collect();
    files.sort();
    let mut refs = refs.to_vec();
    refs.sort();
    json!({
        "warnings": [],
        "size_on_disk": size,
        "incomplete_files": [],
        "repos": [{
            "repo_id": REPO,
            "repo_type": "model",
            "size_on_disk": size,
            "nb_files": repo.files.len(),
            "revisions": [{
                "commit": repo.commit(),
                "refs": refs,
                "nb_files": repo.files.len(),
                "size_on_disk": size,
                "files": files,
            }],
        }],
    })
}

/// Every file of every revision in a `files` report points into the commit's snapshot and
/// has the catalog's content.
fn assert_found_everything(report: &Value, cache: &Path, revisions: &[&str]) {
    let repo = tiny();
    let snapshot = repo_dir(cache).join("snapshots").join(repo.commit());
    for revision in revisions {
        for file in &repo.files {
            let found = &report["files"][*revision][&file.path];
            assert_eq!(
                found["local"].as_str().map(PathBuf::from),
                Some(snapshot.join(&file.path)),
                "{revision} {}: {report:#}",
                file.path
            );
            assert_eq!(
                found["sha256"],
                json!(file.sha256()),
                "{revision} {}",
                file.path
            );
        }
        assert_eq!(
            report["snapshots"][*revision].as_str().map(PathBuf::from),
            Some(snapshot.clone()),
            "snapshot_download at {revision}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the Python venv; run by scripts/test"]
async fn python_finds_what_modelshelf_downloaded_and_fetches_nothing_again() {
    let hub = FakeHub::start(demo_catalog());
    let (_dir, cache) = temp_cache();
    let repo = tiny();
    let p = provisioner(&hub, &cache);

    // The whole snapshot at main, then the same commit under a tag and a PR ref.
    let main = provision(&p, "main", Selection::All).await.unwrap();
    let size: u64 = repo.files.iter().map(|f| f.content.len() as u64).sum();
    assert_eq!(
        (main.commit.as_str(), main.bytes_fetched),
        (&*repo.commit(), size)
    );
    for revision in ["v1.0", "refs/pr/1"] {
        let again = provision(&p, revision, Selection::All).await.unwrap();
        assert_eq!(again.bytes_fetched, 0, "{revision} reuses the blobs");
    }

    // Blobs are named by what the Hub calls their etag, and hash to their name.
    let blobs = blob_names(&cache);
    let etags: BTreeSet<String> = repo.files.iter().map(|f| f.etag()).collect();
    assert_eq!(blobs, etags, "one blob per file, named by its etag");
    for file in &repo.files {
        let content = std::fs::read(repo_dir(&cache).join("blobs").join(file.etag())).unwrap();
        let hash = if file.lfs {
            hex(&sha2::Sha256::digest(&content))
        } else {
            git_blob_sha1(&content)
        };
        assert_eq!(hash, file.etag(), "blob of {}", file.path);
    }

    // Offline, Python finds every file at every revision, and never talks to the Hub.
    let commit = repo.commit();
    let revisions = ["main", "v1.0", "refs/pr/1", commit.as_str()];
    let files: Vec<&str> = repo.files.iter().map(|f| f.path.as_str()).collect();
    let requests_before = hub.requests().len();
    let offline = python(
        &hub,
        &cache,
        true,
        json!({ "command": "offline", "repo": REPO, "revisions": revisions, "files": files }),
    );
    assert_eq!(offline["offline"], json!(true));
    assert_found_everything(&offline, &cache, &revisions);
    assert_eq!(
        offline["missing_file_found"],
        json!(false),
        "offline lookups only find what is cached"
    );
    assert_eq!(
        offline["scan"],
        expected_scan(&["main", "refs/pr/1", "v1.0"]),
        "scan_cache_dir sees one clean repo, one commit, three refs"
    );
    assert_eq!(
        hub.requests().len(),
        requests_before,
        "offline Python made no request: {:#?}",
        &hub.requests()[requests_before..]
    );

    // Online, Python asks the Hub for metadata but downloads nothing: our pointers and blobs
    // are the ones it would have written.
    let sent_before = hub.body_bytes_sent();
    let requests_before = hub.requests().len();
    let online = python(
        &hub,
        &cache,
        false,
        json!({ "command": "download", "repo": REPO, "revisions": ["main", "v1.0"], "files": files }),
    );
    assert_eq!(online["offline"], json!(false));
    assert_found_everything(&online, &cache, &["main", "v1.0"]);
    let seen = &hub.requests()[requests_before..];
    assert!(
        seen.iter()
            .any(|r| r.method == "HEAD" && r.target.contains("/resolve/")),
        "Python really was online: {seen:#?}"
    );
    assert_eq!(
        hub.body_bytes_sent(),
        sent_before,
        "no file body was served to Python"
    );
    assert!(
        !seen.iter().any(|r| r.listener == Listener::Cdn
            || (r.method == "GET" && r.target.contains("/resolve/"))),
        "no file GET: {seen:#?}"
    );
    assert_eq!(blob_names(&cache), blobs, "no new blob, no partial file");
    assert_eq!(
        online["scan"],
        expected_scan(&["main", "refs/pr/1", "v1.0"])
    );
}

#[tokio::test]
#[ignore = "needs the Python venv; run by scripts/test"]
async fn modelshelf_reuses_what_python_downloaded_without_fetching_a_byte() {
    let hub = FakeHub::start(demo_catalog());
    let (_dir, cache) = temp_cache();
    let repo = tiny();

    let report = python(
        &hub,
        &cache,
        false,
        json!({ "command": "snapshot", "repo": REPO, "revisions": ["main", "v1.0"] }),
    );
    let snapshot = repo_dir(&cache).join("snapshots").join(repo.commit());
    assert_eq!(
        report["snapshots"]["main"].as_str().map(PathBuf::from),
        Some(snapshot.clone())
    );
    assert_eq!(report["scan"], expected_scan(&["main", "v1.0"]));
    let size: u64 = repo.files.iter().map(|f| f.content.len() as u64).sum();
    assert_eq!(
        hub.body_bytes_sent(),
        size,
        "Python fetched every byte once"
    );
    let blobs = blob_names(&cache);
    assert_eq!(blobs.len(), repo.files.len(), "{blobs:?}");

    let sent = hub.body_bytes_sent();
    let cdn_requests = || {
        hub.requests()
            .iter()
            .filter(|r| r.listener == Listener::Cdn)
            .count()
    };
    let cdn_before = cdn_requests();
    let p = provisioner(&hub, &cache);
    let one_file = Selection::Files(vec!["model.safetensors".into()]);
    for (revision, selection) in [
        ("main", Selection::All),
        ("v1.0", Selection::All),
        ("refs/pr/1", one_file),
    ] {
        let entry = provision(&p, revision, selection).await.unwrap();
        assert_eq!(entry.commit, repo.commit());
        assert_eq!(entry.snapshot, snapshot);
        assert_eq!(
            (entry.bytes_fetched, hub.body_bytes_sent()),
            (0, sent),
            "{revision}: everything came from Python's cache"
        );
        for file in &entry.files {
            assert_eq!(
                std::fs::read(&file.local_path).unwrap(),
                repo.get(&file.path).unwrap().content,
                "{revision} {}",
                file.path
            );
        }
    }
    assert_eq!(cdn_requests(), cdn_before, "no request reached the CDN");
    assert_eq!(blob_names(&cache), blobs, "no new blob, no partial file");

    // And Python still sees a clean cache, now with the ref Modelshelf added.
    let scan = python(&hub, &cache, true, json!({ "command": "scan" }));
    assert_eq!(scan["scan"], expected_scan(&["main", "refs/pr/1", "v1.0"]));
}
