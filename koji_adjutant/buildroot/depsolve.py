"""Resolving build dependencies in the buildroot, with its dnf, the way ``dnf builddep`` does.

``argv`` is the command: ``python3 -I -c RESOLVE_SCRIPT <dnf.conf> <count>
<requirement>... <conflict>...``, run as root in the container (isolated
mode: no ``PYTHON*`` variables, no user site, no script directory on the
path).  The script only reads: the rpm database and the repo metadata.  Per
requirement, as ``dnf builddep`` decides it: met when something installed
provides it (a file requirement: or contains it); else a package of the repo
that provides it (or the file) goes into the solver's goal; a rich
dependency ``(a or b)`` goes to the solver even when nothing matches it by
name, as its condition may not apply.  Nothing matching a plain requirement,
or a goal the solver rejects, makes the requirement unresolvable.  Then every
BuildConflicts is checked against what is installed plus what the install
would add.  The answer is one line, ``BUILDDEP {json}``; ``parse`` checks it,
and ``Plan.install`` holds full NEVRAs for ``dnf install``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from koji_adjutant.buildroot.deps import Dependencies
from koji_adjutant.buildroot.prefetch import OPEN_BASE
from koji_adjutant.errors import TaskFailed

MARK = "BUILDDEP "
NEVRA = re.compile(r"[A-Za-z0-9_+][A-Za-z0-9._+^~-]*-\d+:[A-Za-z0-9._+^~]+-[A-Za-z0-9._+^~]+"
                   r"\.[A-Za-z0-9_]+")

RESOLVE_SCRIPT = r"""
import json, sys
import dnf, dnf.exceptions, dnf.selector
""" + OPEN_BASE + r"""

def providers(query, dep):
    found = query.filter(provides=dep)
    if not found and dep.startswith("/"):
        found = query.filter(file=dep)
    return found


def selector(base, dep):
    sel = dnf.selector.Selector(base.sack)
    if dep.startswith("/") and not base.sack.query().filter(provides=dep):
        sel.set(file=dep)
    else:
        sel.set(provides=dep)
    return sel


def provided(query, name):
    # what packages of `query` provide of the capability `name`, e.g. "bar = 1.0-1"
    found = set()
    for pkg in query.filter(provides=name):
        found.update(str(p) for p in pkg.provides if str(p).split(" ")[0] == name)
    return sorted(found)[:3]


def problem_of(base, deps):
    # dnf's problem text when the goal of `deps` cannot be solved, else None
    base.reset(goal=True)
    for dep in deps:
        # the goal is dnf's own (dnf.Base has no public call to install by a dependency)
        base._goal.install(select=selector(base, dep), optional=False)
    try:
        base.resolve()
    except dnf.exceptions.DepsolveError as exc:
        return str(exc)
    return None


def main(conf, count, deps):
    requires, conflicts = deps[:count], deps[count:]
    base = open_base(conf)
    installed = base.sack.query().installed()
    available = base.sack.query().available()
    answer = {"missing": [], "unsolvable": [], "problem": None, "install": [],
              "conflicts": []}
    wanted = []
    for dep in requires:
        if providers(installed, dep):
            continue
        if dep.startswith("(") or providers(available, dep):
            wanted.append(dep)
            continue
        name = dep.split(" ")[0]
        answer["missing"].append([dep, provided(available, name), provided(installed, name)])
    if answer["missing"]:
        return answer
    answer["problem"] = problem_of(base, wanted) if wanted else None
    if answer["problem"]:
        answer["unsolvable"] = [dep for dep in wanted if problem_of(base, [dep])]
        return answer
    adding = list(base.transaction.install_set) if wanted else []
    answer["install"] = sorted("%s-%s:%s-%s.%s" % (p.name, p.epoch, p.version, p.release,
                                                    p.arch) for p in adding)
    after = installed.union(base.sack.query().filterm(pkg=adding)) if adding else installed
    for dep in conflicts:
        found = providers(after, dep)
        if found:
            answer["conflicts"].append([dep, sorted(str(p) for p in found)[:3]])
    return answer


try:
    result = main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
except dnf.exceptions.Error as exc:
    result = {"error": str(exc)}
print("BUILDDEP " + json.dumps(result), flush=True)
"""


def argv(conf: str, deps: Dependencies) -> list[str]:
    """The resolver's command line: the checked strings are plain arguments of the script."""
    return ["python3", "-I", "-c", RESOLVE_SCRIPT, conf, str(len(deps.requires)),
            *deps.requires, *deps.conflicts]


@dataclass(frozen=True)
class Plan:
    """The resolver's answer for one package (see the module docstring)."""

    install: tuple[str, ...] = ()
    missing: tuple[tuple[str, list[str], list[str]], ...] = ()
    unsolvable: tuple[str, ...] = ()
    problem: str | None = None
    conflicts: tuple[tuple[str, list[str]], ...] = ()

    @property
    def resolved(self) -> bool:
        return not (self.missing or self.problem)


def parse(lines: Iterable[str], exit_code: int) -> Plan:
    """The resolver's answer; a missing or malformed answer fails the task."""
    answers = [line[len(MARK):] for line in lines if line.startswith(MARK)]
    if exit_code != 0 or len(answers) != 1:
        raise TaskFailed(f"the dependency resolver in the buildroot failed (exit status "
                         f"{exit_code}); see root.log")
    try:
        data = json.loads(answers[0])
        if "error" in data:
            raise TaskFailed(f"dnf cannot read the buildroot's repositories: "
                             f"{' '.join(str(data['error']).split())}")
        plan = Plan(_nevras(data["install"]),
                    tuple((str(d), _strs(repo), _strs(here)) for d, repo, here in data["missing"]),
                    tuple(_strs(data["unsolvable"])),
                    None if data["problem"] is None else str(data["problem"]),
                    tuple((str(d), _strs(by)) for d, by in data["conflicts"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TaskFailed(f"unexpected answer of the dependency resolver: {answers[0][:200]!r}"
                         ) from exc
    return plan


def _strs(items) -> list[str]:
    if not isinstance(items, list):
        raise TypeError("a list was expected")
    return [str(item) for item in items]


def _nevras(items) -> tuple[str, ...]:
    nevras = tuple(_strs(items))
    for nevra in nevras:
        if not NEVRA.fullmatch(nevra):
            raise ValueError(f"not a package NEVRA: {nevra!r}")
    return nevras
