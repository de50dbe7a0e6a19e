"""Pure parts of the build parent and the chain build: options, result merging, levels."""

import koji
import pytest

from koji_adjutant.errors import TaskFailed
from koji_adjutant.tasks.build_plan import BuildOpts, merge_results
from koji_adjutant.tasks.chain_build import check_levels, split_level

GIT = "git+https://git.example.com/rpms/hello.git#abc123"


def test_cli_opts_parse_to_a_plain_build():
    opts = BuildOpts.parse({"wait_builds": [], "custom_user_metadata": {}})
    assert opts == BuildOpts()
    assert opts.imports and not opts.scratch
    assert BuildOpts.parse(None) == BuildOpts()


def test_scratch_opts_keep_override_and_rebuild_choice():
    opts = BuildOpts.parse({"scratch": True, "arch_override": "x86_64", "rebuild_srpm": False,
                            "wait_builds": ["a-1-1"], "repo_id": 7, "fail_fast": True})
    assert (opts.scratch, opts.imports, opts.arch_override, opts.rebuild_srpm) == (
        True, False, "x86_64", False)
    assert opts.wait_builds == ("a-1-1",) and opts.repo_id == 7 and opts.fail_fast


def test_rebuild_srpm_choice_is_ignored_for_real_builds():
    assert BuildOpts.parse({"rebuild_srpm": False}).rebuild_srpm is None


def test_arch_override_needs_scratch():
    with pytest.raises(koji.BuildError, match="arch_override is only allowed for scratch"):
        BuildOpts.parse({"arch_override": "x86_64"})


def test_draft_and_scratch_exclude_each_other():
    assert BuildOpts.parse({"draft": True}).draft
    with pytest.raises(koji.BuildError, match="both draft and scratch"):
        BuildOpts.parse({"draft": True, "scratch": True})


def test_custom_user_metadata_must_be_a_dict():
    assert BuildOpts.parse({"custom_user_metadata": {"a": [1]}}).custom_user_metadata == {
        "a": [1]}
    with pytest.raises(koji.BuildError, match="custom_user_metadata must be a dict"):
        BuildOpts.parse({"custom_user_metadata": ["a"]})


def arch_result(task_id: int, brootid: int, rpms=(), srpms=()) -> dict:
    base = f"tasks/{task_id}/{task_id}"
    return {"rpms": [f"{base}/{r}" for r in rpms], "srpms": [f"{base}/{s}" for s in srpms],
            "logs": [f"{base}/build.log", f"{base}/root.log"], "brootid": brootid}


def test_results_merge_into_the_import_arguments():
    imports = merge_results([
        ("x86_64", arch_result(5, 11, rpms=["h-1-1.x86_64.rpm"], srpms=["h-1-1.src.rpm"])),
        ("i686", arch_result(6, 12, rpms=["h-1-1.i686.rpm", "h-doc-1-1.noarch.rpm"])),
    ])
    assert imports.srpm == "tasks/5/5/h-1-1.src.rpm"
    assert imports.rpms == ["tasks/5/5/h-1-1.x86_64.rpm", "tasks/6/6/h-1-1.i686.rpm",
                            "tasks/6/6/h-doc-1-1.noarch.rpm"]
    assert imports.brmap == {"tasks/5/5/h-1-1.src.rpm": 11, "tasks/5/5/h-1-1.x86_64.rpm": 11,
                             "tasks/6/6/h-1-1.i686.rpm": 12,
                             "tasks/6/6/h-doc-1-1.noarch.rpm": 12}
    assert imports.logs == {"x86_64": ["tasks/5/5/build.log", "tasks/5/5/root.log"],
                            "i686": ["tasks/6/6/build.log", "tasks/6/6/root.log"]}


def test_exactly_one_built_srpm_is_required():
    with pytest.raises(TaskFailed, match="could not find a built srpm"):
        merge_results([("noarch", arch_result(5, 1, rpms=["h-1-1.noarch.rpm"]))])
    with pytest.raises(TaskFailed, match="multiple builds returned a srpm"):
        merge_results([("x86_64", arch_result(5, 1, srpms=["h-1-1.src.rpm"])),
                       ("i686", arch_result(6, 2, srpms=["h-1-1.src.rpm"]))])


def test_chain_levels_must_be_lists_of_sources():
    assert check_levels([[GIT], ["a-1-1", GIT]]) == [[GIT], ["a-1-1", GIT]]
    for bad in ([], [[]], [GIT], [[GIT], "a-1-1"], [[GIT, 3]], None):
        with pytest.raises(koji.ParameterError):
            check_levels(bad)


def test_a_level_splits_into_urls_to_build_and_nvrs_to_wait_for():
    urls, nvrs = split_level(["a-1-1", GIT, "b-2-1", "git://example.com/x.git#1"])
    assert urls == {1: GIT, 3: "git://example.com/x.git#1"}
    assert nvrs == ["a-1-1", "b-2-1"]
