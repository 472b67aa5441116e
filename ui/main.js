// @ts-check
/** The app shell: navigation between the views, keyboard shortcuts, the live-download count
 * and the status line. */

import { announce } from "./announce.js";
import * as connection from "./connection.js";
import { h } from "./dom.js";
import { setNavigator } from "./errors.js";
import * as ipc from "./ipc.js";
import * as jobs from "./jobs.js";
import { renderBrowse } from "./views/browse.js";
import { jobNews, renderDownloads } from "./views/downloads.js";
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

/**
 * @param {string} name
 * @param {string} [title]
 */
export function showView(name, title) {
  if (!(name in TITLES)) return;
  for (const s of document.querySelectorAll("section.view")) {
    /** @type {HTMLElement} */ (s).hidden = s.getAttribute("data-view") !== name;
  }
  for (const item of document.querySelectorAll(".nav-item")) {
    if (item.getAttribute("data-view") === name) item.setAttribute("aria-current", "page");
    else item.removeAttribute("aria-current");
  }
  document.title = `${title ?? /** @type {Record<string, string>} */ (TITLES)[name]} · Modelshelf`;
  if (name === "library") void library?.refresh();
}

/** @param {string} repo */
function openModel(repo) {
  const view = section("model");
  view.replaceChildren();
  const back = h("button", { type: "button", class: "link back", onclick: () => showView("browse") }, "← Back to search");
  const body = h("div", {});
  view.append(back, body);
  showView("model", repo);
  void renderModel(body, repo, () => showView("downloads"));
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
    retry.disabled = true;
    retry.textContent = "Checking…";
    try {
      await connection.check();
    } catch {
      // The banner stays; the next change of state redraws it.
    } finally {
      retry.disabled = false;
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
}

async function start() {
  const browse = renderBrowse(section("browse"), openModel);
  renderDownloads(section("downloads"), () => showView("library"));
  library = renderLibrary(section("library"));
  // Where an error's next step leads: the token field, or the Library's clean-up.
  setNavigator((to) => {
    if (to === "settings-token") {
      showView("settings");
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
    if ((event.ctrlKey || event.metaKey) && index >= 0 && index < NAV.length) {
      event.preventDefault();
      showView(NAV[index]);
    } else if ((event.ctrlKey || event.metaKey) && event.key === "k") {
      event.preventDefault();
      showView("browse");
      browse.focus();
    }
  });
  jobs.subscribe(updateCount);
  jobs.subscribeStates((job, before) => announce(jobNews(job, before) ?? ""));
  offlineBanner();
  showView("browse");
  await Promise.all([
    ipc.listen("jobs-changed", () => void jobs.refresh().catch(() => {})),
    // Listening before asking: a change between the answer and the listener is not lost.
    ipc.listen("connectivity-changed", (online) => connection.set(online === true)),
  ]);
  await Promise.all([loadInfo(true), jobs.refresh().catch(() => {})]);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => void start());
else void start();
