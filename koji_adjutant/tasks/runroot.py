"""``runroot(root, arch, command, ...)``: a command of the requester, as root, in a buildroot.

The request and the behaviour of koji's runroot builder plugin (contract
3.15, 3.16; ADR 0017), served natively when kojid.conf lists ``plugins =
runroot``.  Steps: check the request (weight floor, buildroot arch, mounts
from ``runroot.conf``, the command), pick the repo (``repo_id``, or the tag's
current one, or wait for one with ``waitrepo``), set up a buildroot of the
tag's ``build`` group with the mounts and a network for its whole life,
install ``packages`` and report the package list, run the command as root
with its output in ``runroot.log``, upload ``upload_logs`` (read through the
container, never from the host), and return "<cmd> completed successfully"
or fail with "<cmd> exited with status N".

The requester holds the hub's ``runroot`` permission: the command is theirs,
not a package's, so it runs as the container's root (still in the
container's own user namespace).  After it nothing else runs as root there.
"""

import logging
import os
import shlex
import tarfile
from pathlib import Path

import koji

from koji_adjutant.buildroot.buildroot import Buildroot
from koji_adjutant.config.runroot import load_runroot_config
from koji_adjutant.container import Mount
from koji_adjutant.container.errors import ContainerError, ContainerTimeout
from koji_adjutant.errors import TaskFailed
from koji_adjutant.hub.facade import usable_repo_state
from koji_adjutant.tasks.buildroot_task import BuildrootTaskHandler, canonical_arches

logger = logging.getLogger("koji.build.runroot")

MIN_WEIGHT = 0.5
LOG = "runroot.log"


def buildroot_arch(arch: str, host_arches: str | None, tag: str, tag_arches: str | None) -> str:
    """``arch``, or for noarch the first of the tag's arches this host has (canonical)."""
    if arch != "noarch":
        return arch
    if not host_arches:
        raise koji.BuildError("No arch list for this host")
    if not tag_arches:
        raise koji.BuildError(f"No arch list for tag: {tag}")
    ours = canonical_arches(host_arches)
    for candidate in tag_arches.split():
        if koji.canonArch(candidate) in ours:
            return koji.canonArch(candidate)
    raise koji.BuildError(f"host does not match tag arches: {tag} ({tag_arches})")


def shell_argv(command) -> list[str]:
    """The shell command line: a string as given, a list with each word quoted exactly."""
    if isinstance(command, str):
        text = command
    elif isinstance(command, list) and all(isinstance(w, str) for w in command):
        text = " ".join(shlex.quote(word) for word in command)
    else:
        raise koji.ParameterError(f"runroot command must be a string or a list of strings, "
                                  f"not {type(command).__name__}")
    # a newline before the brace: a command may end in a comment or with '&'
    return ["/bin/sh", "-c", "{ " + text + "\n} </dev/null 2>&1"]


def command_name(command) -> str:
    """What the result names: the first word without '=' (no variable settings), its basename."""
    words = command.split() if isinstance(command, str) else list(command)
    words = [word for word in words if "=" not in word]
    return os.path.basename(words[0]) if words else "(none)"


def upload_names(paths: list[str]) -> dict[str, str]:
    """Container path -> its name on the hub; no two files of the task may share a name."""
    names: dict[str, str] = {}
    for path in paths:
        name = os.path.basename(os.path.normpath(path))
        if name in names.values() or name in ("", ".", "..", "/", LOG):
            raise koji.ParameterError(f"upload_logs: {path} would be uploaded as {name!r}, "
                                      f"which another file of the task has")
        names[path] = name
    return names


class RunrootTask(BuildrootTaskHandler):
    Methods = ["runroot"]
    _taskWeight = 2.0
    reproducible = False  # a local reproduce re-runs builds, not runroot commands

    def checkHost(self, hostdata) -> bool:
        # as the plugin: the hub chose the channel and the arch; nothing to refuse
        return True

    def handler(self, root, arch, command, keep=False, packages=None, mounts=None,
                repo_id=None, skip_setarch=False, weight=None, upload_logs=None,
                new_chroot=None):
        config = load_runroot_config(self.options.adjutant.runroot_config)
        if weight is not None:
            self.hub.set_task_weight(self.id, max(weight, MIN_WEIGHT))
        br_arch = buildroot_arch(arch, self.host_info().get("arches"), root,
                                 self.hub.build_config(root)["arches"])
        planned = tuple(Mount(m.source, m.target, read_only=m.read_only)
                        for m in config.mounts(mounts or []))
        argv = shell_argv(command)
        wanted = upload_names(upload_logs or [])
        repo = self._repo(root, repo_id)
        tag = self.tag_config(root, repo)
        with self.buildroot(tag, repo, br_arch, "build", network=True, keep_network=True,
                            mounts=planned) as br:
            br.init()
            br.record.building()
            self._install(br, packages or [])
            status = self._run(br, argv, skip_setarch, new_chroot)
            self._upload(br, wanted, status == 0)
        name = command_name(command)
        if status != 0:
            raise koji.BuildrootError(f"{name} exited with status {status}")
        return f"{name} completed successfully"

    def _repo(self, root, repo_id) -> dict:
        """The repo given (of the tag, usable), the tag's current one, or one waited for."""
        if repo_id:
            repo = self.hub.repo_info(repo_id, strict=True)
            if repo["tag_name"] != root:
                raise koji.BuildError(f"build tag ({root}) does not match repo tag "
                                      f"({repo['tag_name']})")
            if not usable_repo_state(repo):
                raise koji.BuildError(f"repos in the {koji.REPO_STATES[repo['state']]} state "
                                      f"may not be used by runroot")
            return repo
        repo = self.hub.current_repo(root)
        if repo:
            return repo
        task_id = self.subtask("waitrepo", [root, None, None])
        waited = self.wait(task_id)[task_id]
        return self.hub.repo_info(waited["id"], strict=True)

    def _install(self, br: Buildroot, packages: list[str]) -> None:
        if not packages:
            return
        with br.logs.phase(f"install {' '.join(packages)}"):
            br.dnf_install(packages, what="the requested packages")
        br.record.update_list(br.package_entries())

    def _run(self, br: Buildroot, argv: list[str], skip_setarch, new_chroot) -> int:
        """The command as root, its output alone in runroot.log; its exit status."""
        timeout = self.options.rpmbuild_timeout
        br.logs.command("root.log", argv)
        # the buildroot is a container of the host's arch: no setarch to skip; no chroot kind
        br.logs.append("root.log", f"skip_setarch={skip_setarch!r} new_chroot={new_chroot!r}: "
                                   f"nothing to choose in a container\n")
        br.logs.append(LOG, "")  # on the hub even when the command prints nothing
        with br.logs.phase("run the runroot command"):
            try:
                result = br.run(argv, log=br.logs.sink(LOG), check=False, timeout=timeout)
            except ContainerTimeout as exc:
                raise TaskFailed(f"the runroot command exceeded rpmbuild_timeout ({timeout} s) "
                                 f"and was stopped; see {LOG}") from exc
            finally:
                br.untrusted = True  # whatever the command left, root runs nothing more here
        br.logs.append("root.log", f"runroot command exit status {result.exit_code}\n")
        return result.exit_code

    def _upload(self, br: Buildroot, wanted: dict[str, str], succeeded: bool) -> None:
        """Copy each file out of the container, check it, upload it under its name.

        A file that cannot be uploaded fails the task when the command worked;
        when it failed, the command's status is what the task reports.
        """
        target_dir = Path(self.workdir) / "upload_logs"
        for index, (path, name) in enumerate(wanted.items()):
            local = target_dir / str(index) / name
            try:
                br.manager.copy_from(br.container, os.path.join("/", path), local)
                problem = _upload_problem(local, name, br.logs.names)
            except (ContainerError, tarfile.TarError, ValueError) as exc:
                problem = f"cannot read it in the buildroot: {exc}"
            if problem is None:
                self.uploadFile(str(local))
            elif succeeded:
                raise TaskFailed(f"upload_logs: {path}: {problem}")
            else:
                br.logs.append("root.log", f"upload_logs: {path}: {problem}\n")


def _upload_problem(local: Path, name: str, log_names: list[str]) -> str | None:
    if local.is_symlink() or not local.is_file():
        return "not a regular file in the buildroot"
    if name in log_names:
        return f"its name is the name of the task's own {name}"
    return None
