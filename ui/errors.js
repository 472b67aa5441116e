// @ts-check
/** What an error means for the person and what they can do about it: the one mapping from an
 * error's kind (and the facts it carries) to a sentence and the buttons that do the next step.
 * Every view that shows an error (Downloads, Browse, Model, Library, Settings) goes through it. */

import * as fmt from "./format.js";
import * as ipc from "./ipc.js";

/** @typedef {import("./ipc-types").ErrorReport} ErrorReport */
/** @typedef {import("./ipc-types").RepoType} RepoType */

/**
 * What the view knows beside the error: the repository it was about (a job's request, the
 * model shown), whether it is a download job's error, and how to try again.
 * `subject` names what the box is about where several boxes share a view (a failed job's
 * "download of model.gguf from acme/x"); it goes into its buttons' accessible names.
 * @typedef {{repo?: string, repoType?: RepoType, revision?: string | null, job?: boolean, retry?: (() => void) | null, subject?: string}} About
 */

/**
 * One button: `run` does the step; `primary` marks the one most likely to help.
 * @typedef {{id: string, label: string, run: () => void | Promise<void>, primary?: boolean}} Action
 */

/**
 * @typedef {{title: string, text: string, detail: string | null, actions: Action[], freeSpace: boolean}} NextSteps
 * `detail` is the backend's own sentence, shown under ours; `freeSpace` asks the view to fill
 * in the free space on the cache's disk, which the error did not carry.
 */

/** Where "Add a token" and "Clean up" lead; the shell installs the real one. */
let navigate = /** @param {"settings-token" | "library-clean-up"} _to */ (_to) => {};

/** @param {(to: "settings-token" | "library-clean-up") => void} handler */
export function setNavigator(handler) {
  navigate = handler;
}

/**
 * The web page of a repository (at a revision, when given) on the endpoint in use.
 * @param {string} endpoint @param {string} repo @param {RepoType} [repoType] @param {string | null} [revision]
 */
export function hubPage(endpoint, repo, repoType = "model", revision = null) {
  const prefix = repoType === "dataset" ? "datasets/" : repoType === "space" ? "spaces/" : "";
  const base = `${endpoint.replace(/\/+$/, "")}/${prefix}${repo}`;
  return revision ? `${base}/tree/${encodeURIComponent(revision)}` : base;
}

/** Opens a repository's page in the system browser, on the endpoint the app uses now.
 * @param {string} repo @param {RepoType} [repoType] @param {string | null} [revision] */
async function openOnHub(repo, repoType, revision) {
  const info = await ipc.appInfo();
  await ipc.openUrl(hubPage(info.endpoint, repo, repoType, revision));
}

/**
 * The sentence and buttons for `error`.
 * @param {ErrorReport} error
 * @param {About} [about]
 * @returns {NextSteps}
 */
export function nextSteps(error, about = {}) {
  const repo = error.repo ?? about.repo ?? null;
  const repoType = about.repoType ?? "model";
  const name = repo ?? "this repository";
  /** @type {Action[]} */
  const actions = [];
  const retry = about.retry ? { id: "retry", label: "Retry", run: about.retry } : null;
  const addToken = { id: "add-token", label: "Add a token", run: () => navigate("settings-token") };
  /** @param {string | null} [revision] */
  const hub = (revision = null) => (repo ? { id: "open-on-hub", label: "Open on the Hub", run: () => openOnHub(repo, repoType, revision) } : null);
  /** @param {...(Action | null)} list */
  const offer = (...list) => {
    for (const action of list) if (action) actions.push(action);
  };
  const steps = (/** @type {string} */ title, /** @type {string} */ text, freeSpace = false) => ({ title, text, detail: error.message || null, actions, freeSpace });

  switch (error.kind) {
    case "gated":
      offer(
        repo ? { id: "request-access", label: "Request access on the Hub", primary: true, run: () => openOnHub(repo, repoType, null) } : null,
        addToken,
        retry,
      );
      return steps(
        `${name} is gated`,
        `Its authors ask each person to request access on the Hub first. Once access is granted, add an access token of that Hub account, then ${about.retry ? "retry" : "download"}.`,
      );
    case "unauthorized":
      offer({ ...addToken, label: "Check the token", primary: true }, hub(), retry);
      return steps(
        "The Hub refused the access token",
        `The token may be mistyped, revoked, or not allowed to read ${name}. Test or replace it in Settings, then retry.`,
      );
    case "notFound":
      if (error.file) {
        offer(hub(error.revision ?? about.revision ?? null), retry);
        return steps(
          `${error.file} is not in ${name}${error.revision ? ` at ${error.revision}` : ""}`,
          "The file may have been renamed or removed since the list was loaded. Open the repository to see what it holds now.",
        );
      }
      if (error.revision) {
        offer(hub(), retry);
        return steps(`${name} has no revision “${error.revision}”`, "Check the branch, tag or commit name on the repository's page.");
      }
      if (repo) {
        offer({ ...addToken, primary: true }, hub(), retry);
        return steps(
          `${name} was not found on the Hub`,
          "Check the name (organization/name). A private repository looks missing until you add an access token of an account that can read it.",
        );
      }
      offer(retry);
      return steps("Not found", "");
    case "diskFull": {
      const needs = error.needed != null && error.available != null;
      offer({ id: "clean-up", label: "Clean up the Library", primary: true, run: () => navigate("library-clean-up") }, retry);
      return steps(
        "Not enough space on the cache's disk",
        needs
          ? `This download needs ${fmt.bytes(error.needed)}; ${fmt.bytes(error.available)} is free. Clean up unfinished downloads, unused files and old revisions, delete models you no longer use, or choose another cache folder in Settings.`
          : "The disk filled up during the download; what arrived is kept, and Retry continues from it. Clean up unfinished downloads, unused files and old revisions, delete models you no longer use, or choose another cache folder in Settings.",
        !needs,
      );
    }
    case "network":
      offer(retry ? { ...retry, primary: true } : null);
      return steps(
        `Trouble talking to ${error.host ?? "the Hub"}`,
        about.job
          ? "When the connection drops, downloads wait and carry on by themselves; this one stopped for the reason below. Retry continues from what is already downloaded."
          : "Check the connection, or the endpoint in Settings.",
      );
    case "checksum":
      offer(retry);
      return steps("A downloaded file did not match the Hub's checksum", "It was not kept. Retry downloads it again.");
    case "inUse":
      offer(retry);
      return steps("Busy", "Another download is writing there. Pause or cancel it first.");
    default:
      offer(retry);
      return { title: error.message, text: "", detail: null, actions, freeSpace: false };
  }
}

/** The free space on the cache's disk, as the Library reports it; null when unknown. */
export async function freeSpace() {
  try {
    return (await ipc.listCache()).freeBytes;
  } catch {
    return null;
  }
}
