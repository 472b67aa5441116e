//! The IPC commands. Each one validates its arguments, calls the core and maps the result;
//! nothing here knows how a download or the cache works.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use super::{AppState, CommandError};

/// What the app is and where it points, for the status bar and the Settings view.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    /// The Hub endpoint in use (`HF_ENDPOINT` or the public Hub).
    pub endpoint: String,
    /// The cache root shared with Python's `huggingface_hub`.
    pub cache_dir: String,
    /// Whether an access token was found (its value never crosses IPC).
    pub has_token: bool,
    /// `HF_HUB_OFFLINE` is set.
    pub offline: bool,
}

#[tauri::command]
pub(super) fn app_info(state: State<'_, AppState>) -> Result<AppInfo, CommandError> {
    let settings = &state.settings;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        endpoint: settings.endpoint.clone(),
        cache_dir: settings.cache_dir.display().to_string(),
        has_token: settings.token.is_some(),
        offline: settings.offline,
    })
}
