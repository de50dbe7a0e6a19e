"""The test distribution (images/distro/build): RPMs of the test image's Debian packages.

It is what a site's distribution repo is to a ``repo`` buildroot: this proves that the
``build`` group installs from it alone into an empty root (dnf --installroot in a
container of the test image, no network), that everything in that root came from its
packages, and that rpmbuild builds a package there.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_IMAGE = "localhost/koji-adjutant-buildroot:test"
DNF_CONF = """[main]
reposdir=/dev/null
install_weak_deps=0
[distro]
name=test distribution
baseurl=file:///repo
gpgcheck=0
"""
SPEC = """Name: tiny
Version: 1
Release: 1
Summary: a package built in a root installed from the test distribution
License: MIT
BuildArch: noarch
%description
tiny
%install
mkdir -p %{buildroot}/usr/share/tiny
echo tiny > %{buildroot}/usr/share/tiny/README
%files
/usr/share/tiny/README
"""
# Lists the files and links (not directories: rpm makes missing parents itself) of the
# new root that no installed package owns; then builds SPEC there.
SCRIPT = r"""
set -e
dnf -c /conf/dnf.conf --installroot /newroot --releasever 1 -y --setopt=tsflags=nodocs \
    install @build > /tmp/dnf.log 2>&1 || { tail -20 /tmp/dnf.log; exit 1; }
echo "installed $(rpm --root /newroot -qa | wc -l)"
cd /newroot
find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./run \
    -o -path ./var/lib/rpm -o -path ./var/lib/dnf -o -path ./var/cache -o -path ./var/log \) \
    -prune -o ! -type d -print | sed 's|^\.||' | sort > /tmp/found
rpm --root /newroot -qal | sort -u > /tmp/owned
comm -23 /tmp/found /tmp/owned | sed 's/^/unowned: /'
cp /conf/tiny.spec /newroot/tmp/
chroot /newroot /bin/sh -c 'rpmbuild -bb --define "_topdir /tmp/b" /tmp/tiny.spec' \
    > /tmp/rpmbuild.log 2>&1 || { tail -20 /tmp/rpmbuild.log; exit 1; }
ls /newroot/tmp/b/RPMS/noarch
"""


@pytest.fixture(scope="session")
def distro() -> Path:
    """The distribution's directory (built by scripts/provision; here only looked up)."""
    proc = subprocess.run([str(REPO_ROOT / "images/distro/build")], capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip().splitlines()[-1])


def test_every_debian_package_and_the_root_setup_are_rpms_with_comps(distro):
    rpms = sorted(p.name for p in (distro / "RPMS").glob("*.rpm"))
    names = {subprocess.run(["rpm", "-qp", "--qf", "%{NAME}", str(distro / "RPMS" / r)],
                            capture_output=True, text=True, check=True).stdout for r in rpms}
    assert {"bash", "dash", "rpm", "gcc-12", "libc6", "koji-adjutant-distro-root"} <= names
    groups = {g.findtext("id"): {p.text for p in g.iter("packagereq")}
              for g in ET.parse(distro / "comps.xml").getroot().iter("group")}
    assert set(groups) == {"build", "srpm-build"}
    assert {"rpm", "gcc", "make", "dash", "koji-adjutant-distro-root"} <= groups["build"]
    assert groups["build"] <= names | {"gcc"}  # gcc: Debian's gcc package
    gcc = subprocess.run(["rpm", "-qp", "--provides", str(next((distro / "RPMS").glob(
        "gcc-12-*.rpm")))], capture_output=True, text=True, check=True).stdout
    assert "gcc = 12" in gcc  # the capability an RPM spec asks for, with its version


def test_the_build_group_installs_into_an_empty_root_and_builds_a_package(distro, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    for rpm in (distro / "RPMS").glob("*.rpm"):
        (repo / rpm.name).symlink_to(rpm)
    subprocess.run(["createrepo_c", "-q", "-g", str(distro / "comps.xml"), str(repo)],
                   check=True)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "dnf.conf").write_text(DNF_CONF)
    (conf / "tiny.spec").write_text(SPEC)
    proc = subprocess.run(
        ["podman", "run", "--rm", "--network", "none", "-v", f"{repo}:/repo:ro",
         "-v", f"{distro / 'RPMS'}:{distro / 'RPMS'}:ro", "-v", f"{conf}:/conf:ro",
         TEST_IMAGE, "/bin/sh", "-c", SCRIPT], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert int(lines[0].split()[1]) > 100
    assert [line for line in lines if line.startswith("unowned:")] == []
    assert lines[-1] == "tiny-1-1.noarch.rpm"
