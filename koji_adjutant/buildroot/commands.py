"""The one way a task runs a command, in its container or on the host: logged, streamed, timed.

``ContainerCommands.run`` is the path from a buildroot (``Buildroot.run``) or
a repo task's container (``RepoContainer.run``) to ``ContainerManager.exec``;
``HostCommands.run`` runs a repo task's tools on the builder host, as kojid
does, when no repo image is configured (``HostRepoTools``).
With a named task log, the command line goes into it first, the output is
streamed into it through ``TaskLogs.sink`` (files kept open, capped by
``log_limit``) and the exit status, with the time the command took, comes
last.  With a callable instead (a query whose output the daemon reads), the
lines go to it and nothing is logged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container import ContainerManager, ContainerRef, ExecResult
from koji_adjutant.container.errors import ExecFailed

# The last line of a command's log: its status and how long it ran in the container.
TRAILER = "+ exit status "
NOT_FOUND = 127  # a shell's status for a command that does not exist


class ContainerCommands:
    """Runs commands in containers of ``manager`` with their output in ``logs``."""

    def __init__(self, manager: ContainerManager, logs: TaskLogs):
        self.manager = manager
        self.logs = logs

    def run(self, container: ContainerRef, argv: Sequence[str], *,
            log: str | Callable[[str], None], user: str | None = None,
            workdir: str | None = None, env: Mapping[str, str] | None = None,
            timeout: float | None = None, check: bool = False) -> ExecResult:
        """Run ``argv``; its output into task log ``log`` (or to the callable ``log``).

        ``check`` makes a non-zero exit status an ``ExecFailed``.
        """
        if not isinstance(log, str):
            return self.manager.exec(container, list(argv), user=user, workdir=workdir,
                                     env=env, timeout=timeout, log=log, check=check)
        self.logs.command(log, argv, user)
        try:
            result = self.manager.exec(container, list(argv), user=user, workdir=workdir,
                                       env=env, timeout=timeout, log=self.logs.sink(log),
                                       check=check)
        except ExecFailed as exc:
            if exc.exit_code is not None:
                self.logs.append(log, f"{TRAILER}{exc.exit_code}\n")
            raise
        self.logs.append(log, f"{TRAILER}{result.exit_code} after {result.duration:.2f} s\n")
        return result


class HostCommands:
    """Runs commands on the builder host with their output in ``logs`` (repo tools, as kojid).

    The same log shape as ``ContainerCommands``; the command gets no standard
    input and its own process group, which is killed at ``timeout`` or when
    the logs refuse more output (``log_limit``).
    """

    def __init__(self, logs: TaskLogs):
        self.logs = logs

    def run(self, argv: Sequence[str], *, log: str | Callable[[str], None],
            workdir: str | None = None, env: Mapping[str, str] | None = None,
            timeout: float | None = None) -> ExecResult:
        """Run ``argv``; its output into task log ``log`` (or to the callable ``log``)."""
        sink = log
        if isinstance(log, str):
            self.logs.command(log, argv)
            sink = self.logs.sink(log)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    cwd=workdir, env=None if env is None else dict(env),
                                    start_new_session=True)
        except FileNotFoundError:
            # what a shell reports for a missing command: the caller names the fix
            sink(f"{argv[0]}: command not found")
            return self._ended(argv, log, NOT_FOUND, started, 1)
        lines, timed_out = _stream(proc, sink, timeout)
        status = proc.wait()
        if timed_out:
            raise ExecFailed(f"{argv[0]} ran longer than its timeout of {timeout:.0f} s and "
                             f"was stopped", command=list(argv),
                             hint="raise rpmbuild_timeout or find why it hangs")
        return self._ended(argv, log, status, started, lines)

    def _ended(self, argv, log, status: int, started: float, lines: int) -> ExecResult:
        result = ExecResult("host", tuple(argv), status, time.monotonic() - started, lines)
        if isinstance(log, str):
            self.logs.append(log, f"{TRAILER}{status} after {result.duration:.2f} s\n")
        return result


def _stream(proc: subprocess.Popen, sink, timeout: float | None) -> tuple[int, bool]:
    """Hand ``proc``'s output lines to ``sink``; (lines, whether the timeout stopped it)."""
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        _kill_group(proc)

    timer = threading.Timer(timeout, stop) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    lines = 0
    try:
        if hasattr(sink, "write"):  # a task log's sink takes many whole lines at once
            lines = _stream_chunks(proc.stdout, sink)
        else:
            for raw in proc.stdout:
                sink(raw.decode("utf-8", errors="replace").rstrip("\n"))
                lines += 1
    except BaseException:
        _kill_group(proc)  # a full log or an interrupt: nothing keeps running unobserved
        proc.wait()
        raise
    finally:
        if timer:
            timer.cancel()
        proc.stdout.close()
    return lines, expired.is_set()


def _stream_chunks(stdout, sink) -> int:
    """Whole lines to ``sink.write`` as they arrive (createrepo_c -vd prints one per
    package: a write per line would cost more than the command); how many lines."""
    lines, partial = 0, b""
    while chunk := stdout.read1(1 << 16):
        data = partial + chunk
        end = data.rfind(b"\n") + 1
        partial = data[end:]
        if end:
            sink.write(data[:end])
            lines += data.count(b"\n", 0, end)
            sink.tick()
    if partial:
        sink.write(partial + b"\n")
        lines += 1
    return lines


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
