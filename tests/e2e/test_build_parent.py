"""The ``build`` parent task, ``tagBuild`` and ``chainbuild`` through the daemon.

Real daemon subprocess, real XML-RPC against the hub simulator, real podman with
the test image: a build submitted like ``koji build TARGET x.src.rpm`` runs its
rebuildSRPM and buildArch subtasks on the daemon, the simulator's completeBuild
checks judge the import, and the tagBuild subtask tags the build.
"""

import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import koji
import pytest

from daemon_harness import GROUPS, TESTLIB, containers_of_task, task_state, wait_for
from rpmkit import Package, createrepo, make_koji_repo, render_spec

BUILD_TAG = "f99-build"
DEST_TAG = "f99"
TARGET = "f99-candidate"
BUILD_TIMEOUT = 300
# A host name of our own: a daemon sweeps the containers of its host name when it starts
# and stops, so test runs on one machine must not share one.
HOST = f"parent-{uuid.uuid4().hex[:8]}"
ALLOWED_SCMS = "127.0.0.1*:/repos/*:no:"  # no source_cmd: the sources are committed
pytestmark = pytest.mark.podman


def make_target(hub, rpm_factory, arches: str = "x86_64") -> dict:
    """Destination tag, build tag (with a READY repo) and target; returns the repo."""
    hub.add_tag(DEST_TAG, arches=None)
    # as usual, the build tag inherits what is tagged into the destination tag
    hub.add_tag(BUILD_TAG, arches=arches, parents=(DEST_TAG,), extra={"rpm.macro.dist": ".f99"})
    hub.add_target(TARGET, BUILD_TAG, DEST_TAG)
    return make_koji_repo(hub, BUILD_TAG, [rpm_factory.rpms(TESTLIB)], GROUPS,
                          arch=arches.split()[0])


@pytest.fixture
def f99_multi(hub, rpm_factory):
    """Host parent-builder (x86_64 i386), tag f99-build for x86_64 and i686, repodata for both."""
    hub.add_host(HOST, password=HOST, arches="x86_64 i386")
    repo = make_target(hub, rpm_factory, arches="x86_64 i686")
    createrepo(Path(repo["repo_dir"]).parent / "i386")
    return repo


@pytest.fixture
def f99(hub, rpm_factory):
    """Host parent-builder (x86_64); target f99-candidate: f99-build (%dist .f99) -> f99."""
    hub.add_host(HOST, password=HOST, arches="x86_64")
    return make_target(hub, rpm_factory)


def upload_srpm(hub, rpm_factory, pkg: Package, add_to: str | None = DEST_TAG) -> str:
    """Place the package's SRPM where ``koji build`` uploads it; list it in ``add_to``."""
    srpm = rpm_factory.srpm(pkg)
    target = hub.topdir / "work" / "cli-build" / pkg.name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(srpm, target / srpm.name)
    if add_to:
        hub.add_package(add_to, pkg.name)
    return f"cli-build/{pkg.name}/{srpm.name}"


def finished(hub, task_id: int, timeout: float = BUILD_TIMEOUT) -> str:
    return koji.TASK_STATES[hub.wait_task(task_id, timeout=timeout)["state"]]


def children_by_label(hub, task_id: int) -> dict[str, dict]:
    return {c["label"]: c for c in hub.children(task_id)}


def failure(hub, task_id: int) -> str:
    with pytest.raises((koji.GenericError, koji.xmlrpcplus.Fault)) as exc:
        hub.task_result(task_id)
    return str(exc.value)


def test_build_from_uploaded_srpm_is_imported_and_tagged(hub, f99, rpm_factory,
                                                          start_daemon):
    daemon = start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("hello-build"))
    task_id = hub.build(src, TARGET, {"custom_user_metadata": {"team": "qa", "ticket": 7}})
    assert finished(hub, task_id) == "CLOSED", (hub.task_result(task_id), daemon.log())
    assert hub.task_result(task_id) is None
    children = children_by_label(hub, task_id)
    assert {k: c["method"] for k, c in children.items()} == {
        "srpm": "rebuildSRPM", "noarch": "buildArch", "tag": "tagBuild"}
    assert all(task_state(hub, c["id"]) == "CLOSED" for c in children.values())
    session = hub.session()
    build = session.getBuild("hello-build-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "COMPLETE"
    assert build["task_id"] == task_id
    # kojid names the rebuilt SRPM (with the tag's %dist), not the uploaded one
    assert build["source"] == "hello-build-1.0-1.f99.src.rpm"
    assert build["extra"] == {"source": {"original_url": "hello-build-1.0-1.f99.src.rpm"},
                              "custom_user_metadata": {"team": "qa", "ticket": 7}}
    assert [b["nvr"] for b in session.listTagged(DEST_TAG)] == ["hello-build-1.0-1.f99"]
    rpms = {r["arch"]: r for r in session.listRPMs(buildID=build["id"])}
    assert set(rpms) == {"src", "noarch"}
    arch_result = hub.task_result(children["noarch"]["id"])
    assert rpms["src"]["buildroot_id"] == arch_result["brootid"]
    packages = hub.topdir / "packages/hello-build/1.0/1.f99"
    # as kojid's builds, ours carry the builder's name: the hub's name of this host
    for path in (packages / "noarch/hello-build-1.0-1.f99.noarch.rpm",
                 packages / "src/hello-build-1.0-1.f99.src.rpm"):
        assert koji.get_header_field(koji.get_rpm_header(str(path)), "buildhost") == HOST
    for child in children.values():
        wait_for(lambda: not containers_of_task(child["id"], HOST, hub), timeout=30,
                 what="the containers removed after the results")


def test_scratch_build_is_moved_to_scratch_and_not_tagged(hub, f99, rpm_factory,
                                                          start_daemon):
    start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("hello-scratch"), add_to=None)
    task_id = hub.build(src, TARGET, {"scratch": True, "repo_id": f99["id"]})
    assert finished(hub, task_id) == "CLOSED", hub.task_result(task_id)
    children = children_by_label(hub, task_id)
    assert {k: c["method"] for k, c in children.items()} == {
        "srpm": "rebuildSRPM", "noarch": "buildArch"}
    request = hub.task_info(children["noarch"]["id"], request=True)["request"]
    assert request == [f"tasks/{children['srpm']['id'] % 10000}/{children['srpm']['id']}/"
                       "hello-scratch-1.0-1.f99.src.rpm", f99["tag_id"], "noarch", True,
                       {"repo_id": f99["id"]}]
    session = hub.session()
    assert session.listBuilds(taskID=task_id) == []
    assert session.listTagged(DEST_TAG) == []
    scratch = hub.topdir / "scratch" / "kojiadmin" / f"task_{task_id}"
    assert {p.name for p in scratch.glob("*.rpm")} == {
        "hello-scratch-1.0-1.f99.src.rpm", "hello-scratch-1.0-1.f99.noarch.rpm"}
    assert (scratch / "logs" / "noarch" / "build.log").is_file()


def test_draft_build_is_recorded_as_a_draft(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("hello-draft"))
    task_id = hub.build(src, TARGET, {"draft": True})
    assert finished(hub, task_id) == "CLOSED", hub.task_result(task_id)
    [build] = hub.session().listBuilds(taskID=task_id)
    assert build["draft"] is True
    assert koji.BUILD_STATES[build["state"]] == "COMPLETE"


def test_policy_denial_fails_the_build_before_any_work(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, HOST)
    hub.set_policy("build_from_srpm", "deny SRPM builds need a packager's signature")
    src = upload_srpm(hub, rpm_factory, Package("hello-denied"))
    task_id = hub.build(src, TARGET)
    assert finished(hub, task_id, timeout=60) == "FAILED"
    with pytest.raises(koji.ActionNotAllowed) as exc:
        hub.task_result(task_id)
    assert str(exc.value) == ("policy violation (build_from_srpm): "
                              "SRPM builds need a packager's signature")
    assert hub.children(task_id) == []
    # a scratch build does not ask build_from_srpm, but build_rpm is asked for every build
    hub.set_policy("build_rpm", lambda data: f"deny no builds from task {data['task_id']}")
    scratch = hub.build(src, TARGET, {"scratch": True})
    assert finished(hub, scratch, timeout=60) == "FAILED"
    assert failure(hub, scratch) == f"policy violation (build_rpm): no builds from task {scratch}"
    assert [b["name"] for b in hub.session().listBuilds()] == [TESTLIB.name]


def test_package_missing_from_the_destination_tag_fails_clearly(hub, f99, rpm_factory,
                                                                start_daemon):
    start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("hello-unlisted"), add_to=None)
    task_id = hub.build(src, TARGET)
    assert finished(hub, task_id) == "FAILED"
    assert failure(hub, task_id) == f"package hello-unlisted not in list for tag {DEST_TAG}"
    assert set(children_by_label(hub, task_id)) == {"srpm"}
    assert hub.session().getBuild("hello-unlisted-1.0-1.f99") is None


def test_a_build_tag_without_arches_fails_with_kojids_messages(hub, rpm_factory, start_daemon):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag(DEST_TAG, arches=None)
    hub.add_tag(BUILD_TAG, arches=None, parents=(DEST_TAG,))
    hub.add_target(TARGET, BUILD_TAG, DEST_TAG)
    hub.make_repo(BUILD_TAG)
    start_daemon(hub, HOST)
    # the SRPM subtask is taken (not refused forever) and fails, as kojid's find_arch does
    rebuilt = hub.build(upload_srpm(hub, rpm_factory, Package("hello-noarches")), TARGET)
    assert finished(hub, rebuilt, timeout=90) == "FAILED"
    assert failure(hub, rebuilt) == f"No arch list for tag: {BUILD_TAG}"
    assert [task_state(hub, c["id"]) for c in hub.children(rebuilt)] == ["FAILED"]
    # without the SRPM rebuild the parent's arch list fails at once (kojid's getArchList)
    hub.edit_tag(BUILD_TAG, extra={"rebuild_srpm": False})
    direct = hub.build(upload_srpm(hub, rpm_factory, Package("hello-direct")), TARGET)
    assert finished(hub, direct, timeout=90) == "FAILED"
    tag_id = hub.session().getTag(BUILD_TAG)["id"]
    assert failure(hub, direct) == f"No arches for tag {BUILD_TAG} [{tag_id}]"
    assert hub.children(direct) == []


def build_arch_children(hub, task_id: int) -> dict[str, str]:
    """label -> task arch of the parent's buildArch subtasks."""
    return {c["label"]: c["arch"] for c in hub.children(task_id) if c["method"] == "buildArch"}


def test_arch_rules_choose_the_buildarch_subtasks(hub, f99_multi, rpm_factory, start_daemon):
    # waiting parents count towards maxjobs (as with kojid): room for the four parents and
    # their subtasks, or four waiting parents can fill the queue and wait for ever
    start_daemon(hub, HOST, maxjobs=8)
    packages = {
        "exclusive": Package("arch-exclusive", arch="c", exclusive_arch="x86_64"),
        "exclude": Package("arch-exclude", arch="c", exclude_arch=("i686", "s390x")),
        "noarch": Package("arch-noarch"),
        "noarch-exclude": Package("arch-noarch-exclude", exclude_arch="i686"),
    }
    tasks = {what: hub.build(upload_srpm(hub, rpm_factory, pkg), TARGET, {"scratch": True})
             for what, pkg in packages.items()}
    for what, task_id in tasks.items():
        assert finished(hub, task_id) == "CLOSED", (what, hub.task_result(task_id))
    assert build_arch_children(hub, tasks["exclusive"]) == {"x86_64": "x86_64"}
    assert build_arch_children(hub, tasks["exclude"]) == {"x86_64": "x86_64"}
    assert build_arch_children(hub, tasks["noarch"]) == {"noarch": "noarch"}
    # a noarch package that excludes i686 must be built where i686 is not the arch
    assert build_arch_children(hub, tasks["noarch-exclude"]) == {"noarch": "x86_64"}
    scratch = hub.topdir / "scratch" / "kojiadmin" / f"task_{tasks['exclusive']}"
    assert {p.name for p in scratch.glob("*.rpm")} == {
        "arch-exclusive-1.0-1.f99.src.rpm", "arch-exclusive-1.0-1.f99.x86_64.rpm"}
    assert sorted(p.name for p in (scratch / "logs").iterdir()) == ["x86_64"]


def slow_on_x86_64(name: str, seconds: int, **kw) -> Package:
    """A C package whose x86_64 build sleeps and whose i686 build fails at once (this
    image cannot compile for i686 either: its gcc has no 32-bit support)."""
    script = f'test "%{{_target_cpu}}" != i686 || exit 1\nsleep {seconds}'
    return Package(name, arch="c", build_script=script, **kw)


def test_one_arch_failing_cancels_its_siblings(hub, f99_multi, rpm_factory, start_daemon):
    start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, slow_on_x86_64("fails-on-i686", 600))
    task_id = hub.build(src, TARGET)
    assert finished(hub, task_id) == "FAILED"
    assert failure(hub, task_id) == "error building package (arch i686), exit status 1; " \
                                    "see build.log"
    children = children_by_label(hub, task_id)
    assert task_state(hub, children["i686"]["id"]) == "FAILED"
    wait_for(lambda: task_state(hub, children["x86_64"]["id"]) == "CANCELED", timeout=30,
             what="the x86_64 sibling to be cancelled")
    wait_for(lambda: not containers_of_task(children["x86_64"]["id"], HOST, hub), timeout=60,
             what="the x86_64 sibling's container to be removed")
    build = hub.session().getBuild("fails-on-i686-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "FAILED"
    assert "tag" not in children


def test_build_arch_can_fail_lets_siblings_finish(hub, f99_multi, rpm_factory, start_daemon):
    start_daemon(hub, HOST, build_arch_can_fail=True)
    src = upload_srpm(hub, rpm_factory, slow_on_x86_64("sibling-finishes", 5))
    task_id = hub.build(src, TARGET)
    assert finished(hub, task_id) == "FAILED"
    assert "error building package (arch i686)" in failure(hub, task_id)
    children = children_by_label(hub, task_id)
    assert task_state(hub, children["i686"]["id"]) == "FAILED"
    assert task_state(hub, children["x86_64"]["id"]) == "CLOSED"
    build = hub.session().getBuild("sibling-finishes-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "FAILED"
    # fail_fast in the build's options wins over the daemon's build_arch_can_fail
    src = upload_srpm(hub, rpm_factory, slow_on_x86_64("fails-fast", 600))
    fast = hub.build(src, TARGET, {"fail_fast": True})
    assert finished(hub, fast) == "FAILED"
    x86_64 = children_by_label(hub, fast)["x86_64"]["id"]
    wait_for(lambda: task_state(hub, x86_64) == "CANCELED", timeout=30,
             what="the x86_64 sibling to be cancelled")


def test_cancelling_the_parent_cancels_children_and_removes_containers(
        hub, f99, rpm_factory, start_daemon):
    daemon = start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, slow_on_x86_64("cancelled", 600,
                                                       exclusive_arch="x86_64"))
    task_id = hub.build(src, TARGET)

    def running_build_arch():
        assert task_state(hub, task_id) in ("FREE", "ASSIGNED", "OPEN"), \
            hub.task_result(task_id)
        child = children_by_label(hub, task_id).get("x86_64")
        if not child or task_state(hub, child["id"]) != "OPEN":
            return None
        roots = hub.session().listBuildroots(taskID=child["id"])
        building = [r for r in roots if koji.BR_STATES[r["state"]] == "BUILDING"]
        return child["id"] if building and containers_of_task(child["id"], HOST, hub) else None

    child_id = wait_for(running_build_arch, timeout=BUILD_TIMEOUT,
                        what="the buildArch subtask to be building")
    hub.cancel_task(task_id)
    assert task_state(hub, task_id) == "CANCELED"
    assert task_state(hub, child_id) == "CANCELED"
    wait_for(lambda: not containers_of_task(child_id, HOST, hub), timeout=30,
             what="the cancelled buildArch's container to be removed")
    build = hub.session().getBuild("cancelled-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "CANCELED"
    # the task processes' calls after the cancel are refused by the hub: expected, so no
    # traceback, no failTask for a task that is no longer theirs, and one line for each
    log = daemon.log()
    assert "Traceback" not in log
    refusals = [line for line in log.splitlines() if "does not own task" in line]
    assert all(" stops: the hub no longer takes its calls " in line for line in refusals), log


def test_restarted_parent_reattaches_to_its_subtasks(hub, f99, rpm_factory, start_daemon):
    daemon = start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("restarted", build_script="sleep 15"))
    task_id = hub.build(src, TARGET)

    def building():
        child = children_by_label(hub, task_id).get("noarch")
        return child if child and task_state(hub, child["id"]) == "OPEN" else None

    first = wait_for(building, timeout=BUILD_TIMEOUT, what="the buildArch subtask to run")
    daemon.stop()  # frees the parent and its running child
    assert task_state(hub, task_id) == "FREE"
    start_daemon(hub, HOST)
    assert finished(hub, task_id) == "CLOSED", hub.task_result(task_id)
    children = hub.children(task_id)
    assert sorted(c["label"] for c in children) == ["noarch", "srpm", "tag"]
    assert children_by_label(hub, task_id)["noarch"]["id"] == first["id"]
    build = hub.session().getBuild("restarted-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "COMPLETE" and build["task_id"] == task_id


def building_noarch(hub, task_id: int) -> dict | None:
    """The noarch buildArch child of ``task_id`` once it is open and has its container."""
    child = children_by_label(hub, task_id).get("noarch")
    if child and task_state(hub, child["id"]) == "OPEN" and \
            containers_of_task(child["id"], HOST, hub):
        return child
    return None


def test_a_build_whose_main_daemon_process_is_killed_stops_and_leaves_no_container(
        hub, f99, rpm_factory, start_daemon):
    """kill -9 of the main process only: the waiting parent (koji sleeps it in
    signal.pause, waiting for a SIGUSR2 that will never come) and the building buildArch
    both stop, and the buildArch's container goes with it."""
    daemon = start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("orphaned", build_script="sleep 600"))
    task_id = hub.build(src, TARGET)
    child = wait_for(lambda: building_noarch(hub, task_id), timeout=BUILD_TIMEOUT,
                     what="the buildArch container")
    processes = subprocess.run(["pgrep", "-s", str(daemon.proc.pid)], capture_output=True,
                               text=True).stdout.split()
    daemon.signal(signal.SIGKILL)
    daemon.proc.wait(10)
    wait_for(lambda: not subprocess.run(["pgrep", "-s", str(daemon.proc.pid)],
                                        capture_output=True).stdout, timeout=30,
             what=f"the task processes {processes} to stop")
    wait_for(lambda: not containers_of_task(child["id"], HOST, hub), timeout=30,
             what="the buildArch's container to be removed by its own process")
    log = daemon.log()
    for stopped in (task_id, child["id"]):
        assert f"task {stopped} stops: the daemon's main process" in log, log
    assert "Traceback" not in log
    assert task_state(hub, task_id) == "OPEN" and task_state(hub, child["id"]) == "OPEN"


def test_daemon_killed_mid_build_restarts_and_the_build_completes(hub, f99, rpm_factory,
                                                                  start_daemon):
    daemon = start_daemon(hub, HOST)
    src = upload_srpm(hub, rpm_factory, Package("killed", build_script="sleep 20"))
    task_id = hub.build(src, TARGET)
    child = wait_for(lambda: building_noarch(hub, task_id), timeout=BUILD_TIMEOUT,
                     what="the buildArch container")
    old_containers = containers_of_task(child["id"], HOST, hub)
    # systemd's KillMode=control-group: the daemon and its task processes die at once
    subprocess.run(["pkill", "-KILL", "-s", str(daemon.proc.pid)], check=False)
    daemon.proc.wait(10)
    assert task_state(hub, task_id) == "OPEN" and task_state(hub, child["id"]) == "OPEN"
    start_daemon(hub, HOST, args=["--force-lock"])
    assert finished(hub, task_id) == "CLOSED", hub.task_result(task_id)
    build = hub.session().getBuild("killed-1.0-1.f99")
    assert koji.BUILD_STATES[build["state"]] == "COMPLETE"
    leftovers = subprocess.run(["podman", "ps", "-a", "-q"], capture_output=True,
                               text=True).stdout.split()
    assert not set(old_containers) & set(leftovers)


def imported_build(hub, rpm_factory, pkg: Package, tag: str | None = None) -> dict:
    """A COMPLETE build of ``pkg`` imported from host-built rpms, tagged into ``tag``."""
    built = rpm_factory.rpms(pkg, dist=".f99")
    build = hub.import_rpms(built.srpm, built.rpms)
    if tag:
        hub.add_package(tag, pkg.name)
        hub.tag_build(tag, build["id"])
    return build


def test_tag_build_tags_and_notifies(hub, f99, rpm_factory, start_daemon):
    start_daemon(hub, HOST)
    build = imported_build(hub, rpm_factory, Package("to-tag"))
    hub.add_package(DEST_TAG, "to-tag")
    dest = hub.session().getTag(DEST_TAG)
    task_id = hub.make_task("tagBuild", [dest["id"], build["id"], False, None, True])
    assert finished(hub, task_id, timeout=60) == "CLOSED", hub.task_result(task_id)
    assert [b["nvr"] for b in hub.session().listTagged(DEST_TAG)] == [build["nvr"]]
    again = hub.make_task("tagBuild", [dest["id"], build["id"], False, None, True])
    assert finished(hub, again, timeout=60) == "FAILED"
    with pytest.raises(koji.TagError) as exc:
        hub.task_result(again)
    assert str(exc.value) == f"build {build['nvr']} already tagged ({DEST_TAG})"
    with hub.state.lock:
        notes = [dict(n) for n in hub.state.notifications]
    admin = hub.session().getUser("kojiadmin")["id"]
    assert [(n["is_successful"], n["build_id"], n["user_id"], n["ignore_success"])
            for n in notes] == [(True, build["id"], admin, True),
                                (False, build["id"], admin, True)]
    assert notes[1]["failure_msg"] == f"TagError: build {build['nvr']} already tagged ({DEST_TAG})"


def test_chain_build_rejects_scratch_and_malformed_levels(hub, f99, start_daemon):
    start_daemon(hub, HOST)
    scratch = hub.chain_build([["a-1-1"]], TARGET, {"scratch": True})
    malformed = hub.make_task("chainbuild", [["a-1-1", ["b-1-1"]], TARGET, {}])
    unknown = hub.make_task("chainbuild", [[["a-1-1"]], "no-such-target", {}])
    assert finished(hub, scratch, timeout=60) == "FAILED"
    assert failure(hub, scratch) == "--scratch is not allowed with chain-builds"
    assert finished(hub, malformed, timeout=60) == "FAILED"
    assert "chainbuild level 0 must be a non-empty list" in failure(hub, malformed)
    assert finished(hub, unknown, timeout=60) == "FAILED"
    assert failure(hub, unknown) == "unknown build target: no-such-target"


def test_chain_level_waits_for_a_repo_with_the_previous_level(hub, f99, rpm_factory,
                                                              start_daemon):
    start_daemon(hub, HOST)
    testlib = hub.session().getBuild(rpm_factory.rpms(TESTLIB).nvr)
    task_id = hub.chain_build([[testlib["nvr"]], ["some-later-build-1-1"]], TARGET)
    assert finished(hub, task_id, timeout=120) == "CLOSED", hub.task_result(task_id)
    children = children_by_label(hub, task_id)
    assert {k: c["method"] for k, c in children.items()} == {"wait 1": "waitrepo"}
    assert hub.task_info(children["wait 1"]["id"], request=True)["request"] == [
        BUILD_TAG, None, [testlib["nvr"]]]
    assert hub.task_result(children["wait 1"]["id"])["id"] == f99["id"]


def test_chain_build_from_git_waits_for_a_repo_with_the_previous_level(
        hub, rpm_factory, git_server, start_daemon):
    hub.add_host(HOST, password=HOST, arches="x86_64", channels=("default", "createrepo"))
    first_repo = make_target(hub, rpm_factory)
    start_daemon(hub, HOST, allowed_scms=ALLOWED_SCMS)
    base = Package("chain-base")
    user = Package("chain-user", buildrequires=("chain-base",))
    urls = []
    for pkg in (base, user):
        hub.add_package(DEST_TAG, pkg.name)
        git_server.commit(pkg.name, {f"{pkg.name}.spec": render_spec(pkg), **pkg.sources()})
        urls.append(git_server.url(pkg.name, "main"))
    testlib = rpm_factory.rpms(TESTLIB).nvr
    task_id = hub.chain_build([[urls[0]], [urls[1], testlib]], TARGET)
    # the library's waitrepo looks at its repo request once a minute
    assert finished(hub, task_id) == "CLOSED", hub.task_result(task_id)
    children = children_by_label(hub, task_id)
    assert {k: c["method"] for k, c in children.items()} == {
        "build 0,0": "build", "wait 1": "waitrepo", "build 1,0": "build"}
    assert hub.task_info(children["wait 1"]["id"], request=True)["request"] == [
        BUILD_TAG, None, ["chain-base-1.0-1.f99"]]
    waited = hub.task_result(children["wait 1"]["id"])
    assert waited["id"] != first_repo["id"]
    assert hub.session().getTaskInfo(waited["task_id"])["method"] == "newRepo"
    session = hub.session()
    assert sorted(b["nvr"] for b in session.listTagged(DEST_TAG)) == [
        "chain-base-1.0-1.f99", "chain-user-1.0-1.f99"]
    user_arch = children_by_label(hub, children["build 1,0"]["id"])["noarch"]["id"]
    listing = session.getBuildrootListing(hub.task_result(user_arch)["brootid"])
    assert "chain-base" in {row["name"] for row in listing}
