"""Translate a ``ContainerSpec`` into the body of podman's ``/libpod/containers/create``.

Pure functions, no I/O: the JSON is podman's "SpecGenerator" (podman 4.x API).
We build it ourselves rather than through podman-py's ``containers.create``
keyword mapping, which cannot express tmpfs mounts or a named network with
``none``/``host`` alongside, and hides what is sent.  ``PodmanManager`` owns the
HTTP call; the unit tests check this mapping field by field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from koji_adjutant.container.spec import (NETWORK_BRIDGE, NETWORK_HOST, NETWORK_NONE,
                                          ContainerSpec, Mount, ResourceLimits,
                                          format_environment)

CPU_PERIOD = 100_000  # microseconds; the quota is cpus * period
DEADLINE_GRACE = 5  # seconds podman waits past the deadline before killing the container
USERNS_SIZE = 65536  # ids per container: 0 to 65535, nobody (65534) included


def mount_entry(mount: Mount) -> dict[str, Any]:
    """One bind mount as podman's spec wants it: never set-id programs or device files."""
    options = ["rbind", "ro" if mount.read_only else "rw", "nosuid", "nodev"]
    if mount.selinux:
        options.append(mount.selinux)
    return {"type": "bind", "source": str(mount.source), "destination": mount.target,
            "options": options}


def resource_limits(limits: ResourceLimits) -> dict[str, Any]:
    """The ``resource_limits`` block (linux cgroup resources); empty keys are left out."""
    block: dict[str, Any] = {}
    if limits.cpus is not None:
        block["cpu"] = {"quota": int(round(limits.cpus * CPU_PERIOD)), "period": CPU_PERIOD}
    if limits.memory is not None:
        # swap equal to memory: the container cannot swap beyond its memory limit
        block["memory"] = {"limit": int(limits.memory), "swap": int(limits.memory)}
    if limits.pids is not None:
        block["pids"] = {"limit": int(limits.pids)}
    return block


def network_fields(network: str) -> dict[str, Any]:
    """``netns`` (and ``networks`` for a named network; ``bridge`` is podman's default one)."""
    if network in (NETWORK_NONE, NETWORK_HOST, NETWORK_BRIDGE):
        return {"netns": {"nsmode": network}}
    return {"netns": {"nsmode": "bridge"}, "networks": {network: {}}}


def create_payload(spec: ContainerSpec, *, name: str, labels: Mapping[str, str],
                   extra_mounts: tuple[Mount, ...] = (),
                   stop_timeout: int = 2) -> dict[str, Any]:
    """The full create body for ``spec``; ``extra_mounts`` are the manager's own mounts."""
    mounts = [mount_entry(m) for m in (*spec.mounts, *extra_mounts)]
    mounts += [{"type": "tmpfs", "source": "tmpfs", "destination": t.target,
                "options": [f"size={t.size}", "rw", "nosuid", "nodev"]}
               for t in spec.limits.tmpfs]
    body: dict[str, Any] = {
        "name": name,
        "image": spec.image,
        "command": list(spec.command),
        "env": dict(spec.environment),
        "labels": dict(labels),
        "init": True,  # an init as PID 1 makes stop and removal immediate
        "terminal": False,
        "stop_timeout": int(stop_timeout),
        "mounts": mounts,
        "resource_limits": resource_limits(spec.limits),
        "cap_drop": list(spec.security.cap_drop),
        "cap_add": list(spec.security.cap_add),
        "no_new_privileges": spec.security.no_new_privileges,
        "read_only_filesystem": spec.security.read_only_root,
        **network_fields(spec.network),
    }
    if spec.security.user_namespace:
        # --userns=auto: podman picks a free range of the "containers" subordinate ids
        body["userns"] = {"nsmode": "auto"}
        body["idmappings"] = {"AutoUserNs": True, "AutoUserNsOpts": {"Size": USERNS_SIZE}}
    optional = {"work_dir": spec.workdir, "user": spec.user, "hostname": spec.hostname}
    body.update({key: value for key, value in optional.items() if value is not None})
    if spec.timeouts.container is not None:
        # podman's own kill comes a little after the manager's deadline, which stops
        # the running command cleanly; podman's is the backstop when the daemon is gone
        body["timeout"] = int(math.ceil(spec.timeouts.container)) + DEADLINE_GRACE
    return body


def exec_payload(argv: list[str], *, user: str | None, workdir: str | None,
                 env: Mapping[str, str] | None) -> dict[str, Any]:
    """The body of ``/containers/{id}/exec``: detached, no stdin, no terminal."""
    body: dict[str, Any] = {"Cmd": argv, "AttachStdin": False, "AttachStdout": False,
                            "AttachStderr": False, "Tty": False}
    if user:
        body["User"] = user
    if workdir:
        body["WorkingDir"] = workdir
    if env:
        body["Env"] = format_environment(env)
    return body
