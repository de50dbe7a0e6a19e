"""A koji repository of a hub simulator tag, made the way newRepo + createrepo make it.

`make_koji_repo` imports and tags builds, sets the tag's groups, has the hub write a READY
repo skeleton (``hub.make_repo``: repo.json, groups/comps.xml, <arch>/pkglist, toplink...)
and then runs createrepo_c as kojid's createrepo task does (kojid-contract 3.8, 7.3): in
a scratch output dir, ``-i pkglist`` so the ``toplink/packages/...`` entries resolve from
the arch dir, ``-g comps.xml`` for the groups, the arch dir as the final argument; the
output repodata is then moved into ``<arch>/repodata`` as repoDone would.  The hub's
topdir owns everything written.  `dnf_config` renders a dnf.conf for that repo in the
shape of the configuration kojid gives mock (kojid-contract 4.3).
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tempfile
from typing import Any, Iterable, Mapping, Optional

from .build import BuiltPackage

CREATEREPO = 'createrepo_c'
CREATEREPO_TIMEOUT = 120


class CreaterepoError(Exception):
    """createrepo_c failed; the message carries its command line and output."""


def make_koji_repo(hub: Any, tag: str, packages: Iterable[BuiltPackage],
                   groups: Optional[Mapping[str, Iterable[str]]] = None,
                   arch: str = 'x86_64') -> dict:
    """Tag `packages` into `tag` (created with `arch` if missing), set `groups` and make a
    READY repo with repodata.  Returns the hub's repo dict (id, tag_name, create_event, ...)
    plus ``arch``, ``path`` (``repos/<tag>/<id>/<arch>``, relative to topdir/topurl),
    ``repo_dir`` (the arch dir on disk) and ``url`` (``<topurl>/<path>``)."""
    session = hub.anon_session()
    if session.getTag(tag) is None:
        hub.add_tag(tag, arches=arch)
    tagged = {b['nvr'] for b in session.listTagged(tag)}
    for built in packages:
        build = session.getBuild(built.nvr) or hub.import_rpms(built.srpm, built.rpms)
        if built.nvr not in tagged:
            hub.add_package(tag, built.name)
            hub.tag_build(tag, build['id'])
            tagged.add(built.nvr)
    for group, names in (groups or {}).items():
        hub.add_group(tag, group, list(names))
    repo = hub.make_repo(tag)
    path = 'repos/%s/%d/%s' % (tag, repo['id'], arch)
    repo_dir = pathlib.Path(hub.topdir) / path
    if not (repo_dir / 'pkglist').is_file():
        raise CreaterepoError('tag %s has no %s repo (no %s/pkglist): give the tag that arch'
                              % (tag, arch, repo_dir))
    createrepo(repo_dir)
    return dict(repo, arch=arch, path=path, repo_dir=str(repo_dir),
                url='%s/%s' % (hub.topurl.rstrip('/'), path))


def createrepo(repo_dir: pathlib.Path) -> list[str]:
    """Write ``<repo_dir>/repodata`` from the skeleton in `repo_dir` (an arch dir of a koji
    repo), as kojid's createrepo task and the hub's repoDone do; returns the file names."""
    repo_dir = pathlib.Path(repo_dir)
    pkglist = repo_dir / 'pkglist'
    comps = repo_dir.parent / 'groups' / 'comps.xml'
    with tempfile.TemporaryDirectory(prefix='rpmkit-createrepo-') as scratch:
        outdir = pathlib.Path(scratch) / 'repo'
        outdir.mkdir()
        argv = [CREATEREPO, '--error-exit-val', '-vd', '-o', str(outdir)]
        has_pkgs = pkglist.is_file() and pkglist.stat().st_size > 0
        if has_pkgs:
            argv += ['-i', str(pkglist)]
        if comps.is_file():
            argv += ['-g', str(comps)]
        argv.append(str(repo_dir if has_pkgs else outdir))
        _run(argv)
        if not has_pkgs:
            (outdir / 'repodata' / 'EMPTY_REPO').write_text('This repo is empty because its '
                                                             'tag has no content for this arch\n')
        target = repo_dir / 'repodata'
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(outdir / 'repodata'), str(target))
    return sorted(p.name for p in target.iterdir())


def _run(argv: list[str]) -> None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=CREATEREPO_TIMEOUT,
                              check=False)
    except FileNotFoundError as exc:
        raise CreaterepoError('%s is not installed: run scripts/provision' % argv[0]) from exc
    if proc.returncode != 0:
        raise CreaterepoError('%s exited %d:\n%s%s' % (' '.join(argv), proc.returncode,
                                                      proc.stdout[-2000:], proc.stderr[-2000:]))


def dnf_config(baseurl: str, cachedir: str = '/var/cache/dnf') -> str:
    """A dnf.conf with the koji repo as its only repository, like kojid's mock config:
    no other repos (reposdir=/dev/null), no gpg checks, no weak deps, strict."""
    return ('[main]\ncachedir=%s\ndebuglevel=1\nreposdir=/dev/null\nretries=20\n'
            'obsoletes=1\ngpgcheck=0\nassumeyes=1\nkeepcache=1\ninstall_weak_deps=0\n'
            'strict=1\n\n[build]\nname=build\nbaseurl=%s\n' % (cachedir, baseurl))
