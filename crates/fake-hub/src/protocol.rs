//! The Hub's habits that the API and the file routes share: how a path names a repository
//! (renames and aliases answer with a relative 307), who may read it, how a query is read and
//! how errors are worded. One copy keeps the two kinds of route from drifting apart.

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use serde_json::json;

use crate::Shared;
use crate::catalog::FakeRepo;

pub(crate) type Reply = Response<Body>;

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_owned)
}

pub(crate) fn percent_decode(raw: &str) -> String {
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

pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
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

pub(crate) fn query_get(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

pub(crate) fn is_true(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "true" | "True" | "1"))
}

pub(crate) fn hub_error(status: StatusCode, code: Option<&str>, message: &str) -> Reply {
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

/// How a request path names a repository: the repo (or a rename of it) and what follows.
pub(crate) enum Lookup {
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
pub(crate) fn lookup(
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

pub(crate) fn redirect_307(new_path: String, query: Option<&str>) -> Reply {
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
pub(crate) fn repo_not_found(headers: &HeaderMap, repo_id: &str) -> Reply {
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

pub(crate) fn may_read(shared: &Shared, repo: &FakeRepo, headers: &HeaderMap) -> bool {
    !repo.private
        || bearer(headers).is_some_and(|t| shared.granted_tokens.lock().unwrap().contains(&t))
}
