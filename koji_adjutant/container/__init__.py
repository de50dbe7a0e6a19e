"""The container layer: the only way the daemon touches containers.

Use ``ContainerSpec`` (and its parts) to describe a task container, a
``ContainerManager`` (``PodmanManager`` for a local podman service) to run it,
and ``task_container`` to get one that is always removed again.  Errors derive
from ``ContainerError``.
"""

from koji_adjutant.container.errors import (
    ContainerCreateError,
    ContainerError,
    ContainerTimeout,
    DiskFull,
    ExecFailed,
    ImageError,
    RuntimeUnavailable,
)
from koji_adjutant.container.manager import (
    PULL_POLICIES,
    ContainerInfo,
    ContainerManager,
    ContainerRef,
    ExecResult,
    LogSink,
)
from koji_adjutant.container.podman import PodmanManager
from koji_adjutant.container.scope import task_container
from koji_adjutant.container.spec import (
    LABEL_BUILDROOT_ID,
    LABEL_HOST,
    LABEL_INSTANCE,
    LABEL_METHOD,
    LABEL_PREFIX,
    LABEL_TASK_ID,
    NETWORK_BRIDGE,
    NETWORK_HOST,
    NETWORK_NONE,
    ContainerSpec,
    Mount,
    ResourceLimits,
    Security,
    TaskIdentity,
    Timeouts,
    Tmpfs,
)

__all__ = [
    "LABEL_BUILDROOT_ID", "LABEL_HOST", "LABEL_INSTANCE", "LABEL_METHOD", "LABEL_PREFIX",
    "LABEL_TASK_ID", "NETWORK_BRIDGE", "NETWORK_HOST", "NETWORK_NONE", "PULL_POLICIES",
    "ContainerCreateError", "ContainerError", "ContainerInfo", "ContainerManager",
    "ContainerRef", "ContainerSpec", "ContainerTimeout", "DiskFull", "ExecFailed", "ExecResult",
    "ImageError", "LogSink", "Mount", "PodmanManager", "ResourceLimits", "RuntimeUnavailable",
    "Security", "TaskIdentity", "Timeouts", "Tmpfs", "task_container",
]
