"""Dist repo package selection and layout (koji_adjutant.repos.distsel)."""

import koji
import pytest

from koji_adjutant.repos import distsel

PATHINFO = koji.PathInfo(topdir="/mnt/koji")
BUILDS = {7: {"id": 7, "name": "foo", "version": "1", "release": "2"}}


def row(rpm_id, name, sigkey, arch="x86_64", **extra):
    return dict({"id": rpm_id, "name": name, "version": "1", "release": "2", "arch": arch,
                 "build_id": 7, "sigkey": sigkey}, **extra)


def test_first_requested_key_wins_case_insensitively():
    rows = [row(1, "foo", ""), row(1, "foo", "aaaa1111"), row(1, "foo", "bbbb2222"),
            row(2, "foo-libs", ""), row(2, "foo-libs", "bbbb2222")]
    selection = distsel.select_copies(rows, ["BBBB2222", "aaaa1111"])
    assert [(r["id"], r["sigkey"]) for r in selection.chosen] == [(1, "bbbb2222"),
                                                                  (2, "bbbb2222")]
    assert selection.missing_signatures == ()


def test_rpms_without_a_requested_key_are_missing_and_kept_unsigned():
    rows = [row(1, "foo", ""), row(2, "bar", None), row(3, "baz", "cccc3333")]
    selection = distsel.select_copies(rows, ["aaaa1111"])
    assert [r["sigkey"] for r in selection.chosen] == [None, None, None]
    assert [r["id"] for r in selection.missing_signatures] == [1, 2, 3]


def test_no_keys_asked_means_unsigned_copies_without_complaint():
    selection = distsel.select_copies([row(1, "foo", "")], [])
    assert selection.chosen[0]["sigkey"] is None and not selection.missing_signatures


def test_draft_builds_are_refused():
    with pytest.raises(koji.BuildError, match="draft build rpm foo-1-2.x86_64"):
        distsel.select_copies([row(1, "foo", "", draft=True)], [])


def test_compat_arches():
    assert distsel.compat_arches("x86_64")[-1] == "noarch"
    assert "x86_64" in distsel.compat_arches("x86_64")
    assert "i686" in distsel.compat_arches("i386")
    assert distsel.compat_arches("src") == ["src"]


def test_paths_of_signed_and_primary_copies():
    assert distsel.rpm_path(PATHINFO, BUILDS[7], row(1, "foo", "aaaa1111")) == \
        "/mnt/koji/packages/foo/1/2/data/signed/aaaa1111/x86_64/foo-1-2.x86_64.rpm"
    assert distsel.rpm_path(PATHINFO, BUILDS[7], row(1, "foo", None)) == \
        "/mnt/koji/packages/foo/1/2/x86_64/foo-1-2.x86_64.rpm"


def test_layout_splits_debuginfo_into_a_subrepo():
    rpms = [row(1, "foo", "aaaa1111"), row(2, "foo-debuginfo", None),
            row(3, "Bar", None, arch="noarch")]
    layout = distsel.plan_layout(rpms, BUILDS, PATHINFO, split_debuginfo=True)
    assert layout.pkglists == {"": ["Packages/b/Bar-1-2.noarch.rpm",
                                    "Packages/f/foo-1-2.x86_64.rpm"],
                               "debug": ["../Packages/f/foo-debuginfo-1-2.x86_64.rpm"]}
    assert layout.links["Packages/f/foo-1-2.x86_64.rpm"].endswith(
        "/data/signed/aaaa1111/x86_64/foo-1-2.x86_64.rpm")
    assert layout.kojipkgs["foo-1-2.x86_64.rpm"]["_pkgpath"] == "Packages/f/foo-1-2.x86_64.rpm"
    together = distsel.plan_layout(rpms, BUILDS, PATHINFO)
    assert list(together.pkglists) == [""] and len(together.pkglists[""]) == 3


def test_missing_report_lists_the_files():
    text = distsel.missing_report([row(1, "foo", None)], ["aaaa1111"])
    assert text == "Missing signatures for keys aaaa1111:\nfoo-1-2.x86_64.rpm\n"
