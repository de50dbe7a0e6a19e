"""``distRepo(tag, repo_id, keys, task_opts)``: the parent task of ``koji dist-repo``.

Contract 3.11.  The hub has already created the dist repo (INIT) and this task.
Steps: the tag at the requested event and the arches (asked for, else the
tag's), refusal of ``multilib`` (not supported, see createdistrepo), one
``createdistrepo`` subtask per arch, ``host.distRepoMove`` of each result,
``host.repoDone``.  Returns ``"Dist repository #<id> successfully generated"``.
"""

from __future__ import annotations

import koji

from koji_adjutant.errors import TaskFailed
from koji_adjutant.repos.handler import RepoTaskHandler
from koji_adjutant.tasks.create_dist_repo import MULTILIB_REFUSAL


def dist_arches(asked: list | None, tag_arches: str | None) -> list[str]:
    """Canonical arches of the dist repo, in the order given, without duplicates."""
    arches = list(asked or []) or (tag_arches or "").split()
    if not arches:
        raise koji.GenericError("No arches specified for the dist repo and the tag has none")
    return list(dict.fromkeys(koji.canonArch(arch) for arch in arches))


class DistRepoTask(RepoTaskHandler):
    Methods = ["distRepo"]
    _taskWeight = 0.1

    def handler(self, tag, repo_id, keys, task_opts):
        task_opts = dict(task_opts or {})
        if task_opts.get("multilib"):
            raise TaskFailed(MULTILIB_REFUSAL)
        tinfo = self.hub.tag(tag, strict=True, event=task_opts.get("event"))
        self.volume_dir("packages")
        arches = dist_arches(task_opts.get("arch"), tinfo["arches"])
        subtasks = {arch: self.subtask("createdistrepo",
                                       [tinfo["name"], repo_id, arch, keys, task_opts],
                                       label=arch, arch="noarch") for arch in arches}
        self.wait(list(subtasks.values()), all=True, failany=True)
        for arch, task_id in subtasks.items():
            self.hub.dist_repo_move(repo_id, koji.pathinfo.taskrelpath(task_id), arch)
        self.hub.repo_done(repo_id, {})
        return f"Dist repository #{repo_id} successfully generated"
