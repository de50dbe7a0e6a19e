"""task_container's removal rules, with a recording fake manager (podman: integration tests)."""

from __future__ import annotations

import logging

import pytest

from koji_adjutant.container import ContainerError, ContainerRef, ContainerSpec, TaskIdentity
from koji_adjutant.container.scope import removal_after_result, task_container


class RecordingManager:
    """Only what task_container calls; remembers the order of calls."""

    def __init__(self, fail_removal_of: str | None = None):
        self.calls: list[tuple[str, str]] = []
        self.fail_removal_of = fail_removal_of
        self._count = 0

    def ensure_image(self, image, policy=None):
        return "sha256:0"

    def create(self, spec):
        self._count += 1
        ref = ContainerRef(f"id{self._count}", f"c{self._count}", {})
        self.calls.append(("create", ref.name))
        return ref

    def start(self, container):
        self.calls.append(("start", container.name))

    def remove(self, container):
        self.calls.append(("remove", container.name))
        if container.name == self.fail_removal_of:
            raise ContainerError("podman said no", container=container.name)


SPEC = ContainerSpec(image="img", task=TaskIdentity(7, "createrepo"))


def test_outside_the_block_success_removes_at_once():
    manager = RecordingManager()
    with task_container(manager, SPEC):
        pass
    assert manager.calls == [("create", "c1"), ("start", "c1"), ("remove", "c1")]


def test_inside_the_block_success_waits_for_the_end_of_the_block():
    manager = RecordingManager()
    with removal_after_result():
        with task_container(manager, SPEC):
            pass
        with task_container(manager, SPEC):
            pass
        manager.calls.append(("result", "sent"))
    assert manager.calls == [("create", "c1"), ("start", "c1"), ("create", "c2"),
                             ("start", "c2"), ("result", "sent"), ("remove", "c2"),
                             ("remove", "c1")]


def test_inside_the_block_an_error_removes_at_once():
    manager = RecordingManager()
    with removal_after_result():
        with pytest.raises(KeyError), task_container(manager, SPEC):
            raise KeyError("boom")
        manager.calls.append(("result", "sent"))
    assert manager.calls == [("create", "c1"), ("start", "c1"), ("remove", "c1"),
                             ("result", "sent")]


def test_a_failed_later_removal_is_logged_and_the_others_still_go(caplog):
    manager = RecordingManager(fail_removal_of="c2")
    with caplog.at_level(logging.WARNING, logger="koji.build.containers"):
        with removal_after_result():
            for _ in range(3):
                with task_container(manager, SPEC):
                    pass
    assert [c for c in manager.calls if c[0] == "remove"] == [
        ("remove", "c3"), ("remove", "c2"), ("remove", "c1")]
    assert "could not remove container c2 after the task" in caplog.text


def test_the_block_removes_its_containers_when_the_task_itself_raises():
    manager = RecordingManager()
    with pytest.raises(RuntimeError), removal_after_result():
        with task_container(manager, SPEC):
            pass
        raise RuntimeError("closeTask failed")
    assert manager.calls[-1] == ("remove", "c1")


def test_blocks_nest_and_the_outer_one_is_restored():
    manager = RecordingManager()
    with removal_after_result():
        with removal_after_result():
            with task_container(manager, SPEC):
                pass
        assert manager.calls[-1] == ("remove", "c1")
        with task_container(manager, SPEC):
            pass
        assert manager.calls[-1] == ("start", "c2")
    assert manager.calls[-1] == ("remove", "c2")
