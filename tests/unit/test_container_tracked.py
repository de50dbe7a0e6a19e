"""The record a manager keeps per container, and the verdict on how an exec ended."""

from __future__ import annotations

import errno
import time

import pytest

from koji_adjutant.container import ContainerRef, ContainerTimeout, DiskFull, ExecFailed, ExecResult
from koji_adjutant.container.execution import ExecOutcome, judge, raise_if_full
from koji_adjutant.container.idmap import IdMap
from koji_adjutant.container.tracked import TrackedContainer, control_dir

REF = ContainerRef("0123abcd", "kojiadj-host-7-0123abcd")


def record(tmp_path, **fields) -> TrackedContainer:
    return TrackedContainer(REF, control_dir(tmp_path, REF.name), IdMap.identity(), **fields)


def result(code: int) -> ExecResult:
    return ExecResult(REF.name, ("make",), code, 0.1, 0)


def test_a_stand_in_record_names_the_control_directory_after_the_container(tmp_path):
    stand_in = TrackedContainer.stand_in(REF, tmp_path)
    assert stand_in.control == tmp_path / REF.name
    assert stand_in.writable == (stand_in.control,)
    assert stand_in.root == (0, 0) and stand_in.exec_limit(None) == (None, "exec")


def test_the_exec_limit_is_the_own_timeout_until_the_deadline_is_nearer(tmp_path):
    tracked = record(tmp_path, exec_default=30, container_timeout=100)
    assert tracked.exec_limit(None) == (30, "exec")
    assert tracked.exec_limit(5) == (5, "exec")
    tracked.start_clock()
    assert tracked.exec_limit(None) == (30, "exec")
    limit, kind = tracked.exec_limit(500)
    assert kind == "container" and 99 < limit <= 100
    tracked.deadline = time.monotonic() - 1
    assert tracked.exec_limit(None) == (0.0, "container") and tracked.past_deadline()


def test_without_a_container_timeout_the_clock_sets_no_deadline(tmp_path):
    tracked = record(tmp_path)
    tracked.start_clock()
    assert tracked.deadline is None and not tracked.past_deadline()
    assert tracked.exec_limit(None) == (None, "exec")


def test_a_good_exit_is_no_error_and_a_bad_one_only_when_checked(tmp_path):
    tracked = record(tmp_path, writable=(tmp_path,))
    judge(tracked, ExecOutcome(0), result(0), None, "exec", check=True)
    judge(tracked, ExecOutcome(2), result(2), None, "exec", check=False)
    with pytest.raises(ExecFailed) as caught:
        judge(tracked, ExecOutcome(2), result(2), None, "exec", check=True)
    assert caught.value.exit_code == 2 and REF.name in str(caught.value)


@pytest.mark.parametrize("kind, words", [("exec", "its timeout of 30 s"),
                                         ("container", "the container's deadline of 30 s")])
def test_a_timed_out_exec_says_whose_limit_it_was(tmp_path, kind, words):
    with pytest.raises(ContainerTimeout) as caught:
        judge(record(tmp_path, writable=(tmp_path,)), ExecOutcome(None, timed_out=True),
              result(-1), 30, kind, check=False)
    assert words in str(caught.value) and caught.value.kind == kind


def test_no_exit_status_is_a_container_timeout_once_the_deadline_passed(tmp_path):
    tracked = record(tmp_path, writable=(tmp_path,))
    with pytest.raises(ExecFailed, match="without an exit status"):
        judge(tracked, ExecOutcome(None), result(-1), None, "exec", check=False)
    tracked.deadline = time.monotonic() - 1
    with pytest.raises(ContainerTimeout, match="reached its deadline") as caught:
        judge(tracked, ExecOutcome(None), result(-1), None, "exec", check=False)
    assert caught.value.kind == "container"


def test_no_space_left_is_a_full_disk_even_when_space_is_back(tmp_path):
    tracked = record(tmp_path, writable=(tmp_path / "build", tmp_path))
    raise_if_full(tracked, ["make"])  # nothing is full: no error
    raise_if_full(tracked, ["make"], PermissionError(errno.EACCES, "denied"))
    with pytest.raises(DiskFull) as caught:
        raise_if_full(tracked, ["make"], OSError(errno.ENOSPC, "No space left on device"))
    assert str(tmp_path / "build") in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)
