"""The README's troubleshooting quotes the messages the code really prints, word for word.

Each message is made by the code that prints it, with the README's example values, and
looked up in the README with line breaks and markup folded away.
"""

import errno
import logging
import signal
import time
from pathlib import Path

import koji
import pytest
import requests

from koji_adjutant.container.podman_api import PodmanApi
from koji_adjutant.daemon import loop, taskproc
from koji_adjutant.hub import outage
from koji_adjutant.local import cli as local_cli
from koji_adjutant.local.sources import BadSource, classify

README = Path(__file__).resolve().parents[2] / "README.md"
HUB = "https://koji.example.com/kojihub"


def folded(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def assert_quoted(message: str) -> None:
    assert folded(message) in folded(README.read_text()), message


def refused() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='koji.example.com', port=443): Max retries exceeded "
        "(Caused by NewConnectionError('...: [Errno 111] Connection refused'))")


def test_the_hub_outage_messages(caplog):
    caplog.set_level(logging.WARNING, logger="koji.build")
    outage.HubOutage(HUB).failed(refused())
    assert_quoted(caplog.records[0].getMessage())
    assert_quoted(loop.left_with_the_hub(HUB, [12]))


def test_the_task_process_messages(caplog):
    caplog.set_level(logging.WARNING, logger="koji.TaskManager")

    def cancelled():
        raise koji.ActionNotAllowed("host 1 does not own task 66")
    with pytest.raises(taskproc.TaskAbandoned):
        taskproc.stopping_when_disowned(cancelled, 66)()
    assert_quoted(caplog.records[0].getMessage())
    # the watch SIGTERMs this (main) thread: catch it here instead of ending pytest
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        # pid -1 is nobody's parent: the watch finds the main process gone at once
        taskproc.watch_main_process(-1, 66, interval=0.01).join(5)
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == [signal.SIGTERM]
    assert_quoted(caplog.records[1].getMessage().replace("(pid -1)", "(pid 4242)"))


def test_the_podman_socket_message(monkeypatch):
    monkeypatch.setattr("os.getuid", lambda: 1000)
    api = PodmanApi("unix:///run/podman/podman.sock")
    try:
        denied = requests.exceptions.ConnectionError(PermissionError(errno.EACCES,
                                                                     "Permission denied"))
        assert_quoted(str(api.unavailable("GET /_ping", denied)))
        missing = requests.exceptions.ConnectionError(FileNotFoundError(
            errno.ENOENT, "No such file or directory"))
        assert_quoted(f"kojid: {api.unavailable('GET /_ping', missing)}")
    finally:
        api.close()


def test_the_local_build_messages(monkeypatch):
    monkeypatch.setattr(local_cli, "host_arch", lambda: "x86_64")
    with pytest.raises(BadSource) as bad_arch:
        local_cli.check_arch("bogus")
    assert_quoted(f"koji-adjutant: error: {bad_arch.value}")
    with pytest.raises(BadSource) as no_ref:
        classify("git+https://git.example.com/hello.git")
    assert_quoted(f"koji-adjutant: error: {no_ref.value}")
