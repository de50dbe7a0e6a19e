"""A local build: the daemon's buildroot and build steps, driven without a hub.

``LocalBuilder`` owns a scratch directory (``workdir``) and borrows the run's
container manager; each phase gets its own ``TaskResources`` (the daemon's
assembly: the plan's image, logs that are echoed instead of uploaded) and
through it a ``Buildroot`` (the daemon's class, with a ``LocalRecord``), whose
container is removed when the phase ends, failed or not:

1. ``srpm_from_source``: for a directory or git URL, an ``srpm-build``
   buildroot builds the SRPM with ``build.build_srpm`` (as
   ``buildSRPMFromSCM`` does); an SRPM is used as it is (as ``buildArch`` is
   given one);
2. ``binaries``: a ``build`` buildroot rebuilds the SRPM for the arch with
   ``build.rebuild`` (as ``buildArch`` does).

Either phase's results are the checked copies ``results.collect`` took out
of the buildroot (regular files, named as their headers say), so only those
names ever reach the output directory.

Each phase's logs land in ``workdir/logs/<phase>/``, the same files a
builder uploads.  What makes a build local or a reproduction is the
``BuildPlan``: the tag config (macros), repo, repositories and image policy.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import koji

from koji_adjutant import scm as scmlib
from koji_adjutant.buildroot import build
from koji_adjutant.buildroot.buildroot import Buildroot, BuildrootParams
from koji_adjutant.buildroot.environment import BuildEnvironment
from koji_adjutant.buildroot.record import LocalRecord
from koji_adjutant.container import ContainerManager
from koji_adjutant.local.repos import LocalRepos
from koji_adjutant.local.sources import Source, copy_tree
from koji_adjutant.policy import ImageChoice
from koji_adjutant.resources import TaskResources

Echo = Callable[[str, str], None]


def host_arch() -> str:
    """This machine's canonical koji arch (the arch of a build without ``--arch``)."""
    return koji.canonArch(os.uname().machine)


@dataclass(frozen=True)
class BuildPlan:
    """Everything that decides how a local build is done, besides the source.

    ``tag_config`` and ``repo`` have the shape of ``getBuildConfig`` and
    ``repoInfo`` answers (a local build makes up ones holding its macros);
    ``repos(br_arch)`` is the repo source of a buildroot arch and
    ``images(method, arch)`` the image policy's answer.
    """

    arch: str
    tag_config: dict
    repo: dict
    repos: Callable[[str], object]
    images: Callable[[str, str], ImageChoice]
    task_id: int = 0


class NoHub:
    """The session the koji library's checkout wants for its log upload; there is no hub.

    ``checkout.log`` stays in the phase's log directory; nothing is sent anywhere.
    """

    def __init__(self):
        self.opts: dict = {}

    def _forget(self) -> None:
        return None

    def uploadFile(self, path, name, size, digest, offset, data) -> bool:
        return True


class LocalBuilder:
    """Runs the phases of one local build in ``workdir`` (see the module docstring)."""

    def __init__(self, options, manager: ContainerManager, workdir: Path,
                 echo: Echo | None = None):
        self.options = options
        self.manager = manager
        self.workdir = Path(workdir)
        self.echo = echo
        self.log_dirs: list[Path] = []

    def buildroot(self, plan: BuildPlan, phase: str, method: str, br_arch: str,
                  group: str) -> Buildroot:
        """A ``Buildroot`` for one phase (use it as a context manager)."""
        logdir = self.workdir / "logs" / phase
        self.log_dirs.append(logdir)
        resources = TaskResources(self.options, logdir=logdir,
                                  images=lambda tag, event, arch: plan.images(method, arch),
                                  open_manager=lambda: self.manager, owns_manager=False,
                                  echo=self.echo)
        repos = plan.repos(br_arch)
        env = BuildEnvironment.from_tag(self.options, plan.tag_config, plan.repo, br_arch,
                                        group, tuple(getattr(repos, "baseurls", ())))
        if isinstance(repos, LocalRepos):
            env = dataclasses.replace(env, extra_repos=repos.urls)
        params = BuildrootParams(task_id=plan.task_id, method=method, env=env, repo=repos,
                                 image=resources.image(plan.tag_config["id"], None, br_arch))
        return resources.buildroot(params, LocalRecord(), self.workdir / f"br-{phase}")

    def srpm_from_source(self, plan: BuildPlan, source: Source) -> Path:
        """The SRPM to build: ``source`` itself, or one built from its spec and sources."""
        if source.kind == "srpm":
            return Path(source.location)
        with self.buildroot(plan, "srpm", "buildSRPMFromSCM", host_arch(), "srpm-build") as br:
            br.init()
            scmdir = br.home / "scmroot"
            sourcedir = self._fetch(br, source, scmdir)
            scmlib.hand_over(scmdir, *br.build_ids())
            spec = scmlib.find_spec(sourcedir)
            scmlib.check_spec(spec)
            return build.build_srpm(br, br.container_path(spec),
                                    br.container_path(scmlib.sources_dir(sourcedir)), None,
                                    br.container_path(sourcedir))

    def _fetch(self, br: Buildroot, source: Source, scmdir: Path) -> Path:
        with br.logs.phase(f"checkout {scmlib.url.redact(source.location)}"):
            if source.kind == "directory":
                scmdir.mkdir(parents=True, exist_ok=True)
                path = Path(source.location)
                br.logs.append("build.log", f"copied {path}\n")
                return copy_tree(path, scmdir / path.name)
            repo = scmlib.open_scm(source.location)
            # no allowed_scms here: no ``common`` repository, no source_cmd
            repo.use_common = False
            sourcedir = scmlib.fetch(repo, scmdir, NoHub(), "",
                                     br.logs.path("checkout.log"))
            br.logs.append("build.log",
                           f"checked out {scmlib.resolved_source(repo)['source']}\n")
            return sourcedir

    def binaries(self, plan: BuildPlan, srpm: Path, out: Path) -> list[Path]:
        """Rebuild ``srpm`` for the plan's arch; its SRPM and RPMs moved into ``out``."""
        arch = plan.arch
        br_arch = host_arch() if arch == "noarch" else arch
        with self.buildroot(plan, arch, "buildArch", br_arch, "build") as br:
            br.init()
            result = build.rebuild(br, br.stage(srpm), arch)
        out.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.move(p, out / p.name)) for p in result.srpms + result.rpms]

    def copy_logs(self, out: Path) -> list[Path]:
        """Every phase's log directory copied to ``out/logs/<phase>/``."""
        copied = []
        for logdir in self.log_dirs:
            if logdir.is_dir():
                target = out / "logs" / logdir.name
                shutil.copytree(logdir, target, dirs_exist_ok=True)
                copied.append(target)
        return copied
