// Settings in Chromium with the backend stubbed: folders from the system's picker (the dialog
// plugin's open command), "Create a token" on the Hub's token page, values from environment
// variables read-only and naming their variable, and Save in sight in a small window.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, SETTINGS } from "./fixtures.js";

const chromium = uiSession();

test("Choose… fills the cache folder and the move's target from the folder picker; closing it changes nothing", async () => {
  /** @type {unknown[]} */
  const picked = [];
  /** @type {unknown[]} */
  const saved = [];
  let answer = /** @type {string | null} */ ("/mnt/big/hub");
  const table = baseTable({
    get_settings: { ...SETTINGS, endpoint: { value: "https://huggingface.co", source: "default", variable: null } },
    "plugin:dialog|open": ({ options }) => { picked.push(options); return answer; },
    set_settings: ({ update }) => { saved.push(update); return SETTINGS; },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=settings]");
  await page.click("button[data-action=choose-cacheDir]");
  await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.querySelector("input[name=cacheDir]")).value === "/mnt/big/hub");
  assert.deepEqual(picked[0], { directory: true, multiple: false, title: "Cache folder", defaultPath: SETTINGS.cacheDir.value });
  assert.equal(await page.getAttribute("button[data-action=choose-cacheDir]", "aria-label"), "Choose… the cache folder");

  answer = null;
  await page.click("button[data-action=choose-cacheDir]");
  for (let waited = 0; picked.length < 2 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await page.inputValue("input[name=cacheDir]"), "/mnt/big/hub", "a closed picker leaves the field as it was");

  answer = "/srv/elsewhere";
  await page.click("button[data-action=choose-moveTo]");
  await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.querySelector("input[name=moveTo]")).value === "/srv/elsewhere");
  assert.equal(/** @type {any} */ (picked[2]).title, "Move the cache to");

  await page.click("button[type=submit]");
  for (let waited = 0; saved.length === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  assert.equal(/** @type {any} */ (saved[0]).cacheDir, "/mnt/big/hub");
  await page.close();
});

test("Create a token opens the token page of the Hub in use", async () => {
  /** @type {string[]} */
  const opened = [];
  const table = baseTable({
    get_settings: { ...SETTINGS, endpoint: { value: "https://hf-mirror.example/", source: "settings", variable: null } },
    "plugin:opener|open_url": ({ url }) => { opened.push(url); return null; },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=settings]");
  await page.click("button >> text=Create a token");
  for (let waited = 0; opened.length === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(opened, ["https://hf-mirror.example/settings/tokens"]);
  await page.close();
});

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`values from environment variables are read-only, name their variable and stay reachable; Save stays in sight (${colorScheme})`, async () => {
    /** @type {unknown[]} */
    const saved = [];
    const environment = {
      ...SETTINGS,
      endpoint: { value: "http://127.0.0.1:9999", source: "environment", variable: "HF_ENDPOINT" },
      cacheDir: { value: "/srv/hf/hub", source: "environment", variable: "HF_HOME" },
      token: { value: "hf_…wxyz", source: "environment", variable: "HF_TOKEN" },
    };
    const table = baseTable({ get_settings: environment, set_settings: ({ update }) => { saved.push(update); return environment; } });
    const { page } = await chromium.open(stubBackend(table), { colorScheme });
    await page.setViewportSize({ width: 800, height: 600 });
    await page.click(".nav-item[data-view=settings]");
    await page.waitForSelector("input[name=endpoint]");
    for (const [name, variable] of [["endpoint", "HF_ENDPOINT"], ["cacheDir", "HF_HOME"], ["token", "HF_TOKEN"]]) {
      const input = page.locator(`input[name=${name}]`);
      assert.equal(await input.getAttribute("readonly"), "", `${name} is read-only`);
      assert.equal(await input.isDisabled(), false, `${name} is not disabled: it can be reached and read`);
      assert.match(await page.textContent(`.field:has(input[name=${name}]) .label-row`) ?? "", new RegExp(`from ${variable}`));
      assert.match(await page.textContent(`#setting-${name}-help`) ?? "", new RegExp(`^Set by ${variable}; change it there`));
    }
    assert.equal(await page.locator("button[data-action=choose-cacheDir]").count(), 0, "no picker for a folder the environment sets");
    assert.equal(await page.locator("input[name=moveTo]").count(), 0, "nor a move");
    await page.focus("input[name=endpoint]");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "token", "Tab goes through the read-only fields");

    const save = page.locator("button[type=submit]");
    const box = await save.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 600, `Save is in sight at 800x600 without scrolling: ${JSON.stringify(box)}`);
    await page.screenshot({ path: new URL(`settings-environment-${colorScheme}-800x600.png`, SHOTS).pathname });
    await save.click();
    for (let waited = 0; saved.length === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.equal(/** @type {any} */ (saved[0]).endpoint, null, "a value from the environment is not sent back");
    assert.equal(/** @type {any} */ (saved[0]).cacheDir, null);
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.screenshot({ path: new URL(`settings-environment-${colorScheme}-1920x1080.png`, SHOTS).pathname });
    await page.close();
  });
}
