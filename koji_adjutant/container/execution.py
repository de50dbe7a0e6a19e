"""Running one command in a container: wrapper, output streaming, exit status, deadline.

The design (docs/adr/0003-exec-design.md): the command is started through the
podman API as a *detached* exec, wrapped by ``/bin/sh`` so that its merged
stdout/stderr go to a log file and its exit status to a status file, both in
the container's control directory, a host directory bind-mounted into the
container.  The daemon tails the log file into the caller's sink while the
command runs and reads the status file when it ends; no HTTP stream is
involved, so nothing can hang on a half-closed attach connection, and the
command is started by exactly one API call.  A timeout stops the command's
process tree from the host (``proctree``).

``ExecFiles`` owns the two files of one exec; ``LineStreamer`` turns the growing
log into lines; ``wait_for_exit`` is the polling loop; ``judge`` turns how the
wait ended into the error the caller sees (timeout, full disk, no exit status,
failed command).  podman_exec.py drives these through the podman API.
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.container.errors import ContainerTimeout, DiskFull, ExecFailed
from koji_adjutant.container.manager import ExecResult, LogSink
from koji_adjutant.container.proctree import HostProcess
from koji_adjutant.container.tracked import TrackedContainer

CONTROL_TARGET = "/run/koji-adjutant"  # where the control directory appears inside
READ_CHUNK = 1 << 20
MAX_LINE = 1 << 20  # a longer line is delivered in pieces of this size
STATUS_MAX = 16  # bytes of a status file that are read at most
POLL_MIN = 0.01
POLL_MAX = 0.05
# A filesystem with less free space than this (for unprivileged writers) counts as full.
FULL_BELOW = 1024 * 1024

# The wrapper always runs as the container's root, which alone can open the
# control files; it drops to ``user`` (when given) only for the command itself,
# so nothing the command starts can write a status or another exec's log.  The
# paths, the user and the command are positional parameters, never spliced into
# the script, so no argument is ever re-parsed.
WRAPPER_SCRIPT = """log=$1; status=$2; user=$3; shift 3
if [ -n "$user" ]; then
  if ! command -v setpriv >/dev/null 2>&1; then
    echo "koji-adjutant: the image has no setpriv (util-linux), needed to run as $user" >>"$log"
    echo 126 >"$status"; exit 0
  fi
  case $user in
    *:*) set -- setpriv --reuid="${user%%:*}" --regid="${user#*:}" --clear-groups -- "$@" ;;
    *[!0-9]*) set -- setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@" ;;
    *) set -- setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@" ;;
  esac
fi
"$@" >>"$log" 2>&1 </dev/null
echo "$?" >"$status"
"""


class MalformedStatus(ValueError):
    """A status file that does not hold an exit status (the wrapper did not write it)."""


@dataclass(frozen=True)
class ExecFiles:
    """The log and status files of one exec, as seen from the host and from inside."""

    host_dir: Path
    stem: str

    @classmethod
    def create(cls, host_dir: Path, owner: tuple[int, int] = (0, 0)) -> ExecFiles:
        """Make both files, readable and writable only by ``owner`` (the container's root)."""
        files = cls(host_dir, f"exec-{time.time_ns()}-{secrets.token_hex(3)}")
        for path in (files.host_log, files.host_status):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                os.fchown(fd, *owner)
            finally:
                os.close(fd)
        return files

    @property
    def host_log(self) -> Path:
        return self.host_dir / f"{self.stem}.log"

    @property
    def host_status(self) -> Path:
        return self.host_dir / f"{self.stem}.status"

    def wrapped(self, argv: Sequence[str], user: str | None = None) -> list[str]:
        """The argv that runs ``argv`` through the wrapper, as ``user`` if given."""
        return ["/bin/sh", "-c", WRAPPER_SCRIPT, "koji-adjutant-exec",
                f"{CONTROL_TARGET}/{self.stem}.log", f"{CONTROL_TARGET}/{self.stem}.status",
                user or "", *argv]

    def exit_status(self) -> int | None:
        """The command's exit status once the wrapper has written it completely.

        Reads at most ``STATUS_MAX`` bytes; anything but a number from 0 to 255
        and a newline raises ``MalformedStatus``.
        """
        try:
            fd = os.open(self.host_status, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        try:
            data = os.read(fd, STATUS_MAX + 1)
        finally:
            os.close(fd)
        if not data.endswith(b"\n"):
            if len(data) > STATUS_MAX:
                raise MalformedStatus(f"{len(data)}+ bytes")
            return None  # not written completely yet
        text = data[:-1]
        if not (text.isdigit() and len(text) <= 3 and int(text) <= 255):
            raise MalformedStatus(repr(data[:STATUS_MAX]))
        return int(text)

    def remove(self) -> None:
        """Delete both files."""
        for path in (self.host_log, self.host_status):
            path.unlink(missing_ok=True)


class LineStreamer:
    """Reads a growing log file and hands each complete line to a sink."""

    def __init__(self, path: Path, sink: LogSink | None):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by finish()
        self._partial = b""
        self._deliver = _deliverer(sink)
        self._write = getattr(sink, "write", None)  # a file takes many lines at once
        # a sink may ask to be called on every poll, output or not (e.g. to flush uploads)
        self._tick = getattr(sink, "tick", None)
        self.lines = 0

    def pump(self) -> bool:
        """Deliver every complete line written so far; True if anything was read."""
        got = False
        while chunk := self._file.read(READ_CHUNK):
            got = True
            if self._write is not None:
                self._pass_on(self._partial + chunk)
                continue
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            while len(self._partial) > MAX_LINE:  # no line may grow without bound
                lines.append(self._partial[:MAX_LINE])
                self._partial = self._partial[MAX_LINE:]
            for line in lines:
                self._deliver(line)
            self.lines += len(lines)
        if self._tick is not None:
            self._tick()
        return got

    def _pass_on(self, data: bytes) -> None:
        end = data.rfind(b"\n") + 1
        whole, self._partial = data[:end], data[end:]
        while len(self._partial) > MAX_LINE:  # no line may grow without bound
            whole += self._partial[:MAX_LINE] + b"\n"
            self._partial = self._partial[MAX_LINE:]
        if whole:
            self._write(whole)
            self.lines += whole.count(b"\n")

    def finish(self) -> None:
        """Deliver what is left (a last line without newline) and close the file."""
        try:
            self.pump()
            if self._partial:
                self._deliver(self._partial)
                self.lines += 1
                self._partial = b""
        finally:
            self._file.close()  # also when the sink refuses more (a log limit)


def _deliverer(sink: LogSink | None) -> Callable[[bytes], None]:
    if sink is None:
        return lambda line: None
    if hasattr(sink, "write"):
        return lambda line: sink.write(line + b"\n")  # type: ignore[union-attr]
    return lambda line: sink(line.decode("utf-8", errors="replace"))  # type: ignore[operator]


@dataclass(frozen=True)
class ExecOutcome:
    """How the wait ended: an exit status, the process vanished, or the deadline hit."""

    exit_code: int | None
    timed_out: bool = False


def wait_for_exit(files: ExecFiles, streamer: LineStreamer, process: HostProcess,
                  deadline: float | None) -> ExecOutcome:
    """Stream output until the command ends or ``deadline`` (a monotonic time) passes."""
    interval = POLL_MIN
    while True:
        got_output = streamer.pump()
        code = files.exit_status()
        if code is not None:
            return ExecOutcome(code)
        if not process.alive():
            # the wrapper may have written the status just before it exited
            return ExecOutcome(files.exit_status())
        if deadline is not None and time.monotonic() >= deadline:
            return ExecOutcome(None, timed_out=True)
        interval = POLL_MIN if got_output else min(interval * 2, POLL_MAX)
        if deadline is not None:
            interval = max(0.0, min(interval, deadline - time.monotonic()))
        time.sleep(interval)


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


def raise_if_full(record: TrackedContainer, argv: Sequence[str],
                  cause: BaseException | None = None) -> None:
    """Raise ``DiskFull`` when a disk the container writes to has no space left.

    With an ``OSError`` ``cause`` only for ENOSPC or EDQUOT, and then even when
    the space is back by the time we look.
    """
    if isinstance(cause, OSError) and cause.errno not in (errno.ENOSPC, errno.EDQUOT):
        return
    paths = record.writable or (record.control,)
    full = full_filesystems(paths)
    if not full and cause is None:
        return
    path, free = full[0] if full else (paths[0], 0)
    raise DiskFull(f"the disk is full: no space left for {path} ({free // 1024} KiB free)",
                   container=record.ref.name, command=list(argv),
                   hint="the build needs more room than the builder's workdir has; "
                        "free space there or give the builder a larger disk") from cause


def judge(record: TrackedContainer, outcome: ExecOutcome, result: ExecResult,
          limit: float | None, kind: str, check: bool) -> None:
    """Raise the error an exec that ended with ``outcome`` is (none for a good one).

    ``limit`` and ``kind`` are the time limit the exec ran under and whose it
    was (``exec`` or ``container``); ``check`` makes a non-zero exit an error.
    """
    name, argv = record.ref.name, list(result.argv)
    if outcome.exit_code is None or not result.ok:
        raise_if_full(record, argv)
    if outcome.timed_out:
        what = "the container's deadline" if kind == "container" else "its timeout"
        raise ContainerTimeout(
            f"the command ran longer than {what} of {limit:.0f} s and was stopped",
            container=name, command=argv, timeout=limit or 0.0, kind=kind,
            hint="raise the timeout in the configuration or find why the build hangs")
    if outcome.exit_code is None and record.past_deadline():
        raise ContainerTimeout(
            "the container reached its deadline and was stopped while the command ran",
            container=name, command=argv, timeout=limit or 0.0, kind="container",
            hint="raise the timeout in the configuration or find why the build takes so long")
    if outcome.exit_code is None:
        raise ExecFailed("the command ended without an exit status (killed, or its "
                         "container stopped)", container=name, command=argv,
                         hint="look at the end of its log and at the container's state")
    if check and not result.ok:
        raise ExecFailed(f"the command failed with exit status {result.exit_code}",
                         container=name, command=argv, exit_code=result.exit_code,
                         hint="see its log for the reason")
