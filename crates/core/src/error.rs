//! The core's one error type, and the small set of kinds the frontend can act on.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A `Result` whose error is the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, with enough context to say what and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input from the user or the server that we refuse to act on.
    #[error("invalid {what}: {reason}")]
    InvalidInput { what: &'static str, reason: String },

    /// The Hub has no such repository, or hides it from this token.
    #[error("repository {repo_id} was not found on the Hub (or it is private)")]
    RepoNotFound { repo_id: String },

    /// The repository exists but the revision does not.
    #[error("revision {revision} was not found in {repo_id}")]
    RevisionNotFound { repo_id: String, revision: String },

    /// The revision exists but the file does not.
    #[error("{} was not found in {repo_id} at {revision}", escape_controls(path))]
    EntryNotFound {
        repo_id: String,
        revision: String,
        path: String,
        /// The commit the revision resolved to, when the Hub said (`X-Repo-Commit`).
        commit: Option<String>,
    },

    /// No download job has this id.
    #[error("there is no download job {id}")]
    JobNotFound { id: String },

    /// The token is missing or invalid for an operation that needs one.
    #[error("the Hub refused the request: {message}")]
    Unauthorized { message: String },

    /// A gated repository whose terms this account has not been granted.
    #[error("{repo_id} is gated: {message}")]
    Gated { repo_id: String, message: String },

    /// The endpoint could not be reached, answered with a server error, or the transfer broke.
    #[error("network error talking to {host}: {reason}")]
    Network { host: String, reason: String },

    /// The Hub or the CDN asked us to slow down (HTTP 429).
    #[error("{host} is rate limiting downloads{}", retry_hint(*retry_after))]
    RateLimited {
        host: String,
        retry_after: Option<Duration>,
    },

    /// An HTTP status the request cannot go on with.
    #[error("{host} answered HTTP {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Http {
        host: String,
        status: u16,
        message: String,
    },

    /// The server broke the protocol: a missing header, an endless redirect, a huge answer.
    #[error("unexpected answer from {host}: {reason}")]
    Protocol { host: String, reason: String },

    /// A transfer kept failing until its retry budget ran out; `what` says what the server kept
    /// doing ("ended it at 12.0 MB of 12.0 MB").
    #[error("gave up on {file}: {host} {what}, {times} times")]
    GaveUp {
        host: String,
        file: String,
        what: String,
        times: u32,
    },

    /// A repository lists more files than Modelshelf plans a download for (each listed file
    /// costs memory, and a listing that large is more likely hostile than a model).
    #[error("{repo_id} lists more than {} files; Modelshelf refuses listings that large", grouped(*limit))]
    ListingTooLarge { repo_id: String, limit: usize },

    /// The server's TLS certificate is not trusted here: often a company mirror or proxy with
    /// its own certificate authority.
    #[error(
        "the TLS certificate of {host} is not trusted ({reason}); add the CA that signed it to \
         the system trust store, or point SSL_CERT_FILE at a PEM bundle that has it"
    )]
    UntrustedCertificate { host: String, reason: String },

    /// There is not enough room on the cache's disk.
    #[error("not enough disk space in {path}: {needed} bytes needed, {available} available")]
    DiskFull {
        path: PathBuf,
        needed: u64,
        available: u64,
    },

    /// Downloaded content does not hash to what the Hub promised.
    #[error(
        "{} failed its integrity check: expected {expected}, got {actual}",
        escape_controls(file)
    )]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },

    /// A download is writing to it right now (here or in another program).
    #[error("{} is in use by a download; pause or cancel it first", shown(path))]
    InUse { path: PathBuf },

    /// The caller's cancellation token fired.
    #[error("cancelled")]
    Cancelled,

    /// A folder or file in the cache is a symbolic link Modelshelf did not make. It is never
    /// written through: on a shared cache it may lead anywhere another user chose.
    #[error(
        "{} is a symbolic link to {}; Modelshelf does not write through links in the cache. \
         Remove the link (or move the real folder into the cache) and try again",
        shown(path),
        shown(target)
    )]
    LinkInCache { path: PathBuf, target: PathBuf },

    /// Another app's file was not replaced by a hard link to the cache's copy (or not made a
    /// separate copy again); it is as it was.
    #[error("{} was left as it is: {reason}", shown(path))]
    NotShared { path: PathBuf, reason: ShareRefusal },

    /// A filesystem operation failed.
    #[error("{action} {}: {source}", shown(path))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// A broken invariant: a bug in Modelshelf, not something the user did.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a file of another app was not made one copy with the cache's (or a separate copy again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShareRefusal {
    #[error(
        "it is on another file system than the cache, and a hard link cannot cross file systems"
    )]
    OtherFileSystem,
    #[error("its bytes differ from the cache's copy")]
    DifferentBytes,
    #[error("it changed while Modelshelf was comparing it; try again when its app is done with it")]
    ChangedMeanwhile,
    #[error("it is not a plain file")]
    NotAFile,
    #[error(
        "the cache's copy has other owners or permissions, and the app could no longer read it \
         through a shared link"
    )]
    WouldHideFromItsApp,
    #[error("it is already one copy with the cache's")]
    AlreadyShared,
    #[error("it is already a separate copy")]
    AlreadySeparate,
    #[error("another file is there already, and Modelshelf never replaces another app's file")]
    Occupied,
    #[error(
        "a folder on its way is a symbolic link or a file, which Modelshelf does not write through"
    )]
    LinkOnTheWay,
}

/// An error as the frontend receives it: `{"kind": "...", "message": "..."}`, so it can branch
/// on the kind (offer a token field, a retry, a "free some space" hint) and show the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorReport {
    pub kind: ErrorKind,
    pub message: String,
    /// What the error is about, so the frontend can word the next step and aim its buttons.
    /// Boxed: an error's `Result` stays small on the paths that succeed.
    #[serde(flatten, default)]
    #[ts(flatten)]
    pub context: Box<ErrorContext>,
}

/// The facts of an [`Error`] the frontend builds its next step from; every one is optional and
/// absent from the JSON when unknown. A not-found error names the repo, plus the revision when
/// the revision is what is missing, plus the file when the file is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub revision: Option<String>,
    /// A file inside the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub file: Option<String>,
    /// The server concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host: Option<String>,
    /// Bytes a download needs on the cache's disk (disk full, found before downloading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub needed: Option<u64>,
    /// Bytes free on the cache's disk then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub available: Option<u64>,
}

impl From<Error> for ErrorReport {
    fn from(err: Error) -> Self {
        ErrorReport {
            kind: err.kind(),
            message: err.to_string(),
            context: Box::new(err.context()),
        }
    }
}

impl From<&Error> for ErrorReport {
    fn from(err: &Error) -> Self {
        ErrorReport {
            kind: err.kind(),
            message: err.to_string(),
            context: Box::new(err.context()),
        }
    }
}

/// What kind of failure an [`Error`] is, for the frontend to choose its reaction
/// (offer a token field, a retry button, a "free some space" hint...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    NotFound,
    Unauthorized,
    Gated,
    Network,
    DiskFull,
    Checksum,
    Cancelled,
    InUse,
    InvalidInput,
    Io,
    Internal,
}

impl Error {
    /// The kind the frontend sees.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::RepoNotFound { .. }
            | Error::RevisionNotFound { .. }
            | Error::EntryNotFound { .. }
            | Error::JobNotFound { .. } => ErrorKind::NotFound,
            Error::Unauthorized { .. } => ErrorKind::Unauthorized,
            Error::Gated { .. } => ErrorKind::Gated,
            Error::Network { .. }
            | Error::RateLimited { .. }
            | Error::Protocol { .. }
            | Error::GaveUp { .. }
            | Error::UntrustedCertificate { .. } => ErrorKind::Network,
            Error::ListingTooLarge { .. } => ErrorKind::InvalidInput,
            Error::Http {
                status: 404 | 410, ..
            } => ErrorKind::NotFound,
            Error::Http { status: 401, .. } => ErrorKind::Unauthorized,
            Error::Http {
                status: 408 | 500..=599,
                ..
            } => ErrorKind::Network,
            Error::Http { .. } => ErrorKind::Internal,
            Error::DiskFull { .. } => ErrorKind::DiskFull,
            Error::Checksum { .. } => ErrorKind::Checksum,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::InUse { .. } => ErrorKind::InUse,
            Error::LinkInCache { .. } | Error::NotShared { .. } => ErrorKind::Io,
            Error::Io { source, .. } if is_disk_full(source) => ErrorKind::DiskFull,
            Error::Io { .. } => ErrorKind::Io,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Whether trying again later may succeed: dropped connections, server errors, rate limits.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network { .. } | Error::RateLimited { .. } => true,
            Error::Http { status, .. } => matches!(status, 408 | 500..=599),
            _ => false,
        }
    }

    /// The facts the frontend words its next step from. A new variant that names a repo, a
    /// server or sizes adds its arm here.
    pub fn context(&self) -> ErrorContext {
        let repo = |id: &str| (!id.is_empty()).then(|| id.to_owned());
        match self {
            Error::RepoNotFound { repo_id } | Error::Gated { repo_id, .. } => ErrorContext {
                repo: repo(repo_id),
                ..ErrorContext::default()
            },
            Error::RevisionNotFound { repo_id, revision } => ErrorContext {
                repo: repo(repo_id),
                revision: Some(revision.clone()),
                ..ErrorContext::default()
            },
            Error::EntryNotFound {
                repo_id,
                revision,
                path,
                ..
            } => ErrorContext {
                repo: repo(repo_id),
                revision: Some(revision.clone()),
                file: Some(path.clone()),
                ..ErrorContext::default()
            },
            Error::Network { host, .. }
            | Error::RateLimited { host, .. }
            | Error::Http { host, .. }
            | Error::Protocol { host, .. }
            | Error::UntrustedCertificate { host, .. } => ErrorContext {
                host: Some(host.clone()),
                ..ErrorContext::default()
            },
            Error::GaveUp { host, file, .. } => ErrorContext {
                host: Some(host.clone()),
                file: Some(file.clone()),
                ..ErrorContext::default()
            },
            Error::ListingTooLarge { repo_id, .. } => ErrorContext {
                repo: repo(repo_id),
                ..ErrorContext::default()
            },
            Error::DiskFull {
                needed, available, ..
            } => ErrorContext {
                needed: Some(*needed),
                available: Some(*available),
                ..ErrorContext::default()
            },
            _ => ErrorContext::default(),
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    /// Wraps an I/O error with what we were doing and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(after) => format!("; retry in {} s", after.as_secs().max(1)),
        None => String::new(),
    }
}

/// A cache path for a message: its file names can come from the server.
fn shown(path: &std::path::Path) -> String {
    escape_controls(&path.to_string_lossy()).into_owned()
}

/// `1234567` as `1,234,567`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `text` with its control characters (C0, DEL and C1) written as escapes (`\x1b`, `\u{9b}`),
/// so server text cannot move the cursor, clear a terminal or forge a log line. Applied where
/// server text enters an [`Error`]; escaping twice changes nothing.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_disk_full(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_once() {
        let raw = "\x1b[2J\x1b[H fake output\r\n\u{9b}31m\x7f end";
        let escaped = escape_controls(raw);
        assert_eq!(
            escaped,
            "\\x1b[2J\\x1b[H fake output\\x0d\\x0a\\u{9b}31m\\x7f end"
        );
        assert!(!escaped.chars().any(char::is_control));
        assert_eq!(escape_controls(&escaped), escaped);
        assert!(matches!(escape_controls("plain é ✓"), Cow::Borrowed(_)));
        let missing = Error::EntryNotFound {
            repo_id: "a/b".into(),
            revision: "main".into(),
            path: "x\x1b[2J.bin".into(),
            commit: None,
        };
        assert_eq!(
            missing.to_string(),
            "x\\x1b[2J.bin was not found in a/b at main"
        );
        let io = Error::io(
            "writing",
            "/c/x\r.bin",
            std::io::Error::from_raw_os_error(13),
        );
        assert!(
            io.to_string().starts_with("writing /c/x\\x0d.bin: "),
            "{io}"
        );
    }

    #[test]
    fn limits_read_with_thousands_separators() {
        let err = Error::ListingTooLarge {
            repo_id: "a/b".into(),
            limit: 200_000,
        };
        assert_eq!(
            err.to_string(),
            "a/b lists more than 200,000 files; Modelshelf refuses listings that large"
        );
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(999), "999");
    }

    #[test]
    fn enospc_from_the_filesystem_is_reported_as_disk_full() {
        let err = Error::io("writing", "/x", std::io::Error::from_raw_os_error(28));
        assert_eq!(err.kind(), ErrorKind::DiskFull);
        let err = Error::io("writing", "/x", std::io::Error::from_raw_os_error(13));
        assert_eq!(err.kind(), ErrorKind::Io);
    }
}

#[cfg(test)]
mod report_tests {
    use super::*;

    fn json(err: Error) -> String {
        serde_json::to_string(&ErrorReport::from(err)).unwrap()
    }

    #[test]
    fn every_kind_reaches_the_frontend_as_its_exact_json() {
        let io = |code| {
            Error::io(
                "writing",
                "/c/blob",
                std::io::Error::from_raw_os_error(code),
            )
        };
        let cases = [
            (
                Error::invalid("repository id", "\"\": it is empty"),
                r#"{"kind":"invalidInput","message":"invalid repository id: \"\": it is empty"}"#,
            ),
            (
                Error::RepoNotFound {
                    repo_id: "a/b".into(),
                },
                r#"{"kind":"notFound","message":"repository a/b was not found on the Hub (or it is private)","repo":"a/b"}"#,
            ),
            (
                Error::Unauthorized {
                    message: "Invalid credentials".into(),
                },
                r#"{"kind":"unauthorized","message":"the Hub refused the request: Invalid credentials"}"#,
            ),
            (
                Error::Gated {
                    repo_id: "a/b".into(),
                    message: "Please log in.".into(),
                },
                r#"{"kind":"gated","message":"a/b is gated: Please log in.","repo":"a/b"}"#,
            ),
            (
                Error::Network {
                    host: "huggingface.co".into(),
                    reason: "connection reset".into(),
                },
                r#"{"kind":"network","message":"network error talking to huggingface.co: connection reset","host":"huggingface.co"}"#,
            ),
            (
                Error::DiskFull {
                    path: "/c".into(),
                    needed: 10,
                    available: 3,
                },
                r#"{"kind":"diskFull","message":"not enough disk space in /c: 10 bytes needed, 3 available","needed":10,"available":3}"#,
            ),
            (
                Error::Checksum {
                    file: "m.gguf".into(),
                    expected: "ab".into(),
                    actual: "cd".into(),
                },
                r#"{"kind":"checksum","message":"m.gguf failed its integrity check: expected ab, got cd"}"#,
            ),
            (
                Error::Cancelled,
                r#"{"kind":"cancelled","message":"cancelled"}"#,
            ),
            (
                Error::InUse {
                    path: "/c/blobs/ab".into(),
                },
                r#"{"kind":"inUse","message":"/c/blobs/ab is in use by a download; pause or cancel it first"}"#,
            ),
            (
                Error::LinkInCache {
                    path: "/c/models--a--b/blobs".into(),
                    target: "/tmp/x".into(),
                },
                r#"{"kind":"io","message":"/c/models--a--b/blobs is a symbolic link to /tmp/x; Modelshelf does not write through links in the cache. Remove the link (or move the real folder into the cache) and try again"}"#,
            ),
            (
                io(13),
                r#"{"kind":"io","message":"writing /c/blob: Permission denied (os error 13)"}"#,
            ),
            (
                Error::Internal("registry poisoned".into()),
                r#"{"kind":"internal","message":"internal error: registry poisoned"}"#,
            ),
        ];
        for (err, expected) in cases {
            assert_eq!(json(err), expected);
        }
    }
}

#[cfg(test)]
mod context_tests {
    use super::*;

    fn context(err: Error) -> serde_json::Value {
        serde_json::to_value(ErrorReport::from(err)).unwrap()
    }

    #[test]
    fn a_not_found_error_names_what_is_missing_and_nothing_it_does_not_know() {
        let file = context(Error::EntryNotFound {
            repo_id: "a/b".into(),
            revision: "main".into(),
            path: "m.gguf".into(),
            commit: None,
        });
        assert_eq!(
            (&file["repo"], &file["revision"], &file["file"]),
            (
                &serde_json::json!("a/b"),
                &serde_json::json!("main"),
                &serde_json::json!("m.gguf")
            )
        );
        let revision = context(Error::RevisionNotFound {
            repo_id: "a/b".into(),
            revision: "v9".into(),
        });
        assert_eq!(revision["revision"], "v9");
        assert!(revision.get("file").is_none(), "{revision}");
        // An error whose repo was never filled in says nothing rather than an empty name.
        let unnamed = context(Error::Gated {
            repo_id: String::new(),
            message: "Please log in.".into(),
        });
        assert!(unnamed.get("repo").is_none(), "{unnamed}");
    }

    #[test]
    fn a_transfer_failure_names_the_host_and_a_full_disk_mid_file_carries_no_sizes() {
        let gave_up = context(Error::GaveUp {
            host: "cdn.example".into(),
            file: "m.gguf".into(),
            what: "ended it early".into(),
            times: 5,
        });
        assert_eq!(
            (&gave_up["kind"], &gave_up["host"]),
            (
                &serde_json::json!("network"),
                &serde_json::json!("cdn.example")
            )
        );
        // ENOSPC while writing: the frontend asks for the free space itself.
        let enospc = context(Error::io(
            "writing",
            "/c/blob",
            std::io::Error::from_raw_os_error(28),
        ));
        assert_eq!(enospc["kind"], "diskFull");
        assert!(
            enospc.get("needed").is_none() && enospc.get("available").is_none(),
            "{enospc}"
        );
    }
}
