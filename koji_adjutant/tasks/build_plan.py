"""The parts of a ``build`` parent task that are data: options, target, merged results.

``BuildOpts`` checks the task's options once, before any work; ``Target`` is
where the build happens and goes; ``merge_results`` turns the ``buildArch``
subtasks' results into what ``completeBuild`` takes (``Imports``).
"""

import logging
from dataclasses import dataclass, field

import koji

from koji_adjutant.errors import TaskFailed

logger = logging.getLogger("koji.build.BuildTask")

KNOWN_OPTS = frozenset({"scratch", "skip_tag", "arch_override", "repo_id", "wait_repo",
                        "wait_builds", "custom_user_metadata", "draft", "fail_fast",
                        "rebuild_srpm"})


@dataclass(frozen=True)
class BuildOpts:
    """The build's options, checked once before any work is done."""

    scratch: bool = False
    skip_tag: bool = False
    draft: bool = False
    fail_fast: bool = False
    repo_id: int | None = None
    wait_repo: bool = False
    wait_builds: tuple[str, ...] = ()
    arch_override: str | None = None
    rebuild_srpm: bool | None = None
    custom_user_metadata: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, opts: dict | None) -> "BuildOpts":
        """Validate the task's opts (a dict as the CLI stores it); raise on bad ones."""
        opts = dict(opts or {})
        unknown = sorted(set(opts) - KNOWN_OPTS)
        if unknown:
            logger.warning("ignoring unknown build options: %s", ", ".join(unknown))
        scratch = bool(opts.get("scratch"))
        if opts.get("arch_override") and not scratch:
            raise koji.BuildError("arch_override is only allowed for scratch builds")
        if opts.get("draft") and scratch:
            raise koji.BuildError("a build cannot be both draft and scratch")
        metadata = opts.get("custom_user_metadata") or {}
        if not isinstance(metadata, dict):
            raise koji.BuildError("custom_user_metadata must be a dict (a JSON object), "
                                  f"not {type(metadata).__name__}")
        return cls(scratch=scratch, skip_tag=bool(opts.get("skip_tag")),
                   draft=bool(opts.get("draft")), fail_fast=bool(opts.get("fail_fast")),
                   repo_id=opts.get("repo_id"), wait_repo=bool(opts.get("wait_repo")),
                   wait_builds=tuple(opts.get("wait_builds") or ()),
                   arch_override=opts.get("arch_override") or None,
                   rebuild_srpm=opts.get("rebuild_srpm") if scratch else None,
                   custom_user_metadata=metadata)

    @property
    def imports(self) -> bool:
        """Whether the build is imported (and tagged): every build but a scratch one."""
        return not self.scratch


@dataclass(frozen=True)
class Target:
    """Where the build happens and where it goes."""

    name: str | None
    build_tag: int
    dest_tag: int
    dest_tag_name: str
    skip_tag: bool


@dataclass(frozen=True)
class Imports:
    """The merged results of the ``buildArch`` subtasks, as ``completeBuild`` takes them."""

    srpm: str
    rpms: list[str]
    brmap: dict[str, int]
    logs: dict[str, list[str]]


def merge_results(results: list[tuple[str, dict]]) -> Imports:
    """Merge ``(arch, buildArch result)`` pairs; the SRPM is the one a buildArch kept."""
    rpms: list[str] = []
    brmap: dict[str, int] = {}
    logs: dict[str, list[str]] = {}
    srpms: list[str] = []
    for arch, result in results:
        for relpath in result["rpms"]:
            rpms.append(relpath)
            brmap[relpath] = result["brootid"]
        logs.setdefault(arch, []).extend(result["logs"])
        for relpath in result["srpms"]:
            srpms.append(relpath)
            brmap[relpath] = result["brootid"]
    if len(srpms) > 1:
        raise TaskFailed(f"multiple builds returned a srpm: {', '.join(srpms)}")
    if not srpms:
        raise TaskFailed("could not find a built srpm")
    return Imports(srpms[0], rpms, brmap, logs)
