"""The container manager factory: a ``PodmanManager`` configured from the options.

Every process that talks to podman opens its manager here: the daemon's main
process (sweeps and the runtime check, ``daemon/containers.py``), each task
process after the fork (``open_task_manager``), the monitor, and local runs.
The caller owns the manager it gets and closes it.

It takes the options values (``DaemonOptions`` of the configuration layer) and
the names the labels need, never a daemon or task object, so that every layer
above the container layer can call it.
"""

import os
from urllib.parse import urlsplit

from koji_adjutant.config.options import DaemonOptions
from koji_adjutant.container.journal import JournalingManager, journal_path
from koji_adjutant.container.manager import ContainerManager
from koji_adjutant.container.podman import PodmanManager


def state_dir(options: DaemonOptions) -> str:
    """Where exec control files of this daemon's containers live (under workdir)."""
    return os.path.join(options.workdir, "containers")


def host_label(options: DaemonOptions, host_name: str) -> str:
    """The value of the host label: the hub host's name and the hub it belongs to.

    Two daemons on one machine that serve different hubs (say staging and
    production) under the same host name must not sweep each other's containers.
    """
    return f"{host_name}@{urlsplit(options.server).netloc}"


def open_manager(options: DaemonOptions, host_name: str, instance_id: str) -> PodmanManager:
    """A ``PodmanManager`` configured from the ``[adjutant]`` section."""
    adj = options.adjutant
    return PodmanManager(adj.podman_url, host_label=host_label(options, host_name),
                         instance_id=instance_id,
                         pull_policy=adj.pull_policy, pull_timeout=adj.pull_timeout,
                         start_timeout=adj.start_timeout, stop_timeout=adj.stop_timeout,
                         extra_labels=dict(adj.labels), state_dir=state_dir(options),
                         api_timeout=adj.podman_api_timeout, identity=adj.podman_identity)


def open_task_manager(options: DaemonOptions, host_name: str,
                      task_id: int) -> ContainerManager:
    """The container manager of a task process: its calls are journalled for the
    main process's metrics when monitoring is on (see container/journal.py)."""
    manager = open_manager(options, host_name, options.instance_id)
    if not options.adjutant.monitoring_enabled:
        return manager
    return JournalingManager(manager, journal_path(options.workdir, task_id))
