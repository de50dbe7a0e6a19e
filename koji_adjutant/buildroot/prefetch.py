"""Packages a buildroot cannot read, downloaded by the daemon: no buildroot needs a network.

A koji repo that merges external repos (``mergerepo_c --koji``) lists their
packages under the external repo's own URL (``xml:base``) and names each
package's origin in ``pkgorigins``; a builder without the koji volume cannot
read even the koji repo's own packages.  The container has no network while
it installs, so before each ``dnf install`` of such a buildroot:

1. the image's own dnf resolves the transaction in the container, offline
   (``RESOLVE_SCRIPT``, as root, before any code of the package runs): every
   package it would install, with its URL, repo, location, checksum and size;
2. ``plan`` picks what the host must fetch: packages of an external repo,
   whose URL must lie under the origin ``pkgorigins`` gives that package, and,
   without the volume, the koji repo's packages from the hub's topurl by their
   location.  Anything else fails the task: the daemon fetches nothing the
   tag's repos do not name.  With the volume, koji packages stay where dnf
   reads them;
3. ``Downloader`` fetches each one on the host: no more bytes than the
   metadata's size, checked against the metadata's checksum, written whole or
   not at all, into a directory the container sees read-only (``PREFETCH_DIR``);
4. dnf installs the same specs plus those files, still without a network.

The koji repo's metadata itself, on a builder without the volume, is mirrored
the same way (``RepoSource.mirror_metadata`` with ``Downloader.fetch_file``).
A repo that cannot be reached fails the task with one line naming the file,
the repo and its URL (``DownloadFailed``).  ADR 0014 has the reasons.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from koji_adjutant.buildroot.download import DIGESTS, DownloadFailed, Downloader
from koji_adjutant.buildroot.packages import ExternalRepo, origin_repo
from koji_adjutant.buildroot.repo import MIRROR_DIR
from koji_adjutant.errors import TaskFailed

PREFETCH_DIR = "/var/cache/koji-adjutant/prefetch"
MARK = "PREFETCH "
NO_API = "PREFETCH-NO-DNF-API"
UNRESOLVED = "PREFETCH-UNRESOLVED "
HTTP_SCHEMES = ("http", "https")
KOJI_REPO = "build"  # the koji repo's id in the buildroot's dnf.conf
FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~^-]*\.rpm")

# The part of the buildroot's resolvers (this one and depsolve's) that opens dnf the way
# the buildroot's dnf.conf says, after ``import dnf``.
OPEN_BASE = r"""
def open_base(conf):
    base = dnf.Base()
    subs = base.conf.substitutions
    for key in [key for key, value in subs.items() if value is None]:
        del subs[key]   # an image without a release package has no releasever
    base.conf.config_file_path = conf
    base.conf.read()
    base.read_all_repos()
    base.fill_sack(load_system_repo=True)
    return base
"""

# Run in the container as ``python3 -I -c RESOLVE_SCRIPT <dnf.conf> <spec>...``: what
# ``dnf install <spec>...`` would install, one JSON object per line after MARK.
RESOLVE_SCRIPT = r"""
import json, sys
try:
    import dnf
except ImportError:
    print("PREFETCH-NO-DNF-API", flush=True)
    sys.exit(0)
""" + OPEN_BASE + r"""
try:
    base = open_base(sys.argv[1])
    base.install_specs(sys.argv[2:])
    base.resolve()
except dnf.exceptions.Error as exc:
    print("PREFETCH-UNRESOLVED " + json.dumps(str(exc)), flush=True)
    sys.exit(0)
for pkg in base.transaction.install_set:
    kind, digest = pkg.returnIdSum()
    # a merged repo gives external packages their repo's URL as xml:base (pkg.baseurl)
    url = (pkg.baseurl.rstrip("/") + "/" + pkg.location.lstrip("/") if pkg.baseurl
           else pkg.remote_location())
    print("PREFETCH " + json.dumps({
        "nvra": "%s-%s-%s.%s" % (pkg.name, pkg.version, pkg.release, pkg.arch),
        "url": url, "checksum_type": kind, "checksum": digest,
        "size": pkg.downloadsize, "repo": pkg.reponame, "location": pkg.location}),
        flush=True)
"""


@dataclass(frozen=True)
class Wanted:
    """One package of the resolved transaction, as the container's dnf describes it."""

    nvra: str
    url: str            # where dnf would read it: the volume, a mirror path, an external URL
    checksum_type: str
    checksum: str
    size: int
    repo: str = KOJI_REPO   # the dnf repo id it comes from
    location: str = ""      # its path in that repo (``toplink/packages/...``)


@dataclass(frozen=True)
class Resolution:
    """The resolver's answer: the packages, or why there are none."""

    packages: tuple[Wanted, ...] = ()
    no_api: bool = False
    unresolved: str | None = None   # dnf's own message; the install itself reports it


def parse(lines: Iterable[str]) -> Resolution:
    """Read the resolver's output; other lines (warnings) are ignored."""
    wanted = []
    for line in lines:
        line = line.rstrip("\n")
        if line == NO_API:
            return Resolution(no_api=True)
        if line.startswith(UNRESOLVED):
            return Resolution(unresolved=str(json.loads(line[len(UNRESOLVED):])))
        if line.startswith(MARK):
            wanted.append(_wanted(json.loads(line[len(MARK):])))
    return Resolution(tuple(wanted))


def _wanted(data: dict) -> Wanted:
    try:
        item = Wanted(str(data["nvra"]), str(data["url"] or ""), str(data["checksum_type"]),
                      str(data["checksum"]).lower(), int(data["size"] or 0),
                      str(data["repo"]), str(data["location"] or ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise TaskFailed(f"unexpected output of the install resolver: {data!r}") from exc
    return item


@dataclass(frozen=True)
class Download:
    """A package to fetch on the host, and the file it becomes."""

    package: Wanted
    url: str
    source: str     # "external repo NAME at URL" or "the koji repo at URL", for messages
    filename: str

    def failure(self, reason: str) -> DownloadFailed:
        return DownloadFailed(f"cannot download {self.filename} from {self.source}: {reason}")


def plan(packages: Iterable[Wanted], origins: Mapping[str, str],
         externals: Sequence[ExternalRepo], arch: str,
         koji_base: str | None = None) -> list[Download]:
    """The downloads for ``packages``; fails on a URL that is no repo of the tag's.

    ``koji_base`` is the koji repo's URL when the daemon mirrors it (no koji
    volume here): its packages are downloaded from there too.
    """
    downloads: dict[str, Download] = {}
    for pkg in packages:
        scheme = urlsplit(pkg.url).scheme
        if scheme == "file":
            if koji_base is None or pkg.repo != KOJI_REPO:
                continue  # the koji volume (or a merged repo on it), mounted read-only
            if not pkg.url.startswith(f"file://{MIRROR_DIR}/"):
                raise TaskFailed(f"{pkg.nvra} is on the koji volume ({pkg.url}), which this "
                                 f"builder does not have")
            download = _koji_download(pkg, koji_base)
        elif scheme in HTTP_SCHEMES and _under(pkg.url, origins.get(pkg.nvra, "")):
            download = _external_download(pkg, origins[pkg.nvra], externals, arch)
        else:
            raise TaskFailed(f"{pkg.nvra} would be installed from {pkg.url}, which is "
                             f"neither the koji repo nor an external repo of the tag")
        if download.filename in downloads:
            raise TaskFailed(f"two packages of the install are both named {download.filename}")
        downloads[download.filename] = download
    return list(downloads.values())


def _under(url: str, base: str) -> bool:
    if urlsplit(base).scheme not in HTTP_SCHEMES:
        return False
    base = base.rstrip("/") + "/"
    return url.startswith(base) and "/../" not in url[len(base) - 1:]


def _koji_download(pkg: Wanted, koji_base: str) -> Download:
    parts = pkg.location.split("/")
    if pkg.location.startswith("/") or ".." in parts or "" in parts:
        raise TaskFailed(f"{pkg.nvra}: unusable location {pkg.location!r} in the koji repo")
    return _checked(Download(pkg, f"{koji_base}/{pkg.location}", f"the koji repo at {koji_base}",
                             parts[-1]))


def _external_download(pkg: Wanted, origin: str, externals: Sequence[ExternalRepo],
                       arch: str) -> Download:
    repo = origin_repo(origin, externals, arch)
    name = f" {repo.name}" if repo else ""
    return _checked(Download(pkg, pkg.url, f"external repo{name} at {origin}",
                             urlsplit(pkg.url).path.rsplit("/", 1)[-1]))


def _checked(download: Download) -> Download:
    pkg = download.package
    if not FILENAME.fullmatch(download.filename):
        raise TaskFailed(f"{pkg.nvra}: the repo gives it an unusable file name "
                         f"{download.filename!r}")
    if pkg.checksum_type.lower() not in DIGESTS:
        raise TaskFailed(f"{pkg.nvra}: unknown checksum type {pkg.checksum_type!r} in the "
                         f"repo metadata")
    return download


class Prefetch:
    """The prefetching of one buildroot: its host directories and what went into them.

    ``host_dir/packages`` holds the downloaded packages (``PREFETCH_DIR`` in the
    container), ``host_dir/repo`` the koji repo's metadata when there is no
    koji volume here (``repo.MIRROR_DIR``).
    """

    def __init__(self, host_dir: Path, origins: Mapping[str, str],
                 externals: Sequence[ExternalRepo], arch: str, koji_base: str | None,
                 image: str, proxy: str | None = None):
        self.host_dir = Path(host_dir)
        self.packages_dir = self.host_dir / "packages"  # downloaded packages
        self.repo_dir = self.host_dir / "repo"          # the koji repo's mirrored metadata
        self.origins = origins
        self.externals = tuple(externals)
        self.arch = arch
        self.koji_base = koji_base
        self.image = image
        self.downloader = Downloader(self.packages_dir, proxy=proxy)

    @staticmethod
    def needed(origins: Mapping[str, str]) -> bool:
        """True when some package of the repo comes from an external repo over HTTP."""
        return any(urlsplit(origin).scheme in HTTP_SCHEMES for origin in origins.values())

    def mirror_metadata(self, repo) -> None:
        """The koji repo's metadata into ``repo_dir`` (``RepoSource.mirror_metadata``)."""
        repo.mirror_metadata(self.repo_dir, self.downloader.fetch_file)

    def resolver(self, conf: str, specs: Sequence[str]) -> list[str]:
        """The command that resolves ``dnf install specs`` in the container."""
        # isolated (-I): it may run as root after package code ran (builddeps.reclaimed)
        return ["python3", "-I", "-c", RESOLVE_SCRIPT, conf, *specs]

    def files(self, lines: Sequence[str], exit_code: int, log) -> list[str]:
        """Download what the resolver's output asks for; the files' container paths.

        ``log`` takes a line of text for root.log.  An unresolvable install
        downloads nothing: dnf's own install then reports why, as without us.
        """
        resolution = parse(lines)
        if resolution.no_api or exit_code == 127:
            raise TaskFailed(f"the image {self.image} has no python3 with the dnf module: "
                             f"the packages of this buildroot cannot be resolved for the "
                             f"builder to download them (ADR 0014)")
        if exit_code != 0:
            raise TaskFailed(f"could not resolve the install for the builder to download "
                             f"its packages (resolver exit status {exit_code}); see root.log")
        if resolution.unresolved is not None:
            log(f"prefetch: dnf cannot resolve the install: {resolution.unresolved}\n")
            return []
        downloads = plan(resolution.packages, self.origins, self.externals, self.arch,
                         self.koji_base)
        began, before = time.monotonic(), self.downloader.fetched_bytes
        paths = [self.downloader.fetch(d) for d in downloads]
        if downloads:
            fetched = self.downloader.fetched_bytes - before
            log(f"prefetch: {len(downloads)} package(s) downloaded by the builder "
                f"({fetched} bytes in {time.monotonic() - began:.1f} s): "
                f"{' '.join(d.filename for d in downloads)}\n")
        return [f"{PREFETCH_DIR}/{path.name}" for path in paths]
