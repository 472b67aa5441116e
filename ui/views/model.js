// @ts-check
/** Model: the card, what the repo holds (GGUF quantizations grouped, split files as one), what
 * is already in the cache, and download buttons for one item, a selection or everything. */

import { h, errorBox } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import * as jobs from "../jobs.js";

/** @typedef {import("../ipc-types").ModelDetails} ModelDetails */
/** @typedef {import("../ipc-types").ModelFileInfo} ModelFileInfo */

/** A GGUF file's quantization (`Q4_K_M`, `IQ3_XS`, `F16`...) and its split part, if any. */
export function ggufKey(/** @type {string} */ path) {
  const name = path.split("/").pop() ?? path;
  if (!name.toLowerCase().endsWith(".gguf")) return null;
  const base = name.replace(/-\d{5}-of-\d{5}\.gguf$/i, ".gguf");
  const quant = base.match(/[-._]((?:I?Q\d+(?:_[A-Z0-9]+)*)|BF16|F16|F32)\.gguf$/i);
  const folder = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  return { group: folder + base, quant: quant ? quant[1].toUpperCase() : base.replace(/\.gguf$/i, "") };
}

/**
 * Whether a GGUF of `size` bytes is likely to run in `memory` bytes of RAM. llama.cpp maps the
 * file and needs room for the context on top, about a fifth more at common context lengths.
 * @param {number} size
 * @param {number | null} memory
 * @returns {{level: "fits" | "tight" | "too-big", text: string} | null}
 */
export function fitHint(size, memory) {
  if (!memory || !size) return null;
  const need = size * 1.2;
  const ram = `${Math.round(memory / 2 ** 30)} GB RAM`;
  if (need <= memory * 0.7) return { level: "fits", text: `fits in ${ram}` };
  if (need <= memory) return { level: "tight", text: `tight in ${ram}` };
  return { level: "too-big", text: `needs more than ${ram}` };
}

const FIT_EXPLAINED = "An estimate: the file plus about 20% for the context, against this machine's memory. A graphics card's own memory is not counted.";

/**
 * Items the person picks from: one per GGUF quantization (all its split parts), one per other file.
 * @param {ModelFileInfo[]} files
 */
export function groupFiles(files) {
  /** @type {Map<string, {label: string, files: ModelFileInfo[], quant: string | null}>} */
  const groups = new Map();
  for (const file of files) {
    const key = ggufKey(file.path);
    const id = key ? key.group : file.path;
    const group = groups.get(id) ?? { label: key ? `${key.quant} · ${key.group}` : file.path, files: [], quant: key?.quant ?? null };
    group.files.push(file);
    groups.set(id, group);
  }
  return [...groups.values()].map((g) => ({
    ...g,
    size: g.files.reduce((sum, f) => sum + (f.size ?? 0), 0),
    cached: g.files.every((f) => f.cached),
  }));
}

/**
 * @param {HTMLElement} section
 * @param {string} repo
 * @param {() => void} showDownloads
 */
export async function renderModel(section, repo, showDownloads) {
  section.replaceChildren(h("h1", {}, repo), h("p", { class: "loading" }, "Loading…"));
  /** @type {ModelDetails} */
  let model;
  try {
    model = await ipc.getModel(repo);
  } catch (err) {
    section.replaceChildren(h("h1", {}, repo), errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err), () => void renderModel(section, repo, showDownloads)));
    return;
  }
  const license = model.tags.find((t) => t.startsWith("license:"))?.slice("license:".length);
  const items = groupFiles(model.files);
  const boxes = items.map(() => /** @type {HTMLInputElement} */ (h("input", { type: "checkbox" })));
  const total = h("span", { class: "total" });
  const downloadSelected = h("button", { type: "button", disabled: true }, "Download selected");
  const message = h("p", { class: "status-line", role: "status" });
  const refreshTotal = () => {
    const chosen = items.filter((_, i) => boxes[i].checked);
    total.textContent = chosen.length ? `${chosen.length} selected · ${fmt.bytes(chosen.reduce((s, g) => s + g.size, 0))}` : "Nothing selected";
    downloadSelected.disabled = chosen.length === 0;
  };
  /** @param {string[]} files */
  const download = async (files) => {
    message.replaceChildren("Starting…");
    try {
      await jobs.start({ repoType: "model", repo: model.id, revision: model.revision, commit: model.commit, files, include: [], exclude: [] });
      message.replaceChildren("Download started. ", h("button", { type: "button", class: "link", onclick: showDownloads }, "Show downloads"));
    } catch (err) {
      message.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err)));
    }
  };
  downloadSelected.addEventListener("click", () => void download(items.filter((_, i) => boxes[i].checked).flatMap((g) => g.files.map((f) => f.path))));
  for (const box of boxes) box.addEventListener("change", refreshTotal);
  refreshTotal();

  const rows = items.map((item, i) =>
    h(
      "tr",
      {},
      h("td", {}, h("label", {}, boxes[i], h("span", { class: "path" }, item.label))),
      h("td", { class: "num" }, fmt.bytes(item.size)),
      h(
        "td",
        { class: "badges" },
        item.cached ? h("span", { class: "badge cached" }, "in cache") : null,
        item.files.length > 1 ? h("span", { class: "badge" }, `${item.files.length} parts`) : null,
        ...[item.quant ? fitHint(item.size, model.memoryTotal) : null].map((fit) => (fit ? h("span", { class: `badge fit ${fit.level}`, title: FIT_EXPLAINED }, fit.text) : null)),
      ),
      h("td", {}, h("button", { type: "button", class: "small", onclick: () => void download(item.files.map((f) => f.path)) }, "Download")),
    ),
  );
  const card = h("article", { class: "card" });
  if (model.cardHtml) {
    // The backend rendered the markdown and removed scripts, raw HTML and remote images.
    card.innerHTML = model.cardHtml;
    card.addEventListener("click", (event) => {
      const link = /** @type {HTMLElement} */ (event.target).closest("a");
      // Links never navigate the app's own window away.
      if (link) event.preventDefault();
    });
  } else {
    card.append(h("p", { class: "empty" }, "This model has no card."));
  }
  section.replaceChildren(
    h("header", { class: "model-head" },
      h("h1", {}, model.id),
      h("p", { class: "meta" }, [model.pipelineTag, model.libraryName, license && `license: ${license}`, `↓ ${fmt.count(model.downloads)}`, `♥ ${fmt.count(model.likes)}`, `updated ${fmt.ago(model.lastModified)}`].filter(Boolean).join(" · ")),
    ),
    model.gated !== "no"
      ? h("div", { class: "notice" }, h("strong", {}, "Gated model. "), "Accept its terms on the model's Hub page, then add an access token in Settings to download it.")
      : "",
    h("section", { class: "files", "aria-label": "Files" },
      h("div", { class: "toolbar" }, total, downloadSelected, h("button", { type: "button", class: "secondary", onclick: () => void download(model.files.map((f) => f.path)) }, `Download all (${fmt.bytes(items.reduce((s, g) => s + g.size, 0))})`)),
      message,
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "File"), h("th", { class: "num" }, "Size"), h("th", {}, ""), h("th", {}, ""))), h("tbody", {}, ...rows)),
    ),
    card,
  );
}
