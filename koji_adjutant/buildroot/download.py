"""One file fetched on the builder for a buildroot: whole, checked, or not at all.

``Downloader.fetch_file`` gets a URL into a host path: no more bytes than the
size the metadata gives, the metadata's checksum must match, written to
``<name>.part`` and renamed when whole (removed on any failure); redirects
are followed (mirrors: the checksum decides); connection errors, timeouts and
HTTP 5xx get three attempts, 1 s and 2 s apart, anything else fails at once
with ``DownloadFailed``, one line for the packager.  ``fetch`` does the same
for a ``prefetch.Download``.  Used for the packages of external repos and,
without the koji volume, the koji repo's metadata and packages (ADR 0014).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from koji_adjutant.errors import TaskFailed

if TYPE_CHECKING:
    from koji_adjutant.buildroot.prefetch import Download

CHUNK = 1 << 20
# createrepo's old name for sha1
DIGESTS = {"sha": "sha1", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
           "sha384": "sha384", "sha512": "sha512", "md5": "md5"}


class DownloadFailed(TaskFailed):
    """A package of an external repo could not be fetched (one line for the packager)."""


class Downloader:
    """Fetches ``Download``s into ``target`` (a host directory), each checked and whole."""

    def __init__(self, target: Path, *, attempts: int = 3, timeout: tuple = (10, 60),
                 proxy: str | None = None):
        self.target = Path(target)
        self.attempts = attempts
        self.timeout = timeout
        self.http = requests.Session()
        if proxy:  # kojid's yum_proxy: what the builder's package downloads go through
            self.http.proxies = {"http": proxy, "https": proxy}
        self.fetched_bytes = 0

    def fetch(self, download: Download) -> Path:
        """The checked file of ``download`` (kept from an earlier install of this buildroot)."""
        pkg = download.package
        return self.fetch_file(download.url, self.target / download.filename,
                               pkg.checksum_type, pkg.checksum, pkg.size, download.failure)

    def fetch_file(self, url: str, path: Path, checksum_type: str, checksum: str, size: int,
                   failure=None) -> Path:
        """``url`` into ``path``, whole and checked, or a ``DownloadFailed`` from ``failure``."""
        if failure is None:
            def failure(reason: str) -> DownloadFailed:
                return DownloadFailed(f"cannot download {url}: {reason}")
        if checksum_type.lower() not in DIGESTS:
            raise failure(f"unknown checksum type {checksum_type!r}")
        checksum = checksum.lower()
        if path.is_file() and _digest(path, checksum_type) == checksum:
            return path
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        want = _Want(url, DIGESTS[checksum_type.lower()], checksum_type, checksum, size, failure)
        try:
            for attempt in range(1, self.attempts + 1):
                try:
                    self._get(want, partial)
                    break
                except _Transient as exc:
                    if attempt == self.attempts:
                        raise failure(str(exc)) from exc
                    time.sleep(attempt)
            os.chmod(partial, 0o644)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    def _get(self, want: "_Want", partial: Path) -> None:
        try:
            # redirects are the repo's own (mirrors, CDNs): the checksum decides
            response = self.http.get(want.url, stream=True, timeout=self.timeout)
        except requests.Timeout as exc:
            raise _Transient(f"no answer within {self.timeout[0]} s") from exc
        except requests.RequestException as exc:
            raise _Transient(_reason(exc)) from exc
        with response:
            if response.status_code >= 500:
                raise _Transient(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise want.failure(f"HTTP {response.status_code}")
            digest = hashlib.new(want.digest)
            size = 0
            try:
                with open(partial, "wb") as out:
                    for chunk in response.iter_content(CHUNK):
                        size += len(chunk)
                        if want.size and size > want.size:
                            raise want.failure(f"larger than the {want.size} bytes "
                                               f"its metadata gives")
                        digest.update(chunk)
                        out.write(chunk)
            except requests.RequestException as exc:
                raise _Transient(_reason(exc)) from exc
            except OSError as exc:
                raise TaskFailed(f"cannot store {partial.name[:-5]} on this builder: "
                                 f"{exc.strerror or exc}") from exc
        if digest.hexdigest() != want.checksum:
            raise want.failure(f"{want.checksum_type} checksum mismatch (metadata "
                               f"{want.checksum}, downloaded {digest.hexdigest()})")
        self.fetched_bytes += size


@dataclass(frozen=True)
class _Want:
    url: str
    digest: str          # hashlib's name
    checksum_type: str   # the metadata's name
    checksum: str
    size: int
    failure: object


class _Transient(Exception):
    """A failure worth another attempt (connection, timeout, HTTP 5xx)."""


def _reason(exc: Exception) -> str:
    """The short cause of a requests error ("Connection refused", not the urllib3 chain)."""
    text = str(exc)
    found = re.findall(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if found:
        return found[-1].strip()
    if "Name or service not known" in text or "getaddrinfo failed" in text:
        return "unknown host"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _digest(path: Path, kind: str) -> str:
    digest = hashlib.new(DIGESTS.get(kind.lower(), "sha256"))
    with open(path, "rb") as data:
        for chunk in iter(lambda: data.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
