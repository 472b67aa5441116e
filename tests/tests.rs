//! Modelshelf's integration tests, in one binary so the app is linked once. The fake Hub they
//! run against is the `fake_hub` crate (`crates/fake-hub/`, with its own tests).
//!
//! Tests marked `#[ignore]` need a display (Xvfb) and WebKitWebDriver, or the Python venv;
//! `scripts/test` runs them with `--ignored` once those are installed.

mod support;

/// The cache: scanning, deleting, pruning.
mod cache;
/// Commands through Tauri's mock runtime.
mod commands;
/// `modelshelf-cli` killed, interrupted and given bad arguments.
mod crash;
/// A full disk: refused up front, or filling up mid-file (needs root for a tmpfs).
mod disk_full;
/// The download engine against the fake Hub.
mod download;
/// The real app under Xvfb, driven through WebKitWebDriver.
mod e2e;
/// Python's `huggingface_hub` downloads from the fake Hub (needs the venv).
mod fidelity;
/// Every way a download can go wrong, one bounded test each.
mod hostile;
/// Python's `huggingface_hub` and Modelshelf share one cache (needs the venv).
mod interop;
/// The checked-in TypeScript IPC types match the Rust ones.
mod ipc_types;
/// Other apps' model stores: listed, matched against the cache, never changed.
mod shelf;
