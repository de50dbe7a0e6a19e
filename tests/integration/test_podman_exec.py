"""exec against a real podman: runs once, true exit codes, streaming, timeouts."""

from __future__ import annotations

import time
import uuid

import pytest

from koji_adjutant.container import ContainerTimeout, DiskFull, ExecFailed, Mount, Timeouts
from koji_adjutant.container.payload import DEADLINE_GRACE
from tmpfs import mounted_tmpfs

pytestmark = pytest.mark.podman


def processes_with(manager, container, marker: str) -> list[str]:
    """Command lines of the processes in ``container`` that mention ``marker``."""
    lines: list[str] = []
    script = 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done'
    manager.exec(container, ["sh", "-c", script], log=lines.append)
    return [line for line in lines if marker in line and "/proc/" not in line]


def test_a_command_runs_exactly_once(podman_manager, shared_container, shared_task_dir):
    name = f"count-{uuid.uuid4().hex}"
    result = podman_manager.exec(shared_container, ["sh", "-c", f"echo run >> /task/{name}"])
    assert result.exit_code == 0
    assert (shared_task_dir / name).read_text() == "run\n"


@pytest.mark.parametrize("status", [0, 1, 42])
def test_exec_returns_the_true_exit_code(podman_manager, shared_container, status):
    lines: list[str] = []
    result = podman_manager.exec(shared_container,
                                 ["sh", "-c", f"echo out; echo err >&2; exit {status}"],
                                 log=lines.append)
    assert result.exit_code == status
    assert result.ok is (status == 0)
    assert lines == ["out", "err"]
    assert result.argv == ("sh", "-c", f"echo out; echo err >&2; exit {status}")


def test_all_output_arrives_in_order_while_the_command_runs(podman_manager, shared_container,
                                                            shared_task_dir):
    # The command cannot end before the sink has seen its last line: the sink
    # creates the file the command waits for, so the lines arrive while it runs.
    gate = f"gate-{uuid.uuid4().hex}"
    lines: list[str] = []

    def sink(line: str) -> None:
        lines.append(line)
        if line == "100000":
            (shared_task_dir / gate).touch()

    script = f"seq 1 100000; while [ ! -e /task/{gate} ]; do sleep 0.02; done; echo finished"
    result = podman_manager.exec(shared_container, ["sh", "-c", script], log=sink, timeout=60)
    assert result.exit_code == 0
    assert lines == [str(n) for n in range(1, 100001)] + ["finished"]
    assert result.lines == 100001


def test_a_binary_file_sink_gets_the_raw_lines(podman_manager, shared_container, tmp_path):
    log_path = tmp_path / "build.log"
    with open(log_path, "wb") as log:
        podman_manager.exec(shared_container, ["printf", "a\\nb\\303\\251\\nlast"], log=log)
    assert log_path.read_bytes() == "a\nbé\nlast\n".encode()


def test_user_workdir_and_environment(podman_manager, shared_container):
    lines: list[str] = []
    podman_manager.exec(shared_container, ["sh", "-c", 'id -u; pwd; echo "$GREETING"'],
                        user="nobody", workdir="/tmp", env={"GREETING": "hello there"},
                        log=lines.append)
    assert lines == ["65534", "/tmp", "hello there"]


def test_a_missing_command_gives_127(podman_manager, shared_container):
    lines: list[str] = []
    result = podman_manager.exec(shared_container, ["no-such-command-here"], log=lines.append)
    assert result.exit_code == 127
    assert any("not found" in line for line in lines)


def test_check_raises_exec_failed_naming_container_and_command(podman_manager,
                                                              shared_container):
    with pytest.raises(ExecFailed) as caught:
        podman_manager.exec(shared_container, ["sh", "-c", "exit 3"], check=True)
    assert caught.value.exit_code == 3
    message = str(caught.value)
    assert shared_container.name in message and "exit 3" in message
    assert "exit status 3" in message and "see its log" in message


def test_a_command_exceeding_its_timeout_is_stopped(podman_manager, shared_container):
    lines: list[str] = []
    began = time.monotonic()
    with pytest.raises(ContainerTimeout) as caught:
        podman_manager.exec(shared_container, ["sh", "-c", "echo started; sleep 30 0.4242"],
                            timeout=1, log=lines.append)
    assert time.monotonic() - began < 5
    assert caught.value.kind == "exec" and caught.value.timeout == 1
    assert "timeout" in str(caught.value) and shared_container.name in str(caught.value)
    assert lines == ["started"]
    assert processes_with(podman_manager, shared_container, "0.4242") == []


def test_a_command_ignoring_sigterm_is_killed(podman_manager, shared_container):
    script = "trap '' TERM; sleep 30 0.4343; sleep 30 0.4343"
    with pytest.raises(ContainerTimeout):
        podman_manager.exec(shared_container, ["sh", "-c", script], timeout=0.5)
    assert processes_with(podman_manager, shared_container, "0.4343") == []


def test_a_command_forking_while_it_is_killed_leaves_nothing(podman_manager, shared_container):
    # children started after the daemon listed the command's processes die with it too
    script = "trap '' TERM; while :; do sleep 30 0.4646 & sleep 0.005; done"
    with pytest.raises(ContainerTimeout):
        podman_manager.exec(shared_container, ["sh", "-c", script], timeout=0.5)
    assert processes_with(podman_manager, shared_container, "0.4646") == []


def test_a_failing_sink_stops_the_command(podman_manager, shared_container):
    def sink(line: str) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        podman_manager.exec(shared_container, ["sh", "-c", "echo one; sleep 30 0.4444"],
                            log=sink, timeout=20)
    assert processes_with(podman_manager, shared_container, "0.4444") == []


def test_the_container_deadline_stops_a_command(podman_manager, running, make_spec):
    container = running(make_spec(timeouts=Timeouts(container=2)))
    assert podman_manager.inspect(container)["Config"]["Timeout"] == 2 + DEADLINE_GRACE
    began = time.monotonic()
    with pytest.raises(ContainerTimeout) as caught:
        podman_manager.exec(container, ["sleep", "30"], timeout=60)
    assert caught.value.kind == "container"
    assert time.monotonic() - began < 6
    assert "deadline" in str(caught.value)


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 4 MiB tmpfs on the host."""
    with mounted_tmpfs(tmp_path / "tiny", "4m") as path:
        yield path


def test_a_command_failing_on_a_full_mount_is_a_disk_full_error(podman_manager, running,
                                                                 make_spec, tiny_tmpfs):
    container = running(make_spec(mounts=(Mount(tiny_tmpfs, "/task", hand_over=True),)))
    lines: list[str] = []
    with pytest.raises(DiskFull) as caught:
        podman_manager.exec(container, ["dd", "if=/dev/zero", "of=/task/hog", "bs=1M",
                                        "count=16"], log=lines.append)
    text = str(caught.value)
    assert text.startswith(f"the disk is full: no space left for {tiny_tmpfs} (0 KiB free)")
    assert "command: dd if=/dev/zero of=/task/hog" in text
    assert any("No space left on device" in line for line in lines)
    # with room again, the same container runs commands as before
    (tiny_tmpfs / "hog").unlink()
    assert podman_manager.exec(container, ["dd", "if=/dev/zero", "of=/task/small", "bs=1K",
                                           "count=1"]).exit_code == 0


def test_a_failing_command_with_room_left_is_not_a_disk_full_error(podman_manager, running,
                                                                   make_spec, tiny_tmpfs):
    container = running(make_spec(mounts=(Mount(tiny_tmpfs, "/task", hand_over=True),)))
    result = podman_manager.exec(container, ["sh", "-c", "exit 3"])
    assert result.exit_code == 3
    with pytest.raises(ExecFailed) as caught:
        podman_manager.exec(container, ["sh", "-c", "exit 3"], check=True)
    assert not isinstance(caught.value, DiskFull)
