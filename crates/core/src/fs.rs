//! Small file-system helpers the core shares: writing a file whole or not at all, hashing a
//! file, free space, removing empty folders, unique names for temporary files.

use std::io::Read as _;
use std::path::Path;

use sha2::Digest as _;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// A SHA-256 digest.
pub(crate) type Sha256 = [u8; 32];

/// Files are read (and hashed, and copied) in pieces of this size: large enough for disk speed,
/// small enough that a cancel is seen within milliseconds.
pub(crate) const READ_CHUNK: usize = 1 << 20;

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

/// Removes the empty folders below `dir`, deepest first, and `dir` itself if it ends up
/// empty; never a file, a link or a folder that holds one. Returns whether `dir` is gone.
pub(crate) fn remove_empty_folders(dir: &Path) -> bool {
    let is_real_dir = |path: &Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    if !is_real_dir(dir) {
        return false;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_folders(&entry.path());
            }
        }
    }
    // Fails, as it should, when anything is left inside.
    std::fs::remove_dir(dir).is_ok()
}

/// Writes `content` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let parent = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    replace_file(path, content)
}

/// The rename half of [`write_atomically`], in a folder that exists. The temporary file is
/// new (never an existing file or link); the rename replaces a link at `path`, not its target.
pub(crate) fn replace_file(path: &Path, content: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let parent = path.parent().expect("a file path has a parent");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = parent.join(format!(".{name}.{}.tmp", unique_suffix()));
    // `create_new` (O_EXCL) never opens an existing file or follows a link planted there.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io("creating", &tmp, e))
        .and_then(|mut file| {
            file.write_all(content)
                .map_err(|e| Error::io("writing", path, e))
        })
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io("renaming", path, e)));
    if written.is_err() {
        // A full disk must not leave a stray temporary file: Python reads every file under
        // refs/ as a ref.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Eight hex digits that differ between processes and calls.
pub(crate) fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded randomly per process; the counter separates calls.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    format!("{:08x}", hasher.finish() as u32)
}

/// The SHA-256 of a file, telling `read` how many bytes each chunk had.
pub(crate) fn digest(
    path: &Path,
    cancel: &CancellationToken,
    read: &mut dyn FnMut(u64),
) -> Result<Sha256> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("reading", path, e))?;
    digest_of(&mut file, path, cancel, &mut |chunk| {
        read(chunk.len() as u64);
        Ok(())
    })
}

/// Reads `source` (the file at `path`) to its end in [`READ_CHUNK`]s, handing each to `each` and
/// hashing it; a cancel is seen between chunks.
pub(crate) fn digest_of(
    source: &mut std::fs::File,
    path: &Path,
    cancel: &CancellationToken,
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<Sha256> {
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0; READ_CHUNK];
    loop {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let n = source
            .read(&mut buffer)
            .map_err(|e| Error::io("reading", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        each(&buffer[..n])?;
    }
    Ok(hasher.finalize().into())
}

/// Copies the file at `from` (described by `meta`) to `to`, a new file (O_EXCL: never an
/// existing file or a link planted there), with `from`'s permissions, hashing what it reads
/// and telling `copied` each chunk's size; the copy is flushed to the disk before this
/// returns, since callers delete or replace the original on the strength of it.
pub(crate) fn copy_new(
    from: &Path,
    to: &Path,
    meta: &std::fs::Metadata,
    cancel: &CancellationToken,
    copied: &mut dyn FnMut(u64),
) -> Result<Sha256> {
    use std::io::Write as _;
    let mut source = std::fs::File::open(from).map_err(|e| Error::io("reading", from, e))?;
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| Error::io("creating", to, e))?;
    let digest = digest_of(&mut source, from, cancel, &mut |chunk| {
        target
            .write_all(chunk)
            .map_err(|e| Error::io("copying", to, e))?;
        copied(chunk.len() as u64);
        Ok(())
    })?;
    target
        .set_permissions(meta.permissions())
        .map_err(|e| Error::io("copying", to, e))?;
    target.sync_all().map_err(|e| Error::io("copying", to, e))?;
    Ok(digest)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
