"""``newRepo(tag, event=None, src=None, debuginfo=None, separate_src=None, opts=None)``.

Contract 3.7 (and 10.4, the live hub's flow).  Steps: the tag and repo options,
the koji volume check (a soft refusal without it), ``host.repoInit``, the arches
of the new repo, the old repo to update from, cloning of unchanged arches when
``copy_old_repodata`` is set, one ``createrepo`` subtask per remaining arch,
``host.repoDone``.  Returns ``(repo_id, event_id)``; the hub's repo queue reads
``result[0]``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import koji

from koji_adjutant.repos.handler import RepoTaskHandler
from koji_adjutant.repos.oldrepo import choose_old_repo, clonable_arches


def repo_opts(src, debuginfo, separate_src, opts) -> dict | None:
    """The repo options from the legacy bool arguments or ``opts`` (not both)."""
    legacy = {"src": src, "debuginfo": debuginfo, "separate_src": separate_src}
    given = {key: bool(value) for key, value in legacy.items() if value is not None}
    if given and opts is not None:
        raise koji.ParameterError("newRepo: give either opts or the legacy src/debuginfo/"
                                  "separate_src arguments, not both")
    if given:
        return given
    return opts


def repo_arches(repo_dir: Path) -> list[str]:
    """Arch sub-dirs of a repo skeleton: those holding a ``pkglist`` (not ``groups``)."""
    return sorted(entry.name for entry in repo_dir.iterdir()
                  if entry.name != "groups" and (entry / "pkglist").is_file())


class NewRepoTask(RepoTaskHandler):
    Methods = ["newRepo"]
    _taskWeight = 0.1

    def handler(self, tag, event=None, src=None, debuginfo=None, separate_src=None,
                opts=None):
        opts = repo_opts(src, debuginfo, separate_src, opts)
        tinfo = self.hub.tag(tag, strict=True, event=event)
        repos_dir = self.volume_dir("repos")
        repo_id, event_id = self._repo_init(tinfo, event, opts)
        repo_dir = repos_dir / tinfo["name"] / str(repo_id)
        if not repo_dir.is_dir():
            raise koji.GenericError(f"Repo directory missing: {repo_dir}")
        arches = repo_arches(repo_dir)
        oldrepo = choose_old_repo(self.session, tinfo) if self.options.createrepo_update \
            else None
        data, cloned = self._clone(repo_id, repo_dir, oldrepo, arches)
        data.update(self._createrepo_subtasks(repo_id, oldrepo,
                                              [a for a in arches if a not in data]))
        kwargs = {}
        if cloned:
            kwargs["repo_json_updates"] = {"cloned_from_repo_id": oldrepo["id"],
                                           "cloned_archs": cloned}
        self.hub.repo_done(repo_id, data, **kwargs)
        return repo_id, event_id

    def _repo_init(self, tinfo: dict, event, opts) -> tuple[int, int]:
        kwargs = {"opts": opts} if opts is not None else {}
        if event is not None:
            kwargs["event"] = event
        repo_id, event_id = self.hub.repo_init(tinfo["id"], task_id=self.id, **kwargs)
        return repo_id, event_id

    def _createrepo_subtasks(self, repo_id: int, oldrepo: dict | None,
                             arches: list[str]) -> dict:
        if not arches:
            return {}
        tasks = {arch: self.subtask("createrepo", [repo_id, arch, oldrepo], label=arch,
                                    arch="noarch") for arch in arches}
        results = self.wait(list(tasks.values()), all=True, failany=True)
        return {arch: results[task_id] for arch, task_id in tasks.items()}

    def _clone(self, repo_id: int, repo_dir: Path, oldrepo: dict | None,
               arches: list[str]) -> tuple[dict, list[str]]:
        """Upload the old repodata of arches that did not change (``copy_old_repodata``)."""
        if not (oldrepo and self.options.copy_old_repodata):
            return {}, []
        old = self.hub.repo_info(oldrepo["id"])
        new = self.hub.repo_info(repo_id)
        old_dir = Path(self.options.topdir, "repos", old["tag_name"], str(old["id"]))
        data = {}
        clonable = clonable_arches(self.session, repo_dir, new, old_dir, old, arches)
        for arch in clonable:
            staged = Path(self.workdir) / "clone" / arch
            shutil.copytree(old_dir / arch / "repodata", staged)
            data[arch] = [f"{self.getUploadDir()}/{arch}", self.upload_files(staged, arch)]
            self.logger.info("repo %s: %s repodata cloned from repo %s", repo_id, arch,
                             old["id"])
        return data, clonable
