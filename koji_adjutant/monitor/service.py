"""The monitor of one daemon: its state, metrics and log tails, fed by the main process.

``Monitor`` is what the daemon talks to.  The main thread calls the hooks
(``task_taken``, ``task_reaped``, ``checked_in``, ``loop_failed``, and the hub
session's ``hub_unreachable`` / ``hub_answered`` at each failed try); a sampler
thread copies what running task processes write into their work directories
(log tails, the container and image named in ``mock_config.log``); the HTTP
server (``monitor.server``) reads all of it through ``monitor.documents``.
Nothing here calls the hub from another thread than the main one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import koji
import koji.tasks
import requests

from koji_adjutant import __version__
from koji_adjutant.container import ContainerManager
from koji_adjutant.monitor.metrics import Metrics
from koji_adjutant.container.journal import counting, journal_path, read_new
from koji_adjutant.hub import Hub
from koji_adjutant.hub.outage import hub_unreachable
from koji_adjutant.monitor.probes import PodmanProbe
from koji_adjutant.monitor.state import CheckIn, MonitorState, TaskRecord
from koji_adjutant.monitor.tasklogs import (
    LOG_TASKS_KEPT,
    TailCache,
    buildroot_details,
    fetch_tail,
    log_dir,
)

logger = logging.getLogger("koji.build.monitor")

SAMPLE_INTERVAL = 1.0
# Names of the tag argument of task methods, in koji.tasks.parse_task_params terms.
_TAG_PARAMS = ("root", "build_tag", "tag", "target")


class Monitor:
    """State, metrics and log tails of one daemon process (see the module docstring)."""

    def __init__(self, options, host_name: str | None, host_id: int | None,
                 containers: ContainerManager | None = None):
        self.options = options
        self.workdir = options.workdir
        self.state = MonitorState(host_name, host_id, __version__)
        self.metrics = Metrics()
        self.tails = TailCache()
        self.podman = PodmanProbe(options.adjutant.podman_url, on_call=self.count_op)
        self.containers = containers
        # "checked in recently": several loop turns, and never less than two minutes
        self.stale_after = max(120.0, 10.0 * float(options.sleeptime))
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None
        self._ended: queue.SimpleQueue[int] = queue.SimpleQueue()
        # journal read offsets, shared by the main thread and the sampler thread
        self._ops_lock = threading.Lock()
        self._ops_offsets: dict[int, int] = {}

    # -- hooks of the main thread ---------------------------------------------

    def task_taken(self, task_id: int, task: dict, pid: int | None) -> None:
        """A task was opened (and forked, if ``pid``)."""
        method = task.get("method") or "unknown"
        params = _params(method, task.get("request"))
        tag = next((params[k] for k in _TAG_PARAMS if isinstance(params.get(k), str)), None)
        arch = params.get("arch") if isinstance(params.get("arch"), str) else task.get("arch")
        self.state.task_started(TaskRecord(task_id, method, arch=arch, tag=tag, pid=pid))
        self.metrics.tasks_started.labels(method).inc()
        self.metrics.tasks_running.set(len(self.state.running_ids()))

    def task_reaped(self, task_id: int, session) -> None:
        """A task process ended: ask the hub once for its outcome and keep it."""
        self.sample_task(task_id)
        self.count_task_ops(task_id, final=True)
        state, result, failure = _outcome(session, task_id)
        record = self.state.task_finished(task_id, state, result, failure)
        self.tails.keep_only(self.state.known_ids(LOG_TASKS_KEPT))
        self.metrics.tasks_running.set(len(self.state.running_ids()))
        if record is None:
            return
        self.metrics.task_ended(record.method, state.lower(),
                                (record.finished or time.time()) - record.started)
        self.metrics.observe_setup(self.tails.get(task_id, "state.log"))
        self._ended.put(task_id)

    def checked_in(self, tm) -> None:
        """The loop reported to the hub (``updateHost``) without an error."""
        capacity = (tm.hostdata or {}).get("capacity")
        self.state.checked_in(CheckIn(time.time(), bool(tm.ready),
                                      None if tm.ready else (tm.status or None),
                                      float(tm.task_load or 0.0),
                                      None if capacity is None else float(capacity),
                                      int(self.options.maxjobs)))
        self.metrics.ready.set(1 if tm.ready else 0)

    def hub_unreachable(self, reason: str) -> None:
        """A hub call's try failed (the session says so at once, between koji's retries)."""
        self.metrics.hub_errors.labels("connection").inc()
        self.metrics.hub_reachable.set(0)
        self.metrics.ready.set(0)
        self.state.hub_failed(reason)

    def hub_answered(self) -> None:
        """The hub answers again after an outage."""
        self.metrics.hub_reachable.set(1)
        self.state.hub_answered()

    def loop_failed(self, exc: BaseException) -> None:
        """An iteration of the loop raised ``exc``.

        A connection error means the hub is unreachable (unhealthy until the next
        check-in works); a fault means the hub answered, so it is only counted.
        An outage the session already reported (``hub_unreachable``) is not counted twice.
        """
        if hub_unreachable(exc):
            self.state.loop_alive()
            return
        if isinstance(exc, (requests.RequestException, OSError)):
            self.metrics.hub_errors.labels("connection").inc()
            self.metrics.ready.set(0)
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            self.state.hub_failed(f"{type(exc).__name__}: {first_line}")
            return
        if isinstance(exc, (koji.GenericError, koji.xmlrpcplus.Fault)):
            self.metrics.hub_errors.labels("fault").inc()
        self.state.loop_alive()

    def count_op(self, operation: str, ok: bool) -> None:
        self.metrics.container_ops.labels(operation).inc()
        if not ok:
            self.metrics.container_failures.labels(operation).inc()

    def counted(self, operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call`` wrapped so that its calls and failures are counted as ``operation``."""
        return counting(operation, call, self.count_op)

    def count_task_ops(self, task_id: int, final: bool = False) -> None:
        """Add the container operations a task process journalled since the last look."""
        path = journal_path(self.options.workdir, task_id)
        with self._ops_lock:
            calls, failures, offset = read_new(path, self._ops_offsets.get(task_id, 0), final)
            if final:
                self._ops_offsets.pop(task_id, None)
            else:
                self._ops_offsets[task_id] = offset
        for operation, n in calls.items():
            self.metrics.container_ops.labels(operation).inc(n)
        for operation, n in failures.items():
            self.metrics.container_failures.labels(operation).inc(n)

    # -- the sampler thread ---------------------------------------------------

    def sample_task(self, task_id: int) -> None:
        """Copy the task's log tails and buildroot details from its work directory."""
        self.tails.capture(task_id, log_dir(self.workdir, task_id))
        config = self.tails.get(task_id, "mock_config.log")
        if config:
            self.state.set_details(task_id, **buildroot_details(config))

    def final_logs(self, task_id: int) -> None:
        """Replace the kept tails of an ended task by the end of the logs it uploaded.

        The last lines a task wrote may have come after the last sample; the hub
        has the complete files (under ``topurl``), so the end is read from there.
        """
        if not getattr(self.options, "topurl", None):
            return
        base = f"{self.options.topurl.rstrip('/')}/work/tasks/{task_id % 10000}/{task_id}"
        for name in self.tails.names(task_id):
            data = fetch_tail(f"{base}/{name}")
            if data is not None:
                self.tails.replace(task_id, name, data)

    def _sample_forever(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.podman.refresh()
            while not self._ended.empty():
                self.final_logs(self._ended.get())
            for task_id in self.state.running_ids():
                try:
                    self.sample_task(task_id)
                    self.count_task_ops(task_id)
                except OSError as exc:  # a directory removed while reading it
                    logger.debug("sampling task %s: %s", task_id, exc)

    def start(self) -> None:
        self._sampler = threading.Thread(target=self._sample_forever, name="monitor-sampler",
                                         daemon=True)
        self._sampler.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(timeout=5)
        self.podman.close()


def _params(method: str, request: Any) -> dict:
    if not isinstance(request, (list, tuple)):
        return {}
    try:
        return koji.tasks.parse_task_params(method, list(request))
    except (koji.ParameterError, TypeError, ValueError, KeyError):
        return {}


def _outcome(session, task_id: int) -> tuple[str, Any, str | None]:
    """State, result and failure message of an ended task, as the hub has them."""
    hub = Hub(session)
    try:
        info = hub.task_info(task_id)
        state = koji.TASK_STATES[info["state"]] if info else "UNKNOWN"
        if state != "CLOSED":
            if state == "FAILED":
                hub.task_result(task_id)
            return state, None, None
        return state, hub.task_result(task_id), None
    except koji.GenericError as exc:
        return "FAILED", None, str(exc).strip().splitlines()[-1][:2000]
    except (requests.RequestException, OSError) as exc:
        return "UNKNOWN", None, f"the hub did not answer: {exc}"
