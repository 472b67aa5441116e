//! Download jobs: the registry that maps each job to its request, its state, its latest
//! progress and, while it lives, its `CancellationToken`. It queues jobs behind a concurrency
//! limit, turns the engine's progress into rate-limited reports with a smoothed speed and an
//! ETA, keeps unfinished jobs on disk so they can be resumed after a restart, and tells the
//! app when the job list changes.
//!
//! A job's life ([`JobState`]): `queued -> running -> completed`, while running the engine's
//! own phase (resolving, downloading, retrying, verifying); from any live state `cancelled`
//! (partial data deleted), `paused` (kept) or `failed`. A job whose transfer breaks because the
//! Hub endpoint became unreachable is not failed: it is `waitingForNetwork` and resumes from
//! its partial data when the endpoint answers again. Every run ends in exactly one terminal
//! report. This module alone decides how often a job reports and which states are live.

mod report;
mod store;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use ts_rs::TS;

use self::report::SpeedMeter;
pub use self::report::{JobProgress, JobState};
use crate::connectivity::Connectivity;
use crate::error::{Error, ErrorKind, ErrorReport, Result};
use crate::progress::{Progress, ProgressEvent, ProgressSink};
use crate::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use crate::repo::RepoType;
use crate::vendor::{ModelRequest, Selection};

/// Identifies one download job for its whole life, across restarts. Serialized as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct JobId(String);

impl JobId {
    pub fn new(raw: impl Into<String>) -> JobId {
        JobId(raw.into())
    }

    /// A fresh id: time-ordered, unique within the process and across restarts.
    fn generate() -> JobId {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        JobId(format!(
            "job-{millis:x}-{:x}",
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to download, as the frontend asks for it and as it is kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DownloadRequest {
    #[serde(default)]
    pub repo_type: RepoType,
    pub repo: String,
    /// The branch, tag or PR the person chose (the default branch when absent).
    #[serde(default)]
    pub revision: Option<String>,
    /// The commit `revision` was at when the files were chosen: they are fetched from it and
    /// `refs/<revision>` points at it afterwards.
    #[serde(default)]
    pub commit: Option<String>,
    /// Exactly these files; when empty, `include`/`exclude` choose (all files when both are
    /// empty too).
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl DownloadRequest {
    /// Validates the request into what the engine takes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad repo id, revision, path or pattern.
    pub fn to_model_request(&self) -> Result<ModelRequest> {
        let selection = match (
            self.files.is_empty(),
            self.include.is_empty() && self.exclude.is_empty(),
        ) {
            (false, true) => Selection::Files(self.files.clone()),
            (true, false) => Selection::Patterns {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
            },
            (true, true) => Selection::All,
            (false, false) => {
                return Err(Error::invalid(
                    "selection",
                    "give files or patterns, not both",
                ));
            }
        };
        let request = ModelRequest::new(
            self.repo_type,
            &self.repo,
            self.revision.as_deref(),
            selection,
        )?;
        match &self.commit {
            Some(commit) => request.pinned_to(commit),
            None => Ok(request),
        }
    }
}

/// Receives one job's reports. Must not block: hand the report over and return.
pub trait JobSink: Send + Sync {
    /// Takes `progress`; `false` when nobody listens any more (a window reloaded or closed),
    /// and the registry drops this sink.
    fn send(&self, progress: &JobProgress) -> bool;
}

impl<F: Fn(&JobProgress) + Send + Sync> JobSink for F {
    fn send(&self, progress: &JobProgress) -> bool {
        self(progress);
        true
    }
}

/// A job as the frontend lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: JobId,
    pub request: DownloadRequest,
    pub progress: JobProgress,
    /// What the last run put in the cache, once it completed.
    pub entry: Option<ModelEntry>,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub created_at: u64,
}

/// Why a live job was told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Pause,
    Cancel,
}

/// What a live run holds.
struct Live {
    token: CancellationToken,
    stop: Option<Stop>,
    sinks: Vec<Arc<dyn JobSink>>,
}

struct Job {
    id: JobId,
    request: DownloadRequest,
    progress: JobProgress,
    entry: Option<ModelEntry>,
    created_at: u64,
    live: Option<Live>,
}

impl Job {
    /// Whether it has ended (completed, cancelled or failed): not running, queued or paused.
    fn has_ended(&self) -> bool {
        self.live.is_none() && self.progress.state != JobState::Paused
    }

    fn view(&self) -> JobView {
        JobView {
            id: self.id.clone(),
            request: self.request.clone(),
            progress: self.progress.clone(),
            entry: self.entry.clone(),
            created_at: self.created_at,
        }
    }
}

struct State {
    jobs: Vec<Job>,
    /// Jobs waiting for a slot, first come first served.
    queue: VecDeque<JobId>,
    running: usize,
    limit: usize,
}

impl State {
    fn job(&mut self, id: &JobId) -> Result<&mut Job> {
        self.jobs
            .iter_mut()
            .find(|j| &j.id == id)
            .ok_or_else(|| Error::JobNotFound { id: id.to_string() })
    }
}

struct Inner {
    state: Mutex<State>,
    provisioner: Mutex<ModelProvisioner>,
    /// Parent of every job's token: cancelling it stops everything (at exit).
    root: CancellationToken,
    tasks: TaskTracker,
    /// Where job tasks run (commands may call from threads outside any runtime).
    runtime: tokio::runtime::Handle,
    /// Wakes queued jobs when a slot frees up or the limit grows.
    slots: Notify,
    /// Where unfinished jobs are kept; `None` keeps nothing (tests, the command line).
    store: Option<PathBuf>,
    /// Jobs wait on it while the endpoint is unreachable.
    connectivity: Connectivity,
    on_change: Box<dyn Fn(JobEvent) + Send + Sync>,
}

/// What the registry tells its owner.
#[derive(Debug, Clone)]
pub enum JobEvent {
    /// The job list changed: a job was added, removed, or changed state.
    Changed,
    /// A run ended (completed, failed, cancelled or paused); the list changed too.
    Ended(Box<JobView>),
}

/// The registry of download jobs. Cheap to clone; all clones share the jobs.
#[derive(Clone)]
pub struct JobRegistry {
    inner: Arc<Inner>,
}

/// How often a running job reports (at most), and how fast its speed estimate reacts.
pub const REPORT_EVERY: Duration = Duration::from_millis(100);

/// The repositories of jobs that may still resume a partial download (every job not
/// completed), each with the newest such job.
fn repos_in_use(jobs: &[Job]) -> HashMap<(RepoType, String), JobId> {
    jobs.iter()
        .filter(|j| j.progress.state != JobState::Completed)
        .map(|j| ((j.request.repo_type, j.request.repo.clone()), j.id.clone()))
        .collect()
}

impl JobRegistry {
    /// A registry running at most `limit` jobs at once. Unfinished jobs from `store` (if any)
    /// come back as paused; `on_change` hears whenever the job list changes and when a run
    /// ends.
    pub fn new(
        provisioner: ModelProvisioner,
        limit: usize,
        store: Option<PathBuf>,
        connectivity: Connectivity,
        runtime: tokio::runtime::Handle,
        on_change: impl Fn(JobEvent) + Send + Sync + 'static,
    ) -> JobRegistry {
        let jobs = store.as_deref().map(store::load).unwrap_or_default();
        JobRegistry {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    jobs,
                    queue: VecDeque::new(),
                    running: 0,
                    limit: limit.max(1),
                }),
                provisioner: Mutex::new(provisioner),
                root: CancellationToken::new(),
                tasks: TaskTracker::new(),
                runtime,
                slots: Notify::new(),
                store,
                connectivity,
                on_change: Box::new(on_change),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the registry down with it.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the provisioner (new endpoint, token, cache folder, limits) for jobs that
    /// start from now on.
    pub fn set_provisioner(&self, provisioner: ModelProvisioner) {
        *self
            .inner
            .provisioner
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = provisioner;
    }

    /// The provisioner new runs use.
    fn provisioner(&self) -> ModelProvisioner {
        self.inner
            .provisioner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes how many jobs run at once; queued jobs start if there is room now.
    pub fn set_limit(&self, limit: usize) {
        self.state().limit = limit.max(1);
        self.inner.slots.notify_waiters();
    }

    /// Starts downloading `request` and returns its job id at once. Asking again for a
    /// download that is already live returns the live job, attaching `sink` to it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad request, before anything is registered.
    pub fn start(&self, request: DownloadRequest, sink: Arc<dyn JobSink>) -> Result<JobId> {
        let model_request = request.to_model_request()?;
        let mut state = self.state();
        if let Some(job) = state
            .jobs
            .iter_mut()
            .find(|j| j.request == request && j.live.is_some())
        {
            let id = job.id.clone();
            drop(state);
            self.attach(&id, sink)?;
            return Ok(id);
        }
        let id = JobId::generate();
        tracing::info!(job = %id, ?request, "download queued");
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        state.jobs.push(Job {
            id: id.clone(),
            request,
            progress: JobProgress::queued(&id),
            entry: None,
            created_at,
            live: None,
        });
        self.launch(&mut state, &id, model_request, sink);
        drop(state);
        // Saved at once, so even a crash leaves it to resume at the next launch.
        self.persist();
        self.changed();
        Ok(id)
    }

    /// Registers the live run of job `id` (its token first, before any I/O) and spawns it.
    fn launch(&self, state: &mut State, id: &JobId, request: ModelRequest, sink: Arc<dyn JobSink>) {
        let token = self.inner.root.child_token();
        if let Ok(job) = state.job(id) {
            job.live = Some(Live {
                token: token.clone(),
                stop: None,
                sinks: vec![sink],
            });
            job.progress = job.progress.clone().terminal(JobState::Queued, None);
            job.entry = None;
        }
        state.queue.push_back(id.clone());
        let registry = self.clone();
        let id = id.clone();
        self.inner.tasks.spawn_on(
            async move { registry.run(id, request, token).await },
            &self.inner.runtime,
        );
    }

    /// Stops a job for good and deletes its partial data. Cancelling a finished job is fine;
    /// an unknown id is [`Error::JobNotFound`].
    pub fn cancel(&self, id: &JobId) -> Result<()> {
        let mut state = self.state();
        let job = state.job(id)?;
        if let Some(live) = job.live.as_mut() {
            live.stop = Some(Stop::Cancel);
            live.token.cancel();
            return Ok(());
        }
        if job.progress.state == JobState::Paused {
            // Nothing runs: remove what the paused run left, right here.
            let request = job.request.to_model_request()?;
            self.provisioner().discard_partials(&request, id.as_str())?;
            job.progress = job.progress.clone().terminal(JobState::Cancelled, None);
            drop(state);
            self.persist();
            self.changed();
        }
        Ok(())
    }

    /// Stops a job and keeps its partial data, to be resumed later.
    pub fn pause(&self, id: &JobId) -> Result<()> {
        let mut state = self.state();
        let job = state.job(id)?;
        if let Some(live) = job.live.as_mut() {
            live.stop = Some(Stop::Pause);
            live.token.cancel();
        }
        Ok(())
    }

    /// Sends job `id`'s reports to `sink` too, starting with its latest one (a finished job
    /// gets just that). How a reloaded window listens again to the jobs it lost track of.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`] for an unknown id.
    pub fn attach(&self, id: &JobId, sink: Arc<dyn JobSink>) -> Result<()> {
        let latest = {
            let mut state = self.state();
            let job = state.job(id)?;
            if let Some(live) = job.live.as_mut() {
                live.sinks.push(sink.clone());
            }
            job.progress.clone()
        };
        if !sink.send(&latest) {
            self.drop_sinks(id, &[sink]);
        }
        Ok(())
    }

    /// Runs a paused, failed or cancelled job again, reporting to `sink`; partial data left
    /// by earlier runs is reused. A live job just gets `sink` attached.
    pub fn resume(&self, id: &JobId, sink: Arc<dyn JobSink>) -> Result<()> {
        let mut state = self.state();
        let job = state.job(id)?;
        if job.live.is_some() {
            drop(state);
            return self.attach(id, sink);
        }
        if job.progress.state == JobState::Completed {
            return Err(Error::invalid("job", format!("{id} is already complete")));
        }
        let request = job.request.to_model_request()?;
        self.launch(&mut state, id, request, sink);
        drop(state);
        self.persist();
        self.changed();
        Ok(())
    }

    /// Every job, oldest first.
    pub fn list(&self) -> Vec<JobView> {
        self.state().jobs.iter().map(Job::view).collect()
    }

    /// Forgets finished jobs (completed, cancelled, failed); paused and live ones stay. The
    /// failed ones' partial data goes with them ([`Self::remove`]); returns the bytes freed.
    pub fn clear_finished(&self) -> Result<u64> {
        Ok(self.forget(self.state(), Job::has_ended))
    }

    /// Forgets one finished job (completed, cancelled or failed). A failed job's partial data
    /// goes with it: the list was the way back to those bytes. Returns the bytes that freed.
    ///
    /// # Errors
    ///
    /// [`Error::JobNotFound`] for an unknown id; [`Error::InvalidInput`] for a job that runs,
    /// waits in the queue or is paused: forgetting it would leave its partial data with no
    /// way to resume or remove it.
    pub fn remove(&self, id: &JobId) -> Result<u64> {
        let mut state = self.state();
        if !state.job(id)?.has_ended() {
            return Err(Error::invalid(
                "job",
                format!("{id} has not finished; cancel it before removing it from the list"),
            ));
        }
        Ok(self.forget(state, |j| j.id == *id))
    }

    /// Takes the jobs `which` picks off the list (saved), then deals with the partial data of
    /// the failed ones ([`Self::discard_partials_of_failed`]); returns the bytes freed.
    fn forget(&self, mut state: MutexGuard<'_, State>, which: impl Fn(&Job) -> bool) -> u64 {
        let (forgotten, kept): (Vec<Job>, Vec<Job>) =
            std::mem::take(&mut state.jobs).into_iter().partition(which);
        state.jobs = kept;
        let still_listed = repos_in_use(&state.jobs);
        drop(state);
        self.persist();
        self.changed();
        self.discard_partials_of_failed(&forgotten, &still_listed)
    }

    /// Removes what failed jobs left half-downloaded (a cancelled job's went when it stopped).
    /// Jobs of one repository resume each other's partial files, so while one of that
    /// repository is still listed it inherits them instead: they go when it is cancelled or
    /// finishes without them. Returns the bytes freed; a partial that cannot be removed is left
    /// to Clean up, and said in the log.
    fn discard_partials_of_failed(
        &self,
        jobs: &[Job],
        still_listed: &HashMap<(RepoType, String), JobId>,
    ) -> u64 {
        let mut freed = 0;
        for job in jobs.iter().filter(|j| j.progress.state == JobState::Failed) {
            let heir = still_listed.get(&(job.request.repo_type, job.request.repo.clone()));
            let outcome = job
                .request
                .to_model_request()
                .and_then(|request| match heir {
                    Some(heir) => self
                        .provisioner()
                        .hand_partials(&request, job.id.as_str(), heir.as_str())
                        .map(|()| 0),
                    None => self
                        .provisioner()
                        .discard_partials(&request, job.id.as_str()),
                });
            match outcome {
                Ok(bytes) => freed += bytes,
                Err(e) => tracing::warn!(job = %job.id, "left its partial data to Clean up: {e}"),
            }
        }
        freed
    }

    /// Pauses every live job, waits up to `timeout` for them to stop writing, and saves the
    /// unfinished ones for the next launch.
    pub async fn shutdown(&self, timeout: Duration) {
        for job in self.state().jobs.iter_mut() {
            if let Some(live) = job.live.as_mut() {
                live.stop = Some(Stop::Pause);
            }
        }
        self.inner.root.cancel();
        self.inner.tasks.close();
        let _ = tokio::time::timeout(timeout, self.inner.tasks.wait()).await;
        self.persist();
    }

    fn changed(&self) {
        (self.inner.on_change)(JobEvent::Changed);
    }

    fn persist(&self) {
        if let Some(path) = &self.inner.store {
            let views = self.list();
            // Best effort: failing to save only loses the offer to resume after a restart.
            let _ = store::save(path, &views);
        }
    }

    /// Sends `progress` to the job's sinks and records it.
    fn report(&self, id: &JobId, progress: JobProgress) {
        let sinks = {
            let mut state = self.state();
            let Ok(job) = state.job(id) else { return };
            job.progress = progress.clone();
            job.live
                .as_ref()
                .map(|l| l.sinks.clone())
                .unwrap_or_default()
        };
        let gone: Vec<_> = sinks.into_iter().filter(|s| !s.send(&progress)).collect();
        if !gone.is_empty() {
            self.drop_sinks(id, &gone);
        }
    }

    /// Forgets sinks whose listener is gone.
    fn drop_sinks(&self, id: &JobId, gone: &[Arc<dyn JobSink>]) {
        let mut state = self.state();
        if let Ok(Job {
            live: Some(live), ..
        }) = state.job(id)
        {
            live.sinks
                .retain(|sink| !gone.iter().any(|g| Arc::ptr_eq(g, sink)));
        }
    }

    /// Waits for this job's turn under the concurrency limit. `false` when stopped first.
    async fn wait_turn(&self, id: &JobId, token: &CancellationToken) -> bool {
        loop {
            let notified = self.inner.slots.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.state();
                if state.running < state.limit && state.queue.front() == Some(id) {
                    state.queue.pop_front();
                    state.running += 1;
                    drop(state);
                    // The next in line may fit too.
                    self.inner.slots.notify_waiters();
                    return true;
                }
            }
            tokio::select! {
                _ = token.cancelled() => {
                    self.state().queue.retain(|q| q != id);
                    self.inner.slots.notify_waiters();
                    return false;
                }
                _ = &mut notified => {}
            }
        }
    }

    async fn run(&self, id: JobId, request: ModelRequest, token: CancellationToken) {
        // Clears the live entry on every way out, a panic included.
        let mut guard = RunGuard {
            registry: self.clone(),
            id: id.clone(),
            counted: false,
            finished: false,
        };
        if !self.wait_turn(&id, &token).await {
            let outcome = self.stop_outcome(&id);
            guard.finish(outcome, None);
            return;
        }
        guard.counted = true;
        let connectivity = &self.inner.connectivity;
        let (result, provisioner) = loop {
            if !connectivity.is_online() {
                self.report_state(&id, JobState::WaitingForNetwork);
                if connectivity.wait_online(&token).await.is_err() {
                    break (Err(Error::Cancelled), self.provisioner());
                }
            }
            // Taken afresh each time: the endpoint or the token may have changed meanwhile.
            let provisioner = self.provisioner();
            let result = self.provision(&provisioner, &id, &request, &token).await;
            let offline = match &result {
                Err(error) if !token.is_cancelled() => tokio::select! {
                    offline = connectivity.after_error(error) => offline,
                    _ = token.cancelled() => false,
                },
                _ => false,
            };
            if !offline {
                break (result, provisioner);
            }
            tracing::info!(job = %id, "waiting for the network: {:?}", result.err());
        };
        // A stop that came while the failure was being looked into is still a stop.
        let result = if token.is_cancelled() {
            result.map_err(|_| Error::Cancelled)
        } else {
            result
        };
        match result {
            Ok(entry) => {
                if let Ok(job) = self.state().job(&id) {
                    job.entry = Some(entry);
                }
                // What is still this job's is what it inherited and did not need.
                if let Err(e) = provisioner.discard_partials(&request, id.as_str()) {
                    tracing::warn!(job = %id, "left inherited partial data to Clean up: {e}");
                }
                guard.finish(JobState::Completed, None);
            }
            Err(Error::Cancelled) => {
                let outcome = self.stop_outcome(&id);
                if outcome == JobState::Cancelled
                    && let Err(e) = provisioner.discard_partials(&request, id.as_str())
                {
                    guard.finish(JobState::Failed, Some(ErrorReport::from(e)));
                    return;
                }
                guard.finish(outcome, None);
            }
            Err(e) => guard.finish(JobState::Failed, Some(failure_report(&request, e))),
        }
    }

    /// One attempt at the download, reporting progress every [`REPORT_EVERY`].
    async fn provision(
        &self,
        provisioner: &ModelProvisioner,
        id: &JobId,
        request: &ModelRequest,
        token: &CancellationToken,
    ) -> Result<ModelEntry> {
        let latest = Arc::new(Mutex::new(None::<Progress>));
        let sink = FoldedProgress(latest.clone());
        let mut meter = SpeedMeter::default();
        let provision = provisioner.provision(request, id.as_str(), token.clone(), &sink);
        tokio::pin!(provision);
        let mut tick = tokio::time::interval(REPORT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                result = &mut provision => {
                    // The engine's last word may be younger than the last tick: a run that
                    // fails right after planning still ends with the planned sizes.
                    let last = latest.lock().unwrap_or_else(|p| p.into_inner()).take();
                    if let Some(last) = last {
                        self.remember_sizes(id, &last);
                    }
                    return result;
                }
                _ = tick.tick() => {
                    let snapshot = latest.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    if let Some(snapshot) = snapshot
                        && let Some(report) = meter.report(id, &snapshot)
                    {
                        self.report(id, report);
                    }
                }
            }
        }
    }

    /// Records the bytes and files of `snapshot` for the job's next report, sending nothing.
    fn remember_sizes(&self, id: &JobId, snapshot: &Progress) {
        let mut state = self.state();
        if let Ok(job) = state.job(id) {
            job.progress.download = snapshot.clone();
        }
    }

    /// Reports the job's latest numbers in `state`, standing still.
    fn report_state(&self, id: &JobId, state: JobState) {
        let progress = {
            let mut jobs = self.state();
            let Ok(job) = jobs.job(id) else { return };
            job.progress.clone().still(state)
        };
        self.report(id, progress);
    }

    /// Whether a stopped job was paused or cancelled (a stop at exit is a pause).
    fn stop_outcome(&self, id: &JobId) -> JobState {
        let mut state = self.state();
        match state
            .job(id)
            .ok()
            .and_then(|j| j.live.as_ref())
            .and_then(|l| l.stop)
        {
            Some(Stop::Cancel) => JobState::Cancelled,
            _ => JobState::Paused,
        }
    }
}

/// The report of a failed run. The job knows its repo even when the error does not name it,
/// and the frontend's next step (request access, open on the Hub) needs it.
fn failure_report(request: &ModelRequest, error: Error) -> ErrorReport {
    let mut report = ErrorReport::from(error);
    if matches!(
        report.kind,
        ErrorKind::Gated | ErrorKind::NotFound | ErrorKind::Unauthorized
    ) && report.context.repo.is_none()
    {
        report.context.repo = Some(request.repo.to_string());
    }
    report
}

/// Folds the engine's events into the run's progress, for the job's ticker to report.
struct FoldedProgress(Arc<Mutex<Option<Progress>>>);

impl ProgressSink for FoldedProgress {
    fn event(&self, event: &ProgressEvent) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(Progress::default)
            .apply(event);
    }
}

/// Ends a run exactly once: the terminal report, the live entry cleared, the slot freed.
struct RunGuard {
    registry: JobRegistry,
    id: JobId,
    counted: bool,
    finished: bool,
}

impl RunGuard {
    fn finish(&mut self, outcome: JobState, error: Option<ErrorReport>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let (report, sinks) = {
            let mut state = self.registry.state();
            if self.counted {
                state.running = state.running.saturating_sub(1);
            }
            state.queue.retain(|q| q != &self.id);
            let Ok(job) = state.job(&self.id) else { return };
            job.progress = job.progress.clone().terminal(outcome, error);
            let sinks = job.live.take().map(|l| l.sinks).unwrap_or_default();
            (job.view(), sinks)
        };
        self.registry.inner.slots.notify_waiters();
        for sink in sinks {
            // The run is over: a sink that is gone is dropped with the rest.
            sink.send(&report.progress);
        }
        self.registry.persist();
        match (outcome, &report.progress.error) {
            (JobState::Failed, Some(error)) => {
                tracing::warn!(job = %self.id, kind = ?error.kind, "download failed: {}", error.message);
            }
            _ => tracing::info!(job = %self.id, ?outcome, "download ended"),
        }
        (self.registry.inner.on_change)(JobEvent::Ended(Box::new(report)));
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        // Reached without `finish` only by a panic inside the run.
        let error = ErrorReport::from(Error::Internal("the download stopped unexpectedly".into()));
        self.finish(JobState::Failed, Some(error));
    }
}
