//! The Hub's JSON API (`/api/...`: whoami, search, repo info, tree pages), answered in the
//! shapes and with the paging that real clients parse, so listing code is tested against the
//! Hub's quirks rather than a tidier imitation.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use serde_json::{Value, json};

use crate::Shared;
use crate::catalog::{FakeRepo, git_blob_sha1};
use crate::faults::{TreeLinks, announced_len};
use crate::protocol::{
    Lookup, Reply, bearer, hub_error, is_true, lookup, may_read, percent_decode, query_get,
    query_pairs, redirect_307, repo_not_found,
};

fn json_reply(value: Value, link_next: Option<String>) -> Reply {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8");
    if let Some(next) = link_next {
        builder = builder.header(header::LINK, format!("<{next}>; rel=\"next\""));
    }
    builder.body(Body::from(value.to_string())).unwrap()
}

/// `GET /api/whoami-v2`: every granted token belongs to `tester`; anything else is refused
/// the way the Hub refuses it.
pub(crate) fn whoami(shared: &Shared, headers: &HeaderMap) -> Reply {
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
        // The Hub reads the parameter count from the weights' headers, per format.
        if let Some(total) = repo.parameters {
            let has = |ext: &str| repo.files.iter().any(|f| f.path.ends_with(ext));
            if has(".safetensors") {
                v["safetensors"] = json!({ "parameters": { "BF16": total }, "total": total });
            }
            if has(".gguf") {
                v["gguf"] =
                    json!({ "total": total, "architecture": "llama", "context_length": 4096 });
            }
        }
    }
    v
}

/// A search result with only the fields asked for with `expand` (or `expand[]`), as the Hub
/// answers: `_id` and `id` always, nothing else unasked.
fn expanded(repo: &FakeRepo, fields: &[String]) -> Value {
    let all = summary(repo, true, false);
    let mut v = json!({ "_id": all["_id"], "id": all["id"] });
    for field in fields {
        if let Some(value) = all.get(field.as_str()) {
            v[field.as_str()] = value.clone();
        }
    }
    v
}

pub(crate) fn list_repos(shared: &Shared, plural: &str, uri: &Uri) -> Reply {
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
    let expand: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "expand" || k == "expand[]")
        .map(|(_, v)| v.clone())
        .collect();
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
        .map(|r| {
            if expand.is_empty() {
                summary(r, full, false)
            } else {
                expanded(r, &expand)
            }
        })
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

pub(crate) fn api_repo(
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
            if let Some(unknown) = unknown_revision(repo, &rev) {
                return unknown;
            }
            json_reply(summary(repo, true, blobs), None)
        }
        ["tree", rev, sub @ ..] => {
            let rev = percent_decode(rev);
            if let Some(unknown) = unknown_revision(repo, &rev) {
                return unknown;
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

/// The Hub's answer for a revision `repo` does not have, if `rev` is one.
fn unknown_revision(repo: &FakeRepo, rev: &str) -> Option<Reply> {
    (!repo.knows_revision(rev)).then(|| {
        hub_error(
            StatusCode::NOT_FOUND,
            Some("RevisionNotFound"),
            &format!("Invalid rev id: {rev}"),
        )
    })
}
