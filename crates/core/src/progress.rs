//! Progress of a download as the core reports it: phase, cumulative bytes, per-file rows.
//! The core pushes snapshots into a [`ProgressSink`]; the app adapts it to a Tauri channel,
//! the command line to a terminal bar. Byte updates are coalesced to at most one snapshot per
//! [`MIN_INTERVAL`]; phase and file-state changes are reported at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The shortest time between two byte-only snapshots.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Where a download is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    Queued,
    Resolving,
    Downloading,
    Retrying,
    Verifying,
    /// The Hub endpoint does not answer: the job goes on by itself when it does.
    WaitingForNetwork,
    Completed,
    Paused,
    Cancelled,
    Failed,
}

/// Where one file of a download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum FileState {
    Pending,
    Downloading,
    Verifying,
    /// Downloaded and verified by this job.
    Done,
    /// Already in the cache: nothing was fetched.
    Cached,
}

/// One file's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileProgress {
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    #[ts(type = "number")]
    pub done: u64,
    pub state: FileState,
}

/// A snapshot of a download's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub phase: Phase,
    /// Bytes on disk for this download, cached files included.
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
    pub files: Vec<FileProgress>,
    /// While retrying: which attempt and why.
    pub retry: Option<RetryInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetryInfo {
    pub attempt: u32,
    pub reason: String,
}

/// Receives progress snapshots.
///
/// Implementations must not block: `report` runs on the download's own task, so a slow sink
/// slows the transfer. Hand the snapshot to a channel and return.
pub trait ProgressSink: Send + Sync {
    fn report(&self, progress: &Progress);
}

/// A sink that drops everything.
impl ProgressSink for () {
    fn report(&self, _: &Progress) {}
}

impl<F: Fn(&Progress) + Send + Sync> ProgressSink for F {
    fn report(&self, progress: &Progress) {
        self(progress)
    }
}

/// Keeps the current [`Progress`] of one download and reports it to a sink.
pub struct ProgressTracker<'a> {
    sink: &'a dyn ProgressSink,
    state: Mutex<(Progress, Option<Instant>)>,
}

impl<'a> ProgressTracker<'a> {
    pub fn new(sink: &'a dyn ProgressSink) -> Self {
        let progress = Progress {
            phase: Phase::Resolving,
            bytes_done: 0,
            bytes_total: 0,
            files: Vec::new(),
            retry: None,
        };
        ProgressTracker {
            sink,
            state: Mutex::new((progress, None)),
        }
    }

    fn update(&self, force: bool, change: impl FnOnce(&mut Progress)) {
        let snapshot = {
            let mut guard = self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let (progress, last) = &mut *guard;
            change(progress);
            let due = last.is_none_or(|t| t.elapsed() >= MIN_INTERVAL);
            if !(force || due) {
                return;
            }
            *last = Some(Instant::now());
            progress.clone()
        };
        // Reported outside the lock, so a sink can never deadlock the tracker.
        self.sink.report(&snapshot);
    }

    pub fn phase(&self, phase: Phase) {
        self.update(true, |p| {
            p.phase = phase;
            if phase != Phase::Retrying {
                p.retry = None;
            }
        });
    }

    /// Sets the file list once the download is planned.
    pub fn files(&self, files: Vec<FileProgress>) {
        self.update(true, |p| {
            p.bytes_total = files.iter().map(|f| f.size).sum();
            p.bytes_done = files.iter().map(|f| f.done).sum();
            p.files = files;
        });
    }

    pub fn file_state(&self, index: usize, state: FileState) {
        self.update(true, |p| {
            if let Some(file) = p.files.get_mut(index) {
                if matches!(state, FileState::Cached | FileState::Done) {
                    p.bytes_done += file.size - file.done;
                    file.done = file.size;
                }
                file.state = state;
            }
        });
    }

    pub fn file_bytes(&self, index: usize, n: u64) {
        self.update(false, |p| {
            if let Some(file) = p.files.get_mut(index) {
                let n = n.min(file.size - file.done);
                file.done += n;
                p.bytes_done += n;
            }
            if p.phase == Phase::Retrying {
                p.phase = Phase::Downloading;
                p.retry = None;
            }
        });
    }

    /// The file restarted from byte 0.
    pub fn file_restarted(&self, index: usize) {
        self.update(true, |p| {
            if let Some(file) = p.files.get_mut(index) {
                p.bytes_done -= file.done;
                file.done = 0;
            }
        });
    }

    pub fn retrying(&self, attempt: u32, reason: String) {
        self.update(true, |p| {
            p.phase = Phase::Retrying;
            p.retry = Some(RetryInfo { attempt, reason });
        });
    }

    pub fn snapshot(&self) -> Progress {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0
            .clone()
    }
}

/// A byte count as people read it, in the decimal units the Hub's pages and the app's window
/// use: `300 KB`, `4.37 GB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = match value {
        _ if unit == 0 => 0,
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_like_the_window_shows_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(300_000), "300 KB");
        assert_eq!(human_bytes(4_370_000_000), "4.37 GB");
        assert_eq!(human_bytes(11_000_000_000), "11.0 GB");
    }

    #[test]
    fn byte_updates_are_coalesced_but_state_changes_are_not() {
        let seen = Mutex::new(Vec::<Progress>::new());
        let sink = |p: &Progress| seen.lock().unwrap().push(p.clone());
        let tracker = ProgressTracker::new(&sink);
        tracker.files(vec![FileProgress {
            path: "a".into(),
            size: 100,
            done: 0,
            state: FileState::Pending,
        }]);
        for _ in 0..50 {
            tracker.file_bytes(0, 1);
        }
        tracker.file_state(0, FileState::Done);
        let seen = seen.lock().unwrap();
        assert!(
            seen.len() <= 4,
            "{} snapshots for 50 byte updates",
            seen.len()
        );
        let last = seen.last().unwrap();
        assert_eq!(
            (last.bytes_done, last.bytes_total, last.files[0].state),
            (100, 100, FileState::Done)
        );
    }
}
