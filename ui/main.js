// @ts-check
/** The app shell: navigation between the views, keyboard shortcuts, the live-download count
 * and the status line. */

import { announce } from "./announce.js";
import * as connection from "./connection.js";
import { h, isBusy, setBusy } from "./dom.js";
import { setNavigator } from "./errors.js";
import * as ipc from "./ipc.js";
import * as jobs from "./jobs.js";
import { renderBrowse } from "./views/browse.js";
import { jobNews, renderDownloads, totalText } from "./views/downloads.js";
import { renderLibrary } from "./views/library.js";
import { renderModel } from "./views/model.js";
import { renderSettings } from "./views/settings.js";

const NAV = ["browse", "downloads", "library", "settings"];
const TITLES = { browse: "Browse", model: "Model", downloads: "Downloads", library: "Library", settings: "Settings" };

/** @param {string} name */
function section(name) {
  return /** @type {HTMLElement} */ (document.getElementById(`view-${name}`));
}

/** @type {{ refresh: () => Promise<void>, cleanUp: () => Promise<void> } | null} */
let library = null;

/** The view shown now, and the ones before it, for going back (Escape, Alt+Left). */
let current = "";
/** @type {string[]} */
const previous = [];
const HISTORY_LIMIT = 50;

/**
 * Shows a view. Unless told otherwise the focus moves to its heading, so a keyboard or screen
 * reader user starts reading there, and not at the top of the window.
 * @param {string} name
 * @param {string} [title]
 * @param {{focus?: boolean, back?: boolean}} [how] `back`: going back, not a new step
 */
export function showView(name, title, how = {}) {
  if (!(name in TITLES)) return;
  if (!how.back && current && current !== name) {
    previous.push(current);
    if (previous.length > HISTORY_LIMIT) previous.shift();
  }
  current = name;
  for (const s of document.querySelectorAll("section.view")) {
    /** @type {HTMLElement} */ (s).hidden = s.getAttribute("data-view") !== name;
  }
  for (const item of document.querySelectorAll(".nav-item")) {
    if (item.getAttribute("data-view") === name) item.setAttribute("aria-current", "page");
    else item.removeAttribute("aria-current");
  }
  document.title = `${title ?? /** @type {Record<string, string>} */ (TITLES)[name]} · Modelshelf`;
  if (how.focus ?? true) /** @type {HTMLElement | null} */ (section(name).querySelector("h1"))?.focus();
  if (name === "library") void library?.refresh();
}

/** Back to the view before this one; from a model with no history, to the results. */
function goBack() {
  const to = previous.pop() ?? (current === "model" ? "browse" : null);
  if (to) showView(to, to === "model" ? modelShown : undefined, { back: true });
}

/** The repository the model view shows, for its window title when going back to it. */
let modelShown = "";

/** @param {string} repo */
function openModel(repo) {
  const view = section("model");
  modelShown = repo;
  const back = h("button", { type: "button", class: "link back", "aria-keyshortcuts": "Escape Alt+ArrowLeft", onclick: goBack }, "← Back to search");
  const heading = h("h1", { id: "h-model", tabindex: "-1" }, repo);
  const body = h("div", {});
  view.replaceChildren(back, h("header", { class: "model-head" }, heading), body);
  showView("model", repo);
  void renderModel(body, heading, repo, showJob);
}

/**
 * The Downloads view at one job: the focus goes to its first button (Pause, Cancel, Retry...),
 * which names the job, or to the heading when the row is not drawn (yet).
 * @param {string} [jobId]
 */
function showJob(jobId) {
  showView("downloads", undefined, { focus: jobId === undefined });
  if (jobId === undefined) return;
  const row = section("downloads").querySelector(`[data-job="${CSS.escape(jobId)}"]`);
  const target = /** @type {HTMLElement | null} */ (row?.querySelector("button") ?? section("downloads").querySelector("h1"));
  row?.scrollIntoView({ block: "nearest" });
  target?.focus();
}

/** Whether a key press is meant for the element it happened in (editing text). @param {EventTarget | null} target */
function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(/** @type {HTMLInputElement} */ (target).type)));
}

/** The endpoint's host, for messages. */
let hubHost = "the Hub";
/** HF_HUB_OFFLINE is set: offline by choice. */
let offlineByChoice = false;
/** Redraws the offline banner (its words name the host, which may arrive after it shows). */
let redrawBanner = () => {};

/**
 * Reads where the app points. The connection state is taken from the answer only at start:
 * afterwards the backend's events are newer than any answer still on its way.
 * @param {boolean} takeConnection
 */
async function loadInfo(takeConnection) {
  try {
    const info = await ipc.appInfo();
    hubHost = new URL(info.endpoint).host;
    offlineByChoice = info.offline;
    if (takeConnection) connection.set(info.online);
    drawStatus();
    redrawBanner();
  } catch {
    /** @type {HTMLElement} */ (document.getElementById("status")).textContent = "Backend unavailable";
  }
}

function drawStatus() {
  const status = /** @type {HTMLElement} */ (document.getElementById("status"));
  status.textContent = offlineByChoice ? "Offline (HF_HUB_OFFLINE)" : connection.isOnline() ? `Hub: ${hubHost}` : `Offline: ${hubHost} does not answer`;
}

/** Says once per offline spell that the Hub cannot be reached and what still works. */
function offlineBanner() {
  const banner = /** @type {HTMLElement} */ (document.getElementById("offline-banner"));
  let dismissed = false;
  const retry = h("button", { type: "button", class: "small" }, "Try again");
  retry.addEventListener("click", async () => {
    if (isBusy(retry)) return;
    setBusy(retry, true);
    retry.textContent = "Checking…";
    try {
      await connection.check();
    } catch {
      // The banner stays; the next change of state redraws it.
    } finally {
      setBusy(retry, false);
      retry.textContent = "Try again";
    }
  });
  const dismiss = h("button", { type: "button", class: "small secondary", onclick: () => { dismissed = true; banner.hidden = true; } }, "Dismiss");
  const draw = (/** @type {boolean} */ online) => {
    if (online) dismissed = false;
    banner.hidden = online || dismissed;
    banner.replaceChildren(
      offlineByChoice
        ? h("p", {}, h("strong", {}, "Offline mode. "), "HF_HUB_OFFLINE is set, so Modelshelf does not contact the Hub. Your Library works as usual; start Modelshelf without the variable to search and download.")
        : h("p", {}, h("strong", {}, "Working offline. "), `${hubHost} does not answer. Your Library works as usual; downloads wait and start again by themselves when the Hub is back.`),
      h("div", { class: "actions" }, offlineByChoice ? "" : retry, dismiss),
    );
  };
  redrawBanner = () => draw(connection.isOnline());
  connection.subscribe((online) => {
    draw(online);
    drawStatus();
    announce(
      offlineByChoice ? "" : online ? `Back online: ${hubHost} answers again.` : `Working offline: ${hubHost} does not answer. Downloads wait and start again by themselves.`,
    );
  });
}

function updateCount() {
  const badge = /** @type {HTMLElement} */ (document.getElementById("live-count"));
  const live = jobs.liveCount();
  badge.hidden = live === 0;
  badge.textContent = String(live);
  badge.setAttribute("aria-label", `${live} active`);
  const total = /** @type {HTMLElement} */ (document.getElementById("live-total"));
  const text = totalText({ short: true });
  total.hidden = text === null;
  total.textContent = text ?? "";
}

async function start() {
  const browse = renderBrowse(section("browse"), openModel);
  renderDownloads(section("downloads"), () => showView("library"));
  library = renderLibrary(section("library"));
  // Where an error's next step leads: the token field, or the Library's clean-up.
  setNavigator((to) => {
    if (to === "settings-token") {
      showView("settings", undefined, { focus: false });
      /** @type {HTMLInputElement | null} */ (section("settings").querySelector("input[name=token]"))?.focus();
    } else {
      showView("library");
      void library?.cleanUp();
    }
  });
  void renderSettings(section("settings"), () => {
    void loadInfo(false);
    void library?.refresh();
  });

  for (const item of document.querySelectorAll(".nav-item")) {
    item.addEventListener("click", () => showView(item.getAttribute("data-view") ?? ""));
  }
  document.addEventListener("keydown", (event) => {
    const index = Number(event.key) - 1;
    // An open dialog has the keys to itself (Escape closes it, Alt+Left too: see confirmDialog).
    const inDialog = document.querySelector("dialog[open]") !== null;
    if ((event.ctrlKey || event.metaKey) && index >= 0 && index < NAV.length) {
      event.preventDefault();
      showView(NAV[index]);
    } else if ((event.ctrlKey || event.metaKey) && event.key === "k") {
      event.preventDefault();
      showView("browse", undefined, { focus: false });
      browse.focus();
    } else if (inDialog || event.defaultPrevented) {
      return;
    } else if (event.key === "Escape" && !event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && current === "model") {
      event.preventDefault();
      goBack();
    } else if (event.key === "ArrowLeft" && event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && !typingIn(event.target)) {
      // In a text field Alt+Left moves by word on macOS; it stays there.
      event.preventDefault();
      goBack();
    }
  });
  jobs.subscribe(updateCount);
  jobs.subscribeStates((job, before) => announce(jobNews(job, before) ?? ""));
  offlineBanner();
  // Opening the window is not a step the person took: the focus stays where the system put it.
  showView("browse", undefined, { focus: false });
  await Promise.all([
    ipc.listen("jobs-changed", () => void jobs.refresh().catch(() => {})),
    // Listening before asking: a change between the answer and the listener is not lost.
    ipc.listen("connectivity-changed", (online) => connection.set(online === true)),
  ]);
  await Promise.all([loadInfo(true), jobs.refresh().catch(() => {})]);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => void start());
else void start();
