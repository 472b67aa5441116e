// axe-core (WCAG 2.1 A and AA rules) on every view and state the stubbed backend can produce,
// in light and dark: any serious or critical violation fails the test, naming the rule, the
// elements and what is wrong. Each state is also photographed at 800x600 and 1920x1080 for a
// person to look at, and every violation (of any impact) lands in axe-report.json beside them.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, EMPTY_CACHE, INFO, jobView, LIBRARY_WITH_QWEN, listing, MACHINE_GPU8, OTHER_APPS, PER_FILE_LIBRARY, RICH_RESULTS, SETTINGS } from "./fixtures.js";

const chromium = uiSession();
const AXE_SOURCE = readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const SIZES = [
  { width: 800, height: 600 },
  { width: 1920, height: 1080 },
];

/** Every violation of every run, for the report file. */
const report = [];
after(async () => {
  await writeFile(new URL("axe-report.json", SHOTS), JSON.stringify(report, null, 2));
});

/**
 * Runs axe on the page as it is now and fails on serious or critical violations.
 * The source goes in through `evaluate`, not a script tag: the page keeps the app's CSP
 * (script-src 'self'), which refuses inline scripts, and the audit should see the page
 * exactly as the app's window would.
 * @param {import("playwright-core").Page} page
 * @param {string} state
 */
async function audit(page, state) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(await AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    // @ts-ignore axe is injected above
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return result.violations.map((/** @type {any} */ v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((/** @type {any} */ n) => ({ target: n.target.join(" "), impact: n.impact, summary: n.failureSummary })),
    }));
  }, WCAG_21_AA);
  report.push({ state, violations });
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = blocking
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target}\n    ${n.summary.replace(/\n/g, "\n    ")}`).join("\n")}`)
    .join("\n");
  assert.equal(blocking.length, 0, `axe in ${state}:\n${described}`);
}

/** @param {import("playwright-core").Page} page @param {string} state */
async function photograph(page, state) {
  const original = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.screenshot({ path: new URL(`a11y-${state}-${size.width}x${size.height}.png`, SHOTS).pathname });
  }
  if (original) await page.setViewportSize(original);
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

const snapshot = `/home/ada/.cache/huggingface/hub/models--lab-org--tiny-gpt/snapshots/${"e".repeat(40)}`;
const ENTRY = {
  repoType: "model", repo: "lab-org/tiny-gpt", revision: "main", commit: "e".repeat(40), snapshot, bytesFetched: 2.15e9,
  files: [{ path: "tiny-gpt-Q4_K_M.gguf", size: 2.15e9, localPath: `${snapshot}/tiny-gpt-Q4_K_M.gguf` }],
};
/** One job in each state a job can be in. */
const JOBS = [
  jobView("job-queued", { state: "queued", phase: "resolving" }, { repo: "lab-org/tiny-gpt", files: ["tiny-gpt-Q8_0.gguf"] }),
  jobView("job-running", { bytesDone: 1.2e9, bytesTotal: 2.6e9, speed: 11e6, etaSeconds: 127 }, { repo: "lab-org/tiny-gpt", files: ["tiny-gpt-F16.gguf"] }),
  jobView("job-waiting", { state: "waitingForNetwork", bytesDone: 3e8, bytesTotal: 1e9 }, { repo: "acme/tiny-model" }),
  jobView("job-paused", { state: "paused", live: false, bytesDone: 5e8, bytesTotal: 1e9 }, { repo: "acme/other-model" }),
  jobView("job-completed", { state: "completed", live: false, bytesDone: 2.15e9, bytesTotal: 2.15e9 }, { repo: "lab-org/tiny-gpt", files: ["tiny-gpt-Q4_K_M.gguf"] }, ENTRY),
  jobView("job-failed", { state: "failed", live: false, bytesDone: 5, bytesTotal: 10, error: { kind: "gated", message: "acme/gated is gated", repo: "acme/gated" } }, { repo: "acme/gated" }),
  jobView("job-cancelled", { state: "cancelled", live: false, bytesDone: 4e8, bytesTotal: 9e8 }, { repo: "acme/third-model", files: [] }),
];

const MODEL = {
  id: "lab-org/tiny-gpt", revision: "main", commit: "c".repeat(40), gated: "manual", private: false, tags: ["license:mit"], pipelineTag: "text-generation", libraryName: "gguf",
  downloads: 12000, likes: 340, lastModified: "2026-01-02T03:04:05.000Z", memoryTotal: 16 * 2 ** 30,
  cardHtml: "<h1>Tiny GPT</h1><p>A small model. See <a href=\"https://example.test\">the paper</a>.</p><pre><code>llama-cli -hf lab-org/tiny-gpt</code></pre>",
  files: [
    { path: "README.md", size: 1000, lfs: false, cached: false },
    { path: "tiny-gpt-Q4_K_M.gguf", size: 2.15e9, lfs: true, cached: true },
    { path: "tiny-gpt-Q8_0-00001-of-00002.gguf", size: 6e9, lfs: true, cached: false },
    { path: "tiny-gpt-Q8_0-00002-of-00002.gguf", size: 5e9, lfs: true, cached: false },
    { path: "tiny-gpt-F16.gguf", size: 16e9, lfs: true, cached: false },
  ],
};

/** @param {string} repoId @param {object[]} problems */
const cachedRepo = (repoId, problems, extra = {}) => ({
  repoType: "model", repoId, folder: `models--${repoId.replace("/", "--")}`, sizeOnDisk: 2.15e9, nbFiles: 3,
  lastAccessed: Date.now() / 1000 - 7200, lastModified: Date.now() / 1000 - 7200,
  revisions: [{ commit: "e".repeat(40), refs: ["main"], sizeOnDisk: 2.15e9, files: [], lastModified: 0 }],
  problems, ...extra,
});
const LIBRARY = {
  scan: {
    root: "/home/ada/.cache/huggingface/hub",
    repos: [
      cachedRepo("lab-org/tiny-gpt", [{ kind: "incompleteDownload", path: "/x.incomplete", bytes: 10 }, { kind: "brokenSymlink", path: "/y", bytes: 0 }]),
      cachedRepo("acme/tiny-data", [], { repoType: "dataset", folder: "datasets--acme--tiny-data" }),
    ],
    sizeOnDisk: 4.3e9,
    problems: [{ kind: "emptyFolder", path: "/z", bytes: 0 }],
  },
  freeBytes: 50e9,
};

/** @param {import("playwright-core").Page} page @param {string} view */
const nav = (page, view) => page.click(`.nav-item[data-view=${view}]`);
/** @param {import("playwright-core").Page} page @param {string} repo */
async function openModel(page, repo) {
  await page.fill("input.search", repo);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#view-model .files, #view-model .error-box");
}

/**
 * Each state: the backend it needs and how to get there from the start page.
 * @type {{name: string, table?: Record<string, unknown>, go: (ui: Awaited<ReturnType<typeof chromium.open>>) => Promise<void>}[]}
 */
const STATES = [
  {
    name: "browse-results",
    // With live jobs, so the sidebar shows their count.
    table: {
      search_models: { models: [listing("lab-org/tiny-gpt"), listing("acme/gated-model", { gated: "manual" }), listing("acme/embedder", { pipelineTag: "feature-extraction" })], next: null },
      list_jobs: () => JOBS,
      attach_download: () => null,
    },
    go: async ({ page }) => {
      await page.waitForSelector(".result");
      await page.waitForSelector("#live-count:not([hidden])");
    },
  },
  {
    // Parameters, quantizations, "in Library", too big for this machine; the author and fit filters.
    name: "browse-facts",
    table: { search_models: { models: RICH_RESULTS, next: null }, list_cache: LIBRARY_WITH_QWEN },
    go: async ({ page }) => {
      await page.waitForSelector(".result .badge.library:not([hidden])");
    },
  },
  {
    name: "browse-empty",
    table: { search_models: ({ query }) => ({ models: query.search ? [] : [listing("acme/tiny-model")], next: null }) },
    go: async ({ page }) => {
      await page.fill("input.search", "zzz");
      await page.waitForSelector("text=No models match");
    },
  },
  {
    name: "browse-error",
    table: { search_models: () => { throw { kind: "unauthorized", message: "the Hub refused the request: the access token is invalid" }; } },
    go: async ({ page }) => { await page.waitForSelector("#view-browse .error-box"); },
  },
  {
    name: "offline",
    table: {
      app_info: { ...INFO, online: false },
      search_models: () => { throw { kind: "network", message: "network error talking to 127.0.0.1:9999: could not connect" }; },
    },
    go: async ({ page }) => {
      await page.waitForSelector("#offline-banner:not([hidden])");
      await page.waitForSelector(".offline-state");
    },
  },
  {
    name: "offline-by-choice",
    table: {
      app_info: { ...INFO, online: false, offline: true },
      get_settings: { ...SETTINGS, offline: true },
      search_models: () => { throw { kind: "network", message: "HF_HUB_OFFLINE is set" }; },
    },
    go: async ({ page }) => { await page.waitForSelector(".offline-state"); },
  },
  {
    name: "model",
    table: { get_model: () => MODEL },
    go: async ({ page }) => {
      await openModel(page, "lab-org/tiny-gpt");
      await page.check(".files tbody tr:nth-child(2) input[type=checkbox]");
    },
  },
  {
    // An 8 GiB card, a recommended quantization, and each file's button showing its job.
    name: "model-gpu-jobs",
    table: { get_model: () => MODEL, machine_profile: MACHINE_GPU8, list_jobs: () => JOBS, attach_download: () => null },
    go: async ({ page }) => {
      await openModel(page, "lab-org/tiny-gpt");
      await page.waitForSelector(".files tbody button:text('46%')");
    },
  },
  {
    // Sharded safetensors on a machine with unified memory: total size, parameters, the fit.
    name: "model-safetensors",
    table: {
      machine_profile: { ram: 32 * 2 ** 30, gpus: [], unified: true },
      get_model: () => ({ ...MODEL, id: "Qwen/Qwen3-8B", gated: "no", libraryName: "transformers", parameters: 8.19e9, files: [{ path: "config.json", size: 700, lfs: false, cached: false }, { path: "model-00001-of-00002.safetensors", size: 9.9e9, lfs: true, cached: false }, { path: "model-00002-of-00002.safetensors", size: 6.5e9, lfs: true, cached: true }] }),
    },
    go: async ({ page }) => {
      await openModel(page, "Qwen/Qwen3-8B");
      await page.waitForSelector(".weights-summary");
    },
  },
  {
    name: "model-error",
    table: { get_model: ({ repo }) => { throw { kind: "notFound", message: `repository ${repo} was not found on the Hub (or it is private)`, repo }; } },
    go: async ({ page }) => { await openModel(page, "acme/secret"); },
  },
  {
    name: "downloads-empty",
    go: async ({ page }) => {
      await nav(page, "downloads");
      await page.waitForSelector("#view-downloads .empty");
    },
  },
  {
    name: "downloads-every-state",
    table: { list_jobs: () => JOBS, attach_download: () => null },
    go: async ({ page }) => {
      await nav(page, "downloads");
      await page.waitForSelector("[data-job=job-cancelled]");
      await page.waitForSelector("[data-job=job-failed] .error-box");
    },
  },
  {
    name: "downloads-cancel-dialog",
    table: { list_jobs: () => [jobView("job-big", { bytesDone: 2 * 1024 ** 3, bytesTotal: 4 * 1024 ** 3, speed: 50e6, etaSeconds: 43 }, { files: ["big.gguf"] })], attach_download: () => null },
    go: async ({ page }) => {
      await nav(page, "downloads");
      await page.click("[data-job=job-big] button.danger");
      await page.waitForSelector("dialog.confirm[open]");
    },
  },
  {
    name: "library-problems",
    table: { list_cache: LIBRARY },
    go: async ({ page }) => {
      await nav(page, "library");
      await page.waitForSelector("[data-repo='lab-org/tiny-gpt'] .problems");
    },
  },
  {
    name: "library-delete-dialog",
    table: { list_cache: LIBRARY },
    go: async ({ page }) => {
      await nav(page, "library");
      await page.click("[data-repo='lab-org/tiny-gpt'] button.danger");
      await page.waitForSelector("dialog.confirm[open]");
    },
  },
  {
    name: "library-other-apps",
    table: {
      list_cache: { ...LIBRARY, scan: { ...LIBRARY.scan, repos: [cachedRepo("lab-org/tiny-gpt", [], { revisions: [{ commit: "e".repeat(40), refs: ["main"], sizeOnDisk: 2.15e9, lastModified: 0, files: [{ path: "tiny-Q4_K_M.gguf", size: 2.15e9, blob: "a".repeat(64), lastAccessed: 0, lastModified: 0 }] }] })] } },
      survey_other_apps: OTHER_APPS,
    },
    go: async ({ page }) => {
      await nav(page, "library");
      await page.waitForSelector("[data-repo='lab-org/tiny-gpt'] [data-quant=Q4_K_M]");
      await page.waitForSelector(".other-apps [data-sharing=reclaimable]");
    },
  },
  {
    name: "library-per-file",
    table: { list_cache: PER_FILE_LIBRARY },
    go: async ({ page }) => {
      await nav(page, "library");
      await page.click("[data-repo='zeta/big-GGUF'] summary");
      await page.fill("input[name=librarySearch]", "GGUF");
      await page.waitForSelector("[data-repo='zeta/big-GGUF'] [data-file='README.md']");
    },
  },
  {
    name: "library-delete-quantization-dialog",
    table: { list_cache: PER_FILE_LIBRARY },
    go: async ({ page }) => {
      await nav(page, "library");
      await page.click("[data-repo='zeta/big-GGUF'] [data-quant=Q8_0] button.danger");
      await page.waitForSelector("dialog.confirm[open]");
    },
  },
  {
    name: "library-copy-fallback",
    table: { list_cache: PER_FILE_LIBRARY },
    go: async ({ page }) => {
      await page.evaluate(() => {
        navigator.clipboard.writeText = async () => { throw new DOMException("refused", "NotAllowedError"); };
      });
      await nav(page, "library");
      await page.click("[data-repo='moon/mid'] button[data-action=copy-path]");
      await page.waitForSelector("#view-library input.copy-fallback");
    },
  },
  {
    name: "library-empty",
    table: { list_cache: EMPTY_CACHE },
    go: async ({ page }) => {
      await nav(page, "library");
      await page.waitForSelector("#view-library li.empty");
    },
  },
  {
    name: "settings",
    table: {
      get_settings: { ...SETTINGS, token: { value: "hf_…wxyz", source: "settings" } },
      test_token: { name: "ada", fullname: "Ada L", orgs: ["lab-org"], tokenName: "laptop", role: "read" },
    },
    go: async ({ page }) => {
      await nav(page, "settings");
      await page.click("text=Test token");
      await page.waitForSelector("text=✓ Signed in as ada (Ada L)");
    },
  },
  {
    name: "settings-environment",
    table: {
      get_settings: { ...SETTINGS, cacheDir: { value: "/srv/hf", source: "environment", variable: "HF_HUB_CACHE" }, token: { value: "hf_…wxyz", source: "environment", variable: "HF_TOKEN" }, offline: true },
      test_token: () => { throw { kind: "unauthorized", message: "the Hub refused the request: the access token is invalid" }; },
    },
    go: async ({ page }) => {
      await nav(page, "settings");
      await page.click("text=Test token");
      await page.waitForSelector(".token-result .error-box");
    },
  },
  {
    name: "settings-moving",
    table: { move_cache: () => new Promise(() => {}), cancel_cache_move: null },
    go: async (ui) => {
      await nav(ui.page, "settings");
      await ui.page.fill("input[name=moveTo]", "/mnt/big/hub");
      await ui.page.click(".field.move button[data-action=move]");
      await ui.page.click("dialog.confirm button.danger");
      await ui.page.waitForSelector(".move-progress:not([hidden])");
      const channel = ui.calls.find((c) => c.cmd === "move_cache")?.args.onProgress.channel;
      await ui.send(channel, { phase: "copying", bytesTotal: 8e9, bytesCopied: 3e9, bytesVerified: 1e9, etaSeconds: 42, current: "models--acme--big" });
      await ui.page.waitForSelector(".move-progress >> text=42 s left");
    },
  },
];

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  for (const state of STATES) {
    test(`axe finds nothing serious: ${state.name} (${colorScheme})`, async () => {
      const ui = await chromium.open(stubBackend(baseTable(state.table ?? {})), { colorScheme });
      await state.go(ui);
      // Let the last frame's redraws land before looking.
      await sleep(50);
      await audit(ui.page, `${state.name}-${colorScheme}`);
      await photograph(ui.page, `${state.name}-${colorScheme}`);
      assert.deepEqual(ui.errors, []);
      await ui.page.close();
    });
  }
}

/** @param {string} rgb "rgb(r, g, b)" */
function luminance(rgb) {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => Number(c) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
/** WCAG's contrast ratio of two opaque colours. @param {string} a @param {string} b */
export function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

// axe skips text it cannot judge (one-character badges like the live count) and does not look
// at control borders at all (WCAG 1.4.11), so the theme's colours are checked by number too.
for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`text has 4.5:1 and control borders 3:1 on every surface (${colorScheme})`, async () => {
    const table = baseTable({ list_jobs: () => [JOBS[1]], attach_download: () => null });
    const { page } = await chromium.open(stubBackend(table), { colorScheme });
    await page.waitForSelector("#live-count:not([hidden])");
    const colours = await page.evaluate(() => {
      const probe = document.createElement("span");
      document.body.append(probe);
      /** @param {string} name */
      const variable = (name) => {
        probe.style.color = `var(${name})`;
        return getComputedStyle(probe).color;
      };
      const names = ["--text", "--muted", "--accent", "--danger", "--warning", "--success", "--bg", "--panel", "--sidebar", "--accent-text"];
      const vars = Object.fromEntries(names.map((n) => [n, variable(n)]));
      probe.remove();
      const badge = /** @type {HTMLElement} */ (document.getElementById("live-count"));
      const badgeStyle = getComputedStyle(badge);
      /** @param {string} selector */
      const border = (selector) => {
        const el = document.querySelector(selector);
        return el ? getComputedStyle(el).borderTopColor : null;
      };
      return {
        vars,
        badge: [badgeStyle.color, badgeStyle.backgroundColor],
        borders: { "search box": border("input.search"), "sort select": border("#view-browse select"), "filter chip": border(".chip"), "secondary button": border("#view-settings button.secondary") },
      };
    });
    const { vars } = colours;
    const failures = [];
    for (const fg of ["--text", "--muted", "--accent", "--danger", "--warning", "--success"]) {
      for (const bg of ["--bg", "--panel", "--sidebar"]) {
        const ratio = contrast(vars[fg], vars[bg]);
        if (ratio < 4.5) failures.push(`text ${fg} on ${bg}: ${ratio.toFixed(2)}:1`);
      }
    }
    const onAccent = contrast(vars["--accent-text"], vars["--accent"]);
    if (onAccent < 4.5) failures.push(`button text on --accent: ${onAccent.toFixed(2)}:1`);
    const badge = contrast(colours.badge[0], colours.badge[1]);
    if (badge < 4.5) failures.push(`live count badge: ${badge.toFixed(2)}:1`);
    for (const [control, colour] of Object.entries(colours.borders)) {
      assert.ok(colour, `${control} is on the page`);
      for (const bg of ["--bg", "--panel"]) {
        const ratio = contrast(colour, vars[bg]);
        if (ratio < 3) failures.push(`${control} border on ${bg}: ${ratio.toFixed(2)}:1`);
      }
    }
    assert.deepEqual(failures, []);
    await page.close();
  });
}
