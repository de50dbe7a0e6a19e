"""What a local run owns on this machine, and how any run tells another's leftovers.

A local run (``local build`` or ``local reproduce``) owns its scratch
directory ``<root>/koji-adjutant-local-<run id>/`` (sources, buildroot homes,
the containers' control directories) and its containers, which carry the
host label every local run of this machine shares (``local-<hostname>@``;
a daemon's is ``<host>@<hub>``) and the instance label ``<run id>``.

The run holds an exclusive ``flock`` on ``run.lock`` in its directory from
before its first container until the directory is gone; its watchdog
(watchdog.py) inherits the lock.  The kernel drops a lock when the last
process holding it dies, however it dies, so a lock that can be taken means
that nothing of that run is left alive.  ``sweep``, at the start of every
run, removes the containers and directories of such runs, and never those of
a live concurrent run; ``remove_run`` is what the watchdog does for its own
run when the run dies.

``claim`` makes the directory under a staging name and renames it once the
lock is held, so that a directory with the final name is never unlocked
while its run lives.  A run killed between those few system calls leaves an
empty staging directory ``.koji-adjutant-local-<run id>`` behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import re
import secrets
import shutil
import socket
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.container import (
    LABEL_INSTANCE,
    ContainerInfo,
    ContainerManager,
    ContainerRef,
    PodmanManager,
)
from koji_adjutant.config.options import DaemonOptions
from koji_adjutant.container.factory import open_manager
from koji_adjutant.local import watchdog
from koji_adjutant.local.options import LOCAL_SERVER

PREFIX = "koji-adjutant-local-"
LOCK = "run.lock"
# a create the run sent just before it died can still be finishing in podman
SETTLE = 2.0
_RUN_ID = re.compile(r"[0-9a-f]{12}")


@dataclass
class Run:
    """One local run's claim: its id, its scratch directory, the fd holding its lock."""

    run_id: str
    path: Path
    lock_fd: int

    def release(self) -> None:
        """Remove the scratch directory, then drop the lock (once)."""
        if self.lock_fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self.lock_fd)
        self.lock_fd = -1


def claim(root: Path) -> Run:
    """A new run's scratch directory under ``root``, locked before it gets its name."""
    run_id = secrets.token_hex(6)
    staging = root / f".{PREFIX}{run_id}"
    os.mkdir(staging, 0o700)
    fd = os.open(staging / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    path = root / f"{PREFIX}{run_id}"
    os.rename(staging, path)
    return Run(run_id, path, fd)


@contextlib.contextmanager
def guarded_run(root: Path, options_for: Callable[[Path], DaemonOptions]
                ) -> Iterator[tuple[Run, DaemonOptions]]:
    """A claimed run, its options (``options_for(scratch directory)``) and its watchdog.

    At the end the directory goes while the watchdog still watches; then the
    watchdog is dismissed.
    """
    with contextlib.ExitStack() as stack:
        run = claim(root)
        stack.callback(run.release)
        options = options_for(run.path)
        guard = watchdog.start(lambda: remove_run(options, run))
        stack.callback(guard.dismiss)
        stack.callback(run.release)
        yield run, options


def open_run_manager(options: DaemonOptions, run_id: str) -> PodmanManager:
    """The container manager of run ``run_id``, with the host label of all local runs.

    The label leaves out the hub (a reproduction names one), so that every
    run's start-up sweep sees the containers of every other local run here.
    """
    local = DaemonOptions(dataclasses.replace(options.kojid, server=LOCAL_SERVER),
                          options.adjutant, options.files, run_id)
    return open_manager(local, f"local-{socket.gethostname()}", run_id)


def remove_run(options: DaemonOptions, run: Run) -> None:
    """Remove a dead run's containers (by its instance label), then its directory."""
    manager = open_run_manager(options, run.run_id)
    try:
        for pause in (0, SETTLE):
            time.sleep(pause)
            _remove(manager, manager.list_containers({LABEL_INSTANCE: run.run_id}))
    finally:
        manager.close()
        shutil.rmtree(run.path, ignore_errors=True)


def sweep(manager: ContainerManager, root: Path) -> tuple[list[str], list[Path]]:
    """Remove the containers and scratch directories of local runs that are gone."""
    containers = _remove(manager, [
        info for info in manager.list_containers()
        if not run_is_live(root, info.labels.get(LABEL_INSTANCE, ""))])
    directories = []
    for path in sorted(root.glob(PREFIX + "*")):
        run_id = path.name[len(PREFIX):]
        # only names of this scheme: an older version's run has no lock to ask
        if _RUN_ID.fullmatch(run_id) and not run_is_live(root, run_id):
            shutil.rmtree(path, ignore_errors=True)
            directories.append(path)
    return containers, directories


def run_is_live(root: Path, run_id: str) -> bool:
    """Whether a process of run ``run_id`` still holds its lock (True if that is unknowable)."""
    if not _RUN_ID.fullmatch(run_id):
        return False  # no run of this scheme: an older version's container
    path = root / f"{PREFIX}{run_id}"
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return True  # another user's, or planted in the world-writable root
        fd = os.open(path / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _remove(manager: ContainerManager, infos: list[ContainerInfo]) -> list[str]:
    for info in infos:
        manager.remove(ContainerRef(info.id, info.name, info.labels))
    return [info.name for info in infos]
