"""``local reproduce``: a hub's buildArch or SRPM task turned into a local ``BuildPlan``.

Anonymous hub calls only: ``getTaskInfo(request=True)`` for the method and
parameters, ``repoInfo`` for the task's repo, ``getBuildConfig(tag,
event=repo's create_event)`` for the macros, and the image policy
(``PolicyResolver``, the daemon's) for the image.  The repo is the task's
koji repo (``RepoSource``, the daemon's: the koji volume with ``--topdir``,
else ``<topurl>/repos/...``); the SRPM comes from ``work/<path>`` the same
two ways.  What each method reproduces:

* ``buildArch``: the binary build for the task's arch (or ``--arch``);
* ``rebuildSRPM``: the binary build of its SRPM for this host's arch;
* ``buildSRPMFromSCM``: the SRPM from its SCM URL, then its binary build.
"""

from __future__ import annotations

from pathlib import Path

import koji
import requests

from koji_adjutant.buildroot.repo import RepoSource
from koji_adjutant.errors import AdjutantError
from koji_adjutant.hub import Hub
from koji_adjutant.hub.login import client_session
from koji_adjutant.local.runner import BuildPlan, host_arch
from koji_adjutant.local.sources import Source
from koji_adjutant.policy import PolicyResolver

METHODS = ("buildArch", "rebuildSRPM", "buildSRPMFromSCM")


class BadTask(AdjutantError):
    """The task cannot be reproduced (unknown, another method, no repo)."""


class HubUnavailable(AdjutantError):
    """The hub or the koji volume cannot be reached."""


def default_topurl(hub_url: str) -> str:
    """The usual koji layout: ``.../kojihub`` serves files at ``.../kojifiles``."""
    base = hub_url.rstrip("/")
    if base.endswith("/kojihub"):
        return base[:-len("kojihub")] + "kojifiles"
    raise BadTask(f"cannot guess the koji volume's URL from {hub_url}; give --topurl "
                  "or --topdir")


def topurls(args) -> tuple[str, ...]:
    if args.topurl:
        return (args.topurl.rstrip("/"),)
    if args.topdir:
        return ()
    return (default_topurl(args.hub),)


def plan_task(args, options, workdir: Path, console) -> tuple[BuildPlan, Source]:
    """The plan and source that re-run task ``args.task_id`` of ``args.hub`` here."""
    hub = Hub(client_session(args.hub))
    try:
        task = _task(hub, args.task_id)
        method, params = task["method"], task["request"]
        opts = (params[-1] if params and isinstance(params[-1], dict) else {}) or {}
        if not opts.get("repo_id"):
            raise BadTask(f"task {args.task_id} names no repo_id; cannot reproduce its repo")
        repo = hub.repo_info(opts["repo_id"])
        tag = hub.build_config(params[1], event=repo["create_event"])
        source = _source(method, params, options, workdir)
    except (koji.GenericError, requests.RequestException, OSError) as exc:
        if isinstance(exc, AdjutantError):
            raise
        raise HubUnavailable(f"cannot get task {args.task_id} from {args.hub}: {exc}") from exc
    arch = args.arch or (params[2] if method == "buildArch" else host_arch())
    console.say(f"reproducing {method} task {args.task_id}: tag {tag['name']}, "
                f"repo {repo['id']}, arch {arch}")
    resolver = PolicyResolver.from_options(hub, options.adjutant)
    plan = BuildPlan(
        arch=arch, tag_config=tag, repo=repo, task_id=args.task_id,
        repos=lambda br_arch: RepoSource.locate(options, tag["name"], repo["id"],
                                                koji.canonArch(br_arch)),
        images=lambda m, a: resolver.resolve(tag["id"], repo["create_event"], m, a))
    return plan, source


def _task(hub: Hub, task_id: int) -> dict:
    task = hub.task_info(task_id, request=True)
    if not task:
        raise BadTask(f"task {task_id} does not exist on this hub")
    if task["method"] not in METHODS:
        raise BadTask(f"task {task_id} is a {task['method']} task; only "
                      f"{', '.join(METHODS)} tasks can be reproduced")
    return task


def _source(method: str, params: list, options, workdir: Path) -> Source:
    if method == "buildSRPMFromSCM":
        return Source("scm", params[0])
    return Source("srpm", str(fetch_work_file(options, params[0], workdir / "task")))


def fetch_work_file(options, relpath: str, target_dir: Path) -> Path:
    """``work/<relpath>`` from the koji volume (``topdir``) or over HTTP (``topurl``)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / Path(relpath).name
    local = Path(options.topdir, "work", relpath)
    if local.is_file():
        target.write_bytes(local.read_bytes())
        return target
    if not options.topurls:
        raise HubUnavailable(f"{local} does not exist (is --topdir the koji volume?)")
    url = f"{options.topurls[0]}/work/{relpath}"
    response = requests.get(url, timeout=300)
    if response.status_code != 200:
        raise HubUnavailable(f"cannot download {url}: HTTP {response.status_code}")
    target.write_bytes(response.content)
    return target
