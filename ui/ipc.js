// @ts-check
/** The frontend's only door to the backend: typed wrappers around Tauri's IPC. */

/** @typedef {import("./ipc-types").ErrorReport} ErrorReport */
/** @typedef {import("./ipc-types").AppInfo} AppInfo */
/** @typedef {import("./ipc-types").SettingsView} SettingsView */
/** @typedef {import("./ipc-types").SettingsUpdate} SettingsUpdate */
/** @typedef {import("./ipc-types").SearchArgs} SearchArgs */
/** @typedef {import("./ipc-types").SearchResults} SearchResults */
/** @typedef {import("./ipc-types").ModelDetails} ModelDetails */
/** @typedef {import("./ipc-types").DownloadRequest} DownloadRequest */
/** @typedef {import("./ipc-types").JobProgress} JobProgress */
/** @typedef {import("./ipc-types").JobView} JobView */
/** @typedef {import("./ipc-types").CacheOverview} CacheOverview */
/** @typedef {import("./ipc-types").CacheTarget} CacheTarget */
/** @typedef {import("./ipc-types").Freed} Freed */
/** @typedef {import("./ipc-types").TokenCheck} TokenCheck */
/** @typedef {import("./ipc-types").Diagnostics} Diagnostics */
/** @typedef {import("./ipc-types").MoveProgress} MoveProgress */
/** @typedef {import("./ipc-types").OtherApps} OtherApps */
/** @typedef {import("./ipc-types").Hashing} Hashing */
/** @typedef {import("./ipc-types").Reclaimed} Reclaimed */

function tauri() {
  const api = window.__TAURI__;
  if (!api) {
    throw /** @type {ErrorReport} */ ({ kind: "internal", message: "Modelshelf's backend is not available." });
  }
  return api;
}

/**
 * Calls a backend command. Failures are always an {@link ErrorReport}, even when the IPC
 * itself breaks, so views only ever handle one error shape.
 * @template T
 * @param {string} cmd
 * @param {Record<string, unknown>} [args]
 * @returns {Promise<T>}
 */
export async function call(cmd, args) {
  try {
    return await tauri().core.invoke(cmd, args);
  } catch (err) {
    throw asErrorReport(err);
  }
}

/**
 * @param {unknown} err
 * @returns {ErrorReport}
 */
export function asErrorReport(err) {
  if (err && typeof err === "object" && "kind" in err && "message" in err) {
    return /** @type {ErrorReport} */ (err);
  }
  return { kind: "internal", message: String(err) };
}

/**
 * A channel that calls `onMessage` with each message the backend sends on it.
 * @template T
 * @param {(message: T) => void} onMessage
 */
function channel(onMessage) {
  const channel = new (tauri().core.Channel)();
  channel.onmessage = /** @param {unknown} message */ (message) => onMessage(/** @type {T} */ (message));
  return channel;
}

/**
 * Listens to an app-wide event; `handler` gets its payload. Returns a function that stops
 * listening.
 * @param {string} name
 * @param {(payload: unknown) => void} handler
 * @returns {Promise<() => void>}
 */
export async function listen(name, handler) {
  const api = window.__TAURI__;
  if (!api?.event) return () => {};
  return api.event.listen(name, (/** @type {{payload?: unknown} | undefined} */ event) => handler(event?.payload));
}

/** @returns {Promise<AppInfo>} */
export const appInfo = () => call("app_info");
/** @returns {Promise<boolean>} whether the Hub endpoint answers now */
export const checkConnection = () => call("check_connection");
/** This machine's RAM and GPU memory; asked once (finding a GPU may take seconds).
 * @type {Promise<import("./ipc-types").MachineProfile> | null} */
let profile = null;
/** @returns {Promise<import("./ipc-types").MachineProfile>} */
export const machineProfile = () => {
  profile ??= call("machine_profile");
  // A failed answer is not kept: the next view asks again.
  profile.catch(() => { profile = null; });
  return /** @type {Promise<import("./ipc-types").MachineProfile>} */ (profile);
};
/** @returns {Promise<Diagnostics>} */
export const diagnostics = () => call("diagnostics");
/** @returns {Promise<void>} */
export const revealLog = () => call("reveal_log");
/** @param {string | null} token a typed token, or null for the saved one @returns {Promise<TokenCheck>} */
export const testToken = (token) => call("test_token", { token });
/** @returns {Promise<SettingsView>} */
export const getSettings = () => call("get_settings");
/** @param {SettingsUpdate} update @returns {Promise<SettingsView>} */
export const setSettings = (update) => call("set_settings", { update });
/** @param {SearchArgs} query @returns {Promise<SearchResults>} */
export const searchModels = (query) => call("search_models", { query });
/** @param {string} repo @param {string | null} [revision] @returns {Promise<ModelDetails>} */
export const getModel = (repo, revision = null) => call("get_model", { repo, revision });
/** @param {DownloadRequest} request @param {(p: JobProgress) => void} onProgress @returns {Promise<string>} */
export const startDownload = (request, onProgress) => call("start_download", { request, onProgress: channel(onProgress) });
/** @param {string} jobId @returns {Promise<void>} */
export const cancelDownload = (jobId) => call("cancel_download", { jobId });
/** @param {string} jobId @returns {Promise<void>} */
export const pauseDownload = (jobId) => call("pause_download", { jobId });
/** @param {string} jobId @param {(p: JobProgress) => void} onProgress @returns {Promise<void>} */
export const resumeDownload = (jobId, onProgress) => call("resume_download", { jobId, onProgress: channel(onProgress) });
/** @param {string} jobId @param {(p: JobProgress) => void} onProgress @returns {Promise<void>} */
export const retryDownload = (jobId, onProgress) => call("retry_download", { jobId, onProgress: channel(onProgress) });
/** Listens to a job again (after a reload): its latest report at once, then the rest.
 * @param {string} jobId @param {(p: JobProgress) => void} onProgress @returns {Promise<void>} */
export const attachDownload = (jobId, onProgress) => call("attach_download", { jobId, onProgress: channel(onProgress) });
/** @returns {Promise<JobView[]>} */
export const listJobs = () => call("list_jobs");
/** Takes the finished jobs off the list, and the failed ones' partial data off the disk.
 * @returns {Promise<number>} the bytes that freed */
export const clearFinishedJobs = () => call("clear_finished_jobs");
/** Takes one finished job off the list (a failed one's partial data off the disk too); a job
 * that has not finished is refused. @param {string} jobId @returns {Promise<number>} the bytes that freed */
export const removeJob = (jobId) => call("remove_job", { jobId });
/** @returns {Promise<CacheOverview>} */
export const listCache = () => call("list_cache");
/** @param {CacheTarget} target @returns {Promise<Freed>} */
export const deleteFromCache = (target) => call("delete_from_cache", { target });
/** @returns {Promise<Freed>} */
export const pruneCache = () => call("prune_cache");
/**
 * Moves the cache; `onProgress` hears how far it came (about ten times a second).
 * @param {string} to @param {(p: MoveProgress) => void} onProgress @returns {Promise<Freed>}
 */
export const moveCache = (to, onProgress) => call("move_cache", { to, onProgress: channel(onProgress) });
/** Stops a running move; the old cache stays as it was. @returns {Promise<void>} */
export const cancelCacheMove = () => call("cancel_cache_move");
/**
 * Other apps' models compared with the Library; `onProgress` hears the hashing of files not
 * named by their hash (at most ten times a second).
 * @param {string} runId what `cancelShelfWork` stops it by @param {(p: Hashing) => void} onProgress @returns {Promise<OtherApps>}
 */
export const surveyOtherApps = (runId, onProgress) => call("survey_other_apps", { runId, onProgress: channel(onProgress) });
/** Hard-links other apps' copies to the Library's (all, or `paths`); `onProgress` hears the
 * byte-for-byte comparison before each. @param {string[] | null} paths @param {string} runId
 * @param {(p: Hashing) => void} onProgress @returns {Promise<Reclaimed>} */
export const reclaimSpace = (paths, runId, onProgress) => call("reclaim_space", { paths, runId, onProgress: channel(onProgress) });
/** Stops the comparison or Reclaim started as `runId`; the file at hand stays as it was.
 * @param {string} runId @returns {Promise<void>} */
export const cancelShelfWork = (runId) => call("cancel_shelf_work", { runId });
/** @param {string} path @returns {Promise<void>} */
export const separateCopy = (path) => call("separate_copy", { path });
/** @param {string[]} folders @returns {Promise<void>} */
export const setModelFolders = (folders) => call("set_model_folders", { folders });
/** Adds another app's GGUF to the Library by a hard link, as its Hub repository's file.
 * @param {string} path @returns {Promise<import("./ipc-types").Imported>} */
export const importToLibrary = (path) => call("import_to_library", { path });
/** Hard-links a cached file where LM Studio looks; resolves to that path.
 * @param {string} repo @param {string} path @param {string | null} commit @returns {Promise<string>} */
export const useInLmStudio = (repo, path, commit) => call("use_in_lm_studio", { repo, path, commit });
/** Places a cached GGUF in Ollama's store as `hf.co/<repo>:<quant>` without a copy.
 * @param {string} repo @param {string} path @param {string} quant @param {string | null} commit
 * @returns {Promise<import("./ipc-types").UsedInOllama>} */
export const useInOllama = (repo, path, quant, commit) => call("use_in_ollama", { repo, path, quant, commit });
/** Opens a web or mail link in the system's browser or mail program (the opener plugin; its
 * scope in capabilities/ allows http, https and mailto only).
 * @param {string} url @returns {Promise<void>} */
export const openUrl = (url) => call("plugin:opener|open_url", { url });
/** Opens a repository's page on the Hub the app uses (its endpoint, not always huggingface.co).
 * @param {string} repo @param {import("./ipc-types").RepoType} [repoType] @returns {Promise<void>} */
export const openOnHub = async (repo, repoType = "model") => {
  const { endpoint } = await appInfo();
  const kind = repoType === "model" ? "" : `${repoType}s/`;
  await openUrl(`${endpoint.replace(/\/+$/, "")}/${kind}${repo}`);
};
/**
 * Asks for a folder with the system's folder picker (the dialog plugin; capabilities/ allows
 * its open dialog only); resolves to its path, or null when the person closed the picker.
 * @param {string} title @param {string | null} start the folder it opens in
 * @returns {Promise<string | null>}
 */
export const pickFolder = (title, start) => call("plugin:dialog|open", { options: { directory: true, multiple: false, title, defaultPath: start || undefined } });
/** @param {string} path @returns {Promise<void>} */
export const revealInFileManager = (path) => call("reveal_in_file_manager", { path });
