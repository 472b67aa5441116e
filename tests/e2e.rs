//! The real app in a real (virtual) window: WebKitWebDriver starts the binary under Xvfb, and
//! the tests click through it as a person would. Run by `scripts/test` inside `xvfb-run`.

use crate::support::fake_hub::FakeHub;
use crate::support::webdriver::AppSession;
use crate::support::{artifacts_dir, demo_catalog};

fn app_binary() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_modelshelf").into()
}

#[test]
#[ignore = "needs Xvfb and WebKitWebDriver; run by scripts/test"]
fn the_shell_navigates_between_views_and_talks_to_the_backend() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = AppSession::start(
        &app_binary(),
        &[
            ("HF_ENDPOINT", hub.endpoint()),
            ("HF_HOME", home.path().display().to_string()),
        ],
    );
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
        "return document.querySelectorAll('#view-settings dd').length > 0",
    );
    assert_eq!(app.text("#view-settings dd"), hub.endpoint());
    assert!(
        app.text("#view-settings")
            .contains(&home.path().join("hub").display().to_string())
    );
    assert_eq!(
        app.text("#status"),
        format!("Hub: {}", hub.endpoint().trim_start_matches("http://"))
    );
    app.screenshot(&shots.join("settings.png"));

    app.click(".nav-item[data-view=browse]");
    app.screenshot(&shots.join("browse.png"));
}
