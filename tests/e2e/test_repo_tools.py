"""Where repository tasks find createrepo_c and mergerepo_c: the host (kojid's way) or an image.

With no ``[adjutant] repo_image`` a newRepo runs the builder host's tools, as kojid does,
and no container is made for it.  An image without the tools is named at the daemon's
start-up and by ``check-config``, and a newRepo there fails with a message that says which
tool is missing where and how to fix it.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from daemon_harness import TAG, TEST_IMAGE, wait_for, write_conf
from rpmkit import Package
from test_repos import add_builds, containers_of, f99, new_repo, primary_hrefs, task_log  # noqa: F401

HOST = "repo-builder"
BARE_IMAGE = "localhost/koji-adjutant-no-repo-tools:test"
pytestmark = pytest.mark.podman


@pytest.fixture(scope="session")
def image_without_repo_tools():
    """The test image less createrepo_c and mergerepo_c (committed once per session)."""
    name = "koji-adjutant-strip-repo-tools"
    subprocess.run(["podman", "rm", "-f", name], capture_output=True)
    subprocess.run(["podman", "run", "--name", name, TEST_IMAGE, "rm", "-f",
                    "/usr/bin/createrepo_c", "/usr/bin/mergerepo_c"], check=True)
    subprocess.run(["podman", "commit", "-q", name, BARE_IMAGE], check=True,
                   capture_output=True)
    subprocess.run(["podman", "rm", "-f", name], check=True, capture_output=True)
    return BARE_IMAGE


def test_without_repo_image_new_repo_runs_the_hosts_tools(f99, rpm_factory, start_daemon):
    add_builds(f99, rpm_factory, TAG, Package("adjutant-testlib-a"))
    daemon = start_daemon(f99, HOST, adjutant={"repo_image": ""})
    done = new_repo(f99)
    assert done["state"] == "CLOSED", f99.task_result(done["id"])
    repo_id = done["result"][0]
    arch_dir = f99.topdir / "repos" / TAG / str(repo_id) / "x86_64"
    assert list(primary_hrefs(arch_dir)) == ["adjutant-testlib-a"]
    [child] = f99.children(done["id"])
    assert "of this host" in task_log(f99, child["id"], "createrepo_container.log")
    log = task_log(f99, child["id"], "createrepo.log")
    assert log.startswith("+ createrepo_c --error-exit-val -vd")
    assert "+ exit status 0 after" in log
    assert not containers_of(child["id"])
    assert "not found on this host" not in daemon.log()  # provisioning installs the tools


def test_an_image_without_the_tools_is_named_at_start_up_and_the_task_says_why(
        f99, rpm_factory, start_daemon, image_without_repo_tools):
    add_builds(f99, rpm_factory, TAG, Package("adjutant-testlib-a"))
    daemon = start_daemon(f99, HOST, adjutant={"repo_image": image_without_repo_tools})
    wait_for(lambda: (f"[adjutant] repo_image {image_without_repo_tools} has no createrepo_c "
                      f"and mergerepo_c: newRepo, createrepo and distRepo tasks will fail "
                      f"here") in daemon.log(), timeout=60, what="the start-up warning")
    done = new_repo(f99)
    assert done["state"] == "FAILED"
    [child] = f99.children(done["id"])
    with pytest.raises(Exception) as failure:
        f99.task_result(child["id"])
    assert (f"createrepo_c is not installed in image {image_without_repo_tools}: use an "
            f"image with createrepo_c and mergerepo_c ([adjutant] repo_image, or the tag "
            f"extra adjutant.image.createrepo) (see createrepo.log)") in str(failure.value)


def test_check_config_names_where_repo_tools_run_and_what_is_missing(
        tmp_path, f99, image_without_repo_tools):
    conf = write_conf(tmp_path / "kojid.conf", f99, HOST, {},
                      {"repo_image": image_without_repo_tools})
    tool = str(Path(sys.executable).with_name("koji-adjutant"))
    proc = subprocess.run([tool, "check-config", "-c", str(conf)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"repo tools:    image {image_without_repo_tools}" in proc.stdout
    assert (f"koji-adjutant: warning: [adjutant] repo_image {image_without_repo_tools} has "
            f"no createrepo_c and mergerepo_c") in proc.stderr
    good = write_conf(tmp_path / "good.conf", f99, HOST, {}, {"repo_image": ""})
    proc = subprocess.run([tool, "check-config", "-c", str(good)], capture_output=True,
                          text=True, timeout=120)
    assert "repo tools:    this host's createrepo_c and mergerepo_c" in proc.stdout
    assert "warning" not in proc.stderr, proc.stderr
