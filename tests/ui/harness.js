// Serves ui/ from 127.0.0.1 and opens it in Debian's Chromium with the Tauri IPC stubbed, so
// the frontend can be tested without the backend.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
// The same policy as tauri.conf.json, so a UI change that breaks it fails here too.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; object-src 'none'";

/** @returns {Promise<{url: string, close: () => Promise<void>}>} */
export async function serveUi() {
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
    try {
      const body = await readFile(join(UI_DIR, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "content-security-policy": CSP });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}/index.html`, close: () => new Promise((r) => server.close(() => r(undefined))) };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

/**
 * Opens the UI with `window.__TAURI__` answering from `responses` (command -> value, or
 * `{ error: {kind, message} }` to reject). Calls are recorded in `window.__calls`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {Record<string, unknown>} responses
 * @param {{colorScheme?: "light" | "dark"}} [options]
 */
export async function openUi(browser, url, responses, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 }, colorScheme: options.colorScheme ?? "light" });
  const errors = [];
  page.on("pageerror", (err) => errors.push(err));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(new Error(msg.text())); });
  await page.addInitScript((responses) => {
    window.__calls = [];
    window.__TAURI__ = {
      core: {
        invoke: async (cmd, args) => {
          window.__calls.push({ cmd, args });
          const reply = responses[cmd];
          if (reply === undefined) throw { kind: "internal", message: `no stub for ${cmd}` };
          if (reply && typeof reply === "object" && "error" in reply) throw reply.error;
          return reply;
        },
      },
    };
  }, responses);
  await page.goto(url);
  return { page, errors };
}
