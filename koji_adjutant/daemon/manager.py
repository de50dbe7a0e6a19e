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
  ``mockdir`` when that exists (kojid's readiness check, contract 1.11);
* the host is not ready while the container runtime does not answer, and a task
  that loses the runtime is refused (another builder, or this one later, runs it)
  rather than failed: a dead podman is not the packager's problem;
* a forked task process stops when the main process dies, and a hub refusing its
  calls (cancelled, session taken over) is one log line (``daemon/taskproc.py``).
"""

import functools
import logging
import os
from collections.abc import Callable

import koji
import koji.daemon
import koji.tasks

from koji_adjutant.container.errors import RuntimeUnavailable
from koji_adjutant.container.scope import removal_after_result
from koji_adjutant.daemon import taskproc

logger = logging.getLogger("koji.TaskManager")

# Called with a task id to remove that task's containers; None removes every
# container of this host.  Returns how many were removed.
Sweeper = Callable[[int | None], int]
# Returns why the container runtime cannot be used now, or None when it answers.
RuntimeCheck = Callable[[], str | None]
# Removes the containers of tasks not in the given set; returns how many.
OrphanSweeper = Callable[[set[int]], int]


class AdjutantTaskManager(koji.daemon.TaskManager):
    """``koji.daemon.TaskManager`` for a builder whose buildroots are containers."""

    def __init__(self, options, session, sweeper: Sweeper | None = None,
                 runtime_check: RuntimeCheck | None = None,
                 orphan_sweeper: OrphanSweeper | None = None):
        super().__init__(options, session)
        self.sweeper = sweeper
        self.runtime_check = runtime_check
        self.orphan_sweeper = orphan_sweeper
        self.runtime_down = False
        self.host_name: str | None = None
        # the pid that forks task processes (set at each fork: --daemon forks after __init__)
        self.main_pid: int | None = None
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
        return _removing(f"task {task_id}" if task_id else "this host",
                         lambda: self.sweeper(task_id))

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

    def forkTask(self, handler):
        self.main_pid = os.getpid()
        return super().forkTask(handler)

    def runTask(self, handler):
        handler.run = refusing_on_runtime_loss(handler.run)
        run_and_report = functools.partial(super().runTask, handler)
        if self.main_pid is not None and os.getpid() != self.main_pid:  # a task process
            # the handler's own calls, and koji's closeTask/failTask after it
            handler.run = taskproc.stopping_when_disowned(handler.run, handler.id)
            run_and_report = taskproc.stopping_when_disowned(run_and_report, handler.id)
            taskproc.quiet_disowned_tracebacks()
            taskproc.watch_main_process(self.main_pid, handler.id)
        # the task's containers are removed once its result is on the hub (ADR 0010)
        with removal_after_result():
            run_and_report()

    def readyForTask(self):
        if not super().readyForTask():
            return False
        problem = self.runtime_check() if self.runtime_check is not None else None
        if problem:
            if not self.runtime_down:
                logger.warning("not taking tasks while the container runtime does not "
                               "answer: %s", problem)
            self.runtime_down = True
            self.status = f"container runtime unavailable: {problem}"
            return False
        if self.runtime_down:
            self.runtime_down = False
            logger.warning("the container runtime answers again: taking tasks")
            self._sweep_orphans()
        return True

    def _sweep_orphans(self) -> None:
        """Remove containers left by tasks that lost the runtime: those of tasks not held."""
        if self.orphan_sweeper is not None:
            _removing("ended tasks", lambda: self.orphan_sweeper(set(self.tasks)))

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


def _removing(whose: str, remove: Callable[[], int]) -> int:
    """Run a container sweep; log what it removed, or why it could not (never raises)."""
    try:
        removed = remove()
    except koji.GenericError as exc:
        logger.warning("could not remove containers of %s: %s", whose, exc)
        return 0
    if removed:
        logger.info("removed %d container(s) of %s", removed, whose)
    return removed


def refusing_on_runtime_loss(run: Callable[[], object]) -> Callable[[], object]:
    """Wrap a handler's ``run`` so that losing the container runtime refuses the task.

    koji's ``runTask`` hands a ``RefuseTask`` back to the hub (``host.refuseTask``): the
    task goes back to the queue for another builder, or for this one once the runtime
    answers again, instead of failing the packager's build.
    """
    def run_or_refuse():
        try:
            return run()
        except RuntimeUnavailable as exc:
            raise koji.tasks.RefuseTask(f"the container runtime on this builder does not "
                                        f"answer: {exc.what}") from exc
    return run_or_refuse
