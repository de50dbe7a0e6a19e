"""The package set of a dist repo arch: which copy of each rpm, and where it goes.

Pure logic over ``listTaggedRPMS(..., rpmsigs=True)`` rows (one row per rpm and
stored signature, ``sigkey`` '' for the rpm's own header, None when it has no
signature row at all) and their builds (contract 3.11 ``createdistrepo`` steps
3, 5, 6).  ``select_copies`` picks, per rpm, the first of the requested keys it
has a signed copy for; rpms with none of them are *missing signatures* (kept
unsigned with ``sigkey`` None).  ``plan_layout`` places the chosen files in
``Packages/<first letter>/`` and sorts them into the main repo or the ``debug``
subrepo.  ``koji.PathInfo`` gives the files' locations on the koji volume.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import koji
import koji.arch

DEBUG_SUBREPO = "debug"


@dataclass(frozen=True)
class Selection:
    """The chosen copy of every rpm, and those lacking all requested signatures."""

    chosen: tuple[dict, ...]
    missing_signatures: tuple[dict, ...]


def compat_arches(arch: str) -> list[str]:
    """The rpm arches a dist repo of ``arch`` holds (``x86_64`` -> amd64 ia32e x86_64 noarch)."""
    if arch == "src":
        return ["src"]
    known = set(koji.arch.arches) | set(koji.arch.arches.values()) | {arch}
    same = sorted(a for a in known if koji.canonArch(a) == arch)
    return same + ["noarch"]


def select_copies(rows: Iterable[dict], keys: Sequence[str]) -> Selection:
    """Pick each rpm's copy by the order of ``keys`` (case-insensitive)."""
    wanted = [key.lower() for key in keys]
    by_rpm: dict[int, dict[str | None, dict]] = {}
    for row in rows:
        if row.get("draft"):
            raise koji.BuildError(f"draft build rpm {nvra(row)} cannot go into a dist repo")
        key = row.get("sigkey")
        by_rpm.setdefault(row["id"], {})[key.lower() if key else key] = row
    chosen, missing = [], []
    for rpm_id in sorted(by_rpm):
        copies = by_rpm[rpm_id]
        key = next((k for k in wanted if k in copies), None)
        row = dict(copies[key] if key else next(iter(copies.values())), sigkey=key)
        chosen.append(row)
        if key is None and wanted:
            missing.append(row)
    return Selection(tuple(chosen), tuple(missing))


def nvra(rpm: dict) -> str:
    return "%(name)s-%(version)s-%(release)s.%(arch)s" % rpm


def rpm_path(pathinfo: koji.PathInfo, build: dict, rpm: dict) -> str:
    """The file on the koji volume: the signed copy for ``sigkey``, else the primary."""
    rel = pathinfo.signed(rpm, rpm["sigkey"]) if rpm.get("sigkey") else pathinfo.rpm(rpm)
    return f"{pathinfo.build(build)}/{rel}"


@dataclass
class Layout:
    """Where the chosen rpms go in the output dir of one arch."""

    links: dict[str, str] = field(default_factory=dict)           # relpath -> volume path
    pkglists: dict[str, list[str]] = field(default_factory=dict)  # "" or subrepo -> lines
    kojipkgs: dict[str, dict] = field(default_factory=dict)       # file name -> rpm row


def plan_layout(rpms: Iterable[dict], builds: dict[int, dict], pathinfo: koji.PathInfo,
                split_debuginfo: bool = False) -> Layout:
    """Links, pkglists (main repo and ``debug`` subrepo) and ``kojipkgs`` for ``rpms``."""
    layout = Layout(pkglists={"": []})
    for rpm in sorted(rpms, key=nvra):
        name = nvra(rpm) + ".rpm"
        rel = f"Packages/{name[0].lower()}/{name}"
        layout.links[rel] = rpm_path(pathinfo, builds[rpm["build_id"]], rpm)
        layout.kojipkgs[name] = dict(rpm, _pkgpath=rel)
        if split_debuginfo and koji.is_debuginfo(rpm["name"]):
            layout.pkglists.setdefault(DEBUG_SUBREPO, []).append(f"../{rel}")
        else:
            layout.pkglists[""].append(rel)
    return layout


def missing_report(rpms: Iterable[dict], keys: Sequence[str]) -> str:
    """The text of ``missing_signatures.log``."""
    lines = [f"Missing signatures for keys {', '.join(keys) or '(none)'}:"]
    lines += [f"{nvra(rpm)}.rpm" for rpm in rpms]
    return "\n".join(lines) + "\n"
