"""``rebuildSRPM(srpm, build_tag, opts)``: rebuild an uploaded SRPM with the tag's macros.

Contract 3.4: an ``srpm-build`` buildroot (no network), the SRPM unpacked and
rebuilt with ``rpmbuild -bs`` so that its release carries the tag's ``%dist``,
the file name checked against its header, uploaded.  Returns
``{srpm, logs, brootid, source}``.
"""

import os

import koji

from koji_adjutant.buildroot import build
from koji_adjutant.errors import TaskFailed
from koji_adjutant.tasks.buildroot_task import BuildrootTaskHandler


def check_srpm_name(path) -> None:
    """The SRPM's file name must be ``N-V-R.src.rpm`` from its own header."""
    header = koji.get_rpm_header(str(path))
    expected = "%(name)s-%(version)s-%(release)s.src.rpm" % koji.get_header_fields(
        header, ["name", "version", "release"])
    if os.path.basename(path) != expected:
        raise TaskFailed(f"srpm name mismatch: {os.path.basename(path)} != {expected}")


class RebuildSRPMTask(BuildrootTaskHandler):
    Methods = ["rebuildSRPM"]
    _taskWeight = 1.0

    def handler(self, srpm, build_tag, opts=None):
        opts = opts or {}
        if not opts.get("repo_id"):
            raise koji.ParameterError("rebuildSRPM needs opts['repo_id']")
        repo = self.repo_info(opts["repo_id"])
        tag = self.tag_config(build_tag, repo)
        original = self.fetch_srpm(srpm)
        arch = self.find_arch("noarch", self.host_info(), tag)
        with self.buildroot(tag, repo, arch, "srpm-build") as br:
            br.init()
            rebuilt = build.rebuild_srpm(br, br.stage(original))
            check_srpm_name(rebuilt)
            result = {"srpm": self.upload_result(rebuilt), "brootid": br.id,
                      "source": {"source": original.name, "url": original.name}}
            result["logs"] = self.upload_logs(br)
            return result
