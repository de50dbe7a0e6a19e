"""Building test packages on the host with rpmbuild, and caching the results.

`build_srpm` (``rpmbuild -bs``) and `build_rpms` (``rpmbuild -ba``) each lay out their own
``_topdir`` under the caller's workdir, named after the package and a hash of its spec and
dist, so different packages never share a tree.  The caller owns the workdir.  rpmbuild
runs with ``--nodeps`` because the host's rpm database does not describe the host (the
BuildRequires are for the buildroot, not for this machine).  `RpmFactory` caches both per
pytest session: the packages are deterministic.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import subprocess
from typing import Optional

from .package import Package, render_spec

RPMBUILD_TIMEOUT = 120


class RpmBuildError(Exception):
    """rpmbuild failed; carries the command, its exit code and the log to read."""

    def __init__(self, argv: list[str], returncode: int, log: pathlib.Path) -> None:
        tail = ''.join(log.read_text(errors='replace').splitlines(True)[-15:])
        super().__init__('%s exited %d; see %s:\n%s' % (' '.join(argv), returncode, log, tail))
        self.argv, self.returncode, self.log = argv, returncode, log


@dataclasses.dataclass(frozen=True)
class BuiltPackage:
    """The result of ``rpmbuild -ba``: the source RPM and the binary RPMs."""

    package: Package
    srpm: pathlib.Path
    rpms: tuple[pathlib.Path, ...]
    log: pathlib.Path

    @property
    def nvr(self) -> str:
        """name-version-release, as koji names the build."""
        return self.srpm.name[:-len('.src.rpm')]

    @property
    def name(self) -> str:
        return self.package.name


def _topdir(pkg: Package, workdir: pathlib.Path, dist: Optional[str]) -> pathlib.Path:
    digest = hashlib.sha256(('%s\0%s' % (render_spec(pkg), dist)).encode()).hexdigest()[:10]
    return pathlib.Path(workdir) / ('%s-%s-%s' % (pkg.name, pkg.version, digest))


def write_tree(pkg: Package, topdir: pathlib.Path) -> pathlib.Path:
    """Write SPECS/<name>.spec and SOURCES/* under `topdir`; returns the spec path."""
    for sub in ('SPECS', 'SOURCES'):
        (topdir / sub).mkdir(parents=True, exist_ok=True)
    for name, content in pkg.sources().items():
        (topdir / 'SOURCES' / name).write_text(content)
    spec = topdir / 'SPECS' / (pkg.name + '.spec')
    spec.write_text(render_spec(pkg))
    return spec


def _rpmbuild(mode: str, pkg: Package, workdir: pathlib.Path,
              dist: Optional[str]) -> pathlib.Path:
    """Run ``rpmbuild <mode>`` on a fresh tree; returns the topdir."""
    topdir = _topdir(pkg, workdir, dist)
    spec = write_tree(pkg, topdir)
    for sub in ('SRPMS', 'RPMS'):
        for old in (topdir / sub).rglob('*.rpm'):
            old.unlink()
    argv = ['rpmbuild', mode, '--nodeps', '--define', '_topdir %s' % topdir,
            '--define', 'dist %s' % (dist or '%{nil}'), str(spec)]
    log = topdir / ('rpmbuild%s.log' % mode)
    with open(log, 'w') as out:
        out.write(' '.join(argv) + '\n')
        out.flush()
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                              timeout=RPMBUILD_TIMEOUT, check=False)
    if proc.returncode != 0:
        raise RpmBuildError(argv, proc.returncode, log)
    return topdir


def build_srpm(pkg: Package, workdir: pathlib.Path, dist: Optional[str] = None) -> pathlib.Path:
    """``rpmbuild -bs``: the path of the source RPM (a failing %build does not matter)."""
    topdir = _rpmbuild('-bs', pkg, workdir, dist)
    (srpm,) = (topdir / 'SRPMS').glob('*.src.rpm')
    return srpm


def build_rpms(pkg: Package, workdir: pathlib.Path, dist: Optional[str] = None) -> BuiltPackage:
    """``rpmbuild -ba``: the source and binary RPMs.  Raises RpmBuildError on failure
    (always so for ``build_fails=True``)."""
    topdir = _rpmbuild('-ba', pkg, workdir, dist)
    (srpm,) = (topdir / 'SRPMS').glob('*.src.rpm')
    rpms = tuple(sorted((topdir / 'RPMS').rglob('*.rpm')))
    return BuiltPackage(pkg, srpm, rpms, topdir / 'rpmbuild-ba.log')


class RpmFactory:
    """Builds packages into one workdir and remembers the results (per test session)."""

    def __init__(self, workdir: pathlib.Path) -> None:
        self.workdir = pathlib.Path(workdir)
        self._srpms: dict[tuple[Package, Optional[str]], pathlib.Path] = {}
        self._builds: dict[tuple[Package, Optional[str]], BuiltPackage] = {}

    def srpm(self, pkg: Package, dist: Optional[str] = None) -> pathlib.Path:
        """The source RPM of `pkg` (built once)."""
        key = (pkg, dist)
        if key not in self._srpms:
            self._srpms[key] = build_srpm(pkg, self.workdir / 'srpm', dist)
        return self._srpms[key]

    def rpms(self, pkg: Package, dist: Optional[str] = None) -> BuiltPackage:
        """The source and binary RPMs of `pkg` (built once)."""
        key = (pkg, dist)
        if key not in self._builds:
            self._builds[key] = build_rpms(pkg, self.workdir / 'rpms', dist)
        return self._builds[key]
