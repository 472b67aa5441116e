//! A fake Hugging Face Hub on 127.0.0.1 for tests: the API routes, `resolve` with HEAD and GET,
//! LFS files redirected to a second listener (another port, so another host) that plays the
//! CDN, the Hub's error codes, and faults that can be switched on while it runs (throttle,
//! stall, dropped connections, 5xx/429 answers, a corrupted byte, ignored `Range`).
//!
//! It imitates the real Hub closely enough that Python's `huggingface_hub` downloads from it
//! (see `tests/fidelity.rs`), following `shared/reference/hub-protocol.md` section 9.

mod api;
mod catalog;
mod faults;
mod protocol;
mod registry;
mod resolve;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};

pub use catalog::{FakeFile, FakeRepo, demo_catalog, git_blob_sha1, hex};
pub use faults::{ApiError, DropAfter, Fail, Faults, Stall, TreeLinks};

use protocol::Reply;

/// Which listener a request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    Hub,
    Cdn,
}

/// One request as the fake Hub saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub listener: Listener,
    pub method: String,
    /// Path and query, as sent (still percent-encoded).
    pub target: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub authorization: Option<String>,
}

struct Shared {
    hub_base: String,
    cdn_base: String,
    repos: Mutex<Vec<FakeRepo>>,
    faults: Mutex<Faults>,
    /// Tokens that may read private repos and gated repos.
    granted_tokens: Mutex<Vec<String>>,
    /// Extra relative redirects, old id -> new id (may loop).
    aliases: Mutex<Vec<(String, String)>>,
    signed_url_ttl: Mutex<Duration>,
    tree_page_size: Mutex<usize>,
    body_bytes_sent: AtomicU64,
    /// File bodies being sent now, and the most there were at once.
    open_bodies: AtomicUsize,
    most_open_bodies: AtomicUsize,
    /// When the line of [`Faults::total_rate`] is free again.
    line_free_at: Mutex<Option<tokio::time::Instant>>,
    seen: Mutex<Vec<Seen>>,
}

/// A running fake Hub. Dropping it stops both listeners.
pub struct FakeHub {
    shared: Arc<Shared>,
    hub_addr: SocketAddr,
    cdn_addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeHub {
    /// Starts the Hub and CDN listeners on free ports of 127.0.0.1, on a thread of their own
    /// (so sync tests, async tests and child processes can all talk to it).
    pub fn start(repos: Vec<FakeRepo>) -> FakeHub {
        let hub = std::net::TcpListener::bind("127.0.0.1:0").expect("bind hub listener");
        let cdn = std::net::TcpListener::bind("127.0.0.1:0").expect("bind cdn listener");
        let (hub_addr, cdn_addr) = (hub.local_addr().unwrap(), cdn.local_addr().unwrap());
        let shared = Arc::new(Shared {
            hub_base: format!("http://{hub_addr}"),
            cdn_base: format!("http://{cdn_addr}"),
            repos: Mutex::new(repos),
            faults: Mutex::new(Faults::default()),
            granted_tokens: Mutex::new(Vec::new()),
            aliases: Mutex::new(Vec::new()),
            signed_url_ttl: Mutex::new(Duration::from_secs(3600)),
            tree_page_size: Mutex::new(1000),
            body_bytes_sent: AtomicU64::new(0),
            open_bodies: AtomicUsize::new(0),
            most_open_bodies: AtomicUsize::new(0),
            line_free_at: Mutex::new(None),
            seen: Mutex::new(Vec::new()),
        });
        let (shutdown, thread) = serve(hub, cdn, shared.clone());
        FakeHub {
            shared,
            hub_addr,
            cdn_addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Takes the server off the network, as a lost connection would: connections in flight
    /// are cut, new ones refused. Its state (repos, counters, faults) is kept.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Serves again on the same addresses after [`FakeHub::stop`].
    pub fn restart(&mut self) {
        self.stop();
        let hub = std::net::TcpListener::bind(self.hub_addr).expect("bind the hub address again");
        let cdn = std::net::TcpListener::bind(self.cdn_addr).expect("bind the cdn address again");
        let (shutdown, thread) = serve(hub, cdn, self.shared.clone());
        self.shutdown = Some(shutdown);
        self.thread = Some(thread);
    }

    /// The value for `HF_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.hub_addr)
    }

    pub fn cdn_addr(&self) -> SocketAddr {
        self.cdn_addr
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap() = faults;
    }

    pub fn grant_token(&self, token: &str) {
        self.shared
            .granted_tokens
            .lock()
            .unwrap()
            .push(token.to_owned());
    }

    /// Makes `from` answer with a relative 307 to `to`, whatever exists.
    pub fn add_alias(&self, from: &str, to: &str) {
        self.shared
            .aliases
            .lock()
            .unwrap()
            .push((from.to_owned(), to.to_owned()));
    }

    pub fn set_signed_url_ttl(&self, ttl: Duration) {
        *self.shared.signed_url_ttl.lock().unwrap() = ttl;
    }

    pub fn set_tree_page_size(&self, size: usize) {
        *self.shared.tree_page_size.lock().unwrap() = size.max(1);
    }

    /// File body bytes handed to the network so far (resolve and CDN GETs).
    /// The most file bodies that were being sent at the same time (connections a client held
    /// open for one file, in a ranged download).
    pub fn most_bodies_at_once(&self) -> usize {
        self.shared.most_open_bodies.load(Ordering::SeqCst)
    }

    pub fn body_bytes_sent(&self) -> u64 {
        self.shared.body_bytes_sent.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

impl std::ops::Drop for FakeHub {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves the Hub and CDN routes on a thread of its own until the sender fires.
fn serve(
    hub: std::net::TcpListener,
    cdn: std::net::TcpListener,
    state: Arc<Shared>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    hub.set_nonblocking(true).unwrap();
    cdn.set_nonblocking(true).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("fake-hub".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("fake hub runtime");
            rt.block_on(async move {
                let hub = tokio::net::TcpListener::from_std(hub).unwrap();
                let cdn = tokio::net::TcpListener::from_std(cdn).unwrap();
                let hub_app = Router::new().fallback(hub_route).with_state(state.clone());
                let cdn_app = Router::new().fallback(resolve::cdn_route).with_state(state);
                let hub_server = axum::serve(hub, hub_app);
                let cdn_server = axum::serve(cdn, cdn_app);
                tokio::select! {
                    _ = hub_server => {}
                    _ = cdn_server => {}
                    _ = rx => {}
                }
            });
            // Dropping the runtime aborts connections still streaming.
            rt.shutdown_timeout(Duration::from_millis(100));
        })
        .expect("spawn fake hub thread");
    (tx, thread)
}

fn record(shared: &Shared, listener: Listener, method: &Method, uri: &Uri, headers: &HeaderMap) {
    let get = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    shared.seen.lock().unwrap().push(Seen {
        listener,
        method: method.to_string(),
        target: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |pq| pq.to_string()),
        range: get(header::RANGE),
        if_range: get(header::IF_RANGE),
        authorization: get(header::AUTHORIZATION),
    });
}

/// The Hub listener's one route: records the request, then hands it to the API or to `resolve`.
async fn hub_route(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    record(&shared, Listener::Hub, &method, &uri, &headers);
    if uri.path().starts_with("/api/")
        && let Some(reply) = faults::api_fault(&shared).await
    {
        return reply;
    }
    let path = uri.path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "whoami-v2"] => api::whoami(&shared, &headers),
        ["v2", org, name, what, which] => registry::answer(&shared, org, name, what, which),
        ["api", plural] if matches!(*plural, "models" | "datasets" | "spaces") => {
            api::list_repos(&shared, plural, &uri)
        }
        ["api", plural, rest @ ..]
            if matches!(*plural, "models" | "datasets" | "spaces") && !rest.is_empty() =>
        {
            let kind = &plural[..plural.len() - 1];
            api::api_repo(&shared, kind, plural, rest, &uri, &headers)
        }
        ["datasets", rest @ ..] => {
            resolve::resolve(
                &shared,
                "dataset",
                "/datasets/",
                rest,
                &method,
                &uri,
                &headers,
            )
            .await
        }
        ["spaces", rest @ ..] => {
            resolve::resolve(&shared, "space", "/spaces/", rest, &method, &uri, &headers).await
        }
        rest => resolve::resolve(&shared, "model", "/", rest, &method, &uri, &headers).await,
    }
}
