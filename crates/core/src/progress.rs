//! Progress of one download as the engine knows it: it emits [`ProgressEvent`]s (a phase, the
//! planned files, bytes, a restart, a retry) as they happen, and whoever listens folds them
//! into a [`Progress`] with [`Progress::apply`]. The engine never decides how often anyone
//! hears about it: the job registry reports on its own ticker, the command line's bar draws
//! at its own pace.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the engine is doing for a download. Where a job stands (queued, paused, finished...)
/// is the job registry's business, not the engine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Asking the Hub which commit and files the request means.
    Resolving,
    Downloading,
    /// A setback: waiting to try again ([`Progress::retry`] says why).
    Retrying,
    /// Hashing what was written.
    Verifying,
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

/// A download's progress: the engine's events folded together.
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

/// Something the engine did. Files are named by their index in [`ProgressEvent::Planned`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    Phase(Phase),
    /// The files to fetch, once the download is planned.
    Planned(Vec<FileProgress>),
    FileState {
        index: usize,
        state: FileState,
    },
    /// `n` more bytes of a file are on disk.
    FileBytes {
        index: usize,
        n: u64,
    },
    /// A file starts again from byte 0 (the server would not resume it).
    FileRestarted {
        index: usize,
    },
    Retrying(RetryInfo),
}

/// Hears a download's [`ProgressEvent`]s.
///
/// Implementations must not block: `event` runs on the download's own task, once per chunk of
/// bytes, so a slow sink slows the transfer. Fold the event and return.
pub trait ProgressSink: Send + Sync {
    fn event(&self, event: &ProgressEvent);
}

/// A sink that drops everything.
impl ProgressSink for () {
    fn event(&self, _: &ProgressEvent) {}
}

impl<F: Fn(&ProgressEvent) + Send + Sync> ProgressSink for F {
    fn event(&self, event: &ProgressEvent) {
        self(event)
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress {
            phase: Phase::Resolving,
            bytes_done: 0,
            bytes_total: 0,
            files: Vec::new(),
            retry: None,
        }
    }
}

impl Progress {
    /// Folds `event` in.
    pub fn apply(&mut self, event: &ProgressEvent) {
        match event {
            ProgressEvent::Phase(phase) => {
                self.phase = *phase;
                if *phase != Phase::Retrying {
                    self.retry = None;
                }
            }
            ProgressEvent::Planned(files) => {
                self.bytes_total = files.iter().map(|f| f.size).sum();
                self.bytes_done = files.iter().map(|f| f.done).sum();
                self.files.clone_from(files);
            }
            ProgressEvent::FileState { index, state } => {
                if let Some(file) = self.files.get_mut(*index) {
                    if matches!(state, FileState::Cached | FileState::Done) {
                        self.bytes_done += file.size - file.done;
                        file.done = file.size;
                    }
                    file.state = *state;
                }
            }
            ProgressEvent::FileBytes { index, n } => {
                if let Some(file) = self.files.get_mut(*index) {
                    let n = (*n).min(file.size - file.done);
                    file.done += n;
                    self.bytes_done += n;
                }
                // Bytes flow again: the retry is over.
                if self.phase == Phase::Retrying {
                    self.phase = Phase::Downloading;
                    self.retry = None;
                }
            }
            ProgressEvent::FileRestarted { index } => {
                if let Some(file) = self.files.get_mut(*index) {
                    self.bytes_done -= file.done;
                    file.done = 0;
                }
            }
            ProgressEvent::Retrying(info) => {
                self.phase = Phase::Retrying;
                self.retry = Some(info.clone());
            }
        }
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
    fn events_fold_into_bytes_files_and_phase() {
        let mut p = Progress::default();
        p.apply(&ProgressEvent::Planned(vec![
            FileProgress {
                path: "a".into(),
                size: 100,
                done: 0,
                state: FileState::Pending,
            },
            FileProgress {
                path: "b".into(),
                size: 50,
                done: 0,
                state: FileState::Pending,
            },
        ]));
        p.apply(&ProgressEvent::Phase(Phase::Downloading));
        p.apply(&ProgressEvent::FileState {
            index: 1,
            state: FileState::Cached,
        });
        p.apply(&ProgressEvent::FileBytes { index: 0, n: 30 });
        p.apply(&ProgressEvent::Retrying(RetryInfo {
            attempt: 1,
            reason: "reset".into(),
        }));
        assert_eq!(
            (p.phase, p.bytes_done, p.bytes_total),
            (Phase::Retrying, 80, 150)
        );
        p.apply(&ProgressEvent::FileRestarted { index: 0 });
        assert_eq!(p.bytes_done, 50);
        // More bytes than the file has are not counted; bytes end the retry.
        p.apply(&ProgressEvent::FileBytes { index: 0, n: 500 });
        assert_eq!((p.phase, p.retry.is_none()), (Phase::Downloading, true));
        p.apply(&ProgressEvent::FileState {
            index: 0,
            state: FileState::Done,
        });
        assert_eq!((p.bytes_done, p.files[0].state), (150, FileState::Done));
    }
}
