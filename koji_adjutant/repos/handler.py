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
from koji.tasks import BaseTaskHandler, RefuseTask

from koji_adjutant.buildroot.logs import HubLogUploader, TaskLogs
from koji_adjutant.daemon.containers import open_task_manager
from koji_adjutant.policy import PolicyResolver
from koji_adjutant.repos.runner import RepoContainer, RepoContainerParams

logger = logging.getLogger("koji.build.repos")


class RepoTaskHandler(BaseTaskHandler):
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
        repo = self.session.repoInfo(repo_id, strict=True)
        if repo["state"] != koji.REPO_INIT:
            raise koji.GenericError(f"Repo {repo_id} not in INIT state (got "
                                    f"{koji.REPO_STATES[repo['state']]})")
        return repo

    def task_logs(self) -> TaskLogs:
        if not hasattr(self, "_logs"):
            self._logs = TaskLogs(Path(self.workdir) / "logs",
                                  HubLogUploader(self.session, self.getUploadDir()),
                                  limit=self.options.adjutant.log_limit)
        return self._logs

    def repo_container(self, tag_id: int, event: int | None, arch: str, outdir: Path, *,
                       read_only: tuple[str, ...] = (), network: bool = False
                       ) -> RepoContainer:
        """The task's container for ``arch`` (use it as a context manager)."""
        adj = self.options.adjutant
        choice = PolicyResolver(self.session, adj.default_image, enabled=adj.policy_enabled,
                                cache_ttl=adj.policy_cache_ttl).resolve(
            tag_id, event, self.method, arch)
        logs = self.task_logs()
        logs.append("createrepo_container.log",
                    f"image: {choice.image} (chosen by {choice.source})\n"
                    f"network: {adj.network_mode if network else 'none'}\n")
        params = RepoContainerParams(
            image=choice.image, task_id=self.id, method=self.method,
            topdir=self.options.topdir, outdir=outdir, read_only=read_only,
            network=adj.network_mode if network else "none",
            timeout=self.options.rpmbuild_timeout)
        host = self.session.host.getHost()["name"]
        manager = open_task_manager(self.options, host, self.id)
        return RepoContainer(params, manager, logs, pull_policy=adj.pull_policy)

    def upload_files(self, directory: Path, relpath: str | None = None) -> list[str]:
        """Upload every regular file directly in ``directory``; their names, sorted."""
        names = sorted(name for name in os.listdir(directory)
                       if (directory / name).is_file() and not (directory / name).is_symlink())
        for name in names:
            self.uploadFile(str(directory / name), relPath=relpath)
        return names
