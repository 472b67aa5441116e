//! Large files over several connections: the file is preallocated, cut into chunks, and
//! `connections` workers each fetch one chunk at a time with `Range`, writing at its offset.
//! A hasher thread follows the contiguous downloaded prefix, so the sha256 is ready moments
//! after the last byte. Chunk progress goes to the partial's sidecar, so a pause or a crash
//! resumes every chunk where it stopped. A server that refuses parallel requests (403, 429)
//! loses a worker each time until one stream is left; a server that ignores `Range` sends the
//! transfer back to one front-to-back stream.

use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_RANGE, ETAG, IF_RANGE, RANGE};
use tokio_util::sync::CancellationToken;

use super::batch::Batch;
use super::{
    Checksum, FileTransfer, Hasher, TransferEvent, content_range_start, or_cancel, sleep_or_cancel,
};
use crate::cache::ChunkState;
use crate::error::{Error, Result};
use crate::hub::{error_from_response, header_value, host_of, network_error, retry_after};

/// The hasher reads the file back in blocks of this size.
const HASH_BLOCK: usize = 1024 * 1024;
/// Buffered bytes are written at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// How often chunk progress is saved to the sidecar while downloading.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The outcome of a ranged transfer that did not fail.
pub(super) enum Ranged {
    /// Every byte is on disk and hashed to this hex digest.
    Done(String),
    /// The server ignores `Range`: go on with one stream.
    Unsupported,
}

/// What the workers share.
struct Shared {
    chunks: Mutex<Vec<ChunkState>>,
    /// Indexes of chunks a worker is on.
    busy: Mutex<Vec<bool>>,
    url: tokio::sync::Mutex<(String, u32)>,
    /// Workers still allowed to run; lowered when the server pushes back on parallelism.
    allowed: AtomicUsize,
    source_etag: Mutex<Option<String>>,
    unsupported: AtomicBool,
    /// Wakes the hasher when the contiguous prefix grows.
    progress: (Mutex<()>, Condvar),
}

impl Shared {
    fn prefix(&self) -> u64 {
        let chunks = self.chunks.lock().unwrap_or_else(|p| p.into_inner());
        let mut prefix = 0;
        for chunk in chunks.iter() {
            prefix = chunk.start + chunk.done;
            if !chunk.is_complete() {
                break;
            }
        }
        prefix
    }

    fn notify(&self) {
        let _guard = self.progress.0.lock().unwrap_or_else(|p| p.into_inner());
        self.progress.1.notify_all();
    }

    /// The next chunk nobody is working on that still has bytes to fetch.
    fn claim(&self) -> Option<usize> {
        let chunks = self.chunks.lock().unwrap_or_else(|p| p.into_inner());
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        let index = (0..chunks.len()).find(|&i| !busy[i] && !chunks[i].is_complete())?;
        busy[index] = true;
        Some(index)
    }

    fn release(&self, index: usize) {
        self.busy.lock().unwrap_or_else(|p| p.into_inner())[index] = false;
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
    pub(super) async fn run_ranged(&mut self) -> Result<Ranged> {
        let size = self.size;
        let path = self.partial.path.clone();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("opening", &path, e))?;
        if self.partial.state.chunks.is_none() {
            preallocate(&file, size).map_err(|e| Error::io("allocating", &path, e))?;
            self.partial.state.chunks = Some(plan_chunks(size, self.options.chunk_size));
            self.partial.save_state()?;
        }
        let chunks = self.partial.state.chunks.clone().unwrap_or_default();
        let already: u64 = chunks.iter().map(|c| c.done).sum();
        if already > 0 {
            (self.on_event)(TransferEvent::Bytes(already));
        }
        let shared = Arc::new(Shared {
            busy: Mutex::new(vec![false; chunks.len()]),
            chunks: Mutex::new(chunks),
            url: tokio::sync::Mutex::new((self.url.clone(), 0)),
            allowed: AtomicUsize::new(self.options.connections.max(1)),
            source_etag: Mutex::new(self.partial.state.source_etag.clone()),
            unsupported: AtomicBool::new(false),
            progress: (Mutex::new(()), Condvar::new()),
        });
        let file = Arc::new(file);
        let hasher = spawn_hasher(
            file.clone(),
            shared.clone(),
            size,
            self.checksum.clone(),
            self.cancel.clone(),
        );

        let workers: Vec<_> = (0..self.options.connections.max(1))
            .map(|id| self.worker(id, &shared, &file))
            .collect();
        let mut sidecar = self.partial.clone();
        let saver = async {
            loop {
                tokio::time::sleep(SAVE_EVERY).await;
                save_chunks(&mut sidecar, &shared);
            }
        };
        let results = tokio::select! {
            results = futures_util::future::join_all(workers) => results,
            _ = saver => unreachable!("the saver never ends"),
        };
        // Whatever happened, the sidecar says how far each chunk got, for the next resume.
        save_chunks(self.partial, &shared);
        shared.notify();
        if let Some(err) = results.into_iter().find_map(|r| r.err()) {
            return Err(if self.cancel.is_cancelled() {
                Error::Cancelled
            } else {
                err
            });
        }
        if shared.unsupported.load(Ordering::SeqCst) {
            return Ok(Ranged::Unsupported);
        }
        (self.on_event)(TransferEvent::Verifying);
        let digest = hasher
            .await
            .map_err(|e| Error::Internal(format!("the hasher panicked: {e}")))??;
        Ok(Ranged::Done(digest))
    }

    /// One connection: claims chunks until none is left, retrying its own failures.
    async fn worker(
        &self,
        id: usize,
        shared: &Arc<Shared>,
        file: &Arc<std::fs::File>,
    ) -> Result<()> {
        let mut attempt = 0u32;
        while id < shared.allowed.load(Ordering::SeqCst)
            && !shared.unsupported.load(Ordering::SeqCst)
        {
            let Some(index) = shared.claim() else {
                return Ok(());
            };
            let outcome = self.fetch_chunk(index, shared, file).await;
            shared.release(index);
            match outcome {
                Ok(progressed) => {
                    if progressed {
                        attempt = 0;
                    }
                }
                Err(ChunkError::Fatal(error)) => return Err(error),
                Err(ChunkError::Expired(seen)) => {
                    let mut url = shared.url.lock().await;
                    // Only one worker refreshes; the others find the new URL.
                    if url.1 == seen {
                        if url.1 >= self.options.max_attempts {
                            return Err(Error::Http {
                                host: host_of(&url.0),
                                status: 403,
                                message: "the download link keeps expiring".into(),
                            });
                        }
                        url.0 = or_cancel(self.cancel, (self.refresh)()).await?;
                        url.1 += 1;
                    }
                }
                Err(ChunkError::Crowded { wait }) => {
                    // The CDN does not want this many connections: this worker steps back
                    // (the last one left never does).
                    let allowed = shared.allowed.load(Ordering::SeqCst);
                    if allowed > 1 {
                        shared.allowed.store(allowed - 1, Ordering::SeqCst);
                    }
                    sleep_or_cancel(self.cancel, self.options.pause(1, wait)).await?;
                }
                Err(ChunkError::Retry {
                    error,
                    wait,
                    progressed,
                }) => self.back_off(&mut attempt, error, wait, progressed).await?,
            }
        }
        Ok(())
    }

    /// Fetches the rest of chunk `index`; `Ok(true)` when bytes arrived.
    async fn fetch_chunk(
        &self,
        index: usize,
        shared: &Shared,
        file: &Arc<std::fs::File>,
    ) -> Result<bool, ChunkError> {
        let chunk = shared.chunks.lock().unwrap_or_else(|p| p.into_inner())[index];
        let mut offset = chunk.start + chunk.done;
        let (url, url_version) = shared.url.lock().await.clone();
        let mut request = self
            .hub
            .authorize(self.hub.http().get(&url), &url)
            .header(ACCEPT_ENCODING, "identity")
            .header(RANGE, format!("bytes={offset}-{}", chunk.end - 1));
        let expected_etag = shared
            .source_etag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(etag) = &expected_etag {
            request = request.header(IF_RANGE, etag);
        }
        let retry = |error: Error| ChunkError::Retry {
            error,
            wait: None,
            progressed: false,
        };
        let mut response = match super::send(request, &url, self.options, self.cancel).await {
            Ok(response) => response,
            Err(Error::Cancelled) => return Err(ChunkError::Fatal(Error::Cancelled)),
            Err(error) => return Err(retry(error)),
        };
        let etag = header_value(&response, ETAG.as_str());
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let from = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(content_range_start);
                if from != Some(offset) {
                    shared.unsupported.store(true, Ordering::SeqCst);
                    return Ok(false);
                }
                let mut known = shared.source_etag.lock().unwrap_or_else(|p| p.into_inner());
                match (&*known, &etag) {
                    (Some(known), Some(etag)) if known != etag => {
                        // The content changed under us: no byte downloaded so far can be trusted.
                        return Err(ChunkError::Fatal(Error::Protocol {
                            host: host_of(&url),
                            reason: "the file changed on the server during the download".into(),
                        }));
                    }
                    (None, Some(_)) => *known = etag,
                    _ => {}
                }
            }
            // A 200 to a Range request: this server (or a proxy) cannot do ranges.
            StatusCode::OK => {
                shared.unsupported.store(true, Ordering::SeqCst);
                return Ok(false);
            }
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST | StatusCode::GONE
                if !self.hub.is_endpoint_url(&url) =>
            {
                // First assume the signed URL expired; a fresh URL refused again means the CDN
                // refuses the parallel request itself.
                return Err(
                    if url_version == 0 || response.status() != StatusCode::FORBIDDEN {
                        ChunkError::Expired(url_version)
                    } else {
                        ChunkError::Crowded { wait: None }
                    },
                );
            }
            StatusCode::TOO_MANY_REQUESTS => {
                return Err(ChunkError::Crowded {
                    wait: retry_after(&response),
                });
            }
            _ => {
                let wait = retry_after(&response);
                let error = error_from_response(response, None).await;
                return Err(if error.is_transient() {
                    ChunkError::Retry {
                        error,
                        wait,
                        progressed: false,
                    }
                } else {
                    ChunkError::Fatal(error)
                });
            }
        }

        let mut buffer = Batch::default();
        let mut progressed = false;
        let mut last_flush = Instant::now();
        loop {
            let next = tokio::time::timeout(self.options.stall_timeout, response.chunk());
            let piece = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => None,
                next = next => Some(next),
            };
            let (piece, failure) = match piece {
                None => (None, Some(ChunkError::Fatal(Error::Cancelled))),
                Some(Err(_)) => {
                    let reason = format!(
                        "stalled: no data for {} s",
                        self.options.stall_timeout.as_secs_f32()
                    );
                    (
                        None,
                        Some(ChunkError::Retry {
                            error: Error::Network {
                                host: host_of(&url),
                                reason,
                            },
                            wait: None,
                            progressed: false,
                        }),
                    )
                }
                Some(Ok(Err(e))) => (
                    None,
                    Some(ChunkError::Retry {
                        error: network_error(&url, &e),
                        wait: None,
                        progressed: false,
                    }),
                ),
                Some(Ok(Ok(None))) => (None, None),
                Some(Ok(Ok(Some(piece)))) => (Some(piece), None),
            };
            if let Some(piece) = &piece {
                if offset + (buffer.len() + piece.len()) as u64 > chunk.end {
                    return Err(ChunkError::Fatal(Error::Protocol {
                        host: host_of(&url),
                        reason: "the server sent more than asked".into(),
                    }));
                }
                buffer.push(piece.clone());
            }
            // Batches keep writes large on fast links; the timer keeps slow links' bytes on disk
            // (and in the progress bar) rather than in memory.
            let flush = !buffer.is_empty()
                && (buffer.is_full() || piece.is_none() || last_flush.elapsed() >= FLUSH_EVERY);
            // On cancel the buffered bytes are dropped: no byte is written after the token fires.
            if flush && !self.cancel.is_cancelled() {
                let batch = buffer.take();
                let n = batch.len() as u64;
                let target = file.clone();
                tokio::task::spawn_blocking(move || batch.write_at(&target, offset))
                    .await
                    .map_err(|e| ChunkError::Fatal(Error::Internal(e.to_string())))?
                    .map_err(|e| ChunkError::Fatal(Error::io("writing", &self.partial.path, e)))?;
                offset += n;
                last_flush = Instant::now();
                shared.chunks.lock().unwrap_or_else(|p| p.into_inner())[index].done += n;
                shared.notify();
                (self.on_event)(TransferEvent::Bytes(n));
                progressed = true;
            }
            let piece_len = piece.as_ref().map_or(0, |p| p.len() as u64);
            match (piece, failure) {
                (_, Some(ChunkError::Retry { error, wait, .. })) => {
                    return Err(ChunkError::Retry {
                        error,
                        wait,
                        progressed,
                    });
                }
                (_, Some(other)) => return Err(other),
                (None, None) => return Ok(progressed),
                (Some(_), None) => {}
            }
            if let Some(limit) = &self.options.rate_limit {
                limit
                    .take(piece_len, self.cancel)
                    .await
                    .map_err(ChunkError::Fatal)?;
            }
        }
    }
}

/// Writes the chunks' progress to the partial's sidecar.
fn save_chunks(partial: &mut crate::cache::Partial, shared: &Shared) {
    partial.state.chunks = Some(
        shared
            .chunks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
    );
    partial.state.source_etag = shared
        .source_etag
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    // A failed save only costs re-downloading some bytes after a crash.
    let _ = partial.save_state();
}

enum ChunkError {
    Fatal(Error),
    Retry {
        error: Error,
        wait: Option<Duration>,
        progressed: bool,
    },
    /// The signed URL (at this version) was refused.
    Expired(u32),
    /// The server refuses this many connections.
    Crowded {
        wait: Option<Duration>,
    },
}

/// Reserves the whole file on disk, so a full disk shows up now rather than mid-download.
fn preallocate(file: &std::fs::File, size: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let Ok(len) = libc::off_t::try_from(size) else {
        return file.set_len(size);
    };
    // SAFETY: a valid open file descriptor and a non-negative length.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
        0 => Ok(()),
        // Filesystems without fallocate: a sparse file of the right length does.
        libc::EOPNOTSUPP | libc::EINVAL => file.set_len(size),
        code => Err(std::io::Error::from_raw_os_error(code)),
    }
}

/// Hashes the file front to back as the downloaded prefix grows, on a blocking thread.
fn spawn_hasher(
    file: Arc<std::fs::File>,
    shared: Arc<Shared>,
    size: u64,
    checksum: Checksum,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<Result<String>> {
    tokio::task::spawn_blocking(move || {
        let mut hasher = Hasher::new(&checksum, size);
        let mut hashed = 0u64;
        let mut buf = vec![0u8; HASH_BLOCK];
        while hashed < size {
            if cancel.is_cancelled() || shared.unsupported.load(Ordering::SeqCst) {
                return Err(Error::Cancelled);
            }
            let prefix = shared.prefix();
            if prefix <= hashed {
                let guard = shared.progress.0.lock().unwrap_or_else(|p| p.into_inner());
                // Woken by every write; the timeout covers a stop that notifies nobody.
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
    fn chunks_cover_the_file_exactly() {
        let chunks = plan_chunks(10, 4);
        assert_eq!(
            chunks.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>(),
            [(0, 4), (4, 8), (8, 10)]
        );
        assert!(plan_chunks(0, 4).is_empty());
    }
}
