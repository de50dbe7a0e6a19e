"""``PodmanManager``: the ``ContainerManager`` over a local podman API socket.

Owns, for every container it creates: the container itself (labelled with the
task identity, this host and this daemon instance), its control directory
under ``state_dir`` (bind-mounted at ``/run/koji-adjutant`` to carry exec
output and exit status, see execution.py) and its one record
(``TrackedContainer``: id map, exec defaults, deadline).  ``remove`` releases
all three, given the container's ``ContainerRef`` (whose name names the control
directory); ``sweep`` does the same for containers found by label, e.g. those
of a task process that was killed.  Commands run through ``PodmanExec``
(podman_exec.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from koji_adjutant.container import archive
from koji_adjutant.container.errors import ContainerCreateError, ContainerError, RuntimeUnavailable
from koji_adjutant.container.execution import CONTROL_TARGET
from koji_adjutant.container.idmap import IdMap, chown_tree
from koji_adjutant.container.images import ImagePuller
from koji_adjutant.container.manager import ContainerInfo, ContainerRef, ExecResult, LogSink
from koji_adjutant.container.payload import create_payload
from koji_adjutant.container.podman_api import ApiFailure, PodmanApi
from koji_adjutant.container.podman_exec import PodmanExec
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
from koji_adjutant.container.tracked import TrackedContainer, control_dir

DEFAULT_SOCKET = "unix:///run/podman/podman.sock"
DEFAULT_STATE_DIR = Path("/var/lib/koji-adjutant/containers")
REMOVE_ATTEMPTS = 4


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
        self._exec = PodmanExec(self._api, start_timeout=start_timeout,
                                stop_timeout=stop_timeout)
        self._tracked: dict[str, TrackedContainer] = {}  # by container id

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
        control = control_dir(self.state_dir, name)
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
            record = TrackedContainer(
                ref, control, IdMap.from_inspect(self.inspect(ref)), user=spec.user,
                exec_default=spec.timeouts.exec, container_timeout=spec.timeouts.container,
                # the build's own mounts first: a message about a full disk names those
                writable=(*(m.source for m in spec.mounts if not m.read_only), control))
            # only the container's root may open the exec control files
            os.chown(control, *record.root)
            for mount in spec.mounts:
                if mount.hand_over:
                    chown_tree(mount.source, *record.root)
        except BaseException:
            self.remove(ref)
            raise
        self._tracked[ref.id] = record
        return ref

    def id_map(self, container: ContainerRef) -> IdMap:
        """How the container's user and group ids map to host ids."""
        return self._tracked[container.id].ids

    def _record(self, container: ContainerRef) -> TrackedContainer:
        return (self._tracked.get(container.id)
                or TrackedContainer.stand_in(container, self.state_dir))

    def start(self, container: ContainerRef) -> None:
        """Start ``container``; its whole-container deadline counts from now."""
        try:
            self._api.request("POST", f"/containers/{container.id}/start",
                              timeout=self.start_timeout, ok=(304,))
        except ApiFailure as exc:
            raise ContainerCreateError(f"podman could not start the container: {exc.message}",
                                       container=container.name,
                                       hint=_create_hint(exc.message)) from exc
        if container.id in self._tracked:
            self._tracked[container.id].start_clock()

    def inspect(self, container: ContainerRef) -> Mapping[str, Any]:
        """podman's inspect data of the container."""
        try:
            return self._api.json("GET", f"/containers/{container.id}/json")
        except ApiFailure as exc:
            raise ContainerError(f"cannot inspect the container: {exc.message}",
                                 container=container.name,
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

    def remove(self, container: ContainerRef) -> None:
        """Kill and remove the container, then its control directory and its record.

        A container that is gone already is not an error; its directory goes all
        the same.  If podman cannot remove it, both stay for a later sweep.
        """
        try:
            self._delete(container.id)
        except ApiFailure as exc:
            raise ContainerError(f"cannot remove the container: {exc.message}",
                                 container=container.name,
                                 hint="remove it with 'podman rm -f' and check the podman "
                                      "service") from exc
        record = self._tracked.pop(container.id, None)
        control = record.control if record else control_dir(self.state_dir, container.name)
        shutil.rmtree(control, ignore_errors=True)

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
            self.remove(info.ref)
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
        return self._exec.run(self._record(container), argv, user=user, workdir=workdir,
                              env=env, timeout=timeout, log=log, check=check)

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

    def _remove_orphan_control_dirs(self) -> None:
        live = {info.name for info in self.list_containers()}
        ours = re.compile(re.escape(name_prefix(self.host_label)) + r"\d+-[0-9a-f]{8}$")
        for entry in self.state_dir.iterdir():
            if ours.match(entry.name) and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)


def _create_hint(message: str) -> str:
    if "no such file or directory" in message and "statfs" in message:
        return "a mount source is missing on the host: create it or fix the configuration"
    if "image" in message and ("not known" in message or "no such" in message):
        return "the image is missing: pull it or check the image name in the configuration"
    return "check the container options in the configuration and the podman service's log"
