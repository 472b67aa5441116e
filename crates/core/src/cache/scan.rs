//! What the cache holds, however it got there (Modelshelf, Python, transformers, llama.cpp):
//! repositories, their revisions and files, sizes on disk with each blob counted once, and the
//! problems worth showing (partial downloads, orphan blobs, broken links, dangling refs, stray
//! folders). The view is the one `huggingface_hub.scan_cache_dir()` gives, except that a repo
//! with a problem is still listed (with the problem) instead of being left out.

use std::collections::{BTreeSet, HashMap};
use std::fs::Metadata;
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::Serialize;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::repo::RepoType;

/// Entries at the cache root that are not repositories and not a problem (as in Python).
const IGNORED_AT_ROOT: [&str; 5] = [
    ".locks",
    "CACHEDIR.TAG",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
];

/// The whole cache.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheScan {
    pub root: String,
    pub repos: Vec<CachedRepo>,
    /// Bytes of every repository's referenced blobs.
    #[ts(type = "number")]
    pub size_on_disk: u64,
    /// Problems outside any one repository (stray files and folders at the root).
    pub problems: Vec<CacheProblem>,
}

/// One repository folder.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CachedRepo {
    pub repo_type: RepoType,
    pub repo_id: String,
    /// `models--org--name`.
    pub folder: String,
    /// Bytes of the blobs its snapshots use, each counted once.
    #[ts(type = "number")]
    pub size_on_disk: u64,
    /// Distinct blobs its snapshots use.
    pub nb_files: usize,
    /// Unix seconds: the latest access / change of any of its blobs.
    pub last_accessed: f64,
    pub last_modified: f64,
    pub revisions: Vec<CachedRevision>,
    pub problems: Vec<CacheProblem>,
}

/// One snapshot (commit) of a repository.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CachedRevision {
    pub commit: String,
    /// Branches and tags pointing here (`main`, `v1.0`, `refs/pr/1`).
    pub refs: Vec<String>,
    #[ts(type = "number")]
    pub size_on_disk: u64,
    pub files: Vec<CachedFile>,
    pub last_modified: f64,
}

/// One file of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CachedFile {
    /// Path inside the repository.
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    /// The blob's name (its etag), or `None` for a copied file (no symlinks).
    pub blob: Option<String>,
    pub last_accessed: f64,
    pub last_modified: f64,
    /// Its bytes have another name outside this repository too (a hard link in another app's
    /// folder, made by Reclaim or Use in LM Studio/Ollama): deleting it here frees nothing.
    pub linked_elsewhere: bool,
}

/// Something in the cache a person may want to fix or clean.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheProblem {
    pub kind: ProblemKind,
    /// The file or folder concerned.
    pub path: String,
    /// Bytes it takes (what cleaning it would free).
    #[ts(type = "number")]
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ProblemKind {
    /// A download that did not finish (`blobs/*.incomplete`).
    IncompleteDownload,
    /// A blob no snapshot uses.
    OrphanBlob,
    /// A snapshot file whose blob is gone.
    BrokenSymlink,
    /// A ref naming a commit with no snapshot folder.
    DanglingRef,
    /// Something at the root, or in a repo folder, that does not belong to the layout.
    Unexpected,
    /// A repo folder with no file in it (left by an interrupted download): not a model.
    EmptyFolder,
}

/// Scans the cache at `root`. A missing root is an empty cache.
///
/// # Errors
///
/// [`Error::Io`] when the root exists but cannot be read.
pub fn scan(root: &Path) -> Result<CacheScan> {
    let mut scan = CacheScan {
        root: root.display().to_string(),
        repos: Vec::new(),
        size_on_disk: 0,
        problems: Vec::new(),
    };
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(scan),
        Err(e) => return Err(Error::io("reading", root, e)),
    };
    let mut folders = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("reading", root, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if IGNORED_AT_ROOT.contains(&name.as_str()) {
            continue;
        }
        let path = entry.path();
        match parse_folder_name(&name).filter(|_| path.is_dir()) {
            Some(_) if walk_files(&path).is_empty() => scan.problems.push(CacheProblem {
                kind: ProblemKind::EmptyFolder,
                bytes: 0,
                path: path.display().to_string(),
            }),
            Some((repo_type, repo_id)) => folders.push((path, repo_type, repo_id)),
            None => scan.problems.push(CacheProblem {
                kind: ProblemKind::Unexpected,
                bytes: tree_size(&path),
                path: path.display().to_string(),
            }),
        }
    }
    // Repositories are independent: scan them on every core (the work is mostly syscalls).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let per_thread = folders.len().div_ceil(threads).max(1);
    scan.repos = std::thread::scope(|s| {
        let handles: Vec<_> = folders
            .chunks(per_thread)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(p, t, id)| scan_repo(p, *t, id.clone()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    scan.repos
        .sort_by(|a, b| (a.repo_type as u8, &a.repo_id).cmp(&(b.repo_type as u8, &b.repo_id)));
    scan.size_on_disk = scan.repos.iter().map(|r| r.size_on_disk).sum();
    Ok(scan)
}

/// `models--org--name` -> (Model, "org/name"), as Python splits it.
pub fn parse_folder_name(name: &str) -> Option<(RepoType, String)> {
    let (kind, id) = name.split_once("--")?;
    let repo_type = match kind {
        "models" => RepoType::Model,
        "datasets" => RepoType::Dataset,
        "spaces" => RepoType::Space,
        _ => return None,
    };
    (!id.is_empty()).then(|| (repo_type, id.replace("--", "/")))
}

/// A file time in Unix seconds, computed as Python's `os.stat` does (`sec + nsec * 1e-9`), so
/// the two scanners print the same numbers.
fn seconds(time: std::io::Result<std::time::SystemTime>) -> f64 {
    time.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| {
            d.as_secs() as f64 + f64::from(d.subsec_nanos()) * 1e-9
        })
}

/// The blob a snapshot symlink points to, worked out from the link text (no extra syscalls):
/// `../../blobs/<etag>` relative to the pointer's folder.
fn link_target(pointer: &Path) -> Option<PathBuf> {
    let target = std::fs::read_link(pointer).ok()?;
    Some(normalize(&if target.is_absolute() {
        target
    } else {
        pointer.parent()?.join(target)
    }))
}

/// Removes `.` and `..` components without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}

struct BlobStat {
    size: u64,
    accessed: f64,
    modified: f64,
    linked_elsewhere: bool,
}

impl From<&Metadata> for BlobStat {
    fn from(meta: &Metadata) -> Self {
        BlobStat {
            size: meta.len(),
            accessed: seconds(meta.accessed()),
            modified: seconds(meta.modified()),
            linked_elsewhere: bytes_freed_by_removing(meta) < meta.len(),
        }
    }
}

/// What removing the file `meta` describes gives back: nothing while another hard link keeps
/// its bytes (another app's folder, after Reclaim or Use in LM Studio/Ollama).
pub(super) fn bytes_freed_by_removing(meta: &Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    if meta.is_file() && meta.nlink() > 1 {
        0
    } else {
        meta.len()
    }
}

fn scan_repo(dir: &Path, repo_type: RepoType, repo_id: String) -> CachedRepo {
    let dir = &normalize(dir);
    let mut problems = Vec::new();
    let mut blobs: HashMap<PathBuf, BlobStat> = HashMap::new();
    let mut revisions = Vec::new();

    let snapshots = dir.join("snapshots");
    for snapshot in read_dir_sorted(&snapshots) {
        let commit = snapshot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !snapshot.is_dir() {
            problems.push(CacheProblem {
                kind: ProblemKind::Unexpected,
                bytes: tree_size(&snapshot),
                path: snapshot.display().to_string(),
            });
            continue;
        }
        let mut files = Vec::new();
        let mut used = BTreeSet::new();
        for pointer in walk_files(&snapshot) {
            let rel = pointer
                .strip_prefix(&snapshot)
                .unwrap_or(&pointer)
                .to_string_lossy()
                .replace('\\', "/");
            let (key, blob_name) = match link_target(&pointer) {
                Some(target) => {
                    let name = (target.parent() == Some(dir.join("blobs").as_path()))
                        .then(|| target.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .flatten();
                    (target, name)
                }
                None => (pointer.clone(), None),
            };
            if !blobs.contains_key(&key) {
                match std::fs::metadata(&pointer) {
                    Ok(meta) => {
                        blobs.insert(key.clone(), BlobStat::from(&meta));
                    }
                    Err(_) => {
                        problems.push(CacheProblem {
                            kind: ProblemKind::BrokenSymlink,
                            bytes: 0,
                            path: pointer.display().to_string(),
                        });
                        continue;
                    }
                }
            }
            let stat = &blobs[&key];
            files.push(CachedFile {
                path: rel,
                size: stat.size,
                blob: blob_name,
                last_accessed: stat.accessed,
                last_modified: stat.modified,
                linked_elsewhere: stat.linked_elsewhere,
            });
            used.insert(key);
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let size_on_disk = used.iter().map(|k| blobs[k].size).sum();
        let last_modified = match used.iter().map(|k| blobs[k].modified).reduce(f64::max) {
            Some(latest) => latest,
            None => seconds(std::fs::metadata(&snapshot).and_then(|m| m.modified())),
        };
        revisions.push(CachedRevision {
            commit,
            refs: Vec::new(),
            size_on_disk,
            files,
            last_modified,
        });
    }

    // refs/<name> holds a commit, read verbatim (a newline would make it dangle, as in Python).
    let refs_dir = dir.join("refs");
    for ref_file in walk_files(&refs_dir) {
        let name = ref_file
            .strip_prefix(&refs_dir)
            .unwrap_or(&ref_file)
            .to_string_lossy()
            .replace('\\', "/");
        let commit = std::fs::read_to_string(&ref_file).unwrap_or_default();
        match revisions.iter_mut().find(|r| r.commit == commit) {
            Some(revision) => revision.refs.push(name),
            None => problems.push(CacheProblem {
                kind: ProblemKind::DanglingRef,
                bytes: 0,
                path: ref_file.display().to_string(),
            }),
        }
    }
    for revision in &mut revisions {
        revision.refs.sort();
    }

    // Whatever sits in blobs/ and no snapshot uses: partial downloads and orphans.
    let blobs_dir = dir.join("blobs");
    for blob in read_dir_sorted(&blobs_dir) {
        let name = blob
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".incomplete") {
            let bytes = std::fs::metadata(&blob).map_or(0, |m| bytes_freed_by_removing(&m));
            problems.push(CacheProblem {
                kind: ProblemKind::IncompleteDownload,
                bytes,
                path: blob.display().to_string(),
            });
        } else if name.ends_with(".incomplete.state") || name.ends_with(".lock") {
            // The sidecar of a partial download, or a lock of old Python/hf-hub versions.
        } else if !blobs.contains_key(&blob) {
            let bytes = std::fs::symlink_metadata(&blob).map_or(0, |m| bytes_freed_by_removing(&m));
            problems.push(CacheProblem {
                kind: ProblemKind::OrphanBlob,
                bytes,
                path: blob.display().to_string(),
            });
        }
    }

    let repo_meta = std::fs::metadata(dir).ok();
    let fallback = |f: fn(&Metadata) -> std::io::Result<std::time::SystemTime>| {
        repo_meta.as_ref().map_or(0.0, |m| seconds(f(m)))
    };
    revisions.sort_by(|a, b| {
        b.last_modified
            .total_cmp(&a.last_modified)
            .then(a.commit.cmp(&b.commit))
    });
    CachedRepo {
        repo_type,
        folder: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        repo_id,
        size_on_disk: blobs.values().map(|b| b.size).sum(),
        nb_files: blobs.len(),
        last_accessed: blobs
            .values()
            .map(|b| b.accessed)
            .reduce(f64::max)
            .unwrap_or_else(|| fallback(Metadata::accessed)),
        last_modified: blobs
            .values()
            .map(|b| b.modified)
            .reduce(f64::max)
            .unwrap_or_else(|| fallback(Metadata::modified)),
        revisions,
        problems,
    }
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    paths
}

/// Every non-directory below `dir` (symlinks included, not followed).
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            // The entry's type comes with the directory listing: no extra stat per file.
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(entry.path()),
                Ok(_) => files.push(entry.path()),
                Err(_) => {}
            }
        }
    }
    files.sort();
    files
}

/// Bytes under `path` (not following links).
fn tree_size(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => read_dir_sorted(path).iter().map(|p| tree_size(p)).sum(),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_parse_like_python() {
        assert_eq!(
            parse_folder_name("models--org--name"),
            Some((RepoType::Model, "org/name".into()))
        );
        assert_eq!(
            parse_folder_name("datasets--gpt2"),
            Some((RepoType::Dataset, "gpt2".into()))
        );
        assert_eq!(
            parse_folder_name("kernels--a--b"),
            None,
            "Python does not accept kernels"
        );
        assert_eq!(parse_folder_name("random"), None);
    }
}
