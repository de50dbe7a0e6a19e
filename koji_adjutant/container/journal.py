"""Container operations of task processes, counted for the main process's metrics.

Task processes are forked and have their own container manager; the metrics
live in the main process.  A task process therefore wraps its manager in
``JournalingManager``, which appends one line ``<operation> ok|fail`` per call
to ``<workdir>/monitor-ops/<task id>.ops``; the main process reads the new
lines while the task runs and once more when it is reaped, then deletes the
file (``read_new``).  Writing is best-effort: a full disk never fails a build.
"""

import logging
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger("koji.build")

COUNTED = ("ensure_image", "create", "start", "exec", "copy_to", "copy_from", "inspect",
           "stop", "remove", "disconnect_network", "list_containers", "sweep")


def journal_path(workdir: str, task_id: int) -> Path:
    return Path(workdir) / "monitor-ops" / f"{task_id}.ops"


class JournalingManager:
    """A ``ContainerManager`` that records each counted call in a journal file."""

    def __init__(self, manager, path: Path):
        self._manager = manager
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)

    def _record(self, operation: str, ok: bool) -> None:
        try:
            with open(self._path, "a") as journal:
                journal.write(f"{operation} {'ok' if ok else 'fail'}\n")
        except OSError as exc:
            logger.debug("container operation journal %s: %s", self._path, exc)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._manager, name)
        return counting(name, attr, self._record) if name in COUNTED else attr


def counting(operation: str, call: Callable[..., Any],
             record: Callable[[str, bool], None]) -> Callable[..., Any]:
    """``call`` wrapped so that each call reports ``(operation, succeeded)`` to ``record``."""
    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            value = call(*args, **kwargs)
        except BaseException:
            record(operation, False)
            raise
        record(operation, True)
        return value
    return counted


def read_new(path: Path, offset: int, final: bool = False) -> tuple[Counter, Counter, int]:
    """Operations and failures journalled after ``offset``; the new offset.

    Only complete lines count; with ``final`` the file is removed afterwards.
    """
    calls: Counter = Counter()
    failures: Counter = Counter()
    try:
        with open(path, "rb") as journal:
            journal.seek(offset)
            data = journal.read()
    except FileNotFoundError:
        return calls, failures, offset
    complete = data[:data.rfind(b"\n") + 1]
    for line in complete.decode("utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2:
            calls[parts[0]] += 1
            if parts[1] == "fail":
                failures[parts[0]] += 1
    if final:
        try:
            os.unlink(path)
        except OSError:
            pass
    return calls, failures, offset + len(complete)
