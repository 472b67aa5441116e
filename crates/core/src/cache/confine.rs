//! The one way Modelshelf reaches folders and files below the cache root: component by
//! component, refusing every symbolic link on the way. On a shared `HF_HOME` another user can
//! plant a link (`blobs -> /home/alice/.ssh`); following it would write, replace or delete
//! files outside the cache. The root itself may be a link (a cache moved to another disk is
//! often linked back), since the person who configured it chose it.
//!
//! The only links Modelshelf makes are the snapshot pointers, and it replaces those without
//! following them; their folders are checked here like any other.
//!
//! The checks look at paths, so a link swapped in between a check and the write after it
//! (a race another user of the cache would have to win) is not caught; closing that takes
//! folder handles (`openat`) held from the check to the write, through the transfer too.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind as IoKind;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Makes sure `dir` (the root or a folder below it) is a real folder, creating it and the
/// folders between as needed.
///
/// # Errors
///
/// [`Error::LinkInCache`] naming the first link on the way; [`Error::Io`] when something
/// else (a file) stands where a folder should, or a folder cannot be created.
pub(crate) fn create_dir(root: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(root).map_err(|e| Error::io("creating", root, e))?;
    walk(root, dir, true)
}

/// Checks that no folder of `path` below `root` is a link (`path` itself may be one; it is
/// what a removal removes, not something it goes through). Missing folders are fine: nothing
/// can be written through them.
pub(crate) fn check_folders(root: &Path, path: &Path) -> Result<()> {
    match path.parent() {
        Some(parent) if parent.starts_with(root) => walk(root, parent, false),
        _ => Err(outside_root(root, path)),
    }
}

/// Opens `path` with `options` without following a link in its place (`O_NOFOLLOW`). Check its
/// folder with [`create_dir`] first.
pub(crate) fn open(path: &Path, options: &mut OpenOptions) -> Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    options.open(path).map_err(|e| match link_at(path) {
        Some(err) => err,
        None => Error::io("opening", path, e),
    })
}

/// The error for the link at `path`, if there is one.
pub(crate) fn link_at(path: &Path) -> Option<Error> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.file_type().is_symlink().then(|| Error::LinkInCache {
        path: path.to_owned(),
        target: std::fs::read_link(path).unwrap_or_default(),
    })
}

fn outside_root(root: &Path, path: &Path) -> Error {
    Error::Internal(format!(
        "{} is not below the cache root {}",
        path.display(),
        root.display()
    ))
}

fn walk(root: &Path, dir: &Path, create: bool) -> Result<()> {
    let below = dir
        .strip_prefix(root)
        .map_err(|_| outside_root(root, dir))?;
    let mut at = PathBuf::from(root);
    for component in below.components() {
        let Component::Normal(name) = component else {
            return Err(outside_root(root, dir));
        };
        at.push(name);
        // Twice at most: a folder another process created between our look and our
        // create_dir is looked at again (it may be a link it planted).
        for second_look in [false, true] {
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.is_dir() => break,
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(link_at(&at).unwrap_or_else(|| {
                        Error::io("inspecting", &at, IoKind::NotADirectory.into())
                    }));
                }
                Ok(_) => return Err(Error::io("creating", &at, IoKind::NotADirectory.into())),
                Err(e) if e.kind() == IoKind::NotFound && !create => return Ok(()),
                Err(e) if e.kind() == IoKind::NotFound => match std::fs::create_dir(&at) {
                    Ok(()) => break,
                    Err(e) if e.kind() == IoKind::AlreadyExists && !second_look => {}
                    Err(e) => return Err(Error::io("creating", &at, e)),
                },
                Err(e) => return Err(Error::io("inspecting", &at, e)),
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn folders_are_created_and_links_on_the_way_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("cache"), dir.path().join("outside"));
        std::fs::create_dir_all(&outside).unwrap();
        create_dir(&root, &root.join("a/b/c")).unwrap();
        assert!(root.join("a/b/c").is_dir());
        create_dir(&root, &root.join("a/b/c")).unwrap();

        symlink(&outside, root.join("a/link")).unwrap();
        let err = create_dir(&root, &root.join("a/link/d")).unwrap_err();
        assert!(
            matches!(&err, Error::LinkInCache { path, target }
                if *path == root.join("a/link") && *target == outside),
            "{err}"
        );
        assert!(check_folders(&root, &root.join("a/link/d/file")).is_err());
        check_folders(&root, &root.join("a/link")).unwrap();
        check_folders(&root, &root.join("a/missing/file")).unwrap();
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);

        std::fs::write(root.join("a/file"), b"").unwrap();
        assert!(matches!(
            create_dir(&root, &root.join("a/file/x")),
            Err(Error::Io { .. })
        ));
        assert!(matches!(
            create_dir(&root, &dir.path().join("elsewhere")),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn a_root_that_is_a_link_is_the_persons_choice() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("disk")).unwrap();
        let root = dir.path().join("cache");
        symlink(dir.path().join("disk"), &root).unwrap();
        create_dir(&root, &root.join("models--a--b/blobs")).unwrap();
        assert!(dir.path().join("disk/models--a--b/blobs").is_dir());
    }

    #[test]
    fn files_are_opened_without_following_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        symlink(&victim, dir.path().join("lock")).unwrap();
        let err = open(
            &dir.path().join("lock"),
            OpenOptions::new().create(true).truncate(true).write(true),
        )
        .unwrap_err();
        assert!(matches!(err, Error::LinkInCache { .. }), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
