"""Python's huggingface_hub on a cache that Modelshelf wrote, or that Modelshelf will read.
Reads the arguments as JSON on stdin, prints a JSON report on stdout.

Sub-commands (the "command" key of the JSON):

  offline   For every revision and file: hf_hub_download(..., local_files_only=True), and
            snapshot_download(..., local_files_only=True) per revision; run it with
            HF_HUB_OFFLINE=1, so any attempt to reach the network raises.
  download  The same downloads online (HF_ENDPOINT = the fake Hub): hf_hub_download per file
            and revision, then snapshot_download per revision.
  snapshot  snapshot_download per revision (to fill a cache for Modelshelf to reuse).
  scan      Only the scan.

Every report has "scan": what scan_cache_dir() sees. Arguments: {"command", "repo",
"revisions": [...], "files": [...]}. Environment: HF_HUB_CACHE points at the cache under test."""

import hashlib
import json
import sys

from huggingface_hub import constants, hf_hub_download, scan_cache_dir, snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def scan():
    info = scan_cache_dir()
    return {
        "warnings": [str(w) for w in info.warnings],
        "size_on_disk": info.size_on_disk,
        "incomplete_files": sorted(str(f.file_path) for f in info.incomplete_files),
        "repos": sorted(
            (
                {
                    "repo_id": repo.repo_id,
                    "repo_type": repo.repo_type,
                    "size_on_disk": repo.size_on_disk,
                    "nb_files": repo.nb_files,
                    "revisions": sorted(
                        (
                            {
                                "commit": rev.commit_hash,
                                "refs": sorted(rev.refs),
                                "nb_files": rev.nb_files,
                                "size_on_disk": rev.size_on_disk,
                                "files": sorted(
                                    f.file_path.relative_to(rev.snapshot_path).as_posix()
                                    for f in rev.files
                                ),
                            }
                            for rev in repo.revisions
                        ),
                        key=lambda r: r["commit"],
                    ),
                }
                for repo in info.repos
            ),
            key=lambda r: r["repo_id"],
        ),
    }


def fetch_files(repo, revisions, files, local_files_only):
    """{revision: {path: {"local": path returned, "sha256": of what it points to}}}."""
    found = {}
    for revision in revisions:
        found[revision] = {}
        for path in files:
            local = hf_hub_download(
                repo, path, revision=revision, local_files_only=local_files_only
            )
            found[revision][path] = {"local": local, "sha256": sha256_of(local)}
    return found


def snapshots(repo, revisions, local_files_only):
    return {
        revision: snapshot_download(repo, revision=revision, local_files_only=local_files_only)
        for revision in revisions
    }


def main():
    args = json.load(sys.stdin)
    command, repo = args["command"], args.get("repo")
    revisions, files = args.get("revisions", []), args.get("files", [])
    report = {"offline": constants.HF_HUB_OFFLINE}
    if command == "offline":
        assert constants.HF_HUB_OFFLINE, "run with HF_HUB_OFFLINE=1"
        report["files"] = fetch_files(repo, revisions, files, local_files_only=True)
        report["snapshots"] = snapshots(repo, revisions, local_files_only=True)
        # Offline really means offline: a file that is not cached is not found.
        try:
            hf_hub_download(repo, "not-in-the-cache.bin", local_files_only=True)
            report["missing_file_found"] = True
        except LocalEntryNotFoundError:
            report["missing_file_found"] = False
    elif command == "download":
        report["files"] = fetch_files(repo, revisions, files, local_files_only=False)
        report["snapshots"] = snapshots(repo, revisions, local_files_only=False)
    elif command == "snapshot":
        report["snapshots"] = snapshots(repo, revisions, local_files_only=False)
    elif command != "scan":
        raise SystemExit(f"unknown command {command!r}")
    report["scan"] = scan()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
