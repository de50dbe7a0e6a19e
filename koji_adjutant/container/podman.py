"""``PodmanManager``: the ``ContainerManager`` over a local podman API socket.

Owns, for every container it creates: the container itself (labelled with the
task identity, this host and this daemon instance), its control directory
under ``state_dir`` (bind-mounted at ``/run/koji-adjutant`` to carry exec
output and exit status, see execution.py) and its whole-container deadline.
``remove`` releases all three; ``sweep`` does the same for containers found by
label, e.g. those of a task process that was killed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from koji_adjutant.container import archive
from koji_adjutant.container.errors import (
    ContainerCreateError,
    ContainerError,
    ContainerTimeout,
    DiskFull,
    ExecFailed,
    RuntimeUnavailable,
)
from koji_adjutant.container.execution import (
    CONTROL_TARGET,
    ExecFiles,
    ExecOutcome,
    LineStreamer,
    MalformedStatus,
    wait_for_exit,
)
from koji_adjutant.container.idmap import IdMap, chown_tree
from koji_adjutant.container.images import ImagePuller
from koji_adjutant.container.manager import ContainerInfo, ContainerRef, ExecResult, LogSink
from koji_adjutant.container.payload import create_payload, exec_payload
from koji_adjutant.container.podman_api import ApiFailure, PodmanApi
from koji_adjutant.container.proctree import HostProcess, stop_tree
from koji_adjutant.container.spec import (
    LABEL_HOST,
    LABEL_TASK_ID,
    ContainerSpec,
    Mount,
    build_labels,
    container_name,
    label_filters,
    name_prefix,
)

DEFAULT_SOCKET = "unix:///run/podman/podman.sock"
DEFAULT_STATE_DIR = Path("/var/lib/koji-adjutant/containers")
PID_WAIT = 5.0
REMOVE_ATTEMPTS = 4
# A filesystem with less free space than this (for unprivileged writers) counts as full.
FULL_BELOW = 1024 * 1024


def full_filesystems(paths: Sequence[Path]) -> list[tuple[Path, int]]:
    """Those of ``paths`` whose filesystem is full, with the bytes still free."""
    full = []
    for path in paths:
        try:
            stat = os.statvfs(path)
        except OSError:
            continue
        free = stat.f_bavail * stat.f_frsize
        if free < FULL_BELOW:
            full.append((path, free))
    return full


@dataclass
class _Tracked:
    """What the manager keeps about one container it created."""

    ids: IdMap
    user: str | None = None
    exec_default: float | None = None
    container_timeout: float | None = None
    deadline: float | None = None
    writable: tuple[Path, ...] = ()


class PodmanManager:
    """Task containers on the podman service at ``base_url`` (see ``ContainerManager``)."""

    def __init__(self, base_url: str = DEFAULT_SOCKET, *, host_label: str, instance_id: str,
                 pull_policy: str = "if-not-present", pull_timeout: float = 600,
                 start_timeout: float = 60, stop_timeout: float = 2,
                 extra_labels: Mapping[str, str] | None = None,
                 state_dir: Path | str = DEFAULT_STATE_DIR, api_timeout: float = 60,
                 identity: str | None = None):
        if not host_label or not instance_id:
            raise ValueError("PodmanManager needs a host_label and an instance_id")
        self.host_label = host_label
        self.instance_id = instance_id
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_labels = dict(extra_labels or {})
        self.state_dir = Path(state_dir)
        self._api = PodmanApi(base_url, timeout=api_timeout, identity=identity)
        self._images = ImagePuller(self._api, pull_policy, pull_timeout)
        self._tracked: dict[str, _Tracked] = {}

    def close(self) -> None:
        """Release the connection pool (containers are left alone)."""
        self._api.close()

    # -- runtime and images -------------------------------------------------

    def ping(self) -> None:
        """Raise ``RuntimeUnavailable`` unless the podman service answers."""
        try:
            self._api.request("GET", "/_ping", timeout=10)
        except ApiFailure as exc:
            raise RuntimeUnavailable(f"the podman API service at {self._api.base_url} "
                                     f"answers with an error: {exc}",
                                     hint="check the podman service's log") from exc

    def ensure_image(self, image: str, policy: str | None = None) -> str:
        """Make ``image`` available following ``policy`` (default: the manager's); its id."""
        return self._images.ensure(image, policy)

    # -- lifecycle -----------------------------------------------------------

    def create(self, spec: ContainerSpec) -> ContainerRef:
        """Create a container for ``spec`` with this manager's labels and control directory."""
        name = container_name(self.host_label, spec.task, secrets.token_hex(4))
        missing = [m for m in spec.mounts if not m.source.exists()]
        if missing:
            raise ContainerCreateError(
                f"mount source {missing[0].source} (for {missing[0].target}) does not exist",
                container=name, hint="create the directory on the host or fix the configuration")
        labels = build_labels(spec.task, host=self.host_label, instance_id=self.instance_id,
                              extra={**self.extra_labels, **spec.labels})
        control = self._control_dir(name)
        control.mkdir(parents=True, mode=0o700)
        body = create_payload(spec, name=name, labels=labels,
                              extra_mounts=(Mount(control, CONTROL_TARGET),),
                              stop_timeout=int(self.stop_timeout))
        try:
            answer = self._api.json("POST", "/containers/create", body=body,
                                    timeout=self.start_timeout)
        except ApiFailure as exc:
            shutil.rmtree(control, ignore_errors=True)
            raise ContainerCreateError(f"podman could not create the container: {exc.message}",
                                       container=name, hint=_create_hint(exc.message)) from exc
        except BaseException:
            shutil.rmtree(control, ignore_errors=True)
            raise
        ref = ContainerRef(answer["Id"], name, labels)
        try:
            ids = IdMap.from_inspect(self.inspect(ref))
            # only the container's root may open the exec control files
            root = (ids.host_uid(0), ids.host_gid(0))
            os.chown(control, *root)
            for mount in spec.mounts:
                if mount.hand_over:
                    chown_tree(mount.source, *root)
        except BaseException:
            self.remove(ref)
            raise
        self._tracked[ref.id] = _Tracked(
            ids, user=spec.user, exec_default=spec.timeouts.exec,
            container_timeout=spec.timeouts.container,
            # the build's own mounts first: a message about a full disk names those
            writable=(*(m.source for m in spec.mounts if not m.read_only), control))
        return ref

    def id_map(self, container: ContainerRef) -> IdMap:
        """How the container's user and group ids map to host ids."""
        return self._tracked[container.id].ids

    def start(self, container: ContainerRef) -> None:
        """Start ``container``; its whole-container deadline counts from now."""
        try:
            self._api.request("POST", f"/containers/{container.id}/start",
                              timeout=self.start_timeout, ok=(304,))
        except ApiFailure as exc:
            raise ContainerCreateError(f"podman could not start the container: {exc.message}",
                                       container=container.name,
                                       hint=_create_hint(exc.message)) from exc
        tracked = self._tracked.get(container.id)
        if tracked is not None and tracked.container_timeout is not None:
            tracked.deadline = time.monotonic() + tracked.container_timeout

    def inspect(self, container: ContainerRef | str) -> Mapping[str, Any]:
        """podman's inspect data of the container."""
        ident = _ident(container)
        try:
            return self._api.json("GET", f"/containers/{ident}/json")
        except ApiFailure as exc:
            raise ContainerError(f"cannot inspect the container: {exc.message}",
                                 container=_name(container),
                                 hint="it may have been removed; run a sweep") from exc

    def stop(self, container: ContainerRef) -> None:
        """Stop the container (SIGTERM, SIGKILL after ``stop_timeout``)."""
        try:
            self._api.request("POST", f"/containers/{container.id}/stop",
                              params={"timeout": int(self.stop_timeout)},
                              timeout=self.stop_timeout + 30, ok=(304,))
        except ApiFailure as exc:
            raise ContainerError(f"cannot stop the container: {exc.message}",
                                 container=container.name,
                                 hint="remove it instead, or check the podman service") from exc

    def disconnect_network(self, container: ContainerRef, network: str) -> None:
        """Take ``network`` away from a running container (only loopback may remain)."""
        name = "podman" if network == "bridge" else network
        try:
            self._api.request("POST", f"/networks/{name}/disconnect",
                              body={"Container": container.id, "Force": True})
        except ApiFailure as exc:
            raise ContainerError(f"cannot disconnect network {name}: {exc.message}",
                                 container=container.name,
                                 hint="the build must not run with a network; check the "
                                      "podman network configuration") from exc

    def remove(self, container: ContainerRef | str) -> None:
        """Kill and remove the container and its control directory at once."""
        ident = _ident(container)
        try:
            self._delete(ident)
        except ApiFailure as exc:
            raise ContainerError(f"cannot remove the container: {exc.message}",
                                 container=_name(container),
                                 hint="remove it with 'podman rm -f' and check the podman "
                                      "service") from exc
        self._tracked.pop(ident, None)
        # a bare string may be the name (then its control directory goes now) or the
        # id (then the next full sweep removes the directory)
        shutil.rmtree(self._control_dir(_name(container)), ignore_errors=True)

    def _delete(self, ident: str) -> None:
        # podman 4.3 sometimes finds the container's shm mount still busy for a moment
        # after its processes were killed; a second attempt then removes it
        for attempt in range(REMOVE_ATTEMPTS):
            try:
                self._api.request("DELETE", f"/containers/{ident}",
                                  params={"force": "true", "v": "true", "timeout": 0},
                                  timeout=self.stop_timeout + 30, ok=(404,))
                return
            except ApiFailure as exc:
                if "resource busy" not in exc.message or attempt == REMOVE_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def list_containers(self, labels: Mapping[str, str] | None = None) -> list[ContainerInfo]:
        """This host's containers carrying all of ``labels``, running or not."""
        wanted = {LABEL_HOST: self.host_label, **(labels or {})}
        rows = self._api.json("GET", "/containers/json", params={
            "all": "true", "filters": json.dumps({"label": label_filters(wanted)})})
        return [ContainerInfo(row["Id"], (row.get("Names") or [row["Id"]])[0],
                              row.get("State", ""), dict(row.get("Labels") or {}))
                for row in rows or []]

    def sweep(self, task_id: int | None = None) -> list[str]:
        """Remove this host's containers (only task ``task_id``'s if given); their names."""
        labels = {LABEL_TASK_ID: str(task_id)} if task_id is not None else {}
        removed = []
        for info in self.list_containers(labels):
            self.remove(ContainerRef(info.id, info.name, info.labels))
            removed.append(info.name)
        if task_id is None and self.state_dir.is_dir():
            self._remove_orphan_control_dirs()
        return removed

    # -- exec ----------------------------------------------------------------

    def exec(self, container: ContainerRef, argv: Sequence[str], *,
             user: str | None = None, workdir: str | None = None,
             env: Mapping[str, str] | None = None, timeout: float | None = None,
             log: LogSink | None = None, check: bool = False) -> ExecResult:
        """Run ``argv`` once in ``container``, streaming merged output into ``log``."""
        argv = [str(arg) for arg in argv]
        if not argv:
            raise ValueError("exec needs a non-empty argv list")
        limit, kind = self._effective_timeout(container, timeout)
        control = self._control_dir(container.name)
        if not control.is_dir():
            raise ExecFailed(f"the container has no control directory {control}",
                             container=container.name, command=argv,
                             hint="run commands only in containers this daemon created")
        tracked = self._tracked.get(container.id)
        ids = tracked.ids if tracked else IdMap.identity()
        try:
            files = ExecFiles.create(control, (ids.host_uid(0), ids.host_gid(0)))
        except OSError as exc:
            self._raise_if_full(container, argv, exc)
            raise
        streamer = LineStreamer(files.host_log, log)
        began = time.monotonic()
        process: HostProcess | None = None
        try:
            wrapped = files.wrapped(argv, user or (tracked.user if tracked else None))
            process = self._start_exec(container, wrapped, argv, workdir=workdir, env=env)
            outcome = wait_for_exit(files, streamer, process,
                                    None if limit is None else began + limit)
            if outcome.timed_out:
                stop_tree(process, self.stop_timeout)
        except MalformedStatus as exc:
            stop_tree(process, 0)
            raise ExecFailed(f"the command's exit status could not be read ({exc}); the "
                             f"build tampered with it or the container broke",
                             container=container.name, command=argv,
                             hint="treat the build as failed; see its log") from None
        except BaseException as exc:
            # the caller is going away (error in the sink, SIGTERM, ...): leave nothing running
            if process is not None:
                stop_tree(process, 0)
            if isinstance(exc, OSError):
                self._raise_if_full(container, argv, exc)
            raise
        finally:
            try:
                streamer.finish()
            finally:
                files.remove()
        result = ExecResult(container.name, tuple(argv), -1 if outcome.exit_code is None
                            else outcome.exit_code, time.monotonic() - began, streamer.lines)
        self._judge(container, argv, outcome, result, limit, kind, check)
        return result

    def _effective_timeout(self, container: ContainerRef,
                           timeout: float | None) -> tuple[float | None, str]:
        tracked = self._tracked.get(container.id)
        own = timeout if timeout is not None else (tracked and tracked.exec_default)
        deadline = tracked.deadline if tracked else None
        if deadline is None:
            return own, "exec"
        left = max(0.0, deadline - time.monotonic())
        return (left, "container") if own is None or left < own else (own, "exec")

    def _start_exec(self, container: ContainerRef, wrapped: list[str], argv: list[str], *,
                    workdir: str | None, env: Mapping[str, str] | None) -> HostProcess:
        # the wrapper runs as the container's root; it drops to the wanted user itself
        body = exec_payload(wrapped, user="0:0", workdir=workdir, env=env)
        try:
            exec_id = self._api.json("POST", f"/containers/{container.id}/exec", body=body)["Id"]
            # one POST starts the command: it is never retried, so it runs exactly once
            self._api.request("POST", f"/exec/{exec_id}/start", body={"Detach": True},
                              timeout=self.start_timeout)
        except ApiFailure as exc:
            raise ExecFailed(f"podman could not run the command: {exc.message}",
                             container=container.name, command=argv,
                             hint="check that the container is running and that its image "
                                  "has /bin/sh") from exc
        return self._exec_process(container, exec_id, argv)

    def _exec_process(self, container: ContainerRef, exec_id: str,
                      argv: list[str]) -> HostProcess:
        waited_until = time.monotonic() + PID_WAIT
        while time.monotonic() < waited_until:
            pid = self._api.json("GET", f"/exec/{exec_id}/json").get("Pid") or 0
            if pid:
                # a quick command may be gone already; its status file tells the rest
                return HostProcess.find(pid) or HostProcess.gone(pid)
            time.sleep(0.02)
        raise ExecFailed("podman started the command but reports no process for it",
                         container=container.name, command=argv,
                         hint="check the podman service's log; the container may have "
                              "stopped")

    def _raise_if_full(self, container: ContainerRef, argv: list[str],
                       cause: BaseException | None = None) -> None:
        """Raise ``DiskFull`` when a disk the container writes to has no space left."""
        if isinstance(cause, OSError) and cause.errno not in (errno.ENOSPC, errno.EDQUOT):
            return
        tracked = self._tracked.get(container.id)
        paths = (tracked and tracked.writable) or (self._control_dir(container.name),)
        full = full_filesystems(paths)
        if not full and cause is None:
            return
        path, free = full[0] if full else (paths[0], 0)
        raise DiskFull(f"the disk is full: no space left for {path} ({free // 1024} KiB free)",
                       container=container.name, command=argv,
                       hint="the build needs more room than the builder's workdir has; "
                            "free space there or give the builder a larger disk") from cause

    def _judge(self, container: ContainerRef, argv: list[str], outcome: ExecOutcome,
               result: ExecResult, limit: float | None, kind: str, check: bool) -> None:
        if outcome.exit_code is None or not result.ok:
            self._raise_if_full(container, argv)
        if outcome.timed_out:
            what = ("the container's deadline" if kind == "container"
                    else "its timeout")
            raise ContainerTimeout(
                f"the command ran longer than {what} of {limit:.0f} s and was stopped",
                container=container.name, command=argv, timeout=limit or 0.0, kind=kind,
                hint="raise the timeout in the configuration or find why the build hangs")
        tracked = self._tracked.get(container.id)
        deadline = tracked.deadline if tracked else None
        if outcome.exit_code is None and deadline is not None and time.monotonic() >= deadline:
            raise ContainerTimeout(
                "the container reached its deadline and was stopped while the command ran",
                container=container.name, command=argv, timeout=limit or 0.0,
                kind="container", hint="raise the timeout in the configuration or find why "
                                       "the build takes so long")
        if outcome.exit_code is None:
            raise ExecFailed("the command ended without an exit status (killed, or its "
                             "container stopped)", container=container.name, command=argv,
                             hint="look at the end of its log and at the container's state")
        if check and not result.ok:
            raise ExecFailed(f"the command failed with exit status {result.exit_code}",
                             container=container.name, command=argv,
                             exit_code=result.exit_code, hint="see its log for the reason")

    # -- copies ----------------------------------------------------------------

    def copy_to(self, container: ContainerRef, source: Path, target: str, *,
                mode: int | None = None) -> None:
        """Copy host file or tree ``source`` to ``target`` in the container."""
        try:
            with archive.pack(Path(source), target, mode=mode) as data:
                self._api.request("PUT", f"/containers/{container.id}/archive",
                                  params={"path": "/"}, data=data, timeout=self.start_timeout)
        except ApiFailure as exc:
            raise ContainerError(f"cannot copy {source} to {target}: {exc.message}",
                                 container=container.name,
                                 hint="check that the target is not on a read-only mount "
                                      "or root") from exc

    def copy_from(self, container: ContainerRef, source: str, target: Path) -> Path:
        """Copy file or tree ``source`` in the container to host path ``target``."""
        try:
            response = self._api.request("GET", f"/containers/{container.id}/archive",
                                         params={"path": source}, stream=True,
                                         timeout=self.start_timeout)
        except ApiFailure as exc:
            raise ContainerError(f"cannot copy {source} out of the container: {exc.message}",
                                 container=container.name,
                                 hint="check that the path exists in the container") from exc
        with contextlib.closing(response):
            return archive.unpack(response.raw, Path(target))

    # -- helpers ---------------------------------------------------------------

    def _control_dir(self, name: str) -> Path:
        return self.state_dir / name

    def _remove_orphan_control_dirs(self) -> None:
        live = {info.name for info in self.list_containers()}
        ours = re.compile(re.escape(name_prefix(self.host_label)) + r"\d+-[0-9a-f]{8}$")
        for entry in self.state_dir.iterdir():
            if ours.match(entry.name) and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)


def _ident(container: ContainerRef | str) -> str:
    return container.id if isinstance(container, ContainerRef) else container


def _name(container: ContainerRef | str) -> str:
    return container.name if isinstance(container, ContainerRef) else container


def _create_hint(message: str) -> str:
    if "no such file or directory" in message and "statfs" in message:
        return "a mount source is missing on the host: create it or fix the configuration"
    if "image" in message and ("not known" in message or "no such" in message):
        return "the image is missing: pull it or check the image name in the configuration"
    return "check the container options in the configuration and the podman service's log"
