"""The command runners of buildroots, repo containers and the host (buildroot/commands.py)."""

import time

import pytest

from koji_adjutant.buildroot.commands import NOT_FOUND, ContainerCommands, HostCommands
from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container import ExecResult
from koji_adjutant.container.errors import ExecFailed
from koji_adjutant.errors import LogLimitExceeded


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


def test_a_host_command_is_logged_like_a_container_command(tmp_path):
    logs = TaskLogs(tmp_path / "logs")
    result = HostCommands(logs).run(["/bin/sh", "-c", "echo one; echo two >&2; exit 3"],
                                    log="createrepo.log", workdir=str(tmp_path))
    assert (result.exit_code, result.lines) == (3, 2)
    text = logs.path("createrepo.log").read_text()
    assert text.startswith("+ /bin/sh -c echo one; echo two >&2; exit 3\none\ntwo\n")
    assert "+ exit status 3 after" in text.splitlines()[-1]


def test_a_missing_host_tool_is_status_127_with_a_line_saying_so(tmp_path):
    logs = TaskLogs(tmp_path / "logs")
    result = HostCommands(logs).run(["no-such-createrepo"], log="createrepo.log")
    assert result.exit_code == NOT_FOUND
    assert "no-such-createrepo: command not found" in logs.path("createrepo.log").read_text()


def test_a_host_command_past_its_timeout_is_stopped_with_its_children(tmp_path):
    logs = TaskLogs(tmp_path / "logs")
    marker = tmp_path / "child-lived"
    script = f"(sleep 3; touch {marker}) & sleep 30"
    started = time.monotonic()
    with pytest.raises(ExecFailed, match="ran longer than its timeout of 1 s"):
        HostCommands(logs).run(["/bin/sh", "-c", script], log="createrepo.log", timeout=1)
    assert time.monotonic() - started < 10
    time.sleep(3.5)
    assert not marker.exists()  # the whole process group was killed


def test_host_output_past_log_limit_stops_the_command(tmp_path):
    logs = TaskLogs(tmp_path / "logs", limit=10_000)
    started = time.monotonic()
    with pytest.raises(LogLimitExceeded):
        HostCommands(logs).run(["/bin/sh", "-c", "while :; do echo Reading package; done"],
                               log="createrepo.log")
    assert time.monotonic() - started < 10
    assert logs.path("createrepo.log").stat().st_size < 11_000
