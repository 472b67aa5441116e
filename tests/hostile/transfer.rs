//! The transfer loop against servers that fail in ways nobody plans for: each test bounds its
//! time and its requests and names the error it expects.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use modelshelf_core::error::{Error, ErrorKind};
use modelshelf_core::hub::HubClient;
use modelshelf_core::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use modelshelf_core::repo::{RepoId, RepoType};
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use super::{Sandbox, within};
use crate::support::cli;
use fake_hub::{DropAfter, FakeHub, FakeRepo, Faults, Listener};

/// Short timeouts and back-offs; one stream unless a test asks for ranges.
fn quick() -> TransferOptions {
    TransferOptions {
        stall_timeout: Duration::from_millis(500),
        min_speed_window: Duration::from_millis(300),
        max_attempts: 4,
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        connections: 1,
        ..TransferOptions::default()
    }
}

/// Files over 100 kB in 64 kB ranges over 4 connections.
fn ranged() -> TransferOptions {
    TransferOptions {
        connections: 4,
        parallel_threshold: 100_000,
        chunk_size: 64 * 1024,
        ..quick()
    }
}

/// A repo with one LFS file of `len` pseudo-random bytes.
fn repo_with(len: usize) -> FakeRepo {
    let content: Vec<u8> = (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    FakeRepo::model("acme/big").lfs_file("big.gguf", content)
}

fn provisioner(hub: &FakeHub, root: &Path, options: TransferOptions) -> ModelProvisioner {
    let client = HubClient::new(&hub.endpoint(), None).unwrap();
    ModelProvisioner::new(HuggingFaceVendor::new(client, options), root)
}

fn big_file() -> ModelRequest {
    ModelRequest::new(
        RepoType::Model,
        "acme/big",
        None,
        Selection::Files(vec!["big.gguf".into()]),
    )
    .unwrap()
}

async fn provision(p: &ModelProvisioner, cancel: CancellationToken) -> Result<ModelEntry, Error> {
    p.provision(&big_file(), "hostile", cancel, &()).await
}

/// Downloads the repo's file from a fake Hub with `faults` on, into a fresh sandbox, with
/// `options`; it must fail within `limit`. Returns the Hub (for its request log), the sandbox
/// and the error.
async fn fails(
    repo: FakeRepo,
    faults: Faults,
    options: TransferOptions,
    limit: Duration,
) -> (FakeHub, Sandbox, Error) {
    let hub = FakeHub::start(vec![repo]);
    let sandbox = Sandbox::new();
    hub.set_faults(faults);
    let p = provisioner(&hub, &sandbox.cache, options);
    let error = within(limit, provision(&p, CancellationToken::new()))
        .await
        .unwrap_err();
    (hub, sandbox, error)
}

/// GETs of file bodies that reached the CDN.
fn cdn_gets(hub: &FakeHub) -> usize {
    hub.requests()
        .iter()
        .filter(|r| r.listener == Listener::Cdn && r.method == "GET")
        .count()
}

/// Bytes the file system really holds for the partial downloads of `acme/big`.
fn partial_allocation(cache: &Path) -> (u64, u64) {
    let blobs = cache.join("models--acme--big/blobs");
    let mut allocated = 0;
    let mut logical = 0;
    for entry in std::fs::read_dir(blobs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "incomplete") {
            let meta = std::fs::metadata(&path).unwrap();
            allocated += meta.blocks() * 512;
            logical += meta.len();
        }
    }
    (allocated, logical)
}

#[tokio::test]
async fn a_body_that_always_ends_early_spends_the_budget_and_names_what_happened() {
    let faults = Faults {
        truncate_to: Some(200_000),
        ..Faults::default()
    };
    let (hub, sandbox, error) =
        fails(repo_with(300_000), faults, quick(), Duration::from_secs(5)).await;
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
    assert!(matches!(error, Error::GaveUp { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("gave up on big.gguf: 127.0.0.1:")
            && message.contains("ended it at 200 KB of 300 KB"),
        "{message}"
    );
    // Four retries and the first try: no tight loop.
    assert!(cdn_gets(&hub) <= 5, "{} requests", cdn_gets(&hub));
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn ranges_of_a_truncated_object_fall_back_and_still_end_within_the_budget() {
    let faults = Faults {
        truncate_to: Some(250_000),
        ..Faults::default()
    };
    let (hub, sandbox, error) = fails(
        repo_with(400_000),
        faults,
        ranged(),
        Duration::from_secs(10),
    )
    .await;
    assert!(matches!(error, Error::GaveUp { .. }), "{error:?}");
    // Seven 64 kB ranges at most once each, then one stream within the budget.
    assert!(cdn_gets(&hub) <= 7 + 5, "{} requests", cdn_gets(&hub));
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_file_larger_than_announced_is_refused_without_retries() {
    let faults = Faults {
        announce_less: Some(4096),
        ..Faults::default()
    };
    let (hub, sandbox, error) =
        fails(repo_with(100_000), faults, quick(), Duration::from_secs(5)).await;
    assert!(
        matches!(&error, Error::Protocol { reason, .. } if reason.contains("more than the 95904 bytes")),
        "{error:?}"
    );
    assert_eq!(cdn_gets(&hub), 1);
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_trickling_connection_is_dropped_and_the_file_fails_in_bounded_time() {
    // A byte every 20 ms never trips the stall timeout (500 ms) but is far under 10 KiB/s.
    let faults = Faults {
        trickle: Some(Duration::from_millis(20)),
        ..Faults::default()
    };
    let (hub, sandbox, error) =
        fails(repo_with(50_000), faults, quick(), Duration::from_secs(5)).await;
    assert!(
        matches!(&error, Error::GaveUp { what, times: 5, .. } if what.contains("too slowly")),
        "{error:?}"
    );
    assert_eq!(
        cdn_gets(&hub),
        5,
        "each trickle dropped, then a fresh connection"
    );
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_trickled_metadata_answer_ends_at_its_deadline() {
    let hub = FakeHub::start(vec![
        FakeRepo::model("acme/card").file("README.md", "x".repeat(10_000)),
    ]);
    hub.set_faults(Faults {
        trickle: Some(Duration::from_millis(20)),
        ..Faults::default()
    });
    let client = HubClient::new(&hub.endpoint(), None)
        .unwrap()
        .with_metadata_deadline(Duration::from_millis(500));
    let started = Instant::now();
    let repo = RepoId::parse("acme/card").unwrap();
    let error = within(
        Duration::from_secs(5),
        client.read_text(RepoType::Model, &repo, "main", "README.md", 1 << 20),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
}

#[tokio::test]
async fn a_redirect_to_another_scheme_fails_at_once_without_retries() {
    let faults = Faults {
        lfs_location: Some("ftp://files.example/big.gguf".into()),
        ..Faults::default()
    };
    let (hub, sandbox, error) =
        fails(repo_with(1000), faults, quick(), Duration::from_secs(1)).await;
    assert!(
        matches!(&error, Error::Protocol { reason, .. } if reason.contains("ftp: address")),
        "{error:?}"
    );
    let requests = hub.requests();
    assert!(
        requests.len() == 2 && requests.iter().all(|r| r.method == "HEAD"),
        "the plan's HEAD and the fresh link's, nothing retried: {requests:#?}"
    );
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_failed_ranged_download_gives_back_the_space_it_did_not_fill() {
    let hub = FakeHub::start(vec![repo_with(2_000_000)]);
    let sandbox = Sandbox::new();
    // Every response breaks after 100 kB: chunks fill partly, then the budget runs out.
    hub.set_faults(Faults {
        drop: Some(DropAfter {
            after: 100_000,
            times: 1000,
        }),
        ..Faults::default()
    });
    let options = TransferOptions {
        chunk_size: 512 * 1024,
        ..ranged()
    };
    let p = provisioner(&hub, &sandbox.cache, options);
    let error = within(
        Duration::from_secs(10),
        provision(&p, CancellationToken::new()),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::GaveUp { .. }), "{error:?}");
    let (allocated, logical) = partial_allocation(&sandbox.cache);
    assert_eq!(
        logical, 2_000_000,
        "the partial file keeps its length for a resume"
    );
    // At most what arrived (4 chunks x 100 kB x a few tries) plus a block per chunk edge.
    assert!(
        allocated <= 1_000_000,
        "{allocated} bytes still allocated for a failed 2 MB download"
    );
    sandbox.assert_outside_untouched();
}

/// Threads of this test's own runtime (named apart from every other test's).
fn runtime_threads(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

#[test]
fn no_thread_outlives_a_failed_cancelled_or_completed_transfer() {
    const NAME: &str = "hostile-threads";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(NAME)
        .thread_keep_alive(Duration::from_millis(50))
        .enable_all()
        .build()
        .unwrap();
    let hub = FakeHub::start(vec![repo_with(1_000_000)]);
    let sandbox = Sandbox::new();
    let p = provisioner(&hub, &sandbox.cache, ranged());
    let baseline = runtime_threads(NAME);
    assert_eq!(baseline, 2, "the two workers");
    let settle = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(3);
        while runtime_threads(NAME) > baseline {
            assert!(
                Instant::now() < deadline,
                "after a {what} download {} threads remain of {baseline}",
                runtime_threads(NAME)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    // The CDN refuses the file: every worker fails, the hasher must stop too.
    hub.set_faults(Faults {
        cdn_status: Some(404),
        ..Faults::default()
    });
    let error = runtime
        .block_on(within(
            Duration::from_secs(5),
            provision(&p, CancellationToken::new()),
        ))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    settle("failed");

    // Cancelled mid-way.
    hub.set_faults(Faults {
        throttle: Some(500_000),
        ..Faults::default()
    });
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    let error = runtime
        .block_on(within(Duration::from_secs(5), async {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                canceller.cancel();
            });
            provision(&p, cancel).await
        }))
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error:?}");
    settle("cancelled");

    // Completed.
    hub.set_faults(Faults::default());
    runtime
        .block_on(within(
            Duration::from_secs(10),
            provision(&p, CancellationToken::new()),
        ))
        .unwrap();
    settle("completed");
    sandbox.assert_outside_untouched();
}

#[test]
fn the_cli_exits_promptly_after_a_failed_large_download() {
    // 64 MiB: the CLI's default threshold for ranged transfers. Hashed before the clock
    // starts (the fake Hub names the file by its sha256).
    let repo = repo_with(64 * 1024 * 1024);
    repo.files[0].sha256();
    let hub = FakeHub::start(vec![repo]);
    let sandbox = Sandbox::new();
    hub.set_faults(Faults {
        cdn_status: Some(404),
        ..Faults::default()
    });
    let started = Instant::now();
    let out = cli::finish(
        cli::command(
            &hub.endpoint(),
            &sandbox.cache,
            &sandbox.root().join("home"),
            &["download", "acme/big", "big.gguf", "--quiet"],
        )
        .spawn()
        .unwrap(),
        Duration::from_secs(10),
    );
    let (status, stderr) = (out.status, String::from_utf8_lossy(&out.stderr));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_cdn_that_answers_429_forever_is_left_within_the_budget() {
    let hub = FakeHub::start(vec![repo_with(300_000)]);
    let sandbox = Sandbox::new();
    hub.set_faults(Faults {
        cdn_status: Some(429),
        ..Faults::default()
    });
    for options in [quick(), ranged()] {
        let before = cdn_gets(&hub);
        let p = provisioner(&hub, &sandbox.cache, options);
        let error = within(
            Duration::from_secs(5),
            provision(&p, CancellationToken::new()),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&error, Error::GaveUp { what, times: 5, .. } if what.contains("rate limiting")),
            "{error:?}"
        );
        assert_eq!(cdn_gets(&hub) - before, 5, "the first try and four retries");
    }
    sandbox.assert_outside_untouched();
}
