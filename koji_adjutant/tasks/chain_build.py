"""``chainbuild(srcs, target, opts)``: builds in levels, each waiting for the one before.

Contract 3.10 (``koji chain-build``).  ``srcs`` is a list of levels; each
level a list of SCM URLs (built with a ``build`` subtask, label
``build <level>,<n>``) and NVRs (builds that must already exist).  Before a
level starts, a ``waitrepo`` subtask (label ``wait <level>``) waits for a repo
of the build tag that contains every NVR of the previous level, the ones just
built included.  A failed build cancels its siblings and fails the chain.
"""

import logging

import koji
from koji.daemon import SCM

from koji_adjutant.hub import HubTaskHandler

logger = logging.getLogger("koji.build.ChainBuildTask")


def check_levels(srcs) -> list[list[str]]:
    """``srcs`` must be a non-empty list of non-empty lists of strings."""
    if not isinstance(srcs, list) or not srcs:
        raise koji.ParameterError("chainbuild needs a non-empty list of build levels")
    for n, level in enumerate(srcs):
        if not isinstance(level, list) or not level or not all(
                isinstance(s, str) and s for s in level):
            raise koji.ParameterError(f"chainbuild level {n} must be a non-empty list of SCM "
                                      f"URLs and NVRs, not {level!r}")
    return srcs


def split_level(level: list[str]) -> tuple[dict[int, str], list[str]]:
    """The level's SCM URLs by position (to build) and its NVRs (to wait for)."""
    urls = {i: s for i, s in enumerate(level) if SCM.is_scm_url(s)}
    return urls, [s for s in level if not SCM.is_scm_url(s)]


class ChainBuildTask(HubTaskHandler):
    Methods = ["chainbuild"]
    # the parent only waits for its subtasks
    _taskWeight = 0.1

    def handler(self, srcs, target, opts=None):
        opts = dict(opts or {})
        if opts.get("scratch"):
            raise koji.BuildError("--scratch is not allowed with chain-builds")
        levels = check_levels(srcs)
        target_info = self.hub.build_target(target)
        if not target_info:
            raise koji.GenericError(f"unknown build target: {target}")
        nvrs: list[str] = []
        for n, level in enumerate(levels):
            if nvrs:
                self._wait_repo(n, target_info["build_tag_name"], nvrs)
            urls, nvrs = split_level(level)
            nvrs += self._build_level(n, urls, target, opts)

    def _wait_repo(self, n: int, build_tag: str, nvrs: list[str]) -> None:
        logger.info("level %d waits for a repo of %s with %s", n, build_tag, ", ".join(nvrs))
        task_id = self.subtask("waitrepo", [build_tag, None, nvrs], label=f"wait {n}")
        self.wait(task_id, all=True, failany=True)

    def _build_level(self, n: int, urls: dict[int, str], target, opts: dict) -> list[str]:
        """Build the level's URLs; the NVRs of the builds they made."""
        tasks = [self.subtask("build", [url, target, opts], label=f"build {n},{i}")
                 for i, url in urls.items()]
        if not tasks:
            return []
        self.wait(tasks, all=True, failany=True)
        nvrs = []
        for task_id in tasks:
            builds = self.hub.builds_of_task(task_id)
            if builds:
                nvrs.append(builds[0]["nvr"])
        return nvrs
