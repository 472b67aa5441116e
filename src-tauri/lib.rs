//! The Tauri shell: the only module that imports tauri. It owns the managed state, registers
//! the IPC commands (thin adapters over the core), bridges the core's progress sinks and
//! watcher to channels and events, and pauses jobs cleanly on exit. One generic builder,
//! [`build`], serves both the real app and the command tests on Tauri's mock runtime.

pub mod commands;
pub mod ipc_types;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tauri::{AppHandle, Builder, Emitter, Manager, Runtime};
use tokio_util::sync::CancellationToken;

use modelshelf_core::cache::WatchHandle;
use modelshelf_core::connectivity::{Connectivity, ProbeSchedule};
use modelshelf_core::error::{Error, Result};
use modelshelf_core::hub::HubClient;
use modelshelf_core::jobs::{JobEvent, JobRegistry, JobState, JobView};
use modelshelf_core::provision::ModelProvisioner;
use modelshelf_core::settings::{Preferences, Settings};
use modelshelf_core::transfer::{RateLimit, TransferOptions};
use modelshelf_core::vendor::HuggingFaceVendor;

/// App-wide news: the job list changed (a job started, ended, was paused...).
pub const JOBS_CHANGED: &str = "jobs-changed";
/// App-wide news: something changed in the cache folder, from here or another program.
pub const CACHE_CHANGED: &str = "cache-changed";
/// App-wide news: the Hub endpoint stopped or started answering (payload: `online`).
pub const CONNECTIVITY_CHANGED: &str = "connectivity-changed";

/// What the core tells the shell, to pass on to the window and the desktop.
#[derive(Debug, Clone)]
pub enum AppEvent {
    Jobs(JobEvent),
    /// The endpoint answers (`true`) or not.
    Connectivity(bool),
}

/// How long quitting waits for downloads to stop writing.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads an environment variable.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where the app keeps its own files, and how it reads the environment.
pub struct AppPaths {
    /// `settings.json`.
    pub preferences: PathBuf,
    /// `jobs.json`: unfinished jobs, for resume after a restart.
    pub jobs: Option<PathBuf>,
    /// The environment variable lookup (the process environment, or a fake in tests).
    pub env: EnvLookup,
    pub home: Option<PathBuf>,
    /// The folder of the log files.
    pub logs: PathBuf,
    /// The sha256 of other apps' files, worked out once (shared with `modelshelf-cli`).
    pub hashes: Option<PathBuf>,
}

/// What the app needs before its window exists and what can keep it from starting: the
/// settings (environment first, then the saved preferences) and a Hub client for them.
pub struct StartupConfig {
    paths: AppPaths,
    settings: Settings,
    hub: HubClient,
}

impl StartupConfig {
    /// # Errors
    ///
    /// An unusable endpoint or cache folder, with what is wrong and where it came from.
    pub fn resolve(paths: AppPaths) -> Result<StartupConfig> {
        let settings = resolve_settings(&paths, &Preferences::load(&paths.preferences))?;
        let hub = HubClient::new(&settings.endpoint, settings.token.clone())?;
        Ok(StartupConfig {
            paths,
            settings,
            hub,
        })
    }
}

/// Surveys and changes of other apps' stores: one at a time, so the hash memory is not written
/// by two and a file is not linked while it is being separated. Each run can be stopped by the
/// name the window gave it, while it waits for its turn too.
#[derive(Default)]
pub struct ShelfWork {
    one_at_a_time: Mutex<()>,
    runs: Mutex<ShelfRuns>,
}

#[derive(Default)]
struct ShelfRuns {
    next: u64,
    tokens: HashMap<u64, (Option<String>, CancellationToken)>,
}

impl ShelfWork {
    /// Runs `work` once the work before it is done, with the token [`Self::cancel`] fires for
    /// `name`.
    pub fn run<T>(&self, name: Option<&str>, work: impl FnOnce(&CancellationToken) -> T) -> T {
        self.enter(name).run(work)
    }

    /// Registers a run called `name`, so a Stop reaches it from now on.
    pub fn enter(&self, name: Option<&str>) -> ShelfRun<'_> {
        let cancel = CancellationToken::new();
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.next += 1;
        let key = runs.next;
        runs.tokens
            .insert(key, (name.map(str::to_owned), cancel.clone()));
        ShelfRun {
            work: self,
            key,
            cancel,
        }
    }

    /// Stops the run called `name`, running or waiting, if there is one.
    pub fn cancel(&self, name: &str) {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        for (run, token) in runs.tokens.values() {
            if run.as_deref() == Some(name) {
                token.cancel();
            }
        }
    }

    /// Stops every run, running or waiting (the app is quitting).
    pub fn cancel_all(&self) {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.tokens.values().for_each(|(_, token)| token.cancel());
    }
}

/// A registered run of [`ShelfWork`]; it leaves the register when dropped.
pub struct ShelfRun<'a> {
    work: &'a ShelfWork,
    key: u64,
    cancel: CancellationToken,
}

impl ShelfRun<'_> {
    /// Runs `work` once the work before it is done.
    pub fn run<T>(self, work: impl FnOnce(&CancellationToken) -> T) -> T {
        let _turn = self
            .work
            .one_at_a_time
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        work(&self.cancel)
    }
}

impl Drop for ShelfRun<'_> {
    fn drop(&mut self) {
        let mut runs = self.work.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.tokens.remove(&self.key);
    }
}

/// Everything the commands share, managed by Tauri for the app's lifetime.
pub struct AppState {
    paths: AppPaths,
    settings: Mutex<Settings>,
    hub: Mutex<HubClient>,
    jobs: JobRegistry,
    connectivity: Connectivity,
    watcher: Mutex<Option<WatchHandle>>,
    /// The running move of the cache, if any: its Cancel, and the mark that one is running.
    cache_move: Mutex<Option<CancellationToken>>,
    /// Surveys and changes of other apps' stores, one at a time.
    shelf_work: ShelfWork,
    /// Kept from the window's focus events: asking the window itself would block on the main
    /// thread, which may be busy shutting the jobs down.
    window_focused: AtomicBool,
    /// Counts the pages the window has loaded; a job channel of an earlier page is dead.
    pages: Arc<AtomicU64>,
}

impl AppState {
    /// Sets up the connectivity watch and the job registry for `config`; `events` hears what
    /// they say.
    pub fn new(
        config: StartupConfig,
        runtime: tokio::runtime::Handle,
        probes: ProbeSchedule,
        events: impl Fn(AppEvent) + Send + Sync + 'static,
    ) -> AppState {
        let StartupConfig {
            paths,
            settings,
            hub,
        } = config;
        let events = Arc::new(events);
        let connectivity = Connectivity::new(hub.clone(), probes, runtime.clone(), {
            let events = events.clone();
            move |online| events(AppEvent::Connectivity(online))
        });
        connectivity.force_offline(settings.offline);
        let jobs = JobRegistry::new(
            provisioner(&settings, &hub),
            settings.concurrent_jobs,
            paths.jobs.clone(),
            connectivity.clone(),
            runtime,
            move |event| events(AppEvent::Jobs(event)),
        );
        AppState {
            paths,
            settings: Mutex::new(settings),
            hub: Mutex::new(hub),
            jobs,
            connectivity,
            watcher: Mutex::new(None),
            cache_move: Mutex::new(None),
            shelf_work: ShelfWork::default(),
            window_focused: AtomicBool::new(true),
            pages: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn hub(&self) -> HubClient {
        self.hub.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn jobs(&self) -> &JobRegistry {
        &self.jobs
    }

    pub fn connectivity(&self) -> &Connectivity {
        &self.connectivity
    }

    /// Saves `prefs` and applies them: a new Hub client, new limits for jobs that start from
    /// now on. Returns whether the cache folder changed.
    fn apply(&self, prefs: &Preferences) -> Result<bool> {
        let settings = resolve_settings(&self.paths, prefs)?;
        let hub = HubClient::new(&settings.endpoint, settings.token.clone())?;
        prefs.save(&self.paths.preferences)?;
        self.jobs.set_provisioner(provisioner(&settings, &hub));
        self.jobs.set_limit(settings.concurrent_jobs);
        self.connectivity.force_offline(settings.offline);
        self.connectivity.set_hub(hub.clone());
        let moved = settings.cache_dir != self.settings().cache_dir;
        *self.hub.lock().unwrap_or_else(|p| p.into_inner()) = hub;
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings;
        Ok(moved)
    }

    /// Marks a move of the cache as running and returns its token; a second move at the same
    /// time is refused. The mark goes when the returned guard is dropped.
    fn begin_cache_move(&self) -> Result<CacheMoveGuard<'_>> {
        let mut slot = self.cache_move.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return Err(Error::InUse {
                path: self.settings().cache_dir,
            });
        }
        let token = CancellationToken::new();
        *slot = Some(token.clone());
        Ok(CacheMoveGuard { state: self, token })
    }

    /// Whether the cache is being moved right now.
    fn cache_move_running(&self) -> bool {
        self.cache_move
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Cancels the running move of the cache, if there is one.
    fn cancel_cache_move(&self) {
        if let Some(token) = &*self.cache_move.lock().unwrap_or_else(|p| p.into_inner()) {
            token.cancel();
        }
    }

    /// The window started loading a page (a reload, too): the channels earlier pages made are
    /// dead from now on.
    pub fn page_loaded(&self) {
        self.pages.fetch_add(1, Ordering::Relaxed);
    }

    /// Re-reads the token file and the environment (after the token was saved or removed).
    fn reload(&self) -> Result<()> {
        self.apply(&Preferences::load(&self.paths.preferences))
            .map(|_| ())
    }
}

/// A running move of the cache; dropping it (on every way out) ends the move's mark.
struct CacheMoveGuard<'a> {
    state: &'a AppState,
    token: CancellationToken,
}

impl Drop for CacheMoveGuard<'_> {
    fn drop(&mut self) {
        *self
            .state
            .cache_move
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }
}

fn resolve_settings(paths: &AppPaths, prefs: &Preferences) -> Result<Settings> {
    let settings = Settings::resolve(&paths.env, paths.home.clone(), prefs)?;
    if let Some(token) = &settings.token {
        modelshelf_core::logging::add_secret(token.expose());
    }
    Ok(settings)
}

fn provisioner(settings: &Settings, hub: &HubClient) -> ModelProvisioner {
    let options = TransferOptions {
        connections: settings.connections_per_file,
        rate_limit: settings.max_download_rate.map(RateLimit::new),
        ..TransferOptions::default()
    };
    ModelProvisioner::new(
        HuggingFaceVendor::new(hub.clone(), options),
        &settings.cache_dir,
    )
}

/// Watches the current cache folder and tells the frontend when it changes.
fn watch_cache<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let emitter = app.clone();
    let handle = modelshelf_core::cache::watch(&state.settings().cache_dir, move || {
        let _ = emitter.emit(CACHE_CHANGED, ());
    });
    // Without a watcher the Library still refreshes on its own actions; nothing to stop for.
    *state.watcher.lock().unwrap_or_else(|p| p.into_inner()) = handle.ok();
}

/// Registers Modelshelf's plugins, state and commands on `builder`. The state is made in
/// `setup`, once the app exists, by `make_state`, which gets the app's handle so the core's
/// news reaches the window from the first event on. (Whatever can fail was resolved before,
/// in [`StartupConfig::resolve`]: an error in `setup` would panic inside the event loop.)
pub fn build<R: Runtime>(
    builder: Builder<R>,
    make_state: impl FnOnce(&AppHandle<R>) -> AppState + Send + 'static,
) -> Builder<R> {
    builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started
                && let Some(state) = webview.try_state::<AppState>()
            {
                state.page_loaded();
            }
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Focused(focused) = event
                && let Some(state) = window.try_state::<AppState>()
            {
                state.window_focused.store(*focused, Ordering::Relaxed);
            }
        })
        .setup(move |app| {
            app.manage(make_state(app.handle()));
            watch_cache(app.handle());
            // Find out at once whether the endpoint answers, so an offline start says so.
            let connectivity = app.state::<AppState>().connectivity().clone();
            tauri::async_runtime::spawn(async move { connectivity.check().await });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::get_settings,
            commands::set_settings,
            commands::test_token,
            commands::diagnostics,
            commands::check_connection,
            commands::machine_profile,
            commands::search_models,
            commands::get_model,
            commands::start_download,
            commands::cancel_download,
            commands::pause_download,
            commands::resume_download,
            commands::attach_download,
            commands::retry_download,
            commands::list_jobs,
            commands::clear_finished_jobs,
            commands::remove_job,
            commands::list_cache,
            commands::delete_from_cache,
            commands::prune_cache,
            commands::move_cache,
            commands::cancel_cache_move,
            commands::reveal_in_file_manager,
            commands::reveal_log,
            commands::survey_other_apps,
            commands::reclaim_space,
            commands::cancel_shelf_work,
            commands::separate_copy,
            commands::set_model_folders,
            commands::use_in_lm_studio,
            commands::import_to_library,
            commands::use_in_ollama,
        ])
}

/// The desktop notification for a run that ended, if it deserves one: finished and failed
/// downloads do; a pause or a cancel was the person's own doing.
pub fn finished_notice(job: &JobView) -> Option<(String, String)> {
    let what = match job.request.files.as_slice() {
        [one] => format!("{} · {one}", job.request.repo),
        _ => job.request.repo.clone(),
    };
    match job.progress.state {
        JobState::Completed => Some((
            "Download finished".to_owned(),
            format!(
                "{what} is ready ({}).",
                modelshelf_core::progress::human_bytes(job.progress.download.bytes_total)
            ),
        )),
        JobState::Failed => Some((
            "Download failed".to_owned(),
            match &job.progress.error {
                Some(error) => format!("{what}: {}", error.message),
                None => what,
            },
        )),
        _ => None,
    }
}

/// Passes the core's news on: events for the window, a desktop notification for a download
/// that ended while the person was looking elsewhere.
fn on_app_event<R: Runtime>(app: &AppHandle<R>, event: AppEvent) {
    match event {
        AppEvent::Jobs(event) => {
            let _ = app.emit(JOBS_CHANGED, ());
            if let JobEvent::Ended(job) = event
                && let Some((title, body)) = finished_notice(&job)
                && app
                    .try_state::<AppState>()
                    .is_some_and(|s| !s.window_focused.load(Ordering::Relaxed))
            {
                let app = app.clone();
                // The notification goes over D-Bus, which may be slow or absent: never on the
                // thread that runs the app.
                std::thread::spawn(move || {
                    use tauri_plugin_notification::NotificationExt as _;
                    if let Err(e) = app.notification().builder().title(title).body(body).show() {
                        tracing::warn!("could not show a desktop notification: {e}");
                    }
                });
            }
        }
        AppEvent::Connectivity(online) => {
            let _ = app.emit(CONNECTIVITY_CHANGED, online);
        }
    }
}

/// The label of the app's one window (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// The paths and environment of the real app.
fn real_paths() -> Result<AppPaths> {
    let config = dirs::config_dir()
        .ok_or_else(|| Error::invalid("config folder", "none found"))?
        .join("modelshelf");
    let data = dirs::data_dir()
        .ok_or_else(|| Error::invalid("data folder", "none found"))?
        .join("modelshelf");
    Ok(AppPaths {
        preferences: config.join("settings.json"),
        jobs: Some(data.join("jobs.json")),
        env: Box::new(|name| std::env::var(name).ok()),
        home: dirs::home_dir(),
        logs: data.join("logs"),
        hashes: dirs::cache_dir().map(|d| d.join(modelshelf_core::shelf::HASH_MEMORY_FILE)),
    })
}

/// Runs the desktop app until its window closes.
pub fn run() {
    let paths = match real_paths() {
        Ok(paths) => paths,
        Err(err) => {
            eprintln!("modelshelf: {err}");
            std::process::exit(2);
        }
    };
    // Dropped after the app has run: that flushes the log file's last lines.
    let log_guard = modelshelf_core::logging::init(&paths.logs)
        .map_err(|e| eprintln!("modelshelf: logging to a file is off: {e}"))
        .ok();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
    let mut app = tauri::Builder::default();
    if session_bus_reachable() {
        // A second launch hands over to the first, which shows its window, and exits.
        app = app.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("another launch: showing the running window");
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }));
    } else {
        tracing::warn!("no D-Bus session bus: a second launch cannot be detected");
    }
    let app = app.plugin(tauri_plugin_window_state::Builder::default().build());
    let config = match StartupConfig::resolve(paths) {
        Ok(config) => config,
        Err(err) => {
            // Nothing can work without an endpoint and a cache folder; say why and stop.
            tracing::error!("cannot start: {err}");
            eprintln!("modelshelf: {err}");
            std::process::exit(2);
        }
    };
    {
        let settings = &config.settings;
        tracing::info!(
            endpoint = %settings.endpoint,
            endpoint_from = ?settings.endpoint_source,
            cache_dir = %settings.cache_dir.display(),
            cache_dir_from = ?settings.cache_dir_source,
            token = settings.token.is_some(),
            "settings"
        );
    }
    let runtime = tauri::async_runtime::handle().inner().clone();
    let make_state = move |handle: &AppHandle| {
        let handle = handle.clone();
        AppState::new(config, runtime, ProbeSchedule::default(), move |event| {
            on_app_event(&handle, event)
        })
    };
    let app = match build(app, make_state).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(err) => {
            tracing::error!("could not start the window: {err}");
            eprintln!("modelshelf: could not start the window: {err}");
            std::process::exit(1);
        }
    };
    exit_on_signals(app.handle().clone());
    let code = app.run_return(|handle, event| {
        if let tauri::RunEvent::ExitRequested { .. } = event {
            // A move of the cache stops copying; its originals were never touched.
            handle.state::<AppState>().cancel_cache_move();
            // A Reclaim stops between two blocks of its comparison, the file at hand untouched.
            handle.state::<AppState>().shelf_work.cancel_all();
            // Live downloads are paused, their partial data kept and listed for next time.
            let jobs = handle.state::<AppState>().jobs().clone();
            tauri::async_runtime::block_on(jobs.shutdown(SHUTDOWN_TIMEOUT));
            tracing::info!("stopped");
        }
    });
    drop(log_guard);
    std::process::exit(code);
}

/// SIGTERM (a session ending, `kill`) and SIGINT quit like closing the window does: jobs are
/// paused and saved, the window's size and place remembered.
fn exit_on_signals(handle: AppHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut interrupt)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("asked to stop by a signal");
        handle.exit(0);
        // A second signal while the jobs are being paused: stop now.
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
        std::process::exit(130);
    });
}

/// Whether a D-Bus session bus is there to ask (the single-instance plugin panics without
/// one instead of carrying on).
fn session_bus_reachable() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists())
}
