"""ContainerSpec validation, labels and the podman create/exec bodies built from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from koji_adjutant.container import (
    LABEL_BUILDROOT_ID,
    LABEL_HOST,
    LABEL_INSTANCE,
    LABEL_METHOD,
    LABEL_TASK_ID,
    ContainerSpec,
    Mount,
    ResourceLimits,
    Security,
    TaskIdentity,
    Timeouts,
    Tmpfs,
)
from koji_adjutant.container.payload import DEADLINE_GRACE, create_payload, exec_payload
from koji_adjutant.container.spec import build_labels, container_name, label_filters

TASK = TaskIdentity(task_id=17, method="buildArch", buildroot_id=5)


def spec(**overrides) -> ContainerSpec:
    return ContainerSpec(image="registry.example/almalinux:9", task=TASK, **overrides)


def test_identity_labels_win_over_extra_labels():
    labels = build_labels(TASK, host="builder1", instance_id="abc",
                          extra={"site": "x", LABEL_HOST: "forged"})
    assert labels == {"site": "x", LABEL_TASK_ID: "17", LABEL_HOST: "builder1",
                      LABEL_METHOD: "buildArch", LABEL_INSTANCE: "abc",
                      LABEL_BUILDROOT_ID: "5"}


def test_no_buildroot_label_without_a_buildroot():
    labels = build_labels(TaskIdentity(3, "createrepo"), host="h", instance_id="i")
    assert LABEL_BUILDROOT_ID not in labels


def test_label_filters_and_names():
    assert label_filters({"b": "2", "a": "1"}) == ["a=1", "b=2"]
    assert container_name("build host.example.com", TASK, "beef") == \
        "kojiadj-build_host.example.com-17-beef"


def test_spec_freezes_its_collections():
    env = {"A": "1"}
    made = spec(environment=env, command=["sleep", "1"], mounts=[])
    env["B"] = "2"
    assert dict(made.environment) == {"A": "1"}
    assert made.command == ("sleep", "1") and made.mounts == ()
    with pytest.raises(TypeError):
        made.environment["C"] = "3"  # type: ignore[index]


@pytest.mark.parametrize("bad, message", [
    ({"network": "bad name"}, "network"),
    ({"workdir": "relative"}, "absolute"),
    ({"command": ()}, "command"),
    ({"labels": {LABEL_TASK_ID: "1"}}, "reserved"),
])
def test_invalid_specs_say_what_is_wrong(bad, message):
    with pytest.raises(ValueError, match=message):
        spec(**bad)


@pytest.mark.parametrize("make, message", [
    (lambda: Mount(Path("rel"), "/x"), "absolute host path"),
    (lambda: Mount(Path("/x"), "x"), "absolute path inside"),
    (lambda: Mount(Path("/x"), "/x", selinux="q"), "selinux"),
    (lambda: Tmpfs("/t", 0), "positive"),
    (lambda: ResourceLimits(memory=-1), "memory"),
    (lambda: Security(cap_drop=("net raw",)), "capability"),
    (lambda: Timeouts(exec=0), "exec"),
])
def test_invalid_parts_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_create_payload_maps_every_field():
    made = spec(command=("sleep", "infinity"), environment={"LANG": "C.UTF-8"},
                workdir="/builddir", user="mockbuild", network="host", hostname="br-5",
                mounts=(Mount(Path("/srv/task"), "/task"),
                        Mount(Path("/srv/repo"), "/repo", read_only=True, selinux="z")),
                limits=ResourceLimits(cpus=2, memory=2**30, pids=500,
                                      tmpfs=(Tmpfs("/tmp", 2**20),)),
                security=Security(cap_drop=("net_raw",), cap_add=("SYS_PTRACE",),
                                  read_only_root=True, user_namespace=False),
                labels={"site": "x"}, timeouts=Timeouts(container=86400))
    body = create_payload(made, name="n1", labels={"k": "v"},
                          extra_mounts=(Mount(Path("/ctl"), "/run/koji-adjutant"),),
                          stop_timeout=2)
    assert body["name"] == "n1" and body["image"] == "registry.example/almalinux:9"
    assert body["command"] == ["sleep", "infinity"] and body["env"] == {"LANG": "C.UTF-8"}
    assert body["labels"] == {"k": "v"}
    assert body["init"] is True and body["stop_timeout"] == 2
    assert body["work_dir"] == "/builddir" and body["user"] == "mockbuild"
    assert body["hostname"] == "br-5" and body["netns"] == {"nsmode": "host"}
    assert body["mounts"] == [
        {"type": "bind", "source": "/srv/task", "destination": "/task",
         "options": ["rbind", "rw", "nosuid", "nodev"]},
        {"type": "bind", "source": "/srv/repo", "destination": "/repo",
         "options": ["rbind", "ro", "nosuid", "nodev", "z"]},
        {"type": "bind", "source": "/ctl", "destination": "/run/koji-adjutant",
         "options": ["rbind", "rw", "nosuid", "nodev"]},
        {"type": "tmpfs", "source": "tmpfs", "destination": "/tmp",
         "options": ["size=1048576", "rw", "nosuid", "nodev"]},
    ]
    assert body["resource_limits"] == {"cpu": {"quota": 200000, "period": 100000},
                                       "memory": {"limit": 2**30, "swap": 2**30},
                                       "pids": {"limit": 500}}
    assert body["cap_drop"] == ["NET_RAW"] and body["cap_add"] == ["SYS_PTRACE"]
    assert body["no_new_privileges"] is True and body["read_only_filesystem"] is True
    assert body["timeout"] == 86400 + DEADLINE_GRACE


def test_create_payload_defaults_and_named_network():
    body = create_payload(spec(network="kojinet"), name="n", labels={})
    assert body["netns"] == {"nsmode": "bridge"} and body["networks"] == {"kojinet": {}}
    assert body["resource_limits"] == {}
    assert not {"timeout", "work_dir", "user", "hostname"} & set(body)
    assert create_payload(spec(), name="n", labels={})["netns"] == {"nsmode": "none"}
    bridge = create_payload(spec(network="bridge"), name="n", labels={})
    assert bridge["netns"] == {"nsmode": "bridge"} and "networks" not in bridge


def test_the_host_network_needs_the_hosts_user_namespace():
    with pytest.raises(ValueError, match="user namespace"):
        spec(network="host")
    assert spec(network="host", security=Security(user_namespace=False)).network == "host"


def test_create_payload_asks_for_a_user_namespace_unless_told_not_to():
    body = create_payload(spec(), name="n", labels={})
    assert body["userns"] == {"nsmode": "auto"}
    assert body["idmappings"] == {"AutoUserNs": True, "AutoUserNsOpts": {"Size": 65536}}
    shared = create_payload(spec(security=Security(user_namespace=False)), name="n", labels={})
    assert not {"userns", "idmappings"} & set(shared)


def test_exec_payload_is_detached_without_stdin():
    body = exec_payload(["rpmbuild", "-ba", "x.spec"], user="mockbuild", workdir="/builddir",
                        env={"HOME": "/builddir"})
    assert body == {"Cmd": ["rpmbuild", "-ba", "x.spec"], "AttachStdin": False,
                    "AttachStdout": False, "AttachStderr": False, "Tty": False,
                    "User": "mockbuild", "WorkingDir": "/builddir", "Env": ["HOME=/builddir"]}
    assert "User" not in exec_payload(["true"], user=None, workdir=None, env=None)
