// @ts-check
/** The app shell: navigation between the views, keyboard shortcuts, the status line. */

import { appInfo } from "./ipc.js";
import { EMPTY_STATES, renderEmpty } from "./views/placeholders.js";
import { renderSettings } from "./views/settings.js";

const VIEWS = ["browse", "downloads", "library", "settings"];

/** @param {string} name */
export function showView(name) {
  if (!VIEWS.includes(name)) return;
  for (const section of document.querySelectorAll("section.view")) {
    /** @type {HTMLElement} */ (section).hidden = section.getAttribute("data-view") !== name;
  }
  for (const item of document.querySelectorAll(".nav-item")) {
    if (item.getAttribute("data-view") === name) item.setAttribute("aria-current", "page");
    else item.removeAttribute("aria-current");
  }
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · Modelshelf`;
}

function section(/** @type {string} */ name) {
  return /** @type {HTMLElement} */ (document.getElementById(`view-${name}`));
}

async function start() {
  for (const [name, text] of Object.entries(EMPTY_STATES)) renderEmpty(section(name), text);
  void renderSettings(section("settings"));

  for (const item of document.querySelectorAll(".nav-item")) {
    item.addEventListener("click", () => showView(item.getAttribute("data-view") ?? ""));
  }
  document.addEventListener("keydown", (event) => {
    const index = Number(event.key) - 1;
    if ((event.ctrlKey || event.metaKey) && index >= 0 && index < VIEWS.length) {
      event.preventDefault();
      showView(VIEWS[index]);
    }
  });
  showView("browse");

  const status = /** @type {HTMLElement} */ (document.getElementById("status"));
  try {
    const info = await appInfo();
    status.textContent = info.offline ? "Offline" : `Hub: ${new URL(info.endpoint).host}`;
  } catch {
    status.textContent = "Backend unavailable";
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else void start();
