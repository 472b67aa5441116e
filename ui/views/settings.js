// @ts-check
/** Settings: the Hub endpoint, the access token, the cache folder and the download limits;
 * a value set by an environment variable is shown as such and cannot be edited here. */

import { confirmDialog, errorBox, h } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";

/** @typedef {import("../ipc-types").SettingsView} SettingsView */
/** @typedef {import("../ipc-types").SettingValue} SettingValue */

/**
 * @param {HTMLElement} section
 * @param {() => void} onSaved
 */
export async function renderSettings(section, onSaved) {
  const form = h("form", { class: "settings", novalidate: true });
  const status = h("div", { class: "status-line", role: "status" });
  section.append(form, status);

  /**
   * @param {string} label
   * @param {HTMLInputElement} input
   * @param {SettingValue | null} setting
   * @param {string} help
   */
  const field = (label, input, setting, help) => {
    const env = setting?.source === "environment";
    if (env) input.disabled = true;
    return h(
      "label",
      { class: "field" },
      h("span", { class: "label" }, label),
      input,
      h("span", { class: "help" }, env ? `Set by an environment variable; change it there. ${help}` : help),
    );
  };

  /** @param {SettingsView} s */
  const draw = (s) => {
    const endpoint = h("input", { name: "endpoint", value: s.endpoint.value, placeholder: "https://huggingface.co" });
    const token = h("input", { name: "token", type: "password", autocomplete: "off", placeholder: s.token ? `saved: ${s.token.value}` : "hf_…" });
    const cacheDir = h("input", { name: "cacheDir", value: s.cacheDir.value });
    const jobs = h("input", { name: "concurrentJobs", type: "number", min: "1", max: "16", value: String(s.concurrentJobs) });
    const connections = h("input", { name: "connectionsPerFile", type: "number", min: "1", max: "16", value: String(s.connectionsPerFile) });
    const cap = h("input", { name: "maxDownloadRate", type: "number", min: "0", step: "0.1", value: s.maxDownloadRate ? String(s.maxDownloadRate / 1e6) : "0" });
    const logout = s.token && s.token.source !== "environment" ? h("button", { type: "button", class: "secondary", onclick: () => void save({ token: "" }) }, "Remove token") : null;
    form.replaceChildren(
      field("Hub endpoint", endpoint, s.endpoint, "A mirror's address, or the public Hub."),
      field("Access token", token, s.token, `Stored in ${s.tokenPath}, shared with Python's huggingface_hub. Needed for gated and private models.`),
      logout ?? "",
      field("Cache folder", cacheDir, s.cacheDir, "Switching folders does not move any file."),
      s.cacheDir.source === "environment" ? "" : moveRow(),
      field("Downloads at once", jobs, null, "More jobs wait in the queue."),
      field("Connections per large file", connections, null, "Some servers refuse many connections; 4 is a good default."),
      field("Bandwidth cap (MB/s)", cap, null, "0 means no cap."),
      s.offline ? h("p", { class: "notice" }, "HF_HUB_OFFLINE is set: Modelshelf will not contact the Hub.") : "",
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Save")),
    );
    form.onsubmit = (event) => {
      event.preventDefault();
      /** @type {import("../ipc-types").SettingsUpdate} */
      const update = {
        endpoint: endpoint.disabled ? null : endpoint.value,
        cacheDir: cacheDir.disabled ? null : cacheDir.value,
        token: token.value ? token.value : null,
        concurrentJobs: Number(jobs.value),
        connectionsPerFile: Number(connections.value),
        maxDownloadRate: Math.round(Number(cap.value) * 1e6),
      };
      void save(update);
    };
  };

  /** A separate, explicit action: copy the cache, verify it, then delete the originals. */
  const moveRow = () => {
    const target = h("input", { name: "moveTo", placeholder: "/mnt/big-disk/huggingface/hub", "aria-label": "Move the cache to" });
    const go = async () => {
      const to = target.value.trim();
      if (!to) return;
      const ok = await confirmDialog("Move the cache?", `Every model is copied to ${to}, checked, and then deleted from the old folder. Other files there are left alone.`, "Move");
      if (!ok) return;
      status.replaceChildren(h("span", { class: "loading" }, "Moving…"));
      try {
        const moved = await ipc.moveCache(to);
        status.replaceChildren(`Moved ${fmt.bytes(moved.bytes)} to ${to}.`);
        draw(await ipc.getSettings());
        onSaved();
      } catch (err) {
        status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
      }
    };
    return h("div", { class: "field move" }, h("span", { class: "label" }, "Move the cache"), h("div", { class: "actions" }, target, h("button", { type: "button", class: "secondary", onclick: () => void go() }, "Move…")));
  };

  /** @param {Partial<import("../ipc-types").SettingsUpdate>} update */
  async function save(update) {
    const full = { endpoint: null, cacheDir: null, token: null, concurrentJobs: null, connectionsPerFile: null, maxDownloadRate: null, ...update };
    try {
      draw(await ipc.setSettings(full));
      status.replaceChildren("Saved.");
      onSaved();
    } catch (err) {
      status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
    }
  }

  try {
    draw(await ipc.getSettings());
  } catch (err) {
    status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
  }
}
