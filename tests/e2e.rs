//! The real app in a real (virtual) window: WebKitWebDriver starts the binary under Xvfb, and
//! the tests click through it as a person would, against the fake Hub. Run by `scripts/test`
//! inside `xvfb-run`; screenshots land in `test-artifacts/e2e/`.

use std::path::Path;

use crate::support::python::run_script;
use crate::support::webdriver::AppSession;
use crate::support::{artifacts_dir, assert_weights_cached, wait_until};
use fake_hub::{FakeHub, Faults, demo_catalog};

fn app_binary() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_modelshelf").into()
}

fn start(hub: &FakeHub, home: &Path) -> AppSession {
    start_with(hub, home, &[])
}

fn start_with(hub: &FakeHub, home: &Path, extra: &[(&str, String)]) -> AppSession {
    AppSession::start(&app_binary(), &app_env(hub, home, extra))
}

/// The app's environment in a test: the fake Hub, and every folder under `home`.
fn app_env<'a>(hub: &FakeHub, home: &Path, extra: &[(&'a str, String)]) -> Vec<(&'a str, String)> {
    let mut env = vec![
        ("HF_ENDPOINT", hub.endpoint()),
        ("HF_HOME", home.join("hf").display().to_string()),
        // The app's own settings and jobs go under the test's home, not the real one.
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_DATA_HOME", home.join("data").display().to_string()),
        // No session bus unless a test brings its own: apps of parallel tests must not find
        // each other as "already running".
        ("DBUS_SESSION_BUS_ADDRESS", String::new()),
        ("XDG_RUNTIME_DIR", runtime_dir(home).display().to_string()),
    ];
    env.extend(extra.iter().cloned());
    env
}

/// A private runtime folder (0700, as the XDG spec wants) under the test's home.
fn runtime_dir(home: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = home.join("runtime");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// The app's log files' text (the folder it writes under `XDG_DATA_HOME`).
fn log_text(home: &Path) -> String {
    files_under(&home.join("data/modelshelf/logs"))
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect()
}

/// Opens `acme/tiny-model` from the search box and starts downloading its weights.
fn start_weights_download(app: &AppSession) {
    app.wait_until(
        "the search box",
        "return !!document.querySelector('input.search')",
    );
    app.script("document.querySelector('input.search').value = ''");
    app.type_into("input.search", "acme/tiny-model\u{E007}");
    app.wait_until(
        "the model's files",
        "return document.querySelectorAll('.files tbody tr').length === 5",
    );
    app.script("[...document.querySelectorAll('.files tbody tr')].find(r => r.textContent.includes('model.safetensors')).querySelector('button').click()");
    app.click(".nav-item[data-view=downloads]");
}

/// Process ids running this test build's app with `home` (other tests run apps of their own).
fn instance_pids(home: &Path) -> Vec<i32> {
    let binary = app_binary();
    let marker = format!("HF_HOME={}", home.join("hf").display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == binary))
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
        })
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

fn running_instances(home: &Path) -> usize {
    instance_pids(home).len()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn the_shell_navigates_between_views_and_talks_to_the_backend() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = start(&hub, home.path());
    let shots = artifacts_dir("e2e");

    app.wait_until(
        "the Browse view first",
        "return document.title === 'Browse · Modelshelf'",
    );
    for view in ["downloads", "library", "settings", "browse"] {
        app.click(&format!(".nav-item[data-view={view}]"));
        app.wait_until(
            &format!("the {view} view"),
            &format!(
                "return [...document.querySelectorAll('section.view')].every(s => s.hidden === (s.dataset.view !== '{view}'))
                    && document.querySelector('.nav-item[data-view={view}]').getAttribute('aria-current') === 'page'"
            ),
        );
    }
    app.click(".nav-item[data-view=settings]");
    // The Settings view is filled through IPC, so this proves the backend answers under our CSP.
    app.wait_until(
        "settings from the backend",
        "return !!document.querySelector('input[name=endpoint]')",
    );
    let endpoint = app.script("return document.querySelector('input[name=endpoint]').value");
    assert_eq!(endpoint, hub.endpoint().as_str());
    assert_eq!(
        app.text("#status"),
        format!("Hub: {}", hub.endpoint().trim_start_matches("http://"))
    );
    app.screenshot(&shots.join("settings.png"));
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn search_download_cancel_download_again_and_delete_from_the_library() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(60_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let repo_dir = home.path().join("hf/hub/models--acme--tiny-model");
    let app = start(&hub, home.path());
    let shots = artifacts_dir("e2e");

    // Search, open the model.
    app.wait_until(
        "the first results",
        "return document.querySelectorAll('.result').length > 0",
    );
    app.type_into("input.search", "tiny-model");
    app.wait_until(
        "the search for what was typed",
        "return !document.querySelector('#view-browse .loading')
            && [...document.querySelectorAll('.result .name')].some(n => n.textContent === 'acme/tiny-model')",
    );
    app.screenshot(&shots.join("browse.png"));
    // Clicked in the same script that finds it: a later answer may replace the list at any time.
    app.wait_until(
        "a click on the result",
        "const r = [...document.querySelectorAll('.result')].find(r => r.textContent.includes('acme/tiny-model'));
         if (r) r.click();
         return !!r",
    );
    app.wait_until(
        "the model's files",
        "return document.querySelectorAll('.files tbody tr').length === 5",
    );
    assert!(app.text("#view-model .card").contains("A model for tests."));
    app.screenshot(&shots.join("model.png"));

    // Start a throttled download and watch the bar move.
    let download_weights = "[...document.querySelectorAll('.files tbody tr')].find(r => r.textContent.includes('model.safetensors')).querySelector('button').click()";
    app.script(download_weights);
    app.click(".nav-item[data-view=downloads]");
    app.wait_until("the bar moving", "const b = document.querySelector('.job .bar'); return !!b && Number(b.getAttribute('aria-valuenow')) > 5");
    assert_eq!(app.text("#live-count"), "1");
    app.screenshot(&shots.join("downloads.png"));

    // Cancel: the job says so and nothing of it stays in the cache.
    app.click(".job button.danger");
    app.wait_until(
        "the cancelled job",
        "return document.querySelector('.job').dataset.state === 'cancelled'",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let left: Vec<String> = files_under(&repo_dir)
        .into_iter()
        .filter(|f| f.contains("blobs") || f.contains("snapshots"))
        .collect();
    assert!(left.is_empty(), "nothing left after cancel: {left:?}");

    // Download again, unthrottled: it completes and is in the Library.
    hub.set_faults(Faults::default());
    app.click(".job button");
    app.wait_until(
        "the completed job",
        "return document.querySelector('.job').dataset.state === 'completed'",
    );
    let snapshot = repo_dir
        .join("snapshots")
        .join(demo_catalog()[0].commit())
        .join("model.safetensors");
    assert_eq!(
        std::fs::read(&snapshot).unwrap(),
        demo_catalog()[0].get("model.safetensors").unwrap().content
    );
    // Chosen at `main` in the model view: Python finds it offline at `main`.
    assert_eq!(
        std::fs::read_to_string(repo_dir.join("refs/main")).unwrap(),
        demo_catalog()[0].commit()
    );
    let report = run_script(
        "cache_interop.py",
        &hub.endpoint(),
        &home.path().join("hf/hub"),
        true,
        &serde_json::json!({
            "command": "offline",
            "repo": "acme/tiny-model",
            "revisions": ["main"],
            "files": ["model.safetensors"],
        }),
    );
    assert_eq!(
        report["files"]["main"]["model.safetensors"]["sha256"],
        serde_json::json!(demo_catalog()[0].get("model.safetensors").unwrap().sha256()),
        "{report:#}"
    );
    app.click(".job .actions button");
    app.wait_until(
        "the repo in the Library",
        "return !!document.querySelector(\"[data-repo='acme/tiny-model']\")",
    );
    app.screenshot(&shots.join("library.png"));

    // Delete it: confirmed, and gone from disk.
    app.click("[data-repo='acme/tiny-model'] button.danger");
    app.wait_until(
        "the confirmation",
        "return !!document.querySelector('dialog.confirm[open]')",
    );
    assert!(app.text("dialog.confirm").contains("This frees 300 KB"));
    app.click("dialog.confirm button.danger");
    app.wait_until(
        "an empty Library",
        "return !!document.querySelector('#view-library li.empty')",
    );
    assert!(!repo_dir.exists(), "the repository folder is gone");
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn quitting_mid_download_and_starting_again_resumes_where_it_stopped() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(50_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    {
        let app = start(&hub, home.path());
        start_weights_download(&app);
        app.wait_until("the bar moving", "const b = document.querySelector('.job .bar'); return !!b && Number(b.getAttribute('aria-valuenow')) > 10");
        assert_eq!(
            running_instances(home.path()),
            1,
            "the app is found while it runs"
        );
        // Ending the session closes the window: the app pauses the job and saves it.
    }
    // The window is closed: the app pauses its job and exits. Under a loaded test run the
    // driver may go before the app has; then the app is killed, which is the crash case, and
    // must resume just the same. Either way no second app may hold the blob's lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while running_instances(home.path()) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for pid in instance_pids(home.path()) {
        // SAFETY: sending a signal to a process id has no memory-safety concerns.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    wait_until(
        "the killed app to be gone",
        std::time::Duration::from_secs(10),
        || running_instances(home.path()) == 0,
    );
    let jobs_file = home.path().join("data/modelshelf/jobs.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&jobs_file).is_ok_and(|j| j.contains("model.safetensors")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the unfinished job was not saved at exit"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let sent_before = hub.body_bytes_sent();
    hub.set_faults(Faults::default());

    let app = start(&hub, home.path());
    app.click(".nav-item[data-view=downloads]");
    app.wait_until(
        "the paused job",
        "const j = document.querySelector('.job'); return !!j && j.dataset.state === 'paused'",
    );
    // Found and clicked in one script: the row may redraw its buttons between two requests.
    app.script(
        "[...document.querySelectorAll('.job button')].find(b => b.textContent === 'Resume').click()",
    );
    app.wait_until(
        "the completed job",
        "return document.querySelector('.job').dataset.state === 'completed'",
    );
    assert_weights_cached(home.path());
    assert!(
        hub.body_bytes_sent() - sent_before < 300_000,
        "the second run fetched only the rest"
    );
    assert!(hub.requests().iter().any(|r| {
        r.range
            .as_deref()
            .is_some_and(|range| !range.starts_with("bytes=0-"))
    }));
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn every_view_has_a_dark_theme_screenshot() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = start_with(
        &hub,
        home.path(),
        &[("GTK_THEME", "Adwaita:dark".to_owned())],
    );
    let shots = artifacts_dir("e2e");
    app.wait_until(
        "the first results",
        "return document.querySelectorAll('.result').length > 0",
    );
    let dark = app.script("return matchMedia('(prefers-color-scheme: dark)').matches");
    assert_eq!(dark, true, "the webview follows the system's dark theme");
    for view in ["browse", "downloads", "library", "settings"] {
        app.click(&format!(".nav-item[data-view={view}]"));
        app.wait_until(
            &format!("the {view} view"),
            &format!("return !document.getElementById('view-{view}').hidden"),
        );
        app.screenshot(&shots.join(format!("{view}-dark.png")));
    }
    let background = app.script("return getComputedStyle(document.body).backgroundColor");
    assert_eq!(background, "rgb(20, 24, 38)");
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn offline_the_app_says_so_once_keeps_the_library_and_downloads_go_on_when_the_hub_is_back() {
    use std::time::Duration;
    let mut hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let shots = artifacts_dir("e2e");
    // Something in the cache from before (the command line shares the cache with the app).
    let cli = std::process::Command::new(crate::support::cli::binary())
        .args(["download", "acme/tiny-model", "config.json", "--quiet"])
        .env("HF_ENDPOINT", hub.endpoint())
        .env("HF_HOME", home.path().join("hf"))
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");

    // Start with the Hub unreachable.
    hub.stop();
    let app = start(&hub, home.path());
    app.wait_until(
        "the offline banner",
        "const b = document.getElementById('offline-banner'); return !!b && !b.hidden",
    );
    assert!(app.text("#offline-banner").contains("does not answer"));
    app.wait_until(
        "Browse's offline state",
        "return !!document.querySelector('.offline-state')",
    );
    app.screenshot(&shots.join("browse-offline.png"));
    app.click(".nav-item[data-view=library]");
    app.wait_until(
        "the cached repo in the Library",
        "return !!document.querySelector(\"[data-repo='acme/tiny-model']\")",
    );

    // The Hub comes back: "Try again" clears the banner and Browse searches by itself.
    hub.restart();
    app.click("#offline-banner button");
    app.wait_until(
        "the banner gone",
        "return document.getElementById('offline-banner').hidden",
    );
    app.click(".nav-item[data-view=browse]");
    app.wait_until(
        "results after the outage",
        "return document.querySelectorAll('.result').length > 0",
    );

    // Lose the Hub mid-download: the job waits instead of failing, and finishes on its own.
    hub.set_faults(Faults {
        throttle: Some(50_000),
        ..Faults::default()
    });
    start_weights_download(&app);
    app.wait_until("the bar moving", "const b = document.querySelector('.job .bar'); return !!b && Number(b.getAttribute('aria-valuenow')) > 5");
    hub.stop();
    app.wait_until_within(
        "the job waiting for the network",
        "const j = document.querySelector('.job'); return !!j && j.dataset.state === 'waitingForNetwork'",
        Duration::from_secs(40),
    );
    assert!(app.text(".job").contains("Waiting for the network"));
    app.wait_until(
        "the banner, once more",
        "return !document.getElementById('offline-banner').hidden",
    );
    app.screenshot(&shots.join("downloads-offline.png"));
    hub.set_faults(Faults::default());
    hub.restart();
    app.wait_until_within(
        "the job completed by itself",
        "return document.querySelector('.job').dataset.state === 'completed'",
        Duration::from_secs(40),
    );
    assert_weights_cached(home.path());
    assert!(log_text(home.path()).contains("the Hub endpoint does not answer"));
}

#[test]
#[ignore = "needs Xvfb, WebKitWebDriver and dbus-daemon; run by scripts/test"]
fn a_second_launch_hands_over_and_the_log_keeps_no_secret() {
    use std::io::{BufRead as _, BufReader};
    use std::time::Duration;
    let hub = FakeHub::start(demo_catalog());
    let token = "hf_E2eSecretTokenThatMustNotLeak42";
    hub.grant_token(token);
    let home = tempfile::tempdir().unwrap();
    // A session bus of this test's own, as a desktop session has.
    let mut bus = std::process::Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dbus-daemon (apt package dbus-daemon)");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let _bus = KillOnDrop(bus);
    let env = [
        ("DBUS_SESSION_BUS_ADDRESS", address.trim().to_owned()),
        ("HF_TOKEN", token.to_owned()),
    ];
    let app = start_with(&hub, home.path(), &env);

    // A gated download: the token goes to the Hub, the signed CDN link comes back.
    app.wait_until(
        "the search box",
        "return !!document.querySelector('input.search')",
    );
    app.type_into("input.search", "acme/tiny-gated\u{E007}");
    app.wait_until(
        "the model's files",
        "return document.querySelectorAll('.files tbody tr').length === 2",
    );
    app.script("[...document.querySelectorAll('.files tbody tr')].find(r => r.textContent.includes('weights.bin')).querySelector('button').click()");
    app.click(".nav-item[data-view=downloads]");
    app.wait_until(
        "the completed job",
        "const j = document.querySelector('.job'); return !!j && j.dataset.state === 'completed'",
    );
    app.set_window_size(900, 640);

    // Launched again: the second process hands over to the first and leaves.
    let mut second = std::process::Command::new(app_binary())
        .envs(app_env(&hub, home.path(), &env))
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second launch kept running");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert_eq!(running_instances(home.path()), 1, "one process");
    wait_until(
        "the first app hearing of it",
        Duration::from_secs(5),
        || log_text(home.path()).contains("another launch: showing the running window"),
    );
    assert!(
        app.text("#view-downloads").contains("Completed"),
        "the first app still works"
    );

    // Asked to stop as a session ending asks (WebKitWebDriver itself would SIGKILL it) in the
    // middle of a download: the app pauses it, saves it, remembers its window, and is gone
    // well within the shutdown's 5 s.
    hub.set_faults(Faults {
        throttle: Some(50_000),
        ..Faults::default()
    });
    app.click(".nav-item[data-view=browse]");
    start_weights_download(&app);
    app.wait_until("the second download moving", "return [...document.querySelectorAll('.job')].some(j => j.dataset.phase === 'downloading')");
    let asked = std::time::Instant::now();
    for pid in instance_pids(home.path()) {
        // SAFETY: sending a signal to a process id has no memory-safety concerns.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    wait_until("the first app to exit", Duration::from_secs(10), || {
        running_instances(home.path()) == 0
    });
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "quitting took {:?}",
        asked.elapsed()
    );
    drop(app);
    let jobs = std::fs::read_to_string(home.path().join("data/modelshelf/jobs.json")).unwrap();
    assert!(
        jobs.contains("model.safetensors"),
        "saved to resume: {jobs}"
    );
    let log = log_text(home.path());
    for expected in [
        "starting",
        "transfer started",
        "download ended",
        "asked to stop by a signal",
        "stopped",
    ] {
        assert!(
            log.contains(expected),
            "{expected:?} not in the log:\n{log}"
        );
    }
    for secret in [token, "Signature=", "Expires="] {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the log:\n{log}"
        );
    }
    assert!(
        log.contains("/blob/"),
        "CDN links are logged without their query"
    );

    // The window comes back at the size it had.
    let app = start_with(&hub, home.path(), &env);
    app.wait_until("the window", "return document.readyState === 'complete'");
    assert_eq!(app.window_size(), (900, 640));
}

/// A helper process that must not outlive the test, whatever happens.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A cache of `repos` repositories with one sparse `size`-byte blob each (quick to make, but
/// a move copies and verifies every byte), linked from a snapshot as Python lays it out.
fn sparse_cache(root: &Path, repos: usize, size: u64) {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    for i in 0..repos {
        let repo = root.join(format!("models--acme--big-{i}"));
        let blob = format!("{i:064x}");
        std::fs::create_dir_all(repo.join("blobs")).unwrap();
        std::fs::create_dir_all(repo.join("snapshots").join(commit)).unwrap();
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        let file = std::fs::File::create(repo.join("blobs").join(&blob)).unwrap();
        file.set_len(size).unwrap();
        std::os::unix::fs::symlink(
            Path::new("../../blobs").join(&blob),
            repo.join("snapshots")
                .join(commit)
                .join("model.safetensors"),
        )
        .unwrap();
        std::fs::write(repo.join("refs/main"), commit).unwrap();
    }
}

/// Counts the window's animation frames from now on, and the longest wait between two
/// (`window.__gap`, which a test resets when the work it watches starts): frames stop whenever
/// the window's thread is busy.
fn count_frames(app: &AppSession) {
    app.script(
        "window.__frames = 0; window.__gap = 0; let last = 0;
         (function tick(now) {
             window.__frames++;
             if (last) window.__gap = Math.max(window.__gap, now - last);
             last = now;
             requestAnimationFrame(tick);
         })(0);
         return true",
    );
}

/// How the window answered while work ran in the background.
struct Answering {
    frames_per_second: f64,
    /// Since `window.__gap` was last reset.
    longest_gap: std::time::Duration,
    slowest_view_switch: std::time::Duration,
}

impl std::fmt::Display for Answering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} frames/s, longest gap between frames {:?}, slowest view switch {:?}",
            self.frames_per_second, self.longest_gap, self.slowest_view_switch
        )
    }
}

impl Answering {
    /// A frozen window has no frame at all until the work ends, and opens no view; the bounds
    /// leave room for a machine whose cores are shared with other work.
    fn assert_not_frozen(&self) {
        let second = std::time::Duration::from_secs(1);
        assert!(
            self.frames_per_second >= 5.0,
            "{:.1} frames a second",
            self.frames_per_second
        );
        assert!(
            self.longest_gap < second,
            "{:?} without a frame",
            self.longest_gap
        );
        assert!(
            self.slowest_view_switch < second,
            "a view took {:?} to open",
            self.slowest_view_switch
        );
    }
}

/// Opens each of `views` in turn, 200 ms apart, timing how long each takes to show, and reads
/// the frame counter [`count_frames`] started.
fn open_views_counting_frames(app: &AppSession, views: &[&str], during: &str) -> Answering {
    use std::time::{Duration, Instant};
    let frames = || app.script("return window.__frames").as_u64().unwrap();
    let started = Instant::now();
    // The first switch counts from here: a window that is busy answers no script, this one
    // included.
    let before = frames();
    let mut asked = started;
    let mut slowest_view_switch = Duration::ZERO;
    for view in views {
        app.click(&format!(".nav-item[data-view={view}]"));
        app.wait_until(
            &format!("the {view} view during {during}"),
            &format!("return !document.getElementById('view-{view}').hidden"),
        );
        slowest_view_switch = slowest_view_switch.max(asked.elapsed());
        std::thread::sleep(Duration::from_millis(200));
        asked = Instant::now();
    }
    let seconds = started.elapsed().as_secs_f64();
    let longest_gap = app.script("return window.__gap").as_f64().unwrap();
    Answering {
        frames_per_second: (frames() - before) as f64 / seconds,
        longest_gap: Duration::from_secs_f64(longest_gap / 1000.0),
        slowest_view_switch,
    }
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn the_window_keeps_answering_while_a_large_cache_moves() {
    use std::time::{Duration, Instant};
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    // The default cache folder (no HF_HOME), which Settings may move, under a HOME of the
    // test's own (not XDG_CACHE_HOME: with that set, WebKit ran no animation frames here).
    let cache = home.path().join(".cache/huggingface/hub");
    const GIB: u64 = 1 << 30;
    sparse_cache(&cache, 2, GIB);
    let to = home.path().join("other-disk/hub");
    let app = start_with(
        &hub,
        home.path(),
        &[
            ("HF_HOME", String::new()),
            ("HOME", home.path().display().to_string()),
        ],
    );
    let shots = artifacts_dir("e2e");
    app.wait_until(
        "the search box",
        "return !!document.querySelector('input.search')",
    );
    app.click(".nav-item[data-view=settings]");
    app.wait_until(
        "the move row",
        "return !!document.querySelector('input[name=moveTo]')",
    );
    assert_eq!(
        app.script("return document.querySelector('input[name=cacheDir]').value"),
        cache.display().to_string().as_str()
    );
    count_frames(&app);
    app.type_into("input[name=moveTo]", &to.display().to_string());
    app.click(".field.move button[data-action=move]");
    app.click("dialog.confirm button.danger");
    let started = Instant::now();
    app.wait_until(
        "the move's first bytes",
        "const n = document.querySelector('.move-progress .numbers'); return !!n && /^Copying · [1-9]/.test(n.textContent)",
    );

    // While bytes are copied: frames keep coming, scripts answer at once, other views open.
    app.script("window.__gap = 0; return true");
    let answering = open_views_counting_frames(
        &app,
        &["library", "browse", "downloads", "settings"],
        "the move",
    );
    let still_moving = app.script("return !document.querySelector('.move-progress').hidden");
    assert_eq!(
        still_moving, true,
        "the checks ran during the move; make the cache larger if this machine is faster"
    );
    app.wait_until(
        "a progress line with an ETA",
        "return / left$/.test(document.querySelector('.move-progress .numbers').textContent)",
    );
    app.screenshot(&shots.join("settings-moving.png"));
    let progress = app.text(".move-progress .numbers");
    eprintln!("during the move: {answering}; {progress}");
    answering.assert_not_frozen();

    app.wait_until_within(
        "the move's end",
        "return /^Moved 2\\.15 GB to /.test(document.querySelector('#view-settings .status-line').textContent)",
        Duration::from_secs(120),
    );
    eprintln!("moved 2 GiB in {:?}", started.elapsed());
    assert_eq!(
        app.script("return document.querySelector('input[name=cacheDir]').value"),
        to.display().to_string().as_str()
    );
    assert!(!cache.join("models--acme--big-0").exists());
    assert_eq!(
        std::fs::metadata(
            to.join("models--acme--big-1/blobs")
                .join(format!("{:064x}", 1))
        )
        .unwrap()
        .len(),
        GIB
    );
}

/// A cache with one repository, `acme/many-files`, of `files` one-byte files (a dataset of
/// many shards), each a blob linked from the snapshot as Python lays it out. Returns the
/// repository's folder.
fn many_file_cache(root: &Path, files: usize) -> std::path::PathBuf {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let repo = root.join("models--acme--many-files");
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    for shard in 0..100 {
        std::fs::create_dir_all(snapshot.join(format!("shard-{shard}"))).unwrap();
    }
    for i in 0..files {
        let blob = format!("{i:064x}");
        std::fs::write(repo.join("blobs").join(&blob), b"x").unwrap();
        std::os::unix::fs::symlink(
            Path::new("../../../blobs").join(&blob),
            snapshot.join(format!("shard-{}/part-{i}.bin", i % 100)),
        )
        .unwrap();
    }
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    repo
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn the_window_keeps_answering_while_a_large_repository_is_deleted() {
    use std::time::{Duration, Instant};
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    // The cache in memory: on this machine's disk (ext4 mounted with `discard`) each unlink
    // took 1 to 2.5 ms depending on what else wrote to it, so a delete of this size took a
    // minute or more; in memory it takes a few seconds of the app's own work (the scan that
    // sizes the repository, then the unlinks), steady enough to bound the test.
    let hf_home = tempfile::tempdir_in("/dev/shm").expect("a tmpfs at /dev/shm");
    const FILES: usize = 80_000;
    let repo_dir = many_file_cache(&hf_home.path().join("hub"), FILES);
    let app = start_with(
        &hub,
        home.path(),
        &[("HF_HOME", hf_home.path().display().to_string())],
    );
    let shots = artifacts_dir("e2e");
    app.wait_until(
        "the search box",
        "return !!document.querySelector('input.search')",
    );
    app.click(".nav-item[data-view=library]");
    app.wait_until_within(
        "the repository in the Library",
        "return !!document.querySelector(\"[data-repo='acme/many-files']\")",
        Duration::from_secs(30),
    );
    // Read and clicked by scripts that find the row themselves: a refresh of the Library may
    // replace it at any time.
    let meta = app.script(
        "return document.querySelector(\"[data-repo='acme/many-files'] .meta\").textContent",
    );
    let meta = meta.as_str().unwrap();
    assert!(
        meta.starts_with(&format!("{FILES} files · 1 revision (main)")),
        "{meta}"
    );
    // One byte a file.
    let freed = format!("{:.1} KB", FILES as f64 / 1000.0);
    count_frames(&app);
    app.script(
        "document.querySelector(\"[data-repo='acme/many-files'] button.danger\").click();
         return true",
    );
    app.wait_until(
        "the confirmation",
        "return !!document.querySelector('dialog.confirm[open]')",
    );
    assert!(
        app.text("dialog.confirm")
            .contains(&format!("This frees {freed}"))
    );
    // Confirmed in the same script that starts the frame gap afresh: once the delete runs, a
    // window that froze would not run a later script before the delete ended.
    app.script(
        "window.__gap = 0;
         document.querySelector('dialog.confirm button.danger').click();
         return true",
    );
    let started = Instant::now();

    // While the files go: frames keep coming, other views open.
    let answering = open_views_counting_frames(
        &app,
        &["browse", "downloads", "settings", "library"],
        "the delete",
    );
    let checked_within = started.elapsed();
    let status = "document.querySelector('#view-library .status-line').textContent";
    let still_deleting = app.script(&format!("return {status} === ''"));
    app.screenshot(&shots.join("library-deleting.png"));
    eprintln!("during the delete (checked within {checked_within:?}): {answering}");
    answering.assert_not_frozen();
    assert_eq!(
        still_deleting, true,
        "the checks ran during the delete ({checked_within:?}); add files if this machine is faster"
    );

    app.wait_until_within(
        "the delete's end",
        &format!("return {status} !== ''"),
        Duration::from_secs(60),
    );
    eprintln!("deleted {FILES} files in {:?}", started.elapsed());
    assert_eq!(
        app.script(&format!("return {status}")),
        format!("Deleted acme/many-files, freed {freed}.").as_str()
    );
    app.wait_until(
        "an empty Library",
        "return !!document.querySelector('#view-library li.empty')",
    );
    assert!(!repo_dir.exists(), "the repository folder is gone");
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn a_real_style_card_shows_as_on_the_hub_and_stays_inert() {
    use fake_hub::FakeRepo;
    let hub = FakeHub::start(vec![
        FakeRepo::model("acme/Acme-V3")
            .file("README.md", include_str!("ui/real-card.md"))
            .file(
                "figures/logo.png",
                include_bytes!("fixtures/card-logo.png").to_vec(),
            )
            .file("config.json", "{}")
            .lfs_file("model.safetensors", vec![1u8; 4096])
            .tags(&["license:mit", "safetensors"])
            .pipeline("text-generation")
            .stats(120_000, 3400),
    ]);
    let shots = artifacts_dir("e2e");
    for theme in ["light", "dark"] {
        let home = tempfile::tempdir().unwrap();
        let extra = if theme == "dark" {
            vec![("GTK_THEME", "Adwaita:dark".to_owned())]
        } else {
            vec![]
        };
        let app = start_with(&hub, home.path(), &extra);
        app.wait_until(
            "the search box",
            "return !!document.querySelector('input.search')",
        );
        app.type_into("input.search", "acme/Acme-V3\u{E007}");
        app.wait_until("the card", "return !!document.querySelector('.card h2')");
        // The logo comes from the repo on the endpoint; the badges wait for a click.
        app.wait_until(
            "the logo",
            "const i = document.querySelector('.card > div[align=center] > img'); return !!i && i.complete && i.naturalWidth === 360",
        );
        assert_eq!(
            app.script("return [...document.querySelectorAll('.card .held-image')].map(s => s.textContent).join('|')"),
            "Homepage|Hugging Face|License"
        );
        assert_eq!(
            app.script("return [document.querySelectorAll('.card table').length, document.querySelectorAll('.card details summary').length, document.querySelectorAll('.card script, .card iframe, .card form, .card [style], .card [onerror], .card [onclick]').length, window.__cardScriptRan === undefined]"),
            serde_json::json!([2, 1, 0, true])
        );
        app.script("document.querySelector('.card').scrollIntoView(); return true");
        app.screenshot(&shots.join(format!("model-card-{theme}.png")));
        app.click(".card summary");
        app.script("document.querySelector('.card details').scrollIntoView(); return true");
        app.screenshot(&shots.join(format!("model-card-details-{theme}.png")));
        let requests = hub.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.target.ends_with("/figures/logo.png")),
            "{requests:?}"
        );
    }
}

/// The Library's "Other apps" in the real window: an LM Studio copy of a cached GGUF is shown
/// as kept twice, and Reclaim (confirmed) makes LM Studio's file a hard link to the cache's
/// blob under its own path, with the same bytes.
#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn the_library_shows_other_apps_copies_and_reclaims_them() {
    use std::os::unix::fs::MetadataExt as _;
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..2u32 << 20).map(|i| (i % 253) as u8).collect();
    let (blob, copy) = crate::shelf::kept_twice(home.path(), &content);
    let app = start_with(
        &hub,
        home.path(),
        &[
            ("HOME", home.path().display().to_string()),
            (
                "XDG_CACHE_HOME",
                home.path().join("cache").display().to_string(),
            ),
        ],
    );
    let shots = artifacts_dir("e2e");
    app.click(".nav-item[data-view=library]");
    app.wait_until(
        "LM Studio's copy, kept twice",
        "return !!document.querySelector('.other-apps [data-app=lmStudio] [data-sharing=reclaimable]')",
    );
    let summary = app.text(".other-apps .summary");
    assert!(summary.contains("LM Studio: 1 model"), "{summary}");
    assert!(summary.contains("2.10 MB kept twice"), "{summary}");
    app.script("document.querySelector('.other-apps').scrollIntoView()");
    app.screenshot(&shots.join("library-other-apps.png"));
    app.click(".other-apps button.reclaim");
    app.wait_until(
        "the confirmation",
        "return !!document.querySelector('dialog.confirm')",
    );
    app.click("dialog.confirm button.danger");
    app.wait_until(
        "LM Studio's file shared",
        "return !!document.querySelector('.other-apps [data-sharing=shared]')",
    );
    assert!(app.text(".other-apps").contains("Reclaimed 2.10 MB."));
    app.screenshot(&shots.join("library-other-apps-reclaimed.png"));
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    assert_eq!(ino(&copy), ino(&blob));
    assert_eq!(std::fs::read(&copy).unwrap(), content);
}

/// Keyboard only, in the real window: search, open a model, start a download, cancel it,
/// download again, open the Library, delete one quantization; after each step the focus is
/// where a keyboard user needs it, never on the page's body.
#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn a_keyboard_alone_searches_downloads_cancels_and_deletes() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(10_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = start(&hub, home.path());
    let focus_is = |css: &str, step: &str| {
        let check = format!(
            "return !!document.activeElement && document.activeElement.matches({})",
            serde_json::json!(css)
        );
        app.wait_until_within(
            &format!("the focus on {css} after {step} (now {})", app.focused()),
            &check,
            std::time::Duration::from_secs(10),
        );
    };
    app.wait_until(
        "the first results",
        "return document.querySelectorAll('.result').length > 0",
    );

    app.press(&["Control", "k"]);
    focus_is("input.search", "Ctrl+K");
    app.type_keys("tiny-model");
    app.wait_until(
        "the results for what was typed",
        "return !document.querySelector('#view-browse .loading')
            && [...document.querySelectorAll('.result .name')].map(n => n.textContent).join() === 'acme/tiny-model'",
    );
    app.tab_to("button.result", 10);
    app.press(&["Enter"]);
    focus_is("#view-model h1", "opening the model");
    app.wait_until(
        "the model's files",
        "return document.querySelectorAll('.files tbody tr').length > 0",
    );

    let quant = "button[aria-label^='Download Q4_K_M']";
    app.tab_to(quant, 60);
    app.press(&["Enter"]);
    app.press(&["Control", "2"]);
    focus_is("#view-downloads h1", "Ctrl+2");
    app.wait_until(
        "the download running",
        "return document.querySelector('.job')?.dataset.state === 'running'",
    );
    app.tab_to(".job button[aria-label^='Cancel download of']", 20);
    app.press(&["Enter"]);
    app.wait_until(
        "the cancelled job",
        "return document.querySelector('.job')?.dataset.state === 'cancelled'",
    );
    focus_is(
        ".job button[aria-label^='Download again']",
        "cancelling (the row's new button)",
    );

    hub.set_faults(Faults::default());
    app.press(&["Enter"]);
    app.wait_until(
        "the completed job",
        "return document.querySelector('.job')?.dataset.state === 'completed'",
    );
    focus_is(".job button", "the download finishing");
    let blob = home.path().join(format!(
        "hf/hub/models--acme--tiny-model/blobs/{}",
        demo_catalog()[0]
            .get("gguf/tiny-Q4_K_M.gguf")
            .unwrap()
            .sha256()
    ));
    assert!(blob.exists(), "the quantization is in the cache");

    app.press(&["Control", "3"]);
    focus_is("#view-library h1", "Ctrl+3");
    app.tab_to("button[aria-label^='Delete Q4_K_M of acme/tiny-model']", 60);
    app.press(&["Enter"]);
    app.wait_until(
        "the confirmation",
        "return !!document.querySelector('dialog.confirm[open]')",
    );
    app.tab_to("dialog.confirm button.danger", 4);
    app.press(&["Enter"]);
    app.wait_until(
        "the quantization gone from the Library",
        "return !document.querySelector(\"button[aria-label^='Delete Q4_K_M of acme/tiny-model']\")",
    );
    // The delete's own refresh and the cache watcher's may both rebuild the list; the focus is
    // judged once they have (each rebuild hands it on, never to the page).
    app.wait_until_within(
        &format!(
            "the focus in the Library after the delete, not on the page (now {})",
            app.focused()
        ),
        "const e = document.activeElement;
         return !!e && e !== document.body && !!e.closest('#view-library')",
        std::time::Duration::from_secs(5),
    );
    assert!(!blob.exists(), "the quantization's bytes are gone");
}
