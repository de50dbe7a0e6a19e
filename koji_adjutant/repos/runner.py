"""Where a repository task runs createrepo_c / mergerepo_c: a container, or the host.

One per task, used as a context manager.  ``HostRepoTools`` runs the tools on
the builder host, as kojid does (no ``[adjutant] repo_image`` and no tag
policy for the method, ADR 0007).  ``RepoContainer`` runs them in a container
(of ``repo_image``, or the image the tag's ``adjutant.image.<method>`` names),
created on entry and always removed on exit.  The koji volume ``topdir`` is mounted read-only at
the same path, so ``toplink`` symlinks and ``file://`` URLs resolve as on the
host; the task's output directory is the only writable mount.  There is no
network unless ``network`` names one (an external repo reached over http(s)).
Either way every command goes through ``buildroot.commands``: written into its
task log first, its output streamed there, its exit status and duration last;
a tool that is missing fails the task with a message that says where it
looked and how to fix it.
"""

from __future__ import annotations

import abc
import contextlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.buildroot.commands import NOT_FOUND, ContainerCommands, HostCommands
from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container import (NETWORK_HOST, ContainerManager, ContainerSpec,
                                     ExecResult, Mount, Security, TaskIdentity, Timeouts,
                                     task_container)
from koji_adjutant.container.errors import ContainerError, RuntimeUnavailable
from koji_adjutant.container.idmap import chown_tree
from koji_adjutant.errors import TaskFailed

TAIL_LINES = 5
# Lines of createrepo_c / mergerepo_c output that say what went wrong.
ERROR_WORDS = re.compile(r"error|cannot|critical|failed|not found", re.IGNORECASE)


@dataclass(frozen=True)
class RepoContainerParams:
    """What a repo task's container is: image, identity, mounts and network.

    ``image`` None: no container, the host's tools (``HostRepoTools``).
    """

    image: str | None
    task_id: int
    method: str
    topdir: str
    outdir: Path                     # writable, mounted at the same path
    read_only: tuple[str, ...] = ()  # more host dirs to read (file:// external repos)
    network: str = "none"
    timeout: float | None = None

    def spec(self) -> ContainerSpec:
        mounts = [Mount(Path(self.topdir), self.topdir, read_only=True),
                  Mount(self.outdir, str(self.outdir))]  # handed over before each command
        mounts += [Mount(Path(d), d, read_only=True) for d in self.read_only]
        return ContainerSpec(
            image=self.image, task=TaskIdentity(self.task_id, self.method),
            environment={"LANG": "C.UTF-8", "TMPDIR": str(self.outdir / "tmp")},
            workdir=str(self.outdir), mounts=tuple(mounts), network=self.network,
            security=Security(cap_drop=("ALL",), user_namespace=self.network != NETWORK_HOST),
            hostname="koji-createrepo",
            timeouts=Timeouts(container=self.timeout))


class RepoTools(abc.ABC):
    """What both places offer a repo task: run, check, output, and the failure's tail."""

    where = ""  # for messages: "in image X", "on this host"
    fix = ""    # how to get the tools there

    def __init__(self, params: RepoContainerParams, logs: TaskLogs):
        self.params = params
        self.logs = logs

    @abc.abstractmethod
    def run(self, argv: Sequence[str], log) -> ExecResult:
        """Run ``argv`` with its output in task log ``log`` (or to a callable)."""

    def output(self, argv: Sequence[str]) -> str:
        """The output of a short query command (e.g. ``createrepo_c --version``)."""
        lines: list[str] = []
        self._found(argv, self.run(argv, lines.append), "")
        return "\n".join(lines)

    def check(self, argv: Sequence[str], log: str, what: str) -> ExecResult:
        """Run ``argv``; a non-zero status fails the task with the tail of the log."""
        result = self._found(argv, self.run(argv, log), f" (see {log})")
        if not result.ok:
            self.logs.sync()
            raise TaskFailed(f"{what} failed (exit status {result.exit_code}): "
                             f"{self.tail(log)} (see {log})")
        return result

    def _found(self, argv: Sequence[str], result: ExecResult, see: str) -> ExecResult:
        if result.exit_code == NOT_FOUND:
            self.logs.sync()
            raise TaskFailed(f"{argv[0]} is not installed {self.where}: {self.fix}{see}")
        return result

    def tail(self, log: str) -> str:
        """The error lines of a task log (else its last lines), joined for a message."""
        path = self.logs.path(log)
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()
                 if line.strip()] if path.exists() else []
        lines = [line for line in lines if not line.startswith("+ ")]  # command, trailer
        errors = [line for line in lines if ERROR_WORDS.search(line)]
        return " | ".join((errors or lines)[-TAIL_LINES:]) or "(no output)"


class RepoContainer(RepoTools):
    """A running repo-task container and the task's logs (see the module docstring)."""

    def __init__(self, params: RepoContainerParams, manager: ContainerManager,
                 logs: TaskLogs, pull_policy: str | None = None):
        super().__init__(params, logs)
        self.manager = manager
        self.pull_policy = pull_policy
        self.container = None
        self.where = f"in image {params.image}"
        self.fix = (f"use an image with createrepo_c and mergerepo_c ([adjutant] repo_image, "
                    f"or the tag extra adjutant.image.{params.method})")
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> RepoContainer:
        self._stack.callback(self.logs.sync)
        self.params.outdir.mkdir(parents=True, exist_ok=True)
        (self.params.outdir / "tmp").mkdir(exist_ok=True)
        spec = self.params.spec()
        try:
            self.container = self._stack.enter_context(
                task_container(self.manager, spec, pull_policy=self.pull_policy))
        except RuntimeUnavailable:
            self._stack.close()
            raise  # the task is refused, not failed (daemon.manager)
        except ContainerError as exc:
            self._stack.close()
            raise TaskFailed(f"cannot start the createrepo container from {spec.image}: "
                             f"{exc}") from exc
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def run(self, argv: Sequence[str], log) -> ExecResult:
        self._hand_over()
        return ContainerCommands(self.manager, self.logs).run(
            self.container, argv, log=log, workdir=str(self.params.outdir))

    def _hand_over(self) -> None:
        """Give what the host added to the output dir to the container's root."""
        ids = self.manager.id_map(self.container)
        chown_tree(self.params.outdir, ids.host_uid(0), ids.host_gid(0))


class HostRepoTools(RepoTools):
    """The repo tools of the builder host, run in the task's output dir (as kojid runs them)."""

    where = "on this host"
    fix = ("install createrepo_c (it has mergerepo_c) on the builder, or set [adjutant] "
           "repo_image to an image that has both")

    def __enter__(self) -> HostRepoTools:
        (self.params.outdir / "tmp").mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        self.logs.sync()

    def run(self, argv: Sequence[str], log) -> ExecResult:
        return HostCommands(self.logs).run(argv, log=log, workdir=str(self.params.outdir),
                                           env=self._env(), timeout=self.params.timeout)

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                "TMPDIR": str(self.params.outdir / "tmp")}
