"""The repositories of a local build: the ``--repo`` URLs, or none at all.

``LocalRepos`` takes the place of the koji repo (``buildroot.repo.RepoSource``)
in a buildroot built without a hub.  It has no comps, so the install group is
empty (the image provides the base), no ``rpmlist.jsonl`` and no
``pkgorigins``.  Each URL becomes a dnf repository of its own
(``BuildEnvironment.extra_repos``).  A ``file://`` URL is a directory on this
host with ``repodata/``; it is bind-mounted read-only at the same path, so a
build with only such repos (or none) never gets a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from koji_adjutant.container import Mount
from koji_adjutant.local.sources import BadSource

SCHEMES = ("file", "http", "https")


@dataclass(frozen=True)
class LocalRepos:
    """The ``--repo`` URLs of a local build (see the module docstring)."""

    urls: tuple[str, ...] = ()

    @classmethod
    def checked(cls, urls: tuple[str, ...]) -> LocalRepos:
        """``urls`` after checking each: a known scheme, a local repo that exists."""
        fixed = []
        for url in urls:
            if url.startswith("/"):
                url = "file://" + url
            parts = urlsplit(url)
            if parts.scheme not in SCHEMES:
                raise BadSource(f"--repo {url}: expected a file://, http:// or https:// URL")
            if parts.scheme == "file" and not Path(parts.path, "repodata",
                                                   "repomd.xml").is_file():
                raise BadSource(f"--repo {url}: {parts.path} has no repodata/repomd.xml "
                                f"(run createrepo_c on it)")
            fixed.append(url.rstrip("/"))
        return cls(tuple(fixed))

    @property
    def via_volume(self) -> bool:
        """True when every repo is a local directory: no network is needed."""
        return all(urlsplit(url).scheme == "file" for url in self.urls)

    @property
    def needs_network(self) -> bool:
        """dnf in the container reads http(s) ``--repo`` URLs itself."""
        return not self.via_volume

    mirrored = False  # the daemon fetches nothing of these repos

    def mounts(self) -> tuple[Mount, ...]:
        paths = [urlsplit(url).path for url in self.urls if urlsplit(url).scheme == "file"]
        return tuple(Mount(Path(p), p, read_only=True) for p in paths)

    def read(self, relpath: str, binary: bool = False) -> None:
        """No koji side files (``rpmlist.jsonl``, comps) in a local build."""
        return

    def group_packages(self, group: str) -> list[str]:
        """Nothing to install for the group: the image is the base of a local build."""
        return []

    def pkgorigins(self) -> None:
        return None
