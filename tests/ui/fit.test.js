// The rule behind "Recommended for this machine" and the fit hints, run in Chromium as the app
// runs it, on the machines the issue names: no GPU, an 8 GB and a 24 GB card, unified memory.

import { test } from "node:test";
import assert from "node:assert/strict";
import { stubBackend, uiSession } from "./harness.js";
import { baseTable } from "./fixtures.js";

const chromium = uiSession();
const GiB = 2 ** 30;

/** A 7B model's GGUFs, in bytes, in the Hub's (alphabetical) order. */
const QUANTS = [
  { quant: "F16", size: 14.3e9 },
  { quant: "Q2_K", size: 3.0e9 },
  { quant: "Q4_K_M", size: 4.4e9 },
  { quant: "Q5_K_M", size: 5.1e9 },
  { quant: "Q6_K", size: 5.9e9 },
  { quant: "Q8_0", size: 7.6e9 },
  { quant: null, size: 20e9 },
];

const PROFILES = {
  noGpu: { ram: 16 * GiB, gpus: [], unified: false },
  gpu8: { ram: 32 * GiB, gpus: [{ vendor: "nvidia", name: "NVIDIA GeForce RTX 4060", memory: 8 * GiB }], unified: false },
  gpu24: { ram: 64 * GiB, gpus: [{ vendor: "amd", name: "Radeon RX 7900 XTX", memory: 24 * GiB }], unified: false },
  unified32: { ram: 32 * GiB, gpus: [], unified: true },
  unified8: { ram: 8 * GiB, gpus: [], unified: true },
  tiny: { ram: 4 * GiB, gpus: [], unified: false },
};

test("the recommended quantization is the largest that fits with room for the context", async () => {
  const { page } = await chromium.open(stubBackend(baseTable()));
  const results = await page.evaluate(async ({ quants, profiles }) => {
    const { fitOn, recommend } = await import("/fit.js");
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [name, profile] of Object.entries(profiles)) {
      out[name] = {
        pick: recommend(quants, profile)?.quant ?? null,
        hints: Object.fromEntries(quants.filter((q) => q.quant).map((q) => [q.quant, fitOn(q.size, profile)?.text])),
      };
    }
    out.unknown = { pick: recommend(quants, null), hint: fitOn(4e9, null), noSize: fitOn(0, profiles.noGpu) };
    out.detail = fitOn(5.9e9, profiles.gpu8)?.detail;
    return out;
  }, { quants: QUANTS, profiles: PROFILES });

  // 16 GiB without a card: 12 GiB for models; Q8_0 needs 9.1 GB, F16 17.2 GB.
  assert.deepEqual(results.noGpu, { pick: "Q8_0", hints: { F16: "too big", Q2_K: "RAM only", Q4_K_M: "RAM only", Q5_K_M: "RAM only", Q6_K: "RAM only", Q8_0: "RAM only" } });
  // 8 GiB card: Q6_K needs 7.1 GB and fits; Q8_0 (9.1 GB) spills into RAM.
  assert.deepEqual(results.gpu8, { pick: "Q6_K", hints: { F16: "partly on GPU", Q2_K: "fits in GPU (8 GB)", Q4_K_M: "fits in GPU (8 GB)", Q5_K_M: "fits in GPU (8 GB)", Q6_K: "fits in GPU (8 GB)", Q8_0: "partly on GPU" } });
  // 24 GiB card: even F16 fits, but Q8_0 is as good for half the memory.
  assert.equal(results.gpu24.pick, "Q8_0");
  assert.equal(results.gpu24.hints.F16, "fits in GPU (24 GB)");
  assert.equal(results.unified32.pick, "Q8_0");
  assert.equal(results.unified32.hints.Q8_0, "fits in GPU (32 GB shared)");
  // 8 GiB shared: 6 GiB for models; Q6_K (7.1 GB) does not fit.
  assert.equal(results.unified8.pick, "Q5_K_M");
  assert.equal(results.unified8.hints.Q6_K, "too big");
  assert.equal(results.tiny.pick, null, "nothing fits 3 GiB: nothing is recommended");
  assert.deepEqual(results.unknown, { pick: null, hint: null, noSize: null });
  assert.match(results.detail, /^Needs about 7\.08 GB: the file \(5\.90 GB\) plus about 20% for the context\. GPU memory: 8\.59 GB; RAM usable for models: 25\.8 GB of 34\.4 GB\./);
  await page.close();
});

test("only full-precision files fit: one of them is recommended", async () => {
  const { page } = await chromium.open(stubBackend(baseTable()));
  const pick = await page.evaluate(async (profile) => {
    const { recommend } = await import("/fit.js");
    return recommend([{ quant: "BF16", size: 2e9 }, { quant: "F32", size: 4e9 }, { quant: "Q4_K_M", size: 90e9 }], profile)?.quant;
  }, PROFILES.gpu8);
  assert.equal(pick, "F32");
  await page.close();
});
