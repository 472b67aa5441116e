//! The standard Hugging Face cache, laid out exactly as Python's `huggingface_hub` writes it
//! (`models--org--name/{blobs,snapshots,refs}`, `.locks/`), so that Python, transformers and
//! llama.cpp reuse what Modelshelf downloads and Modelshelf shows what they downloaded.

mod confine;
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
use crate::fs::{remove_empty_folders, replace_file};
use crate::repo::{RepoId, RepoType, is_commit_hash};

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
    /// [`crate::repo::validate_repo_path`].
    pub fn pointer_path(&self, commit: &str, path: &str) -> Result<PathBuf> {
        if !is_commit_hash(commit) {
            return Err(Error::invalid(
                "commit",
                format!("{commit:?} is not a commit hash"),
            ));
        }
        crate::repo::validate_repo_path(path)?;
        Ok(self.dir.join("snapshots").join(commit).join(path))
    }

    /// `refs/<revision>` (nested for `refs/pr/1`).
    fn ref_path(&self, revision: &str) -> Result<PathBuf> {
        crate::repo::validate_revision(revision)?;
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
        self.write_atomically(&path, commit.as_bytes())
    }

    /// [`crate::fs::write_atomically`] for a file of this cache: its folders are created and checked
    /// without following a link.
    fn write_atomically(&self, path: &Path, content: &[u8]) -> Result<()> {
        let parent = path.parent().expect("a file path has a parent");
        confine::create_dir(&self.root, parent)?;
        replace_file(path, content)
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
        confine::create_dir(&self.root, dir)?;
        let file = open_lock_file(&path)?;
        loop {
            if took_lock(&file, &path)? {
                return Ok(BlobLock { _file: file });
            }
            tokio::select! {
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }

    /// Takes the blob's lock if nobody holds it.
    pub fn try_lock_blob(&self, etag: &str) -> Result<Option<BlobLock>> {
        let path = self.lock_path(etag)?;
        confine::create_dir(&self.root, path.parent().expect("lock path has a parent"))?;
        let file = open_lock_file(&path)?;
        Ok(took_lock(&file, &path)?.then_some(BlobLock { _file: file }))
    }

    /// Makes `snapshots/<commit>/<path>` a relative symlink to `blobs/<etag>`, replacing
    /// whatever was there.
    pub fn link(&self, commit: &str, path: &str, etag: &str) -> Result<PathBuf> {
        let pointer = self.pointer_path(commit, path)?;
        let blob = self.blob_path(etag)?;
        let parent = pointer.parent().expect("pointer has a parent");
        confine::create_dir(&self.root, parent)?;
        // `../../blobs/<etag>` plus one `../` per folder of the path inside the repo.
        let depth = path.split('/').count() - 1;
        let target = Path::new(&"../".repeat(depth + 2)).join("blobs").join(etag);
        // Removing a link removes the link, never what it points to.
        match std::fs::remove_file(&pointer) {
            Ok(()) => {}
            Err(e) if e.kind() == IoKind::NotFound => {}
            Err(e) => return Err(Error::io("replacing", &pointer, e)),
        }
        symlink(&target, &pointer).or_else(|e| {
            // Another program linked the same pointer between our remove and our link (older
            // Pythons link outside the blob lock when the blob is already there).
            if e.kind() == IoKind::AlreadyExists
                && std::fs::read_link(&pointer).is_ok_and(|t| t == target)
            {
                Ok(())
            } else if cfg!(unix) {
                // Filesystems without symlinks get a copy, as Python does on Windows.
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
        confine::create_dir(&self.root, parent)?;
        confine::open(
            &marker,
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true),
        )
        .map(|_| ())
    }

    /// Refuses a file the file system cannot hold at `snapshots/<commit>/<path>` (the longest
    /// name it gets; `.no_exist/` is as long): a name longer than `limits.name_bytes`, or a
    /// whole path of `limits.path_bytes` or more.
    pub fn check_fits(&self, commit: &str, path: &str, limits: NameLimits) -> Result<()> {
        let pointer = self.pointer_path(commit, path)?;
        let too_long = |reason: String| {
            Err(Error::invalid(
                "file name",
                format!(
                    "{path:?} cannot be stored in {}: {reason}. Leave it out of the download \
                     (exclude it) to get the other files",
                    self.root.display()
                ),
            ))
        };
        if let Some(name) = path.split('/').find(|n| n.len() > limits.name_bytes) {
            return too_long(format!(
                "a name in it is {} bytes long and the file system takes at most {}",
                name.len(),
                limits.name_bytes
            ));
        }
        let length = pointer.as_os_str().len();
        if length >= limits.path_bytes {
            return too_long(format!(
                "its path in the cache is {length} bytes long and the file system takes at \
                 most {}",
                limits.path_bytes - 1
            ));
        }
        Ok(())
    }

    /// Whether `snapshots/<commit>/<path>` resolves to a file.
    pub fn has_pointer(&self, commit: &str, path: &str) -> bool {
        self.pointer_path(commit, path).is_ok_and(|p| p.is_file())
    }

    /// Whether `blobs/<etag>` is a real file. A link planted there is not taken for the blob
    /// (its bytes were never checked); the download replaces it.
    pub fn has_blob(&self, etag: &str) -> bool {
        self.blob_path(etag)
            .is_ok_and(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
    }

    /// Makes `file` (another app's copy, whose sha256 is `sha256`) the blob `blobs/<sha256>` by
    /// a hard link: no bytes are copied, and the app keeps its file. A blob already there is
    /// kept. Returns whether a link was made.
    ///
    /// # Errors
    ///
    /// [`Error::LinkInCache`]; [`Error::Io`], with `EXDEV` when `file` is on another file
    /// system than the cache.
    pub fn adopt_blob(&self, file: &Path, sha256: &str) -> Result<bool> {
        if !crate::repo::is_sha256(sha256) {
            return Err(Error::invalid(
                "blob name",
                format!("{sha256:?} is not a sha256"),
            ));
        }
        if self.has_blob(sha256) {
            return Ok(false);
        }
        let blob = self.blob_path(sha256)?;
        confine::create_dir(&self.root, &self.blobs_dir())?;
        match std::fs::hard_link(file, &blob) {
            Ok(()) => Ok(true),
            // A download (here or in Python) finished the same blob meanwhile.
            Err(e) if e.kind() == IoKind::AlreadyExists && self.has_blob(sha256) => Ok(false),
            Err(e) => Err(Error::io("linking", &blob, e)),
        }
    }

    /// Removes the folders of this repo that hold no file (the repo's own too, when nothing
    /// is in it), unless a download of the repo holds a blob lock here or in another program
    /// (it makes `blobs/` and `snapshots/` under one).
    pub fn remove_empty_folders(&self) -> Result<()> {
        if self.busy_blob()?.is_none() {
            remove_empty_folders(&self.dir);
        }
        Ok(())
    }

    /// Refuses a link Modelshelf did not make in the folders it is about to use for
    /// `commit`: the repo folder, `blobs/`, `snapshots/<commit>/`, `refs/`, `.no_exist/`,
    /// `.locks/` and `.locks/<repo>/`. Called before anything is fetched, so a planted link
    /// costs no download; each write checks its own folders again.
    pub fn refuse_links(&self, commit: &str) -> Result<()> {
        let locks = self.root.join(".locks").join(&self.folder);
        let folders = [
            self.blobs_dir(),
            self.dir.join("snapshots").join(commit),
            self.dir.join("refs"),
            self.dir.join(".no_exist").join(commit),
            locks,
        ];
        for folder in folders {
            confine::check_folders(&self.root, &folder.join("x"))?;
        }
        Ok(())
    }
}

/// Opens (creating) a lock file the way Python's `filelock` does, without following a link.
/// A new one is made group-writable (0o664, as Python makes them), so that the other users of
/// a shared cache can open it to wait for the lock. One another user made may still be
/// read-only for us; `flock` works through a read-only handle too.
fn open_lock_file(path: &Path) -> Result<std::fs::File> {
    let options = || std::fs::OpenOptions::new();
    match confine::open(path, options().write(true).create_new(true)) {
        Ok(file) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                // Not fatal: the lock works, only other users may have to wait without it.
                let _ = file.set_permissions(std::fs::Permissions::from_mode(0o664));
            }
            return Ok(file);
        }
        Err(Error::Io { source, .. }) if source.kind() == IoKind::AlreadyExists => {}
        Err(other) => return Err(other),
    }
    match confine::open(path, options().write(true)) {
        Err(Error::Io { source, .. }) if source.kind() == IoKind::PermissionDenied => {
            confine::open(path, options().read(true))
        }
        other => other,
    }
}

/// Whether `file`'s lock was free and is now ours.
fn took_lock(file: &std::fs::File, path: &Path) -> Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("locking", path, e)),
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

/// How long a name and a path the file system that holds the cache takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameLimits {
    /// Bytes in one file or folder name (`NAME_MAX`).
    pub name_bytes: usize,
    /// Bytes in a whole path, counting its final NUL (`PATH_MAX`).
    pub path_bytes: usize,
}

/// The [`NameLimits`] of the filesystem that holds `root` (or would hold it, when it does not
/// exist yet); Linux's usual 255 and 4096 when that cannot be told.
pub fn name_limits(root: &Path) -> NameLimits {
    let existing = root.ancestors().find(|p| p.exists());
    let limit = |name| existing.and_then(|p| pathconf(p, name));
    NameLimits {
        name_bytes: limit(Limit::Name).unwrap_or(255),
        path_bytes: limit(Limit::Path).unwrap_or(4096),
    }
}

enum Limit {
    Name,
    Path,
}

#[cfg(unix)]
fn pathconf(path: &Path, limit: Limit) -> Option<usize> {
    use std::os::unix::ffi::OsStrExt as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let name = match limit {
        Limit::Name => libc::_PC_NAME_MAX,
        Limit::Path => libc::_PC_PATH_MAX,
    };
    // SAFETY: `c_path` is a valid NUL-terminated string.
    let value = unsafe { libc::pathconf(c_path.as_ptr(), name) };
    // -1 means no limit or an error; both leave the default.
    usize::try_from(value).ok().filter(|v| *v > 0)
}

#[cfg(not(unix))]
fn pathconf(_path: &Path, _limit: Limit) -> Option<usize> {
    None
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

    #[test]
    fn names_longer_than_the_file_system_takes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = repo_cache(dir.path());
        let limits = name_limits(dir.path());
        assert_eq!(limits.name_bytes, 255, "{limits:?}");
        cache.check_fits(COMMIT, "sub/model.gguf", limits).unwrap();
        let long = format!("{}.bin", "x".repeat(300));
        let err = cache.check_fits(COMMIT, &long, limits).unwrap_err();
        assert!(
            err.to_string().contains("is 304 bytes long") && err.to_string().contains("255"),
            "{err}"
        );
        // 4,019 bytes: a valid repo path, too long once under the cache root.
        let deep = vec!["d".repeat(200); 20].join("/");
        let err = cache.check_fits(COMMIT, &deep, limits).unwrap_err();
        assert!(err.to_string().contains("4095"), "{err}");
    }

    #[test]
    fn planted_links_are_refused_and_nothing_is_written_through_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("config.json"), b"keep").unwrap();
        let cache = repo_cache(&root);
        std::fs::create_dir_all(cache.dir().join("snapshots")).unwrap();
        symlink(&outside, &cache.dir().join("snapshots").join(COMMIT)).unwrap();
        std::fs::create_dir_all(cache.blobs_dir()).unwrap();
        std::fs::write(cache.blob_path("abcd").unwrap(), b"x").unwrap();
        symlink(&outside, &cache.dir().join(".no_exist")).unwrap();

        for err in [
            cache.refuse_links(COMMIT).unwrap_err(),
            cache.link(COMMIT, "config.json", "abcd").unwrap_err(),
            cache.mark_missing(COMMIT, "config.json").unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::LinkInCache { target, .. } if *target == outside),
                "{err}"
            );
        }
        assert_eq!(std::fs::read(outside.join("config.json")).unwrap(), b"keep");
        assert!(
            !std::fs::symlink_metadata(outside.join("config.json"))
                .unwrap()
                .is_symlink()
        );

        symlink(&outside, &cache.dir().join("refs")).unwrap();
        assert!(matches!(
            cache.write_ref("main", COMMIT),
            Err(Error::LinkInCache { .. })
        ));
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    }

    // Paused time: the 150 ms before the cancel pass at once; the waiting is the logic here.
    #[tokio::test(start_paused = true)]
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

    #[cfg(unix)]
    #[tokio::test]
    async fn lock_files_are_group_writable_like_pythons_and_read_only_ones_still_lock() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cache = repo_cache(dir.path());
        let cancel = CancellationToken::new();
        drop(cache.lock_blob("abcd", &cancel).await.unwrap());
        let path = dir.path().join(".locks/models--org--name/abcd.lock");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o664, "{mode:o}");

        // Another user's lock file, read-only for us (as root the write open succeeds anyway).
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let held = cache.lock_blob("abcd", &cancel).await.unwrap();
        let other = std::fs::File::open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        other.try_lock().unwrap();
    }
}
