"""``createrepo(repo_id, arch, oldrepo)``: the repodata of one arch of a new koji repo.

Contract 3.8.  Steps: check the repo (INIT) and its arch dir on the koji volume,
look up the tag's external repos at the repo's event, then in a container
(policy image, koji volume read-only, no network unless an external repo needs
it): createrepo_c (``--update`` from ``oldrepo``'s repodata), mergerepo_c when
there are external repos; ``EMPTY_REPO`` for an empty repo; the
``postCreateRepo`` callback; upload of the repodata.  Returns
``[uploadpath, [file names]]`` for ``host.repoDone``.
"""

from __future__ import annotations

from pathlib import Path

import koji

from koji_adjutant.errors import TaskFailed
from koji_adjutant.repos import commands, createrepo_steps as steps
from koji_adjutant.repos.external import merge_sources
from koji_adjutant.repos.handler import RepoTaskHandler


class CreaterepoTask(RepoTaskHandler):
    Methods = ["createrepo"]
    _taskWeight = 1.5

    def handler(self, repo_id, arch, oldrepo):
        repo = self.repo_in_init(repo_id)
        job = steps.CreaterepoJob(arch, self._arch_dir(repo, arch),
                                  Path(self.workdir) / "createrepo",
                                  skip_stat=self.options.createrepo_skip_stat)
        external = self.hub.external_repos(repo["tag_id"],
                                                    event=repo["create_event"])
        mode = self._merge_mode(external)
        sources = merge_sources(str(job.premerge), external, arch, self.options.topdir,
                                self.options.topurls)
        try:
            with self.repo_container(repo["tag_id"], repo["create_event"], arch, job.outdir,
                                     read_only=sources.local_dirs,
                                     network=sources.needs_network) as box:
                steps.createrepo(box, job, self._seed_update(job, oldrepo))
                if external:
                    steps.merge(box, job, mode, sources)
            if job.pkglist is None and not external:
                steps.mark_empty(job)
            self.run_callbacks("postCreateRepo", tag=repo["tag_name"], repodir=str(job.repo),
                               repo_id=repo_id, arch=arch)
            return [self.getUploadDir(), self.upload_files(job.repodata)]
        finally:
            self.task_logs().sync()

    def _arch_dir(self, repo: dict, arch: str) -> Path:
        path = self.volume_dir("repos") / repo["tag_name"] / str(repo["id"]) / arch
        if not path.is_dir():
            raise koji.GenericError(f"Repo arch directory missing: {path}")
        return path

    def _merge_mode(self, external: list[dict]) -> str:
        try:
            return commands.merge_mode([ext.get("merge_mode") for ext in external])
        except ValueError as exc:
            raise TaskFailed(str(exc)) from exc

    def _seed_update(self, job: steps.CreaterepoJob, oldrepo: dict | None) -> bool:
        """Copy the old repo's repodata in for ``--update``; whether to update."""
        if not (oldrepo and job.pkglist and self.options.createrepo_update):
            return False
        old = self.hub.repo_info(oldrepo["id"])
        old_dir = self.volume_dir("repos") / old["tag_name"] / str(old["id"]) / job.arch
        return steps.copy_old_repodata(job, old_dir, self.task_logs())
