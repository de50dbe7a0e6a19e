"""PolicyResolver: precedence, arch canonicalisation, validation, external repos, hub reads.

The session here is ``FakeHub``, a small in-memory stand-in answering getBuildConfig and
getExternalRepo and counting the calls, behind the real hub seam (``Hub``);
tests/test_policy_hub.py runs the same resolver against the hub simulator over XML-RPC.
"""

from __future__ import annotations

import koji
import pytest

from koji_adjutant.config.adjutant import AdjutantOptions
from koji_adjutant.errors import ConfigError, TaskFailed
from koji_adjutant.hub import Hub
from koji_adjutant.policy import (
    DEFAULT_SOURCE,
    ImageChoice,
    PolicyResolver,
    image_suffixes,
)

DEFAULT = "registry.example/default:1"


class FakeHub:
    """Build configs per (tag, event) plus external repos; records every call."""

    def __init__(self, extra: dict | None = None, repos: tuple[str, ...] = ()):
        self.configs: dict[tuple, dict] = {}
        self.repos = set(repos)
        self.calls: list[tuple] = []
        self.failures = 0
        if extra is not None:
            self.set("build", None, extra)

    def set(self, tag: str, event: int | None, extra: dict,
            origins: dict[str, str] | None = None) -> None:
        inherit = {key: {"tag_id": 9, "tag_name": name} for key, name in (origins or {}).items()}
        self.configs[(tag, event)] = {"id": 1, "name": tag, "arches": "x86_64",
                                      "extra": dict(extra),
                                      "config_inheritance": {"extra": inherit}}

    def getBuildConfig(self, tag, event=None):
        self.calls.append(("getBuildConfig", tag, event))
        if self.failures:
            self.failures -= 1
            raise koji.GenericError("hub is having a bad day")
        if (tag, event) not in self.configs:
            raise koji.GenericError(f"No such tagInfo: {tag!r}")
        return self.configs[(tag, event)]

    def getExternalRepo(self, info, strict=False, event=None):
        self.calls.append(("getExternalRepo", info, event))
        return {"id": 3, "name": info, "url": "http://x/"} if info in self.repos else None

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call[0] == method)


def resolver(hub: FakeHub, **kwargs) -> PolicyResolver:
    """A resolver as a task makes it: through that task's ``Hub``."""
    return PolicyResolver(Hub(hub), DEFAULT, **kwargs)


ALL_RULES = {
    "adjutant.image.buildArch.x86_64": "img/method-arch",
    "adjutant.image.buildArch": "img/method",
    "adjutant.image.x86_64": "img/arch",
    "adjutant.image": "img/tag",
}


@pytest.mark.parametrize("removed, expected", [
    ((), "adjutant.image.buildArch.x86_64"),
    (("adjutant.image.buildArch.x86_64",), "adjutant.image.buildArch"),
    (("adjutant.image.buildArch.x86_64", "adjutant.image.buildArch"), "adjutant.image.x86_64"),
    (("adjutant.image.buildArch.x86_64", "adjutant.image.buildArch", "adjutant.image.x86_64"),
     "adjutant.image"),
])
def test_the_most_specific_present_key_wins(removed, expected):
    extra = {k: v for k, v in ALL_RULES.items() if k not in removed}
    choice = resolver(FakeHub(extra)).resolve("build", None, "buildArch", "x86_64")
    assert (choice.source, choice.image) == (expected, ALL_RULES[expected])


def test_no_key_falls_back_to_the_configured_default():
    hub = FakeHub({"mock.package_manager": "dnf"})
    choice = resolver(hub).resolve("build", None, "buildArch", "x86_64")
    assert choice == ImageChoice(DEFAULT, DEFAULT_SOURCE, None, "build", None)


def test_rules_for_another_method_or_arch_do_not_apply():
    hub = FakeHub({"adjutant.image.createrepo": "img/repo",
                   "adjutant.image.buildArch.aarch64": "img/arm",
                   "adjutant.image.aarch64": "img/arm-any",
                   "adjutant.image": "img/tag"})
    choice = resolver(hub).resolve("build", None, "buildArch", "x86_64")
    assert (choice.source, choice.image) == ("adjutant.image", "img/tag")
    choice = resolver(hub).resolve("build", None, "createrepo", "noarch")
    assert (choice.source, choice.image) == ("adjutant.image.createrepo", "img/repo")


@pytest.mark.parametrize("arch, key", [("i686", "adjutant.image.i386"),
                                       ("athlon", "adjutant.image.i386"),
                                       ("armv7hl", "adjutant.image.armhfp"),
                                       ("ppc64p7", "adjutant.image.ppc64"),
                                       ("ia32e", "adjutant.image.x86_64")])
def test_arch_is_canonicalised_before_lookup(arch, key):
    hub = FakeHub({key: "img/canon", f"adjutant.image.{arch}": "img/raw"})
    choice = resolver(hub).resolve("build", None, "buildArch", arch)
    assert (choice.source, choice.image) == (key, "img/canon")


def test_image_suffixes_are_in_precedence_order():
    assert image_suffixes("buildArch", "s390x") == (
        ".buildArch.s390x", ".buildArch", ".s390x", "")


def test_disabled_policy_never_asks_the_hub():
    hub = FakeHub({"adjutant.image": "img/tag"})
    choice = resolver(hub, enabled=False).resolve("build", 7, "buildArch", "x86_64")
    assert choice == ImageChoice(DEFAULT, DEFAULT_SOURCE, None, None, 7)
    assert hub.calls == []


@pytest.mark.parametrize("value", ["two words", "", " ", "tab\there", "line\nbreak",
                                   42, 1.5, True, None, ["img"], {"a": "b"}])
def test_an_invalid_image_value_fails_the_task_naming_tag_key_and_value(value):
    hub = FakeHub({"adjutant.image.x86_64": value, "adjutant.image": "img/ok"})
    with pytest.raises(TaskFailed) as info:
        resolver(hub).resolve("build", None, "buildArch", "x86_64")
    message = str(info.value)
    assert "tag build" in message
    assert "adjutant.image.x86_64" in message
    assert repr(value) in message
    assert "koji edit-tag build" in message


def test_an_invalid_inherited_value_names_the_tag_to_edit():
    hub = FakeHub()
    hub.set("child", 4, {"adjutant.image": "bad value"}, origins={"adjutant.image": "parent"})
    with pytest.raises(TaskFailed, match="inherited from tag parent.*koji edit-tag parent"):
        resolver(hub).resolve("child", 4, "buildArch", "x86_64")


def test_from_options_takes_the_adjutant_section_settings():
    hub = FakeHub({"adjutant.image": "img/tag"})
    options = AdjutantOptions(default_image="img/conf", policy_enabled=False)
    policy = PolicyResolver.from_options(Hub(hub), options)
    choice = policy.resolve("build", None, "buildArch", "x86_64")
    assert (choice.image, choice.source) == ("img/conf", DEFAULT_SOURCE)
    assert hub.count("getBuildConfig") == 0
    enabled = PolicyResolver.from_options(Hub(hub), AdjutantOptions())
    assert enabled.resolve("build", None, "buildArch", "x86_64").image == "img/tag"


def test_the_default_image_is_checked_at_construction():
    with pytest.raises(ConfigError, match="default_image"):
        PolicyResolver(FakeHub(), "not one word")


@pytest.mark.parametrize("method, arch", [("", "x86_64"), ("buildArch", "")])
def test_method_and_arch_are_required(method, arch):
    with pytest.raises(ValueError):
        resolver(FakeHub({})).resolve("build", None, method, arch)


# ---------------------------------------------------------------- external repos

def test_the_external_repo_uses_the_suffix_of_the_chosen_key():
    hub = FakeHub({"adjutant.image.x86_64": "img/x86", "adjutant.external_repo.x86_64": "x86-rpms",
                   "adjutant.image": "img/tag", "adjutant.external_repo": "tag-rpms"},
                  repos=("x86-rpms", "tag-rpms"))
    x86 = resolver(hub).resolve("build", None, "buildArch", "x86_64")
    arm = resolver(hub).resolve("build", None, "buildArch", "aarch64")
    assert (x86.image, x86.external_repo) == ("img/x86", "x86-rpms")
    assert (arm.image, arm.external_repo) == ("img/tag", "tag-rpms")


def test_there_is_no_cross_suffix_fallback_for_the_external_repo():
    hub = FakeHub({"adjutant.image.x86_64": "img/x86", "adjutant.external_repo": "tag-rpms"},
                  repos=("tag-rpms",))
    choice = resolver(hub).resolve("build", None, "buildArch", "x86_64")
    assert (choice.image, choice.external_repo) == ("img/x86", None)
    assert hub.count("getExternalRepo") == 0


def test_the_default_image_has_no_external_repo():
    hub = FakeHub({"adjutant.external_repo": "tag-rpms"}, repos=("tag-rpms",))
    choice = resolver(hub).resolve("build", None, "buildArch", "x86_64")
    assert (choice.image, choice.external_repo) == (DEFAULT, None)


def test_an_invalid_external_repo_value_fails_the_task():
    hub = FakeHub({"adjutant.image": "img/tag", "adjutant.external_repo": "a b"})
    with pytest.raises(TaskFailed, match="tag build.*adjutant.external_repo = 'a b'"):
        resolver(hub).resolve("build", None, "buildArch", "x86_64")


def test_an_unknown_external_repo_fails_until_it_is_created():
    hub = FakeHub({"adjutant.image": "img/tag", "adjutant.external_repo": "later-rpms"})
    policy = resolver(hub)
    with pytest.raises(TaskFailed, match="names no koji external repo.*add-external-repo"):
        policy.resolve("build", None, "buildArch", "x86_64")
    hub.repos.add("later-rpms")
    assert policy.resolve("build", None, "buildArch", "x86_64").external_repo == "later-rpms"


# ---------------------------------------------------------------- hub reads

def test_a_task_reads_a_config_at_an_event_once():
    hub = FakeHub()
    hub.set("build", 5, {"adjutant.image": "img/five"})
    policy = resolver(hub)
    for _ in range(3):
        assert policy.resolve("build", 5, "buildArch", "x86_64").image == "img/five"
    assert hub.count("getBuildConfig") == 1


def test_the_next_task_sees_a_changed_policy_at_once():
    hub = FakeHub({"adjutant.image": "img/old"})
    assert resolver(hub).resolve("build", None, "buildArch", "x86_64").image == "img/old"
    hub.set("build", None, {"adjutant.image": "img/new"})
    assert resolver(hub).resolve("build", None, "buildArch", "x86_64").image == "img/new"
    assert hub.count("getBuildConfig") == 2


def test_an_entry_for_one_event_never_answers_another():
    hub = FakeHub({"adjutant.image": "img/now"})
    hub.set("build", 5, {"adjutant.image": "img/five"})
    hub.set("build", 6, {"adjutant.image": "img/six"})
    hub.set("other", 5, {"adjutant.image": "img/other"})
    policy = resolver(hub)
    answers = [(tag, event, policy.resolve(tag, event, "buildArch", "x86_64").image)
               for tag, event in [("build", 5), ("build", 6), ("build", None),
                                  ("other", 5), ("build", 5), ("build", 6)]]
    assert answers == [("build", 5, "img/five"), ("build", 6, "img/six"),
                       ("build", None, "img/now"), ("other", 5, "img/other"),
                       ("build", 5, "img/five"), ("build", 6, "img/six")]
    assert hub.count("getBuildConfig") == 4


def test_build_config_returns_a_copy_the_caller_may_change():
    hub = FakeHub()
    hub.set("build", 5, {"adjutant.image": "img/five"})
    policy = resolver(hub)
    policy.build_config("build", 5)["extra"]["adjutant.image"] = "img/changed"
    assert policy.resolve("build", 5, "buildArch", "x86_64").image == "img/five"


def test_hub_errors_propagate_and_are_not_cached():
    hub = FakeHub()
    hub.set("build", 5, {"adjutant.image": "img/five"})
    hub.failures = 1
    policy = resolver(hub)
    with pytest.raises(koji.GenericError, match="bad day"):
        policy.resolve("build", 5, "buildArch", "x86_64")
    assert policy.resolve("build", 5, "buildArch", "x86_64").image == "img/five"


def test_a_tag_must_be_an_id_or_a_name():
    with pytest.raises(TypeError):
        resolver(FakeHub()).build_config({"name": "build"}, None)


def test_repo_tasks_take_only_keys_that_name_their_method_then_repo_image_then_the_host():
    hub = FakeHub({"adjutant.image": "img/buildroot", "adjutant.image.x86_64": "img/arch",
                   "adjutant.image.createdistrepo": "img/dist"})
    policy = resolver(hub)
    # the tag's buildroot images need not have createrepo_c: not used for repo tasks
    assert policy.repo_tools("build", None, "createrepo", "x86_64", None) is None
    choice = policy.repo_tools("build", None, "createrepo", "x86_64", "img/tools")
    assert (choice.image, choice.source) == ("img/tools", "[adjutant] repo_image")
    choice = policy.repo_tools("build", None, "createdistrepo", "x86_64", "img/tools")
    assert (choice.image, choice.source) == ("img/dist", "adjutant.image.createdistrepo")
