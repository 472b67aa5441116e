// Every error says what to do, with the button that does it: each kind of failed download in
// Chromium with the backend stubbed (its sentence, its buttons, where they lead), sizes from
// the listing instead of "of ?", and the same wording in the Model view.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, EMPTY_CACHE, INFO, jobView } from "./fixtures.js";

const chromium = uiSession();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The errors as the backend reports them (ErrorReport with its context).
const GATED = { kind: "gated", message: "acme/tiny-gated is gated: Access to model acme/tiny-gated is restricted. You must have access to it and be authenticated to access it. Please log in.", repo: "acme/tiny-gated" };
const DISK_FULL = { kind: "diskFull", message: "not enough disk space in /home/ada/.cache/huggingface/hub: 12000000000 bytes needed, 3000000000 available", needed: 12e9, available: 3e9 };
const ENOSPC = { kind: "diskFull", message: "writing /home/ada/.cache/huggingface/hub/models--acme--big/blobs/ab.incomplete: No space left on device (os error 28)" };
const UNAUTHORIZED = { kind: "unauthorized", message: "the Hub refused the request: the access token is invalid" };
const PRIVATE = { kind: "notFound", message: "repository acme/secret was not found on the Hub (or it is private)", repo: "acme/secret" };
const NO_FILE = { kind: "notFound", message: "model.safetensors was not found in acme/tiny-model at main", repo: "acme/tiny-model", revision: "main", file: "model.safetensors" };
const NETWORK = { kind: "network", message: "gave up on model.safetensors: cdn.test ended it at 12.0 MB of 300 MB, 5 times", host: "cdn.test" };

const failed = (id, error, progress = {}, request = {}) => jobView(id, { state: "failed", live: false, bytesDone: 0, bytesTotal: 0, error, ...progress }, request);

/** Opens Downloads with `list` as the jobs; records what the buttons asked the backend. */
async function downloads(list, options = {}) {
  const seen = { opened: [], retried: [], pruned: 0 };
  const table = baseTable({
    list_jobs: () => list,
    retry_download: ({ jobId }) => { seen.retried.push(jobId); return null; },
    "plugin:opener|open_url": ({ url }) => { seen.opened.push(url); return null; },
    prune_cache: () => { seen.pruned += 1; return { bytes: 0, paths: [] }; },
    ...options.table,
  });
  const ui = await chromium.open(stubBackend(table), options);
  await ui.page.click(".nav-item[data-view=downloads]");
  await ui.page.waitForSelector(`[data-job=${list[0].id}] .error-box`);
  return { ...ui, seen };
}

/** The labels of the buttons of a job's error, its next steps, in order (Remove, below the
 * box, is the same for every failed job). */
const buttons = (page, id) => page.locator(`[data-job=${id}] .job-error button`).allTextContents();

test("gated: says to request access and add a token; the buttons open the Hub page and the token field", async () => {
  const job = failed("job-gated", GATED, { bytesTotal: 4098 }, { repo: "acme/tiny-gated", files: [] });
  const { page, seen, errors } = await downloads([job]);
  const row = "[data-job=job-gated]";
  assert.equal(await page.textContent(`${row} .error-title`), "acme/tiny-gated is gated");
  assert.match(await page.textContent(`${row} .hint`) ?? "", /request access on the Hub first.*add an access token.*then retry\./);
  assert.match(await page.textContent(`${row} .detail`) ?? "", /Please log in\./, "the Hub's own words stay visible");
  assert.deepEqual(await buttons(page, "job-gated"), ["Request access on the Hub", "Add a token", "Retry"]);
  assert.equal(await page.textContent(`${row} .numbers`), "0 B of 4.10 KB", "the size from the listing, never “of ?”");

  await page.click(`${row}  button[data-action=request-access]`);
  await sleep(100);
  assert.deepEqual(seen.opened, [`${INFO.endpoint}/acme/tiny-gated`], "the model's page, in the system browser");

  await page.click(`${row}  button[data-action=add-token]`);
  await page.waitForSelector("#view-settings:not([hidden])");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "token", "the token field has the focus");

  await page.click(".nav-item[data-view=downloads]");
  await page.click(`${row}  button[data-action=retry]`);
  await sleep(100);
  assert.deepEqual(seen.retried, ["job-gated"]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("disk full: how much is needed and free, and a way to the Library's clean-up", async () => {
  const { page, seen } = await downloads([failed("job-full", DISK_FULL, { bytesTotal: 12e9 }, { repo: "acme/big", files: [] })]);
  const row = "[data-job=job-full]";
  assert.equal(await page.textContent(`${row} .error-title`), "Not enough space on the cache's disk");
  assert.match(await page.textContent(`${row} .hint`) ?? "", /needs 12\.0 GB; 3\.00 GB is free\./);
  assert.deepEqual(await buttons(page, "job-full"), ["Clean up the Library", "Retry"]);
  await page.click(`${row}  button[data-action=clean-up]`);
  await page.waitForSelector("#view-library:not([hidden])");
  await page.waitForSelector("dialog.confirm >> text=Clean up the cache?");
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("#view-library >> text=Cleaned up 0 B.");
  assert.equal(seen.pruned, 1);
  await page.close();
});

test("disk full in the middle of a file: the free space comes from the cache overview", async () => {
  const { page } = await downloads([failed("job-enospc", ENOSPC, { bytesDone: 5e9, bytesTotal: 9e9 })], {
    table: { list_cache: { ...EMPTY_CACHE, freeBytes: 120e6 } },
  });
  const row = "[data-job=job-enospc]";
  await page.waitForSelector(`${row} .free`);
  assert.equal(await page.textContent(`${row} .free`), "Free on the cache's disk now: 120 MB.");
  assert.match(await page.textContent(`${row} .hint`) ?? "", /The disk filled up during the download; what arrived is kept, and Retry continues from it\./);
  assert.equal(await page.textContent(`${row} .numbers`), "5.00 GB of 9.00 GB");
  assert.deepEqual(await buttons(page, "job-enospc"), ["Clean up the Library", "Retry"]);
  await page.close();
});

test("unauthorized and not found say which, what to check, and offer a token and the Hub page", async () => {
  const { page, seen } = await downloads([
    failed("job-token", UNAUTHORIZED, {}, { repo: "acme/secret" }),
    failed("job-private", PRIVATE, {}, { repo: "acme/secret" }),
    failed("job-file", NO_FILE, { bytesTotal: 300000 }, { revision: "main" }),
    failed("job-dataset", { kind: "notFound", message: "repository acme/data was not found on the Hub (or it is private)", repo: "acme/data" }, {}, { repo: "acme/data", repoType: "dataset" }),
  ]);
  assert.equal(await page.textContent("[data-job=job-token] .error-title"), "The Hub refused the access token");
  assert.match(await page.textContent("[data-job=job-token] .hint") ?? "", /mistyped, revoked, or not allowed to read acme\/secret/);
  assert.deepEqual(await buttons(page, "job-token"), ["Check the token", "Open on the Hub", "Retry"]);

  assert.equal(await page.textContent("[data-job=job-private] .error-title"), "acme/secret was not found on the Hub");
  assert.match(await page.textContent("[data-job=job-private] .hint") ?? "", /A private repository looks missing until you add an access token/);
  assert.deepEqual(await buttons(page, "job-private"), ["Add a token", "Open on the Hub", "Retry"]);

  assert.equal(await page.textContent("[data-job=job-file] .error-title"), "model.safetensors is not in acme/tiny-model at main");
  assert.deepEqual(await buttons(page, "job-file"), ["Open on the Hub", "Retry"]);

  await page.click("[data-job=job-private]  button[data-action=open-on-hub]");
  await page.click("[data-job=job-file]  button[data-action=open-on-hub]");
  await page.click("[data-job=job-dataset]  button[data-action=open-on-hub]");
  await sleep(150);
  assert.deepEqual(seen.opened, [`${INFO.endpoint}/acme/secret`, `${INFO.endpoint}/acme/tiny-model/tree/main`, `${INFO.endpoint}/datasets/acme/data`]);

  await page.click("[data-job=job-token]  button[data-action=add-token]");
  await page.waitForSelector("#view-settings:not([hidden])");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "token");
  await page.close();
});

test("network: says what happened and that downloads carry on by themselves; Retry", async () => {
  const { page, seen } = await downloads([failed("job-net", NETWORK, { bytesDone: 12e6, bytesTotal: 300e6 })]);
  const row = "[data-job=job-net]";
  assert.equal(await page.textContent(`${row} .error-title`), "Trouble talking to cdn.test");
  assert.match(await page.textContent(`${row} .hint`) ?? "", /downloads wait and carry on by themselves.*Retry continues from what is already downloaded/);
  assert.match(await page.textContent(`${row} .detail`) ?? "", /gave up on model\.safetensors/);
  assert.deepEqual(await buttons(page, "job-net"), ["Retry"]);
  await page.click(`${row}  button[data-action=retry]`);
  await sleep(100);
  assert.deepEqual(seen.retried, ["job-net"]);
  await page.close();
});

test("sizes: “Preparing…” before the files are listed, never “of ?”", async () => {
  const table = baseTable({
    list_jobs: () => [
      jobView("job-new", { phase: "resolving" }),
      jobView("job-early", { state: "failed", live: false, error: { kind: "internal", message: "internal error: x" } }),
      jobView("job-planned", { phase: "downloading", bytesDone: 0, bytesTotal: 4098 }),
    ],
    attach_download: () => null,
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=downloads]");
  await page.waitForSelector("[data-job=job-new]");
  assert.equal(await page.textContent("[data-job=job-new] .numbers"), "Preparing…");
  assert.equal(await page.getAttribute("[data-job=job-new] .bar", "aria-valuenow"), null, "no total yet: the bar is indeterminate");
  assert.equal(await page.getAttribute("[data-job=job-new] .bar", "aria-valuetext"), "Preparing… · Resolving");
  assert.equal(await page.getAttribute("[data-job=job-early] .bar", "aria-valuetext"), "Nothing downloaded · Failed");
  assert.equal(await page.textContent("[data-job=job-early] .numbers"), "Nothing downloaded");
  assert.match(await page.textContent("[data-job=job-planned] .numbers") ?? "", /^0 B of 4\.10 KB/);
  assert.doesNotMatch(await page.textContent("#view-downloads") ?? "", /of \?/);
  await page.close();
});

test("the Model view words errors the same way: a missing or private model offers a token and the Hub page", async () => {
  const opened = [];
  const table = baseTable({
    get_model: ({ repo }) => { throw { kind: "notFound", message: `repository ${repo} was not found on the Hub (or it is private)`, repo }; },
    "plugin:opener|open_url": ({ url }) => { opened.push(url); return null; },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.fill("input.search", "acme/secret");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model .error-box");
  assert.equal(await page.textContent("#view-model .error-title"), "acme/secret was not found on the Hub");
  assert.deepEqual(await page.locator("#view-model .error-box button").allTextContents(), ["Add a token", "Open on the Hub", "Retry"]);
  await page.click("#view-model  button[data-action=open-on-hub]");
  await sleep(100);
  assert.deepEqual(opened, [`${INFO.endpoint}/acme/secret`]);
  await page.close();
});

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`screenshot: Downloads with a gated and a disk-full job (${colorScheme})`, async () => {
    const list = [
      failed("job-gated", GATED, { bytesTotal: 4098 }, { repo: "acme/tiny-gated", files: [] }),
      failed("job-full", DISK_FULL, { bytesTotal: 12e9 }, { repo: "TheBloke/Llama-2-70B-GGUF", files: ["llama-2-70b.Q4_K_M.gguf"] }),
    ];
    const { page, errors } = await downloads(list, { colorScheme });
    await page.waitForSelector("[data-job=job-full] .error-box");
    // Nothing sticks out of its row.
    const overflow = await page.evaluate(() =>
      [...document.querySelectorAll(".job .error-box, .job .error-box *")].filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible").length,
    );
    assert.equal(overflow, 0);
    await page.screenshot({ path: new URL(`downloads-errors-${colorScheme}.png`, SHOTS).pathname });
    assert.deepEqual(errors, []);
    await page.close();
  });
}
