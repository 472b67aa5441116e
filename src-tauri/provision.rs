//! Turning a request ("this repo, these files, at this revision") into an artifact on disk.
//! There is exactly one `provision`, and it takes the caller's token: the provisioner never
//! makes its own, so whoever holds the job can always stop it.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::jobs::JobId;

/// Something that can be provisioned: a model snapshot, one file, later a dataset.
pub trait Artifact: Send {
    /// The id the artifact was asked for by.
    fn id(&self) -> &str;
}

/// Produces artifacts of type `T`.
pub trait ArtifactProvisioner<T: Artifact>: Send + Sync {
    /// Makes artifact `id` available locally for job `job_id`, stopping when `cancel` fires.
    fn provision(
        &self,
        id: &str,
        job_id: &JobId,
        cancel: CancellationToken,
    ) -> impl Future<Output = Result<T>> + Send;

    /// Whether this provisioner knows how to fetch `id`.
    fn supports(&self, id: &str) -> bool;
}
