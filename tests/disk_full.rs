//! A full disk: the engine refuses a download that cannot fit before fetching a byte, and a
//! disk that fills up mid-file ends the download with `ErrorKind::DiskFull` (and the partial
//! data resumes once there is room again); a ref that cannot be written leaves nothing behind;
//! another app's copy on another file system than the cache is left alone by `dedupe`.
//! The cache is a small tmpfs, so these tests need root; `scripts/test` skips them
//! (`--skip disk_full::`) when it is not root.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use modelshelf_core::error::{Error, ErrorKind};
use modelshelf_core::hub::HubClient;
use modelshelf_core::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use modelshelf_core::repo::RepoType;
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use fake_hub::{FakeHub, Faults, demo_catalog};

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(
            euid, 0,
            "the disk-full tests mount a tmpfs, which needs root; run them as root, or skip \
             them with `--skip disk_full::` (scripts/test does when it is not root)"
        );
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("cache");
        std::fs::create_dir(&dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "cannot mount a tmpfs on {} ({}): {}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs {
            dir,
            _parent: parent,
        }
    }

    fn path(&self) -> &Path {
        &self.dir
    }

    /// Every file (not folder) under the mount.
    fn files(&self) -> Vec<PathBuf> {
        Tmpfs::walk(&self.dir)
    }

    /// Every file (not folder) under `dir`.
    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                out.extend(Tmpfs::walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Something still has a file open there: detach now, the kernel frees it later.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

fn provisioner(hub: &FakeHub, root: &Path) -> ModelProvisioner {
    let client = HubClient::new(&hub.endpoint(), None).unwrap();
    let options = TransferOptions {
        stall_timeout: Duration::from_secs(5),
        max_attempts: 2,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        ..TransferOptions::default()
    };
    ModelProvisioner::new(HuggingFaceVendor::new(client, options), root)
}

fn one_file(path: &str) -> ModelRequest {
    ModelRequest::new(
        RepoType::Model,
        "acme/tiny-model",
        None,
        Selection::Files(vec![path.into()]),
    )
    .unwrap()
}

async fn provision(p: &ModelProvisioner, request: &ModelRequest) -> Result<ModelEntry, Error> {
    p.provision(request, "disk", CancellationToken::new(), &())
        .await
}

fn content(path: &str) -> Vec<u8> {
    demo_catalog()[0].get(path).unwrap().content.to_vec()
}

#[tokio::test]
#[ignore = "needs root to mount a tmpfs; run by scripts/test"]
async fn a_download_that_cannot_fit_is_refused_before_a_byte_moves() {
    let disk = Tmpfs::mount("256k");
    let hub = FakeHub::start(demo_catalog());
    let p = provisioner(&hub, disk.path());

    let err = provision(&p, &one_file("model.safetensors"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DiskFull, "{err}");
    assert!(
        matches!(err, Error::DiskFull { needed: 300_000, available, .. } if available <= 256 * 1024),
        "{err:?}"
    );
    assert_eq!(hub.body_bytes_sent(), 0, "not a byte was fetched");
    assert!(
        !hub.requests().iter().any(|r| r.method == "GET"),
        "no GET: {:#?}",
        hub.requests()
    );
    assert_eq!(disk.files(), Vec::<PathBuf>::new(), "nothing in the cache");

    // The check is about size: what fits is downloaded; the snapshot, which does not, is not.
    let small = provision(&p, &one_file("gguf/tiny-Q4_K_M.gguf"))
        .await
        .unwrap();
    assert_eq!(small.bytes_fetched, 100_000);
    let sent = hub.body_bytes_sent();
    let all = ModelRequest::new(RepoType::Model, "acme/tiny-model", None, Selection::All).unwrap();
    let err = provision(&p, &all).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DiskFull, "{err}");
    assert_eq!(hub.body_bytes_sent(), sent);
}

#[tokio::test]
#[ignore = "needs root to mount a tmpfs; run by scripts/test"]
async fn a_disk_filling_up_mid_file_is_reported_as_disk_full_and_resumes_later() {
    let disk = Tmpfs::mount("256k");
    let hub = FakeHub::start(demo_catalog());
    let p = provisioner(&hub, disk.path());
    let path = "gguf/tiny-Q4_K_M.gguf";
    let size = 100_000u64;

    // 2 s for the file; the free-space check (100 kB of 256 KiB) passes before the first byte.
    hub.set_faults(Faults {
        throttle: Some(50_000),
        ..Faults::default()
    });
    let task = {
        let p = p.clone();
        tokio::spawn(async move { provision(&p, &one_file(path)).await })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while hub.body_bytes_sent() < 20_000 {
        assert!(!task.is_finished(), "the download ended early");
        assert!(Instant::now() < deadline, "no bytes flow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Someone else fills the disk while the file is coming in.
    let filler_path = fill(disk.path());
    assert!(
        hub.body_bytes_sent() < size,
        "the disk was full before the file was done"
    );

    let err = tokio::time::timeout(Duration::from_secs(20), task)
        .await
        .expect("the download ends")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DiskFull, "{err:?}");
    let repo = disk.path().join("models--acme--tiny-model");
    assert!(
        !repo.join("snapshots").exists() && !repo.join("refs").exists(),
        "no pointer, no ref"
    );
    let etag = demo_catalog()[0].get(path).unwrap().etag();
    assert!(!repo.join("blobs").join(&etag).exists(), "no blob");

    // Room again: the same request finishes from the partial data, byte-identical.
    std::fs::remove_file(&filler_path).unwrap();
    hub.set_faults(Faults::default());
    let entry = provision(&p, &one_file(path)).await.unwrap();
    assert_eq!(
        std::fs::read(&entry.files[0].local_path).unwrap(),
        content(path)
    );
    assert!(
        entry.bytes_fetched < size,
        "resumed, fetched {} bytes",
        entry.bytes_fetched
    );
    assert!(
        hub.requests()
            .iter()
            .any(|r| r.range.as_deref().is_some_and(|r| r != "bytes=0-")),
        "resumed with a Range request"
    );
}

/// Fills the file system at `dir` to the last byte with `dir/filler`; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut filler = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    let full = loop {
        if let Err(e) = filler.write_all(&block) {
            break e;
        }
    };
    assert_eq!(full.raw_os_error(), Some(libc::ENOSPC), "{full}");
    path
}

#[tokio::test]
#[ignore = "needs root to mount a tmpfs; run by scripts/test"]
async fn a_full_disk_leaves_no_half_written_ref_behind() {
    let disk = Tmpfs::mount("256k");
    let hub = FakeHub::start(demo_catalog());
    let p = provisioner(&hub, disk.path());
    let path = "gguf/tiny-Q4_K_M.gguf";
    provision(&p, &one_file(path)).await.unwrap();

    // The blob is there, so the tag needs no byte: only its ref file, which cannot be written.
    let filler = fill(disk.path());
    let tagged = ModelRequest::new(
        RepoType::Model,
        "acme/tiny-model",
        Some("v1.0"),
        Selection::Files(vec![path.into()]),
    )
    .unwrap();
    let err = provision(&p, &tagged).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DiskFull, "{err:?}");
    let repo = disk.path().join("models--acme--tiny-model");
    assert!(!repo.join("refs/v1.0").exists(), "the tag was not recorded");
    // Python's scan_cache_dir reads every file under refs/ (hidden ones too): an empty
    // leftover there makes it report the repo as corrupted and drop it from the scan.
    let leftovers: Vec<PathBuf> = Tmpfs::walk(&repo)
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "a failed atomic write leaves its temporary file: {leftovers:?}"
    );

    // Room again: the tag is recorded, and refs/ holds exactly the refs.
    std::fs::remove_file(filler).unwrap();
    provision(&p, &tagged).await.unwrap();
    let mut refs: Vec<PathBuf> = Tmpfs::walk(&repo.join("refs"));
    refs.sort();
    assert_eq!(refs, [repo.join("refs/main"), repo.join("refs/v1.0")]);
}

/// A hard link cannot cross file systems: an LM Studio folder on a tmpfs holding a copy of a
/// cache file is reported as such by `dedupe` and left as it is by `dedupe --apply`.
#[test]
#[ignore = "needs root to mount a tmpfs; run by scripts/test"]
fn dedupe_leaves_a_copy_on_another_file_system_alone() {
    use std::os::unix::fs::MetadataExt as _;
    let home = Tmpfs::mount("8m");
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("hub");
    let content = b"GGUF and weights".repeat(4096);
    crate::shelf::cached_file(&cache, "acme/tiny-GGUF", "tiny-Q4_K_M.gguf", &content);
    let copy = home
        .path()
        .join(".lmstudio/models/acme/tiny-GGUF/tiny-Q4_K_M.gguf");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, &content).unwrap();
    let inode = std::fs::metadata(&copy).unwrap().ino();
    let run = |args: &[&str]| {
        let mut command =
            crate::support::cli::command("http://127.0.0.1:9", &cache, home.path(), args);
        command
            .env("HOME", home.path())
            .env_remove("OLLAMA_MODELS")
            .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"));
        crate::support::cli::finish(command.spawn().unwrap(), Duration::from_secs(20))
    };
    for args in [&["dedupe"][..], &["dedupe", "--apply"]] {
        let out = run(args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(
            text.contains("on another file system: left alone"),
            "{args:?}: {text}"
        );
        assert_eq!(std::fs::metadata(&copy).unwrap().ino(), inode);
        assert_eq!(std::fs::read(&copy).unwrap(), content);
    }
    assert_eq!(
        home.files(),
        vec![copy],
        "nothing else was written on the tmpfs"
    );
}
