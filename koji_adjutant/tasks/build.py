"""``build(src, target, opts)``: the parent task of an RPM build (contract 3.2).

The parent builds nothing itself: it resolves the target and the repo, asks
the hub's policies, has a subtask make the SRPM (``buildSRPMFromSCM`` or
``rebuildSRPM``), reads the SRPM's header, decides the arches, records the
build (``initBuild``), runs one ``buildArch`` subtask per arch, imports their
results (``completeBuild``, or ``moveBuildToScratch`` for a scratch build) and
tags the build with a ``tagBuild`` subtask.  Every subtask carries a label, so
a parent that is restarted finds its children again instead of starting over.
Any failure after ``initBuild`` marks the build FAILED (``failBuild``).
"""

import logging
import posixpath

import koji
from koji.daemon import SCM
from koji.tasks import ServerExit

from koji_adjutant.errors import TaskFailed
from koji_adjutant.hub import HubTaskHandler
from koji_adjutant.tasks.arches import SrpmArches, build_arches, task_arch
from koji_adjutant.tasks.build_plan import BuildOpts, Imports, Target, merge_results

logger = logging.getLogger("koji.build.BuildTask")

class BuildTask(HubTaskHandler):
    Methods = ["build"]
    # the parent mostly waits for its subtasks
    _taskWeight = 0.2

    def handler(self, src, target, opts=None):
        opts = BuildOpts.parse(opts)
        self._check_source(src)
        repo = self._given_repo(opts.repo_id)
        self.event_id = repo["create_event"] if repo else None
        dest = self._resolve_target(target, repo, opts)
        self._assert_policies(src, dest, opts)
        repo = repo or self._current_repo(dest, opts)
        srpm, source = self._make_srpm(src, dest, repo["id"], opts)
        header = self._read_header(srpm)
        data = self._build_data(header, source, opts)
        arches = self._arches(dest, header, data["name"], opts)
        build_id = self.hub.init_build(data) if opts.imports else None
        self._build_and_import(srpm, header, dest, arches, repo["id"], build_id, opts)
        if opts.imports and not dest.skip_tag:
            self._tag(dest.dest_tag, build_id)

    # ---------------------------------------------------------------- inputs

    @staticmethod
    def _check_source(src) -> None:
        if not isinstance(src, str) or not src:
            raise koji.BuildError(f"Invalid source specification: {src!r}")
        if SCM.is_scm_url(src):
            return
        parts = src.split("/")
        if src.startswith("/") or ".." in parts or not src.endswith(".src.rpm"):
            raise koji.BuildError(f"Invalid source specification: {src} (give an SCM URL or "
                                  "the path of an uploaded .src.rpm relative to the work dir)")

    def _given_repo(self, repo_id) -> dict | None:
        return None if repo_id is None else self.hub.usable_repo(repo_id)

    def _resolve_target(self, target, repo: dict | None, opts: BuildOpts) -> Target:
        info = self.hub.build_target(target, event=self.event_id) if target else None
        if info:
            if repo and repo["tag_id"] != info["build_tag"]:
                raise koji.BuildError(f"Repo/Target mismatch: repo {repo['id']} is of "
                                      f"{repo['tag_name']}, target {info['name']} builds in "
                                      f"{info['build_tag_name']}")
            return Target(info["name"], info["build_tag"], info["dest_tag"],
                          info["dest_tag_name"], opts.skip_tag)
        if repo is None:
            raise koji.GenericError(f"unknown build target: {target}")
        if target is None:
            return Target(None, repo["tag_id"], repo["tag_id"], repo["tag_name"], True)
        tag = self.hub.tag(target, event=self.event_id)
        if not tag:
            raise koji.GenericError(f"neither tag nor target: {target}")
        return Target(None, repo["tag_id"], tag["id"], tag["name"], opts.skip_tag)

    def _current_repo(self, dest: Target, opts: BuildOpts) -> dict:
        """A repo of the build tag (with ``wait_builds`` in it), waited for if need be."""
        repo = self.getRepo(dest.build_tag, builds=list(opts.wait_builds), wait=opts.wait_repo)
        self.event_id = self.hub.last_event()
        return repo

    def _assert_policies(self, src: str, dest: Target, opts: BuildOpts) -> None:
        data = {"user_id": self.taskinfo["owner"], "source": src, "task_id": self.id,
                "build_tag": dest.build_tag, "skip_tag": dest.skip_tag,
                "scratch": opts.scratch, "draft": opts.draft,
                "from_scm": SCM.is_scm_url(src), "repo_id": opts.repo_id}
        if dest.name:
            data["target"] = dest.name
        if not dest.skip_tag:
            data["tag"] = dest.dest_tag
        if not SCM.is_scm_url(src) and not opts.scratch:
            self.hub.assert_policy("build_from_srpm", data)
        if opts.repo_id is not None:
            self.hub.assert_policy("build_from_repo_id", data)
        self.hub.assert_policy("build_rpm", data)

    # ---------------------------------------------------------------- the SRPM

    def _build_config(self, dest: Target) -> dict:
        """The build tag's config at the build's event (read once)."""
        return self.hub.build_config(dest.build_tag, event=self.event_id)

    def _make_srpm(self, src: str, dest: Target, repo_id: int,
                   opts: BuildOpts) -> tuple[str, dict | None]:
        """The SRPM's relpath under WORK, and its source record (url, source) if any."""
        config = self._build_config(dest)
        if SCM.is_scm_url(src):
            method = "buildSRPMFromSCM"
        elif (opts.rebuild_srpm if opts.rebuild_srpm is not None
              else config["extra"].get("rebuild_srpm", True)):
            method = "rebuildSRPM"
        else:
            return src, None
        arch = task_arch("noarch", config["arches"],
                         noarch_arches=config["extra"].get("noarch_arches"),
                         literal_task_arches=self.options.literal_task_arches)
        task_id = self.subtask(method, [src, dest.build_tag,
                                        {"repo_id": repo_id, "scratch": opts.scratch}],
                               label="srpm", arch=arch)
        result = self.wait(task_id)[task_id]
        if "source" not in result:
            logger.warning("%s subtask %d did not report its source", method, task_id)
        return result["srpm"], result.get("source")

    def _read_header(self, srpm: str):
        """The SRPM's header, read from the hub's files; it must be a source package."""
        relpath = posixpath.join("work", srpm)
        try:
            with koji.openRemoteFile(relpath, topurl=self.options.topurl,
                                     topdir=self.options.topdir, tempdir=self.workdir) as fo:
                koji.check_rpm_file(fo)
                fo.seek(0)
                header = koji.get_rpm_header(fo)
        except (koji.GenericError, OSError) as exc:
            raise TaskFailed(f"cannot read the SRPM {srpm}: {exc}") from exc
        if not koji.get_header_field(header, "sourcepackage"):
            raise TaskFailed(f"{srpm} is not a source package")
        return header

    def _build_data(self, header, source: dict | None, opts: BuildOpts) -> dict:
        data = koji.get_header_fields(header, ["name", "version", "release", "epoch"])
        data["task_id"] = self.id
        if source:
            data["source"] = source["source"]
            data["extra"] = {"source": {"original_url": source["url"]}}
        if opts.custom_user_metadata:
            data.setdefault("extra", {})["custom_user_metadata"] = opts.custom_user_metadata
        if opts.draft:
            data["draft"] = True
        return data

    def _arches(self, dest: Target, header, name: str, opts: BuildOpts) -> list[str]:
        pkg = self.hub.package_config(dest.dest_tag, name, event=self.event_id)
        if not dest.skip_tag and opts.imports:
            if pkg is None:
                raise TaskFailed(f"package {name} not in list for tag {dest.dest_tag_name}")
            if pkg["blocked"]:
                raise TaskFailed(f"package {name} is blocked for tag {dest.dest_tag_name}")
        config = self._build_config(dest)
        arches = build_arches(config["arches"], SrpmArches.from_header(header),
                              extra_arches=pkg.get("extra_arches") if pkg else None,
                              arch_override=opts.arch_override if opts.scratch else None,
                              tag=f"{config['name']} [{config['id']}]")
        logger.info("building %s for %s", name, " ".join(arches))
        return arches

    # ---------------------------------------------------------------- the builds

    def _build_and_import(self, srpm: str, header, dest: Target, arches: list[str],
                          repo_id: int, build_id: int | None, opts: BuildOpts) -> None:
        try:
            imports = self._run_builds(srpm, header, dest, arches, repo_id, opts)
            if opts.scratch:
                self.hub.move_to_scratch(self.id, imports.srpm, imports.rpms, imports.logs)
            else:
                self.hub.complete_build(self.id, build_id, imports.srpm, imports.rpms,
                                        imports.brmap, imports.logs)
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            if build_id is not None:
                self._fail_build(build_id)
            raise

    def _fail_build(self, build_id: int) -> None:
        try:
            self.hub.fail_build(self.id, build_id)
        except koji.GenericError as exc:
            # the original error is the one to report; this only leaves a trace
            logger.error("could not mark build %d failed: %s", build_id, exc)

    def _run_builds(self, srpm: str, header, dest: Target, arches: list[str],
                    repo_id: int, opts: BuildOpts) -> Imports:
        config = self._build_config(dest)
        srpm_arches = SrpmArches.from_header(header)
        subtasks: dict[str, int] = {}
        for arch in arches:
            keep_srpm = not subtasks  # the first arch's buildArch returns the SRPM
            taskarch = task_arch(arch, config["arches"], srpm_arches,
                                 noarch_arches=config["extra"].get("noarch_arches"),
                                 literal_task_arches=self.options.literal_task_arches)
            subtasks[arch] = self.subtask(
                "buildArch", [srpm, dest.build_tag, arch, keep_srpm, {"repo_id": repo_id}],
                label=arch, arch=taskarch)
        failany = opts.fail_fast or not self.options.build_arch_can_fail
        results = self.wait(list(subtasks.values()), all=True, failany=failany)
        return merge_results([(arch, results[task_id]) for arch, task_id in subtasks.items()])

    def _tag(self, dest_tag: int, build_id: int) -> None:
        task_id = self.subtask("tagBuild", [dest_tag, build_id, False, None, True],
                               label="tag", arch="noarch")
        self.wait(task_id)
