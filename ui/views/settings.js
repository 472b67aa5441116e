// @ts-check
/** The Settings view: where Modelshelf points and where it keeps models. */

import { appInfo } from "../ipc.js";

/**
 * @param {HTMLElement} section
 * @returns {Promise<void>}
 */
export async function renderSettings(section) {
  const list = document.createElement("dl");
  list.className = "facts";
  section.append(list);
  try {
    const info = await appInfo();
    /** @type {[string, string][]} */
    const rows = [
      ["Hub endpoint", info.endpoint],
      ["Cache folder", info.cacheDir],
      ["Access token", info.hasToken ? "Found" : "None (public models only)"],
      ["Offline mode", info.offline ? "On (HF_HUB_OFFLINE)" : "Off"],
      ["Version", info.version],
    ];
    for (const [term, value] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    }
  } catch (err) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = `Could not read the settings: ${/** @type {{message: string}} */ (err).message}`;
    section.append(p);
  }
}
