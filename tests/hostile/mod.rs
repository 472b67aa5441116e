//! Hostile cases, one test per way a server, a disk or another process can misbehave (issue
//! "Failure paths you can trust"). Every test bounds its time and its requests, runs in a
//! [`Sandbox`] whose outside folder must stay exactly as it was, and names the error kind it
//! expects.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The cache: planted symlinks, names the file system cannot hold, two processes at once.
mod cache;
/// Listings and messages: huge and foreign-paged listings, control characters, TLS trust,
/// redirect schemes, names in messages.
mod listing;
/// The transfer loop: failed large downloads, short bodies, trickles, retry budget, threads,
/// space after failure.
mod transfer;

/// A temporary cache root with a sibling folder holding one witness file: anything a test
/// writes through a planted link lands in `outside`, where [`Sandbox::assert_outside_untouched`]
/// finds it.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub cache: PathBuf,
    pub outside: PathBuf,
}

const WITNESS: &str = "witness.txt";
const WITNESS_TEXT: &[u8] = b"nothing may change this file\n";

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = dir.path().join("cache");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join(WITNESS), WITNESS_TEXT).unwrap();
        Sandbox {
            _dir: dir,
            cache,
            outside,
        }
    }

    /// The folder that holds both `cache` and `outside`.
    pub fn root(&self) -> &Path {
        self.cache.parent().expect("cache has a parent")
    }

    /// `outside` holds exactly the witness file, unchanged, and nothing else.
    pub fn assert_outside_untouched(&self) {
        let names: Vec<_> = std::fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [WITNESS], "something was written outside the cache");
        let witness = self.outside.join(WITNESS);
        assert!(
            !std::fs::symlink_metadata(&witness).unwrap().is_symlink(),
            "the witness was replaced by a link"
        );
        assert_eq!(std::fs::read(witness).unwrap(), WITNESS_TEXT);
    }
}

/// Awaits `fut`, failing the test if it takes longer than `limit`.
pub async fn within<T>(limit: Duration, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(value) => value,
        Err(_) => panic!("did not finish within {limit:?}"),
    }
}
