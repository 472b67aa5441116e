//! The IPC commands on Tauri's mock runtime against the fake Hub: progress over channels,
//! cancel, pause and resume, the concurrency limit, persistence across launches, the
//! `invalidInput` answer to every kind of bad argument, waiting out a lost endpoint, the token
//! check and the diagnostics.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modelshelf::{AppEvent, AppPaths, AppState, StartupConfig, commands};
use modelshelf_core::connectivity::ProbeSchedule;
use modelshelf_core::jobs::{DownloadRequest, JobId, JobProgress, JobState};
use serde_json::json;
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::support::{assert_weights_cached, eventually};
use fake_hub::{Fail, FakeHub, Faults, demo_catalog};

struct TestApp {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    /// Whether the endpoint answered, each time that changed.
    connectivity: Arc<Mutex<Vec<bool>>>,
}

/// A mock app whose environment is `vars` plus an `HF_HOME` and app files under `home`.
fn mock_app(home: &Path, vars: &[(&str, String)]) -> TestApp {
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    vars.push(("HF_HOME".into(), home.join("hf").display().to_string()));
    let paths = AppPaths {
        preferences: home.join("config/settings.json"),
        jobs: Some(home.join("data/jobs.json")),
        env: Box::new(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
        home: Some(home.to_owned()),
        logs: home.join("data/logs"),
        hashes: Some(home.join("cache/modelshelf/hashes.json")),
    };
    let connectivity = Arc::new(Mutex::new(Vec::new()));
    let seen = connectivity.clone();
    let probes = ProbeSchedule {
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
    let config = StartupConfig::resolve(paths).unwrap();
    let runtime = tokio::runtime::Handle::current();
    let make_state = move |_: &tauri::AppHandle<tauri::test::MockRuntime>| {
        AppState::new(config, runtime, probes, move |event| {
            if let AppEvent::Connectivity(online) = event {
                seen.lock().unwrap().push(online);
            }
        })
    };
    let mut app = modelshelf::build(mock_builder(), make_state)
        .build(mock_context(noop_assets()))
        .unwrap();
    // The state is made in `setup`, which runs when the event loop starts; the mock runtime has
    // none, and one iteration (a no-op on it) is the way to run `setup` as the real app does.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    TestApp {
        app,
        window,
        connectivity,
    }
}

impl TestApp {
    fn invoke(
        &self,
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
        get_ipc_response(&self.window, request)
            .map(|body| body.deserialize::<serde_json::Value>().unwrap())
    }

    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    fn start(&self, request: DownloadRequest) -> (JobId, Reports) {
        let reports = Reports::default();
        let id = commands::start_download(self.state(), request, reports.channel()).unwrap();
        (id, reports)
    }
}

/// Every message a job's channel received, with when it arrived.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<(Instant, JobProgress)>>>);

impl Reports {
    fn channel(&self) -> Channel<JobProgress> {
        let seen = self.0.clone();
        Channel::new(move |body: InvokeResponseBody| {
            if let InvokeResponseBody::Json(json) = body {
                let value: serde_json::Value = serde_json::from_str(&json).unwrap();
                let state = serde_json::from_value(value["state"].clone()).unwrap();
                let mut progress =
                    JobProgress::queued(&JobId::new(value["jobId"].as_str().unwrap()));
                progress.set_state(state);
                assert_eq!(value["live"], progress.live, "{value}");
                progress.download.bytes_done = value["bytesDone"].as_u64().unwrap();
                progress.download.bytes_total = value["bytesTotal"].as_u64().unwrap();
                progress.speed = value["speed"].as_f64().unwrap();
                progress.eta_seconds = value["etaSeconds"].as_f64();
                progress.error = serde_json::from_value(value["error"].clone()).unwrap_or(None);
                seen.lock().unwrap().push((Instant::now(), progress));
            }
            Ok(())
        })
    }

    fn all(&self) -> Vec<(Instant, JobProgress)> {
        self.0.lock().unwrap().clone()
    }

    fn terminals(&self) -> Vec<JobState> {
        self.all()
            .into_iter()
            .map(|(_, p)| p.state)
            .filter(|state| !state.is_live())
            .collect()
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&[(Instant, JobProgress)]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.all()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.all().last()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn weights() -> DownloadRequest {
    DownloadRequest {
        repo_type: Default::default(),
        repo: "acme/tiny-model".into(),
        revision: None,
        commit: None,
        files: vec!["model.safetensors".into()],
        include: vec![],
        exclude: vec![],
    }
}

fn incomplete_files(home: &Path) -> usize {
    let blobs = home.join("hf/hub/models--acme--tiny-model/blobs");
    std::fs::read_dir(blobs).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .contains(".incomplete")
        })
        .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_arrives_rate_limited_and_monotone_and_ends_in_one_completed() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(400_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let (id, reports) = app.start(weights());
    reports
        .wait_for("completion", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Completed)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let all = reports.all();
    assert_eq!(
        reports.terminals(),
        [JobState::Completed],
        "exactly one terminal message"
    );
    assert!(
        all.len() >= 5,
        "progress while downloading, not just the end: {}",
        all.len()
    );
    assert!(
        all.windows(2)
            .all(|w| w[0].1.download.bytes_done <= w[1].1.download.bytes_done),
        "bytes never go back"
    );
    let running: Vec<&(Instant, JobProgress)> = all
        .iter()
        .filter(|(_, p)| p.state != JobState::Completed)
        .collect();
    for pair in running.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(80),
            "at most ~10 messages a second"
        );
    }
    assert!(
        all.iter()
            .any(|(_, p)| p.speed > 0.0 && p.eta_seconds.is_some()),
        "speed and ETA are reported"
    );
    let last = &all.last().unwrap().1;
    assert_eq!(
        (
            last.job_id.clone(),
            last.download.bytes_done,
            last.download.bytes_total
        ),
        (id.clone(), 300_000, 300_000)
    );
    let snapshot_path = home
        .path()
        .join("hf/hub/models--acme--tiny-model/snapshots")
        .join(demo_catalog()[0].commit())
        .join("model.safetensors");
    assert_eq!(std::fs::read(&snapshot_path).unwrap().len(), 300_000);
    let listed = app.invoke("list_jobs", json!({})).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["progress"]["state"], "completed");
    // The job keeps what it put in the cache, to show it and to open it.
    let entry = &listed[0]["entry"];
    assert_eq!(entry["repo"], "acme/tiny-model");
    assert_eq!(entry["commit"], demo_catalog()[0].commit());
    assert_eq!(entry["files"][0]["path"], "model.safetensors");
    assert_eq!(
        entry["files"][0]["localPath"]
            .as_str()
            .map(std::path::PathBuf::from),
        Some(snapshot_path),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_bytes_removes_partial_data_and_is_idempotent() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(100_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let (id, reports) = app.start(weights());
    eventually("30_000 bytes sent", Duration::from_secs(20), || {
        hub.body_bytes_sent() >= 30_000
    })
    .await;
    app.invoke("cancel_download", json!({ "jobId": id }))
        .unwrap();
    reports
        .wait_for("the cancelled message", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Cancelled)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = hub.body_bytes_sent();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        hub.body_bytes_sent(),
        sent,
        "no byte after 100 ms: the connection is closed"
    );
    assert_eq!(reports.terminals(), [JobState::Cancelled]);
    assert_eq!(incomplete_files(home.path()), 0, "partial data removed");
    assert!(
        !home.path().join("hf/hub/models--acme--tiny-model").exists(),
        "no empty folders left: the repo folder the job made is gone"
    );
    assert_eq!(
        app.invoke("list_jobs", json!({})).unwrap()[0]["progress"]["state"],
        "cancelled"
    );
    app.invoke("cancel_download", json!({ "jobId": id }))
        .expect("cancelling again is fine");

    let err = app
        .invoke("cancel_download", json!({ "jobId": "job-nope" }))
        .unwrap_err();
    assert_eq!(err["kind"], "notFound", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_job_refuses_a_live_job_and_forgets_a_finished_one() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(100_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let (id, reports) = app.start(weights());
    let err = app
        .invoke("remove_job", json!({ "jobId": id }))
        .unwrap_err();
    assert_eq!(err["kind"], "invalidInput", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("cancel it"),
        "{err}"
    );
    assert_eq!(
        app.invoke("list_jobs", json!({})).unwrap()[0]["id"],
        json!(id)
    );
    app.invoke("cancel_download", json!({ "jobId": id }))
        .unwrap();
    reports
        .wait_for("the cancelled message", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Cancelled)
        })
        .await;
    // The cancelled report goes out just before the run lets go of the job.
    eventually(
        "the cancelled job to be removed",
        Duration::from_secs(20),
        || app.invoke("remove_job", json!({ "jobId": id })).is_ok(),
    )
    .await;
    assert_eq!(app.invoke("list_jobs", json!({})).unwrap(), json!([]));
    let err = app
        .invoke("remove_job", json!({ "jobId": id }))
        .unwrap_err();
    assert_eq!(err["kind"], "notFound", "{err}");
}

/// Resumes job `id` and waits for it to complete, its last request asking for the bytes after
/// its partial data rather than the whole file again.
async fn resumes_from_its_partial(app: &TestApp, hub: &FakeHub, id: &JobId) {
    let reports = Reports::default();
    commands::resume_download(app.state(), id.clone(), reports.channel()).unwrap();
    reports
        .wait_for("completion", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Completed)
        })
        .await;
    let range = hub
        .requests()
        .into_iter()
        .filter_map(|r| r.range)
        .next_back()
        .expect("a Range request");
    assert!(
        !range.starts_with("bytes=0-"),
        "resumed from the partial: {range}"
    );
}

/// Makes the file vanish from the Hub mid-download (every request answered 404, the
/// connections in flight cut): a failure, not a network to wait for; waits for it.
async fn fail_midway(hub: &mut FakeHub, reports: &Reports) {
    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 404,
            times: u32::MAX,
            retry_after: None,
        }),
        ..Faults::default()
    });
    hub.restart();
    reports
        .wait_for("the failure", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Failed)
        })
        .await;
}

/// Remove on a failed download takes its partial data off the disk too (the list was the way
/// back to those bytes) and says what that freed; Clear finished does the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_failed_job_deletes_the_partial_data_it_left() {
    let mut hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    for clear in [false, true] {
        hub.set_faults(Faults {
            throttle: Some(100_000),
            ..Faults::default()
        });
        let (id, reports) = app.start(weights());
        reports
            .wait_for("the first bytes", |r| {
                r.iter().any(|(_, p)| p.download.bytes_done > 0)
            })
            .await;
        fail_midway(&mut hub, &reports).await;
        assert_eq!(
            incomplete_files(home.path()),
            2,
            "the partial and its sidecar, kept for Retry"
        );
        let command = if clear {
            "clear_finished_jobs"
        } else {
            "remove_job"
        };
        let mut freed = 0;
        // The failed report goes out just before the run lets go of the job.
        eventually(
            "the failed job to be removed",
            Duration::from_secs(20),
            || {
                if let Ok(bytes) = app.invoke(command, json!({ "jobId": id })) {
                    freed += bytes.as_u64().unwrap();
                }
                app.invoke("list_jobs", json!({})).unwrap() == json!([])
            },
        )
        .await;
        assert!(freed > 0, "{command}");
        assert_eq!(incomplete_files(home.path()), 0, "{command}");
    }
}

/// Jobs of one repository resume each other's partial files. Removing failed jobs while a job
/// of their repository is listed hands their partials to it instead of deleting them: one a
/// paused download had (taken over by a second download of the same file, which failed) and
/// one of another file. The paused download resumes from its partial, and once it completes
/// the other file's partial, which it did not need, is gone too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_jobs_hand_their_partials_to_a_listed_job_of_the_repository() {
    let throttled = || Faults {
        throttle: Some(100_000),
        ..Faults::default()
    };
    let first_bytes =
        |r: &[(Instant, JobProgress)]| r.iter().any(|(_, p)| p.download.bytes_done > 0);
    let mut hub = FakeHub::start(demo_catalog());
    hub.set_faults(throttled());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let (paused, paused_reports) = app.start(weights());
    paused_reports
        .wait_for("the first bytes", first_bytes)
        .await;
    app.invoke("pause_download", json!({ "jobId": paused }))
        .unwrap();
    paused_reports
        .wait_for("the pause", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Paused)
        })
        .await;
    let had = paused_reports.all().last().unwrap().1.download.bytes_done;

    let (taker, reports) = app.start(weights());
    reports
        .wait_for("the take-over and more bytes", |r| {
            r.iter().any(|(_, p)| p.download.bytes_done > had)
        })
        .await;
    fail_midway(&mut hub, &reports).await;
    hub.set_faults(throttled());
    let (other, other_reports) = app.start(DownloadRequest {
        files: vec!["gguf/tiny-Q4_K_M.gguf".into()],
        ..weights()
    });
    other_reports.wait_for("the first bytes", first_bytes).await;
    fail_midway(&mut hub, &other_reports).await;

    for failed in [&taker, &other] {
        let mut freed = None;
        // The failed report goes out just before the run lets go of the job.
        eventually(
            "the failed job to be removed",
            Duration::from_secs(20),
            || {
                freed = app.invoke("remove_job", json!({ "jobId": failed })).ok();
                freed.is_some()
            },
        )
        .await;
        assert_eq!(freed, Some(json!(0)), "{failed}");
    }
    assert_eq!(
        incomplete_files(home.path()),
        4,
        "two partials and their sidecars kept"
    );

    hub.set_faults(Faults::default());
    resumes_from_its_partial(&app, &hub, &paused).await;
    assert_weights_cached(home.path());
    assert_eq!(
        incomplete_files(home.path()),
        0,
        "what it inherited and did not need is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_holds_and_queued_jobs_can_be_cancelled() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(300_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let files = [
        "model.safetensors",
        "gguf/tiny-Q4_K_M.gguf",
        "README.md",
        "config.json",
        "tokenizer/vocab.txt",
    ];
    let jobs: Vec<(JobId, Reports)> = files
        .iter()
        .map(|f| {
            app.start(DownloadRequest {
                files: vec![f.to_string()],
                ..weights()
            })
        })
        .collect();
    let mut max_running = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = app.state().jobs().list();
        let running = listed
            .iter()
            .filter(|j| {
                !matches!(
                    j.progress.state,
                    JobState::Queued | JobState::Completed | JobState::Cancelled
                )
            })
            .count();
        max_running = max_running.max(running);
        if listed
            .iter()
            .all(|j| matches!(j.progress.state, JobState::Completed | JobState::Cancelled))
        {
            break;
        }
        // The last one is still queued behind the two big files: cancel it there.
        if listed[4].progress.state == JobState::Queued && hub.body_bytes_sent() > 10_000 {
            app.invoke("cancel_download", json!({ "jobId": jobs[4].0 }))
                .unwrap();
        }
        assert!(Instant::now() < deadline, "jobs did not finish: {listed:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(max_running, 2, "the default limit is 2 jobs at once");
    // The registry changes state first, then tells the channels: give them a moment.
    for (_, reports) in &jobs {
        reports
            .wait_for("the final message", |r| {
                r.iter()
                    .any(|(_, p)| matches!(p.state, JobState::Completed | JobState::Cancelled))
            })
            .await;
    }
    assert_eq!(jobs[4].1.terminals(), [JobState::Cancelled]);
    for (_, reports) in &jobs[..4] {
        assert_eq!(reports.terminals(), [JobState::Completed]);
    }
    // Starting the same download twice while it is live gives the same job (kept live by a
    // 503 with a one-second Retry-After, however slow this machine is right now).
    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 503,
            times: 1,
            retry_after: Some(1),
        }),
        ..Faults::default()
    });
    let (a, _) = app.start(DownloadRequest {
        revision: Some("v1.0".into()),
        ..weights()
    });
    let (b, _) = app.start(DownloadRequest {
        revision: Some("v1.0".into()),
        ..weights()
    });
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_then_resume_continues_from_the_partial_bytes_even_after_a_restart() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(150_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let id = {
        let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
        let (id, reports) = app.start(weights());
        eventually("60_000 bytes sent", Duration::from_secs(20), || {
            hub.body_bytes_sent() >= 60_000
        })
        .await;
        app.invoke("pause_download", json!({ "jobId": id }))
            .unwrap();
        reports
            .wait_for("the paused message", |r| {
                r.iter().any(|(_, p)| p.state == JobState::Paused)
            })
            .await;
        assert_eq!(reports.terminals(), [JobState::Paused]);
        assert_eq!(
            incomplete_files(home.path()),
            2,
            "partial data and sidecar kept"
        );
        // Quitting saves the unfinished job.
        app.state().jobs().shutdown(Duration::from_secs(2)).await;
        id
    };
    hub.set_faults(Faults::default());
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let listed = app.invoke("list_jobs", json!({})).unwrap();
    assert_eq!(
        (
            listed[0]["id"].as_str(),
            listed[0]["progress"]["state"].as_str()
        ),
        (Some(id.as_str()), Some("paused"))
    );
    resumes_from_its_partial(&app, &hub, &id).await;
    assert_weights_cached(home.path());
    assert_eq!(incomplete_files(home.path()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_answers_bad_arguments_with_invalid_input_and_changes_nothing() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let channel = json!("__CHANNEL__:1");
    let bad = [
        (
            "start_download",
            json!({ "request": { "repo": "" }, "onProgress": channel }),
        ),
        (
            "start_download",
            json!({ "request": { "repo": "acme/tiny-model", "revision": "../main" }, "onProgress": channel }),
        ),
        (
            "start_download",
            json!({ "request": { "repo": "acme/tiny-model", "files": ["../../etc/passwd"] }, "onProgress": channel }),
        ),
        (
            "start_download",
            json!({ "request": { "repo": "acme/tiny-model", "include": ["["] }, "onProgress": channel }),
        ),
        (
            "set_settings",
            json!({ "update": { "concurrentJobs": -1 } }),
        ),
        (
            "set_settings",
            json!({ "update": { "connectionsPerFile": 0 } }),
        ),
        (
            "set_settings",
            json!({ "update": { "connectionsPerFile": 65 } }),
        ),
        (
            "set_settings",
            json!({ "update": { "maxDownloadRate": -5 } }),
        ),
        (
            "set_settings",
            json!({ "update": { "endpoint": "ftp://mirror" } }),
        ),
        (
            "set_settings",
            json!({ "update": { "cacheDir": "relative/path" } }),
        ),
        ("search_models", json!({ "query": { "sort": "random" } })),
        ("search_models", json!({ "query": { "limit": -3 } })),
        ("get_model", json!({ "repo": "a/b/c" })),
        (
            "get_model",
            json!({ "repo": "acme/tiny-model", "revision": "a b" }),
        ),
        (
            "delete_from_cache",
            json!({ "target": { "repoId": "../../x" } }),
        ),
        (
            "delete_from_cache",
            json!({ "target": { "repoId": "acme/tiny-model", "commit": "../x" } }),
        ),
        ("reveal_in_file_manager", json!({ "path": "/etc" })),
        (
            "move_cache",
            json!({ "to": "relative/folder", "onProgress": channel }),
        ),
    ];
    for (cmd, args) in bad {
        let err = app.invoke(cmd, args.clone()).unwrap_err();
        assert_eq!(err["kind"], "invalidInput", "{cmd} {args}: {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        app.invoke("list_jobs", json!({})).unwrap(),
        json!([]),
        "no job was registered"
    );
    assert!(
        !home.path().join("config/settings.json").exists(),
        "no setting was saved"
    );
    // Only the app's start-up question "does the endpoint answer?" may reach the Hub.
    let asked: Vec<String> = hub
        .requests()
        .into_iter()
        .map(|r| r.target)
        .filter(|target| target != "/api/models?limit=1")
        .collect();
    assert!(asked.is_empty(), "nothing reached the Hub: {asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_persist_and_say_where_each_value_comes_from() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[]);
    let view = app.invoke("get_settings", json!({})).unwrap();
    assert_eq!(
        (
            view["endpoint"]["value"].as_str(),
            view["endpoint"]["source"].as_str()
        ),
        (Some("https://huggingface.co"), Some("default"))
    );
    assert_eq!(view["cacheDir"]["source"], "environment", "HF_HOME is set");
    assert_eq!(view["cacheDir"]["variable"], "HF_HOME", "{view}");
    assert_eq!(view["endpoint"]["variable"], json!(null));
    let view = app
        .invoke("set_settings", json!({ "update": { "endpoint": hub.endpoint(), "concurrentJobs": 3, "token": "hf_abcdefgh1234", "maxDownloadRate": 1000000 } }))
        .unwrap();
    assert_eq!(
        (
            view["endpoint"]["value"].as_str(),
            view["endpoint"]["source"].as_str()
        ),
        (Some(hub.endpoint().as_str()), Some("settings"))
    );
    assert_eq!(view["concurrentJobs"], 3);
    assert_eq!(view["maxDownloadRate"], 1_000_000);
    assert_eq!(view["token"]["value"], "hf_…1234", "masked");
    let token_file = home.path().join("hf/token");
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap(),
        "hf_abcdefgh1234"
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    drop(app);
    let app = mock_app(home.path(), &[]);
    assert_eq!(
        app.invoke("get_settings", json!({})).unwrap()["endpoint"]["value"],
        hub.endpoint(),
        "saved across launches"
    );
    let app = mock_app(home.path(), &[("HF_ENDPOINT", "http://127.0.0.1:9".into())]);
    let view = app.invoke("get_settings", json!({})).unwrap();
    assert_eq!(
        (
            view["endpoint"]["value"].as_str(),
            view["endpoint"]["source"].as_str()
        ),
        (Some("http://127.0.0.1:9"), Some("environment"))
    );
    assert_eq!(view["endpoint"]["variable"], "HF_ENDPOINT");
    app.invoke("set_settings", json!({ "update": { "token": "" } }))
        .unwrap();
    assert!(!token_file.exists(), "an empty token logs out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_machine_profile_tells_this_machines_memory() {
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[]);
    let profile = app.invoke("machine_profile", json!({})).unwrap();
    assert_eq!(
        profile["ram"].as_u64(),
        modelshelf_core::machine::total_memory()
    );
    assert!(profile["gpus"].is_array() && profile["unified"].is_boolean());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_model_and_cache_commands_answer_from_the_hub_and_the_disk() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let found = app
        .invoke(
            "search_models",
            json!({ "query": { "search": "tiny", "sort": "downloads", "limit": 2 } }),
        )
        .unwrap();
    assert_eq!(found["models"][0]["id"], "other/tiny-chat");
    assert!(found["next"].as_str().unwrap().contains("cursor=2"));
    let next = app
        .invoke(
            "search_models",
            json!({ "query": { "next": found["next"] } }),
        )
        .unwrap();
    assert_eq!(next["models"][0]["id"], "acme/tiny-gated");
    // One author's models, with the parameter count and GGUF files asked for with `expand`.
    let by_acme = app
        .invoke(
            "search_models",
            json!({ "query": { "search": "tiny", "author": "acme", "sort": "downloads" } }),
        )
        .unwrap();
    let ids: Vec<&str> = by_acme["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme/tiny-model", "acme/tiny-gated"]);
    assert_eq!(by_acme["models"][0]["parameters"], 75_000);
    assert_eq!(
        by_acme["models"][0]["ggufFiles"],
        json!(["gguf/tiny-Q4_K_M.gguf"])
    );
    assert_eq!(
        (
            &by_acme["models"][1]["parameters"],
            &by_acme["models"][1]["ggufFiles"]
        ),
        (&json!(null), &json!([]))
    );

    let model = app
        .invoke("get_model", json!({ "repo": "acme/tiny-model" }))
        .unwrap();
    assert!(
        model["cardHtml"]
            .as_str()
            .unwrap()
            .contains("<h1>Tiny model</h1>")
    );
    assert_eq!(model["parameters"], 75_000);
    let weights_row = model["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "model.safetensors")
        .unwrap()
        .clone();
    assert_eq!(
        (
            weights_row["size"].as_u64(),
            weights_row["lfs"].as_bool(),
            weights_row["cached"].as_bool()
        ),
        (Some(300_000), Some(true), Some(false))
    );
    let gated = app
        .invoke("get_model", json!({ "repo": "acme/tiny-gated" }))
        .unwrap();
    assert_eq!(gated["gated"], "manual");
    let missing = app
        .invoke("get_model", json!({ "repo": "acme/nope" }))
        .unwrap_err();
    assert_eq!(missing["kind"], "notFound");

    let (_, reports) = app.start(weights());
    reports
        .wait_for("completion", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Completed)
        })
        .await;
    let model = app
        .invoke("get_model", json!({ "repo": "acme/tiny-model" }))
        .unwrap();
    assert!(
        model["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "model.safetensors" && f["cached"] == true)
    );
    let cache = app.invoke("list_cache", json!({})).unwrap();
    assert_eq!(cache["scan"]["repos"][0]["repoId"], "acme/tiny-model");
    assert!(cache["freeBytes"].as_u64().unwrap() > 0);
    let freed = app
        .invoke(
            "delete_from_cache",
            json!({ "target": { "repoId": "acme/tiny-model" } }),
        )
        .unwrap();
    assert_eq!(freed["bytes"], 300_000);
    assert_eq!(
        app.invoke("list_cache", json!({})).unwrap()["scan"]["repos"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_endpoint_makes_jobs_wait_and_they_finish_when_it_answers_again() {
    let mut hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(100_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let (first, reports) = app.start(weights());
    eventually("60_000 bytes sent", Duration::from_secs(20), || {
        hub.body_bytes_sent() >= 60_000
    })
    .await;
    hub.stop();
    // The transfer retries first (a blip is not an outage), then the job waits.
    let deadline = Instant::now() + Duration::from_secs(40);
    while !reports
        .all()
        .iter()
        .any(|(_, p)| p.state == JobState::WaitingForNetwork)
    {
        assert!(Instant::now() < deadline, "{:?}", reports.all().last());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reports.terminals().is_empty(), "waiting, not failed");
    assert_eq!(*app.connectivity.lock().unwrap(), [false]);
    assert_eq!(app.invoke("app_info", json!({})).unwrap()["online"], false);
    // A download asked for while offline queues up behind the network too.
    let mut other = weights();
    other.files = vec!["gguf/tiny-Q4_K_M.gguf".into()];
    let (second, second_reports) = app.start(other);
    second_reports
        .wait_for("the second job to wait", |r| {
            r.iter()
                .any(|(_, p)| p.state == JobState::WaitingForNetwork)
        })
        .await;
    assert!(
        !app.invoke("check_connection", json!({}))
            .unwrap()
            .as_bool()
            .unwrap()
    );

    hub.restart();
    for (id, reports) in [(&first, &reports), (&second, &second_reports)] {
        reports
            .wait_for("completion after the endpoint is back", |r| {
                r.iter().any(|(_, p)| p.state == JobState::Completed)
            })
            .await;
        assert_eq!(reports.terminals(), [JobState::Completed], "{id}");
    }
    assert_eq!(*app.connectivity.lock().unwrap(), [false, true]);
    assert!(
        hub.requests().iter().any(|r| r
            .range
            .as_deref()
            .is_some_and(|r| !r.starts_with("bytes=0-"))),
        "the first job resumed from its partial data"
    );
    assert_weights_cached(home.path());
}

/// A gated repo without a token fails as `gated`, naming the repo and showing the sizes from
/// the listing (never "of ?"); once a granted token is saved in the Settings, Retry fetches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gated_failure_names_the_repo_and_retry_succeeds_once_a_token_is_saved() {
    let hub = FakeHub::start(demo_catalog());
    let token = "hf_GrantedForTheGatedRepo42";
    hub.grant_token(token);
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let gated = DownloadRequest {
        repo: "acme/tiny-gated".into(),
        files: vec![],
        ..weights()
    };
    let (id, reports) = app.start(gated);
    reports
        .wait_for("the gated failure", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Failed)
        })
        .await;
    assert_eq!(reports.terminals(), [JobState::Failed]);
    let failed = reports.all().last().unwrap().1.clone();
    let error = failed.error.clone().unwrap();
    assert_eq!(
        (error.kind, error.context.repo.as_deref()),
        (
            modelshelf_core::error::ErrorKind::Gated,
            Some("acme/tiny-gated")
        ),
        "{error:?}"
    );
    // config.json ("{}") and weights.bin (4096 bytes), as the listing has them.
    assert_eq!(
        (failed.download.bytes_done, failed.download.bytes_total),
        (0, 4098)
    );
    let listed = app.invoke("list_jobs", json!({})).unwrap();
    assert_eq!(listed[0]["progress"]["bytesTotal"], 4098, "{listed}");
    assert_eq!(listed[0]["progress"]["error"]["kind"], "gated");
    assert_eq!(listed[0]["progress"]["error"]["repo"], "acme/tiny-gated");
    let refused = hub.requests().len();

    app.invoke("set_settings", json!({ "update": { "token": token } }))
        .unwrap();
    let retried = Reports::default();
    commands::retry_download(app.state(), id.clone(), retried.channel()).unwrap();
    retried
        .wait_for("completion after the token was saved", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Completed)
        })
        .await;
    assert_eq!(retried.terminals(), [JobState::Completed]);
    let last = retried.all().last().unwrap().1.clone();
    assert_eq!(
        (
            last.download.bytes_done,
            last.download.bytes_total,
            last.error
        ),
        (4098, 4098, None)
    );
    let bearer = format!("Bearer {token}");
    let resolves: Vec<_> = hub.requests()[refused..]
        .iter()
        .filter(|r| r.target.contains("/acme/tiny-gated/resolve/"))
        .cloned()
        .collect();
    assert!(
        !resolves.is_empty()
            && resolves
                .iter()
                .all(|r| r.authorization.as_deref() == Some(bearer.as_str())),
        "the retry sent the saved token with every file request: {resolves:?}"
    );
    let blob = home
        .path()
        .join("hf/hub/models--acme--tiny-gated/snapshots")
        .join(demo_catalog()[1].commit())
        .join("weights.bin");
    assert_eq!(std::fs::read(&blob).unwrap(), vec![7u8; 4096]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_test_names_the_account_and_refuses_bad_tokens() {
    let hub = FakeHub::start(demo_catalog());
    let good = "hf_GoodTokenForTheTests0123";
    hub.grant_token(good);
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let none = app.invoke("test_token", json!({})).unwrap_err();
    assert_eq!(none["kind"], "unauthorized", "{none}");
    assert!(
        none["message"]
            .as_str()
            .unwrap()
            .contains("no access token")
    );
    let typed = app.invoke("test_token", json!({ "token": good })).unwrap();
    assert_eq!(typed["name"], "tester");
    assert_eq!(typed["orgs"], json!(["acme"]));
    assert_eq!(
        (&typed["tokenName"], &typed["role"]),
        (&json!("laptop"), &json!("read"))
    );
    let bad = app
        .invoke(
            "test_token",
            json!({ "token": "hf_RevokedToken0123456789" }),
        )
        .unwrap_err();
    assert_eq!(bad["kind"], "unauthorized", "{bad}");
    let empty = app
        .invoke("test_token", json!({ "token": "  " }))
        .unwrap_err();
    assert_eq!(empty["kind"], "invalidInput");

    let saved = mock_app(
        tempfile::tempdir().unwrap().path(),
        &[("HF_ENDPOINT", hub.endpoint()), ("HF_TOKEN", good.into())],
    );
    assert_eq!(
        saved.invoke("test_token", json!({})).unwrap()["name"],
        "tester"
    );
    let whoami: Vec<_> = hub
        .requests()
        .into_iter()
        .filter(|r| r.target == "/api/whoami-v2")
        .collect();
    assert_eq!(whoami.len(), 3, "one request per check that had a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_say_where_settings_come_from_and_never_show_the_token() {
    let hub = FakeHub::start(demo_catalog());
    let token = "hf_SecretTokenNobodySees42";
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(
        home.path(),
        &[("HF_ENDPOINT", hub.endpoint()), ("HF_TOKEN", token.into())],
    );
    let report = app.invoke("diagnostics", json!({})).unwrap();
    let text = report["text"].as_str().unwrap();
    assert!(!report.to_string().contains(token), "{report}");
    for line in [
        format!("endpoint: {} (from environment)", hub.endpoint()),
        format!(
            "cache folder: {} (from environment)",
            home.path().join("hf/hub").display()
        ),
        "access token: set (from environment)".to_owned(),
        format!("log: {}", home.path().join("data/logs").display()),
    ] {
        assert!(text.contains(&line), "{line:?} missing from:\n{text}");
    }
    assert!(text.starts_with(&format!("Modelshelf {}", env!("CARGO_PKG_VERSION"))));
    assert!(report["memoryTotal"].as_u64().unwrap() > 0);
}

#[test]
fn finished_and_failed_downloads_get_a_notification_and_stops_do_not() {
    use modelshelf_core::error::{ErrorKind, ErrorReport};
    use modelshelf_core::jobs::JobView;
    let view = |state: JobState, error: Option<ErrorReport>| {
        let mut progress = JobProgress::queued(&JobId::new("job-1")).terminal(state, error);
        progress.download.bytes_done = 300_000;
        progress.download.bytes_total = 300_000;
        JobView {
            id: JobId::new("job-1"),
            request: weights(),
            progress,
            entry: None,
            created_at: 0,
        }
    };
    assert_eq!(
        modelshelf::finished_notice(&view(JobState::Completed, None)),
        Some((
            "Download finished".to_owned(),
            "acme/tiny-model · model.safetensors is ready (300 KB).".to_owned()
        ))
    );
    let failed = modelshelf::finished_notice(&view(
        JobState::Failed,
        Some(ErrorReport {
            kind: ErrorKind::DiskFull,
            message: "the disk is full".into(),
            context: Default::default(),
        }),
    ))
    .unwrap();
    assert_eq!(failed.0, "Download failed");
    assert!(failed.1.ends_with(": the disk is full"), "{}", failed.1);
    for quiet in [JobState::Paused, JobState::Cancelled] {
        assert_eq!(modelshelf::finished_notice(&view(quiet, None)), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Python venv; run by scripts/test"]
async fn a_download_started_as_the_model_view_does_is_found_by_python_offline() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().canonicalize().unwrap();
    let app = mock_app(&home_path, &[("HF_ENDPOINT", hub.endpoint())]);
    // What the model view sends: the branch it showed and the commit it showed it at.
    let model = app
        .invoke("get_model", json!({ "repo": "acme/tiny-model" }))
        .unwrap();
    let request: DownloadRequest = serde_json::from_value(json!({
        "repo": "acme/tiny-model",
        "revision": model["revision"],
        "commit": model["commit"],
    }))
    .unwrap();
    assert_eq!(request.revision.as_deref(), Some("main"));
    let (_, reports) = app.start(request);
    reports
        .wait_for("completion", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Completed)
        })
        .await;
    let repo = demo_catalog().remove(0);
    let files: Vec<String> = repo.files.iter().map(|f| f.path.clone()).collect();
    let report = tokio::task::spawn_blocking(move || {
        crate::support::python::run_script(
            "cache_interop.py",
            "http://127.0.0.1:9",
            &home_path.join("hf/hub"),
            true,
            &json!({
                "command": "offline",
                "repo": "acme/tiny-model",
                "revisions": ["main"],
                "files": files,
            }),
        )
    })
    .await
    .unwrap();
    for file in &repo.files {
        assert_eq!(
            report["files"]["main"][&file.path]["sha256"],
            json!(file.sha256()),
            "hf_hub_download {}: {report:#}",
            file.path
        );
    }
    let snapshot = home.path().canonicalize().unwrap().join(format!(
        "hf/hub/models--acme--tiny-model/snapshots/{}",
        repo.commit()
    ));
    assert_eq!(
        report["snapshots"]["main"].as_str(),
        Some(snapshot.to_str().unwrap()),
        "snapshot_download"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hf_hub_offline_keeps_every_request_off_the_network() {
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(
        home.path(),
        &[
            ("HF_ENDPOINT", hub.endpoint()),
            ("HF_HUB_OFFLINE", "1".into()),
        ],
    );
    let refused = app
        .invoke("search_models", json!({ "query": {} }))
        .unwrap_err();
    assert_eq!(refused["kind"], "network");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("HF_HUB_OFFLINE")
    );
    assert_eq!(app.invoke("app_info", json!({})).unwrap()["online"], false);
    assert_eq!(app.invoke("check_connection", json!({})).unwrap(), false);
    let started =
        commands::start_download(app.state(), weights(), Reports::default().channel()).unwrap_err();
    assert_eq!(started.kind, modelshelf_core::error::ErrorKind::Network);
    assert!(started.message.contains("HF_HUB_OFFLINE"));
    assert!(
        app.state().jobs().list().is_empty(),
        "nothing queued to wait forever"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(hub.requests().is_empty(), "{:?}", hub.requests());
}

/// A cache at `root` of `repos` repositories with one `size`-byte blob each, linked from a
/// snapshot and named by a ref, as Python lays it out. Returns each blob's path and bytes.
fn fill_cache(root: &Path, repos: usize, size: usize) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    (0..repos)
        .map(|i| {
            let repo = root.join(format!("models--acme--m{i}"));
            let blob = repo.join("blobs").join(format!("{i:064x}"));
            std::fs::create_dir_all(repo.join("blobs")).unwrap();
            std::fs::create_dir_all(repo.join("snapshots").join(commit)).unwrap();
            std::fs::create_dir_all(repo.join("refs")).unwrap();
            let bytes: Vec<u8> = (0..size).map(|b| (b % 251) as u8 ^ i as u8).collect();
            std::fs::write(&blob, &bytes).unwrap();
            std::os::unix::fs::symlink(
                Path::new("../../blobs").join(blob.file_name().unwrap()),
                repo.join("snapshots").join(commit).join("model.bin"),
            )
            .unwrap();
            std::fs::write(repo.join("refs/main"), commit).unwrap();
            (blob, bytes)
        })
        .collect()
}

/// A cache scan without `lastAccessed`, which reading a file changes.
fn without_access_times(mut value: serde_json::Value) -> serde_json::Value {
    match &mut value {
        serde_json::Value::Object(map) => {
            map.remove("lastAccessed");
            for v in map.values_mut() {
                *v = without_access_times(v.take());
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                *v = without_access_times(v.take());
            }
        }
        _ => {}
    }
    value
}

/// Every message a move's channel received.
fn move_reports(
    seen: Arc<Mutex<Vec<serde_json::Value>>>,
    also: impl Fn(&serde_json::Value) + Send + Sync + 'static,
) -> Channel<modelshelf_core::cache::MoveProgress> {
    Channel::new(move |body: InvokeResponseBody| {
        if let InvokeResponseBody::Json(json) = body {
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            also(&value);
            seen.lock().unwrap().push(value);
        }
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_cache_reports_copied_and_verified_bytes_and_switches_the_folder() {
    let home = tempfile::tempdir().unwrap();
    // No HF_HOME: the cache folder is the default one, which Settings may move.
    let app = mock_app(home.path(), &[("HF_HOME", String::new())]);
    let from = home.path().join(".cache/huggingface/hub");
    assert_eq!(
        app.invoke("get_settings", json!({})).unwrap()["cacheDir"]["value"],
        from.display().to_string()
    );
    const SIZE: usize = 6 << 20;
    let blobs = fill_cache(&from, 3, SIZE);
    let to = home.path().join("big-disk/hub");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let moved = tokio::time::timeout(
        Duration::from_secs(30),
        commands::move_cache(
            app.app.handle().clone(),
            app.state(),
            to.display().to_string(),
            move_reports(seen.clone(), |_| {}),
        ),
    )
    .await
    .expect("the move ends within 30 s")
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(moved.bytes, 3 * SIZE as u64);

    let seen = seen.lock().unwrap().clone();
    // Every file moves: each repository's blob and its 40-byte ref.
    let total = 3 * (SIZE as u64 + 40);
    let last = seen.last().unwrap();
    assert_eq!(
        (
            &last["phase"],
            last["bytesTotal"].as_u64(),
            last["bytesCopied"].as_u64(),
            last["bytesVerified"].as_u64()
        ),
        (&json!("done"), Some(total), Some(total), Some(total))
    );
    let phases: Vec<&str> = seen.iter().map(|p| p["phase"].as_str().unwrap()).collect();
    assert_eq!(phases[0], "copying");
    for phase in ["verifying", "removing"] {
        assert!(phases.contains(&phase), "{phases:?}");
    }
    assert!(
        seen.windows(2).all(|w| {
            w[0]["bytesCopied"].as_u64() <= w[1]["bytesCopied"].as_u64()
                && w[0]["bytesVerified"].as_u64() <= w[1]["bytesVerified"].as_u64()
        }),
        "monotone: {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|p| p["bytesVerified"].as_u64() <= p["bytesCopied"].as_u64()),
        "nothing is checked before it is copied"
    );
    // Byte updates at most ten a second, plus one per phase of each repository and the end.
    let bound = (elapsed.as_secs_f64() * 10.0).ceil() as usize + 3 * 3 + 2;
    assert!(seen.len() <= bound, "{} reports in {elapsed:?}", seen.len());

    let view = app.invoke("get_settings", json!({})).unwrap();
    assert_eq!(
        (
            view["cacheDir"]["value"].as_str(),
            view["cacheDir"]["source"].as_str()
        ),
        (Some(to.display().to_string().as_str()), Some("settings"))
    );
    let listed = app.invoke("list_cache", json!({})).unwrap();
    assert_eq!(listed["scan"]["repos"].as_array().unwrap().len(), 3);
    for (blob, bytes) in &blobs {
        assert!(!blob.exists(), "the original is gone: {}", blob.display());
        let moved = to.join(blob.strip_prefix(&from).unwrap());
        assert!(
            std::fs::read(&moved).unwrap() == *bytes,
            "{}",
            moved.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_move_leaves_the_old_cache_whole_and_removes_the_half_made_copy() {
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_HOME", String::new())]);
    let from = home.path().join(".cache/huggingface/hub");
    const SIZE: usize = 32 << 20;
    let blobs = fill_cache(&from, 3, SIZE);
    let before = without_access_times(app.invoke("list_cache", json!({})).unwrap()["scan"].clone());
    let to = home.path().join("big-disk/hub");
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Cancel as the Settings view does, once the first bytes are copied.
    let handle = app.app.handle().clone();
    let reports = move_reports(seen.clone(), move |p| {
        if p["bytesCopied"].as_u64() > Some(0) {
            commands::cancel_cache_move(handle.state()).unwrap();
        }
    });
    let started = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        commands::move_cache(
            app.app.handle().clone(),
            app.state(),
            to.display().to_string(),
            reports,
        ),
    )
    .await
    .expect("the move ends within 30 s")
    .unwrap_err();
    assert_eq!(
        err.kind,
        modelshelf_core::error::ErrorKind::Cancelled,
        "{err:?}"
    );
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|p| p["phase"] == "copying" || p["phase"] == "verifying"),
        "stopped before removing anything: {seen:?}"
    );
    let copied = seen.last().unwrap()["bytesCopied"].as_u64().unwrap();
    assert!(
        copied < 3 * SIZE as u64,
        "stopped mid-copy, {copied} bytes in"
    );
    eprintln!("cancelled after {copied} bytes, {:?} in", started.elapsed());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    assert!(
        !to.exists() && !home.path().join("big-disk/hub").exists(),
        "the half-made copy and the folder the move made are gone"
    );
    assert_eq!(
        without_access_times(app.invoke("list_cache", json!({})).unwrap()["scan"].clone()),
        before,
        "the old cache is as it was (reading it for the copy only moved its access times)"
    );
    for (blob, bytes) in &blobs {
        assert!(std::fs::read(blob).unwrap() == *bytes, "{}", blob.display());
    }
    assert_eq!(
        app.invoke("get_settings", json!({})).unwrap()["cacheDir"]["value"],
        from.display().to_string()
    );

    // The move's mark is gone: moving again works.
    let moved = tokio::time::timeout(
        Duration::from_secs(30),
        commands::move_cache(
            app.app.handle().clone(),
            app.state(),
            to.display().to_string(),
            move_reports(Arc::default(), |_| {}),
        ),
    )
    .await
    .expect("the second move ends within 30 s")
    .unwrap();
    assert_eq!(moved.bytes, 3 * SIZE as u64);
}

/// A reloaded page listens again through attach_download: the latest report at once, then every
/// report to the end. The old page's channel hears nothing once the new page has loaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_page_attaches_to_a_running_job_and_the_old_channel_is_dropped() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_faults(Faults {
        throttle: Some(150_000),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let (id, old_page) = app.start(weights());
    old_page
        .wait_for("the first bytes", |r| {
            r.iter().any(|(_, p)| p.download.bytes_done > 0)
        })
        .await;
    app.state().page_loaded();
    let new_page = Reports::default();
    commands::attach_download(app.state(), id.clone(), new_page.channel()).unwrap();
    let first = new_page.all();
    assert_eq!(first.len(), 1, "the latest report comes at once");
    assert!(
        first[0].1.live && first[0].1.download.bytes_done > 0,
        "{first:?}"
    );
    new_page
        .wait_for("the end", |r| {
            r.iter().any(|(_, p)| p.state == JobState::Completed)
        })
        .await;
    assert_eq!(new_page.terminals(), [JobState::Completed]);
    assert!(
        old_page.terminals().is_empty(),
        "the old page's channel was dropped: {:?}",
        old_page.all().last()
    );
    // A finished job can be attached to as well: its last report, once.
    let late = Reports::default();
    commands::attach_download(app.state(), id, late.channel()).unwrap();
    assert_eq!(late.terminals(), [JobState::Completed]);
}

/// What can keep the app from starting is found before the window exists, and said plainly:
/// exit 2 and the reason, not a panic in the event loop.
#[test]
fn the_app_refuses_an_unusable_endpoint_before_opening_a_window() {
    let home = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_modelshelf"))
        .env("HF_ENDPOINT", "not a url")
        .env("HF_HOME", home.path().join("hf"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("DBUS_SESSION_BUS_ADDRESS", "")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = crate::support::cli::finish(child, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid Hub endpoint: \"not a url\" is not a URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A channel that keeps what it hears as JSON, calling `heard` after each report.
fn recording<T: serde::Serialize>(
    heard: impl Fn() + Send + Sync + 'static,
) -> (Channel<T>, Arc<Mutex<Vec<serde_json::Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let channel = Channel::new(move |body: InvokeResponseBody| {
        if let InvokeResponseBody::Json(json) = body {
            progress
                .lock()
                .unwrap()
                .push(serde_json::from_str(&json).unwrap());
            heard();
        }
        Ok(())
    });
    (channel, seen)
}

/// The Library's "Other apps": a survey can be stopped; the survey lists an LM Studio copy of
/// a cache file with the hashing reported, a Reclaim stopped during its comparison leaves it as it was, Reclaim makes
/// it a hard link under LM Studio's path with the comparison reported, the survey then says it
/// is shared, and separate_copy undoes it; separate_copy refuses any other path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_apps_are_surveyed_reclaimed_and_separated_again() {
    use std::os::unix::fs::MetadataExt as _;
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[]);
    let content: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8).collect();
    let (blob, copy) = crate::shelf::kept_twice(home.path(), &content);
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();

    let survey = || async {
        let (channel, seen) = recording(|| {});
        let answer = tokio::time::timeout(
            Duration::from_secs(20),
            commands::survey_other_apps(app.app.handle().clone(), "survey".into(), channel),
        )
        .await
        .expect("the survey ends within 20 s")
        .unwrap();
        let seen = seen.lock().unwrap().clone();
        (serde_json::to_value(answer).unwrap(), seen)
    };
    // Stopped at its first hashing report, the survey says so; the next one runs whole.
    let handle = app.app.handle().clone();
    let (channel, _) =
        recording(move || commands::cancel_shelf_work(handle.state(), "stopped survey".into()));
    let stopped =
        commands::survey_other_apps(app.app.handle().clone(), "stopped survey".into(), channel)
            .await
            .unwrap_err();
    assert_eq!(stopped.kind, modelshelf_core::error::ErrorKind::Cancelled);
    let (first, hashing) = survey().await;
    let store = &first["survey"]["stores"][0];
    assert_eq!(store["appName"], "LM Studio", "{first}");
    let file = &store["models"][0]["files"][0];
    assert_eq!(file["sharing"], "reclaimable", "{first}");
    assert_eq!(file["sameAs"]["repo"], "acme/tiny-GGUF");
    assert_eq!(first["reclaimableBytes"], content.len() as u64);
    let last = hashing.last().expect("the hashing was reported");
    assert_eq!(last["done"], content.len() as u64, "{hashing:?}");
    assert_eq!(last["total"], content.len() as u64);

    // Cancel as soon as the comparison (1 MiB a block) reports: the file stays a copy.
    let handle = app.app.handle().clone();
    let (channel, _) =
        recording(move || commands::cancel_shelf_work(handle.state(), "stopped reclaim".into()));
    let stopped = commands::reclaim_space(
        app.app.handle().clone(),
        None,
        "stopped reclaim".into(),
        channel,
    )
    .await
    .unwrap();
    assert!(stopped.stopped);
    assert_eq!((stopped.freed, stopped.failures.len()), (0, 0));
    assert_ne!(ino(&copy), ino(&blob));
    assert_eq!(std::fs::read(&copy).unwrap(), content);

    // A Stop for another run leaves this one alone.
    let handle = app.app.handle().clone();
    let (channel, compared) =
        recording(move || commands::cancel_shelf_work(handle.state(), "stopped reclaim".into()));
    let reclaimed =
        commands::reclaim_space(app.app.handle().clone(), None, "reclaim".into(), channel)
            .await
            .unwrap();
    assert_eq!(reclaimed.freed, content.len() as u64);
    assert!(reclaimed.failures.is_empty() && !reclaimed.stopped);
    assert_eq!(ino(&copy), ino(&blob));
    let compared = compared.lock().unwrap().clone();
    assert_eq!(
        compared.last(),
        Some(&json!({ "done": content.len(), "total": content.len() })),
        "{compared:?}"
    );
    let (second, hashing) = survey().await;
    assert_eq!(
        second["survey"]["stores"][0]["models"][0]["files"][0]["sharing"],
        "shared"
    );
    assert_eq!(second["reclaimableBytes"], 0);
    assert!(
        hashing.iter().all(|h| h["total"] == 0),
        "remembered, not read again: {hashing:?}"
    );

    for not_theirs in [blob.clone(), home.path().join("hf/hub/elsewhere.gguf")] {
        let refused =
            commands::separate_copy(app.app.handle().clone(), not_theirs.display().to_string())
                .await
                .unwrap_err();
        assert_eq!(
            refused.kind,
            modelshelf_core::error::ErrorKind::InvalidInput
        );
    }
    assert_eq!(std::fs::metadata(&blob).unwrap().nlink(), 2);
    commands::separate_copy(app.app.handle().clone(), copy.display().to_string())
        .await
        .unwrap();
    assert_ne!(ino(&copy), ino(&blob));
    assert_eq!(std::fs::read(&copy).unwrap(), content);
}

/// "Use in LM Studio": a hard link of the cached GGUF where LM Studio looks
/// (`<publisher>/<repo>/<file>`), kept when asked again; another file there is never replaced;
/// without LM Studio, or for a file the cache does not hold, a clear refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_gguf_is_used_in_lm_studio_without_a_copy() {
    use modelshelf_core::error::ErrorKind;
    use std::os::unix::fs::MetadataExt as _;
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[]);
    let cache = home.path().join("hf/hub");
    let blob =
        crate::shelf::cached_file(&cache, "acme/tiny-GGUF", "q/tiny-Q4_K_M.gguf", b"GGUF tiny");
    let other = crate::shelf::cached_file(&cache, "acme/other-GGUF", "other.gguf", b"GGUF other");
    let use_it = |repo: &str, path: &str| {
        commands::use_in_lm_studio(app.app.handle().clone(), repo.into(), path.into(), None)
    };

    let refused = use_it("acme/tiny-GGUF", "q/tiny-Q4_K_M.gguf")
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::InvalidInput);
    assert!(
        refused
            .message
            .contains("LM Studio's models folder was not found"),
        "{}",
        refused.message
    );

    std::fs::create_dir(home.path().join(".lmstudio")).unwrap();
    let placed = use_it("acme/tiny-GGUF", "q/tiny-Q4_K_M.gguf")
        .await
        .unwrap();
    let expected = home
        .path()
        .join(".lmstudio/models/acme/tiny-GGUF/tiny-Q4_K_M.gguf");
    assert_eq!(placed, expected.display().to_string());
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    assert_eq!(ino(&expected), ino(&blob));
    assert_eq!(
        use_it("acme/tiny-GGUF", "q/tiny-Q4_K_M.gguf")
            .await
            .unwrap(),
        placed
    );

    // LM Studio has its own file at the other model's place: it stays.
    let theirs = home
        .path()
        .join(".lmstudio/models/acme/other-GGUF/other.gguf");
    std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
    std::fs::write(&theirs, b"LM Studio's own").unwrap();
    let occupied = use_it("acme/other-GGUF", "other.gguf").await.unwrap_err();
    assert!(
        occupied
            .message
            .contains("never replaces another app's file"),
        "{}",
        occupied.message
    );
    assert_eq!(std::fs::read(&theirs).unwrap(), b"LM Studio's own");
    assert_ne!(ino(&theirs), ino(&other));

    for (repo, path) in [
        ("acme/tiny-GGUF", "missing.gguf"),
        ("acme/tiny-GGUF", "../../etc/passwd"),
        ("nobody/none", "x.gguf"),
    ] {
        let bad = use_it(repo, path).await.unwrap_err();
        assert_eq!(
            bad.kind,
            ErrorKind::InvalidInput,
            "{repo} {path}: {}",
            bad.message
        );
    }

    // A publisher folder planted as a link to elsewhere is not written through.
    let elsewhere = home.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let third = crate::shelf::cached_file(&cache, "planted/x-GGUF", "x.gguf", b"GGUF x");
    std::os::unix::fs::symlink(&elsewhere, home.path().join(".lmstudio/models/planted")).unwrap();
    let planted = use_it("planted/x-GGUF", "x.gguf").await.unwrap_err();
    assert!(
        planted.message.contains("symbolic link or a file"),
        "{}",
        planted.message
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert_eq!(std::fs::metadata(&third).unwrap().nlink(), 1);
}

/// "Add to Library" for an LM Studio GGUF no cache file matched (so not hashed by the survey):
/// hashed, found at main on the Hub, linked into the cache; a file whose origin is unknown is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_apps_gguf_is_added_to_the_library_by_a_hard_link() {
    use std::os::unix::fs::MetadataExt as _;
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let gguf = demo_catalog()[0]
        .get("gguf/tiny-Q4_K_M.gguf")
        .unwrap()
        .clone();
    let lm = home
        .path()
        .join(".lmstudio/models/acme/tiny-model/tiny-Q4_K_M.gguf");
    std::fs::create_dir_all(lm.parent().unwrap()).unwrap();
    std::fs::write(&lm, &gguf.content).unwrap();
    let imported = commands::import_to_library(app.app.handle().clone(), lm.display().to_string())
        .await
        .unwrap();
    assert_eq!(imported.path, "gguf/tiny-Q4_K_M.gguf");
    assert_eq!(std::fs::read(&imported.snapshot).unwrap(), gguf.content);
    let blob = home.path().join(format!(
        "hf/hub/models--acme--tiny-model/blobs/{}",
        gguf.sha256()
    ));
    assert_eq!(
        std::fs::metadata(&blob).unwrap().ino(),
        std::fs::metadata(&lm).unwrap().ino()
    );
    let elsewhere = home.path().join("elsewhere.gguf");
    std::fs::write(&elsewhere, b"x").unwrap();
    let refused =
        commands::import_to_library(app.app.handle().clone(), elsewhere.display().to_string())
            .await
            .unwrap_err();
    assert_eq!(
        refused.kind,
        modelshelf_core::error::ErrorKind::InvalidInput
    );
}

/// "Use in Ollama": the weights become a hard link at `blobs/sha256-<hex>`, the manifest is
/// written as the registry sent it with its small blobs checked, so Ollama's store lists the
/// model as one copy with the cache's; asked again, nothing changes; weights that differ from
/// the registry's are refused; without the registry only the weights are placed, said so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_gguf_is_used_in_ollama_as_an_hf_co_pull_would_write_it() {
    use sha2::Digest as _;
    use std::os::unix::fs::MetadataExt as _;
    let hub = FakeHub::start(demo_catalog());
    let home = tempfile::tempdir().unwrap();
    let app = mock_app(home.path(), &[("HF_ENDPOINT", hub.endpoint())]);
    let gguf = demo_catalog()[0]
        .get("gguf/tiny-Q4_K_M.gguf")
        .unwrap()
        .clone();
    let blob = crate::shelf::cached_file(
        &home.path().join("hf/hub"),
        "acme/tiny-model",
        "gguf/tiny-Q4_K_M.gguf",
        &gguf.content,
    );
    std::fs::create_dir(home.path().join(".ollama")).unwrap();
    let store = home.path().join(".ollama/models");
    let use_it = |path: &str, quant: &str| {
        commands::use_in_ollama(
            app.app.handle().clone(),
            "acme/tiny-model".into(),
            path.into(),
            quant.into(),
            None,
        )
    };
    let used = use_it("gguf/tiny-Q4_K_M.gguf", "Q4_K_M").await.unwrap();
    assert_eq!(used.name, "hf.co/acme/tiny-model:Q4_K_M");
    assert!(used.complete, "{:?}", used.reason);
    let weights = store.join(format!("blobs/sha256-{}", gguf.sha256()));
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    assert_eq!(ino(&weights), ino(&blob));
    let manifest_path = store.join("manifests/hf.co/acme/tiny-model/Q4_K_M");
    let manifest = std::fs::read(&manifest_path).unwrap();
    let served = reqwest::get(format!(
        "{}/v2/acme/tiny-model/manifests/Q4_K_M",
        hub.endpoint()
    ))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    assert_eq!(
        manifest, served,
        "the manifest byte for byte as the registry sent it"
    );
    let parsed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let descriptors = parsed["layers"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&parsed["config"]]);
    for layer in descriptors {
        let digest = layer["digest"].as_str().unwrap();
        let file = store.join("blobs").join(digest.replace(':', "-"));
        let bytes = std::fs::read(&file).unwrap();
        let actual: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(format!("sha256:{actual}"), digest);
    }
    let stores = modelshelf_core::shelf::discover(
        &|_| None,
        Some(home.path()),
        &home.path().join("hf/hub"),
        &[],
    );
    let models = modelshelf_core::shelf::models(&stores[0]);
    assert_eq!(
        models[0].name, "hf.co/acme/tiny-model:Q4_K_M",
        "Ollama's store lists it"
    );
    assert_eq!(
        use_it("gguf/tiny-Q4_K_M.gguf", "Q4_K_M").await.unwrap(),
        used
    );

    // The registry's manifest names other weights than the cache's file.
    let other = crate::shelf::cached_file(
        &home.path().join("hf/hub"),
        "acme/tiny-model",
        "other-Q4_K_M.gguf",
        b"other weights",
    );
    let refused = use_it("other-Q4_K_M.gguf", "Q4_K_M").await.unwrap_err();
    assert!(
        refused.message.contains("names other weights"),
        "{}",
        refused.message
    );
    // No manifest for that quantization: the weights are placed, and the answer says why.
    let partly = use_it("other-Q4_K_M.gguf", "Q2_K").await.unwrap();
    assert!(!partly.complete);
    assert!(
        partly
            .reason
            .unwrap()
            .contains("`ollama pull` fetches only the small files")
    );
    let other_sha = other.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        ino(&store.join(format!("blobs/sha256-{other_sha}"))),
        ino(&other)
    );
    assert!(!store.join("manifests/hf.co/acme/tiny-model/Q2_K").exists());

    // A tag that is a path part, not a tag.
    let bad_tag = use_it("gguf/tiny-Q4_K_M.gguf", "..").await.unwrap_err();
    assert_eq!(
        bad_tag.kind,
        modelshelf_core::error::ErrorKind::InvalidInput
    );
    // Ollama's own manifest of that name, other bytes: kept, and said so.
    std::fs::write(&manifest_path, b"{\"schemaVersion\":2}").unwrap();
    let theirs = use_it("gguf/tiny-Q4_K_M.gguf", "Q4_K_M").await.unwrap_err();
    assert!(
        theirs.message.contains("never replaces"),
        "{}",
        theirs.message
    );
    assert_eq!(
        std::fs::read(&manifest_path).unwrap(),
        b"{\"schemaVersion\":2}"
    );
}

/// A Stop reaches the run it names, also while that run waits for its turn; other runs go on.
#[test]
fn a_stop_reaches_the_named_run_even_while_it_waits_for_its_turn() {
    use modelshelf::ShelfWork;
    use std::sync::mpsc;
    let work = Arc::new(ShelfWork::default());
    let (started, is_started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let first = {
        let work = work.clone();
        std::thread::spawn(move || {
            work.run(Some("survey"), |cancel| {
                started.send(()).unwrap();
                released.recv().unwrap();
                cancel.is_cancelled()
            })
        })
    };
    is_started.recv_timeout(Duration::from_secs(10)).unwrap();
    let (entered, has_entered) = mpsc::channel();
    let second = {
        let work = work.clone();
        std::thread::spawn(move || {
            let run = work.enter(Some("reclaim"));
            entered.send(()).unwrap();
            run.run(|cancel| cancel.is_cancelled())
        })
    };
    // The second waits for the first; its Stop is kept for when its turn comes.
    has_entered.recv_timeout(Duration::from_secs(10)).unwrap();
    work.cancel("reclaim");
    release.send(()).unwrap();
    assert!(!first.join().unwrap(), "the survey was not the one stopped");
    assert!(second.join().unwrap(), "the waiting Reclaim starts stopped");
    // A name no run has stops nothing, and a finished run's name is free again.
    work.cancel("nobody");
    assert!(!work.run(Some("reclaim"), |cancel| cancel.is_cancelled()));
}
