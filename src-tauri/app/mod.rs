//! The Tauri shell: the only module that imports tauri. It owns the managed state, registers
//! the IPC commands (thin adapters over the core), bridges the core's progress sinks and
//! watcher to channels and events, and pauses jobs cleanly on exit. One generic builder,
//! [`build`], serves both the real app and the command tests on Tauri's mock runtime.

pub mod commands;
pub mod ipc_types;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tauri::{AppHandle, Builder, Emitter, Manager, Runtime};

use crate::cache::WatchHandle;
use crate::error::{Error, Result};
use crate::hub::HubClient;
use crate::jobs::JobRegistry;
use crate::provision::ModelProvisioner;
use crate::settings::{Preferences, Settings};
use crate::transfer::{RateLimit, TransferOptions};
use crate::vendor::HuggingFaceVendor;

/// App-wide news: the job list changed (a job started, ended, was paused...).
pub const JOBS_CHANGED: &str = "jobs-changed";
/// App-wide news: something changed in the cache folder, from here or another program.
pub const CACHE_CHANGED: &str = "cache-changed";

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
}

/// Everything the commands share, managed by Tauri for the app's lifetime.
pub struct AppState {
    paths: AppPaths,
    settings: Mutex<Settings>,
    hub: Mutex<HubClient>,
    jobs: JobRegistry,
    watcher: Mutex<Option<WatchHandle>>,
}

impl AppState {
    /// Resolves the settings (environment first, then the saved preferences) and sets up the
    /// Hub client and the job registry. `on_jobs_changed` is told when the job list changes.
    pub fn new(
        paths: AppPaths,
        runtime: tokio::runtime::Handle,
        on_jobs_changed: impl Fn() + Send + Sync + 'static,
    ) -> Result<AppState> {
        let settings = resolve_settings(&paths, &Preferences::load(&paths.preferences))?;
        let hub = HubClient::new(&settings.endpoint, settings.token.clone())?;
        let limit = settings.concurrent_jobs;
        let jobs = JobRegistry::new(
            provisioner(&settings, &hub),
            limit,
            paths.jobs.clone(),
            runtime,
            on_jobs_changed,
        );
        Ok(AppState {
            paths,
            settings: Mutex::new(settings),
            hub: Mutex::new(hub),
            jobs,
            watcher: Mutex::new(None),
        })
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

    /// Saves `prefs` and applies them: a new Hub client, new limits for jobs that start from
    /// now on. Returns whether the cache folder changed.
    fn apply(&self, prefs: &Preferences) -> Result<bool> {
        let settings = resolve_settings(&self.paths, prefs)?;
        let hub = HubClient::new(&settings.endpoint, settings.token.clone())?;
        prefs.save(&self.paths.preferences)?;
        self.jobs.set_provisioner(provisioner(&settings, &hub));
        self.jobs.set_limit(settings.concurrent_jobs);
        let moved = settings.cache_dir != self.settings().cache_dir;
        *self.hub.lock().unwrap_or_else(|p| p.into_inner()) = hub;
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings;
        Ok(moved)
    }

    /// Re-reads the token file and the environment (after the token was saved or removed).
    fn reload(&self) -> Result<()> {
        self.apply(&Preferences::load(&self.paths.preferences))
            .map(|_| ())
    }
}

fn resolve_settings(paths: &AppPaths, prefs: &Preferences) -> Result<Settings> {
    Settings::resolve(&paths.env, paths.home.clone(), prefs)
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
    let handle = crate::cache::watch(&state.settings().cache_dir, move || {
        let _ = emitter.emit(CACHE_CHANGED, ());
    });
    // Without a watcher the Library still refreshes on its own actions; nothing to stop for.
    *state.watcher.lock().unwrap_or_else(|p| p.into_inner()) = handle.ok();
}

/// Registers Modelshelf's plugins, state and commands on `builder`.
pub fn build<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .setup(|app| {
            watch_cache(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::get_settings,
            commands::set_settings,
            commands::search_models,
            commands::get_model,
            commands::start_download,
            commands::cancel_download,
            commands::pause_download,
            commands::resume_download,
            commands::retry_download,
            commands::list_jobs,
            commands::clear_finished_jobs,
            commands::list_cache,
            commands::delete_from_cache,
            commands::prune_cache,
            commands::move_cache,
            commands::reveal_in_file_manager,
        ])
}

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
    })
}

/// Runs the desktop app until its window closes.
pub fn run() {
    let app = tauri::Builder::default();
    // The registry reports list changes through the app handle, which exists only once the
    // app is built; the slot is filled in right after.
    let handle_slot: Arc<Mutex<Option<AppHandle>>> = Arc::new(Mutex::new(None));
    let notify_slot = handle_slot.clone();
    let state = real_paths().and_then(|paths| {
        AppState::new(
            paths,
            tauri::async_runtime::handle().inner().clone(),
            move || {
                if let Some(handle) = notify_slot
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .as_ref()
                {
                    let _ = handle.emit(JOBS_CHANGED, ());
                }
            },
        )
    });
    let state = match state {
        Ok(state) => state,
        Err(err) => {
            // Nothing can work without an endpoint and a cache folder; say why and stop.
            eprintln!("modelshelf: {err}");
            std::process::exit(2);
        }
    };
    let app = match build(app, state).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(err) => {
            eprintln!("modelshelf: could not start the window: {err}");
            std::process::exit(1);
        }
    };
    *handle_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(app.handle().clone());
    app.run(|handle, event| {
        if let tauri::RunEvent::ExitRequested { .. } = event {
            // Live downloads are paused, their partial data kept and listed for next time.
            let jobs = handle.state::<AppState>().jobs().clone();
            tauri::async_runtime::block_on(jobs.shutdown(SHUTDOWN_TIMEOUT));
        }
    });
}
