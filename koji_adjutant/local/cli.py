"""``koji-adjutant local build SOURCE`` and ``local reproduce TASK_ID``: the command line.

``register(subparsers)`` adds ``local`` with its two subcommands to the
operator tool.  Both end in ``execute``: a scratch directory and a watchdog
(leftovers.py, watchdog.py), options, a container manager (pinged first),
the removal of what killed local runs left, the phases of
``runner.LocalBuilder``, the results and logs copied to the result
directory, a summary.  Every failure is one line on stderr and an exit code,
never a traceback; the containers are removed by the buildroots' scopes
whatever happens, and by the watchdog within seconds when the process is
killed.

Exit codes: 0 built; 1 the build failed (the message names the log to read);
2 bad command line or SOURCE; 69 podman, the image or the hub unavailable;
78 configuration error; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import koji

from koji_adjutant.config import DEFAULT_CONFIG
from koji_adjutant.container import ContainerManager
from koji_adjutant.container.errors import (
    ContainerError,
    ImageError,
    RuntimeUnavailable,
)
from koji_adjutant.errors import (
    EX_CONFIG,
    EX_FAILURE,
    EX_OK,
    EX_UNAVAILABLE,
    EX_USAGE,
    ConfigError,
    TaskFailed,
)
from koji_adjutant.local import leftovers
from koji_adjutant.local import reproduce as reproducing
from koji_adjutant.local.console import Console
from koji_adjutant.local.options import local_options
from koji_adjutant.local.repos import LocalRepos
from koji_adjutant.local.runner import BuildPlan, LocalBuilder, host_arch
from koji_adjutant.local.sources import BadSource, Source, classify
from koji_adjutant.policy import ImageChoice
from koji_adjutant.tasks.buildroot_task import canonical_arches

WORK_ROOT = "/var/tmp"
EX_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C


class Unavailable(Exception):
    """Something the build needs from outside (podman, an image, the hub) is not there."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``local`` with ``build`` and ``reproduce``."""
    parser = subparsers.add_parser("local", help="build packages here as a builder would",
                                   description="Build in containers with the daemon's "
                                               "buildroot code, without a hub.")
    local = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    _register_build(local)
    _register_reproduce(local)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE", default=DEFAULT_CONFIG,
                        help="kojid configuration to take options from, if it exists "
                             "[default: %(default)s]")
    parser.add_argument("--resultdir", type=Path,
                        help="where RPMs and logs go [default: ./results/<nvr>/]")
    parser.add_argument("--arch", help="target arch (noarch allowed) [default: this host's]")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress and no build log on the terminal")


def _register_build(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build", help="build SOURCE (git URL, directory with a spec, or SRPM)",
        description="Build SOURCE: a git URL (git+https://host/repo.git#ref), a directory "
                    "with a spec file (e.g. a git checkout) or an SRPM.")
    parser.add_argument("source", metavar="SOURCE")
    _common(parser)
    parser.add_argument("--image", help="buildroot image [default: [adjutant] default_image, "
                                        "else the image scripts/provision builds]")
    parser.add_argument("--define", action="append", default=[], metavar="'MACRO VALUE'",
                        help="an rpm macro for the build (repeatable)")
    parser.add_argument("--dist", help="the %%dist macro, e.g. .fc40")
    parser.add_argument("--repo", action="append", default=[], metavar="URL",
                        help="a repository (file://, http(s)://) for BuildRequires "
                             "(repeatable)")
    parser.set_defaults(run=run_build)


def _register_reproduce(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reproduce", help="re-run a hub's buildArch or SRPM task here",
        description="Fetch a buildArch, rebuildSRPM or buildSRPMFromSCM task (anonymously), "
                    "its SRPM or source, its tag's build config and repo, and run the same "
                    "build here with the same image and macros.")
    parser.add_argument("task_id", metavar="TASK_ID", type=int)
    parser.add_argument("--hub", required=True, metavar="URL", help="the hub's XML-RPC URL")
    parser.add_argument("--topurl", metavar="URL",
                        help="the koji volume over HTTP [default: the hub URL with "
                             "kojihub replaced by kojifiles]")
    parser.add_argument("--topdir", metavar="DIR",
                        help="the koji volume mounted here (read instead of --topurl)")
    _common(parser)
    parser.set_defaults(run=run_reproduce)


def local_plan(args: argparse.Namespace, options) -> BuildPlan:
    """The plan of ``local build``: made-up tag with the macros, the ``--repo`` URLs."""
    extra = {}
    for text in args.define:
        name, _, value = text.strip().lstrip("%").partition(" ")
        if not name or not value.strip():
            raise BadSource(f"--define {text!r}: expected 'MACRO VALUE'")
        extra[f"rpm.macro.{name}"] = value.strip()
    if args.dist is not None:
        extra["rpm.macro.dist"] = args.dist
    repos = LocalRepos.checked(tuple(args.repo))
    image = args.image or options.adjutant.default_image
    source = "--image" if args.image else "local default image"
    choice = ImageChoice(image, source, None, None, None)
    return BuildPlan(arch=args.arch or host_arch(),
                     tag_config={"id": 0, "name": "local", "extra": extra},
                     repo={"id": 0, "create_event": None},
                     repos=lambda arch: repos, images=lambda method, arch: choice)


def check_arch(arch: str | None) -> None:
    """``--arch`` as a builder of this machine's arch would check a buildArch task's arch."""
    if arch is None or arch == "noarch" or koji.canonArch(arch) in canonical_arches(
            host_arch()):
        return
    raise BadSource(f"--arch {arch}: this machine builds for {host_arch()} (and noarch), as a "
                    f"koji builder takes buildArch tasks only for its own arches")


def run_build(args: argparse.Namespace, console: Console | None = None) -> int:
    """``local build SOURCE``; the exit code."""
    console = console or Console(args.quiet)
    try:
        check_arch(args.arch)
        source = classify(args.source)
    except BadSource as exc:
        console.error(str(exc))
        return EX_USAGE
    return execute(args, console, lambda options, workdir: (local_plan(args, options), source))


def run_reproduce(args: argparse.Namespace, console: Console | None = None) -> int:
    """``local reproduce TASK_ID --hub URL``; the exit code."""
    console = console or Console(args.quiet)
    return execute(args, console, lambda options, workdir: reproducing.plan_task(
        args, options, workdir, console))


# (options, workdir) -> the plan and the source of the build
PlanMaker = Callable[[object, Path], tuple[BuildPlan, Source]]


def execute(args, console: Console, make_plan: PlanMaker) -> int:
    """Run a local build end to end; map every failure to its exit code."""
    try:
        with leftovers.guarded_run(Path(WORK_ROOT), lambda workdir: _options(args, workdir)
                                   ) as (run, options):
            return _build(args, console, make_plan, run, options)
    except (BadSource, reproducing.BadTask) as exc:
        console.error(str(exc))
        return EX_USAGE
    except ConfigError as exc:
        console.error(f"configuration error: {exc}")
        return EX_CONFIG
    except (Unavailable, reproducing.HubUnavailable) as exc:
        console.error(str(exc))
        return EX_UNAVAILABLE
    except KeyboardInterrupt:
        console.error("interrupted; the build's containers were removed")
        return EX_INTERRUPTED


def _options(args, workdir: Path):
    hub = getattr(args, "hub", None)
    return local_options(args.config, workdir=workdir, server=hub,
                         topdir=getattr(args, "topdir", None),
                         topurls=reproducing.topurls(args) if hub else ())


def _build(args, console: Console, make_plan: PlanMaker, run: leftovers.Run, options) -> int:
    workdir = run.path
    manager = _manager(options, run.run_id)
    try:
        _sweep_leftovers(console, manager)
        plan, source = make_plan(options, workdir)
        builder = LocalBuilder(options, manager, workdir, console.echo)
        return _phases(args, console, builder, plan, source, workdir)
    finally:
        manager.close()


def _phases(args, console: Console, builder: LocalBuilder, plan: BuildPlan, source: Source,
            workdir: Path) -> int:
    out = workdir / "out"
    files: list[Path] = []
    srpm: Path | None = Path(source.location) if source.kind == "srpm" else None
    try:
        console.say(f"building {source.location} for {plan.arch}")
        srpm = builder.srpm_from_source(plan, source)
        files = builder.binaries(plan, srpm, out)
        status = EX_OK
    except TaskFailed as exc:
        console.error(str(exc))
        status = EX_FAILURE
    except (ImageError, RuntimeUnavailable) as exc:
        console.error(str(exc))
        status = EX_UNAVAILABLE
    except ContainerError as exc:
        console.error(f"the container runtime failed: {exc}")
        status = EX_FAILURE
    resultdir = args.resultdir or Path("results") / _result_name(srpm, source)
    resultdir.mkdir(parents=True, exist_ok=True)
    kept = [Path(_copy(p, resultdir)) for p in files]
    builder.copy_logs(resultdir)
    if status == EX_OK:
        console.summary(resultdir, kept)
    else:
        console.error(f"logs in {resultdir / 'logs'}")
    return status


def _result_name(srpm: Path | None, source: Source) -> str:
    """N-V-R of the SRPM once there is one (also when the binary build failed)."""
    if srpm is not None:
        try:
            header = koji.get_rpm_header(str(srpm))
        except (koji.GenericError, OSError):
            return source.label
        nvr = koji.get_header_fields(header, ["name", "version", "release"])
        return "{name}-{version}-{release}".format(**nvr)
    return source.label


def _copy(path: Path, directory: Path) -> str:
    target = directory / path.name
    target.write_bytes(path.read_bytes())
    return str(target)


def _manager(options, run_id: str) -> ContainerManager:
    manager = leftovers.open_run_manager(options, run_id)
    try:
        manager.ping()
    except ContainerError as exc:  # its message says what to do (start it, or permissions)
        manager.close()
        raise Unavailable(str(exc)) from exc
    return manager


def _sweep_leftovers(console: Console, manager: ContainerManager) -> None:
    """Remove what earlier local runs that were killed left: containers, scratch space."""
    try:
        containers, directories = leftovers.sweep(manager, Path(WORK_ROOT))
    except ContainerError as exc:
        console.error(f"cannot remove the leftovers of earlier local builds: {exc}")
        return
    if containers or directories:
        console.say(f"removed the leftovers of killed local builds: {len(containers)} "
                    f"container(s), {len(directories)} scratch dir(s)")
