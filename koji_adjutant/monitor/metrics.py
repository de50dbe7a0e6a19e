"""The daemon's Prometheus metrics, kept with ``prometheus_client`` in a private registry.

All metrics are counted in the main process (task processes are forked and
their memory dies with them): tasks when taken and when reaped, buildroot
set-up time from the ``state.log`` a task wrote, hub errors (each failed try),
and the container operations the main process performs (listing, sweeping).
``render`` serves a snapshot at most ``RENDER_TTL`` old to every request.
"""

from __future__ import annotations

import re
import threading
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

PREFIX = "koji_adjutant"
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, float("inf"))
SETUP_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, float("inf"))
# /metrics serves a snapshot at most this old: scrapers (every 15 s or more) see every
# change, and a burst of requests does not redo the exposition each time
RENDER_TTL = 1.0
_SETUP_RE = re.compile(r"Finish: init buildroot \S+ \((\d+(?:\.\d+)?) s\)")


class Metrics:
    """Counters, gauges and histograms of one daemon (see docs/adr/0008-monitoring.md)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.tasks_started = Counter(f"{PREFIX}_tasks_started", "Tasks taken, by method",
                                     ["method"], registry=r)
        self.tasks_finished = Counter(f"{PREFIX}_tasks_finished",
                                      "Tasks ended, by method and outcome (closed, failed, "
                                      "canceled, free, unknown)", ["method", "outcome"],
                                      registry=r)
        self.task_duration = Histogram(f"{PREFIX}_task_duration_seconds",
                                       "Wall time of ended tasks, by method", ["method"],
                                       buckets=DURATION_BUCKETS, registry=r)
        self.buildroot_setup = Histogram(f"{PREFIX}_buildroot_setup_seconds",
                                         "Time to set up a buildroot container",
                                         buckets=SETUP_BUCKETS, registry=r)
        self.tasks_running = Gauge(f"{PREFIX}_tasks_running", "Task processes running now",
                                   registry=r)
        self.hub_errors = Counter(f"{PREFIX}_hub_errors", "Failed hub calls of the main "
                                  "process (each try of koji's retries), by kind (connection, "
                                  "fault)", ["kind"], registry=r)
        self.hub_reachable = Gauge(f"{PREFIX}_hub_reachable", "0 from the first failed try of "
                                   "a hub call until the hub answers again", registry=r)
        self.container_ops = Counter(f"{PREFIX}_container_operations",
                                     "Container operations of the daemon and its task processes, "
                                     "by operation",
                                     ["operation"], registry=r)
        self.container_failures = Counter(f"{PREFIX}_container_failures",
                                          "Failed container operations, by operation",
                                          ["operation"], registry=r)
        self.up = Gauge(f"{PREFIX}_up", "1 while the daemon runs", registry=r)
        self.ready = Gauge(f"{PREFIX}_ready", "1 when the daemon last told the hub it is ready",
                           registry=r)
        self.up.set(1)
        self.hub_reachable.set(1)
        self._render_lock = threading.Lock()
        self._snapshot: tuple[float, bytes] | None = None

    def task_ended(self, method: str, outcome: str, seconds: float) -> None:
        self.tasks_finished.labels(method, outcome).inc()
        self.task_duration.labels(method).observe(max(0.0, seconds))

    def observe_setup(self, state_log: bytes | None) -> None:
        """Record the buildroot set-up times a task's ``state.log`` reports."""
        if not state_log:
            return
        for match in _SETUP_RE.finditer(state_log.decode("utf-8", errors="replace")):
            self.buildroot_setup.observe(float(match.group(1)))

    def render(self) -> bytes:
        """The exposition text: a snapshot made at most once per ``RENDER_TTL`` seconds."""
        with self._render_lock:
            now = self._clock()
            if self._snapshot is None or now - self._snapshot[0] >= RENDER_TTL:
                self._snapshot = (now, generate_latest(self.registry))
            return self._snapshot[1]
