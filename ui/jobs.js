// @ts-check
/** The frontend's view of the download jobs: kept in step by each job's progress channel and
 * by the backend's "jobs-changed" event; views subscribe and redraw at most once a frame. */

import * as ipc from "./ipc.js";

/** @typedef {import("./ipc-types").JobView} JobView */
/** @typedef {import("./ipc-types").JobProgress} JobProgress */
/** @typedef {import("./ipc-types").DownloadRequest} DownloadRequest */
/** @typedef {import("./ipc-types").JobState} JobState */

/** @type {Map<string, JobView>} */
const jobs = new Map();
/** @type {Set<() => void>} */
const listeners = new Set();
/** @type {Set<(job: JobView, before: JobState | null) => void>} */
const stateListeners = new Set();
/** The first list has arrived: from then on a new job or a new state is news. The jobs that
 * were there when the window opened are not. */
let baseline = false;
let scheduled = false;

function notify() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const listener of listeners) listener();
  });
}

/** @param {() => void} listener @returns {() => void} */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Hears each change of a job's state (queued, running, paused...) once, not its progress.
 * @param {(job: JobView, before: JobState | null) => void} listener
 * @returns {() => void}
 */
export function subscribeStates(listener) {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

/** @param {JobView} job @param {JobState | null} before */
function noteState(job, before) {
  if (!baseline || job.progress.state === before) return;
  for (const listener of stateListeners) listener(job, before);
}

/** Every job, newest first. */
export function all() {
  return [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt);
}

export function liveCount() {
  return all().filter((j) => j.progress.live).length;
}

/**
 * The live jobs together: how many, their bytes (of those whose size is known yet), their
 * speed, and the time left at that speed (null while nothing moves).
 */
export function totals() {
  const live = all().filter((j) => j.progress.live);
  const sized = live.filter((j) => j.progress.bytesTotal > 0);
  const bytesDone = sized.reduce((n, j) => n + j.progress.bytesDone, 0);
  const bytesTotal = sized.reduce((n, j) => n + j.progress.bytesTotal, 0);
  const speed = live.reduce((n, j) => n + j.progress.speed, 0);
  return { live: live.length, bytesDone, bytesTotal, speed, etaSeconds: speed > 0 ? Math.max(0, bytesTotal - bytesDone) / speed : null };
}

/** @param {JobProgress} progress */
function onProgress(progress) {
  const job = jobs.get(progress.jobId);
  if (job) {
    const before = job.progress.state;
    job.progress = progress;
    noteState(job, before);
  }
  notify();
  if (!progress.live) void refresh();
}

/** Reloads the list from the backend and re-attaches to live jobs after a page reload. */
export async function refresh() {
  const views = await ipc.listJobs();
  const seen = new Set();
  for (const view of views) {
    seen.add(view.id);
    const known = jobs.get(view.id);
    if (!known && view.progress.live) {
      // A live job this page has no channel for (the page was reloaded): listen again.
      void ipc.attachDownload(view.id, onProgress).catch(() => {});
    }
    const kept = known && known.progress.live && view.progress.live ? known : view;
    jobs.set(view.id, kept);
    noteState(kept, known ? known.progress.state : null);
  }
  for (const id of [...jobs.keys()]) if (!seen.has(id)) jobs.delete(id);
  baseline = true;
  notify();
}

/** @param {DownloadRequest} request @returns {Promise<string>} */
export async function start(request) {
  const id = await ipc.startDownload(request, onProgress);
  await refresh();
  return id;
}

/** @param {string} id */
export async function cancel(id) {
  await ipc.cancelDownload(id);
}

/** @param {string} id */
export async function pause(id) {
  await ipc.pauseDownload(id);
}

/** @param {string} id */
export async function resume(id) {
  await ipc.resumeDownload(id, onProgress);
  await refresh();
}

/** @param {string} id */
export async function retry(id) {
  await ipc.retryDownload(id, onProgress);
  await refresh();
}

/** Takes a finished job off the list; a failed one's partial data goes too.
 * @param {string} id @returns {Promise<number>} the bytes that freed */
export async function remove(id) {
  const freed = await ipc.removeJob(id);
  await refresh();
  return freed;
}

/** @returns {Promise<number>} the bytes the failed jobs' partial data took */
export async function clearFinished() {
  const freed = await ipc.clearFinishedJobs();
  await refresh();
  return freed;
}
