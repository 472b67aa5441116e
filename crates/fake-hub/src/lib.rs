//! A fake Hugging Face Hub on 127.0.0.1 for tests: the API routes, `resolve` with HEAD and GET,
//! LFS files redirected to a second listener (another port, so another host) that plays the
//! CDN, the Hub's error codes, and faults that can be switched on while it runs (throttle,
//! stall, dropped connections, 5xx/429 answers, a corrupted byte, ignored `Range`).
//!
//! It imitates the real Hub closely enough that Python's `huggingface_hub` downloads from it
//! (see `tests/fidelity.rs`), following `shared/reference/hub-protocol.md` section 9.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};
use bytes::Bytes;
use serde_json::{Value, json};
use sha1::Digest as _;

/// One file of a fake repository.
#[derive(Clone, Debug)]
pub struct FakeFile {
    pub path: String,
    pub content: Bytes,
    /// Stored in LFS: resolved with a 302 to the CDN listener, named by its sha256.
    pub lfs: bool,
    /// The content's sha256, worked out once: large files are looked up by it per request.
    sha256: std::sync::OnceLock<String>,
}

impl FakeFile {
    /// The git blob sha1 of what git stores: the content, or the LFS pointer.
    pub fn git_oid(&self) -> String {
        let stored = if self.lfs {
            self.lfs_pointer().into_bytes()
        } else {
            self.content.to_vec()
        };
        git_blob_sha1(&stored)
    }

    pub fn sha256(&self) -> String {
        self.sha256
            .get_or_init(|| hex(&sha2::Sha256::digest(&self.content)))
            .clone()
    }

    /// What the Hub calls the file's etag: sha256 for LFS files, the git blob sha1 otherwise.
    pub fn etag(&self) -> String {
        if self.lfs {
            self.sha256()
        } else {
            self.git_oid()
        }
    }

    fn lfs_pointer(&self) -> String {
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
            self.sha256(),
            self.content.len()
        )
    }
}

/// `git hash-object` of a blob.
pub fn git_blob_sha1(content: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A repository served by the fake Hub. Build with [`FakeRepo::model`] and the chained setters.
#[derive(Clone, Debug)]
pub struct FakeRepo {
    pub kind: &'static str,
    pub id: String,
    pub files: Vec<FakeFile>,
    /// Extra names for the one commit besides `main` (tags, `refs/pr/1`, ...).
    pub other_refs: Vec<String>,
    /// `false`, `"auto"` or `"manual"`, as the API reports it.
    pub gated: Option<&'static str>,
    pub private: bool,
    pub tags: Vec<String>,
    pub pipeline_tag: Option<String>,
    pub library_name: Option<String>,
    pub downloads: u64,
    pub likes: u64,
    pub last_modified: String,
    /// Old ids that answer with a relative 307 to this one, as the Hub does after a rename.
    pub renamed_from: Vec<String>,
    /// Files listed by the tree API (made up page by page, never stored) besides `files`:
    /// `data/0000000.bin`... under one `data` folder. They cannot be downloaded.
    pub synthetic_files: usize,
}

impl FakeRepo {
    pub fn model(id: &str) -> FakeRepo {
        FakeRepo::new("model", id)
    }

    pub fn dataset(id: &str) -> FakeRepo {
        FakeRepo::new("dataset", id)
    }

    fn new(kind: &'static str, id: &str) -> FakeRepo {
        FakeRepo {
            kind,
            id: id.to_owned(),
            files: Vec::new(),
            other_refs: Vec::new(),
            gated: None,
            private: false,
            tags: Vec::new(),
            pipeline_tag: None,
            library_name: None,
            downloads: 0,
            likes: 0,
            last_modified: "2026-01-02T03:04:05.000Z".to_owned(),
            renamed_from: Vec::new(),
            synthetic_files: 0,
        }
    }

    /// Lists `count` more files (see [`FakeRepo::synthetic_files`]): a huge listing for the
    /// price of a number.
    pub fn synthetic_files(mut self, count: usize) -> Self {
        self.synthetic_files = count;
        self
    }

    pub fn file(mut self, path: &str, content: impl Into<Bytes>) -> Self {
        self.files.push(FakeFile {
            path: path.to_owned(),
            content: content.into(),
            lfs: false,
            sha256: Default::default(),
        });
        self
    }

    pub fn lfs_file(mut self, path: &str, content: impl Into<Bytes>) -> Self {
        self.files.push(FakeFile {
            path: path.to_owned(),
            content: content.into(),
            lfs: true,
            sha256: Default::default(),
        });
        self
    }

    pub fn also_at(mut self, revision: &str) -> Self {
        self.other_refs.push(revision.to_owned());
        self
    }

    pub fn gated(mut self, mode: &'static str) -> Self {
        self.gated = Some(mode);
        self
    }

    pub fn private(mut self) -> Self {
        self.private = true;
        self
    }

    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    pub fn pipeline(mut self, tag: &str) -> Self {
        self.pipeline_tag = Some(tag.to_owned());
        self
    }

    pub fn stats(mut self, downloads: u64, likes: u64) -> Self {
        self.downloads = downloads;
        self.likes = likes;
        self
    }

    pub fn renamed_from(mut self, old_id: &str) -> Self {
        self.renamed_from.push(old_id.to_owned());
        self
    }

    /// The commit every ref of this repo points to: a hash of its id and files.
    pub fn commit(&self) -> String {
        let mut h = sha1::Sha1::new();
        h.update(self.id.as_bytes());
        for f in &self.files {
            h.update(f.path.as_bytes());
            h.update(f.git_oid().as_bytes());
        }
        if self.synthetic_files > 0 {
            h.update(self.synthetic_files.to_string().as_bytes());
        }
        hex(&h.finalize())
    }

    pub fn get(&self, path: &str) -> Option<&FakeFile> {
        self.files.iter().find(|f| f.path == path)
    }

    fn knows_revision(&self, revision: &str) -> bool {
        revision == "main"
            || revision == self.commit()
            || self.other_refs.iter().any(|r| r == revision)
    }

    fn author(&self) -> &str {
        self.id.split_once('/').map_or("", |(ns, _)| ns)
    }
}

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

/// Faults applied to file transfers. Set them with [`FakeHub::set_faults`] at any time.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Body bytes per second, per response.
    pub throttle: Option<u64>,
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
                let cdn_app = Router::new().fallback(cdn_route).with_state(state);
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

type Reply = Response<Body>;

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

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_pair = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if let (b'%', Some(Ok(b))) = (bytes[i], hex_pair.map(|h| u8::from_str_radix(h, 16))) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn query_get(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn is_true(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "true" | "True" | "1"))
}

fn hub_error(status: StatusCode, code: Option<&str>, message: &str) -> Reply {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("x-error-message", message);
    if let Some(code) = code {
        builder = builder.header("x-error-code", code);
    }
    builder
        .body(Body::from(json!({ "error": message }).to_string()))
        .unwrap()
}

fn json_reply(value: Value, link_next: Option<String>) -> Reply {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
    if let Some(next) = link_next {
        builder = builder.header(header::LINK, format!("<{next}>; rel=\"next\""));
    }
    builder.body(Body::from(value.to_string())).unwrap()
}

/// How a request path names a repository: the repo (or a rename of it) and what follows.
enum Lookup {
    Found {
        repo: Box<FakeRepo>,
        rest: Vec<String>,
    },
    Renamed {
        new_path: String,
    },
    Missing {
        repo_id: String,
    },
}

/// Finds the repository named by the first one or two segments of `segments` (preferring the
/// two-segment `namespace/name` form) that are followed by one of `keywords`, or by nothing
/// when `bare` is allowed.
fn lookup(
    shared: &Shared,
    kind: &str,
    segments: &[&str],
    raw_prefix: &str,
    keywords: &[&str],
    bare: bool,
) -> Lookup {
    let repos = shared.repos.lock().unwrap();
    let mut guess = None;
    for take in [2usize, 1] {
        if segments.len() < take {
            continue;
        }
        let rest = &segments[take..];
        let fits = match rest.first() {
            None => bare,
            Some(word) => keywords.contains(word),
        };
        if !fits {
            continue;
        }
        let id = segments[..take].join("/");
        if let Some((_, to)) = shared
            .aliases
            .lock()
            .unwrap()
            .iter()
            .find(|(from, _)| *from == id)
        {
            let tail: String = rest.iter().map(|s| format!("/{s}")).collect();
            return Lookup::Renamed {
                new_path: format!("{raw_prefix}{to}{tail}"),
            };
        }
        if let Some(repo) = repos.iter().find(|r| r.kind == kind && r.id == id) {
            return Lookup::Found {
                repo: Box::new(repo.clone()),
                rest: rest.iter().map(|s| s.to_string()).collect(),
            };
        }
        if let Some(repo) = repos
            .iter()
            .find(|r| r.kind == kind && r.renamed_from.contains(&id))
        {
            let tail: String = rest.iter().map(|s| format!("/{s}")).collect();
            return Lookup::Renamed {
                new_path: format!("{raw_prefix}{}{tail}", repo.id),
            };
        }
        guess.get_or_insert(id);
    }
    Lookup::Missing {
        repo_id: guess.unwrap_or_else(|| segments.join("/")),
    }
}

fn redirect_307(new_path: String, query: Option<&str>) -> Reply {
    let location = match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    Response::builder()
        .status(StatusCode::TEMPORARY_REDIRECT)
        .header(header::LOCATION, &location)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(format!(
            "Temporary Redirect. Redirecting to {location}"
        )))
        .unwrap()
}

/// The Hub answers 401 for missing and private repos alike unless the caller is authenticated.
fn repo_not_found(headers: &HeaderMap, repo_id: &str) -> Reply {
    let status = if bearer(headers).is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::UNAUTHORIZED
    };
    hub_error(
        status,
        Some("RepoNotFound"),
        &format!("Repository Not Found for url: {repo_id}."),
    )
}

fn may_read(shared: &Shared, repo: &FakeRepo, headers: &HeaderMap) -> bool {
    !repo.private
        || bearer(headers).is_some_and(|t| shared.granted_tokens.lock().unwrap().contains(&t))
}

async fn hub_route(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    record(&shared, Listener::Hub, &method, &uri, &headers);
    let faults = shared.faults.lock().unwrap().clone();
    if uri.path().starts_with("/api/") {
        if let Some(delay) = faults.api_delay {
            tokio::time::sleep(delay).await;
        }
        if let Some(size) = faults.huge_json {
            return huge_json(size);
        }
        if let Some(error) = faults.api_error {
            let mut builder = Response::builder()
                .status(error.status)
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
            if let Some(code) = error.code {
                builder = builder.header("x-error-code", code);
            }
            return builder
                .body(Body::from(json!({ "error": error.message }).to_string()))
                .unwrap();
        }
    }
    let path = uri.path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "whoami-v2"] => whoami(&shared, &headers),
        ["api", plural] if matches!(*plural, "models" | "datasets" | "spaces") => {
            list_repos(&shared, plural, &uri)
        }
        ["api", plural, rest @ ..]
            if matches!(*plural, "models" | "datasets" | "spaces") && !rest.is_empty() =>
        {
            let kind = &plural[..plural.len() - 1];
            api_repo(&shared, kind, plural, rest, &uri, &headers)
        }
        ["datasets", rest @ ..] => {
            resolve(
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
            resolve(&shared, "space", "/spaces/", rest, &method, &uri, &headers).await
        }
        rest => resolve(&shared, "model", "/", rest, &method, &uri, &headers).await,
    }
}

/// `GET /api/whoami-v2`: every granted token belongs to `tester`; anything else is refused
/// the way the Hub refuses it.
fn whoami(shared: &Shared, headers: &HeaderMap) -> Reply {
    match bearer(headers) {
        Some(token) if shared.granted_tokens.lock().unwrap().contains(&token) => json_reply(
            json!({
                "type": "user",
                "id": "64b0c0ffee",
                "name": "tester",
                "fullname": "Test Er",
                "email": "tester@example.com",
                "emailVerified": true,
                "orgs": [{"type": "org", "name": "acme", "roleInOrg": "read"}],
                "auth": {"type": "access_token", "accessToken": {"displayName": "laptop", "role": "read"}},
            }),
            None,
        ),
        _ => hub_error(
            StatusCode::UNAUTHORIZED,
            None,
            "Invalid credentials in Authorization header",
        ),
    }
}

fn summary(repo: &FakeRepo, full: bool, blobs: bool) -> Value {
    let mut v = json!({
        "_id": format!("{:0>24}", &repo.commit()[..24]),
        "id": repo.id,
        "modelId": repo.id,
        "author": repo.author(),
        "private": repo.private,
        "gated": match repo.gated { Some(mode) => json!(mode), None => json!(false) },
        "disabled": false,
        "downloads": repo.downloads,
        "likes": repo.likes,
        "trendingScore": repo.likes / 2,
        "tags": repo.tags,
        "pipeline_tag": repo.pipeline_tag,
        "library_name": repo.library_name,
        "createdAt": "2022-03-02T23:29:04.000Z",
        "lastModified": repo.last_modified,
    });
    if full {
        v["sha"] = json!(repo.commit());
        v["usedStorage"] = json!(
            repo.files
                .iter()
                .map(|f| f.content.len() as u64)
                .sum::<u64>()
        );
        let siblings: Vec<Value> = repo
            .files
            .iter()
            .map(|f| {
                let mut s = json!({ "rfilename": f.path });
                if blobs {
                    s["blobId"] = json!(f.git_oid());
                    s["size"] = json!(f.content.len());
                    if f.lfs {
                        s["lfs"] = json!({ "sha256": f.sha256(), "size": f.content.len(), "pointerSize": f.lfs_pointer().len() });
                    }
                }
                s
            })
            .collect();
        v["siblings"] = json!(siblings);
    }
    v
}

fn list_repos(shared: &Shared, plural: &str, uri: &Uri) -> Reply {
    let kind = &plural[..plural.len() - 1];
    let q = query_pairs(uri);
    let searches: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "search")
        .map(|(_, v)| v.to_lowercase())
        .collect();
    let filters: Vec<&String> = q
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| v)
        .collect();
    let author = query_get(&q, "author");
    let full = is_true(query_get(&q, "full"));
    let limit: usize = query_get(&q, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let cursor: usize = query_get(&q, "cursor")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);

    let mut repos: Vec<FakeRepo> = shared
        .repos
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.kind == kind && !r.private)
        .filter(|r| searches.iter().all(|s| r.id.to_lowercase().contains(s)))
        .filter(|r| author.as_ref().is_none_or(|a| r.author() == a))
        .filter(|r| {
            filters
                .iter()
                .all(|f| r.tags.contains(f) || r.pipeline_tag.as_ref() == Some(*f))
        })
        .cloned()
        .collect();
    match query_get(&q, "sort").as_deref() {
        Some("likes") => repos.sort_by_key(|r| std::cmp::Reverse(r.likes)),
        Some("lastModified") => repos.sort_by(|a, b| b.last_modified.cmp(&a.last_modified)),
        Some("trendingScore") => repos.sort_by_key(|r| std::cmp::Reverse(r.likes / 2)),
        Some(_) => repos.sort_by_key(|r| std::cmp::Reverse(r.downloads)),
        None => {}
    }
    let page: Vec<Value> = repos
        .iter()
        .skip(cursor)
        .take(limit)
        .map(|r| summary(r, full, false))
        .collect();
    let next = (cursor + limit < repos.len()).then(|| {
        let kept: Vec<String> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
            .map(str::to_owned)
            .collect();
        format!(
            "{}/api/{plural}?{}&cursor={}",
            shared.hub_base,
            kept.join("&"),
            cursor + limit
        )
    });
    json_reply(Value::Array(page), next)
}

fn api_repo(
    shared: &Shared,
    kind: &str,
    plural: &str,
    segments: &[&str],
    uri: &Uri,
    headers: &HeaderMap,
) -> Reply {
    let raw_prefix = format!("/api/{plural}/");
    match lookup(
        shared,
        kind,
        segments,
        &raw_prefix,
        &["revision", "tree"],
        true,
    ) {
        Lookup::Found { repo, rest } => {
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            api_repo_rest(shared, &repo, &rest, uri, headers)
        }
        Lookup::Renamed { new_path } => redirect_307(new_path, uri.query()),
        Lookup::Missing { repo_id } => repo_not_found(headers, &repo_id),
    }
}

fn api_repo_rest(
    shared: &Shared,
    repo: &FakeRepo,
    rest: &[&str],
    uri: &Uri,
    headers: &HeaderMap,
) -> Reply {
    if !may_read(shared, repo, headers) {
        return repo_not_found(headers, &repo.id);
    }
    let q = query_pairs(uri);
    let blobs = is_true(query_get(&q, "blobs"));
    match rest {
        [] => json_reply(summary(repo, true, blobs), None),
        ["revision", rev] => {
            let rev = percent_decode(rev);
            if !repo.knows_revision(&rev) {
                return hub_error(
                    StatusCode::NOT_FOUND,
                    Some("RevisionNotFound"),
                    &format!("Invalid rev id: {rev}"),
                );
            }
            json_reply(summary(repo, true, blobs), None)
        }
        ["tree", rev, sub @ ..] => {
            let rev = percent_decode(rev);
            if !repo.knows_revision(&rev) {
                return hub_error(
                    StatusCode::NOT_FOUND,
                    Some("RevisionNotFound"),
                    &format!("Invalid rev id: {rev}"),
                );
            }
            let sub = sub
                .iter()
                .map(|s| percent_decode(s))
                .collect::<Vec<_>>()
                .join("/");
            tree(shared, repo, &rev, &sub, uri, &q)
        }
        _ => hub_error(
            StatusCode::NOT_FOUND,
            None,
            "Sorry, we can't find the page you are looking for.",
        ),
    }
}

fn tree(
    shared: &Shared,
    repo: &FakeRepo,
    rev: &str,
    sub: &str,
    uri: &Uri,
    q: &[(String, String)],
) -> Reply {
    let recursive = is_true(query_get(q, "recursive"));
    let prefix = if sub.is_empty() {
        String::new()
    } else {
        format!("{sub}/")
    };
    // Every folder and file below `sub`, sorted like git (folders are entries of their own).
    let mut entries: BTreeMap<String, Value> = BTreeMap::new();
    for f in repo.files.iter().filter(|f| f.path.starts_with(&prefix)) {
        let rel = &f.path[prefix.len()..];
        let parts: Vec<&str> = rel.split('/').collect();
        for depth in 1..parts.len() {
            let dir = format!("{prefix}{}", parts[..depth].join("/"));
            entries.entry(dir.clone()).or_insert_with(|| {
                json!({ "type": "directory", "oid": git_blob_sha1(dir.as_bytes()), "size": 0, "path": dir })
            });
        }
        let mut entry =
            json!({ "type": "file", "oid": f.git_oid(), "size": f.content.len(), "path": f.path });
        if f.lfs {
            entry["lfs"] = json!({ "oid": f.sha256(), "size": announced_len(shared, f), "pointerSize": f.lfs_pointer().len() });
        }
        entries.insert(f.path.clone(), entry);
    }
    if !sub.is_empty() && entries.is_empty() {
        return hub_error(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            &format!("{sub} does not exist on \"{rev}\""),
        );
    }
    let listed: Vec<Value> = entries
        .into_iter()
        .filter(|(path, _)| recursive || !path[prefix.len()..].contains('/'))
        .map(|(_, v)| v)
        .collect();
    let page_size = *shared.tree_page_size.lock().unwrap();
    let cursor: usize = query_get(q, "cursor")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    // The synthetic files come after the real ones: a `data` folder, then its files.
    let synthetic = if recursive && sub.is_empty() && repo.synthetic_files > 0 {
        repo.synthetic_files + 1
    } else {
        0
    };
    let total = listed.len() + synthetic;
    let page: Vec<Value> = (cursor..total.min(cursor + page_size))
        .map(|i| match i.checked_sub(listed.len()) {
            None => listed[i].clone(),
            Some(0) => json!({ "type": "directory", "oid": format!("{:040x}", 0), "size": 0, "path": "data" }),
            Some(n) => json!({
                "type": "file",
                "oid": format!("{n:040x}"),
                "size": n,
                "path": format!("data/{:07}.bin", n - 1),
            }),
        })
        .collect();
    let links = shared.faults.lock().unwrap().tree_links.clone();
    let next = (cursor + page_size < total).then(|| {
        let kept: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
            .collect();
        let base = match links {
            TreeLinks::Absolute => shared.hub_base.as_str(),
            TreeLinks::Relative => "",
            TreeLinks::Foreign => shared.cdn_base.as_str(),
        };
        format!(
            "{base}{}?{}&cursor={}",
            uri.path(),
            kept.join("&"),
            cursor + page_size
        )
    });
    json_reply(Value::Array(page), next)
}

fn take_failure(shared: &Shared) -> Option<Reply> {
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

#[allow(clippy::too_many_arguments)]
async fn resolve(
    shared: &Arc<Shared>,
    kind: &str,
    raw_prefix: &str,
    segments: &[&str],
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Reply {
    let (repo, rest) = match lookup(shared, kind, segments, raw_prefix, &["resolve"], false) {
        Lookup::Found { repo, rest } => (repo, rest),
        Lookup::Renamed { new_path } => return redirect_307(new_path, uri.query()),
        Lookup::Missing { repo_id } if segments.contains(&"resolve") => {
            return repo_not_found(headers, &repo_id);
        }
        Lookup::Missing { .. } => {
            return hub_error(
                StatusCode::NOT_FOUND,
                None,
                "Sorry, we can't find the page you are looking for.",
            );
        }
    };
    if !may_read(shared, &repo, headers) {
        return repo_not_found(headers, &repo.id);
    }
    if repo.gated.is_some() {
        match bearer(headers) {
            None => {
                let msg = format!(
                    "Access to model {} is restricted. You must have access to it and be authenticated to access it. Please log in.",
                    repo.id
                );
                return hub_error(StatusCode::UNAUTHORIZED, Some("GatedRepo"), &msg);
            }
            Some(token) if !shared.granted_tokens.lock().unwrap().contains(&token) => {
                let msg = format!(
                    "Access to model {} is restricted and you are not in the authorized list.",
                    repo.id
                );
                return hub_error(StatusCode::FORBIDDEN, Some("GatedRepo"), &msg);
            }
            Some(_) => {}
        }
    }
    // rest = ["resolve", rev, path...]
    if rest.len() < 3 {
        return hub_error(
            StatusCode::NOT_FOUND,
            None,
            "Sorry, we can't find the page you are looking for.",
        );
    }
    let rev = percent_decode(&rest[1]);
    if !repo.knows_revision(&rev) {
        return hub_error(
            StatusCode::NOT_FOUND,
            Some("RevisionNotFound"),
            &format!("Invalid rev id: {rev}"),
        );
    }
    let file_path = rest[2..]
        .iter()
        .map(|s| percent_decode(s))
        .collect::<Vec<_>>()
        .join("/");
    let commit = repo.commit();
    let Some(file) = repo.get(&file_path).cloned() else {
        let mut reply = hub_error(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            "Entry not found",
        );
        reply
            .headers_mut()
            .insert("x-repo-commit", HeaderValue::from_str(&commit).unwrap());
        return reply;
    };
    if let Some(reply) = take_failure(shared) {
        return reply;
    }
    if file.lfs {
        let expires = SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
            + *shared.signed_url_ttl.lock().unwrap();
        let expires = expires.as_secs();
        let location = shared
            .faults
            .lock()
            .unwrap()
            .lfs_location
            .clone()
            .unwrap_or_else(|| {
                format!(
                    "{}/blob/{}?Expires={expires}&Signature={}",
                    shared.cdn_base,
                    file.sha256(),
                    signature(&file.sha256(), expires)
                )
            });
        let body = format!("Found. Redirecting to {location}");
        return Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, &location)
            .header("x-linked-etag", format!("\"{}\"", file.sha256()))
            .header("x-linked-size", announced_len(shared, &file))
            .header("x-repo-commit", &commit)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CONTENT_LENGTH, body.len())
            .body(if method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(body)
            })
            .unwrap();
    }
    let etag = format!("\"{}\"", file.git_oid());
    serve_content(
        shared,
        method,
        headers,
        file.content.clone(),
        &etag,
        Some(&commit),
    )
}

/// The size the Hub announces for an LFS file: the truth unless `announce_less` says lie.
fn announced_len(shared: &Shared, file: &FakeFile) -> u64 {
    let less = shared.faults.lock().unwrap().announce_less.unwrap_or(0);
    (file.content.len() as u64).saturating_sub(less)
}

fn signature(sha256: &str, expires: u64) -> String {
    hex(&sha2::Sha256::digest(
        format!("fake-cdn-secret:{sha256}:{expires}").as_bytes(),
    ))[..32]
        .to_owned()
}

async fn cdn_route(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    record(&shared, Listener::Cdn, &method, &uri, &headers);
    if let Some(status) = shared.faults.lock().unwrap().cdn_status {
        return Response::builder()
            .status(status)
            .body(Body::empty())
            .unwrap();
    }
    if headers.contains_key(header::AUTHORIZATION) {
        // What S3 says when a Hub token is forwarded to a pre-signed URL.
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header(header::CONTENT_TYPE, "application/xml")
            .body(Body::from("<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>"))
            .unwrap();
    }
    let Some(sha) = uri.path().strip_prefix("/blob/") else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap();
    };
    let q = query_pairs(&uri);
    let expires: u64 = query_get(&q, "Expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if query_get(&q, "Signature").as_deref() != Some(signature(sha, expires).as_str())
        || expires <= now
    {
        return Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("Request has expired"))
            .unwrap();
    }
    let file = shared
        .repos
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| r.files.iter())
        .find(|f| f.lfs && f.sha256() == sha)
        .cloned();
    let Some(file) = file else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap();
    };
    if let Some(reply) = take_failure(&shared) {
        return reply;
    }
    // Like the real CDN, the ETag here is not the sha256 the Hub announced.
    let etag = format!("\"cdn-{}\"", &sha[..16]);
    serve_content(&shared, &method, &headers, file.content, &etag, None)
}

/// Parses a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range against `len`.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len.checked_sub(1)?)
        }
        (a, "") => (a.parse().ok()?, len.checked_sub(1)?),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.min(len.checked_sub(1)?),
        ),
    };
    (start <= end && start < len).then_some((start, end))
}

fn serve_content(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    content: Bytes,
    etag: &str,
    commit: Option<&str>,
) -> Reply {
    let faults = shared.faults.lock().unwrap().clone();
    let content = match faults.truncate_to {
        Some(n) if method != Method::HEAD => content.slice(..content.len().min(n as usize)),
        _ => content,
    };
    let len = content.len() as u64;
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v == etag);
    let range = match range_header {
        Some(value) if !faults.ignore_range && if_range_ok => match parse_range(value, len) {
            Some(r) => Some(r),
            None => {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(Body::empty())
                    .unwrap();
            }
        },
        _ => None,
    };
    let (status, start, end) = match range {
        Some((s, e)) => (StatusCode::PARTIAL_CONTENT, s, e),
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
    };
    let body_len = if len == 0 { 0 } else { end - start + 1 };
    let mut builder = Response::builder()
        .status(status)
        .header(header::ETAG, etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, body_len);
    if let Some(commit) = commit {
        builder = builder.header("x-repo-commit", commit);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        builder = builder.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
    }
    if method == Method::HEAD || body_len == 0 {
        return builder.body(Body::empty()).unwrap();
    }
    let mut slice = content.slice(start as usize..=end as usize).to_vec();
    if let Some(at) = faults.corrupt_at.filter(|at| (start..=end).contains(at)) {
        slice[(at - start) as usize] ^= 0xff;
    }
    builder
        .body(body_stream(shared.clone(), Bytes::from(slice)))
        .unwrap()
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
fn body_stream(shared: Arc<Shared>, data: Bytes) -> Body {
    let (throttle, trickle) = {
        let faults = shared.faults.lock().unwrap();
        (faults.throttle, faults.trickle)
    };
    // Small chunks under a throttle keep the byte counter close to what really left.
    let chunk = match trickle {
        Some(_) => 1,
        None => throttle.map_or(64 * 1024, |bps| (bps / 20).clamp(256, 64 * 1024)) as usize,
    };
    let stream = futures_util::stream::unfold(
        (shared, data, 0usize),
        move |(shared, data, sent)| async move {
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
                    (shared, data, usize::MAX),
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
            if let Some(interval) = trickle {
                tokio::time::sleep(interval).await;
            }
            shared.body_bytes_sent.fetch_add(n as u64, Ordering::SeqCst);
            let piece = data.slice(sent..sent + n);
            Some((Ok::<Bytes, std::io::Error>(piece), (shared, data, sent + n)))
        },
    );
    Body::from_stream(stream)
}

/// A small catalog used by several tests: a model with regular and LFS files in folders,
/// a gated model, and a dataset.
pub fn demo_catalog() -> Vec<FakeRepo> {
    let weights: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![
        FakeRepo::model("acme/tiny-model")
            .file("config.json", r#"{"model_type":"llama","hidden_size":64}"#)
            .file(
                "README.md",
                "---\nlicense: apache-2.0\n---\n# Tiny model\nA model for tests.\n",
            )
            .file("tokenizer/vocab.txt", "a\nb\nc\n")
            .lfs_file("model.safetensors", weights.clone())
            .lfs_file("gguf/tiny-Q4_K_M.gguf", weights[..100_000].to_vec())
            .also_at("v1.0")
            .also_at("refs/pr/1")
            .tags(&["gguf", "safetensors", "text-generation"])
            .pipeline("text-generation")
            .stats(1200, 40)
            .renamed_from("acme/old-tiny-model"),
        FakeRepo::model("acme/tiny-gated")
            .file("config.json", "{}")
            .lfs_file("weights.bin", vec![7u8; 4096])
            .gated("manual")
            .tags(&["safetensors"])
            .stats(50, 3),
        FakeRepo::model("other/tiny-chat")
            .file("config.json", "{\"chat\":true}")
            .stats(9000, 2),
        FakeRepo::dataset("acme/tiny-data").file("data/train.csv", "x,y\n1,2\n"),
    ]
}
