"""Downloads with Python's huggingface_hub, for scripts/bench (whatever version runs it).

  hf_download.py file REPO FILE     hf_hub_download
  hf_download.py snapshot REPO      snapshot_download

HF_ENDPOINT, HF_HUB_CACHE and the rest come from the environment; prints the local path.
"""

import sys

from huggingface_hub import hf_hub_download, snapshot_download

if sys.argv[1] == "file":
    print(hf_hub_download(sys.argv[2], sys.argv[3]))
else:
    print(snapshot_download(sys.argv[2]))
