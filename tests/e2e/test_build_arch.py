"""buildArch and rebuildSRPM through the daemon, the hub simulator and the real test image.

A test host session ("importer") holds a parent task in the createrepo channel (which
the daemon's host is not in), makes the buildArch subtask the daemon runs, and then
imports the results with ``host.initBuild``/``host.completeBuild``, so the simulator's
import checks judge what the daemon built.
"""

import subprocess
from pathlib import Path

import koji
import pytest

from daemon_harness import (GROUPS, TAG, TESTLIB, containers_of_task, task_state,
                            upload_srpm, wait_for)
from rpmkit import Package, make_koji_repo
from tmpfs import mounted_tmpfs

pytestmark = pytest.mark.podman


@pytest.fixture
def f99(hub, rpm_factory):
    """Host builder1, tag f99-build (%dist .f99) with a repo holding adjutant-testlib."""
    hub.add_host("builder1", password="builder1", arches="x86_64")
    hub.add_host("importer", password="importer", arches="x86_64", channels=("createrepo",))
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)


class Importer:
    """A second host that plays the build parent: holds it, makes subtasks, imports."""

    def __init__(self, hub):
        self.hub = hub
        self.session = hub.host_session("importer")
        self.parent = hub.make_task("build", ["unused", TAG, {}], channel="createrepo")
        assert self.session.host.openTask(self.parent) is not None

    def build_arch(self, srpm_rel: str, repo_id: int, arch: str, keep_srpm=True) -> int:
        # a label names one child: a second subtask with the same label would be the first
        label = f"{arch} {srpm_rel}"
        return self.session.host.subtask(
            "buildArch", [srpm_rel, TAG, arch, keep_srpm, {"repo_id": repo_id}], self.parent,
            label=label, arch=arch, channel="default")

    def complete(self, result: dict, arch: str) -> dict:
        srpm = result["srpms"][0]
        header = koji.get_rpm_header(str(self.hub.topdir / "work" / srpm))
        data = koji.get_header_fields(header, ["name", "version", "release", "epoch"])
        build_id = self.session.host.initBuild(dict(data, task_id=self.parent))
        brmap = {path: result["brootid"] for path in [srpm] + result["rpms"]}
        return self.session.host.completeBuild(self.parent, build_id, srpm, result["rpms"],
                                               brmap, {arch: result["logs"]})


def finished(hub, task_id: int, timeout: float = 240) -> dict:
    return hub.wait_task(task_id, timeout=timeout)


def test_noarch_build_is_imported_by_the_hub(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    srpm_rel = upload_srpm(hub, rpm_factory, Package("hello-noarch"))
    task_id = importer.build_arch(srpm_rel, f99["id"], "noarch")
    info = finished(hub, task_id)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", hub.task_result(task_id)
    result = hub.task_result(task_id)
    bucket = f"tasks/{task_id % 10000}/{task_id}"
    assert result["rpms"] == [f"{bucket}/hello-noarch-1.0-1.f99.noarch.rpm"]
    assert result["srpms"] == [f"{bucket}/hello-noarch-1.0-1.f99.src.rpm"]
    names = {path.rsplit("/", 1)[1] for path in result["logs"]}
    assert {"build.log", "root.log", "state.log", "mock_config.log", "installed_pkgs.log",
            "hw_info.log", "noarch_rpmdiff.json"} <= names
    build = importer.complete(result, "noarch")
    assert koji.BUILD_STATES[build["state"]] == "COMPLETE"
    assert build["nvr"] == "hello-noarch-1.0-1.f99"
    buildroots = hub.session().listBuildroots(taskID=task_id)
    assert [koji.BR_STATES[b["state"]] for b in buildroots] == ["EXPIRED"]
    wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=30,
             what="the container removed after the result")


def built_c_package(hub, importer: Importer, rpm_factory, repo_id: int, name: str) -> dict:
    """The result of a closed x86_64 buildArch of C package ``name`` (BuildRequires testlib)."""
    pkg = Package(name, arch="c", buildrequires=("adjutant-testlib",))
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, pkg), repo_id, "x86_64")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    return hub.task_result(task_id)


def test_c_package_gets_buildrequires_from_the_koji_repo(hub, f99, rpm_factory,
                                                         start_daemon):
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    result = built_c_package(hub, importer, rpm_factory, f99["id"], "hello-c")
    [rpm] = result["rpms"]
    header = koji.get_rpm_header(str(hub.topdir / "work" / rpm))
    fields = koji.get_header_fields(header, ["name", "release", "arch", "sourcerpm"])
    assert fields == {"name": "hello-c", "release": "1.f99", "arch": "x86_64",
                      "sourcerpm": "hello-c-1.0-1.f99.src.rpm"}
    listing = hub.session().getBuildrootListing(result["brootid"])
    testlib = [row for row in listing if row["name"] == "adjutant-testlib"]
    assert len(testlib) == 1 and testlib[0]["is_update"] is True
    assert testlib[0]["external_repo_id"] == 0  # a koji rpm, found by id
    assert koji.BUILD_STATES[importer.complete(result, "x86_64")["state"]] == "COMPLETE"
    root_log = (hub.topdir / "work" / result["logs"][0].rsplit("/", 1)[0] / "root.log")
    assert "adjutant-testlib" in root_log.read_text()


def test_without_the_koji_volume_the_builder_fetches_the_repo_for_the_buildroot(
        hub, f99, rpm_factory, start_daemon, tmp_path):
    elsewhere = tmp_path / "not-the-koji-volume"
    elsewhere.mkdir()
    # the hub's topurl is on 127.0.0.1: only the host can read it, no container can
    start_daemon(hub, "builder1", topdir=str(elsewhere))
    importer = Importer(hub)
    result = built_c_package(hub, importer, rpm_factory, f99["id"], "hello-topurl")
    logs = hub.topdir / "work" / result["logs"][0].rsplit("/", 1)[0]
    config = (logs / "mock_config.log").read_text()
    assert ("repository access: koji repo metadata and packages downloaded by the builder "
            f"from {hub.topurl}/repos/{TAG}/{f99['id']}/x86_64") in config
    assert "network before the build: none" in config
    assert "prefetch: 1 package(s) downloaded by the builder" in (logs / "root.log").read_text()
    listing = hub.session().getBuildrootListing(result["brootid"])
    assert [row["external_repo_id"] for row in listing if row["name"] == "adjutant-testlib"] \
        == [0]
    assert koji.BUILD_STATES[importer.complete(result, "x86_64")["state"]] == "COMPLETE"
    # the downloaded metadata and packages went with the buildroot
    assert (tmp_path / "work-builder1" / "tasks").is_dir()
    assert not list((tmp_path / "work-builder1").rglob("buildroot-prefetch"))


def test_logs_are_on_the_hub_while_the_build_runs(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    pkg = Package("slow-noarch", build_script="for i in $(seq 1 30); do echo progress $i; "
                                              "sleep 0.3; done; echo quiet-now; sleep 8; "
                                              "echo quiet-over")
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, pkg), f99["id"], "noarch")
    build_log = hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id) / "build.log"

    def partial_log_while_open():
        text = build_log.read_text() if build_log.exists() else ""
        return "progress 3" in text and "progress 30" not in text and \
            task_state(hub, task_id) == "OPEN"

    wait_for(partial_log_while_open, timeout=180, interval=0.1,
             what="a partial build.log on the hub while the task is open")

    def last_line_before_a_quiet_stretch():
        text = build_log.read_text()
        return "quiet-now" in text and "quiet-over" not in text and \
            task_state(hub, task_id) == "OPEN"

    wait_for(last_line_before_a_quiet_stretch, timeout=60, interval=0.1,
             what="the line before a quiet stretch to reach the hub")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED"
    final = build_log.read_text()
    assert "progress 30" in final and "quiet-over" in final and "Wrote: " in final


def test_rebuild_srpm_carries_the_tags_dist(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, "builder1")
    srpm_rel = upload_srpm(hub, rpm_factory, Package("hello-srpm"))
    assert srpm_rel.endswith("hello-srpm-1.0-1.src.rpm")
    task_id = hub.make_task("rebuildSRPM", [srpm_rel, TAG, {"repo_id": f99["id"]}])
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    result = hub.task_result(task_id)
    assert result["srpm"].endswith("/hello-srpm-1.0-1.f99.src.rpm")
    # kojid names the rebuilt SRPM as the source, not the uploaded one
    assert result["source"] == {"source": "hello-srpm-1.0-1.f99.src.rpm",
                                "url": "hello-srpm-1.0-1.f99.src.rpm"}
    header = koji.get_rpm_header(str(hub.topdir / "work" / result["srpm"]))
    assert koji.get_header_field(header, "release") == "1.f99"
    assert koji.BR_STATES[hub.session().getBuildroot(result["brootid"])["state"]] == "EXPIRED"


def test_failures_are_clear_and_leave_nothing_behind(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, "builder1", rpmbuild_timeout=20, maxjobs=2)
    importer = Importer(hub)
    corrupt = hub.topdir / "work" / "cli-build" / "corrupt"
    corrupt.mkdir(parents=True)
    (corrupt / "corrupt-1.0-1.src.rpm").write_bytes(b"this is not an rpm\n" * 100)
    cases = {
        "build fails": (Package("fails", build_fails=True),
                        "error building package (arch noarch), exit status 1; see build.log"),
        "unsatisfiable": (Package("needs-nothing-there", buildrequires=("no-such-package",)),
                          "cannot resolve the BuildRequires of "
                          "needs-nothing-there-1.0-1.src.rpm: 'no-such-package'"),
        "network": (Package("phones-home", build_script=f"curl -sS --max-time 5 {hub.topurl}/"),
                    "error building package"),
        "timeout": (Package("sleeps", build_script="sleep 600"),
                    "exceeded rpmbuild_timeout (20 s)"),
    }
    tasks = {what: importer.build_arch(upload_srpm(hub, rpm_factory, pkg), f99["id"], "noarch")
             for what, (pkg, _) in cases.items()}
    tasks["corrupt"] = importer.build_arch("cli-build/corrupt/corrupt-1.0-1.src.rpm",
                                           f99["id"], "noarch")
    tasks["missing"] = importer.build_arch("cli-build/nope/nope-1.0-1.src.rpm",
                                           f99["id"], "noarch")
    expected = {what: text for what, (_, text) in cases.items()}
    expected.update(corrupt="SRPM cli-build/corrupt/corrupt-1.0-1.src.rpm is not a readable RPM",
                    missing="SRPM cli-build/nope/nope-1.0-1.src.rpm not found on the hub")
    for what, task_id in tasks.items():
        assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED", what
        with pytest.raises(koji.GenericError) as exc:
            hub.task_result(task_id)
        assert expected[what] in str(exc.value), (what, str(exc.value))
        wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=30,
                 what=what)
    network_log = (hub.topdir / "work" / "tasks" / str(tasks["network"] % 10000)
                   / str(tasks["network"]) / "build.log").read_text()
    assert "Could not connect" in network_log or "Couldn't connect" in network_log \
        or "Failed to connect" in network_log, network_log[-2000:]
    # the same URL is reachable from the host: only the container lacks a network
    assert subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "/dev/null",
                           f"{hub.topurl}/"]).returncode == 0
    # and the daemon still takes work
    good = importer.build_arch(upload_srpm(hub, rpm_factory, Package("after-failures")),
                               f99["id"], "noarch")
    assert koji.TASK_STATES[finished(hub, good)["state"]] == "CLOSED"


def test_missing_image_fails_the_task_clearly(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, "builder1", adjutant={"default_image": "localhost/no-such-image:1",
                                            "pull_policy": "never"})
    importer = Importer(hub)
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, Package("no-image")),
                                  f99["id"], "noarch")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.GenericError) as exc:
        hub.task_result(task_id)
    assert "localhost/no-such-image:1" in str(exc.value)
    wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=30,
             what="the container removed after the result")


def test_build_network_is_off_unless_the_site_turns_it_on(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, "builder1", adjutant={"build_network": "true", "network_mode": "host"})
    importer = Importer(hub)
    pkg = Package("phones-home-allowed", build_script=f"curl -sS --max-time 5 {hub.topurl}/")
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, pkg), f99["id"], "noarch")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    config = (hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)
              / "mock_config.log").read_text()
    assert "network during build: host" in config


def test_rpm_env_reaches_every_command_of_the_buildroot(hub, f99, rpm_factory, start_daemon):
    hub.edit_tag(TAG, extra={"rpm.env.OMP_NUM_THREADS": 7, "rpm.env.ADJ_PROBE": "from the tag"})
    repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    pkg = Package("env-probe", build_script='test "$ADJ_PROBE" = "from the tag"')
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, pkg), repo["id"], "noarch")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    logs = hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)
    # hw_info runs nproc as root before the build: coreutils' nproc obeys OMP_NUM_THREADS
    assert (logs / "hw_info.log").read_text().splitlines()[1] == "7"
    assert "OMP_NUM_THREADS=7" in (logs / "mock_config.log").read_text()


def test_mock_extras_are_named_in_root_log_or_refuse_the_build(hub, f99, rpm_factory,
                                                               start_daemon):
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    meaningless = {"mock.new_chroot": True, "mock.use_bootstrap": True,
                   "mock.bootstrap_image": "quay.io/fedora/fedora:41",
                   "mock.package_manager": "dnf5", "mock.releasever": "41",
                   "mock.forcearch": True}  # this builder is x86_64: nothing to emulate
    hub.edit_tag(TAG, extra=meaningless)
    repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)
    built = importer.build_arch(upload_srpm(hub, rpm_factory, Package("mock-extras")),
                                repo["id"], "noarch")
    assert task_state(hub, finished(hub, built)["id"]) == "CLOSED", hub.task_result(built)
    root_log = (hub.topdir / "work" / koji.pathinfo.taskrelpath(built) / "root.log").read_text()
    named = [line.split(" ", 1)[0] for line in root_log.splitlines() if " ignored: " in line]
    assert sorted(named) == sorted(meaningless)
    assert "mock.package_manager = 'dnf5' ignored: packages are installed with the image's " \
           "dnf" in root_log
    assert "mock.forcearch ignored: this x86_64 builder builds x86_64 natively" in root_log
    # mock's sign plugin would change what is built: refused before any buildroot exists
    hub.edit_tag(TAG, extra={"mock.plugin_conf.sign_enable": True,
                             "mock.plugin_conf.sign_opts.cmd": "rpmsign",
                             "mock.plugin_conf.sign_opts.opts": "--addsign %(rpms)s"})
    repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)
    refused = importer.build_arch(upload_srpm(hub, rpm_factory, Package("mock-sign")),
                                  repo["id"], "noarch")
    assert task_state(hub, finished(hub, refused)["id"]) == "FAILED"
    with pytest.raises(koji.BuildError) as exc:
        hub.task_result(refused)
    assert str(exc.value) == (
        "the build tag enables mock's sign plugin (mock.plugin_conf.sign_enable), which "
        "koji-adjutant does not run: sign the RPMs after import, or unset it")
    assert hub.session().listBuildroots(taskID=refused) == []
    assert containers_of_task(refused, "builder1", hub) == []


MODULEMD = """---
document: modulemd
version: 2
data:
  name: {name}
  stream: "{stream}"
  version: 1
  context: c0ffee42
  arch: noarch
  summary: a test module
  description: a test module
  license:
    module: [MIT]
  artifacts:
    rpms:
    - {nevra}
...
"""


def modular_repo(hub, rpm_factory, module: Package) -> dict:
    """A repo of TAG whose metadata makes ``module`` the one package of stream modp:one."""
    repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB), rpm_factory.rpms(module)],
                          GROUPS)
    yaml = Path(repo["repo_dir"]).parent / "modules.yaml"
    yaml.write_text(MODULEMD.format(name="modp", stream="one",
                                    nevra=f"{module.name}-0:1.0-1.noarch"))
    subprocess.run(["modifyrepo_c", "--mdtype=modules", str(yaml),
                    str(Path(repo["repo_dir"]) / "repodata")], check=True, capture_output=True)
    return repo


def test_the_tags_module_streams_choose_what_is_installed(hub, f99, rpm_factory,
                                                          start_daemon):
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    modpkg = Package("modpkg")
    needs = upload_srpm(hub, rpm_factory, Package("needs-modpkg", buildrequires=("modpkg",)))
    # the package of a stream that is not enabled is hidden by modular filtering
    hidden = importer.build_arch(needs, modular_repo(hub, rpm_factory, modpkg)["id"], "noarch")
    assert task_state(hub, finished(hub, hidden)["id"]) == "FAILED"
    logs = hub.topdir / "work" / koji.pathinfo.taskrelpath(hidden)
    # modular filtering hides it from the resolver: nothing provides the requirement
    assert (logs / "root.log").read_text().startswith(
        "cannot resolve the BuildRequires of needs-modpkg-1.0-1.src.rpm: 'modpkg'\n")
    # mock.module_setup_commands enables the stream before anything is installed
    hub.edit_tag(TAG, extra={"mock.module_setup_commands": [["enable", "modp:one"]]})
    repo = modular_repo(hub, rpm_factory, modpkg)
    built = importer.build_arch(upload_srpm(hub, rpm_factory, Package(
        "needs-modpkg-too", buildrequires=("modpkg",))), repo["id"], "noarch")
    assert task_state(hub, finished(hub, built)["id"]) == "CLOSED", hub.task_result(built)
    logs = hub.topdir / "work" / koji.pathinfo.taskrelpath(built)
    root_log = (logs / "root.log").read_text()
    assert root_log.index("module enable -y -- modp:one") < root_log.index("@build")
    assert "modpkg-1.0-1.noarch koji" in (logs / "installed_pkgs.log").read_text()
    assert " ignored: " not in root_log


def test_module_streams_without_the_koji_volume(hub, f99, rpm_factory, start_daemon,
                                               tmp_path):
    elsewhere = tmp_path / "not-the-koji-volume"
    elsewhere.mkdir()
    # the builder downloads the repo's metadata (modules.yaml too) and the packages
    start_daemon(hub, "builder1", topdir=str(elsewhere))
    importer = Importer(hub)
    hub.edit_tag(TAG, extra={"mock.module_setup_commands": [["enable", "modp:one"]]})
    repo = modular_repo(hub, rpm_factory, Package("modpkg"))
    built = importer.build_arch(upload_srpm(hub, rpm_factory, Package(
        "needs-modpkg-mirrored", buildrequires=("modpkg",))), repo["id"], "noarch")
    assert task_state(hub, finished(hub, built)["id"]) == "CLOSED", hub.task_result(built)
    logs = hub.topdir / "work" / koji.pathinfo.taskrelpath(built)
    assert "modpkg-1.0-1.noarch koji" in (logs / "installed_pkgs.log").read_text()
    assert "downloaded by the builder" in (logs / "mock_config.log").read_text()


def test_task_for_arches_this_host_lacks_is_refused(hub, rpm_factory, start_daemon):
    hub.add_host("builder1", password="builder1", arches="x86_64")
    hub.add_host("importer", password="importer", arches="x86_64", channels=("createrepo",))
    hub.add_tag(TAG, arches="aarch64")
    repo = hub.make_repo(TAG)
    start_daemon(hub, "builder1")
    importer = Importer(hub)
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, Package("elsewhere")),
                                  repo["id"], "noarch")
    wait_for(lambda: hub.refusals(task_id), timeout=60, what="a refusal")
    refusal = hub.refusals(task_id)[0]
    assert refusal["soft"] is False and refusal["msg"] == "failed host check"
    assert task_state(hub, task_id) in ("FREE", "ASSIGNED")


@pytest.fixture
def small_workdir(tmp_path):
    """A 48 MiB tmpfs as the daemon's workdir."""
    with mounted_tmpfs(tmp_path / "small-workdir", "48m") as path:
        yield path


def test_a_full_workdir_fails_the_build_clearly_and_the_next_one_builds(
        hub, f99, rpm_factory, start_daemon, small_workdir):
    daemon = start_daemon(hub, "builder1", workdir=small_workdir)
    importer = Importer(hub)
    hog = Package("fills-the-disk", build_script="dd if=/dev/zero of=hog bs=1M count=200")
    task_id = importer.build_arch(upload_srpm(hub, rpm_factory, hog), f99["id"], "noarch")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.GenericError) as exc:
        hub.task_result(task_id)
    message = str(exc.value)
    assert message.startswith(f"the disk is full: no space left for {small_workdir}/"), message
    assert "KiB free) (container kojiadj-builder1_" in message
    assert message.endswith("command: rpmbuild -ba --target noarch /builddir/build/SPECS/"
                            "fills-the-disk.spec): the build needs more room than the "
                            "builder's workdir has; free space there or give the builder a "
                            "larger disk")
    assert "Traceback" not in message
    assert daemon.proc.poll() is None
    wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=30,
             what="the container removed")
    good = importer.build_arch(upload_srpm(hub, rpm_factory, Package("after-full")),
                               f99["id"], "noarch")
    assert koji.TASK_STATES[finished(hub, good)["state"]] == "CLOSED"
