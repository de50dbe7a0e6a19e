"""A task process facing a hub that refuses its calls (koji_adjutant.daemon.taskproc)."""

import logging

import koji
import pytest

from koji_adjutant.daemon import taskproc


def raising(exc):
    def run():
        raise exc
    return run


@pytest.mark.parametrize("exc", [
    koji.ActionNotAllowed("host 1 does not own task 66"),
    koji.AuthLockError("User locked by another session"),
    koji.AuthError("Invalid session or bad credentials"),
])
def test_a_hub_refusal_of_the_task_is_one_line_and_a_quiet_exit(exc, caplog):
    caplog.set_level(logging.WARNING, logger="koji.TaskManager")
    with pytest.raises(taskproc.TaskAbandoned) as stopped:
        taskproc.stopping_when_disowned(raising(exc), 66)()
    assert stopped.value.code == 0
    assert isinstance(stopped.value, SystemExit)  # koji's runTask lets it through
    [record] = caplog.records
    assert record.getMessage() == (f"task 66 stops: the hub no longer takes its calls "
                                   f"({type(exc).__name__}: {exc}); it was cancelled or is "
                                   "no longer this daemon's")


@pytest.mark.parametrize("exc", [
    koji.ActionNotAllowed("policy violation (build_from_srpm)"),
    koji.BuildError("rpmbuild failed"),
])
def test_other_errors_fail_the_task_as_before(exc):
    with pytest.raises(type(exc)):
        taskproc.stopping_when_disowned(raising(exc), 66)()


def test_a_result_passes_through():
    assert taskproc.stopping_when_disowned(lambda: "done", 66)() == "done"


def koji_traceback(last_line: str) -> logging.LogRecord:
    text = ("TRACEBACK: Traceback (most recent call last):\n  File \"koji/daemon.py\", line "
            f"1435, in runTask\n    self.session.host.closeTask(handler.id, response)\n"
            f"{last_line}\n")
    return logging.LogRecord("koji.TaskManager", logging.WARNING, "daemon.py", 1454,
                             "%s", (text,), None)


@pytest.mark.parametrize("last_line, kept", [
    ("koji.ActionNotAllowed: host 1 does not own task 66", False),
    ("koji.AuthLockError: User locked by another session", False),
    ("koji.ActionNotAllowed: policy violation (build_from_srpm)", True),
    ("ValueError: a bug in a handler", True),
])
def test_kojis_traceback_of_a_refused_close_is_dropped_and_others_kept(last_line, kept):
    assert taskproc.KojisDisownedTraceback().filter(koji_traceback(last_line)) is kept
