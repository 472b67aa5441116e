//! The download engine against the fake Hub: the standard cache layout, reuse, resume,
//! retries, cancellation that stops the bytes, and every kind of bad input and fault.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modelshelf_core::cache::RepoCache;
use modelshelf_core::error::{Error, ErrorKind};
use modelshelf_core::hub::HubClient;
use modelshelf_core::progress::{FileState, Phase, Progress, ProgressEvent};
use modelshelf_core::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use modelshelf_core::repo::{RepoId, RepoType};
use modelshelf_core::settings::Token;
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use crate::hostile::within;
use crate::support::eventually;
use fake_hub::{DropAfter, Fail, FakeHub, FakeRepo, Faults, Listener, Stall, demo_catalog};

/// Short timeouts and back-offs, so fault tests take milliseconds.
fn quick() -> TransferOptions {
    TransferOptions {
        stall_timeout: Duration::from_millis(400),
        max_attempts: 4,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        ..TransferOptions::default()
    }
}

/// Files over 100 kB in 40 kB ranges over 4 connections.
fn ranged() -> TransferOptions {
    TransferOptions {
        connections: 4,
        parallel_threshold: 100_000,
        chunk_size: 40_000,
        ..quick()
    }
}

fn provisioner(
    hub: &FakeHub,
    root: &Path,
    token: Option<&str>,
    options: TransferOptions,
) -> ModelProvisioner {
    let client = HubClient::new(&hub.endpoint(), token.and_then(Token::parse)).unwrap();
    ModelProvisioner::new(HuggingFaceVendor::new(client, options), root)
}

fn request(repo: &str, revision: Option<&str>, selection: Selection) -> ModelRequest {
    ModelRequest::new(RepoType::Model, repo, revision, selection).unwrap()
}

fn files(paths: &[&str]) -> Selection {
    Selection::Files(paths.iter().map(|p| p.to_string()).collect())
}

/// Folds the engine's events and keeps the progress after each one.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Progress>>>);

impl modelshelf_core::progress::ProgressSink for Recorder {
    fn event(&self, event: &ProgressEvent) {
        let mut seen = self.0.lock().unwrap();
        let mut progress = seen.last().cloned().unwrap_or_default();
        progress.apply(event);
        seen.push(progress);
    }
}

impl Recorder {
    fn last(&self) -> Progress {
        self.0
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("some progress")
    }
}

async fn provision(
    p: &ModelProvisioner,
    req: &ModelRequest,
    job: &str,
) -> Result<ModelEntry, Error> {
    p.provision(req, job, CancellationToken::new(), &()).await
}

fn tiny() -> FakeRepo {
    demo_catalog().into_iter().next().unwrap()
}

fn repo_dir(root: &Path) -> PathBuf {
    root.join("models--acme--tiny-model")
}

fn incomplete_files(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(repo_dir(root).join("blobs")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".incomplete"))
        .collect()
}

#[tokio::test]
async fn a_snapshot_lands_in_the_standard_cache_layout() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let recorder = Recorder::default();
    let req = request("acme/tiny-model", None, Selection::All);
    let entry = p
        .provision(&req, "j1", CancellationToken::new(), &recorder)
        .await
        .unwrap();

    let repo = tiny();
    assert_eq!(entry.commit, repo.commit());
    assert_eq!(entry.files.len(), repo.files.len());
    let dir = repo_dir(root.path());
    assert_eq!(
        std::fs::read(dir.join("refs/main")).unwrap(),
        repo.commit().as_bytes(),
        "40 hex, no newline"
    );
    for file in &repo.files {
        let pointer = dir.join("snapshots").join(repo.commit()).join(&file.path);
        assert_eq!(
            std::fs::read(&pointer).unwrap(),
            file.content,
            "{}",
            file.path
        );
        let target = std::fs::read_link(&pointer).unwrap();
        let depth = file.path.matches('/').count();
        assert_eq!(
            target,
            Path::new(&"../".repeat(depth + 2))
                .join("blobs")
                .join(file.etag())
        );
    }
    assert!(incomplete_files(root.path()).is_empty());
    // The engine's last word: every file done (that the job completed is the registry's to say).
    let last = recorder.last();
    assert!(
        last.files.iter().all(|f| f.state == FileState::Done),
        "{last:?}"
    );
    assert_eq!(
        (last.bytes_done, last.bytes_total),
        (entry.size(), entry.size())
    );
    assert!(
        root.path().join(".locks/models--acme--tiny-model").is_dir(),
        "locks where Python takes them"
    );
}

#[tokio::test]
async fn one_file_at_a_tag_needs_one_head_and_writes_the_tag_ref() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let entry = provision(
        &p,
        &request(
            "acme/tiny-model",
            Some("v1.0"),
            files(&["gguf/tiny-Q4_K_M.gguf"]),
        ),
        "j",
    )
    .await
    .unwrap();
    assert_eq!(
        entry.files[0].local_path,
        entry.snapshot.join("gguf/tiny-Q4_K_M.gguf")
    );
    assert_eq!(
        std::fs::read(repo_dir(root.path()).join("refs/v1.0")).unwrap(),
        tiny().commit().as_bytes()
    );
    assert!(
        !hub.requests().iter().any(|r| r.target.contains("/tree/")),
        "no tree listing for one file"
    );
}

#[tokio::test]
async fn patterns_select_files_and_a_pr_ref_nests() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let selection = Selection::Patterns {
        include: vec!["*.gguf".into(), "*.json".into()],
        exclude: vec!["config*".into()],
    };
    let entry = provision(
        &p,
        &request("acme/tiny-model", Some("refs/pr/1"), selection),
        "j",
    )
    .await
    .unwrap();
    let paths: Vec<&str> = entry.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["gguf/tiny-Q4_K_M.gguf"]);
    assert!(repo_dir(root.path()).join("refs/refs/pr/1").is_file());
}

#[tokio::test]
async fn what_is_cached_is_reused_without_fetching_a_byte() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let req = request("acme/tiny-model", None, Selection::All);
    provision(&p, &req, "first").await.unwrap();
    let sent = hub.body_bytes_sent();
    let again = provision(&p, &req, "second").await.unwrap();
    assert_eq!((again.bytes_fetched, hub.body_bytes_sent()), (0, sent));
    // The same blob at another path/revision is linked, not downloaded again.
    std::fs::remove_dir_all(repo_dir(root.path()).join("snapshots")).unwrap();
    let relinked = provision(&p, &req, "third").await.unwrap();
    assert_eq!((relinked.bytes_fetched, hub.body_bytes_sent()), (0, sent));
}

#[tokio::test]
async fn cancel_stops_the_bytes_and_leaves_nothing_half_done() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(200_000),
        ..Faults::default()
    });
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let req = request("acme/tiny-model", None, files(&["model.safetensors"]));
    let cancel = CancellationToken::new();
    let job = "cancel-me";
    let task = {
        let (p, req, job, cancel) = (p.clone(), req.clone(), job, cancel.clone());
        tokio::spawn(async move { p.provision(&req, job, cancel, &()).await })
    };
    eventually("50_000 bytes sent", Duration::from_secs(20), || {
        hub.body_bytes_sent() >= 50_000
    })
    .await;
    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = task.await.unwrap();
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(
        cancelled_at.elapsed() < Duration::from_millis(100),
        "provision returned {:?} after cancel",
        cancelled_at.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_100ms = hub.body_bytes_sent();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        hub.body_bytes_sent(),
        after_100ms,
        "the server stopped sending: the connection is closed"
    );

    let dir = repo_dir(root.path());
    assert!(
        !dir.join("refs").exists() && !dir.join("snapshots").exists(),
        "no ref, no pointer"
    );
    let partials = incomplete_files(root.path());
    assert_eq!(
        partials.len(),
        2,
        "the partial data and its sidecar stay until discarded: {partials:?}"
    );
    let freed = p.discard_partials(&req, job).unwrap();
    assert!(freed > 0 && incomplete_files(root.path()).is_empty());
}

#[tokio::test]
async fn a_paused_download_resumes_with_range_and_ends_byte_identical() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(300_000),
        ..Faults::default()
    });
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let req = request("acme/tiny-model", None, files(&["model.safetensors"]));
    let cancel = CancellationToken::new();
    let task = {
        let (p, req, cancel) = (p.clone(), req.clone(), cancel.clone());
        tokio::spawn(async move { p.provision(&req, "first", cancel, &()).await })
    };
    eventually("100_000 bytes sent", Duration::from_secs(20), || {
        hub.body_bytes_sent() >= 100_000
    })
    .await;
    cancel.cancel();
    assert!(matches!(task.await.unwrap(), Err(Error::Cancelled)));
    hub.set_faults(Faults::default());
    let sent_before = hub.body_bytes_sent();

    let recorder = Recorder::default();
    let entry = p
        .provision(&req, "second", CancellationToken::new(), &recorder)
        .await
        .unwrap();
    let content = tiny().get("model.safetensors").unwrap().content.clone();
    assert_eq!(std::fs::read(&entry.files[0].local_path).unwrap(), content);
    let ranged = hub
        .requests()
        .into_iter()
        .filter(|r| r.listener == Listener::Cdn)
        .filter_map(|r| r.range)
        .next_back();
    let start: u64 = ranged
        .expect("a Range request")
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    // Bytes reach the disk in batches at least every 200 ms; a pause drops the batch in
    // memory (nothing is written after the token fires), so at 300 kB/s up to 60 kB come again.
    assert!(start >= 30_000, "resumed from {start}");
    assert_eq!(
        hub.body_bytes_sent() - sent_before,
        content.len() as u64 - start,
        "only the rest was fetched"
    );
    assert!(incomplete_files(root.path()).is_empty());
}

#[tokio::test]
async fn dropped_connections_and_stalls_resume_where_they_broke() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    hub.set_faults(Faults {
        drop: Some(DropAfter {
            after: 70_000,
            times: 2,
        }),
        ..Faults::default()
    });
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "j",
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("model.safetensors").unwrap().content
    );
    let ranges: Vec<String> = hub.requests().into_iter().filter_map(|r| r.range).collect();
    assert_eq!(
        ranges,
        ["bytes=70000-", "bytes=140000-"],
        "{:#?}",
        hub.requests()
    );

    hub.set_faults(Faults {
        stall: Some(Stall {
            after: 5_000,
            pause: Duration::from_secs(60),
            times: 1,
        }),
        ..Faults::default()
    });
    let started = Instant::now();
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["gguf/tiny-Q4_K_M.gguf"])),
        "j",
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a stall is detected, not waited out"
    );
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("gguf/tiny-Q4_K_M.gguf").unwrap().content
    );
    assert!(
        hub.requests()
            .iter()
            .any(|r| r.range.as_deref() == Some("bytes=5000-"))
    );
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_with_back_off() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let p = provisioner(&hub, root.path(), None, quick());
    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 500,
            times: 3,
            retry_after: None,
        }),
        ..Faults::default()
    });
    let req = request(
        "acme/tiny-model",
        None,
        files(&["config.json", "tokenizer/vocab.txt"]),
    );
    p.provision(&req, "j", CancellationToken::new(), &recorder)
        .await
        .unwrap();
    assert!(
        recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.phase == Phase::Retrying && p.retry.is_some())
    );

    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 429,
            times: 1,
            retry_after: Some(1),
        }),
        ..Faults::default()
    });
    let started = Instant::now();
    provision(
        &p,
        &request("acme/tiny-model", None, files(&["README.md"])),
        "j",
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After is honoured"
    );

    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 503,
            times: 100,
            retry_after: None,
        }),
        ..Faults::default()
    });
    let err = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "j",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
}

#[tokio::test]
async fn a_server_ignoring_range_restarts_from_zero_correctly() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    hub.set_faults(Faults {
        drop: Some(DropAfter {
            after: 100_000,
            times: 1,
        }),
        ignore_range: true,
        ..Faults::default()
    });
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "j",
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("model.safetensors").unwrap().content
    );
}

#[tokio::test]
async fn corrupted_bytes_fail_the_checksum_and_leave_no_blob() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    hub.set_faults(Faults {
        corrupt_at: Some(1234),
        ..Faults::default()
    });
    let err = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "j",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Checksum, "{err}");
    assert!(
        err.to_string()
            .starts_with("model.safetensors failed its integrity check"),
        "{err}"
    );
    let blobs: Vec<_> = std::fs::read_dir(repo_dir(root.path()).join("blobs"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(
        blobs.is_empty(),
        "neither a blob nor partial data: {blobs:?}"
    );
    assert!(!repo_dir(root.path()).join("snapshots").exists());
    // A regular (git) file is checked with its git blob sha1.
    let err = provision(
        &p,
        &request("acme/tiny-model", None, files(&["README.md"])),
        "j",
    )
    .await;
    assert!(
        err.is_ok(),
        "byte 1234 is past the end of README.md: {err:?}"
    );
    hub.set_faults(Faults {
        corrupt_at: Some(3),
        ..Faults::default()
    });
    let err = provision(
        &p,
        &request("acme/tiny-model", None, files(&["config.json"])),
        "j",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Checksum);
}

#[tokio::test]
async fn an_expired_signed_url_is_resolved_again() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_signed_url_ttl(Duration::from_secs(1));
    // The first connection drops after the URL has expired; the retry needs a fresh one.
    hub.set_faults(Faults {
        stall: Some(Stall {
            after: 10_000,
            pause: Duration::from_millis(1500),
            times: 1,
        }),
        drop: Some(DropAfter {
            after: 10_000,
            times: 1,
        }),
        ..Faults::default()
    });
    let root = tempfile::tempdir().unwrap();
    let options = TransferOptions {
        stall_timeout: Duration::from_secs(5),
        ..quick()
    };
    let p = provisioner(&hub, root.path(), None, options);
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "j",
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("model.safetensors").unwrap().content
    );
    let heads = hub
        .requests()
        .iter()
        .filter(|r| r.method == "HEAD" && r.target.contains("model.safetensors"))
        .count();
    assert!(
        heads >= 3,
        "plan, locate, and a fresh URL after expiry: {heads}"
    );
}

/// Everything below `dir`, folders included (empty when `dir` does not exist).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        found.push(entry.path());
        found.extend(walk(&entry.path()));
    }
    found
}

#[tokio::test]
async fn hub_errors_arrive_typed_and_the_token_never_reaches_the_cdn() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let anonymous = provisioner(&hub, root.path(), None, quick());
    let gated = request("acme/tiny-gated", None, files(&["weights.bin"]));
    assert_eq!(
        provision(&anonymous, &gated, "j").await.unwrap_err().kind(),
        ErrorKind::Gated
    );
    // The whole gated repo: the listing is public, every file is refused. Nothing is left.
    let all_gated = request("acme/tiny-gated", None, Selection::All);
    assert_eq!(
        provision(&anonymous, &all_gated, "j")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Gated
    );
    let left: Vec<_> = walk(&root.path().join("models--acme--tiny-gated"));
    assert!(
        left.is_empty(),
        "a refusal leaves no empty partial, blobs/ or repo folder: {left:?}"
    );
    let missing = provision(&anonymous, &request("acme/nope", None, Selection::All), "j")
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, Error::RepoNotFound { repo_id } if repo_id == "acme/nope"),
        "{missing:?}"
    );
    let err = provision(
        &anonymous,
        &request("acme/tiny-model", None, files(&["nope.bin"])),
        "j",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let no_exist = repo_dir(root.path())
        .join(".no_exist")
        .join(tiny().commit())
        .join("nope.bin");
    assert!(
        no_exist.is_file(),
        "the miss is remembered like Python does"
    );
    let err = provision(
        &anonymous,
        &request("acme/tiny-model", Some("no-branch"), Selection::All),
        "j",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::RevisionNotFound { .. }), "{err:?}");

    hub.grant_token("hf_granted");
    let granted = provisioner(&hub, root.path(), Some("hf_granted"), quick());
    provision(&granted, &gated, "j").await.unwrap();
    let seen = hub.requests();
    assert!(
        seen.iter()
            .any(|r| r.listener == Listener::Hub && r.authorization.is_some())
    );
    assert!(
        seen.iter()
            .filter(|r| r.listener == Listener::Cdn)
            .all(|r| r.authorization.is_none())
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    for (repo, revision, selection) in [
        ("", None, Selection::All),
        ("acme/../x", None, Selection::All),
        ("acme/tiny-model", Some("../../etc"), Selection::All),
        ("acme/tiny-model", None, files(&["../outside"])),
        ("acme/tiny-model", None, files(&["/etc/passwd"])),
        ("acme/tiny-model", None, files(&["a\\b"])),
        ("acme/tiny-model", None, Selection::Files(vec![])),
        (
            "acme/tiny-model",
            None,
            Selection::Patterns {
                include: vec!["[".into()],
                exclude: vec![],
            },
        ),
    ] {
        let err = ModelRequest::new(RepoType::Model, repo, revision, selection).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}

#[tokio::test]
async fn a_hostile_server_cannot_write_outside_the_cache_or_exhaust_memory() {
    let evil = FakeRepo::model("evil/repo")
        .file("ok.txt", "fine")
        .file("../../../outside.txt", "pwned");
    let hub = FakeHub::start(vec![evil, tiny()]);
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let p = provisioner(&hub, &cache, None, quick());
    let err = provision(&p, &request("evil/repo", None, Selection::All), "j")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unsafe path"), "{err}");
    assert!(
        !root.path().join("outside.txt").exists()
            && !cache.join("models--evil--repo/snapshots").exists()
    );

    hub.add_alias("loop/a", "loop/b");
    hub.add_alias("loop/b", "loop/a");
    let err = provision(&p, &request("loop/a", None, Selection::All), "j")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redirects"), "{err}");

    hub.set_faults(Faults {
        huge_json: Some(2 << 30),
        ..Faults::default()
    });
    let started = Instant::now();
    let err = provision(&p, &request("acme/tiny-model", None, Selection::All), "j")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn renamed_repos_are_followed() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let entry = provision(
        &p,
        &request(
            "acme/old-tiny-model",
            None,
            files(&["config.json", "README.md"]),
        ),
        "j",
    )
    .await
    .unwrap();
    // Cached under the id the user typed, as Python does.
    assert!(
        entry
            .snapshot
            .starts_with(root.path().join("models--acme--old-tiny-model"))
    );
}

#[tokio::test]
async fn two_jobs_fetching_one_blob_leave_one_copy() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(2_000_000),
        ..Faults::default()
    });
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let a = request("acme/tiny-model", None, files(&["model.safetensors"]));
    let b = request(
        "acme/tiny-model",
        Some("v1.0"),
        files(&["model.safetensors"]),
    );
    let (ra, rb) = tokio::join!(provision(&p, &a, "a"), provision(&p, &b, "b"));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra.bytes_fetched + rb.bytes_fetched,
        300_000,
        "one of them reused the other's blob"
    );
    let blobs = std::fs::read_dir(repo_dir(root.path()).join("blobs"))
        .unwrap()
        .count();
    assert_eq!(blobs, 1);
    assert_eq!(hub.body_bytes_sent(), 300_000);
}

fn cdn_ranges(hub: &FakeHub) -> Vec<String> {
    hub.requests()
        .into_iter()
        .filter(|r| r.listener == Listener::Cdn)
        .filter_map(|r| r.range)
        .collect()
}

#[tokio::test]
async fn large_files_come_in_parallel_ranges_and_verify() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, ranged());
    let recorder = Recorder::default();
    let req = request("acme/tiny-model", None, files(&["model.safetensors"]));
    let entry = p
        .provision(&req, "j", CancellationToken::new(), &recorder)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("model.safetensors").unwrap().content
    );
    let mut ranges = cdn_ranges(&hub);
    ranges.sort();
    assert_eq!(ranges.len(), 8, "{ranges:?}");
    assert!(
        ranges.contains(&"bytes=0-39999".to_owned())
            && ranges.contains(&"bytes=280000-299999".to_owned())
    );
    assert_eq!(hub.body_bytes_sent(), 300_000, "each byte fetched once");
    assert_eq!(recorder.last().bytes_done, 300_000);
    assert!(incomplete_files(root.path()).is_empty());

    // A corrupted byte is caught by the hash of the reassembled file.
    hub.set_faults(Faults {
        corrupt_at: Some(123_456),
        ..Faults::default()
    });
    let err = provision(
        &p,
        &request(
            "acme/tiny-model",
            Some("v1.0"),
            files(&["gguf/tiny-Q4_K_M.gguf"]),
        ),
        "j",
    )
    .await;
    assert!(
        err.is_ok(),
        "byte 123456 is past the end of this 100 kB file"
    );
    std::fs::remove_dir_all(root.path().join("models--acme--tiny-model")).unwrap();
    let err = provision(&p, &req, "j").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Checksum);
}

#[tokio::test]
async fn a_paused_ranged_download_resumes_every_range_where_it_stopped() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(100_000),
        ..Faults::default()
    });
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, ranged());
    let req = request("acme/tiny-model", None, files(&["model.safetensors"]));
    let cancel = CancellationToken::new();
    let task = {
        let (p, req, cancel) = (p.clone(), req.clone(), cancel.clone());
        tokio::spawn(async move { p.provision(&req, "first", cancel, &()).await })
    };
    eventually("120_000 bytes sent", Duration::from_secs(20), || {
        hub.body_bytes_sent() >= 120_000
    })
    .await;
    cancel.cancel();
    assert!(matches!(task.await.unwrap(), Err(Error::Cancelled)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let first_run = hub.body_bytes_sent();
    hub.set_faults(Faults::default());
    let before = hub.requests().len();
    let cache = RepoCache::new(
        root.path(),
        RepoType::Model,
        &RepoId::parse("acme/tiny-model").unwrap(),
    );
    let partial = cache
        .resumable_partial(&tiny().get("model.safetensors").unwrap().etag(), 300_000)
        .unwrap();
    let kept = partial.valid_bytes();
    assert!(
        partial.state.chunks.as_ref().is_some_and(|c| c.len() == 8) && kept > 0,
        "{:?}",
        partial.state
    );

    let entry = provision(&p, &req, "second").await.unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("model.safetensors").unwrap().content
    );
    let resumed: Vec<String> = hub.requests()[before..]
        .iter()
        .filter_map(|r| r.range.clone())
        .collect();
    let range_start = |r: &String| -> u64 {
        r["bytes=".len()..]
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(
        resumed.iter().any(|r| range_start(r) % 40_000 != 0),
        "some range resumed mid-chunk: {resumed:?}"
    );
    assert_eq!(
        hub.body_bytes_sent() - first_run,
        300_000 - kept,
        "what the first run kept is not fetched again"
    );
}

#[tokio::test]
async fn ranged_downloads_fall_back_when_the_server_pushes_back() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, ranged());
    let content = tiny().get("model.safetensors").unwrap().content.clone();

    // Too many connections: 429s make workers step back; the download still completes.
    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 429,
            times: 3,
            retry_after: None,
        }),
        ..Faults::default()
    });
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "a",
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&entry.files[0].local_path).unwrap(), content);

    // A server that ignores Range: one stream, from the start.
    std::fs::remove_dir_all(root.path().join("models--acme--tiny-model")).unwrap();
    hub.set_faults(Faults {
        ignore_range: true,
        ..Faults::default()
    });
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "b",
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&entry.files[0].local_path).unwrap(), content);

    // Dropped connections resume inside their range.
    std::fs::remove_dir_all(root.path().join("models--acme--tiny-model")).unwrap();
    hub.set_faults(Faults {
        drop: Some(DropAfter {
            after: 20_000,
            times: 2,
        }),
        ..Faults::default()
    });
    let before = hub.requests().len();
    let entry = provision(
        &p,
        &request("acme/tiny-model", None, files(&["model.safetensors"])),
        "c",
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&entry.files[0].local_path).unwrap(), content);
    let ranges: Vec<String> = hub.requests()[before..]
        .iter()
        .filter_map(|r| r.range.clone())
        .collect();
    let starts: Vec<u64> = ranges
        .iter()
        .map(|r| {
            r["bytes=".len()..]
                .split('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect::<Vec<u64>>();
    assert!(
        starts.iter().any(|s| s % 40_000 == 20_000),
        "a range resumed where its connection dropped: {ranges:?}"
    );
}

#[tokio::test]
async fn the_cache_paths_match_repo_cache() {
    let root = tempfile::tempdir().unwrap();
    let cache = RepoCache::new(
        root.path(),
        RepoType::Model,
        &RepoId::parse("acme/tiny-model").unwrap(),
    );
    assert_eq!(cache.dir(), repo_dir(root.path()));
}

/// The provisioner, not each caller, refuses what it cannot fetch: a Space is an app.
#[tokio::test]
async fn a_space_is_refused_before_any_request() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(&hub, root.path(), None, quick());
    let req = ModelRequest::new(RepoType::Space, "acme/tiny-model", None, Selection::All).unwrap();
    let err = provision(&p, &req, "space").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains("acme/tiny-model is a Space"),
        "{err}"
    );
    assert!(hub.requests().is_empty(), "{:?}", hub.requests());
    assert!(
        std::fs::read_dir(root.path()).unwrap().next().is_none(),
        "nothing written to the cache"
    );
}

/// Near the end an idle connection takes over the far half of a busy one's range: three
/// 100 kB chunks and four connections, so the fourth splits a chunk at once, and connections
/// that finish early split what is left. The file is byte-exact.
#[tokio::test]
async fn an_idle_connection_takes_over_half_of_a_slow_range() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(200_000),
        ..Faults::default()
    });
    let root = tempfile::tempdir().unwrap();
    let options = TransferOptions {
        connections: 4,
        chunk_size: 100_000,
        min_range: 10_000,
        ..ranged()
    };
    let p = provisioner(&hub, root.path(), None, options);
    let req = request("acme/tiny-model", None, files(&["model.safetensors"]));
    let entry = within(Duration::from_secs(20), provision(&p, &req, "steal"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        tiny().get("model.safetensors").unwrap().content
    );
    let starts: Vec<u64> = cdn_ranges(&hub)
        .iter()
        .filter_map(|r| r.strip_prefix("bytes=")?.split('-').next()?.parse().ok())
        .collect();
    assert!(
        starts.iter().any(|s| s % 100_000 != 0),
        "a range was split: {starts:?}"
    );
    assert!(incomplete_files(root.path()).is_empty());
}

/// A model with one LFS file of `size` pseudo-random bytes, and a provisioner for it that may
/// open up to 16 connections over 1 MB ranges.
fn big_file_setup(size: usize) -> (FakeHub, FakeRepo, TransferOptions) {
    let data: Vec<u8> = (0..size as u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
        .collect();
    let repo = FakeRepo::model("acme/big").lfs_file("big.bin", data);
    let hub = FakeHub::start(vec![repo.clone()]);
    let options = TransferOptions {
        connections: 16,
        parallel_threshold: 1,
        chunk_size: 1_000_000,
        min_range: 100_000,
        ..quick()
    };
    (hub, repo, options)
}

async fn fetch_big(hub: &FakeHub, repo: &FakeRepo, options: TransferOptions) {
    let root = tempfile::tempdir().unwrap();
    let p = provisioner(hub, root.path(), None, options);
    let req = request("acme/big", None, files(&["big.bin"]));
    let entry = within(Duration::from_secs(30), provision(&p, &req, "big"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        repo.get("big.bin").unwrap().content,
        "byte-exact"
    );
}

/// A CDN that caps each connection: more connections make the file faster, so their number
/// grows past the first four.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capped_connections_grow_in_number_while_that_makes_the_file_faster() {
    let (hub, repo, options) = big_file_setup(30_000_000);
    hub.set_faults(Faults {
        throttle: Some(1_000_000),
        ..Faults::default()
    });
    fetch_big(&hub, &repo, options).await;
    assert!(
        hub.most_bodies_at_once() > 8,
        "{} connections at most",
        hub.most_bodies_at_once()
    );
}

/// A line whose total is the limit: four connections fill it, more would only crowd it, so
/// the count stays low (one probe of eight at most).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_line_keeps_the_connection_count_low() {
    let (hub, repo, options) = big_file_setup(12_000_000);
    hub.set_faults(Faults {
        throttle: Some(2_000_000),
        total_rate: Some(4_000_000),
        ..Faults::default()
    });
    fetch_big(&hub, &repo, options).await;
    assert!(
        hub.most_bodies_at_once() <= 8,
        "{} connections at most",
        hub.most_bodies_at_once()
    );
}
