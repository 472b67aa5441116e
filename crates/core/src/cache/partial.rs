//! Partial downloads: `blobs/<etag>.<8 hex>.incomplete`, written strictly front to back, with
//! a small `.state` sidecar that says which job it belongs to and which server ETag the bytes
//! came from, so a download resumes after a restart or a crash. The unique suffix keeps old
//! Python versions (which append to `blobs/<etag>.incomplete`) away from our files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{RepoCache, confine};
use crate::error::{Error, Result};
use crate::fs::{replace_file, unique_suffix};

/// What the sidecar of a partial download records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialState {
    /// The job that wrote it last (so a cancelled job can remove exactly its own files).
    pub job: String,
    pub etag: String,
    /// The size of the complete file.
    pub size: u64,
    /// The ETag of the server the bytes came from, for `If-Range` when resuming.
    #[serde(default)]
    pub source_etag: Option<String>,
    /// For a file fetched in parallel byte ranges: how far each range has got. Absent for a
    /// file written front to back, whose length is its progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks: Option<Vec<ChunkState>>,
}

/// One byte range of a file fetched in parallel: `[start, end)`, of which `done` bytes from
/// `start` are on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkState {
    pub start: u64,
    pub end: u64,
    pub done: u64,
}

impl ChunkState {
    pub fn is_complete(&self) -> bool {
        self.start + self.done >= self.end
    }
}

/// One partial download on disk.
#[derive(Debug, Clone)]
pub struct Partial {
    pub path: PathBuf,
    pub state: PartialState,
    /// The cache root, below which no folder of `path` may be a link.
    root: PathBuf,
}

impl Partial {
    fn state_path(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(".state");
        PathBuf::from(name)
    }

    /// The sidecar of the partial file at `path`, when it is there and readable.
    fn read_state(path: &Path) -> Option<PartialState> {
        let state = std::fs::read(Self::state_path(path)).ok()?;
        serde_json::from_slice(&state).ok()
    }

    /// Bytes of the file on disk (for a ranged download: its preallocated size).
    pub fn len(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes already downloaded and usable for a resume.
    pub fn valid_bytes(&self) -> u64 {
        match &self.state.chunks {
            Some(chunks) => chunks.iter().map(|c| c.done).sum(),
            None => self.len().min(self.state.size),
        }
    }

    /// The bytes from the start of the file that are all downloaded.
    pub fn valid_prefix(&self) -> u64 {
        match &self.state.chunks {
            Some(chunks) => {
                let mut prefix = 0;
                for chunk in chunks {
                    if chunk.start != prefix {
                        break;
                    }
                    prefix += chunk.done;
                    if !chunk.is_complete() {
                        break;
                    }
                }
                prefix
            }
            None => self.len().min(self.state.size),
        }
    }

    /// Opens the data for reading and writing, never through a link planted in its place.
    pub fn open(&self) -> Result<std::fs::File> {
        super::confine::open(
            &self.path,
            std::fs::OpenOptions::new().read(true).write(true),
        )
    }

    /// Rewrites the sidecar (atomically, so a crash leaves the old or the new one).
    pub fn save_state(&self) -> Result<()> {
        let json = serde_json::to_vec(&self.state).map_err(|e| Error::Internal(e.to_string()))?;
        let path = Self::state_path(&self.path);
        confine::check_folders(&self.root, &path)?;
        replace_file(&path, &json)
    }

    /// Deletes the data and its sidecar; returns the bytes freed: those the file system holds
    /// for it, not its length (a stopped ranged download gave back what it had not written).
    pub fn remove(&self) -> Result<u64> {
        use std::os::unix::fs::MetadataExt as _;
        confine::check_folders(&self.root, &self.path)?;
        let freed = std::fs::metadata(&self.path).map_or(0, |m| (m.blocks() * 512).min(m.len()));
        for path in [self.path.clone(), Self::state_path(&self.path)] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("removing", path, e)),
            }
        }
        Ok(freed)
    }

    /// Moves the finished data to `blob` and drops the sidecar.
    pub fn commit_to(&self, blob: &Path) -> Result<()> {
        confine::check_folders(&self.root, &self.path)?;
        confine::check_folders(&self.root, blob)?;
        // A link planted at `blob` is replaced, not followed.
        std::fs::rename(&self.path, blob).map_err(|e| Error::io("renaming into place", blob, e))?;
        let _ = std::fs::remove_file(Self::state_path(&self.path));
        Ok(())
    }
}

impl RepoCache {
    /// Every partial download of this repo that has a readable sidecar. None when a folder
    /// on the way is a link; a partial file that is a link is not one of ours either (writing
    /// on would write through it).
    pub fn partials(&self) -> Vec<Partial> {
        let dir = self.blobs_dir();
        if confine::check_folders(&self.root, &dir.join("x")).is_err() {
            return Vec::new();
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "incomplete"))
            .filter_map(|path| {
                let state = Partial::read_state(&path)?;
                Some(Partial {
                    path,
                    state,
                    root: self.root.clone(),
                })
            })
            .collect()
    }

    /// The partial download to continue for `etag`, if a usable one exists: the longest one
    /// whose sidecar agrees on the size. Call with the blob's lock held.
    pub fn resumable_partial(&self, etag: &str, size: u64) -> Option<Partial> {
        self.partials()
            .into_iter()
            .filter(|p| p.state.etag == etag && p.state.size == size && p.len() <= size)
            .max_by_key(Partial::valid_bytes)
    }

    /// A new, empty partial download for `etag`, owned by `job`.
    pub fn new_partial(&self, etag: &str, size: u64, job: &str) -> Result<Partial> {
        let blob = self.blob_path(etag)?;
        confine::create_dir(&self.root, &self.blobs_dir())?;
        let path = blob.with_file_name(format!("{etag}.{}.incomplete", unique_suffix()));
        confine::open(
            &path,
            std::fs::OpenOptions::new().write(true).create_new(true),
        )?;
        let partial = Partial {
            root: self.root.clone(),
            path,
            state: PartialState {
                job: job.to_owned(),
                etag: etag.to_owned(),
                size,
                source_etag: None,
                chunks: None,
            },
        };
        partial.save_state()?;
        Ok(partial)
    }

    /// Removes the partial downloads of `job` that hold no downloaded byte yet.
    pub fn discard_partials_without_data(&self, job: &str) -> Result<()> {
        for partial in self.partials().into_iter().filter(|p| p.state.job == job) {
            if partial.valid_bytes() == 0 {
                partial.remove()?;
            }
        }
        Ok(())
    }

    /// Removes the partial downloads `job` left in this repo, each under its blob's lock (one
    /// another download is resuming, which it takes over under that lock, stays), then the
    /// folders left empty (the repo's own too, when nothing else is in it); returns the bytes
    /// freed.
    pub fn discard_partials(&self, job: &str) -> Result<u64> {
        let mut freed = 0;
        for partial in self.partials().into_iter().filter(|p| p.state.job == job) {
            let Some(_lock) = self.try_lock_blob(&partial.state.etag)? else {
                tracing::info!(
                    partial = %partial.path.display(),
                    "left in place: a download (here or in another program) holds its blob"
                );
                continue;
            };
            // Read again under the lock: a download may have taken it over just before.
            if Partial::read_state(&partial.path).is_some_and(|state| state.job == job) {
                // One that cannot be removed is left to Clean up; the others still go.
                match partial.remove() {
                    Ok(bytes) => freed += bytes,
                    Err(e) => tracing::warn!("left a partial download to Clean up: {e}"),
                }
            }
        }
        self.remove_empty_folders()?;
        Ok(freed)
    }

    /// Hands the partial downloads of `from` to job `to`, each under its blob's lock: they go
    /// when `to` is cancelled or finishes without needing them.
    pub fn hand_partials(&self, from: &str, to: &str) -> Result<()> {
        for mut partial in self.partials().into_iter().filter(|p| p.state.job == from) {
            let Some(_lock) = self.try_lock_blob(&partial.state.etag)? else {
                continue;
            };
            if let Some(state) = Partial::read_state(&partial.path).filter(|s| s.job == from) {
                partial.state = PartialState {
                    job: to.to_owned(),
                    ..state
                };
                partial.save_state()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{RepoId, RepoType};

    #[test]
    fn partials_resume_by_etag_and_are_discarded_by_job() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RepoCache::new(
            dir.path(),
            RepoType::Model,
            &RepoId::parse("org/name").unwrap(),
        );
        let a = cache.new_partial("aaaa", 10, "job-1").unwrap();
        std::fs::write(&a.path, b"12345").unwrap();
        let b = cache.new_partial("bbbb", 10, "job-2").unwrap();
        assert!(
            a.path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("aaaa.")
        );
        assert!(a.path.to_str().unwrap().ends_with(".incomplete"));

        let found = cache.resumable_partial("aaaa", 10).unwrap();
        assert_eq!((found.path.clone(), found.len()), (a.path.clone(), 5));
        assert!(
            cache.resumable_partial("aaaa", 11).is_none(),
            "another size is another file"
        );

        assert_eq!(cache.discard_partials("job-1").unwrap(), 5);
        assert!(!a.path.exists() && b.path.exists());
        assert_eq!(cache.partials().len(), 1);
    }

    #[test]
    fn a_removed_partial_counts_the_bytes_it_held_not_its_length() {
        use std::os::unix::fs::FileExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cache = RepoCache::new(
            dir.path(),
            RepoType::Model,
            &RepoId::parse("org/name").unwrap(),
        );
        // A ranged download stopped at 1 MiB of 20: the rest is a hole. Bytes that do not
        // compress, synced, so file systems that compress or allocate late count them.
        let partial = cache.new_partial("cccc", 20 << 20, "job-3").unwrap();
        let file = partial.open().unwrap();
        file.set_len(20 << 20).unwrap();
        let noise: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        file.write_all_at(&noise, 0).unwrap();
        file.sync_all().unwrap();
        let freed = partial.remove().unwrap();
        assert!(freed > 0 && freed < 20 << 20, "{freed}");
    }

    #[test]
    fn a_partial_another_download_holds_or_took_over_is_not_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RepoCache::new(
            dir.path(),
            RepoType::Model,
            &RepoId::parse("org/name").unwrap(),
        );
        let mut partial = cache.new_partial("aaaa", 10, "job-1").unwrap();
        std::fs::write(&partial.path, b"12345").unwrap();
        let held = cache
            .try_lock_blob("aaaa")
            .unwrap()
            .expect("nobody holds it");
        assert!(cache.try_lock_blob("aaaa").unwrap().is_none());
        assert_eq!(cache.discard_partials("job-1").unwrap(), 0);
        assert!(partial.path.exists(), "a download holds its blob");
        // That download resumes it: the partial is its own now.
        partial.state.job = "job-2".into();
        partial.save_state().unwrap();
        drop(held);
        assert_eq!(cache.discard_partials("job-1").unwrap(), 0);
        assert!(partial.path.exists());
        assert_eq!(cache.discard_partials("job-2").unwrap(), 5);
        assert!(!partial.path.exists());
    }
}
