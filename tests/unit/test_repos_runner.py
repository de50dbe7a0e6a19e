"""The repo task container's spec, logs and failure messages (koji_adjutant.repos.runner)."""

from pathlib import Path

import pytest

from koji_adjutant.container.idmap import IdMap
from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.container import ExecResult
from koji_adjutant.errors import TaskFailed
from koji_adjutant.errors import LogLimitExceeded
from koji_adjutant.repos.runner import RepoContainer, RepoContainerParams


def test_the_koji_volume_is_read_only_and_only_the_output_dir_writable(tmp_path):
    params = RepoContainerParams(image="img:1", task_id=42, method="createrepo",
                                 topdir="/mnt/koji", outdir=tmp_path / "out",
                                 read_only=("/srv/mirror",))
    spec = params.spec()
    mounts = {(str(m.source), m.target, m.read_only) for m in spec.mounts}
    assert mounts == {("/mnt/koji", "/mnt/koji", True),
                      (str(tmp_path / "out"), str(tmp_path / "out"), False),
                      ("/srv/mirror", "/srv/mirror", True)}
    assert spec.network == "none"
    assert spec.security.cap_drop == ("ALL",) and spec.security.cap_add == ()
    assert spec.environment["TMPDIR"] == str(tmp_path / "out" / "tmp")
    assert (spec.task.task_id, spec.task.method, spec.image) == (42, "createrepo", "img:1")


def test_network_only_when_asked():
    params = RepoContainerParams(image="i", task_id=1, method="createrepo", topdir="/k",
                                 outdir=Path("/w"), network="bridge")
    assert params.spec().network == "bridge"


class Recorder:
    def __init__(self):
        self.synced = []

    def upload_new_bytes(self, path):
        self.synced.append((path.name, path.read_text()))


class ScriptedManager:
    """exec: feeds ``output`` to the log sink and ends with ``status``."""

    def __init__(self, output, status):
        self.output, self.status = output, status

    def exec(self, container, argv, *, log=None, check=False, **_):
        for line in self.output:
            log(line)
        return ExecResult("c1", tuple(argv), self.status, 1.234, len(self.output))

    def id_map(self, container):
        return IdMap.identity()  # the host's own ids: chown to root, which we are


def scripted_box(tmp_path, output, status, limit=None) -> RepoContainer:
    params = RepoContainerParams(image="i", task_id=1, method="createrepo", topdir="/k",
                                 outdir=tmp_path / "out")
    params.outdir.mkdir()  # as __enter__ makes it
    box = RepoContainer(params, ScriptedManager(output, status),
                        TaskLogs(tmp_path / "logs", Recorder(), interval=0, limit=limit))
    box.container = object()  # as if entered
    return box


def test_a_command_log_ends_with_its_status_and_duration(tmp_path):
    box = scripted_box(tmp_path, ["Directory walk done"], 0)
    assert box.check(["createrepo_c", "."], "createrepo.log", "createrepo_c").ok
    assert box.logs.path("createrepo.log").read_text() == (
        "+ createrepo_c .\nDirectory walk done\n+ exit status 0 after 1.23 s\n")


def test_a_failure_names_the_error_lines_not_the_command_or_trailer(tmp_path):
    box = scripted_box(tmp_path, ["Reading metadata", "C_CREATEREPOLIB: Warning: read header",
                                  "Critical: cannot read bad.rpm"], 2)
    with pytest.raises(TaskFailed) as caught:
        box.check(["createrepo_c", "."], "createrepo.log", "createrepo_c")
    assert str(caught.value) == ("createrepo_c failed (exit status 2): Critical: cannot read "
                                 "bad.rpm (see createrepo.log)")


def test_a_failure_without_error_words_shows_the_last_output_lines(tmp_path):
    box = scripted_box(tmp_path, [f"line {n}" for n in range(8)], 1)
    with pytest.raises(TaskFailed) as caught:
        box.check(["mergerepo_c"], "mergerepos.log", "mergerepo_c")
    assert "line 3 | line 4 | line 5 | line 6 | line 7 (see mergerepos.log)" in str(caught.value)
    assert "exit status 1 after" not in str(caught.value)


def test_createrepo_output_counts_against_log_limit(tmp_path):
    box = scripted_box(tmp_path, [f"Reading package {n}" for n in range(1000)], 0, limit=2000)
    with pytest.raises(LogLimitExceeded, match="log_limit"):
        box.run(["createrepo_c", "-vd", "."], "createrepo.log")
    text = box.logs.path("createrepo.log").read_text()
    assert len(text) < 2300 and "the log was cut at" in text
