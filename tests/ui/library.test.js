// The Library per file in Chromium with the backend stubbed: sort and search, deleting one
// file, one quantization (all its split parts) or one revision, each confirmed with the bytes
// it frees; Copy path with and without the clipboard; counts in the right number.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, PER_FILE_LIBRARY } from "./fixtures.js";

const chromium = uiSession();
const BIG = "[data-repo='zeta/big-GGUF']";

/** A backend whose cache loses what `delete_from_cache` deletes, as the real one does. */
function deletingBackend() {
  const library = structuredClone(PER_FILE_LIBRARY);
  /** @type {object[]} */
  const deleted = [];
  const table = baseTable({
    list_cache: () => library,
    delete_from_cache: ({ target }) => {
      deleted.push(target);
      const repo = library.scan.repos.find((r) => r.repoId === target.repoId);
      if (!repo) throw { kind: "invalidInput", message: "not in the cache" };
      if (target.path === null) repo.revisions = repo.revisions.filter((r) => r.commit !== target.commit);
      else for (const r of repo.revisions) if (r.commit === target.commit) r.files = r.files.filter((f) => f.path !== target.path);
      return { bytes: 1000, paths: [] };
    },
  });
  return { table, deleted };
}

/** @param {import("playwright-core").Page} page */
const repoOrder = (page) => page.$$eval("#view-library .repos > li", (rows) => rows.map((r) => r.getAttribute("data-repo")));

test("the Library sorts by size, last used and name, searches, and counts in the right number", async () => {
  const { page } = await chromium.open(stubBackend(deletingBackend().table));
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(BIG);
  assert.match(await page.textContent("#view-library .summary") ?? "", /^3 repositories · /);
  assert.deepEqual(await repoOrder(page), ["zeta/big-GGUF", "moon/mid", "acme/tiny-model"], "largest first");
  await page.selectOption("select[name=librarySort]", "used");
  assert.deepEqual(await repoOrder(page), ["moon/mid", "acme/tiny-model", "zeta/big-GGUF"]);
  await page.selectOption("select[name=librarySort]", "name");
  assert.deepEqual(await repoOrder(page), ["acme/tiny-model", "moon/mid", "zeta/big-GGUF"]);
  assert.match(await page.textContent("[data-repo='moon/mid'] .meta") ?? "", /^1 file · 1 revision \(main\)/);
  assert.match(await page.textContent(`${BIG} > .meta`) ?? "", /^5 files · 2 revisions \(main\)/);

  await page.fill("input[name=librarySearch]", "TINY");
  assert.deepEqual(await repoOrder(page), ["acme/tiny-model"]);
  assert.match(await page.textContent("#view-library .summary") ?? "", /^1 of 3 repositories · /);
  // A file's name finds its repository too.
  await page.fill("input[name=librarySearch]", "q8_0");
  assert.deepEqual(await repoOrder(page), ["zeta/big-GGUF"]);
  await page.fill("input[name=librarySearch]", "nothing-like-it");
  assert.match(await page.textContent("#view-library li.empty") ?? "", /Nothing in the Library matches “nothing-like-it”/);
  await page.close();
});

test("one file, one quantization with its split parts, or one revision is deleted after a question with the bytes it frees", async () => {
  const { table, deleted } = deletingBackend();
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(BIG);

  // The quantization: both split parts, one call each.
  await page.click(`${BIG} [data-quant=Q8_0] button >> text=Delete`);
  assert.match(await page.textContent("dialog.confirm") ?? "", /Delete Q8_0 of zeta\/big-GGUF\?.*frees 5\.00 GB \(2 parts\)/s);
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("#view-library .status-line >> text=Deleted Q8_0 of zeta/big-GGUF, freed 2.00 KB.");
  assert.deepEqual(deleted, [
    { repoType: "model", repoId: "zeta/big-GGUF", commit: "c".repeat(40), path: "Q8_0/big-Q8_0-00001-of-00002.gguf" },
    { repoType: "model", repoId: "zeta/big-GGUF", commit: "c".repeat(40), path: "Q8_0/big-Q8_0-00002-of-00002.gguf" },
  ]);
  assert.equal(await page.locator(`${BIG} [data-quant=Q8_0]`).count(), 0);

  // A file whose bytes another revision keeps frees nothing, and says so.
  await page.click(`${BIG} summary`);
  const mainRevision = `${BIG} [data-commit=${"c".repeat(40)}]`;
  await page.click(`${mainRevision} [data-file="big-Q4_K_M.gguf"] button >> text=Delete`);
  assert.match(await page.textContent("dialog.confirm") ?? "", /Another revision keeps the same data, so this frees no space/);
  await page.click("dialog.confirm button.secondary");
  assert.equal(deleted.length, 2, "Keep it deletes nothing");

  // One file: its Delete names the file, the question its bytes; the focus goes on to the
  // next file's Delete once the list is redrawn.
  const readme = page.locator(`${mainRevision} [data-file="README.md"] button.danger`);
  assert.equal(await readme.getAttribute("aria-label"), "Delete README.md of zeta/big-GGUF, 1.00 KB");
  await readme.focus();
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("dialog.confirm") ?? "", /This frees 1\.00 KB and removes the file from revision cccccccc \(main\) of zeta\/big-GGUF/);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`${mainRevision} [data-file="README.md"]`, { state: "detached" });
  assert.deepEqual(deleted.at(-1), { repoType: "model", repoId: "zeta/big-GGUF", commit: "c".repeat(40), path: "README.md" });
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label")?.startsWith("Delete big-Q4_K_M.gguf of zeta/big-GGUF"));
  assert.ok(await page.isVisible(`${mainRevision}`), "the files stay open after the redraw");

  // One revision: only what no other revision uses is freed.
  const oldRevision = `${BIG} [data-commit=${"d".repeat(40)}]`;
  await page.click(`${oldRevision} button >> text=Delete revision`);
  assert.match(await page.textContent("dialog.confirm") ?? "", /Delete revision dddddddd of zeta\/big-GGUF\?.*This frees 900 B and removes 2 files/s);
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector(oldRevision, { state: "detached" });
  assert.match(await page.textContent(`${BIG} > .meta`) ?? "", /· 1 revision \(main\)/);
  assert.deepEqual(deleted.at(-1), { repoType: "model", repoId: "zeta/big-GGUF", commit: "d".repeat(40), path: null });
  await page.screenshot({ path: new URL("library-per-file-light.png", SHOTS).pathname, fullPage: true });
  await page.close();
});

test("Copy path copies a repository's folder or a file's path, and shows it selected where the clipboard is refused", async () => {
  const { page } = await chromium.open(stubBackend(deletingBackend().table));
  await page.evaluate(() => {
    /** @type {string[]} */ (window.copied = []);
    navigator.clipboard.writeText = async (text) => void window.copied.push(text);
  });
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(BIG);
  await page.click(`${BIG} button[data-action=copy-path]`);
  await page.click(`${BIG} summary`);
  await page.click(`${BIG} [data-commit=${"c".repeat(40)}] [data-file="big-Q4_K_M.gguf"] button >> text=Copy path`);
  const root = "/home/ada/.cache/huggingface/hub/models--zeta--big-GGUF";
  assert.deepEqual(await page.evaluate(() => window.copied), [root, `${root}/snapshots/${"c".repeat(40)}/big-Q4_K_M.gguf`]);
  await page.waitForSelector(`#view-library .status-line >> text=Copied: ${root}/snapshots/`);

  await page.evaluate(() => {
    navigator.clipboard.writeText = async () => { throw new DOMException("refused", "NotAllowedError"); };
  });
  await page.click(`${BIG} button[data-action=copy-path]`);
  const field = page.locator("#view-library .status-line input.copy-fallback");
  assert.equal(await field.inputValue(), root);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains("copy-fallback")), true, "selected, ready for Ctrl+C");
  assert.match(await page.textContent("#view-library .status-line") ?? "", /press Ctrl\+C/);
  await page.close();
});

test("a repository of many files builds its file list only when opened, and only the first 500", async () => {
  const files = Array.from({ length: 20_000 }, (_, i) => ({ path: `data/${String(i).padStart(6, "0")}.bin`, size: 10, blob: `b${i}`, lastAccessed: 0, lastModified: 0 }));
  const repo = { repoType: "model", repoId: "acme/many-files", folder: "models--acme--many-files", sizeOnDisk: 200000, nbFiles: files.length, lastAccessed: 0, lastModified: 0, problems: [], revisions: [{ commit: "c".repeat(40), refs: ["main"], sizeOnDisk: 200000, lastModified: 0, files }] };
  const table = baseTable({ list_cache: { scan: { root: "/home/ada/.cache/huggingface/hub", repos: [repo], sizeOnDisk: 200000, problems: [] }, freeBytes: 50e9 } });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector("[data-repo='acme/many-files']");
  assert.equal(await page.locator("[data-repo='acme/many-files'] [data-file]").count(), 0, "nothing built while closed");
  await page.click("[data-repo='acme/many-files'] details > summary");
  await page.waitForSelector("[data-repo='acme/many-files'] [data-file]");
  assert.equal(await page.locator("[data-repo='acme/many-files'] [data-file]").count(), 500);
  assert.match(await page.textContent("[data-repo='acme/many-files'] .revision") ?? "", /and 19500 more files/);
  await page.close();
});

test("a row opened just before a redraw stays open after it", async () => {
  const { page } = await chromium.open(stubBackend(deletingBackend().table));
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(BIG);
  // The click and the redraw in one task: the toggle event comes after the row is replaced,
  // as it does when a refresh lands between a person's click and that event.
  await page.evaluate((big) => {
    /** @type {HTMLElement} */ (document.querySelector(`${big} summary`)).click();
    document.querySelector("input[name=librarySearch]")?.dispatchEvent(new Event("input"));
  }, BIG);
  await page.waitForSelector(`${BIG} [data-file='README.md']`, { timeout: 5000 });
  assert.equal(await page.locator(`${BIG} details.repo-files[open]`).count(), 1);
  await page.close();
});

for (const colorScheme of /** @type {const} */ (["light", "dark"])) test(`bytes another app keeps through a hard link are not promised: the questions say they stay (${colorScheme})`, async () => {
  const library = structuredClone(PER_FILE_LIBRARY);
  const mid = library.scan.repos.find((r) => r.repoId === "moon/mid");
  mid.revisions[0].files[0].linkedElsewhere = true;
  const big = library.scan.repos.find((r) => r.repoId === "zeta/big-GGUF");
  for (const r of big.revisions) for (const f of r.files) if (f.blob === "p1") f.linkedElsewhere = true;
  const { page } = await chromium.open(stubBackend(baseTable({ list_cache: library })), { colorScheme });
  await page.click(".nav-item[data-view=library]");
  await page.waitForSelector(BIG);

  await page.click("[data-repo='moon/mid'] button[data-action=delete]");
  assert.match(await page.textContent("dialog.confirm") ?? "", /This frees no space and removes it .*1\.00 GB stays on the disk: another app uses the same data through a hard link\./s);
  await page.screenshot({ path: new URL(`library-linked-elsewhere-${colorScheme}.png`, SHOTS).pathname });
  await page.click("dialog.confirm button.secondary");

  // One part of Q8_0 is linked elsewhere: the other part is what goes.
  await page.click(`${BIG} [data-quant=Q8_0] button >> text=Delete`);
  assert.match(await page.textContent("dialog.confirm") ?? "", /frees 2\.50 GB \(2 parts\).*2\.50 GB stays on the disk/s);
  await page.click("dialog.confirm button.secondary");

  await page.click(`${BIG} summary`);
  await page.click(`${BIG} [data-commit=${"c".repeat(40)}] [data-file="Q8_0/big-Q8_0-00001-of-00002.gguf"] button >> text=Delete`);
  assert.match(await page.textContent("dialog.confirm") ?? "", /Another app uses the same data through a hard link, so this frees no space/);
  await page.click("dialog.confirm button.secondary");
  await page.close();
});
