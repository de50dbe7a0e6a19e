"""A hostile build's results: links, FIFOs and misnamed files never leave the buildroot.

A package's ``%build`` runs as the build user and may leave anything in its
RPMS and SRPMS: a link to a host file (a secret made by the test, and
``/etc/shadow``), RPMS itself as a link to a host directory holding another
build's packages, a name that is no plain file name, a file that is no RPM,
an RPM under a name its header does not give.  Each build runs for real,
through the daemon against the hub simulator and through
``koji-adjutant local build``; each must fail with one line naming the file,
and nothing of it may reach the hub's directories or the local results.
"""

import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import koji
import pytest
from daemon_harness import GROUPS, TAG, TESTLIB, upload_srpm
from rpmkit import Package, make_koji_repo, render_spec

TOOL = str(Path(sys.executable).with_name("koji-adjutant"))
SHADOW = Path("/etc/shadow")
RESULTS = "%{_topdir}/RPMS"
SOURCES = "%{_topdir}/SRPMS"
STAGED_SRPM = "/builddir/originals/*.src.rpm"  # the SRPM being built, as the daemon staged it
LINK_MESSAGE = "as a symbolic link; results must be regular files"
pytestmark = pytest.mark.podman


@pytest.fixture
def secret(tmp_path) -> Path:
    """A host file with content nothing else has: the build links it into its results."""
    path = tmp_path / "host-secret"
    path.write_text(f"host secret {uuid.uuid4().hex}\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def other_build(rpm_factory):
    """A host directory holding another build's packages (e.g. another task's RPMS).

    Under /var/tmp, where the build user may make the same path in the container.
    """
    directory = Path(tempfile.mkdtemp(prefix="other-build-", dir="/var/tmp"))
    built = rpm_factory.rpms(Package("other-build"))
    for path in (built.srpm, *built.rpms):
        shutil.copy(path, directory)
    yield directory
    shutil.rmtree(directory)


def hostile_cases(secret: Path, other_build: Path) -> dict[str, tuple[str, str]]:
    """Case -> (``%build`` script, what the failure says)."""
    return {
        "host file links": (
            f"mkdir -p {RESULTS} && ln -s {secret} {RESULTS}/zz-1-1.x86_64.rpm && "
            f"ln -s {SHADOW} {RESULTS}/shadow-1-1.x86_64.rpm",
            f"the build left RPMS/shadow-1-1.x86_64.rpm {LINK_MESSAGE}"),
        "RPMS links to a host directory": (
            # the directory exists in the container too, so that rpmbuild itself succeeds
            f"mkdir -p {other_build} && rm -rf {RESULTS} && ln -s {other_build} {RESULTS}",
            "the build left RPMS as a symbolic link; result directories must be real "
            "directories"),
        "name of dots": (
            f"mkdir -p {SOURCES} && cp {STAGED_SRPM} {SOURCES}/...src.rpm",
            "the build left SRPMS/...src.rpm, which is not a usable result name"),
        "not an rpm": (
            f"mkdir -p {RESULTS} && echo 'not an rpm' > {RESULTS}/x.rpm",
            "the build left RPMS/x.rpm, which is not a readable RPM"),
        "renamed rpm": (
            f"mkdir -p {RESULTS} && cp {STAGED_SRPM} {RESULTS}/renamed-9-9.noarch.rpm",
            "srpm name mismatch: the build left RPMS/renamed-9-9.noarch.rpm, its header "
            "says hostile-"),
    }


def hostile_package(case: str, script: str) -> Package:
    name = "hostile-" + "-".join(case.split()[:2]).replace(".", "x")
    return Package(name, build_script=script)


def files_under(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()]


def assert_nowhere(directory: Path, secrets: list[bytes]) -> None:
    """No file under ``directory`` holds any of ``secrets``."""
    for path in files_under(directory):
        data = path.read_bytes()
        assert not any(s in data for s in secrets), f"{path} holds a host secret"


def shadow_bytes() -> bytes:
    data = SHADOW.read_bytes()
    assert data.strip(), "the test needs a non-empty /etc/shadow"
    return data


# -- through the daemon ----------------------------------------------------


@pytest.fixture
def f99(hub, rpm_factory):
    hub.add_host("builder1", password="builder1", arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)


def task_dir(hub, task_id: int) -> Path:
    return hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)


def test_hostile_results_fail_the_task_before_any_upload(hub, f99, rpm_factory, start_daemon,
                                                         secret, other_build):
    start_daemon(hub, "builder1", maxjobs=2)
    cases = hostile_cases(secret, other_build)
    tasks = {}
    for case, (script, _) in cases.items():
        srpm_rel = upload_srpm(hub, rpm_factory, hostile_package(case, script))
        tasks[case] = hub.make_task("buildArch",
                                    [srpm_rel, TAG, "noarch", True, {"repo_id": f99["id"]}])
    for case, task_id in tasks.items():
        state = koji.TASK_STATES[hub.wait_task(task_id, timeout=600)["state"]]
        assert state == "FAILED", case
        with pytest.raises(koji.GenericError) as exc:
            hub.task_result(task_id)
        assert cases[case][1] in str(exc.value), (case, str(exc.value))
        uploaded = sorted(p.name for p in files_under(task_dir(hub, task_id)))
        assert uploaded and all(name.endswith(".log") for name in uploaded), (case, uploaded)
    assert_nowhere(hub.topdir, [secret.read_bytes(), shadow_bytes()])
    assert not [p for p in files_under(hub.topdir / "work" / "tasks")
                if p.name.startswith("other-build")]


# -- through koji-adjutant local build -------------------------------------


def local_source(tmp_path: Path, pkg: Package) -> Path:
    source = tmp_path / pkg.name
    source.mkdir()
    (source / f"{pkg.name}.spec").write_text(render_spec(pkg))
    for name, text in pkg.sources().items():
        (source / name).write_text(text)
    return source


@pytest.mark.parametrize("case", list(hostile_cases(Path("-"), Path("-"))))
def test_hostile_results_never_reach_the_local_results(tmp_path, secret, other_build, case):
    script, message = hostile_cases(secret, other_build)[case]
    source = local_source(tmp_path, hostile_package(case, script))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = subprocess.run([TOOL, "local", "build", str(source), "-c", "/nonexistent/kojid.conf",
                           "-q"], cwd=cwd, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    # the results are logs only, under results/<N-V-R of the SRPM>/, nothing written beside
    assert [p.name for p in cwd.iterdir()] == ["results"]
    [resultdir] = (cwd / "results").iterdir()
    assert resultdir.name == f"{source.name}-1.0-1"
    assert not [p for p in cwd.rglob("*") if p.name.endswith(".rpm")]
    assert_nowhere(cwd, [secret.read_bytes(), shadow_bytes()])
