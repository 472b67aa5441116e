//! Modelshelf: browse the Hugging Face Hub, download models with a cancel button that really
//! stops the transfer, and keep the local model cache (the one Python's `huggingface_hub`
//! uses) in order.
//!
//! This is the core: everything but the window. The desktop app (`src-tauri/`) and
//! `modelshelf-cli` (`crates/cli/`) are thin layers over it, and neither tauri nor any GTK or
//! WebKit crate is in its dependency tree (CI checks with `cargo tree`), so the CLI builds on a
//! headless server.
//!
//! # Layout
//!
//! Data flows down, events flow up:
//!
//! * [`jobs`]: the job registry, one `CancellationToken` per job, its queue and its reports.
//! * [`progress`]: what the engine reports while it works.
//! * [`provision`]: `ArtifactProvisioner` and `ModelProvisioner`, which turn a request into a
//!   model in the cache using the caller's token.
//! * [`vendor`]: `VendorSource` and `HuggingFaceVendor`, which plan what to fetch from where.
//! * [`hub`]: the Hub's HTTP API: search, model info, tree, resolve metadata, typed errors.
//! * [`transfer`]: the byte mover: ranged GETs, resume, stall detection, retries, hashing.
//! * [`connectivity`]: whether the Hub endpoint answers; jobs wait for it while offline.
//! * [`cache`]: the standard Hugging Face cache layout: paths, locks, commit, scan, delete,
//!   watch.
//! * [`card`]: model cards (README.md) rendered to HTML that is safe to show.
//! * [`logging`]: the log file, with tokens and signed URLs redacted.
//! * [`machine`]: what this machine has (memory), for the model fit hints.
//! * [`settings`]: endpoint, token and cache folder, resolved the way `huggingface_hub` does.
//! * [`error`]: the one error type of the core, and the kinds the frontend can act on.

pub mod cache;
pub mod card;
pub mod connectivity;
pub mod error;
pub mod hub;
pub mod jobs;
pub mod logging;
pub mod machine;
pub mod progress;
pub mod provision;
pub mod settings;
pub mod transfer;
pub mod vendor;
