//! Where artifacts come from. A [`VendorSource`] downloads one artifact into place;
//! `HuggingFaceVendor` (the download-engine work, issue 3) plans and runs a Hub download.

use std::future::Future;
use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::jobs::JobId;

/// A place artifacts come from: the Hub today, a plain URL or a mirror later.
pub trait VendorSource: Send + Sync {
    /// Downloads artifact `id` to `dest` for job `job_id` and returns its size in bytes.
    ///
    /// # Cancellation
    ///
    /// Every await inside races `cancel`; once it fires the transfer stops, the connection is
    /// dropped, and the call returns [`crate::error::Error::Cancelled`].
    fn download(
        &self,
        id: &str,
        dest: &Path,
        job_id: &JobId,
        cancel: CancellationToken,
    ) -> impl Future<Output = Result<u64>> + Send;
}
