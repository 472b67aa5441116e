//! The model stores of the other local AI apps (Ollama, LM Studio, Jan, GPT4All, llama.cpp's
//! own cache, folders the person adds), which of their files hold the same bytes as a file in
//! the Hugging Face cache, and keeping those once. People keep the same 5-40 GB GGUF two or
//! three times. Nothing here deletes another app's file; the only writes into its store are
//! the ones the person asks for: a copy replaced by a hard link ([`share`]) or made separate
//! again ([`separate`]), a cached model placed by hard link ([`place_link`],
//! [`use_in_ollama`]).

mod folders;
mod hashes;
mod import;
mod jan;
mod link;
mod llamacpp;
mod lmstudio;
mod ollama;
mod pull;

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

pub use self::hashes::{HASH_MEMORY_FILE, HashMemory};
pub use self::import::{Imported, import};
pub use self::link::{place_link, separate, share};
pub use self::pull::{UsedInOllama, ollama_registry, use_in_ollama};
use crate::cache::CacheScan;
use crate::error::Result;
pub use crate::error::ShareRefusal;

/// An app whose models Modelshelf can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum App {
    Ollama,
    LmStudio,
    Jan,
    Gpt4All,
    /// llama.cpp's `-hf` cache, when `LLAMA_CACHE` puts it outside the Hugging Face cache.
    LlamaCpp,
    /// A folder of GGUF files the person added.
    Folder,
}

impl App {
    pub fn name(self) -> &'static str {
        match self {
            App::Ollama => "Ollama",
            App::LmStudio => "LM Studio",
            App::Jan => "Jan",
            App::Gpt4All => "GPT4All",
            App::LlamaCpp => "llama.cpp",
            App::Folder => "Folder",
        }
    }
}

/// One app's model folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub app: App,
    pub root: PathBuf,
}

/// A model as its app names it, with its weight files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShelvedModel {
    pub app: App,
    /// `llama3.2:3b`, `hf.co/org/repo:Q4_K_M`, `publisher/repo/file.gguf`...
    pub name: String,
    /// The Hub repository it came from, when its name says so (it can then be imported).
    pub origin: Option<String>,
    pub files: Vec<ShelvedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShelvedFile {
    #[ts(type = "string")]
    pub path: PathBuf,
    #[ts(type = "number")]
    pub size: u64,
    /// The content's sha256 when the app names the file by it (Ollama's blobs) or once
    /// [`compare_with_cache`] hashed it.
    pub sha256: Option<String>,
    /// The Hugging Face cache file with the same bytes, if there is one.
    pub same_as: Option<CacheRef>,
    /// Another app's model holding the same bytes (`LM Studio's acme/x/x.gguf`), if there is one.
    pub same_as_other: Option<String>,
    /// With `same_as`: whether it is one copy with the cache's already, and whether it can be.
    pub sharing: Option<Sharing>,
}

/// A file in the Hugging Face cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheRef {
    pub repo: String,
    pub path: String,
    /// Its blob, where the bytes are.
    #[ts(type = "string")]
    pub blob: PathBuf,
}

/// What one copy of a cache file in another app's folder costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Sharing {
    /// A hard link to the cache's blob already: one copy on disk.
    Shared,
    /// A second copy on the same file system: a hard link would give its bytes back.
    Reclaimable,
    /// On another file system: a hard link cannot reach it; it is left alone.
    OtherFileSystem,
}

/// How `file` (matched to the cache) stands, from the two files' device and inode.
///
/// # Errors
///
/// [`crate::error::Error::Io`] when either file cannot be looked at.
pub fn sharing(file: &Path, cached: &CacheRef) -> Result<Sharing> {
    let meta = |path: &Path| {
        std::fs::metadata(path).map_err(|e| crate::error::Error::io("reading", path, e))
    };
    let (theirs, ours) = (meta(file)?, meta(&cached.blob)?);
    Ok(if theirs.dev() != ours.dev() {
        Sharing::OtherFileSystem
    } else if theirs.ino() == ours.ino() {
        Sharing::Shared
    } else {
        Sharing::Reclaimable
    })
}

/// The stores that exist on this machine, from the apps' environment variables, settings and
/// default places, then the `added` folders. `env` looks variables up; `home` is the person's
/// home folder; `cache` is the Hugging Face cache, which is never listed as a store.
pub fn discover(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    cache: &Path,
    added: &[PathBuf],
) -> Vec<Store> {
    let mut stores: Vec<Store> = Vec::new();
    let same = |a: &Path, b: &Path| {
        a == b || std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
    };
    let found = [
        (App::Ollama, ollama::roots(env, home)),
        (App::LmStudio, lmstudio::roots(home)),
        (App::Jan, jan::roots(env, home)),
        (App::Gpt4All, folders::gpt4all_roots(env, home)),
        (App::LlamaCpp, llamacpp::roots(env)),
        (App::Folder, added.to_vec()),
    ];
    for (app, roots) in found {
        for root in roots {
            if root.is_dir() && !same(&root, cache) && !stores.iter().any(|s| same(&s.root, &root))
            {
                stores.push(Store { app, root });
            }
        }
    }
    stores
}

/// The models in `store`. Unreadable entries are skipped: another app's folder is not ours to
/// judge, and half-written files (Ollama's `-partial` blobs, GPT4All's `incomplete-` files)
/// are never listed.
pub fn models(store: &Store) -> Vec<ShelvedModel> {
    match store.app {
        App::Ollama => ollama::models(&store.root),
        App::LmStudio => lmstudio::models(&store.root),
        App::Jan => jan::models(&store.root),
        App::Gpt4All => folders::gpt4all_models(&store.root),
        App::LlamaCpp => llamacpp::models(&store.root),
        App::Folder => folders::folder_models(&store.root),
    }
}

/// `app`'s models folder: the one found, else its default one when the app has been
/// installed (`~/.ollama`, `~/.lmstudio` exists), so a model can be placed there before the
/// app holds any.
pub fn folder_of(app: App, stores: &[Store], home: Option<&Path>) -> Option<PathBuf> {
    let found = stores.iter().find(|s| s.app == app).map(|s| s.root.clone());
    let installed = match app {
        App::Ollama => ".ollama",
        App::LmStudio => ".lmstudio",
        _ => return found,
    };
    found.or_else(|| {
        let home = home?.join(installed);
        home.is_dir().then(|| home.join("models"))
    })
}

/// Where LM Studio looks for `file` of the Hub's `repo`: `<publisher>/<repo>/<file name>`
/// (its models folder mirrors the Hub's org/repo, one level of files).
pub fn lm_studio_path(folder: &Path, repo: &crate::repo::RepoId, file: &str) -> PathBuf {
    let name = file.rsplit('/').next().unwrap_or(file);
    folder.join(repo.as_str()).join(name)
}

/// The bytes of the small file at `path` (a manifest, a `model.yml`): a plain file, opened
/// without following a link, of at most `max` bytes; `None` otherwise. Read through the open
/// file, so a link or a device swapped in after a look cannot make it read without end.
fn read_small(path: &Path, max: u64) -> Option<Vec<u8>> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}

/// `path` as a [`ShelvedFile`] if it is a plain file (a link is its app's business).
fn plain_file(path: PathBuf, sha256: Option<String>) -> Option<ShelvedFile> {
    let meta = std::fs::symlink_metadata(&path)
        .ok()
        .filter(|m| m.is_file())?;
    Some(ShelvedFile {
        path,
        size: meta.len(),
        sha256,
        same_as: None,
        same_as_other: None,
        sharing: None,
    })
}

/// How far the hashing of other apps' files is: bytes read of those that must be read (the
/// remembered ones are not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Hashing {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

/// Every store's models, compared with the cache and with each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Survey {
    pub stores: Vec<SurveyedStore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SurveyedStore {
    pub app: App,
    /// The app's name as people know it.
    pub app_name: String,
    #[ts(type = "string")]
    pub root: PathBuf,
    pub models: Vec<ShelvedModel>,
}

impl Survey {
    pub fn files(&self) -> impl Iterator<Item = &ShelvedFile> {
        self.stores
            .iter()
            .flat_map(|s| &s.models)
            .flat_map(|m| &m.files)
    }

    /// Bytes kept both in an app's folder and in the cache.
    pub fn twice_bytes(&self) -> u64 {
        self.files()
            .filter(|f| {
                matches!(
                    f.sharing,
                    Some(Sharing::Reclaimable | Sharing::OtherFileSystem)
                )
            })
            .map(|f| f.size)
            .sum()
    }

    /// Bytes hard links to the cache's copies would give back.
    pub fn reclaimable_bytes(&self) -> u64 {
        self.reclaimable(None).map(|(f, _)| f.size).sum()
    }

    /// The files [`reclaim`] would make one copy with the cache's (of those `only` names, when
    /// given), each with that copy.
    pub fn reclaimable<'a>(
        &'a self,
        only: Option<&'a [PathBuf]>,
    ) -> impl Iterator<Item = (&'a ShelvedFile, &'a CacheRef)> + 'a {
        self.files()
            .filter(move |f| only.is_none_or(|paths| paths.contains(&f.path)))
            .filter(|f| f.sharing == Some(Sharing::Reclaimable))
            .filter_map(|f| Some((f, f.same_as.as_ref()?)))
    }
}

/// Lists every store's models and compares them with the cache `scan` describes and with each
/// other (see [`compare_with_cache`]), then tells how each matched file stands.
///
/// # Errors
///
/// [`crate::error::Error::Cancelled`].
pub fn survey(
    stores: &[Store],
    scan: &CacheScan,
    memory: &mut HashMemory,
    cancel: &CancellationToken,
    progress: &mut dyn FnMut(Hashing),
) -> Result<Survey> {
    // A file two stores reach (a folder the person added that holds an app's store) is
    // listed once, with the first: counted twice, it would be "reclaimed" twice.
    let mut listed = HashSet::new();
    let per_store: Vec<Vec<ShelvedModel>> = stores
        .iter()
        .map(|store| {
            let mut found = models(store);
            for model in &mut found {
                model.files.retain(|f| {
                    listed.insert(std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()))
                });
            }
            found.retain(|m| !m.files.is_empty());
            found
        })
        .collect();
    let counts: Vec<usize> = per_store.iter().map(Vec::len).collect();
    // All stores at once, so a file two apps hold is found as well.
    let mut all: Vec<ShelvedModel> = per_store.into_iter().flatten().collect();
    compare_with_cache(&mut all, scan, memory, cancel, progress)?;
    for file in all.iter_mut().flat_map(|m| m.files.iter_mut()) {
        file.sharing = file.same_as.as_ref().and_then(|cached| {
            sharing(&file.path, cached)
                .inspect_err(|e| tracing::info!("not comparing {}: {e}", file.path.display()))
                .ok()
        });
    }
    let mut rest = all.into_iter();
    let stores = stores
        .iter()
        .zip(counts)
        .map(|(store, count)| SurveyedStore {
            app: store.app,
            app_name: store.app.name().to_owned(),
            root: store.root.clone(),
            models: rest.by_ref().take(count).collect(),
        })
        .collect();
    Ok(Survey { stores })
}

/// The stores of this machine (see [`discover`]) surveyed against the cache at `cache` (see
/// [`survey`]); no cache scan when there is no store. The app and the CLI both start here.
///
/// # Errors
///
/// The cache scan's; [`crate::error::Error::Cancelled`].
pub fn survey_machine(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    cache: &Path,
    added: &[PathBuf],
    memory: &mut HashMemory,
    cancel: &CancellationToken,
    progress: &mut dyn FnMut(Hashing),
) -> Result<(Vec<Store>, Survey)> {
    let stores = discover(env, home, cache, added);
    if stores.is_empty() {
        // Nothing to compare: the cache (perhaps a million files) is not scanned for nothing.
        return Ok((stores, Survey { stores: Vec::new() }));
    }
    let scan = crate::cache::scan(cache)?;
    let surveyed = survey(&stores, &scan, memory, cancel, progress)?;
    Ok((stores, surveyed))
}

/// What [`reclaim`] did with one file.
pub struct Reclaimed<'a> {
    pub file: &'a ShelvedFile,
    /// The bytes given back, or why the file was left as it was.
    pub outcome: Result<u64>,
}

/// Makes every reclaimable file of `survey` (of those `only` names, when given) one copy with
/// the cache's (see [`share`]), telling `each` how it went. Returns the bytes given back.
///
/// # Errors
///
/// [`crate::error::Error::Cancelled`]: the files done so far stay done.
pub fn reclaim(
    survey: &Survey,
    only: Option<&[PathBuf]>,
    cancel: &CancellationToken,
    compared: &mut dyn FnMut(u64),
    each: &mut dyn FnMut(Reclaimed<'_>),
) -> Result<u64> {
    let mut freed = 0;
    for (file, cached) in survey.reclaimable(only) {
        let outcome = share(&file.path, cached, cancel, compared);
        if let Err(crate::error::Error::Cancelled) = outcome {
            return Err(crate::error::Error::Cancelled);
        }
        freed += outcome.as_ref().copied().unwrap_or(0);
        each(Reclaimed { file, outcome });
    }
    Ok(freed)
}

/// Works out the sha256 of the files not named by it whose size is that of an LFS file in the
/// cache or of another file in `models` (no other file can hold the same bytes, so nothing else
/// is read), through `memory` so each is read once, then matches every file against the cache
/// and the others. `models` holds every store's models, so copies across apps are found.
/// `progress` hears how far the hashing is, for a progress bar.
///
/// # Errors
///
/// [`crate::error::Error::Cancelled`]; a file that cannot be read is left unmatched.
pub fn compare_with_cache(
    models: &mut [ShelvedModel],
    scan: &CacheScan,
    memory: &mut HashMemory,
    cancel: &CancellationToken,
    progress: &mut dyn FnMut(Hashing),
) -> Result<()> {
    let mut sizes: HashSet<u64> = lfs_files(scan).map(|(_, size, _)| size).collect();
    let mut seen = HashSet::new();
    for file in models.iter().flat_map(|m| &m.files) {
        if !seen.insert(file.size) {
            sizes.insert(file.size);
        }
    }
    // A file that is a hard link to a cache blob (after a Reclaim) has the blob's name for
    // its hash: its new inode must not make it look like a file to read again.
    let by_inode: HashMap<(u64, u64), String> = lfs_files(scan)
        .filter_map(|(sha, _, at)| {
            let meta = std::fs::metadata(&at.blob).ok()?;
            Some(((meta.dev(), meta.ino()), sha.to_owned()))
        })
        .collect();
    for file in models.iter_mut().flat_map(|m| m.files.iter_mut()) {
        if file.sha256.is_none() && sizes.contains(&file.size) {
            file.sha256 = std::fs::metadata(&file.path)
                .ok()
                .and_then(|m| by_inode.get(&(m.dev(), m.ino())).cloned());
        }
    }
    let needs_hash = |f: &ShelvedFile| f.sha256.is_none() && sizes.contains(&f.size);
    let total = models
        .iter()
        .flat_map(|m| &m.files)
        .filter(|f| needs_hash(f) && !memory.remembers(&f.path))
        .map(|f| f.size)
        .sum();
    let mut done = 0;
    progress(Hashing { done, total });
    for file in models.iter_mut().flat_map(|m| m.files.iter_mut()) {
        if needs_hash(file) {
            let hashed = memory.sha256(&file.path, cancel, &mut |n| {
                done += n;
                progress(Hashing { done, total });
            });
            match hashed {
                Ok(sha) => file.sha256 = Some(sha),
                Err(crate::error::Error::Cancelled) => return Err(crate::error::Error::Cancelled),
                // Another app's unreadable file is its business; it just is not compared.
                Err(e) => tracing::info!("not comparing {}: {e}", file.path.display()),
            }
        }
    }
    match_cache(models, scan);
    match_each_other(models);
    Ok(())
}

/// Marks each file whose sha256 another model's file has too, naming the first such model.
fn match_each_other(models: &mut [ShelvedModel]) {
    let mut holders: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    for (index, model) in models.iter().enumerate() {
        for sha in model.files.iter().filter_map(|f| f.sha256.clone()) {
            let holder = format!("{}'s {}", model.app.name(), model.name);
            holders.entry(sha).or_default().push((index, holder));
        }
    }
    for (index, model) in models.iter_mut().enumerate() {
        for file in &mut model.files {
            file.same_as_other = file.sha256.as_ref().and_then(|sha| {
                let others = holders.get(sha)?;
                others
                    .iter()
                    .find(|(i, _)| *i != index)
                    .map(|(_, h)| h.clone())
            });
        }
    }
}

/// The cache's copy of `repo`'s LFS file `path` at `commit` (when given), else in the
/// revision `main` points to, else in any revision.
pub fn find_in_cache(
    scan: &CacheScan,
    repo: &str,
    path: &str,
    commit: Option<&str>,
) -> Option<CacheRef> {
    let root = Path::new(&scan.root);
    let cached = scan
        .repos
        .iter()
        .find(|r| r.repo_id == repo && r.repo_type == crate::repo::RepoType::Model)?;
    let mut revisions: Vec<_> = cached
        .revisions
        .iter()
        .filter(|r| commit.is_none_or(|c| r.commit == c))
        .collect();
    // The revision `main` names first.
    revisions.sort_by_key(|r| !r.refs.iter().any(|name| name == "main"));
    revisions.iter().find_map(|revision| {
        let file = revision.files.iter().find(|f| f.path == path)?;
        let blob = file.blob.as_deref().filter(|b| crate::repo::is_sha256(b))?;
        Some(CacheRef {
            repo: repo.to_owned(),
            path: path.to_owned(),
            blob: root.join(&cached.folder).join("blobs").join(blob),
        })
    })
}

/// The cache's LFS files: blob name (their sha256), size, where.
fn lfs_files(scan: &CacheScan) -> impl Iterator<Item = (&str, u64, CacheRef)> {
    let root = Path::new(&scan.root);
    scan.repos.iter().flat_map(move |repo| {
        repo.revisions.iter().flat_map(move |revision| {
            revision.files.iter().filter_map(move |file| {
                let blob = file.blob.as_deref().filter(|b| crate::repo::is_sha256(b))?;
                Some((
                    blob,
                    file.size,
                    CacheRef {
                        repo: repo.repo_id.clone(),
                        path: file.path.clone(),
                        blob: root.join(&repo.folder).join("blobs").join(blob),
                    },
                ))
            })
        })
    })
}

/// Marks each file whose sha256 is the name of an LFS blob in the cache `scan` describes
/// (the Hub names LFS files by their sha256, and so does the cache's `blobs/` folder).
pub fn match_cache(models: &mut [ShelvedModel], scan: &CacheScan) {
    let mut by_blob: HashMap<&str, CacheRef> = HashMap::new();
    for (blob, _, at) in lfs_files(scan) {
        by_blob.entry(blob).or_insert(at);
    }
    for file in models.iter_mut().flat_map(|m| m.files.iter_mut()) {
        file.same_as = file
            .sha256
            .as_deref()
            .and_then(|sha| by_blob.get(sha).cloned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_two_stores_reach_is_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let gpt4all = dir.path().join("models/gpt4all");
        std::fs::create_dir_all(&gpt4all).unwrap();
        std::fs::write(gpt4all.join("m-Q4_K_M.gguf"), b"GGUF").unwrap();
        let cache = dir.path().join("hub");
        std::fs::create_dir_all(&cache).unwrap();
        let stores = [
            Store {
                app: App::Gpt4All,
                root: gpt4all.clone(),
            },
            // The person added the folder that holds GPT4All's.
            Store {
                app: App::Folder,
                root: dir.path().join("models"),
            },
        ];
        let scan = crate::cache::scan(&cache).unwrap();
        let surveyed = survey(
            &stores,
            &scan,
            &mut HashMemory::default(),
            &CancellationToken::new(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(surveyed.files().count(), 1);
        assert_eq!(
            surveyed.stores[0].models.len(),
            1,
            "listed with the first store"
        );
        assert!(surveyed.stores[1].models.is_empty());
    }
}
