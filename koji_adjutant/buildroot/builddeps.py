"""A package's build dependencies installed in its buildroot, as mock's builddep installs them.

``install`` resolves ``Dependencies`` (``deps``) with the buildroot's own dnf
(``depsolve``, as root) and installs what they need from the koji repo with
``Buildroot.dnf_install``; a requirement nothing satisfies, or a
BuildConflicts the buildroot would have, fails the task with one line that
names each of them, in the task result and at the top of root.log.

Generated BuildRequires (``%generate_buildrequires``, run by ``rpmbuild -br``
as the build user) are package code's output, and root must act on them:
``reclaimed`` is the one place root runs after package code (ADR 0015).  It
kills every process of the build user first (``kill -KILL -1`` as that user,
then root checks that none is left) and removes what the build user left in
the world-writable directories, so nothing of the build runs or waits while
root works; the requirements themselves reach root only as strings the daemon
read from a header it copied out (``generated``) and checked.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import PurePosixPath

from koji_adjutant.buildroot import deps, depsolve, results
from koji_adjutant.buildroot.buildroot import Buildroot
from koji_adjutant.buildroot.deps import Dependencies
from koji_adjutant.buildroot.environment import BUILD_UID, BUILD_USER, DNF_CONF
from koji_adjutant.errors import TaskFailed

BUILDREQS_SUFFIX = ".buildreqs.nosrc.rpm"
BUILDREQS_LIMIT = 16 << 20  # bytes: a header of MAX_DEPENDENCIES long ones fits many times
# as the build user: SIGKILL to every process it may signal (all of its own; not this shell)
KILL_ALL = "kill -KILL -1 2>/dev/null; true"
# as root: wait (5 s at most) until no process of the build user is left, then remove
# what it left outside its home in directories anyone may write
RECLAIM = """
command -v pgrep >/dev/null || { echo "the image has no pgrep (procps)"; exit 4; }
i=0
while pgrep -u "$1" >/dev/null; do
    i=$((i + 1)); [ "$i" -le 50 ] || { echo "processes of uid $1 survived SIGKILL"; exit 3; }
    sleep 0.1
done
find / /tmp /var/tmp /dev/shm /run -xdev -user "$1" ! -path /builddir ! -path '/builddir/*' \\
    -delete
true
"""
RECLAIM_FAILURES = {3: "processes of the build survived SIGKILL",
                    4: "the image has no pgrep (procps) to check that the build's "
                       "processes are gone"}


def from_srpm(br: Buildroot, srpm: str) -> Dependencies:
    """The dependencies in the header of ``srpm`` (a container path in the build home)."""
    with contextlib.ExitStack() as stack:
        return deps.read(results.open_file(br.home, srpm, stack), PurePosixPath(srpm).name)


def generated(br: Buildroot, srpms_dir: str, package: str) -> Dependencies:
    """The dependencies in the ``*.buildreqs.nosrc.rpm`` that ``rpmbuild -br`` wrote."""
    copy = results.take_file(br.home, srpms_dir, BUILDREQS_SUFFIX, BUILDREQS_LIMIT)
    try:
        with open(copy, "rb") as source:
            return deps.read(source, package)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def install(br: Buildroot, wanted: Dependencies, what: str) -> tuple[str, ...]:
    """Install what ``wanted`` needs; the NEVRAs installed.  Fails naming what cannot be."""
    if not (wanted.requires or wanted.conflicts):
        br.logs.append("root.log", f"{what}: -; BuildConflicts: -; nothing to resolve\n")
        return ()
    lines: list[str] = []
    br.logs.command("root.log", ["python3", "-I", "-c", "<resolve the build dependencies>",
                                 DNF_CONF, *wanted.requires], None)
    result = br.run(depsolve.argv(DNF_CONF, wanted), log=lines.append, check=False)
    br.logs.append("root.log", "".join(line.rstrip("\n") + "\n" for line in lines
                                       if not line.startswith(depsolve.MARK)))
    plan = depsolve.parse(lines, result.exit_code)
    if not plan.resolved:
        fail(br, deps.unresolved_message(wanted.package, list(plan.missing),
                                         list(plan.unsolvable), plan.problem))
    if plan.conflicts:
        fail(br, deps.conflicts_message(wanted.package, list(plan.conflicts)))
    br.logs.append("root.log", f"{what}: {', '.join(wanted.requires) or '-'}; BuildConflicts: "
                               f"{', '.join(wanted.conflicts) or '-'}; to install: "
                               f"{' '.join(plan.install) or '-'}\n")
    if plan.install:
        br.dnf_install(plan.install, what=what)
    return plan.install


def fail(br: Buildroot, message: str) -> None:
    """Fail the task with ``message``, which also becomes the first line of root.log."""
    br.logs.flush()
    path = br.logs.path("root.log")
    before = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    br.logs.write("root.log", f"{message}\n\n{before}")
    raise TaskFailed(message)


@contextlib.contextmanager
def reclaimed(br: Buildroot) -> Iterator[None]:
    """Root's turn in a buildroot where package code ran (see the module docstring).

    ``br.untrusted`` is lifted only inside, after the build user's processes
    are gone, and is set again on the way out, whatever happens.
    """
    br.run(["/bin/sh", "-c", KILL_ALL], log="root.log", user=BUILD_USER, check=False)
    br.untrusted = False  # nothing of the package runs now; root reads none of its files
    try:
        result = br.run(["/bin/sh", "-c", RECLAIM, "reclaim", str(BUILD_UID)], log="root.log",
                        check=False)
        if result.exit_code != 0:
            why = RECLAIM_FAILURES.get(result.exit_code, f"exit status {result.exit_code}")
            raise TaskFailed(f"cannot install the generated BuildRequires: {why}; "
                             f"see root.log")
        yield
    finally:
        br.untrusted = True
