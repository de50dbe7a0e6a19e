"""Which arches a build parent builds for, and which arch each subtask is scheduled on.

Pure functions over strings and one small value read from the SRPM header
(contract 7.2).  ``build_arches`` is kojid's ``getArchList``: the tag's arches
(plus the package's ``extra_arches``), narrowed by the SRPM's BuildArchs,
ExclusiveArch and ExcludeArch, with ``noarch`` and ``arch_override`` rules.
``task_arch`` is kojid's ``choose_taskarch``: the arch a ``buildArch`` or SRPM
subtask is created with, which is what the hub schedules on.  Nothing here
talks to the hub; the caller reads the tag and the header.
"""

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import koji
import koji.util

from koji_adjutant.errors import TaskFailed

Chooser = Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class SrpmArches:
    """The arch tags of a source RPM header (literal strings, as the packager wrote them)."""

    buildarchs: tuple[str, ...] = ()
    exclusivearch: tuple[str, ...] = ()
    excludearch: tuple[str, ...] = ()

    @classmethod
    def from_header(cls, header) -> "SrpmArches":
        """Read BuildArchs, ExclusiveArch and ExcludeArch from an rpm header."""
        return cls(*(tuple(koji.get_header_field(header, name) or ())
                     for name in ("buildarchs", "exclusivearch", "excludearch")))

    @property
    def restricts(self) -> bool:
        """Whether the package limits the arches it may be built on."""
        return bool(self.exclusivearch or self.excludearch)


def canonical(arches: Iterable[str]) -> set[str]:
    return {koji.canonArch(a) for a in arches}


def build_arches(tag_arches: str | None, srpm: SrpmArches, extra_arches: str | None = None,
                 arch_override: str | None = None, tag: str = "") -> list[str]:
    """The arches to spawn ``buildArch`` for, in order, without duplicates.

    ``arch_override`` (space separated) replaces the list; the caller allows
    it for scratch builds only.  Every arch kept is ``noarch`` or one whose
    canonical form is a tag arch.  ``tag`` names the tag in kojid's error for a
    tag without arches ("No arches for tag NAME [ID]").
    """
    tag_list = (tag_arches or "").split()
    if not tag_list:
        raise TaskFailed(" ".join(["No arches for tag", tag]).rstrip())
    candidates = tag_list + (extra_arches or "").split()
    if srpm.buildarchs:
        candidates = list(srpm.buildarchs)
    if srpm.exclusivearch:
        candidates = [a for a in candidates if a in srpm.exclusivearch]
    if srpm.excludearch:
        candidates = [a for a in candidates if a not in srpm.excludearch]
    if "noarch" not in srpm.excludearch and (
            "noarch" in srpm.buildarchs or "noarch" in srpm.exclusivearch):
        candidates.append("noarch")
    if arch_override:
        candidates = arch_override.split()
    allowed = canonical(tag_list)
    arches = [a for a in dict.fromkeys(candidates)
              if a == "noarch" or koji.canonArch(a) in allowed]
    if not arches:
        raise TaskFailed(
            f"No matching arches were found: tag arches {' '.join(tag_list)}; package "
            f"BuildArch {' '.join(srpm.buildarchs) or '-'}, ExclusiveArch "
            f"{' '.join(srpm.exclusivearch) or '-'}, ExcludeArch "
            f"{' '.join(srpm.excludearch) or '-'}")
    return arches


def task_arch(arch: str, tag_arches: str | None, srpm: SrpmArches | None = None,
              noarch_arches: str | None = None, literal_task_arches: str = "",
              choose: Chooser = random.choice) -> str:
    """The arch a subtask building ``arch`` is created with (what the hub schedules on).

    A ``literal_task_arches`` glob keeps the arch as written; other real arches
    become canonical.  A ``noarch`` build stays ``noarch`` unless the package's
    ExclusiveArch/ExcludeArch or the tag's ``noarch_arches`` narrow the tag's
    arches: then one allowed arch is picked with ``choose``, so that only a
    fitting builder takes the task.
    """
    if koji.util.multi_fnmatch(arch, literal_task_arches):
        return arch
    if arch != "noarch":
        return koji.canonArch(arch)
    srpm = srpm or SrpmArches()
    if not (srpm.restricts or noarch_arches):
        return "noarch"
    tag_set = canonical((tag_arches or "").split())
    allowed = set(tag_set)
    if noarch_arches:
        allowed &= canonical(noarch_arches.split())
    # "noarch" itself in ExclusiveArch says nothing about the build host
    exclusive = canonical(srpm.exclusivearch) - {"noarch"}
    if exclusive:
        allowed &= exclusive
    allowed -= canonical(srpm.excludearch)
    if not allowed:
        raise TaskFailed(
            f"No valid arches were found for a noarch build: tag arches "
            f"{' '.join(sorted(tag_set)) or '-'}, noarch_arches {noarch_arches or '-'}, "
            f"ExclusiveArch {' '.join(srpm.exclusivearch) or '-'}, "
            f"ExcludeArch {' '.join(srpm.excludearch) or '-'}")
    if allowed == tag_set:
        return "noarch"
    return choose(sorted(allowed))
