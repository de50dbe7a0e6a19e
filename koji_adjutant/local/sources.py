"""What ``koji-adjutant local build SOURCE`` builds from, decided before any container starts.

``classify(text)`` names the kind of SOURCE, or raises ``BadSource`` with a
one-line message:

* ``srpm``: a source RPM file (checked by its header, not only by its name);
* ``scm``: a git URL (``git+https://host/repo.git#ref``, ``git://...``; a
  plain ``https://...#ref`` URL ending in ``.git`` is read as ``git+https``),
  vetted here as the daemon's SCM code does (a revision after ``#`` is
  required) and checked out by it (``koji_adjutant.scm``);
* ``directory``: a directory holding a spec file (at the top or in
  ``SPECS/``), e.g. a git checkout; its files are copied into the buildroot
  as they are on disk (``.git`` left out), committed or not.

``copy_tree`` puts a directory where the SRPM buildroot reads it.
"""

from __future__ import annotations

import shutil
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import koji
import koji.daemon
import rpm

from koji_adjutant.errors import AdjutantError, TaskFailed
from koji_adjutant.scm import find_spec, open_scm
from koji_adjutant.scm.url import redact

KINDS = ("srpm", "scm", "directory")


class BadSource(AdjutantError):
    """SOURCE is none of the kinds a local build accepts, or unusable as its kind."""


@dataclass(frozen=True)
class Source:
    """One build source: its kind (see ``KINDS``) and its path or URL."""

    kind: str
    location: str

    @property
    def label(self) -> str:
        """A short name for messages and the default result directory."""
        text = self.location.split("#", 1)[0].rstrip("/")
        name = text.rsplit("/", 1)[-1]
        for suffix in (".src.rpm", ".git"):
            name = name.removesuffix(suffix)
        return name or "source"


def classify(text: str) -> Source:
    """The kind of ``text``; ``BadSource`` saying what was expected otherwise."""
    if koji.daemon.SCM.is_scm_url(text):
        return _checked_scm(text)
    if text.startswith(("https://", "http://")) and ".git" in text:
        return _checked_scm("git+" + text)
    path = Path(text)
    if path.is_dir():
        _check_directory(path)
        return Source("directory", str(path.resolve()))
    if path.is_file():
        _check_srpm(path)
        return Source("srpm", str(path.resolve()))
    raise BadSource(f"{text}: not a git URL, a directory with a spec file or an SRPM "
                    f"(no such file or directory)")


def _checked_scm(url: str) -> Source:
    """A git URL as the daemon's SCM code reads it, refused here if it would be there."""
    if not urllib.parse.urlsplit(url).fragment:
        base = redact(url).rstrip("#")
        raise BadSource(f"{base}: the URL names no commit to build: add #<commit> (a commit "
                        f"hash, or a branch or tag), e.g. {base}#main")
    try:
        # a password is the checkout's business (allow_password_in_scm_url), not the URL's shape
        open_scm(url, allow_password=True)
    except TaskFailed as exc:
        raise BadSource(str(exc)) from exc
    return Source("scm", url)


def _check_directory(path: Path) -> None:
    try:
        find_spec(path.resolve())
    except TaskFailed as exc:
        raise BadSource(f"{path}: a directory without a usable spec file: {exc}") from exc


def _check_srpm(path: Path) -> None:
    try:
        header = koji.get_rpm_header(str(path))
    except (koji.GenericError, rpm.error, OSError) as exc:
        raise BadSource(f"{path}: not a git URL, a directory or an SRPM "
                        f"(not a readable RPM: {exc})") from exc
    if not koji.get_header_field(header, "sourcepackage"):
        raise BadSource(f"{path}: a binary RPM, not a source RPM; give its .src.rpm")


def copy_tree(source: Path, target: Path) -> Path:
    """Copy directory ``source`` (without ``.git``) to ``target``; return ``target``."""
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    return target
