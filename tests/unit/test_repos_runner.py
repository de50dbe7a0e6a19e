"""The repo task container's spec and its log sink (koji_adjutant.repos.runner)."""

from pathlib import Path

from koji_adjutant.buildroot.logs import TaskLogs
from koji_adjutant.repos.runner import LogFileSink, RepoContainerParams


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


def test_log_file_sink_appends_lines_and_syncs_while_running(tmp_path):
    recorder = Recorder()
    logs = TaskLogs(tmp_path / "logs", recorder, interval=0)
    logs.command("createrepo.log", ["createrepo_c", "-vd"])
    with LogFileSink(logs, "createrepo.log", interval=0) as sink:
        sink("first line")
        assert ("createrepo.log", "+ createrepo_c -vd\nfirst line\n") in recorder.synced
        sink("second line")
    assert logs.path("createrepo.log").read_text() == \
        "+ createrepo_c -vd\nfirst line\nsecond line\n"
