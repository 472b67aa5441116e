//! The standard Hugging Face cache, laid out exactly as Python's `huggingface_hub` writes it
//! (`models--org--name/{blobs,snapshots,refs}`, `.locks/`), so that Python, transformers and
//! llama.cpp reuse what Modelshelf downloads and Modelshelf shows what they downloaded.

mod delete;
mod partial;
mod relocate;
mod scan;
mod watch;

use std::io::ErrorKind as IoKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use self::delete::{Freed, prune};
pub use self::partial::{ChunkState, Partial, PartialState};
pub use self::relocate::{CacheCopy, MovePhase, MoveProgress, copy_cache, move_cache};
pub use self::scan::{
    CacheProblem, CacheScan, CachedFile, CachedRepo, CachedRevision, ProblemKind,
    parse_folder_name, scan,
};
pub use self::watch::{WatchHandle, watch};
use crate::error::{Error, Result};
use crate::hub::{RepoId, RepoType, is_commit_hash};

/// `models--org--name`: the folder of one repository inside the cache root.
pub fn repo_folder_name(repo_type: RepoType, repo: &RepoId) -> String {
    std::iter::once(repo_type.plural())
        .chain(repo.as_str().split('/'))
        .collect::<Vec<_>>()
        .join("--")
}

/// One repository's corner of the cache.
#[derive(Debug, Clone)]
pub struct RepoCache {
    root: PathBuf,
    folder: String,
    dir: PathBuf,
}

impl RepoCache {
    pub fn new(root: &Path, repo_type: RepoType, repo: &RepoId) -> RepoCache {
        let folder = repo_folder_name(repo_type, repo);
        RepoCache {
            root: root.to_owned(),
            dir: root.join(&folder),
            folder,
        }
    }

    /// `<root>/models--org--name`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.dir.join("blobs")
    }

    /// `blobs/<etag>`; the etag comes from the server, so it must be a plain hex name.
    pub fn blob_path(&self, etag: &str) -> Result<PathBuf> {
        let hex =
            !etag.is_empty() && etag.len() <= 128 && etag.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            return Err(Error::invalid(
                "blob name",
                format!("{etag:?} is not a hash"),
            ));
        }
        Ok(self.blobs_dir().join(etag))
    }

    /// `snapshots/<commit>/<path>`, for a commit hash and a path checked by
    /// [`crate::hub::validate_repo_path`].
    pub fn pointer_path(&self, commit: &str, path: &str) -> Result<PathBuf> {
        if !is_commit_hash(commit) {
            return Err(Error::invalid(
                "commit",
                format!("{commit:?} is not a commit hash"),
            ));
        }
        crate::hub::validate_repo_path(path)?;
        Ok(self.dir.join("snapshots").join(commit).join(path))
    }

    /// `refs/<revision>` (nested for `refs/pr/1`).
    fn ref_path(&self, revision: &str) -> Result<PathBuf> {
        crate::hub::validate_revision(revision)?;
        Ok(self.dir.join("refs").join(revision))
    }

    /// The commit a branch or tag pointed to when it was last downloaded.
    pub fn read_ref(&self, revision: &str) -> Option<String> {
        if is_commit_hash(revision) {
            return Some(revision.to_owned());
        }
        // Read verbatim, as Python does: a ref with a newline would not match a snapshot.
        std::fs::read_to_string(self.ref_path(revision).ok()?)
            .ok()
            .filter(|c| is_commit_hash(c))
    }

    /// Records that `revision` is at `commit`: exactly the 40 hex characters, no newline,
    /// replaced atomically. Nothing is written when the revision is the commit itself.
    pub fn write_ref(&self, revision: &str, commit: &str) -> Result<()> {
        if revision == commit {
            return Ok(());
        }
        if !is_commit_hash(commit) {
            return Err(Error::invalid(
                "commit",
                format!("{commit:?} is not a commit hash"),
            ));
        }
        let path = self.ref_path(revision)?;
        write_atomically(&path, commit.as_bytes())
    }

    /// `<root>/.locks/models--org--name/<etag>.lock`, the lock Python takes for the same blob.
    fn lock_path(&self, etag: &str) -> Result<PathBuf> {
        self.blob_path(etag)?;
        Ok(self
            .root
            .join(".locks")
            .join(&self.folder)
            .join(format!("{etag}.lock")))
    }

    /// Takes the blob's lock, waiting for another process or job that holds it (for example
    /// Python downloading the same file) until `cancel` fires.
    pub async fn lock_blob(&self, etag: &str, cancel: &CancellationToken) -> Result<BlobLock> {
        let path = self.lock_path(etag)?;
        let dir = path.parent().expect("lock path has a parent");
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("opening", &path, e))?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(BlobLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("locking", &path, e)),
            }
            tokio::select! {
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }

    /// Makes `snapshots/<commit>/<path>` a relative symlink to `blobs/<etag>`, replacing
    /// whatever was there.
    pub fn link(&self, commit: &str, path: &str, etag: &str) -> Result<PathBuf> {
        let pointer = self.pointer_path(commit, path)?;
        let blob = self.blob_path(etag)?;
        let parent = pointer.parent().expect("pointer has a parent");
        std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        // `../../blobs/<etag>` plus one `../` per folder of the path inside the repo.
        let depth = path.split('/').count() - 1;
        let target = Path::new(&"../".repeat(depth + 2)).join("blobs").join(etag);
        match std::fs::remove_file(&pointer) {
            Ok(()) => {}
            Err(e) if e.kind() == IoKind::NotFound => {}
            Err(e) => return Err(Error::io("replacing", &pointer, e)),
        }
        symlink(&target, &pointer).or_else(|e| {
            // Filesystems without symlinks get a copy, as Python does on Windows.
            if cfg!(unix) {
                Err(Error::io("linking", &pointer, e))
            } else {
                std::fs::copy(&blob, &pointer)
                    .map(|_| ())
                    .map_err(|e| Error::io("copying", &pointer, e))
            }
        })?;
        Ok(pointer)
    }

    /// Records that `path` does not exist at `commit`: the empty `.no_exist/<commit>/<path>`
    /// marker Python writes and reads.
    pub fn mark_missing(&self, commit: &str, path: &str) -> Result<()> {
        let pointer = self.pointer_path(commit, path)?;
        let marker = self.dir.join(".no_exist").join(
            pointer
                .strip_prefix(self.dir.join("snapshots"))
                .expect("pointer is under snapshots"),
        );
        let parent = marker.parent().expect("marker has a parent");
        std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        std::fs::File::create(&marker)
            .map(|_| ())
            .map_err(|e| Error::io("creating", &marker, e))
    }

    /// Whether `snapshots/<commit>/<path>` resolves to a file.
    pub fn has_pointer(&self, commit: &str, path: &str) -> bool {
        self.pointer_path(commit, path).is_ok_and(|p| p.is_file())
    }

    pub fn has_blob(&self, etag: &str) -> bool {
        self.blob_path(etag).is_ok_and(|p| p.is_file())
    }
}

/// An exclusive lock on one blob, released when dropped (on every exit path).
#[derive(Debug)]
pub struct BlobLock {
    _file: std::fs::File,
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

/// Free bytes on the filesystem that holds `path` (or would hold it, when it does not exist
/// yet); `None` when that cannot be told.
pub fn free_space(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    statvfs_free(existing)
}

#[cfg(unix)]
fn statvfs_free(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` is a valid out-pointer.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Some(u64::from(stat.f_bavail) * u64::from(stat.f_frsize))
}

#[cfg(not(unix))]
fn statvfs_free(_path: &Path) -> Option<u64> {
    None
}

/// Writes `content` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let parent = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = parent.join(format!(".{name}.{}.tmp", partial::unique_suffix()));
    let written = std::fs::write(&tmp, content)
        .map_err(|e| Error::io("writing", path, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io("renaming", path, e)));
    if written.is_err() {
        // A full disk must not leave a stray temporary file: Python reads every file under
        // refs/ as a ref.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_cache(root: &Path) -> RepoCache {
        RepoCache::new(root, RepoType::Model, &RepoId::parse("org/name").unwrap())
    }

    const COMMIT: &str = "8b3861f6931c4026b0cd22b38dbc09e7668983ac";

    #[test]
    fn folder_names_match_python() {
        let repo = RepoId::parse("julien-c/EsperBERTo-small").unwrap();
        assert_eq!(
            repo_folder_name(RepoType::Model, &repo),
            "models--julien-c--EsperBERTo-small"
        );
        let repo = RepoId::parse("gpt2").unwrap();
        assert_eq!(repo_folder_name(RepoType::Dataset, &repo), "datasets--gpt2");
    }

    #[test]
    fn refs_are_forty_hex_without_newline_and_nested_for_prs() {
        let dir = tempfile::tempdir().unwrap();
        let cache = repo_cache(dir.path());
        cache.write_ref("refs/pr/1", COMMIT).unwrap();
        let raw = std::fs::read(dir.path().join("models--org--name/refs/refs/pr/1")).unwrap();
        assert_eq!(raw, COMMIT.as_bytes());
        assert_eq!(cache.read_ref("refs/pr/1").as_deref(), Some(COMMIT));
        cache.write_ref(COMMIT, COMMIT).unwrap();
        assert!(
            !dir.path()
                .join("models--org--name/refs")
                .join(COMMIT)
                .exists()
        );
        assert!(cache.write_ref("../escape", COMMIT).is_err());
        assert!(cache.write_ref("main", "not-a-commit").is_err());
    }

    #[test]
    fn pointers_are_relative_symlinks_one_level_up_per_folder() {
        let dir = tempfile::tempdir().unwrap();
        let cache = repo_cache(dir.path());
        std::fs::create_dir_all(cache.blobs_dir()).unwrap();
        std::fs::write(cache.blob_path("abcd").unwrap(), b"x").unwrap();
        let pointer = cache.link(COMMIT, "sub/dir/file.bin", "abcd").unwrap();
        assert_eq!(
            std::fs::read_link(&pointer).unwrap(),
            Path::new("../../../../blobs/abcd")
        );
        assert_eq!(std::fs::read(&pointer).unwrap(), b"x");
        let top = cache.link(COMMIT, "config.json", "abcd").unwrap();
        assert_eq!(
            std::fs::read_link(top).unwrap(),
            Path::new("../../blobs/abcd")
        );
        assert!(cache.has_pointer(COMMIT, "config.json"));
    }

    #[test]
    fn server_names_cannot_escape_the_repo_folder() {
        let cache = repo_cache(Path::new("/c"));
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../x",
            "a\\b",
            "a\0b",
            "",
            "a//b",
            "./a",
            "C:/x",
        ] {
            assert!(cache.pointer_path(COMMIT, bad).is_err(), "{bad:?}");
        }
        assert!(cache.blob_path("../../etc").is_err());
        assert!(cache.blob_path("abc/def").is_err());
    }

    #[tokio::test]
    async fn a_held_blob_lock_makes_the_next_wait_until_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let cache = repo_cache(dir.path());
        let cancel = CancellationToken::new();
        let held = cache.lock_blob("abcd", &cancel).await.unwrap();
        assert!(
            dir.path()
                .join(".locks/models--org--name/abcd.lock")
                .exists()
        );
        let waiter = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            waiter.cancel();
        });
        assert!(matches!(
            cache.lock_blob("abcd", &cancel).await,
            Err(Error::Cancelled)
        ));
        drop(held);
        cache
            .lock_blob("abcd", &CancellationToken::new())
            .await
            .unwrap();
    }
}
