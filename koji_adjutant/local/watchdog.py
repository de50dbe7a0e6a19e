"""A local run's watchdog: a small process that cleans up after the run when the run dies.

``start(cleanup)`` forks a child that

* calls ``os.setsid``, so that what the terminal sends to the run's session
  (Ctrl-C, the hang-up when the window is closed) does not reach it, and
  ignores SIGTERM, which usually goes to a whole cgroup at once;
* points its standard streams at ``/dev/null``, so that it never keeps the
  run's terminal, or a caller's pipe, open;
* blocks reading a pipe whose only write end the run holds.

What it reads decides what it does:

* one byte, written by ``Watchdog.dismiss`` when the run ended and cleaned up
  after itself: it exits at once and the run reaps it;
* end of file without that byte: the run died without cleaning up (SIGKILL,
  a crash, an unhandled signal), since the kernel closes a dead process's
  pipe.  It calls ``cleanup`` (remove the run's containers and scratch
  directory, see leftovers.py) and exits.

The run forks it before it opens any connection or starts any thread; the
child leaves with ``os._exit`` and never returns into the run's code.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import NoReturn

DISMISSED = b"."


class Watchdog:
    """The run's end of its watchdog: the pipe's write end and the child's pid."""

    def __init__(self, pid: int, write_fd: int):
        self.pid = pid
        self._write_fd = write_fd

    def dismiss(self) -> None:
        """Tell the watchdog that the run cleaned up itself, and reap it."""
        if self._write_fd < 0:
            return
        try:
            os.write(self._write_fd, DISMISSED)
        except BrokenPipeError:
            pass  # the watchdog is gone already (killed): there is nothing to tell
        finally:
            os.close(self._write_fd)
            self._write_fd = -1
        os.waitpid(self.pid, 0)


def start(cleanup: Callable[[], object]) -> Watchdog:
    """Fork the watchdog; it calls ``cleanup`` if this process dies before ``dismiss``."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        _watch(read_fd, write_fd, cleanup)
    os.close(read_fd)
    return Watchdog(pid, write_fd)


def _watch(read_fd: int, write_fd: int, cleanup: Callable[[], object]) -> NoReturn:
    status = 1
    try:
        # the run must hold the only write end, or its death would not end the read
        os.close(write_fd)
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _detach_stdio()
        if os.read(read_fd, 1) != DISMISSED:
            cleanup()
        status = 0
    finally:
        # whatever happened, never unwind into the run's frames (its finally blocks
        # would remove the run's containers a second time, or print its output twice)
        os._exit(status)


def _detach_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
