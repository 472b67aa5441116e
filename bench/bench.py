#!/usr/bin/env python3
"""The engine of `scripts/bench` (standard library only).

  prepare --work DIR   generate the data (cached in target/bench-data/), pick two free ports,
                       write DIR/nginx.conf: nginx imitates the Hub (API JSON, resolve routes
                       with the Hub's headers, a 302 to a second server playing the CDN)
  check --work DIR     wait for nginx, then check with `curl -I` that it answers like the Hub
  measure --work DIR   download the same data with modelshelf-cli, curl, wget and Python's
                       huggingface_hub (2.x from .venv, 0.x from target/bench-venv-0x), each
                       run into a fresh folder under target/bench-out/; print the table

Data: one 2 GiB LFS file (random bytes from /dev/urandom, made once) and a repository of 200
regular files of 4 KiB to 1 MiB (deterministic pseudo-random bytes).
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
    path = DATA / "big" / BIG_FILE
    if meta_path.exists() and path.exists():
        meta = json.loads(meta_path.read_text())
        st = path.stat()
        if (meta.get("version"), meta.get("size"), meta.get("mtime_ns")) == (
            DATA_VERSION,
            st.st_size,
            st.st_mtime_ns,
        ):
            return meta
    say(f"generating the {BIG_SIZE // MIB} MiB LFS file (once; cached in {path.parent})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    sha = hashlib.sha256()
    left = BIG_SIZE
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


def load_data():
    DATA.mkdir(parents=True, exist_ok=True)
    big = make_big(DATA / "big.json")
    small = make_small()
    big_entry = {
        "path": BIG_FILE,
        "size": big["size"],
        "oid": git_blob_sha1(lfs_pointer(big["sha256"], big["size"])),
        "lfs": {
            "oid": big["sha256"],
            "size": big["size"],
            "pointerSize": len(lfs_pointer(big["sha256"], big["size"])),
        },
        "local": str(DATA / "big" / BIG_FILE),
    }
    for f in small:
        f["local"] = str(DATA / "small" / f["path"])
    return {
        BIG_REPO: {"commit": commit_of(BIG_REPO, [big_entry]), "files": [big_entry]},
        SMALL_REPO: {"commit": commit_of(SMALL_REPO, small), "files": small},
    }


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


def nginx_conf(work: Path, repos, hub_port, cdn_port):
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
    temp = "\n".join(
        f"  {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    hub_routes, cdn_routes = "\n".join(hub), "\n".join(cdn)
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
  log_format bench '$server_port $status $request_method $request_uri $body_bytes_sent';
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
    location / {{
      default_type "application/json; charset=utf-8";
      return 404 '{{"error":"Sorry, we can\\'t find the page you are looking for."}}';
    }}
  }}
  server {{
    listen 127.0.0.1:{cdn_port};
{cdn_routes}
  }}
}}
"""


def prepare(work: Path):
    repos = load_data()
    hub_port, cdn_port = free_port(), free_port()
    while cdn_port == hub_port:
        cdn_port = free_port()
    (work / "nginx.conf").write_text(nginx_conf(work, repos, hub_port, cdn_port))
    (work / "bench.json").write_text(
        json.dumps({"hub_port": hub_port, "cdn_port": cdn_port, "repos": repos})
    )
    print(
        f"nginx config: {work / 'nginx.conf'} (Hub http://127.0.0.1:{hub_port}, "
        f"CDN http://127.0.0.1:{cdn_port})"
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
    for port in (st["hub_port"], st["cdn_port"]):
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
    if problems:
        print("nginx does not answer like the Hub:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(
        "headers ok: 302 + absolute Location + X-Linked-Etag/X-Linked-Size/X-Repo-Commit for LFS; "
        "200 + ETag (git sha1) + X-Repo-Commit + Content-Length + Range/206 for regular files "
        "and on the CDN; API sha/siblings and tree match"
    )


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["prepare", "check", "measure"])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    a = ap.parse_args()
    if a.command == "prepare":
        prepare(a.work)
    elif a.command == "check":
        check(a.work)
    else:
        measure(a.work, max(a.runs, 2))


if __name__ == "__main__":
    main()
