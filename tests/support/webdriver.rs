//! Just enough of the W3C WebDriver protocol to drive the real app through WebKitWebDriver
//! (`shared/reference/tauri-on-linux.md`): start the driver, open a session on our binary,
//! find, click, read, run script, take screenshots.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The W3C key that holds an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebKitWebDriver process and one session running the app. Dropping it ends both.
pub struct AppSession {
    driver: Child,
    base: String,
    http: reqwest::blocking::Client,
}

impl AppSession {
    /// Starts WebKitWebDriver on a free port and opens a session on `binary`; the app inherits
    /// `env`.
    pub fn start(binary: &Path, env: &[(&str, String)]) -> AppSession {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new("WebKitWebDriver");
        command
            .arg(format!("--port={port}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let driver = command
            .spawn()
            .expect("WebKitWebDriver (apt package webkit2gtk-driver) must be installed");
        // reqwest is built without a bundled TLS provider (see `modelshelf_core::hub::client_builder`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        // A keep-alive client: tauri-on-linux.md saw close-per-request clients fail.
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut session = AppSession {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        session.wait_for_driver();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary, "args": [] }
        } } });
        let created = session.request("POST", "/session", Some(caps));
        let id = created["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        session.base = format!("{}/session/{id}", session.base);
        session
    }

    fn wait_for_driver(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self
                .http
                .get(format!("{}/status", self.base))
                .send()
                .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("WebKitWebDriver did not start");
    }

    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or(json!({}))),
        };
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let value: Value = resp.json().unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path} -> {status}: {value}");
        value["value"].clone()
    }

    /// Waits up to 10 s for an element matching `css`.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let resp = self
                .http
                .post(format!("{}/element", self.base))
                .json(&json!({"using": "css selector", "value": css}))
                .send();
            if let Ok(resp) = resp
                && resp.status().is_success()
            {
                let value: Value = resp.json().unwrap();
                let id = value["value"][ELEMENT_KEY].as_str();
                return id
                    .unwrap_or_else(|| panic!("unexpected element reply: {value}"))
                    .to_owned();
            }
            assert!(Instant::now() < deadline, "no element matches {css}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.request("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Types `text` into the element matching `css`.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.request(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Presses `keys` together as a person would (held down in order, released in reverse),
    /// through WebDriver's actions: the page sees real key events, focus moves as it would.
    /// Named keys: "Tab", "Enter", "Escape", "Control", "Alt", "Shift", "ArrowLeft", "Space";
    /// anything else is typed as it is.
    pub fn press(&self, keys: &[&str]) {
        let code = |key: &str| -> String {
            match key {
                "Tab" => "\u{E004}".into(),
                "Enter" => "\u{E007}".into(),
                "Shift" => "\u{E008}".into(),
                "Control" => "\u{E009}".into(),
                "Alt" => "\u{E00A}".into(),
                "Escape" => "\u{E00C}".into(),
                "Space" => " ".into(),
                "ArrowLeft" => "\u{E012}".into(),
                other => other.into(),
            }
        };
        let mut actions: Vec<Value> = keys
            .iter()
            .map(|k| json!({"type": "keyDown", "value": code(k)}))
            .collect();
        actions.extend(
            keys.iter()
                .rev()
                .map(|k| json!({"type": "keyUp", "value": code(k)})),
        );
        self.request(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// Types `text` into whatever has the focus, a character at a time.
    pub fn type_keys(&self, text: &str) {
        for c in text.chars() {
            self.press(&[&c.to_string()]);
        }
    }

    /// Presses Tab until the focused element matches `css`, at most `limit` times; panics with
    /// where the focus went otherwise.
    pub fn tab_to(&self, css: &str, limit: usize) {
        let check = format!(
            "return !!document.activeElement && document.activeElement.matches({})",
            json!(css)
        );
        for _ in 0..limit {
            self.press(&["Tab"]);
            if self.script(&check) == json!(true) {
                return;
            }
        }
        panic!(
            "{limit} Tabs did not reach {css}; the focus is on {}",
            self.focused()
        );
    }

    /// The focused element, described: tag, id, classes, accessible label or text.
    pub fn focused(&self) -> String {
        self.script(
            "const e = document.activeElement;
             if (!e) return 'nothing';
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
               + ' \"' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 80) + '\"'",
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.request("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub fn script(&self, script: &str) -> Value {
        self.request(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Polls `script` until it returns `true`, for up to 10 s.
    pub fn wait_until(&self, what: &str, script: &str) {
        self.wait_until_within(what, script, Duration::from_secs(10));
    }

    /// Polls `script` until it returns `true`, for up to `limit`.
    pub fn wait_until_within(&self, what: &str, script: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.script(script) != Value::Bool(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Resizes the app's window.
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.request(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// The window's outer size.
    pub fn window_size(&self) -> (u64, u64) {
        let rect = self.request("GET", "/window/rect", None);
        (
            rect["width"].as_u64().unwrap_or_default(),
            rect["height"].as_u64().unwrap_or_default(),
        )
    }

    /// Saves a PNG of the window once the page has painted its current state (WebKit's
    /// snapshot otherwise can show a frame from before the last DOM change).
    pub fn screenshot(&self, path: &Path) {
        let painted = "const done = arguments[arguments.length - 1];
            requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => done(true), 50)));";
        self.request(
            "POST",
            "/execute/async",
            Some(json!({ "script": painted, "args": [] })),
        );
        let data = self.request("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for AppSession {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.base).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
