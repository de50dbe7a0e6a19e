"""The one way a task runs a command in its container: logged, streamed, timed.

``ContainerCommands.run`` is the path from a buildroot (``Buildroot.run``) or
a repo task's container (``RepoContainer.run``) to ``ContainerManager.exec``.
With a named task log, the command line goes into it first, the output is
streamed into it through ``TaskLogs.sink`` (files kept open, capped by
``log_limit``) and the exit status, with the time the command took, comes
last.  With a callable instead (a query whose output the daemon reads), the
lines go to it and nothing is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container import ContainerManager, ContainerRef, ExecResult
from koji_adjutant.container.errors import ExecFailed

# The last line of a command's log: its status and how long it ran in the container.
TRAILER = "+ exit status "


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
