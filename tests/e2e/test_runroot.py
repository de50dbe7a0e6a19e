"""runroot through the hub's plugin call, the daemon and the real test image.

A daemon whose kojid.conf lists ``plugins = runroot`` serves the method with our
handler; ``composer`` (runroot permission) submits as ``koji runroot`` would, with
a package, the default read-only mount and an extra writable one; the last test
runs koji's own ``koji runroot`` command line (its CLI plugin) as pungi does.
"""

import subprocess
import sys
from pathlib import Path

import koji
import pytest

from daemon_harness import containers_of_task, wait_for
from runroot_site import COMPOSE, HOST, RunrootSite, make_repo, submit, task_dir

pytestmark = pytest.mark.podman

COMMAND = f"""echo start
id -u
cat /usr/include/adjutant-testlib.h
cat /mnt/archive/data.txt
if touch /mnt/archive/written 2>/dev/null; then echo archive-writable; else echo archive-read-only; fi
echo result > {COMPOSE}/result.txt
echo "pungi says hi" > {COMPOSE}/pungi.log
grep -c nameserver /etc/resolv.conf
echo to-stderr >&2
"""


@pytest.fixture
def site(tmp_path):
    return RunrootSite(tmp_path)


def finished(hub, task_id: int) -> dict:
    return hub.wait_task(task_id, timeout=300)


def test_runroot_runs_the_command_as_root_with_its_package_and_mounts(
        hub, site, rpm_factory, start_daemon):
    daemon = site.start(hub, rpm_factory, start_daemon)
    task_id = submit(hub, COMMAND, packages=["adjutant-testlib"], mounts=[COMPOSE],
                     upload_logs=[f"{COMPOSE}/pungi.log"], new_chroot=True, weight=0.1)
    info = finished(hub, task_id)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", hub.task_result(task_id)
    assert hub.task_result(task_id) == "echo completed successfully"
    assert info["channel_id"] == hub.session().getChannel("runroot")["id"]
    assert info["weight"] == 0.5  # the plugin's floor
    out = (task_dir(hub, task_id) / "runroot.log").read_text().splitlines()
    assert out == ["start", "0", '#define ADJUTANT_GREETING "hello"', "from the archive",
                   "archive-read-only", "1", "to-stderr"]
    assert (task_dir(hub, task_id) / "pungi.log").read_text() == "pungi says hi\n"
    assert (site.compose / "result.txt").read_text() == "result\n"
    assert not (site.archive / "written").exists()
    [broot] = hub.session().listBuildroots(taskID=task_id)
    assert koji.BR_STATES[broot["state"]] == "EXPIRED"
    listing = hub.session().getBuildrootListing(broot["id"])
    # installed after the build group: reported by updateBuildRootList
    assert [(row["name"], row["is_update"]) for row in listing
            if row["name"] == "adjutant-testlib"] == [("adjutant-testlib", True)]
    config = (task_dir(hub, task_id) / "mock_config.log").read_text()
    assert "network during build: bridge" in config
    assert f"{site.archive}:/mnt/archive:ro" in config
    assert f"{site.compose}:{COMPOSE}:rw" in config
    assert not (task_dir(hub, task_id) / "build.log").exists()  # nothing to reproduce
    assert daemon.log().count("plugin runroot: served by koji-adjutant's own runroot "
                              "handler") == 1
    wait_for(lambda: not containers_of_task(task_id, HOST, hub), timeout=30,
             what="the container removed after the result")


def test_a_list_command_is_run_word_for_word_and_noarch_takes_a_tag_arch(
        hub, site, rpm_factory, start_daemon):
    site.start(hub, rpm_factory, start_daemon)
    task_id = submit(hub, ["printf", "%s|", "it's", "$HOME", "a b"], arch="noarch")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    assert hub.task_result(task_id) == "printf completed successfully"
    assert (task_dir(hub, task_id) / "runroot.log").read_text() == "it's|$HOME|a b|\n"
    [broot] = hub.session().listBuildroots(taskID=task_id)
    assert broot["arch"] == "x86_64"


def test_a_mount_outside_the_safe_roots_fails_with_the_plugins_message(
        hub, site, rpm_factory, start_daemon):
    site.start(hub, rpm_factory, start_daemon)
    task_id = submit(hub, "echo never", mounts=["/mnt/workdir/elsewhere"])
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.GenericError,
                       match="^read-write mount point is not safe: /mnt/workdir/elsewhere$"):
        hub.task_result(task_id)
    assert hub.session().listBuildroots(taskID=task_id) == []
    assert not containers_of_task(task_id, HOST, hub)


def test_a_failing_command_fails_the_task_with_its_exit_status(
        hub, site, rpm_factory, start_daemon):
    site.start(hub, rpm_factory, start_daemon)
    task_id = submit(hub, "echo before; exit 3", upload_logs=["/tmp/never-written.log"])
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.BuildrootError, match="^echo exited with status 3$"):
        hub.task_result(task_id)
    assert (task_dir(hub, task_id) / "runroot.log").read_text() == "before\n"
    root_log = (task_dir(hub, task_id) / "root.log").read_text()
    assert "upload_logs: /tmp/never-written.log: cannot read it in the buildroot" in root_log
    [broot] = hub.session().listBuildroots(taskID=task_id)
    assert koji.BR_STATES[broot["state"]] == "EXPIRED"
    wait_for(lambda: not containers_of_task(task_id, HOST, hub), timeout=30,
             what="the container removed after the result")


def test_a_package_the_repo_lacks_fails_before_the_command(hub, site, rpm_factory,
                                                          start_daemon):
    site.start(hub, rpm_factory, start_daemon)
    task_id = submit(hub, f"touch {COMPOSE}/ran", packages=["no-such-package"])
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.GenericError, match="could not install the requested packages"):
        hub.task_result(task_id)
    assert not (site.compose / "ran").exists()


def test_without_the_plugin_listed_runroot_is_refused(hub, site, rpm_factory, start_daemon):
    hub.add_channel("runroot")
    hub.add_host(HOST, password=HOST, arches="x86_64", channels=("default", "runroot"))
    daemon = start_daemon(hub, HOST)  # plugins = adjutant_probe only
    task_id = hub.make_task("runroot", ["f99-build", "x86_64", "echo hi"], channel="runroot")
    refusal = wait_for(lambda: hub.refusals(task_id), timeout=60, what="a refusal")
    assert refusal[0]["msg"] == "no handler for method"
    assert "plugin runroot" not in daemon.log()


def test_a_bad_runroot_conf_stops_the_daemon_with_one_line(hub, site, start_daemon):
    hub.add_host(HOST, password=HOST, arches="x86_64")
    site.conf.write_text("[paths]\nsafe_roots = tmp\n")
    daemon = start_daemon(hub, HOST, wait_ready=False, plugin="runroot",
                          adjutant={"runroot_config": str(site.conf)})
    assert daemon.wait(60) == 78
    errors = [line for line in daemon.log().splitlines() if line.startswith("kojid:")]
    assert errors == [f"kojid: plugin runroot: {site.conf}: [paths] safe_roots: 'tmp' is not "
                      f"an absolute path"], daemon.log()
    assert "Traceback" not in daemon.log()


def test_without_a_repo_runroot_waits_for_one(hub, site, rpm_factory, start_daemon):
    site.start(hub, rpm_factory, start_daemon, with_repo=False)
    task_id = submit(hub, "echo waited")
    child = wait_for(lambda: hub.children(task_id), timeout=60, what="a waitrepo subtask")
    assert [(c["method"], hub.task_info(c["id"], request=True)["request"]) for c in child] \
        == [("waitrepo", ["f99-build", None, None])]
    repo = make_repo(hub, rpm_factory)
    # the library's waitrepo looks at its repo request once a minute
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "CLOSED", \
        hub.task_result(task_id)
    [broot] = hub.session().listBuildroots(taskID=task_id)
    assert broot["repo_id"] == repo["id"]


def test_a_repo_of_another_tag_is_refused_as_the_plugin_refuses_it(
        hub, site, rpm_factory, start_daemon):
    site.start(hub, rpm_factory, start_daemon)
    hub.add_tag("other-build", arches="x86_64")
    other = hub.make_repo("other-build")
    task_id = submit(hub, "echo never", repo_id=other["id"])
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.BuildError, match=r"^build tag \(f99-build\) does not match repo "
                                              r"tag \(other-build\)$"):
        hub.task_result(task_id)


def test_a_command_past_rpmbuild_timeout_is_stopped_and_fails_the_task(
        hub, site, rpm_factory, start_daemon):
    site.start(hub, rpm_factory, start_daemon, rpmbuild_timeout=5)
    task_id = submit(hub, "echo sleeping; sleep 120; echo woke")
    assert koji.TASK_STATES[finished(hub, task_id)["state"]] == "FAILED"
    with pytest.raises(koji.GenericError, match=r"^the runroot command exceeded "
                                                r"rpmbuild_timeout \(5 s\) and was stopped; "
                                                r"see runroot.log$"):
        hub.task_result(task_id)
    assert (task_dir(hub, task_id) / "runroot.log").read_text().splitlines() == ["sleeping"]
    wait_for(lambda: not containers_of_task(task_id, HOST, hub), timeout=30,
             what="the container removed after the result")


def test_kojis_own_runroot_command_line_as_pungi_calls_it(hub, site, rpm_factory,
                                                           start_daemon, tmp_path):
    site.start(hub, rpm_factory, start_daemon)
    conf = tmp_path / "koji.conf"
    conf.write_text(f"[koji]\nserver = {hub.url}\ntopurl = {hub.topurl}\npoll_interval = 1\n")
    koji_cli = Path(sys.executable).parent / "koji"
    done = subprocess.run(
        [str(koji_cli), "-c", str(conf), "--authtype", "password", "--user", "composer",
         "--password", "composer", "runroot", "--use-shell", "--task-id",
         "--channel-override", "runroot", "--new-chroot", "--weight", "3",
         "--package", "adjutant-testlib", "--mount", COMPOSE, "f99-build", "x86_64",
         "echo root is $(id -u) > " + COMPOSE + "/out.txt && cat", COMPOSE + "/out.txt"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    task_id, output = done.stdout.split("\n", 1)
    assert output == "root is 0\n"
    assert (site.compose / "out.txt").read_text() == "root is 0\n"
    assert hub.task_info(int(task_id))["weight"] == 3
