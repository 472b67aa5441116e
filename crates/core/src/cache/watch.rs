//! Telling the app when the cache changes on disk, whoever changed it (a download here, Python
//! next door, a person in a file manager). Bursts of file events are coalesced into one call,
//! and the watcher stops when its handle is dropped.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher as _};

use crate::error::{Error, Result};

/// How long the cache must stay quiet before the change is reported.
pub const QUIET: Duration = Duration::from_millis(250);
/// A change is reported at the latest this long after it started, even if events keep coming
/// (a long download must not hold the library view back).
pub const MAX_DELAY: Duration = Duration::from_secs(2);

/// Keeps the watch alive; dropping it stops the watcher and its thread.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
}

/// Watches `root` (created if missing) and calls `on_change` once per burst of changes.
///
/// # Errors
///
/// [`Error::Io`] when the folder cannot be created or watched (for example when the system's
/// limit of watches is reached).
pub fn watch(root: &Path, on_change: impl Fn() + Send + 'static) -> Result<WatchHandle> {
    std::fs::create_dir_all(root).map_err(|e| Error::io("creating", root, e))?;
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reads do not change the cache; everything else (create, write, rename, remove) does.
        if event.is_ok_and(|e| !matches!(e.kind, notify::EventKind::Access(_))) {
            let _ = tx.send(());
        }
    })
    .map_err(|e| Error::io("watching", root, std::io::Error::other(e.to_string())))?;
    watcher
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| Error::io("watching", root, std::io::Error::other(e.to_string())))?;
    std::thread::Builder::new()
        .name("cache-watch".into())
        .spawn(move || debounce(&rx, &on_change))
        .map_err(|e| Error::io("watching", root, e))?;
    Ok(WatchHandle { _watcher: watcher })
}

/// Runs until the watcher (the only sender) is dropped.
fn debounce(rx: &mpsc::Receiver<()>, on_change: &dyn Fn()) {
    while rx.recv().is_ok() {
        let started = Instant::now();
        loop {
            let left = MAX_DELAY.saturating_sub(started.elapsed());
            match rx.recv_timeout(QUIET.min(left)) {
                Ok(()) if !left.is_zero() => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                _ => break,
            }
        }
        on_change();
    }
}
