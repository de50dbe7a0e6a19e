"""The monitoring server over real HTTP, fed through the hooks the daemon calls.

A ``Monitor`` gets the main-process events of a task (taken, details written
by the task process into its work directory, reaped) and the tests read the
answers over a real socket: the JSON schema, bad input, health and metrics.
The hub is a small recorded answer table here; tests/e2e/test_monitoring.py
runs the same server inside the real daemon.
"""

import http.client
import json
import shutil
import socket
import time
from types import SimpleNamespace

import koji
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from koji_adjutant.monitor.server import ADDRESS_FILE, MonitorEndpoint
from koji_adjutant.monitor.service import Monitor
from koji_adjutant.monitor.tasklogs import MAX_TAIL_LINES, log_dir

REQUEST = ["tmp/hello-1.0-1.src.rpm", "f99-build", "noarch", True, {"repo_id": 3}]
MOCK_CONFIG = ("# Koji buildroot id: 7\n# Koji buildroot name: f99-build-7-1\n"
               "# Koji tag: f99-build\nimage: localhost/img:1 (chosen by default)\n"
               "container: kojiadj-task-42\nimage digest: sha256:abc\n")


class RecordedHub:
    """Answers the two calls a reaped task costs the main thread."""

    def __init__(self, state: str, result=None, fault: str | None = None):
        self.state, self.result, self.fault = state, result, fault

    def getTaskInfo(self, task_id):
        return {"id": task_id, "state": koji.TASK_STATES[self.state]}

    def getTaskResult(self, task_id):
        if self.fault:
            raise koji.BuildError(self.fault)
        return self.result


class FakeManager(SimpleNamespace):
    """The attributes of the task manager that ``checked_in`` reads."""


@pytest.fixture
def monitor(tmp_path):
    options = SimpleNamespace(workdir=str(tmp_path), sleeptime=1, maxjobs=3, topurl=None,
                              adjutant=SimpleNamespace(podman_url="unix:///nonexistent.sock"))
    mon = Monitor(options, "builder1", 5)
    endpoint = MonitorEndpoint(mon, "127.0.0.1:0", str(tmp_path))
    endpoint.start()
    mon.url = endpoint.server.url
    yield mon
    endpoint.close()
    mon.stop()


def get(mon, path: str, method: str = "GET"):
    answer = requests.request(method, mon.url + path.lstrip("/"), timeout=10)
    if answer.headers["Content-Type"] == "application/json":
        return answer.status_code, answer.json()
    return answer.status_code, answer.text


def raw_get(mon, path: str):
    """A GET whose path is sent exactly as written (no client-side normalisation)."""
    host, port = mon.url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path)
    answer = conn.getresponse()
    body = json.loads(answer.read())
    conn.close()
    return answer.status, body


def start_task(mon, task_id=42, logs=None) -> None:
    mon.task_taken(task_id, {"id": task_id, "method": "buildArch", "arch": "noarch",
                             "request": REQUEST}, pid=999999)
    directory = log_dir(mon.workdir, task_id)
    directory.mkdir(parents=True)
    for name, text in (logs or {}).items():
        (directory / name).write_text(text)
    mon.sample_task(task_id)


def checked_in(mon, ready=True):
    mon.checked_in(FakeManager(ready=ready, status="" if ready else "Full queue",
                               task_load=1.5, hostdata={"capacity": 2.0}))


def test_the_address_is_written_for_port_zero(monitor, tmp_path):
    assert (tmp_path / ADDRESS_FILE).read_text().strip() == monitor.url.rstrip("/") + "/"
    assert monitor.url.startswith("http://127.0.0.1:") and not monitor.url.endswith(":0/")


def test_status_reports_state_and_no_secrets(monitor):
    checked_in(monitor)
    start_task(monitor, logs={"mock_config.log": MOCK_CONFIG})
    code, doc = get(monitor, "api/v1/status")
    assert code == 200
    assert doc["host"] == {"name": "builder1", "id": 5} and doc["schema"] == 1
    assert (doc["ready"], doc["ready_reason"], doc["task_load"], doc["capacity"],
            doc["maxjobs"], doc["running_tasks"]) == (True, None, 1.5, 2.0, 3, 1)
    assert doc["podman"]["reachable"] is False and "nonexistent" in doc["podman"]["error"]
    assert doc["hub"]["reachable"] is True and doc["hub"]["last_error"] is None
    assert doc["disk"]["free_mb"] > 0 and doc["uptime"] >= 0
    assert "password" not in json.dumps(doc) and "cert" not in json.dumps(doc)


def test_not_ready_gives_the_managers_reason(monitor):
    checked_in(monitor, ready=False)
    doc = get(monitor, "api/v1/status")[1]
    assert (doc["ready"], doc["ready_reason"]) == (False, "Full queue")


def test_a_running_task_with_its_buildroot_details(monitor):
    start_task(monitor, logs={"mock_config.log": MOCK_CONFIG, "build.log": "one\ntwo\n"})
    code, doc = get(monitor, "api/v1/tasks/42")
    assert code == 200
    assert {k: doc[k] for k in ("id", "method", "arch", "tag", "state", "container",
                                "buildroot_id", "image", "image_digest", "finished")} == {
        "id": 42, "method": "buildArch", "arch": "noarch", "tag": "f99-build", "state": "OPEN",
        "container": "kojiadj-task-42", "buildroot_id": 7, "image": "localhost/img:1",
        "image_digest": "sha256:abc", "finished": None}
    assert [t["id"] for t in get(monitor, "api/v1/tasks")[1]["tasks"]] == [42]
    listing = get(monitor, "api/v1/tasks/42/logs")[1]
    assert listing["live"] is True
    assert listing["logs"] == [{"name": "build.log", "size": 8},
                               {"name": "mock_config.log", "size": len(MOCK_CONFIG)}]


def test_log_tail_follows_the_file_while_it_grows(monitor):
    start_task(monitor, logs={"build.log": "".join(f"line {i}\n" for i in range(100))})
    assert get(monitor, "api/v1/tasks/42/logs/build.log?tail=2")[1] == "line 98\nline 99\n"
    with open(log_dir(monitor.workdir, 42) / "build.log", "a") as f:
        f.write("line 100\n")
    assert get(monitor, "api/v1/tasks/42/logs/build.log?tail=1")[1] == "line 100\n"
    assert get(monitor, "api/v1/tasks/42/logs/build.log?tail=0")[1] == ""


def test_a_finished_task_keeps_result_and_logs_after_its_workdir_is_gone(monitor):
    start_task(monitor, logs={"build.log": "built\n", "state.log":
                              "x Finish: init buildroot f99-build-7-1 (3.5 s)\n"})
    shutil.rmtree(log_dir(monitor.workdir, 42).parent)  # what the library does
    monitor.task_reaped(42, RecordedHub("CLOSED", result={"rpms": ["a.rpm"]}))
    doc = get(monitor, "api/v1/tasks/42")[1]
    assert (doc["state"], doc["result"], doc["failure"]) == ("CLOSED", {"rpms": ["a.rpm"]}, None)
    assert doc["finished"] >= doc["started"]
    assert get(monitor, "api/v1/tasks/42/logs/build.log")[1] == "built\n"
    assert get(monitor, "api/v1/tasks/42/logs")[1]["live"] is False


def test_a_failed_task_shows_its_failure_message(monitor):
    start_task(monitor)
    monitor.task_reaped(42, RecordedHub("FAILED", fault="rpmbuild failed: exit code 1"))
    doc = get(monitor, "api/v1/tasks/42")[1]
    assert (doc["state"], doc["failure"]) == ("FAILED", "rpmbuild failed: exit code 1")


@pytest.mark.parametrize("path, code", [
    ("nothing/here", 404), ("api/v1", 404), ("api/v1/tasks/abc", 400),
    ("api/v1/tasks/-1", 400), ("api/v1/tasks/1e3", 400), ("api/v1/tasks/99999999999999", 400),
    ("api/v1/tasks/43", 404), ("api/v1/tasks/43/logs", 404), ("api/v1/tasks/x/logs", 400),
    ("api/v1/tasks/42/logs/missing.log", 404), ("api/v1/tasks/42/logs/.hidden", 400),
    ("api/v1/tasks/42/logs/..%2F..%2Fetc%2Fpasswd", 400),
    ("api/v1/tasks/42/logs/build.log?tail=abc", 400),
    ("api/v1/tasks/42/logs/build.log?tail=-5", 400),
])
def test_bad_paths_and_ids_get_json_errors(monitor, path, code):
    start_task(monitor, logs={"build.log": "x\n"})
    status, doc = get(monitor, path)
    assert status == code and isinstance(doc["error"], str) and doc["error"]


def test_dot_dot_in_a_log_path_never_leaves_the_task(monitor, tmp_path):
    start_task(monitor, logs={"build.log": "x\n"})
    (tmp_path / "secret.log").write_text("TOPSECRET\n")
    for path in ("/api/v1/tasks/42/logs/../../../../secret.log",
                 "/api/v1/tasks/42/logs/..", "/api/v1/tasks/42/logs/../logs/build.log"):
        status, doc = raw_get(monitor, path)
        assert status in (400, 404) and "TOPSECRET" not in json.dumps(doc)


def test_a_symlink_in_the_log_directory_is_not_followed(monitor, tmp_path):
    start_task(monitor)
    (tmp_path / "secret.txt").write_text("secret\n")
    (log_dir(monitor.workdir, 42) / "link.log").symlink_to(tmp_path / "secret.txt")
    assert get(monitor, "api/v1/tasks/42/logs/link.log")[0] == 404
    assert get(monitor, "api/v1/tasks/42/logs")[1]["logs"] == []


def test_huge_tail_values_are_capped(monitor):
    lines = "".join(f"{i}\n" for i in range(MAX_TAIL_LINES + 500))
    start_task(monitor, logs={"build.log": lines})
    for tail in ("20000", "9" * 40):
        text = get(monitor, f"api/v1/tasks/42/logs/build.log?tail={tail}")[1]
        assert len(text.splitlines()) == MAX_TAIL_LINES and text.endswith(f"{MAX_TAIL_LINES + 499}\n")


def test_only_reads_are_served(monitor):
    for method in ("POST", "PUT", "DELETE"):
        status, doc = get(monitor, "api/v1/status", method=method)
        assert status == 405 and "read-only" in doc["error"]
    head = requests.head(monitor.url + "api/v1/status", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) > 0


def test_healthz_follows_check_ins_and_hub_errors(monitor):
    assert get(monitor, "healthz") == (503, {"healthy": False,
                                             "reason": "no check-in with the hub yet"})
    checked_in(monitor)
    assert get(monitor, "healthz") == (200, {"healthy": True, "reason": "ok"})
    monitor.loop_failed(koji.GenericError("the hub answered with a fault"))
    assert get(monitor, "healthz")[0] == 200  # the hub is there: counted, not unhealthy
    monitor.hub_unreachable("Connection refused")  # the session's first failed try
    code, doc = get(monitor, "healthz")
    assert code == 503 and "Connection refused" in doc["reason"]
    assert get(monitor, "api/v1/status")[1]["ready"] is False
    monitor.hub_answered()
    assert get(monitor, "healthz")[0] == 200
    monitor.hub_unreachable("Connection refused")
    checked_in(monitor)
    assert get(monitor, "healthz")[0] == 200


def test_a_stale_check_in_is_unhealthy(monitor):
    checked_in(monitor)
    monitor.stale_after = 0.05
    time.sleep(0.1)
    code, doc = get(monitor, "healthz")
    assert code == 503 and "has not run" in doc["reason"]


def test_metrics_parse_and_count_what_happened(monitor):
    checked_in(monitor)
    start_task(monitor, logs={"state.log": "x Finish: init buildroot br-1 (3.5 s)\n"})
    monitor.task_reaped(42, RecordedHub("CLOSED", result={}))
    start_task(monitor, task_id=43)
    monitor.task_reaped(43, RecordedHub("FAILED", fault="boom"))
    monitor.hub_unreachable("Connection refused")
    # the try that gave up was counted when the session saw it: not again by the loop
    monitor.loop_failed(requests.ConnectionError("down"))
    monitor.loop_failed(koji.GenericError("fault"))
    code, text = get(monitor, "metrics")
    assert code == 200
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("koji_adjutant_tasks_started_total", (("method", "buildArch"),))] == 2
    for outcome in ("closed", "failed"):
        key = ("koji_adjutant_tasks_finished_total", (("method", "buildArch"),
                                                       ("outcome", outcome)))
        assert samples[key] == 1
    assert samples[("koji_adjutant_task_duration_seconds_count", (("method", "buildArch"),))] == 2
    assert samples[("koji_adjutant_buildroot_setup_seconds_sum", ())] == 3.5
    assert samples[("koji_adjutant_hub_errors_total", (("kind", "connection"),))] == 1
    assert samples[("koji_adjutant_hub_errors_total", (("kind", "fault"),))] == 1
    assert samples[("koji_adjutant_tasks_running", ())] == 0
    assert samples[("koji_adjutant_up", ())] == 1 and samples[("koji_adjutant_ready", ())] == 0
    assert samples[("koji_adjutant_hub_reachable", ())] == 0


def test_counted_calls_count_failures(monitor):
    def sweep(task_id):
        if task_id == 2:
            raise koji.GenericError("podman said no")
        return 1
    counted = monitor.counted("sweep", sweep)
    assert counted(1) == 1
    with pytest.raises(koji.GenericError):
        counted(2)
    text = get(monitor, "metrics")[1]
    assert 'koji_adjutant_container_operations_total{operation="sweep"} 2.0' in text
    assert 'koji_adjutant_container_failures_total{operation="sweep"} 1.0' in text


def test_a_slow_client_does_not_block_others(monitor):
    host, port = monitor.url.split("//")[1].rstrip("/").split(":")
    idle = [socket.create_connection((host, int(port))) for _ in range(5)]
    try:
        idle[0].sendall(b"GET /api/v1/sta")  # and never finishes the request
        started = time.monotonic()
        assert get(monitor, "api/v1/status")[0] == 200
        assert time.monotonic() - started < 5
    finally:
        for conn in idle:
            conn.close()


def test_the_page_is_html_that_polls_the_api(monitor):
    code, text = get(monitor, "")
    assert code == 200 and text.startswith("<!DOCTYPE html>")
    assert "api/v1/status" in text and "api/v1/tasks" in text and "textContent" in text


def test_metrics_are_a_snapshot_renewed_after_render_ttl():
    from koji_adjutant.monitor import metrics as metrics_module
    clock = [100.0]
    metrics = metrics_module.Metrics(clock=lambda: clock[0])
    first = metrics.render()
    metrics.tasks_started.labels("buildArch").inc()
    assert metrics.render() is first  # within RENDER_TTL: the same snapshot
    clock[0] += metrics_module.RENDER_TTL
    assert b'koji_adjutant_tasks_started_total{method="buildArch"} 1.0' in metrics.render()
