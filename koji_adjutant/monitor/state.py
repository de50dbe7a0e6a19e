"""What the monitoring server knows: the main process's view of the daemon and its tasks.

``MonitorState`` is written by the daemon's main thread (the loop checking in
with the hub, the task manager taking and reaping tasks) and by the sampler
thread (details a task process wrote into its work directory); the HTTP
threads only read it.  One lock guards everything; readers get plain copies.
Finished tasks are kept in a bounded table (``RECENT_TASKS``) because their
work directories are gone once their process has exited.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

RECENT_TASKS = 50


@dataclass
class TaskRecord:
    """One task this daemon ran or runs (times are seconds since the epoch)."""

    id: int
    method: str
    arch: str | None = None
    tag: str | None = None
    state: str = "OPEN"
    started: float = field(default_factory=time.time)
    finished: float | None = None
    pid: int | None = None
    container: str | None = None
    buildroot_id: int | None = None
    image: str | None = None
    image_digest: str | None = None
    result: Any = None
    failure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("pid")
        end = self.finished if self.finished is not None else time.time()
        out["duration"] = round(end - self.started, 3)
        return out


@dataclass(frozen=True)
class CheckIn:
    """What the loop last reported to the hub (``updateHost``)."""

    at: float
    ready: bool
    reason: str | None
    task_load: float
    capacity: float | None
    maxjobs: int


@dataclass(frozen=True)
class HubError:
    at: float
    message: str


class MonitorState:
    """The daemon's state as the monitoring server reports it (thread-safe)."""

    def __init__(self, host_name: str | None, host_id: int | None, version: str):
        self.host_name = host_name
        self.host_id = host_id
        self.version = version
        self.started_at = time.time()
        self._lock = threading.Lock()
        self._checkin: CheckIn | None = None
        self._hub_error: HubError | None = None
        self._loop_alive = time.monotonic()
        self._running: dict[int, TaskRecord] = {}
        self._recent: OrderedDict[int, TaskRecord] = OrderedDict()

    # -- written by the main thread -------------------------------------------

    def checked_in(self, checkin: CheckIn) -> None:
        with self._lock:
            self._checkin = checkin
            self._hub_error = None
            self._loop_alive = time.monotonic()

    def hub_failed(self, message: str) -> None:
        with self._lock:
            self._hub_error = HubError(time.time(), message)
            self._loop_alive = time.monotonic()

    def hub_answered(self) -> None:
        with self._lock:
            self._hub_error = None
            self._loop_alive = time.monotonic()

    def loop_alive(self) -> None:
        with self._lock:
            self._loop_alive = time.monotonic()

    def task_started(self, record: TaskRecord) -> None:
        with self._lock:
            self._running[record.id] = record

    def task_finished(self, task_id: int, state: str, result: Any = None,
                      failure: str | None = None) -> TaskRecord | None:
        """Move a task to the recent table; returns a copy of its record."""
        with self._lock:
            record = self._running.pop(task_id, None)
            if record is None:
                return None
            record.state, record.result, record.failure = state, result, failure
            record.finished = time.time()
            self._recent[task_id] = record
            while len(self._recent) > RECENT_TASKS:
                self._recent.popitem(last=False)
            return dataclasses.replace(record)

    def set_details(self, task_id: int, **details: Any) -> None:
        """Fill in container, buildroot and image of a running task."""
        with self._lock:
            record = self._running.get(task_id)
            if record is not None:
                for key, value in details.items():
                    setattr(record, key, value)

    # -- read by the HTTP threads ---------------------------------------------

    def running_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._running)

    def known_ids(self, recent: int = RECENT_TASKS) -> set[int]:
        """Running tasks and the ``recent`` newest finished ones."""
        with self._lock:
            return set(self._running) | set(list(self._recent)[-recent:] if recent else [])

    def tasks(self) -> list[dict[str, Any]]:
        """Running tasks first (oldest first), then finished ones (newest first)."""
        with self._lock:
            running = [r.as_dict() for r in sorted(self._running.values(), key=lambda r: r.id)]
            recent = [r.as_dict() for r in reversed(self._recent.values())]
        return running + recent

    def task(self, task_id: int) -> dict[str, Any] | None:
        with self._lock:
            record = self._running.get(task_id) or self._recent.get(task_id)
            return record.as_dict() if record else None

    def checkin(self) -> CheckIn | None:
        with self._lock:
            return self._checkin

    def hub_error(self) -> HubError | None:
        with self._lock:
            return self._hub_error

    def health(self, stale_after: float) -> tuple[bool, str]:
        """Liveness: the loop runs and its last hub check-in worked, recently."""
        now, mono = time.time(), time.monotonic()
        with self._lock:
            checkin, error, alive = self._checkin, self._hub_error, self._loop_alive
        if mono - alive > stale_after:
            return False, f"the main loop has not run for {mono - alive:.0f} s"
        if error is not None:
            return False, f"the hub did not answer: {error.message}"
        if checkin is None:
            return False, "no check-in with the hub yet"
        if now - checkin.at > stale_after:
            return False, f"last check-in with the hub {now - checkin.at:.0f} s ago"
        return True, "ok"
