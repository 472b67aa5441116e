//! What names things on the Hub: repository kinds and ids, revisions, file paths inside a
//! repository, commit hashes and blob names, each checked with the Hub's own rules. The
//! cache, the Hub client and the transfers all lean on these, so they sit below them.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    pub(crate) fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
}

/// A repository id (`name` or `namespace/name`), checked with the Hub's own rules so that it
/// is safe to use in a URL and as a cache folder name. Serialized as the plain id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
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

/// `^[0-9a-f]{64}$`, `huggingface_hub`'s test for "this etag is an LFS sha256".
pub fn is_sha256(etag: &str) -> bool {
    etag.len() == 64 && etag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
}
