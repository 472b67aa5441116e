// A real-style model card in Chromium, as the backend renders it (tests/ui/real-card.html is the
// Rust renderer's output for real-card.md, kept current by a unit test in crates/core/src/card.rs):
// its structure shows, nothing in it runs, images from other sites wait for a click, and links
// go to the system browser through the opener, never into the app's window.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, INFO } from "./fixtures.js";

const chromium = uiSession();
/** @type {string} */ let cardHtml;

before(async () => {
  cardHtml = await readFile(new URL("./real-card.html", import.meta.url), "utf8");
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An image the way a server sends one: a logo for the Hub, a badge for shields.io. */
const svg = (text, width, fill) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${width > 200 ? 90 : 20}"><rect width="100%" height="100%" rx="4" fill="${fill}"/><text x="50%" y="60%" font-family="sans-serif" font-size="${width > 200 ? 36 : 11}" fill="#fff" text-anchor="middle">${text}</text></svg>`;

/**
 * Opens `acme/Acme-V3` with the real-style card; images from the endpoint and from shields.io
 * are answered here (the network is closed) and every request is counted.
 * @param {"light" | "dark"} colorScheme
 */
async function openCard(colorScheme) {
  const opened = [];
  const table = baseTable({
    get_model: ({ repo }) => ({
      id: repo, commit: "c".repeat(40), gated: "no", private: false, tags: ["license:mit"], pipelineTag: "text-generation", libraryName: "transformers",
      downloads: 120000, likes: 3400, lastModified: null, memoryTotal: 16 * 2 ** 30, cardHtml,
      files: [{ path: "README.md", size: 4000, lfs: false, cached: false }, { path: "model.safetensors", size: 8e9, lfs: true, cached: false }],
    }),
    "plugin:opener|open_url": ({ url }) => { opened.push(url); return null; },
  });
  const ui = await chromium.open(stubBackend(table), { colorScheme });
  const hub = [];
  const thirdParty = [];
  await ui.page.route(`${INFO.endpoint}/**`, (route) => {
    hub.push(route.request().url());
    return route.fulfill({ contentType: "image/svg+xml", body: svg("Acme-V3", 420, "#4d6bfe") });
  });
  await ui.page.route(/^https?:\/\/img\.shields\.io\//, (route) => {
    thirdParty.push(route.request().url());
    return route.fulfill({ contentType: "image/svg+xml", body: svg("badge", 110, "#536af5") });
  });
  await ui.page.route("https://evil.test/**", (route) => {
    thirdParty.push(route.request().url());
    return route.abort();
  });
  await ui.page.fill("input.search", "acme/Acme-V3");
  await ui.page.keyboard.press("Enter");
  await ui.page.waitForSelector(".card h2");
  return { ...ui, opened, hub, thirdParty };
}

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`a real-style card keeps its structure and stays inert (${colorScheme})`, async () => {
    const { page, errors, opened, hub, thirdParty } = await openCard(colorScheme);
    const startUrl = page.url();
    // The logo from the repo on the endpoint loads at once.
    await page.waitForFunction(() => [...document.querySelectorAll(".card img")].some((i) => i.complete && i.naturalWidth > 0));
    assert.ok(hub.includes(`${INFO.endpoint}/acme/Acme-V3/resolve/main/figures/logo.png`), JSON.stringify(hub));
    assert.equal(await page.getAttribute(".card > div[align=center] > img", "alt"), "Acme-V3", "the centred logo");
    assert.equal(await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.querySelector(".card > div[align=center]"))).textAlign), "-webkit-center");

    // The badges wait as their alt text, and say why.
    assert.deepEqual(await page.locator(".card .held-image").allTextContents(), ["Homepage", "Hugging Face", "License"]);
    assert.match(await page.textContent(".card .held-notice") ?? "", /3 images from other sites \(img\.shields\.io\) not loaded/);
    assert.deepEqual(thirdParty, [], "opening the card told no third party anything");

    // Structure: both tables, the details block, headings, lists.
    assert.equal(await page.locator(".card table").count(), 2);
    assert.deepEqual(await page.locator(".card table").first().locator("tbody tr").allTextContents(), ["MMLU (Acc.)78.487.1", "GSM8K (EM)81.689.3"]);
    assert.equal(await page.getAttribute(".card th:has-text('Score')", "align"), "right");
    assert.equal(await page.isVisible(".card details table"), false, "details start closed");
    await page.click(".card summary");
    assert.equal(await page.isVisible(".card details table"), true);
    assert.deepEqual(await page.locator(".card h2").allTextContents(), ["1. Introduction", "2. Evaluation", "3. Contact"]);

    // Inert: nothing ran, nothing styles the page, nothing can post or frame.
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__cardScriptRan), undefined);
    const leftovers = await page.evaluate(() => {
      const card = /** @type {Element} */ (document.querySelector(".card"));
      const all = [...card.querySelectorAll("*")];
      return {
        elements: all.filter((e) => ["SCRIPT", "IFRAME", "FORM", "INPUT", "BUTTON", "STYLE", "OBJECT", "EMBED"].includes(e.tagName) && !e.closest(".held-notice")).map((e) => e.tagName),
        attributes: all.flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith("on") || n === "style" || n === "target"),
        javascriptLinks: [...card.querySelectorAll("a")].filter((a) => /^\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
      };
    });
    assert.deepEqual(leftovers, { elements: [], attributes: [], javascriptLinks: 0 });
    assert.equal(await page.evaluate(() => getComputedStyle(/** @type {Element} */ ([...document.querySelectorAll(".card p")].find((p) => p.textContent === "A styled paragraph."))).position), "static");
    await page.click(".card >> text=A script link");
    await page.click(".card >> text=A styled paragraph.");
    await sleep(100);
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__cardScriptRan), undefined);

    await page.locator(".card").scrollIntoViewIfNeeded();
    await page.screenshot({ path: new URL(`model-card-${colorScheme}.png`, SHOTS).pathname });
    // The whole card in one picture: a window tall enough for it.
    await page.setViewportSize({ width: 1100, height: 1700 });
    await page.locator(".card").screenshot({ path: new URL(`card-${colorScheme}.png`, SHOTS).pathname });

    // Links: to the system browser, the app's window stays where it is.
    await page.click(".card >> text=Paper Link");
    await page.click(".card >> text=the config");
    await page.click(".card >> text=service@acme.test");
    await page.click(".card a:has(.held-image:has-text('License'))", { button: "middle" });
    await sleep(100);
    assert.deepEqual(opened, [
      "https://arxiv.org/abs/2412.19437",
      `${INFO.endpoint}/acme/Acme-V3/blob/main/config.json`,
      "mailto:service@acme.test",
      `${INFO.endpoint}/acme/Acme-V3/blob/main/LICENSE`,
    ]);
    assert.equal(page.url(), startUrl, "the window never navigated");
    assert.equal(page.context().pages().length, 1, "no new window opened");

    // One click shows the other sites' images.
    await page.click("text=Show images from other sites");
    await page.waitForFunction(() => document.querySelectorAll(".card img").length === 5 && [...document.querySelectorAll(".card img")].every((i) => i.complete));
    assert.equal(await page.locator(".card .held-image").count(), 0);
    assert.equal(await page.locator(".card .held-notice").count(), 0);
    assert.deepEqual(thirdParty.sort(), [
      // Written `//img.shields.io/…` in the card: the endpoint's scheme, as on the Hub.
      "http://img.shields.io/badge/License-MIT-f5de53",
      "https://img.shields.io/badge/%F0%9F%A4%97%20Hugging%20Face-Acme-ffc107",
      "https://img.shields.io/badge/Homepage-Acme-536af5?color=536af5",
    ]);
    if (colorScheme === "light") await page.locator(".card").screenshot({ path: new URL("card-images-shown-light.png", SHOTS).pathname });
    assert.deepEqual(errors, [], "no script error, and nothing blocked by the CSP");
    await page.close();
  });
}
