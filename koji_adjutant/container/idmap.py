"""A container's user namespace: which host id each container uid and gid is.

With ``--userns=auto`` podman gives every container its own range of the
``containers`` subordinate ids (``/etc/subuid``, ``/etc/subgid``); inspect data
lists it as ``HostConfig.IDMappings`` (``["0:1000000:65534"]``: container id 0
and the next 65533 are host ids 1000000 onwards).  The daemon needs the host
ids to hand a directory to a user of the container (the build user owns its
home, only the container's root owns the exec control directory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUBID_FILES = (Path("/etc/subuid"), Path("/etc/subgid"))
SUBID_USER = "containers"  # whose ranges podman's --userns=auto takes
SUBID_RANGE = "1000000:65536000"  # the suggested range: 1000 containers of 65536 ids


@dataclass(frozen=True)
class IdRange:
    """``size`` ids from ``inside`` in the container are host ids from ``host``."""

    inside: int
    host: int
    size: int

    @classmethod
    def parse(cls, text: str) -> IdRange:
        inside, host, size = (int(part) for part in text.split(":"))
        return cls(inside, host, size)


def _lookup(ranges: Sequence[IdRange], ident: int, what: str) -> int:
    for entry in ranges:
        if entry.inside <= ident < entry.inside + entry.size:
            return entry.host + ident - entry.inside
    raise ValueError(f"container {what} {ident} has no host {what} (not in the user namespace)")


@dataclass(frozen=True)
class IdMap:
    """The uid and gid ranges of one container; empty ranges mean the host's own ids."""

    uids: tuple[IdRange, ...] = ()
    gids: tuple[IdRange, ...] = ()

    @classmethod
    def identity(cls) -> IdMap:
        return cls()

    @classmethod
    def from_inspect(cls, info: Mapping[str, Any]) -> IdMap:
        """The map from podman's inspect data (none listed: no user namespace)."""
        mappings = (info.get("HostConfig") or {}).get("IDMappings") or {}
        return cls(tuple(IdRange.parse(t) for t in mappings.get("UidMap") or ()),
                   tuple(IdRange.parse(t) for t in mappings.get("GidMap") or ()))

    @property
    def private(self) -> bool:
        """True when the container has a user namespace of its own."""
        return bool(self.uids)

    def host_uid(self, uid: int) -> int:
        return _lookup(self.uids, uid, "uid") if self.uids else uid

    def host_gid(self, gid: int) -> int:
        return _lookup(self.gids, gid, "gid") if self.gids else gid


def subid_ranges_missing() -> list[str]:
    """The subordinate id files that hold no range for ``SUBID_USER``."""
    missing = []
    for path in SUBID_FILES:
        try:
            lines = path.read_text().splitlines()
        except OSError:
            lines = []
        if not any(line.split(":")[0] == SUBID_USER for line in lines):
            missing.append(str(path))
    return missing


def chown_tree(top: Path, uid: int, gid: int) -> None:
    """chown ``top`` and everything under it, never following a symbolic link."""
    os.chown(top, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(top, followlinks=False):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def user_namespace_fix(missing: Sequence[str]) -> str:
    """The one-line message for ``subid_ranges_missing``'s answer, with the fix."""
    return (f"{' and '.join(missing)} hold no range for the user '{SUBID_USER}', which podman "
            f"needs to give every build container a user namespace of its own: add the line "
            f"'{SUBID_USER}:{SUBID_RANGE}' to {' and '.join(str(p) for p in SUBID_FILES)} "
            f"(scripts/provision does)")
