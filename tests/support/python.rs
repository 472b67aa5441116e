//! Running the repo's Python scripts (`tests/python/`) with the venv's `huggingface_hub`
//! against the fake Hub: JSON in on stdin, a JSON report out on stdout.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::repo_root;

/// The venv's interpreter, where `scripts/test` installs `tests/python/requirements.txt`.
pub fn venv_python() -> PathBuf {
    match std::env::var_os("MODELSHELF_PYTHON") {
        Some(path) => path.into(),
        None => repo_root().join(".venv/bin/python"),
    }
}

fn hf_home(cache: &Path) -> PathBuf {
    let name = cache
        .file_name()
        .map_or_else(|| "cache".into(), |n| n.to_string_lossy().into_owned());
    cache.with_file_name(format!("{name}-hf-home"))
}

/// Runs `tests/python/<script>` with `endpoint` as `HF_ENDPOINT` and `cache` as `HF_HUB_CACHE`
/// (offline when asked), feeds it `input`, and returns its report. Panics with the script's
/// error output when it fails.
pub fn run_script(
    script: &str,
    endpoint: &str,
    cache: &Path,
    offline: bool,
    input: &Value,
) -> Value {
    let python = venv_python();
    let mut command = Command::new(&python);
    command
        .arg(repo_root().join("tests/python").join(script))
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HUB_CACHE", cache)
        // Beside the cache, not in it: anything Python keeps there must not look like a repo.
        .env("HF_HOME", hf_home(cache))
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env_remove("HF_TOKEN")
        .env_remove("HUGGINGFACE_HUB_CACHE")
        .env_remove("TRANSFORMERS_OFFLINE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if offline {
        command.env("HF_HUB_OFFLINE", "1");
    } else {
        command.env_remove("HF_HUB_OFFLINE");
    }
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot run {} ({e}); run scripts/test to create the venv",
            python.display()
        )
    });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
