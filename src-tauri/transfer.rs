//! The byte mover: streams a file body to disk with ranged and parallel GETs, resumes after
//! stalls and drops, retries with bounded back-off, hashes while it writes, and stops the
//! moment its cancellation token fires. Built by the download-engine work (issue 3).
