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
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue; // a store not made in this test
        };
        for entry in entries.flatten() {
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
    /// A fake Hub, an empty cache, no stores yet.
    fn empty() -> Shelves {
        let dir = tempfile::tempdir().unwrap();
        Shelves {
            hub: FakeHub::start(demo_catalog()),
            cache: dir.path().join("hub"),
            home: dir.path().join("home"),
            ollama: dir.path().join("ollama"),
            dir,
        }
    }

    fn new() -> Shelves {
        let shelves = Shelves::empty();
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
        self.cli_with(args, &[])
    }

    /// [`Shelves::cli`] with more environment variables.
    fn cli_with(&self, args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
        let mut command = cli::command(&self.hub.endpoint(), &self.cache, &self.home, args);
        command
            .env("OLLAMA_MODELS", &self.ollama)
            .env("HOME", &self.home)
            .env("XDG_CACHE_HOME", self.dir.path().join("xdg-cache"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"));
        for name in ["JAN_DATA_FOLDER", "JAN_DATA_ROOT", "LLAMA_CACHE"] {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        cli::finish(command.spawn().unwrap(), Duration::from_secs(20))
    }

    /// The demo GGUF in Ollama's store as `ollama pull hf.co/acme/tiny-model:Q4_K_M` leaves it:
    /// the blob named by its sha256 and the manifest. Returns the blob.
    fn pulled_by_ollama(&self) -> PathBuf {
        let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
        let sha = gguf.sha256();
        let blob = self.ollama.join(format!("blobs/sha256-{sha}"));
        write(&blob, &gguf.content);
        write(
            &self.ollama.join("manifests/hf.co/acme/tiny-model/Q4_K_M"),
            manifest(&[("model", &sha, gguf.content.len() as u64)]).as_bytes(),
        );
        blob
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

/// Jan (model.yml naming `model.gguf`, relative and absolute), GPT4All (flat, a download in
/// progress skipped, its settings' folder), llama.cpp's own `LLAMA_CACHE` and a folder given
/// with `--folder` are listed, and their copies of the cache's GGUF found by hash.
#[test]
fn apps_finds_jan_gpt4all_llama_cpp_and_added_folders() {
    let shelves = Shelves::new();
    let home = &shelves.home;
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let data = home.join(".local/share");
    // Jan renames the download model.gguf; model_path is relative to its data folder.
    let jan_models = data.join("Jan/data/llamacpp/models");
    write(&jan_models.join("acme/tiny-Q4/model.gguf"), &gguf.content);
    write(
        &jan_models.join("acme/tiny-Q4/model.yml"),
        b"model_path: llamacpp/models/acme/tiny-Q4/model.gguf\nname: tiny-Q4\nsize_bytes: 102400\n",
    );
    // Jan's absolute model_path, in its data folder; and one leading outside it, which is not
    // Jan's folder to list or to share.
    let elsewhere = data.join("Jan/data/imports/imported.gguf");
    write(&elsewhere, b"not in the cache");
    let outside = shelves.dir.path().join("outside/kept.gguf");
    write(&outside, b"outside Jan's folder");
    write(
        &jan_models.join("outside/model.yml"),
        format!("model_path: {}\n", outside.display()).as_bytes(),
    );
    write(
        &jan_models.join("climbing/model.yml"),
        b"model_path: ../../../../../outside/kept.gguf\n",
    );
    write(
        &jan_models.join("imported/model.yml"),
        format!("model_path: '{}'\nname: imported\n", elsewhere.display()).as_bytes(),
    );
    write(&jan_models.join("no-weights/model.yml"), b"name: nothing\n");
    // GPT4All: its settings name another folder; a download in progress is left out.
    let gpt4all = shelves.dir.path().join("gpt4all-models");
    write(
        &home.join(".config/nomic.ai/GPT4All.ini"),
        format!("[General]\nmodelPath={}\n", gpt4all.display()).as_bytes(),
    );
    write(&gpt4all.join("tiny-Q4_K_M.gguf"), &gguf.content);
    write(&gpt4all.join("incomplete-big.gguf"), b"half");
    write(&gpt4all.join("notes.txt"), b"not a model");
    // llama.cpp's own cache elsewhere, in the Hugging Face layout.
    let llama_cache = shelves.dir.path().join("llama-cache");
    crate::shelf::cached_file(&llama_cache, "acme/tiny-model", GGUF, &gguf.content);
    // A folder the person keeps models in.
    let mine = shelves.dir.path().join("my-models");
    write(&mine.join("deep/er/tiny.gguf"), &gguf.content);
    write(&mine.join(".hidden/tiny.gguf"), &gguf.content);
    write(&mine.join("other.gguf"), b"not in the cache");

    let before = [snapshot(&data), snapshot(&gpt4all), snapshot(&mine)].concat();
    let out = shelves.cli_with(
        &["apps", "--folder", mine.to_str().unwrap()],
        &[("LLAMA_CACHE", &llama_cache)],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let same = format!("same bytes as acme/tiny-model/{GGUF} in the cache");
    for (store, model, what) in [
        ("Jan (", "acme/tiny-Q4 ", same.as_str()),
        (
            "Jan (",
            "imported ",
            "not in the cache; same bytes as Folder's other.gguf",
        ),
        (
            "Folder (",
            "other.gguf",
            "not in the cache; same bytes as Jan's imported",
        ),
        ("GPT4All (", "tiny-Q4_K_M.gguf", same.as_str()),
        (
            "llama.cpp (",
            "acme/tiny-model/gguf/tiny-Q4_K_M.gguf",
            same.as_str(),
        ),
        ("Folder (", "deep/er/tiny.gguf", same.as_str()),
    ] {
        let section = text
            .split(store)
            .nth(1)
            .unwrap_or_else(|| panic!("no {store}: {text}"));
        let line = section
            .lines()
            .find(|l| l.trim_start().starts_with(model))
            .unwrap_or_else(|| panic!("no {model} under {store}: {text}"));
        assert!(line.ends_with(what), "{line}");
    }
    for absent in [
        "no-weights",
        "incomplete-",
        "notes.txt",
        ".hidden",
        "outside",
        "climbing",
    ] {
        assert!(!text.contains(absent), "{absent} listed: {text}");
    }
    assert_eq!(
        [snapshot(&data), snapshot(&gpt4all), snapshot(&mine)].concat(),
        before
    );

    let bad = shelves.cli(&["apps", "--folder", "/no/such/folder"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a folder"));
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
        text.contains("100 KB could be given back by hard links (a dry run: nothing was changed"),
        "{text}"
    );
    assert_eq!(shelves.stores(), before);
    assert_eq!((inode(&blob), inode(&copy)), inodes, "no file was linked");
}

/// `dedupe --apply` makes each app's copy a hard link to the cache's blob under the app's own
/// path and name, says what it freed, leaves the manifests alone, and `separate` makes a file a
/// copy of its own again with its permissions.
#[test]
fn dedupe_apply_keeps_one_copy_under_every_path_and_separate_undoes_it() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let shelves = Shelves::new();
    let (cache, home, ollama) = (&shelves.cache, &shelves.home, &shelves.ollama);
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let sha = gguf.sha256();
    let blob = cache.join(format!("models--acme--tiny-model/blobs/{sha}"));
    let ollama_blob = ollama.join(format!("blobs/sha256-{sha}"));
    write(&ollama_blob, &gguf.content);
    let manifest_path = ollama.join("manifests/hf.co/acme/tiny-model/Q4_K_M");
    write(
        &manifest_path,
        manifest(&[("model", &sha, gguf.content.len() as u64)]).as_bytes(),
    );
    let lm_copy = home.join(".lmstudio/models/acme/tiny-model-GGUF/tiny-Q4_K_M.gguf");
    write(&lm_copy, &gguf.content);
    std::fs::set_permissions(&lm_copy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let manifest_before = std::fs::read(&manifest_path).unwrap();
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();

    let out = shelves.cli(&["dedupe", "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("now one copy with the cache's: 100 KB freed"),
        "{text}"
    );
    assert!(text.contains("200 KB freed."), "{text}");
    for path in [&ollama_blob, &lm_copy] {
        assert_eq!(
            ino(path),
            ino(&blob),
            "{} is the cache's inode",
            path.display()
        );
        assert_eq!(std::fs::read(path).unwrap(), gguf.content);
    }
    assert_eq!(std::fs::metadata(&blob).unwrap().nlink(), 3);
    assert_eq!(std::fs::read(&manifest_path).unwrap(), manifest_before);
    assert!(
        shelves
            .stores()
            .iter()
            .all(|(p, _)| !p.to_string_lossy().contains("modelshelf-")),
        "no temporary name is left in the stores"
    );
    // Applying again finds nothing left to do.
    let again = shelves.cli(&["dedupe", "--apply"]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.status.success() && text.contains("0 B freed."),
        "{text}"
    );

    // Separate copies again: a new inode each, the same bytes, the cache's blob kept.
    let mode_before = std::fs::metadata(&lm_copy).unwrap().mode() & 0o7777;
    let lm = lm_copy.to_str().unwrap();
    let out = shelves.cli(&["separate", lm]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(ino(&lm_copy), ino(&blob));
    assert_eq!(std::fs::read(&lm_copy).unwrap(), gguf.content);
    assert_eq!(
        std::fs::metadata(&lm_copy).unwrap().mode() & 0o7777,
        mode_before
    );
    assert_eq!(std::fs::metadata(&blob).unwrap().nlink(), 2);
    // The cache's own blob (linked from Ollama's store) is not an app's file to separate.
    let refused = shelves.cli(&["separate", blob.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::metadata(&blob).unwrap().nlink(), 2);
    let twice = shelves.cli(&["separate", lm]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&twice.stderr)
            .contains("is not another app's file shared with the cache"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
}

/// A copy whose app could no longer read the cache's inode, or whose bytes differ from the
/// cache's (a corrupted blob of the right size and name), is left exactly as it was.
#[test]
fn dedupe_apply_refuses_what_would_change_a_files_bytes_or_who_can_read_it() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let shelves = Shelves::new();
    let (cache, home) = (&shelves.cache, &shelves.home);
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let blob = cache.join(format!("models--acme--tiny-model/blobs/{}", gguf.sha256()));
    let lm_copy = home.join(".lmstudio/models/acme/tiny-model-GGUF/tiny-Q4_K_M.gguf");
    write(&lm_copy, &gguf.content);
    std::fs::set_permissions(&lm_copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Everyone may read LM Studio's file; only the cache's owner may read the cache's.
    std::fs::set_permissions(&blob, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ino = std::fs::metadata(&lm_copy).unwrap().ino();
    let out = shelves.cli(&["dedupe", "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("the app could no longer read it"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 file could not be shared"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::metadata(&lm_copy).unwrap().ino(), ino);

    // The cache's blob went bad (same size): the copies no longer hold the same bytes.
    std::fs::set_permissions(&blob, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bad = gguf.content.to_vec();
    bad[1000] ^= 1;
    std::fs::write(&blob, &bad).unwrap();
    let out = shelves.cli(&["dedupe", "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("its bytes differ from the cache's copy"),
        "{text}"
    );
    assert_eq!(std::fs::metadata(&lm_copy).unwrap().ino(), ino);
    assert_eq!(std::fs::read(&lm_copy).unwrap(), gguf.content);
    assert!(
        shelves
            .stores()
            .iter()
            .all(|(p, _)| !p.to_string_lossy().contains("modelshelf-")),
        "no temporary link is left"
    );
}

/// `dedupe --apply` killed (SIGKILL) at many points: after each, every app path holds its
/// whole file; a last run finishes the job and leaves no temporary name behind.
#[test]
fn dedupe_apply_killed_at_any_point_leaves_every_file_whole() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (cache, home) = (dir.path().join("hub"), dir.path().join("home"));
    // 24 MiB that differ byte to byte, so a torn file cannot pass as whole.
    let content: Vec<u8> = (0..24u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let blob = cached_file(&cache, "acme/big-GGUF", "big-Q8_0.gguf", &content);
    let copies: Vec<PathBuf> = (0..4)
        .map(|i| home.join(format!(".lmstudio/models/pub{i}/big-GGUF/big-Q8_0.gguf")))
        .collect();
    for copy in &copies {
        write(copy, &content);
    }
    let run = |args: &[&str]| {
        let mut command = cli::command("http://127.0.0.1:9", &cache, &home, args);
        command
            .env("HOME", &home)
            .env_remove("OLLAMA_MODELS")
            .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"));
        command
    };
    // The first run hashes the copies (remembered); later runs only compare and link.
    let listed = cli::finish(run(&["apps"]).spawn().unwrap(), Duration::from_secs(30));
    assert!(listed.status.success());
    let whole = |copy: &Path| std::fs::read(copy).unwrap() == content;
    for delay_ms in [0u64, 5, 10, 15, 20, 30, 40, 60, 80] {
        let mut child = run(&["dedupe", "--apply"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        for copy in &copies {
            assert!(
                whole(copy),
                "{} whole after a kill at {delay_ms} ms",
                copy.display()
            );
        }
        let linked = copies
            .iter()
            .filter(|c| {
                std::fs::metadata(c).unwrap().ino() == std::fs::metadata(&blob).unwrap().ino()
            })
            .count();
        eprintln!(
            "killed at {delay_ms} ms: {linked} of {} linked",
            copies.len()
        );
    }
    let out = cli::finish(
        run(&["dedupe", "--apply"]).spawn().unwrap(),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for copy in &copies {
        assert!(whole(copy));
        assert_eq!(
            std::fs::metadata(copy).unwrap().ino(),
            std::fs::metadata(&blob).unwrap().ino()
        );
    }
    let names: Vec<PathBuf> = snapshot(&home).into_iter().map(|(p, _)| p).collect();
    assert!(
        names
            .iter()
            .all(|p| !p.to_string_lossy().contains("modelshelf-")),
        "no temporary name is left: {names:?}"
    );
}

/// Puts `content` in the cache at `cache` as `repo`'s `file` at main, the way a download
/// does (blob named by its sha256, relative snapshot link, ref); returns the blob.
pub(crate) fn cached_file(cache: &Path, repo: &str, file: &str, content: &[u8]) -> PathBuf {
    let sha = sha256_hex(content);
    let folder = cache.join(format!("models--{}", repo.replace('/', "--")));
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let blob = folder.join("blobs").join(&sha);
    write(&blob, content);
    write(&folder.join("refs/main"), commit.as_bytes());
    let link = folder.join("snapshots").join(commit).join(file);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    let up = "../".repeat(file.matches('/').count() + 2);
    std::os::unix::fs::symlink(format!("{up}blobs/{sha}"), &link).unwrap();
    blob
}

/// `import`: a GGUF only Ollama has (pulled from hf.co) becomes the cache's file of that
/// repository at main by a hard link (no copy), with the snapshot link and ref, so the
/// engine then finds it complete and fetches nothing; an LM Studio file whose bytes the
/// repository does not have is refused with the reason, the cache untouched.
#[test]
fn import_adds_another_apps_gguf_to_the_cache_by_a_hard_link() {
    use std::os::unix::fs::MetadataExt as _;
    let shelves = Shelves::empty();
    let (cache, home) = (&shelves.cache, &shelves.home);
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let sha = gguf.sha256();
    let ollama_blob = shelves.pulled_by_ollama();
    let out = shelves.cli(&["import", ollama_blob.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repo = cache.join("models--acme--tiny-model");
    let blob = repo.join(format!("blobs/{sha}"));
    assert_eq!(
        std::fs::metadata(&blob).unwrap().ino(),
        std::fs::metadata(&ollama_blob).unwrap().ino(),
        "the cache's blob is Ollama's file, not a copy"
    );
    let commit = std::fs::read_to_string(repo.join("refs/main")).unwrap();
    let snapshot = repo.join("snapshots").join(&commit).join(GGUF);
    assert_eq!(stdout.trim(), snapshot.display().to_string());
    assert_eq!(std::fs::read(&snapshot).unwrap(), gguf.content);
    let gets = shelves.hub.requests().len();
    let again = shelves.cli(&["download", "acme/tiny-model", GGUF]);
    assert!(again.status.success());
    assert!(
        !shelves.hub.requests()[gets..]
            .iter()
            .any(|r| r.method == "GET" && r.target.contains("/resolve/")),
        "the imported file is not fetched again: {:?}",
        &shelves.hub.requests()[gets..]
    );
    assert!(
        String::from_utf8_lossy(&shelves.cli(&["apps"]).stdout)
            .contains("one copy with acme/tiny-model/gguf/tiny-Q4_K_M.gguf in the cache")
    );

    // LM Studio's file of the same size but other bytes: no file of the repo has them.
    let mut other = gguf.content.to_vec();
    other[0] ^= 1;
    let lm = home.join(".lmstudio/models/acme/tiny-model/changed.gguf");
    write(&lm, &other);
    let before = snapshot_of_cache(cache);
    let refused = shelves.cli(&["import", lm.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("no file of acme/tiny-model at main has the same bytes"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(snapshot_of_cache(cache), before);
    // The hash memory claims the changed file holds the repository's bytes: it is read again
    // before it becomes a blob, and refused.
    let memory = shelves.dir.path().join("xdg-cache/modelshelf/hashes.json");
    let remembered = std::fs::read_to_string(&memory).unwrap();
    let lie = remembered.replace(&sha256_hex(&other), &sha);
    assert_ne!(lie, remembered, "the changed file's hash was remembered");
    std::fs::write(&memory, lie).unwrap();
    let lied_to = shelves.cli(&["import", lm.to_str().unwrap()]);
    assert_eq!(lied_to.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&lied_to.stderr).contains("failed its integrity check"),
        "{}",
        String::from_utf8_lossy(&lied_to.stderr)
    );
    assert_eq!(snapshot_of_cache(cache), before);
    let unknown = shelves.cli(&["import", "/etc/hostname"]);
    assert_eq!(unknown.status.code(), Some(2));
}

/// The sha256 of `bytes`, in hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every path under the cache with its link target or size.
fn snapshot_of_cache(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_symlink() {
                out.push((
                    path.clone(),
                    std::fs::read_link(&path).unwrap().display().to_string(),
                ));
            } else {
                out.push((path, meta.len().to_string()));
            }
        }
    }
    out.sort();
    out
}

/// After an import from Ollama and a Reclaim of LM Studio's copy, Python's `scan_cache_dir`
/// sees the cache as clean: the repository, its one file at main, no warnings.
#[test]
#[ignore = "needs the Python venv; run by scripts/test"]
fn python_finds_the_cache_clean_after_import_and_reclaim() {
    let shelves = Shelves::empty();
    let home = &shelves.home;
    let gguf = demo_catalog()[0].get(GGUF).unwrap().clone();
    let ollama_blob = shelves.pulled_by_ollama();
    write(
        &home.join(".lmstudio/models/acme/tiny-model/tiny-Q4_K_M.gguf"),
        &gguf.content,
    );
    for args in [
        vec!["import", ollama_blob.to_str().unwrap()],
        vec!["dedupe", "--apply"],
    ] {
        let out = shelves.cli(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let python = crate::support::python::run_script(
        "scan_cache.py",
        &shelves.hub.endpoint(),
        &shelves.cache,
        true,
        &serde_json::json!({}),
    );
    assert_eq!(python["warnings"], serde_json::json!([]), "{python}");
    let repos = python["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 1, "{python}");
    assert_eq!(repos[0]["repo_id"], "acme/tiny-model");
    let files = &repos[0]["revisions"][0]["files"];
    assert_eq!(
        files,
        &serde_json::json!([[GGUF, gguf.content.len()]]),
        "{python}"
    );
}

/// `content` kept twice under `home`: as `acme/tiny-GGUF`'s `tiny-Q4_K_M.gguf` in the cache
/// `hf/hub`, and as LM Studio's copy of it. Returns the cache's blob and LM Studio's file.
pub(crate) fn kept_twice(home: &Path, content: &[u8]) -> (PathBuf, PathBuf) {
    let blob = cached_file(
        &home.join("hf/hub"),
        "acme/tiny-GGUF",
        "tiny-Q4_K_M.gguf",
        content,
    );
    let copy = home.join(".lmstudio/models/acme/tiny-GGUF/tiny-Q4_K_M.gguf");
    write(&copy, content);
    (blob, copy)
}
