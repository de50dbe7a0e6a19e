"""Taking a build's results out of its buildroot: regular files only, RPMs named as their headers say.

Everything under the build home is the build's to write, so any name there
may be a symbolic link (to a host file, or to another build's directory), a
FIFO, or a file named to mislead.  ``collect`` never follows a link: it opens
every directory and file relative to its parent's descriptor with
``O_NOFOLLOW`` (the build home's own path being the daemon's), copies each
RPM from the descriptor it opened into a fresh directory beside the build
home that only the daemon can reach, and checks the copy's header against its
file name.  What it returns are those copies, so nothing the build can still
touch is read again, nor uploaded; any departure fails the task, with one
line naming the file, before anything is uploaded.
"""

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import koji
import rpm

from koji_adjutant.buildroot.environment import BUILD_HOME
from koji_adjutant.errors import TaskFailed

MAX_DEPTH = 8  # directories below RPMS/SRPMS (rpmbuild itself makes at most one)
_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_NOT_REGULAR = "results must be regular files"
_NOT_DIRECTORY = "result directories must be real directories"
_HEADER_FIELDS = ["name", "version", "release", "arch", "sourcepackage"]


@dataclass(frozen=True)
class BuildResult:
    """A build's results: copies of its SRPMs and RPMs (host paths only the daemon can reach).

    ``other`` names, relative to the build's topdir, the other regular files
    the build left beside them; they are not taken.
    """

    srpms: tuple[Path, ...]
    rpms: tuple[Path, ...]
    other: tuple[str, ...]


def usable_name(name: str) -> bool:
    """A plain, printable file name: no ``/``, not ``.`` or ``..``, no leading dot."""
    return bool(name) and "/" not in name and not name.startswith(".") \
        and name.isprintable() and not any(c.isspace() for c in name)


def rpm_file_name(header) -> str:
    """The file name rpm gives a package: ``N-V-R.A.rpm``, ``src`` (``nosrc``) for sources."""
    fields = koji.get_header_fields(header, _HEADER_FIELDS, src_arch=True)
    return "%(name)s-%(version)s-%(release)s.%(arch)s.rpm" % fields


def collect(home: Path, topdir: str, subdirs: Sequence[str]) -> BuildResult:
    """The results in ``subdirs`` of ``topdir`` (a container path under the build home).

    ``home`` is the host side of the build home.  A missing directory holds
    no results; a directory that is a link, or anything in it that is not a
    directory or a regular file, fails the task.
    """
    parts = PurePosixPath(topdir).relative_to(BUILD_HOME).parts
    dest = Path(tempfile.mkdtemp(prefix=f"{home.name}-results-", dir=home.parent))
    taker = _Taker(dest)
    with contextlib.ExitStack() as stack:
        top = _open_top(home, parts, stack)
        for subdir in subdirs if top is not None else ():
            fd = _open_directory(top, subdir, subdir, stack)
            if fd is not None:
                _walk(fd, subdir, taker, 0)
    return taker.result()


def open_file(home: Path, path: str, stack: contextlib.ExitStack) -> BinaryIO:
    """The regular file at ``path`` (a container path under the build home), opened
    without following a link anywhere on the way; closed with ``stack``."""
    where = PurePosixPath(path)
    top = _open_top(home, where.parent.relative_to(BUILD_HOME).parts, stack)
    opened = None if top is None else _open(top, where.name, path, _NOT_REGULAR)
    if opened is None:
        raise TaskFailed(f"{path} is missing from the buildroot")
    fd = _closing(opened, stack)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        raise TaskFailed(f"the build left {path} as {_kind(mode)}; {_NOT_REGULAR}")
    return stack.enter_context(open(fd, "rb", closefd=False))


def take_file(home: Path, directory: str, suffix: str, limit: int) -> Path:
    """A copy of the one file in ``directory`` whose name ends with ``suffix``.

    The copy is in a fresh directory beside the build home that only the
    daemon can reach (the caller removes it); the file must be regular, not
    reached through a link, and at most ``limit`` bytes.
    """
    with contextlib.ExitStack() as stack:
        top = _open_top(home, PurePosixPath(directory).relative_to(BUILD_HOME).parts, stack)
        names = [] if top is None else [n for n in os.listdir(top) if n.endswith(suffix)]
        if len(names) != 1:
            raise TaskFailed(f"expected one *{suffix} in {directory}, found {len(names)}")
        source = open_file(home, f"{directory}/{names[0]}", stack)
        dest = Path(tempfile.mkdtemp(prefix=f"{home.name}-take-", dir=home.parent))
        copy = dest / "copy"
        with open(copy, "xb") as target:
            data = source.read(limit + 1)
            target.write(data)
        if len(data) > limit:
            shutil.rmtree(dest)
            raise TaskFailed(f"the build left {directory}/{names[0]} larger than {limit} "
                             f"bytes; refused")
    return copy


def _open_top(home: Path, parts: Sequence[str], stack: contextlib.ExitStack) -> int | None:
    """A descriptor of the topdir, each of its components opened without following links."""
    fd = _closing(os.open(home, _OPEN | os.O_DIRECTORY), stack)
    shown = BUILD_HOME
    for part in parts:
        shown = f"{shown}/{part}"
        fd = _open_directory(fd, part, shown, stack)
        if fd is None:
            return None
    return fd


def _open_directory(parent: int, name: str, shown: str,
                    stack: contextlib.ExitStack) -> int | None:
    """Directory ``name`` under ``parent``; None when missing, TaskFailed when no directory."""
    opened = _open(parent, name, shown, _NOT_DIRECTORY)
    if opened is None:
        return None
    fd = _closing(opened, stack)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISDIR(mode):
        raise TaskFailed(f"the build left {shown} as {_kind(mode)}; {_NOT_DIRECTORY}")
    return fd


def _walk(directory: int, shown: str, taker: "_Taker", depth: int) -> None:
    """Take every file under ``directory``, depth first, in name order."""
    for name in sorted(os.listdir(directory)):
        path = f"{shown}/{name}" if name.isprintable() else f"{shown}/{ascii(name)}"
        if not usable_name(name):
            raise TaskFailed(f"the build left {path}, which is not a usable result name "
                             f"(a plain, printable file name not starting with a dot)")
        with contextlib.ExitStack() as stack:
            opened = _open(directory, name, path, _NOT_REGULAR)
            if opened is None:
                continue
            fd = _closing(opened, stack)
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                if depth >= MAX_DEPTH:
                    raise TaskFailed(f"the build left {path} nested more than {MAX_DEPTH} "
                                     f"directories deep")
                _walk(fd, path, taker, depth + 1)
            elif stat.S_ISREG(mode):
                taker.take(fd, name, path)
            else:
                raise TaskFailed(f"the build left {path} as {_kind(mode)}; {_NOT_REGULAR}")


def _open(parent: int, name: str, shown: str, rule: str) -> int | None:
    """``name`` under ``parent``, never through a link; None when it is gone."""
    try:
        return os.open(name, _OPEN, dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TaskFailed(f"the build left {shown} as a symbolic link; {rule}") from exc
        if exc.errno == errno.ENXIO:
            raise TaskFailed(f"the build left {shown} as a socket; {rule}") from exc
        raise TaskFailed(f"cannot read {shown} from the buildroot: {exc.strerror}") from exc


def _closing(fd: int, stack: contextlib.ExitStack) -> int:
    stack.callback(os.close, fd)
    return fd


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "a special file"


class _Taker:
    """Copies RPMs out into ``dest`` and checks each copy; keeps what it took."""

    def __init__(self, dest: Path):
        self.dest = dest
        self.srpms: list[Path] = []
        self.rpms: list[Path] = []
        self.other: list[str] = []
        self.seen: dict[str, str] = {}

    def take(self, fd: int, name: str, shown: str) -> None:
        if not name.endswith(".rpm"):
            self.other.append(shown)
            return
        if name in self.seen:
            raise TaskFailed(f"the build left two results named {name}: "
                             f"{self.seen[name]} and {shown}")
        self.seen[name] = shown
        copy = self.dest / name
        with open(fd, "rb", closefd=False) as source, open(copy, "xb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        is_source = _check_header(copy, shown)
        (self.srpms if is_source else self.rpms).append(copy)

    def result(self) -> BuildResult:
        return BuildResult(tuple(self.srpms), tuple(self.rpms), tuple(self.other))


def _check_header(copy: Path, shown: str) -> bool:
    """The copy's header must name it; True for a source package."""
    try:
        with open(copy, "rb") as f:
            header = koji.get_rpm_header(f)
        expected = rpm_file_name(header)
    except (rpm.error, koji.GenericError, OSError) as exc:
        raise TaskFailed(f"the build left {shown}, which is not a readable RPM: {exc}") from exc
    is_source = bool(koji.get_header_field(header, "sourcepackage"))
    if copy.name != expected:
        what = "srpm" if is_source else "rpm"
        raise TaskFailed(f"{what} name mismatch: the build left {shown}, its header says "
                         f"{expected}")
    return is_source

