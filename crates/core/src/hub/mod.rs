//! The Hugging Face Hub: the resolve URL every file download starts from, the HTTP client
//! every request goes through (its API, file metadata, transfers), and the API's types.

mod client;
mod redirect;
mod types;

pub use self::client::{HubClient, MAX_LISTED_FILES, SearchPage, SearchQuery, host_of};
pub(crate) use self::client::{error_from_response, header_value, network_error, retry_after};
pub(crate) use self::redirect::Follow;
pub use self::types::{
    FileMetadata, Gated, ListedFile, ModelSummary, RepoInfo, Sibling, WhoAmI, normalize_etag,
};
use crate::repo::{RepoId, RepoType};

/// An HTTP client builder with Modelshelf's TLS setup and user agent. Redirects and timeouts
/// are left to the caller, which knows whether it may follow them.
pub fn client_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a bundled crypto provider (aws-lc doubles the build time);
    // rustls with ring is installed once per process instead. A second install is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().user_agent(concat!("modelshelf/", env!("CARGO_PKG_VERSION")))
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
    fn the_client_builds_with_tls() {
        client_builder()
            .https_only(true)
            .build()
            .expect("client with rustls and ring");
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
