//! `modelshelf-cli` as the tests run it: against a fake Hub, in a temporary cache, with none of
//! this machine's Hugging Face or TLS settings, and never without a deadline.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `modelshelf-cli` binary of this build, built first if need be. It is another package
/// of the workspace, so cargo gives this test binary no `CARGO_BIN_EXE_` path for it; it sits
/// next to this test binary's folder (`target/<profile>/`), and `cargo build` of the same
/// profile puts it there (a no-op when it is up to date).
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let test_exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/integration-HASH -> target/<profile>/
        let profile_dir = test_exe.parent().and_then(Path::parent).unwrap().to_owned();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--locked", "--quiet", "-p", "modelshelf-cli"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        // Cargo gives this test process its package's variables (CARGO_PKG_NAME, OUT_DIR,
        // CARGO_MANIFEST_DIR...). Passed on, they reach build scripts that watch them (ring's
        // does) and make this build, and the next `cargo test`, rebuild those crates.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
                || name == "CARGO_TARGET_TMPDIR"
                || name == "OUT_DIR"
            {
                build.env_remove(&*name);
            }
        }
        if release {
            build.arg("--release");
        }
        if let Some(target_dir) = profile_dir.parent() {
            build.env("CARGO_TARGET_DIR", target_dir);
        }
        let status = build.status().expect("run cargo build -p modelshelf-cli");
        assert!(status.success(), "cargo build -p modelshelf-cli failed");
        profile_dir.join("modelshelf-cli")
    })
}

/// `modelshelf-cli <args>` against `endpoint`, its cache at `cache` and `HF_HOME` at `home`,
/// stdin closed and the output captured.
pub fn command(endpoint: &str, cache: &Path, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HUB_CACHE", cache)
        .env("HF_HOME", home)
        .env_remove("HF_TOKEN")
        .env_remove("HF_TOKEN_PATH")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("TRANSFORMERS_OFFLINE")
        .env_remove("HUGGINGFACE_HUB_CACHE")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child` for at most `limit` (then kills it and fails the test), and collects its
/// output.
pub fn finish(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "modelshelf-cli still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout).unwrap();
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_end(&mut stderr).unwrap();
    }
    Output {
        status,
        stdout,
        stderr,
    }
}
