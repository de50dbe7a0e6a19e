"""Task processes journal their container operations for the main process's metrics."""

import pytest

from koji_adjutant.container.journal import JournalingManager, journal_path, read_new


class Manager:
    def create(self, spec):
        return "ref"

    def exec(self, ref, argv):
        if argv == ["false"]:
            raise RuntimeError("failed")
        return 0

    host_label = "builder1@hub"


def test_calls_and_failures_are_journalled_and_read_once(tmp_path):
    path = journal_path(str(tmp_path), 42)
    manager = JournalingManager(Manager(), path)
    assert manager.create("spec") == "ref"
    assert manager.exec("ref", ["true"]) == 0
    with pytest.raises(RuntimeError):
        manager.exec("ref", ["false"])
    assert manager.host_label == "builder1@hub"  # attributes pass through uncounted
    calls, failures, offset = read_new(path, 0)
    assert calls == {"create": 1, "exec": 2} and failures == {"exec": 1}
    manager.exec("ref", ["true"])
    more, _, _ = read_new(path, offset, final=True)
    assert more == {"exec": 1}
    assert not path.exists()


def test_a_partial_last_line_waits_for_the_next_read(tmp_path):
    path = journal_path(str(tmp_path), 7)
    path.parent.mkdir(parents=True)
    path.write_text("create ok\nexe")
    calls, _, offset = read_new(path, 0)
    assert calls == {"create": 1} and offset == len("create ok\n")
    with open(path, "a") as f:
        f.write("c ok\n")
    assert read_new(path, offset)[0] == {"exec": 1}
