// What a screen reader hears, in Chromium with the backend stubbed: the one polite live region
// (#announcer) says each job's change of state once and errors, never progress ticks nor the
// jobs that were there when the window opened; the search results are not live, their status
// line is; repeated buttons name what they act on; help texts describe their fields.

import { test } from "node:test";
import assert from "node:assert/strict";
import { stubBackend, uiSession } from "./harness.js";
import { baseTable, INFO, jobView, listing } from "./fixtures.js";

const chromium = uiSession();

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** @param {import("playwright-core").Page} page */
const announced = (page) => page.locator("#announcer p").allTextContents();

/**
 * Waits until the announcer holds `expected` (and nothing else).
 * @param {import("playwright-core").Page} page @param {string[]} expected
 */
async function expectAnnounced(page, expected) {
  let now = await announced(page);
  for (let waited = 0; JSON.stringify(now) !== JSON.stringify(expected) && waited < 3000; waited += 50) {
    await sleep(50);
    now = await announced(page);
  }
  assert.deepEqual(now, expected);
}

test("the announcer says each job's change of state once, with a failure's reason, and no progress ticks", async () => {
  let list = [jobView("job-a", { bytesDone: 1e8, bytesTotal: 1e9 })];
  const table = baseTable({ list_jobs: () => list, attach_download: () => null });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  assert.equal(await page.getAttribute("#announcer", "aria-live"), "polite");
  await page.click(".nav-item[data-view=downloads]");
  await page.waitForSelector("[data-job=job-a]");
  const channel = ui.calls.find((c) => c.cmd === "attach_download")?.args.onProgress.channel;
  for (const done of [2e8, 3e8, 4e8]) {
    await ui.send(channel, { ...list[0].progress, bytesDone: done, speed: 1e7, etaSeconds: 60 });
  }
  await page.waitForSelector("[data-job=job-a] >> text=400 MB of 1.00 GB");
  await sleep(100);
  assert.deepEqual(await announced(page), [], "a job already there when the window opened, and its progress, are not news");

  list = [jobView("job-a", { state: "paused", live: false, bytesDone: 4e8, bytesTotal: 1e9 })];
  await ui.emit("jobs-changed");
  await expectAnnounced(page, ["Download of model.safetensors from acme/tiny-model paused."]);

  list = [
    jobView("job-b", { state: "queued" }, { repo: "lab-org/tiny-gpt", files: ["tiny-gpt-Q4_K_M.gguf"] }),
    jobView("job-a", { state: "failed", live: false, bytesDone: 4e8, bytesTotal: 1e9, error: { kind: "network", message: "gave up", host: "cdn.test" } }),
  ];
  await ui.emit("jobs-changed");
  await expectAnnounced(page, [
    "Download of model.safetensors from acme/tiny-model paused.",
    "Download of tiny-gpt-Q4_K_M.gguf from lab-org/tiny-gpt queued.",
    "Download of model.safetensors from acme/tiny-model failed: Trouble talking to cdn.test.",
  ]);
  assert.equal(await page.locator("#view-downloads [role=alert]").count(), 0, "the error box itself is not a second, assertive announcement");

  list = [jobView("job-b", { state: "completed", live: false, bytesDone: 10, bytesTotal: 10 }, { repo: "lab-org/tiny-gpt", files: ["tiny-gpt-Q4_K_M.gguf"] }), list[1]];
  await ui.emit("jobs-changed");
  await ui.emit("jobs-changed");
  await expectAnnounced(page, [
    "Download of model.safetensors from acme/tiny-model paused.",
    "Download of tiny-gpt-Q4_K_M.gguf from lab-org/tiny-gpt queued.",
    "Download of model.safetensors from acme/tiny-model failed: Trouble talking to cdn.test.",
    "Download of tiny-gpt-Q4_K_M.gguf from lab-org/tiny-gpt completed.",
  ]);
  assert.deepEqual(ui.errors, []);
  await page.close();
});

test("a download started and cancelled here is announced; so are the Hub leaving and coming back", async () => {
  /** @type {any[]} */
  let list = [];
  const table = baseTable({
    list_jobs: () => list,
    get_model: ({ repo }) => ({ id: repo, revision: "main", commit: "c".repeat(40), gated: "no", private: false, tags: [], pipelineTag: null, libraryName: null, downloads: 1, likes: 1, lastModified: null, memoryTotal: null, cardHtml: null, files: [{ path: "model.safetensors", size: 300e6, lfs: true, cached: false }] }),
    start_download: () => {
      list = [jobView("job-new", { bytesDone: 0, bytesTotal: 300e6 })];
      return "job-new";
    },
    cancel_download: () => {
      list = [jobView("job-new", { state: "cancelled", live: false, bytesDone: 1e6, bytesTotal: 300e6 })];
      return null;
    },
    check_connection: true,
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.waitForSelector(".result");
  await page.fill("input.search", "acme/tiny-model");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".files tbody tr");
  await page.click(".files tbody button");
  await expectAnnounced(page, ["Download of model.safetensors from acme/tiny-model started."]);
  await page.click(".nav-item[data-view=downloads]");
  await page.click("[data-job=job-new] button.danger");
  await ui.emit("jobs-changed");
  await expectAnnounced(page, ["Download of model.safetensors from acme/tiny-model started.", "Download of model.safetensors from acme/tiny-model cancelled."]);

  await ui.emit("connectivity-changed", false);
  await ui.emit("connectivity-changed", true);
  const said = await announced(page);
  assert.deepEqual(said.slice(2), [
    `Working offline: ${new URL(INFO.endpoint).host} does not answer. Downloads wait and start again by themselves.`,
    `Back online: ${new URL(INFO.endpoint).host} answers again.`,
  ]);
  await page.close();
});

test("errors outside a live region are announced by their title; the Library's failure is one", async () => {
  const table = baseTable({ list_cache: () => { throw { kind: "io", message: "reading /home/ada/.cache/huggingface/hub: permission denied" }; } });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector("#view-library .error-box");
  await expectAnnounced(page, ["reading /home/ada/.cache/huggingface/hub: permission denied"]);
  await page.close();
});

test("search results are not a live region; the status line is, and says how many", async () => {
  const table = baseTable({
    search_models: ({ query }) => {
      if (query.search === "zzz") return { models: [], next: null };
      if (query.search === "boom") throw { kind: "unauthorized", message: "the Hub refused the request" };
      return { models: [listing("a/one"), listing("b/two"), listing("c/three")], next: query.search === "more" ? "http://x/next" : null };
    },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.waitForSelector(".result");
  const live = await page.evaluate(() => {
    const list = document.querySelector("#view-browse .results");
    return list?.closest("[aria-live], [role=status], [role=alert], [role=log]") ? "live" : "not live";
  });
  assert.equal(live, "not live", "every result of every search would be read out");
  assert.equal(await page.getAttribute("#view-browse .status-line", "role"), "status");
  await page.waitForSelector("#view-browse .status-line >> text=3 models");
  await page.fill("input.search", "zzz");
  await page.waitForSelector("#view-browse .status-line >> text=No models match “zzz”.");
  await page.fill("input.search", "boom");
  await page.waitForSelector("#view-browse .status-line .error-box");
  await sleep(50);
  assert.deepEqual(await announced(page), [], "the status line says the error; the announcer does not say it again");
  await page.close();
});
