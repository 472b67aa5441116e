"""Print huggingface_hub.scan_cache_dir() of HF_HUB_CACHE as JSON, for comparison with
Modelshelf's scanner. With "download" JSON on stdin ({"snapshots": [[repo_id, repo_type,
revision], ...]}), first downloads those snapshots from HF_ENDPOINT."""

import json
import os
import sys

from huggingface_hub import scan_cache_dir, snapshot_download


def main():
    spec = json.load(sys.stdin)
    for repo_id, repo_type, revision in spec.get("snapshots", []):
        snapshot_download(repo_id, repo_type=repo_type, revision=revision)
    info = scan_cache_dir()
    repos = []
    for repo in info.repos:
        revisions = []
        for rev in repo.revisions:
            files = sorted(
                [os.path.relpath(f.file_path, rev.snapshot_path).replace(os.sep, "/"), f.size_on_disk]
                for f in rev.files
            )
            revisions.append(
                {"commit": rev.commit_hash, "refs": sorted(rev.refs), "size": rev.size_on_disk, "files": files,
                 "last_modified": rev.last_modified}
            )
        repos.append(
            {"repo_id": repo.repo_id, "repo_type": repo.repo_type, "size": repo.size_on_disk,
             "nb_files": repo.nb_files, "last_accessed": repo.last_accessed,
             "last_modified": repo.last_modified,
             "revisions": sorted(revisions, key=lambda r: r["commit"])}
        )
    repos.sort(key=lambda r: (r["repo_type"], r["repo_id"]))
    warnings = [str(w) for w in info.warnings]
    print(json.dumps({"repos": repos, "size": info.size_on_disk, "warnings": warnings}))


if __name__ == "__main__":
    main()
