"""The one command runner of buildroots and repo containers (buildroot/commands.py)."""

import pytest

from koji_adjutant.buildroot.commands import ContainerCommands
from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container import ExecResult
from koji_adjutant.container.errors import ExecFailed


class Uploads:
    def __init__(self):
        self.seen = []

    def upload_new_bytes(self, path):
        self.seen.append((path.name, path.read_text()))


class Manager:
    """exec: feeds ``output`` to the sink (a callable or the task log's sink)."""

    def __init__(self, output, status=0, fail_with=None):
        self.output, self.status, self.fail_with = output, status, fail_with
        self.calls = []

    def exec(self, container, argv, *, log=None, check=False, **kwargs):
        self.calls.append((argv, kwargs))
        for line in self.output:
            log(line)
            if hasattr(log, "tick"):
                log.tick()
        if self.fail_with is not None:
            raise self.fail_with
        return ExecResult("c1", tuple(argv), self.status, 0.5, len(self.output))


def test_a_named_log_gets_the_command_then_the_output_then_the_status(tmp_path):
    uploads = Uploads()
    logs = TaskLogs(tmp_path, uploads, interval=0)
    manager = Manager(["one", "two"])
    result = ContainerCommands(manager, logs).run(object(), ["rpm", "-qa"], log="root.log",
                                                  user="mockbuild", workdir="/builddir")
    assert result.ok
    assert logs.path("root.log").read_text() == (
        "+ rpm -qa (as mockbuild)\none\ntwo\n+ exit status 0 after 0.50 s\n")
    # the output reached the hub while the command ran, not only at the end
    assert ("root.log", "+ rpm -qa (as mockbuild)\none\n") in uploads.seen
    assert manager.calls[0][1]["user"] == "mockbuild"
    assert manager.calls[0][1]["workdir"] == "/builddir"


def test_a_callable_gets_the_lines_and_nothing_is_logged(tmp_path):
    logs = TaskLogs(tmp_path)
    lines = []
    ContainerCommands(Manager(["x-1.0-1.noarch"]), logs).run(object(), ["rpm", "-qa"],
                                                              log=lines.append)
    assert lines == ["x-1.0-1.noarch"]
    assert logs.names == []


def test_a_checked_failure_still_ends_its_log_with_the_status(tmp_path):
    logs = TaskLogs(tmp_path)
    error = ExecFailed("the command failed with exit status 3", exit_code=3)
    with pytest.raises(ExecFailed):
        ContainerCommands(Manager(["boom"], fail_with=error), logs).run(
            object(), ["false"], log="root.log", check=True)
    assert logs.path("root.log").read_text() == "+ false\nboom\n+ exit status 3\n"
