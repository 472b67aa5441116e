//! The byte mover: brings one file into a partial download and checks its hash, over one
//! stream front to back or (large files) over several connections in byte ranges. Both paths
//! share one request and body loop ([`fetch`]) and one retry budget per file ([`budget`]): it
//! resumes with `Range` + `If-Range` after a stall, a trickle or a dropped connection, backs
//! off with jitter (honouring `Retry-After`), asks for a fresh signed URL when the CDN's has
//! expired, caps bandwidth on request, and stops the moment its cancellation token fires:
//! every await races the token, and the connection is dropped with the future.

use std::future::Future;
use std::io::Read as _;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha1::Digest as _;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::batch::Batch;
use self::budget::{RetryBudget, Setback};
use self::fetch::{Answer, Ask, Sink, Stop};
use crate::cache::Partial;
use crate::error::{Error, Result};
use crate::hub::{HubClient, host_of};

/// How patient and how fast a transfer is.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    /// No byte for this long counts as a stall: the connection is dropped and resumed.
    pub stall_timeout: Duration,
    /// A connection bringing fewer bytes a second than this over `min_speed_window` (of
    /// waiting for the server) is dropped and its bytes asked for again on a fresh one.
    pub min_speed: u64,
    pub min_speed_window: Duration,
    /// Retries one file may spend; new bytes earn them back (see [`budget`]). Metadata
    /// requests get this many attempts each.
    pub max_attempts: u32,
    /// First back-off; it doubles per setback in a row up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A bandwidth budget shared by every transfer holding a clone; `None` for as fast as
    /// possible.
    pub rate_limit: Option<RateLimit>,
    /// The most connections one large file gets (1: never split a file); how many it really
    /// gets depends on what more of them bring (see `tuner`).
    pub connections: usize,
    /// Files at least this large are fetched in parallel ranges.
    pub parallel_threshold: u64,
    /// The size of the ranges a large file is cut into.
    pub chunk_size: u64,
    /// The smallest range an idle connection takes over from a busy one near the end (each
    /// half of a split gets at least this much).
    pub min_range: u64,
}

impl TransferOptions {
    /// How long to wait after the `streak`-th setback in a row: the server's `Retry-After` if
    /// it sent one (within reason), else an exponential back-off with jitter, so that many
    /// clients (or connections) failing together do not come back together.
    pub fn backoff(&self, streak: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(MAX_RETRY_AFTER);
        }
        let ceiling = (self.base_backoff * 2u32.saturating_pow(streak.saturating_sub(1).min(16)))
            .min(self.max_backoff);
        // Between half the ceiling and all of it.
        ceiling.mul_f64(0.5 + 0.5 * jitter())
    }
}

/// A number in [0, 1), different on every call.
fn jitter() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Runs a request until it succeeds, fails for good, or `options.max_attempts` transient
/// failures in a row; each pause races `cancel`. For the small metadata requests around a
/// transfer (the transfer itself resumes instead of starting over).
pub async fn with_retries<T, F, Fut>(
    options: &TransferOptions,
    cancel: &CancellationToken,
    on_retry: &(dyn Fn(u32, &Error) + Send + Sync),
    mut request: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match or_cancel(cancel, request()).await {
            Err(error) if error.is_transient() && attempt < options.max_attempts => {
                attempt += 1;
                let wait = match &error {
                    Error::RateLimited { retry_after, .. } => *retry_after,
                    _ => None,
                };
                on_retry(attempt, &error);
                sleep_or_cancel(cancel, options.backoff(attempt, wait)).await?;
            }
            other => return other,
        }
    }
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            stall_timeout: Duration::from_secs(30),
            // curl's --speed-limit idea: a connection under 10 KiB/s for 20 s is not coming back.
            min_speed: 10 * 1024,
            min_speed_window: Duration::from_secs(20),
            max_attempts: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            rate_limit: None,
            connections: crate::settings::DEFAULT_CONNECTIONS_PER_FILE,
            parallel_threshold: 64 * 1024 * 1024,
            chunk_size: 16 * 1024 * 1024,
            min_range: 2 * 1024 * 1024,
        }
    }
}

/// What the content must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// LFS files: the sha256 of the content.
    Sha256(String),
    /// Regular files: git's blob sha1 (`sha1("blob <len>\0" + content)`).
    GitSha1(String),
}

impl Checksum {
    /// The checksum a Hub etag stands for: sha256 for LFS etags, git sha1 otherwise.
    pub fn for_etag(etag: &str) -> Checksum {
        if crate::repo::is_sha256(etag) {
            Checksum::Sha256(etag.to_owned())
        } else {
            Checksum::GitSha1(etag.to_owned())
        }
    }

    fn expected(&self) -> &str {
        match self {
            Checksum::Sha256(h) | Checksum::GitSha1(h) => h,
        }
    }
}

/// What a transfer reports while it runs. Callbacks must not block: they run on the
/// download's own task.
#[derive(Debug, Clone, PartialEq)]
pub enum TransferEvent {
    /// `n` more bytes are on disk (also reported for a resumed prefix).
    Bytes(u64),
    /// The transfer restarted from zero: forget the bytes reported so far.
    Restarted,
    /// A transient failure; the next attempt starts after a pause.
    Retrying { attempt: u32, reason: String },
    /// All bytes are there; the hash is being checked.
    Verifying,
}

/// A bandwidth cap shared between transfers: a token bucket that goes into debt, so each
/// taker waits for its share of the rate.
#[derive(Debug, Clone)]
pub struct RateLimit {
    rate: f64,
    bucket: std::sync::Arc<std::sync::Mutex<(f64, Instant)>>,
}

impl RateLimit {
    /// At most `bytes_per_second` (at least 1).
    pub fn new(bytes_per_second: u64) -> RateLimit {
        RateLimit {
            rate: bytes_per_second.max(1) as f64,
            bucket: std::sync::Arc::new(std::sync::Mutex::new((0.0, Instant::now()))),
        }
    }

    /// Accounts for `n` bytes just received, pausing (racing `cancel`) as long as the budget
    /// needs.
    pub async fn take(&self, n: u64, cancel: &CancellationToken) -> Result<()> {
        let wait = {
            let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
            let (allowance, last) = &mut *bucket;
            let now = Instant::now();
            // A quarter second of unused budget may be spent at once, no more.
            *allowance = (*allowance + now.duration_since(*last).as_secs_f64() * self.rate)
                .min(self.rate / 4.0);
            *last = now;
            *allowance -= n as f64;
            (*allowance < 0.0).then(|| Duration::from_secs_f64(-*allowance / self.rate))
        };
        match wait {
            Some(wait) => sleep_or_cancel(cancel, wait).await,
            None => Ok(()),
        }
    }
}

/// The longest `Retry-After` we are willing to sit out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// A future returning a fresh download URL (a new signed CDN URL after the old expired).
pub type Refresh<'a> =
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>> + Send + Sync + 'a;

/// One file to move.
pub struct FileTransfer<'a> {
    pub hub: &'a HubClient,
    /// The file's path in its repository, for messages.
    pub name: &'a str,
    /// Where the bytes are (a CDN URL, or the resolve URL for regular files).
    pub url: String,
    pub refresh: &'a Refresh<'a>,
    pub partial: &'a mut Partial,
    pub size: u64,
    pub checksum: Checksum,
    pub options: &'a TransferOptions,
    pub cancel: &'a CancellationToken,
    pub on_event: &'a (dyn Fn(TransferEvent) + Send + Sync),
}

/// Runs `fut` unless `cancel` fires first, in which case `fut` is dropped (and with it any
/// connection it holds).
pub async fn or_cancel<T>(
    cancel: &CancellationToken,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::Cancelled),
        result = fut => result,
    }
}

/// Sleeps for `duration` unless `cancel` fires first.
pub async fn sleep_or_cancel(cancel: &CancellationToken, duration: Duration) -> Result<()> {
    or_cancel(cancel, async {
        tokio::time::sleep(duration).await;
        Ok(())
    })
    .await
}

mod batch;
mod budget;
mod fetch;
#[cfg(unix)]
mod ranged;
#[cfg(unix)]
mod tuner;

impl FileTransfer<'_> {
    /// Moves the bytes and checks them. On success the partial file holds exactly the
    /// content, verified; the caller renames it into place.
    ///
    /// # Errors
    ///
    /// [`Error::Cancelled`] as soon as the token fires (the partial data stays, for the caller
    /// to keep or remove); [`Error::Checksum`] when the content is not what the Hub promised
    /// (the partial data is removed, since it is wrong); network errors after the retries run
    /// out; I/O errors, [`crate::error::ErrorKind::DiskFull`] among them.
    pub async fn run(mut self) -> Result<()> {
        // The URL may be a signed CDN link: the log redacts its query.
        tracing::info!(
            url = %self.url,
            size = self.size,
            resume_from = self.partial.valid_bytes(),
            connections = self.options.connections,
            "transfer started"
        );
        let budget = Mutex::new(RetryBudget::new(self.options, self.partial.valid_bytes()));
        #[cfg(unix)]
        if self.options.connections > 1 && self.size >= self.options.parallel_threshold {
            match self.run_ranged(&budget).await? {
                ranged::Ranged::Done(digest) => return self.verify(self.size, digest),
                ranged::Ranged::Unsupported => (self.on_event)(TransferEvent::Restarted),
            }
        }
        let mut budget = budget.into_inner().unwrap_or_else(|p| p.into_inner());
        if self.partial.state.chunks.is_some() {
            // Parallel before (or a server that cannot do ranges): keep the downloaded prefix.
            let prefix = self.partial.valid_prefix();
            self.partial.state.chunks = None;
            self.partial.save_state()?;
            Writer::truncate(self.partial, prefix)?;
        }
        let mut writer = Writer::open(self.partial, &self.checksum, self.cancel.clone()).await?;
        if writer.written > 0 {
            (self.on_event)(TransferEvent::Bytes(writer.written));
        }
        let mut url = self.url.clone();
        while writer.written < self.size {
            let setback = match self.attempt(&url, &mut writer).await {
                Ok(()) => continue,
                Err(Stop::Fatal(error)) => return Err(error),
                Err(Stop::Retry(setback)) => setback,
            };
            budget.earn(writer.written);
            let expired = matches!(setback, Setback::Expired);
            let wait = self.spend(&mut budget, setback, &url)?;
            if expired {
                url = or_cancel(self.cancel, (self.refresh)()).await?;
            } else {
                sleep_or_cancel(self.cancel, wait).await?;
            }
        }
        (self.on_event)(TransferEvent::Verifying);
        let (written, actual) = writer.finish().await?;
        self.verify(written, actual)
    }

    /// Spends a retry of `budget` on `setback` met at `url`: reports it and returns how long
    /// to wait, or the error to give up with.
    fn spend(&self, budget: &mut RetryBudget, setback: Setback, url: &str) -> Result<Duration> {
        let wait = budget.spend(setback, self.options, &host_of(url), self.name, self.size)?;
        (self.on_event)(TransferEvent::Retrying {
            attempt: budget.streak(),
            reason: budget.reason(self.size),
        });
        Ok(wait)
    }

    /// Checks the length and the hash of what was written; removes the data if it is wrong.
    fn verify(&self, written: u64, actual: String) -> Result<()> {
        if written != self.size {
            return Err(Error::Protocol {
                host: host_of(&self.url),
                reason: format!(
                    "expected {} bytes of {}, got {written}",
                    self.size, self.name
                ),
            });
        }
        if actual != self.checksum.expected() {
            let _ = self.partial.remove();
            return Err(Error::Checksum {
                file: self.name.to_owned(),
                expected: self.checksum.expected().to_owned(),
                actual,
            });
        }
        Ok(())
    }

    /// One GET from where the writer stands to the end (or until something breaks).
    async fn attempt(&mut self, url: &str, writer: &mut Writer) -> Result<(), Stop> {
        let ask = Ask {
            start: writer.written,
            end: None,
        };
        let known = self.partial.state.source_etag.clone();
        let (response, etag, start) = match self.request(url, ask, known.as_deref()).await {
            Ok(Answer::Asked { response, etag }) => (response, etag, ask.start),
            // The whole file instead of the rest: take it from the start.
            Ok(Answer::Whole { response, etag }) => {
                writer.restart().await?;
                (self.on_event)(TransferEvent::Restarted);
                (response, etag, 0)
            }
            Err(Stop::Retry(restarted @ Setback::Restarted(_))) => {
                // The bytes so far belong to another version, or cannot be continued.
                writer.restart().await?;
                self.partial.state.source_etag = None;
                self.partial.save_state()?;
                (self.on_event)(TransferEvent::Restarted);
                return Err(Stop::Retry(restarted));
            }
            Err(stop) => return Err(stop),
        };
        if etag.is_some() && self.partial.state.source_etag != etag {
            self.partial.state.source_etag = etag;
            self.partial.save_state()?;
        }
        let final_url = response.url().to_string();
        let mut sink = StreamSink {
            writer,
            on_event: self.on_event,
        };
        self.pump(response, &final_url, start, self.size, &mut sink)
            .await
    }
}

/// The one-stream path's sink: pieces go to the writer thread in order.
struct StreamSink<'w, 'e> {
    writer: &'w mut Writer,
    on_event: &'e (dyn Fn(TransferEvent) + Send + Sync),
}

impl Sink for StreamSink<'_, '_> {
    async fn accept(&mut self, piece: Bytes) -> Result<()> {
        let n = piece.len() as u64;
        self.writer.write(piece).await?;
        (self.on_event)(TransferEvent::Bytes(n));
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        self.writer.flush().await
    }
}

/// The hash being computed over the content, in order.
enum Hasher {
    Sha256(sha2::Sha256),
    GitSha1(sha1::Sha1),
}

impl Hasher {
    fn new(checksum: &Checksum, size: u64) -> Hasher {
        match checksum {
            Checksum::Sha256(_) => Hasher::Sha256(sha2::Sha256::new()),
            Checksum::GitSha1(_) => {
                let mut h = sha1::Sha1::new();
                h.update(format!("blob {size}\0").as_bytes());
                Hasher::GitSha1(h)
            }
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::GitSha1(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        let digest: Vec<u8> = match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::GitSha1(h) => h.finalize().to_vec(),
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

enum WriterCommand {
    Data(Batch),
    Restart,
}

/// Writes and hashes on a blocking thread, so disk and CPU work never stall the runtime and
/// overlap with the network. The channel is bounded: at most a few MiB are in flight.
struct Writer {
    tx: Option<mpsc::Sender<WriterCommand>>,
    handle: Option<tokio::task::JoinHandle<Result<(u64, String)>>>,
    /// Bytes accepted so far (on disk once the batch goes out and the writer catches up).
    written: u64,
    /// Small network chunks gathered into large writes.
    pending: Batch,
    last_flush: std::time::Instant,
}

const WRITER_QUEUE: usize = 8;
/// A slow link's bytes still reach the disk (and survive a pause) this often.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
const HASH_BLOCK: usize = 1024 * 1024;

impl Writer {
    fn truncate(partial: &Partial, len: u64) -> Result<()> {
        partial
            .open()?
            .set_len(len)
            .map_err(|e| Error::io("truncating", &partial.path, e))
    }

    /// Opens the partial file and re-hashes what it already holds (racing `cancel`).
    async fn open(
        partial: &Partial,
        checksum: &Checksum,
        cancel: CancellationToken,
    ) -> Result<Writer> {
        let path = partial.path.clone();
        let size = partial.state.size;
        let checksum = checksum.clone();
        let existing = partial.len().min(size);
        let (tx, mut rx) = mpsc::channel::<WriterCommand>(WRITER_QUEUE);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<()>>();
        let mut file = partial.open()?;
        let handle = tokio::task::spawn_blocking(move || -> Result<(u64, String)> {
            let io = |action, e| Error::io(action, &path, e);
            let mut hasher = Hasher::new(&checksum, size);
            let mut written = 0u64;
            // A resumed download: hash the prefix on disk, so the final check covers it too.
            let mut buf = vec![0u8; HASH_BLOCK];
            while written < existing {
                // Cancelled, or the transfer is gone (its future dropped): stop hashing.
                if cancel.is_cancelled() || rx.is_closed() {
                    let _ = ready_tx.send(Err(Error::Cancelled));
                    return Err(Error::Cancelled);
                }
                let want = (existing - written).min(HASH_BLOCK as u64) as usize;
                file.read_exact(&mut buf[..want])
                    .map_err(|e| io("reading", e))?;
                hasher.update(&buf[..want]);
                written += want as u64;
            }
            file.set_len(written).map_err(|e| io("truncating", e))?;
            let _ = ready_tx.send(Ok(()));
            while let Some(command) = rx.blocking_recv() {
                match command {
                    // "No further byte is written" once cancelled, even if some are queued.
                    WriterCommand::Data(_) if cancel.is_cancelled() => {
                        return Err(Error::Cancelled);
                    }
                    WriterCommand::Data(batch) => {
                        batch
                            .write_at(&file, written)
                            .map_err(|e| io("writing", e))?;
                        batch.pieces().for_each(|piece| hasher.update(piece));
                        written += batch.len() as u64;
                    }
                    WriterCommand::Restart => {
                        file.set_len(0).map_err(|e| io("truncating", e))?;
                        hasher = Hasher::new(&checksum, size);
                        written = 0;
                    }
                }
            }
            Ok((written, hasher.hex()))
        });
        let mut writer = Writer {
            tx: Some(tx),
            handle: Some(handle),
            written: existing,
            pending: Batch::default(),
            last_flush: std::time::Instant::now(),
        };
        match ready_rx.await {
            Ok(Ok(())) => Ok(writer),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(writer
                .join()
                .await
                .err()
                .unwrap_or_else(|| Error::Internal("the writer stopped".into()))),
        }
    }

    async fn send(&mut self, command: WriterCommand) -> Result<()> {
        let sent = match &self.tx {
            Some(tx) => tx.send(command).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            Err(self
                .join()
                .await
                .err()
                .unwrap_or_else(|| Error::Internal("the writer stopped".into())))
        }
    }

    /// Accepts `data`; it goes to the disk with the next batch, in order.
    async fn write(&mut self, data: Bytes) -> Result<()> {
        self.written += data.len() as u64;
        self.pending.push(data);
        if self.pending.is_full() || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        self.last_flush = std::time::Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = self.pending.take();
        self.send(WriterCommand::Data(batch)).await
    }

    async fn restart(&mut self) -> Result<()> {
        self.pending = Batch::default();
        self.send(WriterCommand::Restart).await?;
        self.written = 0;
        Ok(())
    }

    async fn join(&mut self) -> Result<(u64, String)> {
        self.tx = None;
        match self.handle.take() {
            Some(handle) => handle
                .await
                .map_err(|e| Error::Internal(format!("the writer panicked: {e}")))?,
            None => Err(Error::Internal("the writer already stopped".into())),
        }
    }

    /// Waits for every queued byte to be written; returns the length and the hash.
    async fn finish(mut self) -> Result<(u64, String)> {
        self.flush().await?;
        self.join().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sha1_matches_git_hash_object() {
        // `printf 'Hello, World!' | git hash-object --stdin`
        let mut h = Hasher::new(&Checksum::GitSha1(String::new()), 13);
        h.update(b"Hello, World!");
        assert_eq!(h.hex(), "b45ef6fec89518d314f546fd6c3025367b721684");
    }
}
