"""What the repository task handlers share: the koji volume check, container, logs, uploads.

``RepoTaskHandler`` is the base of newRepo, createrepo, distRepo and
createdistrepo.  These tasks read ``topdir`` (repos and packages) directly, as
kojid does; a host without the koji volume refuses them softly so that another
builder of the createrepo channel takes them (contract 7.3).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import koji
from koji.tasks import RefuseTask

from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.repos.runner import (HostRepoTools, RepoContainer,
                                        RepoContainerParams, RepoTools)
from koji_adjutant.resources import ResourcedTaskHandler

logger = logging.getLogger("koji.build.repos")


class RepoTaskHandler(ResourcedTaskHandler):
    """Base class of the repository task handlers."""

    def volume_dir(self, subdir: str = "repos") -> Path:
        """``topdir/<subdir>``; refuse the task (softly) when it is not there."""
        path = Path(self.options.topdir, subdir)
        if not path.is_dir():
            raise RefuseTask(f"No access to {subdir} dir {path}: this builder needs the koji "
                             f"volume mounted at topdir={self.options.topdir}")
        return path

    def pathinfo(self) -> koji.PathInfo:
        return koji.PathInfo(topdir=self.options.topdir)

    def repo_in_init(self, repo_id: int) -> dict:
        """The repo (``repoInfo``), which must still be INIT."""
        return self.hub.repo_in_init(repo_id)

    def task_logs(self) -> TaskLogs:
        return self.resources.logs

    def repo_container(self, tag_id: int, event: int | None, arch: str, outdir: Path, *,
                       read_only: tuple[str, ...] = (), network: bool = False) -> RepoTools:
        """Where the task's tools run for ``arch``: a container, or the host (use it as a
        context manager)."""
        adj = self.options.adjutant
        choice = self.resources.repo_image(tag_id, event, arch)
        logs = self.task_logs()
        params = RepoContainerParams(
            image=choice.image if choice else None, task_id=self.id, method=self.method,
            topdir=self.options.topdir, outdir=outdir, read_only=read_only,
            network=adj.network_mode if network else "none",
            timeout=self.options.rpmbuild_timeout)
        if choice is None:
            logs.append("createrepo_container.log",
                        "tools: createrepo_c and mergerepo_c of this host (no [adjutant] "
                        "repo_image; as kojid)\n")
            return HostRepoTools(params, logs)
        logs.append("createrepo_container.log",
                    f"image: {choice.image} (chosen by {choice.source})\n"
                    f"network: {params.network}\n")
        return RepoContainer(params, self.resources.manager, logs, pull_policy=adj.pull_policy)

    def upload_files(self, directory: Path, relpath: str | None = None) -> list[str]:
        """Upload every regular file directly in ``directory``; their names, sorted."""
        names = sorted(name for name in os.listdir(directory)
                       if (directory / name).is_file() and not (directory / name).is_symlink())
        for name in names:
            self.uploadFile(str(directory / name), relPath=relpath)
        return names
