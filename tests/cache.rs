//! The cache as people manage it: the scanner's view (of files written by us, by Python, or
//! by hand), and removals that free the right bytes and refuse what they must.

use std::path::Path;

use modelshelf_core::cache::{ProblemKind, RepoCache, prune, scan};
use modelshelf_core::error::{Error, ErrorKind};
use modelshelf_core::hub::HubClient;
use modelshelf_core::provision::{ArtifactProvisioner, ModelProvisioner};
use modelshelf_core::repo::{RepoId, RepoType};
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use fake_hub::{FakeHub, FakeRepo, demo_catalog};

async fn download(
    hub: &FakeHub,
    root: &Path,
    repo: &str,
    revision: Option<&str>,
    selection: Selection,
) {
    let client = HubClient::new(&hub.endpoint(), None).unwrap();
    let p = ModelProvisioner::new(
        HuggingFaceVendor::new(client, TransferOptions::default()),
        root,
    );
    let request = ModelRequest::new(RepoType::Model, repo, revision, selection).unwrap();
    p.provision(&request, "t", CancellationToken::new(), &())
        .await
        .unwrap();
}

fn tiny() -> FakeRepo {
    demo_catalog().into_iter().next().unwrap()
}

fn repo_cache(root: &Path, id: &str) -> RepoCache {
    RepoCache::new(root, RepoType::Model, &RepoId::parse(id).unwrap())
}

/// A second version of the tiny model whose weights changed but whose config did not.
fn tiny_v2() -> FakeRepo {
    let mut v2 = tiny();
    v2.id = "acme/tiny-model".into();
    v2.files
        .retain(|f| f.path == "config.json" || f.path == "model.safetensors");
    v2.files[1].content = bytes::Bytes::from(vec![9u8; 1000]);
    v2
}

#[tokio::test]
async fn the_scanner_sees_repos_revisions_sizes_and_problems() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    download(
        &hub,
        root.path(),
        "acme/tiny-model",
        Some("v1.0"),
        Selection::All,
    )
    .await;
    download(&hub, root.path(), "other/tiny-chat", None, Selection::All).await;

    let repo_dir = root.path().join("models--acme--tiny-model");
    std::fs::write(
        repo_dir.join("blobs/deadbeef.1234abcd.incomplete"),
        vec![0u8; 10],
    )
    .unwrap();
    std::fs::write(repo_dir.join("blobs/0123456789abcdef"), vec![0u8; 7]).unwrap();
    std::fs::write(repo_dir.join("refs/stale"), "f".repeat(40)).unwrap();
    std::fs::write(root.path().join("notes.txt"), "hi").unwrap();
    std::fs::write(
        root.path().join("CACHEDIR.TAG"),
        "Signature: 8a477f597d28d172789f06886806bc55",
    )
    .unwrap();

    let scan = scan(root.path()).unwrap();
    let ids: Vec<&str> = scan.repos.iter().map(|r| r.repo_id.as_str()).collect();
    assert_eq!(ids, ["acme/tiny-model", "other/tiny-chat"]);
    let repo = &scan.repos[0];
    let expected: u64 = tiny().files.iter().map(|f| f.content.len() as u64).sum();
    assert_eq!(
        (repo.size_on_disk, repo.nb_files),
        (expected, tiny().files.len()),
        "a blob shared by two refs counts once"
    );
    assert_eq!(repo.revisions.len(), 1);
    assert_eq!(repo.revisions[0].refs, ["main", "v1.0"]);
    assert_eq!(
        repo.revisions[0]
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()[..3],
        ["README.md", "config.json", "gguf/tiny-Q4_K_M.gguf"]
    );
    let mut kinds: Vec<(ProblemKind, u64)> =
        repo.problems.iter().map(|p| (p.kind, p.bytes)).collect();
    kinds.sort_by_key(|(k, _)| format!("{k:?}"));
    assert_eq!(
        kinds,
        [
            (ProblemKind::DanglingRef, 0),
            (ProblemKind::IncompleteDownload, 10),
            (ProblemKind::OrphanBlob, 7)
        ]
    );
    assert_eq!(
        scan.problems.len(),
        1,
        "the stray file at the root, not CACHEDIR.TAG"
    );
    assert_eq!(scan.problems[0].kind, ProblemKind::Unexpected);
    assert_eq!(
        scan.size_on_disk,
        scan.repos.iter().map(|r| r.size_on_disk).sum::<u64>()
    );

    // A blob deleted behind our back shows up as a broken link, and the rest is still listed.
    let weights = tiny().get("model.safetensors").unwrap().etag();
    std::fs::remove_file(repo_dir.join("blobs").join(&weights)).unwrap();
    let scan = modelshelf_core::cache::scan(root.path()).unwrap();
    assert!(
        scan.repos[0]
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::BrokenSymlink && p.path.ends_with("model.safetensors"))
    );
    assert_eq!(
        scan.repos[0].revisions[0].files.len(),
        tiny().files.len() - 1
    );
}

#[tokio::test]
async fn deleting_a_revision_frees_only_blobs_no_other_revision_uses() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    let old_commit = tiny().commit();
    drop(hub);
    // The repo moved on: main now points to a commit with new weights and the same config.
    let hub = FakeHub::start(vec![tiny_v2()]);
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;

    let cache = repo_cache(root.path(), "acme/tiny-model");
    let before = scan(root.path()).unwrap().repos[0].size_on_disk;
    let freed = cache.delete_revision(&old_commit).unwrap();
    let shared_config = tiny().get("config.json").unwrap().content.len() as u64;
    let expected: u64 = tiny()
        .files
        .iter()
        .map(|f| f.content.len() as u64)
        .sum::<u64>()
        - shared_config;
    assert_eq!(
        freed.bytes, expected,
        "the config blob is still used by the new revision"
    );
    let after = scan(root.path()).unwrap();
    assert_eq!(after.repos[0].size_on_disk, before - expected);
    assert_eq!(after.repos[0].revisions.len(), 1);
    assert!(
        after.repos[0].problems.is_empty(),
        "{:?}",
        after.repos[0].problems
    );
}

#[tokio::test]
async fn deleting_a_file_and_a_repo_report_what_they_freed() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    let cache = repo_cache(root.path(), "acme/tiny-model");
    let commit = tiny().commit();
    let freed = cache.delete_file(&commit, "gguf/tiny-Q4_K_M.gguf").unwrap();
    assert_eq!(freed.bytes, 100_000);
    assert!(
        !root
            .path()
            .join("models--acme--tiny-model/snapshots")
            .join(&commit)
            .join("gguf/tiny-Q4_K_M.gguf")
            .exists()
    );

    let total = scan(root.path()).unwrap().repos[0].size_on_disk;
    let freed = cache.delete_repo().unwrap();
    assert_eq!(freed.bytes, total);
    assert!(!root.path().join("models--acme--tiny-model").exists());
    assert!(!root.path().join(".locks/models--acme--tiny-model").exists());
    assert!(scan(root.path()).unwrap().repos.is_empty());
}

#[tokio::test]
async fn bytes_another_app_links_to_are_not_counted_as_freed_and_stay_there() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    let lm_studio = tempfile::tempdir().unwrap();
    let commit = tiny().commit();
    let quant = "gguf/tiny-Q4_K_M.gguf";
    let pointer = root
        .path()
        .join("models--acme--tiny-model/snapshots")
        .join(&commit)
        .join(quant);
    let theirs = lm_studio.path().join("tiny-Q4_K_M.gguf");
    // What Use in LM Studio (or Reclaim) leaves: the app's own name for the cache's blob.
    let download_and_link = || async {
        download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
        let _ = std::fs::remove_file(&theirs);
        std::fs::hard_link(std::fs::canonicalize(&pointer).unwrap(), &theirs).unwrap();
        scan(root.path()).unwrap().repos.remove(0)
    };
    let cache = repo_cache(root.path(), "acme/tiny-model");

    let repo = download_and_link().await;
    let linked: Vec<_> = repo.revisions[0]
        .files
        .iter()
        .filter(|f| f.linked_elsewhere)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(linked, [quant]);
    let freed = cache.delete_repo().unwrap();
    assert_eq!(
        freed.bytes,
        repo.size_on_disk - 100_000,
        "LM Studio keeps 100,000 bytes"
    );
    assert_eq!(std::fs::read(&theirs).unwrap().len(), 100_000);

    let repo = download_and_link().await;
    let freed = cache.delete_revision(&commit).unwrap();
    assert_eq!(freed.bytes, repo.size_on_disk - 100_000);
    assert_eq!(std::fs::read(&theirs).unwrap().len(), 100_000);

    download_and_link().await;
    let freed = cache.delete_file(&commit, quant).unwrap();
    assert_eq!(freed.bytes, 0, "the bytes stay under LM Studio's name");
    assert!(!pointer.exists());
    assert_eq!(std::fs::read(&theirs).unwrap().len(), 100_000);
}

#[tokio::test]
async fn removals_refuse_a_blob_being_downloaded_and_paths_outside_the_cache() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    let cache = repo_cache(root.path(), "acme/tiny-model");
    let held = cache
        .lock_blob(
            &tiny().get("config.json").unwrap().etag(),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    let err = cache.delete_repo().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InUse, "{err}");
    assert!(matches!(
        cache.delete_revision(&tiny().commit()),
        Err(Error::InUse { .. })
    ));
    assert_eq!(
        prune(root.path()).unwrap().bytes,
        0,
        "prune leaves a busy repo alone"
    );
    drop(held);

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("precious"), "keep").unwrap();
    // A snapshot link pointing out of the cache is removed as a link; its target stays.
    let commit = tiny().commit();
    let evil = root
        .path()
        .join("models--acme--tiny-model/snapshots")
        .join(&commit)
        .join("evil");
    std::os::unix::fs::symlink(outside.path().join("precious"), &evil).unwrap();
    cache.delete_repo().unwrap();
    assert_eq!(
        std::fs::read_to_string(outside.path().join("precious")).unwrap(),
        "keep"
    );

    assert_eq!(
        cache.delete_file(&commit, "../../../x").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        cache.delete_revision("../../x").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(RepoId::parse("../x").is_err());
}

#[tokio::test]
async fn prune_removes_superseded_revisions_orphans_and_stale_partials() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    download(
        &hub,
        root.path(),
        "other/tiny-chat",
        Some(&demo_catalog()[2].commit()),
        Selection::All,
    )
    .await;
    drop(hub);
    let hub = FakeHub::start(vec![tiny_v2()]);
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    let blobs = root.path().join("models--acme--tiny-model/blobs");
    std::fs::write(blobs.join("aaaa.12345678.incomplete"), vec![1u8; 5]).unwrap();
    std::fs::write(blobs.join("aaaa.12345678.incomplete.state"), "{}").unwrap();
    std::fs::write(blobs.join("bbbb"), vec![1u8; 3]).unwrap();

    let freed = prune(root.path()).unwrap();
    let old_only: u64 = tiny()
        .files
        .iter()
        .filter(|f| f.path != "config.json")
        .map(|f| f.content.len() as u64)
        .sum();
    assert_eq!(freed.bytes, old_only + 5 + 3);
    let after = scan(root.path()).unwrap();
    let tiny_after = after
        .repos
        .iter()
        .find(|r| r.repo_id == "acme/tiny-model")
        .unwrap();
    assert_eq!(tiny_after.revisions.len(), 1);
    assert!(tiny_after.problems.is_empty(), "{:?}", tiny_after.problems);
    let chat = after
        .repos
        .iter()
        .find(|r| r.repo_id == "other/tiny-chat")
        .unwrap();
    assert_eq!(
        chat.revisions.len(),
        1,
        "a revision downloaded by commit (no ref at all) is kept"
    );
}

#[test]
fn an_empty_repo_folder_is_a_problem_to_clean_up_not_a_model() {
    let root = tempfile::tempdir().unwrap();
    let empty = root.path().join("models--acme--left-behind");
    std::fs::create_dir_all(empty.join("blobs")).unwrap();
    std::fs::create_dir_all(empty.join("snapshots")).unwrap();
    let found = scan(root.path()).unwrap();
    assert!(found.repos.is_empty(), "{:?}", found.repos);
    assert_eq!(found.problems.len(), 1);
    assert_eq!(found.problems[0].kind, ProblemKind::EmptyFolder);
    prune(root.path()).unwrap();
    assert!(!empty.exists(), "pruned");
}

#[tokio::test]
async fn the_command_line_lists_and_removes() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    download(&hub, root.path(), "acme/tiny-model", None, Selection::All).await;
    let cli = |args: &[&str]| {
        std::process::Command::new(crate::support::cli::binary())
            .args(args)
            .env("HF_HUB_CACHE", root.path())
            .env("HF_HOME", root.path().join("home"))
            .output()
            .unwrap()
    };
    let out = cli(&["ls"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("acme/tiny-model"))
        .expect("a row for the repo");
    assert!(row.contains("400 KB") && row.ends_with("main"), "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("1 repositories, 400 KB"),
        "{stdout}"
    );

    let out = cli(&["rm", "acme/nope"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["rm", "acme/tiny-model"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("freed 400 KB"));
    assert!(!root.path().join("models--acme--tiny-model").exists());
}

/// Runs `tests/python/scan_cache.py` against the cache at `root`.
fn python_scan(hub: &FakeHub, root: &Path, snapshots: serde_json::Value) -> serde_json::Value {
    crate::support::python::run_script(
        "scan_cache.py",
        &hub.endpoint(),
        root,
        false,
        &serde_json::json!({ "snapshots": snapshots }),
    )
}

/// Our scan in the shape `scan_cache.py` prints.
fn our_scan(root: &Path) -> serde_json::Value {
    let scan = scan(root).unwrap();
    let mut repos: Vec<serde_json::Value> = scan
        .repos
        .iter()
        .map(|r| {
            let mut revisions: Vec<serde_json::Value> = r
                .revisions
                .iter()
                .map(|rev| {
                    let files: Vec<serde_json::Value> = rev.files.iter().map(|f| serde_json::json!([f.path, f.size])).collect();
                    serde_json::json!({ "commit": rev.commit, "refs": rev.refs, "size": rev.size_on_disk, "files": files, "last_modified": rev.last_modified })
                })
                .collect();
            revisions.sort_by_key(|r| r["commit"].as_str().unwrap().to_owned());
            serde_json::json!({
                "repo_id": r.repo_id, "repo_type": format!("{:?}", r.repo_type).to_lowercase(), "size": r.size_on_disk,
                "nb_files": r.nb_files, "last_accessed": r.last_accessed, "last_modified": r.last_modified, "revisions": revisions,
            })
        })
        .collect();
    repos.sort_by_key(|r| {
        (
            r["repo_type"].as_str().unwrap().to_owned(),
            r["repo_id"].as_str().unwrap().to_owned(),
        )
    });
    serde_json::json!({ "repos": repos, "size": scan.size_on_disk, "warnings": [] })
}

/// Checks that the file times of `ours` match `theirs` within a microsecond (the two ways of
/// turning nanoseconds into float seconds can differ in the last digit), then blanks them so
/// the rest can be compared exactly.
fn settle_times(ours: &mut serde_json::Value, theirs: &mut serde_json::Value) {
    match (ours, theirs) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (key, value) in a.iter_mut() {
                let Some(other) = b.get_mut(key) else {
                    continue;
                };
                if key.starts_with("last_") {
                    let (x, y) = (value.as_f64().unwrap(), other.as_f64().unwrap());
                    assert!((x - y).abs() < 1e-6, "{key}: {x} vs {y}");
                    *value = serde_json::Value::Null;
                    *other = serde_json::Value::Null;
                } else {
                    settle_times(value, other);
                }
            }
        }
        (serde_json::Value::Array(a), serde_json::Value::Array(b)) => {
            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                settle_times(x, y);
            }
        }
        _ => {}
    }
}

#[tokio::test]
#[ignore = "needs the Python venv; run by scripts/test"]
async fn the_scanner_agrees_with_python_scan_cache_dir() {
    let hub = FakeHub::start(demo_catalog());
    let root = tempfile::tempdir().unwrap();
    // Python downloads one repo and a dataset, Modelshelf another repo and a second ref.
    let python = python_scan(
        &hub,
        root.path(),
        serde_json::json!([
            ["acme/tiny-model", "model", "main"],
            ["acme/tiny-data", "dataset", "main"]
        ]),
    );
    assert_eq!(python["repos"].as_array().unwrap().len(), 2);
    download(
        &hub,
        root.path(),
        "acme/tiny-model",
        Some("v1.0"),
        Selection::All,
    )
    .await;
    download(&hub, root.path(), "other/tiny-chat", None, Selection::All).await;

    let mut theirs = python_scan(&hub, root.path(), serde_json::json!([]));
    let mut ours = our_scan(root.path());
    settle_times(&mut ours, &mut theirs);
    assert_eq!(theirs["warnings"], serde_json::json!([]));
    assert_eq!(ours, theirs, "\nours:   {ours}\ntheirs: {theirs}");

    // A dangling ref: Python leaves the repo out with a warning; we list it with the problem.
    std::fs::write(
        root.path().join("models--other--tiny-chat/refs/old"),
        "e".repeat(40),
    )
    .unwrap();
    let theirs = python_scan(&hub, root.path(), serde_json::json!([]));
    assert!(
        theirs["warnings"][0]
            .as_str()
            .unwrap()
            .contains("missing commit hashes")
    );
    let chat = scan(root.path())
        .unwrap()
        .repos
        .into_iter()
        .find(|r| r.repo_id == "other/tiny-chat")
        .unwrap();
    assert_eq!(
        chat.problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [ProblemKind::DanglingRef]
    );
}

#[test]
fn the_watcher_reports_another_programs_change_once_and_stops_when_dropped() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    let root = tempfile::tempdir().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let counter = calls.clone();
    let handle = modelshelf_core::cache::watch(root.path(), move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let _ = tx.send(Instant::now());
    })
    .unwrap();

    // Another process writes a burst of files, as a download in Python would.
    let started = Instant::now();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("mkdir -p models--a--b/blobs && for i in $(seq 1 50); do echo $i > models--a--b/blobs/f$i; done")
        .current_dir(root.path())
        .status()
        .unwrap();
    assert!(status.success());
    let told_at = rx
        .recv_timeout(Duration::from_secs(3))
        .expect("a change event");
    assert!(
        told_at - started < Duration::from_secs(1),
        "told after {:?}",
        told_at - started
    );
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one burst, one event");

    drop(handle);
    std::fs::write(root.path().join("after-drop"), "x").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a dropped watcher is silent"
    );
}

#[tokio::test]
async fn moving_the_cache_copies_verifies_then_removes_only_repositories() {
    let hub = FakeHub::start(demo_catalog());
    let from = tempfile::tempdir().unwrap();
    let to_parent = tempfile::tempdir().unwrap();
    let to = to_parent.path().join("models");
    download(&hub, from.path(), "acme/tiny-model", None, Selection::All).await;
    download(&hub, from.path(), "other/tiny-chat", None, Selection::All).await;
    std::fs::write(from.path().join("my-notes.txt"), "not part of the cache").unwrap();
    let before = scan(from.path()).unwrap();

    assert_eq!(
        modelshelf_core::cache::move_cache(
            from.path(),
            &from.path().join("inside"),
            &CancellationToken::new(),
            &|_| {}
        )
        .unwrap_err()
        .kind(),
        ErrorKind::InvalidInput
    );
    let freed =
        modelshelf_core::cache::move_cache(from.path(), &to, &CancellationToken::new(), &|_| {})
            .unwrap();
    assert_eq!(freed.bytes, before.size_on_disk);
    let after = scan(&to).unwrap();
    assert_eq!(after.size_on_disk, before.size_on_disk);
    assert_eq!(
        after.repos.iter().map(|r| &r.repo_id).collect::<Vec<_>>(),
        ["acme/tiny-model", "other/tiny-chat"]
    );
    assert!(
        after.repos.iter().all(|r| r.problems.is_empty()),
        "links still resolve: {:?}",
        after.repos
    );
    let pointer = to
        .join("models--acme--tiny-model/snapshots")
        .join(tiny().commit())
        .join("model.safetensors");
    assert_eq!(
        std::fs::read_link(&pointer).unwrap(),
        Path::new("../../blobs").join(tiny().get("model.safetensors").unwrap().etag())
    );
    assert!(!from.path().join("models--acme--tiny-model").exists());
    assert_eq!(
        std::fs::read_to_string(from.path().join("my-notes.txt")).unwrap(),
        "not part of the cache"
    );

    // Moving onto a folder that already has one of the repos is refused and changes nothing.
    download(&hub, from.path(), "other/tiny-chat", None, Selection::All).await;
    assert_eq!(
        modelshelf_core::cache::move_cache(from.path(), &to, &CancellationToken::new(), &|_| {})
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert!(from.path().join("models--other--tiny-chat").exists());
}
