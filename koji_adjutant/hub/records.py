"""A buildroot's record on the hub, and the incremental upload of a task's logs.

``HubRecord`` is the hub side of ``buildroot.record.BuildrootRecord``: kojid's
lifecycle (contract 4.1): ``host.newBuildRoot`` when the task starts,
``setBuildRootList`` once the environment is installed (INIT only),
``setBuildRootState(BUILDING)`` before the build, ``updateBuildRootList``
after it (BUILDING only), and EXPIRED at the end, failed or not.

``HubLogUploader`` is the hub side of ``buildroot.logs.LogUploader``: koji's
``incremental_upload`` of the bytes a log file gained, from one open handle
per file (reopened when the file was rewritten).
"""

import logging
from pathlib import Path

import koji
import koji.daemon

from koji_adjutant.hub.refusals import disowned

logger = logging.getLogger("koji.build.buildroot")


class HubRecord:
    """A standard buildroot on the hub, owned by this host's task ``task_id``."""

    def __init__(self, session, task_id: int):
        self.session = session  # a koji.ClientSession
        self.task_id = task_id
        self.id: int | None = None
        self.expired = False

    def create(self, repo_id: int, arch: str) -> int:
        self.id = self.session.host.newBuildRoot(repo_id, arch, task_id=self.task_id)
        return self.id

    def set_list(self, entries: list[dict]) -> None:
        self.session.host.setBuildRootList(self.id, entries, task_id=self.task_id)

    def building(self) -> None:
        self.session.host.setBuildRootState(self.id, "BUILDING", task_id=self.task_id)

    def update_list(self, entries: list[dict]) -> None:
        self.session.host.updateBuildRootList(self.id, entries, task_id=self.task_id)

    def expire(self) -> None:
        """Retire the record; safe to call twice and on a record never created."""
        if self.id is None or self.expired:
            return
        try:
            self.session.host.setBuildRootState(self.id, koji.BR_STATES["EXPIRED"],
                                                task_id=self.task_id)
            self.expired = True
        except koji.GenericError as exc:
            # the main loop's updateBuildroots expires it once the task is gone; a task the
            # hub no longer lets us report on says so once itself (daemon/taskproc.py)
            log = logger.debug if disowned(exc) else logger.warning
            log("could not expire buildroot %s: %s", self.id, exc)


class HubLogUploader:
    """Uploads new bytes of log files into a task's upload directory on the hub."""

    def __init__(self, session, upload_path: str):
        self.session = session  # a koji.ClientSession
        self.upload_path = upload_path
        self._open: dict[str, tuple[object, int]] = {}  # name -> (binary fd, inode)

    def upload_new_bytes(self, path: Path) -> None:
        name = path.name
        stat = path.stat()
        fd, inode = self._open.get(name, (None, None))
        if fd is not None and (inode != stat.st_ino or fd.tell() > stat.st_size):
            fd.close()
            fd = None
        if fd is None:
            fd = open(path, "rb")
            self._open[name] = (fd, stat.st_ino)
        koji.daemon.incremental_upload(self.session, name, fd, self.upload_path,
                                       logger=logger)

    def close(self) -> None:
        for fd, _ in self._open.values():
            fd.close()
        self._open.clear()
