"""The hub decides the image: per tag, through tag extra, at the repo's event (ADR 0004)."""

import os
import subprocess

import koji
import pytest

from rpmkit import Package, make_koji_repo
from daemon_harness import GROUPS, upload_srpm

IMAGE = os.environ.get("KOJI_ADJUTANT_TEST_IMAGE", "localhost/koji-adjutant-buildroot:test")
ALIAS_A = "localhost/koji-adjutant-policy:a"
ALIAS_B = "localhost/koji-adjutant-policy:b"
pytestmark = pytest.mark.podman


@pytest.fixture
def image_aliases():
    for alias in (ALIAS_A, ALIAS_B):
        subprocess.run(["podman", "tag", IMAGE, alias], check=True)
    yield
    for alias in (ALIAS_A, ALIAS_B):
        # "podman untag IMAGE" alone would drop every name of the image, the test tag too
        subprocess.run(["podman", "untag", alias, alias], check=False)


def image_used(hub, task_id: int) -> str:
    log = hub.topdir / "work" / "tasks" / str(task_id % 10000) / str(task_id) / "mock_config.log"
    for line in log.read_text().splitlines():
        if line.startswith("image: "):
            return line.split()[1]
    raise AssertionError(f"no image line in {log}")


def rebuild(hub, srpm_rel: str, tag: str, repo_id: int) -> int:
    task_id = hub.make_task("rebuildSRPM", [srpm_rel, tag, {"repo_id": repo_id}])
    info = hub.wait_task(task_id, timeout=240)
    assert koji.TASK_STATES[info["state"]] == "CLOSED", hub.task_result(task_id)
    return task_id


def test_tags_choose_images_and_a_later_event_changes_it(hub, rpm_factory, image_aliases,
                                                        start_daemon):
    hub.add_host("builder1", password="builder1")
    hub.add_tag("base", arches="x86_64", extra={"adjutant.image": ALIAS_A})
    hub.add_tag("a-build", arches="x86_64", parents=["base"])
    hub.add_tag("b-build", arches="x86_64",
                extra={"adjutant.image.rebuildSRPM": ALIAS_B, "adjutant.image": ALIAS_A})
    repo_a = make_koji_repo(hub, "a-build", [], GROUPS)
    repo_b = make_koji_repo(hub, "b-build", [], GROUPS)
    start_daemon(hub, "builder1")
    srpm_rel = upload_srpm(hub, rpm_factory, Package("policy-probe"))

    assert image_used(hub, rebuild(hub, srpm_rel, "a-build", repo_a["id"])) == ALIAS_A
    assert image_used(hub, rebuild(hub, srpm_rel, "b-build", repo_b["id"])) == ALIAS_B

    hub.edit_tag("base", extra={"adjutant.image": ALIAS_B})
    repo_a2 = make_koji_repo(hub, "a-build", [], GROUPS)
    assert image_used(hub, rebuild(hub, srpm_rel, "a-build", repo_a2["id"])) == ALIAS_B
    # the older repo's event still answers with the rule of its time
    assert image_used(hub, rebuild(hub, srpm_rel, "a-build", repo_a["id"])) == ALIAS_A
