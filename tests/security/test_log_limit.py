"""A build that prints without end against ``log_limit`` (issue 13, hole 6).

The package's %build pipes ``yes`` into ``head -c 200000000``: 200 MB of
two-byte lines, the cheapest output to make and the dearest to log.  Run for
real through the daemon, podman and the hub simulator with ``log_limit = 2m``,
it must be stopped within seconds of crossing the limit, fail with a message
naming the limit, and leave no more than the limit (plus the daemon's own few
lines) in the task's logs, on the builder while it runs and on the hub.
"""

import os
import re
from pathlib import Path

import koji
import pytest
from daemon_harness import GROUPS, TAG, TESTLIB, containers_of_task, upload_srpm, wait_for
from rpmkit import Package, make_koji_repo

pytestmark = pytest.mark.podman
HOST = "builder1"
LIMIT = 2 << 20
SLACK = 64 << 10  # the daemon's own lines (commands, phases, the cut line) are never cut
PRINTS = 200_000_000
MESSAGE = "the task's logs exceeded log_limit (2 MiB); the build was stopped; see build.log"


@pytest.fixture
def f99(hub, rpm_factory):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    hub.add_tag(TAG, arches="x86_64", extra={"rpm.macro.dist": ".f99"})
    return make_koji_repo(hub, TAG, [rpm_factory.rpms(TESTLIB)], GROUPS)


def tree_size(top: Path) -> int:
    """Bytes in the regular files under ``top`` (files may vanish while it looks)."""
    total = 0
    for root, _dirs, files in os.walk(top):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def wait_measuring_logs(hub, task_id: int, workdir: Path) -> tuple[dict, int]:
    """Wait for the task to end; its info and the most its logs held on the builder."""
    peak = 0

    def ended() -> bool:
        nonlocal peak
        peak = max(peak, sum(tree_size(d) for d in workdir.glob("tasks/*/*/logs")))
        return koji.TASK_STATES[hub.task_info(task_id)["state"]] in ("CLOSED", "FAILED",
                                                                     "CANCELED")

    wait_for(ended, timeout=300, interval=0.02, what=f"task {task_id} to end")
    return hub.task_info(task_id), peak


def test_a_build_printing_200_mb_is_stopped_at_log_limit(hub, f99, rpm_factory, start_daemon,
                                                        tmp_path):
    daemon = start_daemon(hub, HOST, adjutant={"log_limit": "2m"})
    workdir = tmp_path / f"work-{HOST}"
    pkg = Package("prints-forever",
                  build_script=f"yes | head -c {PRINTS}; echo printed-all-of-it")
    srpm_rel = upload_srpm(hub, rpm_factory, pkg)
    task_id = hub.make_task("buildArch", [srpm_rel, TAG, "noarch", True, {"repo_id": f99["id"]}])
    info, peak = wait_measuring_logs(hub, task_id, workdir)
    assert koji.TASK_STATES[info["state"]] == "FAILED", daemon.log()[-3000:]
    with pytest.raises(koji.GenericError) as fault:
        hub.task_result(task_id)
    assert MESSAGE in str(fault.value)

    on_hub = hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id)
    # stopped within seconds: the build phase failed soon after it started
    state = (on_hub / "state.log").read_text()
    took = re.search(r"Failed: rpmbuild for noarch \(([0-9.]+) s\)", state)
    assert took and float(took.group(1)) < 30, state

    build_log = (on_hub / "build.log").read_bytes()
    assert LIMIT - SLACK < len(build_log) <= LIMIT + SLACK
    assert b"printed-all-of-it" not in build_log
    cut = build_log.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()
    assert re.fullmatch(r"koji-adjutant: the log was cut at \d+ bytes: the task's logs reached "
                        r"log_limit \(2 MiB\); the command was stopped", cut), cut
    assert tree_size(on_hub) <= LIMIT + SLACK  # every log of the task together

    # on the builder, the task's logs never held more than the limit
    assert peak <= LIMIT + SLACK, peak
    wait_for(lambda: not containers_of_task(task_id, HOST, hub), timeout=30,
             what="the build's container removed")
