"""``TrackedContainer``: the one record a manager keeps about each container it created.

Everything per container lives here, and nowhere in parallel: its reference
(id and name), its control directory on the host (``<state_dir>/<name>``,
bind-mounted at ``CONTROL_TARGET`` to carry exec output and exit status), its
user-id map, the exec defaults of its spec, its whole-container deadline and the
host paths it writes to.  ``PodmanManager`` owns the records: it makes one in
``create``, starts its clock in ``start`` and drops it in ``remove``.  A
container the manager did not create (another process made it) gets a stand-in
record with the same control directory path and an identity id map.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.container.idmap import IdMap
from koji_adjutant.container.manager import ContainerRef


def control_dir(state_dir: Path, container_name: str) -> Path:
    """The host directory of a container's exec control files: named after the container."""
    return state_dir / container_name


@dataclass
class TrackedContainer:
    """One container of this manager and what its execs need to know about it."""

    ref: ContainerRef
    control: Path
    ids: IdMap
    user: str | None = None
    exec_default: float | None = None
    container_timeout: float | None = None
    deadline: float | None = None
    writable: tuple[Path, ...] = ()

    @classmethod
    def stand_in(cls, ref: ContainerRef, state_dir: Path) -> TrackedContainer:
        """The record of a container this manager did not create."""
        control = control_dir(state_dir, ref.name)
        return cls(ref, control, IdMap.identity(), writable=(control,))

    @property
    def root(self) -> tuple[int, int]:
        """The host uid and gid of the container's root (owner of the control files)."""
        return self.ids.host_uid(0), self.ids.host_gid(0)

    def start_clock(self) -> None:
        """The container was started: its whole-container deadline counts from now."""
        if self.container_timeout is not None:
            self.deadline = time.monotonic() + self.container_timeout

    def exec_limit(self, timeout: float | None) -> tuple[float | None, str]:
        """Seconds an exec may run and which limit that is (``exec`` or ``container``)."""
        own = timeout if timeout is not None else self.exec_default
        if self.deadline is None:
            return own, "exec"
        left = max(0.0, self.deadline - time.monotonic())
        return (left, "container") if own is None or left < own else (own, "exec")

    def past_deadline(self) -> bool:
        """True once the container's deadline (if it has one) has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline
