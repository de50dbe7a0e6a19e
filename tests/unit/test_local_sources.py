"""What ``local build SOURCE`` accepts: git URLs, directories with a spec, SRPMs."""

import subprocess
from pathlib import Path

import pytest

from koji_adjutant.local.sources import BadSource, Source, classify, copy_tree

SPEC = "Name: x\nVersion: 1\nRelease: 1\nSummary: x\nLicense: MIT\n%description\nx\n"


@pytest.mark.parametrize("url, expected", [
    ("git+https://example.org/hello.git#main", "git+https://example.org/hello.git#main"),
    ("git://example.org/hello.git#v1", "git://example.org/hello.git#v1"),
    ("https://example.org/hello.git#abc123", "git+https://example.org/hello.git#abc123"),
])
def test_git_urls_are_scm_sources(url, expected):
    assert classify(url) == Source("scm", expected)


def test_a_directory_with_a_spec_is_a_directory_source(tmp_path):
    (tmp_path / "x.spec").write_text(SPEC)
    assert classify(str(tmp_path)) == Source("directory", str(tmp_path.resolve()))


def test_a_spec_in_specs_counts(tmp_path):
    (tmp_path / "SPECS").mkdir()
    (tmp_path / "SPECS" / "x.spec").write_text(SPEC)
    assert classify(str(tmp_path)).kind == "directory"


def test_a_directory_without_spec_is_refused(tmp_path):
    with pytest.raises(BadSource, match="without a usable spec file"):
        classify(str(tmp_path))


def test_a_file_that_is_no_rpm_is_refused(tmp_path):
    path = tmp_path / "hello.src.rpm"
    path.write_text("not an rpm")
    with pytest.raises(BadSource, match="not a readable RPM"):
        classify(str(path))


def test_a_missing_path_is_refused():
    with pytest.raises(BadSource, match="no such file or directory"):
        classify("/nonexistent/hello")


def test_an_srpm_is_an_srpm_source(tmp_path):
    top = tmp_path / "top"
    (tmp_path / "x.spec").write_text(SPEC)
    subprocess.run(["rpmbuild", "-bs", "--define", f"_topdir {top}", str(tmp_path / "x.spec")],
                   check=True, capture_output=True)
    [srpm] = (top / "SRPMS").glob("*.src.rpm")
    assert classify(str(srpm)) == Source("srpm", str(srpm.resolve()))


def test_a_binary_rpm_is_refused(tmp_path):
    top = tmp_path / "top"
    (tmp_path / "x.spec").write_text(SPEC + "%files\n")
    subprocess.run(["rpmbuild", "-bb", "--define", f"_topdir {top}", str(tmp_path / "x.spec")],
                   check=True, capture_output=True)
    [rpm] = (top / "RPMS").rglob("*.rpm")
    with pytest.raises(BadSource, match="a binary RPM, not a source RPM"):
        classify(str(rpm))


@pytest.mark.parametrize("location, label", [
    ("git+https://example.org/pkgs/hello.git#main", "hello"),
    ("/srv/x/hello-1.0-1.src.rpm", "hello-1.0-1"),
    ("/home/me/hello/", "hello"),
])
def test_labels_name_the_source(location, label):
    assert Source("scm", location).label == label


def test_copy_tree_leaves_git_out(tmp_path):
    source = tmp_path / "src"
    (source / ".git").mkdir(parents=True)
    (source / ".git" / "HEAD").write_text("ref")
    (source / "x.spec").write_text(SPEC)
    target = copy_tree(source, tmp_path / "copy")
    assert sorted(p.name for p in Path(target).iterdir()) == ["x.spec"]
