"""What a builder plugin sees of a buildroot: the attributes of kojid's ``BuildRoot``.

kojid hands its ``BuildRoot`` object to the ``preSCMCheckout`` and
``postSCMCheckout`` callbacks (``buildroot=``), and site plugins read its
attributes (``id``, ``name``, ``tag_name``, ``repo_info``, ``tmpdir()``...).
``PluginBuildroot`` offers the same names for one of our container
buildroots, read-only, computed when the view is made: a plugin cannot reach
the container or the daemon's ``Buildroot`` through it.  What a container
buildroot has no equivalent for (``rootdir()``, ``resultdir()``, ``mock()``:
the root file system lives in the container) is left out, so a plugin that
needs it fails with an ``AttributeError`` naming it (ADR 0005).
"""

from collections.abc import Mapping
from pathlib import Path

from koji_adjutant.buildroot.environment import BUILD_HOME


class PluginBuildroot:
    """kojid's ``BuildRoot`` attributes for a container buildroot (a snapshot)."""

    def __init__(self, br, tag_config: Mapping, repo: Mapping, task_id: int,
                 workdir: str | Path, options):
        env = br.params.env
        self.id = br.id
        self.name = br.name
        self.task_id = task_id
        self.options = options
        self.config = dict(tag_config)
        self.tag_id = tag_config["id"]
        self.tag_name = tag_config["name"]
        self.repo_info = dict(repo)
        self.repoid = repo["id"]
        self.event_id = repo["create_event"]
        self.br_arch = env.br_arch
        self.target_arch = env.target_arch
        self.install_group = env.install_group
        # kojid's setup_dns: whether the buildroot has a network for source_cmd
        self.setup_dns = bool(br.params.network)
        self.workdir = str(workdir)
        self.logs = set(br.logs.names)
        self._home = str(br.home)

    def tmpdir(self, within: bool = False) -> str:
        """kojid's scratch directory of the buildroot: ``scmroot`` is checked out under it.

        Ours is the build user's home: its host path, or (``within``) the
        path inside the container.
        """
        return BUILD_HOME if within else self._home
