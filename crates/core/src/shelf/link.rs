//! Making another app's copy of a cache file one copy with it (a hard link), and separate
//! again. Each step leaves the app's path holding the whole file: the link is made under a
//! temporary name in the same folder, its bytes are compared with the app's file, and only then
//! renamed over it, which replaces the name in one step (rename(2)); a process killed at any
//! point leaves the old file or the new link, never a gap. The app keeps its path and name.

use std::fs::Metadata;
use std::io::Read as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use super::CacheRef;
use crate::error::{Error, Result, ShareRefusal};

/// Temporary names start with the file's own name, so a leftover is easy to place, and carry
/// this mark, so only Modelshelf's leftovers are ever removed.
const SHARE_MARK: &str = "modelshelf-share";
const COPY_MARK: &str = "modelshelf-copy";

/// Replaces `file` (another app's copy) by a hard link to the cache's blob in `cached`, after
/// checking byte for byte that they are the same; `compared` hears the bytes as they are read.
/// Returns the bytes given back: the file's size, or 0 when other links still hold its old copy.
///
/// # Errors
///
/// [`Error::NotShared`] saying why (another file system, different bytes, a file that changed
/// meanwhile, permissions its app would lose); [`Error::Io`]; [`Error::Cancelled`]. On every
/// error `file` is as it was.
pub fn share(
    file: &Path,
    cached: &CacheRef,
    cancel: &CancellationToken,
    compared: &mut dyn FnMut(u64),
) -> Result<u64> {
    let refuse = |reason| Error::NotShared {
        path: file.to_owned(),
        reason,
    };
    let theirs = plain_file(file)?;
    let ours =
        std::fs::metadata(&cached.blob).map_err(|e| Error::io("reading", &cached.blob, e))?;
    if theirs.dev() != ours.dev() {
        return Err(refuse(ShareRefusal::OtherFileSystem));
    }
    if theirs.ino() == ours.ino() {
        return Err(refuse(ShareRefusal::AlreadyShared));
    }
    if theirs.len() != ours.len() {
        return Err(refuse(ShareRefusal::DifferentBytes));
    }
    if !still_readable(&theirs, &ours) {
        return Err(refuse(ShareRefusal::WouldHideFromItsApp));
    }
    remove_leftovers(file, SHARE_MARK);
    let link = temporary_name(file, SHARE_MARK);
    std::fs::hard_link(&cached.blob, &link).map_err(|e| {
        // Bind mounts of one file system share its device number but not its links.
        if e.raw_os_error() == Some(libc::EXDEV) {
            refuse(ShareRefusal::OtherFileSystem)
        } else {
            Error::io("linking", &link, e)
        }
    })?;
    let replaced = same_bytes(file, &link, cancel, compared).and_then(|same| {
        if !same {
            return Err(refuse(ShareRefusal::DifferentBytes));
        }
        // The app may have rewritten its file while it was being read.
        if !unchanged(&theirs, file) {
            return Err(refuse(ShareRefusal::ChangedMeanwhile));
        }
        std::fs::rename(&link, file).map_err(|e| Error::io("replacing", file, e))
    });
    if replaced.is_err() {
        let _ = std::fs::remove_file(&link);
    }
    replaced?;
    sync_folder(file);
    Ok(if theirs.nlink() == 1 { theirs.len() } else { 0 })
}

/// Makes `file`, a hard link shared with other paths (the cache's blob), a copy of its own
/// again, with the same permissions; `copied` hears the bytes as they are written. Needs the
/// file's size free on its disk, which is checked first.
///
/// # Errors
///
/// [`Error::NotShared`] ([`ShareRefusal::AlreadySeparate`]); [`Error::DiskFull`];
/// [`Error::Io`]; [`Error::Cancelled`]. On every error `file` is as it was.
pub fn separate(
    file: &Path,
    cancel: &CancellationToken,
    copied: &mut dyn FnMut(u64),
) -> Result<()> {
    let meta = plain_file(file)?;
    if meta.nlink() < 2 {
        return Err(Error::NotShared {
            path: file.to_owned(),
            reason: ShareRefusal::AlreadySeparate,
        });
    }
    remove_leftovers(file, COPY_MARK);
    let available = crate::fs::free_space(file).unwrap_or(u64::MAX);
    if available < meta.len() {
        return Err(Error::DiskFull {
            path: file.to_owned(),
            needed: meta.len(),
            available,
        });
    }
    let copy = temporary_name(file, COPY_MARK);
    let written = copy_to(file, &copy, &meta, cancel, copied).and_then(|()| {
        // The app may have put a new file there during a copy of minutes: it stays.
        if !unchanged(&meta, file) {
            return Err(Error::NotShared {
                path: file.to_owned(),
                reason: ShareRefusal::ChangedMeanwhile,
            });
        }
        std::fs::rename(&copy, file).map_err(|e| Error::io("replacing", file, e))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&copy);
    }
    written?;
    sync_folder(file);
    Ok(())
}

/// Puts a hard link to `blob` at `target`, in the app's folder `store`, making the folders
/// below `store` it needs without following a link on the way. A link that is there already is
/// kept; any other file there is refused, never replaced (link(2) does not overwrite, so a file
/// that appears meanwhile is safe too). Returns whether a link was made.
///
/// # Errors
///
/// [`Error::NotShared`] ([`ShareRefusal::Occupied`], [`ShareRefusal::OtherFileSystem`],
/// [`ShareRefusal::LinkOnTheWay`]); [`Error::Io`].
pub fn place_link(blob: &Path, store: &Path, target: &Path) -> Result<bool> {
    let refuse = |reason| Error::NotShared {
        path: target.to_owned(),
        reason,
    };
    let ours = std::fs::metadata(blob).map_err(|e| Error::io("reading", blob, e))?;
    if let Ok(there) = std::fs::symlink_metadata(target) {
        return if there.dev() == ours.dev() && there.ino() == ours.ino() {
            Ok(false)
        } else {
            Err(refuse(ShareRefusal::Occupied))
        };
    }
    // Before any folder is made: a link cannot reach another file system, and the app (whoever
    // owns its folder, perhaps a service user) must be able to read the cache's inode.
    let nearest = target.ancestors().skip(1).find(|a| a.exists());
    let Some(folder_meta) = nearest.and_then(|a| std::fs::metadata(a).ok()) else {
        return Err(refuse(ShareRefusal::OtherFileSystem));
    };
    if folder_meta.dev() != ours.dev() {
        return Err(refuse(ShareRefusal::OtherFileSystem));
    }
    if !still_readable(&folder_meta, &ours) {
        return Err(refuse(ShareRefusal::WouldHideFromItsApp));
    }
    let folder = target.parent().expect("a file path has a parent");
    create_folders(store, folder)?;
    match std::fs::hard_link(blob, target) {
        Ok(()) => {
            sync_folder(target);
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(refuse(ShareRefusal::Occupied))
        }
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            Err(refuse(ShareRefusal::OtherFileSystem))
        }
        Err(e) => Err(Error::io("linking", target, e)),
    }
}

/// Writes `content` as the new file `path` (in the app's folder `store`) with mode 0644, so
/// its app can read it whoever runs Modelshelf: written under a temporary name, then linked to
/// `path`, which never replaces a file there. Returns whether it was written (false when the
/// same bytes are there already).
///
/// # Errors
///
/// [`Error::NotShared`] ([`ShareRefusal::Occupied`] when other content is there,
/// [`ShareRefusal::LinkOnTheWay`]); [`Error::Io`].
pub(super) fn publish_new(store: &Path, path: &Path, content: &[u8]) -> Result<bool> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let occupied = || Error::NotShared {
        path: path.to_owned(),
        reason: ShareRefusal::Occupied,
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() == content.len() as u64 => {
            let there = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
            return if there == content {
                Ok(false)
            } else {
                Err(occupied())
            };
        }
        Ok(_) => return Err(occupied()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("reading", path, e)),
    }
    let folder = path.parent().expect("a file path has a parent");
    create_folders(store, folder)?;
    let tmp = temporary_name(path, SHARE_MARK);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .and_then(|mut f| {
            f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
            f.write_all(content)?;
            f.sync_all()
        })
        .map_err(|e| Error::io("writing", &tmp, e))
        .and_then(|()| {
            std::fs::hard_link(&tmp, path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    occupied()
                } else {
                    Error::io("writing", path, e)
                }
            })
        });
    let _ = std::fs::remove_file(&tmp);
    written?;
    sync_folder(path);
    Ok(true)
}

/// Makes `dir` and the folders between `root` and it, each a real folder: a link or a file on
/// the way is refused, never written through (`root` itself may be a link the person made).
fn create_folders(root: &Path, dir: &Path) -> Result<()> {
    let below = dir
        .strip_prefix(root)
        .map_err(|_| Error::Internal(format!("{} is not in {}", dir.display(), root.display())))?;
    // The app's models folder itself may not exist yet (installed, nothing downloaded).
    std::fs::create_dir_all(root).map_err(|e| Error::io("creating", root, e))?;
    let mut at = root.to_owned();
    for part in below.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                return Err(Error::NotShared {
                    path: at,
                    reason: ShareRefusal::LinkOnTheWay,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("reading", &at, e)),
        }
        match std::fs::create_dir(&at) {
            Ok(()) => {}
            // Made meanwhile: checked again on the next turn of the loop below.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir()) {
                    return Err(Error::NotShared {
                        path: at,
                        reason: ShareRefusal::LinkOnTheWay,
                    });
                }
            }
            Err(e) => return Err(Error::io("creating", &at, e)),
        }
    }
    Ok(())
}

fn plain_file(file: &Path) -> Result<Metadata> {
    let meta = std::fs::symlink_metadata(file).map_err(|e| Error::io("reading", file, e))?;
    if !meta.is_file() {
        return Err(Error::NotShared {
            path: file.to_owned(),
            reason: ShareRefusal::NotAFile,
        });
    }
    Ok(meta)
}

/// Whoever could read the app's file (or folder) can still read it once its name leads to the
/// cache's inode, whose owner, group and mode it then has. (Supplementary groups are not known here, so
/// a group is only trusted when it is the same group.)
fn still_readable(theirs: &Metadata, ours: &Metadata) -> bool {
    let (before, after) = (theirs.mode(), ours.mode());
    let others = after & 0o004 != 0;
    let group = others || (ours.gid() == theirs.gid() && after & 0o040 != 0);
    let owner = group || (ours.uid() == theirs.uid() && after & 0o400 != 0);
    (before & 0o004 == 0 || others)
        && (before & 0o040 == 0 || group)
        && (before & 0o400 == 0 || owner)
}

fn unchanged(before: &Metadata, file: &Path) -> bool {
    std::fs::symlink_metadata(file).is_ok_and(|now| {
        now.ino() == before.ino()
            && now.len() == before.len()
            && now.mtime() == before.mtime()
            && now.mtime_nsec() == before.mtime_nsec()
    })
}

fn temporary_name(file: &Path, mark: &str) -> PathBuf {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    file.with_file_name(format!(".{name}.{mark}-{}", crate::fs::unique_suffix()))
}

/// Removes what an interrupted earlier run left beside `file`: a link under a temporary name
/// (no bytes of its own) or a partial copy.
fn remove_leftovers(file: &Path, mark: &str) {
    let (Some(folder), Some(name)) = (file.parent(), file.file_name()) else {
        return;
    };
    let prefix = format!(".{}.{mark}-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let leftover = entry.file_name().to_string_lossy().starts_with(&prefix)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if leftover {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether the two files hold the same bytes, read side by side.
fn same_bytes(
    a: &Path,
    b: &Path,
    cancel: &CancellationToken,
    compared: &mut dyn FnMut(u64),
) -> Result<bool> {
    let open = |path: &Path| std::fs::File::open(path).map_err(|e| Error::io("reading", path, e));
    let (mut first, mut second) = (open(a)?, open(b)?);
    let mut left = vec![0; crate::fs::READ_CHUNK];
    let mut right = vec![0; crate::fs::READ_CHUNK];
    loop {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let n = read_full(&mut first, &mut left, a)?;
        let m = read_full(&mut second, &mut right, b)?;
        if n != m || left[..n] != right[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
        compared(n as u64);
    }
}

/// Fills `buffer` unless the file ends first; the count read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8], path: &Path) -> Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("reading", path, e)),
        }
    }
    Ok(filled)
}

fn copy_to(
    from: &Path,
    to: &Path,
    meta: &Metadata,
    cancel: &CancellationToken,
    copied: &mut dyn FnMut(u64),
) -> Result<()> {
    crate::fs::copy_new(from, to, meta, cancel, copied)?;
    // The copy is the app's file again: its owner (when Modelshelf may set it, as root), not
    // whoever runs Modelshelf.
    let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
    Ok(())
}

/// Makes the rename durable; a folder that cannot be synced only loses durability.
fn sync_folder(file: &Path) {
    if let Some(folder) = file.parent()
        && let Ok(handle) = std::fs::File::open(folder)
    {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache blob and another app's copy of it, hard-linked or not, in one temporary folder.
    fn blob_and_copy(linked: bool) -> (tempfile::TempDir, CacheRef, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let blob = dir.path().join("blob");
        std::fs::write(&blob, vec![7u8; 3 << 20]).unwrap();
        let copy = dir.path().join("app/model.gguf");
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        if linked {
            std::fs::hard_link(&blob, &copy).unwrap();
        } else {
            std::fs::write(&copy, vec![7u8; 3 << 20]).unwrap();
        }
        let cached = CacheRef {
            repo: "acme/x".into(),
            path: "model.gguf".into(),
            blob,
        };
        (dir, cached, copy)
    }

    /// The app writes a new file under the same name (temporary file, rename) while it is read.
    fn app_rewrites(path: &Path) {
        let new = path.with_file_name("new.part");
        std::fs::write(&new, b"the app's new download").unwrap();
        std::fs::rename(&new, path).unwrap();
    }

    #[test]
    fn a_file_its_app_replaces_during_the_comparison_is_kept() {
        let (_dir, cached, copy) = blob_and_copy(false);
        let mut once = true;
        let shared = share(&copy, &cached, &CancellationToken::new(), &mut |_| {
            if std::mem::take(&mut once) {
                app_rewrites(&copy);
            }
        });
        assert!(
            matches!(
                shared,
                Err(Error::NotShared {
                    reason: ShareRefusal::ChangedMeanwhile,
                    ..
                })
            ),
            "{shared:?}"
        );
        assert_eq!(std::fs::read(&copy).unwrap(), b"the app's new download");
    }

    #[test]
    fn a_file_its_app_replaces_during_the_copy_back_is_kept() {
        let (_dir, _cached, copy) = blob_and_copy(true);
        let mut once = true;
        let separated = separate(&copy, &CancellationToken::new(), &mut |_| {
            if std::mem::take(&mut once) {
                app_rewrites(&copy);
            }
        });
        assert!(
            matches!(
                separated,
                Err(Error::NotShared {
                    reason: ShareRefusal::ChangedMeanwhile,
                    ..
                })
            ),
            "{separated:?}"
        );
        assert_eq!(std::fs::read(&copy).unwrap(), b"the app's new download");
        let left: Vec<_> = std::fs::read_dir(copy.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("model.gguf")],
            "no copy left"
        );
    }

    #[test]
    fn a_link_its_app_could_not_read_is_not_placed() {
        let (dir, cached, _) = blob_and_copy(false);
        std::fs::set_permissions(&cached.blob, std::fs::Permissions::from_mode(0o600)).unwrap();
        let store = dir.path().join("store");
        std::fs::create_dir(&store).unwrap();
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
        let target = store.join("acme/x/model.gguf");
        let placed = place_link(&cached.blob, &store, &target);
        assert!(
            matches!(
                placed,
                Err(Error::NotShared {
                    reason: ShareRefusal::WouldHideFromItsApp,
                    ..
                })
            ),
            "{placed:?}"
        );
        assert!(!store.join("acme").exists(), "no folder was made");
    }
}
