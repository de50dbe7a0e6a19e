"""``createdistrepo(tag, repo_id, arch, keys, opts)``: one arch of a ``koji dist-repo``.

Contract 3.11.  Steps: check the repo (INIT dist repo) and the koji volume,
refuse what we cannot do honestly (``multilib``), list the tagged rpms with
their signatures, pick each rpm's copy by the order of ``keys``, handle missing
signatures (fail, ``skip_missing_signatures`` or ``allow_missing_signatures``)
and missing files, lay out ``Packages/``, ``pkglist`` and ``kojipkgs`` (debuginfo
in a ``debug`` subrepo with ``split_debuginfo``), run createrepo_c in a
container (``--update`` from the previous dist repo, ``--deltas``, ``--zck``),
the ``postCreateDistRepo`` callback, then upload every file and the
``repo_manifest`` that ``host.distRepoMove`` reads.  Returns None.
"""

from __future__ import annotations

import json
from pathlib import Path

import koji

from koji_adjutant.errors import TaskFailed
from koji_adjutant.repos import commands, dist_steps, distsel
from koji_adjutant.repos.handler import RepoTaskHandler

MULTILIB_REFUSAL = ("multilib dist repos are not supported by koji-adjutant: selecting "
                    "multilib packages needs the 'multilib' python module and a dnf "
                    "depsolve, which the daemon does not carry; build the repo without "
                    "--multilib (see docs/adr/0007-repositories.md)")


class CreateDistRepoTask(RepoTaskHandler):
    Methods = ["createdistrepo"]
    _taskWeight = 1.5

    def handler(self, tag, repo_id, arch, keys, opts):
        opts = dict(opts or {})
        if opts.get("multilib"):
            raise TaskFailed(MULTILIB_REFUSAL)
        repo = self.repo_in_init(repo_id)
        self.volume_dir("packages")
        arch = koji.canonArch(arch)
        try:
            job = self._job(repo, arch, opts)
            layout = distsel.plan_layout(self._chosen(repo, arch, keys, opts), self._builds,
                                         self.pathinfo(), bool(opts.get("split_debuginfo")))
            dist_steps.write_layout(job, layout)
            with self.repo_container(repo["tag_id"], repo["create_event"], arch,
                                     job.outdir) as box:
                self._check_zck(box, job)
                dist_steps.createrepo(box, job, sorted(layout.pkglists))
            self.run_callbacks("postCreateDistRepo", tag=repo["tag_name"],
                               repodir=str(job.repo), repo_id=repo_id, arch=arch,
                               keys=keys, opts=opts)
            self._upload(job)
        finally:
            self.task_logs().sync()

    def _job(self, repo: dict, arch: str, opts: dict) -> dist_steps.DistJob:
        dist_dir = Path(self.options.topdir, "repos-dist", repo["tag_name"])
        comps = dist_dir / str(repo["id"]) / "groups" / "comps.xml"
        old = self.hub.latest_dist_repo(repo["tag_id"])
        old_arch = dist_dir / str(old["id"]) / arch if old else None
        return dist_steps.DistJob(
            arch=arch, outdir=Path(self.workdir) / "distrepo",
            comps=comps if comps.is_file() else None,
            old_arch_dir=old_arch if old_arch and old_arch.is_dir() else None,
            skip_stat=bool(opts.get("createrepo_skip_stat", self.options.distrepo_skip_stat)),
            deltas=self._delta_dirs(opts.get("delta") or [], arch),
            zck=bool(opts.get("zck")), zck_dict_dir=opts.get("zck_dict_dir"))

    def _delta_dirs(self, repo_ids: list, arch: str) -> tuple[str, ...]:
        """``--oldpackagedirs`` of the dist repos named for deltas (each must exist)."""
        dirs = []
        for repo_id in repo_ids:
            old = self.hub.repo_info(repo_id)
            if not old["dist"]:
                raise TaskFailed(f"delta repo {repo_id} is not a dist repo")
            packages = Path(self.options.topdir, "repos-dist", old["tag_name"],
                            str(repo_id), arch, "Packages")
            if not packages.is_dir():
                raise TaskFailed(f"delta repo {repo_id} has no {arch} packages at {packages}")
            dirs += [str(d) for d in sorted(packages.iterdir()) if d.is_dir()]
        return tuple(dirs)

    def _chosen(self, repo: dict, arch: str, keys: list, opts: dict) -> list[dict]:
        rows, builds = self.hub.tagged_rpms(
            repo["tag_id"], event=opts.get("event"), arch=distsel.compat_arches(arch),
            latest=opts.get("latest"), inherit=opts.get("inherit"), rpmsigs=True)
        self._builds = {build.get("build_id") or build["id"]: build for build in builds}
        selection = distsel.select_copies(rows, keys)
        chosen = list(selection.chosen)
        if selection.missing_signatures:
            chosen = self._missing_signatures(selection, keys, opts)
        if opts.get("write_signed_rpms"):
            self._write_signed(chosen)
        self._check_files(chosen)
        return chosen

    def _missing_signatures(self, selection: distsel.Selection, keys: list,
                            opts: dict) -> list[dict]:
        missing = selection.missing_signatures
        self._upload_text("missing_signatures.log", distsel.missing_report(missing, keys))
        if opts.get("skip_missing_signatures"):
            dropped = {rpm["id"] for rpm in missing}
            return [rpm for rpm in selection.chosen if rpm["id"] not in dropped]
        if opts.get("allow_missing_signatures"):
            return list(selection.chosen)
        raise TaskFailed(f"Unsigned packages found: {len(missing)} rpms have none of the "
                         f"keys {', '.join(keys)} (see missing_signatures.log; "
                         f"e.g. {distsel.nvra(missing[0])}). Sign them, or use "
                         f"--skip-missing-signatures / --allow-missing-signatures")

    def _write_signed(self, chosen: list[dict]) -> None:
        signed = [rpm for rpm in chosen if rpm.get("sigkey")]
        for rpm in signed:
            self.hub.write_signed_rpm(rpm["id"], rpm["sigkey"])
        self._upload_text("written_signed_rpms.log", "".join(
            f"{distsel.nvra(rpm)}.rpm {rpm['sigkey']}\n" for rpm in signed))

    def _check_files(self, chosen: list[dict]) -> None:
        pathinfo = self.pathinfo()
        missing = [path for path in (distsel.rpm_path(pathinfo, self._builds[rpm["build_id"]],
                                                      rpm) for rpm in chosen)
                   if not Path(path).is_file()]
        if missing:
            self._upload_text("missing_files.log", "".join(p + "\n" for p in missing))
            raise TaskFailed(f"{len(missing)} rpm files missing on the koji volume (see "
                             f"missing_files.log), e.g. {missing[0]}")

    def _check_zck(self, box, job: dist_steps.DistJob) -> None:
        if job.zck and "zchunk" not in commands.features(
                box.output([commands.CREATEREPO, "--version"])):
            raise TaskFailed(f"zchunk metadata asked for, but createrepo_c {box.where} "
                             f"is built without zchunk support")

    def _upload_text(self, name: str, text: str) -> None:
        self.task_logs().write(name, text)

    def _upload(self, job: dist_steps.DistJob) -> None:
        files = dist_steps.uploads(job)
        for rel in files:
            parent = str(Path(rel).parent)
            self.uploadFile(str(job.repo / rel), relPath=None if parent == "." else parent)
        manifest = Path(self.workdir) / "repo_manifest"
        manifest.write_text(json.dumps(files, indent=2))
        self.uploadFile(str(manifest))
