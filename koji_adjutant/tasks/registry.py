"""The one explicit table of task handlers this daemon serves.

kojid finds its handlers by scanning module globals; we list them instead, so
that what the daemon reports to the hub (``host.updateHost`` ``methods``) and
what it refuses are both visible here.  Generic handlers come from the koji
library unchanged; later modules of ``koji_adjutant.tasks`` add the buildroot,
build and repository handlers to ``HANDLERS``.
"""

from collections.abc import Iterable

import koji.tasks

from koji_adjutant.tasks.build import BuildTask
from koji_adjutant.tasks.build_arch import BuildArchTask
from koji_adjutant.tasks.build_notification import BuildNotificationTask
from koji_adjutant.tasks.build_srpm_from_scm import BuildSRPMFromSCMTask
from koji_adjutant.tasks.chain_build import ChainBuildTask
from koji_adjutant.tasks.create_dist_repo import CreateDistRepoTask
from koji_adjutant.tasks.createrepo import CreaterepoTask
from koji_adjutant.tasks.dist_repo import DistRepoTask
from koji_adjutant.tasks.new_repo import NewRepoTask
from koji_adjutant.tasks.rebuild_srpm import RebuildSRPMTask
from koji_adjutant.tasks.runroot import RunrootTask
from koji_adjutant.tasks.tag_build import TagBuildTask
from koji_adjutant.tasks.tag_notification import TagNotificationTask

# Generic handlers that kojid registers from koji.tasks (contract 3.15).
LIBRARY_HANDLERS: tuple[type[koji.tasks.BaseTaskHandler], ...] = (
    koji.tasks.WaitrepoTask,
    koji.tasks.DependantTask,
    koji.tasks.RestartTask,
    koji.tasks.RestartVerifyTask,
    koji.tasks.RestartHostsTask,
    koji.tasks.ShutdownTask,
    koji.tasks.SleepTask,
    koji.tasks.ForkTask,
    koji.tasks.WaitTestTask,
    koji.tasks.SubtaskTask,
    koji.tasks.FakeTask,
    koji.tasks.DefaultTask,
)

# Handlers written for koji-adjutant, by task method module.
ADJUTANT_HANDLERS: tuple[type[koji.tasks.BaseTaskHandler], ...] = (
    BuildTask,
    ChainBuildTask,
    TagBuildTask,
    BuildArchTask,
    RebuildSRPMTask,
    BuildSRPMFromSCMTask,
    NewRepoTask,
    CreaterepoTask,
    DistRepoTask,
    CreateDistRepoTask,
    TagNotificationTask,
    BuildNotificationTask,
)

HANDLERS: tuple[type[koji.tasks.BaseTaskHandler], ...] = LIBRARY_HANDLERS + ADJUTANT_HANDLERS

# koji's builder plugins served by handlers of ours: a name in kojid.conf's ``plugins``
# registers these instead of loading koji's module.
NATIVE_PLUGINS: dict[str, tuple[type[koji.tasks.BaseTaskHandler], ...]] = {
    "runroot": (RunrootTask,),
}


def handler_methods(handlers: Iterable[type[koji.tasks.BaseTaskHandler]] = HANDLERS) -> list[str]:
    """Return the task method names served by ``handlers`` (later entries win)."""
    methods: dict[str, type] = {}
    for cls in handlers:
        for method in cls.Methods:
            methods[method] = cls
    return sorted(methods)
