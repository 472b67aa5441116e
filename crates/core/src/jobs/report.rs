//! What a job tells the frontend while it runs: cumulative bytes, a smoothed speed that falls
//! to zero when the transfer stalls, an ETA, the phase, per-file rows, and at the end the
//! error if any. Reports are built on a ticker, so a job sends at most one every
//! [`super::REPORT_EVERY`], and only when something changed.

use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

use super::JobId;
use crate::error::ErrorReport;
use crate::progress::{FileProgress, Phase, Progress, RetryInfo};

/// How quickly the speed estimate follows the real rate (time constant of the smoothing).
const SMOOTHING: Duration = Duration::from_millis(1500);
/// No byte for this long means the speed is zero, whatever the smoothing says.
const STALLED_AFTER: Duration = Duration::from_secs(3);

/// One report about one job.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    pub job_id: JobId,
    pub phase: Phase,
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
    /// Bytes per second, smoothed.
    pub speed: f64,
    /// Seconds left at the current speed; `None` when unknown (no speed yet, or stalled).
    pub eta_seconds: Option<f64>,
    pub files: Vec<FileProgress>,
    /// While retrying: which attempt and why.
    pub retry: Option<RetryInfo>,
    /// Set when the job failed.
    pub error: Option<ErrorReport>,
}

impl JobProgress {
    pub fn queued(id: &JobId) -> JobProgress {
        JobProgress {
            job_id: id.clone(),
            phase: Phase::Queued,
            bytes_done: 0,
            bytes_total: 0,
            speed: 0.0,
            eta_seconds: None,
            files: Vec::new(),
            retry: None,
            error: None,
        }
    }

    /// The last report of a run.
    pub fn terminal(mut self, phase: Phase, error: Option<ErrorReport>) -> JobProgress {
        self.phase = phase;
        self.speed = 0.0;
        self.eta_seconds = None;
        self.retry = None;
        self.error = error;
        if phase == Phase::Completed {
            self.bytes_done = self.bytes_total;
        }
        self
    }
}

/// Turns the engine's snapshots into reports with a speed and an ETA.
#[derive(Default)]
pub(super) struct SpeedMeter {
    last: Option<(Instant, u64)>,
    last_byte_at: Option<Instant>,
    speed: f64,
    sent: Option<JobProgress>,
}

impl SpeedMeter {
    /// The report for `snapshot` now, or `None` when it would repeat the last one.
    pub(super) fn report(&mut self, id: &JobId, snapshot: &Progress) -> Option<JobProgress> {
        let now = Instant::now();
        let done = snapshot.bytes_done;
        if let Some((then, before)) = self.last {
            let dt = now.duration_since(then).as_secs_f64();
            if dt > 0.0 {
                // A restart (fewer bytes than before) is not negative speed.
                let rate = done.saturating_sub(before) as f64 / dt;
                let weight = 1.0 - (-dt / SMOOTHING.as_secs_f64()).exp();
                self.speed += weight * (rate - self.speed);
            }
            if done > before {
                self.last_byte_at = Some(now);
            }
        } else {
            self.last_byte_at = Some(now);
        }
        self.last = Some((now, done));
        if self
            .last_byte_at
            .is_some_and(|t| now.duration_since(t) >= STALLED_AFTER)
            || self.speed < 1.0
        {
            self.speed = 0.0;
        }
        let left = snapshot.bytes_total.saturating_sub(done);
        let report = JobProgress {
            job_id: id.clone(),
            phase: snapshot.phase,
            bytes_done: done,
            bytes_total: snapshot.bytes_total,
            speed: self.speed.round(),
            eta_seconds: (self.speed > 0.0 && left > 0).then(|| (left as f64 / self.speed).ceil()),
            files: snapshot.files.clone(),
            retry: snapshot.retry.clone(),
            error: None,
        };
        if self.sent.as_ref() == Some(&report) {
            return None;
        }
        self.sent = Some(report.clone());
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(done: u64) -> Progress {
        Progress {
            phase: Phase::Downloading,
            bytes_done: done,
            bytes_total: 1000,
            files: Vec::new(),
            retry: None,
        }
    }

    #[test]
    fn speed_follows_the_rate_and_decays_to_zero_when_stalled() {
        let id = JobId::new("j");
        let mut meter = SpeedMeter::default();
        meter.report(&id, &snapshot(0));
        std::thread::sleep(Duration::from_millis(100));
        let moving = meter.report(&id, &snapshot(100)).unwrap();
        assert!(
            moving.speed > 0.0 && moving.eta_seconds.is_some(),
            "{moving:?}"
        );
        assert!(
            meter
                .report(&id, &snapshot(100))
                .is_none_or(|r| r.speed <= moving.speed),
            "no new bytes: slower"
        );
        meter.last_byte_at = Some(Instant::now() - STALLED_AFTER);
        let stalled = meter.report(&id, &snapshot(100)).unwrap();
        assert_eq!((stalled.speed, stalled.eta_seconds), (0.0, None));
        assert!(
            meter.report(&id, &snapshot(100)).is_none(),
            "nothing changed: nothing sent"
        );
    }
}
