"""Build dependencies as data (``deps``), the resolver's answer (``depsolve``), root's turn.

The requirement strings come from real SRPMs made by the host's rpmbuild or
are written the way a hostile header could carry them; the resolver's answer
is parsed as the buildroot's dnf prints it.  ``reclaimed`` is driven with a
recording stand-in for the buildroot: the order of its commands and the state
of ``untrusted`` around them are what it promises.
"""

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from rpmkit import Package

from koji_adjutant.buildroot import builddeps, deps, depsolve
from koji_adjutant.errors import TaskFailed

PKG = "foo-1.0-1.src.rpm"


def test_a_real_srpm_gives_its_requirements_conflicts_and_dynamic_feature(rpm_factory):
    pkg = Package("deps-real", buildrequires=("bar >= 2.0", "(a or b)", "/usr/bin/make"),
                  buildconflicts=("baz < 3",), generate_buildrequires="echo qux")
    with open(rpm_factory.srpm(pkg), "rb") as srpm:
        found = deps.read(srpm)
    assert found == deps.Dependencies("deps-real-1.0-1.src.rpm",
                                      ("(a or b)", "/usr/bin/make", "bar >= 2.0"),
                                      ("baz < 3",), dynamic=True)


def test_without_generate_buildrequires_no_rpmbuild_br_round_is_needed(rpm_factory):
    with open(rpm_factory.srpm(Package("deps-static", buildrequires=("bar",))), "rb") as srpm:
        assert deps.read(srpm, "given-name.src.rpm") == \
            deps.Dependencies("given-name.src.rpm", ("bar",), (), dynamic=False)


def test_not_an_rpm_is_one_line(tmp_path):
    (tmp_path / "x").write_bytes(b"not an rpm" * 20)
    with open(tmp_path / "x", "rb") as source, pytest.raises(TaskFailed) as exc:
        deps.read(source, PKG)
    assert str(exc.value).startswith(f"cannot read the build dependencies of {PKG}: ")


@pytest.mark.parametrize("dependency, reason", [
    ("--setopt=reposdir=/builddir", "it must start with a letter, a digit"),
    ("-y", "it must start with a letter, a digit"),
    ("", "it must start with a letter, a digit"),
    (" foo", "it must start with a letter, a digit"),
    ("foo\nbar", "only printable ASCII and single spaces"),
    ("foo\x1b[2J", "only printable ASCII and single spaces"),
    ("foo\tbar", "only printable ASCII and single spaces"),
    ("foo  >= 1", "only printable ASCII and single spaces"),
    ("f\u00f6\u00f6", "only printable ASCII and single spaces"),
    ("x" * 501, "longer than 500 characters"),
])
def test_unusable_dependency_strings_fail_the_task(dependency, reason):
    with pytest.raises(TaskFailed) as exc:
        deps.from_lists(PKG, ["ok", dependency], [])
    assert str(exc.value).startswith(f"{PKG} has ") and reason in str(exc.value)
    assert "\n" not in str(exc.value)


def test_usable_forms_pass_unchanged_and_once():
    usable = ["python3dist(foo) >= 1.0", "(a if b else c)", "/usr/bin/env", "_x",
              "perl(Foo::Bar)", "font(:lang=en)", "foo = 2:1.0-1.fc40", "x" * 500]
    found = deps.from_lists(PKG, usable + ["python3dist(foo) >= 1.0",
                                           "rpmlib(DynamicBuildRequires) <= 4.15.0-1"],
                            ["baz"])
    assert found.requires == tuple(usable) and found.conflicts == ("baz",) and found.dynamic


def test_more_than_the_bound_is_refused_rpmlib_features_not_counted():
    features = [f"rpmlib(F{i})" for i in range(10)]
    deps.from_lists(PKG, [f"cap{i}" for i in range(1999)] + features, ["c"])
    with pytest.raises(TaskFailed) as exc:
        deps.from_lists(PKG, [f"cap{i}" for i in range(2000)] + features, ["c"])
    assert str(exc.value) == f"{PKG} has 2001 build dependencies; more than 2000 are refused"


def test_the_missing_requirement_message_names_each_and_what_there_is():
    message = deps.unresolved_message(
        PKG, [("bar >= 2.0", ["bar = 1.0-1"], []), ("make >= 99", [], ["make = 4.3"]),
              ("nosuch", [], [])], [], None)
    assert message == (f"cannot resolve the BuildRequires of {PKG}: 'bar >= 2.0' (the repo "
                       f"has bar = 1.0-1), 'make >= 99' (the buildroot has make = 4.3), "
                       f"'nosuch'")
    assert deps.unresolved_message(PKG, [], ["(a if b)"], "Problem: x") == \
        f"cannot resolve the BuildRequires of {PKG}: '(a if b)'"
    assert deps.unresolved_message(PKG, [], [], "\n Problem 1: conflicting\n  requests") == \
        f"cannot resolve the BuildRequires of {PKG}: Problem 1: conflicting requests"


def test_the_conflicts_message():
    assert deps.conflicts_message(PKG, [("make", ["image-provides-1.0-1.noarch"])]) == (
        f"the buildroot has what the BuildConflicts of {PKG} exclude: 'make' (provided by "
        f"image-provides-1.0-1.noarch)")


def answer(**fields) -> list[str]:
    data = {"missing": [], "unsolvable": [], "problem": None, "install": [], "conflicts": []}
    data.update(fields)
    return ["warning: something dnf says\n", depsolve.MARK + json.dumps(data) + "\n"]


def test_the_resolver_command_passes_the_strings_as_plain_arguments():
    wanted = deps.Dependencies(PKG, ("a", "b >= 1"), ("c",))
    argv = depsolve.argv("/etc/dnf.conf", wanted)
    assert argv[:3] == ["python3", "-I", "-c"]
    assert argv[4:] == ["/etc/dnf.conf", "2", "a", "b >= 1", "c"]


def test_the_resolvers_answer_is_parsed_and_checked():
    plan = depsolve.parse(answer(install=["bar-0:2.1-1.noarch", "lib+x-1:1.0~rc1-2.fc40.x86_64"],
                                 conflicts=[["make", ["p-1-1.noarch"]]]), 0)
    assert plan.resolved and plan.install == ("bar-0:2.1-1.noarch",
                                              "lib+x-1:1.0~rc1-2.fc40.x86_64")
    assert plan.conflicts == (("make", ["p-1-1.noarch"]),)
    missing = depsolve.parse(answer(missing=[["x >= 2", ["x = 1-1"], []]]), 0)
    assert not missing.resolved and missing.missing == (("x >= 2", ["x = 1-1"], []),)


@pytest.mark.parametrize("lines, code, message", [
    (answer(install=["--setopt=x-0:1-1.noarch"]), 0, "unexpected answer"),
    (answer(install=["bar 0:1-1.noarch"]), 0, "unexpected answer"),
    (answer(install="bar-0:1-1.noarch"), 0, "unexpected answer"),
    (answer() + answer(), 0, "the dependency resolver in the buildroot failed"),
    (["Traceback ..."], 1, "the dependency resolver in the buildroot failed (exit status 1)"),
    ([depsolve.MARK + "{not json"], 0, "unexpected answer"),
    ([depsolve.MARK + json.dumps({"error": "Failed to download\n metadata"})], 0,
     "dnf cannot read the buildroot's repositories: Failed to download metadata"),
])
def test_a_bad_answer_fails_the_task(lines, code, message):
    with pytest.raises(TaskFailed) as exc:
        depsolve.parse(lines, code)
    assert message in str(exc.value)


def test_the_check_fails_closed_in_an_image_without_pgrep(tmp_path):
    # no PATH to find pgrep in: the script stops before anything else (uid: nobody's)
    proc = subprocess.run(["/bin/sh", "-c", builddeps.RECLAIM, "reclaim", "4294967294"],
                          env={"PATH": str(tmp_path)}, capture_output=True, text=True)
    assert proc.returncode == 4 and "no pgrep" in proc.stdout
    assert builddeps.RECLAIM_FAILURES[4].startswith("the image has no pgrep")


class RecordingBuildroot(SimpleNamespace):
    """Records each command with the user it runs as and ``untrusted`` at that moment."""

    def __init__(self, reclaim_status: int = 0):
        super().__init__(untrusted=True, calls=[], status=reclaim_status)

    def run(self, argv, *, log, user=None, check=True):
        self.calls.append((argv[2].strip().split()[0], user, self.untrusted))
        return SimpleNamespace(exit_code=self.status if user is None else 0)


def test_root_gets_its_turn_only_after_the_build_users_processes_are_killed():
    br = RecordingBuildroot()
    with builddeps.reclaimed(br):
        assert br.untrusted is False
    assert br.untrusted is True
    assert br.calls == [("kill", "mockbuild", True), ("command", None, False)]


def test_untrusted_is_set_again_whatever_happens_inside():
    br = RecordingBuildroot()
    with pytest.raises(TaskFailed), builddeps.reclaimed(br):
        raise TaskFailed("install failed")
    assert br.untrusted is True
    survivor = RecordingBuildroot(reclaim_status=3)
    with pytest.raises(TaskFailed) as exc, builddeps.reclaimed(survivor):
        pytest.fail("root's turn must not begin while the build's processes live")
    assert str(exc.value) == ("cannot install the generated BuildRequires: processes of the "
                              "build survived SIGKILL; see root.log")
    assert survivor.untrusted is True


def test_the_readme_shows_the_message_verbatim():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    message = deps.unresolved_message(
        "too-new-1.0-1.src.rpm", [("gen-a >= 3.0", ["gen-a = 2.1-1"], []),
                                  ("make >= 99", [], ["make = 4.3"]), ("nosuch-thing", [], [])],
        [], None)
    assert f"\n  {message}\n" in readme
