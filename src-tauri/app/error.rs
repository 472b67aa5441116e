//! The error every command returns: `{"kind": "...", "message": "..."}`, so the frontend can
//! branch on the kind (offer a token field, a retry, a "free some space" hint) and show the
//! message as is.

use serde::Serialize;
use ts_rs::TS;

use crate::error::{Error, ErrorKind};

/// A command's failure as the frontend receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
}

impl From<Error> for CommandError {
    fn from(err: Error) -> Self {
        CommandError {
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(err: Error) -> String {
        serde_json::to_string(&CommandError::from(err)).unwrap()
    }

    #[test]
    fn every_kind_serializes_to_its_exact_json() {
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
                r#"{"kind":"notFound","message":"repository a/b was not found on the Hub (or it is private)"}"#,
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
                r#"{"kind":"gated","message":"a/b is gated: Please log in."}"#,
            ),
            (
                Error::Network {
                    host: "huggingface.co".into(),
                    reason: "connection reset".into(),
                },
                r#"{"kind":"network","message":"network error talking to huggingface.co: connection reset"}"#,
            ),
            (
                Error::DiskFull {
                    path: "/c".into(),
                    needed: 10,
                    available: 3,
                },
                r#"{"kind":"diskFull","message":"not enough disk space in /c: 10 bytes needed, 3 available"}"#,
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
