"""The hub as the daemon uses it: typed verbs over one ``koji.ClientSession``.

One ``Hub`` per task process (``HubTaskHandler.hub``) or per command.  The
verbs are grouped as the contract groups the calls: repos, tags and targets,
builds, tasks and hosts.  Reads that a task makes more than once with the
same answer (the build config of a tag at an event, this host) are memoised
for the life of the ``Hub``.
"""

from __future__ import annotations

import koji

from koji_adjutant.hub.records import HubLogUploader, HubRecord

USABLE_REPO_STATES = ("READY", "EXPIRED")


def usable_repo_state(repo: dict) -> bool:
    """True when a buildroot may use ``repo`` (READY, or EXPIRED and still on disk)."""
    return koji.REPO_STATES[repo["state"]] in USABLE_REPO_STATES


class Hub:
    """The verbs of the hub that koji-adjutant calls (module docstring)."""

    def __init__(self, session):
        self.session = session
        self._configs: dict[tuple, dict] = {}
        self._host: dict | None = None

    def buildroot_record(self, task_id: int) -> HubRecord:
        """The hub record of a buildroot of task ``task_id`` (not created yet)."""
        return HubRecord(self.session, task_id)

    def log_uploader(self, upload_path: str) -> HubLogUploader:
        """Uploads a task's logs into ``upload_path`` (its ``getUploadDir()``)."""
        return HubLogUploader(self.session, upload_path)

    # -- repos -------------------------------------------------------------------

    def repo_info(self, repo_id: int, strict: bool = True) -> dict | None:
        return self.session.repoInfo(repo_id, strict=strict)

    def current_repo(self, tag) -> dict | None:
        """The tag's current READY repo (None when it has none yet)."""
        return self.session.getRepo(tag)

    def usable_repo(self, repo_id: int, error: type[koji.GenericError] = koji.BuildError
                    ) -> dict:
        """The repo ``repo_id`` for a build or a buildroot; ``error`` when missing or unusable.

        kojid raises ``BuildError`` for a build's repo and ``BuildrootError`` for a
        buildroot's; the state that makes a repo usable is the same for both.
        """
        repo = self.session.repoInfo(repo_id)
        if not repo:
            raise error(f"No such repo: {repo_id}")
        if not usable_repo_state(repo):
            raise error(f"Bad repo: {repo_id} ({koji.REPO_STATES[repo['state']]})")
        return repo

    def repo_in_init(self, repo_id: int) -> dict:
        """The repo a repo task is filling, which must still be INIT."""
        repo = self.session.repoInfo(repo_id, strict=True)
        if repo["state"] != koji.REPO_INIT:
            raise koji.GenericError(f"Repo {repo_id} not in INIT state (got "
                                    f"{koji.REPO_STATES[repo['state']]})")
        return repo

    def latest_dist_repo(self, tag_id: int) -> dict | None:
        return self.session.getRepo(tag_id, state=koji.REPO_READY, dist=True)

    def external_repos(self, tag_id: int, event: int | None = None) -> list[dict]:
        return self.session.getExternalRepoList(tag_id, event=event)

    def external_repo(self, name: int | str) -> dict | None:
        return self.session.getExternalRepo(name, strict=False)

    def repo_init(self, tag_id: int, task_id: int, **kwargs) -> tuple[int, int]:
        return self.session.host.repoInit(tag_id, task_id=task_id, **kwargs)

    def repo_done(self, repo_id: int, data: dict, **kwargs) -> None:
        self.session.host.repoDone(repo_id, data, **kwargs)

    def dist_repo_move(self, repo_id: int, uploadpath: str, arch: str) -> None:
        self.session.host.distRepoMove(repo_id, uploadpath, arch)

    def tagged_rpms(self, tag_id: int, **kwargs) -> tuple[list, list]:
        return self.session.listTaggedRPMS(tag_id, **kwargs)

    def write_signed_rpm(self, rpm_id: int, sigkey: str) -> None:
        self.session.host.writeSignedRPM(rpm_id, sigkey)

    # -- tags and targets --------------------------------------------------------

    def build_config(self, tag, event: int | None = None) -> dict:
        """The tag's build config at ``event`` (read once per tag and event)."""
        key = (tag, event)
        if key not in self._configs:
            self._configs[key] = self.session.getBuildConfig(tag, event=event)
        return self._configs[key]

    def tag(self, info, strict: bool = False, event: int | None = None) -> dict | None:
        return self.session.getTag(info, strict=strict, event=event)

    def build_target(self, target, event: int | None = None) -> dict | None:
        return self.session.getBuildTarget(target, event=event)

    def package_config(self, tag, name: str, event: int | None = None) -> dict | None:
        return self.session.getPackageConfig(tag, name, event=event)

    def last_event(self) -> int:
        return self.session.getLastEvent()["id"]

    def assert_policy(self, name: str, data: dict) -> None:
        """Raises ``koji.ActionNotAllowed`` when the hub's policy ``name`` denies ``data``."""
        self.session.host.assertPolicy(name, data)

    # -- builds ------------------------------------------------------------------

    def build(self, info, strict: bool = False) -> dict | None:
        return self.session.getBuild(info, strict=strict)

    def builds_of_task(self, task_id: int) -> list[dict]:
        return self.session.listBuilds(taskID=task_id)

    def average_build_duration(self, name: str, age: int | None = None) -> float | None:
        if age is None:
            return self.session.getAverageBuildDuration(name)
        return self.session.getAverageBuildDuration(name, age=age)

    def changelog_entries(self, build_id: int, **kwargs) -> list[dict]:
        return self.session.getChangelogEntries(build_id, **kwargs)

    def init_build(self, data: dict) -> int:
        return self.session.host.initBuild(data)

    def complete_build(self, task_id: int, build_id: int, srpm: str, rpms: list,
                       brmap: dict, logs: dict) -> dict:
        return self.session.host.completeBuild(task_id, build_id, srpm, rpms, brmap, logs)

    def move_to_scratch(self, task_id: int, srpm: str, rpms: list, logs: dict) -> None:
        self.session.host.moveBuildToScratch(task_id, srpm, rpms, logs)

    def fail_build(self, task_id: int, build_id: int) -> None:
        self.session.host.failBuild(task_id, build_id)

    def tag_build(self, task_id: int, tag_id: int, build_id: int, force: bool,
                  fromtag) -> None:
        self.session.host.tagBuild(task_id, tag_id, build_id, force=force, fromtag=fromtag)

    def tag_notification(self, *args) -> None:
        self.session.host.tagNotification(*args)

    # -- tasks, hosts, users ----------------------------------------------------------

    def task_info(self, task_id: int, request: bool = False) -> dict | None:
        if request:
            return self.session.getTaskInfo(task_id, request=True)
        return self.session.getTaskInfo(task_id)

    def task_result(self, task_id: int):
        """The task's result; a failed task raises its fault."""
        return self.session.getTaskResult(task_id)

    def task_children(self, task_id: int) -> list[dict]:
        return self.session.getTaskChildren(task_id)

    def task_output(self, task_id: int) -> dict:
        return self.session.listTaskOutput(task_id, all_volumes=True)

    def set_task_weight(self, task_id: int, weight: float) -> None:
        self.session.host.setTaskWeight(task_id, weight)

    def this_host(self) -> dict:
        """This builder's host record (read once)."""
        if self._host is None:
            self._host = self.session.host.getHost()
        return self._host

    def host(self, host_id: int) -> dict | None:
        return self.session.getHost(host_id)

    def user(self, info) -> dict | None:
        return self.session.getUser(info)

    def channel_name(self, channel_id: int) -> str:
        return self.session.getChannel(channel_id, strict=True)["name"]
