"""The file work of one createdistrepo run: layout on disk, createrepo runs, uploads list.

``DistJob`` holds the paths of one arch: the task's output dir (mounted
writable in the container) with ``repo/`` = the future ``repos-dist/<tag>/<id>/<arch>``.
``write_layout`` creates the ``Packages/<x>/`` symlinks to the chosen copies on
the koji volume (they resolve inside the container, which mounts the volume at
the same path), the ``pkglist`` files and ``kojipkgs``.  ``createrepo`` runs
createrepo_c for the main repo and each subrepo.  ``uploads`` lists every
regular file (not the symlinks) to send to the hub.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from koji_adjutant.repos import commands
from koji_adjutant.repos.distsel import Layout
from koji_adjutant.repos.runner import RepoTools


@dataclass(frozen=True)
class DistJob:
    """Paths and createrepo settings of one dist repo arch."""

    arch: str
    outdir: Path
    comps: Path | None = None
    old_arch_dir: Path | None = None     # previous dist repo's arch dir, for --update
    skip_stat: bool = False
    deltas: tuple[str, ...] = ()
    zck: bool = False
    zck_dict_dir: str | None = None

    @property
    def repo(self) -> Path:
        return self.outdir / "repo"


def write_layout(job: DistJob, layout: Layout) -> None:
    """Symlinks, ``pkglist`` per (sub)repo and ``kojipkgs`` under ``job.repo``."""
    job.repo.mkdir(parents=True, exist_ok=True)
    for rel, target in layout.links.items():
        link = job.repo / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    for subrepo, lines in layout.pkglists.items():
        directory = job.repo / subrepo
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "pkglist").write_text("".join(line + "\n" for line in lines))
    (job.repo / "kojipkgs").write_text(json.dumps(layout.kojipkgs, indent=2, sort_keys=True))


def _seed_update(job: DistJob, subrepo: str, directory: Path) -> bool:
    if job.old_arch_dir is None:
        return False
    old = job.old_arch_dir / subrepo / "repodata"
    if not (old / "repomd.xml").is_file():
        return False
    shutil.copytree(old, directory / "repodata", dirs_exist_ok=True)
    return True


def createrepo(box: RepoTools, job: DistJob, subrepos: list[str]) -> None:
    """createrepo_c for the main repo ('') and each subrepo, each in its own log."""
    for subrepo in subrepos:
        directory = job.repo / subrepo
        has_pkgs = (directory / "pkglist").stat().st_size > 0
        args = commands.CreaterepoArgs(
            outdir=str(directory), target=str(directory),
            pkglist=str(directory / "pkglist") if has_pkgs else None,
            comps=str(job.comps) if job.comps and not subrepo else None,
            update=has_pkgs and _seed_update(job, subrepo, directory),
            skip_stat=job.skip_stat, deltas=job.deltas if not subrepo else (),
            zck=job.zck, zck_dict_dir=job.zck_dict_dir)
        log = f"createrepo_{subrepo}.log" if subrepo else "createrepo.log"
        box.check(commands.createrepo_argv(args), log, "createrepo_c")
        if not has_pkgs:
            (directory / "repodata" / "EMPTY_REPO").write_text(commands.EMPTY_REPO_NOTE)


def uploads(job: DistJob) -> list[str]:
    """Relative paths of every regular file under ``job.repo`` (symlinks excluded)."""
    found = []
    for path, dirs, files in os.walk(job.repo):
        for name in files:
            full = Path(path) / name
            if not full.is_symlink() and full.is_file():
                found.append(str(full.relative_to(job.repo)))
    return sorted(found)
