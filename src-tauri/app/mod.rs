//! The Tauri shell: the only module that imports tauri. It owns the managed state, registers
//! the IPC commands (thin adapters over the core) and starts the window. One generic builder,
//! [`build`], serves both the real app and the command tests on Tauri's mock runtime.

mod commands;
mod error;
pub mod ipc_types;

use tauri::{Builder, Runtime};

pub use self::commands::AppInfo;
pub use self::error::CommandError;
use crate::settings::Settings;

/// Everything the commands share, managed by Tauri for the app's lifetime.
pub struct AppState {
    settings: Settings,
}

impl AppState {
    pub fn new(settings: Settings) -> AppState {
        AppState { settings }
    }
}

/// Registers Modelshelf's state and commands on `builder`.
pub fn build<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![commands::app_info])
}

/// Runs the desktop app until its window closes.
pub fn run() {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            // Nothing can work without an endpoint and a cache folder; say why and stop.
            eprintln!("modelshelf: {err}");
            std::process::exit(2);
        }
    };
    let result =
        build(tauri::Builder::default(), AppState::new(settings)).run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("modelshelf: could not start the window: {err}");
        std::process::exit(1);
    }
}
