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
POLL_MIN = 0.01
POLL_MAX = 0.05

# The wrapper gets the log and status paths and the command as positional
# parameters, never spliced into the script, so no argument is ever re-parsed.
WRAPPER_SCRIPT = ('log=$1; status=$2; shift 2; "$@" >>"$log" 2>&1 </dev/null; '
                  'echo "$?" >"$status"')


@dataclass(frozen=True)
class ExecFiles:
    """The log and status files of one exec, as seen from the host and from inside."""

    host_dir: Path
    stem: str

    @classmethod
    def create(cls, host_dir: Path) -> ExecFiles:
        """Make both files, writable by any user the command may run as."""
        files = cls(host_dir, f"exec-{time.time_ns()}-{secrets.token_hex(3)}")
        for path in (files.host_log, files.host_status):
            path.touch(mode=0o666)
            os.chmod(path, 0o666)  # touch's mode is filtered by the umask
        return files

    @property
    def host_log(self) -> Path:
        return self.host_dir / f"{self.stem}.log"

    @property
    def host_status(self) -> Path:
        return self.host_dir / f"{self.stem}.status"

    def wrapped(self, argv: Sequence[str]) -> list[str]:
        """The argv that runs ``argv`` through the wrapper."""
        return ["/bin/sh", "-c", WRAPPER_SCRIPT, "koji-adjutant-exec",
                f"{CONTROL_TARGET}/{self.stem}.log", f"{CONTROL_TARGET}/{self.stem}.status",
                *argv]

    def exit_status(self) -> int | None:
        """The command's exit status once the wrapper has written it completely."""
        try:
            text = self.host_status.read_text()
        except FileNotFoundError:
            return None
        return int(text) if text.endswith("\n") and text.strip().isdigit() else None

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
        # a sink may ask to be called on every poll, output or not (e.g. to flush uploads)
        self._tick = getattr(sink, "tick", None)
        self.lines = 0

    def pump(self) -> bool:
        """Deliver every complete line written so far; True if anything was read."""
        got = False
        while chunk := self._file.read(READ_CHUNK):
            got = True
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for line in lines:
                self._deliver(line)
            self.lines += len(lines)
        if self._tick is not None:
            self._tick()
        return got

    def finish(self) -> None:
        """Deliver what is left (a last line without newline) and close the file."""
        self.pump()
        if self._partial:
            self._deliver(self._partial)
            self.lines += 1
            self._partial = b""
        self._file.close()


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
