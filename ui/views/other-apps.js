// @ts-check
/** The Library's "Other apps" part: the models Ollama, LM Studio, Jan, GPT4All, llama.cpp and
 * the person's own folders keep, which of them the Library holds too, and "Reclaim" to keep
 * one copy (hard links), undone per file by "Make a separate copy". */

import { confirmDialog, counterpart, errorBox, h, holdFocus } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";

/** @typedef {import("../ipc-types").OtherApps} OtherApps */
/** @typedef {import("../ipc-types").ShelvedFile} ShelvedFile */
/** @typedef {import("../ipc-types").SurveyedStore} SurveyedStore */
/** @typedef {import("../ipc-types").ErrorReport} ErrorReport */

/** @param {ShelvedFile} file */
function standing(file) {
  const cached = file.sameAs ? `${file.sameAs.repo}/${file.sameAs.path}` : "";
  switch (file.sharing) {
    case "shared": return `One copy with ${cached} in the Library`;
    case "reclaimable": return `Same bytes as ${cached} in the Library: kept twice`;
    case "otherFileSystem": return `Same bytes as ${cached}, on another disk: cannot be shared`;
    default: return file.sameAsOther ? `Not in the Library; same bytes as ${file.sameAsOther}` : "Not in the Library";
  }
}

/** @param {HTMLElement} container */
export function renderOtherApps(container) {
  const heading = h("h2", { class: "section-title", id: "other-apps-title", tabindex: "-1" }, "Other apps");
  const summary = h("p", { class: "summary" });
  const reclaim = h("button", { type: "button", class: "reclaim", hidden: true });
  const status = h("div", { class: "status-line", role: "status" });
  const hashing = h("div", { class: "hashing", hidden: true });
  const stores = h("div", { class: "stores" });
  const folderInput = h("input", { type: "text", id: "model-folder", class: "folder-input", placeholder: "/path/to/a/folder/of/gguf/files" });
  const folders = h("ul", { class: "folders" });
  const addFolder = h("button", { type: "button", class: "secondary" }, "Add folder");
  container.append(
    h("section", { class: "other-apps", "aria-labelledby": "other-apps-title" },
      h("div", { class: "toolbar" }, heading, summary, reclaim),
      status, hashing, stores,
      h("div", { class: "add-folder" }, h("label", { class: "meta", for: "model-folder" }, "Your own folders of GGUF files"), folders, h("div", { class: "row" }, folderInput, addFolder)),
    ),
  );

  /** @type {OtherApps | null} */ let last = null;
  /** @type {Promise<void> | null} */ let running = null;

  /** @param {ErrorReport} err */
  const failed = (err) => status.replaceChildren(errorBox(err));

  /** @param {SurveyedStore} store */
  const storeBlock = (store) => h(
    "div",
    { class: "store", "data-app": store.app },
    h("h3", {}, store.appName, h("span", { class: "meta" }, ` ${store.root}`)),
    store.models.length === 0
      ? h("p", { class: "meta" }, "No models.")
      : h("ul", { class: "repos" }, ...store.models.flatMap((model) => model.files.map((file) =>
        h("li", { class: "repo shelved", "data-path": file.path, "data-sharing": file.sharing ?? "none" },
          h("div", { class: "repo-head" }, h("strong", {}, model.name), h("span", { class: "size" }, fmt.bytes(file.size))),
          h("p", { class: "meta" }, standing(file)),
          file.sharing === "reclaimable"
            ? h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", "aria-label": `Reclaim ${fmt.bytes(file.size)} from ${store.appName}'s ${model.name}`, onclick: () => void reclaimFiles([file.path], file.size) }, "Reclaim"))
            : file.sharing === "shared"
              ? h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", "aria-label": `Make a separate copy of ${store.appName}'s ${model.name}`, onclick: () => void separate(file, model.name) }, "Make a separate copy"))
              : !file.sameAs && model.origin
                ? h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", "aria-label": `Add to Library: ${store.appName}'s ${model.name}`, onclick: () => void importFile(file, model.origin ?? "") }, "Add to Library"))
                : null,
        )))),
  );

  /** @param {OtherApps} apps */
  function show(apps) {
    // A Reclaim or a separate copy rebuilds the rows and may hide Reclaim: the focus stays on
    // the same file's row (its new button) or falls to the heading, never to the page's top.
    const restoreFocus = holdFocus(container.querySelector(".other-apps") ?? container);
    const path = document.activeElement?.closest("[data-path]")?.getAttribute("data-path") ?? null;
    last = apps;
    const models = apps.survey.stores.reduce((n, s) => n + s.models.length, 0);
    const names = apps.survey.stores.map((s) => s.appName);
    summary.textContent = apps.survey.stores.length === 0
      ? "No models of Ollama, LM Studio, Jan or GPT4All were found on this computer."
      : `${[...new Set(names)].join(", ")}: ${fmt.count(models)} ${models === 1 ? "model" : "models"}` +
        (apps.twiceBytes > 0 ? ` · ${fmt.bytes(apps.twiceBytes)} kept twice` : " · nothing kept twice");
    reclaim.hidden = apps.reclaimableBytes === 0;
    reclaim.textContent = `Reclaim ${fmt.bytes(apps.reclaimableBytes)}`;
    stores.replaceChildren(...apps.survey.stores.map(storeBlock));
    const row = path === null ? null : stores.querySelector(`[data-path="${CSS.escape(path)}"]`);
    restoreFocus((lost) => (row ? counterpart(row, lost) ?? row.querySelector("button") : null), heading);
    folders.replaceChildren(...apps.folders.map((folder) => h("li", {}, h("span", {}, folder), h("button", { type: "button", class: "secondary", "aria-label": `Remove ${folder}`, onclick: () => void setFolders(apps.folders.filter((f) => f !== folder)) }, "Remove"))));
  }

  let runs = 0;
  /**
   * A comparison with the Library (a survey's hashing, a Reclaim's check before sharing): the
   * name its Stop goes by, and a bar with Stop that it puts in `hashing` once it has bytes to
   * read (not a live region: it changes ten times a second). The backend runs one at a time,
   * so the one reporting takes the bar over; one that ended leaves a newer one's bar alone.
   * @param {string} what
   */
  function comparing(what) {
    // Unique across reloads of the page too: the backend may still run one named earlier.
    const runId = `other-apps-${Date.now()}-${++runs}`;
    const line = h("span", { class: "meta" });
    const fill = h("div", { class: "fill" });
    const bar = h("div", { class: "bar", role: "progressbar", "aria-label": what, "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
    const row = h("div", { class: "row" }, line, h("button", { type: "button", class: "secondary", onclick: () => void ipc.cancelShelfWork(runId) }, "Stop"));
    const owns = () => hashing.contains(bar);
    // A report can come after the answer: an ended comparison's bar does not come back.
    let ended = false;
    return {
      runId,
      report: (/** @type {import("../ipc-types").Hashing} */ p) => {
        if (p.total === 0 || ended) return;
        // Taking the bar over from a comparison whose Stop has the focus keeps it in the bar.
        const focused = hashing.contains(document.activeElement);
        if (!owns()) {
          hashing.replaceChildren(row, bar);
          if (focused) /** @type {HTMLElement} */ (row.querySelector("button")).focus();
        }
        hashing.hidden = false;
        const share = Math.round((100 * p.done) / p.total);
        line.textContent = `${what}: ${fmt.bytes(p.done)} of ${fmt.bytes(p.total)}`;
        fill.style.width = `${share}%`;
        bar.setAttribute("aria-valuenow", String(share));
      },
      /** Takes the bar away; the focus it held goes to `next`. @param {HTMLElement} next */
      end: (next) => {
        ended = true;
        if (!owns()) return;
        const focused = hashing.contains(document.activeElement);
        hashing.hidden = true;
        hashing.replaceChildren();
        if (focused) next.focus();
      },
    };
  }

  /** Surveys again; a survey already running is awaited instead of started twice. */
  function refresh() {
    running ??= (async () => {
      const comparison = comparing("Comparing files with the Library");
      /** @type {HTMLElement} */
      let next = heading;
      try {
        show(await ipc.surveyOtherApps(comparison.runId, comparison.report));
      } catch (err) {
        const report = ipc.asErrorReport(err);
        const again = h("button", { type: "button", class: "secondary", onclick: () => void refresh() }, "Compare again");
        if (report.kind === "cancelled") next = again;
        stores.replaceChildren(
          report.kind === "cancelled"
            ? h("div", { class: "stopped" }, h("p", { class: "meta" }, "Stopped comparing other apps' files with the Library."), again)
            : errorBox(report, () => void refresh()),
        );
      } finally {
        comparison.end(next);
        running = null;
      }
    })();
    return running;
  }

  /** @param {string[] | null} paths @param {number} bytes */
  async function reclaimFiles(paths, bytes) {
    const ok = await confirmDialog(
      `Reclaim ${fmt.bytes(bytes)}?`,
      "Each app keeps its file under the same name, made one copy with the Library's (a hard link): the same bytes, stored once. Nothing is deleted; \"Make a separate copy\" undoes it for a file.",
      "Reclaim",
    );
    if (!ok) return;
    status.replaceChildren("Reclaiming…");
    try {
      // Each file is read side by side with the Library's before it is linked: gigabytes.
      const comparison = comparing("Comparing with the Library before sharing");
      const done = await ipc.reclaimSpace(paths, comparison.runId, comparison.report).finally(() => comparison.end(heading));
      const failures = done.failures.map((f) => h("li", {}, `${f.path}: ${f.message}`));
      status.replaceChildren(
        h("p", {}, done.stopped ? `Stopped. Reclaimed ${fmt.bytes(done.freed)}; the other files are as they were.` : `Reclaimed ${fmt.bytes(done.freed)}.`),
        ...(failures.length ? [h("ul", { class: "problems" }, ...failures)] : []),
      );
    } catch (err) {
      failed(ipc.asErrorReport(err));
    }
    await refresh();
  }

  /** @param {ShelvedFile} file @param {string} name */
  async function separate(file, name) {
    const ok = await confirmDialog(`Make ${name} a separate copy?`, `It takes ${fmt.bytes(file.size)} more on disk; the app keeps its file as it is now.`, "Make a copy");
    if (!ok) return;
    status.replaceChildren(`Copying ${name}…`);
    try {
      await ipc.separateCopy(file.path);
      status.replaceChildren(`${name} is a separate copy again.`);
    } catch (err) {
      failed(ipc.asErrorReport(err));
    }
    await refresh();
  }

  /** @param {ShelvedFile} file @param {string} origin */
  async function importFile(file, origin) {
    status.replaceChildren(`Asking the Hub which file of ${origin} this is…`);
    try {
      const done = await ipc.importToLibrary(file.path);
      status.replaceChildren(`Added to the Library as ${done.repo}/${done.path}, sharing the app's copy: Python and llama.cpp see it now.`);
    } catch (err) {
      failed(ipc.asErrorReport(err));
    }
    await refresh();
  }

  /** @param {string[]} list */
  async function setFolders(list) {
    try {
      await ipc.setModelFolders(list);
      folderInput.value = "";
      status.replaceChildren();
    } catch (err) {
      failed(ipc.asErrorReport(err));
      return;
    }
    await refresh();
  }

  reclaim.addEventListener("click", () => void reclaimFiles(null, last?.reclaimableBytes ?? 0));
  addFolder.addEventListener("click", () => {
    const folder = folderInput.value.trim();
    if (folder) void setFolders([...(last?.folders ?? []), folder]);
  });
  return { refresh };
}
