"""The monitoring endpoint of a real daemon, over real HTTP, with a real build running.

The daemon runs against the hub simulator with ``monitoring_bind = 127.0.0.1:0``
and writes the address it got into ``<workdir>/monitoring.address``.  The hub
outage test puts a small TCP relay between the daemon and the hub and cuts it.
"""

import json
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import koji
import pytest
from daemon_harness import task_state, wait_for
from pngimage import matching_cells
from prometheus_client.parser import text_string_to_metric_families
from rpmkit import Package, make_koji_repo

TAG = "f99-build"
GROUPS = {"build": ["bash", "make", "rpm-build", "coreutils"], "srpm-build": ["bash", "rpm-build"]}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "status-page.png"
pytestmark = pytest.mark.podman


def monitor_url(daemon) -> str:
    address = daemon.conf.parent / f"work-{daemon.host}" / "monitoring.address"
    wait_for(address.exists, timeout=30, what=f"{address}")
    return address.read_text().strip()


def get(url: str, path: str):
    """(status, parsed JSON or text) of a GET."""
    try:
        with urllib.request.urlopen(url + path.lstrip("/"), timeout=10) as answer:
            body, status, ctype = answer.read(), answer.status, answer.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        body, status, ctype = err.read(), err.code, err.headers["Content-Type"]
    text = body.decode()
    return status, json.loads(text) if ctype == "application/json" else text


def metrics(url: str) -> dict:
    """(name, labels as a sorted tuple) -> value, parsed with prometheus_client's parser."""
    status, text = get(url, "metrics")
    assert status == 200
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.fixture
def f99(hub, rpm_factory):
    hub.add_host("builder1", password="builder1", arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    lib = Package("monitor-testlib", files={"/usr/share/monitor-testlib/x": "x\n"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(lib)], GROUPS)


def start(start_daemon, hub_url_or_hub, host="builder1", **keys):
    daemon = start_daemon(hub_url_or_hub, host, adjutant={"monitoring_bind": "127.0.0.1:0"},
                          **keys)
    daemon.host = host
    return daemon


def submit_slow_build(hub, rpm_factory, repo_id: int) -> int:
    pkg = Package("slow-monitored", build_script="for i in $(seq 1 60); do "
                                                 "echo progress $i; sleep 0.4; done")
    srpm = rpm_factory.srpm(pkg)
    target = hub.topdir / "work" / "tmp" / "monitor"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(srpm, target / srpm.name)
    return hub.make_task("buildArch", [f"tmp/monitor/{srpm.name}", TAG, "noarch", True,
                                       {"repo_id": repo_id}])


def running_task(url: str, task_id: int) -> dict | None:
    status, doc = get(url, f"api/v1/tasks/{task_id}")
    if status == 200 and doc["finished"] is None and doc["container"]:
        return doc
    return None


def test_a_build_is_seen_while_it_runs_and_after(hub, f99, rpm_factory, start_daemon,
                                                  tmp_path):
    daemon = start(start_daemon, hub)
    url = monitor_url(daemon)
    wait_for(lambda: get(url, "healthz")[0] == 200, timeout=30, what="healthz 200")
    task_id = submit_slow_build(hub, rpm_factory, f99["id"])

    doc = wait_for(lambda: running_task(url, task_id), timeout=180, what="task with container")
    assert (doc["method"], doc["arch"], doc["tag"], doc["state"]) == \
        ("buildArch", "noarch", TAG, "OPEN")
    assert doc["image"].startswith("localhost/koji-adjutant-buildroot") and doc["buildroot_id"]
    containers = get(url, "api/v1/containers")[1]["containers"]
    assert doc["container"] in [c["name"] for c in containers if c["task_id"] == task_id]
    status = get(url, "api/v1/status")[1]
    assert status["running_tasks"] == 1 and status["host"]["name"] == "builder1"
    assert status["podman"]["reachable"] and status["hub"]["reachable"]

    log = f"api/v1/tasks/{task_id}/logs/build.log?tail=5"
    first = wait_for(lambda: "progress 3\n" in get(url, log)[1] and get(url, log)[1],
                     timeout=120, interval=0.2, what="progress in build.log")
    later = wait_for(lambda: "progress 12\n" in get(url, log)[1] and get(url, log)[1],
                     timeout=120, interval=0.2, what="more progress in build.log")
    assert len(later.splitlines()) == 5 and first != later
    assert task_state(hub, task_id) == "OPEN"
    names = [entry["name"] for entry in get(url, f"api/v1/tasks/{task_id}/logs")[1]["logs"]]
    assert {"build.log", "root.log", "state.log", "mock_config.log"} <= set(names)
    check_page_shows_task(url, task_id, tmp_path)

    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=300)["state"]] == "CLOSED"
    done = wait_for(lambda: (d := get(url, f"api/v1/tasks/{task_id}")[1])["finished"] and d,
                    timeout=30, what="the task finished in the API")
    assert done["state"] == "CLOSED" and done["failure"] is None
    assert done["result"] == hub.task_result(task_id)
    # the kept log ends like the complete one the task uploaded to the hub
    uploaded = (hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)
                / "build.log").read_text()
    wait_for(lambda: get(url, f"api/v1/tasks/{task_id}/logs/build.log?tail=3")[1] ==
             "".join(uploaded.splitlines(keepends=True)[-3:]), timeout=30,
             what="the end of build.log after the task ended")
    assert "progress 60" in get(url, f"api/v1/tasks/{task_id}/logs/build.log")[1]
    check_metrics_after_one_build(url)


def check_metrics_after_one_build(url: str) -> None:
    m = metrics(url)
    assert m[("koji_adjutant_tasks_started_total", (("method", "buildArch"),))] == 1
    assert m[("koji_adjutant_tasks_finished_total",
              (("method", "buildArch"), ("outcome", "closed")))] == 1
    assert m[("koji_adjutant_task_duration_seconds_count", (("method", "buildArch"),))] == 1
    assert m[("koji_adjutant_buildroot_setup_seconds_count", ())] == 1
    assert m[("koji_adjutant_tasks_running", ())] == 0
    assert m[("koji_adjutant_up", ())] == 1 and m[("koji_adjutant_ready", ())] == 1
    assert m[("koji_adjutant_container_operations_total", (("operation", "list"),))] >= 1
    # the task process's own container work, counted from its journal
    for operation in ("create", "start", "remove"):
        assert m[("koji_adjutant_container_operations_total",
                  (("operation", operation),))] == 1, operation
    assert m[("koji_adjutant_container_operations_total", (("operation", "exec"),))] >= 5
    assert ("koji_adjutant_container_failures_total", (("operation", "exec"),)) not in m


def check_page_shows_task(url: str, task_id: int, out_dir: Path) -> None:
    """Headless Chromium renders the page; the running task and its log are in the DOM,
    and a screenshot (written to out_dir) is laid out like the tracked one in docs/."""
    chrome = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
              "--virtual-time-budget=8000", "--window-size=1200,1000"]
    dom = subprocess.run(chrome + ["--dump-dom", url], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert f'id="task-{task_id}"' in dom and "progress" in dom, dom[-3000:]
    shot = out_dir / "status-page.png"
    subprocess.run(chrome + [f"--screenshot={shot}", url], capture_output=True,
                   timeout=120, check=True)
    assert shot.stat().st_size > 10_000
    share = matching_cells(shot, SCREENSHOT)
    assert share >= 0.85, (f"the page no longer looks like {SCREENSHOT} ({share:.0%} of the "
                           f"grid matches); if that is intended, copy {shot} there")


class Relay:
    """A TCP relay to the hub that can be cut (connections refused) and restored."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open = False
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


class RelayedHub:
    """The hub as seen through a relay: what start_daemon reads from a hub."""

    def __init__(self, hub, relay: Relay):
        self._hub = hub
        self.url = hub.url.replace(f":{hub.url.split(':')[2].split('/')[0]}/",
                                   f":{relay.port}/", 1)

    def __getattr__(self, name):
        return getattr(self._hub, name)


def test_healthz_follows_the_hub(hub, start_daemon):
    hub.add_host("builder2", password="builder2", arches="x86_64")
    relay = Relay(int(hub.url.split(":")[2].split("/")[0]))
    try:
        daemon = start(start_daemon, RelayedHub(hub, relay), host="builder2")
        url = monitor_url(daemon)
        wait_for(lambda: get(url, "healthz")[0] == 200, timeout=30, what="healthz 200")
        relay.cut()
        _, doc = wait_for(lambda: (r := get(url, "healthz"))[0] == 503 and r, timeout=60,
                             what="healthz 503 while the hub is cut off")
        assert "hub" in doc["reason"]
        status = get(url, "api/v1/status")[1]
        assert status["hub"]["reachable"] is False and status["ready"] is False
        errors = metrics(url)[("koji_adjutant_hub_errors_total", (("kind", "connection"),))]
        assert errors >= 1
        relay.restore()
        wait_for(lambda: get(url, "healthz")[0] == 200, timeout=60, what="healthz 200 again")
        assert get(url, "api/v1/status")[1]["hub"]["reachable"] is True
    finally:
        relay.close()


def test_monitoring_can_be_off_and_a_busy_port_does_not_stop_building(hub, start_daemon):
    hub.add_host("builder3", password="builder3", arches="x86_64")
    hub.add_host("builder4", password="builder4", arches="x86_64")
    busy = socket.create_server(("127.0.0.1", 0))
    try:
        port = busy.getsockname()[1]
        daemon = start_daemon(hub, "builder3", adjutant={"monitoring_bind": f"127.0.0.1:{port}"})
        wait_for(lambda: "monitoring is off: cannot serve on" in daemon.log(), timeout=30,
                 what="the error about the busy port")
        assert "monitoring_enabled = false" in daemon.log()
        off = start_daemon(hub, "builder4", adjutant={"monitoring_enabled": "false",
                                                      "monitoring_bind": "127.0.0.1:0"})
        for d, host in ((daemon, "builder3"), (off, "builder4")):
            assert d.proc.poll() is None
            assert not (d.conf.parent / f"work-{host}" / "monitoring.address").exists()
        assert "monitoring: serving" not in off.log()
    finally:
        busy.close()
