"""What one task uses besides its parameters, assembled in one place.

``TaskResources`` gives a task (a buildroot task, a repo task, or a phase of
a local build) its image (``images``: the hub's policy for the tag, method
and arch, or a local build's choice), its logs (a directory, uploaded while
the task runs when there is an ``uploader``, echoed when there is an
``echo``, capped at ``log_limit``), a repository task's tools (``repo_image``:
an image, or None for the host's), its container manager, and its
buildroots (``buildroot``: one ``Buildroot`` wired to all of these).

The manager is opened lazily by ``open_manager``.  A daemon task's resources
own it and close it when the task ends (``close``; after the containers
whose removal waits for the task's result are gone, ADR 0010); a local build
lends its phases the manager of its run, which the run closes.
``TaskResources.for_hub_task`` is the daemon's assembly;
``ResourcedTaskHandler`` is the base of the handlers that use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from koji_adjutant.buildroot.buildroot import Buildroot, BuildrootParams
from koji_adjutant.buildroot.logs import LogUploader, TaskLogs
from koji_adjutant.buildroot.record import BuildrootRecord
from koji_adjutant.container import ContainerManager
from koji_adjutant.container.factory import open_task_manager
from koji_adjutant.container.scope import close_when_done
from koji_adjutant.hub import Hub, HubTaskHandler
from koji_adjutant.policy import ImageChoice, PolicyResolver

# (tag, event, arch) -> the image of the task's method there
ImageSource = Callable[[object, "int | None", str], ImageChoice]
RepoImageSource = Callable[[object, "int | None", str], "ImageChoice | None"]
Echo = Callable[[str, str], None]


@dataclass
class TaskResources:
    """The image, logs, container manager and buildroots of one task (module docstring)."""

    options: object
    logdir: Path
    images: ImageSource
    open_manager: Callable[[], ContainerManager]
    owns_manager: bool = True
    uploader: LogUploader | None = None
    echo: Echo | None = None
    repo_images: RepoImageSource | None = None
    _logs: TaskLogs | None = field(default=None, init=False, repr=False)
    _manager: ContainerManager | None = field(default=None, init=False, repr=False)

    @classmethod
    def for_hub_task(cls, hub: Hub, options, *, task_id: int, method: str, workdir: Path,
                     upload_dir: str) -> TaskResources:
        """A daemon task's: the hub's image policy, logs streamed to its upload dir."""
        policy = PolicyResolver.from_options(hub, options.adjutant)

        def images(tag, event, arch) -> ImageChoice:
            return policy.resolve(tag, event, method, arch)

        def repo_images(tag, event, arch) -> ImageChoice | None:
            return policy.repo_tools(tag, event, method, arch, options.adjutant.repo_image)

        return cls(options, logdir=Path(workdir) / "logs", images=images,
                   open_manager=lambda: open_task_manager(options, hub.this_host()["name"],
                                                          task_id),
                   uploader=hub.log_uploader(upload_dir), repo_images=repo_images)

    def image(self, tag, event: int | None, arch: str) -> ImageChoice:
        """The image this task's method gets for ``tag`` and ``arch``."""
        return self.images(tag, event, arch)

    def repo_image(self, tag, event: int | None, arch: str) -> ImageChoice | None:
        """The image a repository task runs its tools in; None: the host's tools."""
        return self.repo_images(tag, event, arch) if self.repo_images else None

    @property
    def logs(self) -> TaskLogs:
        """The task's logs (made once)."""
        if self._logs is None:
            self._logs = TaskLogs(Path(self.logdir), self.uploader, echo=self.echo,
                                  limit=self.options.adjutant.log_limit)
        return self._logs

    @property
    def manager(self) -> ContainerManager:
        """The task's container manager (opened once, in this process)."""
        if self._manager is None:
            self._manager = self.open_manager()
        return self._manager

    def buildroot(self, params: BuildrootParams, record: BuildrootRecord,
                  workdir: Path) -> Buildroot:
        """A ``Buildroot`` with this task's manager and logs (use it as a context manager)."""
        return Buildroot(params, options=self.options, manager=self.manager, record=record,
                         logs=self.logs, workdir=workdir)

    def close(self) -> None:
        """Close an owned container manager once the task's containers are gone."""
        if self._manager is not None and self.owns_manager:
            close_when_done(self._manager)
        self._manager = None


class ResourcedTaskHandler(HubTaskHandler):
    """A task handler with ``self.resources``, closed when the task's run ends."""

    @property
    def resources(self) -> TaskResources:
        if getattr(self, "_resources", None) is None:
            self._resources = TaskResources.for_hub_task(
                self.hub, self.options, task_id=self.id, method=self.method,
                workdir=Path(self.workdir), upload_dir=self.getUploadDir())
        return self._resources

    def run(self):
        try:
            return super().run()
        finally:
            if getattr(self, "_resources", None) is not None:
                self._resources.close()
