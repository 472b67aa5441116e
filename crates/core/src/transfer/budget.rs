//! The retry budget of one file. Every setback spends from it (a dropped or refused
//! connection, a 5xx or 429, a restart, a body that ends early, a stall, a trickle, an expired
//! link); only bytes never received before earn it back, in proportion to how many, so a
//! server that gives one byte per attempt cannot keep a download alive. When it is spent the
//! transfer fails with one sentence naming what the server kept doing.

use std::time::Duration;

use super::TransferOptions;
use crate::error::Error;
use crate::progress::human_bytes;

/// New bytes that earn back one retry.
const BYTES_PER_RETRY: u64 = 8 * 1024 * 1024;

/// Something that went wrong with one request, worth another try.
#[derive(Debug)]
pub(super) enum Setback {
    /// The body ended cleanly at byte `at` of the file, before the end that was asked for.
    EndedEarly { at: u64 },
    /// No byte for this long.
    Stalled(Duration),
    /// Fewer than `floor` bytes a second over `window`.
    TooSlow { floor: u64, window: Duration },
    /// A transport error or a transient HTTP answer (5xx, 429 with its `Retry-After`).
    Failed {
        error: Error,
        retry_after: Option<Duration>,
    },
    /// The server made us start over: it ignored `Range`, refused it (416), or sent another
    /// version of the file.
    Restarted(&'static str),
    /// The signed download link was refused.
    Expired,
}

impl Setback {
    /// Which kind of setback, to count them by kind.
    fn kind(&self) -> usize {
        match self {
            Setback::EndedEarly { .. } => 0,
            Setback::Stalled(_) => 1,
            Setback::TooSlow { .. } => 2,
            Setback::Failed { .. } => 3,
            Setback::Restarted(_) => 4,
            Setback::Expired => 5,
        }
    }

    /// What the server did, as the end of "gave up on <file>: <host> ...".
    fn describe(&self, size: u64) -> String {
        match self {
            Setback::EndedEarly { at } => {
                let (rounded_at, rounded_size) = (human_bytes(*at), human_bytes(size));
                if rounded_at == rounded_size {
                    // Rounded, both would read "12.6 MB": say by how much it fell short.
                    format!(
                        "ended it at {rounded_at} of {rounded_size} ({} short)",
                        human_bytes(size - at)
                    )
                } else {
                    format!("ended it at {rounded_at} of {rounded_size}")
                }
            }
            Setback::Stalled(after) => {
                format!("stopped sending it (no data for {} s)", after.as_secs_f32())
            }
            Setback::TooSlow { floor, window } => format!(
                "sent it too slowly (under {}/s for {} s)",
                human_bytes(*floor),
                window.as_secs_f32()
            ),
            Setback::Failed { error, .. } => format!("failed: {error}"),
            Setback::Restarted(why) => (*why).to_owned(),
            Setback::Expired => "kept refusing its download link".to_owned(),
        }
    }
}

/// One file's budget of retries, shared by all of its connections.
#[derive(Debug)]
pub(super) struct RetryBudget {
    capacity: f64,
    left: f64,
    /// The most bytes of the file ever held at once: bytes below it earn nothing again.
    high_water: u64,
    /// Setbacks since the last real progress, for the back-off.
    streak: u32,
    /// The latest setback.
    last: Option<Setback>,
    /// Setbacks so far, by kind.
    counts: [u32; 6],
}

impl RetryBudget {
    pub(super) fn new(options: &TransferOptions, held: u64) -> RetryBudget {
        let capacity = f64::from(options.max_attempts);
        RetryBudget {
            capacity,
            left: capacity,
            high_water: held,
            streak: 0,
            last: None,
            counts: [0; 6],
        }
    }

    /// The file now holds `held` valid bytes: new ones earn retries back.
    pub(super) fn earn(&mut self, held: u64) {
        if held <= self.high_water {
            return;
        }
        let earned = (held - self.high_water) as f64 / BYTES_PER_RETRY as f64;
        self.high_water = held;
        self.left = (self.left + earned).min(self.capacity);
        if earned >= 1.0 {
            self.streak = 0;
        }
    }

    /// Spends one retry on `setback`: how long to wait before the next try, or the error to
    /// give up with (naming `file`, of `size` bytes, on `host`).
    pub(super) fn spend(
        &mut self,
        setback: Setback,
        options: &TransferOptions,
        host: &str,
        file: &str,
        size: u64,
    ) -> Result<Duration, Error> {
        self.counts[setback.kind()] += 1;
        let times = self.counts[setback.kind()];
        let retry_after = match &setback {
            Setback::Failed { retry_after, .. } => *retry_after,
            _ => None,
        };
        self.left -= 1.0;
        self.streak += 1;
        tracing::warn!(file, times, "setback: {}", setback.describe(size));
        if self.left < 0.0 {
            return Err(Error::GaveUp {
                host: host.to_owned(),
                file: file.to_owned(),
                what: setback.describe(size),
                times,
            });
        }
        self.last = Some(setback);
        Ok(options.backoff(self.streak, retry_after))
    }

    /// A short reason for the latest setback, for the progress row.
    pub(super) fn reason(&self, size: u64) -> String {
        self.last
            .as_ref()
            .map_or_else(String::new, |setback| setback.describe(size))
    }

    /// Setbacks since the last real progress.
    pub(super) fn streak(&self) -> u32 {
        self.streak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> TransferOptions {
        TransferOptions {
            max_attempts: 3,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..TransferOptions::default()
        }
    }

    #[test]
    fn a_server_ending_early_every_time_runs_the_budget_out_with_one_sentence() {
        let options = options();
        let mut budget = RetryBudget::new(&options, 0);
        let size = 12 * 1024 * 1024 + 4096;
        let ended = || Setback::EndedEarly {
            at: 12 * 1024 * 1024,
        };
        budget.earn(12 * 1024 * 1024);
        let mut waits = Vec::new();
        let error = loop {
            match budget.spend(ended(), &options, "cdn.example", "big.gguf", size) {
                Ok(wait) => waits.push(wait),
                Err(error) => break error,
            }
        };
        // Three retries to start with, one more earned by 12 MiB of new bytes (capped at 3).
        assert_eq!(waits.len(), 3, "{waits:?}");
        assert!(waits.windows(2).all(|w| w[0] <= w[1] * 2), "{waits:?}");
        assert_eq!(
            error.to_string(),
            "gave up on big.gguf: cdn.example ended it at 12.6 MB of 12.6 MB (4.10 KB short), 4 times"
        );
    }

    #[test]
    fn only_bytes_never_held_before_earn_retries_back() {
        let options = options();
        let mut budget = RetryBudget::new(&options, 0);
        budget.earn(BYTES_PER_RETRY);
        let restarted = || Setback::Restarted("ignored the byte range asked for");
        for _ in 0..3 {
            // The same prefix again after each restart earns nothing.
            budget.earn(BYTES_PER_RETRY);
            budget
                .spend(restarted(), &options, "h", "f", 2 * BYTES_PER_RETRY)
                .unwrap();
        }
        assert!(
            budget
                .spend(restarted(), &options, "h", "f", 2 * BYTES_PER_RETRY)
                .is_err()
        );
    }

    #[test]
    fn one_byte_per_attempt_cannot_keep_a_transfer_alive() {
        let options = options();
        let mut budget = RetryBudget::new(&options, 0);
        let mut attempts = 0;
        while budget
            .spend(
                Setback::Stalled(Duration::from_secs(30)),
                &options,
                "h",
                "f",
                1 << 30,
            )
            .is_ok()
        {
            attempts += 1;
            budget.earn(attempts);
            assert!(attempts < 10, "the budget never ran out");
        }
        assert_eq!(attempts, 3);
    }
}
