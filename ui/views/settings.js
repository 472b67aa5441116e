// @ts-check
/** Settings: the Hub endpoint, the access token (with a check against the Hub and a way to
 * the Hub's token page), the cache folder (typed or picked) and the download limits; a value
 * set by an environment variable is read-only here and names its variable. Save stays in
 * sight at the bottom. Below, the diagnostics a person sends with a problem report. */

import { confirmDialog, counterpart, errorBox, h, holdFocus, isBusy, setBusy } from "../dom.js";
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
  const diagnostics = h("section", { class: "diagnostics", "aria-labelledby": "h-diagnostics" });
  section.append(form, status, diagnostics);

  /**
   * @param {string} label
   * @param {HTMLInputElement} input
   * @param {SettingValue | null} setting
   * @param {string} help
   * @param {HTMLElement | null} [extra] a control beside the input (a folder's Choose…)
   */
  const field = (label, input, setting, help, extra = null) => {
    const env = setting?.source === "environment";
    const variable = setting?.variable ?? "an environment variable";
    // Read-only, not disabled: the value can still be reached, read and copied by keyboard.
    if (env) input.readOnly = true;
    // The help is the field's description, not part of its name: a screen reader says the
    // name when the field is reached, then the help after a pause.
    input.id = `setting-${input.name}`;
    input.setAttribute("aria-describedby", `${input.id}-help`);
    return h(
      "div",
      { class: env ? "field from-env" : "field" },
      // The mark stays out of the label: the field's name is its label alone.
      env ? h("div", { class: "label-row" }, h("label", { class: "label", for: input.id }, label), h("span", { class: "badge env" }, `from ${variable}`)) : h("label", { class: "label", for: input.id }, label),
      extra && !env ? h("div", { class: "input-row" }, input, extra) : input,
      h("span", { class: "help", id: `${input.id}-help` }, env ? `Set by ${variable}; change it there to change it here. ${help}` : help),
    );
  };

  /**
   * A "Choose…" button that fills `input` with a folder from the system's picker.
   * @param {HTMLInputElement} input @param {string} title @param {string} name what it chooses, for its accessible name
   */
  const chooseFolder = (input, title, name) => {
    const button = h("button", { type: "button", class: "secondary", "data-action": `choose-${input.name}`, "aria-label": `Choose… ${name}` }, "Choose…");
    button.addEventListener("click", async () => {
      if (isBusy(button) || input.readOnly || input.disabled) return;
      setBusy(button, true);
      try {
        const picked = await ipc.pickFolder(title, input.value.trim() || null);
        if (picked) {
          input.value = picked;
          input.dispatchEvent(new Event("input", { bubbles: true }));
        }
      } catch (err) {
        status.replaceChildren(errorBox(ipc.asErrorReport(err)));
      } finally {
        setBusy(button, false);
      }
    });
    return button;
  };

  /** @param {SettingsView} s */
  const draw = (s) => {
    const endpoint = h("input", { name: "endpoint", value: s.endpoint.value, placeholder: "https://huggingface.co" });
    const token = h("input", { name: "token", type: "password", autocomplete: "off", placeholder: s.token ? `saved: ${s.token.value}` : "hf_…" });
    const cacheDir = h("input", { name: "cacheDir", value: s.cacheDir.value });
    const jobs = h("input", { name: "concurrentJobs", type: "number", min: "1", max: "16", value: String(s.concurrentJobs) });
    const connections = h("input", { name: "connectionsPerFile", type: "number", min: "1", max: String(s.connectionsPerFileMax), value: String(s.connectionsPerFile) });
    const cap = h("input", { name: "maxDownloadRate", type: "number", min: "0", step: "0.1", value: s.maxDownloadRate ? String(s.maxDownloadRate / 1e6) : "0" });
    const logout = s.token && s.token.source !== "environment" ? h("button", { type: "button", class: "secondary", onclick: () => void save({ token: "" }) }, "Remove token") : null;
    // The page of the Hub this app talks to: a mirror has its own tokens.
    const tokensPage = `${s.endpoint.value.replace(/\/+$/, "")}/settings/tokens`;
    const createToken = h("button", { type: "button", class: "secondary", title: tokensPage, onclick: () => void ipc.openUrl(tokensPage).catch((err) => tokenResult.replaceChildren(errorBox(ipc.asErrorReport(err)))) }, "Create a token");
    const tokenResult = h("span", { class: "token-result", role: "status" });
    // A result belongs to the token it was about.
    token.addEventListener("input", () => tokenResult.replaceChildren());
    const testToken = h("button", { type: "button", class: "secondary" }, "Test token");
    testToken.addEventListener("click", async () => {
      if (isBusy(testToken)) return;
      setBusy(testToken, true);
      tokenResult.replaceChildren(h("span", { class: "loading" }, "Asking the Hub…"));
      try {
        const me = await ipc.testToken(token.value.trim() || null);
        const who = me.fullname ? `${me.name} (${me.fullname})` : me.name;
        const detail = [me.tokenName && `token “${me.tokenName}”`, me.role && `${me.role} access`, me.orgs.length ? `member of ${me.orgs.join(", ")}` : null].filter(Boolean).join(" · ");
        tokenResult.replaceChildren(h("span", { class: "ok" }, `✓ Signed in as ${who}`), detail ? ` · ${detail}` : "");
      } catch (err) {
        tokenResult.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
      } finally {
        setBusy(testToken, false);
      }
    });
    // Saving redraws the form: the control that was used keeps the focus in its new form.
    const restoreFocus = holdFocus(form);
    form.replaceChildren(
      field("Hub endpoint", endpoint, s.endpoint, "A mirror's address, or the public Hub."),
      field("Access token", token, s.token, `Stored in ${s.tokenPath}, shared with Python's huggingface_hub. Needed for gated and private models.`),
      h("div", { class: "actions token-actions" }, testToken, createToken, logout ?? "", tokenResult),
      field("Cache folder", cacheDir, s.cacheDir, "Switching folders does not move any file.", chooseFolder(cacheDir, "Cache folder", "the cache folder")),
      s.cacheDir.source === "environment" ? "" : moveRow(s.cacheDir.value),
      field("Downloads at once", jobs, null, "More jobs wait in the queue."),
      field("Most connections per large file", connections, null, `Modelshelf opens more while they make a download faster, up to this many (1 to ${s.connectionsPerFileMax}). 16 suits most lines; more helps only where 16 cannot fill the line, each taking about 2 MB of memory; fewer if a server refuses many.`),
      field("Bandwidth cap (MB/s)", cap, null, "0 means no cap."),
      s.offline ? h("p", { class: "notice" }, "HF_HUB_OFFLINE is set: Modelshelf will not contact the Hub.") : "",
      // Sticky: in a small window Save stays in sight below the fields.
      h("div", { class: "actions save-bar" }, h("button", { type: "submit" }, "Save")),
    );
    restoreFocus((lost) => counterpart(form, lost), token, form.querySelector("button[type=submit]"));
    form.onsubmit = (event) => {
      event.preventDefault();
      /** @type {import("../ipc-types").SettingsUpdate} */
      const update = {
        endpoint: endpoint.readOnly ? null : endpoint.value,
        cacheDir: cacheDir.readOnly ? null : cacheDir.value,
        token: token.value ? token.value : null,
        concurrentJobs: Number(jobs.value),
        connectionsPerFile: Number(connections.value),
        maxDownloadRate: Math.round(Number(cap.value) * 1e6),
      };
      void save(update);
    };
  };

  /** A separate, explicit action: copy the cache, verify it, then delete the originals. The
   * window keeps working while it runs (the Settings view keeps its state when left). */
  /** @param {string} from the cache folder now */
  const moveRow = (from) => {
    const target = h("input", { name: "moveTo", id: "setting-moveTo", placeholder: "/mnt/big-disk/huggingface/hub" });
    const start = h("button", { type: "button", class: "secondary", "data-action": "move" }, "Move…");
    const progress = h("div", { class: "move-progress", hidden: true });
    const go = async () => {
      const to = target.value.trim();
      if (!to || isBusy(start)) return;
      const ok = await confirmDialog("Move the cache?", `Every model is copied to ${to}, checked, and then deleted from the old folder. Other files there are left alone.`, "Move");
      if (!ok) return;
      const bar = h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Moving the cache" }, h("div", { class: "fill" }));
      const numbers = h("span", { class: "numbers" }, "Looking at the cache…");
      const cancel = h("button", { type: "button", class: "small danger" }, "Cancel");
      cancel.addEventListener("click", () => {
        if (isBusy(cancel)) return;
        setBusy(cancel, true);
        numbers.textContent = "Cancelling…";
        void ipc.cancelCacheMove();
      });
      progress.replaceChildren(h("p", { class: "move-what" }, `Moving the cache to ${to}`), bar, h("div", { class: "move-line" }, numbers, cancel));
      progress.hidden = false;
      setBusy(start, true);
      target.disabled = true;
      // The dialog gave the focus back to Move…, which can do nothing now; Cancel can.
      cancel.focus();
      status.replaceChildren();
      /** @param {import("../ipc-types").MoveProgress} p */
      const show = (p) => {
        const total = Math.max(p.bytesTotal, 1);
        const pct = ((p.bytesCopied + p.bytesVerified) / (2 * total)) * 100;
        /** @type {HTMLElement} */ (bar.firstChild).style.width = `${pct}%`;
        bar.setAttribute("aria-valuenow", pct.toFixed(0));
        const what = { copying: "Copying", verifying: "Checking the copy", removing: "Removing the old files", done: "Done" }[p.phase];
        const left = p.etaSeconds != null && p.phase !== "removing" ? ` · ${fmt.duration(p.etaSeconds)} left` : "";
        if (p.phase === "removing" || p.phase === "done") setBusy(cancel, true);
        if (!isBusy(cancel) || p.phase === "removing" || p.phase === "done") {
          numbers.textContent = `${what} · ${fmt.bytes(p.bytesCopied)} copied, ${fmt.bytes(p.bytesVerified)} checked of ${fmt.bytes(p.bytesTotal)}${left}`;
        }
        bar.setAttribute("aria-valuetext", `${pct.toFixed(0)}% · ${numbers.textContent}`);
      };
      // When the move ends its Cancel goes away: Move… takes the focus (and keeps it when the
      // form is redrawn with the new folder).
      const end = () => {
        const hadFocus = progress.contains(document.activeElement);
        progress.hidden = true;
        setBusy(start, false);
        target.disabled = false;
        if (hadFocus) start.focus();
      };
      try {
        const moved = await ipc.moveCache(to, show);
        end();
        status.replaceChildren(`Moved ${fmt.bytes(moved.bytes)} to ${to}.`);
        draw(await ipc.getSettings());
        onSaved();
      } catch (err) {
        const error = /** @type {import("../ipc-types").ErrorReport} */ (err);
        end();
        status.replaceChildren(error.kind === "cancelled" ? `Move cancelled. The cache stays in ${from}, as it was.` : errorBox(error));
        // A move that failed while removing the old files has already switched folders.
        if (error.kind !== "cancelled") void ipc.getSettings().then((fresh) => { draw(fresh); onSaved(); }, () => {});
      }
    };
    start.addEventListener("click", () => void go());
    const choose = chooseFolder(target, "Move the cache to", "a folder to move the cache to");
    return h("div", { class: "field move" }, h("label", { class: "label", for: target.id }, "Move the cache to"), h("div", { class: "actions" }, target, choose, start), progress);
  };

  /** @param {Partial<import("../ipc-types").SettingsUpdate>} update */
  async function save(update) {
    const full = { endpoint: null, cacheDir: null, token: null, concurrentJobs: null, connectionsPerFile: null, maxDownloadRate: null, ...update };
    try {
      draw(await ipc.setSettings(full));
      status.replaceChildren("Saved.");
      onSaved();
      void drawDiagnostics();
    } catch (err) {
      status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
    }
  }

  /** Version, settings and their sources, the log file: what a problem report needs, as the
   * backend words it (the same text "Copy diagnostics" copies). */
  async function drawDiagnostics() {
    /** @type {import("../ipc-types").Diagnostics} */
    let d;
    try {
      d = await ipc.diagnostics();
    } catch (err) {
      diagnostics.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
      return;
    }
    const copied = h("span", { class: "copied", role: "status" });
    const copy = async () => {
      // Asked again: the connection or the log file may have changed since this was drawn.
      const text = await ipc.diagnostics().then((fresh) => fresh.text, () => d.text);
      try {
        await navigator.clipboard.writeText(text);
        copied.replaceChildren("Copied.");
      } catch {
        // No clipboard access: show the text selected, for Ctrl+C.
        const area = h("textarea", { readonly: true, rows: "9", "aria-label": "Diagnostics" }, text);
        copied.replaceChildren(area, h("span", { class: "help" }, "Press Ctrl+C to copy."));
        area.select();
      }
    };
    const [title, ...lines] = d.text.split("\n");
    diagnostics.replaceChildren(
      h("h2", { id: "h-diagnostics" }, "Diagnostics"),
      h("p", { class: "version" }, title),
      h(
        "dl",
        {},
        ...lines.flatMap((line) => {
          const at = line.indexOf(": ");
          return [h("dt", {}, line.slice(0, at)), h("dd", {}, line.slice(at + 2))];
        }),
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => void ipc.revealLog().catch((err) => copied.replaceChildren(errorBox(err))) }, "Show log file"),
        h("button", { type: "button", class: "secondary", onclick: () => void copy() }, "Copy diagnostics"),
        copied,
      ),
    );
  }

  try {
    draw(await ipc.getSettings());
  } catch (err) {
    status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
  }
  await drawDiagnostics();
}
