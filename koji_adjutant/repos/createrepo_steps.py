"""The steps of one createrepo run for a koji repo arch (contract 3.8), on a ``RepoTools``.

``CreaterepoJob`` holds the paths of one run: the repo's arch dir on the koji
volume (read-only), and under the task's output dir ``repo/`` (the result),
``repo_premerge/`` (the koji-only repo when external repos are merged) and
``tmp/``.  ``createrepo`` runs createrepo_c, updating from an old repo's
repodata when given; ``merge`` runs mergerepo_c over the premerge repo and the
external repos; ``mark_empty`` writes ``EMPTY_REPO``.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.repos import commands, origins
from koji_adjutant.repos.external import RepoSources
from koji_adjutant.repos.runner import RepoTools

logger = logging.getLogger("koji.build.repos")


@dataclass(frozen=True)
class CreaterepoJob:
    """Paths and settings of one createrepo run."""

    arch: str
    arch_dir: Path        # TOP/repos/<tag>/<id>/<arch>
    outdir: Path          # the task's writable output dir (mounted in the container)
    skip_stat: bool = True

    @property
    def repo(self) -> Path:
        return self.outdir / "repo"

    @property
    def repodata(self) -> Path:
        return self.repo / "repodata"

    @property
    def premerge(self) -> Path:
        return self.outdir / "repo_premerge"

    @property
    def pkglist(self) -> Path | None:
        path = self.arch_dir / "pkglist"
        return path if path.is_file() and path.stat().st_size > 0 else None

    @property
    def comps(self) -> Path | None:
        path = self.arch_dir.parent / "groups" / "comps.xml"
        return path if path.is_file() else None


def copy_old_repodata(job: CreaterepoJob, old_arch_dir: Path, logs) -> bool:
    """Seed the output with the old repo's repodata for ``--update``; False if it has none."""
    old = old_arch_dir / "repodata"
    if not (old / "repomd.xml").is_file():
        logs.append("createrepo.log", f"old repodata {old} missing: full createrepo\n")
        return False
    shutil.copytree(old, job.repodata)
    for origins in job.repodata.glob("*pkgorigins.gz"):  # the old merge's, not ours
        origins.unlink()
    logs.append("createrepo.log", f"updating from the repodata of {old}\n")
    return True


def createrepo(box: RepoTools, job: CreaterepoJob, update: bool) -> None:
    """createrepo_c for the arch (the output dir itself when the pkglist is empty)."""
    job.repo.mkdir(parents=True, exist_ok=True)
    pkglist = job.pkglist
    args = commands.CreaterepoArgs(
        outdir=str(job.repo), target=str(job.arch_dir if pkglist else job.repo),
        pkglist=str(pkglist) if pkglist else None,
        comps=str(job.comps) if job.comps else None,
        update=update and pkglist is not None, skip_stat=job.skip_stat)
    box.check(commands.createrepo_argv(args), "createrepo.log", "createrepo_c")


def merge(box: RepoTools, job: CreaterepoJob, mode: str, sources: RepoSources) -> None:
    """Merge the koji repo with the external repos into ``repo/`` (mergerepo_c)."""
    if job.premerge.exists():
        shutil.rmtree(job.premerge)
    job.repo.rename(job.premerge)
    job.repo.mkdir()
    version = commands.version_tuple(box.output([commands.MERGEREPO, "--version"]))
    blocklist = job.arch_dir / "blocklist"
    argv = commands.mergerepo_argv(
        mode, job.arch, str(job.repo), sources.urls,
        blocklist=str(blocklist) if blocklist.is_file() else None,
        comps=str(job.comps) if job.comps else None, arch_expand=version >= (0, 15, 11))
    box.check(argv, "mergerepos.log", "mergerepo_c")
    restored = origins.restore(job.repodata, dict(sources.recorded))
    if restored:
        box.logs.append("mergerepos.log", f"pkgorigins.gz: {restored} origins read through "
                                          f"the koji volume recorded by their URLs\n")


def mark_empty(job: CreaterepoJob) -> None:
    """``repodata/EMPTY_REPO``: the repo is empty on purpose."""
    (job.repodata / "EMPTY_REPO").write_text(commands.EMPTY_REPO_NOTE)
