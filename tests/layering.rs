//! The core must stay usable without Tauri: only `src-tauri/app/` (and the entry files that
//! start it) may name tauri.

use std::path::{Path, PathBuf};

use crate::support::repo_root;

/// Files allowed to use tauri, relative to `src-tauri/`.
fn is_app_layer(rel: &Path) -> bool {
    rel.starts_with("app") || rel == Path::new("main.rs") || rel == Path::new("build.rs")
}

/// Lines of code (not comments) that use the tauri crate or one of its plugins.
fn tauri_uses(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter(|line| {
            line.match_indices("tauri").any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = &line[at + "tauri".len()..];
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    && (after.starts_with("::")
                        || after.starts_with("_build")
                        || after.starts_with("_plugin"))
            })
        })
        .map(|line| line.trim().to_owned())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_checker_sees_a_use_of_tauri() {
    assert_eq!(tauri_uses("use tauri::State;\n"), ["use tauri::State;"]);
    assert_eq!(
        tauri_uses("let x = tauri_plugin_opener::init();"),
        ["let x = tauri_plugin_opener::init();"]
    );
    assert!(tauri_uses("// tauri::ipc::Channel is adapted in app/\nlet not_tauri = 1;").is_empty());
    assert!(tauri_uses("let my_tauri::x = 1;").is_empty());
}

#[test]
fn core_modules_never_name_tauri() {
    let src = repo_root().join("src-tauri");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() >= 9,
        "expected the core modules under {}",
        src.display()
    );
    let mut offenders = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().to_owned();
        if is_app_layer(&rel) {
            continue;
        }
        for line in tauri_uses(&std::fs::read_to_string(&file).unwrap()) {
            offenders.push(format!("src-tauri/{}: {line}", rel.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "the core must not use tauri; move this into src-tauri/app/:\n{}",
        offenders.join("\n")
    );
}
