"""A hostile runroot request against the builder: host files, the task's logs, host root.

The requester holds the hub's runroot permission, and the command runs as root in
its container; still nothing it asks for or leaves behind may reach beyond the
mounts the site configured (ADR 0017):

* a symbolic link planted in a safe root cannot carry a mount out of its directory;
* ``upload_logs`` is read through the container, never from the host: a host path,
  or a link in a shared directory that leads to one, uploads nothing;
* an uploaded file cannot take the name of the task's own logs;
* the command's root is not the host's: what it writes on the host belongs to an
  unprivileged id, and a host directory the site did not open to it stays unwritten.
"""

import os

import koji
import pytest

from daemon_harness import containers_of_task
from runroot_site import COMPOSE, HOST, RunrootSite, submit, task_dir

pytestmark = pytest.mark.podman
SECRET = "host-secret-7f3a"


@pytest.fixture
def site(tmp_path, hub, rpm_factory, start_daemon):
    site = RunrootSite(tmp_path)
    site.secret_dir = tmp_path / "host-only"
    site.secret_dir.mkdir()
    site.secret = site.secret_dir / "token"
    site.secret.write_text(SECRET + "\n")
    site.start(hub, rpm_factory, start_daemon)
    return site


def failed_with(hub, task_id: int, error: type, match: str) -> None:
    info = hub.wait_task(task_id, timeout=300)
    assert koji.TASK_STATES[info["state"]] == "FAILED"
    with pytest.raises(error, match=match):
        hub.task_result(task_id)


def uploaded_text(hub, task_id: int) -> str:
    folder = task_dir(hub, task_id)
    if not folder.exists():
        return ""
    return "".join(p.read_text(errors="replace") for p in folder.iterdir() if p.is_file())


def test_a_planted_link_cannot_carry_a_mount_out_of_its_directory(hub, site):
    (site.compose / "escape").symlink_to(site.secret_dir)
    task_id = submit(hub, "cat /mnt/workdir/tmp/compose1/escape/token",
                     mounts=[f"{COMPOSE}/escape"])
    failed_with(hub, task_id, koji.GenericError,
                "^mount point is not safe: /mnt/workdir/tmp/compose1/escape \\(a symbolic link "
                "on the builder leads out of ")
    assert SECRET not in uploaded_text(hub, task_id)
    assert not containers_of_task(task_id, HOST, hub)


@pytest.mark.parametrize("how", ["host path", "link in the compose directory"])
def test_upload_logs_never_read_host_files(hub, site, how):
    if how == "host path":
        wanted = str(site.secret)
        command = "echo ok"
    else:
        wanted = f"{COMPOSE}/steal.log"
        # on the host the link leads to the secret; in the container to nothing
        command = f"ln -s {site.secret} {wanted}"
    task_id = submit(hub, command, mounts=[COMPOSE], upload_logs=[wanted])
    failed_with(hub, task_id, koji.GenericError, f"^upload_logs: {wanted}: ")
    assert SECRET not in uploaded_text(hub, task_id)


def test_an_upload_cannot_replace_the_tasks_own_logs(hub, site):
    # the text is put together by the shell: the command line in root.log does not hold it
    task_id = submit(hub, "echo FOR''GED > /tmp/root.log; echo done",
                     upload_logs=["/tmp/root.log"])
    failed_with(hub, task_id, koji.GenericError,
                "^upload_logs: /tmp/root.log: its name is the name of the task's own root.log$")
    assert "FORGED" not in (task_dir(hub, task_id) / "root.log").read_text()


def test_the_commands_root_is_not_the_hosts_root(hub, site):
    closed = site.workdir / "tmp" / "closed"
    closed.mkdir(mode=0o755)  # the host's root's, not opened to the container's ids
    command = (f"cp /bin/sh {COMPOSE}/rootsh && chmod 4755 {COMPOSE}/rootsh; "
               f"touch /mnt/workdir/tmp/closed/written || echo closed-refused")
    task_id = submit(hub, command, mounts=[COMPOSE, "/mnt/workdir/tmp/closed"])
    info = hub.wait_task(task_id, timeout=300)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", hub.task_result(task_id)
    assert "closed-refused" in (task_dir(hub, task_id) / "runroot.log").read_text()
    assert not (closed / "written").exists()
    shell = os.stat(site.compose / "rootsh")
    assert shell.st_uid >= 100000 and shell.st_uid != os.getuid()  # an id of its namespace
