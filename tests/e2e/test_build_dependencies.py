"""Build dependencies through the daemon and the hub simulator, resolved as mock resolves them.

Four buildArch tasks of one daemon (issue 16): a package whose
``%generate_buildrequires`` generates two requirements, one versioned, both
installed from the koji repo; one with a rich ``BuildRequires: (a or b)``; one
whose ``BuildConflicts`` the buildroot has; one whose versioned BuildRequires
only an older package of the repo has.  The failures give one line naming what
is wrong, which is also the first line of root.log.  The same four through
``koji-adjutant local build --repo``.
"""

import shutil
import subprocess

import koji
import pytest
from daemon_harness import GROUPS, TAG, upload_srpm
from rpmkit import Package, make_koji_repo
from test_local_build import NO_CONFIG, headers, local

pytestmark = pytest.mark.podman
HOST = "builder1"
GEN_A = Package("dep-gen-a", version="2.1")   # the repo's only dep-gen-a
GEN_B = Package("dep-gen-b")
DYNAMIC = Package("dep-dynamic", generate_buildrequires="echo 'dep-gen-a >= 2.0'\n"
                                                        "echo dep-gen-b\n")
RICH = Package("dep-rich", buildrequires=("(dep-absent or dep-gen-b)",))
CONFLICTS = Package("dep-conflicts", buildconflicts=("make",))
TOO_NEW = Package("dep-too-new", buildrequires=("dep-gen-a >= 3.0",))
CONFLICTS_MESSAGE = ("the buildroot has what the BuildConflicts of dep-conflicts-1.0-1.src.rpm "
                     "exclude: 'make' (provided by koji-adjutant-image-provides-1.0-1.noarch)")
TOO_NEW_MESSAGE = ("cannot resolve the BuildRequires of dep-too-new-1.0-1.src.rpm: "
                   "'dep-gen-a >= 3.0' (the repo has dep-gen-a = 2.1-1)")


@pytest.fixture
def f99(hub, rpm_factory):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(GEN_A), rpm_factory.rpms(GEN_B)],
                          GROUPS)


def task_dir(hub, task_id: int):
    return hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)


def from_koji(hub, result: dict) -> dict[str, str]:
    """name -> version of the koji repo's packages in the task's buildroot listing."""
    listing = hub.session().getBuildrootListing(result["brootid"])
    return {row["name"]: row["version"] for row in listing if row["external_repo_id"] == 0}


def failure(hub, task_id: int) -> str:
    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=300)["state"]] == "FAILED"
    with pytest.raises(koji.GenericError) as exc:
        hub.task_result(task_id)
    return str(exc.value)


def test_generated_rich_conflicting_and_too_new_build_dependencies(hub, f99, rpm_factory,
                                                                   start_daemon):
    start_daemon(hub, HOST, maxjobs=2)
    tasks = {pkg.name: hub.make_task("buildArch", [upload_srpm(hub, rpm_factory, pkg), TAG,
                                                   "noarch", True, {"repo_id": f99["id"]}])
             for pkg in (DYNAMIC, RICH, CONFLICTS, TOO_NEW)}

    dynamic = tasks["dep-dynamic"]
    assert koji.TASK_STATES[hub.wait_task(dynamic, timeout=300)["state"]] == "CLOSED", \
        hub.task_result(dynamic)
    result = hub.task_result(dynamic)
    assert {"dep-gen-a": "2.1", "dep-gen-b": "1.0"}.items() <= from_koji(hub, result).items()
    assert [p.rsplit("/", 1)[1] for p in result["rpms"]] == ["dep-dynamic-1.0-1.f99.noarch.rpm"]
    root_log = (task_dir(hub, dynamic) / "root.log").read_text()
    assert ("generated BuildRequires: dep-gen-a >= 2.0, dep-gen-b; BuildConflicts: -; "
            "to install: dep-gen-a-0:2.1-1.noarch dep-gen-b-0:1.0-1.noarch") in root_log
    state_log = (task_dir(hub, dynamic) / "state.log").read_text()
    assert "Finish: install generated BuildRequires (round 1)" in state_log
    # the second rpmbuild -br finds everything installed: no second install
    assert "Finish: rpmbuild -br (round 2)" in state_log
    assert "install generated BuildRequires (round 2)" not in state_log
    assert "rpmbuild -br --define _srcrpmdir /builddir/build/BUILDREQS" in \
        (task_dir(hub, dynamic) / "build.log").read_text()

    rich = tasks["dep-rich"]
    assert koji.TASK_STATES[hub.wait_task(rich, timeout=300)["state"]] == "CLOSED", \
        hub.task_result(rich)
    assert from_koji(hub, hub.task_result(rich)) == {"dep-gen-b": "1.0"}

    for name, message in (("dep-conflicts", CONFLICTS_MESSAGE),
                          ("dep-too-new", TOO_NEW_MESSAGE)):
        assert failure(hub, tasks[name]) == message
        first = (task_dir(hub, tasks[name]) / "root.log").read_text().splitlines()[0]
        assert first == message


def test_the_same_through_a_local_build_with_a_repo(tmp_path, rpm_factory):
    repo = tmp_path / "repo"
    repo.mkdir()
    for path in rpm_factory.rpms(GEN_A).rpms + rpm_factory.rpms(GEN_B).rpms:
        shutil.copy(path, repo)
    subprocess.run(["createrepo_c", str(repo)], check=True, capture_output=True)

    def build(pkg: Package):
        out = tmp_path / pkg.name
        proc = local("build", str(rpm_factory.srpm(pkg)), "-c", NO_CONFIG, "--repo",
                     f"file://{repo}", "--arch", "noarch", "-q", "--resultdir", str(out))
        return proc, out, out / "logs" / "noarch" / "root.log"

    for pkg, installed in ((DYNAMIC, "dep-gen-a-0:2.1-1.noarch dep-gen-b-0:1.0-1.noarch"),
                           (RICH, "dep-gen-b-0:1.0-1.noarch")):
        proc, out, root_log = build(pkg)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
        assert f"{pkg.name}-1.0-1.noarch.rpm" in headers(out)
        assert f"to install: {installed}\n" in root_log.read_text()
    for pkg, message in ((CONFLICTS, CONFLICTS_MESSAGE), (TOO_NEW, TOO_NEW_MESSAGE)):
        proc, out, root_log = build(pkg)
        assert proc.returncode == 1
        assert proc.stderr.splitlines()[0] == f"koji-adjutant: error: {message}"
        assert root_log.read_text().splitlines()[0] == message
        assert not list(out.glob("*.rpm"))


def test_generated_buildrequires_without_the_koji_volume(hub, f99, rpm_factory, start_daemon,
                                                         tmp_path):
    """The builder downloads what the generated BuildRequires need (ADR 0014), in root's
    turn after rpmbuild -br."""
    elsewhere = tmp_path / "not-the-koji-volume"
    elsewhere.mkdir()
    start_daemon(hub, HOST, topdir=str(elsewhere))
    task_id = hub.make_task("buildArch", [upload_srpm(hub, rpm_factory, DYNAMIC), TAG,
                                          "noarch", True, {"repo_id": f99["id"]}])
    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=300)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    assert {"dep-gen-a": "2.1", "dep-gen-b": "1.0"}.items() <= \
        from_koji(hub, hub.task_result(task_id)).items()
    root_log = (task_dir(hub, task_id) / "root.log").read_text()
    assert "prefetch: 2 package(s) downloaded by the builder" in root_log
