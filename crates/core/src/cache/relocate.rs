//! Moving a whole cache to another folder (another disk, usually) as one explicit, checked
//! action: copy every repository (blobs as files, snapshot links as the same relative links,
//! refs as they are), check each copied file against what was read from the original, and only
//! then delete the originals. Files that are not part of the cache layout are never touched.
//! A move reports its progress and can be cancelled until the copy is complete; a cancelled or
//! failed move removes what it copied and leaves the old cache as it was.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::scan::{CachedRepo, scan};
use super::{Freed, confine};
use crate::error::{Error, Result};
use crate::fs::{Sha256, digest, free_space, hex};

/// What a move is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum MovePhase {
    Copying,
    /// Reading a repository's copy back and comparing it with the original.
    Verifying,
    /// Everything is copied and checked; the originals are being deleted.
    Removing,
    Done,
}

/// A snapshot of a move, for a progress bar: every byte is copied once and read back once.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MoveProgress {
    pub phase: MovePhase,
    /// The bytes of all files to move.
    #[ts(type = "number")]
    pub bytes_total: u64,
    #[ts(type = "number")]
    pub bytes_copied: u64,
    #[ts(type = "number")]
    pub bytes_verified: u64,
    /// Seconds left at the speed so far, once there is a speed to tell.
    pub eta_seconds: Option<f64>,
    /// The repository folder being worked on.
    pub current: Option<String>,
}

/// Copies the repositories of the cache at `from` into `to`, verifies the copy, then removes
/// the originals. Returns what moved. See [`copy_cache`] for progress, cancellation and errors.
pub fn move_cache(
    from: &Path,
    to: &Path,
    cancel: &CancellationToken,
    report: &dyn Fn(&MoveProgress),
) -> Result<Freed> {
    copy_cache(from, to, cancel, report)?.remove_originals()
}

/// A complete, verified copy of a cache's repositories; the originals are still in place.
#[derive(Debug)]
#[must_use = "the originals stay until remove_originals is called"]
pub struct CacheCopy<'r> {
    from: PathBuf,
    repos: Vec<CachedRepo>,
    progress: Progress<'r>,
    cleanup: Cleanup,
}

/// What a copy made, to remove when it is not wanted after all.
#[derive(Debug)]
struct Cleanup {
    copied: Vec<PathBuf>,
    /// The destination folder, when the copy created it.
    created: Option<PathBuf>,
}

impl Cleanup {
    fn run(self) {
        for target in self.copied {
            let _ = std::fs::remove_dir_all(target);
        }
        if let Some(folder) = self.created {
            // Only when empty: nothing but what this move made is removed.
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// Copies the repositories of the cache at `from` into `to` and reads every copied file back
/// to check it, reporting to `report` (at most ten times a second, and at each phase).
///
/// # Errors
///
/// [`Error::InvalidInput`] when `to` is inside `from` (or the reverse) or already holds one
/// of the repositories; [`Error::DiskFull`] when `to`'s disk is too small; [`Error::Cancelled`]
/// when `cancel` fires (checked between files and between chunks of a file); [`Error::Io`] or
/// [`Error::Checksum`] when a copy fails. On every error the copies made so far are removed
/// (and `to` too, when this call created it and it is empty); the originals are untouched.
pub fn copy_cache<'r>(
    from: &Path,
    to: &Path,
    cancel: &CancellationToken,
    report: &'r dyn Fn(&MoveProgress),
) -> Result<CacheCopy<'r>> {
    let from_real = std::fs::canonicalize(from).map_err(|e| Error::io("opening", from, e))?;
    let created_to = !to.exists();
    std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
    let mut cleanup = Cleanup {
        copied: Vec::new(),
        created: created_to.then(|| to.to_owned()),
    };
    match copy_repos(&from_real, to, cancel, report, &mut cleanup.copied) {
        Ok((repos, progress)) => Ok(CacheCopy {
            from: from_real,
            repos,
            progress,
            cleanup,
        }),
        Err(err) => {
            cleanup.run();
            Err(err)
        }
    }
}

fn copy_repos<'r>(
    from_real: &Path,
    to: &Path,
    cancel: &CancellationToken,
    report: &'r dyn Fn(&MoveProgress),
    copied: &mut Vec<PathBuf>,
) -> Result<(Vec<CachedRepo>, Progress<'r>)> {
    let to_real = std::fs::canonicalize(to).map_err(|e| Error::io("opening", to, e))?;
    if to_real.starts_with(from_real) || from_real.starts_with(&to_real) {
        return Err(Error::invalid(
            "destination",
            "the new folder cannot be inside the old one, or the reverse",
        ));
    }
    let repos = scan(from_real)?.repos;
    for repo in &repos {
        // A link counts as taken too, even a dangling one: nothing is written through it.
        if std::fs::symlink_metadata(to_real.join(&repo.folder)).is_ok() {
            return Err(Error::invalid(
                "destination",
                format!("{} already has {}", to.display(), repo.folder),
            ));
        }
    }
    let needed: u64 = repos
        .iter()
        .map(|r| tree_bytes(&from_real.join(&r.folder)))
        .sum();
    if let Some(available) = free_space(&to_real)
        && needed > available
    {
        return Err(Error::DiskFull {
            path: to.to_owned(),
            needed,
            available,
        });
    }

    let mut progress = Progress::new(needed, report);
    for repo in &repos {
        let source = from_real.join(&repo.folder);
        let target = to_real.join(&repo.folder);
        copied.push(target.clone());
        progress.enter(MovePhase::Copying, &repo.folder);
        let mut digests = Vec::new();
        copy_tree(&source, &target, cancel, &mut progress, &mut digests)?;
        progress.enter(MovePhase::Verifying, &repo.folder);
        for (file, expected) in digests {
            let actual = digest(&file, cancel, &mut |n| progress.verified(n))?;
            if actual != expected {
                return Err(Error::Checksum {
                    file: file.display().to_string(),
                    expected: hex(&expected),
                    actual: hex(&actual),
                });
            }
        }
    }
    Ok((repos, progress))
}

impl CacheCopy<'_> {
    /// Removes the copy (when the move cannot go on after all); the originals stay.
    pub fn discard(self) {
        self.cleanup.run();
    }

    /// Deletes the original repositories (and their lock folders); nothing can cancel this,
    /// since the copy is already complete. Returns what was freed.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when an original cannot be removed; those before it are gone.
    pub fn remove_originals(mut self) -> Result<Freed> {
        let mut freed = Freed::default();
        for repo in &self.repos {
            self.progress.enter(MovePhase::Removing, &repo.folder);
            let folder = self.from.join(&repo.folder);
            std::fs::remove_dir_all(&folder).map_err(|e| Error::io("removing", &folder, e))?;
            freed.bytes += repo.size_on_disk;
            freed.paths.push(folder.display().to_string());
            // The old locks are for blobs that are no longer there.
            let locks = self.from.join(".locks").join(&repo.folder);
            if confine::check_folders(&self.from, &locks).is_ok() {
                let _ = std::fs::remove_dir_all(locks);
            }
        }
        self.progress.current = None;
        self.progress.enter(MovePhase::Done, "");
        Ok(freed)
    }
}

/// The state of a move and its throttled reports.
struct Progress<'r> {
    report: &'r dyn Fn(&MoveProgress),
    phase: MovePhase,
    total: u64,
    copied: u64,
    verified: u64,
    current: Option<String>,
    started: Instant,
    last_sent: Option<Instant>,
}

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("phase", &self.phase)
            .field("copied", &self.copied)
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl<'r> Progress<'r> {
    fn new(total: u64, report: &'r dyn Fn(&MoveProgress)) -> Self {
        Progress {
            report,
            phase: MovePhase::Copying,
            total,
            copied: 0,
            verified: 0,
            current: None,
            started: Instant::now(),
            last_sent: None,
        }
    }

    /// A new phase or repository is reported at once.
    fn enter(&mut self, phase: MovePhase, folder: &str) {
        self.phase = phase;
        if !folder.is_empty() {
            self.current = Some(folder.to_owned());
        }
        self.send();
    }

    fn copied(&mut self, bytes: u64) {
        self.copied += bytes;
        self.maybe_send();
    }

    fn verified(&mut self, bytes: u64) {
        self.verified += bytes;
        self.maybe_send();
    }

    fn maybe_send(&mut self) {
        if self.last_sent.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
            self.send();
        }
    }

    fn send(&mut self) {
        let work_total = 2 * self.total;
        let work_done = self.copied + self.verified;
        let elapsed = self.started.elapsed().as_secs_f64();
        // Half a second of data before guessing; copying and reading back count alike.
        let eta_seconds = (self.phase != MovePhase::Done && elapsed >= 0.5 && work_done > 0)
            .then(|| (work_total.saturating_sub(work_done)) as f64 * elapsed / work_done as f64);
        (self.report)(&MoveProgress {
            phase: self.phase,
            bytes_total: self.total,
            bytes_copied: self.copied,
            bytes_verified: self.verified,
            eta_seconds,
            current: self.current.clone(),
        });
        self.last_sent = Some(Instant::now());
    }
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

/// Copies `from` to `to`: folders, files, and symlinks as the same (relative) links. Each
/// copied file's path goes into `digests` with the hash of the bytes read from the original.
fn copy_tree(
    from: &Path,
    to: &Path,
    cancel: &CancellationToken,
    progress: &mut Progress<'_>,
    digests: &mut Vec<(PathBuf, Sha256)>,
) -> Result<()> {
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
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
            copy_tree(
                &entry.path(),
                &to.join(entry.file_name()),
                cancel,
                progress,
                digests,
            )?;
        }
        Ok(())
    } else {
        let hash = copy_file(from, to, &meta, cancel, progress)?;
        digests.push((to.to_owned(), hash));
        Ok(())
    }
}

/// The shortest time between two byte-only progress reports of a move.
const REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Copies one file, hashing what it reads, and flushes the copy to the disk: the originals
/// are deleted on the strength of it.
fn copy_file(
    from: &Path,
    to: &Path,
    meta: &std::fs::Metadata,
    cancel: &CancellationToken,
    progress: &mut Progress<'_>,
) -> Result<Sha256> {
    crate::fs::copy_new(from, to, meta, cancel, &mut |n| progress.copied(n))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::fs::READ_CHUNK as CHUNK;

    /// A cache with `repos` repositories of one `size`-byte blob each, linked from a snapshot.
    fn cache_with(root: &Path, repos: usize, size: usize) {
        for i in 0..repos {
            let repo = root.join(format!("models--acme--m{i}"));
            let blob = "a".repeat(64);
            std::fs::create_dir_all(repo.join("blobs")).unwrap();
            std::fs::create_dir_all(
                repo.join("snapshots/0123456789abcdef0123456789abcdef01234567"),
            )
            .unwrap();
            std::fs::create_dir_all(repo.join("refs")).unwrap();
            let bytes: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
            std::fs::write(repo.join("blobs").join(&blob), bytes).unwrap();
            std::os::unix::fs::symlink(
                Path::new("../../blobs").join(&blob),
                repo.join("snapshots/0123456789abcdef0123456789abcdef01234567/model.bin"),
            )
            .unwrap();
            std::fs::write(
                repo.join("refs/main"),
                "0123456789abcdef0123456789abcdef01234567",
            )
            .unwrap();
        }
    }

    #[test]
    fn progress_counts_every_byte_twice_and_ends_done() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        cache_with(from.path(), 2, 3 * CHUNK + 5);
        let seen = Mutex::new(Vec::new());
        let freed = move_cache(
            from.path(),
            &to.path().join("hub"),
            &CancellationToken::new(),
            &|p| seen.lock().unwrap().push(p.clone()),
        )
        .unwrap();
        let seen = seen.into_inner().unwrap();
        // Each repository: its blob and its 40-byte ref.
        let total = 2 * (3 * CHUNK as u64 + 5 + 40);
        let last = seen.last().unwrap();
        assert_eq!(
            (
                last.phase,
                last.bytes_total,
                last.bytes_copied,
                last.bytes_verified
            ),
            (MovePhase::Done, total, total, total)
        );
        assert!(freed.bytes > 0);
        let phases: Vec<MovePhase> = seen.iter().map(|p| p.phase).collect();
        for phase in [
            MovePhase::Copying,
            MovePhase::Verifying,
            MovePhase::Removing,
        ] {
            assert!(phases.contains(&phase), "{phases:?}");
        }
        assert!(
            seen.windows(2)
                .all(|w| w[0].bytes_copied <= w[1].bytes_copied
                    && w[0].bytes_verified <= w[1].bytes_verified),
            "monotone: {seen:?}"
        );
        assert!(
            seen.iter()
                .all(|p| p.phase != MovePhase::Verifying || p.bytes_verified <= p.bytes_copied),
            "nothing is verified before it is copied"
        );
    }

    #[test]
    fn a_cancelled_move_removes_its_copy_and_leaves_the_original_whole() {
        let from = tempfile::tempdir().unwrap();
        let to_parent = tempfile::tempdir().unwrap();
        let to = to_parent.path().join("new-cache");
        cache_with(from.path(), 3, 4 * CHUNK);
        let before = crate::cache::scan(from.path()).unwrap();
        let cancel = CancellationToken::new();
        // Cancelled from inside the copy loop of the second repository.
        let err = move_cache(from.path(), &to, &cancel, &|p| {
            if p.current.as_deref() == Some("models--acme--m1") && p.bytes_copied > 5 * CHUNK as u64
            {
                cancel.cancel();
            }
        })
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err:?}");
        assert!(
            !to.exists(),
            "the half-made copy and the folder it made are gone"
        );
        let after = crate::cache::scan(from.path()).unwrap();
        assert_eq!(after.size_on_disk, before.size_on_disk);
        assert_eq!(after.repos.len(), 3);
        assert!(after.repos.iter().all(|r| r.problems.is_empty()));
    }

    #[test]
    fn a_folder_that_existed_before_is_kept_after_a_cancel() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        std::fs::write(to.path().join("notes.txt"), "mine").unwrap();
        cache_with(from.path(), 1, CHUNK);
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = move_cache(from.path(), to.path(), &cancel, &|_| {}).unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err:?}");
        let left: Vec<_> = std::fs::read_dir(to.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["notes.txt"]);
    }
}
