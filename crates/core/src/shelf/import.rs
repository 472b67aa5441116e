//! Bringing a GGUF that only another app has into the Hugging Face cache, so Python and
//! llama.cpp see it too, without copying it: its origin on the Hub comes from the app's name
//! for it (Ollama's `hf.co/<org>/<repo>:<tag>`, LM Studio's `<publisher>/<repo>/<file>`), the
//! Hub's listing of that repository at `main` names the file with the same sha256, and the
//! app's file becomes the cache's blob by a hard link, with the snapshot link and ref a
//! download would have written.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::{App, ShelvedFile};
use crate::cache::RepoCache;
use crate::error::{Error, Result, ShareRefusal};
use crate::hub::HubClient;
use crate::repo::{RepoId, RepoType};

/// The Hub repository a model of `app` called `name` came from, when its name says so.
pub(super) fn origin(app: App, name: &str) -> Option<String> {
    let repo = match app {
        // `types/model/name.go`: the host is kept in the name of a model pulled from elsewhere.
        App::Ollama => {
            let rest = name
                .strip_prefix("hf.co/")
                .or_else(|| name.strip_prefix("huggingface.co/"))?;
            rest.split(':').next()?.to_owned()
        }
        App::LmStudio => {
            let mut parts = name.split('/');
            let (publisher, repo) = (parts.next()?, parts.next()?);
            format!("{publisher}/{repo}")
        }
        _ => return None,
    };
    RepoId::parse(&repo).ok().map(|r| r.to_string())
}

/// What [`import`] put in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    pub repo: String,
    /// The file's path in the repository.
    pub path: String,
    pub commit: String,
    /// `snapshots/<commit>/<path>` in the cache.
    #[ts(type = "string")]
    pub snapshot: PathBuf,
}

/// Adds `file` (another app's, its sha256 known) to the cache at `cache_root` as the file of
/// `repo` at `main` with the same sha256.
///
/// # Errors
///
/// [`Error::InvalidInput`] when no file of the repository at `main` has these bytes or the
/// file was not hashed; [`Error::NotShared`] when it is on another file system than the
/// cache; the Hub's errors ([`Error::RepoNotFound`], [`Error::Network`]...); [`Error::Io`].
pub async fn import(
    hub: &HubClient,
    cache_root: &Path,
    repo: &RepoId,
    file: &ShelvedFile,
) -> Result<Imported> {
    let sha256 = file
        .sha256
        .as_deref()
        .filter(|s| crate::repo::is_sha256(s))
        .ok_or_else(|| Error::invalid("file", "its sha256 is not known yet"))?;
    // A blob whose bytes are not its name would mislead Python and llama.cpp too: a file not
    // named by its hash by its app (Ollama's are, and it checks them on pull) is read again
    // rather than trusted from the hash memory.
    let named_by_hash = file
        .path
        .file_name()
        .is_some_and(|n| n.to_string_lossy() == format!("sha256-{sha256}"));
    let path = file.path.clone();
    // Gigabytes of reading: not on an async worker. Opened without following a link (one
    // swapped in would become a link blob) and described from the open file, so what is
    // linked below can be checked to be what was read.
    let (read, actual) = tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| Error::io("reading", &path, e))?;
        let meta = opened
            .metadata()
            .map_err(|e| Error::io("reading", &path, e))?;
        if !meta.is_file() {
            return Err(Error::NotShared {
                path,
                reason: ShareRefusal::NotAFile,
            });
        }
        let cancel = tokio_util::sync::CancellationToken::new();
        let actual = if named_by_hash {
            None
        } else {
            let digest = crate::fs::digest_of(&mut opened, &path, &cancel, &mut |_| Ok(()))?;
            Some(crate::fs::hex(&digest))
        };
        Ok((meta, actual))
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing stopped: {e}")))??;
    if let Some(actual) = actual
        && actual != sha256
    {
        return Err(Error::Checksum {
            file: file.path.display().to_string(),
            expected: sha256.to_owned(),
            actual,
        });
    }
    let commit = hub
        .repo_info(RepoType::Model, repo, "main")
        .await?
        .sha
        .filter(|c| crate::repo::is_commit_hash(c))
        .ok_or_else(|| Error::Protocol {
            host: crate::hub::host_of(hub.endpoint()),
            reason: format!("the Hub named no commit for {repo} at main"),
        })?;
    let listed = hub.list_tree(RepoType::Model, repo, &commit).await?;
    let entry = listed
        .iter()
        .find(|f| &*f.etag == sha256 && f.size == file.size)
        .ok_or_else(|| {
            Error::invalid(
                "file",
                format!(
                    "no file of {repo} at main has the same bytes (sha256 {sha256}); it may \
                     come from another revision, or its app may have changed it"
                ),
            )
        })?;
    let cache = RepoCache::new(cache_root, RepoType::Model, repo);
    let same_disk = std::fs::create_dir_all(cache_root)
        .ok()
        .and_then(|()| Some(std::fs::metadata(cache_root).ok()?.dev()))
        == std::fs::metadata(&file.path).ok().map(|m| m.dev());
    if !same_disk {
        return Err(Error::NotShared {
            path: file.path.clone(),
            reason: ShareRefusal::OtherFileSystem,
        });
    }
    cache.refuse_links(&commit)?;
    if cache.adopt_blob(&file.path, sha256)? {
        // The name may lead to another file than the one read (the app replaced it
        // meanwhile): a blob whose bytes are not its name is undone at once.
        let blob = cache.blob_path(sha256)?;
        let same = std::fs::symlink_metadata(&blob).is_ok_and(|now| {
            now.is_file()
                && now.dev() == read.dev()
                && now.ino() == read.ino()
                && now.len() == read.len()
                && now.mtime() == read.mtime()
                && now.mtime_nsec() == read.mtime_nsec()
        });
        if !same {
            let _ = std::fs::remove_file(&blob);
            return Err(Error::NotShared {
                path: file.path.clone(),
                reason: ShareRefusal::ChangedMeanwhile,
            });
        }
    }
    let snapshot = cache.link(&commit, &entry.path, sha256)?;
    cache.write_ref("main", &commit)?;
    Ok(Imported {
        repo: repo.to_string(),
        path: entry.path.to_string(),
        commit,
        snapshot,
    })
}
