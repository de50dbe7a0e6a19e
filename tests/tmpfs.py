"""A small tmpfs mounted for one test: how the tests fill a disk for real (needs root)."""

import contextlib
import subprocess
from pathlib import Path


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str):
    """Mount a tmpfs of ``size`` (e.g. ``"4m"``) at ``path``; unmount it afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)
