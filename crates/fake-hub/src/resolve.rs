//! Where file bytes come from: `resolve` on the Hub (small files served directly, LFS files
//! sent with a signed 302 to the CDN listener) and the CDN itself, with the headers, `Range`
//! answers and signature checks that downloaders depend on to resume and verify.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};
use bytes::Bytes;
use sha1::Digest as _;

use crate::catalog::hex;
use crate::faults::{announced_len, body_stream, take_failure};
use crate::protocol::{
    Lookup, Reply, bearer, hub_error, lookup, may_read, percent_decode, query_get, query_pairs,
    redirect_307, repo_not_found,
};
use crate::{Listener, Shared, record};

#[allow(clippy::too_many_arguments)]
pub(crate) async fn resolve(
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

fn signature(sha256: &str, expires: u64) -> String {
    hex(&sha2::Sha256::digest(
        format!("fake-cdn-secret:{sha256}:{expires}").as_bytes(),
    ))[..32]
        .to_owned()
}

pub(crate) async fn cdn_route(
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
