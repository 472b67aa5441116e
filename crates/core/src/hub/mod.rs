//! The Hugging Face Hub: its vocabulary (repository kinds, validated ids, revisions), the
//! resolve URL every file download starts from, and the HTTP client for its API.

mod client;
mod redirect;
mod types;

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use self::client::{HubClient, MAX_LISTED_FILES, SearchPage, SearchQuery, host_of};
pub(crate) use self::client::{error_from_response, header_value, network_error, retry_after};
pub(crate) use self::redirect::Follow;
pub use self::types::{
    FileMetadata, Gated, ListedFile, ModelSummary, RepoInfo, Sibling, WhoAmI, is_sha256,
    normalize_etag,
};
use crate::error::{Error, Result};

/// The kinds of repository the Hub hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RepoType {
    #[default]
    Model,
    Dataset,
    Space,
}

impl RepoType {
    /// The plural used in cache folder names and API paths (`models`, `datasets`, `spaces`).
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }

    /// The prefix of resolve URLs: none for models.
    fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
}

/// A repository id (`name` or `namespace/name`), checked with the Hub's own rules so that it
/// is safe to use in a URL and as a cache folder name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId(String);

impl RepoId {
    /// Validates `raw` like `huggingface_hub.utils.validate_repo_id`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rule that `raw` breaks.
    pub fn parse(raw: &str) -> Result<RepoId> {
        let invalid = |reason: &str| {
            Err(Error::invalid(
                "repository id",
                format!("{raw:?}: {reason}"),
            ))
        };
        if raw.is_empty() {
            return invalid("it is empty");
        }
        if raw.len() > 96 {
            return invalid("it is longer than 96 characters");
        }
        let parts: Vec<&str> = raw.split('/').collect();
        if parts.len() > 2 {
            return invalid("use the form name or namespace/name");
        }
        for part in &parts {
            if part.is_empty() {
                return invalid("a part is empty");
            }
            if !part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return invalid("only letters, digits, '-', '_' and '.' are allowed");
            }
            if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
                return invalid("a part cannot start or end with '-' or '.'");
            }
        }
        if raw.contains("--") || raw.contains("..") {
            return invalid("'--' and '..' are not allowed");
        }
        Ok(RepoId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An HTTP client builder with Modelshelf's TLS setup and user agent. Redirects and timeouts
/// are left to the caller, which knows whether it may follow them.
pub fn client_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a bundled crypto provider (aws-lc doubles the build time);
    // rustls with ring is installed once per process instead. A second install is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().user_agent(concat!("modelshelf/", env!("CARGO_PKG_VERSION")))
}

/// Checks a file path from a tree listing or the user: relative, `/`-separated, no `.`/`..`
/// or empty segments, no backslash, control character or drive letter; so it stays inside
/// the snapshot and prints as what it is.
///
/// # Errors
///
/// [`Error::InvalidInput`] naming what is wrong.
pub fn validate_repo_path(path: &str) -> Result<()> {
    let invalid = |reason: &str| Err(Error::invalid("file path", format!("{path:?}: {reason}")));
    if path.is_empty() || path.len() > 4096 {
        return invalid("empty or too long");
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return invalid("absolute paths, backslashes and NUL are not allowed");
    }
    // Printed in a terminal, a name with control characters can clear it or fake output.
    if path.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return invalid("control characters are not allowed");
    }
    if path.as_bytes().get(1) == Some(&b':') {
        return invalid("drive letters are not allowed");
    }
    if path
        .split('/')
        .any(|segment| matches!(segment, "" | "." | ".."))
    {
        return invalid("empty, '.' and '..' segments are not allowed");
    }
    Ok(())
}

/// Checks a revision (branch, tag, `refs/pr/N` or commit): it names a file under `refs/`, so
/// it gets the same rules as a repo path, plus no whitespace or control characters.
pub fn validate_revision(revision: &str) -> Result<()> {
    if revision.len() > 256
        || revision
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::invalid(
            "revision",
            format!("{revision:?}: too long, or has spaces or control characters"),
        ));
    }
    validate_repo_path(revision).map_err(|_| {
        Error::invalid(
            "revision",
            format!("{revision:?} is not a branch, tag or commit"),
        )
    })
}

/// Whether `revision` is a full commit hash, by `huggingface_hub`'s rule (40 lowercase hex).
pub fn is_commit_hash(revision: &str) -> bool {
    revision.len() == 40
        && revision
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `{endpoint}/{prefix}{repo}/resolve/{revision}/{path}` with the revision fully percent-encoded
/// (`refs/pr/1` becomes `refs%2Fpr%2F1`) and each path segment encoded on its own, as
/// `huggingface_hub.hf_hub_url` builds it.
pub fn resolve_url(
    endpoint: &str,
    repo_type: RepoType,
    repo: &RepoId,
    revision: &str,
    path: &str,
) -> String {
    let segments: Vec<String> = path.split('/').map(|s| percent_encode(s, b"")).collect();
    format!(
        "{endpoint}/{}{repo}/resolve/{}/{}",
        repo_type.url_prefix(),
        percent_encode(revision, b""),
        segments.join("/")
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `keep`.
pub(crate) fn percent_encode(raw: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (what is not valid UTF-8 afterwards is replaced).
pub(crate) fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], pair) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_follow_the_hub_rules() {
        for ok in [
            "gpt2",
            "google-bert/bert-base-uncased",
            "TheBloke/Llama-2-7B-GGUF",
            "a.b_c/d-1",
        ] {
            assert_eq!(RepoId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "a/b/c",
            "../etc",
            "a/..",
            "org/na--me",
            "-org/name",
            "org/name.",
            "org /x",
            "a\\b",
            "/abs",
        ] {
            let err = RepoId::parse(bad).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::InvalidInput, "{bad}");
        }
        assert!(RepoId::parse(&"a".repeat(97)).is_err());
    }

    #[test]
    fn the_client_builds_with_tls() {
        client_builder()
            .https_only(true)
            .build()
            .expect("client with rustls and ring");
    }

    #[test]
    fn commit_hashes_are_40_lowercase_hex() {
        assert!(is_commit_hash("8b3861f6931c4026b0cd22b38dbc09e7668983ac"));
        assert!(!is_commit_hash("8B3861F6931C4026B0CD22B38DBC09E7668983AC"));
        assert!(!is_commit_hash("main"));
    }

    #[test]
    fn revisions_and_paths_are_checked() {
        for ok in [
            "main",
            "v1.0",
            "refs/pr/1",
            "8b3861f6931c4026b0cd22b38dbc09e7668983ac",
        ] {
            validate_revision(ok).unwrap();
        }
        for bad in ["", "../main", "a b", "refs//x", "/main", "ma\nin"] {
            assert!(validate_revision(bad).is_err(), "{bad:?}");
        }
        validate_repo_path("gguf/model-Q4_K_M.gguf").unwrap();
        validate_repo_path("model ünïcode (1).bin").unwrap();
        for bad in [
            "a\x1b[2J.bin",
            "a\nb",
            "a\rb",
            "tab\there",
            "del\x7f",
            "\x01",
        ] {
            assert!(validate_repo_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resolve_urls_encode_like_huggingface_hub() {
        let repo = RepoId::parse("org/model").unwrap();
        assert_eq!(
            resolve_url(
                "https://hf.co",
                RepoType::Model,
                &repo,
                "refs/pr/1",
                "a b/c#1.bin"
            ),
            "https://hf.co/org/model/resolve/refs%2Fpr%2F1/a%20b/c%231.bin"
        );
        assert_eq!(
            resolve_url("http://h", RepoType::Dataset, &repo, "main", "x.json"),
            "http://h/datasets/org/model/resolve/main/x.json"
        );
    }
}
