"""Monitoring of a running daemon: status API, health, Prometheus metrics and a live page.

``open_monitoring(options, tm)`` binds the embedded HTTP server (before the
daemon detaches) and attaches a ``Monitor`` to the task manager.  A port that
cannot be bound is logged as an error and the daemon builds without monitoring:
an unreachable status page must not stop a builder (operators see /healthz fail).
``Monitoring.start()`` starts serving and ``Monitoring.close()`` stops.  Design and JSON schema: docs/adr/0008-monitoring.md.
"""

from __future__ import annotations

import logging
import socket

from koji_adjutant.container.factory import open_manager
from koji_adjutant.monitor.server import ADDRESS_FILE, MonitorEndpoint
from koji_adjutant.monitor.service import Monitor

logger = logging.getLogger("koji.build.monitor")

__all__ = ["ADDRESS_FILE", "Monitor", "Monitoring", "open_monitoring"]


class Monitoring:
    """The monitor and its endpoint, started and stopped together."""

    def __init__(self, monitor: Monitor, endpoint: MonitorEndpoint):
        self.monitor = monitor
        self.endpoint = endpoint

    @property
    def url(self) -> str:
        return self.endpoint.server.url

    def start(self) -> None:
        self.monitor.start()
        self.endpoint.start()

    def close(self) -> None:
        self.endpoint.close()
        self.monitor.stop()


def open_monitoring(options, tm) -> Monitoring | None:
    """Bind the monitoring endpoint for ``tm`` (None when ``monitoring_enabled`` is off)."""
    adj = options.adjutant
    if not adj.monitoring_enabled:
        return None
    containers = open_manager(options, tm.host_name, options.instance_id)
    monitor = Monitor(options, tm.host_name, tm.host_id, containers)
    try:
        # the names a non-loopback bind answers under (monitor.hosts)
        endpoint = MonitorEndpoint(monitor, adj.monitoring_bind, options.workdir,
                                   host_names=(tm.host_name or "", socket.gethostname()))
    except OSError as exc:
        logger.error("monitoring is off: cannot serve on %s: %s (set [adjutant] "
                     "monitoring_bind to a free address, or monitoring_enabled = false)",
                     adj.monitoring_bind, exc.strerror)
        containers.close()
        return None
    tm.monitor = monitor
    if tm.sweeper is not None:
        tm.sweeper = monitor.counted("sweep", tm.sweeper)
    return Monitoring(monitor, endpoint)
