//! Other apps' model stores, generated in their real layouts: `modelshelf-cli apps` lists
//! their models, says which files hold the same bytes as a file in the Hugging Face cache
//! (Ollama's by name, LM Studio's by hashing them once), never lists a download in progress,
//! and changes nothing in the stores.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::cli;
use fake_hub::{FakeHub, demo_catalog};

const GGUF: &str = "gguf/tiny-Q4_K_M.gguf";

/// An Ollama manifest as `manifest/manifest.go` and `manifest/layer.go` write it.
fn manifest(layers: &[(&str, &str, u64)]) -> String {
    let layers: Vec<String> = layers
        .iter()
        .map(|(kind, hex, size)| {
            format!(
                r#"{{"mediaType":"application/vnd.ollama.image.{kind}","digest":"sha256:{hex}","size":{size}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:{}","size":2}},"layers":[{}]}}"#,
        "c".repeat(64),
        layers.join(",")
    )
}

fn write(path: &Path, content: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Every file under `dir` with its bytes, to show a store is untouched.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A fake Hub, a cache holding the demo GGUF (as a download put it there), and the places
/// where Ollama's and LM Studio's stores go, all in one temporary folder.
struct Shelves {
    hub: FakeHub,
    dir: tempfile::TempDir,
    cache: PathBuf,
    home: PathBuf,
    ollama: PathBuf,
}

impl Shelves {
    fn new() -> Shelves {
        let dir = tempfile::tempdir().unwrap();
        let shelves = Shelves {
            hub: FakeHub::start(demo_catalog()),
            cache: dir.path().join("hub"),
            home: dir.path().join("home"),
            ollama: dir.path().join("ollama"),
            dir,
        };
        let out = shelves.cli(&["download", "acme/tiny-model", GGUF]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        shelves
    }

    /// `modelshelf-cli args` with the stores and the hash memory in the temporary folder.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        cli::finish(
            cli::command(&self.hub.endpoint(), &self.cache, &self.home, args)
                .env("OLLAMA_MODELS", &self.ollama)
                .env("HOME", &self.home)
                .env("XDG_CACHE_HOME", self.dir.path().join("xdg-cache"))
                .spawn()
                .unwrap(),
            Duration::from_secs(20),
        )
    }

    /// Every file of both stores with its bytes.
    fn stores(&self) -> Vec<(PathBuf, Vec<u8>)> {
        [
            snapshot(&self.ollama),
            snapshot(&self.home.join(".lmstudio")),
        ]
        .concat()
    }
}

#[test]
fn apps_lists_other_apps_models_and_what_the_cache_holds_too() {
    let shelves = Shelves::new();
    let (home, ollama) = (&shelves.home, &shelves.ollama);
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let sha = gguf.sha256();
    let size = gguf.content.len() as u64;
    // Ollama: the same GGUF pulled from hf.co (named by its sha256), a library model the
    // cache does not have, a pull in progress, and a manifest whose blob is the wrong size.
    write(&ollama.join(format!("blobs/sha256-{sha}")), &gguf.content);
    write(
        &ollama.join("manifests/hf.co/acme/tiny-model/Q4_K_M"),
        manifest(&[("model", &sha, size), ("template", &"a".repeat(64), 10)]).as_bytes(),
    );
    let other = "b".repeat(64);
    write(
        &ollama.join(format!("blobs/sha256-{other}")),
        b"other weights",
    );
    write(
        &ollama.join("manifests/registry.ollama.ai/library/llama3.2/latest"),
        manifest(&[("model", &other, 13)]).as_bytes(),
    );
    let partial = "d".repeat(64);
    write(
        &ollama.join(format!("blobs/sha256-{partial}-partial")),
        b"half",
    );
    write(
        &ollama.join("manifests/registry.ollama.ai/someone/half/latest"),
        manifest(&[("model", &partial, 999)]).as_bytes(),
    );
    write(
        &ollama.join("manifests/registry.ollama.ai/library/broken/latest"),
        b"{not json",
    );
    // LM Studio: publisher/repo/file.gguf under the home folder.
    write(
        &home.join(".lmstudio/models/acme/tiny-model-GGUF/tiny-Q4_K_M.gguf"),
        &gguf.content,
    );
    let before = shelves.stores();

    let xdg_cache = shelves.dir.path().join("xdg-cache");
    let apps = || {
        let out = shelves.cli(&["apps"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = apps();
    let line = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"))
            .to_owned()
    };
    let same = format!("same bytes as acme/tiny-model/{GGUF} in the cache");
    let lm_studio = "acme/tiny-model-GGUF/tiny-Q4_K_M.gguf";
    assert!(
        line(&text, "hf.co/acme/tiny-model:Q4_K_M").ends_with(&same),
        "{text}"
    );
    assert!(
        line(&text, "llama3.2:latest").ends_with("not in the cache"),
        "{text}"
    );
    assert!(line(&text, lm_studio).ends_with(&same), "hashed: {text}");
    assert!(!text.contains("half") && !text.contains("broken"), "{text}");
    assert!(
        text.contains("Ollama (") && text.contains("LM Studio ("),
        "{text}"
    );
    assert!(text.contains("200 KB held twice"), "{text}");
    let untouched = |before: &Vec<(PathBuf, Vec<u8>)>| {
        assert_eq!(
            &shelves.stores(),
            before,
            "nothing in the other apps' folders changed"
        );
    };
    untouched(&before);

    // The hash is remembered: the next run takes it from memory (here made to lie) ...
    let memory = xdg_cache.join("modelshelf/hashes.json");
    let remembered = std::fs::read_to_string(&memory).unwrap();
    assert!(
        remembered.contains(&sha) && remembered.contains("tiny-Q4_K_M.gguf"),
        "{remembered}"
    );
    std::fs::write(&memory, remembered.replace(&sha, &"e".repeat(64))).unwrap();
    assert!(line(&apps(), lm_studio).ends_with("not in the cache"));
    // ... until the file changes (a new modification time): then it is read again.
    let lm_file = home.join(".lmstudio/models/acme/tiny-model-GGUF/tiny-Q4_K_M.gguf");
    std::fs::File::options()
        .write(true)
        .open(&lm_file)
        .unwrap()
        .set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    let before = shelves.stores();
    assert!(line(&apps(), lm_studio).ends_with(&same));
    untouched(&before);
}

/// `dedupe` is a dry run: it says which copies a hard link would give back and which are one
/// copy already, totals the bytes, and changes nothing.
#[test]
fn dedupe_shows_what_hard_links_would_give_back_and_changes_nothing() {
    let shelves = Shelves::new();
    let (cache, home, ollama) = (&shelves.cache, &shelves.home, &shelves.ollama);
    let run = |args: &[&str]| shelves.cli(args);
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let sha = gguf.sha256();
    // Ollama's blob is already a hard link to the cache's; LM Studio holds a second copy.
    let blob = cache.join(format!("models--acme--tiny-model/blobs/{sha}"));
    std::fs::create_dir_all(ollama.join("blobs")).unwrap();
    std::fs::hard_link(&blob, ollama.join(format!("blobs/sha256-{sha}"))).unwrap();
    write(
        &ollama.join("manifests/hf.co/acme/tiny-model/Q4_K_M"),
        manifest(&[("model", &sha, gguf.content.len() as u64)]).as_bytes(),
    );
    let copy = home.join(".lmstudio/models/acme/tiny-model-GGUF/tiny-Q4_K_M.gguf");
    write(&copy, &gguf.content);
    let before = shelves.stores();
    let inode = |p: &Path| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(p).unwrap().ino()
    };
    let inodes = (inode(&blob), inode(&copy));

    let out = run(&["dedupe"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "hf.co/acme/tiny-model:Q4_K_M                         100 KB  one copy with acme/tiny-model/{GGUF} in the cache (hard link)"
        )),
        "{text}"
    );
    assert!(
        text.contains("would become a hard link to the cache's copy, giving back 100 KB"),
        "{text}"
    );
    assert!(
        text.contains("100 KB could be given back by hard links (a dry run: nothing was changed)."),
        "{text}"
    );
    assert_eq!(shelves.stores(), before);
    assert_eq!((inode(&blob), inode(&copy)), inodes, "no file was linked");

    let refused = run(&["dedupe", "--apply"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("dedupe only shows what it would do")
    );
}
