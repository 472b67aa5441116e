//! The sha256 of other apps' files, each worked out once: a GGUF is gigabytes, and its bytes
//! stay the same while its path, size, modification time and inode do. Kept in a small JSON
//! file; an unreadable one only means hashing again.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// Where the memory is kept, under the person's cache folder (`$XDG_CACHE_HOME`): the app and
/// `modelshelf-cli` share it.
pub const HASH_MEMORY_FILE: &str = "modelshelf/hashes.json";

/// Hashes worked out before, by file path.
#[derive(Debug, Default)]
pub struct HashMemory {
    file: Option<PathBuf>,
    entries: HashMap<PathBuf, Remembered>,
    /// A hash was worked out since loading: there is something to save.
    changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Remembered {
    size: u64,
    mtime_ns: i128,
    inode: u64,
    sha256: String,
}

impl HashMemory {
    /// The hashes kept in `file` (none if it is missing or unreadable); [`HashMemory::save`]
    /// writes them back there.
    pub fn load(file: &Path) -> HashMemory {
        let entries = std::fs::read(file)
            .ok()
            .and_then(|raw| serde_json::from_slice(&raw).ok())
            .unwrap_or_default();
        HashMemory {
            file: Some(file.to_owned()),
            entries,
            changed: false,
        }
    }

    /// Writes the hashes back to the file they came from, when one was worked out since.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self) -> Result<()> {
        let Some(file) = &self.file.as_ref().filter(|_| self.changed) else {
            return Ok(());
        };
        let json = serde_json::to_vec(&self.entries).map_err(|e| Error::Internal(e.to_string()))?;
        crate::fs::write_atomically(file, &json)
    }

    /// Whether the sha256 of the file at `path`, as it is now, is remembered.
    pub fn remembers(&self, path: &Path) -> bool {
        self.entries.get(path).is_some_and(|known| {
            std::fs::metadata(path)
                .is_ok_and(|meta| *known == Remembered::of(&meta, known.sha256.clone()))
        })
    }

    /// The sha256 of the file at `path`: remembered if the file is unchanged, else read (with
    /// `read` told each piece's size) and remembered.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read; [`Error::Cancelled`].
    pub fn sha256(
        &mut self,
        path: &Path,
        cancel: &CancellationToken,
        read: &mut dyn FnMut(u64),
    ) -> Result<String> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("reading", path, e))?;
        if let Some(known) = self.entries.get(path)
            && *known == Remembered::of(&meta, known.sha256.clone())
        {
            return Ok(known.sha256.clone());
        }
        let sha256 = crate::fs::hex(&crate::fs::digest(path, cancel, read)?);
        self.entries
            .insert(path.to_owned(), Remembered::of(&meta, sha256.clone()));
        self.changed = true;
        Ok(sha256)
    }
}

impl Remembered {
    /// `sha256` as the hash of the file `meta` describes.
    fn of(meta: &std::fs::Metadata, sha256: String) -> Remembered {
        Remembered {
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
            sha256,
        }
    }
}
