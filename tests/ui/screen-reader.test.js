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

/** The accessible names of the buttons shown in `scope` (these buttons are named by their
 * aria-label or their text, never by aria-labelledby). */
const buttonNames = (/** @type {import("playwright-core").Page} */ page, /** @type {string} */ scope) =>
  page.evaluate((selector) => [...document.querySelectorAll(`${selector} button`)].filter((b) => b.getClientRects().length > 0).map((b) => b.getAttribute("aria-label") ?? b.textContent?.trim() ?? ""), scope);

/** @param {string[]} names */
const repeated = (names) => [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];

test("repeated buttons name what they act on, starting with the words they show", async () => {
  const snapshot = `/hub/models--acme--tiny-model/snapshots/${"e".repeat(40)}`;
  const entry = { repoType: "model", repo: "acme/tiny-model", revision: "main", commit: "e".repeat(40), snapshot, bytesFetched: 10, files: [{ path: "a.gguf", size: 10, localPath: `${snapshot}/a.gguf` }] };
  const gated = { kind: "gated", message: "gated", repo: "acme/gated" };
  const repo = (/** @type {string} */ id) => ({ repoType: "model", repoId: id, folder: `models--${id.replace("/", "--")}`, sizeOnDisk: 1000, nbFiles: 1, lastAccessed: 0, lastModified: 0, revisions: [], problems: [] });
  const table = baseTable({
    list_jobs: () => [
      jobView("j1", { bytesDone: 1, bytesTotal: 10 }, { files: ["a.gguf"] }),
      jobView("j2", { bytesDone: 1, bytesTotal: 10 }, { files: ["b.gguf"] }),
      jobView("j3", { state: "paused", live: false }, { files: ["c.gguf"] }),
      jobView("j4", { state: "paused", live: false }, { files: ["d.gguf"] }),
      jobView("j5", { state: "completed", live: false }, { files: ["a.gguf"] }, entry),
      jobView("j6", { state: "completed", live: false }, { files: ["a.gguf"], repo: "acme/other" }, { ...entry, repo: "acme/other" }),
      jobView("j7", { state: "failed", live: false, error: gated }, { repo: "acme/gated", files: ["x.gguf"] }),
      jobView("j8", { state: "failed", live: false, error: gated }, { repo: "acme/gated", files: ["y.gguf"] }),
      jobView("j9", { state: "cancelled", live: false }, { files: ["e.gguf"] }),
    ],
    attach_download: () => null,
    list_cache: { scan: { root: "/hub", repos: [repo("lab-org/tiny-gpt"), repo("acme/tiny-model")], sizeOnDisk: 2000, problems: [] }, freeBytes: 1e9 },
    get_model: ({ repo: id }) => ({
      id, revision: "main", commit: "c".repeat(40), gated: "no", private: false, tags: [], pipelineTag: null, libraryName: "gguf", downloads: 1, likes: 1, lastModified: null, memoryTotal: null, cardHtml: null,
      files: [
        { path: "README.md", size: 1000, lfs: false, cached: false },
        { path: "tiny-gpt-Q4_K_M.gguf", size: 2.15e9, lfs: true, cached: false },
        { path: "tiny-gpt-Q8_0.gguf", size: 4.1e9, lfs: true, cached: false },
      ],
    }),
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.keyboard.press("Control+2");
  await page.waitForSelector("[data-job=j8] .error-box");
  const downloads = await buttonNames(page, "#view-downloads .jobs");
  assert.deepEqual(repeated(downloads), [], "no two buttons in Downloads share a name");
  for (const name of ["Pause download of a.gguf from acme/tiny-model", "Cancel download of b.gguf from acme/tiny-model", "Resume download of c.gguf from acme/tiny-model", "Show in Library, a.gguf from acme/other", "Open folder of a.gguf from acme/tiny-model", "Copy path of a.gguf from acme/tiny-model", "Download again: e.gguf from acme/tiny-model", "Remove from the list: e.gguf from acme/tiny-model", "Retry, download of y.gguf from acme/gated", "Request access on the Hub, download of x.gguf from acme/gated"]) {
    assert.ok(downloads.includes(name), `${name} in ${JSON.stringify(downloads)}`);
  }
  assert.equal(await page.getByRole("button", { name: "Cancel download of b.gguf from acme/tiny-model", exact: true }).count(), 1, "the name is what assistive technology gets");

  await page.keyboard.press("Control+3");
  await page.waitForSelector("[data-repo='acme/tiny-model']");
  const library = await buttonNames(page, "#view-library .repos");
  // Largest first, equal sizes by name.
  assert.deepEqual(library, ["Show in folder, acme/tiny-model", "Open on Hugging Face, acme/tiny-model", "Copy path of acme/tiny-model", "Delete acme/tiny-model", "Show in folder, lab-org/tiny-gpt", "Open on Hugging Face, lab-org/tiny-gpt", "Copy path of lab-org/tiny-gpt", "Delete lab-org/tiny-gpt"]);

  await page.keyboard.press("Control+1");
  await page.fill("input.search", "lab-org/tiny-gpt");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".files tbody tr");
  assert.deepEqual(await buttonNames(page, ".files tbody"), ["Download Q4_K_M, 2.15 GB", "Download Q8_0, 4.10 GB", "Download README.md, 1.00 KB"], "quantizations first, smallest first");
  assert.deepEqual(await page.locator(".files th").allTextContents(), ["File", "Size", "Notes", "Download"], "no empty column headers");
  await page.close();
});

test("Settings: each field is named by its label and described by its help, which is not in the label", async () => {
  const { page } = await chromium.open(stubBackend(baseTable()));
  await page.keyboard.press("Control+4");
  await page.waitForSelector("input[name=concurrentJobs]");
  const fields = await page.evaluate(() =>
    [...document.querySelectorAll("form.settings input")].map((input) => {
      const labels = [.../** @type {HTMLInputElement} */ (input).labels ?? []];
      const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean).map((id) => document.getElementById(id)?.textContent ?? `missing #${id}`);
      return { name: input.getAttribute("name"), label: labels.map((l) => l.textContent).join(" "), labelHasHelp: labels.some((l) => l.querySelector(".help") !== null), described: described.join(" ") };
    }),
  );
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  assert.equal(byName.concurrentJobs.label, "Downloads at once");
  assert.equal(byName.concurrentJobs.described, "More jobs wait in the queue.");
  assert.equal(byName.endpoint.label, "Hub endpoint");
  assert.match(byName.endpoint.described, /^Set by HF_ENDPOINT; change it there to change it here\./);
  assert.equal(byName.moveTo.label, "Move the cache to");
  for (const field of fields) {
    assert.equal(field.labelHasHelp, false, `${field.name}: the help is not part of the name`);
    if (field.name !== "moveTo") assert.notEqual(field.described, "", `${field.name} has a description`);
  }
  assert.equal(await page.getByRole("spinbutton", { name: "Downloads at once", exact: true }).count(), 1);
  await page.close();
});

test("with reduced motion asked for, nothing spins or slides", async () => {
  const table = baseTable({
    get_model: () => new Promise(() => {}),
    list_jobs: [jobView("job-a", { bytesDone: 1, bytesTotal: 2 })],
    attach_download: null,
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.emulateMedia({ reducedMotion: "reduce" });
  await page.fill("input.search", "acme/slow");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model .loading");
  const spinner = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector("#view-model .loading")), "::after").animationName);
  assert.equal(spinner, "none", "the spinner stands still");
  await page.keyboard.press("Control+2");
  const slide = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector("[data-job=job-a] .fill"))).transitionDuration);
  assert.equal(slide, "0s", "the bar jumps to its width");

  await page.emulateMedia({ reducedMotion: "no-preference" });
  assert.notEqual(await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector("[data-job=job-a] .fill"))).transitionDuration), "0s", "otherwise it slides");
  await page.close();
});
