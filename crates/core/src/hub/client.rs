//! The Hub's HTTP API: repository info, tree listings, search, and the resolve metadata HEAD.
//! Follows relative redirects itself and never an absolute one; sends the token only to the
//! endpoint's own host; maps the Hub's `X-Error-Code` answers to typed errors.

use std::time::Duration;

use reqwest::header::{
    ACCEPT_ENCODING, AUTHORIZATION, CONTENT_LENGTH, ETAG, LINK, LOCATION, RETRY_AFTER,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::redirect::Follow;
use super::types::{
    FileMetadata, ListedFile, ModelSummary, RepoInfo, TreePage, WhoAmI, normalize_etag,
};
use super::{client_builder, percent_decode, percent_encode, resolve_url};
use crate::error::{Error, Result, escape_controls};
use crate::repo::{RepoId, RepoType};
use crate::settings::Token;

/// The longest a metadata request (API call, HEAD, model card) may take, answer included,
/// unless [`HubClient::with_metadata_deadline`] says otherwise.
const METADATA_DEADLINE: Duration = Duration::from_secs(60);
/// API answers larger than this are refused: a Hub answer is kilobytes, a hostile one could be
/// gigabytes.
const MAX_JSON_BYTES: usize = 64 * 1024 * 1024;
/// Files a tree listing may have: about 20 MB of plan. Hub models list a few hundred files;
/// the largest datasets list more, and are downloaded with other tools.
pub const MAX_LISTED_FILES: usize = 200_000;

/// A cheap-to-clone client for one Hub endpoint.
#[derive(Clone)]
pub struct HubClient {
    endpoint: String,
    endpoint_origin: String,
    token: Option<Token>,
    http: reqwest::Client,
    metadata_deadline: Duration,
    /// Files [`HubClient::list_tree`] accepts before refusing the listing.
    max_listed_files: usize,
}

/// What to search for on the Hub (`GET /api/models`).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub search: Option<String>,
    pub author: Option<String>,
    /// Tags that must all be present (`gguf`, `text-generation`, ...).
    pub filters: Vec<String>,
    /// `downloads`, `likes`, `lastModified`, `createdAt` or `trendingScore`.
    pub sort: Option<String>,
    pub limit: Option<u32>,
}

/// One page of search results and the URL of the next one.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub models: Vec<ModelSummary>,
    pub next: Option<String>,
}

impl HubClient {
    /// A client for `endpoint` (already validated by [`crate::settings::parse_endpoint`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the endpoint is not a URL; [`Error::Internal`] if the HTTP
    /// client cannot be built.
    pub fn new(endpoint: &str, token: Option<Token>) -> Result<HubClient> {
        let url =
            Url::parse(endpoint).map_err(|e| Error::invalid("Hub endpoint", e.to_string()))?;
        let http = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(HubClient {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            endpoint_origin: url.origin().ascii_serialization(),
            token,
            http,
            metadata_deadline: METADATA_DEADLINE,
            max_listed_files: MAX_LISTED_FILES,
        })
    }

    /// The same client with another limit on each metadata request (tests use a short one).
    pub fn with_metadata_deadline(mut self, deadline: Duration) -> HubClient {
        self.metadata_deadline = deadline;
        self
    }

    /// Sets how many files a tree listing may have (the benchmark lists a million).
    pub fn with_max_listed_files(mut self, files: usize) -> HubClient {
        self.max_listed_files = files;
        self
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The underlying HTTP client (no redirects, no credentials of its own).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Whether `url` is on the endpoint's own origin, the only place the token may go.
    pub fn is_endpoint_url(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| u.origin().ascii_serialization() == self.endpoint_origin)
    }

    /// Adds `Authorization` when there is a token and `url` is on the endpoint's origin.
    pub fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) if self.is_endpoint_url(url) => {
                request.header(AUTHORIZATION, format!("Bearer {}", token.expose()))
            }
            _ => request,
        }
    }

    /// Sends `method url`, following relative redirects (renamed repos) but returning the first
    /// absolute one (a CDN) as it is. The whole exchange, body included, must end within
    /// the metadata deadline: a server trickling an answer cannot hold a caller for hours.
    async fn send(&self, method: Method, url: &str, identity: bool) -> Result<Response> {
        let (response, _) = self
            .send_following(url, Follow::Relative, |url| {
                self.metadata_request(method.clone(), url, identity)
            })
            .await?;
        Ok(response)
    }

    fn metadata_request(&self, method: Method, url: &str, identity: bool) -> RequestBuilder {
        let request = self
            .http
            .request(method, url)
            .timeout(self.metadata_deadline);
        if identity {
            request.header(ACCEPT_ENCODING, "identity")
        } else {
            request
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        subject: Option<Subject<'_>>,
    ) -> Result<(T, Option<Url>)> {
        let (body, next) = self.get_page(url, subject).await?;
        let value = serde_json::from_slice(&body)
            .map_err(|e| protocol(url, format!("invalid JSON: {e}")))?;
        Ok((value, next))
    }

    /// The body of an API answer and the absolute URL of its next page, if any.
    async fn get_page(
        &self,
        url: &str,
        subject: Option<Subject<'_>>,
    ) -> Result<(Vec<u8>, Option<Url>)> {
        let response = self.send(Method::GET, url, false).await?;
        if !response.status().is_success() {
            return Err(error_from_response(response, subject).await);
        }
        let next = next_link(&response)?;
        let body = read_capped(response, MAX_JSON_BYTES).await?;
        Ok((body, next))
    }

    /// Repository info at `revision`, with file sizes and LFS hashes (`?blobs=true`).
    pub async fn repo_info(
        &self,
        repo_type: RepoType,
        repo: &RepoId,
        revision: &str,
    ) -> Result<RepoInfo> {
        let url = format!(
            "{}/api/{}/{repo}/revision/{}?blobs=true",
            self.endpoint,
            repo_type.plural(),
            percent_encode(revision, b"")
        );
        let subject = Subject {
            repo,
            revision,
            path: None,
        };
        let (info, _) = self.get_json(&url, Some(subject)).await?;
        Ok(info)
    }

    /// Every file of the repo at `revision` (a commit, ideally), all pages: complete, or an
    /// error. A next page on another host is refused rather than dropped (a snapshot planned
    /// from half a listing would be called complete), and so is a listing of more than
    /// [`MAX_LISTED_FILES`] files.
    pub async fn list_tree(
        &self,
        repo_type: RepoType,
        repo: &RepoId,
        revision: &str,
    ) -> Result<Vec<ListedFile>> {
        let subject = Subject {
            repo,
            revision,
            path: None,
        };
        let mut url = Some(format!(
            "{}/api/{}/{repo}/tree/{}?recursive=true&expand=false",
            self.endpoint,
            repo_type.plural(),
            percent_encode(revision, b"")
        ));
        let mut files = Vec::new();
        let mut pages = 0;
        while let Some(page_url) = url.take() {
            pages += 1;
            if pages > 10_000 {
                return Err(protocol(&page_url, "the tree listing does not end".into()));
            }
            let (body, next) = self.get_page(&page_url, Some(subject)).await?;
            let room = self.max_listed_files - files.len();
            let page = TreePage::parse(&body, room)
                .map_err(|e| protocol(&page_url, format!("invalid JSON: {e}")))?;
            if page.overflowed {
                return Err(Error::ListingTooLarge {
                    repo_id: repo.to_string(),
                    limit: self.max_listed_files,
                });
            }
            files.extend(page.files);
            if let Some(next) = next {
                // The next page is fetched with the token, so it must stay on the endpoint.
                if next.origin().ascii_serialization() != self.endpoint_origin {
                    return Err(protocol(
                        &page_url,
                        format!(
                            "the file list of {repo} continues on another host, {}; only \
                             pages on the Hub endpoint are followed",
                            host_of(next.as_str())
                        ),
                    ));
                }
                url = Some(next.into());
            }
        }
        files.shrink_to_fit();
        Ok(files)
    }

    /// One page of models matching `query`, or the page at `next` from a previous answer.
    pub async fn search_models(
        &self,
        query: &SearchQuery,
        next: Option<&str>,
    ) -> Result<SearchPage> {
        let url = match next {
            Some(next) if self.is_endpoint_url(next) => next.to_owned(),
            Some(next) => {
                return Err(Error::invalid(
                    "next page",
                    format!("{next:?} is not on the Hub endpoint"),
                ));
            }
            None => {
                let mut url = Url::parse(&format!("{}/api/models", self.endpoint))
                    .map_err(|e| Error::Internal(e.to_string()))?;
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(search) = query.search.as_deref().filter(|s| !s.trim().is_empty()) {
                        q.append_pair("search", search.trim());
                    }
                    if let Some(author) = &query.author {
                        q.append_pair("author", author);
                    }
                    for filter in &query.filters {
                        q.append_pair("filter", filter);
                    }
                    if let Some(sort) = &query.sort {
                        q.append_pair("sort", sort);
                        q.append_pair("direction", "-1");
                    }
                    q.append_pair(
                        "limit",
                        &query.limit.unwrap_or(30).clamp(1, 500).to_string(),
                    );
                    // Ask for the fields we show, as huggingface.js does, for a stable schema.
                    for field in [
                        "pipeline_tag",
                        "private",
                        "gated",
                        "downloads",
                        "likes",
                        "lastModified",
                        "tags",
                        // The parameter count and the GGUF files (counted as quantizations).
                        "safetensors",
                        "gguf",
                        "siblings",
                    ] {
                        q.append_pair("expand", field);
                    }
                }
                url.to_string()
            }
        };
        let (models, next) = self.get_json(&url, None).await?;
        Ok(SearchPage {
            models,
            next: next.map(String::from),
        })
    }

    /// Whether the endpoint answers at all (any status below 500) within `timeout`: the
    /// cheapest question that tells "offline" from "the Hub refused this one request".
    pub async fn answers(&self, timeout: Duration) -> bool {
        let url = format!("{}/api/models?limit=1", self.endpoint);
        let request = self.http.get(&url).timeout(timeout).send();
        matches!(
            tokio::time::timeout(timeout, request).await,
            Ok(Ok(response)) if response.status().as_u16() < 500
        )
    }

    /// The account the token belongs to (`/api/whoami-v2`), to check a token works.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when there is no token or the Hub refuses it; network errors
    /// as for any request.
    pub async fn whoami(&self) -> Result<WhoAmI> {
        if self.token.is_none() {
            return Err(Error::Unauthorized {
                message: "no access token is set".into(),
            });
        }
        let url = format!("{}/api/whoami-v2", self.endpoint);
        let response = self.send(Method::GET, &url, false).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                message: "the access token is invalid or was revoked".into(),
            });
        }
        if !response.status().is_success() {
            return Err(error_from_response(response, None).await);
        }
        let body = read_capped(response, MAX_JSON_BYTES).await?;
        serde_json::from_slice(&body).map_err(|e| protocol(&url, format!("invalid JSON: {e}")))
    }

    /// A small text file of the repo (a model card, a config), at most `cap` bytes.
    pub async fn read_text(
        &self,
        repo_type: RepoType,
        repo: &RepoId,
        revision: &str,
        path: &str,
        cap: usize,
    ) -> Result<String> {
        let url = resolve_url(&self.endpoint, repo_type, repo, revision, path);
        // An LFS file's bytes are on the CDN: the follower goes there without the token.
        let (response, _) = self
            .send_following(&url, Follow::All, |url| {
                self.metadata_request(Method::GET, url, true)
            })
            .await?;
        if !response.status().is_success() {
            let subject = Subject {
                repo,
                revision,
                path: Some(path),
            };
            return Err(error_from_response(response, Some(subject)).await);
        }
        let body = read_capped(response, cap).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// A file of the Hub's Ollama registry (`/v2/<org>/<repo>/...`, what `ollama pull
    /// hf.co/...` reads) at `url`, at most `cap` bytes; `accept` names the manifest type.
    /// Redirects (a blob on the CDN) are followed; the token goes only to the endpoint.
    pub async fn read_registry(&self, url: &str, accept: &str, cap: usize) -> Result<Vec<u8>> {
        let (response, _) = self
            .send_following(url, Follow::All, |url| {
                self.metadata_request(Method::GET, url, true)
                    .header(reqwest::header::ACCEPT, accept)
            })
            .await?;
        if !response.status().is_success() {
            return Err(error_from_response(response, None).await);
        }
        read_capped(response, cap).await
    }

    /// The resolve metadata of one file: commit, etag, size and where its bytes are
    /// (`huggingface_hub.get_hf_file_metadata`).
    pub async fn file_metadata(
        &self,
        repo_type: RepoType,
        repo: &RepoId,
        revision: &str,
        path: &str,
    ) -> Result<FileMetadata> {
        let url = resolve_url(&self.endpoint, repo_type, repo, revision, path);
        let response = self.send(Method::HEAD, &url, true).await?;
        let status = response.status();
        if !(status.is_success() || status.is_redirection()) {
            let subject = Subject {
                repo,
                revision,
                path: Some(path),
            };
            return Err(error_from_response(response, Some(subject)).await);
        }
        let header = |name: &str| header_value(&response, name);
        let commit = header("x-repo-commit")
            .ok_or_else(|| protocol(&url, "no X-Repo-Commit header".into()))?;
        let etag = header("x-linked-etag")
            .or_else(|| header(ETAG.as_str()))
            .map(|e| normalize_etag(&e))
            .ok_or_else(|| protocol(&url, "no ETag header".into()))?;
        // A redirect's Content-Length is the size of its own little body, never the file's.
        let size = header("x-linked-size")
            .or_else(|| {
                (!status.is_redirection())
                    .then(|| header(CONTENT_LENGTH.as_str()))
                    .flatten()
            })
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| protocol(&url, "no file size in the answer".into()))?;
        let location = header(LOCATION.as_str()).unwrap_or_else(|| response.url().to_string());
        Ok(FileMetadata {
            commit,
            etag,
            size,
            location,
        })
    }
}

/// The `rel="next"` URL of a `Link` header, resolved against the page's URL (some mirrors
/// send relative links, which RFC 8288 allows).
fn next_link(response: &Response) -> Result<Option<Url>> {
    let Some(link) = response.headers().get(LINK) else {
        return Ok(None);
    };
    // Unreadable is not absent: skipping it would end the listing early and call it complete.
    let link = link.to_str().map_err(|_| {
        protocol(
            response.url().as_str(),
            "a Link header that is not text".into(),
        )
    })?;
    let next = link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    });
    next.map(|next| {
        response.url().join(&next).map_err(|e| {
            protocol(
                response.url().as_str(),
                format!("bad next page link {next:?}: {e}"),
            )
        })
    })
    .transpose()
}

/// A response header as text, if present and readable.
pub(crate) fn header_value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads at most `cap` bytes of body; more is a protocol error, not an out-of-memory.
pub(crate) async fn read_capped(mut response: Response, cap: usize) -> Result<Vec<u8>> {
    let url = response.url().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| network_error(&url, &e))?
    {
        if body.len() + chunk.len() > cap {
            return Err(protocol(
                &url,
                format!("answer larger than {} MiB", cap / (1024 * 1024)),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `host[:port]` of `url`, for messages; "the server" when it has none.
pub fn host_of(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_else(|| "the server".to_owned())
}

pub(crate) fn protocol(url: &str, reason: String) -> Error {
    Error::Protocol {
        host: host_of(url),
        reason,
    }
}

/// A transport failure, described without the URL (signed URLs carry credentials). A
/// certificate this machine does not trust is named as such, with the fix: it is a setup
/// problem that retrying cannot solve.
pub(crate) fn network_error(url: &str, err: &reqwest::Error) -> Error {
    if let Some(reason) = certificate_problem(err) {
        return Error::UntrustedCertificate {
            host: host_of(url),
            reason,
        };
    }
    let reason = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else if err.is_body() || err.is_decode() {
        "the connection broke during the transfer".to_owned()
    } else {
        "the request failed".to_owned()
    };
    Error::Network {
        host: host_of(url),
        reason,
    }
}

/// What rustls said about the server's certificate, if that is why `err` happened. The rustls
/// error sits deep in the source chain, wrapped in `io::Error`s whose `source()` skips what
/// they wrap, so those are opened with `get_ref()`.
fn certificate_problem(err: &reqwest::Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = next {
        match current.downcast_ref::<rustls::Error>() {
            Some(rustls::Error::InvalidCertificate(cert)) => {
                return Some(escape_controls(&describe_certificate_error(cert)).into_owned());
            }
            // What rustls-platform-verifier says when it found no CA store at all.
            Some(rustls::Error::General(message)) if message.contains("CA certificates") => {
                return Some("no certificate authorities could be loaded from the system".into());
            }
            Some(_) => return None,
            None => {}
        }
        next = match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(wrapped) => Some(wrapped),
            None => current.source(),
        };
    }
    None
}

fn describe_certificate_error(err: &rustls::CertificateError) -> String {
    use rustls::CertificateError as E;
    match err {
        E::UnknownIssuer => "it is signed by an unknown certificate authority".into(),
        E::Expired | E::ExpiredContext { .. } => "it has expired".into(),
        E::NotValidYet | E::NotValidYetContext { .. } => "it is not valid yet".into(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "it was issued for another host name".into()
        }
        E::Revoked => "it was revoked".into(),
        E::BadSignature => "its signature is invalid".into(),
        other => format!("{other:?}"),
    }
}

/// `Retry-After` in seconds (the Hub does not send HTTP dates).
pub(crate) fn retry_after(response: &Response) -> Option<Duration> {
    let secs: u64 = response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// What a request was about, so that the errors it ends in name it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub repo: &'a RepoId,
    /// The revision as asked for (branch, tag or commit).
    pub revision: &'a str,
    /// The file, for resolve requests.
    pub path: Option<&'a str>,
}

/// The repo, revision and file a resolve URL names
/// (`{endpoint}/[datasets/|spaces/]{repo}/resolve/{revision}/{path}`), for errors of requests
/// whose caller did not say.
fn subject_of_resolve_url(url: &Url) -> Option<(RepoId, String, String)> {
    let mut segments: Vec<&str> = url.path_segments()?.collect();
    if matches!(segments.first(), Some(&"datasets" | &"spaces")) {
        segments.remove(0);
    }
    let at = segments.iter().position(|s| *s == "resolve")?;
    if !(1..=2).contains(&at) || segments.len() < at + 3 {
        return None;
    }
    let repo = RepoId::parse(&segments[..at].join("/")).ok()?;
    let revision = percent_decode(segments[at + 1]);
    let path = segments[at + 2..]
        .iter()
        .map(|s| percent_decode(s))
        .collect::<Vec<_>>()
        .join("/");
    Some((repo, revision, path))
}

/// Turns a non-success answer into a typed error, by `X-Error-Code` first, then by status
/// (`huggingface_hub.hf_raise_for_status`). Not-found and gated errors name `subject` (or
/// what the resolve URL names); an answer about nothing nameable becomes an HTTP error with
/// the server's message, never a message with blanks. Server text is escaped here, once.
pub(crate) async fn error_from_response(response: Response, subject: Option<Subject<'_>>) -> Error {
    let status = response.status();
    let host = host_of(response.url().as_str());
    let named = match subject {
        Some(s) => Some((
            s.repo.clone(),
            s.revision.to_owned(),
            s.path.map(str::to_owned),
        )),
        None => subject_of_resolve_url(response.url())
            .map(|(repo, revision, path)| (repo, revision, Some(path))),
    };
    let header = |name: &str| header_value(&response, name);
    let code = header("x-error-code");
    let commit = header("x-repo-commit").map(|c| escape_controls(&c).into_owned());
    let mut message = header("x-error-message").unwrap_or_default();
    let wait = retry_after(&response);
    if message.is_empty() {
        let body = read_capped(response, 64 * 1024).await.unwrap_or_default();
        message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_default();
    }
    let message = escape_controls(&message).into_owned();
    let http = |message: String| Error::Http {
        host: host.clone(),
        status: status.as_u16(),
        message,
    };
    let refused = |message: String| Error::Unauthorized {
        message: if message.is_empty() {
            "access denied".into()
        } else {
            message
        },
    };
    match (code.as_deref(), status, named) {
        (_, StatusCode::UNAUTHORIZED, _)
            if message == "Invalid credentials in Authorization header" =>
        {
            Error::Unauthorized {
                message: "the access token is invalid".into(),
            }
        }
        (Some("RepoNotFound"), _, Some((repo, ..))) => Error::RepoNotFound {
            repo_id: repo.to_string(),
        },
        (Some("RevisionNotFound"), _, Some((repo, revision, _))) => Error::RevisionNotFound {
            repo_id: repo.to_string(),
            revision,
        },
        (Some("EntryNotFound"), _, Some((repo, revision, Some(path)))) => Error::EntryNotFound {
            repo_id: repo.to_string(),
            revision,
            path,
            commit,
        },
        (Some("GatedRepo"), _, Some((repo, ..))) => Error::Gated {
            repo_id: repo.to_string(),
            message,
        },
        (Some("GatedRepo"), ..) => refused(message),
        // The Hub answers 401 for private and missing repos alike.
        (_, StatusCode::UNAUTHORIZED, Some((repo, ..))) => Error::RepoNotFound {
            repo_id: repo.to_string(),
        },
        (_, StatusCode::FORBIDDEN, _) => refused(message),
        (_, StatusCode::TOO_MANY_REQUESTS, _) => Error::RateLimited {
            host,
            retry_after: wait,
        },
        _ => http(message),
    }
}
