"""The test buildroot image against a koji repo: its provides RPM, dnf and rpmbuild.

These run real containers of the image (podman CLI).  The key proof: dnf in the image
installs a koji build group from a make_koji_repo repository and pulls only the packages
the image does not already have, because koji-adjutant-image-provides declares the rest.
"""

from __future__ import annotations

import pathlib
import shlex

import pytest

from rpmkit import Package, dnf_config, make_koji_repo

pytestmark = pytest.mark.podman
IMAGE_DIR = pathlib.Path(__file__).resolve().parents[2] / 'images' / 'buildroot'
PROVIDES_RPM = 'koji-adjutant-image-provides'


def declared_capabilities() -> list[tuple[str, str]]:
    """(capability, Debian package) of every line of images/buildroot/provides; a %libs
    line stands for the soname of the package's main library."""
    sonames = {'libc6': 'libc.so.6()(64bit)', 'libgcc-s1': 'libgcc_s.so.1()(64bit)',
               'libstdc++6': 'libstdc++.so.6()(64bit)', 'zlib1g': 'libz.so.1()(64bit)',
               'libcrypt1': 'libcrypt.so.1()(64bit)'}
    rows = []
    for line in (IMAGE_DIR / 'provides').read_text().splitlines():
        if line.strip() and not line.startswith('#'):
            cap, deb = line.split()[:2]
            rows.append((sonames[deb] if cap == '%libs' else cap, deb))
    return rows


def test_image_rpmdb_knows_what_the_image_contains(podman_run):
    rows = declared_capabilities()
    assert {'bash', '/bin/sh', 'make', 'gcc', 'rpm-build', '/usr/bin/rpmbuild', 'rtld(GNU_HASH)',
            'libc.so.6()(64bit)'} <= {cap for cap, _deb in rows}
    # each capability resolves to the provides RPM, its Debian package is really installed
    # and a path capability really exists
    lines = ['set -e']
    for cap, deb in rows:
        lines.append("rpm -q --qf '%%{name}\\n' --whatprovides %s" % shlex.quote(cap))
        lines.append("dpkg-query -W -f '${db:Status-Abbrev}\\n' %s" % shlex.quote(deb))
        if cap.startswith('/'):
            lines.append('test -e %s' % shlex.quote(cap))
    lines.append('echo "== rpmdb"; rpm -qa')
    out = podman_run('\n'.join(lines), '--network', 'none')
    checks, rpmdb = out.split('== rpmdb\n')
    assert checks.split() == [PROVIDES_RPM, 'ii'] * len(rows)
    assert rpmdb.split() == [PROVIDES_RPM + '-1.0-1.noarch']


def test_provides_versions_are_the_debian_upstream_versions(podman_run):
    out = podman_run("rpm -q --provides %s; dpkg-query -W -f '${Package} ${Version}\\n' "
                     "make gcc-12 rpm libc6" % PROVIDES_RPM, '--network', 'none')
    lines = out.splitlines()
    provides = dict(line.split(' = ') for line in lines if ' = ' in line)
    debian = dict(line.split(' ') for line in lines[-4:])
    assert debian['make'].startswith(provides['make'] + '-')
    assert debian['gcc-12'].startswith(provides['gcc'] + '-')
    assert debian['rpm'].startswith(provides['rpm-build'] + '+')
    assert debian['libc6'].startswith(provides['glibc'] + '-')
    assert 'redhat-rpm-config' in lines
    assert 'rtld(GNU_HASH)' in lines


@pytest.fixture
def koji_repo(hub, rpm_factory):
    """A tag whose build group names base packages plus one only koji has, and a package
    that offers a BuildRequires-style capability."""
    tool = rpm_factory.rpms(Package('koji-only-tool', arch='c', requires=('/bin/sh', 'make')))
    devel = rpm_factory.rpms(Package('helper-devel', provides=('pkgconfig(helper) = 1.0',),
                                     requires=('bash', 'gcc')))
    group = ['bash', 'coreutils', 'make', 'gcc', 'rpm-build', 'redhat-rpm-config', 'which',
             'koji-only-tool']
    return make_koji_repo(hub, 'dist-build', [tool, devel],
                          {'build': group, 'srpm-build': ['bash', 'rpm-build']})


def test_dnf_installs_build_group_and_buildrequires_from_koji_repo(koji_repo, podman_run,
                                                                   tmp_path):
    (tmp_path / 'dnf.conf').write_text(dnf_config(koji_repo['url']))
    dnf = 'dnf -q -c /cfg/dnf.conf install -y '
    loud_dnf = 'dnf -c /cfg/dnf.conf install -y '
    script = '\n'.join([
        'set -e',
        dnf + '@build',
        'echo "== after group"; rpm -qa | sort',
        'echo "== run"; koji-only-tool',
        dnf + "'pkgconfig(helper)'",
        'echo "== after buildrequires"; rpm -qa | sort',
        'echo "== base"; ' + loud_dnf + "make /usr/bin/rpmbuild 'libc.so.6()(64bit)'"])
    out = podman_run(script, '--network', 'host', '-v', '%s:/cfg:ro,z' % tmp_path, timeout=90)
    sections = dict(part.split('\n', 1) for part in out.split('== ')[1:])
    base = [PROVIDES_RPM + '-1.0-1.noarch']
    assert sections['after group'].split() == sorted(base + ['koji-only-tool-1.0-1.x86_64'])
    assert sections['run'].splitlines()[0] == 'hello from koji-only-tool'
    assert sections['after buildrequires'].split() == sorted(
        base + ['helper-devel-1.0-1.noarch', 'koji-only-tool-1.0-1.x86_64'])
    # base capabilities asked for directly are found installed: nothing is pulled
    assert sections['base'].count('Package %s is already installed.' % base[0]) == 3
    assert 'Nothing to do.' in sections['base']


def test_dnf_cannot_install_what_the_image_does_not_provide(hub, rpm_factory, podman_run,
                                                            tmp_path):
    needy = rpm_factory.rpms(Package('needs-cxx', requires=('gcc-c++', 'make')))
    repo = make_koji_repo(hub, 'gap-build', [needy], {'build': ['bash', 'needs-cxx']})
    (tmp_path / 'dnf.conf').write_text(dnf_config(repo['url']))
    proc = podman_run('dnf -c /cfg/dnf.conf install -y @build', '--network', 'host',
                      '-v', '%s:/cfg:ro,z' % tmp_path, check=False)
    assert proc.returncode != 0
    assert 'nothing provides gcc-c++ needed by needs-cxx' in proc.stderr
    assert 'make' not in proc.stderr


def test_rpmbuild_rebuilds_an_srpm_as_an_unprivileged_user(rpm_factory, podman_run):
    srpm = rpm_factory.srpm(Package('rebuilt', arch='c', buildrequires=('make', '/bin/sh')))
    script = ('rpmbuild --rebuild /src/%s >/tmp/build.log 2>&1 '
              '|| { cat /tmp/build.log; exit 1; }\n'
              'id -u; find /tmp/rpmbuild/RPMS -name "*.rpm" -printf "%%f %%u\\n"' % srpm.name)
    out = podman_run(script, '--network', 'none', '--user', '1000:1000', '-e', 'HOME=/tmp',
                     '-v', '%s:/src:ro,z' % pathlib.Path(srpm).parent)
    assert out.split() == ['1000', 'rebuilt-1.0-1.x86_64.rpm', '1000']


def test_rpmbuild_checks_buildrequires_against_the_image_rpmdb(rpm_factory, podman_run):
    srpm = rpm_factory.srpm(Package('needy', buildrequires=('make', 'not-in-the-image')))
    proc = podman_run('rpmbuild --rebuild /src/%s' % srpm.name, '--network', 'none',
                      '--user', '1000:1000', '-e', 'HOME=/tmp',
                      '-v', '%s:/src:ro,z' % pathlib.Path(srpm).parent, check=False)
    assert proc.returncode != 0
    assert 'Failed build dependencies' in proc.stderr
    assert 'not-in-the-image is needed by needy-1.0-1' in proc.stderr
    assert 'make is needed' not in proc.stderr
