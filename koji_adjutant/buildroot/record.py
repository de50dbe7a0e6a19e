"""The hub's record of a buildroot: INIT -> BUILDING -> EXPIRED, with its package list.

kojid's lifecycle (contract 4.1): ``host.newBuildRoot`` when the task starts,
``setBuildRootList`` once the environment is installed (INIT only),
``setBuildRootState(BUILDING)`` before the build, ``updateBuildRootList`` after
it (BUILDING only), and EXPIRED at the end, failed or not.  The hub's record
is ``koji_adjutant.hub.HubRecord``; a local build has no hub, and
``LocalRecord`` keeps the same interface without one.
"""

from typing import Protocol


class BuildrootRecord(Protocol):
    id: int | None

    def create(self, repo_id: int, arch: str) -> int: ...
    def set_list(self, entries: list[dict]) -> None: ...
    def building(self) -> None: ...
    def update_list(self, entries: list[dict]) -> None: ...
    def expire(self) -> None: ...


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
