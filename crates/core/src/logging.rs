//! The app's log: structured events (`tracing`) written to a daily file in the app's log
//! folder, a week of files kept. Every line is redacted before it is written: access tokens,
//! `Authorization` values and the query strings of URLs (where signed CDN links keep their
//! signatures) never reach the disk, whichever crate logged them; and control characters are
//! escaped, so one event is one line and server text cannot forge lines or codes.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

use crate::error::escape_controls;

/// Log files are `modelshelf.YYYY-MM-DD.log`.
const FILE_PREFIX: &str = "modelshelf";
const FILE_SUFFIX: &str = "log";
const FILES_KEPT: usize = 7;
/// Read instead of the default filter, e.g. `MODELSHELF_LOG=debug`.
pub const FILTER_VARIABLE: &str = "MODELSHELF_LOG";
const DEFAULT_FILTER: &str = "warn,modelshelf=info";
const REDACTED: &str = "<redacted>";
/// Hub tokens are `hf_` and 34 letters and digits; shorter runs are names (`hf_hub`).
const MIN_TOKEN_LEN: usize = 16;

/// Secrets to blank out whatever their shape (a mirror's token need not look like the Hub's).
static SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Adds `secret` to what is never written to the log.
pub fn add_secret(secret: &str) {
    let mut secrets = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if secret.len() >= 4 && !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_owned());
    }
}

/// Starts writing the log into `dir`. Keep the guard until exit: dropping it flushes.
///
/// # Errors
///
/// When the folder cannot be created or a global subscriber is already set.
pub fn init(dir: &Path) -> Result<WorkerGuard, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(FILES_KEPT)
        .build(dir)
        .map_err(|e| e.to_string())?;
    let (writer, guard) = tracing_appender::non_blocking(Redacting(appender));
    let filter =
        EnvFilter::try_from_env(FILTER_VARIABLE).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(guard)
}

/// The newest log file in `dir`, if any.
pub fn current_file(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("{FILE_PREFIX}.")) && n.ends_with(&format!(".{FILE_SUFFIX}"))
            })
        })
        // Dated names sort by date.
        .max()
}

/// Passes whole formatted events through [`redact`] and [`escape_controls`] on their way to
/// the file; only an event's final newline stays a newline.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut text = redact(&String::from_utf8_lossy(buf)).into_owned();
        for secret in SECRETS.read().unwrap_or_else(|p| p.into_inner()).iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        let (line, end) = match text.strip_suffix('\n') {
            Some(line) => (line, "\n"),
            None => (text.as_str(), ""),
        };
        let line = escape_controls(line);
        self.0.write_all(line.as_bytes())?;
        self.0.write_all(end.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `text` without secrets: Hub tokens (`hf_…`, `api_org_…`), what follows `Bearer `, URL
/// query strings and URL user info.
pub fn redact(text: &str) -> Cow<'_, str> {
    const MARKERS: [&str; 5] = ["hf_", "api_org_", "bearer", "http://", "https://"];
    let lower = text.to_ascii_lowercase();
    if !MARKERS.iter().any(|m| lower.contains(m)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("http://") || rest.starts_with("https://") {
            // A query ends only where the URL does: `,)]}` are legal, unencoded, inside it.
            let end_of = |from: usize, stops: &str| {
                rest[from..]
                    .find(|c: char| c.is_whitespace() || stops.contains(c))
                    .map_or(rest.len(), |n| from + n)
            };
            let mut end = end_of(0, "\"'<>`)]},?");
            if rest[end..].starts_with('?') {
                end = end_of(end, "\"'<>`");
            }
            out.push_str(&redact_url(&rest[..end]));
            i += end;
            continue;
        }
        if lower[i..].starts_with("bearer ") {
            let after = &rest["bearer".len()..];
            let word_start = "bearer".len() + (after.len() - after.trim_start_matches(' ').len());
            let word_len = rest[word_start..]
                .find(char::is_whitespace)
                .unwrap_or(rest.len() - word_start);
            out.push_str(&rest[..word_start]);
            out.push_str(REDACTED);
            i += word_start + word_len;
            continue;
        }
        // No word boundary is needed before the prefix (`%3Dhf_…`, an escaped `\nhf_…` are
        // tokens too); the minimum length keeps names like `hf_hub` readable.
        if let Some(prefix) = ["hf_", "api_org_"].iter().find(|p| rest.starts_with(**p)) {
            let secret = rest[prefix.len()..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len() - prefix.len());
            if secret >= MIN_TOKEN_LEN {
                out.push_str(prefix);
                out.push_str(REDACTED);
                i += prefix.len() + secret;
                continue;
            }
        }
        let c = rest.chars().next().expect("i is a char boundary below len");
        out.push(c);
        i += c.len_utf8();
    }
    Cow::Owned(out)
}

fn redact_url(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (mut head, query) = match url.find('?') {
        Some(q) => (url[..q].to_owned(), Some(())),
        None => (url.to_owned(), None),
    };
    let authority_end = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    if let Some(at) = head[scheme_end..authority_end].rfind('@') {
        head.replace_range(scheme_end..scheme_end + at, REDACTED);
    }
    match query {
        Some(()) => format!("{head}?{REDACTED}"),
        None => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_blanked_and_the_rest_kept() {
        let line = "GET https://cdn-lfs.hf.co/repos/ab/cd/sha?X-Amz-Signature=deadbeef&Expires=1 \
                    token=hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345 org=api_org_abcdefghij1234567890 \
                    Authorization: Bearer secret-value, authorization: bearer  other-secret \
                    url=\"http://user:pw@mirror.local/x?sig=1\" next=https://h.test/p?a=(1),b=[2]&s=tail \
                    escaped=%3Dhf_AbCdEfGhIjKlMnOpQrSt12 \
                    path=models--hf_internal--x file=hf_hub.py émoji ✓";
        let clean = redact(line);
        for secret in [
            "deadbeef",
            "Expires",
            "AbCdEfGhIj",
            "abcdefghij12",
            "api_org_a",
            "secret-value",
            "other-secret",
            "tail",
            "AbCdEfGhIjKlMnOpQrSt12",
            "user:pw",
            "sig=1",
        ] {
            assert!(!clean.contains(secret), "{secret} leaked: {clean}");
        }
        for kept in [
            "GET https://cdn-lfs.hf.co/repos/ab/cd/sha?<redacted>",
            "token=hf_<redacted>",
            "Bearer <redacted>",
            "http://<redacted>@mirror.local/x?<redacted>",
            "models--hf_internal--x",
            "file=hf_hub.py",
            "émoji ✓",
        ] {
            assert!(clean.contains(kept), "{kept} missing: {clean}");
        }
        assert!(matches!(redact("nothing to hide"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_redacts_what_passes_through_and_known_secrets() {
        add_secret("mirror-secret-7");
        let mut sink = Redacting(Vec::new());
        let line = b"got hf_0123456789abcdef from https://x.test/a?b=c with mirror-secret-7\n";
        assert_eq!(sink.write(line).unwrap(), line.len());
        assert_eq!(
            String::from_utf8(sink.0).unwrap(),
            "got hf_<redacted> from https://x.test/a?<redacted> with <redacted>\n"
        );
    }

    #[test]
    fn one_event_is_one_line_whatever_the_server_said() {
        let mut sink = Redacting(Vec::new());
        let line = b"WARN hub said: \x1b[2J\x1b[H fake output\r\nERROR forged line\n";
        sink.write_all(line).unwrap();
        assert_eq!(
            String::from_utf8(sink.0).unwrap(),
            "WARN hub said: \\x1b[2J\\x1b[H fake output\\x0d\\x0aERROR forged line\n"
        );
    }

    #[test]
    fn the_newest_file_is_current() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "modelshelf.2026-11-25.log",
            "modelshelf.2026-11-27.log",
            "other.log",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(
            current_file(dir.path()).unwrap(),
            dir.path().join("modelshelf.2026-11-27.log")
        );
    }
}
