"""The build steps run in a buildroot: BuildRequires, binary rebuild, SRPM rebuild, SRPM from SCM.

Both steps follow kojid's (contract 3.4, 3.5, 4.5): the record goes BUILDING,
the package list is updated afterwards whether the build worked or not, and
a failure names the log to read.  The network is gone before rpmbuild runs,
which runs as the unprivileged build user with the tag's macros and
``rpm.env.*`` environment (``Buildroot.run`` gives it to every command),
under ``rpmbuild_timeout``.  Results are taken by
``results.collect``: never through a link, RPMs only, each named as its
header says, copied out where the build cannot reach them.

Build dependencies are installed as mock's builddep installs them
(``builddeps``, ADR 0015): the SRPM's before anything of the package runs,
then, only for an SRPM that requires ``rpmlib(DynamicBuildRequires)``, what
``%generate_buildrequires`` generates, round by round (``generate_buildrequires``).
The final ``rpmbuild -ba`` keeps rpmbuild's own dependency check, as mock's.
"""

import os
from collections.abc import Sequence
from pathlib import Path

from koji_adjutant.buildroot import builddeps, results
from koji_adjutant.buildroot.buildroot import Buildroot
from koji_adjutant.buildroot.deps import Dependencies
from koji_adjutant.buildroot.environment import BUILD_USER, TOPDIR
from koji_adjutant.buildroot.results import BuildResult
from koji_adjutant.container.errors import ContainerTimeout
from koji_adjutant.errors import TaskFailed

MAX_ROUNDS = 10          # of rpmbuild -br and install, as mock's default
MORE_BUILDREQUIRES = 11  # rpmbuild -br's exit status: generated BuildRequires are missing
BUILDREQS_DIR = TOPDIR + "/BUILDREQS"


def install_buildrequires(br: Buildroot, srpm: str) -> Dependencies:
    """Install from the koji repo what the SRPM's BuildRequires need; its dependencies."""
    wanted = builddeps.from_srpm(br, srpm)
    with br.logs.phase("install BuildRequires"):
        builddeps.install(br, wanted, "BuildRequires")
    return wanted


def generate_buildrequires(br: Buildroot, spec: str, target_arch: str, package: str) -> None:
    """``%generate_buildrequires``: ``rpmbuild -br`` and install, until nothing is missing.

    rpmbuild exits with 11 when the generated BuildRequires are not all
    installed; the daemon then reads them from the ``buildreqs.nosrc.rpm`` it
    wrote and installs them (``builddeps.reclaimed``), at most ``MAX_ROUNDS`` times.
    """
    # its own output directory: the buildreqs.nosrc.rpm is no result of the build
    argv = ["rpmbuild", "-br", "--define", f"_srcrpmdir {BUILDREQS_DIR}", "--target",
            target_arch, spec]
    what = f"error generating the BuildRequires (arch {target_arch})"
    for round_ in range(1, MAX_ROUNDS + 1):
        with br.logs.phase(f"rpmbuild -br (round {round_})"):
            status = _run_package_code(br, argv, what)
        if status == 0:
            return
        if status != MORE_BUILDREQUIRES:
            raise TaskFailed(f"{what}, exit status {status}; see build.log")
        wanted = builddeps.generated(br, BUILDREQS_DIR, package)
        with builddeps.reclaimed(br), \
                br.logs.phase(f"install generated BuildRequires (round {round_})"):
            if not builddeps.install(br, wanted, "generated BuildRequires"):
                builddeps.fail(br, f"rpmbuild -br of {package} still reports missing "
                                   f"BuildRequires that dnf finds installed; see build.log")
    raise TaskFailed(f"%generate_buildrequires of {package} asked for more BuildRequires "
                     f"after {MAX_ROUNDS} rounds of installing them; see build.log")


def _unpack(br: Buildroot, srpm: str, topdir: str) -> str:
    """Install the SRPM's sources under ``topdir``; return its one spec file's path."""
    specs: list[str] = []
    sink = br.logs.sink("build.log")

    def collect(line: str) -> None:
        if line.startswith("SPEC: "):
            specs.append(line[len("SPEC: "):].strip())
        sink(line)

    collect.tick = sink.tick  # keep uploads current, as every log sink does
    script = ('rpm -iv --define "_topdir $1" "$2" && '
              'for f in "$1"/SPECS/*.spec; do [ -e "$f" ] && echo "SPEC: $f"; done; true')
    argv = ["/bin/sh", "-c", script, "unpack", topdir, srpm]
    br.logs.command("build.log", ["rpm", "-iv", "--define", f"_topdir {topdir}", srpm],
                    BUILD_USER)
    br.run(argv, log=collect, user=BUILD_USER, check=True)
    if len(specs) != 1:
        raise TaskFailed(f"expected exactly one spec file in the SRPM, found {len(specs)}")
    return specs[0]


def _run_package_code(br: Buildroot, argv: list[str], what: str) -> int:
    """Run package code (``argv``) as the build user under ``rpmbuild_timeout``, into
    build.log; its exit status.  ``what`` names the step in a timeout message."""
    timeout = br.options.rpmbuild_timeout
    br.untrusted = True  # the package's own code runs from here on
    try:
        result = br.run(argv, log="build.log", user=BUILD_USER, check=False,
                        timeout=timeout)
    except ContainerTimeout as exc:
        raise TaskFailed(f"{what} exceeded rpmbuild_timeout ({timeout} s) and was "
                         f"stopped; see build.log") from exc
    return result.exit_code


def _build_step(br: Buildroot, argv: list[str], what: str, failed: str) -> None:
    """Run a build step (``_run_package_code``); ``failed`` (with ``{status}``) is the
    message for a non-zero exit."""
    status = _run_package_code(br, argv, what)
    if status != 0:
        raise TaskFailed(failed.replace("{status}", str(status)) + "; see build.log")


def _rpmbuild(br: Buildroot, argv: list[str], what: str) -> None:
    _build_step(br, argv, what, what + ", exit status {status}")


def _one_srpm(br: Buildroot, topdir: str, after: str) -> Path:
    """The one SRPM rpmbuild left in ``topdir``'s SRPMS (its checked copy)."""
    srpms = results.collect(br.home, topdir, ("SRPMS",)).srpms
    if len(srpms) != 1:
        raise TaskFailed(f"expected one SRPM {after}, found {len(srpms)}")
    return srpms[0]


def rebuild(br: Buildroot, srpm: str, target_arch: str) -> BuildResult:
    """Rebuild ``srpm`` (a path in the container) into an SRPM and binaries for the arch."""
    br.record.building()
    try:
        wanted = install_buildrequires(br, srpm)
        br.cut_network()
        with br.logs.phase(f"rpmbuild for {target_arch}"):
            spec = _unpack(br, srpm, TOPDIR)
            if wanted.dynamic:  # skipped otherwise: rpmbuild -br would only cost time
                generate_buildrequires(br, spec, target_arch, wanted.package)
            _rpmbuild(br, ["rpmbuild", "-ba", "--target", target_arch, spec],
                      f"error building package (arch {target_arch})")
    finally:
        br.update_package_list()
    return results.collect(br.home, TOPDIR, ("SRPMS", "RPMS"))


def rebuild_srpm(br: Buildroot, srpm: str) -> Path:
    """Rebuild ``srpm`` with the buildroot's macros (its ``%dist``); the new SRPM's path."""
    br.record.building()
    topdir = TOPDIR + "/srpm_unpacked"
    br.cut_network()
    with br.logs.phase("rebuild SRPM"):
        spec = _unpack(br, srpm, topdir)
        _rpmbuild(br, ["rpmbuild", "--define", f"_topdir {topdir}", "-bs", "--nodeps",
                       "--target", "noarch", spec], "error rebuilding the SRPM")
    return _one_srpm(br, topdir, "after the rebuild")


def run_source_cmd(br: Buildroot, source_cmd: Sequence[str], workdir: str) -> None:
    """The SCM's ``source_cmd`` (e.g. ``make sources``) in ``workdir``, as the build user."""
    command = " ".join(source_cmd)
    br.logs.append("build.log", f"running source_cmd {command!r} in {workdir}\n")
    # sh only changes directory; the command's words are passed as arguments, never parsed
    argv = ["/bin/sh", "-c", 'cd "$1" && shift && exec "$@"', "source_cmd", workdir,
            *source_cmd]
    what = f"error retrieving sources: {command!r}"
    with br.logs.phase(f"source_cmd {command}"):
        _build_step(br, argv, what, what + " exited with status {status}")


def build_srpm(br: Buildroot, spec: str, sources: str, source_cmd: Sequence[str] | None,
               workdir: str) -> Path:
    """An SRPM from a checkout (container paths): ``source_cmd`` first, then ``rpmbuild -bs``.

    ``source_cmd`` runs with the network the buildroot was given for it
    (``BuildrootParams.network``); rpmbuild never has one.
    """
    br.record.building()
    if source_cmd:
        if not br.params.network:
            br.cut_network()
        run_source_cmd(br, source_cmd, workdir)
    br.cut_network()
    topdir = TOPDIR + "/scm_srpm"
    with br.logs.phase("build SRPM"):
        _rpmbuild(br, ["rpmbuild", "--define", f"_topdir {topdir}",
                       "--define", f"_sourcedir {sources}",
                       "--define", f"_specdir {os.path.dirname(spec)}",
                       "-bs", "--nodeps", "--target", "noarch", spec], "error building srpm")
    return _one_srpm(br, topdir, "from rpmbuild -bs")
