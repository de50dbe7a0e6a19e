"""What every buildroot task handler shares: repo and tag lookup, host check, the buildroot.

``BuildrootTaskHandler.buildroot(...)`` assembles a ``Buildroot`` for this task:
the tag's config at the repo's event, the image chosen by the hub's policy,
the repo source, the hub record, the task's logs (streamed to the hub, their
``build.log`` opening with the ``koji-adjutant local reproduce`` command line)
and a container manager opened in this (forked) task process.
"""

import logging
from pathlib import Path

import koji
import requests
import rpm
from koji.tasks import BaseTaskHandler

from koji_adjutant.buildroot.buildroot import Buildroot, BuildrootParams
from koji_adjutant.buildroot.environment import BuildEnvironment
from koji_adjutant.buildroot.logs import HubLogUploader, TaskLogs
from koji_adjutant.buildroot.packages import ExternalRepo
from koji_adjutant.buildroot.record import HubRecord
from koji_adjutant.buildroot.repo import RepoSource
from koji_adjutant.daemon.containers import open_task_manager
from koji_adjutant.errors import TaskFailed
from koji_adjutant.policy import PolicyResolver

logger = logging.getLogger("koji.build.BaseTaskHandler")


def reproduce_command(task_id: int, hub_url: str) -> str:
    """The command line that re-runs task ``task_id`` of ``hub_url`` on a workstation."""
    return f"koji-adjutant local reproduce {task_id} --hub {hub_url}"


def canonical_arches(arches: str | None) -> set[str]:
    return {koji.canonArch(a) for a in (arches or "").split()}


class BuildrootTaskHandler(BaseTaskHandler):
    """Base class of handlers that run a build in a buildroot container."""

    def checkHost(self, hostdata) -> bool:
        """Refuse (so another builder takes it) when this host cannot build for the tag."""
        tag = self.params[1]
        tag_arches = canonical_arches(self.session.getBuildConfig(tag)["arches"])
        host_arches = canonical_arches(hostdata.get("arches"))
        return bool(tag_arches & host_arches)

    def repo_info(self, repo_id: int) -> dict:
        """The task's repo: must exist and be READY (or EXPIRED, still usable)."""
        repo = self.session.repoInfo(repo_id, strict=True)
        state = koji.REPO_STATES[repo["state"]]
        if state not in ("READY", "EXPIRED"):
            raise koji.BuildrootError(f"Bad repo {repo_id} for the buildroot: state {state}")
        return repo

    def tag_config(self, tag, repo: dict) -> dict:
        """The build tag's config at the repo's event; the repo must be the tag's."""
        config = self.session.getBuildConfig(tag, event=repo["create_event"])
        if config["id"] != repo["tag_id"]:
            raise koji.BuildrootError(f"tag/repo mismatch: repo {repo['id']} belongs to "
                                      f"{repo['tag_name']}, not {config['name']}")
        return config

    def host_info(self) -> dict:
        if not hasattr(self, "_host"):
            self._host = self.session.host.getHost()
        return self._host

    def buildroot(self, tag_config: dict, repo: dict, arch: str,
                  install_group: str) -> Buildroot:
        """A ``Buildroot`` for this task (use it as a context manager)."""
        event = repo["create_event"]
        source = RepoSource.locate(self.options, tag_config["name"], repo["id"],
                                   koji.canonArch(arch))
        adj = self.options.adjutant
        image = PolicyResolver(self.session, adj.default_image, enabled=adj.policy_enabled,
                               cache_ttl=adj.policy_cache_ttl).resolve(
            tag_config["id"], event, self.method, arch)
        params = BuildrootParams(
            task_id=self.id, method=self.method, repo=source, image=image,
            env=BuildEnvironment.from_tag(self.options, tag_config, repo, arch, install_group,
                                          source.baseurls),
            external_repos=self._external_repos(tag_config["id"], event))
        manager = open_task_manager(self.options, self.host_info()["name"], self.id)
        logs = TaskLogs(Path(self.workdir) / "logs",
                        HubLogUploader(self.session, self.getUploadDir()),
                        limit=self.options.adjutant.log_limit)
        logs.append("build.log", f"To reproduce this build locally: "
                                 f"{reproduce_command(self.id, self.options.server)}\n")
        return Buildroot(params, options=self.options, manager=manager,
                         record=HubRecord(self.session, self.id), logs=logs,
                         workdir=Path(self.workdir) / "buildroot")

    def _external_repos(self, tag_id: int, event: int) -> tuple[ExternalRepo, ...]:
        rows = self.session.getExternalRepoList(tag_id, event=event)
        return tuple(ExternalRepo(r["external_repo_id"], r["external_repo_name"], r["url"])
                     for r in rows)

    def fetch_srpm(self, relpath: str) -> Path:
        """Download ``work/<relpath>`` and check that it is a readable source RPM."""
        try:
            path = Path(self.localPath(f"work/{relpath}"))
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            if status == 404:
                raise TaskFailed(f"SRPM {relpath} not found on the hub") from exc
            raise TaskFailed(f"cannot get the SRPM {relpath} from the hub: HTTP {status}") from exc
        except koji.GenericError as exc:
            # the library checks downloaded rpms: "Downloaded rpm URL (rpm error: REASON)"
            reason = str(exc).rsplit("(rpm error:", 1)[-1].rstrip(")").strip()
            raise TaskFailed(f"SRPM {relpath} is not a readable RPM: {reason}") from exc
        except OSError as exc:
            raise TaskFailed(f"cannot get the SRPM {relpath} from the hub: {exc}") from exc
        try:
            header = koji.get_rpm_header(str(path))
        except (koji.GenericError, rpm.error, OSError) as exc:
            raise TaskFailed(f"SRPM {relpath} is not a readable RPM: {exc}") from exc
        if not koji.get_header_field(header, "sourcepackage"):
            raise TaskFailed(f"{path.name} is not a source package")
        return path

    def upload_logs(self, br: Buildroot) -> list[str]:
        """Final upload of every log; their relpaths for the task result."""
        br.logs.sync()
        return [f"{self.getUploadDir()}/{name}" for name in br.logs.names]

    def upload_result(self, path: Path) -> str:
        self.uploadFile(str(path))
        return f"{self.getUploadDir()}/{path.name}"
