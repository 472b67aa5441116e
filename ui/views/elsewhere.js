// @ts-check
/** A cached repository's GGUF quantizations and how to use each in other apps without a copy:
 * LM Studio (a hard link where it looks), Ollama (what an hf.co pull writes) and llama.cpp
 * (which reads this cache itself); and deleting one quantization, all its split parts. */

import { errorBox, h } from "../dom.js";
import * as fmt from "../format.js";
import * as ipc from "../ipc.js";
import { ggufKey } from "./model.js";

/** @typedef {import("../ipc-types").CachedRepo} CachedRepo */
/** @typedef {import("../ipc-types").CachedFile} CachedFile */

/** @typedef {{quant: string, files: CachedFile[], commit: string}} Quantization */

/**
 * The quantizations of `repo`'s revision that `main` names (else its newest), split parts
 * together, with "Use in LM Studio" and the llama.cpp command; null for a repo without GGUF.
 * @param {CachedRepo} repo
 * @param {HTMLElement} status where outcomes are said
 * @param {(quantization: Quantization) => void} [onDelete] offers Delete on each quantization
 */
export function ggufUses(repo, status, onDelete) {
  const revision = repo.revisions.find((r) => r.refs.includes("main")) ?? repo.revisions[0];
  if (!revision || repo.repoType !== "model") return null;
  /** @type {Map<string, Quantization>} */
  const groups = new Map();
  for (const file of revision.files) {
    const key = ggufKey(file.path);
    if (!key) continue;
    const group = groups.get(key.group) ?? { quant: key.quant, files: [], commit: revision.commit };
    group.files.push(file);
    groups.set(key.group, group);
  }
  if (groups.size === 0) return null;

  /** @param {{quant: string, files: CachedFile[]}} group */
  const useInLmStudio = async (group) => {
    try {
      let placed = "";
      for (const file of group.files) placed = await ipc.useInLmStudio(repo.repoId, file.path, revision.commit);
      status.replaceChildren(`${repo.repoId} ${group.quant} is in LM Studio's models (${placed}), sharing the Library's copy.`);
    } catch (err) {
      status.replaceChildren(errorBox(ipc.asErrorReport(err)));
    }
  };
  /** @param {{quant: string, files: CachedFile[]}} group */
  const useInOllama = async (group) => {
    try {
      const used = await ipc.useInOllama(repo.repoId, group.files[0].path, group.quant, revision.commit);
      status.replaceChildren(used.complete
        ? `Ready in Ollama, sharing the Library's copy: ollama run ${used.name}`
        : `The weights are in Ollama's folder. ${used.reason ?? ""} Then: ollama run ${used.name}`);
    } catch (err) {
      status.replaceChildren(errorBox(ipc.asErrorReport(err)));
    }
  };
  /** @param {string} command */
  const copy = async (command) => {
    try {
      await navigator.clipboard.writeText(command);
      status.replaceChildren(`Copied: ${command}`);
    } catch {
      status.replaceChildren(`Copy this command: ${command}`);
    }
  };
  return h(
    "ul",
    { class: "quants" },
    ...[...groups.values()].map((group) => {
      const size = group.files.reduce((n, f) => n + f.size, 0);
      const command = `llama-cli -hf ${repo.repoId}:${group.quant}`;
      return h(
        "li",
        { "data-quant": group.quant },
        h("span", { class: "quant" }, group.quant),
        h("span", { class: "meta" }, fmt.bytes(size) + (group.files.length > 1 ? ` · ${group.files.length} parts` : "")),
        h("code", { class: "command" }, command),
        h("span", { class: "uses" },
        h("button", { type: "button", class: "secondary", "aria-label": `Copy command for ${repo.repoId} ${group.quant}`, onclick: () => void copy(command) }, "Copy command"),
        h("button", { type: "button", class: "secondary", "aria-label": `Use in LM Studio: ${repo.repoId} ${group.quant}`, onclick: () => void useInLmStudio(group) }, "Use in LM Studio"),
        // Ollama pulls one GGUF per quantization from hf.co; split files are not offered.
        group.files.length === 1
          ? h("button", { type: "button", class: "secondary", "aria-label": `Use in Ollama: ${repo.repoId} ${group.quant}`, onclick: () => void useInOllama(group) }, "Use in Ollama")
          : null,
        onDelete
          ? h("button", {
            type: "button",
            class: "danger",
            "data-action": `delete-quant:${group.quant}`,
            title: "Delete this quantization (all split parts)",
            "aria-label": `Delete ${group.quant} of ${repo.repoId}, ${fmt.bytes(size)}`,
            onclick: () => onDelete(group),
          }, "Delete")
          : null,
        ),
      );
    }),
  );
}
