"""The image policy against the hub simulator: real XML-RPC through a koji ClientSession.

Tags and their extra data are made with the simulator's admin API; the resolver asks the
hub over HTTP exactly as the daemon does (``getBuildConfig(tag, event=...)``,
``getExternalRepo``), so inheritance and history are the hub's, not ours.
"""

from __future__ import annotations

import koji
import pytest

from koji_adjutant.errors import TaskFailed
from koji_adjutant.hub import Hub
from koji_adjutant.policy import DEFAULT_SOURCE, PolicyResolver

DEFAULT = "localhost/koji-adjutant-buildroot:test"
F40 = "registry.example/fedora:40"
F41 = "registry.example/fedora:41"
EL9 = "registry.example/almalinux:9"


def last_event(session) -> int:
    return session.getLastEvent()["id"]


def test_a_child_tag_inherits_its_parents_rules(hub):  # noqa: F811
    hub.add_tag("base", arches="x86_64 aarch64",
                extra={"adjutant.image": F40, "adjutant.image.aarch64": EL9})
    hub.add_tag("f40-build", arches="", parents=("base",),
                extra={"adjutant.image.createrepo": F41})
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    build = policy.resolve("f40-build", None, "buildArch", "x86_64")
    arm = policy.resolve("f40-build", None, "buildArch", "aarch64")
    repo = policy.resolve("f40-build", None, "createrepo", "noarch")
    assert (build.image, build.source, build.tag) == (F40, "adjutant.image", "f40-build")
    assert (arm.image, arm.source) == (EL9, "adjutant.image.aarch64")
    assert (repo.image, repo.source) == (F41, "adjutant.image.createrepo")


def test_a_child_rule_overrides_the_inherited_one(hub):  # noqa: F811
    hub.add_tag("base", extra={"adjutant.image": F40})
    hub.add_tag("child", parents=("base",), extra={"adjutant.image": F41})
    choice = PolicyResolver(Hub(hub.session()), DEFAULT).resolve("child", None, "buildArch", "x86_64")
    assert (choice.image, choice.source) == (F41, "adjutant.image")


def test_two_tags_with_different_rules_get_different_images(hub):  # noqa: F811
    hub.add_tag("fedora-build", extra={"adjutant.image.buildArch.x86_64": F41})
    hub.add_tag("el9-build", extra={"adjutant.image.x86_64": EL9})
    hub.add_tag("plain-build")
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    images = {tag: policy.resolve(tag, None, "buildArch", "x86_64")
              for tag in ("fedora-build", "el9-build", "plain-build")}
    assert {tag: (c.image, c.source) for tag, c in images.items()} == {
        "fedora-build": (F41, "adjutant.image.buildArch.x86_64"),
        "el9-build": (EL9, "adjutant.image.x86_64"),
        "plain-build": (DEFAULT, DEFAULT_SOURCE),
    }


def test_a_rule_change_at_a_later_event_takes_effect(hub):  # noqa: F811
    tag_id = hub.add_tag("build", extra={"adjutant.image": F40})
    session = hub.session()
    before = last_event(session)
    after = hub.edit_tag("build", extra={"adjutant.image": F41})
    assert after > before
    policy = PolicyResolver(Hub(session), DEFAULT)
    assert policy.resolve("build", before, "buildArch", "x86_64").image == F40
    assert policy.resolve("build", after, "buildArch", "x86_64").image == F41
    # By id as well as by name, and the earlier event still answers the old image.
    assert policy.resolve(tag_id, before, "buildArch", "x86_64").image == F40
    assert policy.resolve("build", before, "buildArch", "x86_64").image == F40
    assert policy.resolve("build", None, "buildArch", "x86_64").image == F41


def test_a_later_task_sees_the_current_state_as_it_is_now(hub):  # noqa: F811
    hub.add_tag("build", extra={"adjutant.image": F40})
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    assert policy.resolve("build", None, "buildArch", "x86_64").image == F40
    changed = hub.edit_tag("build", extra={"adjutant.image": F41})
    # within one task the answer stays the one it first read; at the new event it is new
    assert policy.resolve("build", None, "buildArch", "x86_64").image == F40
    assert policy.resolve("build", changed, "buildArch", "x86_64").image == F41
    later_task = PolicyResolver(Hub(hub.session()), DEFAULT)
    assert later_task.resolve("build", None, "buildArch", "x86_64").image == F41


def test_removing_a_rule_falls_back_to_the_next_one(hub):  # noqa: F811
    hub.add_tag("build", extra={"adjutant.image": F40, "adjutant.image.x86_64": EL9})
    first = last_event(hub.session())
    removed = hub.edit_tag("build", remove_extra=("adjutant.image.x86_64",))
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    assert policy.resolve("build", first, "buildArch", "x86_64").image == EL9
    assert policy.resolve("build", removed, "buildArch", "x86_64").image == F40


def test_the_external_repo_is_paired_with_the_image_rule(hub):  # noqa: F811
    hub.add_external_repo("el9-image-rpms", "http://mirror.example/el9/$arch/")
    hub.add_external_repo("f40-image-rpms", "http://mirror.example/f40/$arch/")
    hub.add_tag("base", extra={"adjutant.image": F40,
                               "adjutant.external_repo": "f40-image-rpms"})
    hub.add_tag("build", parents=("base",), extra={
        "adjutant.image.x86_64": EL9, "adjutant.external_repo.x86_64": "el9-image-rpms",
        "adjutant.image.createrepo": F41})
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    x86 = policy.resolve("build", None, "buildArch", "x86_64")
    arm = policy.resolve("build", None, "buildArch", "aarch64")
    repo = policy.resolve("build", None, "createrepo", "x86_64")
    assert (x86.image, x86.external_repo) == (EL9, "el9-image-rpms")
    assert (arm.image, arm.external_repo) == (F40, "f40-image-rpms")
    assert (repo.image, repo.external_repo) == (F41, None)


def test_an_external_repo_unknown_to_the_hub_fails_the_task(hub):  # noqa: F811
    hub.add_tag("build", extra={"adjutant.image": F40, "adjutant.external_repo": "missing"})
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    with pytest.raises(TaskFailed, match="tag build: adjutant.external_repo = 'missing'"):
        policy.resolve("build", None, "buildArch", "x86_64")


def test_a_value_koji_cli_stores_as_a_number_fails_the_task(hub):  # noqa: F811
    # `koji edit-tag -x adjutant.image=40` stores the integer 40.
    hub.add_tag("base", extra={"adjutant.image": 40})
    hub.add_tag("build", parents=("base",))
    policy = PolicyResolver(Hub(hub.session()), DEFAULT)
    with pytest.raises(TaskFailed) as info:
        policy.resolve("build", None, "buildArch", "x86_64")
    assert str(info.value).startswith("tag build: invalid tag extra adjutant.image = 40 "
                                      "(inherited from tag base)")


def test_an_unknown_tag_is_the_hubs_error(hub):  # noqa: F811
    with pytest.raises(koji.GenericError, match="No such tagInfo"):
        PolicyResolver(Hub(hub.session()), DEFAULT).resolve("nope", None, "buildArch", "x86_64")
