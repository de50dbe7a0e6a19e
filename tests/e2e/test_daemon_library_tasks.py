"""The koji library's generic tasks run through the daemon as they do through kojid."""

import koji

from daemon_harness import task_state


def test_shutdown_task_stops_the_daemon(hub, start_daemon):
    hub.add_host("builder1", password="builder1")
    daemon = start_daemon(hub, "builder1")
    host_id = hub.session().getHost("builder1")["id"]
    task_id = hub.make_task("shutdown", [], channel="default")
    assert daemon.wait(60) == 0, daemon.log()
    assert hub.session().getHost(host_id)["ready"] is False
    # as with kojid: the foreground task ends the loop and shutdown frees what is held
    assert task_state(hub, task_id) == "FREE"


def test_restart_hosts_restarts_and_verifies_this_host(hub, start_daemon):
    hub.add_host("builder1", password="builder1")
    daemon = start_daemon(hub, "builder1", args=["--force-lock"])
    parent = hub.make_task("restartHosts", [{"timeout": 120}])
    info = hub.wait_task(parent, timeout=120)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", daemon.log()
    children = {c["method"]: c for c in hub.children(parent)}
    assert koji.TASK_STATES[children["restart"]["state"]] == "CLOSED"
    assert koji.TASK_STATES[children["restartVerify"]["state"]] == "CLOSED"
    assert hub.task_result(children["restart"]["id"]) == "graceful restart initiated"
    assert daemon.log().count("started as host builder1") == 2
    assert daemon.proc.poll() is None


def test_dependant_task_waits_then_creates_tasks(hub, start_daemon):
    hub.add_host("builder1", password="builder1")
    start_daemon(hub, "builder1")
    first = hub.make_task("adjutantProbe", ["sleep", 1])
    parent = hub.make_task("dependantTask", [[first], [["adjutantProbe", ["echo", "next"], {}]]])
    assert hub.wait_task(parent, timeout=60)["state"] == koji.TASK_STATES["CLOSED"]
    assert task_state(hub, first) == "CLOSED"
    created = [c for c in hub.children(parent) if c["method"] == "adjutantProbe"]
    assert len(created) == 1
    hub.wait_task(created[0]["id"], timeout=60)
    assert hub.task_result(created[0]["id"])["value"] == "next"


def test_waitrepo_returns_the_ready_repo(hub, start_daemon):
    hub.add_host("builder1", password="builder1")
    hub.add_tag("f99-build", arches="x86_64")
    repo = hub.make_repo("f99-build")
    start_daemon(hub, "builder1")
    task_id = hub.make_task("waitrepo", ["f99-build", None, None])
    info = hub.wait_task(task_id, timeout=60)
    assert koji.TASK_STATES[info["state"]] == "CLOSED"
    assert hub.task_result(task_id)["id"] == repo["id"]
