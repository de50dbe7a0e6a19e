"""What one task uses besides its parameters, assembled in one place.

``TaskResources`` gives a task handler (a buildroot task or a repo task) its
image (the hub's policy for the tag, method and arch), its logs (a directory
in the task's workdir, uploaded to the task's upload dir on the hub while the
task runs, capped at ``log_limit``) and its container manager (opened in the
task's own process, journaled for the monitor), and closes what it opened when
the task ends (``close``; in the daemon after the containers whose removal
waits for the task's result are gone, ADR 0010).  ``ResourcedTaskHandler`` is
the base of the handlers that use them.
"""

from __future__ import annotations

from pathlib import Path

from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container.scope import close_when_done
from koji_adjutant.container.factory import open_task_manager
from koji_adjutant.hub import Hub, HubTaskHandler
from koji_adjutant.policy import ImageChoice, PolicyResolver


class TaskResources:
    """The image, logs and container manager of task ``task_id`` (module docstring)."""

    def __init__(self, hub: Hub, options, *, task_id: int, method: str, workdir: Path,
                 upload_dir: str):
        self.hub = hub
        self.options = options
        self.task_id = task_id
        self.method = method
        self.workdir = Path(workdir)
        self.upload_dir = upload_dir
        self._logs: TaskLogs | None = None
        self._manager = None

    def image(self, tag, event: int | None, arch: str) -> ImageChoice:
        """The image the hub's policy gives this task's method for ``tag`` and ``arch``."""
        return PolicyResolver.from_options(self.hub, self.options.adjutant).resolve(
            tag, event, self.method, arch)

    @property
    def logs(self) -> TaskLogs:
        """The task's logs (made once), streamed to the hub."""
        if self._logs is None:
            self._logs = TaskLogs(self.workdir / "logs", self.hub.log_uploader(self.upload_dir),
                                  limit=self.options.adjutant.log_limit)
        return self._logs

    @property
    def manager(self):
        """The task's container manager (opened once, in this process)."""
        if self._manager is None:
            self._manager = open_task_manager(self.options, self.hub.this_host()["name"],
                                              self.task_id)
        return self._manager

    def close(self) -> None:
        """Close the container manager once the task's containers are gone."""
        if self._manager is not None:
            close_when_done(self._manager)
            self._manager = None


class ResourcedTaskHandler(HubTaskHandler):
    """A task handler with ``self.resources``, closed when the task's run ends."""

    @property
    def resources(self) -> TaskResources:
        if getattr(self, "_resources", None) is None:
            self._resources = TaskResources(self.hub, self.options, task_id=self.id,
                                            method=self.method, workdir=Path(self.workdir),
                                            upload_dir=self.getUploadDir())
        return self._resources

    def run(self):
        try:
            return super().run()
        finally:
            if getattr(self, "_resources", None) is not None:
                self._resources.close()
