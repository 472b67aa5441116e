#!/usr/bin/env python3
"""Times one download in the real app, for scripts/bench (standard library only).

  app_download.py APP REPO FILE

Starts WebKitWebDriver (needs a display: scripts/bench runs it under xvfb-run), opens the app,
types REPO into the search box as a person would, and clicks the file's Download button. Times
from the click to the file's snapshot link appearing in the cache, which the app writes once
the file is complete and verified. HF_ENDPOINT, HF_HOME, XDG_* come from the environment.

Prints, one per line: "elapsed SECONDS", "rss KIB" (the app's peak RSS), then the file's path.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
# Generous: the 2 GiB file takes a few seconds; a failing app must still end the bench.
DOWNLOAD_LIMIT_S = 300


class Driver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def request(self, method, path, body=None):
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.load(resp)["value"]
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: {e.code} {e.read()[:500]!r}")

    def script(self, body):
        return self.request("POST", "/execute/sync", {"script": body, "args": []})

    def wait_until(self, what, body, limit=30):
        deadline = time.monotonic() + limit
        while self.script(body) is not True:
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_pid(app: Path, home: str):
    """The app process that WebKitWebDriver started for this run."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "exe")) != app.resolve():
                continue
            if f"HF_HOME={home}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                return int(entry.name)
        except OSError:
            continue
    return None


def peak_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    app, repo, file = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    hub_cache = Path(os.environ.get("HF_HUB_CACHE") or Path(os.environ["HF_HOME"]) / "hub")
    snapshots = hub_cache / f"models--{repo.replace('/', '--')}" / "snapshots"
    port = free_port()
    env = dict(os.environ, TAURI_WEBVIEW_AUTOMATION="true")
    driver_proc = subprocess.Popen(
        ["WebKitWebDriver", f"--port={port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    session = None
    try:
        d = Driver(port)
        deadline = time.monotonic() + 20
        while True:
            try:
                d.request("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError, SystemExit):
                if time.monotonic() > deadline:
                    raise SystemExit("WebKitWebDriver did not start")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": str(app), "args": []}}}}
        created = d.request("POST", "/session", caps)
        session = created["sessionId"]
        d.base += f"/session/{session}"

        d.wait_until("the search box", "return !!document.querySelector('input.search')")
        box = d.request("POST", "/element", {"using": "css selector", "value": "input.search"})[ELEMENT_KEY]
        d.script("document.querySelector('input.search').value = ''")
        d.request("POST", f"/element/{box}/value", {"text": repo + "\ue007"})
        row = (
            "[...document.querySelectorAll('#view-model .files tbody tr')]"
            f".find(r => r.querySelector('.path')?.textContent === {json.dumps(file)})"
        )
        d.wait_until("the model's files", f"return !!{row}")
        start = time.perf_counter()
        d.script(f"{row}.querySelector('td:last-child button').click(); return true")
        while not (found := list(snapshots.glob(f"*/{file}")) if snapshots.is_dir() else []):
            if time.perf_counter() - start > DOWNLOAD_LIMIT_S:
                raise SystemExit(f"the app did not finish {file} in {DOWNLOAD_LIMIT_S} s")
            time.sleep(0.002)
        done, path = time.perf_counter(), found[0]
        pid = app_pid(app, os.environ["HF_HOME"])
        rss = peak_rss_kib(pid) if pid else 0
        print(f"elapsed {done - start:.4f}")
        print(f"rss {rss}")
        print(path)
    finally:
        if session:
            try:
                urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/session/{session}", method="DELETE"), timeout=20)
            except OSError:
                pass
        driver_proc.terminate()
        try:
            driver_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver_proc.kill()


if __name__ == "__main__":
    main()
