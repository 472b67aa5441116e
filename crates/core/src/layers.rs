//! The core's layers, top to bottom, and a test that every module imports only from layers
//! below its own: data flows down, events flow up, and no two modules need each other. (That
//! no tauri, GTK or WebKit is anywhere in the core is kept by the crate boundary: the core's
//! manifest does not name them, and `scripts/test` checks the CLI's tree with `cargo tree`.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The core's top-level modules by layer, highest first. A module may use any module of a
/// lower layer, none of its own layer or above.
const LAYERS: &[&[&str]] = &[
    // The job registry: queue, tokens, reports, persistence.
    &["jobs"],
    // ArtifactProvisioner / ModelProvisioner: a request in, a ModelEntry out.
    &["provision"],
    // VendorSource / HuggingFaceVendor: which files, from which commit, into the cache.
    &["vendor"],
    // Whether the endpoint answers; jobs wait on it.
    &["connectivity"],
    // The byte mover. Its requests go through the hub client (one token rule, one redirect
    // follower), so it sits above hub.
    &["transfer"],
    // Other apps' model stores, matched against the cache; imports from the Hub and Ollama
    // manifests from its registry go through the hub client.
    &["shelf"],
    // The Hub's HTTP API and the client every request goes through.
    &["hub"],
    // The cache layout; model cards; the bug-report text.
    &["cache", "card", "diagnostics"],
    // Endpoint, token, folders.
    &["settings"],
    // What the engine reports; the log; this machine.
    &["progress", "logging", "machine"],
    // What names a repository, a revision and a file.
    &["repo"],
    // File helpers.
    &["fs"],
    &["error"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a source file names through `crate::` (in paths and in `use
/// crate::{a::X, b}` groups), comments left out.
fn crate_modules(source: &str) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `modelshelf_core::`, `$crate::`...
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The first segment of every item at the group's top level.
            let mut depth = 0;
            let mut expect_item = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => expect_item = true,
                    c if expect_item && depth == 0 && (c.is_alphabetic() || c == '_') => {
                        found.insert(identifier(&group[i..]));
                        expect_item = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(identifier(rest));
        }
    }
    found
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
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
fn the_checker_reads_paths_and_use_groups() {
    let source = "use crate::error::{Error, Result};\n\
                  use crate::{cache::RepoCache, fs,\n    hub::{A, B}};\n\
                  // crate::jobs in a comment\n\
                  let x = crate::repo::validate(\"a\");\n\
                  let y = modelshelf_core::jobs::JobId;";
    assert_eq!(
        crate_modules(source).into_iter().collect::<Vec<_>>(),
        ["cache", "error", "fs", "hub", "repo"]
    );
}

#[test]
fn every_module_imports_only_from_layers_below_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let module = first.strip_suffix(".rs").unwrap_or(first);
        if module == "lib" || module == "layers" {
            continue;
        }
        seen.insert(module.to_owned());
        let Some(own) = layer_of(module) else {
            problems.push(format!("{module} is in no layer: add it to LAYERS"));
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap();
        for used in crate_modules(&source) {
            match layer_of(&used) {
                Some(layer) if layer > own => {}
                Some(_) if used == module => {}
                Some(_) => problems.push(format!(
                    "{} uses crate::{used}, which is not below {module}",
                    rel.display()
                )),
                None => problems.push(format!("{} uses crate::{used}, in no layer", rel.display())),
            }
        }
    }
    let listed: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|l| l.iter().map(|m| m.to_string()))
        .collect();
    for gone in listed.difference(&seen) {
        problems.push(format!("LAYERS lists {gone}, which is not a module"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
