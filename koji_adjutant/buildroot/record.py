"""The hub's record of a buildroot: INIT -> BUILDING -> EXPIRED, with its package list.

kojid's lifecycle (contract 4.1): ``host.newBuildRoot`` when the task starts,
``setBuildRootList`` once the environment is installed (INIT only),
``setBuildRootState(BUILDING)`` before the build, ``updateBuildRootList`` after
it (BUILDING only), and EXPIRED at the end, failed or not.  A local build has
no hub; ``LocalRecord`` keeps the same interface without one.
"""

import logging
from typing import Protocol

import koji

logger = logging.getLogger("koji.build.buildroot")


class BuildrootRecord(Protocol):
    id: int | None

    def create(self, repo_id: int, arch: str) -> int: ...
    def set_list(self, entries: list[dict]) -> None: ...
    def building(self) -> None: ...
    def update_list(self, entries: list[dict]) -> None: ...
    def expire(self) -> None: ...


class HubRecord:
    """A standard buildroot on the hub, owned by this host's task ``task_id``."""

    def __init__(self, session, task_id: int):
        self.session = session
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
            # the main loop's updateBuildroots expires it once the task is gone
            logger.warning("could not expire buildroot %s: %s", self.id, exc)


class LocalRecord:
    """The record of a buildroot built without a hub: nothing to report."""

    id: int | None = None

    def create(self, repo_id: int, arch: str) -> int:
        return 0

    def set_list(self, entries: list[dict]) -> None:
        return None

    def building(self) -> None:
        return None

    def update_list(self, entries: list[dict]) -> None:
        return None

    def expire(self) -> None:
        return None
