"""External repos of a tag as one createrepo task sees them (pure; contract 3.8 step 4).

An external repo URL may contain ``$arch``; a repo whose ``arches`` excludes the
repo arch is skipped.  ``RepoSources`` also says what the container needs to
reach them: a network for http(s) URLs outside the koji volume (a URL under
the hub's ``topurl`` is read through the volume instead, and recorded by its URL:
``origins``), and read-only mounts for ``file://`` directories outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

import koji


@dataclass(frozen=True)
class RepoSources:
    """The ordered repo URLs to merge (``file://<premerge>/`` first) and their needs.

    ``recorded`` maps a URL read through the koji volume to the tag's URL, which
    ``pkgorigins.gz`` must name (``origins.restore``), as kojid's merge names it.
    """

    urls: tuple[str, ...]
    needs_network: bool
    local_dirs: tuple[str, ...]
    recorded: tuple[tuple[str, str], ...] = ()


def arch_applies(ext: dict, arch: str) -> bool:
    """True when the external repo serves ``arch`` (no ``arches`` means every arch)."""
    arches = (ext.get("arches") or "").split()
    return not arches or arch in {koji.canonArch(a) for a in arches}


def expand_url(url: str, arch: str) -> str:
    """The URL with ``$arch`` substituted and a trailing slash (as mergerepo_c wants)."""
    url = url.replace("$arch", arch)
    return url if url.endswith("/") else url + "/"


def _under(path: str, top: str) -> bool:
    top = top.rstrip("/") + "/"
    return (path.rstrip("/") + "/").startswith(top)


def merge_sources(premerge_dir: str, external: Sequence[dict], arch: str,
                  topdir: str, topurls: Sequence[str] = ()) -> RepoSources:
    """The repos to merge for ``arch`` and what reaching them takes."""
    urls = [f"file://{premerge_dir.rstrip('/')}/"]
    network = False
    local: list[str] = []
    recorded: list[tuple[str, str]] = []
    for ext in external:
        if not arch_applies(ext, arch):
            continue
        tag_url = expand_url(ext["url"], arch)
        url = volume_url(tag_url, topdir, topurls)
        if url != tag_url:
            recorded.append((url, tag_url))
        urls.append(url)
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https"):
            network = True
        elif parsed.scheme == "file" and not _under(parsed.path, topdir):
            local.append(parsed.path.rstrip("/"))
    return RepoSources(tuple(urls), network, tuple(local), tuple(recorded))


def volume_url(url: str, topdir: str, topurls: Sequence[str]) -> str:
    """A URL under one of the hub's ``topurls`` read through the koji volume instead."""
    for top in topurls:
        prefix = top.rstrip("/") + "/"
        if url.startswith(prefix):
            return f"file://{topdir.rstrip('/')}/{url[len(prefix):]}"
    return url
