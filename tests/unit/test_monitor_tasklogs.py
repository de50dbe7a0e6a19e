"""Log names, tails and the details a task writes into mock_config.log."""

import pytest

from koji_adjutant.monitor.state import RECENT_TASKS, MonitorState, TaskRecord
from koji_adjutant.monitor.tasklogs import (
    MAX_LOGS_PER_TASK,
    TAIL_BYTES,
    BadLogName,
    TailCache,
    buildroot_details,
    check_name,
    last_lines,
    log_dir,
    read_tail,
)


@pytest.mark.parametrize("name", ["build.log", "root.log", "noarch_rpmdiff.json", "a+b-c_d.log"])
def test_plain_file_names_are_accepted(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", ".", "..", "../x.log", "a/b.log", ".hidden", "a..b",
                                  "x\x00.log", "build.log\n", "x" * 200, "%2e%2e"])
def test_anything_else_is_refused(name):
    with pytest.raises(BadLogName):
        check_name(name)


def test_log_dir_is_the_tasks_work_directory():
    assert str(log_dir("/var/tmp/koji", 123456)) == "/var/tmp/koji/tasks/3456/123456/logs"


def test_read_tail_is_bounded(tmp_path):
    path = tmp_path / "big.log"
    path.write_bytes(b"a" * 10 + b"b" * TAIL_BYTES)
    assert read_tail(path) == b"b" * TAIL_BYTES
    assert read_tail(tmp_path / "missing.log") is None


def test_last_lines():
    assert last_lines(b"1\n2\n3\n", 2) == "2\n3\n"
    assert last_lines(b"1\n2\n3", None) == "1\n2\n3"
    assert last_lines(b"1\n2\n", 0) == ""
    assert last_lines(b"\xff\n", 1) == "\ufffd\n"


def test_tail_cache_keeps_a_bounded_number_of_logs(tmp_path):
    for i in range(MAX_LOGS_PER_TASK + 5):
        (tmp_path / f"log{i:03d}.log").write_text(str(i))
    cache = TailCache()
    listing = cache.capture(7, tmp_path)
    assert len(listing) == MAX_LOGS_PER_TASK + 5
    assert len(cache.names(7)) == MAX_LOGS_PER_TASK and cache.get(7, "log000.log") == b"0"
    cache.keep_only({8})
    assert cache.names(7) == {}


def test_buildroot_details_from_mock_config():
    text = (b"# Koji buildroot id: 12\n# Koji tag: f99-build\n"
            b"image: localhost/img:test (chosen by tag extra)\ncontainer: kojiadj-1\n"
            b"image digest: sha256:0f\n")
    assert buildroot_details(text) == {"buildroot_id": 12, "tag": "f99-build",
                                       "image": "localhost/img:test", "container": "kojiadj-1",
                                       "image_digest": "sha256:0f"}
    assert buildroot_details(b"# Koji buildroot id: 3\n") == {"buildroot_id": 3}


def test_finished_tasks_are_bounded():
    state = MonitorState("h", 1, "0")
    for task_id in range(RECENT_TASKS + 10):
        state.task_started(TaskRecord(task_id, "buildArch"))
        state.task_finished(task_id, "CLOSED")
    ids = [t["id"] for t in state.tasks()]
    assert len(ids) == RECENT_TASKS and ids[0] == RECENT_TASKS + 9 and ids[-1] == 10
    assert state.task_finished(10_000, "CLOSED") is None


def test_log_tails_are_kept_for_the_newest_finished_tasks_only():
    state = MonitorState("h", 1, "0")
    for task_id in (1, 2, 3):
        state.task_started(TaskRecord(task_id, "buildArch"))
    state.task_finished(1, "CLOSED")
    state.task_finished(2, "CLOSED")
    assert state.known_ids(1) == {2, 3}
    assert state.known_ids(0) == {3}
