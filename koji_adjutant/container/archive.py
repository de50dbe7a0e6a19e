"""Tar archives for copying files into and out of containers.

``pack`` builds the archive podman extracts at ``/`` of the container for
``copy_to``: the source tree renamed to the target path, permission bits kept,
host owners left out (podman gives the copies to the container's user).
``unpack`` extracts what podman returns for ``copy_from`` into a host path: the
archive comes from a build, so it is untrusted; members that would escape the
target, absolute or escaping links and device files are refused
(``tarfile.data_filter``), and the permission bits are kept while ownership
and set-id bits are not.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO

SPOOL_CHUNK = 1 << 20


def pack(source: Path, target: str, *, mode: int | None = None) -> IO[bytes]:
    """A tar of ``source`` (file or tree) whose top entry is ``target`` minus its ``/``.

    The archive is spooled to an anonymous temporary file (sources can be large),
    returned open at its start; the caller closes it.
    """
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist on the host")
    top = PurePosixPath(target)
    if not top.is_absolute() or ".." in top.parts or top == PurePosixPath("/"):
        raise ValueError(f"copy target {target!r} must be an absolute path below /")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in _walk(source):
                name = str(top.relative_to("/") / path.relative_to(source))
                _add(tar, path, name, mode if path == source else None)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _add(tar: tarfile.TarFile, path: Path, name: str, mode: int | None) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0  # podman gives copies to the container's user anyway
    info.uname = info.gname = ""
    if mode is not None:
        info.mode = mode
    if info.isreg():
        with open(path, "rb") as handle:
            tar.addfile(info, handle)
    else:
        tar.addfile(info)


def _renamer(old_top: str, new_top: str):
    """A tarfile filter moving ``old_top`` to ``new_top`` and keeping permission bits."""
    def rename(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
        parts = PurePosixPath(member.name).parts
        if not parts or parts[0] != old_top:
            raise tarfile.FilterError(f"unexpected member {member.name!r} outside {old_top!r}")
        name = str(PurePosixPath(new_top, *parts[1:]))
        safe = tarfile.data_filter(member.replace(name=name, deep=False), dest)
        if member.isdir() or member.isreg():
            return safe.replace(mode=stat.S_IMODE(member.mode) & 0o777, deep=False)
        return safe
    return rename


def unpack(stream: IO[bytes], target: Path) -> Path:
    """Extract the single tree in the archive ``stream`` as host path ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as spool:
        # a seekable copy lets extractall set directory modes after their contents
        shutil.copyfileobj(stream, spool, SPOOL_CHUNK)
        spool.seek(0)
        with tarfile.open(fileobj=spool, mode="r:") as tar:
            first = tar.next()
            if first is None:
                raise ValueError("the container returned an empty archive")
            top = PurePosixPath(first.name).parts[0]
            tar.extractall(target.parent, filter=_renamer(top, target.name))
    return target


def _walk(source: Path) -> list[Path]:
    """``source`` and, for a directory, everything below it (symlinks not followed)."""
    if not source.is_dir() or source.is_symlink():
        return [source]
    entries = [source]
    for root, dirs, files in os.walk(source):
        dirs.sort()
        entries += [Path(root, name) for name in sorted(dirs + files)]
    return entries
