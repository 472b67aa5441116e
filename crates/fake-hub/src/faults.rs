//! The ways the fake Hub can misbehave on purpose, switchable while it runs, so tests can
//! prove the client survives what the real network and the real Hub do on a bad day; the
//! routes ask here whether to fail, lie or stream slowly instead of deciding it themselves.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use bytes::Bytes;
use serde_json::json;

use crate::Shared;
use crate::catalog::FakeFile;
use crate::protocol::{Reply, hub_error};

/// A limited number of stalls: after `after` body bytes of a response, send nothing for `pause`.
#[derive(Clone, Debug)]
pub struct Stall {
    pub after: u64,
    pub pause: Duration,
    pub times: u32,
}

/// A limited number of dropped connections, each after `after` body bytes of a response.
#[derive(Clone, Debug)]
pub struct DropAfter {
    pub after: u64,
    pub times: u32,
}

/// Answer the next `times` file requests (resolve or CDN, HEAD or GET) with `status`.
#[derive(Clone, Debug)]
pub struct Fail {
    pub status: u16,
    pub times: u32,
    /// Sent as `Retry-After` (seconds), with the Hub's `RateLimit` header on 429.
    pub retry_after: Option<u64>,
}

/// Faults applied to file transfers. Set them with
/// [`FakeHub::set_faults`](crate::FakeHub::set_faults) at any time.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Body bytes per second, per response (a CDN that caps each connection).
    pub throttle: Option<u64>,
    /// Body bytes per second for all responses together (the capacity of the line).
    pub total_rate: Option<u64>,
    pub stall: Option<Stall>,
    pub drop: Option<DropAfter>,
    pub fail: Option<Fail>,
    /// Flip the byte at this offset of every file body served.
    pub corrupt_at: Option<u64>,
    /// Answer `Range` requests with the whole file and a 200, like some proxies do.
    pub ignore_range: bool,
    /// Answer API calls (info, tree, search) with a JSON array of this many bytes.
    pub huge_json: Option<u64>,
    /// Serve only the first N bytes of every file body, cleanly (a truncated object), while
    /// the Hub still announces the whole size.
    pub truncate_to: Option<u64>,
    /// Announce every LFS file this many bytes shorter than it is (the body stays whole).
    pub announce_less: Option<u64>,
    /// Send file bodies one byte at a time, this far apart.
    pub trickle: Option<Duration>,
    /// Answer every CDN request (not the Hub's) with this status.
    pub cdn_status: Option<u16>,
    /// Send LFS downloads here instead of to the CDN listener.
    pub lfs_location: Option<String>,
    /// How tree pages link to the next one.
    pub tree_links: TreeLinks,
    /// Answer API calls (info, tree, search) with this error instead.
    pub api_error: Option<ApiError>,
    /// Wait this long before answering an API call (info, tree, search).
    pub api_delay: Option<Duration>,
}

/// The `Link: <...>; rel="next"` of tree pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TreeLinks {
    /// An absolute URL on the Hub, as the real Hub sends.
    #[default]
    Absolute,
    /// A path and query only, as some mirrors send (RFC 8288 allows it).
    Relative,
    /// An absolute URL on the CDN listener: another origin.
    Foreign,
}

/// An error answer whose message is only in the JSON body (`{"error": ...}`), as a proxy or
/// mirror may send it: a header could not carry control characters, a body can.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: u16,
    /// `X-Error-Code`, if any.
    pub code: Option<&'static str>,
    pub message: String,
}

/// Spends one of the [`Fail`] answers, if any are left.
pub(crate) fn take_failure(shared: &Shared) -> Option<Reply> {
    let mut faults = shared.faults.lock().unwrap();
    let fail = faults.fail.as_mut()?;
    if fail.times == 0 {
        return None;
    }
    fail.times -= 1;
    let status = StatusCode::from_u16(fail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = hub_error(status, None, "Injected failure");
    if let Some(secs) = fail.retry_after {
        reply
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        if status == StatusCode::TOO_MANY_REQUESTS {
            let value = format!("\"resolvers\";r=0;t={secs}");
            reply
                .headers_mut()
                .insert("ratelimit", HeaderValue::from_str(&value).unwrap());
        }
    }
    Some(reply)
}

/// The size the Hub announces for an LFS file: the truth unless `announce_less` says lie.
pub(crate) fn announced_len(shared: &Shared, file: &FakeFile) -> u64 {
    let less = shared.faults.lock().unwrap().announce_less.unwrap_or(0);
    (file.content.len() as u64).saturating_sub(less)
}

/// The API faults (info, tree, search): the delay first, then a huge or an error answer in
/// place of the real one. `None` lets the request through.
pub(crate) async fn api_fault(shared: &Shared) -> Option<Reply> {
    let faults = shared.faults.lock().unwrap().clone();
    if let Some(delay) = faults.api_delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(size) = faults.huge_json {
        return Some(huge_json(size));
    }
    if let Some(error) = faults.api_error {
        let mut builder = Response::builder()
            .status(error.status)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
        if let Some(code) = error.code {
            builder = builder.header("x-error-code", code);
        }
        return Some(
            builder
                .body(Body::from(json!({ "error": error.message }).to_string()))
                .unwrap(),
        );
    }
    None
}

/// A valid-looking JSON array that goes on for `size` bytes.
fn huge_json(size: u64) -> Reply {
    let item = r#"{"type":"file","path":"x","oid":"0","size":1},"#;
    let block = Bytes::from(item.repeat(64 * 1024 / item.len()));
    let count = size / block.len() as u64;
    let stream = futures_util::stream::iter((0..count).map(move |i| {
        Ok::<Bytes, std::io::Error>(if i == 0 {
            Bytes::from_static(b"[")
        } else {
            block.clone()
        })
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Streams `data` in small chunks, applying the throttle, stall and drop faults, and counting
/// every byte handed to the connection.
pub(crate) fn body_stream(shared: Arc<Shared>, data: Bytes) -> Body {
    let (throttle, total_rate, trickle) = {
        let faults = shared.faults.lock().unwrap();
        (faults.throttle, faults.total_rate, faults.trickle)
    };
    let open = OpenBody::new(shared.clone());
    // Small chunks under a throttle keep the byte counter close to what really left.
    let chunk = match trickle {
        Some(_) => 1,
        None => throttle
            .into_iter()
            .chain(total_rate)
            .min()
            .map_or(64 * 1024, |bps| (bps / 20).clamp(256, 64 * 1024)) as usize,
    };
    let stream = futures_util::stream::unfold(
        (shared, data, 0usize, open),
        move |(shared, data, sent, open)| async move {
            if sent >= data.len() {
                return None;
            }
            let (stall, drop) = {
                let mut faults = shared.faults.lock().unwrap();
                let stall = match faults.stall.as_mut() {
                    Some(s) if s.times > 0 && sent as u64 >= s.after => {
                        s.times -= 1;
                        Some(s.pause)
                    }
                    _ => None,
                };
                let drop = match faults.drop.as_mut() {
                    Some(d) if d.times > 0 && sent as u64 >= d.after => {
                        d.times -= 1;
                        true
                    }
                    _ => false,
                };
                (stall, drop)
            };
            // A stall and a drop at the same byte: first the silence, then the hang-up.
            if let Some(pause) = stall {
                tokio::time::sleep(pause).await;
            }
            if drop {
                // Let the bytes already handed over reach the client before hanging up, as a
                // real connection that dies mid-file would have delivered them.
                tokio::time::sleep(Duration::from_millis(30)).await;
                return Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "injected drop",
                    )),
                    (shared, data, usize::MAX, open),
                ));
            }
            let mut n = chunk.min(data.len() - sent);
            // Never step over a drop or stall point, so they happen at the exact byte.
            let next_fault = {
                let faults = shared.faults.lock().unwrap();
                let stall_at = faults
                    .stall
                    .as_ref()
                    .filter(|s| s.times > 0)
                    .map(|s| s.after);
                let drop_at = faults
                    .drop
                    .as_ref()
                    .filter(|d| d.times > 0)
                    .map(|d| d.after);
                [stall_at, drop_at]
                    .into_iter()
                    .flatten()
                    .filter(|at| *at > sent as u64)
                    .min()
            };
            if let Some(at) = next_fault {
                n = n.min((at - sent as u64) as usize);
            }
            if let Some(bps) = throttle {
                tokio::time::sleep(Duration::from_secs_f64(n as f64 / bps as f64)).await;
            }
            if let Some(bps) = total_rate {
                // The line carries one piece after another, whoever sends it.
                let done_at = {
                    let mut free_at = shared.line_free_at.lock().unwrap();
                    let start = free_at.map_or(tokio::time::Instant::now(), |t| {
                        t.max(tokio::time::Instant::now())
                    });
                    let done = start + Duration::from_secs_f64(n as f64 / bps as f64);
                    *free_at = Some(done);
                    done
                };
                tokio::time::sleep_until(done_at).await;
            }
            if let Some(interval) = trickle {
                tokio::time::sleep(interval).await;
            }
            shared.body_bytes_sent.fetch_add(n as u64, Ordering::SeqCst);
            let piece = data.slice(sent..sent + n);
            Some((
                Ok::<Bytes, std::io::Error>(piece),
                (shared, data, sent + n, open),
            ))
        },
    );
    Body::from_stream(stream)
}

/// Counts a file body while it is being sent (until it ends or the client goes away).
struct OpenBody(Arc<Shared>);

impl OpenBody {
    fn new(shared: Arc<Shared>) -> OpenBody {
        let now = shared.open_bodies.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_open_bodies.fetch_max(now, Ordering::SeqCst);
        OpenBody(shared)
    }
}

impl Drop for OpenBody {
    fn drop(&mut self) {
        self.0.open_bodies.fetch_sub(1, Ordering::SeqCst);
    }
}
