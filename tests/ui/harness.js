// Serves ui/ from 127.0.0.1 and opens it in Debian's Chromium with the Tauri IPC stubbed, so
// the frontend can be tested without the backend.

import { createServer } from "node:http";
import { mkdir, readFile } from "node:fs/promises";
import { after, before } from "node:test";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const UI_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
// The same policy as tauri.conf.json, so a UI change that breaks it fails here too.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; connect-src 'none'; object-src 'none'";

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

/** Where screenshots go, for a person to look at after the run. */
export const SHOTS = new URL("../../test-artifacts/ui/", import.meta.url);

/**
 * Serves the UI and starts Chromium before the calling file's tests, and stops both after
 * them. `open(backend, options)` is {@link openUi} on that browser and server.
 */
export function uiSession() {
  /** @type {{url: string, close: () => Promise<void>} | undefined} */ let server;
  /** @type {import("playwright-core").Browser | undefined} */ let browser;
  before(async () => {
    server = await serveUi();
    browser = await launchBrowser();
    await mkdir(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    /**
     * @param {(cmd: string, args: any) => any} backend
     * @param {{colorScheme?: "light" | "dark"}} [options]
     */
    open: (backend, options = {}) => {
      if (!browser || !server) throw new Error("uiSession: open() is for tests, after before()");
      return openUi(browser, server.url, backend, options);
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

/**
 * Opens the UI with `window.__TAURI__` answered by `backend(cmd, args)` in Node. A
 * `Channel` passed as an argument arrives as `{ channel: id }`; `ui.send(id, message)` delivers
 * to it, and `ui.emit(name, payload)` fires an app-wide event. Errors are thrown as `{kind, message}`.
 * @param {import("playwright-core").Browser} browser
 * @param {string} url
 * @param {(cmd: string, args: any) => any} backend
 * @param {{colorScheme?: "light" | "dark"}} [options]
 */
export async function openUi(browser, url, backend, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 }, colorScheme: options.colorScheme ?? "light" });
  const errors = [];
  const calls = [];
  page.on("pageerror", (err) => errors.push(err));
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(new Error(msg.text())); });
  await page.exposeFunction("__stubInvoke", async (cmd, args) => {
    calls.push({ cmd, args });
    try {
      return { ok: await backend(cmd, args) };
    } catch (error) {
      return { err: error };
    }
  });
  await page.addInitScript(() => {
    const channels = new Map();
    const listeners = new Map();
    let nextChannel = 1;
    class Channel {
      constructor() {
        this.id = nextChannel++;
        this.onmessage = () => {};
        channels.set(this.id, this);
      }
    }
    window.__deliver = (id, message) => channels.get(id)?.onmessage(message);
    window.__emit = (name, payload) => (listeners.get(name) ?? []).forEach((h) => h({ event: name, payload }));
    window.__TAURI__ = {
      core: {
        Channel,
        invoke: async (cmd, args = {}) => {
          const plain = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v instanceof Channel ? { channel: v.id } : v]));
          const reply = await window.__stubInvoke(cmd, plain);
          if ("err" in reply) throw reply.err;
          return reply.ok;
        },
      },
      event: {
        listen: async (name, handler) => {
          listeners.set(name, [...(listeners.get(name) ?? []), handler]);
          return () => {};
        },
      },
    };
  });
  await page.goto(url);
  const ui = {
    page,
    errors,
    calls,
    /** @param {number} id @param {unknown} message */
    send: (id, message) => page.evaluate(([i, m]) => window.__deliver(i, m), [id, message]),
    /** @param {string} name @param {unknown} [payload] */
    emit: (name, payload) => page.evaluate(([n, p]) => window.__emit(n, p), [name, payload]),
  };
  return ui;
}

/** A backend answering each command from `table` (a value, or a function of the args). */
export function stubBackend(table) {
  return async (cmd, args) => {
    if (!(cmd in table)) throw { kind: "internal", message: `no stub for ${cmd}` };
    const entry = table[cmd];
    return typeof entry === "function" ? entry(args) : entry;
  };
}
