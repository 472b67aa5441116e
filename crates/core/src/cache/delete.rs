//! Removing things from the cache safely: a whole repository, one revision (freeing only the
//! blobs no other revision uses), one file, or a prune of what nobody needs (superseded
//! revisions, orphan blobs, partial downloads nobody is writing). Every removal stays inside
//! the cache root, never follows a symlink out of it, and refuses anything whose blob lock is
//! held, by a job of ours or by another program (Python takes the same locks).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::scan::{CachedRepo, ProblemKind, scan};
use super::{RepoCache, confine, open_lock_file};
use crate::error::{Error, Result};
use crate::repo::{RepoId, is_commit_hash, validate_repo_path};

/// What a removal freed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Freed {
    #[ts(type = "number")]
    pub bytes: u64,
    /// Files and folders removed.
    pub paths: Vec<String>,
}

impl Freed {
    fn add(&mut self, path: &Path, bytes: u64) {
        self.bytes += bytes;
        self.paths.push(path.display().to_string());
    }
}

/// Removes `path` (a file, a symlink or a folder below `root`) without following symlinks:
/// neither `path` itself nor a folder on the way to it.
fn remove(root: &Path, path: &Path) -> Result<()> {
    confine::check_folders(root, path)?;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("inspecting", path, e)),
    };
    // remove_dir_all does not follow symlinks inside the tree.
    let result = if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    result.map_err(|e| Error::io("removing", path, e))
}

/// What removing `path` will free, looked at just before.
fn freed_by_removing(path: &Path) -> u64 {
    std::fs::symlink_metadata(path).map_or(0, |m| super::scan::bytes_freed_by_removing(&m))
}

impl RepoCache {
    /// Whether any blob of this repo is locked right now (a download in progress, here or in
    /// another program).
    pub(super) fn busy_blob(&self) -> Result<Option<String>> {
        let locks = self.root.join(".locks").join(&self.folder);
        confine::check_folders(&self.root, &locks.join("x"))?;
        let Ok(entries) = std::fs::read_dir(&locks) else {
            return Ok(None);
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            let Ok(file) = open_lock_file(&path) else {
                continue;
            };
            if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
                let etag = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                return Ok(Some(etag));
            }
        }
        Ok(None)
    }

    fn refuse_if_busy(&self) -> Result<()> {
        match self.busy_blob()? {
            Some(etag) => Err(Error::InUse {
                path: self.blobs_dir().join(etag),
            }),
            None => Ok(()),
        }
    }

    fn scanned(&self) -> Result<CachedRepo> {
        let scan = scan(&self.root)?;
        scan.repos
            .into_iter()
            .find(|r| r.folder == self.folder)
            .ok_or_else(|| {
                Error::invalid("repository", format!("{} is not in the cache", self.folder))
            })
    }

    /// Removes the whole repository folder and its locks.
    pub fn delete_repo(&self) -> Result<Freed> {
        self.refuse_if_busy()?;
        let repo = self.scanned()?;
        let mut freed = Freed::default();
        let partial: u64 = repo
            .problems
            .iter()
            .filter(|p| p.kind != ProblemKind::BrokenSymlink)
            .map(|p| p.bytes)
            .sum();
        // Bytes another app's hard link keeps stay on the disk.
        let mut linked_elsewhere = HashMap::new();
        for revision in &repo.revisions {
            for file in revision.files.iter().filter(|f| f.linked_elsewhere) {
                // A blob once, however many revisions use it; a copied file each time.
                let key = match &file.blob {
                    Some(blob) => blob.clone(),
                    None => format!("{}/{}", revision.commit, file.path),
                };
                linked_elsewhere.insert(key, file.size);
            }
        }
        let kept: u64 = linked_elsewhere.values().sum();
        remove(&self.root, &self.dir)?;
        freed.add(
            &self.dir,
            (repo.size_on_disk + partial).saturating_sub(kept),
        );
        let locks = self.root.join(".locks").join(&self.folder);
        remove(&self.root, &locks)?;
        Ok(freed)
    }

    /// Removes one revision: its snapshot folder, the refs naming it, and the blobs no other
    /// revision uses.
    pub fn delete_revision(&self, commit: &str) -> Result<Freed> {
        if !is_commit_hash(commit) {
            return Err(Error::invalid(
                "commit",
                format!("{commit:?} is not a commit hash"),
            ));
        }
        self.refuse_links(commit)?;
        self.refuse_if_busy()?;
        let repo = self.scanned()?;
        let revision = repo
            .revisions
            .iter()
            .find(|r| r.commit == commit)
            .ok_or_else(|| Error::invalid("revision", format!("{commit} is not in the cache")))?;
        let kept: HashSet<&str> = repo
            .revisions
            .iter()
            .filter(|r| r.commit != commit)
            .flat_map(|r| r.files.iter().filter_map(|f| f.blob.as_deref()))
            .collect();
        let mut freed = Freed::default();
        for blob in revision
            .files
            .iter()
            .filter_map(|f| f.blob.as_deref())
            .collect::<HashSet<_>>()
        {
            if !kept.contains(blob) {
                let path = self.blob_path(blob)?;
                let bytes = freed_by_removing(&path);
                remove(&self.root, &path)?;
                freed.add(&path, bytes);
            }
        }
        // Copied files (no symlinks) hold their own bytes.
        let copied: u64 = revision
            .files
            .iter()
            .filter(|f| f.blob.is_none() && !f.linked_elsewhere)
            .map(|f| f.size)
            .sum();
        let snapshot = self.dir.join("snapshots").join(commit);
        remove(&self.root, &snapshot)?;
        freed.add(&snapshot, copied);
        for name in &revision.refs {
            let path = self.dir.join("refs").join(name);
            remove(&self.root, &path)?;
            freed.add(&path, 0);
        }
        Ok(freed)
    }

    /// Removes one file of one revision, and its blob if nothing else uses it.
    pub fn delete_file(&self, commit: &str, path: &str) -> Result<Freed> {
        validate_repo_path(path)?;
        if is_commit_hash(commit) {
            self.refuse_links(commit)?;
        }
        self.refuse_if_busy()?;
        let repo = self.scanned()?;
        let file = repo
            .revisions
            .iter()
            .find(|r| r.commit == commit)
            .and_then(|r| r.files.iter().find(|f| f.path == path))
            .ok_or_else(|| {
                Error::invalid("file", format!("{path} at {commit} is not in the cache"))
            })?;
        let used_elsewhere = |blob: &str| {
            repo.revisions
                .iter()
                .flat_map(|r| r.files.iter().map(move |f| (r, f)))
                .any(|(r, f)| {
                    f.blob.as_deref() == Some(blob) && !(r.commit == commit && f.path == path)
                })
        };
        let mut freed = Freed::default();
        let pointer = self.pointer_path(commit, path)?;
        let own_bytes = if file.blob.is_none() && !file.linked_elsewhere {
            file.size
        } else {
            0
        };
        remove(&self.root, &pointer)?;
        freed.add(&pointer, own_bytes);
        if let Some(blob) = file.blob.as_deref().filter(|b| !used_elsewhere(b)) {
            let blob_path = self.blob_path(blob)?;
            let bytes = freed_by_removing(&blob_path);
            remove(&self.root, &blob_path)?;
            freed.add(&blob_path, bytes);
        }
        Ok(freed)
    }
}

/// Cleans what nobody needs: revisions no ref points to in repos whose refs point elsewhere
/// (superseded by an update), blobs no snapshot uses, and partial downloads nobody is
/// writing. Repos with a download in progress are left alone.
pub fn prune(root: &Path) -> Result<Freed> {
    let mut freed = Freed::default();
    let scan = scan(root)?;
    for problem in scan
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::EmptyFolder)
    {
        let path = PathBuf::from(&problem.path);
        let folder = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some((repo_type, id)) = folder.as_deref().and_then(super::parse_folder_name) else {
            continue;
        };
        let Ok(id) = RepoId::parse(&id) else { continue };
        // The same rule as after a failed download: never under a download that holds a lock.
        RepoCache::new(root, repo_type, &id).remove_empty_folders()?;
        if !path.exists() {
            freed.add(&path, 0);
        }
    }
    for repo in scan.repos {
        let id = RepoId::parse(&repo.repo_id);
        let Ok(id) = id else { continue };
        let cache = RepoCache::new(root, repo.repo_type, &id);
        if cache.busy_blob()?.is_some() {
            continue;
        }
        let has_refs = repo.revisions.iter().any(|r| !r.refs.is_empty());
        for revision in repo
            .revisions
            .iter()
            .filter(|r| has_refs && r.refs.is_empty())
        {
            let result = cache.delete_revision(&revision.commit)?;
            freed.bytes += result.bytes;
            freed.paths.extend(result.paths);
        }
        for problem in &repo.problems {
            let path = PathBuf::from(&problem.path);
            if matches!(
                problem.kind,
                ProblemKind::OrphanBlob | ProblemKind::IncompleteDownload
            ) && path.starts_with(cache.blobs_dir())
            {
                remove(root, &path)?;
                freed.add(&path, problem.bytes);
                if problem.kind == ProblemKind::IncompleteDownload {
                    let mut sidecar = path.into_os_string();
                    sidecar.push(".state");
                    remove(root, Path::new(&sidecar))?;
                }
            }
        }
    }
    Ok(freed)
}
