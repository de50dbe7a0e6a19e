"""What a container may reach and use: network modes, limits, mounts, privileges, labels."""

from __future__ import annotations

import socket
import threading

import pytest

from koji_adjutant.container import (
    LABEL_BUILDROOT_ID,
    LABEL_HOST,
    LABEL_INSTANCE,
    LABEL_METHOD,
    LABEL_TASK_ID,
    Mount,
    ResourceLimits,
    Security,
    Tmpfs,
)

pytestmark = pytest.mark.podman


@pytest.fixture
def host_listener():
    """A TCP listener on the host's loopback; yields (port, list of accepted peers)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    accepted: list[str] = []

    def accept() -> None:
        try:
            conn, peer = server.accept()
        except OSError:
            return
        accepted.append(peer[0])
        conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    yield port, accepted
    if thread.is_alive():  # wake the accept() that no container reached
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    thread.join(timeout=10)
    server.close()


def connect_script(port: int) -> list[str]:
    return ["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"]


def test_network_none_cannot_reach_a_host_listener(podman_manager, running, host_listener):
    port, accepted = host_listener
    container = running(network="none")
    lines: list[str] = []
    result = podman_manager.exec(container, connect_script(port), log=lines.append, timeout=20)
    assert result.exit_code != 0
    assert "connected" not in lines and accepted == []
    assert podman_manager.inspect(container)["HostConfig"]["NetworkMode"] == "none"


def test_network_host_reaches_a_host_listener(podman_manager, running, host_listener):
    port, accepted = host_listener
    # the host's network needs the host's user namespace too (see ContainerSpec)
    container = running(network="host", security=Security(user_namespace=False))
    lines: list[str] = []
    result = podman_manager.exec(container, connect_script(port), log=lines.append, timeout=20)
    assert result.exit_code == 0 and lines == ["connected"]
    assert accepted == ["127.0.0.1"]


def test_resource_and_security_settings_are_applied(podman_manager, running):
    limits = ResourceLimits(cpus=1.5, memory=300 * 2**20, pids=123,
                            tmpfs=(Tmpfs("/scratch", 16 * 2**20),))
    security = Security(cap_drop=("NET_RAW", "MKNOD"), no_new_privileges=True,
                        read_only_root=True)
    container = running(limits=limits, security=security, hostname="buildhost",
                        labels={"site.example/purpose": "test"})
    data = podman_manager.inspect(container)
    host = data["HostConfig"]
    assert host["Memory"] == 300 * 2**20
    assert host["CpuQuota"] == 150000 and host["CpuPeriod"] == 100000
    assert host["PidsLimit"] == 123
    assert "size=16777216" in host["Tmpfs"]["/scratch"]
    assert {"CAP_NET_RAW", "CAP_MKNOD"} <= set(host["CapDrop"])
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["ReadonlyRootfs"] is True and host["Init"] is True
    assert data["Config"]["Hostname"] == "buildhost"
    assert data["Config"]["Labels"]["site.example/purpose"] == "test"
    lines: list[str] = []
    podman_manager.exec(container, ["sh", "-c", "touch /rootfile; echo $?; "
                                    "touch /scratch/f && echo scratch-ok; hostname"],
                        log=lines.append)
    assert lines[-3:] == ["1", "scratch-ok", "buildhost"]


def test_every_container_carries_the_identity_labels(podman_manager, running, run_labels):
    container = running(task_id=4242, method="buildArch")
    labels = podman_manager.inspect(container)["Config"]["Labels"]
    assert labels[LABEL_TASK_ID] == "4242" and labels[LABEL_METHOD] == "buildArch"
    assert labels[LABEL_BUILDROOT_ID] == "7"
    assert labels[LABEL_HOST] == run_labels["host"]
    assert labels[LABEL_INSTANCE] == run_labels["instance"]
    listed = podman_manager.list_containers({LABEL_TASK_ID: "4242"})
    assert [info.id for info in listed] == [container.id]
    assert listed[0].state == "running"


def test_read_only_mounts_cannot_be_written_but_the_task_dir_can(podman_manager, running,
                                                                 tmp_path):
    repo, task = tmp_path / "repo", tmp_path / "task"
    repo.mkdir()
    task.mkdir()
    (repo / "repodata.xml").write_text("data\n")
    container = running(mounts=(Mount(repo, "/repo", read_only=True),
                                Mount(task, "/task", hand_over=True)))
    lines: list[str] = []
    denied = podman_manager.exec(container, ["sh", "-c", "echo x > /repo/new"],
                                 log=lines.append)
    assert denied.exit_code != 0 and any("Read-only" in line for line in lines)
    assert not (repo / "new").exists()
    read = podman_manager.exec(container, ["sh", "-c", "cat /repo/repodata.xml > /task/copy"])
    assert read.exit_code == 0
    assert (task / "copy").read_text() == "data\n"


@pytest.mark.parametrize("network", ["bridge", "podman"])
def test_bridge_and_named_networks(podman_manager, running, network):
    container = running(network=network)
    data = podman_manager.inspect(container)
    assert data["HostConfig"]["NetworkMode"] == "bridge"
    assert "podman" in data["NetworkSettings"]["Networks"]
    lines: list[str] = []
    podman_manager.exec(container, ["cat", "/proc/net/dev"], log=lines.append)
    assert any(line.strip().startswith("eth0:") for line in lines)
