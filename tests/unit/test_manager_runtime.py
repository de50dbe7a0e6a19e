"""The task manager and a container runtime that stops answering (daemon/manager.py).

The manager runs against the hub simulator over XML-RPC as a logged-in host; the
runtime is a stand-in whose answer each test sets.
"""

import logging
import types

import koji.tasks
import pytest

from koji_adjutant.container.errors import RuntimeUnavailable
from koji_adjutant.daemon.manager import AdjutantTaskManager, refusing_on_runtime_loss


class Runtime:
    def __init__(self):
        self.problem: str | None = None
        self.swept: list[set] = []

    def check(self):
        return self.problem

    def sweep_unheld(self, held):
        self.swept.append(set(held))
        return 2


@pytest.fixture
def manager(hub, tmp_path):
    hub.add_host("builder1")
    runtime = Runtime()
    options = types.SimpleNamespace(maxjobs=5, minspace=1, workdir=str(tmp_path),
                                    mockdir=str(tmp_path / "no-mock"))
    tm = AdjutantTaskManager(options, hub.host_session("builder1"),
                             runtime_check=runtime.check, orphan_sweeper=runtime.sweep_unheld)
    return tm, runtime


def test_not_ready_while_the_runtime_does_not_answer_and_one_warning(manager, caplog):
    tm, runtime = manager
    caplog.set_level(logging.INFO, logger="koji.TaskManager")
    assert tm.readyForTask() is True
    runtime.problem = "the podman API service at unix:///x.sock did not answer GET /_ping"
    assert tm.readyForTask() is False
    assert tm.readyForTask() is False
    assert tm.status == ("container runtime unavailable: the podman API service at "
                         "unix:///x.sock did not answer GET /_ping")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["not taking tasks while the container runtime does not answer: "
                        "the podman API service at unix:///x.sock did not answer GET /_ping"]
    assert runtime.swept == []


def test_when_it_answers_again_the_containers_of_ended_tasks_go(manager, caplog):
    tm, runtime = manager
    caplog.set_level(logging.INFO, logger="koji.TaskManager")
    runtime.problem = "gone"
    assert tm.readyForTask() is False
    tm.tasks = {41: {"id": 41}}
    runtime.problem = None
    assert tm.readyForTask() is True
    assert runtime.swept == [{41}]
    assert "the container runtime answers again: taking tasks" in caplog.text
    assert "removed 2 container(s) of ended tasks" in caplog.text
    assert tm.readyForTask() is True
    assert runtime.swept == [{41}]  # once per outage


def test_losing_the_runtime_in_a_task_refuses_it_and_other_errors_pass():
    def lost():
        raise RuntimeUnavailable("the podman API service at unix:///x.sock did not answer "
                                 "POST /exec", hint="start it")

    with pytest.raises(koji.tasks.RefuseTask) as refused:
        refusing_on_runtime_loss(lost)()
    assert str(refused.value) == ("the container runtime on this builder does not answer: "
                                  "the podman API service at unix:///x.sock did not answer "
                                  "POST /exec")

    def broken():
        raise koji.BuildError("spec has no %build")

    with pytest.raises(koji.BuildError):
        refusing_on_runtime_loss(broken)()
    assert refusing_on_runtime_loss(lambda: "done")() == "done"
