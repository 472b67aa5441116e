"""Run Python's huggingface_hub against the fake Hub and check that everything it downloads is
exactly what the fake Hub serves. Reads the expectations as JSON on stdin, prints a JSON report.

Environment: HF_ENDPOINT points at the fake Hub, HF_HUB_CACHE at an empty temp folder."""

import hashlib
import json
import os
import sys

from huggingface_hub import HfApi, hf_hub_download, scan_cache_dir, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, GatedRepoError, RepositoryNotFoundError


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def expect_error(kind, fn):
    try:
        fn()
    except kind:
        return
    raise AssertionError(f"expected {kind.__name__}")


def main():
    spec = json.load(sys.stdin)
    repo, files, commit = spec["repo"], spec["files"], spec["commit"]
    api = HfApi()
    report = {}

    info = api.model_info(repo, files_metadata=True)
    assert info.sha == commit, (info.sha, commit)
    sizes = {s.rfilename: s.size for s in info.siblings}
    assert sizes == {p: f["size"] for p, f in files.items()}, sizes
    for s in info.siblings:
        if files[s.rfilename]["lfs"]:
            assert s.lfs.sha256 == files[s.rfilename]["sha256"], s

    report["search"] = [m.id for m in api.list_models(search="tiny", sort="downloads", limit=10)]
    report["tree"] = sorted(e.path for e in api.list_repo_tree(repo, recursive=True))

    for path, f in files.items():
        local = hf_hub_download(repo, path)
        assert sha256_of(local) == f["sha256"], path
    tagged = hf_hub_download(repo, "config.json", revision="v1.0")
    assert f"/snapshots/{commit}/" in tagged, tagged

    snapshot = snapshot_download(repo, revision="refs/pr/1")
    for path, f in files.items():
        assert sha256_of(os.path.join(snapshot, path)) == f["sha256"], path

    expect_error(EntryNotFoundError, lambda: hf_hub_download(repo, "no-such-file.bin"))
    expect_error(RepositoryNotFoundError, lambda: hf_hub_download("acme/no-such-repo", "config.json"))
    expect_error(GatedRepoError, lambda: hf_hub_download(spec["gated_repo"], "config.json", token=False))
    gated = hf_hub_download(spec["gated_repo"], "weights.bin", token=spec["granted_token"])
    assert os.path.getsize(gated) == 4096

    cache = scan_cache_dir()
    report["warnings"] = [str(w) for w in cache.warnings]
    report["cached_repos"] = sorted(r.repo_id for r in cache.repos)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
