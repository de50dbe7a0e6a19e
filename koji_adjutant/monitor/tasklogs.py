"""A task's log files, read by the main process: live from disk, then from a kept tail.

A task process writes its logs into ``<workdir>/tasks/<id % 10000>/<id>/logs``
and the koji library deletes that directory when the handler returns.  So the
sampler keeps the last ``TAIL_BYTES`` of each log of every running task in a
``TailCache``; once a task has ended the cache is what is served.  Names are
checked against ``NAME_RE`` (no separators, no ``..``) and only files directly
in the task's own log directory are ever opened.
"""

from __future__ import annotations

import os
import re
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
        entries = list(os.scandir(directory))
    except OSError:
        return {}
    out = {}
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and NAME_RE.fullmatch(entry.name) \
                and not entry.name.endswith(".tmp"):
            try:
                out[entry.name] = entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return dict(sorted(out.items()))


def read_tail(path: Path, limit: int = TAIL_BYTES) -> bytes | None:
    """The last ``limit`` bytes of a regular file, or None if it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(max(0, size - limit))
        return f.read(limit)


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
