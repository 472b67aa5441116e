// @ts-check
/** Library: what the Hugging Face cache holds, however it got there; sizes, free space,
 * problems; sorted and searched; delete a repository, a revision, a quantization or one file,
 * prune, reveal and copy paths; redrawn when the cache changes on disk. */

import { confirmDialog, copyText, counterpart, errorBox, h, holdFocus } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import { ggufUses } from "./elsewhere.js";
import { renderOtherApps } from "./other-apps.js";

/** @typedef {import("../ipc-types").CachedRepo} CachedRepo */
/** @typedef {import("../ipc-types").CachedRevision} CachedRevision */

/** @type {Record<string, {label: string, compare: (a: CachedRepo, b: CachedRepo) => number}>} */
const SORTS = {
  size: { label: "Size", compare: (a, b) => b.sizeOnDisk - a.sizeOnDisk || a.repoId.localeCompare(b.repoId) },
  used: { label: "Last used", compare: (a, b) => b.lastAccessed - a.lastAccessed || a.repoId.localeCompare(b.repoId) },
  name: { label: "Name", compare: (a, b) => a.repoId.localeCompare(b.repoId) },
};

/**
 * What deleting `paths` of revision `commit` (null: every revision) gives back: the blobs no
 * other file of the repository (in any revision) points to, each counted once, and files that
 * are copies, not links, at their own size (`freed`); but bytes another app's hard link keeps
 * stay on the disk (`linked`). As the backend reckons it when it deletes.
 * @param {CachedRepo} repo
 * @param {string | null} commit
 * @param {string[] | null} paths null for the whole revision
 * @returns {{ freed: number, linked: number }}
 */
export function release(repo, commit, paths) {
  const going = (/** @type {CachedRevision} */ r, /** @type {string} */ path) => (commit === null || r.commit === commit) && (paths === null || paths.includes(path));
  const kept = new Set(repo.revisions.flatMap((r) => r.files.filter((f) => f.blob && !going(r, f.path)).map((f) => f.blob)));
  /** @type {Map<string, { size: number, linked: boolean }>} */
  const gone = new Map();
  for (const r of repo.revisions) {
    for (const f of r.files) {
      if (!going(r, f.path)) continue;
      if (!f.blob) gone.set(`copy:${r.commit}/${f.path}`, { size: f.size, linked: f.linkedElsewhere });
      else if (!kept.has(f.blob)) gone.set(f.blob, { size: f.size, linked: f.linkedElsewhere });
    }
  }
  let freed = 0;
  let linked = 0;
  for (const g of gone.values()) {
    if (g.linked) linked += g.size;
    else freed += g.size;
  }
  return { freed, linked };
}

/** "This frees …" for a delete's question. @param {{ freed: number, linked: number }} r */
const frees = (r) => `This frees ${r.freed === 0 && r.linked > 0 ? "no space" : fmt.bytes(r.freed)}`;
/** The sentence for what another app's hard links keep on the disk, if anything. @param {{ linked: number }} r */
const linkedNote = (r) => (r.linked > 0 ? ` ${fmt.bytes(r.linked)} stays on the disk: another app uses the same data through a hard link.` : "");

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
  const search = h("input", { type: "search", class: "library-search", name: "librarySearch", placeholder: "Search the Library", "aria-label": "Search the Library" });
  const sort = h("select", { name: "librarySort", "aria-label": "Sort by" }, ...Object.entries(SORTS).map(([value, s]) => h("option", { value }, s.label)));
  section.append(
    h("div", { class: "toolbar" }, summary, prune),
    h("div", { class: "toolbar library-filters" }, search, h("label", { class: "sort-label" }, "Sort by ", sort)),
    status,
    list,
  );
  const otherApps = renderOtherApps(section);
  /** @type {import("../ipc-types").CacheOverview | null} */
  let overview = null;
  /** Repositories whose files and revisions are open: a redraw keeps them open. */
  const opened = new Set();

  /**
   * Deletes `target` (or, with several paths, each of them) after the person confirmed;
   * says what it freed, or what went wrong.
   * @param {string} question @param {string} message @param {string} done what was deleted, for the outcome
   * @param {import("../ipc-types").CacheTarget[]} targets
   */
  const deleteConfirmed = async (question, message, done, targets) => {
    const ok = await confirmDialog(question, message, "Delete");
    if (!ok) return;
    let bytes = 0;
    try {
      // Split parts go one by one: a part that fails leaves the others said as freed.
      for (const target of targets) bytes += (await ipc.deleteFromCache(target)).bytes;
      status.replaceChildren(`Deleted ${done}, freed ${fmt.bytes(bytes)}.`);
    } catch (err) {
      const box = errorBox(ipc.asErrorReport(err));
      // The parts deleted before the failure are gone: say what they freed.
      status.replaceChildren(...(bytes > 0 ? [h("p", {}, `Freed ${fmt.bytes(bytes)} before this:`)] : []), box);
    }
    await refresh();
    // The cache watcher may have rebuilt the list while the question was open: the dialog then
    // handed the focus back to a button no longer in the page. The heading takes it instead.
    if (!document.activeElement || document.activeElement === document.body) {
      /** @type {HTMLElement | null} */ (section.querySelector("h1"))?.focus();
    }
  };
  const shared = "for every program that shares this cache";
  /** A revision lists this many of its files; the search finds the others. */
  const MAX_FILES_SHOWN = 500;

  /** @param {CachedRepo} repo */
  const row = (repo) => {
    const refs = repo.revisions.flatMap((r) => r.refs);
    const problems = repo.problems.map((p) => /** @type {Record<string, string>} */ (PROBLEMS)[p.kind]);
    const folder = `${section.dataset.root}/${repo.folder}`;
    const remove = () => {
      // As the backend counts a whole repository: its size, less what other apps' links keep.
      const { linked } = release(repo, null, null);
      const all = { freed: Math.max(0, repo.sizeOnDisk - linked), linked };
      void deleteConfirmed(`Delete ${repo.repoId}?`, `${frees(all)} and removes it ${shared}.${linkedNote(all)}`, repo.repoId, [
        { repoType: repo.repoType, repoId: repo.repoId, commit: null, path: null },
      ]);
    };
    /** @param {import("./elsewhere.js").Quantization} q */
    const removeQuantization = (q) => {
      const paths = q.files.map((f) => f.path);
      const parts = q.files.length > 1 ? ` (${fmt.plural(q.files.length, "part")})` : "";
      const gone = release(repo, q.commit, paths);
      void deleteConfirmed(
        `Delete ${q.quant} of ${repo.repoId}?`,
        `${frees(gone)}${parts} and removes it ${shared}. The other files stay.${linkedNote(gone)}`,
        `${q.quant} of ${repo.repoId}`,
        paths.map((path) => ({ repoType: repo.repoType, repoId: repo.repoId, commit: q.commit, path })),
      );
    };
    const details = h("details", { class: "repo-files" }, h("summary", {}, `Files and revisions of ${repo.repoId}`));
    // Built when first opened: a repository of 80,000 files must not cost the Library its
    // rows (and the window its frames) for a list nobody asked to see.
    let filled = false;
    const fill = () => {
      if (filled) return;
      filled = true;
      details.append(...repo.revisions.map((r) => revisionBlock(repo, r, folder)));
    };
    if (opened.has(repo.repoId)) {
      fill();
      details.open = true;
    }
    details.addEventListener("toggle", () => {
      if (details.open) {
        opened.add(repo.repoId);
        fill();
      } else {
        opened.delete(repo.repoId);
      }
    });
    return h(
      "li",
      { class: "repo", "data-repo": repo.repoId },
      h("div", { class: "repo-head" },
        h("strong", {}, repo.repoId),
        repo.repoType !== "model" ? h("span", { class: "badge" }, repo.repoType) : null,
        h("span", { class: "size" }, fmt.bytes(repo.sizeOnDisk)),
      ),
      h("p", { class: "meta" }, `${fmt.plural(repo.nbFiles, "file")} · ${fmt.plural(repo.revisions.length, "revision")}${refs.length ? ` (${refs.join(", ")})` : ""} · used ${fmt.ago(repo.lastAccessed)}`),
      problems.length ? h("p", { class: "problems" }, `Needs attention: ${[...new Set(problems)].join(", ")}`) : null,
      ggufUses(repo, status, removeQuantization),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", "data-action": "reveal", "aria-label": `Show in folder, ${repo.repoId}`, onclick: () => void ipc.revealInFileManager(folder).catch((e) => status.replaceChildren(errorBox(e))) }, "Show in folder"),
        h("button", { type: "button", class: "secondary", "data-action": "open-hub", "aria-label": `Open on Hugging Face, ${repo.repoId}`, onclick: () => void ipc.openOnHub(repo.repoId, repo.repoType).catch((e) => status.replaceChildren(errorBox(e))) }, "Open on Hugging Face"),
        h("button", { type: "button", class: "secondary", "data-action": "copy-path", "aria-label": `Copy path of ${repo.repoId}`, onclick: () => void copyText(folder, status, `Path of ${repo.repoId}`) }, "Copy path"),
        h("button", { type: "button", class: "danger", "data-action": "delete", "aria-label": `Delete ${repo.repoId}`, onclick: remove }, "Delete"),
      ),
      details,
    );
  };

  /**
   * One revision: its commit, branches and size, Delete revision, and each file with Copy
   * path and Delete.
   * @param {CachedRepo} repo @param {CachedRevision} revision @param {string} folder
   */
  const revisionBlock = (repo, revision, folder) => {
    const short = revision.commit.slice(0, 8);
    const revisionGone = release(repo, revision.commit, null);
    const where = `revision ${short}${revision.refs.length ? ` (${revision.refs.join(", ")})` : ""}`;
    /** @param {import("../ipc-types").CachedFile} file */
    const fileRow = (file) => {
      const path = `${folder}/snapshots/${revision.commit}/${file.path}`;
      // Worked out when asked: over every file of every revision, 500 rows of it would freeze
      // the window on each redraw of a large repository.
      const gone = () => release(repo, revision.commit, [file.path]);
      /** @param {{ freed: number, linked: number }} r */
      const question = (r) =>
        r.freed > 0
          ? `This frees ${fmt.bytes(r.freed)} and removes the file from ${where} of ${repo.repoId} ${shared}.`
          : `${r.linked > 0 ? "Another app uses the same data through a hard link" : "Another revision keeps the same data"}, so this frees no space; it removes the file from ${where} of ${repo.repoId}.`;
      return h(
        "li",
        { "data-file": file.path },
        h("span", { class: "file-path" }, file.path),
        h("span", { class: "meta" }, fmt.bytes(file.size)),
        h("span", { class: "uses" },
          h("button", { type: "button", class: "secondary small", "data-action": `copy:${revision.commit}/${file.path}`, "aria-label": `Copy path of ${file.path} in ${repo.repoId}`, onclick: () => void copyText(path, status, `Path of ${file.path}`) }, "Copy path"),
          h("button", {
            type: "button",
            class: "danger small",
            "data-action": `delete:${revision.commit}/${file.path}`,
            "aria-label": `Delete ${file.path} of ${repo.repoId}, ${fmt.bytes(file.size)}`,
            onclick: () =>
              void deleteConfirmed(
                `Delete ${file.path}?`,
                question(gone()),
                file.path,
                [{ repoType: repo.repoType, repoId: repo.repoId, commit: revision.commit, path: file.path }],
              ),
          }, "Delete"),
        ),
      );
    };
    return h(
      "div",
      { class: "revision", "data-commit": revision.commit },
      h("div", { class: "revision-head" },
        h("code", {}, short),
        revision.refs.length ? h("span", { class: "badge" }, revision.refs.join(", ")) : null,
        h("span", { class: "meta" }, `${fmt.plural(revision.files.length, "file")} · ${fmt.bytes(revision.sizeOnDisk)}`),
        h("button", {
          type: "button",
          class: "danger small",
          "data-action": `delete-revision:${revision.commit}`,
          "aria-label": `Delete revision ${short} of ${repo.repoId}, frees ${fmt.bytes(revisionGone.freed)}`,
          onclick: () =>
            void deleteConfirmed(
              `Delete ${where} of ${repo.repoId}?`,
              `${frees(revisionGone)} and removes ${fmt.plural(revision.files.length, "file")} ${shared}. Data other revisions use stays.${linkedNote(revisionGone)}`,
              `${where} of ${repo.repoId}`,
              [{ repoType: repo.repoType, repoId: repo.repoId, commit: revision.commit, path: null }],
            ),
        }, "Delete revision"),
      ),
      h("ul", { class: "files" }, ...revision.files.slice(0, MAX_FILES_SHOWN).map(fileRow)),
      revision.files.length > MAX_FILES_SHOWN
        ? h("p", { class: "meta" }, `and ${fmt.plural(revision.files.length - MAX_FILES_SHOWN, "more file")}`)
        : null,
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
    // In the same repository, a control that went away (a deleted file's Delete) hands the
    // focus to the one now in its place: the next file's.
    const buttonIndex = index >= 0 ? [...list.children[index].querySelectorAll("button")].indexOf(/** @type {HTMLButtonElement} */ (document.activeElement)) : -1;
    rebuild();
    const rowOf = (/** @type {string | null} */ id) => (id === null ? null : list.querySelector(`[data-repo="${CSS.escape(id)}"]`));
    const inRow = (/** @type {Element | null | undefined} */ row) => (/** @type {Element} */ lost) => (row ? counterpart(row, lost) ?? row.querySelector("button") : null);
    const samePlace = (/** @type {Element | null} */ row) => {
      const buttons = row ? [...row.querySelectorAll("button")] : [];
      return buttonIndex >= 0 && buttons.length ? buttons[Math.min(buttonIndex, buttons.length - 1)] : null;
    };
    const sameRow = rowOf(repoId);
    restoreFocus((lost) => (sameRow ? counterpart(sameRow, lost) : null), samePlace(sameRow), inRow(list.children[Math.max(0, index)]), inRow(list.lastElementChild), section.querySelector("h1"));
  }

  /** Draws the repositories of the last scan that match the search, in the chosen order. */
  function drawRepos() {
    if (!overview) return;
    const scan = overview.scan;
    const words = search.value.trim().toLowerCase();
    const matches = (/** @type {CachedRepo} */ r) => !words || r.repoId.toLowerCase().includes(words) || r.revisions.some((rev) => rev.files.some((f) => f.path.toLowerCase().includes(words)));
    const shown = scan.repos.filter(matches).sort(SORTS[sort.value].compare);
    const count = shown.length === scan.repos.length ? fmt.plural(scan.repos.length, "repository", "repositories") : `${shown.length} of ${fmt.plural(scan.repos.length, "repository", "repositories")}`;
    summary.textContent = `${count} · ${fmt.bytes(scan.sizeOnDisk)} in ${scan.root}` + (overview.freeBytes != null ? ` · ${fmt.bytes(overview.freeBytes)} free` : "");
    // The page, not the toggle events, says what is open: a click just before a redraw has
    // opened a row whose toggle event Chromium drops once the row is gone.
    for (const details of list.querySelectorAll("details.repo-files")) {
      const repoId = details.closest("[data-repo]")?.getAttribute("data-repo");
      if (repoId == null) continue;
      if (/** @type {HTMLDetailsElement} */ (details).open) opened.add(repoId);
      else opened.delete(repoId);
    }
    list.replaceChildren(...shown.map(row));
    if (scan.repos.length === 0) {
      list.replaceChildren(h("li", { class: "empty" }, `Nothing here yet. Models you download are stored in ${scan.root}, the folder Python's huggingface_hub uses too, so models either of them downloads show up here.`));
    } else if (shown.length === 0) {
      list.replaceChildren(h("li", { class: "empty" }, `Nothing in the Library matches “${search.value.trim()}”.`));
    }
  }
  search.addEventListener("input", () => rebuildList(drawRepos));
  sort.addEventListener("change", () => rebuildList(drawRepos));

  async function refresh() {
    try {
      const fresh = await ipc.listCache();
      overview = fresh;
      section.dataset.root = fresh.scan.root;
      // Leftovers at the top of the cache (empty repo folders) count too: Clean up removes them.
      const problems = fresh.scan.repos.reduce((n, r) => n + r.problems.length, fresh.scan.problems.length);
      rebuildList(() => {
        prune.hidden = problems === 0 && !fresh.scan.repos.some((r) => r.revisions.length > 1);
        drawRepos();
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
