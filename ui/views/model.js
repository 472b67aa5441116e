// @ts-check
/** Model: the card, what the repo holds (GGUF quantizations grouped, split files as one), what
 * is already in the cache, and download buttons for one item, a selection or everything. */

import { actionButtons, h, errorBox, holdFocus } from "../dom.js";
import { nextSteps } from "../errors.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import * as jobs from "../jobs.js";
import { fitOn, paramCount, recommend } from "../fit.js";

/** @typedef {import("../ipc-types").ModelDetails} ModelDetails */
/** @typedef {import("../ipc-types").ModelFileInfo} ModelFileInfo */
/** @typedef {import("../ipc-types").MachineProfile} MachineProfile */
/** @typedef {import("../ipc-types").JobView} JobView */

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
 * Items the person picks from: one per GGUF quantization (all its split parts), one per other
 * file. The quantizations lead, smallest first; the other files follow in the Hub's order.
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
  const items = [...groups.values()].map((g) => ({
    ...g,
    size: g.files.reduce((sum, f) => sum + (f.size ?? 0), 0),
    cached: g.files.every((f) => f.cached),
  }));
  const quants = items.filter((g) => g.quant !== null).sort((a, b) => a.size - b.size);
  return [...quants, ...items.filter((g) => g.quant === null)];
}

/**
 * What a download button says about the newest job that fetches `paths` of `repo`: queued, a
 * percentage, paused, or in the cache; null when no job is on its way or done.
 * @param {JobView[]} all newest first
 * @param {string} repo
 * @param {string[]} paths
 * @returns {{job: JobView, text: string} | null}
 */
export function jobState(all, repo, paths) {
  const job = all.find((j) => j.request.repo === repo && (j.request.files.length === 0 || paths.every((p) => j.request.files.includes(p))));
  if (!job) return null;
  const p = job.progress;
  const mine = p.files.filter((f) => paths.includes(f.path));
  const [done, size] = mine.length ? [mine.reduce((s, f) => s + f.done, 0), mine.reduce((s, f) => s + f.size, 0)] : [p.bytesDone, p.bytesTotal];
  const pct = `${size > 0 ? Math.floor((100 * done) / size) : 0}%`;
  switch (p.state) {
    case "queued": return { job, text: "Queued" };
    case "running": return { job, text: pct };
    case "waitingForNetwork": return { job, text: `${pct}, waiting` };
    case "paused": return { job, text: `Paused at ${pct}` };
    case "completed": return { job, text: "In cache" };
    default: return null;
  }
}

/**
 * The machine's memory in a line: "This machine: 32 GB RAM · NVIDIA GeForce RTX 4060 (8 GB)".
 * @param {MachineProfile} profile
 */
export function machineLine(profile) {
  const gb = (/** @type {number} */ n) => `${Math.round(n / 2 ** 30)} GB`;
  const parts = [profile.ram ? `${gb(profile.ram)} ${profile.unified ? "unified memory (CPU and GPU share it)" : "RAM"}` : null, ...profile.gpus.map((g) => `${g.name} (${gb(g.memory)})`)];
  if (!profile.unified && profile.gpus.length === 0) parts.push("no graphics card with its own memory");
  return `This machine: ${parts.filter(Boolean).join(" · ")}`;
}

/**
 * Fills `section` with what `repo` holds. The heading stays outside it and is only retitled, so
 * the focus it may have survives the redraws.
 * @param {HTMLElement} section
 * @param {HTMLElement} heading
 * @param {string} repo
 * @param {(jobId?: string) => void} showDownloads at that job, if one is given
 */
export async function renderModel(section, heading, repo, showDownloads) {
  const restoreFocus = holdFocus(section);
  section.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  restoreFocus(heading);
  /** @type {ModelDetails} */
  let model;
  /** @type {MachineProfile | null} */
  let profile;
  try {
    [model, profile] = await Promise.all([ipc.getModel(repo), ipc.machineProfile().catch(() => null)]);
  } catch (err) {
    section.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err), () => void renderModel(section, heading, repo, showDownloads), { repo }));
    return;
  }
  // Without a profile, what the model's answer says about RAM is still worth a hint.
  profile ??= model.memoryTotal ? { ram: model.memoryTotal, gpus: [], unified: false } : null;
  const license = model.tags.find((t) => t.startsWith("license:"))?.slice("license:".length);
  const items = groupFiles(model.files);
  const recommended = recommend(items, profile);
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
      message.replaceChildren("Download started. ", h("button", { type: "button", class: "link", onclick: () => showDownloads() }, "Show downloads"));
    } catch (err) {
      message.replaceChildren(errorBox(/** @type {import("../ipc-types").ErrorReport} */ (err), null, { repo: model.id, revision: model.revision }));
    }
  };
  downloadSelected.addEventListener("click", () => void download(items.filter((_, i) => boxes[i].checked).flatMap((g) => g.files.map((f) => f.path))));
  for (const box of boxes) box.addEventListener("change", refreshTotal);
  refreshTotal();

  // A quantization's name is enough for its Download button, unless two folders hold the same one.
  const shortName = (/** @type {typeof items[number]} */ item) => (item.quant && items.filter((other) => other.quant === item.quant).length === 1 ? item.quant : item.label);
  /** Each item's button, redrawn in place as its job moves, so a focused one keeps the focus. */
  const buttons = items.map((item) => {
    const paths = item.files.map((f) => f.path);
    const what = `${shortName(item)}, ${fmt.bytes(item.size)}`;
    const button = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "small" }));
    /** @type {JobView | null} */
    let job = null;
    /** @param {JobView[]} all the jobs, read once for every button of a redraw */
    const draw = (all) => {
      const state = jobState(all, model.id, paths);
      job = state?.job ?? null;
      const text = state?.text ?? (item.cached ? "In cache" : "Download");
      // A cached item without a job of this window has nowhere to lead.
      button.disabled = !state && item.cached;
      button.classList.toggle("secondary", text !== "Download");
      button.textContent = text;
      button.setAttribute("aria-label", state ? `${text}: ${what}, show in Downloads` : `${text} ${what}`);
    };
    button.addEventListener("click", () => (job ? showDownloads(job.id) : void download(paths)));
    draw(jobs.all());
    return { button, draw };
  });
  const unsubscribe = jobs.subscribe(() => {
    // The view was redrawn for another model: this one's buttons are out of the page (still
    // inside their own, detached, body).
    if (!buttons[0] || !buttons[0].button.isConnected) return unsubscribe();
    const all = jobs.all();
    for (const b of buttons) b.draw(all);
  });
  const fits = items.map((item) => (item.quant ? fitOn(item.size, profile) : null));
  const rows = items.map((item, i) => {
    const fit = fits[i];
    const fitId = `fit-${i}`;
    if (fit) buttons[i].button.setAttribute("aria-describedby", fitId);
    return h(
      "tr",
      { class: item === recommended ? "recommended" : "" },
      h("td", {}, h("label", {}, boxes[i], h("span", { class: "path" }, item.label))),
      h("td", { class: "num" }, fmt.bytes(item.size)),
      h(
        "td",
        { class: "badges" },
        item === recommended ? h("span", { class: "badge recommended" }, "Recommended for this machine") : null,
        item.cached ? h("span", { class: "badge cached" }, "in cache") : null,
        item.files.length > 1 ? h("span", { class: "badge" }, `${item.files.length} parts`) : null,
        fit ? h("span", { class: `badge fit ${fit.level}`, title: fit.detail, "aria-describedby": fitId }, fit.text) : null,
        // Hidden, yet a description: read with the button, not again while reading the table.
        fit ? h("span", { id: fitId, hidden: true }, `${fit.text}. ${fit.detail}`) : null,
      ),
      h("td", {}, buttons[i].button),
    );
  });
  const card = model.cardHtml ? renderCard(model.cardHtml) : h("article", { class: "card" }, h("p", { class: "empty" }, "This model has no card."));
  const openFailed = h("div", {});
  const openOnHub = h("button", { type: "button", class: "secondary small", onclick: () => void ipc.openOnHub(model.id).catch((/** @type {import("../ipc-types").ErrorReport} */ err) => openFailed.replaceChildren(errorBox(err))) }, "Open on Hugging Face");
  heading.textContent = model.id;
  section.replaceChildren(
    h("div", { class: "model-meta" },
      h("p", { class: "meta" }, [model.pipelineTag, model.libraryName, license && `license: ${license}`, model.parameters ? `${paramCount(model.parameters)} parameters` : null, `↓ ${fmt.count(model.downloads)}`, `♥ ${fmt.count(model.likes)}`, `updated ${fmt.ago(model.lastModified)}`].filter(Boolean).join(" · ")),
      openOnHub,
    ),
    openFailed,
    model.gated !== "no"
      ? gatedNotice(model.id)
      : "",
    weightsSummary(model, profile, recommended),
    h("section", { class: "files", "aria-label": "Files" },
      h("div", { class: "toolbar" }, total, downloadSelected, h("button", { type: "button", class: "secondary", onclick: () => void download(model.files.map((f) => f.path)) }, `Download all (${fmt.bytes(items.reduce((s, g) => s + g.size, 0))})`)),
      message,
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "File"), h("th", { class: "num" }, "Size"), h("th", {}, h("span", { class: "visually-hidden" }, "Notes")), h("th", {}, h("span", { class: "visually-hidden" }, "Download")))), h("tbody", {}, ...rows)),
    ),
    card,
  );
}

const RULE = "Recommended: the largest quantization whose file, plus about 20% for the context, fits in GPU memory (in RAM without a GPU). Each hint's numbers are in its tooltip.";

/**
 * Above the files: the quantization recommended for this machine and why, or, for a
 * safetensors repo, the weights' total size and parameter count; and the machine itself.
 * @param {ModelDetails} model
 * @param {MachineProfile | null} profile
 * @param {{quant: string | null, size: number} | null} recommended
 */
function weightsSummary(model, profile, recommended) {
  const safetensors = model.files.filter((f) => f.path.toLowerCase().endsWith(".safetensors"));
  const weights = safetensors.reduce((s, f) => s + (f.size ?? 0), 0);
  const hasGguf = model.files.some((f) => ggufKey(f.path));
  /** @type {(string | Node | null)[]} */
  const lines = [];
  if (recommended) {
    const fit = fitOn(recommended.size, profile);
    lines.push(h("p", {}, h("strong", {}, "Recommended for this machine: "), `${recommended.quant}, ${fmt.bytes(recommended.size)}`, fit ? ` — ${fit.text}` : ""));
  } else if (hasGguf && profile) {
    lines.push(h("p", {}, h("strong", {}, "No quantization fits this machine's memory"), " with room for the context."));
  }
  if (safetensors.length && weights > 0) {
    const fit = fitOn(weights, profile);
    lines.push(h("p", {}, h("strong", {}, "Safetensors weights: "), `${fmt.bytes(weights)} in ${safetensors.length === 1 ? "1 file" : `${safetensors.length} files`}`, model.parameters ? ` · ${paramCount(model.parameters)} parameters` : "", fit ? " · " : "", fit ? h("span", { class: `fit-text ${fit.level}`, title: fit.detail }, fit.text) : "", fit ? h("span", { class: "visually-hidden" }, `. ${fit.detail}`) : ""));
  }
  if (!lines.length) return "";
  if (profile) lines.push(h("p", { class: "machine" }, `${machineLine(profile)}.${hasGguf ? ` ${RULE}` : ""}`));
  return h("div", { class: "weights-summary" }, ...lines);
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
