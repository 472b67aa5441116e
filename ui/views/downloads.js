// @ts-check
/** Downloads: the live jobs' total progress and speed, then every job with its bar, bytes,
 * speed, ETA and phase, and the buttons that fit its state. Rows are updated in place, so ten
 * updates a second stay cheap and keep focus. */

import { confirmDialog, copyText, errorBox, h, holdFocus } from "../dom.js";
import { nextSteps } from "../errors.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import * as jobs from "../jobs.js";

/** @typedef {import("../ipc-types").JobView} JobView */

/** Partial data above this is worth a question before it is thrown away. */
export const CONFIRM_CANCEL_ABOVE = 1024 ** 3;

/** Where a job stands; while it runs, what the engine is doing. */
const STATES = {
  queued: "Queued",
  running: "Running",
  waitingForNetwork: "Waiting for the network",
  completed: "Completed",
  paused: "Paused",
  cancelled: "Cancelled",
  failed: "Failed",
};
const PHASES = {
  resolving: "Resolving",
  downloading: "Downloading",
  retrying: "Retrying",
  verifying: "Verifying",
};

/** @param {JobView} job */
function title(job) {
  const r = job.request;
  const what = r.files.length === 1 ? r.files[0] : r.files.length > 1 ? `${r.files.length} files` : "whole repository";
  return { repo: r.repo, what };
}

/**
 * The job in words, for names of its bar and buttons: "model.safetensors from acme/tiny-model".
 * @param {JobView} job
 */
export function jobName(job) {
  const r = job.request;
  if (r.files.length === 1) return `${r.files[0]} from ${r.repo}`;
  if (r.files.length > 1) return `${r.files.length} files from ${r.repo}`;
  return r.repo;
}

/**
 * A job's change of state as one sentence for the live region; null for changes not worth
 * interrupting for.
 * @param {JobView} job
 * @param {import("../ipc-types").JobState | null} before null for a job new to this window
 */
export function jobNews(job, before) {
  const name = jobName(job);
  switch (job.progress.state) {
    case "queued":
      return `Download of ${name} queued.`;
    case "running":
      return before === "paused" ? `Download of ${name} resumed.` : before === "waitingForNetwork" ? `Download of ${name} continues.` : `Download of ${name} started.`;
    case "waitingForNetwork":
      return `Download of ${name} waits for the network.`;
    case "paused":
      return `Download of ${name} paused.`;
    case "completed":
      return `Download of ${name} completed.`;
    case "cancelled":
      return `Download of ${name} cancelled.`;
    case "failed":
      return `Download of ${name} failed: ${job.progress.error ? nextSteps(job.progress.error, { repo: job.request.repo, job: true }).title : "no reason given"}.`;
    default:
      return null;
  }
}

/** @param {JobView} job */
export function phaseLabel(job) {
  const p = job.progress;
  if (p.state !== "running") return STATES[p.state];
  if (p.phase === "retrying" && p.retry) return `Retrying (attempt ${p.retry.attempt})`;
  return PHASES[p.phase];
}

/**
 * Bytes done of the total the plan listed. Before the files are listed there is no total to
 * show, only that the job is getting ready.
 * @param {import("../ipc-types").JobProgress} p
 */
export function sizes(p) {
  if (p.bytesTotal > 0) return `${fmt.bytes(p.bytesDone)} of ${fmt.bytes(p.bytesTotal)}`;
  if (p.live) return "Preparing…";
  return p.bytesDone > 0 ? `${fmt.bytes(p.bytesDone)}` : "Nothing downloaded";
}

/** @param {import("../ipc-types").JobProgress} p */
function percent(p) {
  return p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : 0;
}

/**
 * What a screen reader says for a job's bar, in place of a bare number: how far, how much, and
 * how long still or why it does not move ("46% · 1.20 GB of 2.60 GB · 2 min 7 s left").
 * @param {JobView} job
 */
export function progressText(job) {
  const p = job.progress;
  const parts = p.bytesTotal > 0 ? [`${percent(p).toFixed(0)}%`, sizes(p)] : [sizes(p)];
  if (p.state !== "running") parts.push(STATES[p.state]);
  else if (p.speed > 0 && p.etaSeconds != null) parts.push(`${fmt.duration(p.etaSeconds)} left`);
  else if (p.phase !== "downloading") parts.push(phaseLabel(job));
  return parts.join(" · ");
}

/**
 * What follows a live job's sizes: its speed and time left, or why it is not moving.
 * @param {import("../ipc-types").JobProgress} p
 */
function pace(p) {
  if (p.speed > 0) return ` · ${fmt.speed(p.speed)}${p.etaSeconds != null ? ` · ${fmt.duration(p.etaSeconds)} left` : ""}`;
  if (p.state === "waitingForNetwork") return " · starts again by itself when the Hub answers";
  if (p.state === "queued" || p.bytesTotal === 0) return "";
  return " · waiting for data";
}

/**
 * Where a completed job put its download: the file when there is one, else the snapshot folder.
 * @param {JobView} job
 * @returns {string | null}
 */
export function savedAt(job) {
  const entry = job.progress.state === "completed" ? job.entry : null;
  if (!entry) return null;
  return entry.files.length === 1 ? entry.files[0].localPath : entry.snapshot;
}

/**
 * The live jobs' progress together in a few words, for the Downloads header and the sidebar:
 * "2 active · 1.20 GB of 2.60 GB · 46% · 11.0 MB/s · 2 min 7 s left"; null when none is live.
 * @param {{short?: boolean}} [options] short: the share and speed only, for the sidebar
 */
export function totalText(options = {}) {
  const t = jobs.totals();
  if (t.live === 0) return null;
  const share = t.bytesTotal > 0 ? `${Math.min(100, (100 * t.bytesDone) / t.bytesTotal).toFixed(0)}%` : null;
  const speed = t.speed > 0 ? fmt.speed(t.speed) : null;
  if (options.short) return [share, speed].filter(Boolean).join(" · ") || null;
  return [
    `${t.live} active`,
    t.bytesTotal > 0 ? `${fmt.bytes(t.bytesDone)} of ${fmt.bytes(t.bytesTotal)}` : null,
    share,
    speed,
    t.etaSeconds != null ? `${fmt.duration(t.etaSeconds)} left` : null,
  ].filter(Boolean).join(" · ");
}

/** @param {JobView} job @param {HTMLElement} note where a failure is said */
async function revealSaved(job, note) {
  if (job.entry) await ipc.revealInFileManager(job.entry.snapshot).catch((err) => note.replaceChildren(errorBox(ipc.asErrorReport(err))));
}

/**
 * The bytes a stop deletes: what the unfinished files hold (finished ones stay in the cache);
 * all of `bytesDone` while the files are not known yet.
 * @param {JobView} job
 */
const unfinishedBytes = (job) =>
  job.progress.files.length ? job.progress.files.reduce((n, f) => (f.state === "done" || f.state === "cached" ? n : n + f.done), 0) : job.progress.bytesDone;

/**
 * Asks before `bytes` already downloaded are deleted, when they are many; whether to go on.
 * @param {number} bytes @param {string} title @param {string} keeping what keeps them instead @param {string} action
 */
async function confirmDiscard(bytes, title, keeping, action) {
  return bytes < CONFIRM_CANCEL_ABOVE || confirmDialog(title, `${fmt.bytes(bytes)} already downloaded will be deleted. ${keeping}`, action);
}

/**
 * Takes a job off the list; a failed one's partial data goes too, asked first when large.
 * @param {JobView} job @param {HTMLElement} note where a refusal is said @param {HTMLElement} status where the freed bytes are said
 */
async function removeJob(job, note, status) {
  const partial = job.progress.state === "failed" ? unfinishedBytes(job) : 0;
  if (!(await confirmDiscard(partial, "Remove this download?", "Retry keeps it and goes on where it stopped.", "Remove and delete"))) return;
  try {
    saidFreed(status, await jobs.remove(job.id));
  } catch (err) {
    note.replaceChildren(errorBox(ipc.asErrorReport(err)));
  }
}

/** Says what removing failed downloads gave back. @param {HTMLElement} status @param {number} freed */
function saidFreed(status, freed) {
  status.replaceChildren(freed > 0 ? `Deleted ${fmt.bytes(freed)} of unfinished downloads.` : "");
}

/**
 * Cancels, asking first when the partial data is large.
 * @param {JobView} job
 */
export async function cancelWithCare(job) {
  if (!(await confirmDiscard(unfinishedBytes(job), "Cancel this download?", "Pause keeps it for later.", "Cancel and delete"))) return;
  await jobs.cancel(job.id);
}

/**
 * @param {HTMLElement} section
 * @param {() => void} showLibrary
 */
export function renderDownloads(section, showLibrary) {
  const list = h("ul", { class: "jobs" });
  const empty = h("p", { class: "empty" }, "No downloads yet. Find a model in Browse and download it; it shows up here with a progress bar.");
  const status = h("div", { class: "status-line", role: "status" });
  const clearFinished = async () => {
    const partial = jobs.all().filter((j) => j.progress.state === "failed").reduce((n, j) => n + unfinishedBytes(j), 0);
    if (!(await confirmDiscard(partial, "Clear finished downloads?", "Retry on a failed download keeps its part and goes on where it stopped.", "Clear and delete"))) return;
    try {
      saidFreed(status, await jobs.clearFinished());
    } catch (err) {
      status.replaceChildren(errorBox(ipc.asErrorReport(err)));
    }
  };
  const clear = h("button", { type: "button", class: "secondary", onclick: () => void clearFinished() }, "Clear finished");
  // Not a live region: it changes ten times a second. Each job's news is announced instead.
  const total = h("p", { class: "total" });
  const totalBar = h("div", { class: "bar total-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "All active downloads" }, h("div", { class: "fill" }));
  section.append(h("div", { class: "toolbar" }, total, clear), status, totalBar, empty, list);
  /** @type {Map<string, {li: HTMLLIElement, update: (job: JobView) => void}>} */
  const rows = new Map();

  /** @param {JobView} initial */
  function makeRow(initial) {
    const { repo, what } = title(initial);
    const name = jobName(initial);
    const bar = h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": `Download of ${name}` }, h("div", { class: "fill" }));
    const phase = h("span", { class: "phase" });
    const numbers = h("span", { class: "numbers" });
    const saved = h("p", { class: "saved", hidden: true });
    const error = h("div", { class: "job-error" });
    const actions = h("div", { class: "actions" });
    const note = h("div", { class: "job-note", role: "status" });
    const li = h("li", { class: "job", "data-job": initial.id }, h("div", { class: "job-head" }, h("strong", {}, repo), h("span", { class: "what" }, what), phase), bar, numbers, saved, error, actions, note);
    let lastButtons = "";
    let lastError = "";
    /** @param {JobView} job */
    const update = (job) => {
      const restoreFocus = holdFocus(li);
      redraw(job);
      // A rebuilt button or error box took the focus: the row's new first button gets it
      // (Cancel → Retry, Pause → Resume, Retry in the error box → Pause).
      restoreFocus(() => actions.querySelector("button"), () => error.querySelector("button"));
    };
    /** @param {JobView} job */
    const redraw = (job) => {
      const p = job.progress;
      const pct = percent(p);
      /** @type {HTMLElement} */ (bar.firstChild).style.width = `${pct}%`;
      // Without a total there is no share to say: the bar is indeterminate.
      if (p.bytesTotal > 0) bar.setAttribute("aria-valuenow", pct.toFixed(0));
      else bar.removeAttribute("aria-valuenow");
      bar.setAttribute("aria-valuetext", progressText(job));
      li.dataset.state = p.state;
      li.dataset.phase = p.phase;
      phase.textContent = phaseLabel(job);
      numbers.textContent = `${sizes(p)}${p.live ? pace(p) : ""}`;
      const where = savedAt(job);
      saved.textContent = where ?? "";
      saved.hidden = where === null;
      // The error box is rebuilt only when the error changes, so its buttons keep focus.
      const errorKey = p.error ? JSON.stringify(p.error) : "";
      if (errorKey !== lastError) {
        lastError = errorKey;
        const r = job.request;
        // Not announced here: the job's news says it failed and why.
        error.replaceChildren(p.error ? errorBox(p.error, () => void jobs.retry(job.id), { repo: r.repo, repoType: r.repoType, revision: r.revision, job: true, subject: `download of ${name}` }, { announce: false }) : "");
      }
      // Buttons are rebuilt only when the set changes, so keyboard focus stays put. A failed
      // job's buttons are in its error box, which knows the next step.
      const buttons = p.live ? "pause,cancel" : p.state === "paused" ? "resume,cancel" : p.state === "completed" ? (job.entry ? "library,folder,copy,remove" : "library,remove") : p.error ? "remove" : "again,remove";
      if (buttons === lastButtons) return;
      lastButtons = buttons;
      // Every row has the same buttons: their names say which download they act on, starting
      // with the words shown, so speech input still finds them by what is on screen.
      /** @type {Record<string, HTMLButtonElement>} */
      const make = {
        pause: h("button", { type: "button", class: "secondary", "aria-label": `Pause download of ${name}`, onclick: () => void jobs.pause(job.id) }, "Pause"),
        resume: h("button", { type: "button", "aria-label": `Resume download of ${name}`, onclick: () => void jobs.resume(job.id) }, "Resume"),
        cancel: h("button", { type: "button", class: "danger", "aria-label": `Cancel download of ${name}`, onclick: () => void cancelWithCare(current.get(job.id) ?? job) }, "Cancel"),
        again: h("button", { type: "button", "aria-label": `Download again: ${name}`, onclick: () => void jobs.retry(job.id) }, "Download again"),
        library: h("button", { type: "button", class: "secondary", "aria-label": `Show in Library, ${name}`, onclick: showLibrary }, "Show in Library"),
        folder: h("button", { type: "button", class: "secondary", "aria-label": `Open folder of ${name}`, onclick: () => void revealSaved(current.get(job.id) ?? job, note) }, "Open folder"),
        copy: h("button", { type: "button", class: "secondary", "aria-label": `Copy path of ${name}`, onclick: () => void copyText(savedAt(current.get(job.id) ?? job) ?? "", note, `Path of ${name}`) }, "Copy path"),
        remove: h("button", { type: "button", class: "secondary", "aria-label": `Remove from the list: ${name}`, onclick: () => void removeJob(current.get(job.id) ?? job, note, status) }, "Remove"),
      };
      actions.replaceChildren(...buttons.split(",").filter(Boolean).map((b) => make[b]));
    };
    update(initial);
    return { li, update };
  }

  /** @type {Map<string, JobView>} */
  const current = new Map();
  const draw = () => {
    const all = jobs.all();
    const restoreFocus = holdFocus(section);
    const focusedRow = [...list.children].findIndex((li) => li.contains(document.activeElement));
    empty.hidden = all.length > 0;
    const t = jobs.totals();
    total.textContent = totalText() ?? "";
    totalBar.hidden = t.live === 0;
    const share = t.bytesTotal > 0 ? (100 * t.bytesDone) / t.bytesTotal : 0;
    /** @type {HTMLElement} */ (totalBar.firstChild).style.width = `${share}%`;
    if (t.bytesTotal > 0) totalBar.setAttribute("aria-valuenow", share.toFixed(0));
    else totalBar.removeAttribute("aria-valuenow");
    totalBar.setAttribute("aria-valuetext", total.textContent);
    clear.hidden = !all.some((j) => ["completed", "cancelled", "failed"].includes(j.progress.state));
    const wanted = new Set(all.map((j) => j.id));
    for (const [id, row] of rows) {
      if (!wanted.has(id)) {
        row.li.remove();
        rows.delete(id);
      }
    }
    all.forEach((job, index) => {
      current.set(job.id, job);
      let row = rows.get(job.id);
      if (!row) {
        row = makeRow(job);
        rows.set(job.id, row);
      } else {
        row.update(job);
      }
      if (list.children[index] !== row.li) list.insertBefore(row.li, list.children[index] ?? null);
    });
    // A row that went away (Clear finished) took the focus: the row now in its place, or the
    // last one, or the heading when the list is empty.
    const heading = section.querySelector("h1");
    restoreFocus(
      () => (list.children[Math.max(0, focusedRow)] ?? list.lastElementChild)?.querySelector("button"),
      heading,
    );
  };
  jobs.subscribe(draw);
  draw();
}
