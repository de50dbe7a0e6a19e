"""``rebuildSRPM(srpm, build_tag, opts)``: rebuild an uploaded SRPM with the tag's macros.

Contract 3.4: an ``srpm-build`` buildroot (no network), the SRPM unpacked and
rebuilt with ``rpmbuild -bs`` so that its release carries the tag's ``%dist``,
taken out of the buildroot by ``results.collect`` (a regular file, its name
checked against its header: "srpm name mismatch"), uploaded.  Returns
``{srpm, logs, brootid, source}``.
"""

from koji_adjutant.buildroot import build
from koji_adjutant.tasks.buildroot_task import BuildrootTaskHandler


class RebuildSRPMTask(BuildrootTaskHandler):
    Methods = ["rebuildSRPM"]
    _taskWeight = 1.0

    def handler(self, srpm, build_tag, opts=None):
        repo, tag = self.task_repo(build_tag, opts or {})
        original = self.fetch_srpm(srpm)
        arch = self.find_arch("noarch", self.host_info(), tag)
        with self.buildroot(tag, repo, arch, "srpm-build") as br:
            br.init()
            rebuilt = build.rebuild_srpm(br, br.stage(original))
            result = {"srpm": self.upload_result(rebuilt), "brootid": br.id,
                      # kojid names the rebuilt SRPM (with the tag's %dist) as the source
                      "source": {"source": rebuilt.name, "url": rebuilt.name}}
            result["logs"] = self.upload_logs(br)
            return result
