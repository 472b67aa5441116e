//! The IPC commands, called the way the webview calls them, on Tauri's mock runtime.

use std::path::PathBuf;

use modelshelf::app::{self, AppState};
use modelshelf::settings::Settings;
use serde_json::json;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn settings(vars: &[(&str, &str)]) -> Settings {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Settings::resolve(&lookup, Some(PathBuf::from("/home/test"))).unwrap()
}

fn mock_app(settings: Settings) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = app::build(mock_builder(), AppState::new(settings))
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    (app, window)
}

fn invoke(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<serde_json::Value>().unwrap())
}

#[test]
fn app_info_reports_the_effective_settings_without_the_token() {
    let (_app, window) = mock_app(settings(&[
        ("HF_ENDPOINT", "http://127.0.0.1:9/"),
        ("HF_HOME", "/data/hf"),
        ("HF_TOKEN", "hf_secret_value"),
    ]));
    let value = invoke(&window, "app_info", json!({})).expect("app_info succeeds");
    assert_eq!(value["endpoint"], "http://127.0.0.1:9");
    assert_eq!(value["cacheDir"], "/data/hf/hub");
    assert_eq!(value["hasToken"], true);
    assert_eq!(value["offline"], false);
    assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        !value.to_string().contains("hf_secret_value"),
        "the token must never cross IPC: {value}"
    );
}

#[test]
fn an_unknown_command_is_refused() {
    let (_app, window) = mock_app(settings(&[]));
    assert!(invoke(&window, "no_such_command", json!({})).is_err());
}
