//! Moving a whole cache to another folder (another disk, usually) as one explicit, checked
//! action: copy every repository (blobs as files, snapshot links as the same relative links,
//! refs as they are), check each copied blob against the original, and only then delete the
//! originals. Files that are not part of the cache layout are never touched.

use std::path::{Path, PathBuf};

use super::scan::scan;
use super::{Freed, confine, free_space};
use crate::error::{Error, Result};

/// Copies the repositories of the cache at `from` into `to`, verifies the copy, then removes
/// the originals. Returns what moved.
///
/// # Errors
///
/// [`Error::InvalidInput`] when `to` is inside `from` (or the reverse) or already holds one
/// of the repositories; [`Error::DiskFull`] when `to`'s disk is too small; [`Error::Io`] or
/// [`Error::Checksum`] when a copy fails, in which case the copies made so far are removed
/// and the originals are left as they were.
pub fn move_cache(from: &Path, to: &Path) -> Result<Freed> {
    let from_real = std::fs::canonicalize(from).map_err(|e| Error::io("opening", from, e))?;
    std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
    let to_real = std::fs::canonicalize(to).map_err(|e| Error::io("opening", to, e))?;
    if to_real.starts_with(&from_real) || from_real.starts_with(&to_real) {
        return Err(Error::invalid(
            "destination",
            "the new folder cannot be inside the old one, or the reverse",
        ));
    }
    let repos = scan(&from_real)?.repos;
    let folders: Vec<PathBuf> = repos.iter().map(|r| from_real.join(&r.folder)).collect();
    for folder in &folders {
        let name = folder.file_name().expect("a repo folder has a name");
        // A link counts as taken too, even a dangling one: nothing is written through it.
        if std::fs::symlink_metadata(to_real.join(name)).is_ok() {
            return Err(Error::invalid(
                "destination",
                format!("{} already has {}", to.display(), name.to_string_lossy()),
            ));
        }
    }
    let needed: u64 = folders.iter().map(|f| tree_bytes(f)).sum();
    if let Some(available) = free_space(&to_real)
        && needed > available
    {
        return Err(Error::DiskFull {
            path: to.to_owned(),
            needed,
            available,
        });
    }

    let mut copied = Vec::new();
    let result = folders.iter().try_for_each(|folder| {
        let target = to_real.join(folder.file_name().expect("a repo folder has a name"));
        copied.push(target.clone());
        copy_tree(folder, &target)?;
        verify_tree(folder, &target)
    });
    if let Err(err) = result {
        for target in copied {
            let _ = std::fs::remove_dir_all(target);
        }
        return Err(err);
    }

    let mut freed = Freed::default();
    for (folder, repo) in folders.iter().zip(&repos) {
        std::fs::remove_dir_all(folder).map_err(|e| Error::io("removing", folder, e))?;
        freed.bytes += repo.size_on_disk;
        freed.paths.push(folder.display().to_string());
        // The old locks are for blobs that are no longer there.
        let locks = from_real.join(".locks").join(&repo.folder);
        if confine::check_folders(&from_real, &locks).is_ok() {
            let _ = std::fs::remove_dir_all(locks);
        }
    }
    Ok(freed)
}

fn tree_bytes(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| tree_bytes(&e.path())).sum())
            .unwrap_or(0),
        Ok(meta) if meta.is_file() => meta.len(),
        _ => 0,
    }
}

/// Copies `from` to `to`: folders, files, and symlinks as the same (relative) links.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(from).map_err(|e| Error::io("reading", from, e))?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from).map_err(|e| Error::io("reading", from, e))?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, to).map_err(|e| Error::io("linking", to, e))?;
        #[cfg(not(unix))]
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| Error::io("copying", to, e))?;
        Ok(())
    } else if meta.is_dir() {
        // A new folder in a new tree: one that exists (a planted link) is an error.
        std::fs::create_dir(to).map_err(|e| Error::io("creating", to, e))?;
        for entry in std::fs::read_dir(from).map_err(|e| Error::io("reading", from, e))? {
            let entry = entry.map_err(|e| Error::io("reading", from, e))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| Error::io("copying", to, e))
    }
}

/// Checks that every regular file under `from` has an identical copy under `to`.
fn verify_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(from).map_err(|e| Error::io("reading", from, e))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(from).map_err(|e| Error::io("reading", from, e))? {
            let entry = entry.map_err(|e| Error::io("reading", from, e))?;
            verify_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else if meta.is_file() {
        let (a, b) = (digest(from)?, digest(to)?);
        if a != b {
            return Err(Error::Checksum {
                file: to.display().to_string(),
                expected: a,
                actual: b,
            });
        }
    }
    Ok(())
}

fn digest(path: &Path) -> Result<String> {
    use sha2::Digest as _;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("reading", path, e))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io("reading", path, e))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
