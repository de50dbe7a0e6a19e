"""A killed ``koji-adjutant local build`` leaves nothing running (issue 13, hole 7).

A packager's build may hang, and the packager then kills the command or
closes the terminal; before, its container lived on until its deadline
(``rpmbuild_timeout`` + one hour, about 25 hours) with its scratch directory.
Every test runs the venv's ``koji-adjutant local build`` as a subprocess with
real podman and the test image, on SRPMs whose ``%build`` sleeps, and kills
it while rpmbuild runs: with SIGKILL, or with the SIGHUP a closed terminal
sends to the job's process group.  A run's scratch directory is found by
its build log (which names the test's own package), and its containers by
their bind mounts from that directory, so the tests find them whatever the
code names or labels them.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from daemon_harness import TEST_IMAGE
from rpmkit import Package

TOOL = str(Path(sys.executable).with_name("koji-adjutant"))
NO_CONFIG = "/nonexistent/kojid.conf"
WORK_ROOT = Path("/var/tmp")
LOCAL_HOST_LABEL = f"local-{socket.gethostname()}@"
GRACE = 15  # seconds a killed run's container may outlive it
pytestmark = pytest.mark.podman


def wait_until(predicate, timeout: float, what: str):
    """``predicate()``'s first true value within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], check=True, capture_output=True,
                          text=True).stdout


def containers_using(scratch: Path) -> list[str]:
    """Ids of the local builds' containers with a bind mount from ``scratch``."""
    ids = podman("ps", "-a", "-q", "--no-trunc", "--filter",
                 f"label=io.koji.adjutant.host={LOCAL_HOST_LABEL}").split()
    if not ids:
        return []
    # a container removed meanwhile makes inspect fail for all: ask one by one
    found = []
    for ident in ids:
        proc = subprocess.run(["podman", "inspect", "--format",
                               "{{range .Mounts}}{{.Source}} {{end}}", ident],
                              capture_output=True, text=True, check=False)
        if any(src.startswith(f"{scratch}/") for src in proc.stdout.split()):
            found.append(ident)
    return found


def running(ident: str) -> bool:
    proc = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}}", ident],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() == "running"


def exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def watchdogs(pid: int) -> list[int]:
    """Children of ``pid`` that lead a session of their own (a local run's watchdog)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        child = int(stat.parent.name)
        if int(fields[1]) == pid and int(fields[3]) == child:
            found.append(child)
    return found


def sleeping_srpm(rpm_factory, seconds: int) -> tuple[str, Path]:
    """A package of its own whose ``%build`` sleeps ``seconds``; its name and SRPM."""
    name = f"sleeper-{uuid.uuid4().hex[:8]}"
    return name, rpm_factory.srpm(Package(name, build_script=f"sleep {seconds}"))


class Runs:
    """The local builds a test starts; whatever they leave is removed at its end."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []
        self.scratch: list[Path] = []

    def start(self, srpm: Path, resultdir: Path) -> subprocess.Popen:
        with open(self.log(len(self.procs)), "w") as out:
            proc = subprocess.Popen([TOOL, "local", "build", str(srpm), "-c", NO_CONFIG,
                                     "--resultdir", str(resultdir)],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # as a shell's job
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> Path:
        """The terminal output of the ``index``-th run."""
        return self.tmp_path / f"run-{index}.log"

    def in_rpmbuild(self, name: str, proc: subprocess.Popen) -> Path:
        """The scratch directory of the run building ``name``, once its %build runs."""
        def scratch():
            assert proc.poll() is None, "the build ended early"
            for log in WORK_ROOT.glob("koji-adjutant-local-*/logs/*/build.log"):
                text = log.read_text(errors="replace")
                if f"{name}-1.0" in text and "Executing(%build)" in text:
                    return log.parents[2]
            return None

        path = wait_until(scratch, 120, f"the %build of {name}")
        self.scratch.append(path)
        return path

    def killed_leftover(self, rpm_factory, tmp_path: Path) -> tuple[Path, list[str]]:
        """A run killed in its %build together with its watchdog: its scratch, containers."""
        name, srpm = sleeping_srpm(rpm_factory, 600)
        proc = self.start(srpm, tmp_path / f"{name}-results")
        scratch = self.in_rpmbuild(name, proc)
        for pid in watchdogs(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
        left = containers_using(scratch)
        assert left and scratch.is_dir()
        return scratch, left

    def clean(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for scratch in self.scratch:
            for ident in containers_using(scratch):
                subprocess.run(["podman", "rm", "-f", "-t", "0", ident], capture_output=True,
                               check=False)
            subprocess.run(["rm", "-rf", str(scratch)], check=False)


@pytest.fixture
def runs(tmp_path):
    tracked = Runs(tmp_path)
    yield tracked
    tracked.clean()


def quick_build(rpm_factory, tmp_path: Path, runs: Runs) -> tuple[int, str, list[int]]:
    """A build that runs to its end: exit code, output, the watchdogs seen while it ran."""
    srpm = rpm_factory.srpm(Package("quick-after-kill"))
    proc = runs.start(srpm, tmp_path / "quick-results")
    seen: set[int] = set()
    while proc.poll() is None:
        seen.update(watchdogs(proc.pid))
        time.sleep(0.05)
    return proc.returncode, runs.log(len(runs.procs) - 1).read_text(), sorted(seen)


def hang_up(proc: subprocess.Popen) -> None:
    """What closing the terminal does: SIGHUP to the job's whole process group."""
    os.killpg(proc.pid, signal.SIGHUP)


@pytest.mark.parametrize("kill", [subprocess.Popen.kill, hang_up], ids=["SIGKILL", "SIGHUP"])
def test_a_killed_build_leaves_no_container_and_no_scratch_dir(kill, rpm_factory, runs,
                                                               tmp_path):
    name, srpm = sleeping_srpm(rpm_factory, 600)
    resultdir = tmp_path / "results"
    resultdir.mkdir()
    (resultdir / "earlier.txt").write_text("the packager's own file\n")
    proc = runs.start(srpm, resultdir)
    scratch = runs.in_rpmbuild(name, proc)
    assert containers_using(scratch)  # rpmbuild runs in it now

    kill(proc)
    proc.wait()
    wait_until(lambda: not containers_using(scratch) and not scratch.exists(), GRACE,
               "the killed build's container and scratch directory to go")
    assert (resultdir / "earlier.txt").read_text() == "the packager's own file\n"


def test_the_next_build_removes_what_a_killed_run_left(rpm_factory, runs, tmp_path):
    scratch, left = runs.killed_leftover(rpm_factory, tmp_path)

    code, output, seen = quick_build(rpm_factory, tmp_path, runs)
    assert code == 0, output
    assert not containers_using(scratch) and not scratch.exists()
    for ident in left:
        assert subprocess.run(["podman", "container", "exists", ident]).returncode == 1
    assert "removed the leftovers of killed local builds" in output
    # the next build's own watchdog went with it
    assert seen and not any(exists(pid) for pid in seen)


def planted(tmp_path: Path) -> list[Path]:
    """Entries named like dead runs' scratch directories that are not this user's own:
    a symlink to a directory of the packager's, another user's directory."""
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "file").write_text("keep me\n")
    link = WORK_ROOT / f"koji-adjutant-local-{uuid.uuid4().hex[:12]}"
    link.symlink_to(victim)
    foreign = WORK_ROOT / f"koji-adjutant-local-{uuid.uuid4().hex[:12]}"
    foreign.mkdir()
    os.chown(foreign, 54321, 54321)
    return [link, foreign, victim / "file"]


def test_a_start_up_sweep_spares_live_builds_daemons_and_others(rpm_factory, runs, tmp_path):
    daemons = podman("create", "--label", "io.koji.adjutant.host=builder9@hub.example",
                     "--label", "io.koji.adjutant.instance_id=0123456789ab",
                     "--label", "io.koji.adjutant.task_id=7", TEST_IMAGE, "true").split()
    others = planted(tmp_path)
    try:
        scratch, left = runs.killed_leftover(rpm_factory, tmp_path)
        name, srpm = sleeping_srpm(rpm_factory, 600)
        live = runs.start(srpm, tmp_path / "live-results")
        live_scratch = runs.in_rpmbuild(name, live)
        live_containers = containers_using(live_scratch)
        assert live_containers

        code, output, _ = quick_build(rpm_factory, tmp_path, runs)
        assert code == 0, output
        assert not containers_using(scratch)  # the killed run's leftover went
        assert containers_using(live_scratch) == live_containers
        assert all(running(ident) for ident in live_containers)
        assert live.poll() is None and live_scratch.is_dir()
        assert subprocess.run(["podman", "container", "exists", *daemons]).returncode == 0
        assert all(os.path.lexists(path) for path in others)
    finally:
        subprocess.run(["podman", "rm", "-f", *daemons], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", *map(str, others[:2])], check=False)
