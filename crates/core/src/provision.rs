//! Turning a request ("this repo, these files, at this revision") into a model in the cache.
//! There is exactly one `provision`, and it takes the caller's token: the provisioner never
//! makes its own, so whoever holds the job can always stop it.

use std::future::Future;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::cache::RepoCache;
use crate::error::{Error, Result};
use crate::progress::ProgressSink;
use crate::repo::{RepoId, RepoType};
use crate::vendor::{HuggingFaceVendor, ModelRequest, VendorSource};

/// Something that can be provisioned: a model snapshot, one file, later a dataset.
pub trait Artifact: Send {
    /// The id the artifact was asked for by.
    fn id(&self) -> String;
}

/// Produces artifacts of type `T`.
pub trait ArtifactProvisioner<T: Artifact>: Send + Sync {
    type Request: Send + Sync;

    /// Makes the artifact `request` names available locally for job `job_id`, reporting to
    /// `progress` and stopping when `cancel` fires ([`crate::error::Error::Cancelled`]).
    /// Below the job registry a job is a plain owner name: the partial files it leaves are
    /// marked with it, so a later run of the same job resumes them.
    fn provision(
        &self,
        request: &Self::Request,
        job_id: &str,
        cancel: CancellationToken,
        progress: &dyn ProgressSink,
    ) -> impl Future<Output = Result<T>> + Send;

    /// Whether this provisioner knows how to fetch what `request` names.
    fn supports(&self, request: &Self::Request) -> bool;
}

/// One file of a provisioned model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelFile {
    /// Path inside the repository.
    pub path: String,
    #[ts(type = "number")]
    pub size: u64,
    /// `snapshots/<commit>/<path>` in the cache.
    #[ts(type = "string")]
    pub local_path: PathBuf,
}

/// A model (or a part of it) available in the cache: what a finished job holds and shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelEntry {
    pub repo_type: RepoType,
    #[ts(type = "string")]
    pub repo: RepoId,
    /// The revision asked for (branch, tag, `refs/pr/N` or commit).
    pub revision: String,
    /// The commit it resolved to.
    pub commit: String,
    /// `snapshots/<commit>/`, ready to hand to a runtime.
    #[ts(type = "string")]
    pub snapshot: PathBuf,
    pub files: Vec<ModelFile>,
    /// Bytes that came over the network this time (0 when all was cached).
    #[ts(type = "number")]
    pub bytes_fetched: u64,
}

impl ModelEntry {
    pub fn size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

impl Artifact for ModelEntry {
    fn id(&self) -> String {
        format!("{}@{}", self.repo, self.revision)
    }
}

/// Provisions models from the Hub into the standard Hugging Face cache.
#[derive(Clone)]
pub struct ModelProvisioner {
    vendor: HuggingFaceVendor,
    cache_root: PathBuf,
}

impl ModelProvisioner {
    pub fn new(vendor: HuggingFaceVendor, cache_root: impl Into<PathBuf>) -> ModelProvisioner {
        ModelProvisioner {
            vendor,
            cache_root: cache_root.into(),
        }
    }

    pub fn cache_root(&self) -> &Path {
        &self.cache_root
    }

    pub fn vendor(&self) -> &HuggingFaceVendor {
        &self.vendor
    }

    /// Removes the partial downloads job `job_id` left for `request` (after a cancel: a
    /// paused job keeps them). Returns the bytes freed.
    pub fn discard_partials(&self, request: &ModelRequest, job_id: &str) -> Result<u64> {
        RepoCache::new(&self.cache_root, request.repo_type, &request.repo).discard_partials(job_id)
    }

    /// Hands the partial downloads job `from` left for `request` to job `to`.
    pub fn hand_partials(&self, request: &ModelRequest, from: &str, to: &str) -> Result<()> {
        RepoCache::new(&self.cache_root, request.repo_type, &request.repo).hand_partials(from, to)
    }
}

impl ModelProvisioner {
    /// The downloaded bytes job `job_id` keeps on disk for `request` as partial files (what a
    /// resume would not fetch again).
    pub fn kept_partial_bytes(&self, request: &ModelRequest, job_id: &str) -> u64 {
        RepoCache::new(&self.cache_root, request.repo_type, &request.repo)
            .partials()
            .iter()
            .filter(|p| p.state.job == job_id)
            .map(|p| p.valid_bytes())
            .sum()
    }
}

impl ArtifactProvisioner<ModelEntry> for ModelProvisioner {
    type Request = ModelRequest;

    async fn provision(
        &self,
        request: &ModelRequest,
        job_id: &str,
        cancel: CancellationToken,
        progress: &dyn ProgressSink,
    ) -> Result<ModelEntry> {
        if !self.supports(request) {
            return Err(Error::invalid(
                "repository",
                format!(
                    "{} is a Space: Spaces are apps that run on the Hub, not models or datasets to download",
                    request.repo
                ),
            ));
        }
        let downloaded = self
            .vendor
            .download(request, &self.cache_root, job_id, cancel, progress)
            .await?;
        let files = downloaded
            .files
            .iter()
            .map(|f| ModelFile {
                path: f.path.clone(),
                size: f.size,
                local_path: downloaded.snapshot.join(&f.path),
            })
            .collect();
        Ok(ModelEntry {
            repo_type: request.repo_type,
            repo: request.repo.clone(),
            revision: request.revision.clone(),
            commit: downloaded.commit,
            snapshot: downloaded.snapshot,
            files,
            bytes_fetched: downloaded.bytes_fetched,
        })
    }

    fn supports(&self, request: &ModelRequest) -> bool {
        // Spaces are apps, not artifacts to run locally.
        request.repo_type != RepoType::Space
    }
}
