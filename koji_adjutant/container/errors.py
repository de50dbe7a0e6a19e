"""The errors of the container layer: one small hierarchy under ``ContainerError``.

Every message names the container (when there is one), the command or API call
that failed and what the operator or packager should do next.  The classes also
say what the hub should do with the task, by deriving from the project-wide
classes in :mod:`koji_adjutant.errors`:

* ``RuntimeUnavailable`` is also a ``RetryLater``: podman may come back.
* ``ExecFailed`` and ``ContainerTimeout`` are also ``TaskFailed``: the build
  itself failed or ran too long, which the packager has to look at.
* ``ImageError`` and ``ContainerCreateError`` are plain ``ContainerError``s: the
  site's configuration or the host needs fixing.
"""

from __future__ import annotations

from collections.abc import Sequence

from koji_adjutant.errors import AdjutantError, RetryLater, TaskFailed


def format_command(argv: Sequence[str] | None) -> str:
    """Render an argv list for a message, quoting arguments that contain spaces."""
    if not argv:
        return ""
    return " ".join(repr(arg) if (" " in arg or not arg) else arg for arg in argv)


class ContainerError(AdjutantError):
    """Something went wrong in the container runtime.

    ``what`` says what failed, ``hint`` what to do about it; ``container`` and
    ``command`` (an argv list) are named in the message when given.
    """

    def __init__(self, what: str, *, container: str | None = None,
                 command: Sequence[str] | None = None, hint: str | None = None):
        self.what = what
        self.container = container
        self.command = tuple(command) if command else None
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        context = []
        if self.container:
            context.append(f"container {self.container}")
        if self.command:
            context.append(f"command: {format_command(self.command)}")
        text = self.what
        if context:
            text += f" ({'; '.join(context)})"
        if self.hint:
            text += f": {self.hint}"
        return text

    def __str__(self) -> str:
        return self._render()


class RuntimeUnavailable(ContainerError, RetryLater):
    """The podman API service cannot be reached (socket missing, service down)."""


class RuntimeDenied(RuntimeUnavailable):
    """The podman API socket is there, but this user may not open it (permission denied)."""


class ImageError(ContainerError):
    """An image is missing locally and may not be pulled, or the pull failed."""

    def __init__(self, what: str, *, image: str, hint: str | None = None):
        self.image = image
        super().__init__(what, hint=hint)


class ContainerCreateError(ContainerError):
    """A container could not be created or started (bad mount, bad option, ...)."""


class ExecFailed(ContainerError, TaskFailed):
    """A command in a container failed, or could not be run to completion."""

    def __init__(self, what: str, *, container: str | None = None,
                 command: Sequence[str] | None = None, hint: str | None = None,
                 exit_code: int | None = None):
        self.exit_code = exit_code
        super().__init__(what, container=container, command=command, hint=hint)


class DiskFull(ExecFailed):
    """A command failed while a disk it writes to (a writable mount, the control
    directory) had no space left: the disk, not the build, is the reason."""


class ContainerTimeout(ContainerError, TaskFailed):
    """A command outlived its own timeout or the container's whole deadline.

    ``kind`` is ``"exec"`` (the per-command timeout) or ``"container"`` (the
    deadline of the whole container, kojid's ``rpmbuild_timeout``).
    """

    def __init__(self, what: str, *, container: str | None = None,
                 command: Sequence[str] | None = None, hint: str | None = None,
                 timeout: float, kind: str = "exec"):
        self.timeout = timeout
        self.kind = kind
        super().__init__(what, container=container, command=command, hint=hint)
