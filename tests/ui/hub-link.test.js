// "Open on Hugging Face" in the Library: the repository's page on the endpoint the app uses,
// in the system browser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { stubBackend, uiSession } from "./harness.js";
import { baseTable, INFO } from "./fixtures.js";

const chromium = uiSession();

/** @param {string} repoType @param {string} repoId */
const cached = (repoType, repoId) => ({
  repoType, repoId, folder: `${repoType}s--${repoId.replace("/", "--")}`, sizeOnDisk: 1000, nbFiles: 1,
  lastAccessed: Date.now() / 1000, lastModified: Date.now() / 1000,
  revisions: [{ commit: "e".repeat(40), refs: ["main"], sizeOnDisk: 1000, files: [], lastModified: 0 }],
  problems: [],
});

test("a Library row opens its repository on the Hub the app points to", async () => {
  const opened = [];
  const repos = [cached("model", "acme/tiny-model"), cached("dataset", "acme/tiny-data")];
  const table = baseTable({
    app_info: { ...INFO, endpoint: "https://hub.example.org/" },
    list_cache: { scan: { root: "/home/ada/.cache/huggingface/hub", repos, sizeOnDisk: 2000, problems: [] }, freeBytes: 50e9 },
    "plugin:opener|open_url": ({ url }) => { opened.push(url); return null; },
  });
  const ui = await chromium.open(stubBackend(table));
  await ui.page.click(".nav-item[data-view=library]");
  const button = ui.page.locator("[data-repo='acme/tiny-model'] [data-action=open-hub]");
  assert.equal(await button.getAttribute("aria-label"), "Open on Hugging Face, acme/tiny-model");
  await button.click();
  await ui.page.click("[data-repo='acme/tiny-data'] [data-action=open-hub]");
  await ui.page.waitForFunction(() => true);
  for (let i = 0; i < 50 && opened.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(opened, ["https://hub.example.org/acme/tiny-model", "https://hub.example.org/datasets/acme/tiny-data"]);
  assert.deepEqual(ui.errors, []);
  await ui.page.close();
});
