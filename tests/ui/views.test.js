// Each view's states in Chromium with the backend stubbed: loading, empty, error, data;
// search supersession; the model's file groups; progress rendering; the cancel rule; Library.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, INFO, jobView, listing, MACHINE_GPU8, OTHER_APPS } from "./fixtures.js";

const chromium = uiSession();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("a newer search supersedes a slower older one", async () => {
  const table = baseTable({
    search_models: async ({ query }) => {
      if (query.search === "llam") {
        await sleep(600);
        return { models: [listing("old/llam-result")], next: null };
      }
      return { models: [listing(`new/${query.search ?? "all"}`)], next: null };
    },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.waitForSelector(".result");
  await page.fill("input.search", "llam");
  await sleep(350);
  await page.fill("input.search", "llama");
  await page.waitForSelector("text=new/llama");
  await sleep(700);
  const names = await page.locator(".result .name").allTextContents();
  assert.deepEqual(names, ["new/llama"], "the slow answer to the old query is dropped");
  await page.close();
});

test("search shows empty and error states, retries, and loads more on scroll", async () => {
  let fail = true;
  const table = baseTable({
    search_models: ({ query }) => {
      if (query.search === "zzz") return { models: [], next: null };
      if (query.search === "boom" && fail) {
        fail = false;
        throw { kind: "network", message: "network error talking to huggingface.co: could not connect" };
      }
      if (query.next) return { models: Array.from({ length: 5 }, (_, i) => listing(`page2/m${i}`)), next: null };
      return { models: Array.from({ length: 30 }, (_, i) => listing(`page1/m${i}`)), next: "http://127.0.0.1:9999/api/models?cursor=30" };
    },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.waitForSelector("text=page1/m0");
  await page.locator(".sentinel").scrollIntoViewIfNeeded();
  await page.waitForSelector("text=page2/m4");
  assert.equal(await page.locator(".result").count(), 35);

  await page.fill("input.search", "zzz");
  await page.waitForSelector("text=No models match “zzz”.");
  await page.fill("input.search", "boom");
  await page.waitForSelector(".error-box");
  assert.match(await page.textContent(".error-box") ?? "", /Check the connection[\s\S]*could not connect/);
  await page.click(".error-box button");
  await page.waitForSelector("text=page1/m0");
  await page.close();
});

test("pasting org/name or a Hub link offers to open that repo", async () => {
  const opened = [];
  const table = baseTable({
    get_model: ({ repo }) => {
      opened.push(repo);
      return { id: repo, revision: "main", commit: "a".repeat(40), gated: "manual", private: false, tags: ["license:mit"], pipelineTag: null, libraryName: null, downloads: 1, likes: 2, lastModified: null, files: [], cardHtml: null };
    },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.fill("input.search", "https://huggingface.co/TheBloke/Llama-2-7B-GGUF/blob/main/x.gguf");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model h1");
  assert.deepEqual(opened, ["TheBloke/Llama-2-7B-GGUF"]);
  assert.match(await page.textContent("#view-model .notice") ?? "", /Gated model\. Its authors ask each person to request access/);
  assert.deepEqual(await page.locator("#view-model .notice button").allTextContents(), ["Request access on the Hub", "Add a token"], "the buttons a gated failure offers");
  await page.close();
});

test("the model view groups GGUF quantizations, split parts as one, and downloads a selection", async () => {
  const files = [
    { path: "README.md", size: 1000, lfs: false, cached: false },
    { path: "model-Q4_K_M.gguf", size: 4e9, lfs: true, cached: true },
    { path: "model-Q8_0-00001-of-00002.gguf", size: 6e9, lfs: true, cached: false },
    { path: "model-Q8_0-00002-of-00002.gguf", size: 5e9, lfs: true, cached: false },
    { path: "model-F16.gguf", size: 16e9, lfs: true, cached: false },
  ];
  const started = [];
  const table = baseTable({
    get_model: ({ repo }) => ({ id: repo, revision: "main", commit: "c".repeat(40), gated: "no", private: false, tags: [], pipelineTag: "text-generation", libraryName: "gguf", downloads: 10, likes: 1, lastModified: null, files, cardHtml: "<h1>Card</h1><p>Hello <a href=\"https://x.test\">x</a></p>", memoryTotal: 16 * 2 ** 30 }),
    start_download: ({ request }) => { started.push(request); return "job-1"; },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.fill("input.search", "org/model");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".files table");
  const rows = await page.locator(".files tbody tr").allTextContents();
  assert.equal(rows.length, 4, "Q4_K_M, Q8_0 (two parts) as one, F16, README");
  // The quantizations lead, smallest first; 16 GiB of RAM and no card leave 12.9 GB for models.
  assert.match(rows[0], /Q4_K_M.*4\.00 GB.*Recommended for this machine.*in cache.*RAM only/);
  assert.match(rows[1], /Q8_0.*11\.0 GB.*2 parts.*too big/);
  assert.match(rows[2], /F16.*16\.0 GB.*too big/);
  assert.match(rows[3], /README\.md/);
  assert.doesNotMatch(rows[3], /RAM|big|Recommended/, "no fit hint for files that are not GGUF");
  assert.match(await page.textContent(".weights-summary") ?? "", /Recommended for this machine: Q4_K_M, 4\.00 GB — RAM only[\s\S]*This machine: 16 GB RAM · no graphics card with its own memory\. Recommended: the largest/);
  // The numbers and the rule: a tooltip, and the description of the row's button.
  const hint = page.locator(".files tbody tr:nth-child(2) .badge.fit");
  assert.match(await hint.getAttribute("title") ?? "", /^Needs about 13\.2 GB: the file \(11\.0 GB\) plus about 20% for the context\. RAM usable for models: 12\.9 GB of 17\.2 GB/);
  const described = await page.locator(".files tbody tr:nth-child(2) button").evaluate((b) => document.getElementById(b.getAttribute("aria-describedby") ?? "")?.textContent);
  assert.match(described ?? "", /^too big\. Needs about 13\.2 GB/);
  assert.equal(await page.locator(".files tbody tr:nth-child(1) button").textContent(), "In cache", "a cached item says so on its button");
  assert.equal(await page.textContent(".card h1"), "Card");
  await page.check(".files tbody tr:nth-child(2) input[type=checkbox]");
  assert.equal(await page.textContent(".files .total"), "1 selected · 11.0 GB");
  await page.click("text=Download selected");
  await page.waitForSelector("text=Download started.");
  assert.deepEqual(started[0].files, ["model-Q8_0-00001-of-00002.gguf", "model-Q8_0-00002-of-00002.gguf"]);
  assert.equal(started[0].revision, "main", "the branch shown, for refs/main");
  assert.equal(started[0].commit, "c".repeat(40), "pinned to the commit shown");
  await page.screenshot({ path: new URL("model-light.png", SHOTS).pathname });
  await page.close();
});

test("each quantization's button shows its job and leads to it; the model opens on the Hub", async () => {
  const files = [
    { path: "m-Q4_K_M.gguf", size: 4.4e9, lfs: true, cached: false },
    { path: "m-Q6_K.gguf", size: 5.9e9, lfs: true, cached: false },
    { path: "m-Q8_0.gguf", size: 7.6e9, lfs: true, cached: false },
    { path: "m-F16.gguf", size: 14.3e9, lfs: true, cached: false },
  ];
  const running = jobView("job-q8", { bytesDone: 3.42e9, bytesTotal: 7.6e9, files: [{ path: "m-Q8_0.gguf", size: 7.6e9, done: 3.42e9, state: "downloading" }] }, { repo: "org/model", files: ["m-Q8_0.gguf"] });
  const queued = jobView("job-f16", { state: "queued", bytesTotal: 14.3e9 }, { repo: "org/model", files: ["m-F16.gguf"] });
  const done = jobView("job-q4", { state: "completed", live: false }, { repo: "org/model", files: ["m-Q4_K_M.gguf"] });
  const opened = [];
  const table = baseTable({
    machine_profile: MACHINE_GPU8,
    list_jobs: () => [running, queued, done],
    attach_download: () => null,
    get_model: ({ repo }) => ({ id: repo, revision: "main", commit: "c".repeat(40), gated: "no", private: false, tags: [], pipelineTag: "text-generation", libraryName: "gguf", downloads: 10, likes: 1, lastModified: null, files, parameters: 7.6e9, cardHtml: null, memoryTotal: 32 * 2 ** 30 }),
    "plugin:opener|open_url": ({ url }) => { opened.push(url); return null; },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.waitForSelector("text=acme/tiny-model");
  await page.fill("input.search", "org/model");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".files table");
  // The 8 GiB card holds Q6_K with its context (7.08 GB); Q8_0 spills into RAM.
  const badges = await page.locator(".files tbody td.badges").allInnerTexts();
  assert.deepEqual(badges, ["in GPU (8 GB)", "Recommended for this machinefits in GPU (8 GB)", "partly on GPU", "partly on GPU"].map((b) => (b.startsWith("in") ? `fits ${b}` : b)));
  assert.match(await page.textContent(".weights-summary") ?? "", /Q6_K, 5\.90 GB — fits in GPU \(8 GB\)[\s\S]*This machine: 32 GB RAM · NVIDIA GeForce RTX 4060 \(8 GB\)/);
  assert.match(await page.textContent(".model-meta") ?? "", /7\.6B parameters/);
  const buttons = page.locator(".files tbody button");
  await page.waitForFunction(() => document.querySelector(".files tbody tr:nth-child(3) button")?.textContent === "45%");
  assert.deepEqual(await buttons.allTextContents(), ["In cache", "Download", "45%", "Queued"]);
  // Names start with what the button shows, and say what it is for.
  assert.equal(await buttons.nth(2).getAttribute("aria-label"), "45%: Q8_0, 7.60 GB, show in Downloads");
  assert.equal(await buttons.nth(1).getAttribute("aria-label"), "Download Q6_K, 5.90 GB");
  // The job moves on: the same button says so, and keeps the focus it has.
  await buttons.nth(2).focus();
  const channel = ui.calls.find((c) => c.cmd === "attach_download" && c.args.jobId === "job-q8").args.onProgress.channel;
  await ui.send(channel, { ...running.progress, bytesDone: 6.84e9, files: [{ path: "m-Q8_0.gguf", size: 7.6e9, done: 6.84e9, state: "downloading" }] });
  await page.waitForFunction(() => document.querySelector(".files tbody tr:nth-child(3) button")?.textContent === "90%");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "90%");
  // Clicking leads to the job in Downloads, focus on its first button.
  await buttons.nth(2).click();
  await page.waitForSelector("#view-downloads:not([hidden])");
  assert.equal(await page.evaluate(() => document.activeElement?.closest("[data-job]")?.getAttribute("data-job")), "job-q8");
  await page.keyboard.press("Alt+ArrowLeft");
  await page.waitForSelector("#view-model:not([hidden])");
  await page.click("text=Open on Hugging Face");
  for (let i = 0; i < 50 && opened.length === 0; i++) await sleep(20);
  assert.deepEqual(opened, [`${INFO.endpoint}/org/model`]);
  assert.deepEqual(ui.errors, []);
  await page.close();
});

test("a safetensors repo shows its weights' total size, parameter count and where they fit", async () => {
  const files = [
    { path: "config.json", size: 700, lfs: false, cached: false },
    { path: "model-00001-of-00002.safetensors", size: 9.9e9, lfs: true, cached: false },
    { path: "model-00002-of-00002.safetensors", size: 6.5e9, lfs: true, cached: false },
  ];
  const table = baseTable({
    machine_profile: MACHINE_GPU8,
    get_model: ({ repo }) => ({ id: repo, revision: "main", commit: "c".repeat(40), gated: "no", private: false, tags: [], pipelineTag: "text-generation", libraryName: "transformers", downloads: 10, likes: 1, lastModified: null, files, parameters: 8.19e9, cardHtml: null, memoryTotal: 32 * 2 ** 30 }),
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.fill("input.search", "Qwen/Qwen3-8B");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".weights-summary");
  assert.match(await page.innerText(".weights-summary p:first-child"), /^Safetensors weights: 16\.4 GB in 2 files · 8\.2B parameters · partly on GPU/);
  assert.match(await page.getAttribute(".weights-summary .fit-text", "title") ?? "", /^Needs about 19\.7 GB/);
  assert.doesNotMatch(await page.innerText(".weights-summary"), /Recommended/, "nothing to recommend without quantizations");
  assert.equal(await page.locator(".files .badge.fit").count(), 0, "no per-file hints for shards");
  await page.close();
});

test("downloads render progress from the channel and cancel asks only above 1 GiB", async () => {
  const cancelled = [];
  const small = jobView("job-small", { bytesDone: 0, bytesTotal: 300e6 });
  const big = jobView("job-big", { bytesDone: 2 * 1024 ** 3, bytesTotal: 4 * 1024 ** 3, speed: 50e6, etaSeconds: 43 }, { files: ["big.gguf"] });
  const table = baseTable({
    list_jobs: () => [small, big],
    attach_download: () => null,
    cancel_download: ({ jobId }) => { cancelled.push(jobId); return null; },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.click(".nav-item[data-view=downloads]");
  await page.waitForSelector("[data-job=job-small]");
  assert.equal(await page.textContent("#live-count"), "2", "the badge counts live jobs");
  // The page re-attached to both live jobs; report progress on the first channel.
  const attached = ui.calls.filter((c) => c.cmd === "attach_download").map((c) => [c.args.jobId, c.args.onProgress.channel]);
  const smallChannel = attached.find(([id]) => id === "job-small")[1];
  await ui.send(smallChannel, { jobId: "job-small", state: "running", live: true, phase: "retrying", bytesDone: 150e6, bytesTotal: 300e6, speed: 0, etaSeconds: null, files: [], retry: { attempt: 2, reason: "stalled" }, error: null });
  await page.waitForSelector("[data-job=job-small] >> text=Retrying (attempt 2)");
  assert.equal(await page.getAttribute("[data-job=job-small] .bar", "aria-valuenow"), "50");
  // A bar says what it measures and reads as words, not as a bare number.
  assert.equal(await page.getAttribute("[data-job=job-small] .bar", "aria-label"), "Download of model.safetensors from acme/tiny-model");
  assert.equal(await page.getAttribute("[data-job=job-small] .bar", "aria-valuetext"), "50% · 150 MB of 300 MB · Retrying (attempt 2)");
  assert.equal(await page.getAttribute("[data-job=job-big] .bar", "aria-label"), "Download of big.gguf from acme/tiny-model");
  assert.equal(await page.getAttribute("[data-job=job-big] .bar", "aria-valuetext"), "50% · 2.15 GB of 4.29 GB · 43 s left");
  assert.match(await page.textContent("[data-job=job-small] .numbers") ?? "", /150 MB of 300 MB/);
  assert.match(await page.textContent("[data-job=job-big] .numbers") ?? "", /50.0 MB\/s · 43 s left/);
  await page.screenshot({ path: new URL("downloads-light.png", SHOTS).pathname });

  await page.click("[data-job=job-small] button.danger");
  await sleep(100);
  assert.deepEqual(cancelled, ["job-small"], "under 1 GiB: no question");
  assert.equal(await page.locator("dialog.confirm").count(), 0);

  await page.click("[data-job=job-big] button.danger");
  await page.waitForSelector("dialog.confirm");
  assert.match(await page.textContent("dialog.confirm") ?? "", /2\.15 GB already downloaded will be deleted/);
  await page.click("dialog.confirm button.secondary");
  await sleep(100);
  assert.deepEqual(cancelled, ["job-small"], "kept");
  await page.click("[data-job=job-big] button.danger");
  await page.click("dialog.confirm button.danger");
  await sleep(100);
  assert.deepEqual(cancelled, ["job-small", "job-big"]);
  await page.close();
});

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`finished and failed jobs offer the right next step (${colorScheme})`, async () => {
    const snapshot = `/home/ada/.cache/huggingface/hub/models--acme--tiny-model/snapshots/${"e".repeat(40)}`;
    const entry = {
      repoType: "model", repo: "acme/tiny-model", revision: "main", commit: "e".repeat(40), snapshot, bytesFetched: 10,
      files: [{ path: "model.safetensors", size: 10, localPath: `${snapshot}/model.safetensors` }],
    };
    const table = baseTable({
      list_jobs: () => [
        jobView("job-done", { state: "completed", live: false, bytesDone: 10, bytesTotal: 10 }, {}, entry),
        jobView("job-failed", { state: "failed", live: false, bytesDone: 5, bytesTotal: 10, error: { kind: "checksum", message: "model.safetensors failed its integrity check" } }),
        jobView("job-paused", { state: "paused", live: false, bytesDone: 5, bytesTotal: 10 }),
      ],
      reveal_in_file_manager: () => null,
    });
    const ui = await chromium.open(stubBackend(table), { colorScheme });
    const { page } = ui;
    await page.click(".nav-item[data-view=downloads]");
    await page.waitForSelector("[data-job=job-done]");
    assert.equal(await page.textContent("[data-job=job-done] .actions"), "Show in LibraryOpen folderCopy pathRemove");
    assert.equal(await page.textContent("[data-job=job-done] .saved"), `${snapshot}/model.safetensors`, "where the file is");
    assert.equal(await page.isHidden("[data-job=job-paused] .saved"), true);
    assert.equal(await page.textContent("[data-job=job-failed] .error-box .actions"), "Retry");
    assert.equal(await page.textContent("[data-job=job-failed] > .actions"), "Remove");
    assert.match(await page.textContent("[data-job=job-failed] .error-box") ?? "", /integrity check/);
    assert.equal(await page.textContent("[data-job=job-paused] .actions"), "ResumeCancel");
    assert.equal(await page.isHidden("#live-count"), true);
    await page.screenshot({ path: new URL(`downloads-finished-${colorScheme}.png`, SHOTS).pathname });
    await page.click("[data-job=job-done] button >> text=Open folder");
    const revealed = () => ui.calls.filter((c) => c.cmd === "reveal_in_file_manager").map((c) => c.args.path);
    for (let waited = 0; revealed().length === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(revealed(), [snapshot]);
    await page.click("[data-job=job-done] button >> text=Show in Library");
    await page.waitForSelector("#view-library:not([hidden])");
    await page.close();
  });
}

test("the library lists the cache, confirms deletes with the bytes freed, and follows changes", async () => {
  const repo = {
    repoType: "model", repoId: "acme/tiny-model", folder: "models--acme--tiny-model", sizeOnDisk: 400105, nbFiles: 5,
    lastAccessed: Date.now() / 1000, lastModified: Date.now() / 1000,
    revisions: [{ commit: "e".repeat(40), refs: ["main", "v1.0"], sizeOnDisk: 400105, files: [], lastModified: 0 }],
    problems: [{ kind: "incompleteDownload", path: "/x.incomplete", bytes: 10 }],
  };
  let repos = [repo];
  const deleted = [];
  const table = baseTable({
    list_cache: () => ({ scan: { root: "/home/ada/.cache/huggingface/hub", repos, sizeOnDisk: repos.length ? 400105 : 0, problems: [] }, freeBytes: 50e9 }),
    delete_from_cache: ({ target }) => { deleted.push(target); repos = []; return { bytes: 400105, paths: [] }; },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector("[data-repo='acme/tiny-model']");
  assert.match(await page.textContent("#view-library .summary") ?? "", /1 repository · 400 KB .* 50.0 GB free/);
  assert.match(await page.textContent("[data-repo='acme/tiny-model']") ?? "", /main, v1\.0.*unfinished download/s);
  await page.screenshot({ path: new URL("library-light.png", SHOTS).pathname });
  await page.click("[data-repo='acme/tiny-model'] button.danger");
  assert.match(await page.textContent("dialog.confirm") ?? "", /frees 400 KB/);
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("text=Deleted acme/tiny-model, freed 400 KB.");
  assert.deepEqual(deleted, [{ repoType: "model", repoId: "acme/tiny-model", commit: null, path: null }]);
  await page.waitForSelector("#view-library li.empty");
  assert.match(await page.textContent("#view-library li.empty") ?? "", /Python's huggingface_hub/);

  // Another program downloads something: the view follows the cache-changed event.
  repos = [repo];
  await ui.emit("cache-changed");
  await page.waitForSelector("[data-repo='acme/tiny-model']");
  await page.close();
});

test("offline: said once in a banner, Browse explains, and everything resumes when the Hub answers", async () => {
  let up = false;
  let infoCalls = 0;
  const table = baseTable({
    // The shell's first question is answered late, after Browse has found the Hub gone: the
    // banner must still name the host once it is known.
    app_info: async () => {
      if (infoCalls++ === 0) await sleep(600);
      return { ...INFO, online: up };
    },
    check_connection: () => up,
    search_models: ({ query }) => {
      if (!up) throw { kind: "network", message: "network error talking to 127.0.0.1:9999: could not connect" };
      return { models: [listing(`found/${query.search ?? "all"}`)], next: null };
    },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.waitForSelector("#offline-banner:not([hidden])");
  await page.waitForSelector("#offline-banner >> text=127.0.0.1:9999 does not answer");
  assert.match(await page.textContent("#offline-banner") ?? "", /Working offline\. 127\.0\.0\.1:9999 does not answer\. Your Library works/);
  await page.waitForSelector(".offline-state");
  assert.match(await page.textContent(".offline-state") ?? "", /You are offline/);
  assert.match(await page.textContent("#status") ?? "", /Offline: 127\.0\.0\.1:9999 does not answer/);
  await page.screenshot({ path: new URL("browse-offline-light.png", SHOTS).pathname });
  await page.click("#offline-banner >> text=Dismiss");
  assert.equal(await page.isHidden("#offline-banner"), true);
  await page.fill("input.search", "still-down");
  await sleep(800);
  assert.equal(await page.isHidden("#offline-banner"), true, "another failure in the same spell says nothing more");
  assert.ok(ui.calls.some((c) => c.cmd === "search_models" && c.args.query.search === "still-down"));

  up = true;
  await ui.emit("connectivity-changed", true);
  await page.waitForSelector("text=found/still-down");
  assert.equal(await page.isHidden(".offline-state"), true);
  await page.waitForFunction(() => document.getElementById("status")?.textContent === "Hub: 127.0.0.1:9999");
  up = false;
  await ui.emit("connectivity-changed", false);
  await page.waitForSelector("#offline-banner:not([hidden])");
  up = true;
  await page.click("#offline-banner >> text=Try again");
  await page.waitForSelector("#offline-banner", { state: "hidden" });
  await page.close();
});

test("an empty search box offers popular searches", async () => {
  const table = baseTable({ search_models: ({ query }) => ({ models: [listing(`found/${query.search ?? "trending"}`)], next: null }) });
  const { page } = await chromium.open(stubBackend(table));
  await page.waitForSelector(".popular");
  await page.click(".popular >> text=Qwen");
  await page.waitForSelector("text=found/Qwen");
  assert.equal(await page.inputValue("input.search"), "Qwen");
  assert.equal(await page.isHidden(".popular"), true, "only while the box is empty");
  await page.close();
});

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
test(`the library's other apps: what is kept twice, Reclaim with the bytes, a separate copy again, own folders (${colorScheme})`, async () => {
  const cached = { repo: "acme/tiny-GGUF", path: "tiny-Q4_K_M.gguf", blob: "/home/ada/.cache/huggingface/hub/models--acme--tiny-GGUF/blobs/" + "a".repeat(64) };
  const lmFile = "/home/ada/.lmstudio/models/acme/tiny-GGUF/tiny-Q4_K_M.gguf";
  const ollamaFile = "/home/ada/.ollama/models/blobs/sha256-" + "a".repeat(64);
  let lmSharing = "reclaimable";
  let folders = [];
  const calls = [];
  const survey = () => ({
    survey: {
      stores: [
        { app: "ollama", appName: "Ollama", root: "/home/ada/.ollama/models", models: [{ app: "ollama", name: "hf.co/acme/tiny-GGUF:Q4_K_M", origin: "acme/tiny-GGUF", files: [{ path: ollamaFile, size: 4.1e9, sha256: "a".repeat(64), sameAs: cached, sameAsOther: null, sharing: "shared" }] }] },
        { app: "lmStudio", appName: "LM Studio", root: "/home/ada/.lmstudio/models", models: [
          { app: "lmStudio", name: "acme/tiny-GGUF/tiny-Q4_K_M.gguf", origin: "acme/tiny-GGUF", files: [{ path: lmFile, size: 4.1e9, sha256: "a".repeat(64), sameAs: cached, sameAsOther: null, sharing: lmSharing }] },
          { app: "lmStudio", name: "other/model-GGUF/m.gguf", origin: "other/model-GGUF", files: [{ path: "/home/ada/.lmstudio/models/other/model-GGUF/m.gguf", size: 2e9, sha256: null, sameAs: null, sameAsOther: null, sharing: null }] },
        ] },
      ],
    },
    twiceBytes: lmSharing === "reclaimable" ? 4.1e9 : 0,
    reclaimableBytes: lmSharing === "reclaimable" ? 4.1e9 : 0,
    folders,
  });
  let stopReclaim = (/** @type {string} */ _runId) => {};
  const table = baseTable({
    survey_other_apps: ({ onProgress }) => {
      calls.push("survey");
      if (calls.length === 1) {
        void ui.send(onProgress.channel, { done: 1e9, total: 4.1e9 });
        return sleep(400).then(survey);
      }
      return survey();
    },
    reclaim_space: ({ paths, runId, onProgress }) => {
      calls.push(["reclaim", paths]);
      if (calls.filter((c) => c[0] === "reclaim").length === 1) {
        // The first one compares until its Stop.
        void ui.send(onProgress.channel, { done: 1e9, total: 4.1e9 });
        return new Promise((resolve) => (stopReclaim = (/** @type {string} */ stopped) => {
          if (stopped === runId) resolve({ freed: 0, failures: [], stopped: true });
        }));
      }
      lmSharing = "shared";
      return { freed: 4.1e9, failures: [], stopped: false };
    },
    cancel_shelf_work: ({ runId }) => { stopReclaim(runId); return null; },
    separate_copy: ({ path }) => { calls.push(["separate", path]); lmSharing = "reclaimable"; return null; },
    import_to_library: ({ path }) => { calls.push(["import", path]); return { repo: "other/model-GGUF", path: "m.gguf", commit: "c".repeat(40), snapshot: "/x" }; },
    set_model_folders: ({ folders: f }) => {
      if (!f.every((x) => x.startsWith("/"))) throw { kind: "invalidInput", message: `invalid folder: "${f.at(-1)}" is not a folder` };
      folders = f; calls.push(["folders", f]); return null;
    },
  });
  const ui = await chromium.open(stubBackend(table), { colorScheme });
  const { page } = ui;
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(".other-apps .hashing:not([hidden]) >> text=Comparing files with the Library: 1.00 GB of 4.10 GB");
  await page.waitForSelector(".other-apps [data-app=lmStudio]");
  assert.match(await page.textContent(".other-apps .summary") ?? "", /Ollama, LM Studio: 3 models · 4.10 GB kept twice/);
  assert.match(await page.textContent(`[data-path="${ollamaFile}"]`) ?? "", /One copy with acme\/tiny-GGUF\/tiny-Q4_K_M.gguf in the Library/);
  assert.match(await page.textContent(`[data-path="${lmFile}"]`) ?? "", /Same bytes as acme\/tiny-GGUF\/tiny-Q4_K_M.gguf in the Library: kept twice/);
  assert.match(await page.textContent("[data-path$='m.gguf']") ?? "", /Not in the Library/);
  await page.locator(".other-apps").scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL(`library-other-apps-${colorScheme}.png`, SHOTS).pathname, fullPage: true });

  await page.click(".other-apps button.reclaim");
  assert.match(await page.textContent("dialog.confirm") ?? "", /Reclaim 4.10 GB\?.*same name.*Nothing is deleted/s);
  await page.click("dialog.confirm button.danger");
  // The comparison before sharing reads gigabytes: it shows, and Stop ends it.
  await page.waitForSelector(".other-apps .hashing:not([hidden]) >> text=Comparing with the Library before sharing: 1.00 GB of 4.10 GB");
  await page.screenshot({ path: new URL(`library-other-apps-reclaiming-${colorScheme}.png`, SHOTS).pathname });
  await page.click(".other-apps .hashing button >> text=Stop");
  await page.waitForSelector(".other-apps >> text=Stopped. Reclaimed 0 B; the other files are as they were.");
  assert.equal(await page.isHidden(".other-apps .hashing"), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "other-apps-title", "the focus on Stop goes to the heading");
  await page.click(".other-apps button.reclaim");
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector(".other-apps >> text=Reclaimed 4.10 GB.");
  await page.waitForSelector(`[data-path="${lmFile}"][data-sharing=shared]`);
  assert.equal(await page.isHidden(".other-apps button.reclaim"), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "other-apps-title", "the hidden Reclaim hands the focus to the section's heading");
  assert.deepEqual(calls.find((c) => c[0] === "reclaim"), ["reclaim", null]);

  await page.click(`[data-path="${lmFile}"] button >> text=Make a separate copy`);
  assert.match(await page.textContent("dialog.confirm") ?? "", /takes 4.10 GB more/);
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector(`[data-path="${lmFile}"][data-sharing=reclaimable]`);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Reclaim", "the focus stays on the file's row, on its new button");
  assert.deepEqual(calls.find((c) => c[0] === "separate"), ["separate", lmFile]);

  await page.click("[data-path$='m.gguf'] button >> text=Add to Library");
  await page.waitForSelector(".other-apps >> text=Added to the Library as other/model-GGUF/m.gguf");
  assert.deepEqual(calls.find((c) => c[0] === "import"), ["import", "/home/ada/.lmstudio/models/other/model-GGUF/m.gguf"]);
  assert.equal(await page.locator(`[data-path="${ollamaFile}"] >> text=Add to Library`).count(), 0, "a file the Library has is not added again");

  await page.fill(".other-apps .folder-input", "relative/models");
  await page.click(".other-apps button >> text=Add folder");
  await page.waitForSelector(".other-apps .error-box >> text=is not a folder");
  await page.fill(".other-apps .folder-input", "/srv/models");
  await page.click(".other-apps button >> text=Add folder");
  await page.waitForSelector('.other-apps .folders >> text="/srv/models"');
  await page.click(".other-apps .folders button[aria-label='Remove /srv/models']");
  await page.waitForFunction(() => document.querySelectorAll(".other-apps .folders li").length === 0);
  assert.deepEqual(calls.filter((c) => c[0] === "folders"), [["folders", ["/srv/models"]], ["folders", []]]);
  await page.close();
});
}

for (const colorScheme of /** @type {const} */ (["light", "dark"])) test(`a long comparison of other apps' files can be stopped and started again (${colorScheme})`, async () => {
  let surveys = 0;
  /** @type {string[]} */
  const stops = [];
  let stop = () => {};
  const table = baseTable({
    survey_other_apps: ({ runId, onProgress }) => {
      surveys += 1;
      if (surveys > 1) return OTHER_APPS;
      void ui.send(onProgress.channel, { done: 2e9, total: 40e9 });
      return new Promise((_, reject) => (stop = () => reject({ kind: "cancelled", message: `${runId} cancelled` })));
    },
    cancel_shelf_work: ({ runId }) => { stops.push(runId); stop(); return null; },
  });
  const ui = await chromium.open(stubBackend(table), { colorScheme });
  const { page } = ui;
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(".other-apps .hashing:not([hidden]) >> text=Comparing files with the Library: 2.00 GB of 40.0 GB");
  await page.click(".other-apps .hashing button >> text=Stop");
  await page.waitForSelector(".other-apps >> text=Stopped comparing other apps' files with the Library.");
  assert.equal(await page.isHidden(".other-apps .hashing"), true);
  assert.equal(await page.locator(".other-apps .error-box").count(), 0, "a stop is not an error");
  assert.equal(stops.length, 1);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Compare again", "the focus on Stop goes to Compare again");
  await page.locator(".other-apps").scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL(`library-other-apps-stopped-${colorScheme}.png`, SHOTS).pathname });
  await page.click(".other-apps button >> text=Compare again");
  await page.waitForSelector(".other-apps .shelved");
  assert.equal(surveys, 2);
  await page.close();
});

test("a cached GGUF repo lists its quantizations with the llama.cpp command and Use in LM Studio", async () => {
  const file = (path, size) => ({ path, size, blob: "b".repeat(64), lastAccessed: 0, lastModified: 0 });
  const repo = {
    repoType: "model", repoId: "acme/big-GGUF", folder: "models--acme--big-GGUF", sizeOnDisk: 9e9, nbFiles: 4,
    lastAccessed: Date.now() / 1000, lastModified: Date.now() / 1000,
    revisions: [{ commit: "c".repeat(40), refs: ["main"], sizeOnDisk: 9e9, lastModified: 0, files: [
      file("README.md", 1000),
      file("big-Q4_K_M.gguf", 4e9),
      file("Q8_0/big-Q8_0-00001-of-00002.gguf", 2.5e9),
      file("Q8_0/big-Q8_0-00002-of-00002.gguf", 2.5e9),
    ] }],
    problems: [],
  };
  const placed = [];
  const table = baseTable({
    list_cache: { scan: { root: "/home/ada/.cache/huggingface/hub", repos: [repo], sizeOnDisk: 9e9, problems: [] }, freeBytes: 50e9 },
    survey_other_apps: { survey: { stores: [] }, twiceBytes: 0, reclaimableBytes: 0, folders: [] },
    use_in_ollama: ({ repo: r, path, quant }) => {
      placed.push(["ollama", r, path, quant]);
      return { name: `hf.co/${r}:${quant}`, complete: true, reason: null };
    },
    use_in_lm_studio: ({ repo: r, path, commit }) => {
      placed.push([r, path, commit]);
      return `/home/ada/.lmstudio/models/${r}/${path.split("/").pop()}`;
    },
  });
  const ui = await chromium.open(stubBackend(table));
  const { page } = ui;
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector("[data-repo='acme/big-GGUF'] [data-quant=Q8_0]");
  assert.deepEqual(await page.$$eval("[data-repo='acme/big-GGUF'] .quants li", (rows) => rows.map((r) => r.getAttribute("data-quant"))), ["Q4_K_M", "Q8_0"]);
  assert.match(await page.textContent("[data-quant=Q8_0]") ?? "", /5.00 GB · 2 parts.*llama-cli -hf acme\/big-GGUF:Q8_0/);
  await page.click("[data-quant=Q8_0] button >> text=Use in LM Studio");
  await page.waitForSelector("#view-library >> text=acme/big-GGUF Q8_0 is in LM Studio's models");
  assert.deepEqual(placed, [
    ["acme/big-GGUF", "Q8_0/big-Q8_0-00001-of-00002.gguf", "c".repeat(40)],
    ["acme/big-GGUF", "Q8_0/big-Q8_0-00002-of-00002.gguf", "c".repeat(40)],
  ]);
  assert.equal(await page.locator("[data-quant=Q8_0] button >> text=Use in Ollama").count(), 0, "split files are not offered to Ollama");
  await page.click("[data-quant=Q4_K_M] button >> text=Use in Ollama");
  await page.waitForSelector("#view-library >> text=Ready in Ollama, sharing the Library's copy: ollama run hf.co/acme/big-GGUF:Q4_K_M");
  assert.deepEqual(placed.at(-1), ["ollama", "acme/big-GGUF", "big-Q4_K_M.gguf", "Q4_K_M"]);
  await page.click("[data-quant=Q4_K_M] button >> text=Copy command");
  await page.waitForSelector("#view-library >> text=llama-cli -hf acme/big-GGUF:Q4_K_M");
  await page.screenshot({ path: new URL("library-gguf-uses-light.png", SHOTS).pathname });
  await page.close();
});
