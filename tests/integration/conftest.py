"""Fixtures of the container-layer integration tests: a real podman service and image.

The tests need the podman API service and the locally built test image that
``scripts/provision`` sets up.  If either is missing the tests FAIL (never
skip) with a message saying so.  Everything the tests create carries a
test-run-specific host and instance label; at the end of the session a
finalizer checks that none of it is left behind, containers nor their control
directories (and removes any leftover containers so that the machine stays
clean).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from koji_adjutant.container import (
    ContainerRef,
    ContainerSpec,
    ImageError,
    PodmanManager,
    RuntimeUnavailable,
    TaskIdentity,
)
from koji_adjutant.container.spec import LABEL_INSTANCE

PODMAN_URL = os.environ.get("KOJI_ADJUTANT_PODMAN_URL", "unix:///run/podman/podman.sock")
TEST_IMAGE = os.environ.get("KOJI_ADJUTANT_TEST_IMAGE", "localhost/koji-adjutant-buildroot:test")
RUN_ID = uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def run_labels() -> dict[str, str]:
    """The host labels (main and a second one) and instance id of this test run."""
    return {"host": f"pytest-{RUN_ID}", "other_host": f"pytest-{RUN_ID}-other",
            "instance": f"pytest-run-{RUN_ID}"}


@pytest.fixture(scope="session")
def podman_url() -> str:
    """The podman API address under test (env KOJI_ADJUTANT_PODMAN_URL)."""
    return PODMAN_URL


@pytest.fixture(scope="session")
def podman_manager(run_labels, tmp_path_factory) -> Iterator[PodmanManager]:
    """A ``PodmanManager`` on the real API service, labelled for this test run."""
    manager = PodmanManager(PODMAN_URL, host_label=run_labels["host"],
                            instance_id=run_labels["instance"], pull_policy="never",
                            state_dir=tmp_path_factory.mktemp("container-state"))
    try:
        manager.ping()
    except RuntimeUnavailable as exc:
        pytest.fail(f"{exc}\nThe podman tests need the podman API service: "
                    f"run scripts/provision", pytrace=False)
    yield manager
    leftovers = []
    for host in (run_labels["host"], run_labels["other_host"]):
        checker = PodmanManager(PODMAN_URL, host_label=host, instance_id=run_labels["instance"],
                                state_dir=manager.state_dir)
        found = checker.list_containers({LABEL_INSTANCE: run_labels["instance"]})
        for info in found:
            checker.remove(info.ref)
        leftovers += found
        checker.close()
    manager.close()
    assert not leftovers, f"containers left behind by the tests: {[c.name for c in leftovers]}"
    control_dirs = sorted(entry.name for entry in manager.state_dir.iterdir())
    assert not control_dirs, f"control directories left behind by the tests: {control_dirs}"


@pytest.fixture(scope="session")
def test_image(podman_manager) -> str:
    """The buildroot test image, which must already be present locally."""
    try:
        podman_manager.ensure_image(TEST_IMAGE, "never")
    except ImageError as exc:
        pytest.fail(f"{exc}\nThe podman tests need the test image: run scripts/provision",
                    pytrace=False)
    return TEST_IMAGE


@pytest.fixture
def make_spec(test_image):
    """Build a ``ContainerSpec`` of the test image for a task id; keywords override."""
    def make(task_id: int = 1, method: str = "test", **overrides) -> ContainerSpec:
        return ContainerSpec(image=test_image, task=TaskIdentity(task_id, method, 7),
                             **overrides)
    return make


@pytest.fixture
def running(podman_manager, make_spec):
    """Start containers from specs; each is removed again at the end of the test."""
    started: list[ContainerRef] = []

    def run(spec: ContainerSpec | None = None, **overrides) -> ContainerRef:
        container = podman_manager.create(spec or make_spec(**overrides))
        started.append(container)
        podman_manager.start(container)
        return container
    yield run
    for container in started:
        podman_manager.remove(container)


@pytest.fixture(scope="module")
def shared_container(podman_manager, test_image, tmp_path_factory) -> Iterator[ContainerRef]:
    """One running container (network none, a writable /task) reused by a module's tests."""
    from koji_adjutant.container import Mount
    task_dir = tmp_path_factory.mktemp("task")
    spec = ContainerSpec(image=test_image, task=TaskIdentity(2, "shared"),
                         mounts=(Mount(task_dir, "/task", hand_over=True),))
    container = podman_manager.create(spec)
    podman_manager.start(container)
    yield container
    podman_manager.remove(container)


@pytest.fixture(scope="module")
def shared_task_dir(shared_container, podman_manager) -> Path:
    """The host directory mounted at /task in ``shared_container``."""
    mounts = podman_manager.inspect(shared_container)["Mounts"]
    return Path(next(m["Source"] for m in mounts if m["Destination"] == "/task"))
