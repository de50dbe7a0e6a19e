"""What a container should be: the frozen ``ContainerSpec`` and its parts, and labels.

A spec is pure data, built by a task handler (or the buildroot code) and handed
to a ``ContainerManager``; it holds no handles to podman.  The label helpers
define the keys every container created by koji-adjutant carries, so that a
restarted daemon, a cancelled task or a shutdown can find and remove them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

LABEL_PREFIX = "io.koji.adjutant."
LABEL_TASK_ID = LABEL_PREFIX + "task_id"
LABEL_HOST = LABEL_PREFIX + "host"
LABEL_METHOD = LABEL_PREFIX + "method"
LABEL_BUILDROOT_ID = LABEL_PREFIX + "buildroot_id"
LABEL_INSTANCE = LABEL_PREFIX + "instance_id"

NETWORK_NONE = "none"
NETWORK_HOST = "host"
NETWORK_BRIDGE = "bridge"  # podman's default network

_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")
_NETWORK_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_CAPABILITY = re.compile(r"^(CAP_)?[A-Z_]+$")


def _frozen_map(value: Mapping[str, Any] | None) -> Mapping[str, str]:
    return MappingProxyType({str(k): str(v) for k, v in (value or {}).items()})


def _absolute(path: str, what: str) -> None:
    if not str(path).startswith("/"):
        raise ValueError(f"{what} {path!r} must be an absolute path inside the container")


@dataclass(frozen=True)
class Mount:
    """A bind mount of a host path into the container.

    ``selinux`` is ``None``, ``"z"`` (shared relabel) or ``"Z"`` (private relabel).
    ``hand_over`` gives the whole source tree to the container's root (its host
    ids in the container's user namespace, like podman's ``:U``): for scratch
    directories the container writes, never for a site's shared directories.
    """

    source: Path
    target: str
    read_only: bool = False
    selinux: str | None = None
    hand_over: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", Path(self.source))
        if not self.source.is_absolute():
            raise ValueError(f"mount source {self.source} must be an absolute host path")
        _absolute(self.target, "mount target")
        if self.selinux not in (None, "z", "Z"):
            raise ValueError(f"mount option selinux={self.selinux!r}: use None, 'z' or 'Z'")


@dataclass(frozen=True)
class Tmpfs:
    """A tmpfs mounted at ``target`` with a size limit in bytes."""

    target: str
    size: int

    def __post_init__(self) -> None:
        _absolute(self.target, "tmpfs target")
        if self.size <= 0:
            raise ValueError(f"tmpfs {self.target}: size must be a positive number of bytes")


@dataclass(frozen=True)
class ResourceLimits:
    """cgroup limits of the container; ``None`` leaves podman's default."""

    cpus: float | None = None
    memory: int | None = None
    pids: int | None = None
    tmpfs: tuple[Tmpfs, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tmpfs", tuple(self.tmpfs))
        for name in ("cpus", "memory", "pids"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"resource limit {name}={value!r} must be positive or None")


@dataclass(frozen=True)
class Security:
    """Privilege settings: capabilities, no-new-privileges, a read-only root, user namespace.

    ``user_namespace`` (the default) gives the container a user namespace of its
    own (podman's ``--userns=auto``): its root and every other user in it are
    unprivileged host ids that no other container and no host account has.
    """

    cap_drop: tuple[str, ...] = ()
    cap_add: tuple[str, ...] = ()
    no_new_privileges: bool = True
    read_only_root: bool = False
    user_namespace: bool = True

    def __post_init__(self) -> None:
        for name in ("cap_drop", "cap_add"):
            caps = tuple(cap.upper() for cap in getattr(self, name))
            bad = [cap for cap in caps if cap != "ALL" and not _CAPABILITY.match(cap)]
            if bad:
                raise ValueError(f"{name}: {bad} are not capability names (e.g. NET_RAW)")
            object.__setattr__(self, name, caps)


@dataclass(frozen=True)
class Timeouts:
    """Time limits in seconds.

    ``container`` is the deadline of the whole container from its start (kojid's
    ``rpmbuild_timeout``): podman kills the container then even if the daemon is
    gone, and an exec running at that moment fails with ``ContainerTimeout``.
    ``exec`` is the default per-command timeout when an exec call gives none.
    """

    container: float | None = None
    exec: float | None = None

    def __post_init__(self) -> None:
        for name in ("container", "exec"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"timeout {name}={value!r} must be positive or None")


@dataclass(frozen=True)
class TaskIdentity:
    """Which koji task (and buildroot) a container belongs to: becomes its labels."""

    task_id: int
    method: str
    buildroot_id: int | None = None


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to create one task container.

    ``command`` is PID 1's child (podman runs an init process as PID 1); the
    default keeps the container alive so that commands can be exec'd into it.
    ``network`` is ``"none"``, ``"host"``, ``"bridge"`` (podman's default
    network) or the name of a podman network.
    """

    image: str
    task: TaskIdentity
    command: tuple[str, ...] = ("sleep", "infinity")
    environment: Mapping[str, str] = field(default_factory=dict)
    workdir: str | None = None
    mounts: tuple[Mount, ...] = ()
    user: str | None = None
    network: str = NETWORK_NONE
    limits: ResourceLimits = ResourceLimits()
    security: Security = Security()
    labels: Mapping[str, str] = field(default_factory=dict)
    hostname: str | None = None
    timeouts: Timeouts = Timeouts()

    def __post_init__(self) -> None:
        if not self.image:
            raise ValueError("container spec: image must be a non-empty image reference")
        object.__setattr__(self, "command", tuple(self.command))
        object.__setattr__(self, "mounts", tuple(self.mounts))
        object.__setattr__(self, "environment", _frozen_map(self.environment))
        object.__setattr__(self, "labels", _frozen_map(self.labels))
        if not self.command:
            raise ValueError("container spec: command must not be empty")
        if self.workdir is not None:
            _absolute(self.workdir, "workdir")
        if not _NETWORK_NAME.match(self.network):
            raise ValueError(f"network {self.network!r}: use 'none', 'host', 'bridge' or a "
                             "podman network name")
        if self.network == NETWORK_HOST and self.security.user_namespace:
            raise ValueError("network 'host' needs the host's user namespace (podman cannot "
                             "mount /sys otherwise): use 'bridge', or turn user_namespace off")
        reserved = [key for key in self.labels if key.startswith(LABEL_PREFIX)]
        if reserved:
            raise ValueError(f"labels {reserved} use the reserved prefix {LABEL_PREFIX}")


def build_labels(task: TaskIdentity, *, host: str, instance_id: str,
                 extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The labels of a container: ``extra`` first, then the reserved identity labels."""
    labels = {str(k): str(v) for k, v in (extra or {}).items()}
    labels.update({
        LABEL_TASK_ID: str(task.task_id),
        LABEL_HOST: host,
        LABEL_METHOD: task.method,
        LABEL_INSTANCE: instance_id,
    })
    if task.buildroot_id is not None:
        labels[LABEL_BUILDROOT_ID] = str(task.buildroot_id)
    return labels


def label_filters(labels: Mapping[str, str]) -> list[str]:
    """``key=value`` strings as podman's ``label`` list filter wants them (all must match)."""
    return [f"{key}={value}" for key, value in sorted(labels.items())]


def name_prefix(host: str) -> str:
    """The start of the names of all containers of ``host``: ``kojiadj-<host>-``."""
    safe_host = _NAME_UNSAFE.sub("_", host).strip("_.-") or "host"
    return f"kojiadj-{safe_host}-"


def container_name(host: str, task: TaskIdentity, token: str) -> str:
    """A readable, unique container name: ``kojiadj-<host>-<task>-<token>``."""
    return f"{name_prefix(host)}{task.task_id}-{token}"


def format_environment(env: Mapping[str, str] | Sequence[str] | None) -> list[str]:
    """``KEY=value`` strings from a mapping (or a list already in that form)."""
    if env is None:
        return []
    if isinstance(env, Mapping):
        return [f"{key}={value}" for key, value in env.items()]
    bad = [item for item in env if "=" not in item]
    if bad:
        raise ValueError(f"environment entries {bad} must have the form KEY=value")
    return list(env)
