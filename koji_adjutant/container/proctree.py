"""Host-side view of the processes of an exec: liveness and TERM-then-KILL of a tree.

The podman API reports the host PID of an exec'd process; the daemon runs as
root on the same host, so it can watch that PID in ``/proc`` and signal it and
its descendants when a command outlives its timeout.  A PID is identified
together with its start time, so a recycled PID is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _read_stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, ppid, start time, process group) of ``pid`` from /proc, or None if gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name is in parentheses and may itself contain spaces or ')'
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19]), int(fields[2])


@dataclass(frozen=True)
class HostProcess:
    """A process on this host, named by PID and start time."""

    pid: int
    start_time: int

    @classmethod
    def find(cls, pid: int) -> HostProcess | None:
        """The process now running as ``pid``, or None."""
        stat = _read_stat(pid)
        return cls(pid, stat[2]) if stat else None

    @classmethod
    def gone(cls, pid: int) -> HostProcess:
        """A process that has already ended (never alive, never signalled)."""
        return cls(pid, -1)

    def alive(self) -> bool:
        """True while the process exists and is not a zombie."""
        stat = _read_stat(self.pid)
        return stat is not None and stat[2] == self.start_time and stat[0] != "Z"

    def tree(self) -> list[HostProcess]:
        """This process and all its descendants, parents first."""
        children: dict[int, list[HostProcess]] = {}
        for entry in PROC.iterdir():
            if not entry.name.isdigit():
                continue
            stat = _read_stat(int(entry.name))
            if stat:
                children.setdefault(stat[1], []).append(HostProcess(int(entry.name), stat[2]))
        found, queue = [], [self] if self.alive() else []
        while queue:
            proc = queue.pop(0)
            found.append(proc)
            queue.extend(children.get(proc.pid, []))
        return found

    def group(self) -> int | None:
        """The process group of this very process while it runs, else None."""
        stat = _read_stat(self.pid)
        if stat is None or stat[2] != self.start_time or stat[0] == "Z":
            return None
        return stat[3]

    def signal(self, signum: int) -> None:
        """Send ``signum`` if this very process still runs."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)


def stop_tree(root: HostProcess, grace: float) -> None:
    """SIGTERM ``root`` and its descendants, then SIGKILL whatever is left after ``grace``.

    Descendants are collected before the TERM, because children of a dead parent
    are re-parented to the container's init and could no longer be found. The
    KILL goes first to the process group that podman's exec gives the command (it
    is a session leader), which also reaches a child forked at the last moment,
    then to each known process, parents before children, so that no parent
    outlives its child long enough to start the next command.
    """
    procs = root.tree()
    group = root.pid if root.group() == root.pid else None
    for proc in procs:
        proc.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.alive() for p in procs):
        time.sleep(0.05)
    known = procs + [p for p in root.tree() if p not in procs]
    # the group number cannot be reused while a member runs, so check for one first
    if group is not None and any(p.group() == group for p in known):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    for proc in known:
        proc.signal(signal.SIGKILL)
