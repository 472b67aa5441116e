//! Download jobs: their ids, and (with the jobs work, issue 4) the registry that maps each live
//! job to its state and its `CancellationToken`.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Identifies one download job for its whole life, across restarts.
/// Serialized as a bare string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct JobId(String);

impl JobId {
    pub fn new(raw: impl Into<String>) -> JobId {
        JobId(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
