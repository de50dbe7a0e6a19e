"""The daemon's connection to its container runtime.

The main process uses the runtime for two things: removing containers of tasks
that ended (cancelled, killed, finished) and of earlier daemon runs, and asking
before it takes a task whether the runtime answers at all. Task processes open
their own connection after the fork (``container/factory.py`` opens them all).
"""

from koji_adjutant.config.options import DaemonOptions
from koji_adjutant.container import LABEL_TASK_ID, ContainerManager, ContainerRef
from koji_adjutant.container.errors import ContainerError
from koji_adjutant.container.factory import open_manager
from koji_adjutant.daemon.startup import StartupError
from koji_adjutant.errors import EX_UNAVAILABLE


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


def connect(options: DaemonOptions, host_name: str, instance_id: str) -> Runtime:
    """Open and check the runtime; a dead podman socket is a one-line start-up error."""
    manager = open_manager(options, host_name, instance_id)
    try:
        manager.ping()
    except ContainerError as exc:  # its message says what to do (start it, or permissions)
        raise StartupError(str(exc), EX_UNAVAILABLE) from exc
    return Runtime(manager)
