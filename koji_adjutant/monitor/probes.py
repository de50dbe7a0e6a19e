"""Looks at the outside worlds the status page reports on: podman and the workdir's disk.

The podman answer (reachable, version) is refreshed every ``PODMAN_TTL``
seconds by the monitor's sampler thread, so a busy status endpoint costs podman
nothing and no request waits for podman; the refresh is a ``/_ping`` (the version
is asked once, and again only after podman did not answer), so an idle builder
costs the podman service next to nothing.  Container listings go through a ``ContainerManager`` of the
monitor's own (a separate connection from the one the main loop sweeps with).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from koji_adjutant.container import ContainerManager
from koji_adjutant.container.errors import ContainerError
from koji_adjutant.container.podman_api import PodmanApi
from koji_adjutant.container.spec import LABEL_BUILDROOT_ID, LABEL_METHOD, LABEL_TASK_ID

PODMAN_TTL = 5.0
PODMAN_TIMEOUT = 3.0


class PodmanProbe:
    """Is the podman service reachable, which version (cached)."""

    def __init__(self, base_url: str, on_call: Callable[[str, bool], None] | None = None):
        self.base_url = base_url
        self._on_call = on_call or (lambda op, ok: None)
        self._lock = threading.Lock()
        self._api: PodmanApi | None = None
        self._answer: dict[str, Any] | None = None
        self._at = 0.0

    def status(self) -> dict[str, Any]:
        """The last answer (asked now only the first time: ``refresh`` keeps it fresh)."""
        with self._lock:
            answer = self._answer
        return dict(answer) if answer is not None else self.refresh(force=True)

    def refresh(self, force: bool = False) -> dict[str, Any]:
        """Ask podman again if the last answer is older than ``PODMAN_TTL``."""
        with self._lock:
            if not force and self._answer is not None \
                    and time.monotonic() - self._at <= PODMAN_TTL:
                return dict(self._answer)
        answer = self._ask()
        with self._lock:
            self._answer, self._at = answer, time.monotonic()
        return dict(answer)

    def _ask(self) -> dict[str, Any]:
        """``/_ping`` while the service keeps answering; ``/version`` (which costs the
        service a few hundred ms of CPU) only the first time and after it did not."""
        with self._lock:
            if self._api is None:
                self._api = PodmanApi(self.base_url, timeout=PODMAN_TIMEOUT)
            known = self._answer if self._answer and self._answer["reachable"] else None
        operation = "ping" if known else "version"
        try:
            if known:
                self._api.request("GET", "/_ping")
                info = {"Version": known["version"], "ApiVersion": known["api_version"]}
            else:
                info = self._api.json("GET", "/version") or {}
        except ContainerError as exc:
            self._on_call(operation, False)
            return {"reachable": False, "version": None, "error": str(exc).splitlines()[0]}
        self._on_call(operation, True)
        return {"reachable": True, "version": info.get("Version"),
                "api_version": info.get("ApiVersion"), "error": None}

    def close(self) -> None:
        with self._lock:
            if self._api is not None:
                self._api.close()


def list_containers(manager: ContainerManager) -> list[dict[str, Any]]:
    """This host's containers (by the host label), as JSON-ready rows."""
    rows = []
    for info in manager.list_containers():
        labels = info.labels
        rows.append({"id": info.id[:12], "name": info.name, "state": info.state,
                     "task_id": _int(labels.get(LABEL_TASK_ID)),
                     "method": labels.get(LABEL_METHOD),
                     "buildroot_id": _int(labels.get(LABEL_BUILDROOT_ID))})
    return sorted(rows, key=lambda row: (row["task_id"] or 0, row["name"]))


def disk_space(path: str) -> dict[str, Any]:
    """Free and total space of the file system holding ``path``."""
    try:
        stat = os.statvfs(path)
    except OSError as exc:
        return {"path": path, "error": exc.strerror}
    mb = 1024 * 1024
    return {"path": path, "free_mb": stat.f_bavail * stat.f_frsize // mb,
            "total_mb": stat.f_blocks * stat.f_frsize // mb}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
