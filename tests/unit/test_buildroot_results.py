"""``results.collect``: what a build left under its build home, taken without following links.

Each test lays out a build home the way a hostile build could (links to
host files and directories, FIFOs, misnamed RPMs, odd names) with real RPMs
from the host's rpmbuild, and checks what ``collect`` takes or how it fails.
"""

import contextlib
import os
import shutil
import socket

import pytest
from rpmkit import Package

from koji_adjutant.buildroot import results
from koji_adjutant.buildroot.environment import TOPDIR
from koji_adjutant.errors import TaskFailed

HELLO = Package("hello-results")


@pytest.fixture
def built(rpm_factory):
    return rpm_factory.rpms(HELLO)


@pytest.fixture
def home(tmp_path):
    """A task directory holding a build home with an empty build tree."""
    home = tmp_path / "task" / "buildroot"
    for sub in ("SRPMS", "RPMS"):
        (home / "build" / sub).mkdir(parents=True)
    return home


def put(home, relpath: str, source) -> None:
    shutil.copy(source, home / "build" / relpath)


def collect(home):
    return results.collect(home, TOPDIR, ("SRPMS", "RPMS"))


def failure(home) -> str:
    with pytest.raises(TaskFailed) as exc:
        collect(home)
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_rpms_are_copied_out_beside_the_build_home(home, built):
    put(home, "SRPMS/" + built.srpm.name, built.srpm)
    put(home, "RPMS/" + built.rpms[0].name, built.rpms[0])
    (home / "build" / "RPMS" / "noarch").mkdir()
    (home / "build" / "RPMS" / "noarch" / "notes.txt").write_text("left over\n")
    result = collect(home)
    assert [p.name for p in result.srpms] == ["hello-results-1.0-1.src.rpm"]
    assert [p.name for p in result.rpms] == ["hello-results-1.0-1.noarch.rpm"]
    assert result.other == ("RPMS/noarch/notes.txt",)
    for copy in result.srpms + result.rpms:
        assert copy.parent.parent == home.parent and copy.parent != home
        assert not copy.is_symlink()
        assert copy.read_bytes() == (home / "build" / ("SRPMS" if copy.name.endswith(
            ".src.rpm") else "RPMS") / copy.name).read_bytes()
    assert oct(os.stat(result.srpms[0].parent).st_mode & 0o777) == "0o700"


def test_missing_result_directories_hold_nothing(tmp_path):
    home = tmp_path / "buildroot"
    home.mkdir()
    assert collect(home) == results.BuildResult((), (), ())


def test_a_link_to_a_host_file_fails_and_is_not_read(home, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("the host's secret\n")
    os.symlink(secret, home / "build" / "RPMS" / "zz-1-1.x86_64.rpm")
    assert failure(home) == ("the build left RPMS/zz-1-1.x86_64.rpm as a symbolic link; "
                             "results must be regular files")
    copies = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()]
    assert all(p.read_bytes() != secret.read_bytes() for p in copies if p != secret)


def test_a_linked_result_directory_fails(home, tmp_path, built):
    other_build = tmp_path / "other-build"
    other_build.mkdir()
    shutil.copy(built.rpms[0], other_build)
    shutil.rmtree(home / "build" / "RPMS")
    os.symlink(other_build, home / "build" / "RPMS")
    assert failure(home) == ("the build left RPMS as a symbolic link; "
                             "result directories must be real directories")


def test_a_linked_build_tree_fails(home, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (home / "build").rename(elsewhere)
    os.symlink(elsewhere, home / "build")
    assert failure(home) == ("the build left /builddir/build as a symbolic link; "
                             "result directories must be real directories")


def test_a_linked_subdirectory_fails(home, tmp_path):
    os.symlink(tmp_path, home / "build" / "RPMS" / "x86_64")
    assert "RPMS/x86_64 as a symbolic link" in failure(home)


def test_a_fifo_fails_without_blocking(home):
    os.mkfifo(home / "build" / "RPMS" / "pipe-1-1.noarch.rpm")
    assert failure(home) == ("the build left RPMS/pipe-1-1.noarch.rpm as a FIFO; "
                             "results must be regular files")


def test_a_socket_fails(home):
    path = home / "build" / "SRPMS" / "s.src.rpm"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        assert "SRPMS/s.src.rpm as a socket" in failure(home)


@pytest.mark.parametrize("name", ["...src.rpm", ".hidden.rpm", "new\nline.rpm", "sp ace.rpm"])
def test_names_that_are_no_plain_file_name_fail(home, built, name):
    put(home, "SRPMS/" + name, built.srpm)
    assert "which is not a usable result name" in failure(home)


def test_a_file_that_is_no_rpm_fails(home):
    (home / "build" / "RPMS" / "x.rpm").write_text("not an rpm\n")
    assert failure(home).startswith("the build left RPMS/x.rpm, which is not a readable RPM")


def test_a_renamed_rpm_fails(home, built):
    put(home, "RPMS/other-9-9.noarch.rpm", built.rpms[0])
    assert failure(home) == ("rpm name mismatch: the build left RPMS/other-9-9.noarch.rpm, "
                             "its header says hello-results-1.0-1.noarch.rpm")


def test_a_source_package_named_as_a_binary_fails(home, built):
    put(home, "RPMS/hello-results-1.0-1.noarch.rpm", built.srpm)
    assert failure(home) == ("srpm name mismatch: the build left "
                             "RPMS/hello-results-1.0-1.noarch.rpm, its header says "
                             "hello-results-1.0-1.src.rpm")


def test_two_results_of_one_name_fail(home, built):
    (home / "build" / "RPMS" / "a").mkdir()
    put(home, "RPMS/" + built.rpms[0].name, built.rpms[0])
    put(home, "RPMS/a/" + built.rpms[0].name, built.rpms[0])
    assert "two results named hello-results-1.0-1.noarch.rpm" in failure(home)


def test_a_deep_tree_fails(home):
    deep = home / "build" / "RPMS"
    for level in range(results.MAX_DEPTH + 1):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    assert "nested more than" in failure(home)


@pytest.mark.parametrize("name, usable", [
    ("hello-1.0-1.noarch.rpm", True), ("", False), (".", False), ("..", False),
    ("...src.rpm", False), ("a/b.rpm", False), ("tab\t.rpm", False), ("\x1b[1m.rpm", False),
    ("caf\udce9.rpm", False)])
def test_usable_names(name, usable):
    assert results.usable_name(name) is usable


# -- one file: the buildreqs.nosrc.rpm of %generate_buildrequires, an SRPM's header ------

REQS = TOPDIR + "/BUILDREQS"


def take(home, limit=1 << 20):
    return results.take_file(home, REQS, ".buildreqs.nosrc.rpm", limit)


def take_failure(home, limit=1 << 20) -> str:
    with pytest.raises(TaskFailed) as exc:
        take(home, limit)
    return str(exc.value)


def test_the_one_file_is_copied_where_only_the_daemon_reaches(home):
    (home / "build" / "BUILDREQS").mkdir()
    (home / "build" / "BUILDREQS" / "x-1-1.buildreqs.nosrc.rpm").write_bytes(b"header")
    (home / "build" / "BUILDREQS" / "other.rpm").write_bytes(b"ignored")
    copy = take(home)
    assert copy.read_bytes() == b"header" and copy.parent.parent == home.parent
    assert oct(os.stat(copy.parent).st_mode & 0o777) == "0o700"


def test_the_one_file_through_links_none_too_many_or_too_large_fails(home, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("the host's secret\n")
    os.symlink(tmp_path, home / "build" / "BUILDREQS")
    assert take_failure(home) == (f"the build left {REQS} as a symbolic link; result "
                                  f"directories must be real directories")
    os.unlink(home / "build" / "BUILDREQS")
    (home / "build" / "BUILDREQS").mkdir()
    assert take_failure(home) == f"expected one *.buildreqs.nosrc.rpm in {REQS}, found 0"
    os.symlink(secret, home / "build" / "BUILDREQS" / "x-1-1.buildreqs.nosrc.rpm")
    assert take_failure(home) == (f"the build left {REQS}/x-1-1.buildreqs.nosrc.rpm as a "
                                  f"symbolic link; results must be regular files")
    os.unlink(home / "build" / "BUILDREQS" / "x-1-1.buildreqs.nosrc.rpm")
    (home / "build" / "BUILDREQS" / "x-1-1.buildreqs.nosrc.rpm").write_bytes(b"y" * 11)
    assert take_failure(home, limit=10) == (f"the build left {REQS}/x-1-1.buildreqs.nosrc.rpm "
                                            f"larger than 10 bytes; refused")
    assert not list(home.parent.glob("*-take-*"))  # the refused copy is gone
    (home / "build" / "BUILDREQS" / "y-1-1.buildreqs.nosrc.rpm").write_bytes(b"y")
    assert take_failure(home) == f"expected one *.buildreqs.nosrc.rpm in {REQS}, found 2"


def test_open_file_refuses_a_fifo_and_a_missing_file(home):
    os.mkfifo(home / "build" / "SRPMS" / "x.src.rpm")
    with contextlib.ExitStack() as stack, pytest.raises(TaskFailed) as exc:
        results.open_file(home, TOPDIR + "/SRPMS/x.src.rpm", stack)
    assert str(exc.value) == (f"the build left {TOPDIR}/SRPMS/x.src.rpm as a FIFO; results "
                              f"must be regular files")
    with contextlib.ExitStack() as stack, pytest.raises(TaskFailed) as exc:
        results.open_file(home, TOPDIR + "/SRPMS/gone.src.rpm", stack)
    assert str(exc.value) == f"{TOPDIR}/SRPMS/gone.src.rpm is missing from the buildroot"
