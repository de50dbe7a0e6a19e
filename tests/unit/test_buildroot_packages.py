"""Buildroot package lists in the hub's format (contract 4.4, 2.4)."""

import koji
import pytest

from koji_adjutant.buildroot import packages
from koji_adjutant.errors import TaskFailed

# columns: N V R E A, SIGMD5 SHA1HEADER SHA256HEADER SHA3_256HEADER, size, buildtime
QUERY = ("bash\t5.2\t1\t(none)\tx86_64\tabc123\t5a1\t5a256\t(none)\t100\t1700000000\n"
         "gpg-pubkey\t1\t1\t(none)\t(none)\t(none)\t(none)\t(none)\t(none)\t0\t0\n"
         "hello\t1.0\t1.f99\t2\tnoarch\tfeed\t(none)\t(none)\t(none)\t42\t1700000001\n")


def test_parse_rpm_query_skips_pubkeys_and_converts_types():
    rpms = packages.parse_rpm_query(QUERY)
    assert [r.nvra for r in rpms] == ["bash-5.2-1.x86_64", "hello-1.0-1.f99.noarch"]
    bash, hello = rpms
    assert bash.epoch is None and hello.epoch == 2
    assert hello.entry() == {"name": "hello", "version": "1.0", "release": "1.f99",
                             "epoch": 2, "arch": "noarch", "payloadhash": "feed",
                             "size": 42, "buildtime": 1700000001}


def test_payloadhash_is_kojis_rpm_ident():
    # an rpm v6 package has no SIGMD5: koji names it by its best header digest
    v6 = "\t".join(["v6", "1", "1", "(none)", "noarch", "(none)", "(none)", "aa256", "aa3",
                    "1", "2"])
    [rpm] = packages.parse_rpm_query(v6)
    assert rpm.payloadhash == "sha3-256::aa3"
    [rpm] = packages.parse_rpm_query(v6.replace("aa3", "(none)"))
    assert rpm.payloadhash == "sha256::aa256"
    assert rpm.payloadhash == koji.make_rpm_ident({"sha256header": "aa256"})
    with pytest.raises(TaskFailed, match="v6-1-1.noarch in the buildroot has no header digest"):
        packages.parse_rpm_query(v6.replace("aa256", "(none)").replace("aa3", "(none)"))


def test_parse_rpm_query_rejects_garbage():
    with pytest.raises(TaskFailed):
        packages.parse_rpm_query("not\tenough\n")


def test_koji_entries_use_rpmlist_ids_and_check_payloadhash():
    rpms = packages.parse_rpm_query(QUERY)
    rpmlist = packages.parse_rpmlist(
        '{"name": "hello", "version": "1.0", "release": "1.f99", "arch": "noarch", '
        '"id": 17, "payloadhash": "feed"}\n')
    entries = packages.koji_entries(rpms, rpmlist)
    assert entries[1]["id"] == 17 and "id" not in entries[0]
    bad = packages.parse_rpmlist(
        '{"name": "hello", "version": "1.0", "release": "1.f99", "arch": "noarch", '
        '"id": 17, "payloadhash": "0000"}\n')
    with pytest.raises(TaskFailed, match="payloadhash mismatch"):
        packages.koji_entries(rpms, bad)


def test_external_origins_become_locations():
    rpms = packages.parse_rpm_query(QUERY)
    ext = packages.ExternalRepo(3, "centos-base", "http://mirror/$arch/")
    origins = {"bash-5.2-1.x86_64": "http://mirror/x86_64",
               "hello-1.0-1.f99.noarch": "file:///mnt/koji/repos/f99-build/7/x86_64/premerge"}
    entries = packages.koji_entries(rpms, {}, origins, [ext], "x86_64")
    assert entries[0]["location"] == 3 and entries[0]["external_repo"] == "centos-base"
    assert "location" not in entries[1]
    with pytest.raises(TaskFailed, match="No origin"):
        packages.koji_entries(rpms, {}, {}, [ext], "x86_64")


def test_image_packages_are_external_or_left_out():
    rpms = packages.parse_rpm_query(QUERY)
    assert packages.image_entries(rpms, None) == []
    entries = packages.image_entries(rpms, "image-repo")
    assert all(e["location"] == "image-repo" for e in entries)
    log = packages.installed_pkgs_log("img:1", "sha256:aa", rpms[:1], rpms[1:], None)
    assert "sha256:aa" in log and "bash-5.2-1.x86_64 image" in log
    assert "hello-1.0-1.f99.noarch koji" in log and "not reported to the hub" in log
