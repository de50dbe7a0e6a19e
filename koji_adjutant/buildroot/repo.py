"""Where a buildroot gets its koji repository from, and reading the repo's side files.

Two ways to reach ``repos/<tag>/<repo_id>/<arch>``, decided per buildroot; in
neither does the container have a network:

* **volume**: the koji volume is mounted at ``topdir`` on this host (the usual
  NFS mount of builders in the createrepo channel, and of many others) and the
  repo's ``repodata/repomd.xml`` is readable there.  ``topdir`` is bind-mounted
  read-only into the container and dnf reads ``file://`` URLs.
* **mirror**: otherwise the daemon downloads the repo's metadata from the
  hub's ``topurl`` (``mirror_metadata``, each file checked against
  ``repomd.xml``) into a directory the container sees read-only at
  ``MIRROR_DIR``; dnf resolves against it, and the packages of each install
  are downloaded by the daemon too (``buildroot.prefetch``).

Either way it is the same repository: the one the hub made for this repo id.
"""

import gzip
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import requests

from koji_adjutant.container import Mount
from koji_adjutant.errors import TaskFailed

REPOMD_NS = "{http://linux.duke.edu/metadata/repo}"
MIRROR_DIR = "/var/cache/koji-adjutant/repo"
METADATA_NAME = re.compile(r"repodata/[A-Za-z0-9][A-Za-z0-9._-]*")
# what dnf never reads to resolve an install: changelogs, pkgorigins, sqlite and zchunk copies
UNMIRRORED_TYPES = ("other", "origin")
UNMIRRORED_SUFFIXES = ("_db", "_zck")


@dataclass(frozen=True)
class RepoSource:
    """The koji repo of one buildroot: how to reach it and how to read its files."""

    tag_name: str
    repo_id: int
    arch: str
    topdir: str
    topurls: tuple[str, ...]
    via_volume: bool

    @classmethod
    def locate(cls, options, tag_name: str, repo_id: int, arch: str) -> "RepoSource":
        local = Path(options.topdir, "repos", tag_name, str(repo_id), arch)
        return cls(tag_name, repo_id, arch, options.topdir, tuple(options.topurls),
                   (local / "repodata" / "repomd.xml").is_file())

    @property
    def relpath(self) -> str:
        return f"repos/{self.tag_name}/{self.repo_id}"

    @property
    def baseurls(self) -> tuple[str, ...]:
        """dnf's baseurl in the container: the volume, or the daemon's mirror."""
        if self.via_volume:
            return (f"file://{self.topdir}/{self.relpath}/{self.arch}",)
        return (f"file://{MIRROR_DIR}",)

    @property
    def mirrored(self) -> bool:
        """True when the daemon fetches the repo (metadata and packages) for the container."""
        return not self.via_volume

    @property
    def needs_network(self) -> bool:
        """A koji repo never needs the container to have a network."""
        return False

    @property
    def package_base(self) -> str | None:
        """Where the daemon downloads the repo's packages from (None: the volume has them)."""
        if self.via_volume:
            return None
        return f"{self.topurls[0]}/{self.relpath}/{self.arch}"

    def mounts(self) -> tuple[Mount, ...]:
        """Host directories the container needs to read the repo (the koji volume)."""
        if self.via_volume:
            return (Mount(Path(self.topdir), self.topdir, read_only=True),)
        return ()

    def mirror_metadata(self, dest: Path, fetch) -> None:
        """Download ``<arch>/repodata`` into ``dest/repodata`` (checked against repomd.xml).

        ``fetch(url, path, checksum_type, checksum, size)`` downloads one file
        (``prefetch.Downloader.fetch_file``).
        """
        repomd = self.read(f"{self.arch}/repodata/repomd.xml", binary=True)
        if repomd is None:
            raise TaskFailed(f"the repo {self.repo_id} of {self.tag_name} has no "
                             f"{self.package_base}/repodata/repomd.xml")
        (dest / "repodata").mkdir(mode=0o755, parents=True, exist_ok=True)
        for data in ET.fromstring(repomd).iter(REPOMD_NS + "data"):
            kind = data.get("type") or ""
            if kind in UNMIRRORED_TYPES or kind.endswith(UNMIRRORED_SUFFIXES):
                continue
            href = data.find(REPOMD_NS + "location").get("href")
            if not METADATA_NAME.fullmatch(href or ""):
                raise TaskFailed(f"the repo {self.repo_id} of {self.tag_name} names an "
                                 f"unusable metadata file {href!r}")
            checksum = data.find(REPOMD_NS + "checksum")
            size = data.findtext(REPOMD_NS + "size")
            fetch(f"{self.package_base}/{href}", dest / href, checksum.get("type"),
                  checksum.text.strip(), int(size) if size else 0)
        (dest / "repodata" / "repomd.xml").write_bytes(repomd)

    def read(self, relpath: str, binary: bool = False) -> str | bytes | None:
        """A file of the repo (relative to ``repos/<tag>/<id>/``), or None if it is missing."""
        if self.via_volume:
            path = Path(self.topdir, self.relpath, relpath)
            if not path.is_file():
                return None
            return path.read_bytes() if binary else path.read_text()
        url = f"{self.topurls[0]}/{self.relpath}/{relpath}"
        try:
            response = requests.get(url, timeout=120)
        except requests.RequestException as exc:
            raise TaskFailed(f"cannot read {url}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise TaskFailed(f"cannot read {url}: HTTP {response.status_code}")
        return response.content if binary else response.text

    def group_packages(self, group: str) -> list[str]:
        """Package names of ``group`` in the repo's comps (what ``install @group`` installs)."""
        text = self.read("groups/comps.xml")
        if text is None:
            raise TaskFailed(f"the repo {self.repo_id} of {self.tag_name} has no "
                             f"groups/comps.xml: cannot install @{group}")
        root = ET.fromstring(text)
        for node in root.iter("group"):
            if node.findtext("id") == group:
                return [req.text.strip() for req in node.iter("packagereq")
                        if req.text and req.get("type", "mandatory") in
                        ("mandatory", "default")]
        raise TaskFailed(f"the build tag {self.tag_name} has no group '{group}' "
                         f"(add it with 'koji add-group {self.tag_name} {group}')")

    def pkgorigins(self) -> str | None:
        """The repo's pkgorigins (merged external repos), or None when it has none."""
        repomd = self.read(f"{self.arch}/repodata/repomd.xml")
        if repomd is None:
            return None
        for data in ET.fromstring(repomd).iter(REPOMD_NS + "data"):
            if data.get("type") == "origin":
                href = data.find(REPOMD_NS + "location").get("href")
                raw = self.read(f"{self.arch}/{href}", binary=True)
                return gzip.decompress(raw).decode() if raw else None
        return None
