"""The one seam between the daemon and a container runtime: the ``ContainerManager`` protocol.

Task handlers, buildroots, createrepo and local builds only ever see this
protocol and the small value types below; ``PodmanManager`` (podman.py) is the
implementation over the podman API socket, and another backend (a remote
podman, Kubernetes) can implement the same protocol.  A manager owns the
containers it creates until they are removed; ``sweep`` reclaims the ones a
killed process left behind, found by their labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from koji_adjutant.container.idmap import IdMap
from koji_adjutant.container.spec import ContainerSpec

# Output of an exec, line by line: a callable receiving each decoded line (without
# its newline), or a binary file receiving the raw bytes of each line.  A sink with a
# ``tick()`` method also gets that called at every poll while the command runs.
LogSink = Callable[[str], object] | BinaryIO

PULL_POLICIES = ("always", "if-not-present", "never")


@dataclass(frozen=True)
class ContainerRef:
    """A container created by a manager: its id and name (both accepted by podman)."""

    id: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ContainerInfo:
    """One row of ``list_containers``: identity, labels and state (e.g. ``running``)."""

    id: str
    name: str
    state: str
    labels: Mapping[str, str]

    @property
    def ref(self) -> ContainerRef:
        """The reference to pass to ``remove`` and the other calls of a manager."""
        return ContainerRef(self.id, self.name, self.labels)


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one command run in a container."""

    container: str
    argv: tuple[str, ...]
    exit_code: int
    duration: float
    lines: int

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.exit_code == 0


@runtime_checkable
class ContainerManager(Protocol):
    """Create, run commands in, copy to and from, and remove task containers."""

    def ping(self) -> None:
        """Check that the runtime answers; raise ``RuntimeUnavailable`` if not."""

    def ensure_image(self, image: str, policy: str | None = None) -> str:
        """Make ``image`` available locally following ``policy``; return its id."""

    def create(self, spec: ContainerSpec) -> ContainerRef:
        """Create (not start) a container for ``spec``, labelled with its task identity."""

    def start(self, container: ContainerRef) -> None:
        """Start a created container; its whole-container deadline starts now."""

    def exec(self, container: ContainerRef, argv: Sequence[str], *,
             user: str | None = None, workdir: str | None = None,
             env: Mapping[str, str] | None = None, timeout: float | None = None,
             log: LogSink | None = None, check: bool = False) -> ExecResult:
        """Run ``argv`` once in the running container, streaming its output to ``log``.

        stdout and stderr are merged.  Raises ``ContainerTimeout`` when the
        command outlives ``timeout`` (or the container's deadline) and was
        stopped, and ``ExecFailed`` when ``check`` is true and the exit status
        is not 0, or when the command could not be run to completion.
        """

    def copy_to(self, container: ContainerRef, source: Path, target: str, *,
                mode: int | None = None) -> None:
        """Copy a host file or directory tree to path ``target`` in the container.

        Missing parent directories are created.  Permission bits are kept
        (``mode`` replaces them on ``target`` itself); inside the container the
        copies belong to the container's user (root unless the spec says
        otherwise): chown them with an exec where another owner is needed.
        """

    def copy_from(self, container: ContainerRef, source: str, target: Path) -> Path:
        """Copy a file or directory tree at ``source`` in the container to host path ``target``."""

    def inspect(self, container: ContainerRef) -> Mapping[str, Any]:
        """The runtime's own description of the container (for diagnostics and tests)."""

    def id_map(self, container: ContainerRef) -> IdMap:
        """How the ids of the container's users map to host ids (its user namespace)."""

    def stop(self, container: ContainerRef) -> None:
        """Stop the container's processes, leaving the container to inspect or remove."""

    def disconnect_network(self, container: ContainerRef, network: str) -> None:
        """Disconnect the running container from ``network`` (e.g. after installs)."""

    def remove(self, container: ContainerRef) -> None:
        """Kill and remove the container at once, and whatever the manager kept for it
        on the host; removing a missing one is not an error."""

    def list_containers(self, labels: Mapping[str, str] | None = None) -> list[ContainerInfo]:
        """Containers of this host carrying all of ``labels``."""

    def close(self) -> None:
        """Release the connection to the runtime (containers are left alone)."""

    def sweep(self, task_id: int | None = None) -> list[str]:
        """Remove every container of this host (or only task ``task_id``'s); return their names."""
