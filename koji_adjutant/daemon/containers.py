"""The daemon's connection to its container runtime.

The main process uses the runtime for two things: removing containers of tasks
that ended (cancelled, killed, finished) and of earlier daemon runs, and asking
before it takes a task whether the runtime answers at all. Task processes open
their own connection after the fork.
"""

import os
from urllib.parse import urlsplit

from koji_adjutant.container import LABEL_TASK_ID, ContainerManager, ContainerRef, PodmanManager
from koji_adjutant.container.errors import ContainerError, RuntimeUnavailable
from koji_adjutant.daemon.startup import StartupError
from koji_adjutant.errors import EX_UNAVAILABLE
from koji_adjutant.container.journal import JournalingManager, journal_path


def state_dir(options) -> str:
    """Where exec control files of this daemon's containers live (under workdir)."""
    return os.path.join(options.workdir, "containers")


def host_label(options, host_name: str) -> str:
    """The value of the host label: the hub host's name and the hub it belongs to.

    Two daemons on one machine that serve different hubs (say staging and
    production) under the same host name must not sweep each other's containers.
    """
    return f"{host_name}@{urlsplit(options.server).netloc}"


def open_task_manager(options, host_name: str, task_id: int):
    """The container manager of a task process: its calls are journalled for the
    main process's metrics when monitoring is on (see container/journal.py)."""
    manager = open_manager(options, host_name, options.instance_id)
    if not options.adjutant.monitoring_enabled:
        return manager
    return JournalingManager(manager, journal_path(options.workdir, task_id))


def open_manager(options, host_name: str, instance_id: str) -> PodmanManager:
    """A ``PodmanManager`` configured from the ``[adjutant]`` section."""
    adj = options.adjutant
    return PodmanManager(adj.podman_url, host_label=host_label(options, host_name),
                         instance_id=instance_id,
                         pull_policy=adj.pull_policy, pull_timeout=adj.pull_timeout,
                         start_timeout=adj.start_timeout, stop_timeout=adj.stop_timeout,
                         extra_labels=dict(adj.labels), state_dir=state_dir(options),
                         api_timeout=adj.podman_api_timeout, identity=adj.podman_identity)


class Runtime:
    """The main process's handle on the runtime: ping once, sweep by task."""

    def __init__(self, manager: ContainerManager):
        self.manager = manager

    def sweep_task(self, task_id: int | None) -> int:
        """Remove one task's containers (or all of this host's); how many."""
        return len(self.manager.sweep(task_id))

    def problem(self) -> str | None:
        """Why the runtime cannot run containers now (it does not answer), or None."""
        try:
            self.manager.ping()
        except ContainerError as exc:
            return str(exc)
        return None

    def sweep_unheld(self, held: set[int]) -> int:
        """Remove this host's containers of tasks not in ``held``; how many."""
        removed = 0
        keep = {str(task_id) for task_id in held}
        for info in self.manager.list_containers():
            if info.labels.get(LABEL_TASK_ID) not in keep:
                self.manager.remove(ContainerRef(info.id, info.name, info.labels))
                removed += 1
        return removed


def connect(options, host_name: str, instance_id: str) -> Runtime:
    """Open and check the runtime; a dead podman socket is a one-line start-up error."""
    manager = open_manager(options, host_name, instance_id)
    try:
        manager.ping()
    except RuntimeUnavailable as exc:
        raise StartupError(f"{exc} (start it with 'systemctl start podman.socket' or set "
                           f"[adjutant] podman_url)", EX_UNAVAILABLE) from exc
    except ContainerError as exc:
        raise StartupError(str(exc), EX_UNAVAILABLE) from exc
    return Runtime(manager)
