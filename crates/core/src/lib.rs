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
//! Layers, highest first; a module uses only modules below its own (the `layers` test keeps
//! it so). Data flows down, events flow up:
//!
//! * [`jobs`]: the job registry, one `CancellationToken` per job, its queue and its reports.
//! * [`provision`]: `ArtifactProvisioner` and `ModelProvisioner`, which turn a request into a
//!   model in the cache using the caller's token.
//! * [`vendor`]: `VendorSource` and `HuggingFaceVendor`, which do one repository's download:
//!   resolve the revision to a commit, list the files, check the space, fetch each file.
//! * [`connectivity`]: whether the Hub endpoint answers; jobs wait for it while offline.
//! * [`transfer`]: the byte mover: one request and body loop for one stream and ranged GETs,
//!   resume, stalls and the speed floor, the retry budget, hashing.
//! * [`hub`]: the client every request goes through (token only to the endpoint, one redirect
//!   rule) and the Hub's API: search, model info, tree, resolve metadata.
//! * [`cache`]: the standard Hugging Face cache layout: paths, locks, commit, scan, delete,
//!   move, watch. [`card`]: model cards (README.md) rendered to HTML that is safe to show.
//!   [`diagnostics`]: the text a person copies into a bug report.
//! * [`shelf`]: the model stores of other apps (Ollama, LM Studio) and which of their files
//!   the cache holds too.
//! * [`settings`]: endpoint, token and cache folder, resolved the way `huggingface_hub` does.
//! * [`progress`]: what the engine reports while it works; [`logging`]: the log file, with
//!   tokens and signed URLs redacted; [`machine`]: this machine's RAM and GPU memory, for fit
//!   hints and the recommended quantization.
//! * [`repo`]: what names a repository, a revision and a file, checked by the Hub's rules.
//! * [`fs`]: writing a file whole or not at all, free space, empty folders.
//! * [`error`]: the one error type of the core, and the kinds the frontend can act on.

pub mod cache;
pub mod card;
pub mod connectivity;
pub mod diagnostics;
pub mod error;
pub mod fs;
pub mod hub;
pub mod jobs;
pub mod logging;
pub mod machine;
pub mod progress;
pub mod provision;
pub mod repo;
pub mod settings;
pub mod shelf;
pub mod transfer;
pub mod vendor;

#[cfg(test)]
mod layers;
