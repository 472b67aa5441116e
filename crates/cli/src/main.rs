//! `modelshelf-cli`: Modelshelf's download engine from the command line, for scripts and
//! benchmarks. Same core, same cache, same cancellation path as the app.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use modelshelf_core::error::{Error, escape_controls};
use modelshelf_core::hub::HubClient;
use modelshelf_core::progress::{Phase, Progress, ProgressEvent, human_bytes};
use modelshelf_core::provision::{ArtifactProvisioner, ModelProvisioner};
use modelshelf_core::repo::RepoType;
use modelshelf_core::settings::{MAX_CONNECTIONS_PER_FILE, Settings};
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

const USAGE: &str = "\
usage: modelshelf-cli download <repo or Hub URL> [<file>...] [--revision REV]
                             [--include GLOB]... [--exclude GLOB]... [--repo-type model|dataset]
                             [--connections N] [--discard-partial] [--quiet]
       modelshelf-cli ls
       modelshelf-cli rm <repo> [--revision COMMIT] [--repo-type model|dataset]
       modelshelf-cli apps [--folder DIR]...
                             (the models Ollama, LM Studio, Jan, GPT4All and llama.cpp keep,
                             and the GGUF files in each added folder; which the cache holds too)
       modelshelf-cli dedupe [--apply] [--folder DIR]...
                             (what hard links to the cache's copies would give back, a dry
                             run; --apply makes them, keeping each app's path and name)
       modelshelf-cli import <file>
                             (adds an Ollama or LM Studio GGUF to the cache by a hard link, as
                             the file of its Hub repository with the same sha256)
       modelshelf-cli separate <file>...
                             (makes an app's file shared by dedupe a copy of its own again)

Downloads into the Hugging Face cache (HF_HUB_CACHE, HF_HOME) from HF_ENDPOINT, with HF_TOKEN.
Prints the local path (the file's, for one file; else the snapshot folder) as the last line.
Ctrl-C stops at once and keeps the partial data (if any arrived) for the next run to resume,
unless --discard-partial is given.";

/// A parsed `download` command line.
struct DownloadArgs {
    request: ModelRequest,
    discard_partial: bool,
    quiet: bool,
    /// The most connections for one large file (`None`: the engine's default).
    connections: Option<usize>,
}

fn parse_download(args: &[String]) -> Result<DownloadArgs, String> {
    let (mut target, mut files, mut include, mut exclude) =
        (None, Vec::new(), Vec::new(), Vec::new());
    let (mut revision, mut repo_type, mut discard_partial, mut quiet) =
        (None, RepoType::Model, false, false);
    let mut connections = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--revision" => revision = Some(value("--revision")?),
            "--include" => include.push(value("--include")?),
            "--exclude" => exclude.push(value("--exclude")?),
            "--repo-type" => {
                repo_type = match value("--repo-type")?.as_str() {
                    "model" => RepoType::Model,
                    "dataset" => RepoType::Dataset,
                    other => {
                        return Err(format!(
                            "--repo-type must be model or dataset, not {other:?}"
                        ));
                    }
                }
            }
            "--discard-partial" => discard_partial = true,
            "--connections" => {
                let raw = value("--connections")?;
                match raw.parse::<usize>() {
                    Ok(n) if (1..=MAX_CONNECTIONS_PER_FILE).contains(&n) => {
                        connections = Some(n);
                    }
                    _ => {
                        return Err(format!(
                            "--connections must be a number from 1 to {MAX_CONNECTIONS_PER_FILE}, not {raw:?}"
                        ));
                    }
                }
            }
            "--quiet" | "-q" => quiet = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            positional if target.is_none() => target = Some(positional.to_owned()),
            positional => files.push(positional.to_owned()),
        }
    }
    let target = target.ok_or("which repository? give org/name or a Hub URL")?;
    let mut request: ModelRequest = target.parse().map_err(|e: Error| e.to_string())?;
    request.repo_type = if target.contains("://") || target.starts_with("datasets/") {
        request.repo_type
    } else {
        repo_type
    };
    if let Some(revision) = revision {
        request.revision = revision;
    }
    let selection = match (files.is_empty(), include.is_empty() && exclude.is_empty()) {
        (false, true) => Selection::Files(files),
        (true, false) => Selection::Patterns { include, exclude },
        (true, true) => request.selection,
        (false, false) => return Err("give files or --include/--exclude patterns, not both".into()),
    };
    let request = ModelRequest::new(
        request.repo_type,
        request.repo.as_str(),
        Some(&request.revision),
        selection,
    )
    .map_err(|e| e.to_string())?;
    Ok(DownloadArgs {
        request,
        discard_partial,
        quiet,
        connections,
    })
}

/// Draws the download on a terminal bar (nothing when stderr is not a terminal), folding the
/// engine's events as they come; indicatif decides how often to draw.
struct Bar {
    bar: ProgressBar,
    progress: Mutex<Progress>,
}

impl Bar {
    fn new(visible: bool) -> Bar {
        let bar = if visible {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>12} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar {
            bar,
            progress: Mutex::new(Progress::default()),
        }
    }

    fn event(&self, event: &ProgressEvent) {
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        let phase_before = (progress.phase, progress.retry.is_some());
        progress.apply(event);
        self.bar.set_length(progress.bytes_total);
        self.bar.set_position(progress.bytes_done);
        if phase_before != (progress.phase, progress.retry.is_some()) {
            self.bar.set_message(phase_label(&progress));
        }
    }
}

fn phase_label(progress: &Progress) -> String {
    match (&progress.retry, progress.phase) {
        (Some(retry), _) => format!("retry {}", retry.attempt),
        (None, Phase::Resolving) => "resolving".into(),
        (None, Phase::Downloading) => "downloading".into(),
        (None, Phase::Retrying) => "retrying".into(),
        (None, Phase::Verifying) => "verifying".into(),
    }
}

/// Runs the download; on failure, the one-line reason and the exit code.
async fn download(args: DownloadArgs) -> Result<String, (String, u8)> {
    let fail = |e: Error, code: u8| (e.to_string(), code);
    let settings = Settings::from_env().map_err(|e| fail(e, 2))?;
    if settings.offline {
        return Err((
            "HF_HUB_OFFLINE is set, so nothing can be downloaded".into(),
            2,
        ));
    }
    let hub = HubClient::new(&settings.endpoint, settings.token.clone()).map_err(|e| fail(e, 2))?;
    let defaults = TransferOptions::default();
    let options = TransferOptions {
        connections: args.connections.unwrap_or(defaults.connections),
        ..defaults
    };
    let provisioner =
        ModelProvisioner::new(HuggingFaceVendor::new(hub, options), &settings.cache_dir);
    let job = format!("cli-{}", std::process::id());
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let bar = Bar::new(!args.quiet && std::io::stderr().is_terminal());
    let sink = |event: &ProgressEvent| bar.event(event);
    let result = provisioner
        .provision(&args.request, &job, cancel.clone(), &sink)
        .await;
    bar.bar.finish_and_clear();
    match result {
        Ok(entry) => Ok(match &args.request.selection {
            Selection::Files(files) if files.len() == 1 => {
                entry.snapshot.join(&files[0]).display().to_string()
            }
            _ => entry.snapshot.display().to_string(),
        }),
        Err(Error::Cancelled) => {
            // Say what is on disk now, not what usually is: a Ctrl-C while listing keeps nothing.
            let outcome = if args.discard_partial {
                match provisioner.discard_partials(&args.request, &job) {
                    Ok(0) => "no partial data to remove".to_owned(),
                    Ok(freed) => format!("partial data removed, {}", human_bytes(freed)),
                    Err(e) => format!("partial data could not be removed: {e}"),
                }
            } else {
                match provisioner.kept_partial_bytes(&args.request, &job) {
                    0 => "before any file data arrived; nothing kept".to_owned(),
                    kept => format!(
                        "{} of partial data kept; run again to resume",
                        human_bytes(kept)
                    ),
                }
            };
            Err((format!("interrupted ({outcome})"), 130))
        }
        Err(e) => Err(fail(e, 1)),
    }
}

fn age(seconds: f64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let ago = (now - seconds).max(0.0) as u64;
    match ago {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", ago / 60),
        3600..86_400 => format!("{} h ago", ago / 3600),
        _ => format!("{} days ago", ago / 86_400),
    }
}

/// What `apps` / `dedupe` does with the files of other apps that the cache holds too.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shelving {
    /// `apps`: says which files are the same.
    List,
    /// `dedupe`: says what hard links would give back; changes nothing.
    Plan,
    /// `dedupe --apply`: makes them hard links.
    Apply,
}

/// Lists other apps' models and says which files hold the same bytes as a cache file, what
/// sharing one copy would give back, or shares it.
fn other_apps(mode: Shelving, folders: &[PathBuf]) -> Result<(), (String, u8)> {
    use modelshelf_core::shelf::{self, Sharing};
    let settings = Settings::from_env().map_err(|e| (e.to_string(), 2))?;
    let (stores, survey) = survey_stores(&settings, folders)?;
    if stores.is_empty() {
        println!("No model folder of Ollama, LM Studio, Jan or GPT4All found.");
        return Ok(());
    }
    // Ctrl-C ends the process where it is, which every step allows: a path holds its old file
    // or the finished link, never a gap.
    let cancel = CancellationToken::new();
    let mut outcomes = std::collections::HashMap::new();
    let freed = if mode == Shelving::Apply {
        shelf::reclaim(&survey, None, &cancel, &mut |_| {}, &mut |done| {
            outcomes.insert(done.file.path.clone(), done.outcome);
        })
        .map_err(|e| (e.to_string(), 1))?
    } else {
        0
    };
    for store in &survey.stores {
        println!(
            "{} ({}): {} model{}",
            store.app_name,
            escape_controls(&store.root.display().to_string()),
            store.models.len(),
            if store.models.len() == 1 { "" } else { "s" }
        );
        for model in &store.models {
            for file in &model.files {
                if mode != Shelving::List && file.same_as.is_none() {
                    continue;
                }
                let what = match (&file.same_as, file.sharing, mode) {
                    (Some(_), Some(Sharing::Reclaimable), Shelving::Apply) => {
                        match &outcomes[&file.path] {
                            Ok(bytes) => format!(
                                "now one copy with the cache's: {} freed",
                                human_bytes(*bytes)
                            ),
                            Err(e) => format!("not shared: {e}"),
                        }
                    }
                    (Some(cached), Some(Sharing::Shared), _) => format!(
                        "one copy with {}/{} in the cache (hard link)",
                        cached.repo, cached.path
                    ),
                    (Some(_), Some(Sharing::Reclaimable), _) if mode == Shelving::Plan => format!(
                        "would become a hard link to the cache's copy, giving back {}",
                        human_bytes(file.size)
                    ),
                    (Some(_), Some(_), Shelving::Plan | Shelving::Apply) => {
                        "on another file system: left alone".to_owned()
                    }
                    (Some(cached), _, _) => {
                        format!("same bytes as {}/{} in the cache", cached.repo, cached.path)
                    }
                    // No cache file with its hash (or its size: then it was not even read).
                    (None, _, _) => match &file.same_as_other {
                        Some(other) => format!("not in the cache; same bytes as {other}"),
                        None => "not in the cache".to_owned(),
                    },
                };
                println!(
                    "  {:<48} {:>10}  {}",
                    escape_controls(&model.name),
                    human_bytes(file.size),
                    escape_controls(&what)
                );
            }
        }
    }
    match mode {
        Shelving::List => println!(
            "{} held twice (in an app's folder and in the cache).",
            human_bytes(survey.twice_bytes())
        ),
        Shelving::Plan => println!(
            "{} could be given back by hard links (a dry run: nothing was changed; \
             `dedupe --apply` does it).",
            human_bytes(survey.reclaimable_bytes())
        ),
        Shelving::Apply => println!("{} freed.", human_bytes(freed)),
    }
    let failed = outcomes.values().filter(|o| o.is_err()).count();
    if failed > 0 {
        let files = if failed == 1 { "file" } else { "files" };
        return Err((
            format!(
                "{failed} {files} could not be shared (the reasons are above); they are as they were"
            ),
            1,
        ));
    }
    Ok(())
}

/// `apps [--folder DIR]...` and `dedupe [--apply] [--folder DIR]...`.
fn parse_shelving(
    command: &str,
    args: &[String],
) -> Result<(Shelving, Vec<PathBuf>), (String, u8)> {
    let mut mode = if command == "apps" {
        Shelving::List
    } else {
        Shelving::Plan
    };
    let mut folders = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--apply" if command == "dedupe" => mode = Shelving::Apply,
            "--folder" => {
                let folder = args
                    .next()
                    .ok_or(("--folder needs a folder".to_owned(), 2))?;
                let folder = PathBuf::from(folder);
                if !folder.is_dir() {
                    return Err((
                        format!(
                            "--folder {}: not a folder",
                            escape_controls(&folder.display().to_string())
                        ),
                        2,
                    ));
                }
                folders.push(folder);
            }
            other => {
                return Err((
                    format!(
                        "unexpected argument {:?} for {command}",
                        escape_controls(other)
                    ),
                    2,
                ));
            }
        }
    }
    Ok((mode, folders))
}

/// The survey of every store (and the `added` folders), with the hash memory kept.
fn survey_stores(
    settings: &Settings,
    added: &[PathBuf],
) -> Result<
    (
        Vec<modelshelf_core::shelf::Store>,
        modelshelf_core::shelf::Survey,
    ),
    (String, u8),
> {
    use modelshelf_core::shelf;
    // Files not named by their hash are read once, and only when their size could match.
    let memory_file = dirs::cache_dir().map(|d| d.join(shelf::HASH_MEMORY_FILE));
    let mut memory = memory_file
        .as_deref()
        .map(shelf::HashMemory::load)
        .unwrap_or_default();
    // Comparing means reading gigabytes the first time: a terminal sees how far it is.
    let bar = Bar::new(std::io::stderr().is_terminal());
    bar.bar.set_message("comparing");
    let surveyed = shelf::survey_machine(
        &|name| std::env::var(name).ok(),
        dirs::home_dir().as_deref(),
        &settings.cache_dir,
        added,
        &mut memory,
        &CancellationToken::new(),
        &mut |h| {
            bar.bar.set_length(h.total);
            bar.bar.set_position(h.done);
        },
    )
    .map_err(|e| (e.to_string(), 1));
    bar.bar.finish_and_clear();
    let (stores, survey) = surveyed?;
    // Losing the memory only costs reading the files again next time.
    if let Err(e) = memory.save() {
        eprintln!("modelshelf-cli: could not remember the hashes: {e}");
    }
    Ok((stores, survey))
}

/// `import <file>`: adds another app's GGUF, whose origin its name tells, to the cache by a
/// hard link, as the file of that repository at `main` with the same sha256.
fn import(path: &str) -> Result<(), (String, u8)> {
    let settings = Settings::from_env().map_err(|e| (e.to_string(), 2))?;
    let wanted =
        std::fs::canonicalize(path).map_err(|e| (format!("{}: {e}", escape_controls(path)), 2))?;
    let (_, survey) = survey_stores(&settings, &[])?;
    let (model, file) = survey
        .stores
        .iter()
        .flat_map(|s| &s.models)
        .flat_map(|m| m.files.iter().map(move |f| (m, f)))
        .find(|(_, f)| std::fs::canonicalize(&f.path).is_ok_and(|p| p == wanted))
        .ok_or_else(|| {
            (
                format!(
                    "{} is not a model file of Ollama or LM Studio",
                    escape_controls(path)
                ),
                2,
            )
        })?;
    let origin = model.origin.as_deref().ok_or_else(|| {
        (
            format!(
                "{}'s name does not say which Hub repository it came from",
                escape_controls(&model.name)
            ),
            2,
        )
    })?;
    let repo = modelshelf_core::repo::RepoId::parse(origin).map_err(|e| (e.to_string(), 2))?;
    let hub = HubClient::new(&settings.endpoint, settings.token.clone())
        .map_err(|e| (e.to_string(), 2))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let imported = runtime
        .block_on(modelshelf_core::shelf::import(
            &hub,
            &settings.cache_dir,
            &repo,
            file,
        ))
        .map_err(|e| (e.to_string(), 1))?;
    println!("{}", imported.snapshot.display());
    Ok(())
}

/// `separate`: makes each given file of another app, shared with the cache by `dedupe
/// --apply`, a copy of its own again.
fn separate(paths: &[String]) -> Result<(), (String, u8)> {
    if paths.is_empty() {
        return Err((
            "separate needs the paths of the files to copy again".to_owned(),
            2,
        ));
    }
    let settings = Settings::from_env().map_err(|e| (e.to_string(), 2))?;
    let (_, survey) = survey_stores(&settings, &[])?;
    let cancel = CancellationToken::new();
    for path in paths {
        // Only an app's file shared with the cache: never a cache blob or another program's
        // hard links.
        let wanted = std::fs::canonicalize(path)
            .map_err(|e| (format!("{}: {e}", escape_controls(path)), 2))?;
        let ours = survey.files().any(|f| {
            f.sharing == Some(modelshelf_core::shelf::Sharing::Shared)
                && std::fs::canonicalize(&f.path).is_ok_and(|p| p == wanted)
        });
        if !ours {
            return Err((
                format!(
                    "{} is not another app's file shared with the cache",
                    escape_controls(path)
                ),
                2,
            ));
        }
        modelshelf_core::shelf::separate(&wanted, &cancel, &mut |_| {})
            .map_err(|e| (e.to_string(), 1))?;
        println!("{}: a separate copy again", escape_controls(path));
    }
    Ok(())
}

/// `ls`: one line per cached repository, then the problems and the total.
fn list() -> Result<(), (String, u8)> {
    let settings = Settings::from_env().map_err(|e| (e.to_string(), 2))?;
    let scan = modelshelf_core::cache::scan(&settings.cache_dir).map_err(|e| (e.to_string(), 1))?;
    println!(
        "{:<48} {:<8} {:>10} {:>6}  {:<14} REFS",
        "REPO", "TYPE", "SIZE", "FILES", "LAST USED"
    );
    for repo in &scan.repos {
        let refs: Vec<String> = repo.revisions.iter().flat_map(|r| r.refs.clone()).collect();
        let kind = format!("{:?}", repo.repo_type).to_lowercase();
        println!(
            "{:<48} {:<8} {:>10} {:>6}  {:<14} {}",
            repo.repo_id,
            kind,
            human_bytes(repo.size_on_disk),
            repo.nb_files,
            age(repo.last_accessed),
            if refs.is_empty() {
                "(detached)".to_owned()
            } else {
                refs.join(", ")
            }
        );
        for problem in &repo.problems {
            println!(
                "    {:?}: {} ({})",
                problem.kind,
                escape_controls(&problem.path),
                human_bytes(problem.bytes)
            );
        }
    }
    for problem in &scan.problems {
        println!(
            "{:?}: {} ({})",
            problem.kind,
            escape_controls(&problem.path),
            human_bytes(problem.bytes)
        );
    }
    println!(
        "{} repositories, {} in {}",
        scan.repos.len(),
        human_bytes(scan.size_on_disk),
        settings.cache_dir.display()
    );
    Ok(())
}

/// `rm <repo> [--revision COMMIT]`: removes a repository or one revision of it.
fn remove(args: &[String]) -> Result<(), (String, u8)> {
    let (mut repo, mut revision, mut repo_type) = (None, None, RepoType::Model);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--revision" => revision = it.next().cloned(),
            "--repo-type" => {
                repo_type = match it.next().map(String::as_str) {
                    Some("model") => RepoType::Model,
                    Some("dataset") => RepoType::Dataset,
                    _ => return Err(("--repo-type must be model or dataset".into(), 2)),
                }
            }
            flag if flag.starts_with('-') => return Err((format!("unknown option {flag}"), 2)),
            name if repo.is_none() => repo = Some(name.to_owned()),
            extra => return Err((format!("unexpected argument {extra:?}"), 2)),
        }
    }
    let repo = repo.ok_or(("which repository? give org/name".to_owned(), 2))?;
    let settings = Settings::from_env().map_err(|e| (e.to_string(), 2))?;
    let id = modelshelf_core::repo::RepoId::parse(&repo).map_err(|e| (e.to_string(), 2))?;
    let cache = modelshelf_core::cache::RepoCache::new(&settings.cache_dir, repo_type, &id);
    let freed = match revision {
        Some(commit) => cache.delete_revision(&commit),
        None => cache.delete_repo(),
    }
    .map_err(|e| {
        let code = if e.kind() == modelshelf_core::error::ErrorKind::InvalidInput {
            2
        } else {
            1
        };
        (e.to_string(), code)
    })?;
    println!("freed {}", human_bytes(freed.bytes));
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let finish = |result: Result<(), (String, u8)>| match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((reason, code)) => {
            eprintln!("modelshelf-cli: {reason}");
            ExitCode::from(code)
        }
    };
    let parsed = match args.first().map(String::as_str) {
        Some("ls") => return finish(list()),
        Some(command @ ("apps" | "dedupe")) => {
            return finish(
                parse_shelving(command, &args[1..])
                    .and_then(|(mode, folders)| other_apps(mode, &folders)),
            );
        }
        Some("separate") => return finish(separate(&args[1..])),
        Some("import") => {
            return finish(match &args[1..] {
                [path] => import(path),
                _ => Err((
                    "import takes the path of one model file of another app".to_owned(),
                    2,
                )),
            });
        }
        Some("rm") => return finish(remove(&args[1..])),
        Some("download") => parse_download(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err("the commands are download, ls, rm, apps, dedupe, import and separate".to_owned()),
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(reason) => {
            eprintln!("modelshelf-cli: {reason}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(download(parsed)) {
        Ok(path) => {
            println!("{path}");
            ExitCode::SUCCESS
        }
        Err((reason, code)) => {
            eprintln!("modelshelf-cli: {reason}");
            ExitCode::from(code)
        }
    }
}
