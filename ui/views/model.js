// @ts-check
/** Model: the card, what the repo holds (GGUF quantizations grouped, split files as one), what
 * is already in the cache, and download buttons for one item, a selection or everything. */

import { actionButtons, h, errorBox, holdFocus } from "../dom.js";
import { nextSteps } from "../errors.js";
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
 * Fills `section` with what `repo` holds. The heading stays outside it and is only retitled, so
 * the focus it may have survives the redraws.
 * @param {HTMLElement} section
 * @param {HTMLElement} heading
 * @param {string} repo
 * @param {() => void} showDownloads
 */
export async function renderModel(section, heading, repo, showDownloads) {
  const restoreFocus = holdFocus(section);
  section.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  restoreFocus(heading);
  /** @type {ModelDetails} */
  let model;
  try {
    model = await ipc.getModel(repo);
  } catch (err) {
    section.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err), () => void renderModel(section, heading, repo, showDownloads), { repo }));
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
      message.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err), null, { repo: model.id, revision: model.revision }));
    }
  };
  downloadSelected.addEventListener("click", () => void download(items.filter((_, i) => boxes[i].checked).flatMap((g) => g.files.map((f) => f.path))));
  for (const box of boxes) box.addEventListener("change", refreshTotal);
  refreshTotal();

  // A quantization's name is enough for its Download button, unless two folders hold the same one.
  const shortName = (/** @type {typeof items[number]} */ item) => (item.quant && items.filter((other) => other.quant === item.quant).length === 1 ? item.quant : item.label);
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
      h("td", {}, h("button", { type: "button", class: "small", "aria-label": `Download ${shortName(item)}, ${fmt.bytes(item.size)}`, onclick: () => void download(item.files.map((f) => f.path)) }, "Download")),
    ),
  );
  const card = model.cardHtml ? renderCard(model.cardHtml) : h("article", { class: "card" }, h("p", { class: "empty" }, "This model has no card."));
  heading.textContent = model.id;
  section.replaceChildren(
    h("p", { class: "meta" }, [model.pipelineTag, model.libraryName, license && `license: ${license}`, `↓ ${fmt.count(model.downloads)}`, `♥ ${fmt.count(model.likes)}`, `updated ${fmt.ago(model.lastModified)}`].filter(Boolean).join(" · ")),
    model.gated !== "no"
      ? gatedNotice(model.id)
      : "",
    h("section", { class: "files", "aria-label": "Files" },
      h("div", { class: "toolbar" }, total, downloadSelected, h("button", { type: "button", class: "secondary", onclick: () => void download(model.files.map((f) => f.path)) }, `Download all (${fmt.bytes(items.reduce((s, g) => s + g.size, 0))})`)),
      message,
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "File"), h("th", { class: "num" }, "Size"), h("th", {}, h("span", { class: "visually-hidden" }, "Notes")), h("th", {}, h("span", { class: "visually-hidden" }, "Download")))), h("tbody", {}, ...rows)),
    ),
    card,
  );
}

/**
 * Said before the person tries: downloading a gated model takes granted access and a token.
 * The buttons are the ones a gated failure offers.
 * @param {string} repo
 */
function gatedNotice(repo) {
  const failed = h("p", { class: "error", role: "status" });
  const steps = nextSteps({ kind: "gated", message: "" }, { repo });
  return h("div", { class: "notice" }, h("p", {}, h("strong", {}, "Gated model. "), steps.text), actionButtons(steps.actions, failed), failed);
}

/** Link targets the system browser (or mail program) may open. */
const OPENABLE = ["http:", "https:", "mailto:"];
/** Where a held-back image may be loaded from, once the person asks. */
const WEB = ["http:", "https:"];

/**
 * The model card from the backend's sanitized HTML. Images from other sites than the Hub
 * arrive without a `src` (their address in `data-offsite-src`) and stay as their alt text until
 * the person asks for them, once per card; links open in the system browser, never here.
 * @param {string} html
 */
export function renderCard(html) {
  const card = h("article", { class: "card" });
  // Parsed in an inert template, so nothing in it loads before it is checked below.
  const template = document.createElement("template");
  template.innerHTML = html;
  /** @type {{img: HTMLImageElement, src: string, stand: HTMLElement}[]} */
  const held = [];
  for (const img of template.content.querySelectorAll("img")) {
    const src = img.getAttribute("data-offsite-src");
    // The backend never sends both; an image that has neither stays as it is (its alt text).
    if (src === null || img.hasAttribute("src")) continue;
    img.removeAttribute("data-offsite-src");
    const stand = h("span", { class: "held-image", title: src }, img.alt || "image");
    img.replaceWith(stand);
    held.push({ img, src, stand });
  }
  if (held.length) {
    const hosts = [...new Set(held.map(({ src }) => hostOf(src)))].join(", ");
    const show = h("button", { type: "button", class: "small secondary" }, "Show images from other sites");
    const notice = h("p", { class: "held-notice" }, `${held.length === 1 ? "1 image" : `${held.length} images`} from other sites (${hosts}) not loaded, so those sites do not see your address. `, show);
    show.addEventListener("click", () => {
      for (const { img, src, stand } of held) {
        if (WEB.includes(new URL(src, location.href).protocol)) img.src = src;
        stand.replaceWith(img);
      }
      notice.remove();
    });
    card.append(notice);
  }
  card.append(template.content);
  /** @param {MouseEvent} event */
  const follow = (event) => {
    const link = /** @type {HTMLElement} */ (event.target).closest("a");
    if (!link) return;
    // Links never navigate the app's own window, nor open another one.
    event.preventDefault();
    const href = link.getAttribute("href");
    if (!href) return;
    const url = new URL(href, location.href);
    if (!OPENABLE.includes(url.protocol)) return;
    void ipc.openUrl(url.href).catch((/** @type {import("../ipc-types").ErrorReport} */ err) => {
      card.prepend(errorBox({ kind: err.kind, message: `Could not open ${url.href}: ${err.message}` }));
    });
  };
  card.addEventListener("click", follow);
  card.addEventListener("auxclick", follow);
  return card;
}

/** @param {string} url */
function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
