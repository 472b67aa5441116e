// The Downloads overview in Chromium with the backend stubbed: the live jobs' total progress
// and speed in the header and the sidebar; Open folder and Copy path on finished jobs;
// Download again and Remove on cancelled and failed ones; colours that do not cry danger.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, jobView } from "./fixtures.js";

const chromium = uiSession();

const snapshot = `/home/ada/.cache/huggingface/hub/models--acme--tiny-model/snapshots/${"e".repeat(40)}`;
const ENTRY = {
  repoType: "model", repo: "acme/tiny-model", revision: "main", commit: "e".repeat(40), snapshot, bytesFetched: 10,
  files: [{ path: "model.safetensors", size: 10, localPath: `${snapshot}/model.safetensors` }],
};

test("the header and the sidebar show the live jobs' total progress and speed", async () => {
  const running = [
    jobView("job-a", { bytesDone: 1e9, bytesTotal: 2.6e9, speed: 10e6, etaSeconds: 160 }, { files: ["a.gguf"] }),
    jobView("job-b", { bytesDone: 4e8, bytesTotal: 1e9, speed: 5e6, etaSeconds: 120 }, { files: ["b.gguf"] }),
    // Not listed yet: counted as active, its bytes not guessed.
    jobView("job-c", { state: "queued", phase: "resolving" }, { files: ["c.gguf"] }),
    jobView("job-done", { state: "completed", live: false, bytesDone: 9e9, bytesTotal: 9e9 }, { files: ["d.gguf"] }),
  ];
  const { page } = await chromium.open(stubBackend(baseTable({ list_jobs: () => running, attach_download: () => null })));
  await page.waitForSelector("#live-total:not([hidden])");
  assert.equal(await page.textContent("#live-count"), "3");
  assert.equal(await page.textContent("#live-total"), "39% · 15.0 MB/s");
  await page.click(".nav-item[data-view=downloads]");
  assert.equal(await page.textContent("#view-downloads .total"), "3 active · 1.40 GB of 3.60 GB · 39% · 15.0 MB/s · 2 min 27 s left");
  assert.equal(await page.getAttribute("#view-downloads .total-bar", "aria-valuenow"), "39");
  assert.equal(await page.getAttribute("#view-downloads .total-bar", "aria-label"), "All active downloads");
  const colours = await page.evaluate(() => {
    const probe = document.createElement("span");
    probe.style.color = "var(--danger)";
    document.body.append(probe);
    const danger = getComputedStyle(probe).color;
    probe.remove();
    const badge = /** @type {HTMLElement} */ (document.getElementById("live-count"));
    return { danger, badge: [getComputedStyle(badge).backgroundColor, getComputedStyle(badge).color] };
  });
  assert.ok(!colours.badge.includes(colours.danger), `the live badge is not the danger colour: ${colours.badge}`);
  await page.close();
});

test("no live job: no total in the header or the sidebar", async () => {
  const { page } = await chromium.open(stubBackend(baseTable({ list_jobs: () => [jobView("job-done", { state: "completed", live: false, bytesDone: 10, bytesTotal: 10 }, {}, ENTRY)] })));
  await page.click(".nav-item[data-view=downloads]");
  await page.waitForSelector("[data-job=job-done]");
  assert.equal(await page.isHidden("#live-total"), true);
  assert.equal(await page.textContent("#view-downloads .total"), "");
  assert.equal(await page.isHidden("#view-downloads .total-bar"), true);
  await page.close();
});

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`finished jobs open their folder and copy their path; cancelled and failed ones download again or go (${colorScheme})`, async () => {
    let list = [
      jobView("job-done", { state: "completed", live: false, bytesDone: 10, bytesTotal: 10 }, {}, ENTRY),
      jobView("job-cancelled", { state: "cancelled", live: false, bytesDone: 4e8, bytesTotal: 9e8 }, { files: ["big.gguf"] }),
      jobView("job-failed", { state: "failed", live: false, bytesDone: 5, bytesTotal: 10, error: { kind: "checksum", message: "x.gguf failed its integrity check" } }, { files: ["x.gguf"] }),
      jobView("job-running", { bytesDone: 1e8, bytesTotal: 1e9, speed: 1e6, etaSeconds: 900 }, { files: ["live.gguf"] }),
    ];
    const calls = [];
    const table = baseTable({
      list_jobs: () => list,
      attach_download: () => null,
      reveal_in_file_manager: ({ path }) => { calls.push(["reveal", path]); return null; },
      retry_download: ({ jobId }) => { calls.push(["retry", jobId]); return null; },
      remove_job: ({ jobId }) => {
        calls.push(["remove", jobId]);
        if (jobId === "job-failed") throw { kind: "invalidInput", message: "invalid job: job-failed has not finished; cancel it before removing it from the list" };
        list = list.filter((j) => j.id !== jobId);
        return null;
      },
    });
    const { page } = await chromium.open(stubBackend(table), { colorScheme });
    await page.evaluate(() => {
      /** @type {string[]} */ (window.copied = []);
      navigator.clipboard.writeText = async (text) => void window.copied.push(text);
    });
    await page.click(".nav-item[data-view=downloads]");
    await page.waitForSelector("[data-job=job-failed] .error-box");
    assert.equal(await page.textContent("[data-job=job-cancelled] .actions"), "Download againRemove");
    assert.equal(await page.textContent("[data-job=job-failed] > .actions"), "Remove");
    assert.equal(await page.textContent("[data-job=job-running] .actions"), "PauseCancel", "a live job cannot be removed");
    const fills = await page.evaluate(() => {
      const probe = document.createElement("span");
      probe.style.backgroundColor = "var(--danger)";
      document.body.append(probe);
      const danger = getComputedStyle(probe).backgroundColor;
      probe.remove();
      const fill = (/** @type {string} */ id) => getComputedStyle(/** @type {Element} */ (document.querySelector(`[data-job=${id}] .fill`))).backgroundColor;
      return { danger, cancelled: fill("job-cancelled"), failed: fill("job-failed") };
    });
    assert.notEqual(fills.cancelled, fills.danger, "a cancel was the person's choice: no red bar");
    assert.equal(fills.failed, fills.danger);
    await page.screenshot({ path: new URL(`downloads-overview-${colorScheme}.png`, SHOTS).pathname, fullPage: true });

    await page.click("[data-job=job-done] button >> text=Open folder");
    await page.click("[data-job=job-done] button >> text=Copy path");
    await page.waitForSelector("[data-job=job-done] .job-note >> text=Copied:");
    assert.deepEqual(await page.evaluate(() => window.copied), [`${snapshot}/model.safetensors`]);
    assert.deepEqual(calls, [["reveal", snapshot]]);

    await page.click("[data-job=job-cancelled] button >> text=Download again");
    for (let waited = 0; !calls.some((c) => c[0] === "retry") && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(calls.at(-1), ["retry", "job-cancelled"]);

    // A refusal is said in the row.
    await page.click("[data-job=job-failed] > .actions button >> text=Remove");
    await page.waitForSelector("[data-job=job-failed] .job-note .error-box");
    assert.match(await page.textContent("[data-job=job-failed] .job-note") ?? "", /has not finished/);

    // Removed: the row goes, the focus moves to the row now in its place.
    await page.focus("[data-job=job-cancelled] button >> text=Remove");
    await page.keyboard.press("Enter");
    await page.waitForSelector("[data-job=job-cancelled]", { state: "detached" });
    assert.deepEqual(calls.at(-1), ["remove", "job-cancelled"]);
    await page.waitForFunction(() => document.activeElement?.closest("[data-job]") !== null);
    await page.close();
  });
}

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`Remove on a failed download with gigabytes fetched asks first, and says what it freed (${colorScheme})`, async () => {
    let list = [
      jobView("job-failed", { state: "failed", live: false, bytesDone: 3.2e9, bytesTotal: 9e9, error: { kind: "network", message: "gave up on big.gguf" } }, { files: ["big.gguf"] }),
      // 9 GB of it are finished files, which stay in the cache: 5 MB go.
      jobView("job-small", {
        state: "failed", live: false, bytesDone: 9.005e9, bytesTotal: 13e9, error: { kind: "network", message: "gave up on b.gguf" },
        files: [{ path: "a.gguf", size: 9e9, done: 9e9, state: "cached" }, { path: "b.gguf", size: 4e9, done: 5e6, state: "downloading" }],
      }, { files: ["a.gguf", "b.gguf"] }),
    ];
    /** @type {string[]} */
    const removed = [];
    const table = baseTable({
      list_jobs: () => list,
      attach_download: () => null,
      remove_job: ({ jobId }) => {
        removed.push(jobId);
        const job = list.find((j) => j.id === jobId);
        list = list.filter((j) => j.id !== jobId);
        return jobId === "job-small" ? 5e6 : job?.progress.bytesDone ?? 0;
      },
    });
    const { page } = await chromium.open(stubBackend(table), { colorScheme });
    await page.click(".nav-item[data-view=downloads]");
    await page.waitForSelector("[data-job=job-failed] .error-box");

    await page.click("[data-job=job-failed] > .actions button >> text=Remove");
    await page.waitForSelector("dialog.confirm[open]");
    assert.match(await page.textContent("dialog.confirm") ?? "", /Remove this download\?.*3\.20 GB already downloaded will be deleted\. Retry keeps it/s);
    await page.screenshot({ path: new URL(`downloads-remove-failed-${colorScheme}.png`, SHOTS).pathname });
    await page.click("dialog.confirm button.secondary");
    assert.deepEqual(removed, [], "Keep it removes nothing");

    await page.click("[data-job=job-failed] > .actions button >> text=Remove");
    await page.click("dialog.confirm button.danger");
    await page.waitForSelector("[data-job=job-failed]", { state: "detached" });
    assert.equal(await page.textContent("#view-downloads .status-line"), "Deleted 3.20 GB of unfinished downloads.");

    // A few megabytes of unfinished files go without a question.
    await page.click("[data-job=job-small] > .actions button >> text=Remove");
    await page.waitForSelector("[data-job=job-small]", { state: "detached" });
    assert.deepEqual(removed, ["job-failed", "job-small"]);
    assert.equal(await page.textContent("#view-downloads .status-line"), "Deleted 5.00 MB of unfinished downloads.");
    await page.screenshot({ path: new URL(`downloads-removed-failed-${colorScheme}.png`, SHOTS).pathname });
    await page.close();
  });
}
