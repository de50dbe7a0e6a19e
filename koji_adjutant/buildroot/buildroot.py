"""One buildroot = one container: set up like kojid's mock root, then used for a build.

Owns, for the length of a ``with`` block: the hub record (expired at the end,
failed or not), the container (always removed), and the task's logs (synced
to the hub at the end).  The steps, each timed in ``state.log``:

1. ``init()``: hub record, container from the policy's image, repo and macros
   configuration, build user, the install group from the repo's comps (what
   the image already provides is skipped), package list to the hub (INIT);
2. ``build.install_buildrequires(srpm)``: the SRPM's BuildRequires from the
   koji repo (``builddeps``), and generated ones after ``rpmbuild -br``;
3. ``rebuild(srpm)`` / ``rebuild_srpm(srpm)``: rpmbuild as the unprivileged
   build user with no network, then the updated package list (BUILDING).
"""

import contextlib
import logging
import os
import shlex
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from koji_adjutant.buildroot import module_streams, packages
from koji_adjutant.buildroot.commands import ContainerCommands
from koji_adjutant.buildroot.prefetch import MARK, PREFETCH_DIR, Prefetch
from koji_adjutant.buildroot.environment import (BUILD_HOME, BUILD_UID, BUILD_USER, DNF_CONF,
                                                  MACROS_FILE, TOPDIR, BuildEnvironment,
                                                  build_host)
from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.buildroot.record import BuildrootRecord
from koji_adjutant.buildroot.repo import MIRROR_DIR, RepoSource
from koji_adjutant.container import (NETWORK_HOST, ContainerManager, ContainerSpec, Mount,
                                     ResourceLimits, Security, TaskIdentity, Timeouts,
                                     task_container)
from koji_adjutant.container.errors import ContainerError
from koji_adjutant.container.idmap import chown_tree
from koji_adjutant.errors import TaskFailed
from koji_adjutant.policy import ImageChoice

logger = logging.getLogger("koji.build.buildroot")

# Enough for package installation as root; rpmbuild runs as BUILD_USER.
CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID", "SETFCAP",
                "KILL")
SETUP_ALLOWANCE = 3600  # seconds the container may live beyond rpmbuild_timeout
ROOT_HOME = "/root"


@dataclass(frozen=True)
class BuildrootParams:
    """What a task asks of its buildroot."""

    task_id: int
    method: str
    env: BuildEnvironment
    repo: RepoSource
    image: ImageChoice
    external_repos: tuple[packages.ExternalRepo, ...] = ()
    # A network until ``cut_network`` even when the repo needs none (SCM source_cmd).
    network: bool = False
    # The network for the whole life of the buildroot (runroot's command, ADR 0017).
    keep_network: bool = False
    # More host directories for the container (e.g. SCM credentials, read-only).
    mounts: tuple[Mount, ...] = ()
    # The container's host name, which rpmbuild records as BuildHost.
    host_name: str = field(default_factory=lambda: build_host(socket.gethostname()))


class Buildroot:
    """A container realising one koji buildroot (see the module docstring)."""

    def __init__(self, params: BuildrootParams, *, options, manager: ContainerManager,
                 record: BuildrootRecord, logs: TaskLogs, workdir: Path):
        self.params = params
        self.options = options
        self.manager = manager
        self.record = record
        self.logs = logs
        self.home = Path(workdir)          # host side of BUILD_HOME
        self.container = None
        self.image_rpms: list[packages.InstalledRpm] = []
        self._rpms: list[packages.InstalledRpm] | None = None
        self.image_digest = ""
        # [adjutant] build_network (off by default) lets a site keep the network in builds
        self._keep_network = options.adjutant.build_network or params.keep_network
        self._network = (options.adjutant.network_mode
                         if params.network or params.repo.needs_network
                         or self._keep_network else None)
        self._stack = contextlib.ExitStack()
        # set when code of the package first runs: from then on nothing runs as root
        self.untrusted = False
        self._origins: dict[str, str] | None = None
        self._prefetch: Prefetch | None = None

    # -- scope ---------------------------------------------------------------

    def __enter__(self) -> "Buildroot":
        self._stack.callback(self.logs.sync)
        self._stack.callback(self.record.expire)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    @property
    def id(self) -> int | None:
        return self.record.id

    @property
    def name(self) -> str:
        env = self.params.env
        if self.record.id is None:  # no hub record (a local build): no id to name it by
            return f"{env.tag_name}-{env.install_group}-{env.br_arch}"
        return f"{env.tag_name}-{self.record.id}-{env.repo_id}"

    # -- set-up --------------------------------------------------------------

    def init(self) -> None:
        """Create the hub record and the container, install the group, report the list."""
        env = self.params.env
        self.record.create(env.repo_id, env.br_arch)
        with self.logs.phase(f"init buildroot {self.name}"):
            self.logs.append("root.log", "".join(f"{note}\n" for note in env.mock_notes))
            self._start_container()
            self._write_config()
            module_streams.set_streams(self)
            self._install_group()
            self.record.set_list(self.package_entries())

    def _spec(self) -> ContainerSpec:
        adj = self.options.adjutant
        mounts = [Mount(self.home, BUILD_HOME, hand_over=True)]
        mounts.extend(self.params.repo.mounts())
        mounts.extend(self.params.mounts)
        if self._prefetch is not None:
            mounts.append(Mount(self._prefetch.packages_dir, PREFETCH_DIR, read_only=True))
            if self.params.repo.mirrored:
                mounts.append(Mount(self._prefetch.repo_dir, MIRROR_DIR, read_only=True))
        memory = None if adj.memory is None else int(adj.memory)
        return ContainerSpec(
            image=self.params.image.image,
            task=TaskIdentity(self.params.task_id, self.params.method, self.record.id),
            environment={"LANG": "C.UTF-8"},  # HOME is set per command (run)
            workdir=BUILD_HOME, mounts=tuple(mounts), network=self._network or "none",
            limits=ResourceLimits(cpus=adj.cpus, memory=memory, pids=adj.pids),
            # podman cannot give a container the host's network in a user namespace of
            # its own: network_mode = host (a site's explicit choice) costs the namespace
            security=Security(cap_drop=("ALL",), cap_add=CAPABILITIES,
                              user_namespace=(self._network or "none") != NETWORK_HOST),
            hostname=self.params.host_name,
            timeouts=Timeouts(container=self.options.rpmbuild_timeout + SETUP_ALLOWANCE))

    def _start_container(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self._plan_prefetch()
        spec = self._spec()
        self.logs.write("mock_config.log", self._describe(spec))
        with self.logs.phase(f"start container from {spec.image}"):
            self.container = self._stack.enter_context(
                task_container(self.manager, spec, pull_policy=self.options.adjutant.pull_policy))
        # the build user's home: its own (host ids of its user namespace), nobody else's
        os.chown(self.home, *self.build_ids())
        os.chmod(self.home, 0o700)
        info = self.manager.inspect(self.container)
        self.image_digest = str(info.get("ImageDigest") or info.get("Image") or "")
        self.logs.append("mock_config.log", f"container: {self.container.name}\n"
                                            f"image digest: {self.image_digest}\n")
        self.image_rpms = self._query_rpms()
        self._hw_info()

    def _describe(self, spec: ContainerSpec) -> str:
        env, image = self.params.env, self.params.image
        lines = [f"# Koji buildroot id: {self.record.id}", f"# Koji buildroot name: {self.name}",
                 f"# Koji repo id: {env.repo_id}", f"# Koji tag: {env.tag_name}",
                 f"image: {image.image} (chosen by {image.source})",
                 f"image external repo: {image.external_repo or '-'}",
                 f"target arch: {env.target_arch}", f"install group: {env.install_group}",
                 f"repository access: {self._access()}",
                 f"network before the build: {self._network or 'none'}",
                 f"network during build: {self._network if self._keep_network else 'none'}",
                 f"mounts: {', '.join(_mount_text(m) for m in spec.mounts)}",
                 f"limits: cpus={spec.limits.cpus} memory={spec.limits.memory} pids={spec.limits.pids}",
                 f"capabilities: {' '.join(spec.security.cap_add)}",
                 "user namespace: " + ("its own" if spec.security.user_namespace
                                       else "the host's (network_mode host)"),
                 "", "# dnf.conf", env.dnf_conf(), "# rpm macros", env.macros_file()]
        if env.env:
            lines += ["# environment"] + [f"{k}={v}" for k, v in env.env.items()]
        return "\n".join(lines) + "\n"

    def origins(self) -> dict[str, str]:
        """The repo's pkgorigins (N-V-R.A -> origin URL); empty without external repos."""
        if self._origins is None:
            self._origins = packages.parse_pkgorigins(self.params.repo.pkgorigins() or "")
        return self._origins

    def _access(self) -> str:
        repo = self.params.repo
        if repo.mirrored:
            return (f"koji repo metadata and packages downloaded by the builder from "
                    f"{repo.package_base}")
        if repo.needs_network:
            return "network"
        external = " (external repo packages downloaded by the builder)" if self._prefetch else ""
        return "koji volume" + external

    def _plan_prefetch(self) -> None:
        """Packages the container cannot read come through the daemon (module prefetch)."""
        repo = self.params.repo
        if not (repo.mirrored or Prefetch.needed(self.origins())):
            return
        host_dir = self.home.with_name(self.home.name + "-prefetch")
        shutil.rmtree(host_dir, ignore_errors=True)
        host_dir.mkdir(mode=0o755, parents=True)
        self._stack.callback(shutil.rmtree, host_dir, ignore_errors=True)
        self._prefetch = Prefetch(host_dir, self.origins(), self.params.external_repos,
                                  self.params.env.br_arch,
                                  repo.package_base if repo.mirrored else None,
                                  self.params.image.image, proxy=self.params.env.proxy)
        self._prefetch.packages_dir.mkdir(mode=0o755)
        if repo.mirrored:
            with self.logs.phase("download the koji repo's metadata"):
                self._prefetch.mirror_metadata(repo)

    def build_ids(self) -> tuple[int, int]:
        """The host uid and gid of the build user of this buildroot's container."""
        ids = self.manager.id_map(self.container)
        return ids.host_uid(BUILD_UID), ids.host_gid(BUILD_UID)

    def _hw_info(self) -> None:
        script = "nproc; uname -rm; grep -E '^(MemTotal|MemAvailable)' /proc/meminfo; df -h /builddir"
        self.run(["/bin/sh", "-c", script], log="hw_info.log", check=False)

    def _write_config(self) -> None:
        """dnf.conf, the macros file, the build user and the build tree: one command."""
        env = self.params.env
        staging = self.home / ".setup"
        staging.mkdir(exist_ok=True)
        (staging / "dnf.conf").write_text(env.dnf_conf())
        (staging / "macros").write_text(env.macros_file())
        ids = self.manager.id_map(self.container)
        chown_tree(staging, ids.host_uid(0), ids.host_gid(0))  # the container's root's
        user = f"{BUILD_USER}:x:{BUILD_UID}:{BUILD_UID}:koji build user:{BUILD_HOME}:/bin/sh"
        group = f"{BUILD_USER}:x:{BUILD_UID}:"
        script = "\n".join([
            "set -e",
            f"install -D -m 644 {BUILD_HOME}/.setup/dnf.conf {shlex.quote(DNF_CONF)}",
            f"install -D -m 644 {BUILD_HOME}/.setup/macros {shlex.quote(MACROS_FILE)}",
            f"grep -q '^{BUILD_USER}:' /etc/passwd || echo {shlex.quote(user)} >> /etc/passwd",
            f"grep -q '^{BUILD_USER}:' /etc/group || echo {shlex.quote(group)} >> /etc/group",
            f"install -d -o {BUILD_UID} -g {BUILD_UID} {TOPDIR}",
            f"rm -rf {BUILD_HOME}/.setup"])
        self.run(["/bin/sh", "-c", script], log="root.log")

    def _install_group(self) -> None:
        group = self.params.env.install_group
        wanted = self.params.repo.group_packages(group)
        with self.logs.phase(f"install @{group}"):
            missing = self.not_provided(wanted)
            self.logs.append("root.log", f"@{group}: {' '.join(wanted) or '(empty)'}; "
                                         f"provided by the image: "
                                         f"{' '.join(sorted(set(wanted) - set(missing))) or '-'}\n")
            if missing:
                self.dnf_install(missing, what=f"the {group} group")

    def not_provided(self, capabilities: Sequence[str]) -> list[str]:
        """Those of ``capabilities`` (names, with or without a version) nothing provides yet."""
        if not capabilities:
            return []
        script = ('for c in "$@"; do n=${c%% *}; '
                  'rpm -q --whatprovides "$n" >/dev/null 2>&1 || echo "MISSING $c"; done')
        lines: list[str] = []
        self.run(["/bin/sh", "-c", script, "sh", *capabilities], log=lines.append)
        return [line[len("MISSING "):] for line in lines if line.startswith("MISSING ")]

    def dnf_install(self, specs: Sequence[str], what: str) -> None:
        if self._network is None and self.params.repo.needs_network:
            raise TaskFailed("the buildroot's network is already gone; cannot install")
        local = self._prefetched(specs)
        argv = ["dnf", "-c", DNF_CONF, "--setopt=tsflags=nodocs", "install", "-y", "--",
                *specs, *local]
        self._rpms = None
        result = self.run(argv, log="root.log", check=False)
        if result.exit_code != 0:
            raise TaskFailed(f"could not install {what} in buildroot {self.name} "
                             f"(dnf exit status {result.exit_code}); see root.log")
        self._query_rpms()  # now, while nothing of the package has run yet

    def _prefetched(self, specs: Sequence[str]) -> list[str]:
        """The packages of ``dnf install specs`` the container cannot read, downloaded by the
        builder (their container paths): external repos', and the koji repo's without the volume."""
        if self._prefetch is None:
            return []
        lines: list[str] = []
        with self.logs.phase("download the packages the container cannot read"):
            self.logs.command("root.log", ["python3", "-I", "-c", "<resolve the install>", DNF_CONF,
                                           *specs], None)
            result = self.run(self._prefetch.resolver(DNF_CONF, specs), log=lines.append,
                              check=False)
            self.logs.append("root.log", "".join(
                line.rstrip("\n") + "\n" for line in lines if not line.startswith(MARK)))
            return self._prefetch.files(lines, result.exit_code,
                                        lambda text: self.logs.append("root.log", text))

    # -- package lists -------------------------------------------------------

    def _query_rpms(self) -> list[packages.InstalledRpm]:
        """The rpm database; read again only after dnf changed it (rpmbuild cannot).

        Once the package's code has run, the list read before it is the answer:
        no root command runs then, and the build could not change the database.
        """
        if self._rpms is None and not self.untrusted:
            lines: list[str] = []
            self.run(list(packages.RPM_QUERY), log=lines.append)
            self._rpms = packages.parse_rpm_query("\n".join(lines))
        return self._rpms or []

    def package_entries(self) -> list[dict]:
        installed = self._query_rpms()
        image_nvras = {rpm.nvra for rpm in self.image_rpms}
        from_image = [r for r in installed if r.nvra in image_nvras]
        from_koji = [r for r in installed if r.nvra not in image_nvras]
        rpmlist = packages.parse_rpmlist(
            self.params.repo.read(f"{self.params.env.br_arch}/rpmlist.jsonl") or "")
        origins = self.origins() if self.params.external_repos else None
        entries = packages.koji_entries(from_koji, rpmlist, origins,
                                        self.params.external_repos, self.params.env.br_arch)
        external = self.params.image.external_repo
        entries += packages.image_entries(from_image, external)
        self.logs.write("installed_pkgs.log", packages.installed_pkgs_log(
            self.params.image.image, self.image_digest, from_image, from_koji, external))
        return entries

    def update_package_list(self) -> None:
        """After the build: report what the build installed (BUILDING state only)."""
        try:
            entries = self.package_entries()
        except ContainerError as exc:
            logger.warning("cannot read the package list of %s: %s", self.name, exc)
            return
        self.record.update_list(entries)

    # -- commands ------------------------------------------------------------

    def run(self, argv: Sequence[str], *, log, user: str | None = None, check: bool = True,
            timeout: float | None = None, env: dict | None = None):
        """Run ``argv`` in the container, its output into log file ``log`` (or a callable).

        A root command gets root's own HOME and working directory, never anything
        the build user can write; none runs at all once the package's code has.
        Every command gets the tag's ``rpm.env.*``, as in kojid's mock config.
        """
        as_root = user in (None, "root", "0")
        if as_root and self.untrusted:
            raise TaskFailed(f"internal error: {argv[0]} would run as root after the "
                             f"package's code ran in buildroot {self.name}")
        home = ROOT_HOME if as_root else BUILD_HOME
        return ContainerCommands(self.manager, self.logs).run(
            self.container, argv, log=log, user=user, workdir=home,
            env={**self.params.env.env, **(env or {}), "HOME": home}, timeout=timeout,
            check=check)

    def cut_network(self) -> None:
        """Before the build: no network at all (only loopback), unless build_network."""
        if self._keep_network:
            self.logs.append("root.log", f"build_network is on: the build keeps network "
                                         f"{self._network}\n")
            return
        if self._network is not None:
            self.manager.disconnect_network(self.container, self._network)
            self.logs.append("root.log", f"network {self._network} disconnected\n")
            self._network = None

    def stage(self, source: Path, subdir: str = "originals") -> str:
        """Put a host file where the build user can read it; its path in the container."""
        target_dir = self.home / subdir
        target_dir.mkdir(exist_ok=True)
        target = target_dir / source.name
        target.write_bytes(Path(source).read_bytes())
        return f"{BUILD_HOME}/{subdir}/{source.name}"

    def container_path(self, path: Path) -> str:
        """Where host path ``path`` (under the buildroot's directory) is in the container."""
        return f"{BUILD_HOME}/{Path(path).relative_to(self.home)}"


def _mount_text(mount: Mount) -> str:
    return f"{mount.source}:{mount.target}:{'ro' if mount.read_only else 'rw'}"
