// @ts-check
/** Library: what the Hugging Face cache holds, however it got there; sizes, free space,
 * problems; delete, prune and reveal; redrawn when the cache changes on disk. */

import { confirmDialog, counterpart, errorBox, h, holdFocus } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import { ggufUses } from "./elsewhere.js";
import { renderOtherApps } from "./other-apps.js";

/** @typedef {import("../ipc-types").CachedRepo} CachedRepo */

const PROBLEMS = {
  incompleteDownload: "unfinished download",
  orphanBlob: "unused file",
  brokenSymlink: "missing file",
  danglingRef: "broken branch reference",
  unexpected: "unexpected file",
  emptyFolder: "empty folder",
};

/** @param {HTMLElement} section */
export function renderLibrary(section) {
  const summary = h("p", { class: "summary" });
  const list = h("ul", { class: "repos" });
  const status = h("div", { class: "status-line", role: "status" });
  const prune = h("button", { type: "button", class: "secondary" }, "Clean up");
  section.append(h("div", { class: "toolbar" }, summary, prune), status, list);
  const otherApps = renderOtherApps(section);

  /** @param {CachedRepo} repo */
  const row = (repo) => {
    const refs = repo.revisions.flatMap((r) => r.refs);
    const problems = repo.problems.map((p) => /** @type {Record<string, string>} */ (PROBLEMS)[p.kind]);
    const remove = async () => {
      const ok = await confirmDialog(`Delete ${repo.repoId}?`, `This frees ${fmt.bytes(repo.sizeOnDisk)} and removes it for every program that shares this cache.`, "Delete");
      if (!ok) return;
      try {
        const freed = await ipc.deleteFromCache({ repoType: repo.repoType, repoId: repo.repoId, commit: null, path: null });
        status.replaceChildren(`Deleted ${repo.repoId}, freed ${fmt.bytes(freed.bytes)}.`);
      } catch (err) {
        status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
      }
      await refresh();
    };
    return h(
      "li",
      { class: "repo", "data-repo": repo.repoId },
      h("div", { class: "repo-head" },
        h("strong", {}, repo.repoId),
        repo.repoType !== "model" ? h("span", { class: "badge" }, repo.repoType) : null,
        h("span", { class: "size" }, fmt.bytes(repo.sizeOnDisk)),
      ),
      h("p", { class: "meta" }, `${repo.nbFiles} files · ${repo.revisions.length} revision${repo.revisions.length === 1 ? "" : "s"}${refs.length ? ` (${refs.join(", ")})` : ""} · used ${fmt.ago(repo.lastAccessed)}`),
      problems.length ? h("p", { class: "problems" }, `Needs attention: ${[...new Set(problems)].join(", ")}`) : null,
      ggufUses(repo, status),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", "data-action": "reveal", "aria-label": `Show in folder, ${repo.repoId}`, onclick: () => void ipc.revealInFileManager(`${section.dataset.root}/${repo.folder}`).catch((e) => status.replaceChildren(errorBox(e))) }, "Show in folder"),
        h("button", { type: "button", class: "secondary", "data-action": "open-hub", "aria-label": `Open on Hugging Face, ${repo.repoId}`, onclick: () => void ipc.openOnHub(repo.repoId, repo.repoType).catch((e) => status.replaceChildren(errorBox(e))) }, "Open on Hugging Face"),
        h("button", { type: "button", class: "danger", "data-action": "delete", "aria-label": `Delete ${repo.repoId}`, onclick: () => void remove() }, "Delete"),
      ),
    );
  };

  /**
   * Rebuilds the list; if that took the focus, it goes to the same control of the same
   * repository, or of the one now in its place (the next, after a delete), or the heading.
   * @param {() => void} rebuild
   */
  function rebuildList(rebuild) {
    const restoreFocus = holdFocus(section);
    const index = [...list.children].findIndex((li) => li.contains(document.activeElement));
    const repoId = index >= 0 ? list.children[index].getAttribute("data-repo") : null;
    rebuild();
    const rowOf = (/** @type {string | null} */ id) => (id === null ? null : list.querySelector(`[data-repo="${CSS.escape(id)}"]`));
    const inRow = (/** @type {Element | null | undefined} */ row) => (/** @type {Element} */ lost) => (row ? counterpart(row, lost) ?? row.querySelector("button") : null);
    restoreFocus(inRow(rowOf(repoId)), inRow(list.children[Math.max(0, index)]), inRow(list.lastElementChild), section.querySelector("h1"));
  }

  async function refresh() {
    try {
      const overview = await ipc.listCache();
      section.dataset.root = overview.scan.root;
      summary.textContent = `${overview.scan.repos.length} repositories · ${fmt.bytes(overview.scan.sizeOnDisk)} in ${overview.scan.root}` + (overview.freeBytes != null ? ` · ${fmt.bytes(overview.freeBytes)} free` : "");
      // Leftovers at the top of the cache (empty repo folders) count too: Clean up removes them.
      const problems = overview.scan.repos.reduce((n, r) => n + r.problems.length, overview.scan.problems.length);
      rebuildList(() => {
        prune.hidden = problems === 0 && !overview.scan.repos.some((r) => r.revisions.length > 1);
        list.replaceChildren(...overview.scan.repos.map(row));
        if (overview.scan.repos.length === 0) {
          list.replaceChildren(h("li", { class: "empty" }, `Nothing here yet. Models you download are stored in ${overview.scan.root}, the folder Python's huggingface_hub uses too, so models either of them downloads show up here.`));
        }
      });
    } catch (err) {
      rebuildList(() => list.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err), () => void refresh())));
    }
  }

  async function cleanUp() {
    const ok = await confirmDialog("Clean up the cache?", "Removes unfinished downloads nobody is writing, files no model uses, and old revisions that an update replaced.", "Clean up");
    if (!ok) return;
    try {
      const freed = await ipc.pruneCache();
      status.replaceChildren(`Cleaned up ${fmt.bytes(freed.bytes)}.`);
    } catch (err) {
      status.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
    }
    await refresh();
  }
  prune.addEventListener("click", () => void cleanUp());
  void ipc.listen("cache-changed", () => void refresh());
  void refresh();
  return {
    refresh: async () => {
      await refresh();
      // Other apps are compared when the Library is opened, not on every change in the cache:
      // the first comparison may read gigabytes.
      await otherApps.refresh();
    },
    cleanUp,
  };
}
