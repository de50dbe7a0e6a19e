"""What every buildroot task handler shares: repo and tag lookup, host check, the buildroot.

``BuildrootTaskHandler.buildroot(...)`` assembles a ``Buildroot`` for this task
from its ``TaskResources`` (the image chosen by the hub's policy, the logs,
whose ``build.log`` opens with the ``koji-adjutant local reproduce`` command
line, and the container manager) and the hub: the tag's config at the repo's
event, the repo source, the external repos and the buildroot's hub record.
"""

import logging
import socket
from pathlib import Path

import koji
import requests
import rpm

from koji_adjutant.buildroot.buildroot import Buildroot, BuildrootParams
from koji_adjutant.buildroot.environment import BuildEnvironment, build_host
from koji_adjutant.buildroot.packages import ExternalRepo
from koji_adjutant.buildroot.repo import RepoSource
from koji_adjutant.container import Mount
from koji_adjutant.errors import TaskFailed
from koji_adjutant.resources import ResourcedTaskHandler

logger = logging.getLogger("koji.build.BaseTaskHandler")


def reproduce_command(task_id: int, hub_url: str) -> str:
    """The command line that re-runs task ``task_id`` of ``hub_url`` on a workstation."""
    return f"koji-adjutant local reproduce {task_id} --hub {hub_url}"


def canonical_arches(arches: str | None) -> set[str]:
    return {koji.canonArch(a) for a in (arches or "").split()}


class BuildrootTaskHandler(ResourcedTaskHandler):
    """Base class of handlers that run a build in a buildroot container."""

    # ``koji-adjutant local reproduce`` can re-run the task (its build.log says how)
    reproducible = True

    def checkHost(self, hostdata) -> bool:
        """Refuse (so another builder takes it) when this host cannot build for the tag.

        A tag without arches is taken, as kojid takes it: no builder could do
        better, and the task then fails saying so ("No arch list for tag").
        """
        tag = self.params[1]
        tag_arches = canonical_arches(self.hub.build_config(tag)["arches"])
        host_arches = canonical_arches(hostdata.get("arches"))
        return not tag_arches or bool(tag_arches & host_arches)

    def task_repo(self, build_tag, opts: dict) -> tuple[dict, dict]:
        """The task's repo (``opts['repo_id']``, usable) and the build tag's config at it."""
        repo_id = self.required_repo_id(opts)
        repo = self.hub.usable_repo(repo_id, error=koji.BuildrootError)
        return repo, self.tag_config(build_tag, repo)

    def required_repo_id(self, opts: dict) -> int:
        if not opts.get("repo_id"):
            raise koji.ParameterError(f"{self.method} needs opts['repo_id']")
        return opts["repo_id"]

    def tag_config(self, tag, repo: dict) -> dict:
        """The build tag's config at the repo's event; the repo must be the tag's."""
        config = self.hub.build_config(tag, event=repo["create_event"])
        if config["id"] != repo["tag_id"]:
            raise koji.BuildrootError(f"tag/repo mismatch: repo {repo['id']} belongs to "
                                      f"{repo['tag_name']}, not {config['name']}")
        return config

    def host_info(self) -> dict:
        return self.hub.this_host()

    def buildroot(self, tag_config: dict, repo: dict, arch: str, install_group: str, *,
                  network: bool = False, keep_network: bool = False,
                  mounts: tuple[Mount, ...] = ()) -> Buildroot:
        """A ``Buildroot`` for this task (use it as a context manager)."""
        event = repo["create_event"]
        source = RepoSource.locate(self.options, tag_config["name"], repo["id"],
                                   koji.canonArch(arch))
        params = BuildrootParams(
            task_id=self.id, method=self.method, repo=source,
            image=self.resources.image(tag_config["id"], event, arch),
            host_name=build_host(self.host_info().get("name"), socket.gethostname()),
            env=BuildEnvironment.from_tag(self.options, tag_config, repo, arch, install_group,
                                          source.baseurls),
            external_repos=self._external_repos(tag_config["id"], event),
            network=network, keep_network=keep_network, mounts=mounts)
        if self.reproducible:
            self.resources.logs.append("build.log", f"To reproduce this build locally: "
                                       f"{reproduce_command(self.id, self.options.server)}\n")
        return self.resources.buildroot(params, self.hub.buildroot_record(self.id),
                                        Path(self.workdir) / "buildroot")

    def _external_repos(self, tag_id: int, event: int) -> tuple[ExternalRepo, ...]:
        rows = self.hub.external_repos(tag_id, event=event)
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
