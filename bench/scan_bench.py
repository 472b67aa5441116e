"""Scanning a big cache: Modelshelf (`modelshelf-cli ls`) against Python's
`huggingface_hub.scan_cache_dir()` on the same generated tree of 1,000 repos x 20 files.

Usage: python bench/scan_bench.py <modelshelf-cli binary> [repos] [files]"""

import hashlib
import os
import subprocess
import sys
import tempfile
import time

from huggingface_hub import scan_cache_dir


def generate(root, repos, files):
    for r in range(repos):
        repo = os.path.join(root, f"models--org{r % 37}--model-{r}")
        commit = hashlib.sha1(f"commit-{r}".encode()).hexdigest()
        os.makedirs(os.path.join(repo, "blobs"))
        os.makedirs(os.path.join(repo, "refs"))
        with open(os.path.join(repo, "refs", "main"), "w") as f:
            f.write(commit)
        snapshot = os.path.join(repo, "snapshots", commit)
        for i in range(files):
            content = f"repo {r} file {i}\n".encode() * (1 + i)
            etag = hashlib.sha1(content).hexdigest()
            with open(os.path.join(repo, "blobs", etag), "wb") as f:
                f.write(content)
            sub = "" if i % 4 else "sub/"
            os.makedirs(os.path.join(snapshot, sub), exist_ok=True)
            depth = "../" * (2 + sub.count("/"))
            os.symlink(f"{depth}blobs/{etag}", os.path.join(snapshot, f"{sub}file-{i}.bin"))


def best(fn, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), sorted(times)[len(times) // 2]


def main():
    cli = sys.argv[1]
    repos = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    files = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as root:
        generate(root, repos, files)
        env = dict(os.environ, HF_HUB_CACHE=root, HF_HOME=os.path.join(root, ".home"))
        info = scan_cache_dir(root)
        assert len(info.repos) == repos and not info.warnings, info.warnings
        out = subprocess.run([cli, "ls"], env=env, capture_output=True, text=True, check=True).stdout
        assert out.strip().splitlines()[-1].startswith(f"{repos} repositories"), out[-200:]
        py_best, py_median = best(lambda: scan_cache_dir(root))
        ms_best, ms_median = best(lambda: subprocess.run([cli, "ls"], env=env, capture_output=True, check=True))
        print(f"scan of {repos} repos x {files} files ({repos * files} files):")
        print(f"  huggingface_hub scan_cache_dir  best {py_best * 1000:8.1f} ms  median {py_median * 1000:8.1f} ms")
        print(f"  modelshelf-cli ls (whole process) best {ms_best * 1000:8.1f} ms  median {ms_median * 1000:8.1f} ms")
        print(f"  ratio: modelshelf is {py_best / ms_best:.1f}x faster (best vs best)")


if __name__ == "__main__":
    main()
