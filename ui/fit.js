// @ts-check
/** Where a model file would run on this machine (GPU, partly GPU, RAM) and which quantization
 * to recommend: pure functions of sizes and the machine profile, so they are tested alone. */

/** @typedef {import("./ipc-types").MachineProfile} MachineProfile */

/** llama.cpp maps the file and needs room for the context (KV cache) on top: about a fifth
 * more at common context lengths. */
export const CONTEXT_ROOM = 1.2;
/** The share of system memory a model may take: the system and other programs keep the rest.
 * Unified memory too: macOS lets the GPU wire about three quarters of it by default. */
export const USABLE_RAM = 0.75;

import { bytes } from "./format.js";

/** Memory as a machine is sold: "8 GB" for 8 GiB. The details give exact (decimal) numbers,
 * in the unit of the file sizes they are compared with. @param {number} n */
const sold = (n) => `${Math.round(n / 2 ** 30)} GB`;

/**
 * @typedef {{level: "gpu" | "partly" | "ram" | "too-big", text: string, detail: string}} Fit
 */

/**
 * Where a file of `size` bytes would run. GPU memory counts when there is a card (all cards
 * together: llama.cpp splits the layers), or the shared memory of a unified machine;
 * otherwise RAM.
 * @param {number} size
 * @param {MachineProfile | null} profile
 * @returns {Fit | null} null when the size or the machine is unknown
 */
export function fitOn(size, profile) {
  if (!size || !profile || (!profile.ram && profile.gpus.length === 0)) return null;
  const need = size * CONTEXT_ROOM;
  const ram = (profile.ram ?? 0) * USABLE_RAM;
  const gpu = profile.gpus.reduce((sum, g) => sum + g.memory, 0);
  const rule = `Needs about ${bytes(need)}: the file (${bytes(size)}) plus about 20% for the context.`;
  if (profile.unified && gpu === 0) {
    const where = `${bytes(ram)} of this machine's ${bytes(profile.ram ?? 0)} memory, shared by CPU and GPU, is usable for models.`;
    return need <= ram
      ? { level: "gpu", text: `fits in GPU (${sold(profile.ram ?? 0)} shared)`, detail: `${rule} ${where}` }
      : { level: "too-big", text: "too big", detail: `${rule} Only ${where}` };
  }
  if (gpu > 0) {
    const where = `GPU memory: ${bytes(gpu)}; RAM usable for models: ${bytes(ram)} of ${bytes(profile.ram ?? 0)}.`;
    if (need <= gpu) return { level: "gpu", text: `fits in GPU (${sold(gpu)})`, detail: `${rule} ${where} It fits in GPU memory: fastest.` };
    if (need <= gpu + ram) return { level: "partly", text: "partly on GPU", detail: `${rule} ${where} Some layers run on the GPU, the rest from RAM on the CPU: slower.` };
    return { level: "too-big", text: "too big", detail: `${rule} ${where} It does not fit in both together.` };
  }
  const where = `RAM usable for models: ${bytes(ram)} of ${bytes(profile.ram ?? 0)} (the system keeps the rest). No graphics card with its own memory was found.`;
  return need <= ram
    ? { level: "ram", text: "RAM only", detail: `${rule} ${where} It runs on the CPU.` }
    : { level: "too-big", text: "too big", detail: `${rule} ${where}` };
}

/** Full-precision GGUFs: as big as the original weights, and no better in practice than Q8_0. */
const FULL_PRECISION = ["F32", "F16", "BF16"];

/**
 * The quantization to recommend: the largest that fits in GPU memory when there is a GPU
 * (or unified memory), else the largest that fits at all (in RAM, or partly on the GPU).
 * Full-precision files are recommended only when no quantized one fits.
 * @template {{quant: string | null, size: number}} T
 * @param {T[]} items
 * @param {MachineProfile | null} profile
 * @returns {T | null}
 */
export function recommend(items, profile) {
  const quants = items.filter((item) => item.quant !== null && item.size > 0);
  const fits = quants.map((item) => ({ item, fit: fitOn(item.size, profile) }));
  const largest = (/** @type {Fit["level"][]} */ levels) => {
    const ok = fits.filter(({ fit }) => fit && levels.includes(fit.level)).map(({ item }) => item);
    const quantized = ok.filter((item) => !FULL_PRECISION.includes(/** @type {string} */ (item.quant)));
    const pool = quantized.length ? quantized : ok;
    return pool.reduce((/** @type {T | null} */ best, item) => (best && best.size >= item.size ? best : item), null);
  };
  return largest(["gpu"]) ?? largest(["partly", "ram"]);
}

/**
 * A rough size for a listing, for "fits this machine" in the results: GGUF repos at about
 * 4.8 bits a parameter (Q4_K_M, the usual smallest good one), others at 2 bytes (BF16).
 * @param {number | null} parameters
 * @param {boolean} gguf
 */
export function estimatedSize(parameters, gguf) {
  if (!parameters) return 0;
  return gguf ? (parameters * 4.8) / 8 : parameters * 2;
}

/** "8.2B", "350M", "75K" parameters. @param {number} n */
export function paramCount(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}
