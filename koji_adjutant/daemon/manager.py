"""The task manager: koji's ``TaskManager`` with the mock-specific parts replaced.

The library's manager does scheduling, forking, reaping, reporting and the kill
of a task's process tree.  Some of its assumptions do not hold here:

* buildroots are containers, not mock chroots listed in ``/etc/mock/koji``, so
  the local buildroot scan reports what the daemon's container runtime holds;
* a task's containers are started by the podman service (conmon), not by the
  task process, so killing the process tree does not reach them: every cleanup
  of a task also removes the containers labelled with its id;
* a task's containers are removed after its result is sent, not before;
* free space is checked where task data lands (``workdir``) as well as in
  ``mockdir`` when that exists (kojid's readiness check, contract 1.11).
"""

import logging
import os
from collections.abc import Callable

import koji
import koji.daemon

from koji_adjutant.container.scope import removal_after_result

logger = logging.getLogger("koji.TaskManager")

# Called with a task id to remove that task's containers; None removes every
# container of this host.  Returns how many were removed.
Sweeper = Callable[[int | None], int]


class AdjutantTaskManager(koji.daemon.TaskManager):
    """``koji.daemon.TaskManager`` for a builder whose buildroots are containers."""

    def __init__(self, options, session, sweeper: Sweeper | None = None):
        super().__init__(options, session)
        self.sweeper = sweeper
        self.host_name: str | None = None
        # koji_adjutant.monitor.Monitor when monitoring is on: told of taken and ended tasks
        self.monitor = None

    def register(self, handlers) -> None:
        """Register handler classes from an explicit table (see tasks.registry)."""
        for cls in handlers:
            self.registerHandler(cls)

    def _scanLocalBuildroots(self):
        # Containers are removed with their task; there are no mock roots to age out.
        return {}

    def sweep(self, task_id: int | None = None) -> int:
        """Remove containers of one task (or all of this host's); never raises."""
        if self.sweeper is None:
            return 0
        try:
            removed = self.sweeper(task_id)
        except koji.GenericError as exc:
            logger.warning("could not remove containers of %s: %s",
                           f"task {task_id}" if task_id else "this host", exc)
            return 0
        if removed:
            logger.info("removed %d container(s) of %s", removed,
                        f"task {task_id}" if task_id else "this host")
        return removed

    def takeTask(self, task):
        taken = super().takeTask(task)
        if taken and self.monitor is not None:
            task_id = task["id"]
            self.monitor.task_taken(task_id, self.tasks.get(task_id) or task,
                                    self.pids.get(task_id))
            if task_id not in self.pids:  # a Foreground handler: it has run already
                self.monitor.task_reaped(task_id, self.session)
        return taken

    def updateTasks(self):
        running = set(self.pids)
        super().updateTasks()
        if self.monitor is not None:
            for task_id in sorted(running - set(self.pids)):
                self.monitor.task_reaped(task_id, self.session)

    def runTask(self, handler):
        # the task's containers are removed once its result is on the hub (ADR 0010)
        with removal_after_result():
            super().runTask(handler)

    def cleanupTask(self, task_id, wait=True):
        done = super().cleanupTask(task_id, wait=wait)
        self.sweep(task_id)
        return done

    def shutdown(self):
        try:
            super().shutdown()
        finally:
            # even when the hub is gone and freeTasks fails, no container outlives us
            self.sweep(None)

    def _space_problem(self, path: str) -> str | None:
        stat = os.statvfs(path)
        available_mb = stat.f_bavail * stat.f_bsize // (1024 * 1024)
        if available_mb < self.options.minspace:
            return (f"Insufficient disk space at {path}: {available_mb} MB, "
                    f"{self.options.minspace} MB required")
        return None

    def checkSpace(self):
        paths = [self.options.workdir]
        if os.path.isdir(self.options.mockdir):
            paths.append(self.options.mockdir)
        for path in paths:
            problem = self._space_problem(path)
            if problem:
                self.status = problem
                logger.warning(problem)
                return False
        return True
