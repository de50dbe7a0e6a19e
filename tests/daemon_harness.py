"""The daemon end-to-end harness: run the real kojid against a hub simulator, and look.

``Daemon`` is a ``kojid`` subprocess; ``write_conf`` writes its kojid.conf; the
other helpers poll the hub, podman and /proc.  The fixtures ``start_daemon``
and ``probe_dir`` are registered for the whole suite by the root conftest
(the e2e and security tiers use them); test modules import the helpers
(``from daemon_harness import ...``).

``start_daemon(hub, host, **kojid_keys)`` writes a kojid.conf for a host of the
``hub`` fixture, starts ``python -m koji_adjutant.daemon.cli --fg -c CONF``
and returns a ``Daemon`` whose log can be read and which is stopped (SIGTERM,
then SIGKILL) at the end of the test.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import koji
import pytest

from rpmkit import Package

PLUGIN_DIR = Path(__file__).parent / "e2e" / "plugins"
TEST_IMAGE = os.environ.get("KOJI_ADJUTANT_TEST_IMAGE", "localhost/koji-adjutant-buildroot:test")


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns a true value; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Daemon:
    """A running ``kojid`` subprocess and its files."""

    def __init__(self, conf: Path, log: Path, argv: list[str], env: dict, host: str = "",
                 hub_url: str = ""):
        self.host = host
        self.hub_url = hub_url
        self.conf = conf
        self.log_path = log
        self.argv = argv
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Daemon":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=self.env, start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"kojid did not exit within {timeout} s; log:\n{self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
                self.killed = True
        if self.proc:
            # a killed daemon can leave task processes in its session: end them too
            subprocess.run(["pkill", "-KILL", "-s", str(self.proc.pid)], check=False)
            if getattr(self, "killed", False):
                # what a SIGKILLed daemon leaves is its next start's to sweep; there is none
                subprocess.run(["podman", "rm", "-f", "-t", "0", *self.containers()],
                               check=False, capture_output=True)
            self._log.close()

    def containers(self) -> list[str]:
        """This daemon's containers (host label ``<host>@<hub address>``)."""
        label = f"io.koji.adjutant.host={self.host}@{urlsplit(self.hub_url).netloc}"
        return subprocess.run(["podman", "ps", "-a", "-q", "--filter", f"label={label}"],
                              capture_output=True, text=True).stdout.split()


def host_ready(hub, host: str) -> bool:
    """What the hub last heard from ``host``: ready or not."""
    return bool(hub.session().getHost(host)["ready"])


def task_state(hub, task_id: int) -> str:
    return koji.TASK_STATES[hub.task_info(task_id)["state"]]


def containers_of_task(task_id: int, host: str | None = None, hub=None) -> list[str]:
    """Containers labelled with ``task_id``, of hub host ``host`` (of ``hub`` if given).

    Task ids repeat across hub simulators, so tests name the host (and hub) whose
    containers they mean; other test runs on the machine may use the same ids.
    """
    if hub is not None and host is not None:
        host = f"{host}@{urlsplit(hub.url).netloc}"
        return [c for c in containers_of_task(task_id) if _host_of(c) == host]
    out = subprocess.run(["podman", "ps", "-a", "--filter",
                          f"label=io.koji.adjutant.task_id={task_id}", "--format",
                          '{{.ID}} {{index .Labels "io.koji.adjutant.host"}}'],
                         check=True, capture_output=True, text=True).stdout
    rows = [line.split(" ", 1) for line in out.splitlines() if line.strip()]
    return [row[0] for row in rows
            if host is None or (len(row) == 2 and row[1].startswith(host + "@"))]


def _host_of(container: str) -> str:
    return subprocess.run(["podman", "inspect", "--format",
                           '{{index .Config.Labels "io.koji.adjutant.host"}}', container],
                          capture_output=True, text=True).stdout.strip()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def write_conf(path: Path, hub, host: str, extra: dict, adjutant: dict) -> Path:
    work = path.parent / f"work-{host}"
    keys = {
        "server": hub.url, "topurl": hub.topurl, "topdir": str(hub.topdir),
        "workdir": str(work), "mockdir": str(path.parent / "mock"), "sleeptime": "1",
        "minspace": "1", "user": host, "password": host,
        "pluginpath": str(PLUGIN_DIR), "plugin": "adjutant_probe",
        "max_retries": "2", "retry_interval": "1",
    }
    keys.update({k: str(v) for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        keys.pop(k, None)
    # repo tasks in a container of the test image unless a test asks for the host's tools
    adj = {"log_file": "", "default_image": TEST_IMAGE, "repo_image": TEST_IMAGE,
           "monitoring_bind": "127.0.0.1:0"}
    adj.update({k: str(v) for k, v in adjutant.items()})
    lines = ["[kojid]"] + [f"{k} = {v}" for k, v in keys.items()]
    lines += ["", "[adjutant]"] + [f"{k} = {v}" for k, v in adj.items()]
    path.write_text("\n".join(lines) + "\n")
    return path




# The build tag most end-to-end tests use, its groups (all provided by the test image's
# provides RPM) and a package that only the koji repo has.
TAG = "f99-build"
GROUPS = {"build": ["bash", "make", "gcc", "rpm-build", "coreutils"],
          "srpm-build": ["bash", "rpm-build"]}
TESTLIB = Package("adjutant-testlib", files={"/usr/include/adjutant-testlib.h":
                                            '#define ADJUTANT_GREETING "hello"\n'})


def upload_srpm(hub, rpm_factory, pkg: Package) -> str:
    """Place the package's SRPM (built without %dist) where a client upload lands;
    return its path relative to work/."""
    srpm = rpm_factory.srpm(pkg)
    target = hub.topdir / "work" / "cli-build" / pkg.name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(srpm, target / srpm.name)
    return f"cli-build/{pkg.name}/{srpm.name}"


@pytest.fixture
def probe_dir(tmp_path):
    d = tmp_path / "probe"
    d.mkdir()
    return d


@pytest.fixture
def start_daemon(tmp_path, probe_dir):
    """Factory: ``start_daemon(hub, host, args=(), adjutant={}, **kojid_keys) -> Daemon``."""
    daemons: list[Daemon] = []

    def start(hub_, host: str, args=(), adjutant=None, wait_ready=True, **kojid_keys) -> Daemon:
        conf = write_conf(tmp_path / f"kojid-{host}-{len(daemons)}.conf", hub_, host,
                          kojid_keys, adjutant or {})
        env = dict(os.environ, ADJUTANT_PROBE_DIR=str(probe_dir))
        argv = [sys.executable, "-m", "koji_adjutant.daemon.cli", "--fg", "--verbose",
                "-c", str(conf), *args]
        daemon = Daemon(conf, tmp_path / f"kojid-{host}-{len(daemons)}.log", argv, env,
                        host=host, hub_url=hub_.url)
        daemons.append(daemon.start())
        if wait_ready:
            wait_for(lambda: host_ready(hub_, host) or daemon.proc.poll() is not None,
                     timeout=30, what=f"{host} to report ready")
            assert daemon.proc.poll() is None, f"kojid exited early:\n{daemon.log()}"
        return daemon

    yield start
    for daemon in daemons:
        daemon.stop()
