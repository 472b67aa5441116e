//! What a job tells the frontend: its state and whether it is live, the engine's numbers
//! (phase, cumulative bytes, per-file rows, retry), a smoothed speed that falls to zero when
//! the transfer stalls, an ETA, and at the end the error if any. Reports are built on a ticker, so a job sends at most one every
//! [`super::REPORT_EVERY`], and only when something changed.

use std::time::Duration;

use serde::{Deserialize, Serialize};
// The registry's clock (tokio's), so tests can move it by hand.
use tokio::time::Instant;
use ts_rs::TS;

use super::JobId;
use crate::error::ErrorReport;
use crate::progress::Progress;

/// How quickly the speed estimate follows the real rate (time constant of the smoothing).
const SMOOTHING: Duration = Duration::from_millis(1500);
/// No byte for this long means the speed is zero, whatever the smoothing says.
const STALLED_AFTER: Duration = Duration::from_secs(3);

/// Where a job stands. What the engine is doing while it runs is [`Progress::phase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum JobState {
    /// Waiting for a free slot.
    Queued,
    Running,
    /// The Hub endpoint does not answer: the job goes on by itself when it does.
    WaitingForNetwork,
    /// Stopped by the person (or the app quitting); partial data kept for a resume.
    Paused,
    Completed,
    Cancelled,
    Failed,
}

impl JobState {
    /// Whether a job in this state is running or waiting to run. The one place that decides it:
    /// reports carry it as [`JobProgress::live`], so the frontend never guesses.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running | JobState::WaitingForNetwork
        )
    }
}

/// One report about one job: its state, the engine's numbers for its run, and what the
/// registry works out from them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    pub job_id: JobId,
    pub state: JobState,
    /// `state.is_live()`; set with the state by [`JobProgress::set_state`].
    pub live: bool,
    /// The engine's numbers: phase, bytes, files, retry.
    #[serde(flatten)]
    #[ts(flatten)]
    pub download: Progress,
    /// Bytes per second, smoothed.
    pub speed: f64,
    /// Seconds left at the current speed; `None` when unknown (no speed yet, or stalled).
    pub eta_seconds: Option<f64>,
    /// Set when the job failed.
    pub error: Option<ErrorReport>,
}

impl JobProgress {
    pub fn queued(id: &JobId) -> JobProgress {
        JobProgress {
            job_id: id.clone(),
            state: JobState::Queued,
            live: true,
            download: Progress::default(),
            speed: 0.0,
            eta_seconds: None,
            error: None,
        }
    }

    pub fn set_state(&mut self, state: JobState) {
        self.state = state;
        self.live = state.is_live();
    }

    /// The same numbers in `state`, standing still (no speed, no ETA, no retry).
    pub fn still(mut self, state: JobState) -> JobProgress {
        self.set_state(state);
        self.speed = 0.0;
        self.eta_seconds = None;
        self.download.retry = None;
        self
    }

    /// The last report of a run.
    pub fn terminal(self, state: JobState, error: Option<ErrorReport>) -> JobProgress {
        let mut last = self.still(state);
        last.error = error;
        if state == JobState::Completed {
            last.download.bytes_done = last.download.bytes_total;
        }
        last
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
            speed: self.speed.round(),
            eta_seconds: (self.speed > 0.0 && left > 0).then(|| (left as f64 / self.speed).ceil()),
            download: snapshot.clone(),
            ..JobProgress::queued(id).still(JobState::Running)
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
            phase: crate::progress::Phase::Downloading,
            bytes_done: done,
            bytes_total: 1000,
            ..Progress::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn speed_follows_the_rate_and_decays_to_zero_when_stalled() {
        let id = JobId::new("j");
        let mut meter = SpeedMeter::default();
        meter.report(&id, &snapshot(0));
        tokio::time::advance(Duration::from_millis(100)).await;
        let moving = meter.report(&id, &snapshot(100)).unwrap();
        assert!(
            moving.speed > 0.0 && moving.eta_seconds.is_some(),
            "{moving:?}"
        );
        tokio::time::advance(Duration::from_millis(100)).await;
        let slower = meter.report(&id, &snapshot(100)).unwrap();
        assert!(
            slower.speed < moving.speed,
            "no new bytes: slower ({} then {})",
            moving.speed,
            slower.speed
        );
        tokio::time::advance(STALLED_AFTER).await;
        let stalled = meter.report(&id, &snapshot(100)).unwrap();
        assert_eq!((stalled.speed, stalled.eta_seconds), (0.0, None));
        assert!(
            meter.report(&id, &snapshot(100)).is_none(),
            "nothing changed: nothing sent"
        );
    }
}
