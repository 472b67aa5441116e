//! Cancel latency of the download engine: how long bytes keep flowing after Cancel.
//!
//! Serves one LFS file from the test fake Hub (`tests/support/fake_hub.rs`) with a per-response
//! throttle, starts a download through the same path the app and the CLI use
//! (`ModelProvisioner` -> `HuggingFaceVendor` -> `HubClient`), cancels it at a random point,
//! and then watches, every ~200 µs, both the partial files under `blobs/` (size and mtime of
//! every `*.incomplete*` file except the `.state` sidecar: appends change the size, writes into
//! a preallocated file change the mtime) and the fake Hub's count of body bytes handed to the
//! network (allocated blocks are not watched: the kernel's writeback changes them later). The
//! latency of one cancel is the time from `cancel()` to the last change seen (0 when nothing
//! changed after it); the time until `provision()` returned is reported too. Prints
//! p50/p99/max over the runs.
//!
//! `cargo run --release -p modelshelf-core --example cancel_latency [-- RUNS [RATE_BYTES_PER_SEC [FILE_MB [SEED]]]]`
//! (defaults: 20 runs, 20 MB/s, 50 MB, seed 1). `scripts/bench` runs it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use modelshelf_core::error::Error;
use modelshelf_core::hub::HubClient;
use modelshelf_core::provision::{ArtifactProvisioner, ModelProvisioner};
use modelshelf_core::repo::RepoType;
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use fake_hub::{FakeHub, FakeRepo, Faults};

/// How often the watcher looks at the disk and the server counter.
const POLL: Duration = Duration::from_micros(200);
/// Nothing changed for this long after the cancel (and provision returned): the run is over.
const QUIET: Duration = Duration::from_secs(1);
/// Give up watching a run after this long.
const WATCH_LIMIT: Duration = Duration::from_secs(15);

/// A small xorshift PRNG: reproducible cancel points without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [lo, hi).
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Size and mtime of every partial file under `blobs/`: a write changes one or the other
/// (kernels before 6.13 keep the mtime to a clock tick, a few ms).
fn partial_state(blobs: &Path) -> Vec<(PathBuf, u64, i128)> {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(entries) = std::fs::read_dir(blobs) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.contains(".incomplete") && !name.ends_with(".state")
        })
        .filter_map(|p| {
            let m = std::fs::metadata(&p).ok()?;
            let mtime = i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec());
            Some((p, m.len(), mtime))
        })
        .collect();
    out.sort();
    out
}

/// What one cancel measured.
struct Sample {
    /// How far the download was when cancelled (fraction of the file sent by the server).
    at: f64,
    /// Cancel -> last change of the partial file on disk.
    disk: Duration,
    /// Cancel -> last body byte the server handed to the connection.
    wire: Duration,
    /// Cancel -> `provision()` returned.
    returned: Duration,
    /// Bytes the server still sent after the cancel.
    wire_bytes_after: u64,
    outcome: &'static str,
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|a| a.parse().expect("numeric argument"))
            .unwrap_or(default)
    };
    let runs = arg(0, 20) as usize;
    let rate = arg(1, 20_000_000);
    let file_mb = arg(2, 50);
    let seed = arg(3, 1);
    let size = (file_mb * 1_000_000) as usize;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
    let mut data_rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut content = Vec::with_capacity(size + 8);
    while content.len() < size {
        content.extend_from_slice(&data_rng.next().to_le_bytes());
    }
    content.truncate(size);

    let hub = FakeHub::start(vec![
        FakeRepo::model("bench/cancel").lfs_file("model.safetensors", content),
    ]);
    hub.set_faults(Faults {
        throttle: Some(rate),
        ..Faults::default()
    });
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-cancel");
    std::fs::create_dir_all(&work).expect("create target/bench-cancel");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let request = ModelRequest::new(
        RepoType::Model,
        "bench/cancel",
        None,
        Selection::Files(vec!["model.safetensors".into()]),
    )
    .expect("request");

    println!(
        "cancel latency: {runs} cancels of a {file_mb} MB LFS download throttled to {:.0} MB/s per response (fake Hub on 127.0.0.1), seed {seed}",
        rate as f64 / 1e6
    );
    println!(
        "{:>4} {:>9} {:>12} {:>12} {:>14} {:>14}  outcome",
        "run", "at", "disk ms", "wire ms", "returned ms", "wire B after"
    );
    let mut samples = Vec::new();
    for run in 1..=runs {
        let root = tempfile::Builder::new()
            .prefix("cancel-")
            .tempdir_in(&work)
            .expect("temp cache");
        let blobs = root.path().join("models--bench--cancel/blobs");
        let client = HubClient::new(&hub.endpoint(), None).expect("hub client");
        let provisioner = ModelProvisioner::new(
            HuggingFaceVendor::new(client, TransferOptions::default()),
            root.path(),
        );
        let cancel = CancellationToken::new();
        let base = hub.body_bytes_sent();
        let target = rng.between(0.05, 0.90);
        let task = {
            let (cancel, request) = (cancel.clone(), request.clone());
            let job = format!("cancel-{run}");
            runtime.spawn(async move {
                let result = provisioner.provision(&request, &job, cancel, &()).await;
                (result, Instant::now())
            })
        };
        // Cancel once the server has sent a random fraction of the file.
        let started = Instant::now();
        let mut finished_first = false;
        loop {
            let sent = hub.body_bytes_sent() - base;
            if sent as f64 >= target * size as f64 {
                break;
            }
            if task.is_finished() {
                finished_first = true;
                break;
            }
            if started.elapsed() > WATCH_LIMIT {
                panic!("run {run}: the download did not progress");
            }
            std::thread::sleep(POLL);
        }
        let at = (hub.body_bytes_sent() - base) as f64 / size as f64;
        let cancelled_at = Instant::now();
        cancel.cancel();

        let (mut disk_state, mut wire_state) = (partial_state(&blobs), hub.body_bytes_sent());
        let wire_at_cancel = wire_state;
        let (mut last_disk, mut last_wire) = (None::<Instant>, None::<Instant>);
        let mut last_change = cancelled_at;
        let returned = loop {
            std::thread::sleep(POLL);
            let now = Instant::now();
            let (disk, wire) = (partial_state(&blobs), hub.body_bytes_sent());
            if disk != disk_state {
                disk_state = disk;
                last_disk = Some(now);
                last_change = now;
            }
            if wire != wire_state {
                wire_state = wire;
                last_wire = Some(now);
                last_change = now;
            }
            if task.is_finished() && now - last_change >= QUIET {
                break Some(task);
            }
            if now - cancelled_at > WATCH_LIMIT {
                task.abort();
                break None;
            }
        };
        let (returned, outcome) = match returned {
            Some(task) => {
                let (result, returned_at) = runtime.block_on(task).expect("provision task");
                let outcome = match result {
                    Err(Error::Cancelled) => "cancelled",
                    Ok(_) if finished_first => "finished before the cancel",
                    Ok(_) => "completed despite the cancel",
                    Err(_) => "failed",
                };
                (returned_at.saturating_duration_since(cancelled_at), outcome)
            }
            None => (WATCH_LIMIT, "provision did not return"),
        };
        let since = |t: Option<Instant>| t.map_or(Duration::ZERO, |t| t - cancelled_at);
        let sample = Sample {
            at,
            disk: since(last_disk),
            wire: since(last_wire),
            returned,
            wire_bytes_after: wire_state - wire_at_cancel,
            outcome,
        };
        println!(
            "{run:>4} {:>8.1}% {:>12} {:>12} {:>14} {:>14}  {}",
            sample.at * 100.0,
            ms(sample.disk),
            ms(sample.wire),
            ms(sample.returned),
            sample.wire_bytes_after,
            sample.outcome
        );
        samples.push(sample);
        drop(root);
    }

    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "cancel -> (ms, over all runs)", "p50", "p99", "max"
    );
    let column = |get: fn(&Sample) -> Duration| samples.iter().map(get).collect::<Vec<_>>();
    let rows = [
        ("last byte written to the partial file", column(|s| s.disk)),
        ("last body byte sent by the server", column(|s| s.wire)),
        ("provision() returned", column(|s| s.returned)),
    ];
    for (name, mut values) in rows {
        values.sort();
        println!(
            "{name:<44} {:>9} {:>9} {:>9}",
            ms(percentile(&values, 50.0)),
            ms(percentile(&values, 99.0)),
            ms(*values.last().expect("at least one run"))
        );
    }
    let cancelled = samples.iter().filter(|s| s.outcome == "cancelled").count();
    println!(
        "{cancelled}/{} runs ended in Error::Cancelled; poll interval {} µs, so latencies are ±{} µs; p99 of {} samples is the nearest-rank value (the max for fewer than 100)",
        samples.len(),
        POLL.as_micros(),
        POLL.as_micros(),
        samples.len()
    );
}
