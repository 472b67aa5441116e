//! `modelshelf-cli` as a process: killed mid-file it leaves partial data that the next run
//! resumes with `Range`; Ctrl-C stops it with exit code 130 and keeps (or, with
//! `--discard-partial`, removes) the partial data; bad arguments exit 2 before any request.

use std::io::Read as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::support::cli;
use fake_hub::{FakeHub, Faults, Listener, demo_catalog};

const MODEL: &str = "model.safetensors";

fn model_content() -> Vec<u8> {
    demo_catalog()[0].get(MODEL).unwrap().content.to_vec()
}

/// A temp folder with `hub/` as `HF_HUB_CACHE` and `home/` as `HF_HOME` (neither created).
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("hub")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn blobs(&self) -> PathBuf {
        self.cache().join("models--acme--tiny-model/blobs")
    }

    /// `modelshelf-cli` with `args`, against `hub`, in this sandbox, output captured.
    fn cli(&self, hub: &FakeHub, args: &[&str]) -> Command {
        cli::command(&hub.endpoint(), &self.cache(), &self.home(), args)
    }

    /// Partial downloads (`blobs/*.incomplete`) and their sizes.
    fn partials(&self) -> Vec<(PathBuf, u64)> {
        self.blob_files()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "incomplete"))
            .map(|p| {
                let len = std::fs::metadata(&p).unwrap().len();
                (p, len)
            })
            .collect()
    }

    fn blob_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.blobs()) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Waits until the fake Hub has sent `bytes` body bytes, failing if `child` exits first.
fn wait_for_bytes(hub: &FakeHub, child: &mut Child, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while hub.body_bytes_sent() < bytes {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("modelshelf-cli exited ({status}) before {bytes} bytes were sent:\n{stderr}");
        }
        assert!(
            Instant::now() < deadline,
            "only {} bytes sent",
            hub.body_bytes_sent()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the fake Hub's byte counter stops moving (the connection is gone).
fn settle(hub: &FakeHub) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = hub.body_bytes_sent();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = hub.body_bytes_sent();
        if now == last {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "bytes still flow after 20 s: {now}"
        );
        last = now;
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn throttled(bytes_per_second: u64) -> Faults {
    Faults {
        throttle: Some(bytes_per_second),
        ..Faults::default()
    }
}

#[test]
fn a_killed_download_resumes_with_range_and_ends_byte_identical() {
    let hub = FakeHub::start(demo_catalog());
    let content = model_content();
    let size = content.len() as u64;
    hub.set_faults(throttled(200_000));
    let sandbox = Sandbox::new();
    let args = ["download", "acme/tiny-model", MODEL];

    let mut child = sandbox.cli(&hub, &args).spawn().unwrap();
    wait_for_bytes(&hub, &mut child, 60_000);
    child.kill().unwrap(); // SIGKILL: no handler, no cleanup.
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    let sent_first = settle(&hub);
    assert!(sent_first < size, "killed before the end: {sent_first}");

    let partials = sandbox.partials();
    assert_eq!(
        partials.len(),
        1,
        "one partial file: {:?}",
        sandbox.blob_files()
    );
    let (partial, kept) = partials[0].clone();
    assert!(
        kept > 0 && kept <= sent_first,
        "{kept} of {sent_first} bytes"
    );
    assert_eq!(
        std::fs::read(&partial).unwrap(),
        content[..kept as usize],
        "the partial data is a prefix of the file"
    );
    let mut sidecar = partial.into_os_string();
    sidecar.push(".state");
    assert!(Path::new(&sidecar).is_file(), "its sidecar is kept too");

    hub.set_faults(Faults::default());
    let seen_before = hub.requests().len();
    let out = cli::finish(
        sandbox.cli(&hub, &args).spawn().unwrap(),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let printed = stdout.lines().last().expect("a path on stdout");
    let commit = demo_catalog()[0].commit();
    let expected = sandbox
        .cache()
        .join("models--acme--tiny-model/snapshots")
        .join(&commit)
        .join(MODEL);
    assert_eq!(Path::new(printed), expected, "the last stdout line");
    assert!(std::fs::read(printed).unwrap() == content, "byte-identical");

    let ranges: Vec<String> = hub.requests()[seen_before..]
        .iter()
        .filter(|r| r.listener == Listener::Cdn && r.method == "GET")
        .map(|r| r.range.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        ranges,
        [format!("bytes={kept}-")],
        "one ranged GET from the end of the partial data"
    );
    assert_eq!(
        hub.body_bytes_sent() - sent_first,
        size - kept,
        "only the rest was fetched"
    );
    assert!(
        sandbox.partials().is_empty(),
        "no partial data left: {:?}",
        sandbox.blob_files()
    );
    assert_eq!(sandbox.blob_files().len(), 1, "{:?}", sandbox.blob_files());
}

/// Starts a throttled download, sends SIGINT once bytes flow, and returns the output.
fn interrupt(hub: &FakeHub, sandbox: &Sandbox, extra: &[&str]) -> (Output, Duration) {
    hub.set_faults(throttled(100_000));
    let mut args = vec!["download", "acme/tiny-model", MODEL];
    args.extend_from_slice(extra);
    let mut child = sandbox.cli(hub, &args).spawn().unwrap();
    wait_for_bytes(hub, &mut child, 30_000);
    let pid = child.id() as libc::pid_t;
    // SAFETY: `pid` is our child, which has not been waited for, so the id is still its own.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let interrupted = Instant::now();
    let out = cli::finish(child, Duration::from_secs(20));
    (out, interrupted.elapsed())
}

#[test]
fn ctrl_c_stops_with_130_and_keeps_the_partial_data() {
    let hub = FakeHub::start(demo_catalog());
    let sandbox = Sandbox::new();
    let (out, took) = interrupt(&hub, &sandbox, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{}: {stderr}", out.status);
    assert!(took < Duration::from_secs(3), "stopped after {took:?}");
    assert!(
        stderr.contains("partial data kept"),
        "says the data is kept: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no path printed: {}",
        text(&out.stdout)
    );
    let partials = sandbox.partials();
    assert!(
        partials.len() == 1 && partials[0].1 > 0,
        "partial data kept on disk: {partials:?}"
    );
    assert!(
        !sandbox
            .cache()
            .join("models--acme--tiny-model/refs")
            .exists()
            && !sandbox
                .cache()
                .join("models--acme--tiny-model/snapshots")
                .exists(),
        "no ref, no pointer"
    );
}

#[test]
fn ctrl_c_with_discard_partial_leaves_no_partial_data() {
    let hub = FakeHub::start(demo_catalog());
    let sandbox = Sandbox::new();
    let (out, _) = interrupt(&hub, &sandbox, &["--discard-partial"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{}: {stderr}", out.status);
    assert!(
        stderr.contains("partial data removed"),
        "says the data is removed: {stderr}"
    );
    assert!(
        sandbox.blob_files().is_empty(),
        "neither partial data nor its sidecar: {:?}",
        sandbox.blob_files()
    );
}

#[test]
fn bad_arguments_exit_2_with_a_reason_and_touch_nothing() {
    let hub = FakeHub::start(demo_catalog());
    let sandbox = Sandbox::new();
    for (args, mentions) in [
        (&["download", "../x"][..], "../x"),
        (&["download", "acme/tiny-model", "--revision", "a b"], "a b"),
        (&["download", "acme/tiny-model", "../outside"], "../outside"),
        (
            &["download", "acme/tiny-model", "/etc/passwd"],
            "/etc/passwd",
        ),
        (&["download", "acme/tiny-model", "--include", "["], "["),
        (
            &["download", "acme/tiny-model", "--connections", "0"],
            "--connections",
        ),
        (
            &["download", "acme/tiny-model", "--connections", "65"],
            "from 1 to 64",
        ),
        (&["download", "acme/tiny-model", "--revision"], "--revision"),
        (
            &["download", "acme/tiny-model", "--frobnicate"],
            "--frobnicate",
        ),
        (&["download"], "repository"),
        (&["upload", "acme/tiny-model"], "download"),
    ] {
        let out = cli::finish(
            sandbox.cli(&hub, args).spawn().unwrap(),
            Duration::from_secs(20),
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let mut lines = stderr.lines();
        let reason = lines.next().unwrap_or_default();
        assert!(
            reason.starts_with("modelshelf-cli: ") && reason.contains(mentions),
            "{args:?}: the first line says what is wrong: {stderr}"
        );
        assert!(
            lines.next().is_none_or(str::is_empty),
            "{args:?}: the reason is one line (then the usage): {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
    }
    assert!(
        !sandbox.cache().exists() && !sandbox.home().exists(),
        "nothing written: {:?}",
        std::fs::read_dir(sandbox.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect::<Vec<_>>()
    );
    assert!(
        hub.requests().is_empty(),
        "no request: {:#?}",
        hub.requests()
    );
}
