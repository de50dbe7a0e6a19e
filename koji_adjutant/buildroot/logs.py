"""A task's logs: files on the host, streamed to the hub while the task runs.

``TaskLogs`` owns one directory of ``*.log`` files.  Lines from commands are
appended as they arrive; at most once per ``interval`` seconds (and at every
``sync``) the new bytes of every file are uploaded with koji's
``incremental_upload``, so ``koji watch-logs`` shows a build while it runs.
A file that was rewritten (shorter, or a new inode) is uploaded again from the
start, as kojid does.  ``state.log`` gets timed Start/Finish lines per phase.
"""

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import koji.daemon

logger = logging.getLogger("koji.build.buildroot")


class HubLogUploader:
    """Uploads new bytes of log files into a task's upload directory on the hub."""

    def __init__(self, session, upload_path: str):
        self.session = session
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


class TaskLogs:
    """The log files of one task, uploaded incrementally through ``uploader``."""

    def __init__(self, directory: Path, uploader: HubLogUploader | None = None,
                 interval: float = 1.0, echo: Callable[[str, str], None] | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.uploader = uploader
        self.interval = interval
        self.echo = echo
        self._last_sync = 0.0

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def names(self) -> list[str]:
        """Every log file written so far (what a task result lists)."""
        return sorted(p.name for p in self.directory.iterdir() if p.is_file())

    def append(self, name: str, text: str) -> None:
        with open(self.path(name), "a", encoding="utf-8", errors="replace") as f:
            f.write(text)
        if self.echo:
            self.echo(name, text)
        self.maybe_sync()

    def write(self, name: str, text: str) -> None:
        """Replace a whole log file (e.g. installed_pkgs.log)."""
        tmp = self.path(name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path(name))
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

    def maybe_sync(self) -> None:
        if time.monotonic() - self._last_sync >= self.interval:
            self.sync()

    def sync(self) -> None:
        """Upload what is new in every log file now."""
        self._last_sync = time.monotonic()
        if self.uploader is None:
            return
        for name in self.names:
            if not name.endswith(".tmp"):
                self.uploader.upload_new_bytes(self.path(name))


class LineSink:
    """Appends each line of a command to one log; its ``tick`` keeps uploads current.

    The container layer calls ``tick`` at every poll, so the last lines before a
    quiet stretch (a long compile, a sleep) reach the hub within ``interval``.
    """

    def __init__(self, logs: TaskLogs, name: str):
        self.logs = logs
        self.name = name

    def __call__(self, line: str) -> None:
        self.logs.append(self.name, line + "\n")

    def tick(self) -> None:
        self.logs.maybe_sync()


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")
