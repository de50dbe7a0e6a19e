"""The host-side parts of exec: the wrapper, line streaming, status files, process trees.

The wrapper script is run with the host's /bin/sh here, exactly as podman runs
it in a container; paths are those of a temporary control directory.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from koji_adjutant.container.execution import (
    CONTROL_TARGET,
    MAX_LINE,
    STATUS_MAX,
    WRAPPER_SCRIPT,
    ExecFiles,
    LineStreamer,
    MalformedStatus,
    wait_for_exit,
)
from koji_adjutant.container.proctree import HostProcess, stop_tree


def run_wrapped(files: ExecFiles, argv: list[str]) -> subprocess.Popen:
    wrapped = files.wrapped(argv)
    assert wrapped[:3] == ["/bin/sh", "-c", WRAPPER_SCRIPT]
    host_args = [arg.replace(CONTROL_TARGET, str(files.host_dir)) for arg in wrapped[4:6]]
    return subprocess.Popen([*wrapped[:4], *host_args, *wrapped[6:]])


def test_wrapper_records_output_and_status_without_reparsing_arguments(tmp_path):
    files = ExecFiles.create(tmp_path)
    lines: list[str] = []
    streamer = LineStreamer(files.host_log, lines.append)
    proc = run_wrapped(files, ["sh", "-c", 'printf "%s\\n" "$@"; echo oops >&2; exit 7',
                               "x", "a b", "$(reboot)", "*"])
    outcome = wait_for_exit(files, streamer, HostProcess.find(proc.pid) or
                            HostProcess.gone(proc.pid), time.monotonic() + 10)
    streamer.finish()
    proc.wait()
    assert outcome.exit_code == 7 and not outcome.timed_out
    assert lines == ["a b", "$(reboot)", "*", "oops"] and streamer.lines == 4
    files.remove()
    assert list(tmp_path.iterdir()) == []


def test_exec_files_belong_to_the_containers_root_alone(tmp_path):
    files = ExecFiles.create(tmp_path, (1000000, 1000000))
    for path in (files.host_log, files.host_status):
        info = path.stat()
        assert info.st_mode & 0o777 == 0o600
        assert (info.st_uid, info.st_gid) == (1000000, 1000000)
    assert files.exit_status() is None
    files.host_status.write_text("12")
    assert files.exit_status() is None  # incomplete until the newline
    files.host_status.write_text("12\n")
    assert files.exit_status() == 12


@pytest.mark.parametrize("content", [b"0" * 40 + b"\n", b"9" * 400, b"256\n", b"-1\n",
                                     b"x\n", b"\n", b"1 2\n"])
def test_a_status_that_is_no_exit_status_is_refused(tmp_path, content):
    files = ExecFiles.create(tmp_path)
    files.host_status.write_bytes(content)
    with pytest.raises(MalformedStatus):
        files.exit_status()


def test_a_huge_status_file_is_read_only_as_far_as_the_bound(tmp_path, monkeypatch):
    files = ExecFiles.create(tmp_path)
    with open(files.host_status, "wb") as out:
        out.truncate(1 << 30)  # 1 GiB, sparse
    sizes: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: sizes.append(n) or real_read(fd, n))
    with pytest.raises(MalformedStatus):
        files.exit_status()
    assert sizes and max(sizes) <= STATUS_MAX + 1


def test_a_line_without_end_is_delivered_in_bounded_pieces(tmp_path):
    log = tmp_path / "log"
    log.write_bytes(b"x" * (3 * MAX_LINE + 5))
    pieces: list[str] = []
    streamer = LineStreamer(log, pieces.append)
    streamer.pump()
    assert [len(p) for p in pieces] == [MAX_LINE] * 3
    streamer.finish()
    assert len(pieces[-1]) == 5


def test_streamer_keeps_partial_lines_until_complete(tmp_path):
    log = tmp_path / "log"
    log.write_bytes(b"")
    received: list[str] = []
    streamer = LineStreamer(log, received.append)
    with open(log, "ab") as out:
        out.write(b"one\ntw")
        out.flush()
        assert streamer.pump() and received == ["one"]
        out.write(b"o\n\xff\nend")
        out.flush()
        streamer.pump()
    streamer.finish()
    assert received == ["one", "two", "\ufffd", "end"]


def test_wait_times_out_and_stop_tree_kills_even_term_ignoring_children(tmp_path):
    files = ExecFiles.create(tmp_path)
    streamer = LineStreamer(files.host_log, None)
    proc = run_wrapped(files, ["sh", "-c", "trap '' TERM; sleep 60 & sleep 60; wait"])
    root = HostProcess.find(proc.pid)
    assert root is not None
    time.sleep(0.2)
    tree = root.tree()
    assert len(tree) >= 3
    outcome = wait_for_exit(files, streamer, root, time.monotonic() + 0.3)
    assert outcome.timed_out and outcome.exit_code is None
    began = time.monotonic()
    stop_tree(root, grace=0.5)
    proc.wait(timeout=5)
    streamer.finish()
    assert time.monotonic() - began < 3
    for _ in range(50):  # orphans are reaped by whoever adopted them
        if not any(p.alive() for p in tree):
            break
        time.sleep(0.05)
    assert not any(p.alive() for p in tree)


def test_a_recycled_pid_is_not_the_same_process():
    proc = subprocess.Popen(["sleep", "5"])
    found = HostProcess.find(proc.pid)
    assert found is not None and found.alive()
    assert not HostProcess(proc.pid, found.start_time + 1).alive()
    assert not HostProcess.gone(proc.pid).alive()
    proc.kill()
    proc.wait()
    assert not found.alive()


@pytest.mark.parametrize("sink_kind", ["callable", "file"])
def test_sinks(tmp_path, sink_kind):
    log = tmp_path / "log"
    log.write_bytes("é\nx\n".encode())
    if sink_kind == "callable":
        got: list[str] = []
        streamer = LineStreamer(log, got.append)
        streamer.finish()
        assert got == ["é", "x"]
    else:
        with open(tmp_path / "copy", "wb") as out:
            streamer = LineStreamer(log, out)
            streamer.finish()
        assert (tmp_path / "copy").read_bytes() == "é\nx\n".encode()
