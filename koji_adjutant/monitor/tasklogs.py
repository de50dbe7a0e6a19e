"""A task's log files, read by the main process: live from disk, then from a kept tail.

A task process writes its logs into ``<workdir>/tasks/<id % 10000>/<id>/logs``
and the koji library deletes that directory when the handler returns.  So the
sampler keeps the last ``TAIL_BYTES`` of each log of every running task in a
``TailCache``; once a task has ended the cache is what is served.  Names are
checked against ``NAME_RE`` (no separators, no ``..``) and only regular files
directly in the task's own log directory are ever opened: no symlink (to the
file or to the directory) is followed and a FIFO or device is never read.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections import deque
from pathlib import Path

import requests

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}")
TAIL_BYTES = 64 * 1024
MAX_LOGS_PER_TASK = 16
# finished tasks whose log tails are kept (at most 1 MiB each)
LOG_TASKS_KEPT = 20
MAX_TAIL_LINES = 10_000
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class BadLogName(ValueError):
    """A log name that is not a plain file name."""


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name) or ".." in name:
        raise BadLogName(f"{name!r} is not a log file name (letters, digits, '._+-', "
                         "no path)")
    return name


def log_dir(workdir: str, task_id: int) -> Path:
    """Where task ``task_id`` writes its logs (see ``BuildrootTaskHandler``)."""
    return Path(workdir) / "tasks" / str(task_id % 10000) / str(task_id) / "logs"


def list_logs(directory: Path) -> dict[str, int]:
    """Name -> size of the log files in ``directory`` (empty if it is gone)."""
    try:
        dir_fd = _open_dir(directory)
    except OSError:
        return {}
    try:
        entries = list(os.scandir(dir_fd))
        out = {}
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and NAME_RE.fullmatch(entry.name) \
                    and not entry.name.endswith(".tmp"):
                try:
                    out[entry.name] = entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
    finally:
        os.close(dir_fd)
    return dict(sorted(out.items()))


def read_tail(path: Path, limit: int = TAIL_BYTES) -> bytes | None:
    """The last ``limit`` bytes of a regular file, or None if it is none or cannot be read.

    Neither the file nor its directory is reached through a symlink, and the file
    is opened without blocking and checked with ``fstat`` before it is read: a
    FIFO planted among the logs would otherwise wait for a writer forever.
    """
    try:
        dir_fd = _open_dir(path.parent)
    except OSError:
        return None
    try:
        fd = os.open(path.name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        f.seek(max(0, info.st_size - limit))
        return f.read(limit)


def _open_dir(directory: Path) -> int:
    """A descriptor of ``directory`` itself, never of what a symlink there points to."""
    return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def fetch_tail(url: str, limit: int = TAIL_BYTES, timeout: float = 10.0) -> bytes | None:
    """The last ``limit`` bytes of a file served over HTTP (a log the task uploaded)."""
    try:
        with requests.get(url, headers={"Range": f"bytes=-{limit}"}, stream=True,
                          timeout=timeout) as answer:
            if answer.status_code not in (200, 206):
                return None
            chunks: deque[bytes] = deque()
            kept = 0
            for chunk in answer.iter_content(65536):
                chunks.append(chunk)
                kept += len(chunk)
                while kept - len(chunks[0]) >= limit:
                    kept -= len(chunks.popleft())
            return b"".join(chunks)[-limit:]
    except requests.RequestException:
        return None


def last_lines(data: bytes, lines: int | None) -> str:
    """The text of ``data``, only its last ``lines`` lines if given."""
    text = data.decode("utf-8", errors="replace")
    if lines is None:
        return text
    parts = text.splitlines(keepends=True)
    return "".join(parts[-lines:]) if lines else ""


class TailCache:
    """The kept tails of the logs of tasks, by task id (bounded per file and per task)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tails: dict[int, dict[str, bytes]] = {}

    def capture(self, task_id: int, directory: Path) -> dict[str, int]:
        """Copy the tails of the task's logs from disk; returns the listing read."""
        listing = list_logs(directory)
        tails = {}
        for name in list(listing)[:MAX_LOGS_PER_TASK]:
            data = read_tail(directory / name)
            if data is not None:
                tails[name] = data
        if tails:
            with self._lock:
                self._tails.setdefault(task_id, {}).update(tails)
        return listing

    def names(self, task_id: int) -> dict[str, int]:
        with self._lock:
            return {name: len(data) for name, data in
                    sorted(self._tails.get(task_id, {}).items())}

    def get(self, task_id: int, name: str) -> bytes | None:
        with self._lock:
            return self._tails.get(task_id, {}).get(name)

    def replace(self, task_id: int, name: str, data: bytes) -> None:
        with self._lock:
            if task_id in self._tails:
                self._tails[task_id][name] = data

    def keep_only(self, task_ids: set[int]) -> None:
        """Forget tasks no longer in the task table."""
        with self._lock:
            for task_id in set(self._tails) - task_ids:
                del self._tails[task_id]


_DETAIL_PATTERNS = {
    "buildroot_id": re.compile(r"^# Koji buildroot id: (\d+)$", re.MULTILINE),
    "tag": re.compile(r"^# Koji tag: (\S+)$", re.MULTILINE),
    "image": re.compile(r"^image: (\S+)", re.MULTILINE),
    "container": re.compile(r"^container: (\S+)$", re.MULTILINE),
    "image_digest": re.compile(r"^image digest: (\S+)$", re.MULTILINE),
}


def buildroot_details(mock_config: bytes) -> dict[str, object]:
    """Container, image, digest, buildroot id and tag named in a ``mock_config.log``."""
    text = mock_config.decode("utf-8", errors="replace")
    out: dict[str, object] = {}
    for key, pattern in _DETAIL_PATTERNS.items():
        match = pattern.search(text)
        if match:
            out[key] = int(match.group(1)) if key == "buildroot_id" else match.group(1)
    return out
