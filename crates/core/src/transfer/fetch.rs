//! One request for the bytes of a file from some offset on, and the loop that moves its body:
//! the part the one-stream and the ranged paths share, so each rule about an answer or a
//! body lives here once. The request goes through the Hub client's redirect follower; the
//! answer's status and headers are classified into "here are your bytes", "here is the whole
//! file", "start over", "the link expired", "try again" and "give up"; the body loop races
//! the cancel token, drops a connection that stalls or trickles, caps the rate, and hands each
//! piece to a [`Sink`].

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_RANGE, ETAG, IF_RANGE, RANGE};
use reqwest::{Response, StatusCode};
use tokio::time::Instant;

use super::FileTransfer;
use super::budget::Setback;
use crate::error::{Error, Result};
use crate::hub::{Follow, error_from_response, header_value, host_of, network_error, retry_after};

/// Why a request or its body stopped short of what was asked.
pub(super) enum Stop {
    /// Nothing more to try: cancelled, a disk error, a permanent HTTP error, a broken protocol.
    Fatal(Error),
    /// Worth another try, if the file's retry budget allows.
    Retry(Setback),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Stop {
        Stop::Fatal(error)
    }
}

/// Bytes `start..end` of the file; `end: None` asks for everything from `start` on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ask {
    pub start: u64,
    pub end: Option<u64>,
}

/// An answer with a body worth reading.
pub(super) enum Answer {
    /// The bytes asked for, from `Ask::start` on.
    Asked {
        response: Response,
        etag: Option<String>,
    },
    /// The whole file from byte 0: the server ignored `Range` (or `If-Range` no longer held).
    Whole {
        response: Response,
        etag: Option<String>,
    },
}

/// Where body pieces go, in order.
pub(super) trait Sink: Send {
    /// Takes the next piece.
    fn accept(&mut self, piece: Bytes) -> impl Future<Output = Result<()>> + Send;
    /// Puts every accepted piece on disk (and in the progress), before the loop returns.
    fn flush(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Bytes of the whole file on disk, when other connections bring them too.
    fn file_bytes(&self) -> Option<u64> {
        None
    }
    /// Where the body should end now, when that moved since it was asked for (another
    /// connection took over the rest of the range).
    fn end(&mut self) -> Option<u64> {
        None
    }
}

/// Watches one connection's speed: bytes over the time spent waiting for the server (time
/// spent on our disk or in the bandwidth cap is not the server's fault). A slow connection
/// is not dropped while its file as a whole moves faster than the floor (a slow line shared
/// by several connections): reconnecting would not help, and it would spend the budget.
struct SpeedFloor {
    floor: u64,
    window: Duration,
    waited: Duration,
    bytes: u64,
    /// When the window started, and the file's bytes then (for the ranged path).
    started: Instant,
    file_at_start: Option<u64>,
}

impl SpeedFloor {
    fn new(floor: u64, window: Duration, file_bytes: Option<u64>) -> SpeedFloor {
        SpeedFloor {
            floor,
            window,
            waited: Duration::ZERO,
            bytes: 0,
            started: Instant::now(),
            file_at_start: file_bytes,
        }
    }

    /// Adds `bytes` that took `waited`; true when a whole window was slower than the floor,
    /// for this connection and for the file (`file_bytes`, when several connections share
    /// it; asked only once a window is full, since it takes a lock).
    fn too_slow(
        &mut self,
        bytes: u64,
        waited: Duration,
        file_bytes: impl FnOnce() -> Option<u64>,
    ) -> bool {
        self.bytes += bytes;
        self.waited += waited;
        if self.waited < self.window {
            return false;
        }
        let file_bytes = file_bytes();
        let under =
            |bytes: u64, time: Duration| (bytes as f64) < self.floor as f64 * time.as_secs_f64();
        let file_slow = match (self.file_at_start, file_bytes) {
            (Some(start), Some(now)) => under(now.saturating_sub(start), self.started.elapsed()),
            _ => true,
        };
        let slow = under(self.bytes, self.waited) && file_slow;
        *self = SpeedFloor::new(self.floor, self.window, file_bytes);
        slow
    }
}

impl FileTransfer<'_> {
    /// Sends a GET for `ask` to `url` (following redirects, the token only to the endpoint),
    /// waiting at most the stall timeout for the answer, and classifies it.
    pub(super) async fn request(
        &self,
        url: &str,
        ask: Ask,
        known_etag: Option<&str>,
    ) -> Result<Answer, Stop> {
        let build = |url: &str| {
            let mut request = self.hub.http().get(url).header(ACCEPT_ENCODING, "identity");
            let range = match ask.end {
                Some(end) => Some(format!("bytes={}-{}", ask.start, end - 1)),
                None if ask.start > 0 => Some(format!("bytes={}-", ask.start)),
                None => None,
            };
            if let Some(range) = range {
                request = request.header(RANGE, range);
                if let Some(etag) = known_etag {
                    request = request.header(IF_RANGE, etag);
                }
            }
            request
        };
        let sent = tokio::time::timeout(
            self.options.stall_timeout,
            self.hub.send_following(url, Follow::All, build),
        );
        let (response, url) = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(Stop::Fatal(Error::Cancelled)),
            sent = sent => match sent {
                Err(_) => return Err(Stop::Retry(Setback::Failed {
                    error: Error::Network {
                        host: host_of(url),
                        reason: format!(
                            "no answer within {} s",
                            self.options.stall_timeout.as_secs_f32()
                        ),
                    },
                    retry_after: None,
                })),
                Ok(Err(error @ Error::Network { .. })) => {
                    return Err(Stop::Retry(Setback::Failed { error, retry_after: None }));
                }
                // A redirect to a scheme we do not fetch, or an endless chain: no retry helps.
                Ok(Err(error)) => return Err(Stop::Fatal(error)),
                Ok(Ok(sent)) => sent,
            },
        };
        self.classify(response, &url, ask, known_etag).await
    }

    /// What an answer's status and headers mean for `ask`.
    async fn classify(
        &self,
        response: Response,
        url: &str,
        ask: Ask,
        known_etag: Option<&str>,
    ) -> Result<Answer, Stop> {
        let etag = header_value(&response, ETAG.as_str());
        let changed = matches!((known_etag, &etag), (Some(known), Some(etag)) if known != etag);
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let from = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(content_range_start);
                if from != Some(ask.start) {
                    Err(Stop::Retry(Setback::Restarted(
                        "answered another byte range than the one asked for",
                    )))
                } else if changed {
                    Err(Stop::Retry(Setback::Restarted(
                        "sent another version of the file mid-download",
                    )))
                } else {
                    Ok(Answer::Asked { response, etag })
                }
            }
            StatusCode::OK if ask.start == 0 && ask.end.is_none() => {
                Ok(Answer::Asked { response, etag })
            }
            StatusCode::OK => Ok(Answer::Whole { response, etag }),
            StatusCode::RANGE_NOT_SATISFIABLE => Err(Stop::Retry(Setback::Restarted(
                "refused the byte range asked for (HTTP 416)",
            ))),
            // A signed CDN URL that expired, or the CDN refusing it.
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST | StatusCode::GONE
                if !self.hub.is_endpoint_url(url) =>
            {
                Err(Stop::Retry(Setback::Expired))
            }
            _ => {
                let retry_after = retry_after(&response);
                let error = error_from_response(response, None).await;
                Err(if error.is_transient() {
                    Stop::Retry(Setback::Failed { error, retry_after })
                } else {
                    Stop::Fatal(error)
                })
            }
        }
    }

    /// Moves `response`'s body, which starts at byte `start` of the file and must end at
    /// `end`, into `sink`. Returns once the body is complete and flushed.
    pub(super) async fn pump(
        &self,
        mut response: Response,
        url: &str,
        start: u64,
        end: u64,
        sink: &mut impl Sink,
    ) -> Result<(), Stop> {
        let stall = self.options.stall_timeout;
        let mut speed = SpeedFloor::new(
            self.options.min_speed,
            self.options.min_speed_window,
            sink.file_bytes(),
        );
        let mut at = start;
        loop {
            let asked = Instant::now();
            let next = tokio::select! {
                biased;
                // Nothing accepted is flushed: no byte reaches the disk after the token fires.
                _ = self.cancel.cancelled() => return Err(Stop::Fatal(Error::Cancelled)),
                next = tokio::time::timeout(stall, response.chunk()) => next,
            };
            let setback = match next {
                Ok(Ok(Some(piece))) => {
                    let n = piece.len() as u64;
                    if at + n > end {
                        return Err(Stop::Fatal(Error::Protocol {
                            host: host_of(url),
                            reason: format!(
                                "it sent more than the {} bytes asked for",
                                end - start
                            ),
                        }));
                    }
                    at += n;
                    sink.accept(piece).await?;
                    if sink.end().is_some_and(|cut| at >= cut) {
                        // The rest is another connection's now.
                        sink.flush().await?;
                        return Ok(());
                    }
                    if let Some(limit) = &self.options.rate_limit {
                        limit.take(n, self.cancel).await?;
                    }
                    if !speed.too_slow(n, asked.elapsed(), || sink.file_bytes()) {
                        continue;
                    }
                    Setback::TooSlow {
                        floor: speed.floor,
                        window: speed.window,
                    }
                }
                Ok(Ok(None)) if at >= end => {
                    sink.flush().await?;
                    return Ok(());
                }
                Ok(Ok(None)) => Setback::EndedEarly { at },
                Ok(Err(e)) => Setback::Failed {
                    error: network_error(url, &e),
                    retry_after: None,
                },
                Err(_) => Setback::Stalled(stall),
            };
            // What arrived before the trouble is kept for the next try.
            sink.flush().await?;
            return Err(Stop::Retry(setback));
        }
    }
}

/// `bytes a-b/total` -> `a`.
pub(super) fn content_range_start(value: &str) -> Option<u64> {
    value
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_start_is_parsed() {
        assert_eq!(content_range_start("bytes 100-199/1000"), Some(100));
        assert_eq!(content_range_start("bytes */1000"), None);
    }

    #[test]
    fn a_trickle_is_too_slow_once_a_window_of_waiting_is_full() {
        let mut speed = SpeedFloor::new(10_240, Duration::from_secs(20), None);
        // One byte every 3 s never trips a 30 s stall timeout, but it is far under the floor.
        let trips: Vec<bool> = (0..8)
            .map(|_| speed.too_slow(1, Duration::from_secs(3), || None))
            .collect();
        assert_eq!(trips.iter().filter(|t| **t).count(), 1, "{trips:?}");
        assert!(trips[6], "the window fills on the seventh byte: {trips:?}");
        // A fast connection never trips, however long it runs.
        assert!((0..100).all(|_| !speed.too_slow(1 << 20, Duration::from_secs(1), || None)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_connection_is_kept_while_its_file_moves_faster_than_the_floor() {
        // 4 connections sharing a 32 KiB/s line: each under 10 KiB/s, the file above it.
        let mut speed = SpeedFloor::new(10_240, Duration::from_secs(20), Some(0));
        tokio::time::advance(Duration::from_secs(21)).await;
        assert!(!speed.too_slow(8_000, Duration::from_secs(21), || Some(700_000)));
        // The file stalls too: now the connection goes.
        tokio::time::advance(Duration::from_secs(21)).await;
        assert!(speed.too_slow(1, Duration::from_secs(21), || Some(700_001)));
    }
}
