"""A task's logs (koji_adjutant.buildroot.logs): buffered lines, uploads, the log_limit cut.

The sink is fed by the real ``LineStreamer`` of the exec layer where it matters,
so the error a cut raises is the one the exec layer sees; the hub is a small
session that keeps what ``incremental_upload`` sends it.
"""

import base64
import re

import pytest

from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.hub import HubLogUploader
from koji_adjutant.container.execution import LineStreamer
from koji_adjutant.errors import LogLimitExceeded, TaskFailed

CUT_MESSAGE = ("the task's logs exceeded log_limit (1 KiB); the build was stopped; "
               "see build.log")


class HubSession:
    """What the hub received through ``uploadFile``, per file name."""

    opts: dict = {}

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def uploadFile(self, path, name, size, digest, offset, data):  # noqa: N802 - koji's name
        received = self.files.get(name, b"")
        assert offset <= len(received)
        # as the hub does: an upload at offset 0 starts the file again
        self.files[name] = received[:offset] + base64.b64decode(data)
        return True


def logs_with_hub(tmp_path, limit=None, interval=0):
    hub = HubSession()
    return TaskLogs(tmp_path / "logs", HubLogUploader(hub, "tasks/1/1"), interval=interval,
                    limit=limit), hub


def total_size(logs):
    return sum(logs.path(name).stat().st_size for name in logs.names)


def test_lines_are_visible_after_a_tick_and_uploaded_at_a_sync(tmp_path):
    logs, hub = logs_with_hub(tmp_path, interval=3600)
    logs.sync()
    sink = logs.sink("build.log")
    logs.command("build.log", ["rpmbuild", "-bb", "x.spec"])
    sink("compiling")
    sink.tick()
    assert logs.path("build.log").read_text() == "+ rpmbuild -bb x.spec\ncompiling\n"
    assert "build.log" not in hub.files  # the interval has not passed
    sink("done")
    logs.sync()
    assert hub.files["build.log"] == b"+ rpmbuild -bb x.spec\ncompiling\ndone\n"


def test_a_rewritten_log_and_an_appended_one_keep_their_order(tmp_path):
    logs, hub = logs_with_hub(tmp_path)
    logs.write("mock_config.log", "image: x\n")
    logs.append("mock_config.log", "digest: y\n")
    logs.write("installed_pkgs.log", "a-1\n")
    logs.write("installed_pkgs.log", "a-1\nb-2\n")
    logs.sync()
    assert logs.path("mock_config.log").read_text() == "image: x\ndigest: y\n"
    assert hub.files["installed_pkgs.log"] == b"a-1\nb-2\n"


def test_output_past_the_limit_is_cut_with_one_line_and_raises(tmp_path):
    logs, hub = logs_with_hub(tmp_path, limit=1024)
    sink = logs.sink("build.log")
    with pytest.raises(LogLimitExceeded) as err:
        for n in range(10_000):
            sink(f"line {n:04d} " + "x" * 40)
    assert str(err.value) == CUT_MESSAGE
    assert isinstance(err.value, TaskFailed)  # the task fails with that message
    text = logs.path("build.log").read_text()
    kept, cut = text.splitlines()[:-1], text.splitlines()[-1]
    assert kept == [f"line {n:04d} " + "x" * 40 for n in range(len(kept))]
    assert len(text) - len(cut) - 1 <= 1024 < len(text) - len(cut) - 1 + 51
    assert cut == (f"koji-adjutant: the log was cut at {len(text) - len(cut) - 1} bytes: the "
                   "task's logs reached log_limit (1 KiB); the command was stopped")
    logs.sync()
    assert hub.files["build.log"] == text.encode()


def test_the_limit_is_for_all_logs_of_the_task_together(tmp_path):
    logs, _ = logs_with_hub(tmp_path, limit=1024)
    logs.write("installed_pkgs.log", "p" * 300 + "\n")
    root = logs.sink("root.log")
    for _ in range(10):
        root("r" * 49)  # 500 bytes
    with pytest.raises(LogLimitExceeded, match=r"the command writing root.log was stopped; "
                                               r"see root.log$"):
        for _ in range(10):
            root("r" * 49)
    assert total_size(logs) <= 1024 + 200
    with pytest.raises(LogLimitExceeded, match="see root.log"):  # cut for good
        logs.sink("build.log")("one more line")
    assert not logs.path("build.log").exists()


def test_the_daemon_still_writes_its_own_lines_after_the_cut(tmp_path):
    logs, hub = logs_with_hub(tmp_path, limit=100)
    with pytest.raises(LogLimitExceeded), logs.phase("build"):
        logs.sink("build.log")("y" * 200)
    logs.sync()
    start, failed = hub.files["state.log"].decode().splitlines()
    assert start.endswith(" Start: build") and re.search(r" Failed: build \([0-9.]+ s\)$", failed)
    assert hub.files["build.log"].decode() == (f"koji-adjutant: the log was cut at "
                                               f"{len(start) + 1} bytes: the task's logs "
                                               "reached log_limit (100 bytes); the command "
                                               "was stopped\n")


def test_invalid_utf8_counts_as_the_bytes_written(tmp_path):
    logs, _ = logs_with_hub(tmp_path, limit=4096)
    raw = tmp_path / "raw"
    raw.write_bytes((b"\xff" * 1000 + b"\n") * 20)  # each invalid byte becomes 3 bytes
    with pytest.raises(LogLimitExceeded):
        LineStreamer(raw, logs.sink("build.log")).finish()
    assert total_size(logs) <= 4096 + 200


def test_the_exec_streamer_stops_at_the_first_line_over_the_limit(tmp_path):
    raw = tmp_path / "raw"
    raw.write_bytes(b"y\n" * 1_000_000)  # what `yes` prints in a blink
    logs, hub = logs_with_hub(tmp_path, limit=64 << 10, interval=1)
    streamer = LineStreamer(raw, logs.sink("build.log"))
    with pytest.raises(LogLimitExceeded):
        streamer.pump()
    assert streamer.lines == 0  # raised inside the first chunk: nothing more was read
    logs.sync()
    assert (64 << 10) <= len(hub.files["build.log"]) <= (64 << 10) + 200
    assert hub.files["build.log"].startswith(b"y\n" * 1000)


def test_without_a_limit_nothing_is_cut(tmp_path):
    logs, _ = logs_with_hub(tmp_path)
    sink = logs.sink("build.log")
    for _ in range(1000):
        sink("z" * 999)
    sink.tick()
    assert logs.path("build.log").stat().st_size == 1000 * 1000


def test_a_block_of_lines_keeps_the_lines_that_fit(tmp_path):
    logs = TaskLogs(tmp_path / "logs", limit=100)
    with pytest.raises(LogLimitExceeded):
        logs.sink("build.log").write(b"0123456789\n" * 20)
    lines = logs.path("build.log").read_text().splitlines()
    assert lines[:-1] == ["0123456789"] * 9
    assert lines[-1].startswith("koji-adjutant: the log was cut at 99 bytes: ")


def test_output_is_kept_valid_utf8(tmp_path):
    logs = TaskLogs(tmp_path / "logs")
    sink = logs.sink("build.log")
    sink.write(b"caf\xc3\xa9 \xff\xfe\n")
    sink("déjà vu")
    sink.tick()
    assert logs.path("build.log").read_text(encoding="utf-8") == "café \ufffd\ufffd\ndéjà vu\n"
