// The app shell in Chromium: navigation by mouse and keyboard, the views' states, themes.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { launchBrowser, openUi, serveUi } from "./harness.js";

const INFO = { version: "0.1.0", endpoint: "http://127.0.0.1:9999", cacheDir: "/home/ada/.cache/huggingface/hub", hasToken: false, offline: false };
const SHOTS = new URL("../../test-artifacts/ui/", import.meta.url);

/** @type {{url: string, close: () => Promise<void>}} */ let server;
/** @type {import("playwright-core").Browser} */ let browser;

before(async () => {
  server = await serveUi();
  browser = await launchBrowser();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** @param {import("playwright-core").Page} page */
async function visibleView(page) {
  return page.evaluate(() => [...document.querySelectorAll("section.view")].filter((s) => !(/** @type {HTMLElement} */ (s).hidden)).map((s) => s.id));
}

test("opens on Browse and switches views from the navigation", async () => {
  const { page, errors } = await openUi(browser, server.url, { app_info: INFO });
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

test("Ctrl+digit jumps to a view and Tab reaches the navigation", async () => {
  const { page } = await openUi(browser, server.url, { app_info: INFO });
  await page.keyboard.press("Control+3");
  assert.deepEqual(await visibleView(page), ["view-library"]);
  await page.keyboard.press("Control+4");
  assert.deepEqual(await visibleView(page), ["view-settings"]);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  assert.deepEqual(await visibleView(page), ["view-downloads"], "the second nav item has focus after two Tabs");
  await page.close();
});

test("Settings shows where the app points, from the backend", async () => {
  const { page } = await openUi(browser, server.url, { app_info: INFO });
  await page.click(".nav-item[data-view=settings]");
  const facts = await page.locator("#view-settings dd").allTextContents();
  assert.deepEqual(facts, [INFO.endpoint, INFO.cacheDir, "None (public models only)", "Off", "0.1.0"]);
  assert.equal(await page.textContent("#status"), "Hub: 127.0.0.1:9999");
  await page.close();
});

test("a backend error is shown with its message, not swallowed", async () => {
  const { page } = await openUi(browser, server.url, { app_info: { error: { kind: "invalidInput", message: "invalid Hub endpoint: \"ftp://x\"" } } });
  await page.click(".nav-item[data-view=settings]");
  assert.match(await page.textContent("#view-settings .error") ?? "", /Could not read the settings: invalid Hub endpoint/);
  assert.equal(await page.textContent("#status"), "Backend unavailable");
  await page.close();
});

test("follows the system theme, light and dark", async () => {
  const colours = {};
  for (const scheme of /** @type {const} */ (["light", "dark"])) {
    const { page } = await openUi(browser, server.url, { app_info: INFO }, { colorScheme: scheme });
    await page.click(".nav-item[data-view=settings]");
    colours[scheme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.screenshot({ path: new URL(`settings-${scheme}.png`, SHOTS).pathname });
    await page.close();
  }
  assert.equal(colours.light, "rgb(246, 247, 251)");
  assert.equal(colours.dark, "rgb(20, 24, 38)");
});
