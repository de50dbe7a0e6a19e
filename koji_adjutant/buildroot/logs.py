"""A task's logs: files on the host, streamed to the hub while the task runs.

``TaskLogs`` owns one directory of ``*.log`` files and the open handles it
appends through.  Lines from commands are appended as they arrive, buffered
(the sink's ``tick``, at every poll of the exec layer, flushes them); at most once
per ``interval`` seconds (and at every ``sync``) the new bytes of every file are
uploaded with koji's ``incremental_upload``, so ``koji watch-logs`` shows a
build while it runs.  A file that was rewritten (shorter, or a new inode) is
uploaded again from the start, as kojid does.  ``state.log`` gets timed
Start/Finish lines per phase.

``limit`` caps the task's logs: all its files together.  Output of a command
that would take them past it is not written; the log gets one line saying where
it was cut and the sink raises ``LogLimitExceeded``, which makes the exec layer
stop the command's process tree and fails the task.  So the files, and what
reaches the hub, never hold more than the limit plus the daemon's own few
lines (commands, phases), which are never cut.
"""

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from koji_adjutant.config.values import render_size
from koji_adjutant.errors import LogLimitExceeded


class LogUploader(Protocol):
    """Sends the new bytes of a log file to the hub (``koji_adjutant.hub.HubLogUploader``)."""

    def upload_new_bytes(self, path: Path) -> None: ...
    def close(self) -> None: ...


class TaskLogs:
    """The log files of one task, uploaded incrementally through ``uploader``.

    ``limit`` is the most bytes commands may fill the files with (None: no limit).
    """

    def __init__(self, directory: Path, uploader: LogUploader | None = None,
                 interval: float = 1.0, echo: Callable[[str, str], None] | None = None,
                 limit: int | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.uploader = uploader
        self.interval = interval
        self.echo = echo
        self.limit = limit
        self._cut_message: str | None = None  # set once output was cut
        self._files: dict[str, BinaryIO] = {}
        self._size = sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())
        self._last_sync = 0.0

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def names(self) -> list[str]:
        """Every log file written so far (what a task result lists)."""
        return sorted(p.name for p in self.directory.iterdir() if p.is_file())

    def append(self, name: str, text: str) -> None:
        """Append the daemon's own text (never cut: the daemon writes little)."""
        self._add(name, text.encode("utf-8", errors="replace"))
        self._files[name].flush()

    def output(self, name: str, data: bytes) -> None:
        """Append whole lines of a command's output; past ``limit``, cut the logs.

        Of lines that do not all fit, those that do are kept.  The text is kept
        valid UTF-8, and buffered (``flush`` makes it visible): a command may
        print millions of lines.
        """
        data = data.decode("utf-8", errors="replace").encode("utf-8")
        if self._cut_message is None:
            room = None if self.limit is None else self.limit - self._size
            if room is None or len(data) <= room:
                self._add(name, data)
                return
            self._add(name, data[:data.rfind(b"\n", 0, room) + 1])
        self._cut(name)

    def write(self, name: str, text: str) -> None:
        """Replace a whole log file (e.g. installed_pkgs.log)."""
        handle = self._files.pop(name, None)
        if handle is not None:
            handle.close()
        path, tmp = self.path(name), self.path(name + ".tmp")
        old = path.stat().st_size if path.exists() else 0
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        self._size += path.stat().st_size - old
        self.maybe_sync()

    def sink(self, name: str) -> "LineSink":
        """A line sink for ``ContainerManager.exec`` writing into ``name``."""
        return LineSink(self, name)

    def command(self, name: str, argv, user: str | None = None) -> None:
        """Record the command about to run, as the first line of its output."""
        who = f" (as {user})" if user else ""
        self.append(name, f"+ {' '.join(str(a) for a in argv)}{who}\n")

    @contextlib.contextmanager
    def phase(self, what: str) -> Iterator[None]:
        """Time a phase into state.log: ``Start: what`` ... ``Finish: what`` or ``Failed:``."""
        started = time.monotonic()
        self.append("state.log", f"{_stamp()} Start: {what}\n")
        try:
            yield
        except BaseException:
            took = time.monotonic() - started
            self.append("state.log", f"{_stamp()} Failed: {what} ({took:.1f} s)\n")
            raise
        took = time.monotonic() - started
        self.append("state.log", f"{_stamp()} Finish: {what} ({took:.1f} s)\n")

    def flush(self) -> None:
        """Put every buffered line into its file."""
        for handle in self._files.values():
            handle.flush()

    def maybe_sync(self) -> None:
        if time.monotonic() - self._last_sync >= self.interval:
            self.sync()

    def sync(self) -> None:
        """Upload what is new in every log file now."""
        self._last_sync = time.monotonic()
        self.flush()
        if self.uploader is None:
            return
        for name in self.names:
            if not name.endswith(".tmp"):
                self.uploader.upload_new_bytes(self.path(name))

    def _add(self, name: str, data: bytes) -> None:
        handle = self._files.get(name)
        if handle is None:
            handle = self._files[name] = open(self.path(name), "ab")  # noqa: SIM115 - kept
        handle.write(data)
        self._size += len(data)
        if self.echo:
            self.echo(name, data.decode("utf-8", errors="replace"))
        self.maybe_sync()

    def _cut(self, name: str) -> None:
        """End ``name`` with a line saying where it was cut; raise ``LogLimitExceeded``.

        Once cut, the logs stay cut: every later command output raises the same error.
        """
        if self._cut_message is None:
            limit = render_size(self.limit or 0)
            self.append(name, f"koji-adjutant: the log was cut at {self._size} bytes: the "
                              f"task's logs reached log_limit ({limit}); the command was "
                              f"stopped\n")
            what = "the build" if name == "build.log" else f"the command writing {name}"
            self._cut_message = (f"the task's logs exceeded log_limit ({limit}); {what} was "
                                 f"stopped; see {name}")
        raise LogLimitExceeded(self._cut_message)


class LineSink:
    """Appends a command's output to one log; its ``tick`` keeps uploads current.

    A binary sink for the exec layer: ``write`` takes bytes of whole lines, one
    or many at a time; calling it with a ``str`` line (no newline) also works.
    The container layer calls ``tick`` at every poll, so the last lines before a
    quiet stretch (a long compile, a sleep) reach the file at once and the hub
    within ``interval``.  Past the task's ``limit`` a call raises
    ``LogLimitExceeded``, and the exec layer stops the command.
    """

    def __init__(self, logs: TaskLogs, name: str):
        self.logs = logs
        self.name = name

    def __call__(self, line: str) -> None:
        self.logs.output(self.name, line.encode("utf-8", errors="replace") + b"\n")

    def write(self, data: bytes) -> None:
        self.logs.output(self.name, data)

    def tick(self) -> None:
        self.logs.flush()
        self.logs.maybe_sync()


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")
