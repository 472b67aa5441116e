//! Large files over several connections: the file is cut into chunks, and workers each fetch
//! one chunk at a time with `Range`, writing at its offset. How many workers run is the
//! [`Tuner`]'s call, from the file's throughput (up to `connections`, and beyond each file's
//! first never more than [`PROCESS_CONNECTIONS`] across all transfers). Near the end, a worker with nothing left to
//! claim takes the far half of the largest chunk still in progress (work stealing), so the last
//! chunk on a slow connection does not decide when the file is done. Disk space is
//! reserved chunk by chunk as workers start them, and whatever was reserved but not written is
//! given back when the transfer stops short, so a failed 20 GB download does not keep 20 GB of
//! zeros. A hasher thread follows the contiguous downloaded prefix, so the sha256 is ready
//! moments after the last byte; it stops with the transfer on every exit path. Chunk progress
//! goes to the partial's sidecar, so a pause or a crash resumes every chunk where it stopped.
//! A server that refuses parallel requests (429, a fresh link refused again) loses a worker
//! each time until one stream is left; a server that ignores `Range` sends the transfer back
//! to one front-to-back stream. Every setback spends from the file's one retry budget.

use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt as _;

use super::batch::Batch;
use super::budget::{RetryBudget, Setback};
use super::fetch::{Answer, Ask, Sink, Stop};
use super::tuner::Tuner;
use super::{Checksum, FileTransfer, Hasher, TransferEvent, or_cancel, sleep_or_cancel};
use crate::cache::ChunkState;
use crate::error::{Error, Result};

/// The hasher reads the file back in blocks of this size.
const HASH_BLOCK: usize = 1024 * 1024;
/// Buffered bytes are written at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// How often the connection count is looked at (and workers started or let go).
const TUNE_EVERY: Duration = Duration::from_millis(50);
/// Connections a file starts with, before the tuner has measured anything.
const FIRST_CONNECTIONS: usize = 4;
/// Connections of all ranged transfers of the process together, whatever each file's tuner
/// would like: several large downloads at once share them.
pub(super) const PROCESS_CONNECTIONS: usize = crate::settings::MAX_CONNECTIONS_PER_FILE;

/// Connections open in ranged transfers, process-wide.
static OPEN_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);
/// How often chunk progress is saved to the sidecar while downloading.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The outcome of a ranged transfer that did not fail.
pub(super) enum Ranged {
    /// Every byte is on disk and hashed to this hex digest.
    Done(String),
    /// The server ignores `Range`: go on with one stream.
    Unsupported,
}

/// What the workers and the hasher share.
struct Shared {
    /// In file order. A chunk is named by its `start`, which never changes (a split only
    /// moves an `end` and adds the far part as a new chunk).
    chunks: Mutex<Vec<ChunkState>>,
    /// Whether a worker is on each chunk (same order).
    busy: Mutex<Vec<bool>>,
    /// Counts the splits, so a worker notices its chunk got shorter without taking a lock.
    splits: AtomicU64,
    /// A chunk in progress is split only when each half gets at least this.
    min_range: u64,
    /// Body bytes received by all workers (written or not): what the tuner measures, at the
    /// pace they arrive rather than the pace of writes.
    received: AtomicU64,
    /// The download URL and how many times it was refreshed.
    url: tokio::sync::Mutex<(String, u32)>,
    /// How many workers may run: the tuner's count.
    allowed: AtomicUsize,
    tuner: Mutex<Tuner>,
    source_etag: Mutex<Option<String>>,
    unsupported: AtomicBool,
    /// Set when the transfer ends, however it ends: the hasher stops.
    finished: AtomicBool,
    /// Chunks came from an earlier run, which gave back the space it had not filled.
    resumed: bool,
    /// Wakes the hasher when the contiguous prefix grows or the transfer ends.
    progress: (Mutex<()>, Condvar),
}

impl Shared {
    fn lock_chunks(&self) -> std::sync::MutexGuard<'_, Vec<ChunkState>> {
        self.chunks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn prefix(&self) -> u64 {
        let mut prefix = 0;
        for chunk in self.lock_chunks().iter() {
            prefix = chunk.start + chunk.done;
            if !chunk.is_complete() {
                break;
            }
        }
        prefix
    }

    /// Bytes on disk over all chunks.
    fn held(&self) -> u64 {
        self.lock_chunks().iter().map(|c| c.done).sum()
    }

    /// The chunk that starts at `start`.
    fn chunk(&self, start: u64) -> Option<ChunkState> {
        self.lock_chunks()
            .iter()
            .find(|c| c.start == start)
            .copied()
    }

    fn notify(&self) {
        let _guard = self.progress.0.lock().unwrap_or_else(|p| p.into_inner());
        self.progress.1.notify_all();
    }

    /// A chunk to work on, by its start: the first nobody is on that still has bytes to
    /// fetch; failing that, the far half of the chunk in progress with the most bytes left,
    /// when both halves are worth a connection.
    fn claim(&self) -> Option<u64> {
        let mut chunks = self.lock_chunks();
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = (0..chunks.len()).find(|&i| !busy[i] && !chunks[i].is_complete()) {
            busy[index] = true;
            return Some(chunks[index].start);
        }
        let index = (0..chunks.len())
            .filter(|&i| busy[i])
            .max_by_key(|&i| bytes_left(&chunks[i]))?;
        let remaining = bytes_left(&chunks[index]);
        if remaining < 2 * self.min_range {
            return None;
        }
        let victim = chunks[index];
        let cut = victim.start + victim.done + remaining / 2;
        chunks[index].end = cut;
        chunks.insert(
            index + 1,
            ChunkState {
                start: cut,
                end: victim.end,
                done: 0,
            },
        );
        busy.insert(index + 1, true);
        self.splits.fetch_add(1, Ordering::SeqCst);
        Some(cut)
    }

    /// Whether a new worker would find something: a chunk nobody is on, or one in progress
    /// with enough left to split.
    fn has_work(&self) -> bool {
        let chunks = self.lock_chunks();
        let busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        (0..chunks.len()).any(|i| match busy[i] {
            true => bytes_left(&chunks[i]) >= 2 * self.min_range,
            false => !chunks[i].is_complete(),
        })
    }

    fn release(&self, start: u64) {
        let chunks = self.lock_chunks();
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = chunks.iter().position(|c| c.start == start) {
            busy[index] = false;
        }
    }

    /// The server pushed back on this many connections: one fewer, for a while.
    fn push_back(&self) {
        let mut tuner = self.tuner.lock().unwrap_or_else(|p| p.into_inner());
        tuner.push_back(tokio::time::Instant::now());
        self.allowed.store(tuner.target(), Ordering::SeqCst);
    }

    /// Asks the tuner how many connections the file should have now.
    fn tune(&self) -> usize {
        let received = self.received.load(Ordering::SeqCst);
        let mut tuner = self.tuner.lock().unwrap_or_else(|p| p.into_inner());
        let target = tuner.observe(tokio::time::Instant::now(), received);
        self.allowed.store(target, Ordering::SeqCst);
        target
    }
}

fn bytes_left(chunk: &ChunkState) -> u64 {
    chunk.end.saturating_sub(chunk.start + chunk.done)
}

/// One of the process's ranged connections, given back when dropped.
struct ConnectionPermit;

impl ConnectionPermit {
    /// One more connection, while the process has fewer than its ceiling; a file's first
    /// connection always (one file set to the ceiling must not starve the others).
    fn take(first_of_its_file: bool) -> Option<ConnectionPermit> {
        OPEN_CONNECTIONS
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (first_of_its_file || n < PROCESS_CONNECTIONS).then_some(n + 1)
            })
            .ok()
            .map(|_| ConnectionPermit)
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        OPEN_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Ends a ranged transfer on every exit path (success, error, cancel, panic, a dropped
/// future): stops the hasher and gives back the space reserved for bytes that never came.
struct Finish {
    shared: Arc<Shared>,
    file: Arc<std::fs::File>,
}

impl Drop for Finish {
    fn drop(&mut self) {
        self.shared.finished.store(true, Ordering::SeqCst);
        self.shared.notify();
        for chunk in self.shared.lock_chunks().iter() {
            let (from, to) = (chunk.start + chunk.done, chunk.end);
            if from < to
                && let Err(e) = release_space(&self.file, from, to - from)
            {
                tracing::warn!("could not give back unwritten space: {e}");
            }
        }
    }
}

/// Cuts `size` bytes into chunks of about `chunk_size`.
pub(super) fn plan_chunks(size: u64, chunk_size: u64) -> Vec<ChunkState> {
    let chunk_size = chunk_size.max(1);
    (0..size.div_ceil(chunk_size))
        .map(|i| ChunkState {
            start: i * chunk_size,
            end: ((i + 1) * chunk_size).min(size),
            done: 0,
        })
        .collect()
}

impl FileTransfer<'_> {
    /// Downloads the rest of the file over `options.connections` connections.
    pub(super) async fn run_ranged(&mut self, budget: &Mutex<RetryBudget>) -> Result<Ranged> {
        let size = self.size;
        let path = self.partial.path.clone();
        let file = self.partial.open()?;
        let resumed = self.partial.state.chunks.is_some();
        if !resumed {
            // Bytes a single stream brought before (a fallback, then a pause) are kept.
            let prefix = self.partial.valid_prefix();
            // Reserved up front, so a full disk shows now rather than mid-download (and the
            // file system lays the file out in one go); what a stopped transfer did not fill
            // is given back ([`Finish`]).
            reserve_space(&file, 0, size).map_err(|e| Error::io("allocating", &path, e))?;
            file.set_len(size)
                .map_err(|e| Error::io("sizing", &path, e))?;
            let mut chunks = plan_chunks(size, self.options.chunk_size);
            for chunk in &mut chunks {
                chunk.done = prefix.clamp(chunk.start, chunk.end) - chunk.start;
            }
            self.partial.state.chunks = Some(chunks);
            self.partial.save_state()?;
        }
        let chunks = self.partial.state.chunks.clone().unwrap_or_default();
        let already: u64 = chunks.iter().map(|c| c.done).sum();
        if already > 0 {
            (self.on_event)(TransferEvent::Bytes(already));
        }
        let first = FIRST_CONNECTIONS.min(self.options.connections.max(1));
        let shared = Arc::new(Shared {
            busy: Mutex::new(vec![false; chunks.len()]),
            chunks: Mutex::new(chunks),
            splits: AtomicU64::new(0),
            min_range: self.options.min_range.max(1),
            received: AtomicU64::new(0),
            url: tokio::sync::Mutex::new((self.url.clone(), 0)),
            allowed: AtomicUsize::new(first),
            tuner: Mutex::new(Tuner::new(
                first,
                self.options.connections,
                tokio::time::Instant::now(),
                0,
            )),
            source_etag: Mutex::new(self.partial.state.source_etag.clone()),
            unsupported: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            resumed,
            progress: (Mutex::new(()), Condvar::new()),
        });
        let file = Arc::new(file);
        let finish = Finish {
            shared: shared.clone(),
            file: file.clone(),
        };
        let hasher = spawn_hasher(file.clone(), shared.clone(), size, self.checksum.clone());
        let result = self.run_workers(&shared, &file, budget).await;
        // Whatever happened, the sidecar says how far each chunk got, for the next resume.
        save_chunks(self.partial, &shared);
        if let Err(error) = result {
            return Err(if self.cancel.is_cancelled() {
                Error::Cancelled
            } else {
                error
            });
        }
        if shared.unsupported.load(Ordering::SeqCst) {
            return Ok(Ranged::Unsupported);
        }
        if shared.prefix() < size {
            return Err(Error::Internal(format!(
                "the ranged transfer of {} ended {} bytes short",
                self.name,
                size - shared.prefix()
            )));
        }
        (self.on_event)(TransferEvent::Verifying);
        let digest = or_cancel(self.cancel, async {
            hasher
                .await
                .map_err(|e| Error::Internal(format!("the hasher panicked: {e}")))?
        })
        .await?;
        drop(finish);
        Ok(Ranged::Done(digest))
    }

    /// Runs as many workers as the tuner allows while there is work for them, saving chunk
    /// progress as it goes; returns when every byte is on disk, when the server turned out
    /// not to do ranges, or at the first failure (the other workers and their connections are
    /// dropped with it).
    async fn run_workers(
        &self,
        shared: &Arc<Shared>,
        file: &Arc<std::fs::File>,
        budget: &Mutex<RetryBudget>,
    ) -> Result<()> {
        let mut workers = futures_util::stream::FuturesUnordered::new();
        let mut running: Vec<bool> = Vec::new();
        let mut sidecar = self.partial.clone();
        let mut tune = tokio::time::interval(TUNE_EVERY);
        tune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut save =
            tokio::time::interval_at(tokio::time::Instant::now() + SAVE_EVERY, SAVE_EVERY);
        let mut most = 0;
        loop {
            if shared.unsupported.load(Ordering::SeqCst) && workers.is_empty() {
                return Ok(());
            }
            // Workers up to the allowed count, while some work has nobody on it.
            let allowed = shared.allowed.load(Ordering::SeqCst);
            while running.iter().filter(|r| **r).count() < allowed
                && !shared.unsupported.load(Ordering::SeqCst)
                && shared.has_work()
            {
                let Some(permit) = ConnectionPermit::take(running.iter().all(|r| !*r)) else {
                    break;
                };
                let id = running.iter().position(|r| !*r).unwrap_or(running.len());
                if id == running.len() {
                    running.push(false);
                }
                running[id] = true;
                most = most.max(running.iter().filter(|r| **r).count());
                let worker = self.worker(id, shared, file, budget, permit);
                workers.push(async move { (id, worker.await) });
            }
            if workers.is_empty() && shared.prefix() >= self.size {
                tracing::info!(
                    file = %self.name,
                    connections_at_most = most,
                    connections_at_the_end = shared.allowed.load(Ordering::SeqCst),
                    "ranged transfer done"
                );
                return Ok(());
            }
            tokio::select! {
                Some((id, result)) = workers.next() => {
                    running[id] = false;
                    result?;
                }
                _ = tune.tick() => {
                    shared.tune();
                }
                _ = save.tick() => save_chunks(&mut sidecar, shared),
                _ = self.cancel.cancelled() => return Err(Error::Cancelled),
            }
        }
    }

    /// One connection: claims chunks (or the far half of one in progress) until there is
    /// none, or the tuner wants fewer connections than its number, spending the file's retry
    /// budget on its setbacks.
    async fn worker(
        &self,
        id: usize,
        shared: &Arc<Shared>,
        file: &Arc<std::fs::File>,
        budget: &Mutex<RetryBudget>,
        _permit: ConnectionPermit,
    ) -> Result<()> {
        while id < shared.allowed.load(Ordering::SeqCst)
            && !shared.unsupported.load(Ordering::SeqCst)
        {
            let Some(start) = shared.claim() else {
                return Ok(());
            };
            let url = shared.url.lock().await.clone();
            let outcome = self.fetch_chunk(start, &url.0, shared, file).await;
            shared.release(start);
            let setback = match outcome {
                Ok(()) => continue,
                Err(Stop::Fatal(error)) => return Err(error),
                Err(Stop::Retry(Setback::Restarted(why))) => {
                    // No ranges here (or not this file's): one stream takes over.
                    tracing::info!("ranges unusable, going on with one stream: {why}");
                    shared.unsupported.store(true, Ordering::SeqCst);
                    return Ok(());
                }
                Err(Stop::Retry(setback)) => setback,
            };
            let crowded = matches!(
                &setback,
                Setback::Failed {
                    error: Error::RateLimited { .. },
                    ..
                }
            );
            let expired = matches!(setback, Setback::Expired);
            let wait = {
                let mut budget = budget.lock().unwrap_or_else(|p| p.into_inner());
                budget.earn(shared.held());
                self.spend(&mut budget, setback, &url.0)?
            };
            // A fresh link refused again means the CDN refuses this many connections.
            if crowded || (expired && url.1 > 0) {
                shared.push_back();
            }
            if expired {
                let mut current = shared.url.lock().await;
                // Only one worker refreshes; the others find the new URL.
                if current.1 == url.1 {
                    current.0 = or_cancel(self.cancel, (self.refresh)()).await?;
                    current.1 += 1;
                }
            } else {
                sleep_or_cancel(self.cancel, wait).await?;
            }
        }
        Ok(())
    }

    /// Fetches the rest of the chunk that starts at `start` from `url`.
    async fn fetch_chunk(
        &self,
        start: u64,
        url: &str,
        shared: &Arc<Shared>,
        file: &Arc<std::fs::File>,
    ) -> Result<(), Stop> {
        let Some(chunk) = shared.chunk(start) else {
            return Ok(());
        };
        let ask = Ask {
            start: chunk.start + chunk.done,
            end: Some(chunk.end),
        };
        let known = shared
            .source_etag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let response = match self.request(url, ask, known.as_deref()).await? {
            Answer::Asked { response, etag } => {
                if known.is_none() && etag.is_some() {
                    *shared.source_etag.lock().unwrap_or_else(|p| p.into_inner()) = etag;
                }
                response
            }
            // A 200 to a Range request: this server (or a proxy) cannot do ranges.
            Answer::Whole { .. } => {
                return Err(Stop::Retry(Setback::Restarted(
                    "ignored the byte range asked for",
                )));
            }
        };
        // Space given back by an earlier stop is taken again before writing into it.
        if shared.resumed {
            reserve_space(file, ask.start, chunk.end - ask.start)
                .map_err(|e| Error::io("allocating", &self.partial.path, e))?;
        }
        let final_url = response.url().to_string();
        let mut sink = ChunkSink {
            transfer: self,
            shared,
            file,
            start,
            end: chunk.end,
            splits_seen: shared.splits.load(Ordering::SeqCst),
            offset: ask.start,
            buffer: Batch::default(),
            last_flush: Instant::now(),
        };
        self.pump(response, &final_url, ask.start, chunk.end, &mut sink)
            .await
    }
}

/// One chunk's sink: pieces are gathered into batches and written at the chunk's offset, never
/// past its end (which moves when an idle worker takes over the far half).
struct ChunkSink<'a, 't> {
    transfer: &'a FileTransfer<'t>,
    shared: &'a Shared,
    file: &'a Arc<std::fs::File>,
    /// The chunk's name.
    start: u64,
    /// The chunk's end as last seen, and the split count then.
    end: u64,
    splits_seen: u64,
    /// Where the next batch goes.
    offset: u64,
    buffer: Batch,
    last_flush: Instant,
}

impl Sink for ChunkSink<'_, '_> {
    async fn accept(&mut self, piece: Bytes) -> Result<()> {
        self.shared
            .received
            .fetch_add(piece.len() as u64, Ordering::Relaxed);
        self.buffer.push(piece);
        // Batches keep writes large on fast links; the timer keeps slow links' bytes on disk
        // (and in the progress bar) rather than in memory.
        if self.buffer.is_full() || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        let end = self.end().unwrap_or(self.end);
        // Bytes past a moved end belong to the worker that took them over.
        self.buffer.truncate(
            end.saturating_sub(self.offset)
                .try_into()
                .unwrap_or(usize::MAX),
        );
        if self.buffer.is_empty() || self.transfer.cancel.is_cancelled() {
            return Ok(());
        }
        let batch = self.buffer.take();
        let n = batch.len() as u64;
        let (target, offset) = (self.file.clone(), self.offset);
        tokio::task::spawn_blocking(move || batch.write_at(&target, offset))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| Error::io("writing", &self.transfer.partial.path, e))?;
        self.offset += n;
        if let Some(chunk) = self
            .shared
            .lock_chunks()
            .iter_mut()
            .find(|c| c.start == self.start)
        {
            chunk.done += n;
        }
        self.shared.notify();
        (self.transfer.on_event)(TransferEvent::Bytes(n));
        Ok(())
    }

    fn file_bytes(&self) -> Option<u64> {
        Some(self.shared.held())
    }

    fn end(&mut self) -> Option<u64> {
        let splits = self.shared.splits.load(Ordering::SeqCst);
        if splits != self.splits_seen {
            self.splits_seen = splits;
            if let Some(chunk) = self.shared.chunk(self.start) {
                self.end = chunk.end;
            }
        }
        Some(self.end)
    }
}

/// Writes the chunks' progress to the partial's sidecar.
fn save_chunks(partial: &mut crate::cache::Partial, shared: &Shared) {
    partial.state.chunks = Some(shared.lock_chunks().clone());
    partial.state.source_etag = shared
        .source_etag
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    // A failed save only costs re-downloading some bytes after a crash.
    let _ = partial.save_state();
}

/// Reserves `len` bytes of disk at `offset`, so a full disk shows up when a chunk starts
/// rather than in the middle of it.
fn reserve_space(file: &std::fs::File, offset: u64, len: u64) -> std::io::Result<()> {
    fallocate(file, 0, offset, len)
}

/// Gives back the disk under `len` bytes at `offset` (they read as zeros, the length stays).
fn release_space(file: &std::fs::File, offset: u64, len: u64) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
    #[cfg(not(target_os = "linux"))]
    let mode = 0;
    fallocate(file, mode, offset, len)
}

#[cfg(target_os = "linux")]
fn fallocate(
    file: &std::fs::File,
    mode: libc::c_int,
    offset: u64,
    len: u64,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Ok(());
    };
    if len == 0 {
        return Ok(());
    }
    // SAFETY: a valid open file descriptor, a non-negative offset and length.
    if unsafe { libc::fallocate(file.as_raw_fd(), mode, offset, len) } == 0 {
        return Ok(());
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        // Filesystems without fallocate: writes allocate as they land, holes stay.
        Some(libc::EOPNOTSUPP | libc::ENOSYS) => Ok(()),
        _ => Err(error),
    }
}

/// Other systems allocate as writes land.
#[cfg(not(target_os = "linux"))]
fn fallocate(_: &std::fs::File, _: i32, _: u64, _: u64) -> std::io::Result<()> {
    Ok(())
}

/// Hashes the file front to back as the downloaded prefix grows, on a blocking thread that
/// ends with the transfer ([`Finish`]).
fn spawn_hasher(
    file: Arc<std::fs::File>,
    shared: Arc<Shared>,
    size: u64,
    checksum: Checksum,
) -> tokio::task::JoinHandle<Result<String>> {
    tokio::task::spawn_blocking(move || {
        let mut hasher = Hasher::new(&checksum, size);
        let mut hashed = 0u64;
        let mut buf = vec![0u8; HASH_BLOCK];
        while hashed < size {
            // Checked before every block: a stopped transfer may leave gigabytes unhashed.
            if shared.finished.load(Ordering::SeqCst) {
                return Err(Error::Cancelled);
            }
            let prefix = shared.prefix();
            if prefix <= hashed {
                let guard = shared.progress.0.lock().unwrap_or_else(|p| p.into_inner());
                // Woken by every write and by the end; the timeout covers a missed wake-up.
                let _ = shared
                    .progress
                    .1
                    .wait_timeout(guard, Duration::from_millis(50));
                continue;
            }
            let want = (prefix - hashed).min(buf.len() as u64) as usize;
            // Positioned reads: the workers write at their own offsets through the same file.
            file.read_exact_at(&mut buf[..want], hashed)
                .map_err(|e| Error::Internal(format!("reading back the partial file: {e}")))?;
            hasher.update(&buf[..want]);
            hashed += want as u64;
        }
        Ok(hasher.hex())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gets_its_first_connection_even_when_the_process_has_all_it_may() {
        let held: Vec<_> = std::iter::from_fn(|| ConnectionPermit::take(false)).collect();
        assert!(held.len() <= PROCESS_CONNECTIONS);
        assert!(ConnectionPermit::take(false).is_none());
        assert!(ConnectionPermit::take(true).is_some());
    }

    #[test]
    fn chunks_cover_the_file_exactly() {
        let chunks = plan_chunks(10, 4);
        assert_eq!(
            chunks.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>(),
            [(0, 4), (4, 8), (8, 10)]
        );
        assert!(plan_chunks(0, 4).is_empty());
    }
}
