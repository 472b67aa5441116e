// The app shell in Chromium: navigation by mouse and keyboard, settings, themes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, SETTINGS } from "./fixtures.js";

const chromium = uiSession();

/** @param {import("playwright-core").Page} page */
async function visibleView(page) {
  return page.evaluate(() => [...document.querySelectorAll("section.view")].filter((s) => !(/** @type {HTMLElement} */ (s).hidden)).map((s) => s.id));
}

test("opens on Browse and switches views from the navigation", async () => {
  const { page, errors } = await chromium.open(stubBackend(baseTable()));
  assert.deepEqual(await visibleView(page), ["view-browse"]);
  for (const view of ["downloads", "library", "settings", "browse"]) {
    await page.click(`.nav-item[data-view=${view}]`);
    assert.deepEqual(await visibleView(page), [`view-${view}`]);
    assert.equal(await page.getAttribute(`.nav-item[data-view=${view}]`, "aria-current"), "page");
    assert.equal(await page.locator(".nav-item[aria-current=page]").count(), 1);
  }
  assert.deepEqual(errors, [], "no script error, and nothing blocked by the CSP");
  await page.close();
});

test("Ctrl+digit jumps to a view, Ctrl+K to the search box, Tab reaches the navigation", async () => {
  const { page } = await chromium.open(stubBackend(baseTable()));
  await page.keyboard.press("Control+3");
  assert.deepEqual(await visibleView(page), ["view-library"]);
  await page.keyboard.press("Control+4");
  assert.deepEqual(await visibleView(page), ["view-settings"]);
  await page.keyboard.press("Control+k");
  assert.deepEqual(await visibleView(page), ["view-browse"]);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Search models");
  await page.focus(".nav-item[data-view=browse]");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  assert.deepEqual(await visibleView(page), ["view-downloads"], "Tab moves along the navigation, Enter opens");
  await page.close();
});

test("Settings shows each value and its source, and saves changes", async () => {
  const saved = [];
  const table = baseTable({ set_settings: (args) => { saved.push(args.update); return { ...SETTINGS, concurrentJobs: args.update.concurrentJobs }; } });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=settings]");
  assert.equal(await page.inputValue("input[name=endpoint]"), "http://127.0.0.1:9999");
  assert.equal(await page.getAttribute("input[name=endpoint]", "readonly"), "", "set by HF_ENDPOINT, not editable");
  assert.match(await page.textContent(".field:has(input[name=endpoint]) .help") ?? "", /^Set by HF_ENDPOINT; change it there/);
  // The most connections the backend allows, from the backend.
  assert.equal(await page.getAttribute("input[name=connectionsPerFile]", "max"), "64");
  await page.fill("input[name=concurrentJobs]", "3");
  await page.fill("input[name=maxDownloadRate]", "12.5");
  await page.click("form.settings button[type=submit]");
  await page.waitForSelector("text=Saved.");
  assert.equal(saved[0].concurrentJobs, 3);
  assert.equal(saved[0].maxDownloadRate, 12_500_000);
  assert.equal(saved[0].endpoint, null, "an environment value is not sent back");
  assert.equal(await page.textContent("#status"), "Hub: 127.0.0.1:9999");
  await page.close();
});

test("Settings tests a token against the Hub and copies the diagnostics", async () => {
  const asked = [];
  const table = baseTable({
    test_token: ({ token }) => {
      asked.push(token);
      if (token === "hf_revoked") throw { kind: "unauthorized", message: "the Hub refused the request: the access token is invalid or was revoked" };
      return { name: "tester", fullname: "Test Er", orgs: ["acme"], tokenName: "laptop", role: "read" };
    },
  });
  const { page } = await chromium.open(stubBackend(table));
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.click(".nav-item[data-view=settings]");
  await page.click("text=Test token");
  await page.waitForSelector("text=✓ Signed in as tester (Test Er)");
  assert.match(await page.textContent(".token-result") ?? "", /token “laptop” · read access · member of acme/);
  await page.fill("input[name=token]", "hf_revoked");
  await page.click("text=Test token");
  await page.waitForSelector(".token-result .error-box");
  assert.match(await page.textContent(".token-result") ?? "", /invalid or was revoked/);
  assert.deepEqual(asked, [null, "hf_revoked"], "the saved token first, then the typed one");

  assert.equal(await page.textContent(".diagnostics .version"), "Modelshelf 0.1.0");
  const rows = await page.locator(".diagnostics dt, .diagnostics dd").allTextContents();
  assert.deepEqual(rows, ["platform", "linux x86_64", "endpoint", "http://127.0.0.1:9999 (from environment)", "log", "/home/ada/.local/share/modelshelf/logs/modelshelf.2026-11-27.log"]);
  await page.fill("input[name=token]", "hf_x");
  assert.equal(await page.textContent(".token-result"), "", "an old result goes when the token changes");
  await page.click("text=Copy diagnostics");
  await page.waitForSelector(".diagnostics >> text=Copied.");
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /^Modelshelf 0\.1\.0\nplatform: linux x86_64/);
  await page.screenshot({ path: new URL("settings-light.png", SHOTS).pathname, fullPage: true });
  await page.close();
});

test("a refused setting shows the backend's message", async () => {
  const table = baseTable({ set_settings: () => { throw { kind: "invalidInput", message: "invalid concurrent downloads: 99 is not between 1 and 16" }; } });
  const { page } = await chromium.open(stubBackend(table));
  await page.click(".nav-item[data-view=settings]");
  await page.fill("input[name=concurrentJobs]", "99");
  await page.click("form.settings button[type=submit]");
  assert.match(await page.textContent("#view-settings .error-box") ?? "", /99 is not between 1 and 16/);
  await page.close();
});

test("follows the system theme, light and dark", async () => {
  const colours = {};
  for (const scheme of /** @type {const} */ (["light", "dark"])) {
    const { page } = await chromium.open(stubBackend(baseTable()), { colorScheme: scheme });
    await page.waitForSelector(".result");
    colours[scheme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.screenshot({ path: new URL(`browse-${scheme}.png`, SHOTS).pathname });
    await page.close();
  }
  assert.equal(colours.light, "rgb(246, 247, 251)");
  assert.equal(colours.dark, "rgb(20, 24, 38)");
});
