"""``koji-adjutant local build`` and ``local reproduce``, run as the console script.

Every test runs the venv's ``koji-adjutant`` as a subprocess with real podman
and the test image (the built-in default image of local builds), then reads
the RPM headers it left in ``--resultdir``, its logs, and podman's list of
containers.  ``-c`` points at a missing file so that no kojid.conf of the
machine changes the outcome.
"""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import koji
import pytest
from daemon_harness import GROUPS, TAG, TEST_IMAGE, TESTLIB
from koji_adjutant.local import leftovers
from koji_adjutant.local.cli import WORK_ROOT
from rpmkit import Package, make_koji_repo, render_spec
from unprivileged import run_as_nobody

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = str(Path(sys.executable).with_name("koji-adjutant"))
NO_CONFIG = "/nonexistent/kojid.conf"
HOST_ARCH = koji.canonArch(os.uname().machine)
LOCAL_HOST_LABEL = f"local-{socket.gethostname()}@"
pytestmark = pytest.mark.podman


def local(*args: str, cwd: Path | None = None, env: dict | None = None
          ) -> subprocess.CompletedProcess:
    """Run ``koji-adjutant local ARGS`` to its end."""
    return subprocess.run([TOOL, "local", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=900, check=False)


def local_containers() -> list[str]:
    """Containers of local builds on this machine (host label ``local-...``) whose run has
    ended: what a finished run left behind.  A run someone else has going holds its lock
    and is not counted (on a developer's machine other local builds may be running)."""
    out = subprocess.run(["podman", "ps", "-a", "--format",
                          '{{.ID}} {{index .Labels "io.koji.adjutant.host"}} '
                          '{{index .Labels "io.koji.adjutant.instance_id"}}'],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if f" {LOCAL_HOST_LABEL}" in line
            and not leftovers.run_is_live(Path(WORK_ROOT), line.split()[-1])]


def headers(directory: Path) -> dict[str, dict]:
    """name, version, release, arch of every RPM in ``directory``, by file name."""
    fields = ["name", "version", "release", "arch", "sourcepackage"]
    return {p.name: koji.get_header_fields(koji.get_rpm_header(str(p)), fields)
            for p in sorted(directory.glob("*.rpm"))}


def assert_built(proc, resultdir: Path, name: str, arch: str, release: str) -> None:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    found = headers(resultdir)
    assert found[f"{name}-1.0-{release}.src.rpm"]["sourcepackage"] == 1
    binary = found[f"{name}-1.0-{release}.{arch}.rpm"]
    assert (binary["name"], binary["version"], binary["release"], binary["arch"]) == \
        (name, "1.0", release, arch)
    assert set(found) == {f"{name}-1.0-{release}.src.rpm", f"{name}-1.0-{release}.{arch}.rpm"}
    logs = resultdir / "logs" / arch
    assert {"build.log", "root.log", "state.log", "mock_config.log", "installed_pkgs.log",
            "hw_info.log"} <= {p.name for p in logs.iterdir()}
    assert "rpmbuild -ba --target " + arch in (logs / "build.log").read_text()
    assert f"  {name}-1.0-{release}.{arch}.rpm" in proc.stdout.splitlines()
    assert not local_containers()


def test_directory_builds_with_dist_and_streams_progress(tmp_path):
    resultdir = tmp_path / "results"
    proc = local("build", str(REPO_ROOT / "examples" / "hello"), "-c", NO_CONFIG,
                 "--dist", ".el9", "--resultdir", str(resultdir))
    assert_built(proc, resultdir, "hello", HOST_ARCH, "1.el9")
    assert "==> Start: build SRPM" in proc.stdout
    assert "Executing(%check)" in proc.stdout  # the build log, streamed
    assert (resultdir / "logs" / "srpm" / "build.log").is_file()
    config = (resultdir / "logs" / HOST_ARCH / "mock_config.log").read_text()
    assert f"image: {TEST_IMAGE} (chosen by local default image)" in config
    assert "%dist .el9" in config


def test_git_url_builds_noarch_with_defines(tmp_path, git_server):
    pkg = Package("hello-git", extra_spec="%global greeting %{?greet}%{!?greet:none}",
                  build_script="echo greeting=%{greeting}")
    git_server.commit(pkg.name, {f"{pkg.name}.spec": render_spec(pkg), **pkg.sources()})
    resultdir = tmp_path / "out"
    proc = local("build", git_server.url(pkg.name, "main"), "-c", NO_CONFIG, "--arch",
                 "noarch", "--define", "greet from-the-command-line", "--dist", ".f99",
                 "--resultdir", str(resultdir), "--quiet")
    assert_built(proc, resultdir, "hello-git", "noarch", "1.f99")
    assert "rpmbuild -ba" not in proc.stdout  # --quiet: only the summary
    build_log = (resultdir / "logs" / "noarch" / "build.log").read_text()
    assert "greeting=from-the-command-line" in build_log
    assert "checked out git+http://" in (resultdir / "logs" / "srpm" / "build.log").read_text()


def test_srpm_with_buildrequires_from_a_file_repo(tmp_path, rpm_factory):
    repo = tmp_path / "repo"
    repo.mkdir()
    for path in rpm_factory.rpms(TESTLIB).rpms:
        shutil.copy(path, repo)
    subprocess.run(["createrepo_c", str(repo)], check=True, capture_output=True)
    srpm = rpm_factory.srpm(Package("hello-c", arch="c", buildrequires=("adjutant-testlib",)))
    resultdir = tmp_path / "results"
    proc = local("build", str(srpm), "-c", NO_CONFIG, "--repo", f"file://{repo}",
                 "--dist", ".f99", "--resultdir", str(resultdir))
    assert_built(proc, resultdir, "hello-c", HOST_ARCH, "1.f99")
    root_log = (resultdir / "logs" / HOST_ARCH / "root.log").read_text()
    assert "adjutant-testlib" in root_log and "dnf" in root_log
    assert not (resultdir / "logs" / "srpm").exists()  # an SRPM is built as it is


def test_default_result_directory_is_named_after_the_nvr(tmp_path):
    proc = local("build", str(REPO_ROOT / "examples" / "hello"), "-c", NO_CONFIG, "-q",
                 cwd=tmp_path)
    resultdir = tmp_path / "results" / "hello-1.0-1"
    assert_built(proc, resultdir, "hello", HOST_ARCH, "1")
    # the summary says where the logs are, and a buildroot without a hub record is named
    # by its tag, group and arch (not "local-None-0")
    assert proc.stdout.splitlines()[-1] == "Logs in results/hello-1.0-1/logs/"
    config = (resultdir / "logs" / HOST_ARCH / "mock_config.log").read_text()
    assert f"# Koji buildroot name: local-build-{HOST_ARCH}" in config, config
    state = (resultdir / "logs" / "srpm" / "state.log").read_text()
    assert f"init buildroot local-srpm-build-{HOST_ARCH}" in state
    assert "None" not in state


@pytest.mark.parametrize("args, message", [
    (["--arch", "bogus"], f"--arch bogus: this machine builds for {HOST_ARCH} (and noarch)"),
    (["--arch", "noarch", "git+https://git.example.com/hello.git"],
     "git+https://git.example.com/hello.git: the URL names no commit to build: add #<commit> "
     "(a commit hash, or a branch or tag), e.g. git+https://git.example.com/hello.git#main"),
    (["https://git.example.com/hello.git#-x"], "the revision (fragment) '-x'"),
])
def test_a_bad_arch_or_git_url_is_refused_before_any_container(tmp_path, args, message):
    source = [] if any(a.startswith(("git+", "https:")) for a in args) else [
        str(REPO_ROOT / "examples" / "hello")]
    # no podman at all: exit 2, not 69, shows that nothing asked for a container
    proc = local("build", *source, *args, "-c", NO_CONFIG, cwd=tmp_path,
                 env={"KOJI_ADJUTANT_PODMAN_URL": f"unix://{tmp_path}/no-podman.sock"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("source, message", [
    ("/nonexistent/thing", "not a git URL, a directory with a spec file or an SRPM"),
    (str(REPO_ROOT / "docs"), "a directory without a usable spec file"),
    (str(REPO_ROOT / "README.md"), "not a readable RPM"),
])
def test_sources_of_no_known_kind_are_one_line_errors(source, message):
    proc = local("build", source, "-c", NO_CONFIG)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_failing_spec_fails_with_its_log(tmp_path):
    pkg = Package("hello-broken", build_fails=True)
    source = tmp_path / pkg.name
    source.mkdir()
    (source / f"{pkg.name}.spec").write_text(render_spec(pkg))
    for name, text in pkg.sources().items():
        (source / name).write_text(text)
    proc = local("build", str(source), "-c", NO_CONFIG, "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "error building package" in proc.stderr and "see build.log" in proc.stderr
    assert "Traceback" not in proc.stderr
    # the SRPM was built: the results are named by its N-V-R, not by the directory
    resultdir = tmp_path / "results" / "hello-broken-1.0-1"
    assert proc.stderr.splitlines()[-1] == \
        "koji-adjutant: error: logs in results/hello-broken-1.0-1/logs"
    assert (resultdir / "logs" / HOST_ARCH / "build.log").is_file()
    assert not list(resultdir.glob("*.rpm"))
    assert not local_containers()


def test_an_unreachable_git_host_is_named_with_gits_reason(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    url = f"git+http://127.0.0.1:{port}/repos/hello.git#main"
    proc = local("build", url, "-c", NO_CONFIG, "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert (f"koji-adjutant: error: cannot check out {url}: unable to access "
            f"'http://127.0.0.1:{port}/repos/hello.git/': Failed to connect to 127.0.0.1 "
            f"port {port}") in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not local_containers()


def test_a_missing_image_is_one_line_and_exit_69(tmp_path):
    proc = local("build", str(REPO_ROOT / "examples" / "hello"), "-c", NO_CONFIG, "-q",
                 "--image", "localhost/koji-adjutant-no-such-image:1",
                 "--resultdir", str(tmp_path / "r"))
    assert proc.returncode == 69, proc.stderr
    assert "koji-adjutant-no-such-image" in proc.stderr and "Traceback" not in proc.stderr
    assert not local_containers()


def test_a_user_the_podman_socket_refuses_is_told_so():
    """Not root: the shared podman service runs, but its socket is root's (mode 0600)."""
    socket_path = "/run/podman/podman.sock"
    assert os.stat(socket_path).st_mode & 0o777 == 0o600 and os.stat(socket_path).st_uid == 0
    proc = run_as_nobody("koji_adjutant.tool", "local", "build",
                         str(REPO_ROOT / "examples" / "hello"), "-c", NO_CONFIG,
                         env={"KOJI_ADJUTANT_PODMAN_URL": f"unix://{socket_path}"})
    assert proc.returncode == 69, proc.stdout + proc.stderr
    assert proc.stderr == (
        f"koji-adjutant: error: permission denied on the podman API socket {socket_path}: "
        "uid 65534 may not open it: run this as root (or as a user the socket's permissions "
        "let in), or use your own podman service: systemctl --user enable --now "
        "podman.socket and set [adjutant] podman_url (or KOJI_ADJUTANT_PODMAN_URL) to "
        "unix:///run/user/65534/podman/podman.sock\n")


def test_no_podman_is_one_line_and_exit_69(tmp_path):
    proc = local("build", str(REPO_ROOT / "examples" / "hello"), "-c", NO_CONFIG,
                 env={"KOJI_ADJUTANT_PODMAN_URL": f"unix://{tmp_path}/no-podman.sock"})
    assert proc.returncode == 69
    assert proc.stderr.count("\n") == 1 and "podman" in proc.stderr
    assert "Traceback" not in proc.stderr


def build_arch_task(hub, rpm_factory, pkg: Package, repo_id: int) -> int:
    """A buildArch subtask for the daemon (a second host holds its parent), finished."""
    hub.add_host("importer", password="importer", arches="x86_64", channels=("createrepo",))
    srpm = rpm_factory.srpm(pkg)
    target = hub.topdir / "work" / "cli-build" / pkg.name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(srpm, target / srpm.name)
    session = hub.host_session("importer")
    parent = hub.make_task("build", ["unused", TAG, {}], channel="createrepo")
    assert session.host.openTask(parent) is not None
    task_id = session.host.subtask(
        "buildArch", [f"cli-build/{pkg.name}/{srpm.name}", TAG, "x86_64", True,
                      {"repo_id": repo_id}], parent, label="x86_64", arch="x86_64",
        channel="default")
    info = hub.wait_task(task_id, timeout=240)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", hub.task_result(task_id)
    return task_id


def test_reproduce_a_build_arch_task_the_daemon_ran(hub, rpm_factory, start_daemon, tmp_path):
    hub.add_host("builder1", password="builder1", arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)
    start_daemon(hub, "builder1")
    pkg = Package("hello-again", arch="c", buildrequires=("adjutant-testlib",))
    task_id = build_arch_task(hub, rpm_factory, pkg, repo["id"])
    result = hub.task_result(task_id)
    build_log = (hub.topdir / "work" / result["logs"][0]).parent / "build.log"
    command = f"koji-adjutant local reproduce {task_id} --hub {hub.url}"
    assert command in build_log.read_text()

    resultdir = tmp_path / "again"
    proc = local("reproduce", str(task_id), "--hub", hub.url, "--topdir", str(hub.topdir),
                 "-c", NO_CONFIG, "-q", "--resultdir", str(resultdir))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    daemon_nvrs = sorted(Path(p).name for p in result["rpms"] + result["srpms"])
    assert sorted(headers(resultdir)) == daemon_nvrs
    config = (resultdir / "logs" / "x86_64" / "mock_config.log").read_text()
    assert f"# Koji tag: {TAG}" in config and f"# Koji repo id: {repo['id']}" in config
    assert "adjutant-testlib" in (resultdir / "logs" / "x86_64" / "root.log").read_text()
    assert not local_containers()


def test_reproduce_refuses_other_methods_and_unknown_tasks(hub):
    task_id = hub.make_task("newRepo", [TAG])
    proc = local("reproduce", str(task_id), "--hub", hub.url, "--topdir", "/nonexistent",
                 "-c", NO_CONFIG)
    assert proc.returncode == 2 and "newRepo task" in proc.stderr, proc.stderr
    proc = local("reproduce", "999999", "--hub", hub.url, "--topdir", "/nonexistent",
                 "-c", NO_CONFIG)
    assert proc.returncode == 2 and "does not exist" in proc.stderr, proc.stderr


# The README's command that provisions a fresh machine and builds the example package.
def readme_command() -> str:
    """The README's local-build command, exactly as README.md writes it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    lines = [line.split("#", 1)[0].strip() for line in readme.splitlines()
             if "koji-adjutant local build examples/hello" in line]
    assert lines, "README.md lost its local-build command"
    return lines[0]


def clean_copy(target: Path) -> Path:
    """The repository's files (tracked and new, not ignored: no .venv, no results)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO_ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_readme_command_works_in_a_clean_copy(tmp_path):
    """The README's local-build command, as written, in a copy without .venv or results."""
    tree = clean_copy(tmp_path / "koji-adjutant")
    assert not (tree / ".venv").exists()
    proc = subprocess.run(["bash", "-c", readme_command()], cwd=tree, capture_output=True,
                          text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tail = proc.stdout.rstrip().splitlines()[-4:]
    assert tail == ["Results in results/hello-1.0-1:", "  hello-1.0-1.src.rpm",
                    f"  hello-1.0-1.{HOST_ARCH}.rpm", "Logs in results/hello-1.0-1/logs/"]
    built = headers(tree / "results" / "hello-1.0-1")
    assert built[f"hello-1.0-1.{HOST_ARCH}.rpm"]["name"] == "hello"
    assert not local_containers()


def test_reproduce_an_srpm_from_scm_task_with_the_tags_repo(hub, rpm_factory, git_server,
                                                            tmp_path):
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)
    pkg = Package("hello-scm-again", arch="c", buildrequires=("adjutant-testlib",))
    git_server.commit(pkg.name, {f"{pkg.name}.spec": render_spec(pkg), **pkg.sources()})
    url = git_server.url(pkg.name, "main")
    task_id = hub.make_task("buildSRPMFromSCM", [url, TAG, {"repo_id": repo["id"]}])
    resultdir = tmp_path / "again"
    proc = local("reproduce", str(task_id), "--hub", hub.url, "--topdir", str(hub.topdir),
                 "-c", NO_CONFIG, "--resultdir", str(resultdir))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert f"reproducing buildSRPMFromSCM task {task_id}: tag {TAG}" in proc.stdout
    assert sorted(headers(resultdir)) == [f"{pkg.name}-1.0-1.f99.src.rpm",
                                          f"{pkg.name}-1.0-1.f99.{HOST_ARCH}.rpm"]
    srpm_config = (resultdir / "logs" / "srpm" / "mock_config.log").read_text()
    assert "install group: srpm-build" in srpm_config and "repository access: koji volume" \
        in srpm_config
    assert not local_containers()
