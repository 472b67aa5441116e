// Moving the cache from Settings in Chromium with the backend stubbed: the progress the
// backend sends on the move's channel (bytes copied and checked, time left), Cancel, and the
// view keeping its state while the person looks elsewhere.

import { test } from "node:test";
import assert from "node:assert/strict";
import { SHOTS, stubBackend, uiSession } from "./harness.js";
import { baseTable, SETTINGS } from "./fixtures.js";

const chromium = uiSession();

const TO = "/mnt/big-disk/huggingface/hub";

/** A backend whose move waits until the test ends it. */
function movingBackend() {
  const move = { channel: 0, cancels: 0, settled: /** @type {(outcome: {ok?: unknown, err?: unknown}) => void} */ (() => {}) };
  const table = baseTable({
    move_cache: ({ to, onProgress }) => {
      assert.equal(to, TO);
      move.channel = onProgress.channel;
      return new Promise((resolve, reject) => {
        move.settled = ({ ok, err }) => (err ? reject(err) : resolve(ok));
      });
    },
    cancel_cache_move: () => {
      move.cancels += 1;
      return null;
    },
  });
  return { move, backend: stubBackend(table) };
}

/** @param {import("playwright-core").Page} page */
async function startMove(page) {
  await page.click(".nav-item[data-view=settings]");
  await page.fill("input[name=moveTo]", TO);
  await page.click(".field.move button[data-action=move]");
  assert.match(await page.textContent("dialog.confirm") ?? "", /copied to \/mnt\/big-disk\/huggingface\/hub, checked, and then deleted/);
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector(".move-progress:not([hidden])");
}

for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
  test(`a move shows bytes copied and checked with the time left, and Cancel keeps the old cache (${colorScheme})`, async () => {
    const { move, backend } = movingBackend();
    const ui = await chromium.open(backend, { colorScheme });
    const { page } = ui;
    await startMove(page);
    assert.equal(await page.isDisabled(".field.move button[data-action=move]"), true, "one move at a time");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel", "the move's Cancel has the focus, not the idle Move…");
    await ui.send(move.channel, { phase: "copying", bytesTotal: 8e9, bytesCopied: 3e9, bytesVerified: 1e9, etaSeconds: 42, current: "models--acme--big" });
    await page.waitForSelector(".move-progress >> text=Copying · 3.00 GB copied, 1.00 GB checked of 8.00 GB · 42 s left");
    assert.equal(await page.getAttribute(".move-progress .bar", "aria-valuenow"), "25");
    assert.equal(await page.getAttribute(".move-progress .bar", "aria-valuetext"), "25% · Copying · 3.00 GB copied, 1.00 GB checked of 8.00 GB · 42 s left");
    await page.screenshot({ path: new URL(`settings-moving-${colorScheme}.png`, SHOTS).pathname });

    // Elsewhere and back: the move is still shown, and still reporting.
    await page.click(".nav-item[data-view=library]");
    await ui.send(move.channel, { phase: "verifying", bytesTotal: 8e9, bytesCopied: 8e9, bytesVerified: 4e9, etaSeconds: 9, current: "models--acme--big" });
    await page.click(".nav-item[data-view=settings]");
    assert.equal(await page.textContent(".move-progress .numbers"), "Checking the copy · 8.00 GB copied, 4.00 GB checked of 8.00 GB · 9 s left");

    await page.focus(".move-progress button.danger");
    await page.keyboard.press("Enter");
    assert.equal(move.cancels, 1);
    assert.equal(await page.textContent(".move-progress .numbers"), "Cancelling…");
    await ui.send(move.channel, { phase: "verifying", bytesTotal: 8e9, bytesCopied: 8e9, bytesVerified: 4.1e9, etaSeconds: 8, current: "models--acme--big" });
    assert.equal(await page.textContent(".move-progress .numbers"), "Cancelling…", "a late report does not hide that Cancel was heard");
    move.settled({ err: { kind: "cancelled", message: "cancelled" } });
    await page.waitForSelector(`#view-settings .status-line >> text=Move cancelled. The cache stays in ${SETTINGS.cacheDir.value}, as it was.`);
    assert.equal(await page.isHidden(".move-progress"), true);
    assert.equal(await page.isDisabled(".field.move button[data-action=move]"), false, "a move can be started again");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Move…", "the focus, which was on Cancel, is on Move… again");
    assert.deepEqual(ui.errors, []);
    await page.close();
  });
}

test("a finished move says how much moved and shows the new folder", async () => {
  const { move, backend } = movingBackend();
  let moved = false;
  const ui = await chromium.open(async (cmd, args) => {
    if (cmd === "get_settings" && moved) return { ...SETTINGS, cacheDir: { value: TO, source: "settings" } };
    return backend(cmd, args);
  });
  await startMove(ui.page);
  await ui.send(move.channel, { phase: "removing", bytesTotal: 8e9, bytesCopied: 8e9, bytesVerified: 8e9, etaSeconds: null, current: "models--acme--big" });
  await ui.page.waitForSelector(".move-progress >> text=Removing the old files · 8.00 GB copied, 8.00 GB checked of 8.00 GB");
  assert.equal(await ui.page.isDisabled(".move-progress button.danger"), true, "nothing to cancel once the copy is complete");
  moved = true;
  move.settled({ ok: { bytes: 8e9, paths: [] } });
  await ui.page.waitForSelector(`#view-settings .status-line >> text=Moved 8.00 GB to ${TO}.`);
  assert.equal(await ui.page.inputValue("input[name=cacheDir]"), TO);
  assert.deepEqual(ui.errors, []);
  await ui.page.close();
});
