"""The buildroot's package query names each package as koji's library does (real rpm).

``packages.RPM_QUERY`` is what the daemon runs in a buildroot to report its package
list; here it runs on this host against an rpm database holding packages built by
rpmbuild, and each payload hash must be ``koji.get_rpm_ident`` of the package file.
"""

import subprocess

import koji

from koji_adjutant.buildroot import packages
from rpmkit import Package


def test_the_package_query_gives_kojis_rpm_ident(rpm_factory, tmp_path):
    built = rpm_factory.rpms(Package("ident-probe"))
    dbpath = tmp_path / "rpmdb"
    home = tmp_path / "home"
    home.mkdir()
    # rpm -qa in the query reads the database of the HOME's macros, not the host's own
    (home / ".rpmmacros").write_text(f"%_dbpath {dbpath}\n")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(["rpm", "--initdb"], env=env, check=True)
    subprocess.run(["rpm", "-i", "--justdb", "--nodeps", *map(str, built.rpms)], env=env,
                   check=True)
    out = subprocess.run(list(packages.RPM_QUERY), env=env, check=True, capture_output=True,
                         text=True).stdout
    found = {rpm.nvra: rpm.payloadhash for rpm in packages.parse_rpm_query(out)}
    expected = {}
    for path in built.rpms:
        header = koji.get_rpm_header(str(path))
        nvra = "%(name)s-%(version)s-%(release)s.%(arch)s" % koji.get_header_fields(
            header, ["name", "version", "release", "arch"])
        expected[nvra] = koji.get_rpm_ident(header)
    assert found == expected and len(found) == 1
    # rpm 4.18 writes SIGMD5, which koji prefers: 32 hex digits, no label
    [ident] = found.values()
    assert len(ident) == 32 and "::" not in ident
