"""Start-up of the daemon: login methods, the exclusive lock, and clear start-up errors."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import koji

from daemon_harness import (containers_of_task, host_ready, pid_alive, task_state, wait_for,
                            write_conf)
from kdc import REALM
from unprivileged import NOBODY_UID, run_as_nobody


def run_kojid(conf, *args, timeout=60):
    """Run kojid in the foreground to completion; return (exit code, output)."""
    proc = subprocess.run([sys.executable, "-m", "koji_adjutant.daemon.cli", "--fg", "-c",
                           str(conf), *args], capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def test_login_with_the_host_keytab(hub_krb, kdc, start_daemon, tmp_path):
    """kojid's third way in: no certificate, no password, the host principal's keytab."""
    principal = f"compile/builder1.test@{REALM}"
    hub_krb.add_host("builder1", krb_principal=principal)
    daemon = start_daemon(hub_krb, "builder1", user=None, password=None,
                          serverca=hub_krb.ca_cert, krb_principal=principal,
                          keytab=kdc.keytab("compile/builder1.test"),
                          ccache=tmp_path / "kojid.ccache")
    assert f"with Kerberos principal {principal}" in daemon.log()
    task_id = hub_krb.make_task("adjutantProbe", ["echo", "with kerberos"])
    assert hub_krb.wait_task(task_id, timeout=30)["state"] == koji.TASK_STATES["CLOSED"]
    assert hub_krb.task_result(task_id)["value"] == "with kerberos"
    user_id = hub_krb.session().getUser("builder1")["id"]
    with hub_krb.state.lock:
        held = [sess.authtype for sess in hub_krb.state.sessions.values()
                if sess.user_id == user_id and sess.exclusive]
    assert held == [koji.AUTHTYPES["GSSAPI"]]


def test_a_principal_the_hub_does_not_know_is_one_clear_error(hub_krb, kdc, start_daemon,
                                                              tmp_path):
    hub_krb.add_host("builder1", krb_principal=f"compile/builder1.test@{REALM}")
    stranger = f"compile/stranger.test@{REALM}"
    daemon = start_daemon(hub_krb, "builder1", wait_ready=False, user=None, password=None,
                          serverca=hub_krb.ca_cert, krb_principal=stranger,
                          keytab=kdc.keytab("compile/stranger.test"),
                          ccache=tmp_path / "kojid.ccache")
    assert daemon.wait(60) == 1
    errors = [line for line in daemon.log().splitlines() if line.startswith("kojid:")]
    assert len(errors) == 1 and "unable to obtain a session" in errors[0], daemon.log()
    assert "Traceback" not in daemon.log()


def test_a_missing_keytab_is_named(hub_krb, start_daemon, tmp_path):
    principal = f"compile/builder1.test@{REALM}"
    hub_krb.add_host("builder1", krb_principal=principal)
    daemon = start_daemon(hub_krb, "builder1", wait_ready=False, user=None, password=None,
                          serverca=hub_krb.ca_cert, krb_principal=principal,
                          keytab=tmp_path / "nope.keytab", ccache=tmp_path / "kojid.ccache")
    assert daemon.wait(60) == 1
    errors = [line for line in daemon.log().splitlines() if line.startswith("kojid:")]
    assert errors == [f"kojid: keytab {tmp_path / 'nope.keytab'} does not exist (and there is "
                      f"no ccache {tmp_path / 'kojid.ccache'}): create it for {principal} or "
                      "set keytab, or set cert or user and password in kojid.conf"]


def test_login_by_client_certificate(hub_tls, start_daemon):
    hub_tls.add_host("builder1")
    daemon = start_daemon(hub_tls, "builder1", user=None, password=None,
                          cert=hub_tls.client_cert("builder1"), serverca=hub_tls.ca_cert)
    assert "logged in to https://" in daemon.log()
    task_id = hub_tls.make_task("adjutantProbe", ["echo", "over tls"])
    assert hub_tls.wait_task(task_id, timeout=30)["state"] == koji.TASK_STATES["CLOSED"]
    assert hub_tls.task_result(task_id)["value"] == "over tls"


def test_exclusive_session_is_refused_without_force_lock(hub, start_daemon, tmp_path):
    hub.add_host("builder1", password="builder1")
    holder = hub.host_session("builder1", force=False)
    daemon = start_daemon(hub, "builder1", wait_ready=False)
    assert daemon.wait(60) == 1
    assert "Unable to get lock. Trying using --force-lock" in daemon.log()
    assert "Traceback" not in daemon.log()
    assert holder.echo("still mine") == ["still mine"]

    forced = start_daemon(hub, "builder1", args=["--force-lock"])
    assert forced.proc.poll() is None
    try:
        holder.echo("gone")
    except koji.AuthError as exc:
        assert "Invalid session" in str(exc) or "locked" in str(exc)
    else:
        raise AssertionError("the old session survived --force-lock")


def test_skip_main_logs_in_and_exits(hub, start_daemon):
    hub.add_host("builder1", password="builder1")
    daemon = start_daemon(hub, "builder1", args=["--skip-main"], wait_ready=False)
    assert daemon.wait(60) == 0, daemon.log()
    assert "started as host builder1" in daemon.log()


def test_dead_podman_socket_is_one_clear_error(hub, start_daemon, tmp_path):
    hub.add_host("builder1", password="builder1")
    daemon = start_daemon(hub, "builder1", wait_ready=False,
                          adjutant={"podman_url": f"unix://{tmp_path}/no-such.sock"})
    assert daemon.wait(60) == 69
    errors = [line for line in daemon.log().splitlines() if line.startswith("kojid:")]
    assert len(errors) == 1 and "podman" in errors[0], daemon.log()
    assert "Traceback" not in daemon.log()


def test_a_user_the_podman_socket_refuses_is_told_so(hub):
    """kojid run by a user who may not open the (running) shared podman service's socket."""
    hub.add_host("builder1", password="builder1")
    home = Path(tempfile.mkdtemp(prefix="kojid-nobody-", dir="/tmp"))
    try:
        home.chmod(0o755)
        work = home / "work"
        work.mkdir()
        os.chown(work, NOBODY_UID, NOBODY_UID)
        conf = write_conf(home / "kojid.conf", hub, "builder1", {"workdir": work},
                          {"podman_url": "unix:///run/podman/podman.sock"})
        proc = run_as_nobody("koji_adjutant.daemon.cli", "--fg", "-c", str(conf))
    finally:
        shutil.rmtree(home)
    assert proc.returncode == 69, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "podman" in line]
    assert errors == [
        "kojid: permission denied on the podman API socket /run/podman/podman.sock: uid "
        "65534 may not open it: run this as root (or as a user the socket's permissions let "
        "in), or use your own podman service: systemctl --user enable --now podman.socket "
        "and set [adjutant] podman_url (or KOJI_ADJUTANT_PODMAN_URL) to "
        "unix:///run/user/65534/podman/podman.sock"], proc.stderr


def test_user_that_is_not_a_host_cannot_start(hub, start_daemon):
    hub.add_user("alice", password="alice")
    daemon = start_daemon(hub, "alice", wait_ready=False)
    assert daemon.wait(60) == 1
    assert "not a builder host" in daemon.log() or "not a host" in daemon.log()
    assert "Traceback" not in daemon.log()


def test_bad_configuration_and_command_line_exit_codes(hub, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(f"[kojid]\nserver = {hub.url}\ntopurl = {hub.topurl}\nmaxjobs = many\n")
    code, out = run_kojid(conf)
    assert code == 78
    assert str(conf) in out and "maxjobs" in out
    assert out.count("maxjobs") == 1, out  # printed once, not by logging's last resort too
    code, out = run_kojid(conf, "positional")
    assert code == 2


def test_unwritable_workdir_is_a_start_up_error(hub, start_daemon, tmp_path):
    hub.add_host("builder1", password="builder1")
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    daemon = start_daemon(hub, "builder1", wait_ready=False, workdir=blocker / "work")
    assert daemon.wait(60) == 73
    assert "workdir" in daemon.log() and "Traceback" not in daemon.log()


def test_restart_after_sigkill_frees_stale_task_and_sweeps_its_container(
        hub, start_daemon, probe_dir):
    hub.add_host("builder1", password="builder1")
    first = start_daemon(hub, "builder1")
    task_id = hub.make_task("adjutantProbe", ["container", 600])
    marker = probe_dir / f"{task_id}.container"
    wait_for(marker.exists, timeout=60, what="the probe's container")
    task_pid = int(marker.read_text())
    # systemd's KillMode=control-group: the daemon and its task processes die together
    subprocess.run(["pkill", "-KILL", "-s", str(first.proc.pid)], check=False)
    first.proc.wait(10)
    wait_for(lambda: not pid_alive(task_pid), timeout=10, what="the task process to die")
    assert containers_of_task(task_id, "builder1", hub), "the killed task should have left its container"
    assert task_state(hub, task_id) == "OPEN"

    start_daemon(hub, "builder1", args=["--force-lock"])
    wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=30,
             what="the start-up sweep to remove the leftover container")
    # the stale task was freed and taken again by the new daemon
    marker.unlink()
    wait_for(marker.exists, timeout=60, what="the task to run again")
    hub.cancel_task(task_id)
    wait_for(lambda: not containers_of_task(task_id, "builder1", hub), timeout=30, what="cleanup after cancel")


def test_without_fg_the_daemon_detaches_and_works(hub, tmp_path):
    hub.add_host("builder1", password="builder1")
    conf = write_conf(tmp_path / "detached.conf", hub, "builder1", {},
                      {"monitoring_bind": "127.0.0.1:0", "log_file": ""})
    started = subprocess.run([sys.executable, "-m", "koji_adjutant.daemon.cli", "-c",
                              str(conf)], capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    pids = []
    try:
        wait_for(lambda: host_ready(hub, "builder1"), timeout=30, what="the detached daemon")
        pids = [int(p) for p in subprocess.run(["pgrep", "-f", "--", f"-c {conf}"],
                                               capture_output=True, text=True).stdout.split()]
        assert len(pids) == 1 and os.getsid(pids[0]) != os.getsid(0)  # detached: new session
        task_id = hub.make_task("adjutantProbe", ["echo", "detached"])
        assert hub.wait_task(task_id, timeout=30)["state"] == koji.TASK_STATES["CLOSED"]
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not any(pid_alive(p) for p in pids), timeout=30, what="it to stop")


def test_unreachable_hub_is_one_clear_start_up_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    conf = tmp_path / "nohub.conf"
    conf.write_text(f"[kojid]\nserver = http://127.0.0.1:{port}/kojihub\n"
                    f"topurl = http://127.0.0.1:{port}/kojifiles\nworkdir = {tmp_path}/w\n"
                    "user = builder1\npassword = builder1\nmax_retries = 1\n"
                    "retry_interval = 1\n[adjutant]\nlog_file =\n")
    code, out = run_kojid(conf)
    assert code == 1
    # said once (not as a log line and again on stderr), with the cause and no claim of
    # retries: koji does not retry a login
    assert out.count("cannot log in") == 1, out
    assert (f"kojid: cannot log in to hub http://127.0.0.1:{port}/kojihub: Connection refused; "
            "check that it runs and that server in kojid.conf is its URL") in out.splitlines()
    assert "Max retries" not in out and "Traceback" not in out


def test_missing_topdir_and_low_space_are_warnings_and_the_host_is_not_ready(
        hub, start_daemon, tmp_path):
    hub.add_host("builder1", password="builder1")
    daemon = start_daemon(hub, "builder1", wait_ready=False, topdir=tmp_path / "no-koji",
                          minspace=10 ** 9)
    # the start-up warnings come first; the manager's own space check follows on its first
    # pass through the loop, so wait for that one
    wait_for(lambda: "Insufficient disk space" in daemon.log(),
             timeout=30, what="the manager's disk space check")
    log = daemon.log()
    assert f"topdir {tmp_path / 'no-koji'} is not readable" in log
    assert "minspace is 1000000000 MB" in log
    assert "Insufficient disk space" in log
    assert daemon.proc.poll() is None
    # the daemon reported to the hub (update_ts set) and said it is not ready
    host = wait_for(lambda: (h := hub.session().getHost("builder1"))["update_ts"] and h,
                    timeout=30, what="an updateHost call")
    assert host["ready"] is False
