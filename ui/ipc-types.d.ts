// Generated from the Rust IPC types by src-tauri/ipc_types.rs. Do not edit:
// run `MODELSHELF_BLESS=1 cargo test ipc_types` to regenerate.

export type ErrorKind = "notFound" | "unauthorized" | "gated" | "network" | "diskFull" | "checksum" | "cancelled" | "inUse" | "invalidInput" | "io" | "internal";

export type ErrorReport = { kind: ErrorKind, message: string, repo?: string, revision?: string, 
/**
 * A file inside the repository.
 */
file?: string, 
/**
 * The server concerned.
 */
host?: string, 
/**
 * Bytes a download needs on the cache's disk (disk full, found before downloading).
 */
needed?: number, 
/**
 * Bytes free on the cache's disk then.
 */
available?: number, };

export type AppInfo = { version: string, 
/**
 * The Hub endpoint in use (`HF_ENDPOINT`, the Settings, or the public Hub).
 */
endpoint: string, 
/**
 * The cache root shared with Python's `huggingface_hub`.
 */
cacheDir: string, 
/**
 * Whether an access token was found (its value never crosses IPC).
 */
hasToken: boolean, 
/**
 * `HF_HUB_OFFLINE` is set.
 */
offline: boolean, 
/**
 * Whether the endpoint answered the last time it was asked.
 */
online: boolean, };

export type GpuVendor = "nvidia" | "amd";

export type Gpu = { vendor: GpuVendor, name: string, 
/**
 * Its own memory (VRAM) in bytes.
 */
memory: number, };

export type MachineProfile = { 
/**
 * System memory in bytes, if the system says.
 */
ram: number | null, 
/**
 * Graphics cards with memory of their own (an APU's small carve-out is not one).
 */
gpus: Array<Gpu>, 
/**
 * The GPU works in system memory (Apple silicon, an AMD APU): `ram` is what it can use.
 */
unified: boolean, };

export type Source = "default" | "environment" | "settings";

export type SettingValue = { value: string, source: Source, 
/**
 * The environment variable that sets it (`HF_ENDPOINT`, `HF_HOME`...), when the source
 * is the environment: the place to change it.
 */
variable: string | null, };

export type SettingsView = { endpoint: SettingValue, cacheDir: SettingValue, 
/**
 * The token, masked (`hf_…wxyz`), or `None`.
 */
token: SettingValue | null, tokenPath: string, concurrentJobs: number, connectionsPerFile: number, 
/**
 * The most [`Self::connections_per_file`] may be.
 */
connectionsPerFileMax: number, 
/**
 * Bytes per second for all downloads; `None` for no cap.
 */
maxDownloadRate: number | null, offline: boolean, };

export type SettingsUpdate = { 
/**
 * An empty string goes back to the public Hub.
 */
endpoint: string | null, 
/**
 * An empty string goes back to the default folder. Files are not moved.
 */
cacheDir: string | null, 
/**
 * Saved to the Hub's token file (shared with Python); an empty string logs out.
 */
token: string | null, concurrentJobs: number | null, connectionsPerFile: number | null, 
/**
 * Bytes per second; 0 for no cap.
 */
maxDownloadRate: number | null, };

export type TokenCheck = { name: string, fullname: string | null, orgs: Array<string>, 
/**
 * The token's own name on the Hub.
 */
tokenName: string | null, 
/**
 * `read`, `write` or `fineGrained`.
 */
role: string | null, };

export type Diagnostics = { version: string, 
/**
 * Operating system and architecture.
 */
platform: string, settings: SettingsView, online: boolean, 
/**
 * The folder of the log files, and the one being written.
 */
logDir: string, logFile: string | null, memoryTotal: number | null, 
/**
 * All of the above as plain text, for "Copy diagnostics".
 */
text: string, };

export type RepoType = "model" | "dataset" | "space";

export type Gated = "no" | "auto" | "manual";

export type SearchArgs = { search: string | null, 
/**
 * Only this user's or organization's models.
 */
author: string | null, 
/**
 * `trendingScore`, `downloads`, `likes` or `lastModified`.
 */
sort: string | null, filters: Array<string>, limit: number | null, 
/**
 * The `next` of a previous page.
 */
next: string | null, };

export type ModelListing = { id: string, author: string | null, downloads: number, likes: number, gated: Gated, lastModified: string | null, pipelineTag: string | null, tags: Array<string>, 
/**
 * The parameter count the Hub read from the weights, if it did.
 */
parameters: number | null, 
/**
 * The repo's `.gguf` files (split parts too), for counting its quantizations.
 */
ggufFiles: Array<string>, };

export type SearchResults = { models: Array<ModelListing>, next: string | null, };

export type ModelFileInfo = { path: string, size: number | null, lfs: boolean, 
/**
 * Already in the cache at this commit.
 */
cached: boolean, };

export type ModelDetails = { id: string, 
/**
 * The branch, tag or PR shown (the default branch unless one was asked for).
 */
revision: string, 
/**
 * The commit `revision` is at: downloads are pinned to it.
 */
commit: string | null, gated: Gated, private: boolean, tags: Array<string>, pipelineTag: string | null, libraryName: string | null, downloads: number, likes: number, lastModified: string | null, files: Array<ModelFileInfo>, 
/**
 * The parameter count the Hub read from the weights (safetensors or GGUF), if it did.
 */
parameters: number | null, 
/**
 * The model card (README.md) as sanitized HTML, if there is one. Images from sites other
 * than the Hub carry their address in `data-offsite-src` instead of `src`.
 */
cardHtml: string | null, 
/**
 * This machine's memory in bytes, for the "fits in memory" hints.
 */
memoryTotal: number | null, };

export type JobId = string;

export type Phase = "resolving" | "downloading" | "retrying" | "verifying";

export type FileState = "pending" | "downloading" | "verifying" | "done" | "cached";

export type FileProgress = { path: string, size: number, done: number, state: FileState, };

export type RetryInfo = { attempt: number, reason: string, };

export type DownloadRequest = { repoType: RepoType, repo: string, 
/**
 * The branch, tag or PR the person chose (the default branch when absent).
 */
revision: string | null, 
/**
 * The commit `revision` was at when the files were chosen: they are fetched from it and
 * `refs/<revision>` points at it afterwards.
 */
commit: string | null, 
/**
 * Exactly these files; when empty, `include`/`exclude` choose (all files when both are
 * empty too).
 */
files: Array<string>, include: Array<string>, exclude: Array<string>, };

export type JobState = "queued" | "running" | "waitingForNetwork" | "paused" | "completed" | "cancelled" | "failed";

export type JobProgress = { jobId: JobId, state: JobState, 
/**
 * `state.is_live()`; set with the state by [`JobProgress::set_state`].
 */
live: boolean, 
/**
 * Bytes per second, smoothed.
 */
speed: number, 
/**
 * Seconds left at the current speed; `None` when unknown (no speed yet, or stalled).
 */
etaSeconds: number | null, 
/**
 * Set when the job failed.
 */
error: ErrorReport | null, phase: Phase, 
/**
 * Bytes on disk for this download, cached files included.
 */
bytesDone: number, bytesTotal: number, files: Array<FileProgress>, 
/**
 * While retrying: which attempt and why.
 */
retry: RetryInfo | null, };

export type ModelFile = { 
/**
 * Path inside the repository.
 */
path: string, size: number, 
/**
 * `snapshots/<commit>/<path>` in the cache.
 */
localPath: string, };

export type ModelEntry = { repoType: RepoType, repo: string, 
/**
 * The revision asked for (branch, tag, `refs/pr/N` or commit).
 */
revision: string, 
/**
 * The commit it resolved to.
 */
commit: string, 
/**
 * `snapshots/<commit>/`, ready to hand to a runtime.
 */
snapshot: string, files: Array<ModelFile>, 
/**
 * Bytes that came over the network this time (0 when all was cached).
 */
bytesFetched: number, };

export type JobView = { id: JobId, request: DownloadRequest, progress: JobProgress, 
/**
 * What the last run put in the cache, once it completed.
 */
entry: ModelEntry | null, 
/**
 * Unix milliseconds.
 */
createdAt: number, };

export type ProblemKind = "incompleteDownload" | "orphanBlob" | "brokenSymlink" | "danglingRef" | "unexpected" | "emptyFolder";

export type CacheProblem = { kind: ProblemKind, 
/**
 * The file or folder concerned.
 */
path: string, 
/**
 * Bytes it takes (what cleaning it would free).
 */
bytes: number, };

export type CachedFile = { 
/**
 * Path inside the repository.
 */
path: string, size: number, 
/**
 * The blob's name (its etag), or `None` for a copied file (no symlinks).
 */
blob: string | null, lastAccessed: number, lastModified: number, 
/**
 * Its bytes have another name outside this repository too (a hard link in another app's
 * folder, made by Reclaim or Use in LM Studio/Ollama): deleting it here frees nothing.
 */
linkedElsewhere: boolean, };

export type CachedRevision = { commit: string, 
/**
 * Branches and tags pointing here (`main`, `v1.0`, `refs/pr/1`).
 */
refs: Array<string>, sizeOnDisk: number, files: Array<CachedFile>, lastModified: number, };

export type CachedRepo = { repoType: RepoType, repoId: string, 
/**
 * `models--org--name`.
 */
folder: string, 
/**
 * Bytes of the blobs its snapshots use, each counted once.
 */
sizeOnDisk: number, 
/**
 * Distinct blobs its snapshots use.
 */
nbFiles: number, 
/**
 * Unix seconds: the latest access / change of any of its blobs.
 */
lastAccessed: number, lastModified: number, revisions: Array<CachedRevision>, problems: Array<CacheProblem>, };

export type CacheScan = { root: string, repos: Array<CachedRepo>, 
/**
 * Bytes of every repository's referenced blobs.
 */
sizeOnDisk: number, 
/**
 * Problems outside any one repository (stray files and folders at the root).
 */
problems: Array<CacheProblem>, };

export type CacheOverview = { scan: CacheScan, 
/**
 * Free space on the cache's disk, when it can be told.
 */
freeBytes: number | null, };

export type CacheTarget = { repoType: RepoType, repoId: string, commit: string | null, 
/**
 * With `commit`: one file.
 */
path: string | null, };

export type Freed = { bytes: number, 
/**
 * Files and folders removed.
 */
paths: Array<string>, };

export type MovePhase = "copying" | "verifying" | "removing" | "done";

export type MoveProgress = { phase: MovePhase, 
/**
 * The bytes of all files to move.
 */
bytesTotal: number, bytesCopied: number, bytesVerified: number, 
/**
 * Seconds left at the speed so far, once there is a speed to tell.
 */
etaSeconds: number | null, 
/**
 * The repository folder being worked on.
 */
current: string | null, };

export type App = "ollama" | "lmStudio" | "jan" | "gpt4All" | "llamaCpp" | "folder";

export type CacheRef = { repo: string, path: string, 
/**
 * Its blob, where the bytes are.
 */
blob: string, };

export type Sharing = "shared" | "reclaimable" | "otherFileSystem";

export type ShelvedFile = { path: string, size: number, 
/**
 * The content's sha256 when the app names the file by it (Ollama's blobs) or once
 * [`compare_with_cache`] hashed it.
 */
sha256: string | null, 
/**
 * The Hugging Face cache file with the same bytes, if there is one.
 */
sameAs: CacheRef | null, 
/**
 * Another app's model holding the same bytes (`LM Studio's acme/x/x.gguf`), if there is one.
 */
sameAsOther: string | null, 
/**
 * With `same_as`: whether it is one copy with the cache's already, and whether it can be.
 */
sharing: Sharing | null, };

export type ShelvedModel = { app: App, 
/**
 * `llama3.2:3b`, `hf.co/org/repo:Q4_K_M`, `publisher/repo/file.gguf`...
 */
name: string, 
/**
 * The Hub repository it came from, when its name says so (it can then be imported).
 */
origin: string | null, files: Array<ShelvedFile>, };

export type SurveyedStore = { app: App, 
/**
 * The app's name as people know it.
 */
appName: string, root: string, models: Array<ShelvedModel>, };

export type Survey = { stores: Array<SurveyedStore>, };

export type Hashing = { done: number, total: number, };

export type OtherApps = { survey: Survey, 
/**
 * Bytes kept both in an app's folder and in the cache.
 */
twiceBytes: number, 
/**
 * Bytes hard links to the cache's copies would give back.
 */
reclaimableBytes: number, 
/**
 * The folders the person added.
 */
folders: Array<string>, };

export type ReclaimFailure = { path: string, message: string, };

export type Reclaimed = { freed: number, failures: Array<ReclaimFailure>, 
/**
 * Stopped by [`cancel_shelf_work`]: the files not reached are as they were.
 */
stopped: boolean, };

export type Imported = { repo: string, 
/**
 * The file's path in the repository.
 */
path: string, commit: string, 
/**
 * `snapshots/<commit>/<path>` in the cache.
 */
snapshot: string, };

export type UsedInOllama = { 
/**
 * The name to run: `hf.co/<org>/<repo>:<quant>`.
 */
name: string, 
/**
 * The manifest too (`ollama run` works offline); otherwise only the weights are in place,
 * and `ollama pull` fetches the few small files.
 */
complete: boolean, 
/**
 * Why it is not complete.
 */
reason: string | null, };
