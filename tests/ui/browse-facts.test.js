// Browse's results say what matters: parameters, GGUF quantizations, whether the Library has
// the model; filters for the author and for what fits this machine.

import { test } from "node:test";
import assert from "node:assert/strict";
import { stubBackend, uiSession } from "./harness.js";
import { baseTable, LIBRARY_WITH_QWEN, RICH_RESULTS } from "./fixtures.js";

const chromium = uiSession();

test("results show parameters, quantizations and the Library; filters narrow them", async () => {
  const queries = [];
  const table = baseTable({
    search_models: ({ query }) => { queries.push(query); return { models: RICH_RESULTS.filter((m) => !query.author || m.author === query.author), next: null }; },
    list_cache: LIBRARY_WITH_QWEN,
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.waitForSelector("[data-result='acme/unknown-size']");
  const facts = await page.locator(".result").allInnerTexts();
  assert.match(facts[0], /unsloth\/Qwen3-8B-GGUF[\s\S]*8\.2B params[\s\S]*GGUF · 3 quantizations/);
  assert.doesNotMatch(facts[0], /in Library/);
  // Its 16-bit weights (16.4 GB) and context do not fit the 12.9 GB a 16 GiB machine spares;
  // the GGUF repo's Q4_K_M-sized 4.9 GB does.
  assert.match(facts[1], /Qwen\/Qwen3-8B[\s\S]*in Library[\s\S]*8\.2B params[\s\S]*too big for this machine/);
  assert.doesNotMatch(facts[0], /too big/);
  assert.doesNotMatch(facts[1], /GGUF/);
  // 70.6B parameters in 16 bits is 141 GB: not for a 16 GiB machine.
  assert.match(facts[2], /71B params[\s\S]*too big for this machine/);
  assert.doesNotMatch(facts[3], /params|too big/, "nothing is said about what is not known");

  await page.check("text=Fits this machine");
  assert.deepEqual(await page.locator(".result .name").evaluateAll((names) => names.filter((n) => n.checkVisibility()).map((n) => n.textContent)), ["unsloth/Qwen3-8B-GGUF", "acme/unknown-size"]);
  assert.equal(await page.textContent("#view-browse .status-line"), "4 models, 2 too big for this machine hidden");
  await page.uncheck("text=Fits this machine");
  assert.equal(await page.locator("li[data-result][hidden]").count(), 0);

  await page.fill("input.author", "Qwen");
  await page.waitForFunction(() => document.querySelectorAll("li[data-result]").length === 1);
  assert.equal(queries.at(-1).author, "Qwen");
  assert.equal(queries[0].author, null, "no author unless one is typed");
  assert.deepEqual(ui.errors, []);
  await page.close();
});

test("while Browse is hidden a changing cache is not scanned again for its marks, until Browse is shown", async () => {
  let scans = 0;
  const table = baseTable({
    search_models: { models: RICH_RESULTS, next: null },
    list_cache: () => {
      scans += 1;
      return LIBRARY_WITH_QWEN;
    },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.waitForSelector(".result");
  const settle = () => new Promise((r) => setTimeout(r, 300));
  await settle();
  let before = scans;
  await ui.emit("cache-changed");
  await settle();
  assert.equal(scans - before, 2, "shown: Browse and the Library each read the cache");
  await page.click(".nav-item[data-view=downloads]");
  await settle();
  before = scans;
  for (let i = 0; i < 3; i++) await ui.emit("cache-changed");
  await settle();
  assert.equal(scans - before, 3, "hidden: only the Library reads it");
  before = scans;
  await page.click(".nav-item[data-view=browse]");
  await settle();
  assert.equal(scans - before, 1, "shown again: Browse reads it once");
  await page.close();
});
