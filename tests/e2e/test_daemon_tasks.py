"""The daemon takes tasks from the hub, runs each in a forked process and reports them.

Real daemon subprocess, real XML-RPC against the hub simulator; the probe
plugin (tests/e2e/plugins) provides a handler whose behaviour each test picks.
"""

import signal
import time

import koji
import pytest
from koji.xmlrpcplus import Fault

from daemon_harness import containers_of_task, pid_alive, task_state, wait_for
from test_monitoring import get, metrics, monitor_url


@pytest.fixture
def builder(hub):
    hub.add_host("builder1", password="builder1")
    return "builder1"


def test_task_runs_in_forked_process_and_is_closed_with_its_result(hub, builder, start_daemon):
    daemon = start_daemon(hub, builder)
    task_id = hub.make_task("adjutantProbe", ["echo", "hello"])
    info = hub.wait_task(task_id, timeout=30)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", daemon.log()
    result = hub.task_result(task_id)
    assert result["value"] == "hello"
    assert result["big"] == 2 ** 40 and result["none"] is None
    assert result["pid"] != daemon.proc.pid
    assert info["host_id"] == hub.session().getHost(builder)["id"]
    assert info["weight"] == 0.5


def test_updatehost_reports_methods_and_maxjobs(hub, builder, start_daemon):
    start_daemon(hub, builder, maxjobs=3)
    data = hub.session().getHost(builder)
    assert data["ready"] is True
    host_id = hub.session().getHost(builder)["id"]
    host_data = hub.session().scheduler.getHostData(host_id)[0]["data"]
    assert host_data["maxjobs"] == 3
    assert {"adjutantProbe", "sleep", "waitrepo", "restart", "shutdown"} <= set(
        host_data["methods"])


def test_failing_handler_fails_task_with_koji_fault(hub, builder, start_daemon):
    start_daemon(hub, builder)
    build_error = hub.make_task("adjutantProbe", ["fail", "spec has no %build"])
    crash = hub.make_task("adjutantProbe", ["crash", "unexpected"])
    for task_id in (build_error, crash):
        assert task_state(hub, hub.wait_task(task_id, timeout=30)["id"]) == "FAILED"
    with pytest.raises(koji.BuildError) as exc:
        hub.task_result(build_error)
    assert exc.value.faultCode == 1005
    assert str(exc.value) == "spec has no %build"
    with pytest.raises(Fault) as crashed:
        hub.task_result(crash)
    assert crashed.value.faultCode == 1
    assert "ValueError: unexpected" in crashed.value.faultString


def test_maxjobs_is_respected(hub, builder, start_daemon):
    start_daemon(hub, builder, maxjobs=1)
    tasks = [hub.make_task("adjutantProbe", ["sleep", 2]) for _ in range(2)]
    seen_open = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        states = [task_state(hub, t) for t in tasks]
        seen_open.append(states.count("OPEN"))
        if states == ["CLOSED", "CLOSED"]:
            break
        time.sleep(0.2)
    assert [task_state(hub, t) for t in tasks] == ["CLOSED", "CLOSED"]
    assert max(seen_open) == 1


def test_unsupported_method_is_refused_and_goes_to_another_host(hub, builder, start_daemon):
    hub.add_host("builder2", password="builder2")
    start_daemon(hub, builder)
    task_id = hub.make_task("buildMaven", ["git://example.com/x.git", "tag", {}])
    wait_for(lambda: hub.refusals(task_id), timeout=30, what="a refusal")
    refusal = hub.refusals(task_id)[0]
    assert refusal["soft"] is False and refusal["msg"] == "no handler for method"
    other = hub.host_session("builder2", force=True)
    other.host.updateHost(0.0, True)
    assigned = wait_for(lambda: other.host.getTasks(), timeout=10, what="assignment")
    assert [t["id"] for t in assigned] == [task_id]


def test_cancelled_task_process_and_container_are_killed(hub, builder, start_daemon,
                                                          probe_dir):
    start_daemon(hub, builder)
    task_id = hub.make_task("adjutantProbe", ["container", 600])
    marker = probe_dir / f"{task_id}.container"
    wait_for(marker.exists, timeout=60, what="the probe's container")
    pid = int(marker.read_text())
    assert containers_of_task(task_id, "builder1", hub)
    hub.cancel_task(task_id)
    wait_for(lambda: not pid_alive(pid), timeout=20, what="the task process to die")
    wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=20,
             what="the task's container to be removed")
    assert task_state(hub, task_id) == "CANCELED"


def test_a_result_the_hub_refuses_after_a_cancel_is_one_log_line(hub, builder, start_daemon,
                                                                  probe_dir):
    daemon = start_daemon(hub, builder)
    task_id = hub.make_task("adjutantProbe", ["late", 60])
    wait_for((probe_dir / f"{task_id}.started").exists, timeout=30, what="the task to start")
    pid = int((probe_dir / f"{task_id}.started").read_text())
    hub.cancel_task(task_id)
    wait_for(lambda: not pid_alive(pid), timeout=20, what="the task process to end")
    log = daemon.log()
    refused = [line for line in log.splitlines() if f"task {task_id} stops: " in line]
    assert len(refused) == 1, log
    assert refused[0].endswith(f"task {task_id} stops: the hub no longer takes its calls "
                               f"(ActionNotAllowed: host 1 does not own task {task_id}); it "
                               "was cancelled or is no longer this daemon's"), refused
    assert "Traceback" not in log
    assert task_state(hub, task_id) == "CANCELED"


def test_sigterm_frees_held_tasks_and_reports_not_ready(hub, builder, start_daemon, probe_dir):
    daemon = start_daemon(hub, builder)
    task_id = hub.make_task("adjutantProbe", ["sleep", 600])
    marker = probe_dir / f"{task_id}.started"
    wait_for(marker.exists, timeout=30, what="the task to start")
    pid = int(marker.read_text())
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(30) == 0
    assert task_state(hub, task_id) == "FREE"
    assert not pid_alive(pid)
    assert hub.session().getHost(builder)["ready"] is False


def test_sigusr1_restarts_only_once_idle(hub, builder, start_daemon, probe_dir):
    daemon = start_daemon(hub, builder)
    first = hub.make_task("adjutantProbe", ["sleep", 4])
    wait_for((probe_dir / f"{first}.started").exists, timeout=30, what="first task")
    daemon.signal(signal.SIGUSR1)
    time.sleep(1.5)  # let the daemon see the pending restart before offering more work
    second = hub.make_task("adjutantProbe", ["echo", "after restart"])
    time.sleep(1.5)
    assert task_state(hub, first) == "OPEN"
    assert task_state(hub, second) != "OPEN", "took new work while a restart was pending"
    assert hub.wait_task(second, timeout=60)["state"] == koji.TASK_STATES["CLOSED"]
    assert task_state(hub, first) == "CLOSED"
    log = daemon.log()
    assert log.count("started as host builder1") == 2, log
    assert daemon.proc.poll() is None  # same process, re-executed


def test_a_hub_restart_is_ridden_out_and_the_running_task_still_reports(hub, builder,
                                                                        start_daemon):
    # retries bridge the outage, as kojid's do (a site's default is 120 tries, 60 s apart)
    daemon = start_daemon(hub, builder, max_retries=30, retry_interval=1)
    task_id = hub.make_task("sleep", [5])
    wait_for(lambda: task_state(hub, task_id) == "OPEN", timeout=30, what="the task to start")
    hub.stop()
    time.sleep(10)  # the hub is away while the task ends and reports
    hub.start()
    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=60)["state"]] == "CLOSED", \
        daemon.log()
    after = hub.make_task("adjutantProbe", ["echo", "back"])
    assert koji.TASK_STATES[hub.wait_task(after, timeout=30)["state"]] == "CLOSED"
    assert daemon.proc.poll() is None
    # every call was retried until the hub answered: the loop never saw an error, and the
    # outage was said once when the first try failed and once when the hub answered again
    log = daemon.log()
    assert "error in main loop" not in log
    assert log.count(" does not answer (Connection refused)") == 1, log
    assert log.count(" answers again, after ") == 1, log


def test_a_hub_away_longer_than_the_retries_loses_no_task(hub, builder, start_daemon):
    daemon = start_daemon(hub, builder, max_retries=2, retry_interval=1)
    task_id = hub.make_task("sleep", [3])
    wait_for(lambda: task_state(hub, task_id) == "OPEN", timeout=30, what="the task to start")
    hub.stop()
    time.sleep(12)  # longer than 2 tries a second apart: the task's closeTask gives up
    hub.start()
    assert koji.TASK_STATES[hub.wait_task(task_id, timeout=90)["state"]] == "CLOSED", \
        daemon.log()
    assert daemon.proc.poll() is None
    # the first result could not be sent: the task went back to the hub and ran again
    log = daemon.log()
    assert "freeing stale tasks: [%d]" % task_id in log
    assert log.count(f"hub {hub.url} does not answer (Connection refused)") == 1
    assert log.count(f"hub {hub.url} answers again") == 1
    assert "error in main loop" not in log


def test_a_hub_outage_is_seen_at_once_and_sigterm_during_it_exits_quickly(
        hub, builder, start_daemon, probe_dir):
    # kojid's default retries (120 tries, 60 s apart): a call gives up after two hours
    daemon = start_daemon(hub, builder, max_retries=None, retry_interval=None, sleeptime=3)
    url = monitor_url(daemon)
    wait_for(lambda: get(url, "healthz")[0] == 200, timeout=30, what="healthz 200")
    task_id = hub.make_task("adjutantProbe", ["sleep", 600])
    wait_for((probe_dir / f"{task_id}.started").exists, timeout=30, what="the task to start")
    pid = int((probe_dir / f"{task_id}.started").read_text())
    hub_url = hub.url
    hub.stop()
    try:
        # within one sleeptime (3 s), plus two seconds for a loaded machine; koji's retries
        # alone would take two hours
        wait_for(lambda: f"hub {hub_url} does not answer (Connection refused); trying again "
                 "until it does" in daemon.log(), timeout=5, what="the outage warning")
        code, doc = wait_for(lambda: (r := get(url, "healthz"))[0] == 503 and r, timeout=5,
                             what="healthz 503")
        assert doc["reason"] == "the hub did not answer: Connection refused"
        # /metrics serves a snapshot up to a second old
        wait_for(lambda: metrics(url)[("koji_adjutant_hub_reachable", ())] == 0, timeout=3,
                 what="koji_adjutant_hub_reachable 0")
        assert daemon.proc.poll() is None  # still retrying, as kojid does
        asked = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(15) == 0
        assert time.monotonic() - asked < 10, daemon.log()
        assert not pid_alive(pid)
        log = daemon.log()
        assert (f"hub {hub_url} does not answer; exiting without freeing task(s) {task_id}: "
                "they stay open on the hub until this daemon starts again") in log
        assert "Traceback" not in log and "shutdown was not clean" not in log
    finally:
        hub.start()
    assert task_state(hub, task_id) == "OPEN"  # as the log said


def test_task_processes_stop_when_the_main_process_is_killed(hub, builder, start_daemon,
                                                             probe_dir):
    """A waiting parent (koji's ``wait`` sleeps in ``signal.pause``) and its running
    subtask both notice that kill -9 took the main process, and stop without a traceback."""
    daemon = start_daemon(hub, builder)
    parent = hub.make_task("adjutantProbe", ["parent", 600])
    sleeper = wait_for(lambda: hub.children(parent), timeout=30, what="the subtask")[0]["id"]
    wait_for((probe_dir / f"{sleeper}.started").exists, timeout=30, what="the subtask to run")
    pids = [int((probe_dir / f"{t}.started").read_text()) for t in (parent, sleeper)]
    assert all(pid_alive(pid) for pid in pids)
    daemon.signal(signal.SIGKILL)  # the main process only: its task processes live on
    daemon.proc.wait(10)
    wait_for(lambda: not any(pid_alive(pid) for pid in pids), timeout=10,
             what="both task processes to stop")
    log = daemon.log()
    for task_id in (parent, sleeper):
        assert log.count(f"task {task_id} stops: the daemon's main process "
                         f"(pid {daemon.proc.pid}) is gone") == 1, log
    assert "Traceback" not in log
    # nothing was reported for them: the hub still has both open, to be freed as stale
    assert task_state(hub, parent) == "OPEN" and task_state(hub, sleeper) == "OPEN"


def test_debug_task_logs_our_handlers_at_debug(hub, builder, start_daemon):
    daemon = start_daemon(hub, builder, args=["--debug-task"])
    task_id = hub.make_task("tagNotification", [[], True, None, None, None, None])
    assert hub.wait_task(task_id, timeout=30)["state"] == koji.TASK_STATES["CLOSED"]
    log = daemon.log()
    assert f"[DEBUG] {{{daemon.proc.pid}}}" not in log, "the main loop stays at INFO"
    assert f"no recipients for the notification of task {task_id}" in log, log
