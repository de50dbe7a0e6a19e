"""A runroot site for the e2e and security tiers: host directories, runroot.conf, a daemon.

``RunrootSite(tmp_path)`` makes the builder's directories behind two mountpoints
(``/mnt/archive``, a default mount, read-only; ``/mnt/workdir``, whose ``tmp``
is the one safe root) and writes ``runroot.conf``.  ``start(hub, start_daemon)``
adds host ``builder1`` (channels default and runroot), tag ``f99-build`` with a
repo holding adjutant-testlib, user ``composer`` with the ``runroot``
permission, and starts a daemon whose kojid.conf lists ``plugins = runroot``.
``submit`` is ``koji runroot`` as ``composer``: the hub's plugin call.
"""

from pathlib import Path

from daemon_harness import GROUPS, PLUGIN_DIR, TAG, TESTLIB
from rpmkit import make_koji_repo

HOST = "builder1"
USER = "composer"
COMPOSE = "/mnt/workdir/tmp/compose1"


class RunrootSite:
    """The host side of the runroot mounts (module docstring)."""

    def __init__(self, tmp_path: Path):
        self.root = tmp_path / "site"
        self.archive = self.root / "archive"
        self.workdir = self.root / "workdir"
        self.compose = self.workdir / "tmp" / "compose1"
        self.archive.mkdir(parents=True)
        (self.archive / "data.txt").write_text("from the archive\n")
        self.compose.mkdir(parents=True)
        # the command is root of its container's own user namespace: an unprivileged id
        # on the host, which the site lets write its compose directory
        self.compose.chmod(0o777)
        self.conf = self.root / "runroot.conf"
        self.conf.write_text(f"""[paths]
default_mounts = /mnt/archive
safe_roots = /mnt/workdir/tmp

[path0]
mountpoint = /mnt/archive
path = {self.archive}
fstype = nfs
options = ro,hard,intr,nosuid,nodev,noatime,tcp

[path1]
mountpoint = /mnt/workdir
path = {self.workdir}
fstype = nfs
options = ro,hard,intr
""")

    def start(self, hub, rpm_factory, start_daemon, with_repo: bool = True, **kojid_keys):
        """Host, tag, repo (unless not ``with_repo``), user and a daemon serving runroot."""
        hub.add_channel("runroot")
        hub.add_host(HOST, password=HOST, arches="x86_64", channels=("default", "runroot"))
        if with_repo:
            make_repo(hub, rpm_factory)
        else:
            hub.add_tag(TAG, arches="x86_64")
        hub.add_user(USER, password=USER)
        hub.grant_permission(USER, "runroot")
        return start_daemon(hub, HOST, pluginpath=str(PLUGIN_DIR),
                            plugin="adjutant_probe runroot",
                            adjutant={"runroot_config": str(self.conf)}, **kojid_keys)


def make_repo(hub, rpm_factory) -> dict:
    """A READY repo of the tag holding adjutant-testlib, with the test groups."""
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)


def submit(hub, command, arch: str = "x86_64", **opts) -> int:
    """``koji runroot TAG ARCH COMMAND`` with ``opts`` (packages, mounts, upload_logs...)."""
    return hub.session(USER, USER).runroot(TAG, arch, command, **opts)


def task_dir(hub, task_id: int) -> Path:
    """Where the hub keeps the task's uploads."""
    return hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)
