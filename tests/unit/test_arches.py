"""The build parent's arch rules: which buildArch subtasks, and with which task arch."""

import koji
import pytest

from koji_adjutant.errors import TaskFailed
from koji_adjutant.tasks.arches import SrpmArches, build_arches, task_arch
from rpmkit import Package

NONE = SrpmArches()


def test_tag_arches_are_built_in_their_order():
    assert build_arches("x86_64 i686 aarch64", NONE) == ["x86_64", "i686", "aarch64"]


def test_extra_arches_are_added_when_the_tag_has_their_canonical_arch():
    assert build_arches("i386 x86_64", NONE, extra_arches="i686 ppc64le") == [
        "i386", "x86_64", "i686"]


def test_build_arch_noarch_builds_only_noarch():
    assert build_arches("x86_64 i686", SrpmArches(buildarchs=("noarch",))) == ["noarch"]


def test_exclusive_arch_keeps_only_its_members():
    assert build_arches("x86_64 i686", SrpmArches(exclusivearch=("x86_64", "ppc64le"))) == [
        "x86_64"]


def test_exclude_arch_drops_its_members():
    assert build_arches("x86_64 i686", SrpmArches(excludearch=("i686",))) == ["x86_64"]


def test_noarch_in_exclusive_arch_adds_noarch_once():
    srpm = SrpmArches(buildarchs=("noarch",), exclusivearch=("x86_64", "noarch"))
    assert build_arches("x86_64 i686", srpm) == ["noarch"]
    assert build_arches("x86_64 i686", SrpmArches(exclusivearch=("noarch", "x86_64"))) == [
        "x86_64", "noarch"]


def test_excluded_noarch_leaves_nothing_to_build():
    with pytest.raises(TaskFailed, match="No matching arches were found") as exc:
        build_arches("x86_64", SrpmArches(buildarchs=("noarch",), excludearch=("noarch",)))
    assert "ExcludeArch noarch" in str(exc.value)


def test_arch_override_replaces_the_list_but_stays_within_the_tag():
    assert build_arches("x86_64 i686", NONE, arch_override="i686 ppc64le") == ["i686"]
    with pytest.raises(TaskFailed, match="No matching arches"):
        build_arches("x86_64", NONE, arch_override="ppc64le")


def test_a_tag_without_arches_is_a_clear_error():
    with pytest.raises(TaskFailed, match=r"^No arches for tag f99-build \[3\]$"):
        build_arches("", NONE, tag="f99-build [3]")
    with pytest.raises(TaskFailed, match="^No arches for tag$"):
        build_arches(None, NONE)


def test_real_arches_become_canonical_task_arches_unless_literal():
    assert task_arch("i686", "x86_64 i686") == "i386"
    assert task_arch("x86_64", "x86_64") == "x86_64"
    assert task_arch("i686", "x86_64 i686", literal_task_arches="i?86 ppc*") == "i686"
    assert task_arch("ppc64le", "ppc64le", literal_task_arches="i?86 ppc*") == "ppc64le"


def test_unrestricted_noarch_stays_noarch():
    assert task_arch("noarch", "x86_64 i686") == "noarch"
    allowed_all = SrpmArches(exclusivearch=("x86_64", "i686", "noarch"))
    assert task_arch("noarch", "x86_64 i686", allowed_all) == "noarch"


def test_restricted_noarch_is_scheduled_on_an_allowed_arch():
    picked = []

    def choose(arches):
        picked.append(list(arches))
        return arches[-1]

    assert task_arch("noarch", "x86_64 i686 aarch64", SrpmArches(excludearch=("i686",)),
                     choose=choose) == "x86_64"
    assert picked == [["aarch64", "x86_64"]]
    assert task_arch("noarch", "x86_64 i686", SrpmArches(exclusivearch=("i686",)),
                     choose=choose) == "i386"


def test_noarch_arches_of_the_tag_narrow_noarch_builds():
    assert task_arch("noarch", "x86_64 aarch64", noarch_arches="x86_64 s390x") == "x86_64"
    assert task_arch("noarch", "x86_64 aarch64", noarch_arches="aarch64 x86_64") == "noarch"


def test_no_valid_arch_for_noarch_is_a_clear_error():
    with pytest.raises(TaskFailed, match="No valid arches were found for a noarch build"):
        task_arch("noarch", "x86_64", SrpmArches(excludearch=("x86_64",)))


def test_srpm_arches_come_from_the_header(rpm_factory, tmp_path):
    pkg = Package("arches-probe", exclusive_arch=("x86_64", "noarch"), exclude_arch="i686")
    header = koji.get_rpm_header(str(rpm_factory.srpm(pkg)))
    arches = SrpmArches.from_header(header)
    assert arches == SrpmArches(buildarchs=("noarch",), exclusivearch=("x86_64", "noarch"),
                                excludearch=("i686",))
    assert arches.restricts
    assert not SrpmArches(buildarchs=("noarch",)).restricts
