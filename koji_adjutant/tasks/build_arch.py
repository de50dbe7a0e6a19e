"""``buildArch(pkg, root, arch, keep_srpm, opts)``: build an SRPM's binaries for one arch.

Contract 3.5.  Steps: repo, SRPM, weight from past build time, buildroot arch,
buildroot set-up, rebuild, classification of the results, ``noarch_rpmdiff.json``,
uploads.  Returns ``{rpms, srpms, logs, brootid}`` with relpaths under WORK.
Nothing is uploaded before every result is checked: ``build.rebuild`` returns
copies that ``results.collect`` took out of the buildroot (regular files,
each named as its header says), and the kept SRPM is checked before any RPM
goes up.
"""

import json
from pathlib import Path

import koji
import koji.rpmdiff

from koji_adjutant.buildroot import build
from koji_adjutant.errors import TaskFailed
from koji_adjutant.tasks.buildroot_task import BuildrootTaskHandler, canonical_arches


class BuildArchTask(BuildrootTaskHandler):
    Methods = ["buildArch"]
    _taskWeight = 1.5

    def checkHost(self, hostdata) -> bool:
        arch = self.params[2] if len(self.params) > 2 else "noarch"
        if arch != "noarch" and koji.canonArch(arch) not in canonical_arches(
                hostdata.get("arches")):
            return False
        return super().checkHost(hostdata)

    def handler(self, pkg, root, arch, keep_srpm, opts=None):
        repo, tag = self.task_repo(root, opts or {})
        srpm = self.fetch_srpm(pkg)
        header = koji.get_rpm_header(str(srpm))
        self._update_weight(koji.get_header_field(header, "name"))
        br_arch = self._buildroot_arch(arch, tag)
        with self.buildroot(tag, repo, br_arch, "build") as br:
            br.init()
            result = build.rebuild(br, br.stage(srpm), arch)
            kept = self._kept_srpm(result.srpms) if keep_srpm else []
            rpms = [self.upload_result(p) for p in result.rpms]
            srpms = [self.upload_result(p) for p in kept]
            logs = self._rpmdiff(result.rpms, br.logs) + self.upload_logs(br)
            return {"rpms": rpms, "srpms": srpms, "logs": logs, "brootid": br.id}

    def _update_weight(self, name: str) -> None:
        """Raise the weight by past build duration (+0.75 per hour, capped), as kojid."""
        try:
            avg = self.hub.average_build_duration(name, age=6)
        except koji.ParameterError:
            avg = self.hub.average_build_duration(name)
        if avg and avg > 0:
            self.hub.set_task_weight(self.id, self._taskWeight + min(18, avg / 4800))

    def _buildroot_arch(self, arch: str, tag: dict) -> str:
        if arch != "noarch":
            return arch
        preferred = self.taskinfo["arch"]
        return self.find_arch(arch, self.host_info(), tag,
                              preferred_arch=None if preferred == "noarch" else preferred)

    def _kept_srpm(self, srpms) -> list[Path]:
        """The one SRPM, checked for the tags the build system sets."""
        if not srpms:
            raise TaskFailed("no srpm files found")
        if len(srpms) > 1:
            raise TaskFailed("multiple srpm files found")
        header = koji.get_rpm_header(str(srpms[0]))
        for tag in ("packager", "vendor", "distribution"):
            if not koji.get_header_field(header, tag):
                raise TaskFailed(f"The build system failed to set the {tag} tag")
        return [srpms[0]]

    def _rpmdiff(self, rpms, logs) -> list[str]:
        """``noarch_rpmdiff.json`` for the hub's duplicate noarch check (contract 6)."""
        hashes = {p.name: koji.rpmdiff.Rpmdiff(str(p), str(p), ignore="S5TN").kojihash()
                  for p in rpms if p.name.endswith(".noarch.rpm")}
        if not hashes:
            return []
        path = Path(self.workdir) / "noarch_rpmdiff.json"
        path.write_text(json.dumps({str(self.id): hashes}, indent=2, sort_keys=True))
        return [self.upload_result(path)]
