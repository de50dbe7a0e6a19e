"""``buildSRPMFromSCM(url, build_tag, opts)``: an SRPM built from a source repository.

Contract 3.3.  Steps: the URL vetted and allowed (before anything else), repo
and tag, an ``srpm-build`` buildroot (keeping a network for ``source_cmd``
when ``[adjutant] scm_network`` allows), the checkout on the host into the
buildroot's directory between the ``preSCMCheckout``/``postSCMCheckout``
callbacks, the resolved commit, the checkout handed to the build user, spec
discovery and sanity check, ``source_cmd`` and ``rpmbuild -bs`` in the
container, the SRPM taken out (``results.collect``: a regular file named as
its header says), uploads.  Returns ``{srpm, logs, brootid, source}``.
"""

from pathlib import Path

import koji

from koji_adjutant import scm as scmlib
from koji_adjutant.buildroot import build
from koji_adjutant.buildroot.buildroot import Buildroot
from koji_adjutant.buildroot.plugin_view import PluginBuildroot
from koji_adjutant.container import Mount
from koji_adjutant.scm.url import redact
from koji_adjutant.tasks.buildroot_task import BuildrootTaskHandler

CREDENTIALS_MOUNT = "/credentials"


class BuildSRPMFromSCMTask(BuildrootTaskHandler):
    Methods = ["buildSRPMFromSCM"]
    _taskWeight = 1.0

    def handler(self, url, build_tag, opts=None):
        opts = opts or {}
        self.required_repo_id(opts)
        scm = self._allowed_scm(url, opts)
        repo, tag = self.task_repo(build_tag, opts)
        arch = self.find_arch("noarch", self.host_info(), tag)
        with self._scm_buildroot(tag, repo, arch, scm) as br:
            br.init()
            callback_args = self._callback_args(br, build_tag, tag, repo, opts)
            sourcedir, source = self._checkout(scm, br, callback_args)
            srpm = self._build(scm, br, sourcedir)
            result = {"srpm": self.upload_result(srpm), "brootid": br.id, "source": source}
            result["logs"] = self.upload_logs(br)
            return result

    def _allowed_scm(self, url, opts: dict):
        """Parse and vet the URL, then allowed_scms and/or the build_from_scm policy."""
        rules = scmlib.ScmRules.from_options(self.options)
        scm = scmlib.open_scm(url, rules.allow_password)
        channel = self.hub.channel_name(self.taskinfo["channel_id"])
        policy_data = {"user_id": self.taskinfo["owner"], "channel": channel,
                       "scratch": opts.get("scratch")}
        scmlib.authorise(scm, rules, self.session, policy_data)
        return scm

    def _scm_buildroot(self, tag: dict, repo: dict, arch: str, scm) -> Buildroot:
        """The srpm-build buildroot, with a network for source_cmd and the credentials."""
        network = bool(scm.source_cmd) and self.options.adjutant.scm_network
        mounts = ()
        credentials = self.options.scm_credentials_dir
        if credentials and Path(credentials).is_dir():
            mounts = (Mount(Path(credentials), CREDENTIALS_MOUNT, read_only=True),)
        return self.buildroot(tag, repo, arch, "srpm-build", network=network, mounts=mounts)

    def _checkout(self, scm, br: Buildroot, callback_args: dict) -> tuple[Path, dict]:
        """Check out on the host into the buildroot's directory; hand it to the build user."""
        scmdir = br.home / "scmroot"
        logfile = Path(self.workdir) / "checkout.log"
        scmdir.mkdir(exist_ok=True)  # kojid's preSCMCheckout finds it made
        self.run_callbacks("preSCMCheckout", scminfo=scm.get_info(), **callback_args)
        with br.logs.phase(f"checkout {redact(scm.url)}"):
            sourcedir = scmlib.fetch(scm, scmdir, self.session, self.getUploadDir(), logfile)
        self.run_callbacks("postSCMCheckout", scminfo=scm.get_info(), srcdir=str(sourcedir),
                           **callback_args)
        source = scmlib.resolved_source(scm)
        br.logs.append("build.log", f"checked out {source['source']}\n")
        scmlib.hand_over(scmdir, *br.build_ids())
        return sourcedir, source

    def _callback_args(self, br: Buildroot, build_tag, tag_config: dict, repo: dict,
                       opts: dict) -> dict:
        """What kojid passes the SCM callbacks: the tag (getTag at the repo's event), the
        scratch flag and a view of the buildroot with kojid's BuildRoot attributes."""
        event = repo["create_event"]
        return {"build_tag": self.hub.tag(build_tag, strict=True, event=event),
                "scratch": opts.get("scratch"),
                "buildroot": PluginBuildroot(br, tag_config, repo, self.id, self.workdir,
                                             self.options)}

    def _build(self, scm, br: Buildroot, sourcedir: Path) -> Path:
        """Spec discovery and check, source_cmd, rpmbuild -bs; the SRPM's checked copy."""
        layout = self.options.support_rpm_source_layout
        spec = scmlib.find_spec(sourcedir, layout)
        scmlib.check_spec(spec)
        sources = scmlib.sources_dir(sourcedir, layout)
        return build.build_srpm(br, br.container_path(spec), br.container_path(sources),
                                scm.source_cmd, br.container_path(sourcedir))
