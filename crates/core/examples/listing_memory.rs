//! Peak memory of listing a huge repository: the tests' fake Hub serves a model with N
//! synthetic files (made up page by page), `HubClient::list_tree` lists it, and the process's
//! peak RSS is printed next to what it was before the listing. Run by `scripts/bench`:
//!
//! ```sh
//! cargo run --release -p modelshelf-core --example listing_memory -- --files 1000000 --limit 1000000
//! cargo run --release -p modelshelf-core --example listing_memory -- --files 1000000   # refused at the limit
//! ```

use std::time::Instant;

use fake_hub::{FakeHub, FakeRepo};
use modelshelf_core::hub::{HubClient, MAX_LISTED_FILES};
use modelshelf_core::repo::{RepoId, RepoType};

/// Entries per tree page (the real Hub sends about a thousand; more keeps the run short).
const PAGE_SIZE: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut files, mut limit) = (1_000_000, MAX_LISTED_FILES);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.parse().ok());
        match (flag.as_str(), value) {
            ("--files", Some(n)) => files = n,
            ("--limit", Some(n)) => limit = n,
            _ => {
                eprintln!("usage: listing_memory [--files N] [--limit FILES]");
                std::process::exit(2);
            }
        }
    }
    let hub = FakeHub::start(vec![
        FakeRepo::model("bench/huge-listing").synthetic_files(files),
    ]);
    hub.set_tree_page_size(PAGE_SIZE);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let client = HubClient::new(&hub.endpoint(), None)
        .expect("client")
        .with_max_listed_files(limit);
    let repo = RepoId::parse("bench/huge-listing").expect("repo id");
    let before = peak_rss_kib();
    let started = Instant::now();
    let listed = runtime.block_on(client.list_tree(RepoType::Model, &repo, "main"));
    let took = started.elapsed();
    let peak = peak_rss_kib();
    let outcome = match &listed {
        Ok(list) => format!("listed {} files", list.len()),
        Err(e) => format!("refused: {e}"),
    };
    let kept = listed.as_ref().map_or(0, Vec::len);
    let per_entry = match kept {
        0 => String::new(),
        n => format!(
            ", about {} bytes per file",
            (peak.saturating_sub(before) * 1024) / n as u64
        ),
    };
    println!(
        "listing {files} synthetic files (limit {limit}): {outcome} in {:.1} s; \
         peak RSS {} MiB ({} MiB before listing{per_entry})",
        took.as_secs_f64(),
        peak / 1024,
        before / 1024,
    );
}

/// The process's peak resident set size so far, in KiB.
fn peak_rss_kib() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    usage.ru_maxrss as u64
}
