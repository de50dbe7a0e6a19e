"""Spec discovery and the Packager/Vendor/Distribution rule (koji_adjutant.scm.spec)."""

import pytest

from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.spec import HEAD_BYTES, check_spec, find_spec, sources_dir, spec_problem

SPEC = """Name: hello
Version: 1.0
Release: 1%{?dist}
Summary: hello
License: MIT

%description
Vendor: this text is only a description

%prep
echo "Packager: in a script, not a tag"

%files

%changelog
* Mon Jan 01 2024 someone <s@example.invalid> - 1.0-1
- Distribution: only words
"""


def tree(root, files):
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def test_a_single_top_level_spec_is_found(tmp_path):
    src = tree(tmp_path / "hello", {"hello.spec": SPEC, "README": ""})
    assert find_spec(src) == src / "hello.spec"


def test_the_rpm_layout_is_used_when_the_top_has_none(tmp_path):
    src = tree(tmp_path / "hello", {"SPECS/foo.spec": SPEC, "SOURCES/foo.tar": ""})
    assert find_spec(src) == src / "SPECS" / "foo.spec"
    assert sources_dir(src) == src / "SOURCES"
    with pytest.raises(TaskFailed, match="no spec file found in the top of the checkout;"):
        find_spec(src, rpm_layout=False)
    assert sources_dir(src, rpm_layout=False) == src


def test_without_a_sources_dir_the_checkout_holds_the_sources(tmp_path):
    src = tree(tmp_path / "hello", {"hello.spec": SPEC})
    assert sources_dir(src) == src


def test_no_spec_at_all_says_where_it_looked(tmp_path):
    src = tree(tmp_path / "hello", {"README": "", "docs/x.spec.txt": ""})
    with pytest.raises(TaskFailed, match="top of the checkout or its SPECS/ directory"):
        find_spec(src)


def test_of_several_specs_the_one_named_after_the_directory_wins(tmp_path):
    src = tree(tmp_path / "hello", {"hello.spec": SPEC, "other.spec": SPEC})
    assert find_spec(src) == src / "hello.spec"
    src2 = tree(tmp_path / "pkgs", {"SPECS/pkgs.spec": SPEC, "SPECS/b.spec": SPEC})
    assert find_spec(src2) == src2 / "SPECS" / "pkgs.spec"


def test_several_specs_without_a_named_one_fail(tmp_path):
    src = tree(tmp_path / "hello", {"a.spec": SPEC, "b.spec": SPEC})
    with pytest.raises(TaskFailed, match=r"several spec files \(a.spec, b.spec\) and none "
                                         r"named hello.spec"):
        find_spec(src)


def test_a_spec_symlink_out_of_the_checkout_is_refused(tmp_path):
    outside = tmp_path / "secret.spec"
    outside.write_text(SPEC)
    src = tmp_path / "hello"
    src.mkdir()
    (src / "hello.spec").symlink_to(outside)
    with pytest.raises(TaskFailed, match="not a regular file inside the checkout"):
        find_spec(src)


def test_a_specs_dir_symlink_out_of_the_checkout_is_refused(tmp_path):
    outside = tree(tmp_path / "elsewhere", {"x.spec": SPEC})
    src = tmp_path / "hello"
    src.mkdir()
    (src / "SPECS").symlink_to(outside)
    with pytest.raises(TaskFailed, match="not a regular file inside the checkout"):
        find_spec(src)


def test_text_sections_and_scripts_do_not_count():
    assert spec_problem(SPEC) is None


@pytest.mark.parametrize("start,problem", [
    ("Vendor: ACME\n", "Vendor is not allowed to be set in spec file"),
    ("Packager:someone\n", "Packager is not allowed to be set in spec file"),
    ("Distribution: x\n", "Distribution is not allowed to be set in spec file"),
    ("%define vendor ACME\n", "vendor is not allowed to be defined in spec file"),
    ("%define\tpackager\tsomeone\n", "packager is not allowed to be defined in spec file"),
])
def test_a_spec_starting_with_an_owned_tag_is_refused_as_kojid_does(start, problem):
    assert spec_problem(start + SPEC) == problem


@pytest.mark.parametrize("text", [
    # kojid's re.match looks at the start of the file only: these build there
    SPEC.replace("License: MIT", "License: MIT\nVendor: ACME"),
    SPEC.replace("License: MIT", "License: MIT\n%define vendor ACME"),
    SPEC + "\n%package devel\nSummary: x\nPackager: sub\n",
    # and only the exact spelling at the very start counts
    " Vendor: ACME\n" + SPEC,
    "vendor: ACME\n" + SPEC,
    "Vendor : ACME\n" + SPEC,
    "%global vendor ACME\n" + SPEC,
    "%define vendor_id 1\n" + SPEC,
    "# Vendor: ACME\n" + SPEC,
])
def test_what_kojid_builds_is_built(text):
    assert spec_problem(text) is None


def test_check_spec_names_the_file_and_what_to_do(tmp_path):
    spec = tmp_path / "hello.spec"
    spec.write_text("Vendor: x\n" + SPEC)
    with pytest.raises(TaskFailed) as exc:
        check_spec(spec)
    assert str(exc.value) == ("hello.spec: Vendor is not allowed to be set in spec file (the "
                              "build system sets Packager, Distribution, Vendor)")
    spec.write_text(SPEC)
    check_spec(spec)


def test_check_spec_reads_only_the_start_of_a_huge_spec(tmp_path):
    spec = tmp_path / "big.spec"
    spec.write_text(SPEC + "#" * (HEAD_BYTES * 100) + "\n")
    check_spec(spec)
    spec.write_text("%define distribution x\n" + SPEC + "#" * (HEAD_BYTES * 100) + "\n")
    with pytest.raises(TaskFailed, match="distribution is not allowed to be defined"):
        check_spec(spec)
