"""Run this checkout's code as a user who is not root (``nobody``), for real.

The venv's interpreter lives under /root, which other users may not enter; the
machine's python3 (the same CPython 3.11 the venv was made from on these machines)
runs the module with this checkout and the venv's packages on its path.  The process
keeps CAP_DAC_READ_SEARCH, so that it can read the checkout wherever it lies; writing
(the podman socket included) stays refused.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NOBODY_UID = 65534


def venv_site_packages() -> str:
    return next(p for p in sys.path if p.endswith("site-packages") and "venv" in p)


def run_as_nobody(module: str, *args: str, env: dict | None = None,
                  timeout: float = 120) -> subprocess.CompletedProcess:
    """``python3 -m MODULE ARGS`` as nobody:nogroup; the finished process."""
    python = "/usr/bin/python3"
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == str(sys.version_info[:2]), f"{python} is {version}, the venv is not"
    return subprocess.run(
        # CAP_DAC_READ_SEARCH only: nobody may read the checkout and the venv wherever they
        # are (CI clones into a directory of mode 0700), but still not write to the socket
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", python, "-m",
         module, *args],
        cwd="/tmp", capture_output=True, text=True, timeout=timeout, check=False,
        env=dict(os.environ, HOME="/nonexistent",
                 PYTHONPATH=f"{REPO_ROOT}:{venv_site_packages()}", **(env or {})))
