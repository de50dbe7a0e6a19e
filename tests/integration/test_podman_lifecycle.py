"""Lifecycle against a real podman: copies, fast removal, clear errors, sweep and scope."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from koji_adjutant.container import (
    LABEL_TASK_ID,
    ContainerCreateError,
    ContainerError,
    ExecFailed,
    ImageError,
    Mount,
    PodmanManager,
    RuntimeUnavailable,
    task_container,
)
from koji_adjutant.container.scope import removal_after_result

pytestmark = pytest.mark.podman


def mode_of(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def make_tree(root):
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "sub" / "private.key").write_text("secret\n")
    (root / "sub" / "deeper" / "data.txt").write_text("x" * 100_000)
    (root / "link").symlink_to("sub/deeper/data.txt")
    os.chmod(root / "run.sh", 0o755)
    os.chmod(root / "sub" / "private.key", 0o600)
    os.chmod(root / "sub" / "deeper", 0o750)
    os.chmod(root / "sub" / "deeper" / "data.txt", 0o444)


def test_copy_to_and_back_keeps_the_tree_and_its_modes(podman_manager, shared_container,
                                                       tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    make_tree(source)
    podman_manager.copy_to(shared_container, source, "/builddir/in/tree")
    lines: list[str] = []
    podman_manager.exec(shared_container, ["stat", "-c", "%a %u %n", "/builddir/in/tree/run.sh",
                                           "/builddir/in/tree/sub/private.key"],
                        log=lines.append)
    assert lines == ["755 0 /builddir/in/tree/run.sh",
                     "600 0 /builddir/in/tree/sub/private.key"]
    back = podman_manager.copy_from(shared_container, "/builddir/in/tree", tmp_path / "back")
    assert back == tmp_path / "back"
    for relative in ("run.sh", "sub", "sub/private.key", "sub/deeper", "sub/deeper/data.txt"):
        assert mode_of(back / relative) == mode_of(source / relative), relative
    assert (back / "sub" / "deeper" / "data.txt").read_text() == "x" * 100_000
    assert os.readlink(back / "link") == "sub/deeper/data.txt"
    assert (back / "run.sh").stat().st_uid == os.getuid()


def test_copy_a_single_file_with_a_new_mode(podman_manager, shared_container, tmp_path):
    source = tmp_path / "spec"
    source.write_text("Name: demo\n")
    podman_manager.copy_to(shared_container, source, "/builddir/SPECS/demo.spec", mode=0o640)
    lines: list[str] = []
    podman_manager.exec(shared_container, ["stat", "-c", "%a", "/builddir/SPECS/demo.spec"],
                        log=lines.append)
    assert lines == ["640"]
    back = podman_manager.copy_from(shared_container, "/builddir/SPECS/demo.spec",
                                    tmp_path / "out" / "demo.spec")
    assert back.read_text() == "Name: demo\n" and mode_of(back) == 0o640


def test_removing_a_running_container_is_fast(podman_manager, make_spec):
    container = podman_manager.create(make_spec())
    podman_manager.start(container)
    # a process ignoring SIGTERM must not make removal wait for a stop timeout
    podman_manager.exec(container, ["sh", "-c", "trap '' TERM; sleep 300 & echo started"])
    began = time.monotonic()
    podman_manager.remove(container)
    assert time.monotonic() - began < 1.0
    assert podman_manager.list_containers({LABEL_TASK_ID: "1"}) == []
    assert not (podman_manager.state_dir / container.name).exists()


def test_a_manager_that_did_not_create_a_container_removes_its_control_directory(
        podman_manager, podman_url, run_labels, make_spec):
    # as the daemon's main process removes the container of one of its task processes
    container = podman_manager.create(make_spec(task_id=9014))
    assert (podman_manager.state_dir / container.name).is_dir()
    other = PodmanManager(podman_url, host_label=run_labels["host"],
                          instance_id=run_labels["instance"], state_dir=podman_manager.state_dir)
    try:
        [info] = other.list_containers({LABEL_TASK_ID: "9014"})
        other.remove(info.ref)
    finally:
        other.close()
    assert podman_manager.list_containers({LABEL_TASK_ID: "9014"}) == []
    assert not (podman_manager.state_dir / container.name).exists()


def test_removing_a_container_that_is_gone_still_removes_its_control_directory(
        podman_manager, podman_url, run_labels, make_spec, tmp_path):
    container = podman_manager.create(make_spec(task_id=9015))
    # someone else removed the container meanwhile (with a control directory elsewhere)
    other = PodmanManager(podman_url, host_label=run_labels["host"],
                          instance_id=run_labels["instance"], state_dir=tmp_path)
    try:
        other.remove(container)
    finally:
        other.close()
    assert (podman_manager.state_dir / container.name).is_dir()
    podman_manager.remove(container)
    assert not (podman_manager.state_dir / container.name).exists()
    with pytest.raises(ExecFailed, match="no control directory"):
        podman_manager.exec(container, ["true"])


def test_a_missing_image_with_policy_never_is_a_clear_error(podman_manager):
    with pytest.raises(ImageError) as caught:
        podman_manager.ensure_image("localhost/koji-adjutant-no-such-image:1", "never")
    message = str(caught.value)
    assert "localhost/koji-adjutant-no-such-image:1" in message
    assert "'never'" in message and "pull" in message


def test_an_unreachable_registry_is_a_clear_error(podman_manager):
    with pytest.raises(ImageError) as caught:
        podman_manager.ensure_image("127.0.0.1:9/koji/nothing:1", "always")
    assert "cannot reach the registry" in str(caught.value)
    assert "127.0.0.1:9/koji/nothing:1" in str(caught.value)


def test_an_unreachable_socket_is_one_clear_error(tmp_path, make_spec):
    manager = PodmanManager(f"unix://{tmp_path}/no-podman.sock", host_label="nowhere",
                            instance_id="none", state_dir=tmp_path / "state")
    for call in (manager.ping, lambda: manager.ensure_image("x"),
                 lambda: manager.create(make_spec()), manager.sweep):
        with pytest.raises(RuntimeUnavailable) as caught:
            call()
        message = str(caught.value)
        assert "no-podman.sock" in message and "did not answer" in message
        assert "systemctl enable --now podman.socket" in message
    assert list((tmp_path / "state").iterdir()) == []


def test_a_bad_mount_source_is_a_clear_error(podman_manager, make_spec, tmp_path):
    spec = make_spec(mounts=(Mount(tmp_path / "missing", "/data"),))
    with pytest.raises(ContainerCreateError) as caught:
        podman_manager.create(spec)
    message = str(caught.value)
    assert str(tmp_path / "missing") in message and "/data" in message
    assert "create the directory" in message


TASK_PROCESS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from koji_adjutant.container import ContainerSpec, PodmanManager, TaskIdentity
    from koji_adjutant.container import task_container
    url, host, instance, state, image, task_id = sys.argv[1:7]
    manager = PodmanManager(url, host_label=host, instance_id=instance, state_dir=Path(state))
    spec = ContainerSpec(image=image, task=TaskIdentity(int(task_id), "buildArch"))
    with task_container(manager, spec, pull_policy="never") as container:
        print(container.id, flush=True)
        time.sleep(120)
""")


def start_task_process(podman_manager, podman_url, run_labels, test_image, task_id):
    proc = subprocess.Popen(
        [sys.executable, "-c", TASK_PROCESS, podman_url, run_labels["host"],
         run_labels["instance"], str(podman_manager.state_dir), test_image, str(task_id)],
        stdout=subprocess.PIPE, text=True)
    container_id = proc.stdout.readline().strip()
    assert container_id, "the task process did not start its container"
    return proc, container_id


def test_sweep_removes_the_container_of_a_sigkilled_task(podman_manager, podman_url,
                                                         run_labels, test_image):
    proc, container_id = start_task_process(podman_manager, podman_url, run_labels,
                                            test_image, 9001)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    left = podman_manager.list_containers({LABEL_TASK_ID: "9001"})
    assert [info.id for info in left] == [container_id]
    removed = podman_manager.sweep(task_id=9001)
    assert removed == [left[0].name]
    assert podman_manager.list_containers({LABEL_TASK_ID: "9001"}) == []
    assert not (podman_manager.state_dir / left[0].name).exists()


def test_sigterm_in_a_task_scope_removes_its_container(podman_manager, podman_url,
                                                       run_labels, test_image):
    proc, container_id = start_task_process(podman_manager, podman_url, run_labels,
                                            test_image, 9002)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    assert podman_manager.list_containers({LABEL_TASK_ID: "9002"}) == []


def test_the_scope_removes_its_container_on_an_exception(podman_manager, make_spec):
    with pytest.raises(ZeroDivisionError), \
            task_container(podman_manager, make_spec(task_id=9003)) as container:
        assert podman_manager.inspect(container)["State"]["Running"] is True
        raise ZeroDivisionError
    assert podman_manager.list_containers({LABEL_TASK_ID: "9003"}) == []


def test_sweep_of_the_host_removes_all_its_containers(podman_url, run_labels, make_spec,
                                                      tmp_path):
    # a manager of another host label (same instance id, so the session check covers it)
    manager = PodmanManager(podman_url, host_label=run_labels["other_host"],
                            instance_id=run_labels["instance"], state_dir=tmp_path)
    first = manager.create(make_spec(task_id=9004))
    second = manager.create(make_spec(task_id=9005))
    manager.start(second)
    orphan = tmp_path / f"kojiadj-{run_labels['other_host']}-9006-0123abcd"
    unrelated = tmp_path / "kojiadj-unrelated-1-abc"
    orphan.mkdir()
    unrelated.mkdir()
    assert sorted(manager.sweep()) == sorted([first.name, second.name])
    assert manager.list_containers() == []
    assert not orphan.exists() and unrelated.exists()
    assert not (tmp_path / first.name).exists()


def test_stop_ends_the_container_and_exec_then_fails_clearly(podman_manager, running):
    container = running(task_id=9007)
    began = time.monotonic()
    podman_manager.stop(container)
    assert time.monotonic() - began < podman_manager.stop_timeout + 1
    assert podman_manager.inspect(container)["State"]["Running"] is False
    with pytest.raises(ExecFailed) as caught:
        podman_manager.exec(container, ["true"])
    assert container.name in str(caught.value) and "container is running" in str(caught.value)


def test_if_not_present_uses_the_local_image_without_pulling(podman_manager, test_image):
    began = time.monotonic()
    image_id = podman_manager.ensure_image(test_image, "if-not-present")
    assert time.monotonic() - began < 2
    assert image_id == podman_manager.ensure_image(test_image, "never")
    assert len(image_id) == 64


def test_copy_to_a_read_only_mount_is_a_clear_error(podman_manager, running, tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "file").write_text("x")
    container = running(mounts=(Mount(tmp_path / "ro", "/repo", read_only=True),))
    with pytest.raises(ContainerError) as caught:
        podman_manager.copy_to(container, tmp_path / "file", "/repo/file")
    message = str(caught.value)
    assert container.name in message and "/repo/file" in message and "read-only" in message
    assert not (tmp_path / "ro" / "file").exists()


def test_after_result_a_successful_scope_leaves_removal_to_the_end(podman_manager, make_spec):
    with removal_after_result():
        with task_container(podman_manager, make_spec(task_id=9011)) as container:
            podman_manager.exec(container, ["true"], check=True)
        # the task would send its result here: the container still exists, idle
        [left] = podman_manager.list_containers({LABEL_TASK_ID: "9011"})
        assert left.id == container.id
    assert podman_manager.list_containers({LABEL_TASK_ID: "9011"}) == []
    assert not (podman_manager.state_dir / container.name).exists()


def test_after_result_a_failed_scope_removes_its_container_at_once(podman_manager, make_spec):
    with removal_after_result():
        with pytest.raises(ZeroDivisionError), \
                task_container(podman_manager, make_spec(task_id=9012)):
            raise ZeroDivisionError
        assert podman_manager.list_containers({LABEL_TASK_ID: "9012"}) == []


def test_after_result_removes_every_container_even_when_one_is_gone(podman_manager, make_spec):
    with removal_after_result():
        with task_container(podman_manager, make_spec(task_id=9013)) as first:
            pass
        with task_container(podman_manager, make_spec(task_id=9013)):
            pass
        assert len(podman_manager.list_containers({LABEL_TASK_ID: "9013"})) == 2
        podman_manager.remove(first)  # e.g. swept by someone else meanwhile
    assert podman_manager.list_containers({LABEL_TASK_ID: "9013"}) == []
