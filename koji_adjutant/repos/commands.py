"""Command lines of the repository tools, built from plain values (no I/O).

Each function returns an argv list for ``createrepo_c`` or ``mergerepo_c`` with
the options kojid uses (kojid-contract 3.8, 3.11, 7.3).  The caller decides
where the paths live; these functions only put them in the right order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CREATEREPO = "createrepo_c"
MERGEREPO = "mergerepo_c"
MERGE_MODES = ("koji", "simple", "bare")
EMPTY_REPO_NOTE = "This repo is empty because its tag has no content for this arch\n"


@dataclass(frozen=True)
class CreaterepoArgs:
    """What one createrepo_c run needs.

    ``update`` means the output ``repodata`` already holds a copy of the old repo's
    metadata; ``skip_stat`` trusts that copy without stat'ing the files again.
    """

    outdir: str
    target: str
    pkglist: str | None = None
    comps: str | None = None
    update: bool = False
    skip_stat: bool = False
    deltas: tuple[str, ...] = ()
    zck: bool = False
    zck_dict_dir: str | None = None
    workers: int | None = None


def createrepo_argv(args: CreaterepoArgs) -> list[str]:
    """``createrepo_c --error-exit-val -vd -o OUT [-i PKGLIST] [-g COMPS] ... TARGET``."""
    argv = [CREATEREPO, "--error-exit-val", "-vd", "-o", args.outdir]
    if args.pkglist:
        argv += ["-i", args.pkglist]
    if args.comps:
        argv += ["-g", args.comps]
    if args.update:
        argv.append("--update")
        if args.skip_stat:
            argv.append("--skip-stat")
    if args.deltas:
        argv.append("--deltas")
        for olddir in args.deltas:
            argv += ["--oldpackagedirs", olddir]
    if args.zck:
        argv.append("--zck")
        if args.zck_dict_dir:
            argv += ["--zck-dict-dir", args.zck_dict_dir]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    argv.append(args.target)
    return argv


def merge_mode(modes: Sequence[str | None]) -> str:
    """The one merge mode of a tag's external repos (``koji`` when unset).

    kojid refuses to merge repos of different modes; so do we, saying which.
    """
    found = {mode or "koji" for mode in modes}
    if len(found) > 1:
        raise ValueError(f"external repos of one tag must share a merge_mode, found "
                         f"{', '.join(sorted(found))}: set the same mode on all of them")
    mode = found.pop() if found else "koji"
    if mode not in MERGE_MODES:
        raise ValueError(f"unknown external repo merge_mode {mode!r}: use one of "
                         f"{', '.join(MERGE_MODES)}")
    return mode


def mergerepo_argv(mode: str, arch: str, outdir: str, repos: Sequence[str], *,
                   blocklist: str | None = None, comps: str | None = None,
                   arch_expand: bool = True) -> list[str]:
    """``mergerepo_c`` for ``mode``; ``repos`` in priority order, the koji repo first."""
    if mode == "bare":
        argv = [MERGEREPO, "--pkgorigins", "--all"]
    elif mode == "simple":
        argv = [MERGEREPO, "--koji", "--simple"]
    else:
        argv = [MERGEREPO, "--koji"]
    if mode != "bare" and blocklist:
        argv += ["-b", blocklist]
    argv += ["-a", arch, "-o", outdir]
    if arch_expand:
        argv.append("--arch-expand")
    if comps:
        argv += ["-g", comps]
    for url in repos:
        argv += ["-r", url]
    return argv


def version_tuple(text: str) -> tuple[int, ...]:
    """``(0, 17, 3)`` from ``createrepo_c --version`` output (``Version: 0.17.3 (...)``)."""
    for word in text.split():
        parts = word.split(".")
        if len(parts) >= 2 and all(p.isdigit() for p in parts):
            return tuple(int(p) for p in parts)
    raise ValueError(f"no version number in {text.strip()!r}")


def features(text: str) -> set[str]:
    """The feature words of ``--version`` output (``Features: DeltaRPM LegacyWeakdeps``)."""
    if "Features:" not in text:
        return set()
    tail = text.split("Features:", 1)[1]
    return {word.strip("()").lower() for word in tail.split() if word.strip("()")}
