// Where the focus goes, in Chromium with the backend stubbed: to the view's heading after
// every navigation, to the next sensible control after a row is rebuilt (never back to
// <body>, which starts a keyboard user over at the top); Escape and Alt+Left go back.

import { test } from "node:test";
import assert from "node:assert/strict";
import { stubBackend, uiSession } from "./harness.js";
import { baseTable, INFO, jobView, listing, SETTINGS } from "./fixtures.js";

const chromium = uiSession();

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** The focused element, in words: "#id", or "tag:text", with the job or repository row it is in. */
function focused(/** @type {import("playwright-core").Page} */ page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "body";
    const row = el.closest("[data-job], [data-repo]");
    const where = row ? `${row.getAttribute("data-job") ?? row.getAttribute("data-repo")} ` : "";
    if (el.id) return `${where}#${el.id}`;
    const name = el.getAttribute("name");
    return `${where}${el.tagName.toLowerCase()}${name ? `[name=${name}]` : `:${el.textContent?.trim()}`}`;
  });
}

/** Waits until the focus is on `expected` (see {@link focused}). */
async function expectFocus(/** @type {import("playwright-core").Page} */ page, /** @type {string} */ expected, message = "") {
  let now = await focused(page);
  for (let waited = 0; now !== expected && waited < 3000; waited += 25) {
    await sleep(25);
    now = await focused(page);
  }
  assert.equal(now, expected, message);
}

/** @param {import("playwright-core").Page} page */
const visibleView = (page) => page.evaluate(() => [...document.querySelectorAll("section.view")].filter((s) => !(/** @type {HTMLElement} */ (s).hidden)).map((s) => s.id).join());

const MODEL = (/** @type {string} */ repo) => ({
  id: repo, revision: "main", commit: "c".repeat(40), gated: "no", private: false, tags: [], pipelineTag: null, libraryName: null, downloads: 1, likes: 1, lastModified: null, memoryTotal: null, cardHtml: null,
  files: [{ path: "model.safetensors", size: 300e6, lfs: true, cached: false }],
});

test("after every navigation the focus is on the view's heading", async () => {
  const { page } = await chromium.open(stubBackend(baseTable({ get_model: ({ repo }) => MODEL(repo) })));
  await page.waitForSelector(".result");
  for (const view of ["downloads", "library", "settings", "browse"]) {
    await page.focus(`.nav-item[data-view=${view}]`);
    await page.keyboard.press("Enter");
    await expectFocus(page, `#h-${view}`, `after opening ${view}`);
  }
  await page.keyboard.press("Control+3");
  await expectFocus(page, "#h-library", "Ctrl+3");
  await page.keyboard.press("Control+k");
  await expectFocus(page, "input:", "Ctrl+K still goes to the search box");

  // Opening a model: its heading, which keeps the focus while the model loads and when it is shown.
  await page.fill("input.search", "acme/tiny-model");
  await page.keyboard.press("Enter");
  await expectFocus(page, "#h-model");
  await page.waitForSelector("#view-model .files");
  assert.equal(await focused(page), "#h-model");
  assert.equal(await page.textContent("#h-model"), "acme/tiny-model");

  // Back, by the button.
  await page.focus("#view-model button.back");
  await page.keyboard.press("Enter");
  assert.equal(await visibleView(page), "view-browse");
  await expectFocus(page, "#h-browse");
  await page.close();
});

test("Escape and Alt+Left go back from the model view, and out of a dialog", async () => {
  const deleted = [];
  const repo = { repoType: "model", repoId: "acme/tiny-model", folder: "models--acme--tiny-model", sizeOnDisk: 400105, nbFiles: 5, lastAccessed: 0, lastModified: 0, revisions: [], problems: [] };
  const table = baseTable({
    get_model: ({ repo: id }) => MODEL(id),
    list_cache: { scan: { root: "/hub", repos: [repo], sizeOnDisk: 400105, problems: [] }, freeBytes: 1e9 },
    delete_from_cache: ({ target }) => { deleted.push(target); return { bytes: 0, paths: [] }; },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.fill("input.search", "acme/tiny-model");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model .files");
  assert.equal(await page.getAttribute("#view-model button.back", "aria-keyshortcuts"), "Escape Alt+ArrowLeft");
  await page.focus(".files tbody input[type=checkbox]");
  await page.keyboard.press("Escape");
  assert.equal(await visibleView(page), "view-browse", "Escape: back to the results");
  await expectFocus(page, "#h-browse");

  await page.fill("input.search", "acme/other");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model .files");
  await page.keyboard.press("Alt+ArrowLeft");
  assert.equal(await visibleView(page), "view-browse", "Alt+Left: back to the results");
  await expectFocus(page, "#h-browse");

  // In the search box Alt+Left belongs to the text (a word to the left on macOS).
  await page.focus("input.search");
  await page.keyboard.press("Control+2");
  await page.keyboard.press("Alt+ArrowLeft");
  assert.equal(await visibleView(page), "view-browse", "Alt+Left goes back along the views visited");
  await page.focus("input.search");
  await page.keyboard.press("Alt+ArrowLeft");
  assert.equal(await visibleView(page), "view-browse");
  assert.equal(await focused(page), "input:", "typing is left alone");

  // A dialog: Escape and Alt+Left close it without doing anything, and the focus goes back.
  await page.keyboard.press("Control+3");
  await page.waitForSelector("[data-repo='acme/tiny-model']");
  for (const key of ["Escape", "Alt+ArrowLeft"]) {
    await page.focus("[data-repo='acme/tiny-model'] button.danger");
    await page.keyboard.press("Enter");
    await page.waitForSelector("dialog.confirm[open]");
    await page.keyboard.press(key);
    await page.waitForSelector("dialog.confirm", { state: "detached" });
    assert.equal(await visibleView(page), "view-library", `${key} closes the dialog and stays in the view`);
    await expectFocus(page, "acme/tiny-model button:Delete");
  }
  assert.deepEqual(deleted, []);
  await page.close();
});

test("Downloads: after Cancel, Pause, Retry or Clear finished the focus stays in the row or moves to the next", async () => {
  let list = [jobView("job-a", { bytesDone: 1e6, bytesTotal: 300e6 }), jobView("job-b", { bytesDone: 1e6, bytesTotal: 300e6 })];
  const set = (/** @type {string} */ id, /** @type {object} */ progress) => {
    list = list.map((j) => (j.id === id ? { ...j, progress: { ...j.progress, ...progress } } : j));
    return null;
  };
  const table = baseTable({
    list_jobs: () => list,
    attach_download: () => null,
    cancel_download: ({ jobId }) => set(jobId, { state: "cancelled", live: false }),
    pause_download: ({ jobId }) => set(jobId, { state: "paused", live: false }),
    resume_download: ({ jobId }) => set(jobId, { state: "running", live: true }),
    retry_download: ({ jobId }) => set(jobId, { state: "running", live: true, error: null }),
    clear_finished_jobs: () => { list = list.filter((j) => j.progress.live || j.progress.state === "paused"); return null; },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.keyboard.press("Control+2");
  await page.waitForSelector("[data-job=job-b]");

  await page.focus("[data-job=job-a] button.danger");
  await page.keyboard.press("Enter");
  await ui.emit("jobs-changed");
  await expectFocus(page, "job-a button:Download again", "Cancel → the row's new first button");

  await page.keyboard.press("Enter");
  await ui.emit("jobs-changed");
  await expectFocus(page, "job-a button:Pause", "Download again → Pause");
  await page.keyboard.press("Enter");
  await ui.emit("jobs-changed");
  await expectFocus(page, "job-a button:Resume", "Pause → Resume");

  // A finished job cleared away: the row now in its place.
  await page.focus("[data-job=job-b] button.danger");
  await page.keyboard.press("Enter");
  await ui.emit("jobs-changed");
  await expectFocus(page, "job-b button:Download again");
  await page.focus("#view-downloads .toolbar button");
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-job=job-b]", { state: "detached" });
  await expectFocus(page, "job-a button:Resume", "Clear finished went away with nothing to clear: the first row");

  list = [];
  await page.focus("[data-job=job-a] button.danger");
  await ui.emit("jobs-changed");
  await page.waitForSelector("[data-job=job-a]", { state: "detached" });
  await expectFocus(page, "#h-downloads", "the last row went away: the heading");
  assert.deepEqual(ui.errors, []);
  await page.close();
});

test("Library: after a delete the focus goes to the next repository, after the last one to the heading", async () => {
  const repo = (/** @type {string} */ id) => ({ repoType: "model", repoId: id, folder: `models--${id.replace("/", "--")}`, sizeOnDisk: 1000, nbFiles: 1, lastAccessed: 0, lastModified: 0, revisions: [], problems: [] });
  let repos = [repo("acme/one"), repo("acme/two")];
  const table = baseTable({
    list_cache: () => ({ scan: { root: "/hub", repos, sizeOnDisk: 2000, problems: [] }, freeBytes: 1e9 }),
    delete_from_cache: ({ target }) => { repos = repos.filter((r) => r.repoId !== target.repoId); return { bytes: 1000, paths: [] }; },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.keyboard.press("Control+3");
  await page.waitForSelector("[data-repo='acme/two']");

  // The cache changing on disk redraws the list: the focus stays on the same control.
  await page.focus("[data-repo='acme/two'] button.secondary");
  await ui.emit("cache-changed");
  await sleep(200);
  assert.equal(await focused(page), "acme/two button:Show in folder");

  await page.focus("[data-repo='acme/one'] button.danger");
  await page.keyboard.press("Enter");
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("[data-repo='acme/one']", { state: "detached" });
  await expectFocus(page, "acme/two button:Delete", "the next repository's same button");

  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-library li.empty");
  await expectFocus(page, "#h-library", "nothing left: the list's heading");
  await page.close();
});

test("Settings, Browse and the model view keep the focus on a control when they redraw", async () => {
  let failModel = true;
  const table = baseTable({
    set_settings: ({ update }) => ({ ...SETTINGS, concurrentJobs: update.concurrentJobs }),
    get_model: ({ repo }) => {
      if (failModel) {
        failModel = false;
        throw { kind: "network", message: "could not connect" };
      }
      return MODEL(repo);
    },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.keyboard.press("Control+4");
  await page.fill("input[name=concurrentJobs]", "3");
  await page.keyboard.press("Enter");
  await page.waitForSelector("text=Saved.");
  await expectFocus(page, "#setting-concurrentJobs", "Enter in a field: the same field in the redrawn form");
  await page.focus("form.settings button[type=submit]");
  await page.keyboard.press("Enter");
  await sleep(200);
  assert.equal(await focused(page), "button:Save");

  // A popular search hides the list it was in: the search box, with its words, takes the focus.
  await page.keyboard.press("Control+1");
  await page.focus(".popular button");
  await page.keyboard.press("Enter");
  await expectFocus(page, "input:");
  assert.equal(await page.inputValue("input.search"), "Llama");

  // Retry in the model view's error box: the box goes, the heading keeps the focus.
  await page.fill("input.search", "acme/flaky");
  await page.keyboard.press("Enter");
  await page.focus("#view-model .error-box button[data-action=retry]");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model .files");
  await expectFocus(page, "#h-model");
  await page.close();
});

test("offline: Try again in Browse and in the banner leave the focus on a control", async () => {
  let up = false;
  const table = baseTable({
    app_info: () => ({ ...INFO, online: up }),
    check_connection: () => up,
    search_models: () => {
      if (!up) throw { kind: "network", message: "could not connect" };
      return { models: [listing("found/it")], next: null };
    },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.waitForSelector(".offline-state button");
  await page.focus("#offline-banner button");
  await page.keyboard.press("Enter");
  await sleep(200);
  assert.equal(await focused(page), "button:Try again", "still down: the banner's button, enabled again");
  await page.focus(".offline-state button");
  up = true;
  await page.keyboard.press("Enter");
  await page.waitForSelector("text=found/it");
  await expectFocus(page, "input:", "the offline state went: the search box");
  await page.close();
});
