// @ts-check
/** Browse: search the Hub, newest query wins, more results as you scroll; paste a repo id or
 * a Hub URL to open it directly. With an empty search box it offers popular searches; when
 * the Hub does not answer it says so and searches again once it does. */

import * as connection from "../connection.js";
import { h, errorBox, holdFocus, isBusy, setBusy } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import { estimatedSize, fitOn, paramCount } from "../fit.js";
import { ggufKey } from "./model.js";

/** @typedef {import("../ipc-types").ModelListing} ModelListing */

const DEBOUNCE_MS = 300;

/** Starting points for someone who does not know what to search for yet. */
export const POPULAR_SEARCHES = ["Llama", "Qwen", "Mistral", "Gemma", "Phi", "DeepSeek", "embedding", "whisper"];

/** `org/name` or a huggingface.co URL, as a repo id; otherwise null. */
export function directRepo(/** @type {string} */ text) {
  const trimmed = text.trim();
  const url = trimmed.match(/^https?:\/\/[^/]+\/(?!datasets\/|spaces\/)([\w.-]+\/[\w.-]+)/);
  if (url) return url[1];
  return /^[\w.-]+\/[\w.-]+$/.test(trimmed) ? trimmed : null;
}

/**
 * How many quantizations a listing's GGUF files hold (split parts of one count once).
 * @param {string[]} files
 */
export function quantCount(files) {
  return new Set(files.map((f) => ggufKey(f)?.group).filter(Boolean)).size;
}

/**
 * Whether a listing fits this machine, from its parameter count: its usual smallest good
 * quantization for GGUF repos, its 16-bit weights otherwise. Unknown stays in (null).
 * @param {ModelListing} model
 * @param {import("../ipc-types").MachineProfile | null} profile
 * @returns {boolean | null}
 */
export function listingFits(model, profile) {
  const fit = fitOn(estimatedSize(model.parameters, model.ggufFiles.length > 0), profile);
  return fit ? fit.level !== "too-big" : null;
}

/**
 * @param {HTMLElement} section
 * @param {(repo: string) => void} openModel
 */
export function renderBrowse(section, openModel) {
  const input = h("input", { type: "search", class: "search", placeholder: "Search models, or paste org/name or a Hub link", "aria-label": "Search models" });
  const sort = h(
    "select",
    { "aria-label": "Sort by" },
    h("option", { value: "trendingScore" }, "Trending"),
    h("option", { value: "downloads" }, "Most downloads"),
    h("option", { value: "likes" }, "Most likes"),
    h("option", { value: "lastModified" }, "Recently updated"),
  );
  const filters = [
    ["gguf", "GGUF"],
    ["safetensors", "safetensors"],
    ["text-generation", "Text generation"],
  ].map(([tag, label]) => h("label", { class: "chip" }, h("input", { type: "checkbox", value: tag }), label));
  const author = /** @type {HTMLInputElement} */ (h("input", { type: "search", class: "author", placeholder: "Author or organization", "aria-label": "Author" }));
  const fitsBox = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox" }));
  const fitsFilter = h("label", { class: "chip", title: "Hides models whose estimated size (from the parameter count) does not fit this machine's GPU memory and RAM. Models of unknown size stay." }, fitsBox, "Fits this machine");
  /** @type {import("../ipc-types").MachineProfile | null} */
  let profile = null;
  /** Repositories in the Library (the cache), for the "in Library" mark. */
  let inLibrary = new Set();
  const machineKnown = ipc.machineProfile().then((p) => { profile = p; }, () => {});
  const readLibrary = () => ipc.listCache().then((o) => { inLibrary = new Set(o.scan.repos.filter((r) => r.repoType === "model").map((r) => r.repoId)); }, () => {});
  const libraryKnown = readLibrary();
  // A download changes the cache every few seconds: the marks are read again only while
  // Browse is shown (or when it is shown again), not with a scan of the cache each time.
  let libraryStale = false;
  const refreshMarks = () => {
    if (section.hidden) {
      libraryStale = true;
      return;
    }
    libraryStale = false;
    void readLibrary().then(markLibrary);
  };
  void ipc.listen("cache-changed", refreshMarks);
  new MutationObserver(() => {
    if (libraryStale) refreshMarks();
  }).observe(section, { attributes: true, attributeFilter: ["hidden"] });
  // The list is not live (a screen reader would read every result of every search); the line
  // above it is, and says how many there are.
  const list = h("ol", { class: "results", "aria-label": "Results" });
  const status = h("div", { class: "status-line", role: "status" });
  const sentinel = h("div", { class: "sentinel" });
  const popular = h(
    "div",
    { class: "popular" },
    h("span", { class: "label" }, "Popular searches:"),
    ...POPULAR_SEARCHES.map((term) =>
      h("button", { type: "button", class: "link", onclick: () => { input.value = term; void load(false); } }, term),
    ),
  );
  section.append(h("div", { class: "toolbar" }, input, sort, ...filters, author, fitsFilter), popular, status, list, sentinel);
  /** The last load failed because the Hub did not answer. */
  let offline = false;

  let generation = 0;
  /** @type {string | null} */
  let next = null;
  let loading = false;
  /** How many results the list holds (the "Open org/name" entry is not one). */
  let shown = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  /** @param {ModelListing} model */
  const row = (model) => {
    const quants = quantCount(model.ggufFiles);
    const fits = listingFits(model, profile);
    return h(
      "li",
      { "data-result": model.id, "data-fits": String(fits) },
      h(
        "button",
        { type: "button", class: "result", onclick: () => openModel(model.id) },
        h("span", { class: "name" }, model.id),
        h(
          "span",
          { class: "marks" },
          h("span", { class: "badge library", hidden: !inLibrary.has(model.id) }, "in Library"),
          model.gated !== "no" ? h("span", { class: "badge gated" }, "gated") : null,
        ),
        h(
          "span",
          { class: "facts" },
          model.parameters ? h("span", { class: "params" }, `${paramCount(model.parameters)} params`) : null,
          quants ? h("span", { class: "badge gguf" }, `GGUF · ${quants === 1 ? "1 quantization" : `${quants} quantizations`}`) : null,
          fits === false ? h("span", { class: "badge fit too-big" }, "too big for this machine") : null,
        ),
        h("span", { class: "meta" }, `${model.pipelineTag ?? "model"} · ↓ ${fmt.count(model.downloads)} · ♥ ${fmt.count(model.likes)} · updated ${fmt.ago(model.lastModified)}`),
      ),
    );
  };
  /** Redraws the "in Library" marks after the Library changed. */
  const markLibrary = () => {
    for (const li of list.querySelectorAll("li[data-result]")) {
      const mark = /** @type {HTMLElement | null} */ (li.querySelector(".badge.library"));
      if (mark) mark.hidden = !inLibrary.has(li.getAttribute("data-result") ?? "");
    }
  };
  /** How many results there are, and how many of them "Fits this machine" hides. */
  const countLine = () => `${shown === 1 ? "1 model" : `${shown} models`}${hiddenBig ? `, ${hiddenBig} too big for this machine hidden` : ""}${next ? ", more as you scroll" : ""}`;
  /** Results hidden by "Fits this machine", for the status line. */
  let hiddenBig = 0;
  const applyFits = () => {
    hiddenBig = 0;
    for (const li of list.querySelectorAll("li[data-fits]")) {
      const hide = fitsBox.checked && li.getAttribute("data-fits") === "false";
      /** @type {HTMLElement} */ (li).hidden = hide;
      if (hide) hiddenBig += 1;
    }
  };

  /** @param {boolean} more */
  async function load(more) {
    const mine = more ? generation : ++generation;
    const query = input.value.trim();
    // What a search replaces (the popular searches, the offline state's or an error's "Try
    // again") may hold the focus: the search box takes it, with the words searched for.
    const restoreFocus = holdFocus(section);
    popular.hidden = query !== "";
    if (!more) {
      list.replaceChildren();
      next = null;
      const direct = directRepo(query);
      if (direct) list.append(h("li", {}, h("button", { type: "button", class: "result direct", onclick: () => openModel(direct) }, h("span", { class: "name" }, `Open ${direct}`))));
    }
    loading = true;
    status.replaceChildren(h("span", { class: "loading" }, more ? "Loading more…" : "Searching…"));
    restoreFocus(input);
    try {
      const results = await ipc.searchModels({
        search: directRepo(query) && query.includes("://") ? null : query || null,
        author: author.value.trim() || null,
        sort: sort.value,
        filters: filters.map((f) => /** @type {HTMLInputElement} */ (f.firstChild)).filter((c) => c.checked).map((c) => c.value),
        limit: 30,
        next: more ? next : null,
      });
      // The marks need the machine and the Library; both are asked once, at the start.
      await Promise.all([machineKnown, libraryKnown]);
      // A newer query superseded this one while it was on its way: drop the answer.
      if (mine !== generation) return;
      offline = false;
      next = results.next;
      list.append(...results.models.map(row));
      applyFits();
      shown = (more ? shown : 0) + results.models.length;
      status.replaceChildren(
        shown > 0
          ? countLine()
          : list.children.length === 0 ? h("p", { class: "empty" }, query ? `No models match “${query}”.` : "No models.") : "",
      );
    } catch (err) {
      if (mine !== generation) return;
      const error = /** @type {import("../ipc-types").ErrorReport} */ (err);
      // A network error may be the Hub refusing this one request (rate limit, server error):
      // offline only if the backend found the endpoint unreachable (or was told to stay off).
      const info = error.kind === "network" ? await ipc.appInfo().catch(() => null) : null;
      if (mine !== generation) return;
      offline = info !== null && !info.online;
      if (offline) connection.set(false);
      status.replaceChildren(offline ? offlineState(Boolean(info?.offline), () => void load(more)) : errorBox(error, () => void load(more)));
    } finally {
      if (mine === generation) loading = false;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(false), DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    const direct = directRepo(input.value);
    if (event.key === "Enter" && direct) openModel(direct);
  });
  // Back online: the search that failed runs again by itself.
  connection.subscribe((online) => {
    if (online && offline) void load(false);
  });
  sort.addEventListener("change", () => void load(false));
  for (const f of filters) f.addEventListener("change", () => void load(false));
  author.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(false), DEBOUNCE_MS);
  });
  // A filter of what is already here: no new search.
  fitsBox.addEventListener("change", () => {
    applyFits();
    if (shown > 0 && !loading) status.replaceChildren(countLine());
  });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && next && !loading) void load(true);
  }).observe(sentinel);
  void load(false);
  return { focus: () => input.focus() };
}

/**
 * What Browse shows while the Hub cannot be reached, or must not be (HF_HUB_OFFLINE).
 * @param {boolean} byChoice
 * @param {() => void} retry
 */
function offlineState(byChoice, retry) {
  if (byChoice) {
    return h(
      "div",
      { class: "offline-state", role: "status" },
      h("h2", {}, "Offline mode"),
      h("p", {}, "HF_HUB_OFFLINE is set, so Modelshelf does not contact the Hub. Models you have already downloaded are in the Library. Start Modelshelf without the variable to search and download."),
    );
  }
  const again = h("button", { type: "button" }, "Try again");
  again.addEventListener("click", async () => {
    if (isBusy(again)) return;
    setBusy(again, true);
    try {
      await connection.check();
    } catch {
      // Searching again below reports whatever is wrong.
    }
    retry();
  });
  return h(
    "div",
    { class: "offline-state", role: "status" },
    h("h2", {}, "You are offline"),
    h("p", {}, "Searching needs the Hub, and it does not answer right now. Models you have already downloaded are in the Library, and downloads carry on by themselves when the connection is back."),
    again,
  );
}
