"""The podman service going away while the daemon runs.

The daemon here talks to a podman API service of its own (same storage, its own
socket), which the tests stop and start again; the session's shared service is left
alone. While podman does not answer the host reports itself not ready, and a task that
loses podman mid-build is refused, not failed: it runs again once podman is back, and
the containers of the lost attempt are removed.
"""

import subprocess

import koji
import pytest

from daemon_harness import GROUPS, TAG, TESTLIB, containers_of_task, upload_srpm, wait_for
from hubsim import HubSim
from rpmkit import Package, make_koji_repo
from test_build_arch import Importer
from test_monitoring import get, monitor_url

pytestmark = pytest.mark.podman
HOST = "builder1"


class PodmanService:
    """``podman system service`` on a socket of its own."""

    def __init__(self, socket_path):
        self.socket = socket_path
        self.url = f"unix://{socket_path}"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["podman", "system", "service", "--time=0", self.url],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.answers, timeout=30, what="the test's podman service")

    def answers(self) -> bool:
        return subprocess.run(["curl", "-sf", "--unix-socket", str(self.socket),
                               "http://d/_ping"], capture_output=True).returncode == 0

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def podman_service(tmp_path):
    service = PodmanService(tmp_path / "podman.sock")
    service.start()
    yield service
    service.stop()


@pytest.fixture
def quick_hub(tmp_path, rpm_factory):
    """A hub whose soft refusals last 5 s, with host builder1 and tag f99-build."""
    hub = HubSim(tmp_path / "koji", soft_refusal_timeout=5)
    hub.start()
    try:
        hub.add_host(HOST, password=HOST, arches="x86_64")
        hub.add_host("importer", password="importer", arches="x86_64",
                     channels=("createrepo",))
        hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
        hub.repo = make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)
        yield hub
    finally:
        hub.stop()
    assert not hub.internal_errors, hub.internal_errors


def ready(hub) -> bool:
    return hub.session().getHost(HOST)["ready"]


def state(hub, task_id: int) -> str:
    return koji.TASK_STATES[hub.task_info(task_id)["state"]]


def test_no_tasks_are_taken_while_podman_does_not_answer(quick_hub, rpm_factory, start_daemon,
                                                         podman_service):
    hub = quick_hub
    daemon = start_daemon(hub, HOST, adjutant={"podman_url": podman_service.url})
    podman_service.stop()
    wait_for(lambda: not ready(hub), timeout=30, what="the host to report not ready")
    task_id = Importer(hub).build_arch(upload_srpm(hub, rpm_factory, Package("waits")),
                                       hub.repo["id"], "noarch")
    wait_for(lambda: "not taking tasks while the container runtime does not answer"
             in daemon.log(), timeout=30, what="the daemon's warning")
    status = get(monitor_url(daemon), "api/v1/status")[1]
    assert status["ready"] is False
    assert status["ready_reason"].startswith("container runtime unavailable: the podman API "
                                             f"service at {podman_service.url} did not answer")
    for _ in range(3):  # several loop iterations: it stays in the queue
        hub.run_scheduler()
        assert state(hub, task_id) in ("FREE", "ASSIGNED")
        wait_for(lambda: daemon.log().count("Not ready for task") >= 1, timeout=10)
    podman_service.start()
    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=240)["state"]] == "CLOSED", \
        daemon.log()
    log = daemon.log()
    assert log.count("not taking tasks while the container runtime does not answer") == 1
    assert "the container runtime answers again: taking tasks" in log


def test_a_task_that_loses_podman_is_refused_and_runs_again(quick_hub, start_daemon,
                                                            podman_service, probe_dir):
    hub = quick_hub
    daemon = start_daemon(hub, HOST, adjutant={"podman_url": podman_service.url})
    task_id = hub.make_task("adjutantProbe", ["gated_exec", 120])
    wait_for(lambda: (probe_dir / f"{task_id}.container").exists(), timeout=60,
             what="the task's container")
    first = containers_of_task(task_id, HOST, hub)
    assert len(first) == 1
    podman_service.stop()
    (probe_dir / f"{task_id}.go").touch()  # the task's next podman call finds nobody
    wait_for(lambda: hub.refusals(task_id), timeout=60, what="the task to be refused")
    [refusal] = hub.refusals(task_id)
    assert refusal["msg"].startswith("the container runtime on this builder does not answer: "
                                     "the podman API service at " + podman_service.url)
    assert state(hub, task_id) in ("FREE", "ASSIGNED")
    podman_service.start()
    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=120)["state"]] == "CLOSED", \
        daemon.log()
    assert hub.task_result(task_id) == "exec ran"
    # the lost attempt's container went once podman answered again (the sweep after the
    # task process ended, or the one when the host became ready), the second one's after
    # its result
    wait_for(lambda: not containers_of_task(task_id, HOST, hub), timeout=30,
             what="both attempts' containers removed")
    assert "Traceback" not in daemon.log()
