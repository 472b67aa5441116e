//! Where artifacts come from. A [`VendorSource`] downloads what a request names into the
//! cache; [`HuggingFaceVendor`] does it on the Hub's protocol: it resolves the revision to a
//! commit, lists the files with their sizes and hashes, reuses every blob already in the
//! cache, and moves the rest with [`crate::transfer`], several files at a time.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::cache::RepoCache;
use crate::error::{Error, Result, escape_controls};
use crate::hub::{HubClient, percent_decode, resolve_url};
use crate::progress::{FileProgress, FileState, Phase, ProgressEvent, ProgressSink, RetryInfo};
use crate::repo::{RepoId, RepoType, validate_repo_path, validate_revision};
use crate::transfer::{
    Checksum, FileTransfer, TransferEvent, TransferOptions, or_cancel, with_retries,
};

/// A place artifacts come from: the Hub today, a plain URL or a mirror later.
pub trait VendorSource: Send + Sync {
    /// What this vendor is asked to fetch.
    type Request: Send + Sync;

    /// Downloads what `request` names into the cache at `dest` for job `job_id` (the owner
    /// name its partial files carry), reporting to `progress`.
    ///
    /// # Cancellation
    ///
    /// Every await inside races `cancel`; once it fires the transfer stops, the connection is
    /// dropped, and the call returns [`Error::Cancelled`]. Partial data stays on disk for a
    /// later resume; [`crate::cache::RepoCache::discard_partials`] removes it.
    fn download(
        &self,
        request: &Self::Request,
        dest: &Path,
        job_id: &str,
        cancel: CancellationToken,
        progress: &dyn ProgressSink,
    ) -> impl Future<Output = Result<Downloaded>> + Send;
}

/// Which files of a repository to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    /// The whole snapshot.
    #[default]
    All,
    /// These paths.
    Files(Vec<String>),
    /// Paths matching any `include` glob (all when empty) and no `exclude` glob; `*` also
    /// matches `/`, as in `huggingface_hub`'s `allow_patterns`.
    Patterns {
        include: Vec<String>,
        exclude: Vec<String>,
    },
}

/// A download request: a repository, a revision and a selection of its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRequest {
    pub repo_type: RepoType,
    pub repo: RepoId,
    /// Branch, tag, `refs/pr/N` or commit: what the person chose, and the ref written.
    pub revision: String,
    pub selection: Selection,
    /// The commit `revision` was at when the person chose the files: they come from it, and
    /// `refs/<revision>` is written to point at it, as `huggingface_hub` would have.
    pub pin: Option<String>,
}

impl ModelRequest {
    /// Validates every part of a request coming from the user.
    pub fn new(
        repo_type: RepoType,
        repo: &str,
        revision: Option<&str>,
        selection: Selection,
    ) -> Result<ModelRequest> {
        let revision = revision
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("main");
        validate_revision(revision)?;
        match &selection {
            Selection::Files(files) if files.is_empty() => {
                return Err(Error::invalid("file list", "it is empty"));
            }
            Selection::Files(files) => files.iter().try_for_each(|f| validate_repo_path(f))?,
            Selection::Patterns { include, exclude } => {
                for pattern in include.iter().chain(exclude) {
                    glob::Pattern::new(pattern)
                        .map_err(|e| Error::invalid("pattern", format!("{pattern:?}: {e}")))?;
                }
            }
            Selection::All => {}
        }
        Ok(ModelRequest {
            repo_type,
            repo: RepoId::parse(repo.trim())?,
            revision: revision.to_owned(),
            selection,
            pin: None,
        })
    }

    /// The same request with its files taken from `commit` (see [`ModelRequest::pin`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `commit` is not a full commit hash.
    pub fn pinned_to(mut self, commit: &str) -> Result<ModelRequest> {
        if !crate::repo::is_commit_hash(commit) {
            return Err(Error::invalid(
                "commit",
                format!("{commit:?} is not a commit hash"),
            ));
        }
        self.pin = Some(commit.to_owned());
        Ok(self)
    }

    /// Where the files are read: the pinned commit, else the revision.
    fn files_at(&self) -> &str {
        self.pin.as_deref().unwrap_or(&self.revision)
    }

    fn wants(&self, path: &str) -> bool {
        match &self.selection {
            Selection::All => true,
            Selection::Files(files) => files.iter().any(|f| f == path),
            Selection::Patterns { include, exclude } => {
                let matches = |patterns: &[String]| patterns.iter().any(|p| fnmatch(p, path));
                (include.is_empty() || matches(include)) && !matches(exclude)
            }
        }
    }
}

/// `fnmatch` as `huggingface_hub.utils.filter_repo_objects` uses it: `*` crosses folders, and a
/// pattern ending in `/` means everything below that folder.
fn fnmatch(pattern: &str, path: &str) -> bool {
    let pattern = if pattern.ends_with('/') {
        format!("{pattern}*")
    } else {
        pattern.to_owned()
    };
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    };
    glob::Pattern::new(&pattern).is_ok_and(|p| p.matches_with(path, options))
}

/// Parses what a person pastes: `org/name`, `org/name@revision`, `datasets/org/name`, or a
/// Hub URL (`https://huggingface.co/org/name`, `.../blob/<rev>/<file>`, `.../tree/<rev>`).
impl FromStr for ModelRequest {
    type Err = Error;

    fn from_str(raw: &str) -> Result<ModelRequest> {
        let raw = raw.trim();
        let path = match raw.split_once("://") {
            Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
            None => raw,
        };
        let path = path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_matches('/');
        let (repo_type, path) = match path.split_once('/') {
            Some(("datasets", rest)) => (RepoType::Dataset, rest),
            Some(("spaces", rest)) => (RepoType::Space, rest),
            Some(("models", rest)) => (RepoType::Model, rest),
            _ => (RepoType::Model, path),
        };
        let segments: Vec<&str> = path.split('/').collect();
        let keyword = segments
            .iter()
            .position(|s| matches!(*s, "blob" | "resolve" | "tree"));
        let (repo, revision, file) = match keyword {
            Some(at) if at + 1 < segments.len() => {
                let file = segments[at + 2..].join("/");
                (
                    segments[..at].join("/"),
                    Some(percent_decode(segments[at + 1])),
                    (!file.is_empty()).then_some(file),
                )
            }
            _ => match path.split_once('@') {
                Some((repo, rev)) => (repo.to_owned(), Some(rev.to_owned()), None),
                None => (path.to_owned(), None, None),
            },
        };
        let selection = match file {
            Some(file) if segments.get(keyword.unwrap_or(0)) != Some(&"tree") => {
                Selection::Files(vec![percent_decode(&file)])
            }
            Some(folder) => Selection::Patterns {
                include: vec![format!("{}/", percent_decode(&folder))],
                exclude: vec![],
            },
            None => Selection::All,
        };
        ModelRequest::new(repo_type, &repo, revision.as_deref(), selection)
    }
}

impl fmt::Display for ModelRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.repo_type != RepoType::Model {
            write!(f, "{}/", self.repo_type.plural())?;
        }
        write!(f, "{}@{}", self.repo, self.revision)?;
        match &self.selection {
            Selection::All => Ok(()),
            Selection::Files(files) => write!(f, " [{}]", files.join(", ")),
            Selection::Patterns { include, exclude } => {
                write!(f, " [include {include:?}, exclude {exclude:?}]")
            }
        }
    }
}

/// Told about each retry of a request: the attempt number and what went wrong.
type OnRetry<'a> = dyn Fn(u32, &Error) + Send + Sync + 'a;

/// One file of a planned download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: String,
    pub size: u64,
    /// The blob name: sha256 for LFS files, git sha1 otherwise.
    pub etag: String,
}

/// What a request resolves to on the Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadPlan {
    pub commit: String,
    pub files: Vec<PlannedFile>,
}

/// The result of a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub commit: String,
    /// `snapshots/<commit>/`.
    pub snapshot: PathBuf,
    pub files: Vec<PlannedFile>,
    /// Bytes fetched from the network (0 when everything was already cached).
    pub bytes_fetched: u64,
}

/// Downloads from the Hugging Face Hub into the standard cache.
#[derive(Clone)]
pub struct HuggingFaceVendor {
    hub: HubClient,
    options: TransferOptions,
    /// Files moved at once (the bytes of one file always flow over one connection).
    concurrent_files: usize,
}

impl HuggingFaceVendor {
    pub fn new(hub: HubClient, options: TransferOptions) -> HuggingFaceVendor {
        HuggingFaceVendor {
            hub,
            options,
            concurrent_files: 8,
        }
    }

    pub fn with_concurrent_files(mut self, n: usize) -> Self {
        self.concurrent_files = n.max(1);
        self
    }

    pub fn hub(&self) -> &HubClient {
        &self.hub
    }

    /// Resolves `request` to a commit and the files to fetch, with sizes and hashes from the
    /// Hub (never guessed from names). Server paths that could escape the cache are refused.
    pub async fn plan(
        &self,
        request: &ModelRequest,
        cancel: &CancellationToken,
    ) -> Result<DownloadPlan> {
        self.plan_reporting(request, cancel, &|_, _| {}).await
    }

    /// [`Self::plan`], telling `on_retry` about each retried request.
    async fn plan_reporting(
        &self,
        request: &ModelRequest,
        cancel: &CancellationToken,
        on_retry: &OnRetry<'_>,
    ) -> Result<DownloadPlan> {
        let (repo_type, repo) = (request.repo_type, &request.repo);
        if let Selection::Files(files) = &request.selection
            && files.len() == 1
        {
            // One file: a single HEAD gives its commit, etag and size.
            let meta = self
                .retrying(cancel, on_retry, || {
                    self.hub
                        .file_metadata(repo_type, repo, request.files_at(), &files[0])
                })
                .await?;
            check_commit(&meta.commit)?;
            let file = PlannedFile {
                path: files[0].clone(),
                size: meta.size,
                etag: meta.etag,
            };
            return Ok(DownloadPlan {
                commit: meta.commit,
                files: vec![file],
            });
        }
        let info = self
            .retrying(cancel, on_retry, || {
                self.hub.repo_info(repo_type, repo, request.files_at())
            })
            .await?;
        let commit = info.sha.ok_or_else(|| Error::Protocol {
            host: self.hub_host(),
            reason: "the repo info has no commit".into(),
        })?;
        check_commit(&commit)?;
        let tree = self
            .retrying(cancel, on_retry, || {
                self.hub.list_tree(repo_type, repo, &commit)
            })
            .await?;
        let mut files = Vec::new();
        for entry in tree {
            validate_repo_path(&entry.path).map_err(|_| Error::Protocol {
                host: self.hub_host(),
                reason: format!("the file list names an unsafe path {:?}", entry.path),
            })?;
            if request.wants(&entry.path) {
                files.push(PlannedFile {
                    size: entry.size,
                    etag: entry.etag.into(),
                    path: entry.path.into(),
                });
            }
        }
        if let Selection::Files(wanted) = &request.selection
            && let Some(missing) = wanted.iter().find(|w| !files.iter().any(|f| &f.path == *w))
        {
            return Err(Error::EntryNotFound {
                repo_id: repo.to_string(),
                revision: request.revision.clone(),
                path: missing.clone(),
                commit: Some(commit),
            });
        }
        if files.is_empty() {
            return Err(Error::invalid(
                "selection",
                format!("no file of {repo} matches it"),
            ));
        }
        Ok(DownloadPlan { commit, files })
    }

    /// A metadata request, retried on transient failures (rate limits, 5xx, dropped
    /// connections) like the transfers are.
    async fn retrying<T, Fut: Future<Output = Result<T>>>(
        &self,
        cancel: &CancellationToken,
        on_retry: &OnRetry<'_>,
        request: impl FnMut() -> Fut,
    ) -> Result<T> {
        with_retries(&self.options, cancel, on_retry, request).await
    }

    fn hub_host(&self) -> String {
        crate::hub::host_of(self.hub.endpoint())
    }

    /// Fetches one file into the cache (or links the blob already there).
    #[allow(clippy::too_many_arguments)]
    async fn fetch_file(
        &self,
        request: &ModelRequest,
        cache: &RepoCache,
        commit: &str,
        file: &PlannedFile,
        index: usize,
        job_id: &str,
        cancel: &CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<u64> {
        match self
            .fetch_file_once(
                request, cache, commit, file, index, job_id, cancel, progress,
            )
            .await
        {
            // Bytes damaged in transit: the bad data is gone, so one fresh try is cheap insurance.
            Err(Error::Checksum { .. }) => {
                progress.event(&ProgressEvent::FileRestarted { index });
                self.fetch_file_once(
                    request, cache, commit, file, index, job_id, cancel, progress,
                )
                .await
            }
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn fetch_file_once(
        &self,
        request: &ModelRequest,
        cache: &RepoCache,
        commit: &str,
        file: &PlannedFile,
        index: usize,
        job_id: &str,
        cancel: &CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<u64> {
        if cache.has_pointer(commit, &file.path) && cache.has_blob(&file.etag) {
            progress.event(&ProgressEvent::FileState {
                index,
                state: FileState::Cached,
            });
            return Ok(0);
        }
        // Held until the blob is in place: another job or Python fetching the same blob waits.
        let _lock = cache.lock_blob(&file.etag, cancel).await?;
        if cache.has_blob(&file.etag) {
            cache.link(commit, &file.path, &file.etag)?;
            progress.event(&ProgressEvent::FileState {
                index,
                state: FileState::Cached,
            });
            return Ok(0);
        }
        let checksum = Checksum::for_etag(&file.etag);
        let resolve = resolve_url(
            self.hub.endpoint(),
            request.repo_type,
            &request.repo,
            commit,
            &file.path,
        );
        let lfs = matches!(checksum, Checksum::Sha256(_));
        let report_retry = |attempt: u32, error: &Error| {
            progress.event(&ProgressEvent::Retrying(RetryInfo {
                attempt,
                reason: error.to_string(),
            }))
        };
        // LFS bytes live on the CDN behind a signed URL; a HEAD at the commit gives a fresh one.
        let locate = || {
            let resolve = resolve.clone();
            Box::pin(async move {
                if !lfs {
                    return Ok(resolve);
                }
                let meta = self
                    .retrying(cancel, &report_retry, || {
                        self.hub
                            .file_metadata(request.repo_type, &request.repo, commit, &file.path)
                    })
                    .await?;
                if meta.etag != file.etag {
                    return Err(Error::Protocol {
                        host: self.hub_host(),
                        reason: format!(
                            "{} changed on the server while downloading",
                            escape_controls(&file.path)
                        ),
                    });
                }
                Ok(meta.location)
            }) as std::pin::Pin<Box<dyn Future<Output = Result<String>> + Send + '_>>
        };
        let url = or_cancel(cancel, locate()).await?;
        // Made only once the file is known to be there: a refusal leaves no empty partial.
        let mut partial = match cache.resumable_partial(&file.etag, file.size) {
            Some(partial) => partial,
            None => cache.new_partial(&file.etag, file.size, job_id)?,
        };
        if partial.state.job != job_id {
            partial.state.job = job_id.to_string();
            partial.save_state()?;
        }
        let resumed_from = partial.valid_bytes();
        progress.event(&ProgressEvent::FileState {
            index,
            state: FileState::Downloading,
        });
        let on_event = |event: TransferEvent| match event {
            TransferEvent::Bytes(n) => progress.event(&ProgressEvent::FileBytes { index, n }),
            TransferEvent::Restarted => progress.event(&ProgressEvent::FileRestarted { index }),
            TransferEvent::Retrying { attempt, reason } => {
                progress.event(&ProgressEvent::Retrying(RetryInfo { attempt, reason }))
            }
            TransferEvent::Verifying => progress.event(&ProgressEvent::FileState {
                index,
                state: FileState::Verifying,
            }),
        };
        let transfer = FileTransfer {
            hub: &self.hub,
            name: &file.path,
            url,
            refresh: &locate,
            partial: &mut partial,
            size: file.size,
            checksum,
            options: &self.options,
            cancel,
            on_event: &on_event,
        };
        transfer.run().await?;
        partial.commit_to(&cache.blob_path(&file.etag)?)?;
        cache.link(commit, &file.path, &file.etag)?;
        progress.event(&ProgressEvent::FileState {
            index,
            state: FileState::Done,
        });
        Ok(file.size - resumed_from.min(file.size))
    }
}

fn check_commit(commit: &str) -> Result<()> {
    if crate::repo::is_commit_hash(commit) {
        Ok(())
    } else {
        Err(Error::Protocol {
            host: "the Hub".into(),
            reason: format!("{commit:?} is not a commit hash"),
        })
    }
}

impl VendorSource for HuggingFaceVendor {
    type Request = ModelRequest;

    async fn download(
        &self,
        request: &ModelRequest,
        dest: &Path,
        job_id: &str,
        cancel: CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<Downloaded> {
        let downloaded = self
            .download_into(request, dest, job_id, cancel, progress)
            .await;
        if downloaded.is_err() {
            // Files that never got a byte leave nothing behind, nor do the folders made for
            // them; partial data stays (and keeps its folders) for a resume.
            let cache = RepoCache::new(dest, request.repo_type, &request.repo);
            let cleaned = cache
                .discard_partials_without_data(job_id)
                .and_then(|()| cache.remove_empty_folders());
            // The download's own error is what the person needs to see, not the tidying's.
            if let Err(e) = cleaned {
                tracing::warn!("could not tidy up after a failed download: {e}");
            }
        }
        downloaded
    }
}

impl HuggingFaceVendor {
    async fn download_into(
        &self,
        request: &ModelRequest,
        dest: &Path,
        job_id: &str,
        cancel: CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<Downloaded> {
        progress.event(&ProgressEvent::Phase(Phase::Resolving));
        let cache = RepoCache::new(dest, request.repo_type, &request.repo);
        let report_retry = |attempt: u32, error: &Error| {
            progress.event(&ProgressEvent::Retrying(RetryInfo {
                attempt,
                reason: error.to_string(),
            }))
        };
        let plan = match self.plan_reporting(request, &cancel, &report_retry).await {
            Ok(plan) => plan,
            Err(missing) => {
                if let Error::EntryNotFound {
                    revision,
                    path,
                    commit: Some(commit),
                    ..
                } = &missing
                {
                    // Remember the miss the way Python does, so neither asks the Hub again.
                    cache.mark_missing(commit, path)?;
                    cache.write_ref(revision, commit)?;
                }
                return Err(missing);
            }
        };
        // Before a byte is fetched: a planted link costs no download, and a name the disk
        // cannot hold is not found after the other files were downloaded.
        cache.refuse_links(&plan.commit)?;
        check_names_fit(dest, &cache, &plan)?;
        progress.event(&ProgressEvent::Planned(
            plan.files
                .iter()
                .map(|f| FileProgress {
                    path: f.path.clone(),
                    size: f.size,
                    done: 0,
                    state: FileState::Pending,
                })
                .collect(),
        ));
        check_free_space(dest, &cache, &plan)?;
        progress.event(&ProgressEvent::Phase(Phase::Downloading));
        // Built up front (not polled yet): a closure inside the stream trips the compiler's
        // higher-ranked lifetime check for `Send` futures.
        let fetches: Vec<_> = plan
            .files
            .iter()
            .enumerate()
            .map(|(index, file)| {
                self.fetch_file(
                    request,
                    &cache,
                    &plan.commit,
                    file,
                    index,
                    job_id,
                    &cancel,
                    progress,
                )
            })
            .collect();
        let mut fetched =
            futures_util::stream::iter(fetches).buffer_unordered(self.concurrent_files);
        let mut bytes_fetched = 0;
        while let Some(result) = fetched.next().await {
            // The first failure stops the other files (dropping their futures closes their
            // connections; their partial data stays for a resume). A cancel wins over the
            // errors it caused.
            bytes_fetched += result.map_err(|e| {
                if cancel.is_cancelled() {
                    Error::Cancelled
                } else {
                    e
                }
            })?;
        }
        drop(fetched);
        // Only a complete download moves the branch: a ref never points at half a snapshot.
        cache.write_ref(&request.revision, &plan.commit)?;
        Ok(Downloaded {
            snapshot: cache.dir().join("snapshots").join(&plan.commit),
            commit: plan.commit,
            files: plan.files,
            bytes_fetched,
        })
    }
}

/// Refuses to start when a planned file's name or path is longer than the cache's file system
/// takes.
fn check_names_fit(root: &Path, cache: &RepoCache, plan: &DownloadPlan) -> Result<()> {
    let limits = crate::cache::name_limits(root);
    plan.files
        .iter()
        .try_for_each(|f| cache.check_fits(&plan.commit, &f.path, limits))
}

/// Refuses to start when the cache's disk cannot hold what is left to fetch.
fn check_free_space(root: &Path, cache: &RepoCache, plan: &DownloadPlan) -> Result<()> {
    let needed: u64 = plan
        .files
        .iter()
        .filter(|f| !cache.has_blob(&f.etag))
        .map(|f| {
            f.size
                - cache
                    .resumable_partial(&f.etag, f.size)
                    .map_or(0, |p| p.valid_bytes())
                    .min(f.size)
        })
        .sum();
    let Some(available) = crate::fs::free_space(root) else {
        return Ok(());
    };
    if needed > available {
        return Err(Error::DiskFull {
            path: root.to_owned(),
            needed,
            available,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> ModelRequest {
        raw.parse().unwrap()
    }

    #[test]
    fn pasted_ids_and_urls_become_requests() {
        let r = parse("TheBloke/Llama-2-7B-GGUF");
        assert_eq!(
            (r.repo.as_str(), r.revision.as_str(), &r.selection),
            ("TheBloke/Llama-2-7B-GGUF", "main", &Selection::All)
        );
        assert_eq!(parse("org/name@refs/pr/1").revision, "refs/pr/1");
        let r =
            parse("https://huggingface.co/org/name/blob/v1.0/gguf/model%20Q4.gguf?download=true");
        assert_eq!(
            (r.revision.as_str(), r.selection),
            ("v1.0", Selection::Files(vec!["gguf/model Q4.gguf".into()]))
        );
        let r = parse("https://huggingface.co/datasets/org/data/tree/main/train");
        assert_eq!(r.repo_type, RepoType::Dataset);
        assert_eq!(
            r.selection,
            Selection::Patterns {
                include: vec!["train/".into()],
                exclude: vec![]
            }
        );
        assert_eq!(
            parse("https://huggingface.co/org/name").selection,
            Selection::All
        );
        assert_eq!(parse("org/name@").revision, "main");
        for bad in [
            "",
            "https://huggingface.co/",
            "org/name/blob/main/../../x",
            "a b/c",
            "org/name@a b",
        ] {
            assert!(bad.parse::<ModelRequest>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn patterns_match_like_huggingface_hub() {
        let request = ModelRequest::new(
            RepoType::Model,
            "org/name",
            None,
            Selection::Patterns {
                include: vec!["*Q4_K_M*.gguf".into(), "tokenizer/".into()],
                exclude: vec!["*-00002-*".into()],
            },
        )
        .unwrap();
        assert!(request.wants("gguf/model-Q4_K_M.gguf"), "* crosses folders");
        assert!(request.wants("tokenizer/vocab.txt"));
        assert!(!request.wants("model-Q4_K_M-00002-of-00002.gguf"));
        assert!(!request.wants("model-Q8_0.gguf"));
    }
}
