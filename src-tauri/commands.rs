//! The IPC commands. Each one checks its arguments, calls the core and maps the result;
//! nothing here knows how a download or the cache works. Every failure reaches the frontend as
//! an [`ErrorReport`] (`{kind, message}`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt as _;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::{AppState, CACHE_CHANGED};
use modelshelf_core::cache::{CacheScan, Freed, MoveProgress, RepoCache};
use modelshelf_core::error::{Error, ErrorReport};
use modelshelf_core::hub::{Gated, HubClient, SearchQuery};
use modelshelf_core::jobs::{DownloadRequest, JobId, JobProgress, JobSink, JobView};
use modelshelf_core::machine::MachineProfile;
use modelshelf_core::repo::{RepoId, RepoType};
use modelshelf_core::settings::{MAX_CONNECTIONS_PER_FILE, Preferences, Source};
use modelshelf_core::shelf::{self, Hashing, Imported, Sharing, Survey};

type CommandResult<T> = Result<T, ErrorReport>;

/// Runs file work on the blocking pool: a sync command would run on the window's own thread
/// and freeze it for as long as the disk takes, and an async worker must not wait on a disk
/// either.
async fn off_the_main_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> CommandResult<T> {
    let result = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("a background task failed: {e}")))?;
    Ok(result?)
}

/// What the app is and where it points, for the status bar.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    /// The Hub endpoint in use (`HF_ENDPOINT`, the Settings, or the public Hub).
    pub endpoint: String,
    /// The cache root shared with Python's `huggingface_hub`.
    pub cache_dir: String,
    /// Whether an access token was found (its value never crosses IPC).
    pub has_token: bool,
    /// `HF_HUB_OFFLINE` is set.
    pub offline: bool,
    /// Whether the endpoint answered the last time it was asked.
    pub online: bool,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> CommandResult<AppInfo> {
    let settings = state.settings();
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        endpoint: settings.endpoint.clone(),
        cache_dir: settings.cache_dir.display().to_string(),
        has_token: settings.token.is_some(),
        offline: settings.offline,
        online: state.connectivity().is_online(),
    })
}

/// This machine's RAM and GPU memory, for the recommended quantization and the fit hints.
/// Off the main thread: finding an NVIDIA card runs `nvidia-smi`, which may take seconds.
#[tauri::command]
pub async fn machine_profile() -> CommandResult<MachineProfile> {
    off_the_main_thread(|| Ok(MachineProfile::detect())).await
}

/// Asks the endpoint now whether it answers (the "Try again" of the offline notice).
#[tauri::command]
pub async fn check_connection(state: State<'_, AppState>) -> CommandResult<bool> {
    Ok(state.connectivity().check().await)
}

/// What a person sends along with a problem report: no token, no personal files.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    pub version: String,
    /// Operating system and architecture.
    pub platform: String,
    pub settings: SettingsView,
    pub online: bool,
    /// The folder of the log files, and the one being written.
    pub log_dir: String,
    pub log_file: Option<String>,
    #[ts(type = "number | null")]
    pub memory_total: Option<u64>,
    /// All of the above as plain text, for "Copy diagnostics".
    pub text: String,
}

#[tauri::command]
pub fn diagnostics(state: State<'_, AppState>) -> CommandResult<Diagnostics> {
    let settings = settings_view(&state);
    let log_dir = state.paths.logs.clone();
    let log_file =
        modelshelf_core::logging::current_file(&log_dir).map(|p| p.display().to_string());
    let platform = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    let online = state.connectivity().is_online();
    let memory_total = modelshelf_core::machine::total_memory();
    let log_where = log_file
        .clone()
        .unwrap_or_else(|| log_dir.display().to_string());
    let text = modelshelf_core::diagnostics::text(
        &state.settings(),
        &modelshelf_core::diagnostics::Facts {
            platform: &platform,
            memory_total,
            online,
            log: &log_where,
        },
    );
    Ok(Diagnostics {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        platform,
        settings,
        online,
        log_dir: log_dir.display().to_string(),
        log_file,
        memory_total,
        text,
    })
}

/// Shows the log file (or its folder, before anything was logged) in the file manager.
#[tauri::command]
pub async fn reveal_log<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    let dir = state.paths.logs.clone();
    // Asking the file manager goes over D-Bus, which may be slow or hang.
    off_the_main_thread(move || {
        let opened = match modelshelf_core::logging::current_file(&dir) {
            Some(file) => app.opener().reveal_item_in_dir(file),
            None => app
                .opener()
                .open_path(dir.display().to_string(), None::<&str>),
        };
        opened.map_err(|e| Error::Internal(format!("cannot open the file manager: {e}")))
    })
    .await
}

/// A setting's value and where it comes from.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingValue {
    pub value: String,
    pub source: Source,
    /// The environment variable that sets it (`HF_ENDPOINT`, `HF_HOME`...), when the source
    /// is the environment: the place to change it.
    pub variable: Option<String>,
}

/// The Settings view's content.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub endpoint: SettingValue,
    pub cache_dir: SettingValue,
    /// The token, masked (`hf_…wxyz`), or `None`.
    pub token: Option<SettingValue>,
    pub token_path: String,
    pub concurrent_jobs: u32,
    pub connections_per_file: u32,
    /// The most [`Self::connections_per_file`] may be.
    pub connections_per_file_max: u32,
    /// Bytes per second for all downloads; `None` for no cap.
    #[ts(type = "number | null")]
    pub max_download_rate: Option<u64>,
    pub offline: bool,
}

fn settings_view(state: &AppState) -> SettingsView {
    let s = state.settings();
    let masked = s.token.as_ref().map(|t| {
        let secret = t.expose();
        let tail: String = secret
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        SettingValue {
            value: format!("{}…{tail}", secret.chars().take(3).collect::<String>()),
            source: s.token_source,
            variable: s.token_variable.map(str::to_owned),
        }
    });
    SettingsView {
        endpoint: SettingValue {
            value: s.endpoint.clone(),
            source: s.endpoint_source,
            variable: s.endpoint_variable.map(str::to_owned),
        },
        cache_dir: SettingValue {
            value: s.cache_dir.display().to_string(),
            source: s.cache_dir_source,
            variable: s.cache_dir_variable.map(str::to_owned),
        },
        token: masked,
        token_path: s.token_path.display().to_string(),
        concurrent_jobs: s.concurrent_jobs as u32,
        connections_per_file: s.connections_per_file as u32,
        connections_per_file_max: MAX_CONNECTIONS_PER_FILE as u32,
        max_download_rate: s.max_download_rate,
        offline: s.offline,
    }
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> CommandResult<SettingsView> {
    Ok(settings_view(&state))
}

/// Changes to the settings; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsUpdate {
    /// An empty string goes back to the public Hub.
    pub endpoint: Option<String>,
    /// An empty string goes back to the default folder. Files are not moved.
    pub cache_dir: Option<String>,
    /// Saved to the Hub's token file (shared with Python); an empty string logs out.
    pub token: Option<String>,
    #[ts(type = "number | null")]
    pub concurrent_jobs: Option<i64>,
    #[ts(type = "number | null")]
    pub connections_per_file: Option<i64>,
    /// Bytes per second; 0 for no cap.
    #[ts(type = "number | null")]
    pub max_download_rate: Option<i64>,
}

fn in_range(what: &'static str, value: i64, min: i64, max: i64) -> Result<u32, Error> {
    if (min..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(Error::invalid(
            what,
            format!("{value} is not between {min} and {max}"),
        ))
    }
}

/// Saves the settings (files on disk, a new Hub client, a new watch on the cache folder):
/// off the main thread.
#[tauri::command]
pub async fn set_settings<R: Runtime>(
    app: AppHandle<R>,
    update: SettingsUpdate,
) -> CommandResult<SettingsView> {
    off_the_main_thread(move || apply_settings(&app, update)).await
}

fn apply_settings<R: Runtime>(
    app: &AppHandle<R>,
    update: SettingsUpdate,
) -> Result<SettingsView, Error> {
    let state = app.state::<AppState>();
    let mut prefs = Preferences::load(&state.paths.preferences);
    if let Some(endpoint) = update.endpoint {
        let endpoint = endpoint.trim();
        prefs.endpoint = if endpoint.is_empty() {
            None
        } else {
            Some(modelshelf_core::settings::parse_endpoint(endpoint)?)
        };
    }
    if let Some(dir) = update.cache_dir {
        let dir = dir.trim();
        let absolute = dir.starts_with('/') || dir.starts_with('~') || Path::new(dir).is_absolute();
        if !dir.is_empty() && !absolute {
            return Err(Error::invalid(
                "cache folder",
                format!("{dir:?} is not an absolute path"),
            ));
        }
        prefs.cache_dir = (!dir.is_empty()).then(|| dir.to_owned());
    }
    if let Some(n) = update.concurrent_jobs {
        prefs.concurrent_jobs = Some(in_range("concurrent downloads", n, 1, 16)?);
    }
    if let Some(n) = update.connections_per_file {
        prefs.connections_per_file = Some(in_range(
            "connections per file",
            n,
            1,
            MAX_CONNECTIONS_PER_FILE as i64,
        )?);
    }
    if let Some(rate) = update.max_download_rate {
        if rate < 0 {
            return Err(Error::invalid(
                "bandwidth cap",
                format!("{rate} is negative"),
            ));
        }
        prefs.max_download_rate = (rate > 0).then_some(rate as u64);
    }
    if let Some(token) = update.token {
        modelshelf_core::settings::save_token(&state.settings().token_path, &token)?;
    }
    let moved = state.apply(&prefs)?;
    state.reload()?;
    if moved {
        crate::watch_cache(app);
        let _ = app.emit(CACHE_CHANGED, ());
    }
    Ok(settings_view(&state))
}

/// `HF_HUB_OFFLINE` is set: the Hub is not to be contacted at all, and a download could only
/// wait for a variable that cannot change while the app runs.
fn refuse_if_offline(state: &AppState) -> Result<(), Error> {
    let settings = state.settings();
    if settings.offline {
        return Err(Error::Network {
            host: modelshelf_core::hub::host_of(&settings.endpoint),
            reason: "HF_HUB_OFFLINE is set, so Modelshelf does not contact the Hub".into(),
        });
    }
    Ok(())
}

/// Refuses to start a download while the cache is being moved: the move scanned the old
/// folder already and removes it when the copy is done, new files and all.
fn refuse_while_moving(state: &AppState) -> Result<(), Error> {
    if state.cache_move_running() {
        return Err(Error::InUse {
            path: state.settings().cache_dir,
        });
    }
    Ok(())
}

/// Tells the connectivity watch how a request to the endpoint went: an answer means online;
/// a network failure has it find out whether the endpoint is gone.
async fn noting_connectivity<T>(state: &AppState, result: Result<T, Error>) -> Result<T, Error> {
    match &result {
        Ok(_) => state.connectivity().report_success(),
        Err(error) => {
            state.connectivity().after_error(error).await;
        }
    }
    result
}

/// The account behind an access token, as the Hub reports it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenCheck {
    pub name: String,
    pub fullname: Option<String>,
    pub orgs: Vec<String>,
    /// The token's own name on the Hub.
    pub token_name: Option<String>,
    /// `read`, `write` or `fineGrained`.
    pub role: Option<String>,
}

/// Asks the Hub whose token `token` is (the saved one when absent), without saving anything.
#[tauri::command]
pub async fn test_token(
    state: State<'_, AppState>,
    token: Option<String>,
) -> CommandResult<TokenCheck> {
    refuse_if_offline(&state)?;
    let hub = match token {
        Some(raw) => {
            let token = modelshelf_core::settings::Token::parse(&raw)
                .ok_or_else(|| Error::invalid("access token", "it is empty"))?;
            modelshelf_core::logging::add_secret(token.expose());
            HubClient::new(state.hub().endpoint(), Some(token))?
        }
        None => state.hub(),
    };
    let me = hub.whoami().await?;
    let token = me.auth.and_then(|a| a.access_token);
    Ok(TokenCheck {
        name: me.name,
        fullname: me.fullname,
        orgs: me.orgs.into_iter().map(|o| o.name).collect(),
        token_name: token.as_ref().and_then(|t| t.display_name.clone()),
        role: token.and_then(|t| t.role),
    })
}

/// A search from the Browse view.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchArgs {
    pub search: Option<String>,
    /// Only this user's or organization's models.
    #[serde(default)]
    pub author: Option<String>,
    /// `trendingScore`, `downloads`, `likes` or `lastModified`.
    pub sort: Option<String>,
    #[serde(default)]
    pub filters: Vec<String>,
    #[ts(type = "number | null")]
    pub limit: Option<i64>,
    /// The `next` of a previous page.
    pub next: Option<String>,
}

/// One search result.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelListing {
    pub id: String,
    pub author: Option<String>,
    #[ts(type = "number")]
    pub downloads: u64,
    #[ts(type = "number")]
    pub likes: u64,
    pub gated: Gated,
    pub last_modified: Option<String>,
    pub pipeline_tag: Option<String>,
    pub tags: Vec<String>,
    /// The parameter count the Hub read from the weights, if it did.
    #[ts(type = "number | null")]
    pub parameters: Option<u64>,
    /// The repo's `.gguf` files (split parts too), for counting its quantizations.
    pub gguf_files: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub models: Vec<ModelListing>,
    pub next: Option<String>,
}

const SORTS: [&str; 5] = [
    "trendingScore",
    "downloads",
    "likes",
    "lastModified",
    "createdAt",
];

#[tauri::command]
pub async fn search_models(
    state: State<'_, AppState>,
    query: SearchArgs,
) -> CommandResult<SearchResults> {
    refuse_if_offline(&state)?;
    if let Some(sort) = query.sort.as_deref().filter(|s| !SORTS.contains(s)) {
        return Err(Error::invalid(
            "sort",
            format!("{sort:?} is not one of {}", SORTS.join(", ")),
        )
        .into());
    }
    let limit = match query.limit {
        Some(n) => Some(in_range("page size", n, 1, 500)?),
        None => None,
    };
    let hub_query = SearchQuery {
        search: query.search,
        author: query
            .author
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty()),
        filters: query.filters,
        sort: query.sort,
        limit,
    };
    let page = state
        .hub()
        .search_models(&hub_query, query.next.as_deref())
        .await;
    let page = noting_connectivity(&state, page).await?;
    let models = page
        .models
        .into_iter()
        .map(|m| ModelListing {
            parameters: m.parameters(),
            gguf_files: m
                .siblings
                .into_iter()
                .map(|s| s.rfilename)
                .filter(|name| name.to_ascii_lowercase().ends_with(".gguf"))
                .collect(),
            author: m.id.split_once('/').map(|(a, _)| a.to_owned()),
            id: m.id,
            downloads: m.downloads,
            likes: m.likes,
            gated: m.gated,
            last_modified: m.last_modified,
            pipeline_tag: m.pipeline_tag,
            tags: m.tags,
        })
        .collect();
    Ok(SearchResults {
        models,
        next: page.next,
    })
}

/// One file of a model, for the Model view.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelFileInfo {
    pub path: String,
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    pub lfs: bool,
    /// Already in the cache at this commit.
    pub cached: bool,
}

/// A model's page.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelDetails {
    pub id: String,
    /// The branch, tag or PR shown (the default branch unless one was asked for).
    pub revision: String,
    /// The commit `revision` is at: downloads are pinned to it.
    pub commit: Option<String>,
    pub gated: Gated,
    pub private: bool,
    pub tags: Vec<String>,
    pub pipeline_tag: Option<String>,
    pub library_name: Option<String>,
    #[ts(type = "number")]
    pub downloads: u64,
    #[ts(type = "number")]
    pub likes: u64,
    pub last_modified: Option<String>,
    pub files: Vec<ModelFileInfo>,
    /// The parameter count the Hub read from the weights (safetensors or GGUF), if it did.
    #[ts(type = "number | null")]
    pub parameters: Option<u64>,
    /// The model card (README.md) as sanitized HTML, if there is one. Images from sites other
    /// than the Hub carry their address in `data-offsite-src` instead of `src`.
    pub card_html: Option<String>,
    /// This machine's memory in bytes, for the "fits in memory" hints.
    #[ts(type = "number | null")]
    pub memory_total: Option<u64>,
}

/// Model cards larger than this are cut (they are text; a bigger one is not a card).
const MAX_CARD_BYTES: usize = 512 * 1024;

#[tauri::command]
pub async fn get_model(
    state: State<'_, AppState>,
    repo: String,
    revision: Option<String>,
) -> CommandResult<ModelDetails> {
    refuse_if_offline(&state)?;
    let repo = RepoId::parse(repo.trim())?;
    let revision = revision
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "main".to_owned());
    modelshelf_core::repo::validate_revision(&revision)?;
    let hub = state.hub();
    let info = hub.repo_info(RepoType::Model, &repo, &revision).await;
    let info = noting_connectivity(&state, info).await?;
    let cache = RepoCache::new(&state.settings().cache_dir, RepoType::Model, &repo);
    let commit = info.sha.clone();
    let files = info
        .siblings
        .iter()
        .map(|s| ModelFileInfo {
            path: s.rfilename.clone(),
            size: s.lfs.as_ref().map(|l| l.size).or(s.size),
            lfs: s.lfs.is_some(),
            cached: commit
                .as_deref()
                .is_some_and(|c| cache.has_pointer(c, &s.rfilename)),
        })
        .collect();
    let card_revision = commit.as_deref().unwrap_or(&revision);
    let card = if info.siblings.iter().any(|s| s.rfilename == "README.md") {
        // A model page without its card is still useful: a failed card fetch is not an error.
        hub.read_text(
            RepoType::Model,
            &repo,
            card_revision,
            "README.md",
            MAX_CARD_BYTES,
        )
        .await
        .ok()
    } else {
        None
    };
    let card_html = card.as_deref().map(|markdown| {
        let source = modelshelf_core::card::CardSource {
            endpoint: hub.endpoint(),
            repo: repo.as_str(),
            revision: card_revision,
        };
        modelshelf_core::card::render(markdown, &source)
    });
    Ok(ModelDetails {
        parameters: info.parameters(),
        id: info.id,
        revision,
        commit,
        gated: info.gated,
        private: info.private,
        tags: info.tags,
        pipeline_tag: info.pipeline_tag,
        library_name: info.library_name,
        downloads: info.downloads,
        likes: info.likes,
        last_modified: info.last_modified,
        files,
        card_html,
        memory_total: modelshelf_core::machine::total_memory(),
    })
}

/// Hands a job's reports to a channel of the page that made it. A channel outlives its page
/// (a reload makes a new page with channels of its own): once another page has loaded, it
/// reports itself gone and the registry drops it.
struct ChannelSink {
    channel: Channel<JobProgress>,
    page: u64,
    pages: Arc<AtomicU64>,
}

impl JobSink for ChannelSink {
    fn send(&self, progress: &JobProgress) -> bool {
        self.pages.load(Ordering::Relaxed) == self.page
            && self.channel.send(progress.clone()).is_ok()
    }
}

fn channel_sink(state: &AppState, channel: Channel<JobProgress>) -> Arc<dyn JobSink> {
    Arc::new(ChannelSink {
        channel,
        page: state.pages.load(Ordering::Relaxed),
        pages: state.pages.clone(),
    })
}

#[tauri::command]
pub fn start_download(
    state: State<'_, AppState>,
    request: DownloadRequest,
    on_progress: Channel<JobProgress>,
) -> CommandResult<JobId> {
    refuse_if_offline(&state)?;
    refuse_while_moving(&state)?;
    Ok(state
        .jobs()
        .start(request, channel_sink(&state, on_progress))?)
}

/// Cancelling deletes the job's partial data, which can be gigabytes: off the main thread.
#[tauri::command]
pub async fn cancel_download(state: State<'_, AppState>, job_id: JobId) -> CommandResult<()> {
    let jobs = state.jobs().clone();
    off_the_main_thread(move || jobs.cancel(&job_id)).await
}

#[tauri::command]
pub fn pause_download(state: State<'_, AppState>, job_id: JobId) -> CommandResult<()> {
    Ok(state.jobs().pause(&job_id)?)
}

#[tauri::command]
pub fn resume_download(
    state: State<'_, AppState>,
    job_id: JobId,
    on_progress: Channel<JobProgress>,
) -> CommandResult<()> {
    refuse_if_offline(&state)?;
    refuse_while_moving(&state)?;
    Ok(state
        .jobs()
        .resume(&job_id, channel_sink(&state, on_progress))?)
}

/// Listens to a job again, after the window reloaded: its latest report at once, then the rest.
#[tauri::command]
pub fn attach_download(
    state: State<'_, AppState>,
    job_id: JobId,
    on_progress: Channel<JobProgress>,
) -> CommandResult<()> {
    Ok(state
        .jobs()
        .attach(&job_id, channel_sink(&state, on_progress))?)
}

/// Runs a failed or cancelled job again (the same as resuming it).
#[tauri::command]
pub fn retry_download(
    state: State<'_, AppState>,
    job_id: JobId,
    on_progress: Channel<JobProgress>,
) -> CommandResult<()> {
    resume_download(state, job_id, on_progress)
}

#[tauri::command]
pub fn list_jobs(state: State<'_, AppState>) -> CommandResult<Vec<JobView>> {
    Ok(state.jobs().list())
}

/// Takes the finished jobs off the list, and the failed ones' partial data off the disk;
/// returns the bytes that freed.
#[tauri::command]
pub async fn clear_finished_jobs(state: State<'_, AppState>) -> CommandResult<u64> {
    let jobs = state.jobs().clone();
    off_the_main_thread(move || jobs.clear_finished()).await
}

/// Takes one finished job off the list (a failed one's partial data off the disk too);
/// returns the bytes that freed. A job that has not finished is refused.
#[tauri::command]
pub async fn remove_job(state: State<'_, AppState>, job_id: JobId) -> CommandResult<u64> {
    let jobs = state.jobs().clone();
    off_the_main_thread(move || jobs.remove(&job_id)).await
}

/// The Library view's content.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheOverview {
    pub scan: CacheScan,
    /// Free space on the cache's disk, when it can be told.
    #[ts(type = "number | null")]
    pub free_bytes: Option<u64>,
}

#[tauri::command]
pub async fn list_cache(state: State<'_, AppState>) -> CommandResult<CacheOverview> {
    let root = state.settings().cache_dir;
    // Scanning touches thousands of files.
    off_the_main_thread(move || {
        Ok(CacheOverview {
            scan: modelshelf_core::cache::scan(&root)?,
            free_bytes: modelshelf_core::fs::free_space(&root),
        })
    })
    .await
}

/// What to delete: a repository, one revision of it, or one file of a revision.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheTarget {
    #[serde(default)]
    pub repo_type: RepoType,
    pub repo_id: String,
    pub commit: Option<String>,
    /// With `commit`: one file.
    pub path: Option<String>,
}

#[tauri::command]
pub async fn delete_from_cache(
    state: State<'_, AppState>,
    target: CacheTarget,
) -> CommandResult<Freed> {
    let cache = RepoCache::new(
        &state.settings().cache_dir,
        target.repo_type,
        &RepoId::parse(&target.repo_id)?,
    );
    // Deleting a large model frees gigabytes, which takes the filesystem a while.
    off_the_main_thread(
        move || match (target.commit.as_deref(), target.path.as_deref()) {
            (None, None) => cache.delete_repo(),
            (Some(commit), None) => cache.delete_revision(commit),
            (Some(commit), Some(path)) => cache.delete_file(commit, path),
            (None, Some(_)) => Err(Error::invalid("target", "a file needs its commit")),
        },
    )
    .await
}

#[tauri::command]
pub async fn prune_cache(state: State<'_, AppState>) -> CommandResult<Freed> {
    let root = state.settings().cache_dir;
    off_the_main_thread(move || modelshelf_core::cache::prune(&root)).await
}

/// Moves the whole cache to `to` (copy, verify, then delete the originals) and makes `to` the
/// cache folder, reporting on `on_progress`; [`cancel_cache_move`] stops it until the copy is
/// complete, leaving the old cache as it was. Refused while downloads run, while another move
/// runs, or when the folder comes from the environment.
#[tauri::command]
pub async fn move_cache<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    to: String,
    on_progress: Channel<MoveProgress>,
) -> CommandResult<Freed> {
    let settings = state.settings();
    if settings.cache_dir_source == Source::Environment {
        return Err(Error::invalid(
            "cache folder",
            "it is set by HF_HUB_CACHE or HF_HOME; change it there",
        )
        .into());
    }
    let to = to.trim().to_owned();
    if !Path::new(&to).is_absolute() {
        return Err(
            Error::invalid("destination", format!("{to:?} is not an absolute path")).into(),
        );
    }
    if state.jobs().list().iter().any(|j| j.progress.live) {
        return Err(Error::InUse {
            path: settings.cache_dir.clone(),
        }
        .into());
    }
    let running = state.begin_cache_move()?;
    let cancel = running.token.clone();
    let result = off_the_main_thread(move || {
        let report = |progress: &MoveProgress| {
            // A closed window just stops listening; the move goes on.
            let _ = on_progress.send(progress.clone());
        };
        let copy = modelshelf_core::cache::copy_cache(
            &settings.cache_dir,
            Path::new(&to),
            &cancel,
            &report,
        )?;
        // The copy is complete and verified: from here on the new folder is the cache, even if
        // removing an original fails or the app is closed halfway through.
        let state = app.state::<AppState>();
        let mut prefs = Preferences::load(&state.paths.preferences);
        prefs.cache_dir = Some(to);
        if let Err(err) = state.apply(&prefs) {
            copy.discard();
            return Err(err);
        }
        let freed = copy.remove_originals();
        crate::watch_cache(&app);
        let _ = app.emit(CACHE_CHANGED, ());
        freed
    })
    .await;
    drop(running);
    result
}

/// Stops a running move of the cache; nothing happens when none runs.
#[tauri::command]
pub fn cancel_cache_move(state: State<'_, AppState>) -> CommandResult<()> {
    state.cancel_cache_move();
    Ok(())
}

/// Shows a file or folder of the cache in the system's file manager; nothing outside it.
#[tauri::command]
pub async fn reveal_in_file_manager<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    path: String,
) -> CommandResult<()> {
    let root = state.settings().cache_dir;
    // Resolving paths and asking the file manager (over D-Bus) can both take a while.
    off_the_main_thread(move || reveal_in_cache(&app, &root, &path)).await
}

fn reveal_in_cache<R: Runtime>(app: &AppHandle<R>, root: &Path, path: &str) -> Result<(), Error> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    // The path itself is not resolved: a snapshot entry is a link into blobs/, shown as is.
    let requested = Path::new(path);
    let parent = requested
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok());
    if !requested.is_absolute()
        || (!parent.is_some_and(|p| p.starts_with(&root)) && requested != root)
    {
        return Err(Error::invalid(
            "path",
            format!("{path} is not in the cache folder"),
        ));
    }
    app.opener()
        .reveal_item_in_dir(requested)
        .map_err(|e| Error::Internal(format!("cannot open the file manager: {e}")))
}

/// Other apps' models compared with the cache, with what a Reclaim would give back.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OtherApps {
    pub survey: Survey,
    /// Bytes kept both in an app's folder and in the cache.
    #[ts(type = "number")]
    pub twice_bytes: u64,
    /// Bytes hard links to the cache's copies would give back.
    #[ts(type = "number")]
    pub reclaimable_bytes: u64,
    /// The folders the person added.
    pub folders: Vec<String>,
}

/// The hashes of other apps' files worked out before (none when the file cannot be read).
fn hash_memory(state: &AppState) -> shelf::HashMemory {
    state
        .paths
        .hashes
        .as_deref()
        .map(shelf::HashMemory::load)
        .unwrap_or_default()
}

/// The stores on this machine, surveyed under the shelf lock with the hash memory, which is
/// saved again when something was hashed.
fn survey_stores(
    state: &AppState,
    cancel: &CancellationToken,
    progress: &mut dyn FnMut(Hashing),
) -> Result<(Survey, Vec<String>), Error> {
    let settings = state.settings();
    let folders = Preferences::load(&state.paths.preferences).model_folders;
    let added: Vec<PathBuf> = folders.iter().map(PathBuf::from).collect();
    let mut memory = hash_memory(state);
    let surveyed = shelf::survey_machine(
        &*state.paths.env,
        state.paths.home.as_deref(),
        &settings.cache_dir,
        &added,
        &mut memory,
        cancel,
        progress,
    );
    // What was hashed before a Stop is remembered too. Losing the memory only costs reading
    // the files again next time.
    if let Err(e) = memory.save() {
        tracing::warn!("could not remember the hashes: {e}");
    }
    let (_, survey) = surveyed?;
    Ok((survey, folders))
}

/// Lists the models of Ollama, LM Studio, Jan, GPT4All, llama.cpp and the added folders and
/// which of their files the cache holds too, reporting the hashing on `on_progress` (at most
/// ten times a second: a 40 GB file is 40,000 chunks). [`cancel_shelf_work`] with `run_id`
/// stops it.
#[tauri::command]
pub async fn survey_other_apps<R: Runtime>(
    app: AppHandle<R>,
    run_id: String,
    on_progress: Channel<Hashing>,
) -> CommandResult<OtherApps> {
    off_the_main_thread(move || {
        let state = app.state::<AppState>();
        state.shelf_work.run(Some(&run_id), |cancel| {
            let (survey, folders) =
                survey_stores(&state, cancel, &mut tenth_of_a_second(&on_progress))?;
            Ok(OtherApps {
                twice_bytes: survey.twice_bytes(),
                reclaimable_bytes: survey.reclaimable_bytes(),
                survey,
                folders,
            })
        })
    })
    .await
}

/// Sends what `on_progress` should hear of `Hashing` reports: at most ten a second (a 40 GB
/// file is 40,000 blocks), and the last.
fn tenth_of_a_second(on_progress: &Channel<Hashing>) -> impl FnMut(Hashing) + '_ {
    let mut last = None::<Instant>;
    move |h| {
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if due || h.done == h.total {
            last = Some(Instant::now());
            let _ = on_progress.send(h);
        }
    }
}

/// Stops the survey or Reclaim the window started as `run_id`, running or waiting: the file
/// at hand is left as it was.
#[tauri::command]
pub fn cancel_shelf_work(state: State<'_, AppState>, run_id: String) {
    state.shelf_work.cancel(&run_id);
}

/// A file [`reclaim_space`] left as it was, and why.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReclaimFailure {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Reclaimed {
    #[ts(type = "number")]
    pub freed: u64,
    pub failures: Vec<ReclaimFailure>,
    /// Stopped by [`cancel_shelf_work`]: the files not reached are as they were.
    pub stopped: bool,
}

/// Makes other apps' copies of cache files hard links to the cache's (all of them, or the
/// `paths` given), keeping each app's path and name, reporting the byte-for-byte comparison
/// before each on `on_progress`. Only files the survey finds are touched. [`cancel_shelf_work`]
/// with `run_id` stops it.
#[tauri::command]
pub async fn reclaim_space<R: Runtime>(
    app: AppHandle<R>,
    paths: Option<Vec<String>>,
    run_id: String,
    on_progress: Channel<Hashing>,
) -> CommandResult<Reclaimed> {
    off_the_main_thread(move || {
        let state = app.state::<AppState>();
        state.shelf_work.run(Some(&run_id), |cancel| {
            let survey = match survey_stores(&state, cancel, &mut |_| {}) {
                Ok((survey, _)) => survey,
                // Stopped before anything was compared: nothing was touched.
                Err(Error::Cancelled) => {
                    return Ok(Reclaimed {
                        freed: 0,
                        failures: Vec::new(),
                        stopped: true,
                    });
                }
                Err(e) => return Err(e),
            };
            let only: Option<Vec<PathBuf>> =
                paths.map(|p| p.into_iter().map(PathBuf::from).collect());
            let total = survey
                .reclaimable(only.as_deref())
                .map(|(f, _)| f.size)
                .sum();
            let mut report = tenth_of_a_second(&on_progress);
            let mut done = 0;
            let (mut freed, mut failures) = (0, Vec::new());
            let outcome = shelf::reclaim(
                &survey,
                only.as_deref(),
                cancel,
                &mut |n| {
                    done += n;
                    report(Hashing { done, total });
                },
                &mut |file| match file.outcome {
                    Ok(bytes) => freed += bytes,
                    Err(e) => failures.push(ReclaimFailure {
                        path: file.file.path.display().to_string(),
                        message: e.to_string(),
                    }),
                },
            );
            let stopped = match outcome {
                Ok(_) => false,
                Err(Error::Cancelled) => true,
                Err(e) => return Err(e),
            };
            Ok(Reclaimed {
                freed,
                failures,
                stopped,
            })
        })
    })
    .await
}

/// Makes one app file that shares the cache's copy a copy of its own again ("undo").
#[tauri::command]
pub async fn separate_copy<R: Runtime>(app: AppHandle<R>, path: String) -> CommandResult<()> {
    off_the_main_thread(move || {
        let state = app.state::<AppState>();
        state.shelf_work.run(None, |cancel| {
            let (survey, _) = survey_stores(&state, cancel, &mut |_| {})?;
            let path = PathBuf::from(path);
            // Only a file of another app that is one copy with the cache's: never any path the
            // window names.
            if !survey
                .files()
                .any(|f| f.path == path && f.sharing == Some(Sharing::Shared))
            {
                return Err(Error::invalid(
                    "file",
                    format!(
                        "{} is not another app's file shared with the cache",
                        path.display()
                    ),
                ));
            }
            shelf::separate(&path, cancel, &mut |_| {})
        })
    })
    .await
}

/// Sets the folders of GGUF files the person added to the other apps' stores.
#[tauri::command]
pub fn set_model_folders(state: State<'_, AppState>, folders: Vec<String>) -> CommandResult<()> {
    let mut kept: Vec<String> = Vec::new();
    for folder in folders {
        let folder = folder.trim().to_owned();
        if !Path::new(&folder).is_absolute() || !Path::new(&folder).is_dir() {
            return Err(Error::invalid("folder", format!("{folder:?} is not a folder")).into());
        }
        if !kept.contains(&folder) {
            kept.push(folder);
        }
    }
    let mut prefs = Preferences::load(&state.paths.preferences);
    prefs.model_folders = kept;
    prefs.save(&state.paths.preferences)?;
    Ok(())
}

/// The cache's copy of `repo`'s large file `path` (at `commit`, else where `main` points) and
/// `app`'s models folder, for placing the one in the other.
fn cached_file_and_folder(
    state: &AppState,
    repo: &RepoId,
    path: &str,
    commit: Option<&str>,
    app: shelf::App,
) -> Result<(shelf::CacheRef, PathBuf), Error> {
    let settings = state.settings();
    let scan = modelshelf_core::cache::scan(&settings.cache_dir)?;
    let cached = shelf::find_in_cache(&scan, repo.as_str(), path, commit).ok_or_else(|| {
        Error::invalid(
            "file",
            format!("{repo}/{path} is not a large file in the cache"),
        )
    })?;
    let home = state.paths.home.as_deref();
    let stores = shelf::discover(&*state.paths.env, home, &settings.cache_dir, &[]);
    let folder = shelf::folder_of(app, &stores, home).ok_or_else(|| {
        Error::invalid(
            "app",
            format!(
                "{}'s models folder was not found; start {} once, then try again",
                app.name(),
                app.name()
            ),
        )
    })?;
    Ok((cached, folder))
}

/// Makes a cached GGUF of `repo` (the revision `main` names, or `commit`) available to
/// LM Studio without a copy: a hard link at `<publisher>/<repo>/<file name>` in its models
/// folder. Returns that path. Another file already there is never replaced.
#[tauri::command]
pub async fn use_in_lm_studio<R: Runtime>(
    app: AppHandle<R>,
    repo: String,
    path: String,
    commit: Option<String>,
) -> CommandResult<String> {
    let repo = RepoId::parse(&repo)?;
    modelshelf_core::repo::validate_repo_path(&path)?;
    off_the_main_thread(move || {
        let state = app.state::<AppState>();
        state.shelf_work.run(None, |_| {
            let (cached, folder) = cached_file_and_folder(
                &state,
                &repo,
                &path,
                commit.as_deref(),
                shelf::App::LmStudio,
            )?;
            let target = shelf::lm_studio_path(&folder, &repo, &path);
            shelf::place_link(&cached.blob, &folder, &target)?;
            Ok(target.display().to_string())
        })
    })
    .await
}

/// Adds another app's GGUF, whose origin on the Hub its name tells, to the cache by a hard
/// link, as the file of that repository at `main` with the same sha256 (asked of the Hub).
#[tauri::command]
pub async fn import_to_library<R: Runtime>(
    app: AppHandle<R>,
    path: String,
) -> CommandResult<Imported> {
    let handle = app.clone();
    let (file, repo) = off_the_main_thread(move || {
        let state = handle.state::<AppState>();
        state.shelf_work.run(None, |cancel| {
            let (survey, _) = survey_stores(&state, cancel, &mut |_| {})?;
            let wanted = PathBuf::from(&path);
            survey
                .stores
                .iter()
                .flat_map(|s| &s.models)
                .flat_map(|m| m.files.iter().map(move |f| (m, f)))
                .find(|(_, f)| f.path == wanted)
                .and_then(|(m, f)| Some((f.clone(), RepoId::parse(m.origin.as_deref()?).ok()?)))
                .ok_or_else(|| {
                    Error::invalid(
                        "file",
                        format!("{path} is not another app's model whose Hub repository is known"),
                    )
                })
                .and_then(|(mut file, repo)| {
                    // A file no cache file matched by size was not hashed by the survey.
                    if file.sha256.is_none() {
                        let mut memory = hash_memory(&state);
                        file.sha256 = Some(memory.sha256(&file.path, cancel, &mut |_| {})?);
                        let _ = memory.save();
                    }
                    Ok((file, repo))
                })
        })
    })
    .await?;
    let state = app.state::<AppState>();
    let hub = state.hub();
    let cache_dir = state.settings().cache_dir;
    let imported = modelshelf_core::shelf::import(&hub, &cache_dir, &repo, &file).await?;
    let _ = app.emit(CACHE_CHANGED, ());
    Ok(imported)
}

/// Makes a cached GGUF of `repo` (`path`, the quantization `quant`) available to Ollama as
/// `hf.co/<repo>:<quant>` without downloading it again: the weights as a hard link in its
/// store, and the manifest and small files an `ollama pull` would write (see
/// [`shelf::use_in_ollama`]).
#[tauri::command]
pub async fn use_in_ollama<R: Runtime>(
    app: AppHandle<R>,
    repo: String,
    path: String,
    quant: String,
    commit: Option<String>,
) -> CommandResult<shelf::UsedInOllama> {
    let repo = RepoId::parse(&repo)?;
    modelshelf_core::repo::validate_repo_path(&path)?;
    let handle = app.clone();
    let lookup_repo = repo.clone();
    let (cached, store) = off_the_main_thread(move || {
        let state = handle.state::<AppState>();
        cached_file_and_folder(
            &state,
            &lookup_repo,
            &path,
            commit.as_deref(),
            shelf::App::Ollama,
        )
    })
    .await?;
    let hub = app.state::<AppState>().hub();
    Ok(shelf::use_in_ollama(&hub, &store, &repo, &quant, &cached).await?)
}
