//! How many connections a large file gets. A fixed count is wrong both ways: too few waste a
//! fast line whose CDN caps each connection (people see about 500 Mbit/s per CloudFront
//! connection); too many collapse some links and crowd out the person's other traffic. So the
//! tuner starts with a few, doubles while the file's throughput still grows meaningfully, goes
//! back to the last count that helped, gives one up when the server pushes back (429, 503,
//! errors) or throughput collapses, and tries one step up again now and then. Never above its
//! ceiling; the process-wide ceiling is the caller's ([`super::ranged`]).

use std::time::Duration;

use tokio::time::Instant;

/// New connections get twice the time the first bytes took to come (TCP and TLS set-up and the
/// request take a few round trips; slow start up to a CDN's per-connection rate a few more)
/// before the rate with them counts: 50 ms next door, 300 ms at most, and 300 ms until the
/// first bytes have shown how far the server is.
const WARM_UP_MIN: Duration = Duration::from_millis(50);
const WARM_UP: Duration = Duration::from_millis(300);
/// The rate is measured over at least this long and this many bytes (fewer bytes are too
/// coarse: they arrive in pieces of up to 64 KiB), or over `WINDOW_MAX` on a slow line. Short
/// windows matter: each step of a 256 MiB file's ramp on a fast line costs a noticeable share
/// of its time.
const WINDOW: Duration = Duration::from_millis(200);
const WINDOW_BYTES: u64 = 4 * 1024 * 1024;
const WINDOW_MAX: Duration = Duration::from_secs(2);
/// More connections must bring at least this much more throughput to stay.
const MEANINGFUL_GAIN: f64 = 0.10;
/// A step up that already shows this much more throughput, over at least `EARLY_WINDOW` and
/// `WINDOW_BYTES` since it was taken, is kept at once rather than after the warm-up and a full
/// window: each step of the ramp a 256 MiB file waits out costs it a tenth of its time on a
/// fast line. Half of what a doubling brings where connections are capped one by one; where
/// they are not, the step is judged the slow way.
const EARLY_GAIN: f64 = 0.5;
const EARLY_WINDOW: Duration = Duration::from_millis(150);
/// Settled, the tuner tries one step up again after this long (the line may have changed, or
/// a step was judged while new connections were still slow-starting).
const PROBE_AGAIN_AFTER: Duration = Duration::from_secs(10);
/// After the server pushed back, no growing for this long.
const COOL_DOWN: Duration = Duration::from_secs(30);
/// Settled, a window under this share of the settled rate is a collapse.
const COLLAPSE: f64 = 0.5;

/// The connection count of one file, from its throughput over time.
#[derive(Debug)]
pub(super) struct Tuner {
    ceiling: usize,
    target: usize,
    phase: Phase,
    /// Where the current measuring window began: when, and the file's bytes then.
    mark: (Instant, u64),
    /// How long the first bytes took to come.
    first_bytes_after: Option<Duration>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Measuring the rate with `target` connections, opened at `since` when the file had
    /// `since_bytes`. `before` is the rate with `from` connections, the count before this step
    /// (none at the first measure).
    Measuring {
        since: Instant,
        since_bytes: u64,
        before: Option<(usize, f64)>,
    },
    /// Staying at `target`, which moved `rate`; no step up before `until`.
    Settled { rate: f64, until: Instant },
}

impl Tuner {
    /// A tuner starting at `initial` connections (at most `ceiling`, at least 1), with
    /// `bytes` of the file on disk `now`.
    pub(super) fn new(initial: usize, ceiling: usize, now: Instant, bytes: u64) -> Tuner {
        let ceiling = ceiling.max(1);
        Tuner {
            ceiling,
            target: initial.clamp(1, ceiling),
            phase: Phase::Measuring {
                since: now,
                since_bytes: bytes,
                before: None,
            },
            mark: (now, bytes),
            first_bytes_after: None,
        }
    }

    /// How many connections the file should have now.
    pub(super) fn target(&self) -> usize {
        self.target
    }

    /// Takes the file's bytes on disk `now` and returns the connection count it should have.
    pub(super) fn observe(&mut self, now: Instant, bytes: u64) -> usize {
        match self.phase {
            Phase::Measuring {
                since,
                since_bytes,
                before,
            } => {
                if let Some((count, previous)) = before
                    && self.target > count
                    && let Some(rate) = early_rate(
                        now.saturating_duration_since(since),
                        bytes.saturating_sub(since_bytes),
                    )
                    && rate >= previous * (1.0 + EARLY_GAIN)
                {
                    // Measured since the step, the rate counts the new connections' set-up and
                    // slow start: judged against it, the next step would be kept on a line
                    // already full. What the step could bring at most (each new connection
                    // moving what each old one did) is the bar the next one must clear.
                    let at_most = previous * self.target as f64 / count as f64;
                    self.mark = (now, bytes);
                    if self.target >= self.ceiling {
                        // Nothing above: a collapse is judged against what it moves now.
                        self.settle(rate, now + PROBE_AGAIN_AFTER);
                    } else {
                        self.step_up(now, rate.max(at_most));
                    }
                    return self.target;
                }
                // The first connections warm up from when their bytes begin to flow.
                if self.first_bytes_after.is_none() {
                    self.mark = (now, bytes);
                    if bytes > since_bytes {
                        self.first_bytes_after = Some(now - since);
                        self.measure_from(now, before);
                    }
                    return self.target;
                }
                // The window starts once the newest connections are up to speed.
                if now < since + self.warm_up() {
                    self.mark = (now, bytes);
                    return self.target;
                }
                let Some(rate) = self.rate(now, bytes) else {
                    return self.target;
                };
                match before {
                    // Went up: more must bring meaningfully more, or it goes back.
                    Some((count, previous)) if self.target > count => {
                        if rate < previous * (1.0 + MEANINGFUL_GAIN) {
                            self.target = count;
                            // `previous` may be the bar of a step kept early, above what the
                            // line carries; a collapse is judged against what it does carry.
                            self.settle(rate.min(previous), now + PROBE_AGAIN_AFTER);
                        } else {
                            self.step_up(now, rate);
                        }
                    }
                    // Went down: fewer that move nearly as much are better (for the person's
                    // other traffic, and for a congested link).
                    Some((count, previous)) => {
                        if rate < previous * (1.0 - MEANINGFUL_GAIN) {
                            self.target = count;
                            self.settle(previous, now + PROBE_AGAIN_AFTER);
                        } else {
                            self.step_down(now, rate);
                        }
                    }
                    None => self.step_up(now, rate),
                }
            }
            Phase::Settled {
                rate: settled,
                until,
            } => {
                let Some(rate) = self.rate(now, bytes) else {
                    return self.target;
                };
                if rate < settled * COLLAPSE {
                    self.step_down(now, rate);
                } else if now >= until {
                    self.step_up(now, rate);
                }
            }
        }
        self.target
    }

    /// The server pushed back (429, 503, a refused or failed connection): one connection
    /// fewer, and no growing for a while.
    pub(super) fn push_back(&mut self, now: Instant) {
        self.target = self.target.saturating_sub(1).max(1);
        self.settle(0.0, now + COOL_DOWN);
        self.mark = (now, self.mark.1);
    }

    fn warm_up(&self) -> Duration {
        self.first_bytes_after
            .map_or(WARM_UP, |first| (2 * first).clamp(WARM_UP_MIN, WARM_UP))
    }

    /// The rate over the window that ends `now`, once the window is full; the next window
    /// starts there.
    fn rate(&mut self, now: Instant, bytes: u64) -> Option<f64> {
        let elapsed = now.saturating_duration_since(self.mark.0);
        // A restarted file (fewer bytes than before) moved nothing, not a negative amount.
        let moved = bytes.saturating_sub(self.mark.1);
        if elapsed < WINDOW || (moved < WINDOW_BYTES && elapsed < WINDOW_MAX) {
            return None;
        }
        let rate = moved as f64 / elapsed.as_secs_f64();
        self.mark = (now, bytes);
        Some(rate)
    }

    /// Doubles the connections (up to the ceiling), remembering what the current count moved;
    /// at the ceiling, stays.
    fn step_up(&mut self, now: Instant, rate: f64) {
        let from = self.target;
        if from >= self.ceiling {
            return self.settle(rate, now + PROBE_AGAIN_AFTER);
        }
        self.target = (from * 2).min(self.ceiling);
        self.measure_from(now, Some((from, rate)));
    }

    /// Halves the connections (down to one), remembering what the current count moved; at
    /// one, stays.
    fn step_down(&mut self, now: Instant, rate: f64) {
        let from = self.target;
        if from <= 1 {
            return self.settle(rate, now + PROBE_AGAIN_AFTER);
        }
        self.target = (from / 2).max(1);
        self.measure_from(now, Some((from, rate)));
    }

    /// Starts measuring a new count `now`; the last mark's bytes are the file's now (every
    /// caller has just taken a rate).
    fn measure_from(&mut self, now: Instant, before: Option<(usize, f64)>) {
        self.phase = Phase::Measuring {
            since: now,
            since_bytes: self.mark.1,
            before,
        };
        self.mark = (now, self.mark.1);
    }

    fn settle(&mut self, rate: f64, until: Instant) {
        self.phase = Phase::Settled { rate, until };
    }
}

/// The rate of `moved` bytes over `elapsed`, when both are enough to judge a step early by.
fn early_rate(elapsed: Duration, moved: u64) -> Option<f64> {
    (elapsed >= EARLY_WINDOW && moved >= WINDOW_BYTES).then(|| moved as f64 / elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line on which each connection moves `per_connection` bytes a second and all of them
    /// together at most `total`: the tuner is fed what such a line would bring, every 100 ms.
    fn run(tuner: &mut Tuner, per_connection: f64, total: f64, seconds: f64) -> Vec<usize> {
        run_changing(
            tuner,
            per_connection,
            (seconds * 10.0).round() as u32,
            |_| total,
        )
    }

    /// Like [`run`], for `ticks` looks, the line carrying `total(tick)` bytes a second in all.
    fn run_changing(
        tuner: &mut Tuner,
        per_connection: f64,
        ticks: u32,
        total: impl Fn(u32) -> f64,
    ) -> Vec<usize> {
        let mut now = Instant::now();
        let mut bytes = 0.0;
        let mut counts = Vec::new();
        for tick in 1..=ticks {
            now += Duration::from_millis(100);
            bytes += (tuner.target() as f64 * per_connection).min(total(tick)) / 10.0;
            counts.push(tuner.observe(now, bytes as u64));
        }
        counts
    }

    const MIB: f64 = 1024.0 * 1024.0;

    #[test]
    fn capped_connections_on_a_fast_line_grow_to_the_ceiling_within_seconds() {
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        let counts = run(&mut tuner, 20.0 * MIB, 10_000.0 * MIB, 3.0);
        assert_eq!(tuner.target(), 16, "{counts:?}");
        // The first count measured over a window after its warm-up (0.5 s), each step that
        // plainly helps kept as soon as it shows (0.2 s each).
        let reached = counts.iter().position(|c| *c == 16).unwrap();
        assert!(
            reached <= 7,
            "16 connections after {reached} ticks: {counts:?}"
        );
    }

    /// Like [`run`], looked at every 50 ms, but each new connection moves nothing for 60 ms
    /// (connecting) and then ramps up to `per_connection` over 100 ms (slow start).
    fn run_warming(tuner: &mut Tuner, per_connection: f64, total: f64, seconds: f64) -> Vec<usize> {
        let step = Duration::from_millis(50);
        let start = Instant::now();
        let (mut now, mut bytes) = (start, 0.0);
        let mut opened: Vec<Instant> = vec![start; tuner.target()];
        let mut counts = Vec::new();
        while now.duration_since(start).as_secs_f64() < seconds {
            now += step;
            let ramp = |at: &Instant| {
                ((now.duration_since(*at).as_secs_f64() - 0.06) / 0.1).clamp(0.0, 1.0)
            };
            let rate = (opened.iter().map(ramp).sum::<f64>() * per_connection).min(total);
            bytes += rate * step.as_secs_f64();
            let target = tuner.observe(now, bytes as u64);
            opened.truncate(target);
            opened.resize(target, now);
            counts.push(target);
        }
        counts
    }

    #[test]
    fn connections_that_warm_up_do_not_make_a_full_line_look_like_it_wants_more() {
        // 8 connections fill the line; new ones take 160 ms to reach their rate.
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        let counts = run_warming(&mut tuner, 20.0 * MIB, 160.0 * MIB, 8.0);
        assert_eq!(tuner.target(), 8, "{counts:?}");
        let mut tuner = Tuner::new(4, 64, Instant::now(), 0);
        let counts = run_warming(&mut tuner, 20.0 * MIB, 160.0 * MIB, 8.0);
        assert_eq!(tuner.target(), 8, "{counts:?}");
        assert!(
            counts.iter().all(|c| *c <= 16),
            "one step past 8 at most: {counts:?}"
        );
        // Where they do help, they are all taken.
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        let counts = run_warming(&mut tuner, 20.0 * MIB, 10_000.0 * MIB, 3.0);
        assert_eq!(tuner.target(), 16, "{counts:?}");
    }

    #[test]
    fn a_step_given_back_judges_a_collapse_by_what_the_line_moved() {
        // 8 connections are kept early (130 MiB/s of the 160 four suggest), 16 bring no more
        // and are given back; then the line dips to 70: under half of 160, not of 130.
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        let counts = run_changing(&mut tuner, 20.0 * MIB, 50, |tick| {
            MIB * if tick <= 30 { 130.0 } else { 70.0 }
        });
        assert_eq!(counts[29], 8, "{counts:?}");
        assert!(
            counts[30..].iter().all(|c| *c == 8),
            "no collapse: {counts:?}"
        );
    }

    #[test]
    fn a_step_kept_early_at_the_ceiling_judges_a_collapse_by_what_it_moves() {
        // 8 connections bring 140 MiB/s of the 160 four would suggest; then the line dips to
        // 77 MiB/s: under half of 160, yet more than half of what it carried.
        let mut tuner = Tuner::new(4, 8, Instant::now(), 0);
        let counts = run_changing(&mut tuner, 20.0 * MIB, 40, |tick| {
            MIB * if tick <= 20 { 140.0 } else { 77.0 }
        });
        assert_eq!(counts[19], 8, "{counts:?}");
        assert!(
            counts[20..].iter().all(|c| *c == 8),
            "no collapse: {counts:?}"
        );
    }

    #[test]
    fn a_total_cap_keeps_the_count_where_more_stopped_helping() {
        // 20 MiB/s a connection, 50 MiB/s in all: 4 connections already fill the line.
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        let counts = run(&mut tuner, 20.0 * MIB, 50.0 * MIB, 10.0);
        assert_eq!(tuner.target(), 4, "{counts:?}");
        assert!(
            counts.iter().all(|c| *c <= 8),
            "one step up at most: {counts:?}"
        );
        // On a slow line too.
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        run(&mut tuner, 1.0 * MIB, 1.5 * MIB, 10.0);
        assert_eq!(tuner.target(), 4);
    }

    #[test]
    fn settled_it_looks_again_and_takes_what_a_faster_line_offers() {
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        run(&mut tuner, 20.0 * MIB, 50.0 * MIB, 5.0);
        assert_eq!(tuner.target(), 4);
        // The line gets faster; after the pause between probes the count grows again.
        let counts = run(&mut tuner, 20.0 * MIB, 10_000.0 * MIB, 25.0);
        assert_eq!(tuner.target(), 16, "{counts:?}");
    }

    #[test]
    fn push_back_takes_one_connection_away_and_holds_off_growing() {
        let now = Instant::now();
        let mut tuner = Tuner::new(4, 16, now, 0);
        tuner.push_back(now);
        tuner.push_back(now);
        assert_eq!(tuner.target(), 2);
        let counts = run(&mut tuner, 20.0 * MIB, 10_000.0 * MIB, 10.0);
        assert!(counts.iter().all(|c| *c == 2), "cooling down: {counts:?}");
        for _ in 0..5 {
            tuner.push_back(now);
        }
        assert_eq!(tuner.target(), 1, "never below one");
    }

    #[test]
    fn a_collapse_halves_the_count_while_fewer_carry_as_much() {
        let mut tuner = Tuner::new(4, 16, Instant::now(), 0);
        run(&mut tuner, 20.0 * MIB, 10_000.0 * MIB, 3.0);
        assert_eq!(tuner.target(), 16);
        // Something else takes the line: 30 MiB/s in all are left, which 2 connections carry.
        let counts = run(&mut tuner, 20.0 * MIB, 30.0 * MIB, 8.0);
        assert_eq!(tuner.target(), 2, "{counts:?}");
    }

    /// When the first step up comes, counted from the first bytes, on a line of capped
    /// connections whose first bytes take `first_bytes` to come; looked at every 50 ms.
    fn first_step_after(first_bytes: Duration) -> Duration {
        let start = Instant::now();
        let mut tuner = Tuner::new(4, 16, start, 0);
        let step = Duration::from_millis(50);
        let (mut now, mut bytes) = (start, 0.0);
        loop {
            now += step;
            if now - start > first_bytes {
                bytes += tuner.target() as f64 * 20.0 * MIB * step.as_secs_f64();
            }
            if tuner.observe(now, bytes as u64) > 4 {
                return now - start - first_bytes;
            }
        }
    }

    #[test]
    fn the_warm_up_follows_how_far_the_server_is() {
        let near = first_step_after(Duration::from_millis(10));
        let far = first_step_after(Duration::from_millis(250));
        assert!(near <= Duration::from_millis(350), "next door: {near:?}");
        assert!(far >= Duration::from_millis(450), "far away: {far:?}");
    }

    #[test]
    fn the_count_stays_between_one_and_the_ceiling() {
        assert_eq!(Tuner::new(0, 16, Instant::now(), 0).target(), 1);
        assert_eq!(Tuner::new(40, 16, Instant::now(), 0).target(), 16);
        assert_eq!(Tuner::new(4, 0, Instant::now(), 0).target(), 1);
    }
}
