"""Which earlier repo a new repo is built from, and whether its repodata can be reused.

``choose_old_repo`` follows kojid (contract 3.7 step 5): the tag's latest READY
repo; else the first tag named by the tag extra ``repo.oldrepo_hint`` that has
one; else the nearest ancestor (by inheritance depth) that has one.  The
answer carries ``tag_id`` of the tag it came from.

``clonable_arches`` decides for ``copy_old_repodata`` which arches of the old
repo may be copied unchanged: same repo options, identical comps, no external
repos on either side, and per arch identical ``pkglist`` and ``blocklist``.
kojid compares the options against the wrong dict (in practice it only clones
from repos without src/debuginfo); we compare old against new, as intended.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger("koji.build.repos")

OPTION_KEYS = ("with_src", "with_debuginfo", "with_separate_src")


class RepoHub(Protocol):
    """The hub calls used here (a koji ``ClientSession`` has them)."""

    def getRepo(self, tag: Any, state: int | None = None, event: int | None = None,
                dist: bool = False) -> dict | None: ...

    def getFullInheritance(self, tag: Any, event: int | None = None) -> list[dict]: ...

    def getExternalRepoList(self, tag_info: Any, event: int | None = None) -> list[dict]: ...


def _hints(value: Any) -> list[Any]:
    if value in (None, "", []):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def choose_old_repo(hub: RepoHub, tag: dict) -> dict | None:
    """The repo a new repo of ``tag`` (a ``getTag`` dict) should update from, or None."""
    repo = hub.getRepo(tag["id"])
    if repo:
        return dict(repo, tag_id=tag["id"])
    for hint in _hints((tag.get("extra") or {}).get("repo.oldrepo_hint")):
        repo = hub.getRepo(hint)
        if repo:
            logger.info("old repo from repo.oldrepo_hint %s: %s", hint, repo["id"])
            return dict(repo, tag_id=repo["tag_id"])
    parents = sorted(hub.getFullInheritance(tag["id"]), key=lambda link: link["currdepth"])
    for link in parents:
        repo = hub.getRepo(link["parent_id"])
        if repo:
            logger.info("old repo from ancestor %s: %s", link["name"], repo["id"])
            return dict(repo, tag_id=link["parent_id"])
    return None


def _same_file(a: Path, b: Path) -> bool:
    if not a.exists() and not b.exists():
        return True
    if not (a.is_file() and b.is_file()):
        return False
    return a.read_bytes() == b.read_bytes()


def _repo_options(repo_dir: Path) -> dict | None:
    try:
        data = json.loads((repo_dir / "repo.json").read_text())
    except (OSError, ValueError):
        return None
    return {key: bool(data.get(key)) for key in OPTION_KEYS}


def clonable_arches(hub: RepoHub, new_dir: Path, new_repo: dict, old_dir: Path,
                    old_repo: dict, arches: Iterable[str]) -> list[str]:
    """The arches whose repodata can be copied from ``old_dir`` (none if the repos differ)."""
    if not (old_dir / "repo.json").is_file():
        return []
    old_opts = _repo_options(old_dir)
    if old_opts is None or old_opts != _repo_options(new_dir):
        return []
    if not _same_file(old_dir / "groups" / "comps.xml", new_dir / "groups" / "comps.xml"):
        return []
    for tag_id, event in ((new_repo["tag_id"], new_repo["create_event"]),
                          (old_repo["tag_id"], old_repo["create_event"])):
        if hub.getExternalRepoList(tag_id, event=event):
            return []
    return [arch for arch in arches
            if (old_dir / arch / "repodata" / "repomd.xml").is_file()
            and _same_file(old_dir / arch / "pkglist", new_dir / arch / "pkglist")
            and _same_file(old_dir / arch / "blocklist", new_dir / arch / "blocklist")]
