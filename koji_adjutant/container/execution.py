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
log into lines; ``wait_for_exit`` is the polling loop.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.container.manager import LogSink
from koji_adjutant.container.proctree import HostProcess

CONTROL_TARGET = "/run/koji-adjutant"  # where the control directory appears inside
READ_CHUNK = 1 << 20
MAX_LINE = 1 << 20  # a longer line is delivered in pieces of this size
STATUS_MAX = 16  # bytes of a status file that are read at most
POLL_MIN = 0.01
POLL_MAX = 0.05

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
