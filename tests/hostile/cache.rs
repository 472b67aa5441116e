//! The cache: planted symlinks, names the file system cannot hold, two processes at once.
//!
//! - a link planted for the repo folder, `blobs/`, `snapshots/<commit>/`, `refs/`, `.locks/`,
//!   `.locks/<repo>/` or `.no_exist/` is refused before anything is fetched, and nothing is
//!   written through it (the library and the command line);
//! - a planted partial download or blob that is a link is neither written through nor read;
//! - a removal or a prune refuses to go through a planted link;
//! - file names with control characters, or longer than the file system takes, are refused
//!   before any file body is fetched;
//! - two command-line downloads (or Python and one) of the same repo into one cache fetch
//!   each blob once and both succeed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use modelshelf_core::cache::RepoCache;
use modelshelf_core::error::{Error, ErrorKind};
use modelshelf_core::hub::HubClient;
use modelshelf_core::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use modelshelf_core::repo::{RepoId, RepoType};
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use super::{Sandbox, within};
use crate::support::cli;
use fake_hub::{FakeHub, FakeRepo, Faults, Listener, Seen, demo_catalog};

const REPO: &str = "acme/tiny-model";
const FOLDER: &str = "models--acme--tiny-model";
/// Every download here is small; a planted link must be refused well before this.
const LIMIT: Duration = Duration::from_secs(20);

/// The demo model plus a file named like the sandbox's witness, so that a snapshot folder
/// linked to `outside` would replace the witness with a pointer.
fn repo() -> FakeRepo {
    demo_catalog()
        .into_iter()
        .next()
        .unwrap()
        .file("witness.txt", "from the server\n")
}

fn provisioner(hub: &FakeHub, root: &Path) -> ModelProvisioner {
    let client = HubClient::new(&hub.endpoint(), None).unwrap();
    ModelProvisioner::new(
        HuggingFaceVendor::new(client, TransferOptions::default()),
        root,
    )
}

async fn download(
    hub: &FakeHub,
    sandbox: &Sandbox,
    selection: Selection,
) -> Result<ModelEntry, Error> {
    let request = ModelRequest::new(RepoType::Model, REPO, None, selection).unwrap();
    let p = provisioner(hub, &sandbox.cache);
    within(
        LIMIT,
        p.provision(&request, "hostile", CancellationToken::new(), &()),
    )
    .await
}

/// Requests for file bodies or file metadata (anything but the API's listings).
fn file_requests(hub: &FakeHub) -> Vec<Seen> {
    hub.requests()
        .into_iter()
        .filter(|r| r.listener == Listener::Cdn || !r.target.starts_with("/api/"))
        .collect()
}

/// Plants `relative` (below the cache root) as a link to `outside`, downloads the whole repo,
/// and checks the refusal: the link named, no file fetched, nothing written outside.
async fn refuses_a_link_at(relative: &str) {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    let link = sandbox.cache.join(relative);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&sandbox.outside, &link).unwrap();

    let started = Instant::now();
    let err = download(&hub, &sandbox, Selection::All).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(
        matches!(&err, Error::LinkInCache { path, target }
            if *path == link && *target == sandbox.outside),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&link.display().to_string()) && message.contains("Remove the link"),
        "{message}"
    );
    assert!(file_requests(&hub).is_empty(), "{:#?}", file_requests(&hub));
    sandbox.assert_outside_untouched();
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        sandbox.outside,
        "left as found"
    );
}

#[tokio::test]
async fn a_link_planted_for_the_repo_folder_is_refused() {
    refuses_a_link_at(FOLDER).await;
}

#[tokio::test]
async fn a_link_planted_for_blobs_is_refused() {
    refuses_a_link_at(&format!("{FOLDER}/blobs")).await;
}

#[tokio::test]
async fn a_link_planted_for_the_snapshot_folder_is_refused() {
    refuses_a_link_at(&format!("{FOLDER}/snapshots/{}", repo().commit())).await;
}

#[tokio::test]
async fn a_link_planted_for_refs_is_refused() {
    refuses_a_link_at(&format!("{FOLDER}/refs")).await;
}

#[tokio::test]
async fn a_link_planted_for_locks_is_refused() {
    refuses_a_link_at(".locks").await;
}

#[tokio::test]
async fn a_link_planted_for_the_repos_locks_is_refused() {
    refuses_a_link_at(&format!(".locks/{FOLDER}")).await;
}

#[tokio::test]
async fn a_link_planted_for_no_exist_is_refused() {
    refuses_a_link_at(&format!("{FOLDER}/.no_exist")).await;
}

#[tokio::test]
async fn a_missing_file_is_not_recorded_through_a_planted_link() {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    let link = sandbox.cache.join(FOLDER).join(".no_exist");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&sandbox.outside, &link).unwrap();
    let missing = Selection::Files(vec!["not-there.bin".into()]);
    let err = download(&hub, &sandbox, missing).await.unwrap_err();
    assert!(
        matches!(&err, Error::LinkInCache { path, .. } if *path == link),
        "{err:?}"
    );
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_partial_download_planted_as_a_link_is_not_written_through() {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    let file = repo().get("model.safetensors").unwrap().clone();
    let blobs = sandbox.cache.join(FOLDER).join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let partial = blobs.join(format!("{}.0badc0de.incomplete", file.etag()));
    std::os::unix::fs::symlink(sandbox.outside.join("witness.txt"), &partial).unwrap();
    let state = serde_json::json!({
        "job": "someone-else", "etag": file.etag(), "size": file.content.len(),
    });
    let mut sidecar = partial.clone().into_os_string();
    sidecar.push(".state");
    std::fs::write(&sidecar, state.to_string()).unwrap();

    let entry = download(&hub, &sandbox, Selection::All).await.unwrap();
    let got = std::fs::read(entry.snapshot.join("model.safetensors")).unwrap();
    assert!(got == file.content, "the weights are the server's bytes");
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_blob_planted_as_a_link_is_replaced_not_read() {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    let file = repo().get("config.json").unwrap().clone();
    let blobs = sandbox.cache.join(FOLDER).join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = blobs.join(file.etag());
    std::os::unix::fs::symlink(sandbox.outside.join("witness.txt"), &blob).unwrap();

    let entry = download(&hub, &sandbox, Selection::All).await.unwrap();
    assert_eq!(
        std::fs::read(entry.snapshot.join("config.json")).unwrap(),
        file.content,
        "the server's bytes, not the planted file's"
    );
    assert!(
        std::fs::symlink_metadata(&blob).unwrap().is_file(),
        "a real blob now"
    );
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn removing_a_file_refuses_a_snapshot_folder_that_is_a_link() {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    download(&hub, &sandbox, Selection::All).await.unwrap();
    let commit = repo().commit();
    let snapshot = sandbox.cache.join(FOLDER).join("snapshots").join(&commit);
    std::fs::remove_dir_all(&snapshot).unwrap();
    std::os::unix::fs::symlink(&sandbox.outside, &snapshot).unwrap();

    let cache = RepoCache::new(
        &sandbox.cache,
        RepoType::Model,
        &RepoId::parse(REPO).unwrap(),
    );
    for err in [
        cache.delete_file(&commit, "witness.txt").unwrap_err(),
        cache.delete_revision(&commit).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Io, "{err}");
        assert!(
            matches!(&err, Error::LinkInCache { path, .. } if *path == snapshot),
            "{err:?}"
        );
    }
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn pruning_refuses_a_blobs_folder_that_is_a_link() {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    download(&hub, &sandbox, Selection::All).await.unwrap();
    let blobs = sandbox.cache.join(FOLDER).join("blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    std::os::unix::fs::symlink(&sandbox.outside, &blobs).unwrap();

    // The witness looks like an orphan blob through the link.
    let err = modelshelf_core::cache::prune(&sandbox.cache).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(
        matches!(&err, Error::LinkInCache { path, .. } if *path == blobs),
        "{err:?}"
    );
    sandbox.assert_outside_untouched();
}

/// A repo whose listing names `bad` beside ordinary files.
fn repo_with(bad: &str) -> FakeRepo {
    FakeRepo::model(REPO)
        .file("config.json", "{}")
        .file(bad, "payload")
        .lfs_file("model.safetensors", vec![5u8; 50_000])
}

#[tokio::test]
async fn file_names_with_control_characters_are_refused_before_any_download() {
    for bad in ["clear\x1b[2J.txt", "two\nlines.txt", "del\x7f.bin"] {
        let sandbox = Sandbox::new();
        let hub = FakeHub::start(vec![repo_with(bad)]);
        let started = Instant::now();
        let err = download(&hub, &sandbox, Selection::All).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(err.kind(), ErrorKind::Network, "{bad:?}: {err}");
        let message = err.to_string();
        assert!(
            matches!(err, Error::Protocol { .. }) && message.contains("unsafe path"),
            "{message}"
        );
        assert!(
            !message.chars().any(|c| c.is_control()),
            "the name is escaped: {message:?}"
        );
        assert!(file_requests(&hub).is_empty(), "{:#?}", file_requests(&hub));
        assert!(!sandbox.cache.join(FOLDER).join("blobs").exists());
        sandbox.assert_outside_untouched();
    }
}

#[tokio::test]
async fn a_name_longer_than_the_file_system_takes_is_refused_before_any_download() {
    let long = format!("{}.bin", "n".repeat(296));
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo_with(&long)]);
    let started = Instant::now();
    let err = download(&hub, &sandbox, Selection::All).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&long) && message.contains("300 bytes") && message.contains("255"),
        "names the file and the limit: {message}"
    );
    assert!(file_requests(&hub).is_empty(), "{:#?}", file_requests(&hub));
    assert!(!sandbox.cache.join(FOLDER).join("blobs").exists());
    sandbox.assert_outside_untouched();
}

/// `modelshelf-cli` with `args`, against `hub`, into `sandbox.cache`, output captured.
fn cli(hub: &FakeHub, sandbox: &Sandbox, args: &[&str]) -> Command {
    cli::command(
        &hub.endpoint(),
        &sandbox.cache,
        &sandbox.root().join("home"),
        args,
    )
}

#[test]
fn the_command_line_refuses_a_planted_link_with_the_reason() {
    let sandbox = Sandbox::new();
    let hub = FakeHub::start(vec![repo()]);
    let link = sandbox.cache.join(FOLDER).join("blobs");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&sandbox.outside, &link).unwrap();
    let started = Instant::now();
    let out = cli::finish(
        cli(&hub, &sandbox, &["download", REPO]).spawn().unwrap(),
        LIMIT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        stderr.trim_end(),
        format!(
            "modelshelf-cli: {} is a symbolic link to {}; Modelshelf does not write through \
             links in the cache. Remove the link (or move the real folder into the cache) and \
             try again",
            link.display(),
            sandbox.outside.display()
        )
    );
    assert!(out.stdout.is_empty());
    assert!(file_requests(&hub).is_empty(), "{:#?}", file_requests(&hub));
    sandbox.assert_outside_untouched();
}

/// GETs of each file's body, by path: the Hub's resolve route for small files, the CDN for
/// LFS files.
fn body_gets(hub: &FakeHub, repo: &FakeRepo) -> Vec<(String, usize)> {
    let requests = hub.requests();
    repo.files
        .iter()
        .map(|f| {
            let count = requests
                .iter()
                .filter(|r| r.method == "GET")
                .filter(|r| match r.listener {
                    Listener::Cdn => {
                        f.lfs && r.target.starts_with(&format!("/blob/{}", f.sha256()))
                    }
                    Listener::Hub => {
                        !f.lfs
                            && r.target.contains("/resolve/")
                            && r.target.ends_with(&format!("/{}", f.path))
                    }
                })
                .count();
            (f.path.clone(), count)
        })
        .collect()
}

/// Every file of `repo` is in the cache at its commit, byte for byte, from a real blob, with
/// no partial download left.
fn assert_complete(cache: &Path, repo: &FakeRepo) {
    let dir = cache.join(FOLDER);
    for file in &repo.files {
        let pointer = dir.join("snapshots").join(repo.commit()).join(&file.path);
        assert!(
            std::fs::read(&pointer).unwrap() == file.content,
            "{}",
            file.path
        );
        let blob = dir.join("blobs").join(file.etag());
        assert!(std::fs::symlink_metadata(&blob).unwrap().is_file());
    }
    let left: Vec<PathBuf> = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".incomplete"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        std::fs::read(dir.join("refs/main")).unwrap(),
        repo.commit().as_bytes()
    );
}

fn throttled(bytes_per_second: u64) -> Faults {
    Faults {
        throttle: Some(bytes_per_second),
        ..Faults::default()
    }
}

#[test]
fn two_command_lines_downloading_one_repo_fetch_each_blob_once() {
    let sandbox = Sandbox::new();
    let repo = repo();
    let hub = FakeHub::start(vec![repo.clone()]);
    // The 300 kB weights take about 2 s per response, so the two runs overlap.
    hub.set_faults(throttled(150_000));
    let started = Instant::now();
    let children: Vec<Child> = (0..2)
        .map(|_| cli(&hub, &sandbox, &["download", REPO]).spawn().unwrap())
        .collect();
    for child in children {
        let out = cli::finish(child, Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", out.status);
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "{took:?}");

    for (path, gets) in body_gets(&hub, &repo) {
        assert_eq!(gets, 1, "{path} fetched {gets} times");
    }
    let total: u64 = repo.files.iter().map(|f| f.content.len() as u64).sum();
    assert_eq!(hub.body_bytes_sent(), total, "every byte sent once");
    assert_complete(&sandbox.cache, &repo);
    sandbox.assert_outside_untouched();
}

#[test]
#[ignore = "needs the Python venv (scripts/test)"]
fn python_and_the_command_line_downloading_one_repo_fetch_each_blob_once() {
    let sandbox = Sandbox::new();
    let repo = repo();
    let hub = FakeHub::start(vec![repo.clone()]);
    // Python needs a second or so to start; the weights take about 5 s.
    hub.set_faults(throttled(60_000));
    let (endpoint, cache) = (hub.endpoint(), sandbox.cache.clone());
    let (done, report) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let input = serde_json::json!({"command": "snapshot", "repo": REPO, "revisions": ["main"]});
        let result = std::panic::catch_unwind(|| {
            crate::support::python::run_script("cache_interop.py", &endpoint, &cache, false, &input)
        });
        let _ = done.send(result);
    });
    let out = cli::finish(
        cli(&hub, &sandbox, &["download", REPO]).spawn().unwrap(),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", out.status);
    let python = report
        .recv_timeout(Duration::from_secs(60))
        .expect("Python finished within 60 s")
        .unwrap_or_else(|_| panic!("Python failed (its error is printed above)"));
    let snapshot = sandbox
        .cache
        .join(FOLDER)
        .join("snapshots")
        .join(repo.commit());
    let theirs = python["snapshots"]["main"]
        .as_str()
        .expect("a snapshot path");
    assert_eq!(
        Path::new(theirs).canonicalize().unwrap(),
        snapshot.canonicalize().unwrap()
    );

    for (path, gets) in body_gets(&hub, &repo) {
        assert_eq!(gets, 1, "{path} fetched {gets} times");
    }
    assert_complete(&sandbox.cache, &repo);
    sandbox.assert_outside_untouched();
}
