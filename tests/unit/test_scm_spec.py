"""Spec discovery and the Packager/Vendor/Distribution rule (koji_adjutant.scm.spec)."""

import pytest

from koji_adjutant.errors import TaskFailed
from koji_adjutant.scm.spec import check_spec, find_spec, sources_dir, spec_problems

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
    assert spec_problems(SPEC) == []


@pytest.mark.parametrize("line,problem", [
    ("Vendor: ACME", "sets Vendor"),
    ("packager:   someone", "sets Packager"),
    ("  DISTRIBUTION : x", "sets Distribution"),
    ("%define vendor ACME", "defines %vendor"),
    ("%global packager someone", "defines %packager"),
    ("%{define:distribution x}", "defines %distribution"),
])
def test_owned_tags_are_found_anywhere_in_the_preamble(line, problem):
    text = SPEC.replace("License: MIT", f"License: MIT\n{line}")
    [found] = spec_problems(text)
    assert found == f"line 6 {problem}"


def test_a_subpackage_preamble_is_checked_too():
    text = SPEC + "\n%package devel\nSummary: x\nVendor: sub\n"
    assert spec_problems(text) == ["line 21 sets Vendor"]


def test_a_macro_defined_in_a_script_section_still_counts():
    text = SPEC.replace('echo "Packager', '%define distribution x\necho "Packager')
    assert spec_problems(text) == ["line 11 defines %distribution"]


def test_other_macro_names_are_fine():
    text = SPEC.replace("License: MIT", "License: MIT\n%define vendor_id 1\n%global Vendor x")
    assert spec_problems(text) == []


def test_check_spec_names_the_file_and_what_to_do(tmp_path):
    spec = tmp_path / "hello.spec"
    spec.write_text("Vendor: x\n" + SPEC)
    with pytest.raises(TaskFailed) as exc:
        check_spec(spec)
    assert str(exc.value) == ("hello.spec: line 1 sets Vendor. Packager, Distribution, Vendor "
                              "are set by the build system and may not be set in the spec file")
    spec.write_text(SPEC)
    check_spec(spec)
