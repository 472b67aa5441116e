//! Unfinished jobs on disk (`jobs.json` in the app's data folder), so a download interrupted
//! by a quit, a crash or a reboot is offered for resume at the next launch. Written
//! atomically; an unreadable file means "nothing to resume", never a failed launch.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{DownloadRequest, Job, JobId, JobProgress, JobState, JobView};
use crate::error::Result;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredJob {
    id: JobId,
    request: DownloadRequest,
    bytes_done: u64,
    bytes_total: u64,
    created_at: u64,
}

/// Saves the jobs that are not finished.
pub(super) fn save(path: &Path, jobs: &[JobView]) -> Result<()> {
    let unfinished: Vec<StoredJob> = jobs
        .iter()
        .filter(|j| {
            !matches!(
                j.progress.state,
                JobState::Completed | JobState::Cancelled | JobState::Failed
            )
        })
        .map(|j| StoredJob {
            id: j.id.clone(),
            request: j.request.clone(),
            bytes_done: j.progress.download.bytes_done,
            bytes_total: j.progress.download.bytes_total,
            created_at: j.created_at,
        })
        .collect();
    let json = serde_json::to_vec_pretty(&unfinished)
        .map_err(|e| crate::error::Error::Internal(e.to_string()))?;
    crate::fs::write_atomically(path, &json)
}

/// The saved jobs, all paused: whatever was running was interrupted.
pub(super) fn load(path: &Path) -> Vec<Job> {
    let Ok(raw) = std::fs::read(path) else {
        return Vec::new();
    };
    let stored: Vec<StoredJob> = serde_json::from_slice(&raw).unwrap_or_default();
    stored
        .into_iter()
        .filter(|s| s.request.to_model_request().is_ok())
        .map(|s| {
            let mut progress = JobProgress::queued(&s.id).still(JobState::Paused);
            progress.download.bytes_done = s.bytes_done;
            progress.download.bytes_total = s.bytes_total;
            Job {
                id: s.id,
                request: s.request,
                progress,
                entry: None,
                created_at: s.created_at,
                live: None,
            }
        })
        .collect()
}
