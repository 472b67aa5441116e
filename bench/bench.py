#!/usr/bin/env python3
"""The engine of `scripts/bench` (standard library only).

  prepare --work DIR   generate the data (cached in target/bench-data/), pick two free ports,
                       write DIR/nginx.conf: nginx imitates the Hub (API JSON, resolve routes
                       with the Hub's headers, a 302 to a second server playing the CDN)
  check --work DIR     wait for nginx, then check with `curl -I` that it answers like the Hub
  measure --work DIR   download the same data with modelshelf-cli, curl, wget and Python's
                       huggingface_hub (2.x from .venv, 0.x from target/bench-venv-0x), each
                       run into a fresh folder under target/bench-out/; print the table
  measure-cdn --work DIR
                       the CDN-like scenario: a 256 MiB and the 2 GiB file from a CDN that
                       throttles each connection (20 and 5 MiB/s), modelshelf-cli against
                       aria2c -x16, huggingface_hub 0.36 + hf_transfer, curl and huggingface_hub
                       2.x; print a table per rate and file

Data: one 2 GiB LFS file (random bytes from /dev/urandom, made once), a repository of 200
regular files of 4 KiB to 1 MiB (deterministic pseudo-random bytes) and, for the CDN-like
scenario, one 256 MiB LFS file (random, made once) next to the 2 GiB one.

BENCH_CDN=0 leaves the CDN-like scenario out of the nginx config; BENCH_CDN_RUNS=N sets its
runs per measurement (default 2).
"""

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "target" / "bench-data"
OUT = ROOT / "target" / "bench-out"
CLI = Path(os.environ.get("BENCH_CLI", ROOT / "target" / "release" / "modelshelf-cli"))
# Another modelshelf-cli build (an older commit's) measured in the same runs, to show a change
# did not make things slower: same-run ratios are the only figures that mean much on a VM.
BASELINE_CLI = os.environ.get("BENCH_BASELINE_CLI")
PY_NEW = ROOT / ".venv" / "bin" / "python"
PY_OLD = ROOT / "target" / "bench-venv-0x" / "bin" / "python"
HF_HELPER = ROOT / "bench" / "hf_download.py"
# The app itself (release build), driven through WebKitWebDriver under xvfb-run.
APP = Path(os.environ.get("BENCH_APP", ROOT / "target" / "release" / "modelshelf"))
APP_HELPER = ROOT / "bench" / "app_download.py"

DATA_VERSION = 1
BIG_REPO, BIG_FILE, BIG_SIZE = "bench/big-model", "model.safetensors", 2 * 1024**3
SMALL_REPO, SMALL_COUNT = "bench/many-files", 200
MIB = 1024 * 1024
# The CDN-like scenario: its own repository on its own Hub/CDN pairs, one pair per rate.
CDN = os.environ.get("BENCH_CDN", "1") != "0"
CDN_REPO = "bench/cdn-model"
CDN_MID_FILE, CDN_MID_SIZE = "model-256m.safetensors", 256 * MIB
# The 2 GiB data file again, under another name: no second 2 GiB on disk.
CDN_BIG_FILE = "model-2g.safetensors"
CDN_RATES = (20, 5)  # MiB/s per connection


def say(msg):
    print(f"\033[1m==> {msg}\033[0m", flush=True)


def git_blob_sha1(content: bytes) -> str:
    h = hashlib.sha1(f"blob {len(content)}\0".encode())
    h.update(content)
    return h.hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def commit_of(repo_id, files):
    h = hashlib.sha1(repo_id.encode())
    for f in files:
        h.update(f["path"].encode())
        h.update(f["oid"].encode())
    return h.hexdigest()


# --- data ----------------------------------------------------------------------------------


def make_big(meta_path: Path) -> dict:
    """The 2 GiB file, made once from /dev/urandom and hashed on the way."""
    return make_random(DATA / "big" / BIG_FILE, BIG_SIZE, meta_path)


def make_random(path: Path, size: int, meta_path: Path) -> dict:
    if meta_path.exists() and path.exists():
        meta = json.loads(meta_path.read_text())
        st = path.stat()
        if (meta.get("version"), meta.get("size"), meta.get("mtime_ns")) == (
            DATA_VERSION,
            st.st_size,
            st.st_mtime_ns,
        ):
            return meta
    say(f"generating the {size // MIB} MiB LFS file (once; cached in {path.parent})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    sha = hashlib.sha256()
    left = size
    with open("/dev/urandom", "rb") as src, open(tmp, "wb") as dst:
        while left:
            chunk = src.read(min(left, 16 * MIB))
            sha.update(chunk)
            dst.write(chunk)
            left -= len(chunk)
    os.replace(tmp, path)
    st = path.stat()
    meta = {
        "version": DATA_VERSION,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "sha256": sha.hexdigest(),
    }
    meta_path.write_text(json.dumps(meta))
    return meta


def small_layout():
    """200 paths in a few folders, sizes log-uniform between 4 KiB and 1 MiB."""
    rng = random.Random(20260101)
    folders = ["", "shards/", "tokenizer/", "assets/images/"]
    out = []
    for i in range(SMALL_COUNT):
        size = int(4096 * 256 ** rng.random())
        ext = ["bin", "json", "txt", "npy"][i % 4]
        out.append((f"{folders[i % len(folders)]}file-{i:03d}.{ext}", size))
    return out


def make_small() -> list:
    """The many-files repository; regenerated when anything is missing (it takes a second)."""
    base = DATA / "small"
    meta_path = DATA / "small.json"
    layout = small_layout()
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("version") == DATA_VERSION and all(
            (base / f["path"]).is_file() and (base / f["path"]).stat().st_size == f["size"]
            for f in meta["files"]
        ):
            return meta["files"]
    say(f"generating {SMALL_COUNT} small files (cached in {base})")
    shutil.rmtree(base, ignore_errors=True)
    rng = random.Random(7)
    files = []
    for path, size in layout:
        content = rng.randbytes(size)
        dst = base / path
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(content)
        files.append({"path": path, "size": size, "oid": git_blob_sha1(content)})
    meta_path.write_text(json.dumps({"version": DATA_VERSION, "files": files}))
    return files


def lfs_entry(path: str, meta: dict, local: Path) -> dict:
    pointer = lfs_pointer(meta["sha256"], meta["size"])
    return {
        "path": path,
        "size": meta["size"],
        "oid": git_blob_sha1(pointer),
        "lfs": {"oid": meta["sha256"], "size": meta["size"], "pointerSize": len(pointer)},
        "local": str(local),
    }


def load_data():
    DATA.mkdir(parents=True, exist_ok=True)
    big = make_big(DATA / "big.json")
    small = make_small()
    big_entry = lfs_entry(BIG_FILE, big, DATA / "big" / BIG_FILE)
    for f in small:
        f["local"] = str(DATA / "small" / f["path"])
    repos = {
        BIG_REPO: {"commit": commit_of(BIG_REPO, [big_entry]), "files": [big_entry]},
        SMALL_REPO: {"commit": commit_of(SMALL_REPO, small), "files": small},
    }
    if not CDN:
        return repos, None
    mid_local = DATA / "cdn" / CDN_MID_FILE
    mid = make_random(mid_local, CDN_MID_SIZE, DATA / "cdn.json")
    files = [lfs_entry(CDN_MID_FILE, mid, mid_local), lfs_entry(CDN_BIG_FILE, big, DATA / "big" / BIG_FILE)]
    return repos, {"commit": commit_of(CDN_REPO, files), "files": files}


# --- the fake Hub in nginx -----------------------------------------------------------------


def model_info(repo_id, repo):
    siblings = []
    for f in repo["files"]:
        s = {"rfilename": f["path"], "blobId": f["oid"], "size": f["size"]}
        if "lfs" in f:
            s["lfs"] = {
                "sha256": f["lfs"]["oid"],
                "size": f["lfs"]["size"],
                "pointerSize": f["lfs"]["pointerSize"],
            }
        siblings.append(s)
    return {
        "_id": repo["commit"][:24],
        "id": repo_id,
        "modelId": repo_id,
        "author": repo_id.split("/")[0],
        "sha": repo["commit"],
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "pipeline_tag": None,
        "library_name": None,
        "createdAt": "2026-01-02T03:04:05.000Z",
        "lastModified": "2026-01-02T03:04:05.000Z",
        "usedStorage": sum(f["size"] for f in repo["files"]),
        "siblings": siblings,
    }


def tree(repo):
    entries = {}
    for f in repo["files"]:
        parts = f["path"].split("/")
        for depth in range(1, len(parts)):
            d = "/".join(parts[:depth])
            entries.setdefault(
                d,
                {"type": "directory", "oid": git_blob_sha1(d.encode()), "size": 0, "path": d},
            )
        e = {"type": "file", "oid": f["oid"], "size": f["size"], "path": f["path"]}
        if "lfs" in f:
            e["lfs"] = f["lfs"]
        entries[f["path"]] = e
    return [entries[k] for k in sorted(entries)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def routes(work: Path, repos, cdn_port):
    """The Hub's locations for these repos (API JSON, resolve routes) and those of the CDN its
    LFS resolve routes redirect to (port cdn_port)."""
    api_dir = work / "api"
    api_dir.mkdir(parents=True, exist_ok=True)
    hub, cdn = [], []
    for repo_id, repo in repos.items():
        commit = repo["commit"]
        slug = repo_id.replace("/", "--")
        info, listing = api_dir / f"{slug}.info.json", api_dir / f"{slug}.tree.json"
        info.write_text(json.dumps(model_info(repo_id, repo)))
        listing.write_text(json.dumps(tree(repo)))
        api = f"/api/models/{repo_id}"
        for uri, file in [(api, info)] + [
            (f"{api}/{kind}/{rev}", f)
            for rev in ("main", commit)
            for kind, f in (("revision", info), ("tree", listing))
        ]:
            hub.append(
                f'    location = {uri} {{ default_type "application/json; charset=utf-8"; '
                f"alias {file}; }}"
            )
        for f in repo["files"]:
            for rev in ("main", commit):
                uri = f"/{repo_id}/resolve/{rev}/{f['path']}"
                if "lfs" in f:
                    sha = f["lfs"]["oid"]
                    hub.append(
                        f"    location = {uri} {{\n"
                        f"      add_header X-Linked-Etag '\"{sha}\"' always;\n"
                        f"      add_header X-Linked-Size {f['size']} always;\n"
                        f"      add_header X-Repo-Commit {commit} always;\n"
                        f"      return 302 http://127.0.0.1:{cdn_port}/blob/{sha}"
                        f"?Expires=4102444800&Signature=bench;\n"
                        f"    }}"
                    )
                else:
                    hub.append(
                        f"    location = {uri} {{ alias {f['local']}; "
                        f"add_header ETag '\"{f['oid']}\"' always; "
                        f"add_header X-Repo-Commit {commit} always; }}"
                    )
            if "lfs" in f:
                cdn.append(f"    location = /blob/{f['lfs']['oid']} {{ alias {f['local']}; }}")
    return "\n".join(hub), "\n".join(cdn)


NOT_FOUND = """    location / {
      default_type "application/json; charset=utf-8";
      return 404 '{"error":"Sorry, we can\\'t find the page you are looking for."}';
    }"""


def cdn_servers(work: Path, cdn):
    """The CDN-like scenario's servers: per rate, a Hub whose resolve routes redirect to a CDN
    that throttles every response to that rate."""
    out = []
    for s in cdn["servers"]:
        hub_routes, cdn_routes = routes(work, {CDN_REPO: cdn["repo"]}, s["cdn_port"])
        out.append(
            f"""  # The CDN-like scenario at {s['rate']} MiB/s per connection: its Hub, then its CDN.
  server {{
    listen 127.0.0.1:{s['hub_port']};
    etag off;
{hub_routes}
{NOT_FOUND}
  }}
  server {{
    listen 127.0.0.1:{s['cdn_port']};
    # limit_rate throttles each request, not each connection. An HTTP/1.1 connection carries one
    # request at a time, so per request is per connection: a client gets more only by opening
    # more connections, as from a CDN that paces every stream.
    limit_rate {s['rate']}m;
    # nginx writes up to sendfile_max_chunk (2 MiB by default), then waits bytes/rate: each
    # request's last write is free. 2 MiB free per request would favour clients that make
    # many short requests (hf_transfer asks 10 MiB at a time: 25% faster than the rate at
    # 5 MiB/s); 256 KiB keeps every request within a few percent of the rate.
    sendfile_max_chunk 256k;
{cdn_routes}
  }}
"""
        )
    return "".join(out)


def nginx_conf(work: Path, repos, hub_port, cdn_port, cdn=None):
    hub_routes, cdn_routes = routes(work, repos, cdn_port)
    temp = "\n".join(
        f"  {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Started as root, nginx would run its workers as nobody, who may not read a checkout
    # under /root or a mktemp folder (0700): keep the workers as the user who runs the bench.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""# Generated by bench/bench.py: nginx plays the Hub (port {hub_port}) and its CDN (port {cdn_port}).
{user}worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
{temp}
  # $pid:$connection names the TCP connection a request came on: distinct ones, counted per
  # run, are the connections a client opened.
  log_format bench '$server_port $status $request_method $request_uri $body_bytes_sent $pid:$connection';
  access_log {work}/access.log bench;
  types {{ }}
  default_type application/octet-stream;
  server_tokens off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 60s;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{hub_port};
    # The Hub's ETag is the git blob sha1 (set per file below), never nginx's mtime-size one.
    etag off;
{hub_routes}
    # The app's Browse view searches when it opens: an empty result, not a failed request.
    location = /api/models {{ default_type "application/json; charset=utf-8"; return 200 '[]'; }}
{NOT_FOUND}
  }}
  server {{
    listen 127.0.0.1:{cdn_port};
{cdn_routes}
  }}
{cdn_servers(work, cdn) if cdn else ""}}}
"""


def prepare(work: Path):
    repos, cdn_repo = load_data()
    ports = set()
    while len(ports) < 2 + (2 * len(CDN_RATES) if cdn_repo else 0):
        ports.add(free_port())
    ports = list(ports)
    hub_port, cdn_port = ports[:2]
    cdn = None
    if cdn_repo:
        cdn = {
            "repo": cdn_repo,
            "servers": [
                {"rate": rate, "hub_port": ports[2 + 2 * i], "cdn_port": ports[3 + 2 * i]}
                for i, rate in enumerate(CDN_RATES)
            ],
        }
    (work / "nginx.conf").write_text(nginx_conf(work, repos, hub_port, cdn_port, cdn))
    (work / "bench.json").write_text(
        json.dumps({"hub_port": hub_port, "cdn_port": cdn_port, "repos": repos, "cdn": cdn})
    )
    print(
        f"nginx config: {work / 'nginx.conf'} (Hub http://127.0.0.1:{hub_port}, "
        f"CDN http://127.0.0.1:{cdn_port})"
    )
    for s in cdn["servers"] if cdn else ():
        print(
            f"CDN-like scenario at {s['rate']} MiB/s per connection: Hub http://127.0.0.1:{s['hub_port']}, "
            f"CDN http://127.0.0.1:{s['cdn_port']}"
        )


def load_state(work: Path):
    return json.loads((work / "bench.json").read_text())


# --- header checks ---------------------------------------------------------------------------


def curl_head(url, extra=()):
    """Status and lower-cased headers of a HEAD (or of a ranged GET when extra says so)."""
    out = subprocess.run(
        ["curl", "-sS", "-D", "-", "-o", "/dev/null", *extra, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [l.rstrip("\r") for l in out.splitlines() if l.strip()]
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, "\n".join(lines)


def check(work: Path):
    st = load_state(work)
    hub = f"http://127.0.0.1:{st['hub_port']}"
    deadline = time.time() + 10
    cdn_servers = st["cdn"]["servers"] if st.get("cdn") else []
    for port in [st["hub_port"], st["cdn_port"]] + [s[k] for s in cdn_servers for k in ("hub_port", "cdn_port")]:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit(f"nginx is not listening on 127.0.0.1:{port}; see {work}/error.log")
                time.sleep(0.05)
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    big, small = st["repos"][BIG_REPO], st["repos"][SMALL_REPO]
    bf = big["files"][0]
    sha = bf["lfs"]["oid"]
    status, h, shown_big = curl_head(f"{hub}/{BIG_REPO}/resolve/main/{BIG_FILE}", ["-I"])
    expect("LFS resolve status", status, 302)
    expect("LFS X-Linked-Etag", h.get("x-linked-etag"), f'"{sha}"')
    expect("LFS X-Linked-Size", h.get("x-linked-size"), str(bf["size"]))
    expect("LFS X-Repo-Commit", h.get("x-repo-commit"), big["commit"])
    location = h.get("location", "")
    expect(
        "LFS Location is absolute, on the CDN port",
        location.startswith(f"http://127.0.0.1:{st['cdn_port']}/"),
        True,
    )
    status, h, _ = curl_head(location, ["-I"])
    expect("CDN status", status, 200)
    expect("CDN Content-Length", h.get("content-length"), str(bf["size"]))
    expect("CDN Accept-Ranges", h.get("accept-ranges"), "bytes")
    status, h, _ = curl_head(location, ["-r", "0-15"])
    expect("CDN ranged GET", (status, h.get("content-range")), (206, f"bytes 0-15/{bf['size']}"))

    sf = max(small["files"], key=lambda f: f["path"].count("/"))
    for rev in ("main", small["commit"]):
        url = f"{hub}/{SMALL_REPO}/resolve/{rev}/{sf['path']}"
        status, h, shown_small = curl_head(url, ["-I"])
        expect(f"regular resolve @{rev[:7]} status", status, 200)
        expect("regular ETag", h.get("etag"), f'"{sf["oid"]}"')
        expect("regular X-Repo-Commit", h.get("x-repo-commit"), small["commit"])
        expect("regular Content-Length", h.get("content-length"), str(sf["size"]))
        expect("regular Accept-Ranges", h.get("accept-ranges"), "bytes")
        status, h, _ = curl_head(url, ["-r", "100-199"])
        expect("regular ranged GET", (status, h.get("content-range")), (206, f"bytes 100-199/{sf['size']}"))
    def get_json(url):
        got = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", url], capture_output=True, text=True)
        body, _, code = got.stdout.rpartition("\n")
        if code != "200":
            problems.append(f"GET {url}: HTTP {code or got.stderr.strip()} (see {work}/error.log)")
            return None
        return json.loads(body)

    for repo_id, repo in st["repos"].items():
        info = get_json(f"{hub}/api/models/{repo_id}/revision/main?blobs=true")
        if info is not None:
            expect(f"{repo_id} info sha", info.get("sha"), repo["commit"])
            expect(f"{repo_id} siblings", len(info.get("siblings", [])), len(repo["files"]))
        listing = get_json(f"{hub}/api/models/{repo_id}/tree/{repo['commit']}?recursive=true&expand=false")
        if listing is not None:
            files = [e for e in listing if e["type"] == "file"]
            expect(f"{repo_id} tree files", len(files), len(repo["files"]))
    print("HEAD of the LFS file's resolve URL:")
    print("  " + shown_big.replace("\n", "\n  "))
    print(f"HEAD of a regular file's resolve URL (at the commit):")
    print("  " + shown_small.replace("\n", "\n  "))
    rates = []
    for s in cdn_servers:
        repo = st["cdn"]["repo"]
        for f in repo["files"]:
            status, h, _ = curl_head(f"http://127.0.0.1:{s['hub_port']}/{CDN_REPO}/resolve/main/{f['path']}", ["-I"])
            expect(f"{s['rate']} MiB/s {f['path']} resolve", (status, h.get("x-linked-size"), h.get("x-repo-commit")), (302, str(f["size"]), repo["commit"]))
            location = h.get("location", "")
            expect(f"{s['rate']} MiB/s Location on its CDN", location.startswith(f"http://127.0.0.1:{s['cdn_port']}/"), True)
        # Half a second's worth at the rate through one connection: the throttle is really on,
        # and at the rate said (a rate-limited CDN that is not would make every figure moot).
        want = s["rate"] * MIB // 2
        got = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-r", f"0-{want - 1}", "-w", "%{http_code} %{size_download} %{time_total}", location],
            capture_output=True,
            text=True,
        ).stdout.split()
        code, size, secs = (got + ["", "0", "0"])[:3]
        expect(f"{s['rate']} MiB/s CDN ranged GET", (code, int(size)), ("206", want))
        speed = int(size) / MIB / max(float(secs), 1e-6)
        rates.append(f"{speed:.1f} MiB/s through the {s['rate']} MiB/s CDN")
        if not 0.8 * s["rate"] <= speed <= 1.25 * s["rate"]:
            problems.append(f"one connection to the {s['rate']} MiB/s CDN got {speed:.1f} MiB/s")
    if problems:
        print("nginx does not answer like the Hub:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(
        "headers ok: 302 + absolute Location + X-Linked-Etag/X-Linked-Size/X-Repo-Commit for LFS; "
        "200 + ETag (git sha1) + X-Repo-Commit + Content-Length + Range/206 for regular files "
        "and on the CDN; API sha/siblings and tree match"
    )
    if rates:
        print(f"CDN-like scenario: 302s to the throttled CDNs ok; one connection got {', '.join(rates)}")


# --- measurements ----------------------------------------------------------------------------


class Tool:
    """`self_timed`: the tool prints "elapsed S" and "rss KIB" itself (the app: from the click
    to the file in the cache, its own process's peak RSS), so start-up is not counted."""

    def __init__(self, name, workload, argv, verified, peer, output, self_timed=False):
        self.name, self.workload, self.argv = name, workload, argv
        self.verified, self.peer, self.output = verified, peer, output
        self.self_timed = self_timed


def tools(st):
    hub = f"http://127.0.0.1:{st['hub_port']}"
    big, small = st["repos"][BIG_REPO], st["repos"][SMALL_REPO]
    big_url = f"{hub}/{BIG_REPO}/resolve/main/{BIG_FILE}"
    small_urls = [(f"{hub}/{SMALL_REPO}/resolve/{small['commit']}/{f['path']}", f["path"]) for f in small["files"]]

    def curl_config(out, name):
        """A curl config listing every URL with its output file (one process, keep-alive)."""
        cfg = out.parent / f"{out.name}.{name}.curlrc"
        cfg.write_text(
            "".join(f'url = "{u}"\noutput = "{out / p}"\n' for u, p in small_urls)
        )
        return str(cfg)

    def wget_list(out):
        lst = out.parent / f"{out.name}.urls"
        lst.write_text("".join(u + "\n" for u, _ in small_urls))
        return str(lst)

    cli = str(CLI)
    sha256 = "sha256, on the fly"
    shas = "sha256 (LFS) / git sha1, on the fly"
    yield Tool("modelshelf-cli", "big", lambda o: [cli, "download", BIG_REPO, BIG_FILE, "--quiet"], sha256, False, "cache")
    if BASELINE_CLI:
        yield Tool("modelshelf-cli (baseline)", "big", lambda o: [BASELINE_CLI, "download", BIG_REPO, BIG_FILE, "--quiet"], sha256, False, "cache")
    yield Tool(
        "modelshelf app (click to cache)",
        "big",
        lambda o: ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", str(PY_NEW), str(APP_HELPER), str(APP), BIG_REPO, BIG_FILE],
        sha256,
        False,
        "cache",
        self_timed=True,
    )
    yield Tool("curl", "big", lambda o: ["curl", "-sS", "--fail", "-L", "-o", str(o / BIG_FILE), big_url], "no", True, "plain")
    yield Tool("wget", "big", lambda o: ["wget", "-q", "-O", str(o / BIG_FILE), big_url], "no", True, "plain")
    for label, py in (("huggingface_hub 2.4.0", PY_NEW), ("huggingface_hub 0.36.0", PY_OLD)):
        yield Tool(label, "big", lambda o, py=py: [str(py), str(HF_HELPER), "file", BIG_REPO, BIG_FILE], "no (size only)", True, "cache")
    yield Tool("modelshelf-cli", "small", lambda o: [cli, "download", SMALL_REPO, "--quiet"], shas, False, "cache")
    if BASELINE_CLI:
        yield Tool("modelshelf-cli (baseline)", "small", lambda o: [BASELINE_CLI, "download", SMALL_REPO, "--quiet"], shas, False, "cache")
    yield Tool("curl, 1 process, sequential", "small", lambda o: ["curl", "-sS", "--fail", "--create-dirs", "-K", curl_config(o, "seq")], "no", True, "plain")
    yield Tool("curl --parallel (8)", "small", lambda o: ["curl", "-sS", "--fail", "--create-dirs", "--parallel", "--parallel-max", "8", "-K", curl_config(o, "par")], "no", True, "plain")
    yield Tool("wget -i, sequential", "small", lambda o: ["wget", "-q", "-x", "-nH", "--cut-dirs=4", "-P", str(o), "-i", wget_list(o)], "no", True, "plain")
    for label, py in (("huggingface_hub 2.4.0", PY_NEW), ("huggingface_hub 0.36.0", PY_OLD)):
        yield Tool(label, "small", lambda o, py=py: [str(py), str(HF_HELPER), "snapshot", SMALL_REPO], "no (size only)", True, "cache")


def parse_time_v(path: Path):
    rss_kb, cpu = 0, 0.0
    for line in path.read_text(errors="replace").splitlines():
        k, _, v = line.strip().rpartition(": ")
        if k == "Maximum resident set size (kbytes)":
            rss_kb = int(v)
        elif k in ("User time (seconds)", "System time (seconds)"):
            cpu += float(v)
    return rss_kb, cpu


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MIB):
            h.update(chunk)
    return h.hexdigest()


def verify(tool, out, stdout, repo, deep):
    """Checks what the tool left (untimed): every file there, with the right size, and the
    right hash (small files always; the 2 GiB file on the first run of each tool)."""
    if tool.output == "cache":
        lines = [l for l in stdout.splitlines() if l.strip()]
        if not lines:
            return "printed no path"
        last = Path(lines[-1].strip())
        base = last.parent if tool.workload == "big" else last
    else:
        base = out
    for f in repo["files"]:
        p = base / f["path"]
        if not p.is_file():
            return f"missing {f['path']} under {base}"
        if p.stat().st_size != f["size"]:
            return f"{f['path']}: {p.stat().st_size} bytes, want {f['size']}"
        if "lfs" in f:
            if deep and sha256_file(p) != f["lfs"]["oid"]:
                return f"{f['path']}: wrong sha256"
        elif git_blob_sha1(p.read_bytes()) != f["oid"]:
            return f"{f['path']}: wrong content"
    return None


def log_lines(work: Path, offset: int):
    log = work / "access.log"
    with open(log, "rb") as f:
        f.seek(offset)
        data = f.read()
    return data.decode(errors="replace").splitlines(), offset + len(data)


def measure(work: Path, runs: int):
    st = load_state(work)
    hub = f"http://127.0.0.1:{st['hub_port']}"
    total = {
        "big": st["repos"][BIG_REPO]["files"][0]["size"],
        "small": sum(f["size"] for f in st["repos"][SMALL_REPO]["files"]),
    }
    repo_of = {"big": st["repos"][BIG_REPO], "small": st["repos"][SMALL_REPO]}
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        HF_ENDPOINT=hub,
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        DO_NOT_TRACK="1",
    )
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    print(f"modelshelf-cli: {CLI} (working tree {rev or 'unknown'})")
    for tool in ("curl", "wget", "nginx"):
        got = subprocess.run([tool, "--version" if tool != "nginx" else "-v"], capture_output=True, text=True)
        print(f"{tool}: {' '.join((got.stdout or got.stderr).split()[:3])}")
    df = subprocess.run(["df", "--output=fstype,source", str(OUT)], capture_output=True, text=True)
    fs = " on ".join(df.stdout.split()[-2:])
    print(
        f"outputs: {OUT} ({fs}), same disk for every tool; nothing is dropped "
        "from the page cache (the data nginx serves is cached after the first read); sync before each run"
    )
    for py in (PY_NEW, PY_OLD):
        got = subprocess.run(
            [str(py), "-c", "import huggingface_hub; print(huggingface_hub.__version__)"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"{py.relative_to(ROOT)}: huggingface_hub {got or 'MISSING'}")

    all_tools = list(tools(st))
    results = {id(t): [] for t in all_tools}
    extras = {id(t): {"rss": [], "cpu": [], "reqs": None, "errors": []} for t in all_tools}
    offset = (work / "access.log").stat().st_size
    say(
        f"measuring: {len(all_tools)} tool/workload pairs x {runs} runs, round-robin; "
        f"outputs in {OUT.relative_to(ROOT)}/ (deleted after each run)"
    )
    for run in range(1, runs + 1):
        for index, t in enumerate(all_tools):
            out = OUT / f"{t.workload}-{index}-run{run}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            run_env = dict(env, HF_HUB_CACHE=str(out / "hub"), HF_HOME=str(out / "home"))
            if t.self_timed:
                # The app's settings, jobs and log stay in this run's folder; no session bus, so
                # a Modelshelf the person has open is not taken for this run's instance.
                runtime = out / "runtime"
                runtime.mkdir(mode=0o700)
                run_env.update(
                    XDG_CONFIG_HOME=str(out / "config"),
                    XDG_DATA_HOME=str(out / "data"),
                    XDG_RUNTIME_DIR=str(runtime),
                    DBUS_SESSION_BUS_ADDRESS="",
                )
            argv = t.argv(out)
            tv = out.parent / f"{out.name}.time"
            os.sync()  # the previous run's dirty pages go to disk now, not during this run
            _, offset = log_lines(work, offset)
            start = time.perf_counter()
            proc = subprocess.run(
                ["/usr/bin/time", "-v", "-o", str(tv), *argv],
                env=run_env,
                cwd=out,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - start
            rss, cpu = parse_time_v(tv)
            if t.self_timed and proc.returncode == 0:
                said = dict(l.split(" ", 1) for l in proc.stdout.splitlines() if l.startswith(("elapsed ", "rss ")))
                elapsed, rss, cpu = float(said.get("elapsed", elapsed)), int(said.get("rss", 0)), None
            time.sleep(0.05)  # nginx logs a request just after its last byte
            lines, offset = log_lines(work, offset)
            ex = extras[id(t)]
            if proc.returncode != 0:
                ex["errors"].append(f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
            else:
                problem = verify(t, out, proc.stdout, repo_of[t.workload], deep=run == 1)
                if problem:
                    ex["errors"].append(problem)
                else:
                    results[id(t)].append(elapsed)
            ex["rss"].append(rss)
            if cpu is not None:
                ex["cpu"].append(cpu)
            statuses = [l.split()[1] for l in lines if len(l.split()) > 2]
            bad = [l for l in lines if l.split()[1][0] in "45"]
            ex["reqs"] = len(statuses)
            if bad:
                ex["errors"].append(f"{len(bad)} requests failed, e.g. {bad[0]}")
            shutil.rmtree(out, ignore_errors=True)
            for leftover in OUT.glob(f"{out.name}.*"):
                leftover.unlink()
            mark = f"{elapsed:7.2f} s" if proc.returncode == 0 else "FAILED"
            print(f"  run {run}: {t.workload:<5} {t.name:<30} {mark}", flush=True)

    # Python's own start-up (interpreter + `import huggingface_hub`), counted in its times.
    startup = {}
    for label, py in (("2.4.0", PY_NEW), ("0.36.0", PY_OLD)):
        best = math.inf
        for _ in range(3):
            s = time.perf_counter()
            subprocess.run([str(py), "-c", "from huggingface_hub import hf_hub_download, snapshot_download"], env=env, check=True)
            best = min(best, time.perf_counter() - s)
        startup[label] = best

    print()
    titles = {"big": "one 2 GiB LFS file (HEAD + 302 to the CDN)", "small": f"{SMALL_COUNT} regular files, {total['small'] / MIB:.1f} MiB (snapshot)"}
    header = f"{'tool':<30} {'best s':>8} {'median s':>9} {'MiB/s':>8} {'vs peer':>8} {'CPU s':>7} {'RSS MiB':>8} {'reqs':>5}  hash verified"
    for workload in ("big", "small"):
        rows = [t for t in all_tools if t.workload == workload]
        peers = [t for t in rows if t.peer and results[id(t)]]
        fastest = min(peers, key=lambda t: min(results[id(t)])) if peers else None
        peer_best = min(results[id(fastest)]) if fastest else None
        print(f"{workload}: {titles[workload]}; fastest peer: {fastest.name if fastest else 'none'}")
        print(header)
        for t in rows:
            times = results[id(t)]
            ex = extras[id(t)]
            rss = max(ex["rss"]) / 1024 if ex["rss"] else 0
            cpu = f"{statistics.median(ex['cpu']):7.2f}" if ex["cpu"] else f"{'-':>7}"
            if times:
                best, med = min(times), statistics.median(times)
                ratio = f"{best / peer_best:.2f}x" if peer_best else "-"
                print(
                    f"{t.name:<30} {best:8.2f} {med:9.2f} {total[workload] / MIB / best:8.0f} {ratio:>8} "
                    f"{cpu} {rss:8.0f} {ex['reqs'] or 0:>5}  {t.verified}"
                )
            else:
                print(f"{t.name:<30} {'failed':>8}")
            for e in dict.fromkeys(ex["errors"]):
                print(f"    ! {e}")
        print()
    ms = next(t for t in all_tools if t.name == "modelshelf-cli" and t.workload == "big")
    app = next(t for t in all_tools if t.self_timed)
    if results[id(app)] and results[id(ms)]:
        cli_best, app_best = min(results[id(ms)]), min(results[id(app)])
        print(
            f"the app's speed for the 2 GiB file: {cli_best / app_best:.2f}x the CLI's (best {app_best:.2f} s vs "
            f"{cli_best:.2f} s; medians {statistics.median(results[id(app)]):.2f} s vs "
            f"{statistics.median(results[id(ms)]):.2f} s); the app's time runs from the click on Download to "
            "the verified file in the cache, the CLI's is the whole process; the app row's RSS is the app's own"
        )
    if extras[id(ms)]["rss"]:
        print(
            f"modelshelf-cli peak RSS for the 2 GiB file: {max(extras[id(ms)]['rss']) / 1024:.1f} MiB "
            f"(max over {runs} runs, /usr/bin/time -v)"
        )
    print(
        f"{runs} runs per row, round-robin; 'vs peer' = best time / fastest peer's best time (below 1 = faster); "
        "times are whole processes (start-up included): "
        + ", ".join(f"Python + import huggingface_hub {k} alone takes {v:.2f} s" for k, v in startup.items())
        + "; MiB/s from the best time; CPU s = user+sys (median); RSS = peak over runs; "
        "reqs = HTTP requests nginx saw in the last run (curl and wget fetch the file URLs only: "
        "no API call, no HEAD)."
    )
    print(
        "Hashes: modelshelf-cli checks every file while writing it (sha256 for LFS, git blob sha1 "
        "for regular files); curl and wget check nothing; huggingface_hub checks sizes only. "
        "All outputs were checked afterwards (untimed) by size and git sha1, the 2 GiB file by "
        "sha256 on each tool's first run."
    )


# --- the CDN-like scenario -------------------------------------------------------------------

# Assumed for the estimate printed before the runs: what loopback, nginx and the page cache
# carry in all on this 2-core machine (aria2c -x16 got about 230 MiB/s at 20 MiB/s per
# connection), and Python's start-up.
CDN_CEILING_MIB_S = 250
PY_STARTUP_S = 1.5


class CdnTool:
    """kind: "ours" (modelshelf-cli), "multi" (a multi-connection peer: the ratios are against
    the best of these) or "single" (one stream: on the 256 MiB file only, since one stream at
    5 MiB/s takes 7 minutes for 2 GiB). conns(size): connections expected, for the estimate."""

    def __init__(self, name, kind, argv, output, conns, env=None, python=False):
        self.name, self.kind, self.argv, self.output = name, kind, argv, output
        self.conns, self.env, self.python = conns, env or {}, python


def cdn_tools(versions):
    cli = str(CLI)
    # The engine's default today: 4 connections for files of 64 MiB or more.
    ours = lambda size: 4 if size >= 64 * MIB else 1
    yield CdnTool("modelshelf-cli", "ours", lambda o, f, url: [cli, "download", CDN_REPO, f, "--quiet"], "cache", ours)
    if BASELINE_CLI:
        yield CdnTool("modelshelf-cli (baseline)", "ours", lambda o, f, url: [BASELINE_CLI, "download", CDN_REPO, f, "--quiet"], "cache", ours)
    # -k1M: aria2's default smallest split is 20 MiB, which would cut 256 MiB 13 ways, not 16.
    # --no-conf: a ~/.aria2/aria2.conf must not change the peer.
    yield CdnTool(
        "aria2c -x16 -s16 -k1M",
        "multi",
        lambda o, f, url: ["aria2c", "--no-conf", "-q", "-x16", "-s16", "-k1M", "-d", str(o), "-o", f, url],
        "plain",
        lambda size: 16,
    )
    # hf_transfer fetches 10 MiB chunks, up to 100 at once, each on its own connection.
    yield CdnTool(
        f"huggingface_hub {versions['old']} + hf_transfer",
        "multi",
        lambda o, f, url: [str(PY_OLD), str(HF_HELPER), "file", CDN_REPO, f],
        "cache",
        lambda size: min(math.ceil(size / (10 * MIB)), 100),
        env={"HF_HUB_ENABLE_HF_TRANSFER": "1"},
        python=True,
    )
    yield CdnTool("curl -L", "single", lambda o, f, url: ["curl", "-sS", "--fail", "-L", "-o", str(o / f), url], "plain", lambda size: 1)
    yield CdnTool(
        f"huggingface_hub {versions['new']}",
        "single",
        lambda o, f, url: [str(PY_NEW), str(HF_HELPER), "file", CDN_REPO, f],
        "cache",
        lambda size: 1,
        python=True,
    )


def cdn_verify(tool, out, stdout, f, deep):
    """Size always; sha256 when deep (the 256 MiB file every run, the 2 GiB file on the first)."""
    if tool.output == "cache":
        lines = [l for l in stdout.splitlines() if l.strip()]
        if not lines:
            return "printed no path"
        p = Path(lines[-1].strip())
    else:
        p = out / f["path"]
    if not p.is_file():
        return f"missing {p}"
    if p.stat().st_size != f["size"]:
        return f"{f['path']}: {p.stat().st_size} bytes, want {f['size']}"
    if deep and sha256_file(p) != f["lfs"]["oid"]:
        return f"{f['path']}: wrong sha256"
    return None


def measure_cdn(work: Path, runs: int):
    st = load_state(work)
    if not st.get("cdn"):
        sys.exit("the nginx config has no CDN-like scenario (prepared with BENCH_CDN=0)")
    servers, repo = st["cdn"]["servers"], st["cdn"]["repo"]
    files = {f["path"]: f for f in repo["files"]}
    mid, big = files[CDN_MID_FILE], files[CDN_BIG_FILE]

    def version(py, module):
        return subprocess.run(
            [str(py), "-c", f"import importlib.metadata as m; print(m.version({module!r}))"],
            capture_output=True,
            text=True,
        ).stdout.strip() or "MISSING"

    versions = {"old": version(PY_OLD, "huggingface_hub"), "new": version(PY_NEW, "huggingface_hub")}
    all_tools = list(cdn_tools(versions))
    aria = subprocess.run(["aria2c", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"modelshelf-cli: {CLI}; {aria or 'aria2c MISSING'}; hf_transfer {version(PY_OLD, 'hf_transfer')} in {PY_OLD.parent.parent.relative_to(ROOT)}")
    for py, v in ((PY_NEW, versions["new"]), (PY_OLD, versions["old"])):
        print(f"{py.relative_to(ROOT)}: huggingface_hub {v}")

    # (rate, file, tool) in the order they run: round-robin, every pair once per run.
    cells = [
        (s, f, t)
        for s in servers
        for f in (mid, big)
        for t in all_tools
        if not (t.kind == "single" and f is big)
    ]
    est = 0.0
    for s, f, t in cells:
        speed = min(s["rate"] * t.conns(f["size"]), CDN_CEILING_MIB_S)
        est += runs * (f["size"] / MIB / speed + (PY_STARTUP_S if t.python else 0.2))
        est += (runs if f is mid else 1) * f["size"] / (1000 * MIB)  # the sha256 check
    say(
        f"CDN-like scenario: {len(cells)} rate/file/tool cells x {runs} runs, round-robin; "
        f"estimated {est / 60:.0f} min (assuming 4 connections for modelshelf-cli and "
        f"at most {CDN_CEILING_MIB_S} MiB/s in all)"
    )

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1", DO_NOT_TRACK="1")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    key = lambda s, f, t: (s["rate"], f["path"], t.name)
    stats = {key(*c): {"times": [], "rss": [], "conns": None, "reqs": None, "errors": []} for c in cells}
    offset = (work / "access.log").stat().st_size
    started = time.perf_counter()
    for run in range(1, runs + 1):
        for index, (s, f, t) in enumerate(cells):
            hub = f"http://127.0.0.1:{s['hub_port']}"
            url = f"{hub}/{CDN_REPO}/resolve/main/{f['path']}"
            out = OUT / f"cdn-{index}-run{run}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            run_env = dict(env, HF_ENDPOINT=hub, HF_HUB_CACHE=str(out / "hub"), HF_HOME=str(out / "home"), **t.env)
            tv = out.parent / f"{out.name}.time"
            os.sync()
            _, offset = log_lines(work, offset)
            begin = time.perf_counter()
            proc = subprocess.run(
                ["/usr/bin/time", "-v", "-o", str(tv), *t.argv(out, f["path"], url)],
                env=run_env,
                cwd=out,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - begin
            rss, _ = parse_time_v(tv)
            time.sleep(0.05)  # nginx logs a request just after its last byte
            lines, offset = log_lines(work, offset)
            cell = stats[key(s, f, t)]
            if proc.returncode != 0:
                cell["errors"].append(f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
            else:
                problem = cdn_verify(t, out, proc.stdout, f, deep=f is mid or run == 1)
                if problem:
                    cell["errors"].append(problem)
                else:
                    cell["times"].append(elapsed)
            cell["rss"].append(rss)
            fields = [l.split() for l in lines]
            on_cdn = [x for x in fields if len(x) >= 6 and x[0] == str(s["cdn_port"])]
            cell["conns"] = len({x[5] for x in on_cdn})
            cell["reqs"] = len(on_cdn)
            bad = [" ".join(x) for x in fields if len(x) > 2 and x[1][0] in "45"]
            if bad:
                cell["errors"].append(f"{len(bad)} requests failed, e.g. {bad[0]}")
            shutil.rmtree(out, ignore_errors=True)
            tv.unlink(missing_ok=True)
            mark = f"{elapsed:7.2f} s" if proc.returncode == 0 else "FAILED"
            size = f"{f['size'] // MIB} MiB"
            print(f"  run {run}: {s['rate']:>2} MiB/s {size:>9} {t.name:<38} {mark}", flush=True)
    took = time.perf_counter() - started

    print()
    header = (
        f"{'tool':<38} {'best s':>8} {'median s':>9} {'MiB/s':>8} {'vs multi':>9} "
        f"{'RSS MiB':>8} {'CDN conns':>9} {'CDN reqs':>8}  verified"
    )
    ratios = {}
    peak_rss = 0
    for s in servers:
        for f in (mid, big):
            rows = [t for t in all_tools if key(s, f, t) in stats]
            multi = [t for t in rows if t.kind == "multi" and stats[key(s, f, t)]["times"]]
            best_multi = min(multi, key=lambda t: min(stats[key(s, f, t)]["times"])) if multi else None
            peer_best = min(stats[key(s, f, best_multi)]["times"]) if best_multi else None
            left_out = "" if f is mid else "; curl and huggingface_hub (one stream each) left out: 7 min a run at 5 MiB/s"
            print(
                f"CDN-like, {s['rate']} MiB/s per connection, {f['size'] // MIB} MiB LFS file (302 to the CDN); "
                f"best multi-connection peer: {best_multi.name if best_multi else 'none'}{left_out}"
            )
            print(header)
            checked = "size, sha256" if f is mid else "size; sha256 run 1"
            for t in rows:
                c = stats[key(s, f, t)]
                rss = max(c["rss"]) / 1024 if c["rss"] else 0
                if t.name == "modelshelf-cli":
                    peak_rss = max(peak_rss, rss)
                if c["times"]:
                    best, med = min(c["times"]), statistics.median(c["times"])
                    ratio = peer_best / best if peer_best else None
                    if t.name == "modelshelf-cli":
                        ratios[(s["rate"], f["size"])] = ratio
                    shown = f"{ratio:.2f}x" if ratio else "-"
                    print(
                        f"{t.name:<38} {best:8.2f} {med:9.2f} {f['size'] / MIB / best:8.1f} {shown:>9} "
                        f"{rss:8.1f} {c['conns'] or 0:>9} {c['reqs'] or 0:>8}  {checked}"
                    )
                else:
                    print(f"{t.name:<38} {'failed':>8}")
                for e in dict.fromkeys(c["errors"]):
                    print(f"    ! {e}")
            print()
    print(
        f"{runs} run(s) per row, round-robin, {took / 60:.1f} min in all; 'vs multi' = the best multi-connection "
        "peer's best time / this row's best time (above 1 = faster than it); MiB/s from the best time; "
        "times are whole processes (Python's start-up included); RSS = peak over runs (/usr/bin/time -v); "
        "CDN conns / reqs = distinct connections / requests nginx saw on the CDN port in the last run "
        "(the Hub's 302s not counted). Outputs checked afterwards (untimed): size, and sha256 as the "
        "verified column says; modelshelf-cli also checks sha256 while downloading, the others do not."
    )
    targets = {20: 1.0, 5: 0.9}
    print("Targets (issue \"Fast on a real CDN\"; same run, default settings):")
    for s in servers:
        want = targets.get(s["rate"])
        got = [(size, ratios.get((s["rate"], size))) for size in (mid["size"], big["size"])]
        shown = ", ".join(f"{r:.2f}x ({size // MIB} MiB)" if r else f"failed ({size // MIB} MiB)" for size, r in got)
        met = want is not None and all(r is not None and r >= want for _, r in got)
        print(
            f"  {s['rate']} MiB/s per connection: modelshelf-cli's speed vs the best multi-connection peer "
            f"{shown}; target >= {want}x: {'met' if met else 'NOT met'}"
        )
    ms = next(t for t in all_tools if t.name == "modelshelf-cli")
    conns = "; ".join(
        f"{s['rate']} MiB/s: "
        + ", ".join(f"{stats[key(s, f, ms)]['conns'] or 0} ({f['size'] // MIB} MiB)" for f in (mid, big))
        for s in servers
    )
    print(
        f"  connections modelshelf-cli opened to the CDN (counted by nginx, last run; the engine does "
        f"not report the number it settled on yet): {conns}"
    )
    print(
        f"  peak RSS of modelshelf-cli in this scenario: {peak_rss:.1f} MiB (target < 64 MiB in every "
        f"scenario): {'met' if 0 < peak_rss < 64 else 'NOT met'} here"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["prepare", "check", "measure", "measure-cdn"])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--runs", type=int, help="runs per measurement (default BENCH_RUNS or 5; measure-cdn: BENCH_CDN_RUNS or 2)")
    a = ap.parse_args()
    if a.command == "prepare":
        prepare(a.work)
    elif a.command == "check":
        check(a.work)
    elif a.command == "measure":
        measure(a.work, max(a.runs or int(os.environ.get("BENCH_RUNS", "5")), 2))
    else:
        measure_cdn(a.work, max(a.runs or int(os.environ.get("BENCH_CDN_RUNS", "2")), 1))


if __name__ == "__main__":
    main()
