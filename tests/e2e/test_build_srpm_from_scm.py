"""buildSRPMFromSCM through the daemon, the hub simulator, the test image and git over HTTP.

The git repositories are served by ``git http-backend`` on 127.0.0.1 (tests/gitserve.py);
the daemon checks them out on the host, runs ``make sources`` in the container as the
build user and builds the SRPM there with the tag's macros.
"""

import json
import socket
import subprocess
import uuid
from pathlib import Path

import koji
import pytest

from daemon_harness import PLUGIN_DIR
from daemon_harness import containers_of_task as containers_of_host_task
from daemon_harness import wait_for
from rpmkit import Package, make_koji_repo, render_spec

TAG = "f99-build"
GROUPS = {"build": ["bash", "make", "rpm-build"], "srpm-build": ["bash", "make", "rpm-build"]}
# first match wins: blocked repos, repos with no source_cmd, then everything under /repos/
ALLOWED = "!127.0.0.1*:/repos/blocked* 127.0.0.1*:/repos/nosrc*:no: 127.0.0.1*:/repos/*:no"
# A host name of our own: daemons of other test runs on this machine sweep the
# containers of their host name (and of their task ids) when they start and finish.
HOST = f"scm-{uuid.uuid4().hex[:8]}"
pytestmark = pytest.mark.podman

# Writes what each SCM callback saw into the probe directory of start_daemon.
SCM_PLUGIN = '''
import json, os
import koji.plugin

@koji.plugin.callback("preSCMCheckout", "postSCMCheckout")
def record(cbtype, **kwargs):
    br = kwargs["buildroot"]
    seen = {"keys": sorted(kwargs), "scminfo": kwargs["scminfo"], "srcdir": kwargs.get("srcdir"),
            "task": kwargs["taskinfo"]["id"], "build_tag": kwargs["build_tag"],
            "buildroot": {name: getattr(br, name) for name in (
                "id", "name", "task_id", "tag_id", "tag_name", "repoid", "event_id",
                "br_arch", "target_arch", "install_group", "setup_dns", "workdir")},
            "repo_state": br.repo_info["state"], "config_arches": br.config["arches"],
            "tmpdir": br.tmpdir(), "tmpdir_within": br.tmpdir(within=True),
            "scmroot_exists": os.path.isdir(os.path.join(br.tmpdir(), "scmroot"))}
    with open(os.path.join(os.environ["ADJUTANT_PROBE_DIR"], cbtype + ".json"), "w") as f:
        json.dump(seen, f)
'''


def makefile(command: str) -> str:
    return f"sources:\n\t{command}\n"


def package_files(pkg: Package, sources: bool = True) -> dict[str, str]:
    """A package repository: the spec at the top and (optionally) its sources."""
    files = {f"{pkg.name}.spec": render_spec(pkg)}
    if sources:
        files.update(pkg.sources())
    return files


def containers_of_task(task_id: int) -> list[str]:
    """Containers of our host for ``task_id``, running or not."""
    return containers_of_host_task(task_id, HOST)


@pytest.fixture
def f99(hub):
    """Host HOST and tag f99-build (%dist .f99) with a READY repo and the groups."""
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [], GROUPS)


def run_task(hub, url: str, repo_id: int, timeout: float = 300) -> int:
    task_id = hub.make_task("buildSRPMFromSCM", [url, TAG, {"repo_id": repo_id}])
    hub.wait_task(task_id, timeout=timeout)
    return task_id


def task_dir(hub, task_id: int) -> Path:
    return hub.topdir / "work" / koji.pathinfo.taskrelpath(task_id)


def failure(hub, task_id: int) -> str:
    assert koji.TASK_STATES[hub.task_info(task_id)["state"]] == "FAILED", task_id
    with pytest.raises(koji.GenericError) as exc:
        hub.task_result(task_id)
    return str(exc.value)


def srpm_file(srpm: Path, name: str) -> str:
    """The content of file ``name`` in an SRPM's payload."""
    payload = subprocess.run(["rpm2cpio", str(srpm)], check=True, capture_output=True).stdout
    return subprocess.run(["cpio", "-i", "--quiet", "--to-stdout", name], input=payload,
                          check=True, capture_output=True).stdout.decode()


def test_srpm_from_git_records_the_commit_and_carries_the_dist(hub, f99, git_server,
                                                               start_daemon, tmp_path,
                                                               probe_dir):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "scm_probe.py").write_text(SCM_PLUGIN)
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o755)
    (credentials / "token").write_text("token-42\n")
    daemon = start_daemon(hub, HOST, allowed_scms=ALLOWED, scm_credentials_dir=credentials,
                          pluginpath=f"{PLUGIN_DIR}:{plugins}", plugin="adjutant_probe scm_probe")
    pkg = Package("hello-scm")
    files = package_files(pkg, sources=False)
    # make sources writes Source0 in the checkout, as the build user, inside the container
    files["Makefile"] = makefile(f'echo "made by $$(id -un) in $$(pwd) with '
                                 f'$$(cat /credentials/token)" > {pkg.source_name}')
    sha = git_server.commit("hello-scm", files)
    git_server.commit("hello-scm", {"after.txt": "a later commit\n"})
    url = git_server.url("hello-scm", sha)
    task_id = run_task(hub, url, f99["id"])
    assert koji.TASK_STATES[hub.task_info(task_id)["state"]] == "CLOSED", hub.task_result(task_id)
    result = hub.task_result(task_id)
    bucket = koji.pathinfo.taskrelpath(task_id)
    assert result["srpm"] == f"{bucket}/hello-scm-1.0-1.f99.src.rpm"
    assert result["source"] == {
        "url": url, "source": f"git+http://127.0.0.1:{git_server.port}/repos/hello-scm.git#{sha}"}
    assert {"build.log", "root.log", "state.log", "mock_config.log"} <= \
        {p.rsplit("/", 1)[1] for p in result["logs"]}
    assert all(p.startswith(bucket + "/") for p in result["logs"])
    assert "checkout.log" not in {p.rsplit("/", 1)[1] for p in result["logs"]}
    assert "$ git clone -n http://127.0.0.1:" in (task_dir(hub, task_id) / "checkout.log").read_text()

    srpm = hub.topdir / "work" / result["srpm"]
    header = koji.get_rpm_header(str(srpm))
    fields = koji.get_header_fields(header, ["name", "release", "vendor", "packager"])
    assert fields == {"name": "hello-scm", "release": "1.f99", "vendor": "Koji",
                      "packager": "Koji"}
    made = srpm_file(srpm, pkg.source_name)
    assert made == "made by mockbuild in /builddir/scmroot/hello-scm with token-42\n"

    logs = task_dir(hub, task_id)
    assert "network bridge disconnected" in (logs / "root.log").read_text()
    build_log = (logs / "build.log").read_text()
    assert build_log.index("running source_cmd 'make sources'") < build_log.index("rpmbuild")
    assert koji.BR_STATES[hub.session().getBuildroot(result["brootid"])["state"]] == "EXPIRED"
    wait_for(lambda: not containers_of_task(task_id), timeout=30,
             what="the container removed after the result")
    assert not (daemon.conf.parent / f"work-{HOST}" / "tasks" / bucket.split("/", 1)[1]).exists()

    pre = json.loads((probe_dir / "preSCMCheckout.json").read_text())
    post = json.loads((probe_dir / "postSCMCheckout.json").read_text())
    assert pre["keys"] == ["build_tag", "buildroot", "scminfo", "scratch", "session", "taskinfo"]
    assert pre["scminfo"]["revision"] == sha and pre["task"] == task_id
    # kojid passes the build tag as getTag's dict and its BuildRoot object
    tag = hub.session().getTag(TAG)
    assert pre["build_tag"]["id"] == tag["id"] and pre["build_tag"]["name"] == TAG
    assert pre["build_tag"]["extra"] == {"rpm.macro.dist": ".f99"}
    br = pre["buildroot"]
    assert br == {"id": result["brootid"], "name": f"{TAG}-{result['brootid']}-{f99['id']}",
                  "task_id": task_id, "tag_id": tag["id"], "tag_name": TAG,
                  "repoid": f99["id"], "event_id": f99["create_event"], "br_arch": "x86_64",
                  "target_arch": "x86_64", "install_group": "srpm-build", "setup_dns": True,
                  "workdir": br["workdir"]}
    assert pre["repo_state"] == koji.REPO_STATES["READY"] and pre["config_arches"] == "x86_64"
    assert pre["tmpdir_within"] == "/builddir" and pre["scmroot_exists"]
    assert post["srcdir"] == pre["tmpdir"] + "/scmroot/hello-scm"
    assert post["srcdir"].startswith(br["workdir"])
    assert "srcdir" in post["keys"] and post["build_tag"] == pre["build_tag"]


def test_rpm_layout_and_no_source_cmd(hub, f99, git_server, start_daemon):
    start_daemon(hub, HOST, allowed_scms=ALLOWED, adjutant={"scm_network": "false"})
    pkg = Package("layout-pkg")
    files = {f"SPECS/{pkg.name}.spec": render_spec(pkg)}
    files.update({f"SOURCES/{name}": text for name, text in pkg.sources().items()})
    sha = git_server.commit("nosrc-layout", files)
    task_id = run_task(hub, git_server.url("nosrc-layout", "main"), f99["id"])
    assert koji.TASK_STATES[hub.task_info(task_id)["state"]] == "CLOSED", hub.task_result(task_id)
    result = hub.task_result(task_id)
    assert result["srpm"].endswith("/layout-pkg-1.0-1.f99.src.rpm")
    assert result["source"]["source"].endswith(f"/repos/nosrc-layout.git#{sha}")
    logs = task_dir(hub, task_id)
    assert "source_cmd" not in (logs / "build.log").read_text()
    assert "network before the build: none" in (logs / "mock_config.log").read_text()


def closed_port() -> int:
    """A local port nothing listens on (bound, then closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failures_are_clear_and_leave_nothing_behind(hub, f99, git_server, start_daemon):
    daemon = start_daemon(hub, HOST, allowed_scms=ALLOWED, maxjobs=3)
    port = git_server.port
    good = Package("good")
    good_files = dict(package_files(good), Makefile=makefile("true"))
    sha = git_server.commit("good", good_files)
    git_server.commit("blocked-good", good_files)
    git_server.commit("nospec", {"README": "no spec here\n", "Makefile": makefile("true")})
    # kojid refuses a spec that starts with Vendor: (see the test below for one that does not)
    vendor = Package("vendor")
    git_server.commit("vendor", {"vendor.spec": "Vendor: ACME\n" + render_spec(vendor),
                                 **vendor.sources(), "Makefile": makefile("true")})
    git_server.commit("badsources", dict(package_files(Package("badsources")),
                                         Makefile=makefile("echo lookaside is down; exit 3")))
    base = f"git+http://127.0.0.1:{port}/repos"
    # failures found before any buildroot exists
    early = {
        "host": (f"git+http://localhost:{port}/repos/good.git#{sha}",
                 f"localhost:{port}:/repos/good.git is not in the list of allowed SCMs"),
        "blocked": (git_server.url("blocked-good"),
                    f"127.0.0.1:{port}:/repos/blocked-good.git is not in the list of allowed"),
        "password": (f"git+http://alice:s3cret@127.0.0.1:{port}/repos/good.git#{sha}",
                     "contains a password, which this builder does not accept"),
        "path": (f"{base}/...git#{sha}", "does not name a repository"),
        "module": (f"{base}/good.git?../../..#{sha}", "the module (query) '../../..'"),
        "fragment": (f"{base}/good.git#../../../etc", "the revision (fragment) '../../../etc'"),
    }
    late = {
        "unknown ref": (git_server.url("good", "no-such-ref"),
                        f"cannot check out {git_server.url('good', 'no-such-ref')}: "
                        "ambiguous argument 'no-such-ref': unknown revision"),
        # git's own reason, not only "see checkout.log"
        "no git host": (f"git+http://127.0.0.1:{closed_port()}/repos/good.git#{sha}",
                        "/repos/good.git/': Failed to connect to 127.0.0.1 port"),
        "no spec": (git_server.url("nospec"), "no spec file found"),
        "vendor": (git_server.url("vendor"), "vendor.spec: Vendor is not allowed to be set in "
                   "spec file (the build system sets Packager, Distribution, Vendor)"),
        "source_cmd": (git_server.url("badsources"),
                       "error retrieving sources: 'make sources' exited with status 2"),
    }
    tasks = {what: hub.make_task("buildSRPMFromSCM", [url, TAG, {"repo_id": f99["id"]}])
             for what, (url, _) in {**early, **late}.items()}
    for what, task_id in tasks.items():
        hub.wait_task(task_id, timeout=300)
        message = failure(hub, task_id)
        assert {**early, **late}[what][1] in message, (what, message)
        # a container whose own part succeeded goes after the result (ADR 0010)
        wait_for(lambda: not containers_of_task(task_id), timeout=30, what=what)
        brs = hub.session().listBuildroots(taskID=task_id)
        if what in early:
            assert brs == [], what
        else:
            assert [koji.BR_STATES[b["state"]] for b in brs] == ["EXPIRED"], what
    assert "s3cret" not in failure(hub, tasks["password"])
    bad_log = (task_dir(hub, tasks["source_cmd"]) / "build.log").read_text()
    assert "lookaside is down" in bad_log
    assert "no-such-ref" in (task_dir(hub, tasks["unknown ref"]) / "checkout.log").read_text()
    # every task directory went with its task, and nothing was written beside them
    work = daemon.conf.parent / f"work-{HOST}"
    # the daemon's own bookkeeping (monitoring address, operation journals of tasks not
    # yet reaped, exec control directories) is not task output
    bookkeeping = {"monitoring.address", "monitor-ops", "containers"}
    leftovers = [p.relative_to(work) for p in work.rglob("*")
                 if (p.is_file() or p.is_symlink() or p.parent not in (work, work / "tasks"))
                 and p.relative_to(work).parts[0] not in bookkeeping]
    assert leftovers == []
    assert {p.name for p in work.parent.iterdir()} == {
        "probe", "git", "koji", work.name, daemon.conf.name, daemon.log_path.name}


def test_a_vendor_line_below_the_start_builds_as_with_kojid(hub, f99, git_server,
                                                          start_daemon):
    start_daemon(hub, HOST, allowed_scms=ALLOWED, adjutant={"scm_network": "false"})
    pkg = Package("nosrc-vendor", extra_spec="Vendor: ACME")
    git_server.commit("nosrc-vendor", package_files(pkg))
    task_id = run_task(hub, git_server.url("nosrc-vendor", "main"), f99["id"])
    assert koji.TASK_STATES[hub.task_info(task_id)["state"]] == "CLOSED", hub.task_result(task_id)
    srpm = hub.topdir / "work" / hub.task_result(task_id)["srpm"]
    # the spec's own Vendor wins over the builder's, as with kojid
    assert koji.get_header_field(koji.get_rpm_header(str(srpm)), "vendor") == "ACME"


def test_the_build_from_scm_policy_is_asked_when_configured(hub, f99, git_server,
                                                            start_daemon):
    start_daemon(hub, HOST, allowed_scms_use_config="false",
                 allowed_scms_use_policy="true")
    hub.set_policy("build_from_scm", lambda data: "deny not from " + data["scm_host"]
                   if data["channel"] == "default" else "allow")
    sha = git_server.commit("good", package_files(Package("good")))
    task_id = run_task(hub, git_server.url("good", sha), f99["id"])
    assert (f"SCM: 127.0.0.1:{git_server.port}:/repos/good.git is not allowed, reason: not "
            f"from 127.0.0.1:{git_server.port}") in failure(hub, task_id)
    assert hub.session().listBuildroots(taskID=task_id) == []


def test_koji_build_from_git_imports_a_build_with_its_source(hub, f99, git_server,
                                                             start_daemon):
    hub.add_tag("f99", arches=None)
    hub.add_target("f99-candidate", TAG, "f99")
    hub.add_package("f99", "from-git")
    start_daemon(hub, HOST, allowed_scms=ALLOWED)
    pkg = Package("from-git")
    sha = git_server.commit("from-git", dict(package_files(pkg), Makefile=makefile("true")))
    url = git_server.url("from-git", "main")
    task_id = hub.build(url, "f99-candidate")
    state = koji.TASK_STATES[hub.wait_task(task_id, timeout=420)["state"]]
    assert state == "CLOSED", hub.task_result(task_id)
    build = hub.session().getBuild("from-git-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "COMPLETE"
    assert build["source"] == f"git+http://127.0.0.1:{git_server.port}/repos/from-git.git#{sha}"
    assert build["extra"]["source"]["original_url"] == url
    assert [b["nvr"] for b in hub.session().listTagged("f99")] == ["from-git-1.0-1.f99"]
